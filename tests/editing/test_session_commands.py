"""Session folders from the command line and the chat: `chat --session-dir`, `edit -o`, "save to DIR".

A folder that holds another session is refused with one line, before any model loads, and left byte for byte
as it was; the explicit --replace-session replaces it (and keeps files that are not a session's).
"""
from __future__ import annotations

import io
import json
import sys

import pytest

from emilie_agent.agent.agent import EditingAgent
from emilie_agent.cli import options
from emilie_agent.cli.main import main
from emilie_agent.editing.session import EditSession
from emilie_agent.editing.settings import EditSettings
from tests.editing.test_session_folders import folder_snapshot
from tests.fakes import BoxMasker, make_picture

FAST = ["--models", "tiny", "--steps", "2", "--quiet", "--device", "cpu"]
SETTINGS = EditSettings(steps=2, seed=0, preserve="exact")


@pytest.fixture
def other_session(tiny_editor, tmp_path):
    """A folder holding some earlier session (given back), plus a file of the user's."""
    folder = tmp_path / "earlier"
    with EditSession.start(tiny_editor, make_picture(seed=3), model="tiny") as session:
        session.edit("make it snow", settings=SETTINGS)
        session.save(folder)
    (folder / "turn-report.pdf").write_bytes(b"%PDF the user's")
    return folder


@pytest.fixture
def no_model_loads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the session folder was checked")

    from emilie_agent.cli import chat, edit

    for module in (options, chat, edit):
        monkeypatch.setattr(module, "load_editor", refuse)


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("emilie-agent: error:"), err
    return err[0]


def test_chat_session_dir_on_another_session_without_resume_is_refused(
    monkeypatch, capsys, image_file, other_session, no_model_loads
):
    before = folder_snapshot(other_session)
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("make it rain\n"))
    assert main(["chat", str(image_file), "--session-dir", str(other_session), *FAST]) == 1
    line = one_error_line(capsys)
    assert "holds another session" in line and f"--resume {other_session}" in line and "--replace-session" in line
    assert folder_snapshot(other_session) == before


def test_chat_replace_session_replaces_it_and_keeps_other_files(monkeypatch, capsys, image_file, other_session):
    old_id = json.loads((other_session / "manifest.json").read_text())["session_id"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("quit\n"))
    assert main(["chat", str(image_file), "--session-dir", str(other_session), "--replace-session", *FAST]) == 0
    replaced = EditSession.load(other_session)
    assert replaced.session_id != old_id and len(replaced) == 1
    assert (other_session / "turn-report.pdf").read_bytes() == b"%PDF the user's"
    assert not list(other_session.glob("turn-0001-*"))  # the earlier session's turn went


def test_chat_with_a_blank_session_dir_is_refused(monkeypatch, capsys, image_file, tmp_path, no_model_loads):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["chat", str(image_file), "--session-dir", " ", *FAST]) == 1
    assert "--session-dir is empty" in one_error_line(capsys)
    assert not (tmp_path / "emilie-sessions").exists()


def test_edit_into_a_folder_whose_session_is_another_is_refused(capsys, image_file, tmp_path, tiny_editor, no_model_loads):
    out = tmp_path / "out"
    with EditSession.start(tiny_editor, make_picture(seed=4)) as earlier:
        earlier.save(out / "session")
    (out / "notes.txt").write_text("mine")
    before = folder_snapshot(out)
    capsys.readouterr()
    assert main(["edit", str(image_file), "make it snow", "-o", str(out), *FAST]) == 1
    line = one_error_line(capsys)
    assert f"{out / 'session'} holds another session" in line and "--replace-session" in line
    assert folder_snapshot(out) == before


def test_edit_resume_into_its_own_folder_and_replace_session(capsys, image_file, tmp_path, tiny_editor):
    out = tmp_path / "out"
    with EditSession.start(tiny_editor, make_picture(seed=4), model="tiny") as earlier:
        earlier.save(out / "session")
        earlier_id = earlier.session_id
    assert main(["edit", str(image_file), "make it snow", "-o", str(out), "--resume", str(out / "session"), *FAST]) == 0
    resumed = EditSession.load(out / "session")
    assert resumed.session_id == earlier_id and len(resumed) == 2
    assert main(["edit", str(image_file), "make it snow", "-o", str(out), "--replace-session", *FAST]) == 0
    assert EditSession.load(out / "session").session_id != earlier_id
    capsys.readouterr()
    assert main(["edit", str(image_file), "make it snow", "-o", str(tmp_path / "o.png"), "--replace-session", *FAST]) == 1
    assert "--replace-session only apply to planned requests" in one_error_line(capsys)


def test_the_save_command_refuses_another_sessions_folder_and_an_empty_path(tiny_editor, picture, other_session, tmp_path):
    agent = EditingAgent(EditSession.start(tiny_editor, picture), masker=BoxMasker(), settings=SETTINGS)
    before = folder_snapshot(other_session)
    reply = agent.handle(f"save to {other_session}")
    assert reply.error is not None and "holds another session" in reply.text and "\n" not in reply.text
    assert folder_snapshot(other_session) == before
    for message in ("save to", "save the session into"):
        reply = agent.handle(message)
        assert reply.error is not None and "say where to save" in reply.text
    assert not (tmp_path / "to").exists() and not (tmp_path / "into").exists()
    with pytest.raises(Exception, match="say where to save"):
        agent.save("")
    reply = agent.handle(f"save to {tmp_path / 'fresh'}")
    assert reply.ok and len(EditSession.load(tmp_path / "fresh")) == 1
    agent.close()
