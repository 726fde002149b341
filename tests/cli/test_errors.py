"""Bad input on the command line: one line ``emilie-agent: error: ...``, status 1, nothing written, no traceback.

One test per kind of mistake the issue found (and its neighbours); the fuzz suite (tests/fuzz) mixes them.
"""
from __future__ import annotations

import errno
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from emilie_agent.cli.main import main
from emilie_agent.editing.pipeline import EmilieEditor
from emilie_agent.editing.session import EditSession
from tests.fakes import make_picture

FAST = ["--models", "tiny", "--steps", "2", "--quiet", "--device", "cpu"]


def files_under(root) -> dict:
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
        if not path.is_fifo()
    }


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_picture(48, 40).save(tmp_path / "in.png")
    (tmp_path / "afile").write_text("a file, not a folder\n")
    return tmp_path


def fails_cleanly(argv, capsys, root, *, says: str, status: int = 1, stdin: bytes | None = None) -> str:
    """Run ``argv``: status ``status``, one error line saying ``says``, no traceback, ``root`` unchanged."""
    before = files_under(root)
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        rc = main(argv)
    except SystemExit as exit_:
        rc = exit_.code
    finally:
        sys.stdin = sys.__stdin__
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("emilie-agent: error: ")]
    assert rc == status, captured.err
    assert len(errors) == 1, captured.err
    assert says in errors[0], errors[0]  # "" : any message
    assert "Traceback" not in captured.err + captured.out and "internal error" not in errors[0]
    assert files_under(root) == before, "nothing may be written or changed"
    return errors[0]


