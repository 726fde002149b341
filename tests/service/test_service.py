"""The editing service on the tiny models: sessions by id, requests, moves, restart and idle eviction."""
from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

from emilie_agent.errors import EmilieError, InvalidImageError, InvalidRequestError, SessionFileError
from emilie_agent.service import EditingService, UnknownSessionError
from tests.service.conftest import SIZE


def pixels(picture):
    return np.asarray(picture, dtype=np.int16)


def snapshot(service, sid):
    """Everything a session is: its tree, its current turn, and every turn's picture, mask and latent."""
    rows = service.history(sid)
    turns = {turn.id: turn for turn in service.turns(sid)}
    pictures = {row["id"]: pixels(service.picture(sid, row["id"])) for row in rows}
    return rows, pictures, {i: (t.image_latent.clone(), t.mask) for i, t in turns.items()}


def assert_same(a, b):
    rows_a, pictures_a, tensors_a = a
    rows_b, pictures_b, tensors_b = b
    assert rows_a == rows_b
    assert pictures_a.keys() == pictures_b.keys()
    for key in pictures_a:
        assert np.array_equal(pictures_a[key], pictures_b[key])
    assert tensors_a.keys() == tensors_b.keys()
    for key, (latent, mask) in tensors_a.items():
        assert bool((latent == tensors_b[key][0]).all())
        assert (mask is None) == (tensors_b[key][1] is None)
        if mask is not None:
            assert np.array_equal(mask, tensors_b[key][1])


def test_a_session_is_opened_edited_moved_and_described(service, small_picture):
    sid = service.open(small_picture)
    assert len(sid) == 32 and service.sessions() == [sid]
    reply = service.message(sid, "make it snow, then make the door blue")
    assert reply.ok, reply.text
    assert [turn.id for turn in reply.turns] == [1, 2] and reply.current.id == 2
    assert "turn #2" in reply.text and reply.mask_previews  # the local step's mask preview
    rows = service.history(sid)
    assert [(r["id"], r["parent"], r["scope"], r["target"], r["current"]) for r in rows] == [
        (0, None, "original", None, False),
        (1, 0, "global", None, False),
        (2, 1, "local", "door", True),
    ]
    assert service.picture(sid).size == SIZE

    assert service.undo(sid).id == 1
    assert service.redo(sid).id == 2
    assert service.go_to(sid, 0).id == 0
    assert "* #0 picture" in service.describe(sid)
    assert [turn.id for turn in service.turns(sid)] == [0]
    # A command by message, then an edit that branches off the original.
    assert service.message(sid, "go to turn 2").current.id == 2
    assert service.message(sid, "undo the last two").current.id == 0
    assert service.message(sid, "make it sunny").current.id == 3
    assert [r["id"] for r in service.history(sid) if r["on_path"]] == [0, 3]


def test_edit_with_a_target_is_one_step_and_invert_and_spread_reach_the_mask(service, small_picture):
    sid = service.open(small_picture)
    reply = service.edit(sid, "make it red", target="the door", spread=0.3)
    assert reply.ok and len(reply.turns) == 1
    turn = reply.turns[0]
    assert turn.context.target == "the door" and turn.mask is not None
    assert service.shared_masker.spreads[-1] == 0.3
    reply = service.message(sid, "make the door green", invert=True)
    assert reply.plan.steps[0].invert and reply.plan.steps[0].scope == "local"
    assert service.shared_masker.calls[-1] == ("door", "object", True)
    assert service.shared_masker.spreads[-1] is None  # the spread was for that call only
    assert service.edit(sid, "make it blue", target="man", granularity="region").ok
    assert service.shared_masker.calls[-1] == ("man", "region", False)
    # Without any target, invert cannot mean anything: refused in the reply, nothing edited.
    reply = service.message(sid, "make it snow", invert=True)
    assert not reply.ok and "invert needs a target" in reply.text and reply.current.id == 3


def test_what_a_message_cannot_do_comes_back_in_the_reply(service, small_picture):
    sid = service.open(small_picture)
    reply = service.message(sid, "undo")
    assert not reply.ok and "nothing to undo" in reply.text
    reply = service.message(sid, "save /tmp/somewhere")
    assert not reply.ok and "saved after every change" in reply.text
    assert service.message(sid, "save").ok
    assert "Commands:" in service.message(sid, "help").text


