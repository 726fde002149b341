"""Two "replicas" (two services with leases on one store, in one process): any of them serves any session, one
at a time, and each request sees what the other saved."""
from __future__ import annotations

import threading
import time

import pytest

from emilie_agent.errors import SessionFileError
from emilie_agent.server.calls import ServiceCalls
from emilie_agent.service import EditingService, SessionStore
from emilie_agent.service.lease import SessionBusyError, SessionLeases
from tests.fakes import BoxMasker, make_picture
from tests.server.conftest import FAST, SIZE, png


@pytest.fixture
def replicas(tmp_path, tiny_editor):
    root = tmp_path / "sessions"
    made = []
    for name in ("a", "b"):
        service = EditingService(SessionStore(root), models="tiny", editor=tiny_editor, masker=BoxMasker(),
                                 settings=FAST, idle_seconds=0)
        made.append(ServiceCalls(service, leases=SessionLeases(root, ttl=5, wait=30, holder=name), served_by=name))
    yield made
    for calls in made:
        calls.service.close_all()


def test_requests_alternate_between_replicas_on_one_history(replicas):
    a, b = replicas
    sid = a.open(png(make_picture(*SIZE)))["session_id"]
    assert b.message(sid, "make it snow")["current"]["id"] == 1
    assert a.message(sid, "make it sunny")["current"] == {"id": 2, "parent": 1, "instruction": "make it sunny"}
    assert b.undo(sid)["current"]["id"] == 1
    assert a.message(sid, "make it foggy")["current"] == {"id": 3, "parent": 1, "instruction": "make it foggy"}
    history = b.history(sid)
    assert history["served_by"] == "b" and history["current"] == 3
    assert [(row["id"], row["parent"]) for row in history["turns"]] == [(0, None), (1, 0), (2, 1), (3, 1)]
    assert a.picture(sid, 2) == b.picture(sid, 2)
    assert a.service.in_memory() == [] and b.service.in_memory() == []  # nothing held between requests


def test_two_replicas_on_one_session_at_once_take_turns(replicas):
    a, b = replicas
    sid = a.open(png(make_picture(*SIZE)))["session_id"]
    replies, errors = [], []

    def talk(calls, word):
        try:
            for number in range(3):
                replies.append(calls.message(sid, f"make it {word} {number}"))
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=talk, args=(calls, word)) for calls, word in zip(replicas, ("red", "blue"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(reply["current"]["id"] for reply in replies) == [1, 2, 3, 4, 5, 6]
    rows = a.history(sid)["turns"]
    assert [row["parent"] for row in rows[1:]] == [0, 1, 2, 3, 4, 5]  # one chain: no request lost another's turn


def test_without_leases_a_second_service_is_refused_while_one_holds_the_session(tmp_path, tiny_editor):
    root = tmp_path / "sessions"
    services = [EditingService(SessionStore(root), models="tiny", editor=tiny_editor, masker=BoxMasker(), settings=FAST)
                for _ in range(2)]
    try:
        sid = services[0].open(png(make_picture(*SIZE)))
        with pytest.raises(SessionFileError, match="in use"):
            services[1].message(sid, "make it snow")
    finally:
        for service in services:
            service.close_all()


def test_a_request_waits_until_a_previous_holder_lets_go_of_the_folder(replicas, tmp_path, tiny_editor):
    a, b = replicas
    sid = a.open(png(make_picture(*SIZE)))["session_id"]
    dying = b.service.store.load(sid)  # a replica whose lease expired while its process still holds the folder
    threading.Timer(0.5, dying.close).start()
    started = time.monotonic()
    assert a.message(sid, "make it snow")["current"]["id"] == 1
    assert time.monotonic() - started >= 0.45
    # One that never lets go: after the lease's wait, a busy error (a 409 over HTTP), and nothing written.
    stuck = b.service.store.load(sid)
    impatient = ServiceCalls(a.service, leases=SessionLeases(tmp_path / "sessions", ttl=5, wait=0.3))
    try:
        with pytest.raises(SessionBusyError, match="still held by"):
            impatient.message(sid, "make it sunny")
    finally:
        stuck.close()
    assert [row["id"] for row in a.history(sid)["turns"]] == [0, 1]
