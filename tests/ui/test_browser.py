"""The web UI in a real browser: upload, a two-step request, undo, downloads, a screenshot, two tabs, a reload,
and the limits' messages (see conftest.py for the server and the browser)."""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from emilie_agent.editing.session import EditSession
from emilie_agent.masking.granularity import distance_to_mask
from emilie_agent.toyworld import demo_scene
from tests.ui.conftest import MAX_SIDE, MAX_UPLOAD_MB, ROOT, models

# A toy-world scene, not square (the tiny random detector needs that); small on the tiny models (fast).
SCENE_SIZE = {"tiny": (128, 96), "toy": (256, 192)}
REQUEST = "make it winter, then paint the door blue"
SCREENSHOT = ROOT / "docs" / "ui-screenshot.png"


def screenshot_path(tmp_path: Path) -> Path:
    """EMILIE_UI_SCREENSHOT=1 writes the README's docs/ui-screenshot.png; a path ending in .png writes there;
    unset: the test's temporary folder."""
    wanted = os.environ.get("EMILIE_UI_SCREENSHOT", "")
    if wanted.lower().endswith(".png"):
        return Path(wanted)
    return SCREENSHOT if wanted else tmp_path / "ui-screenshot.png"


# ---------------------------------------------------------------------------------------------- page helpers
def open_page(context, server) -> Page:
    page = context.new_page()
    page.goto(server.url, wait_until="domcontentloaded")
    wait_text(page, server, "#chat", "Upload a picture")
    return page


def wait_text(page: Page, server, selector: str, text: str, timeout: float = 120_000) -> None:
    """Wait until the element's visible text holds ``text``; on a timeout, fail with the page's and server's."""
    try:
        page.wait_for_function(
            "([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)",
            arg=[selector, text],
            timeout=timeout,
        )
    except PlaywrightError:
        shown = page.locator(selector).inner_text() if page.locator(selector).count() else "(no such element)"
        pytest.fail(f"{selector} never showed {text!r}; it shows:\n{shown[-1500:]}\n--- server log:\n{server.log_tail()}")


def session_of(page: Page, server) -> str:
    """The session id the page put in its address once a picture was opened."""
    try:
        page.wait_for_function("() => new URL(location.href).searchParams.get('session')")
    except PlaywrightError:
        pytest.fail(f"no session was opened; the page says:\n{page.locator('body').inner_text()[-1500:]}\n"
                    f"--- server log:\n{server.log_tail()}")
    found = re.search(r"[?&]session=([0-9a-f]{32})", page.url)
    assert found, page.url
    return found.group(1)


def upload(page: Page, path: Path) -> None:
    page.locator("#upload input[type=file]").set_input_files(str(path))


def send(page: Page, text: str) -> None:
    page.locator("#message textarea").fill(text)
    page.locator("#send").click()


