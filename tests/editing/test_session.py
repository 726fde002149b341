"""EditSession: undo, redo, branches, save/load, and that errors leave it exactly as it was."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from emilie_agent.editing.session import EditSession
from emilie_agent.editing.settings import EditSettings
from emilie_agent.editing.storage import FORMAT_VERSION, EditContext
from emilie_agent.errors import EmilieError, InvalidMaskError, InvalidRequestError, SessionFileError

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
    assert loaded.turns[2].settings.preserve == "exact"
    assert loaded.turns[2].settings == session.turns[2].settings and loaded.turns[0].settings is None

    a = session.edit("make it night", settings=settings(4))
    b = loaded.edit("make it night", settings=settings(4))
    assert torch.equal(a.image_latent, b.image_latent)
    assert np.array_equal(pixels(a), pixels(b))


def test_save_is_incremental_and_cleans_only_what_its_previous_manifest_listed(session, tmp_path):
    session.edit("make it snow", settings=settings(1))
    folder = session.save(tmp_path / "s")
    first_files = set(os.listdir(folder))
    (folder / "turn-report.pdf").write_bytes(b"%PDF- the user's own")  # named like a turn file, but not listed
    session.edit("add a hat", settings=settings(2))
    session.save(folder)
    second_files = set(os.listdir(folder))
    assert first_files | {"turn-report.pdf"} < second_files  # old turn files kept as they were, new ones added
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["session_id"] == session.session_id and len(manifest["turns"]) == 3
    assert (folder / "turn-report.pdf").read_bytes() == b"%PDF- the user's own"
    assert not [f for f in os.listdir(folder) if f.endswith(".tmp")]


def test_crash_during_save_keeps_previous_save(session, tmp_path, monkeypatch):
    session.edit("make it snow", settings=settings(1))
    folder = session.save(tmp_path / "s")
    before = (folder / "manifest.json").read_text()
    session.edit("add a hat", settings=settings(2))

    import emilie_agent.editing.storage as storage_module

    real = storage_module.atomic_write

    def crash_on_manifest(path, write, **options):
        if path.name == "manifest.json":
            raise KeyboardInterrupt  # killed right before the manifest is replaced
        return real(path, write, **options)

    monkeypatch.setattr(storage_module, "atomic_write", crash_on_manifest)
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


def test_the_context_of_a_turn_is_typed_and_saved(session, tmp_path, tiny_editor):
    mask = np.zeros((64, 64), np.float32)
    mask[8:40, 8:40] = 1.0
    context = EditContext(request="put a hat on the man", step=1, steps=2, scope="local", target="man",
                          granularity="region", mask_area=0.25, mask_source="masker")
    turn = session.edit("put a hat on the man", mask=mask, settings=settings(1), context=context)
    plain = session.edit("make it snow", settings=settings(2))
    assert turn.context.target == "man" and plain.context == EditContext()
    assert "on 'man'" in turn.describe() and "seed 1" in turn.describe()
    with pytest.raises(Exception, match="colour"):
        EditContext(colour="red")  # a misspelt field is refused, not stored
    session.save(tmp_path / "s")
    loaded = EditSession.load(tmp_path / "s", tiny_editor)
    assert loaded.turns[turn.id].context == context
    assert loaded.turns[plain.id].context == EditContext()


def test_a_version_1_session_folder_still_loads(session, tmp_path, tiny_editor):
    mask = np.zeros((64, 64), np.float32)
    mask[8:40, 8:40] = 1.0
    context = EditContext(request="make the door red", step=1, steps=1, scope="local", target="door", invert=True)
    session.edit("make the door red", mask=mask, settings=settings(1, preserve="exact"), context=context)
    folder = session.save(tmp_path / "s")
    # Rewrite the manifest as version 1 wrote it: {} settings for the root, old settings without latent_mode,
    # and the context as a free-form "info" dict that also held the seed.
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["version"] = 1
    for record in manifest["turns"]:
        context_fields = record.pop("context")
        record["info"] = {} if record["parent"] is None else {**context_fields, "seed": 1}
        if record["settings"] is None:
            record["settings"] = {}
        else:
            record["settings"].pop("latent_mode")
    (folder / "manifest.json").write_text(json.dumps(manifest))

    loaded = EditSession.load(folder, tiny_editor)
    assert snapshot(loaded) == snapshot(session)
    assert loaded.turns[0].settings is None and loaded.turns[0].context == EditContext()
    assert loaded.turns[1].context == context
    assert loaded.turns[1].settings == settings(1, preserve="exact")  # latent_mode: the default, "carry"
    session.close()  # the session that wrote the folder gives it back
    loaded.save(folder)  # saved again in place, it is the current version, with an id
    saved = json.loads((folder / "manifest.json").read_text())
    assert saved["version"] == FORMAT_VERSION and saved["session_id"] == loaded.session_id


def test_latent_mode_says_what_the_next_turn_conditions_on(session, tiny_editor, monkeypatch, tmp_path):
    first = session.edit("make it snow", settings=settings(1))
    seen = []
    real_unet = tiny_editor.unet.forward

    def spy_unet(sample, *args, **kwargs):
        seen.append(sample[:1, 4:].clone())  # the (text, image) branch's conditioning latent
        return real_unet(sample, *args, **kwargs)

    monkeypatch.setattr(tiny_editor.unet, "forward", spy_unet)
    carried = session.edit("add a hat", settings=settings(2, latent_mode="carry"))
    assert torch.equal(seen[0], first.image_latent)  # the paper: z0 / scaling_factor of the turn before
    session.undo()
    seen.clear()
    reencoded = session.edit("add a hat", settings=settings(2, latent_mode="reencode"))
    # The baseline: the turn before's decoded picture, encoded again; not the carried latent.
    assert torch.equal(seen[0], tiny_editor.encode_picture(first.picture))
    assert not torch.equal(seen[0], first.image_latent)
    assert not torch.equal(carried.image_latent, reencoded.image_latent)
    # Each turn records its mode, and keeps it through a save.
    assert (carried.settings.latent_mode, reencoded.settings.latent_mode) == ("carry", "reencode")
    loaded = EditSession.load(session.save(tmp_path / "s"))
    assert loaded.turns[reencoded.id].settings.latent_mode == "reencode"


def test_without_settings_a_turn_uses_the_models_recommended_settings(tiny_model_cache, picture, monkeypatch):
    from emilie_agent.agent.agent import EditingAgent
    from emilie_agent.editing.pipeline import EmilieEditor

    editor = EmilieEditor.from_pretrained("tiny", device="cpu")
    editor.recommended_settings = EditSettings(steps=2, text_scale=3.0, image_scale=1.25)
    session = EditSession.start(editor, picture)
    assert session.edit("make it snow").settings == editor.recommended_settings
    given = EditSettings(steps=1)
    assert session.edit("make it snow", settings=given).settings == given
    agent = EditingAgent(session, masker=lambda: None)
    assert agent.settings == editor.recommended_settings.replace(preserve="exact")
