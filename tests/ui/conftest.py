"""The web UI the real way: ``emilie-agent ui`` in a subprocess on 127.0.0.1, driven by Playwright in the
system's headless Chromium (Debian's ``chromium``, which ``make test`` installs; Playwright's own browser
download needs the network, so it is never used).

The server runs the tiny random-weight models by default (``--models tiny``, 2 denoising steps, detection
thresholds at 0 so the random detector finds *something* for every phrase): the wiring is what is tested, the
same on every machine, without trained weights. ``EMILIE_UI_MODELS=toy`` runs the same tests on the packaged
toy-world models (their own settings), which make real edits: that is how the README's screenshot is made
(``EMILIE_UI_MODELS=toy EMILIE_UI_SCREENSHOT=1 make test ARGS=tests/ui``). What "changed as asked" means is
checked the same way on both: a global step changes the whole picture, a local step changes only inside its
mask (exact preservation), undo brings the earlier picture back bit for bit.

Every process started here is stopped by pid at the end, also when a test fails.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from emilie_agent.errors import ModelNotAvailableError
from emilie_agent.models.loading import TOY_KINDS, toy_model_dir
from tests.processes import free_port, stop, stopping_children

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180  # seconds for the server to answer (it imports gradio and torch; slow on a busy machine)
MAX_SIDE = 640  # the server's picture size limit in these tests (--max-picture-side)
MAX_UPLOAD_MB = 0.5  # ... and its upload limit (--max-upload-mb)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


MODEL_OPTIONS = {
    "tiny": ["--models", "tiny", "--steps", "2", "--box-threshold", "0", "--text-threshold", "0"],
    "toy": ["--models", "toy"],
}


def models() -> str:
    """The models the server runs: EMILIE_UI_MODELS (tiny or toy), the shipped toy models by default (so that the
    browser test checks real edits)."""
    name = os.environ.get("EMILIE_UI_MODELS", "toy")
    if name not in MODEL_OPTIONS:
        pytest.fail(f"EMILIE_UI_MODELS must be one of {', '.join(MODEL_OPTIONS)}, not {name!r}")
    return name


def chromium_path() -> str:
    """$CHROMIUM, else ``chromium`` on PATH (Debian's package, which ``make test`` installs)."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("the browser tests need Chromium: `make test` installs Debian's (apt-get install chromium); "
                    "or set CHROMIUM=/path/to/chromium")
    return path


@pytest.fixture(scope="module")
def reaper():
    """At the module's end, stops (by pid) every process started under it that is still running."""
    with stopping_children():
        yield


class Server:
    def __init__(self, url: str, sessions: Path, log: Path, process: subprocess.Popen):
        self.url = url
        self.sessions = sessions
        self.log = log
        self.process = process

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory, tiny_model_cache, reaper):
    """``emilie-agent ui`` on a free port of 127.0.0.1 (see :func:`models`); its sessions in a temporary folder."""
    if models() == "toy":
        try:
            for kind in TOY_KINDS:
                toy_model_dir(kind)
        except ModelNotAvailableError as err:
            pytest.fail(f"EMILIE_UI_MODELS=toy: {err}")
    folder = tmp_path_factory.mktemp("ui-server")
    sessions = folder / "sessions"
    log = folder / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "EMILIE_CACHE": tiny_model_cache,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-m", "emilie_agent", "ui", "--device", "cpu", "--port", str(port), "--sessions", str(sessions),
        "--max-picture-side", str(MAX_SIDE), "--max-upload-mb", str(MAX_UPLOAD_MB), *MODEL_OPTIONS[models()],
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    server = Server(f"http://127.0.0.1:{port}/", sessions, log, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the UI server ended (status {process.returncode}):\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(server.url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the UI server did not answer in {START_TIMEOUT} s:\n{server.log_tail()}")
            time.sleep(0.3)
        yield server
    finally:
        stop(process.pid)


@pytest.fixture(scope="module")
def browser(reaper):
    """Headless Chromium (the system's), through Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def context(browser, ui_server):
    """A fresh browser profile (its own storage); closed at the test's end. Timeouts fail with the server log."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(120_000)  # generous: a machine busy with other work is slow, not broken
    try:
        yield context
    finally:
        context.close()
