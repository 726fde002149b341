"""Fuzzing the Python API with values of the wrong type, shape or range.

Every public entry point a user hands values to must either work or raise the package's own error
(:class:`~emilie_agent.errors.EmilieError`, a one-line message), never a raw ``TypeError`` / ``ValueError`` /
``IndexError`` from deep inside: settings, pictures and masks, target phrases and the masker, the editor, the
session (undo, redo, go to, save), the agent's messages, output paths and the LangChain tools.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from emilie_agent.agent.agent import EditingAgent
from emilie_agent.agent.commands import Command, parse_command
from emilie_agent.editing.session import EditSession
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import EmilieError
from emilie_agent.images import load_image, load_mask
from emilie_agent.masking.phrases import read_target
from emilie_agent.masking.preview import draw_mask_preview
from emilie_agent.outputs import check_output_dir, check_output_file
from tests.fakes import BoxMasker, make_picture
from tests.fuzz.conftest import fuzz, sandbox, snapshot

# Values of every kind, for arguments that expect one kind.
ODD = [
    None, True, False, 0, 1, -1, 7, 2**64, -(2**70), 10**400, 0.5, -0.0, math.nan, math.inf, -math.inf, 1e308,
    "", " ", "x", "7", "nan", "\x00", "\udcff", "a" * 5000, b"bytes", [], [1, 2], (1,), {}, {"a": 1}, {1, 2},
    object(), np.int64(3), np.float32(np.nan), np.array([1.0]), np.zeros((2, 2)), Path("."), Image.new("RGB", (2, 2)),
    lambda: None, Ellipsis, 3j,
]
odd = st.sampled_from(ODD)


def api_call(figures, surface: str, call):
    """Run ``call``: it may return or raise EmilieError (one line); anything else is counted and fails the test."""
    try:
        result = call()
    except EmilieError as err:
        figures.count(surface, "refused")
        message = str(err)
        assert message.strip() and "\n" not in message, f"{surface}: error message not one line: {message!r}"
        return err
    except Exception as exc:  # noqa: BLE001 - what the test is about
        figures.tracebacks += 1
        figures.examples.append({"surface": surface, "raised": f"{type(exc).__name__}: {exc}"[:300]})
        raise AssertionError(f"{surface}: raw {type(exc).__name__}: {exc}") from exc
    figures.count(surface, "ok")
    return result


@fuzz
@given(values=st.dictionaries(
    st.sampled_from(["steps", "text_scale", "image_scale", "seed", "preserve", "scheduler", "feather",
                     "latent_mode", "bogus"]),
    st.one_of(odd, st.integers(-5, 2000), st.floats(allow_nan=True), st.sampled_from(["pndm", "lms", "ddim", "exact"])),
    max_size=4,
))
def test_settings_accept_or_refuse_in_one_line(values, figures):
    result = api_call(figures, "api EditSettings", lambda: EditSettings(**values))
    if isinstance(result, EditSettings):
        assert 1 <= result.steps <= 1000 and 0 <= result.seed < 2**64
        assert api_call(figures, "api EditSettings.replace", lambda: result.replace(**values)) == result


pictures = st.one_of(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_, np.complex64, object]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
        elements=None,
    ),
    st.tuples(st.sampled_from(["1", "L", "P", "RGB", "RGBA", "I", "F", "I;16", "CMYK", "LA", "YCbCr", "HSV"]),
              st.integers(1, 6), st.integers(1, 6), st.sampled_from([0, 1, 255, 70000, math.nan, math.inf]))
    .map(lambda t: Image.new(t[0], (t[1], t[2]), _fill(t[0], t[3]))),
    st.sampled_from(["in.png", "text.txt", "fifo.png", "dir", "missing.png", "", "nan.tif", "\x00x.png", "empty.png"]),
    odd,
)


def _fill(mode: str, value):
    if mode == "F":
        return float(value)
    if isinstance(value, float):
        return 0
    if mode in ("I", "I;16"):
        return int(value) % 65536
    bands = Image.getmodebands(mode)
    return int(value) % 256 if bands == 1 else (int(value) % 256,) * bands


@fuzz
@given(source=pictures, size=st.one_of(st.tuples(st.integers(-1, 6), st.integers(-1, 6)), odd))
def test_pictures_and_masks_load_or_are_refused(source, size, sandbox_template, figures):
    with sandbox(sandbox_template):
        picture = api_call(figures, "api load_image", lambda: load_image(source))
        if isinstance(picture, Image.Image):
            assert picture.mode == "RGB" and min(picture.size) >= 1
        mask = api_call(figures, "api load_mask", lambda: load_mask(source, size))
        if isinstance(mask, np.ndarray):
            assert mask.dtype == np.float32 and np.isfinite(mask).all() and mask.min() >= 0 and mask.max() <= 1
        api_call(figures, "api draw_mask_preview", lambda: draw_mask_preview(make_picture(6, 5), source))


@fuzz
@given(phrase=st.one_of(st.text(max_size=30), odd, st.lists(st.one_of(st.text(max_size=10), odd), max_size=3)),
       granularity=st.one_of(st.sampled_from(["object", "region", "global"]), odd),
       spread=st.one_of(st.none(), st.floats(allow_nan=True), odd),
       invert=st.one_of(st.booleans(), odd),
       multiple=st.one_of(st.none(), st.booleans(), odd),
       threshold=st.one_of(st.none(), st.floats(-1, 2), odd))
def test_the_masker_answers_or_refuses(phrase, granularity, spread, invert, multiple, threshold, tiny_masker, figures):
    api_call(figures, "api read_target", lambda: read_target(phrase))
    result = api_call(
        figures,
        "api Masker.mask",
        lambda: tiny_masker.mask(make_picture(20, 16), phrase, granularity=granularity, spread=spread, invert=invert,
                                 multiple=multiple, box_threshold=threshold),
    )
    if not isinstance(result, EmilieError):
        assert result.mask.shape == (16, 20) and np.isfinite(result.mask).all()


@fuzz
@given(message=st.one_of(st.text(max_size=60), st.sampled_from([
    "go to turn -1", "go to turn", "show the mask for", "save to", "undo 0", "undo -2", "redo 99999999999999999999",
    "go back to before", "show me the mask of", "jump to step #x", "\x1b[2J undo"])))
def test_messages_are_read_without_raising(message, figures):
    command = api_call(figures, "api parse_command", lambda: parse_command(message))
    assert command is None or isinstance(command, Command)
    if command is not None and command.problem:
        assert "\n" not in command.problem


@pytest.fixture(scope="module")
def agent_session(tiny_editor, tmp_path_factory):
    return EditSession.start(tiny_editor, make_picture(24, 16))


@fuzz
@given(instruction=st.one_of(st.sampled_from(["make it snow", "add a hat"]), st.text(max_size=20), odd),
       mask=st.one_of(st.none(), st.sampled_from(["mask.png", "text.txt", "fifo.png"]), odd,
                      hnp.arrays(np.float32, (16, 24), elements=st.floats(-1, 2, width=32))),
       settings=st.one_of(st.none(), st.just(EditSettings(steps=1)), odd, st.dictionaries(
           st.sampled_from(["steps", "seed", "scheduler"]), st.one_of(st.integers(-1, 3), odd), max_size=2)),
       moves=st.lists(st.tuples(st.sampled_from(["undo", "redo", "checkout", "history", "children"]),
                                st.one_of(st.integers(-3, 5), odd)), max_size=4))
def test_a_session_edits_moves_or_refuses(instruction, mask, settings, moves, agent_session, sandbox_template, figures):
    if isinstance(settings, dict):
        settings = {**settings, "steps": 1} if "steps" not in settings else settings
    if isinstance(settings, EditSettings) or settings is None:
        settings = EditSettings(steps=1)
    session = agent_session
    with sandbox(sandbox_template):
        count = len(session)
        turn = api_call(figures, "api EditSession.edit", lambda: session.edit(instruction, mask=mask, settings=settings))
        if isinstance(turn, EmilieError):
            assert len(session) == count, "a refused edit recorded nothing"
        for name, value in moves:
            api_call(figures, f"api EditSession.{name}", lambda: getattr(session, name)(value))
        api_call(figures, "api EditSession.describe", session.describe)


@fuzz
@given(path=st.one_of(st.sampled_from(["session", "afile", "afile/s", "/proc/s", "", "dir", "fifo.png", "in.png",
                                       "new/s", "\x00", "readonly/s"]), odd))
def test_saving_a_session_never_harms_another(path, agent_session, sandbox_template, figures):
    with sandbox(sandbox_template) as root:
        before = snapshot(root)
        result = api_call(figures, "api EditSession.save", lambda: agent_session.save(path))
        agent_session.close()
        after = snapshot(root)
        changed = [rel for rel, data in before.items() if after.get(rel) != data]
        if any(rel == "session" or rel.startswith("session" + os.sep) for rel in changed):
            figures.data_lost += 1  # another session's folder was written over
        if isinstance(result, EmilieError):
            assert not changed and set(after) == set(before), f"a refused save changed {changed}"
        else:
            target = os.path.relpath(Path(result).resolve(), root.resolve())
            assert target != "session", "saved over another session's folder"
            assert all(rel == target or rel.startswith(target + os.sep) for rel in changed), changed


@fuzz
@given(messages=st.lists(st.one_of(st.sampled_from([
    "make it snow", "make the man red", "undo", "redo", "go to turn -1", "go to turn 0", "show the mask for",
    "show the mask", "show the mask for the man", "save to", "save to afile", "save to /proc/x", "history",
    "go back to before the snow", "go back to before", "start over", "and then", "help", "undo 0", "x" * 300]),
    st.text(max_size=25)), min_size=1, max_size=4))
def test_the_agent_answers_every_message(messages, agent_session, sandbox_template, figures):
    agent = EditingAgent(agent_session, masker=BoxMasker(), settings=EditSettings(steps=1, preserve="exact"))
    with sandbox(sandbox_template):
        for message in messages:
            reply = api_call(figures, "api EditingAgent.handle", lambda: agent.handle(message))
            assert not isinstance(reply, EmilieError), "handle() answers in the reply, it does not raise"
            assert isinstance(reply.text, str)
    agent_session.close()


@fuzz
@given(path=st.one_of(st.text(max_size=20), odd, st.sampled_from(
    ["out.png", "afile/x.png", "/proc/x.png", "dir", "readonly/x.png", "a" * 300, "~nobody/x.png", "fifo.png"])))
def test_output_paths_are_checked_without_writing(path, sandbox_template, figures):
    with sandbox(sandbox_template) as root:
        before = snapshot(root)
        api_call(figures, "api check_output_file", lambda: check_output_file(path))
        api_call(figures, "api check_output_dir", lambda: check_output_dir(path))
        assert snapshot(root) == before, "a check wrote something"


@pytest.fixture(scope="module")
def tools(agent_session):
    pytest.importorskip("langchain_core")
    from emilie_agent.agent.langchain_tools import make_session_tools  # lazy: LangChain is an optional extra

    return {tool.name: tool for tool in make_session_tools(agent_session, masker=BoxMasker(),
                                                           settings=EditSettings(steps=1))}


@fuzz
@given(name=st.sampled_from(["edit_image", "undo", "redo", "show_history", "preview_mask", "save_session"]),
       args=st.dictionaries(st.sampled_from(["instruction", "target", "invert", "granularity", "steps", "path", "x"]),
                            st.one_of(odd, st.text(max_size=10), st.integers(-3, 200)), max_size=3))
def test_langchain_tools_answer_errors_as_text(name, args, tools, sandbox_template, figures):
    with sandbox(sandbox_template):
        answer = api_call(figures, "api LangChain tool", lambda: tools[name].invoke(
            {"type": "tool_call", "id": "1", "name": name, "args": args}))
    assert not isinstance(answer, EmilieError), "a tool answers, it does not raise"
    assert isinstance(answer.content, (str, list))
