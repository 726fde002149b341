"""EditSession: undo, redo, branches, save/load, and that errors leave it exactly as it was."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from emilie_agent.editing.editor import EditSettings
from emilie_agent.errors import EmilieError, InvalidMaskError, InvalidRequestError, SessionFileError
from emilie_agent.editing.session import EditSession

STEPS = 3


def settings(seed=0, **kw):
    return EditSettings(steps=STEPS, seed=seed, **kw)


def pixels(turn):
    return np.asarray(turn.picture)


def snapshot(session):
    """Everything that identifies a session's state."""
    return (
        session.head,
        dict(session._redo_child),
        {i: (t.parent, t.instruction, pixels(t).tobytes(), t.image_latent.numpy().tobytes()) for i, t in session.turns.items()},
    )


@pytest.fixture
def session(tiny_editor, picture):
    return EditSession.start(tiny_editor, picture, model="tiny")


def test_root_turn_is_the_encoded_picture(session, picture):
    root = session.current
    assert root.is_root and root.parent is None
    assert np.array_equal(pixels(root), np.asarray(picture))
    assert root.image_latent.device.type == "cpu" and root.image_latent.shape == (1, 4, 32, 32)


def test_undo_redo_restore_exact_latents_and_pictures(session):
    t1 = session.edit("make it snow", settings=settings(1))
    t2 = session.edit("add a hat", settings=settings(2))
    assert session.undo() is t1
    assert session.undo() is session.turns[0]
    with pytest.raises(EmilieError, match="nothing to undo"):
        session.undo()
    assert session.head == 0  # a refused undo moves nothing
    session.redo()
    session.redo()
    assert session.current is t2
    with pytest.raises(EmilieError, match="nothing to redo"):
        session.redo()
    # Re-running from the restored state reproduces the turn bit for bit.
    session.undo()
    again = session.edit("add a hat", settings=settings(2))
    assert torch.equal(again.image_latent, t2.image_latent)
    assert np.array_equal(pixels(again), pixels(t2))


def test_editing_after_undo_starts_a_branch_and_keeps_the_old(session):
    t1 = session.edit("make it snow", settings=settings(1))
    t2 = session.edit("add a hat", settings=settings(2))
    session.undo()
    t3 = session.edit("add a scarf", settings=settings(3))
    assert t3.parent == t1.id and t2.id in session.turns
    assert session.branches() == [t2.id, t3.id]
    assert [t.id for t in session.history()] == [0, t1.id, t3.id]
    tree = session.describe()
    assert "'add a hat'" in tree and "'add a scarf'" in tree and tree.count("*") == 1
    # Check the old branch out again: redo now follows it.
    session.checkout(t2.id)
    session.undo()
    assert session.redo() is t2


def test_multi_step_undo(session):
    for i in range(3):
        session.edit(f"edit {i}", settings=settings(i))
    assert session.undo(2).id == 1
    with pytest.raises(EmilieError):
        session.undo(5)
    assert session.head == 1


def test_save_load_continue_equals_never_saving(session, tmp_path, tiny_editor):
    session.edit("make it snow", settings=settings(1))
    mask = np.zeros((64, 64), np.float32)
    mask[10:40, 20:50] = 0.75  # soft mask: must survive the round trip exactly
    session.edit("add a hat", mask=mask, settings=settings(2, preserve="exact"))
    session.undo()
    session.edit("add a scarf", settings=settings(3))
    session.save(tmp_path / "s")

    loaded = EditSession.load(tmp_path / "s", tiny_editor)
    assert snapshot(loaded) == snapshot(session)
    assert np.array_equal(loaded.turns[2].mask, session.turns[2].mask)
    assert loaded.turns[2].settings["preserve"] == "exact"

    a = session.edit("make it night", settings=settings(4))
    b = loaded.edit("make it night", settings=settings(4))
    assert torch.equal(a.image_latent, b.image_latent)
    assert np.array_equal(pixels(a), pixels(b))


