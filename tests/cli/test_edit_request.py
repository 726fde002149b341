"""``emilie-agent edit IMAGE "request" -o OUT_DIR`` end to end on the tiny models (real masker included)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from emilie_agent.agent.request import write_contact_sheet
from emilie_agent.cli import options
from emilie_agent.cli.main import main
from emilie_agent.cli.progress import ProgressBar
from emilie_agent.editing.session import EditSession
from tests.fakes import make_picture

FAST = ["--models", "tiny", "--steps", "2", "--quiet", "--device", "cpu"]
FIND_ANYTHING = ["--box-threshold", "0", "--text-threshold", "0"]  # random tiny weights score low
FIND_NOTHING = ["--box-threshold", "1"]
THREE_STEPS = "make it look like winter, then make the door blue and make everything except the man black and white"
SIZE = (48, 40)


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "in.png"
    make_picture(*SIZE).save(path)
    return path


def edit(image, request, out, *extra) -> int:
    return main(["edit", str(image), request, "-o", str(out), *FAST, *map(str, extra)])


def test_three_step_request_writes_turns_masks_sheet_and_a_session_that_resumes(image_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert edit(image_file, THREE_STEPS, out, *FIND_ANYTHING) == 0
    stdout = capsys.readouterr().out.splitlines()
    # The plan comes first, then one line per finished step.
    assert stdout[0].startswith("Plan for") and stdout[1].startswith("  1. make it look like winter")
    assert [line[:4] for line in stdout[4:7]] == ["1/3 ", "2/3 ", "3/3 "]
    assert "on the whole picture" in stdout[4] and "on 'door'" in stdout[5] and "everything except 'man'" in stdout[6]

    for name in ["turn-00.png", "turn-01.png", "turn-02.png", "turn-03.png", "turn-02-mask.png", "turn-03-mask.png"]:
        assert Image.open(out / name).size == SIZE, name
    assert not (out / "turn-01-mask.png").exists()  # the global step has no mask
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width > 4 * sheet.height // 2  # four turns side by side
    assert len(json.loads((out / "plan.json").read_text())["steps"]) == 3

    session = EditSession.load(out / "session")
    turns = session.history()
    assert [t.id for t in turns] == [0, 1, 2, 3]
    # The sheet shows exactly those four turns: the sheet of the saved session's history, pixel for pixel.
    assert write_contact_sheet(session, tmp_path / "expected.png") == 4
    assert np.array_equal(np.asarray(sheet), np.asarray(Image.open(tmp_path / "expected.png")))
    assert [(t.context.scope, t.context.target, t.context.invert) for t in turns[1:]] == [
        ("global", None, False),
        ("local", "door", False),
        ("local", "man", True),
    ]
    assert turns[1].mask is None and turns[2].mask is not None
    assert [t.context.granularity for t in turns[1:]] == ["global", "object", "object"]
    assert all(t.picture.size == SIZE for t in turns)
    # The inverted step's mask is the masker's mask for "man" on the picture it edited, inverted.
    from emilie_agent.masking.masker import Masker

    masker = Masker.from_pretrained("tiny", "tiny", device="cpu", box_threshold=0.0, text_threshold=0.0)
    man = masker.mask(turns[2].picture, "man", granularity="object")
    assert np.allclose(turns[3].mask, 1.0 - man.mask, atol=1e-6)

    more = tmp_path / "more"
    assert edit(image_file, "make it sunny", more, "--resume", out / "session") == 0
    resumed = EditSession.load(more / "session")
    assert [t.id for t in resumed.history()] == [0, 1, 2, 3, 4]
    assert resumed.current.parent == 3 and (more / "turn-04.png").is_file()


def test_interrupt_during_the_second_step_leaves_exactly_the_first_turn(image_file, tmp_path, monkeypatch, capsys):
    class InterruptingBar(ProgressBar):
        def __call__(self, done, total):
            if self.label.startswith("step 2/"):
                raise KeyboardInterrupt

    monkeypatch.setattr(options, "ProgressBar", InterruptingBar)  # the bar each step of a planned request gets
    out = tmp_path / "out"
    assert edit(image_file, "make it snow, then make it foggy, then make it look like a painting", out) == 130
    assert "holds the 1 step(s) finished before it" in capsys.readouterr().err
    session = EditSession.load(out / "session")
    assert sorted(session.turns) == [0, 1] and session.current.instruction == "make it snow"
    assert (out / "turn-01.png").is_file() and not (out / "turn-02.png").exists()
    assert (out / "contact_sheet.png").is_file()


def test_target_not_found_is_skipped_or_stops_the_request(image_file, tmp_path, capsys):
    request = "make it snow, then make the door blue"
    assert edit(image_file, request, tmp_path / "skip", *FIND_NOTHING) == 0
    assert "2/2 'make the door blue': skipped: found nothing matching 'door'" in capsys.readouterr().out
    assert len(EditSession.load(tmp_path / "skip" / "session")) == 2

    assert edit(image_file, request, tmp_path / "stop", *FIND_NOTHING, "--on-missing", "stop") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "emilie-agent: error: step 2: found nothing matching 'door'"
    assert sorted(EditSession.load(tmp_path / "stop" / "session").turns) == [0, 1]


def test_a_missing_masker_model_keeps_the_finished_steps(image_file, tmp_path, capsys):
    out = tmp_path / "out"
    code = edit(image_file, "make it snow, then make the door blue", out, "--detector", tmp_path / "no-such-model")
    assert code == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("emilie-agent: error:")
    assert sorted(EditSession.load(out / "session").turns) == [0, 1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["{bad}", "make it snow"], "not an image"),
        (["{image}", "   "], "request is empty"),
        (["{image}", "make it snow", "--models", "{missing}"], "error:"),
        (["{image}", "make it snow", "--planner", "llm"], "needs a chat model"),
        (["{image}", "make it snow", "--resume", "{missing}"], "not a saved session"),
        (["{image}", "make the man red", "--target", "man"], "--target: only for one edit (-o OUT.png)"),
    ],
)
def test_errors_are_one_line_and_leave_no_half_written_output(image_file, tmp_path, capsys, args, message):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    values = {"bad": bad, "image": image_file, "missing": tmp_path / "missing"}
    argv = [a.format(**values) for a in args]
    out = tmp_path / "out"
    assert main(["edit", argv[0], argv[1], "-o", str(out), *FAST, *argv[2:]]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("emilie-agent: error:") and message in err[0]
    assert not (out / "session").exists()