def test_api_mistakes_are_one_line_errors(service, small_picture, tmp_path):
    sid = service.open(small_picture)
    for bad in ("../../etc", "x" * 32, sid + "0", "", None):
        with pytest.raises(InvalidRequestError, match="not a session id"):
            service.history(bad)
    with pytest.raises(UnknownSessionError, match="there is no session"):
        service.message("0" * 32, "make it snow")
    with pytest.raises(EmilieError, match="nothing to undo"):
        service.undo(sid)
    with pytest.raises(EmilieError, match="no turn #7"):
        service.go_to(sid, 7)
    with pytest.raises(InvalidRequestError, match="spread"):
        service.message(sid, "make the door blue", spread=1.5)
    with pytest.raises(InvalidRequestError, match="granularity"):
        service.edit(sid, "make it blue", target="door", granularity="huge")
    with pytest.raises(InvalidRequestError):
        service.message(sid, "   ")
    with pytest.raises(InvalidRequestError, match="steps"):
        service.undo(sid, 0)
    with pytest.raises(InvalidImageError, match="not an image"):
        service.open(b"this is not a picture")
    with pytest.raises(InvalidImageError, match="not found"):
        service.open(tmp_path / "missing.png")
    for error in (InvalidRequestError, UnknownSessionError, InvalidImageError):
        assert all("\n" not in str(e) for e in [error("x")])


def test_open_takes_bytes_and_a_given_id_and_a_second_picture_becomes_a_new_original(service, small_picture):
    buffer = io.BytesIO()
    small_picture.save(buffer, format="PNG")
    sid = service.open(buffer.getvalue())
    assert np.array_equal(pixels(service.picture(sid)), pixels(small_picture))
    service.message(sid, "make it snow")
    other = Image.new("RGB", (40, 30), (20, 200, 20))
    assert service.open(other, session_id=sid) == sid
    rows = service.history(sid)
    assert [(r["id"], r["parent"]) for r in rows] == [(0, None), (1, 0), (2, None)]
    assert service.current(sid).id == 2 and service.picture(sid).size == (40, 30)
    chosen = "a" * 32
    assert service.open(small_picture, session_id=chosen) == chosen and service.exists(chosen)


def test_plan_alone_and_with_a_session_history(service, small_picture):
    plan = service.plan("make it winter, then remove the car")
    assert [s.scope for s in plan.steps] == ["global", "local"]
    sid = service.open(small_picture)
    service.message(sid, "put a hat on the man")
    plan = service.plan("make it bigger", session_id=sid)
    assert plan.steps[0].target == "hat"
    assert service.history(sid)[-1]["id"] == 1  # planning edits nothing


def test_preview_mask_records_nothing(service, small_picture):
    sid = service.open(small_picture)
    preview, result = service.preview_mask(sid, "the door", spread=0.5)
    assert preview.size == SIZE and result.found and result.mask.shape == (SIZE[1], SIZE[0])
    _, inverted = service.preview_mask(sid, "the door", invert=True, granularity="object")
    assert inverted.invert
    assert len(service.history(sid)) == 1


def test_the_tiny_masker_end_to_end(make_service, small_picture):
    service = make_service(masker="tiny")
    sid = service.open(small_picture)
    reply = service.message(sid, "make it snow, then make the door blue")
    assert reply.ok and [r.status for r in reply.steps] == ["done", "done"]
    preview, result = service.preview_mask(sid, "the door")
    assert result.found and preview.size == SIZE


def test_a_restart_loses_nothing(make_service, small_picture):
    first = make_service()
    sid = first.open(small_picture)
    first.message(sid, "make it snow, then make the door blue")
    first.undo(sid)
    first.message(sid, "make it sunny")
    before = snapshot(first, sid)
    # While the first service holds the session, nobody else may write it (here or in another process).
    other = make_service()
    with pytest.raises(SessionFileError, match="in use"):
        other.message(sid, "make it blue")
    first.close_all()  # what the end of its process does

    again = make_service()  # a new process on the same folder
    assert again.sessions() == [sid] and again.in_memory() == []
    assert_same(snapshot(again, sid), before)
    reply = again.message(sid, "make it blue")
    assert reply.turns[0].id == 4 and reply.turns[0].parent == 3