def test_save_is_incremental_and_cleans_unused_files(session, tmp_path):
    session.edit("make it snow", settings=settings(1))
    folder = session.save(tmp_path / "s")
    first_files = set(os.listdir(folder))
    session.edit("add a hat", settings=settings(2))
    session.save(folder)
    second_files = set(os.listdir(folder))
    assert first_files < second_files  # old turn files kept as they were, new ones added
    other = EditSession.start(session.editor, session.turns[0].picture)
    other.save(folder)  # a different session saved over it: the first one's files go
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["turns"]) == 1
    assert len([f for f in os.listdir(folder) if f.startswith("turn-")]) == 2  # png + safetensors
    assert not [f for f in os.listdir(folder) if f.endswith(".tmp")]


def test_crash_during_save_keeps_previous_save(session, tmp_path, monkeypatch):
    session.edit("make it snow", settings=settings(1))
    folder = session.save(tmp_path / "s")
    before = (folder / "manifest.json").read_text()
    session.edit("add a hat", settings=settings(2))

    import emilie_agent.editing.session as session_module

    real = session_module.atomic_write

    def crash_on_manifest(path, write):
        if path.name == "manifest.json":
            raise KeyboardInterrupt  # killed right before the manifest is replaced
        return real(path, write)

    monkeypatch.setattr(session_module, "atomic_write", crash_on_manifest)
    with pytest.raises(KeyboardInterrupt):
        session.save(folder)
    assert (folder / "manifest.json").read_text() == before
    restored = EditSession.load(folder)
    assert len(restored) == 2 and restored.head == 1


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: (f / "manifest.json").write_text("{not json"), "corrupt"),
        (lambda f: (f / "manifest.json").unlink(), "not a saved session"),
        (lambda f: (f / "manifest.json").write_text(json.dumps({"format": "emilie-session", "version": 99})), "version"),
        (lambda f: (f / "manifest.json").write_text(json.dumps({"format": "emilie-session", "version": 1})), "malformed"),
        (lambda f: next(f.glob("turn-0001-*.png")).unlink(), "missing"),
        (lambda f: next(f.glob("turn-0001-*.png")).write_bytes(b"not a png"), "unreadable"),
        (lambda f: next(f.glob("turn-0001-*.safetensors")).write_bytes(b"\x00" * 20), "unreadable"),
    ],
)
def test_corrupt_session_folder_is_a_clear_error(session, tmp_path, damage, message):
    session.edit("make it snow", settings=settings(1))
    folder = session.save(tmp_path / "s")
    damage(folder)
    with pytest.raises(SessionFileError, match=message):
        EditSession.load(folder)


def test_nan_latent_in_file_is_refused(session, tmp_path):
    from safetensors.torch import save_file

    session.edit("make it snow", settings=settings(1))
    folder = session.save(tmp_path / "s")
    path = next(folder.glob("turn-0001-*.safetensors"))
    save_file({"image_latent": torch.full((1, 4, 32, 32), float("nan"))}, str(path))
    with pytest.raises(SessionFileError, match="no usable latent"):
        EditSession.load(folder)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda s: s.edit(""), InvalidRequestError),
        (lambda s: s.edit("add a hat", mask=np.ones((5, 5), np.float32)), InvalidMaskError),
        (lambda s: s.edit("add a hat", mask="/no/such/mask.png"), InvalidMaskError),
        (lambda s: s.edit("add a hat", settings=EditSettings(steps=-1)), InvalidRequestError),
        (lambda s: s.checkout(42), EmilieError),
    ],
)
def test_errors_leave_the_session_unchanged(session, call, error):
    session.edit("make it snow", settings=settings(1))
    before = snapshot(session)
    with pytest.raises(error):
        call(session)
    assert snapshot(session) == before


def test_interrupted_edit_records_nothing(session):
    session.edit("make it snow", settings=settings(1))
    before = snapshot(session)

    def interrupt(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        session.edit("add a hat", settings=settings(2), callback=interrupt)
    assert snapshot(session) == before


def test_history_lives_on_the_cpu_and_pictures_keep_size(session):
    for i in range(3):
        turn = session.edit(f"edit {i}", settings=settings(i))
        assert turn.image_latent.device.type == "cpu"
        assert turn.picture.size == session.turns[0].picture.size