@pytest.fixture
def no_model_loads(monkeypatch):
    """Fails the test if the editor is loaded: the check must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("the editor was loaded before the check")

    monkeypatch.setattr(EmilieEditor, "from_pretrained", refuse)


# ---------------------------------------------------------------------------------------------- text
def test_an_instruction_that_is_not_utf8_is_refused(workdir, capsys, no_model_loads):
    bad = os.fsdecode(b"make it \xff snow")  # what Python makes of such bytes in argv
    line = fails_cleanly(["edit", "in.png", bad, "-o", "out.png", *FAST], capsys, workdir, says="not valid UTF-8")
    assert "\\xff" in line  # the bad byte is shown, escaped


def test_error_lines_escape_control_characters(workdir, capsys):
    line = fails_cleanly(["edit", "missing\x1b[31m\n.png", "make it snow", "-o", "out.png", *FAST], capsys, workdir,
                         says="not found")
    assert "\x1b" not in line and "\\x1b" in line and "\\n" in line


def test_usage_errors_exit_2_with_one_error_line(workdir, capsys):
    fails_cleanly(["edit", "in.png", "make it snow", "-o", "out.png", "--steps", "x"], capsys, workdir,
                  says="edit: argument --steps: invalid int value", status=2)


# ---------------------------------------------------------------------------------------------- devices and settings
@pytest.mark.parametrize(
    "option, says",
    [
        (["--device", "bogus"], "unknown device 'bogus'"),
        (["--device", "gpu:0"], "unknown device"),
        (["--dtype", "int8"], "unknown dtype 'int8'"),
        (["--dtype", "float64"], "unknown dtype"),
        (["--seed", str(2**64)], "seed must be a whole number from 0 to 18446744073709551615"),
        (["--seed", "99999999999999999999999999"], "seed must be"),
        (["--seed", "-5"], "seed must be"),
        (["--scheduler", "pndm"], "pndm scheduler needs at least 4 steps"),
        (["--scheduler", "bogus"], "unknown scheduler"),
        (["--max-side", "0"], "--max-side 0 is out of range"),
        (["--max-side", "7"], "from 64 to 4096 pixels"),
        (["--max-side", "-5"], "--max-side -5"),
        (["--max-side", "100000"], "out of range"),
        (["--text-scale", "nan"], "text_scale"),
        (["--steps", "0"], "steps must be"),
    ],
)
def test_editor_options_are_checked_before_the_model_loads(option, says, workdir, capsys, no_model_loads):
    fails_cleanly(["edit", "in.png", "make it snow", "-o", "out.png", *FAST, *option], capsys, workdir, says=says)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("verb", ["edit", "mask"])
def test_cuda_without_a_gpu_is_refused(verb, workdir, capsys, no_model_loads):
    argv = (["edit", "in.png", "make it snow", "-o", "out.png", *FAST] if verb == "edit"
            else ["mask", "in.png", "the man", "-o", "m.png", "--models", "tiny"])
    fails_cleanly(argv + ["--device", "cuda"], capsys, workdir, says="no usable CUDA GPU")


def test_mps_where_there_is_none_is_refused(workdir, capsys, no_model_loads):
    if torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    fails_cleanly(["edit", "in.png", "make it snow", "-o", "out.png", *FAST, "--device", "mps"], capsys, workdir,
                  says="MPS is not available")


def test_a_scheduler_whose_package_is_missing_says_to_install_it(workdir, capsys, monkeypatch, no_model_loads):
    import emilie_agent.editing.settings as settings

    monkeypatch.setitem(settings.NEEDS_PACKAGE, "LMSDiscreteScheduler", "no_such_package_here")
    fails_cleanly(["edit", "in.png", "make it snow", "-o", "out.png", *FAST, "--scheduler", "lms"], capsys, workdir,
                  says="pip install no_such_package_here, or choose another scheduler")


def test_pndm_with_enough_steps_runs(workdir, capsys):
    assert main(["edit", "in.png", "make it snow", "-o", "out.png", *FAST, "--scheduler", "pndm", "--steps", "4"]) == 0


# ---------------------------------------------------------------------------------------------- outputs
@pytest.mark.parametrize(
    "output, says",
    [
        ("/proc/x.png", "cannot be written"),
        ("afile/x.png", "afile is a file, not a folder"),
        ("afile/deeper/x.png", "is a file, not a folder"),
        ("", "-o is empty"),
        (" ", "-o is empty"),
        ("a" * 300 + ".png", "name is too long"),
        ("/proc/out", "cannot be written"),
        ("afile", "is a file"),
    ],
)
def test_unwritable_outputs_fail_before_the_model_runs(output, says, workdir, capsys, no_model_loads):
    fails_cleanly(["edit", "in.png", "make it snow", "-o", output, *FAST], capsys, workdir, says=says)


def test_a_read_only_folder_is_refused(workdir, capsys, no_model_loads, monkeypatch):
    (workdir / "ro").mkdir()
    os.chmod(workdir / "ro", 0o555)
    if os.geteuid() == 0:
        # Root writes into read-only folders: the kernel's answer to anyone else is given here instead.
        import emilie_agent.outputs as outputs

        real_open = os.open

        def read_only_open(path, flags, *args, **kwargs):
            if Path(path).parent == Path("ro") and flags & os.O_CREAT:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(outputs.os, "open", read_only_open)
    try:
        fails_cleanly(["edit", "in.png", "make it snow", "-o", "ro/out.png", *FAST], capsys, workdir,
                      says="cannot be written: Permission denied in ro; nothing was done")
    finally:
        os.chmod(workdir / "ro", 0o755)


def test_mask_preview_and_output_must_differ(workdir, capsys, no_model_loads):
    fails_cleanly(["edit", "in.png", "make it snow", "-o", "out.png", "--target", "the man", "--mask-preview",
                   "out.png", *FAST], capsys, workdir, says="name the same file")


def test_a_preview_that_cannot_be_written_writes_no_mask_either(workdir, capsys):
    fails_cleanly(["mask", "in.png", "the man", "--models", "tiny", "--device", "cpu", "--box-threshold", "0",
                   "-o", "m.png", "--preview", "afile/p.png"], capsys, workdir, says="not a folder")


def test_when_a_later_picture_fails_to_write_the_earlier_is_removed(tmp_path, monkeypatch):
    from emilie_agent.outputs import write_pictures

    class Broken:
        def save(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_pictures([(make_picture(8, 8), tmp_path / "new" / "a.png"), (Broken(), tmp_path / "new" / "b.png")])
    assert list(tmp_path.iterdir()) == [], "no file, no temporary file, no folder made for them"


# ---------------------------------------------------------------------------------------------- pictures
def test_a_fifo_as_the_picture_is_refused_without_blocking(workdir, capsys, no_model_loads):
    os.mkfifo(workdir / "pipe.png")
    fails_cleanly(["edit", "pipe.png", "make it snow", "-o", "out.png", *FAST], capsys, workdir, says="FIFO")


@pytest.mark.parametrize("source, says", [("/dev/null", "device"), (".", "folder"), ("", "empty")])
def test_devices_folders_and_empty_names_are_refused(source, says, workdir, capsys, no_model_loads):
    fails_cleanly(["edit", source, "make it snow", "-o", "out.png", *FAST], capsys, workdir, says=says)


def test_a_float_picture_full_of_nan_is_refused(workdir, capsys, no_model_loads):
    Image.fromarray(np.full((20, 24), np.nan, np.float32), "F").save(workdir / "nan.tif")
    fails_cleanly(["edit", "nan.tif", "make it snow", "-o", "out.png", *FAST], capsys, workdir, says="NaN")


# ---------------------------------------------------------------------------------------------- plan first
@pytest.mark.parametrize("request_", ["and then", "the and of", "then, and then"])
def test_a_request_with_no_real_step_fails_before_any_model_loads(request_, workdir, capsys, no_model_loads):
    fails_cleanly(["edit", "in.png", request_, "-o", "out", *FAST], capsys, workdir, says="")
    assert not (workdir / "out").exists()


def test_the_demo_with_no_real_step_writes_nothing(workdir, capsys, no_model_loads):
    fails_cleanly(["demo", "--request", "and then", "-o", "demo", *FAST], capsys, workdir, says="")


def test_a_resumed_session_is_planned_with_its_history_before_the_model_loads(workdir, capsys, tiny_editor,
                                                                             monkeypatch):
    session = EditSession.start(tiny_editor, workdir / "in.png", model="tiny")
    session.save(workdir / "saved")
    session.close()
    monkeypatch.setattr(EmilieEditor, "from_pretrained", lambda *a, **k: pytest.fail("loaded before planning"))
    fails_cleanly(["edit", "in.png", "and then", "-o", "out", "--resume", "saved", *FAST], capsys, workdir, says="")


# ---------------------------------------------------------------------------------------------- chat and plan
def test_chat_echoes_escape_sequences_escaped_and_answers_bad_commands(workdir, capsys, monkeypatch):
    messages = b"\x1b[2J\ngo to turn -1\nshow the mask for\ngo back to before\nmake it \xff snow\nundo 0\nquit\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(messages), encoding="utf-8"))
    assert main(["chat", "in.png", "--session-dir", "s", *FAST]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J" in out
    assert "'-1' is not a turn number" in out
    assert "show the mask for what?" in out and "go back to before what?" in out
    assert "not UTF-8 text" in out and "undo takes a number of edits from 1" in out
    assert "turn #1" not in out, "none of them was taken as an edit"


def test_plan_jsonl_answers_a_line_that_is_not_utf8_in_its_place(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"make it snow\n\xff\xfe\nmake it red\n"),
                                                       encoding="utf-8"))
    assert main(["plan", "--jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and '"not UTF-8 text"' in lines[1] and '"steps": [{' in lines[2]


def test_plan_prints_escapes_not_raw_control_characters(capsys):
    assert main(["plan", "make the \x1b[31mcar red"]) == 0
    assert "\x1b" not in capsys.readouterr().out