def test_idle_sessions_leave_memory_and_come_back_identical(make_service, small_picture):
    now = [0.0]
    service = make_service(idle_seconds=60, clock=lambda: now[0])
    sid = service.open(small_picture)
    service.message(sid, "make it snow, then make the door blue")
    before = snapshot(service, sid)
    assert service.in_memory() == [sid] and service.evict_idle() == []
    now[0] += 61
    assert service.evict_idle() == [sid] and service.in_memory() == []
    assert_same(snapshot(service, sid), before)
    assert service.in_memory() == [sid]
    assert service.undo(sid).id == 1


def test_the_least_recently_used_sessions_leave_memory_beyond_the_limit(make_service, small_picture):
    now = [0.0]
    service = make_service(max_sessions_in_memory=2, clock=lambda: now[0])
    ids = []
    for _ in range(3):
        now[0] += 1
        ids.append(service.open(small_picture))
    assert sorted(service.in_memory()) == sorted(ids[1:])
    now[0] += 1
    service.history(ids[0])
    assert sorted(service.in_memory()) == sorted([ids[0], ids[2]])


def test_a_session_in_use_is_not_evicted(make_service, small_picture):
    now = [0.0]
    service = make_service(idle_seconds=0, clock=lambda: now[0])
    sid = service.open(small_picture)
    inside, release = threading.Event(), threading.Event()

    def progress(label):
        def callback(done, total):
            inside.set()
            release.wait(10)

        return callback

    worker = threading.Thread(target=service.message, args=(sid, "make it snow"), kwargs={"progress": progress})
    worker.start()
    try:
        assert inside.wait(30)
        now[0] += 100
        assert service.evict_idle() == [] and service.in_memory() == [sid]
    finally:
        release.set()
        worker.join(30)
    assert [r["id"] for r in service.history(sid)] == [0, 1]


def test_another_session_is_served_while_one_is_inside_a_model_call(service, small_picture):
    busy, free = service.open(small_picture), service.open(small_picture)
    inside, answered = threading.Event(), threading.Event()
    results = {}

    def progress(label):
        def callback(done, total):
            inside.set()
            results["waited"] = answered.wait(20)

        return callback

    worker = threading.Thread(target=service.message, args=(busy, "make it snow"), kwargs={"progress": progress})
    worker.start()
    try:
        assert inside.wait(30)
        # The busy session is inside the editor; the other one's reads and moves need no model.
        assert service.history(free)[0]["id"] == 0
        assert service.describe(free).startswith("*")
        assert service.picture(free).size == SIZE
        assert service.plan("make it winter").steps
        answered.set()
    finally:
        answered.set()
        worker.join(30)
    assert results["waited"] is True


def test_export_and_import_copy_a_session_under_a_new_id(service, small_picture, tmp_path):
    sid = service.open(small_picture)
    service.message(sid, "make it snow, then make the door blue")
    data = service.export(sid)
    copy = service.import_(data)
    assert copy != sid
    assert_same(snapshot(service, copy), snapshot(service, sid))
    # A copy elsewhere: a folder, or a zip; both load back.
    folder = service.save_to(sid, tmp_path / "elsewhere")
    zipped = service.save_to(sid, tmp_path / "out" / "session.zip")
    for source in (folder, zipped):
        assert_same(snapshot(service, service.import_(source)), snapshot(service, sid))


def test_a_service_makes_its_models_only_when_needed(tmp_path):
    service = EditingService(tmp_path / "s", models="tiny", device="cpu")
    assert service.plan("make it snow").steps  # the planner alone: no model loads
    assert service._editor is None and service._masker is None


def test_the_speed_options_reach_the_editor_the_service_loads(tmp_path, tiny_model_cache):
    import torch

    from emilie_agent.service import SessionStore

    plain = EditingService(SessionStore(tmp_path / "a"), models="tiny", device="cpu")
    fast = EditingService(SessionStore(tmp_path / "b"), models="tiny", device="cpu",
                          speed={"channels_last": True, "vae_tiling": True})
    weight = fast.editor().unet.conv_in.weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    assert fast.editor().vae.use_tiling
    assert plain.editor().unet.conv_in.weight.is_contiguous() and not plain.editor().vae.use_tiling
    with pytest.raises(InvalidRequestError, match="leave out --offload"):
        EditingService(SessionStore(tmp_path / "c"), models="tiny", device="cpu", speed={"offload": "model"}).editor()