def download(page: Page, selector: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.locator(selector).click()
    got = info.value
    return got.suggested_filename, Path(got.path()).read_bytes()


def history_text(page: Page) -> str:
    return page.locator("#history").inner_text()


def pixels(picture: Image.Image | bytes) -> np.ndarray:
    if isinstance(picture, bytes):
        picture = Image.open(io.BytesIO(picture))
    return np.asarray(picture.convert("RGB"), dtype=np.int16)


def brightness(picture: np.ndarray) -> float:
    return float(picture.mean())


def saved_session(server, sid: str) -> EditSession:
    """The session as the server saved it (read only: the server holds the folder)."""
    return EditSession.load(server.sessions / sid)


@pytest.fixture
def scene_file(tmp_path) -> Path:
    path = tmp_path / "scene.png"
    demo_scene(SCENE_SIZE[models()]).save(path)
    return path


# ---------------------------------------------------------------------------------------------- tests
def test_a_two_step_request_then_undo(context, ui_server, scene_file, tmp_path):
    page = open_page(context, ui_server)
    upload(page, scene_file)
    sid = session_of(page, ui_server)
    width, height = SCENE_SIZE[models()]
    wait_text(page, ui_server, "#chat", f"New session on your picture ({width}x{height})")
    assert page.locator("#session-id input, #session-id textarea").first.input_value() == sid

    send(page, REQUEST)
    wait_text(page, ui_server, "#chat", "-> turn #2")
    chat = page.locator("#chat").inner_text()
    assert "1/2 'make it winter': on the whole picture" in chat
    assert "2/2 'paint the door blue': on 'door'" in chat
    assert "* #2 'paint the door blue'" in history_text(page)
    # Each step's picture and the local step's mask preview are in the conversation (PNG files).
    images = page.locator("#chat img")
    assert images.count() >= 4  # the original, the winter picture, the door's mask, the blue-door picture
    page.screenshot(path=str(screenshot_path(tmp_path)), full_page=True)

    # The picture changed as asked: step 1 everywhere, step 2 only inside the door's mask; the download is
    # the current picture, as PNG, pixel for pixel.
    name, data = download(page, "#download-picture")
    assert name.endswith(".png") and data[:8] == b"\x89PNG\r\n\x1a\n"
    session = saved_session(ui_server, sid)
    original, winter, door = (pixels(session.turns[i].picture) for i in (0, 1, 2))
    assert (pixels(Image.open(scene_file)) == original).all()
    assert (pixels(data) == door).all()
    assert (winter != original).any(axis=2).mean() > 0.5, "the global step did not change the picture"
    assert session.turns[2].context.target == "door"
    inside = session.turns[2].mask > 0
    changed = (door != winter).any(axis=2)
    assert changed[inside].mean() > 0.5, "the door step left its mask unchanged"
    # Exact preservation: outside the mask's feathered edge (sigma = one latent cell in picture pixels; the blur
    # reaches about 3 sigma), the pixels are the winter picture's, bit for bit.
    cell = original.shape[1] / session.turns[2].image_latent.shape[-1]
    near = distance_to_mask(inside.astype(np.float32)) <= 3.5 * cell + 1
    assert not changed[~near].any(), "the door step changed pixels away from its mask"
    if models() == "toy":  # trained models: the global edit is the one asked for
        # (The toy editor recolours objects 28-31 % of the time (README, "The toy world"): the door's colour is
        # not asserted; that its step stays inside the door's mask is, above.)
        assert brightness(winter) > brightness(original) + 10, "winter did not make the picture whiter"

    name, data = download(page, "#download-session")
    assert name.endswith(".zip") and data[:2] == b"PK"

    # Undo brings the winter picture back, bit for bit; redo the door.
    page.locator("#undo").click()
    wait_text(page, ui_server, "#chat", "Undone: now at #1")
    assert "* #1 'make it winter'" in history_text(page)
    _, data = download(page, "#download-picture")
    assert (pixels(data) == winter).all()
    page.locator("#redo").click()
    wait_text(page, ui_server, "#chat", "Redone: now at #2")
    _, data = download(page, "#download-picture")
    assert (pixels(data) == door).all()


def test_two_tabs_keep_their_own_sessions_and_a_reload_finds_its_own(context, ui_server, scene_file):
    # Two tabs of one browser profile (they share localStorage and cookies): each still gets its own session.
    first, second = open_page(context, ui_server), open_page(context, ui_server)
    upload(first, scene_file)
    second.locator("#example").click()
    one, two = session_of(first, ui_server), session_of(second, ui_server)
    assert one != two
    wait_text(second, ui_server, "#chat", "the example toy-world scene")

    send(first, "make it winter")  # both requests run at the same time
    send(second, "make it black and white")
    wait_text(first, ui_server, "#chat", "-> turn #1")
    wait_text(second, ui_server, "#chat", "-> turn #1")
    assert "make it winter" in history_text(first) and "black and white" not in history_text(first)
    assert "black and white" in history_text(second) and "make it winter" not in history_text(second)
    assert [t.instruction for t in saved_session(ui_server, one).history()] == [None, "make it winter"]
    assert [t.instruction for t in saved_session(ui_server, two).history()] == [None, "make it black and white"]

    # A reload finds the tab's session again: the same id, its history, its conversation rebuilt.
    first.reload(wait_until="domcontentloaded")
    wait_text(first, ui_server, "#chat", f"Session {one} found again")
    assert session_of(first, ui_server) == one
    wait_text(first, ui_server, "#history", "* #1 'make it winter'")
    wait_text(first, ui_server, "#chat", "make it winter")
    assert first.locator("#session-id input, #session-id textarea").first.input_value() == one
    # ... and the other tab is still on its own.
    second.locator("#undo").click()
    wait_text(second, ui_server, "#chat", "Undone: now at the original picture (#0)")
    assert [t.instruction for t in saved_session(ui_server, one).history()] == [None, "make it winter"]

    # Preview the mask first: the plan and the door's mask, nothing edited; Apply runs it, as a new branch.
    second.locator("#preview-first input").check()
    send(second, "paint the door blue")
    wait_text(second, ui_server, "#chat", "(nothing edited yet)")
    assert len(saved_session(ui_server, two).turns) == 2
    second.locator("#apply").click()
    wait_text(second, ui_server, "#chat", "-> turn #2")
    wait_text(second, ui_server, "#history", "#2 'paint the door blue'")
    assert re.search(r"^\*\s+#2 'paint the door blue'", history_text(second), re.M), "#2 is not the current turn"
    assert re.search(r"^\s+#1 'make it black and white'", history_text(second), re.M), "#1 is not kept as a branch"
    assert [t.instruction for t in saved_session(ui_server, two).history()] == [None, "paint the door blue"]
    # The strip of turns goes back to one when it is clicked.
    second.locator("#strip .thumbnail-item").first.click()
    wait_text(second, ui_server, "#chat", "Now at the original picture")


def test_limits_and_mistakes_are_said_in_the_page(context, ui_server, tmp_path):
    page = open_page(context, ui_server)
    # A picture too large (pixels): refused with the limit in words; no session is made.
    big = tmp_path / "big.png"
    Image.new("RGB", (MAX_SIDE + 60, 200), (90, 140, 200)).save(big)
    upload(page, big)
    wait_text(page, ui_server, "body", f"this page takes pictures up to {MAX_SIDE} pixels on the longer side")
    assert "session=" not in page.url
    # A file too large (bytes): refused before it is read.
    heavy = tmp_path / "heavy.png"
    noise = np.random.default_rng(0).integers(0, 256, (400, 500, 3), dtype=np.uint8)
    Image.fromarray(noise).save(heavy)
    assert heavy.stat().st_size > MAX_UPLOAD_MB * 1024 * 1024
    upload(page, heavy)
    wait_text(page, ui_server, "body", "exceed the maximum allowed size")
    assert "session=" not in page.url
    # Talking before a picture is open says what to do first.
    send(page, "make it winter")
    wait_text(page, ui_server, "body", "open a picture first")
