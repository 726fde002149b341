"""``emilie-agent chat``: piped standard input, commands, autosave, --resume, errors."""
from __future__ import annotations

import io
import os
import subprocess
import sys


from emilie_agent.cli.main import main
from emilie_agent.editing.session import EditSession

FAST = ["--models", "tiny", "--steps", "2", "--quiet", "--device", "cpu"]


def chat(monkeypatch, lines: str, *args) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    return main(["chat", *map(str, args), *FAST])


def test_piped_edit_undo_edit_history_quit_shows_the_branch(monkeypatch, capsys, image_file, tmp_path):
    folder = tmp_path / "session"
    lines = "make it snow\nundo\nmake it sunny\nshow history\nquit\nmake it rain\n"
    assert chat(monkeypatch, lines, image_file, "--session-dir", folder) == 0
    out = capsys.readouterr().out
    assert "you>" not in out  # no prompt when the input is piped
    assert "> make it snow" in out and "> quit" in out
    assert "> make it rain" not in out  # nothing after quit is read
    history = out[out.index("> show history") : out.index("> quit")].splitlines()[1:]
    assert history[0].strip().startswith("#0")
    # Both edits hang off the original picture: two branches, the second one current.
    assert history[1].startswith("    #1 'make it snow'") and history[2].startswith("*   #2 'make it sunny'")
    saved = EditSession.load(folder)
    assert {t.id: t.parent for t in saved.turns.values()} == {0: None, 1: 0, 2: 0}
    assert saved.head == 2
    assert (folder / "current.png").is_file()


def test_end_of_input_ends_the_session_with_status_0_and_resume_continues(monkeypatch, capsys, image_file, tmp_path):
    folder = tmp_path / "session"
    assert chat(monkeypatch, "make it snow\n", image_file, "--session-dir", folder) == 0
    capsys.readouterr()
    assert chat(monkeypatch, "show history\nmake it sunny\n", "--resume", folder) == 0
    out = capsys.readouterr().out
    assert "#1 'make it snow'" in out
    resumed = EditSession.load(folder)  # --resume keeps saving into the folder it resumed
    assert [t.id for t in resumed.history()] == [0, 1, 2]


def test_refused_commands_and_unplannable_messages_do_not_end_the_session(monkeypatch, capsys, image_file, tmp_path):
    lines = "undo\nredo\ngo back to before the dragon\nsave\nmake it snow\n"
    assert chat(monkeypatch, lines, image_file, "--session-dir", tmp_path / "s") == 0
    out = capsys.readouterr().out
    assert "nothing to undo" in out and "nothing to redo" in out and "no edit mentions 'the dragon'" in out
    assert "Saved the session (1 turns)" in out  # "save" with no path saves into the session folder
    assert "1/1 'make it snow'" in out
    assert len(EditSession.load(tmp_path / "s")) == 2


def test_a_bad_picture_is_one_line_and_status_1(monkeypatch, capsys, tmp_path):
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    assert chat(monkeypatch, "make it snow\n", not_image, "--session-dir", tmp_path / "s") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("emilie-agent: error:") and "not an image" in err[0]
    assert not (tmp_path / "s").exists()


def test_chat_with_no_picture_and_no_resume_is_refused(monkeypatch, capsys, tmp_path):
    assert chat(monkeypatch, "", "--session-dir", tmp_path / "s") == 1
    assert "give a picture" in capsys.readouterr().err


def test_a_real_pipe_into_the_installed_command(image_file, tmp_path, tiny_model_cache):
    env = dict(os.environ, EMILIE_CACHE=tiny_model_cache, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-m", "emilie_agent", "chat", str(image_file), "--session-dir", str(tmp_path / "s"), *FAST],
        input="make it snow\nshow history\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "#1 'make it snow'" in result.stdout
    assert EditSession.load(tmp_path / "s").head == 1
