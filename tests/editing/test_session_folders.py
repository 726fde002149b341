"""Session folders: whose they are, what a save may touch, and what a load accepts.

Every refusal is checked to leave the folder byte for byte as it was (and the session as it was).
"""
from __future__ import annotations

import json
import os
import shutil
import stat

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import emilie_agent.editing.storage as storage
from emilie_agent.editing.lock import LOCK_FILE
from emilie_agent.editing.session import EditSession, Turn
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import EmilieError, InvalidRequestError, SessionFileError

STEPS = 2


def settings(seed=0, **kw):
    return EditSettings(steps=STEPS, seed=seed, **kw)


def folder_snapshot(folder):
    """Every entry under ``folder`` (hidden ones too): bytes of files, targets of links; None if it is absent."""
    if not os.path.lexists(folder):
        return None
    result = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                result[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                result[rel] = "dir"
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as fh:
                    result[rel] = fh.read()
            else:
                result[rel] = ("special", stat.S_IFMT(info.st_mode))
    return result


def session_snapshot(session):
    return (
        session.session_id,
        session.head,
        dict(session._redo_child),
        {i: (t.parent, t.uid, t.instruction, t.image_latent.numpy().tobytes()) for i, t in session.turns.items()},
    )


@pytest.fixture(scope="module")
def saved_template(tiny_editor, tmp_path_factory):
    """A saved session (root, a global edit, a masked edit), given back (no lock), to copy per test."""
    from tests.fakes import make_picture

    session = EditSession.start(tiny_editor, make_picture(), model="tiny")
    session.edit("make it snow", settings=settings(1))
    mask = np.zeros((64, 64), np.float32)
    mask[8:40, 8:40] = 0.5
    session.edit("add a hat", mask=mask, settings=settings(2, preserve="exact"))
    folder = tmp_path_factory.mktemp("template") / "s"
    with session:
        session.save(folder)
    assert not (folder / LOCK_FILE).exists()  # given back: the lock file goes with the lock
    return folder


@pytest.fixture
def saved(saved_template, tmp_path):
    folder = tmp_path / "saved"
    shutil.copytree(saved_template, folder)
    return folder


@pytest.fixture
def session(tiny_editor, picture):
    new = EditSession.start(tiny_editor, picture, model="tiny")
    yield new
    new.close()


def manifest_of(folder):
    return json.loads((folder / "manifest.json").read_text())


def write_manifest(folder, manifest):
    (folder / "manifest.json").write_text(json.dumps(manifest))


# ---------------------------------------------------------------------- identity and refusal
def test_a_session_has_an_id_that_its_folder_keeps(session, saved, tiny_editor, tmp_path):
    assert len(session.session_id) == 32
    session.save(tmp_path / "mine")
    assert manifest_of(tmp_path / "mine")["session_id"] == session.session_id
    loaded = EditSession.load(saved, tiny_editor)
    assert loaded.session_id == manifest_of(saved)["session_id"] != session.session_id
    with pytest.raises(InvalidRequestError, match="32 hex"):
        EditSession(session_id="../../x")


def test_saving_over_another_session_is_refused_and_changes_nothing(session, saved):
    before_folder, before_session = folder_snapshot(saved), session_snapshot(session)
    with pytest.raises(SessionFileError, match="holds another session") as err:
        session.save(saved)
    message = str(err.value)
    assert "\n" not in message and "another" in message and "overwrite=True" in message
    assert folder_snapshot(saved) == before_folder
    assert session_snapshot(session) == before_session and not session.holds(saved)


def test_saving_into_a_folder_of_other_files_is_refused(session, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"my photo")
    before = folder_snapshot(folder)
    with pytest.raises(SessionFileError, match="not empty and holds no session.*holiday.jpg"):
        session.save(folder)
    assert folder_snapshot(folder) == before
    with pytest.raises(SessionFileError, match="not empty"):
        session.claim(folder)
    assert folder_snapshot(folder) == before


def test_overwrite_replaces_the_other_session_but_never_touches_other_files(session, saved, tiny_editor):
    old_files = {t[key] for t in manifest_of(saved)["turns"] for key in ("picture", "tensors", "mask_preview") if t[key]}
    assert old_files < set(os.listdir(saved))
    (saved / "turn-report.pdf").write_bytes(b"%PDF mine")
    session.save(saved, overwrite=True)
    names = set(os.listdir(saved))
    assert not old_files & names  # the replaced session's files went
    assert (saved / "turn-report.pdf").read_bytes() == b"%PDF mine"
    assert EditSession.load(saved, tiny_editor).session_id == session.session_id


def test_a_copy_that_went_its_own_way_is_not_overwritten(saved, tiny_editor, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(saved, copy)
    a = EditSession.load(saved, tiny_editor)
    b = EditSession.load(saved, tiny_editor)  # the same session (same id), loaded twice
    a.edit("make it night", settings=settings(5))
    a.save(copy)  # same id, nothing lost there: allowed
    b.edit("make it rain", settings=settings(6))
    before = folder_snapshot(copy)
    with pytest.raises(SessionFileError, match="in use by another session in this process"):
        b.save(copy)  # a holds the folder
    assert folder_snapshot(copy) == before
    a.close()
    before = folder_snapshot(copy)
    with pytest.raises(SessionFileError, match="1 turn\\(s\\) this one does not have"):
        b.save(copy)  # and a's turn there would be lost
    assert folder_snapshot(copy) == before


@pytest.mark.parametrize("path", ["", "   ", None, 42, b"folder"])
def test_an_empty_or_odd_save_path_is_refused(session, tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    before = folder_snapshot(tmp_path)
    with pytest.raises(InvalidRequestError):
        session.save(path)
    assert folder_snapshot(tmp_path) == before


def test_cleanup_removes_leftovers_of_interrupted_saves_and_nothing_else(saved, tiny_editor):
    leftovers = [".turn-0003-0123456789ab.png.deadbeef.tmp", ".manifest.json.0badcafe.tmp"]
    for name in leftovers:
        (saved / name).write_bytes(b"half written")
    (saved / ".notes.tmp").write_bytes(b"not ours")
    session = EditSession.load(saved, tiny_editor)
    session.edit("make it night", settings=settings(3))
    session.save(saved)
    names = set(os.listdir(saved))
    assert not names & set(leftovers) and ".notes.tmp" in names
    session.close()


def test_the_folder_is_flushed_after_the_manifest_is_renamed(session, tmp_path, monkeypatch):
    import emilie_agent.files as files

    events = []
    real_replace, real_fsync = os.replace, files.fsync_folder
    monkeypatch.setattr(files.os, "replace", lambda a, b: (events.append(("rename", os.path.basename(b))), real_replace(a, b)))
    monkeypatch.setattr(files, "fsync_folder", lambda f: (events.append(("fsync", str(f))), real_fsync(f)))
    monkeypatch.setattr(storage, "fsync_folder", files.fsync_folder)
    folder = session.save(tmp_path / "s")
    manifest_at = events.index(("rename", "manifest.json"))
    assert ("fsync", str(folder)) in events[:manifest_at]  # the turn files' names are on disk first
    assert events[manifest_at + 1] == ("fsync", str(folder))  # and the manifest's right after its rename


def test_a_save_that_fails_halfway_leaves_the_folder_as_it_was(saved, tiny_editor, monkeypatch, tmp_path):
    session = EditSession.load(saved, tiny_editor)
    session.edit("make it night", settings=settings(3))
    session.edit("make it day", settings=settings(4))
    before_folder, before_session = folder_snapshot(saved), session_snapshot(session)
    real = storage.save_file
    calls = []

    def disk_full(tensors, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(tensors, path)

    monkeypatch.setattr(storage, "save_file", disk_full)
    with pytest.raises(SessionFileError, match="No space left"):
        session.save(saved)
    assert folder_snapshot(saved) == before_folder  # the first new turn's files were taken back
    assert session_snapshot(session) == before_session
    with pytest.raises(SessionFileError, match="No space left"):
        calls.clear()
        session.save(tmp_path / "new" / "deeper")
    assert not (tmp_path / "new").exists()  # folders made for a failed first save go too
    monkeypatch.setattr(storage, "save_file", real)
    session.save(saved)
    assert len(EditSession.load(saved)) == 5
    session.close()


def test_an_older_folder_without_an_id_is_its_loaders_own(saved, tiny_editor, session):
    manifest = manifest_of(saved)
    del manifest["session_id"]
    manifest["version"] = 2
    write_manifest(saved, manifest)
    before = folder_snapshot(saved)
    with pytest.raises(SessionFileError, match="another session"):
        session.save(saved)  # not the session that was loaded from it
    assert folder_snapshot(saved) == before
    loaded = EditSession.load(saved, tiny_editor)
    loaded.edit("make it night", settings=settings(3))
    loaded.save(saved)
    assert manifest_of(saved)["session_id"] == loaded.session_id
    loaded.close()


# ---------------------------------------------------------------------- what a load accepts
def _turn(manifest, turn_id):
    return next(t for t in manifest["turns"] if t["id"] == turn_id)


def _set(turn_id, key, value):
    def change(manifest):
        _turn(manifest, turn_id)[key] = value

    return change


def _top(key, value):
    def change(manifest):
        manifest[key] = value

    return change


def _cycle(manifest):
    _turn(manifest, 0)["parent"] = 2  # 0 -> 2 -> 1 -> 0


def _redo_loop(manifest):
    manifest["redo"] = {"1": 1}


def _duplicate(manifest):
    manifest["turns"].append(dict(manifest["turns"][1]))


def _nested(manifest):
    deep = "x"
    for _ in range(40):
        deep = [deep]
    _turn(manifest, 1)["instruction"] = deep


MANIFEST_DAMAGE = [
    (_set(1, "picture", "../outside.png"), "names the file '../outside.png'"),
    (_set(1, "picture", "/etc/passwd"), "names the file '/etc/passwd'"),
    (_set(1, "tensors", "sub/turn.safetensors"), "names the file"),
    (_set(1, "mask_preview", "../../x-mask.png"), "names the file"),
    (_set(1, "uid", "../../evil"), "uid '../../evil' is not 8 to 32 hex"),
    (_set(1, "uid", "ab/cd/ef/01"), "uid"),
    (_set(1, "parent", 1), "its own parent"),
    (_cycle, "cycle"),
    (_set(0, "parent", 7), "parent 7 that is missing"),
    (_set(1, "id", -1), "id"),
    (_top("head", [0]), "head"),
    (_top("head", True), "head"),
    (_top("head", "0"), "head"),
    (_top("head", 9), "no such turn"),
    (_top("redo", "x"), "redo"),
    (_redo_loop, "redo link 1 -> 1"),
    (_top("turns", {"0": 1}), "turns"),
    (_top("session_id", "../../x"), "session_id"),
    (_top("version", "3"), "version"),
    (_top("extra", 1), "extra"),
    (_duplicate, "two turns have the id 1"),
    (_nested, "nested more than"),
]


@pytest.mark.parametrize("damage, message", MANIFEST_DAMAGE)
def test_a_bad_manifest_is_refused_at_load_naming_the_problem(saved, tiny_editor, damage, message):
    manifest = manifest_of(saved)
    damage(manifest)
    write_manifest(saved, manifest)
    before = folder_snapshot(saved)
    with pytest.raises(SessionFileError, match=message.replace("(", "\\(").replace(")", "\\)")) as err:
        EditSession.load(saved, tiny_editor)
    assert "\n" not in str(err.value)
    assert folder_snapshot(saved) == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 200_000 + "]" * 200_000, "corrupt"),
        ('{"format": "emilie-session", "version": 3, "a": ' + "[" * 5000 + "]" * 5000 + "}", "nested"),
        ("\xff\xfe", "corrupt"),
    ],
)
def test_absurd_manifests_are_refused(saved, text, message):
    (saved / "manifest.json").write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff\xfe" else b"\xff\xfe")
    with pytest.raises(SessionFileError, match=message):
        EditSession.load(saved)


def test_an_oversize_manifest_is_refused_before_it_is_read(saved, monkeypatch):
    monkeypatch.setattr(storage, "MAX_MANIFEST_BYTES", 100)
    with pytest.raises(SessionFileError, match="too large"):
        EditSession.load(saved)


def test_links_and_special_files_in_a_folder_are_refused(saved, tmp_path):
    picture = next(saved.glob("turn-0001-*.png"))
    outside = tmp_path / "outside.png"
    shutil.copy(picture, outside)
    picture.unlink()
    picture.symlink_to(outside)
    before = folder_snapshot(saved)
    with pytest.raises(SessionFileError, match="symbolic link"):
        EditSession.load(saved)
    assert folder_snapshot(saved) == before
    picture.unlink()
    os.mkfifo(picture)  # would block a reader forever
    with pytest.raises(SessionFileError, match="not a plain file"):
        EditSession.load(saved)
    picture.unlink()
    shutil.copy(outside, picture)
    manifest = saved / "manifest.json"
    shutil.move(manifest, tmp_path / "manifest.json")
    manifest.symlink_to(tmp_path / "manifest.json")
    with pytest.raises(SessionFileError, match="symbolic link"):
        EditSession.load(saved)


def _tensors(folder, turn_id):
    return next(folder.glob(f"turn-{turn_id:04d}-*.safetensors"))


def _rewrite(turn_id, change):
    def damage(folder):
        path = _tensors(folder, turn_id)
        tensors = load_file(str(path))
        change(tensors)
        save_file(tensors, str(path))

    return damage


TENSOR_DAMAGE = [
    (_rewrite(1, lambda t: t.update(image_latent=t["image_latent"][:, :3].contiguous())), "has 3 channels; this editor takes 4"),
    (_rewrite(1, lambda t: t.update(image_latent=t["image_latent"].repeat(2, 1, 1, 1))), "shape \\[2, 4"),
    (_rewrite(1, lambda t: t.update(image_latent=t["image_latent"][0].contiguous())), "shape \\[4, "),
    (_rewrite(1, lambda t: t["image_latent"].view(-1).__setitem__(5, float("inf"))), "not finite"),
    (_rewrite(1, lambda t: t.update(image_latent=t["image_latent"].to(torch.int32))), "not finite floating-point"),
    (_rewrite(1, lambda t: t.update(extra=torch.zeros(3))), "unexpected tensors \\['extra'\\]"),
    (_rewrite(1, lambda t: t.pop("image_latent")), "no usable latent"),
    (_rewrite(2, lambda t: t["mask"].view(-1).__setitem__(7, float("nan"))), "mask holds values outside"),
    (_rewrite(2, lambda t: t["mask"].mul_(3)), "mask holds values outside"),
    (_rewrite(2, lambda t: t.update(mask=t["mask"][:10].contiguous())), "mask does not match"),
    (_rewrite(2, lambda t: t.update(mask=torch.zeros_like(t["mask"]))), "mask is empty"),
    (_rewrite(0, lambda t: t.update(mask=torch.ones(64, 64))), "original picture"),
]


@pytest.mark.parametrize("damage, message", TENSOR_DAMAGE)
def test_bad_latents_and_masks_are_refused_at_load_not_in_the_unet(saved, tiny_editor, damage, message):
    damage(saved)
    before = folder_snapshot(saved)
    with pytest.raises(SessionFileError, match=message):
        EditSession.load(saved, tiny_editor)
    assert folder_snapshot(saved) == before


def test_without_an_editor_the_turns_must_agree_on_channels(saved):
    _rewrite(1, lambda t: t.update(image_latent=t["image_latent"][:, :3].contiguous()))(saved)
    with pytest.raises(SessionFileError, match="3 channels; the other turns have 4"):
        EditSession.load(saved)


def test_history_can_never_loop(session, tmp_path):
    session.edit("make it snow", settings=settings(1))
    root = session.turns[0]
    session.turns[0] = Turn(id=0, parent=1, picture=root.picture, image_latent=root.image_latent, uid=root.uid)
    with pytest.raises(EmilieError, match="never reach a root"):
        session.history()
    with pytest.raises(SessionFileError, match="cycle"):
        session.save(tmp_path / "loop")  # nor is such a tree ever written
    assert not (tmp_path / "loop").exists()


@pytest.mark.parametrize("uid", ["../../escape", "a/b", "/tmp/abs", "", "ABC-not-hex"])
def test_a_turn_uid_that_is_not_hex_is_never_written(session, tmp_path, uid):
    turn = session.edit("make it snow", settings=settings(1))
    turn.uid = uid
    before = folder_snapshot(tmp_path)
    with pytest.raises(SessionFileError, match="uid"):
        session.save(tmp_path / "s")
    assert folder_snapshot(tmp_path) == before  # nothing inside, nothing outside


# ---------------------------------------------------------------------- moving: counts are whole numbers >= 1
@pytest.mark.parametrize(
    "move",
    [
        lambda s: s.redo(0),
        lambda s: s.redo(-5),
        lambda s: s.undo(0),
        lambda s: s.undo(-1),
        lambda s: s.undo(1.5),
        lambda s: s.redo("2"),
        lambda s: s.undo(True),
        lambda s: s.redo(None),
        lambda s: s.checkout(-1),
        lambda s: s.checkout("1"),
        lambda s: s.checkout(True),
        lambda s: s.checkout(1.0),
        lambda s: s.history(99),
        lambda s: s.history([1]),
        lambda s: s.children({}),
    ],
)
def test_odd_moves_are_clear_errors_and_move_nothing(session, move):
    session.edit("make it snow", settings=settings(1))
    session.undo()
    before = session_snapshot(session)
    with pytest.raises(InvalidRequestError) as err:
        move(session)
    assert "\n" not in str(err.value)
    assert session_snapshot(session) == before


def test_numpy_counts_are_whole_numbers_too(session):
    session.edit("make it snow", settings=settings(1))
    session.edit("add a hat", settings=settings(2))
    assert session.undo(np.int64(2)).id == 0
    assert session.redo(np.int32(2)).id == 2
    assert session.checkout(np.int64(1)).id == 1
