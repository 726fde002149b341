"""N threads on M sessions at once: nothing lost, nothing in the wrong session, and the disk agrees.

Each thread sends its own numbered requests to the sessions in turn, mixing edits with reads and moves. The
sessions leave memory after every request (``idle_seconds=0``, at most two held), so loading from disk races
with requests on other sessions all the time.
"""
from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from tests.service.test_service import assert_same, snapshot

THREADS = 6
SESSIONS = 3
EDITS_PER_THREAD = 4


@pytest.mark.parametrize("eviction", ["held", "evicted every time"])
def test_threads_on_sessions_lose_nothing_and_mix_nothing(make_service, small_picture, eviction):
    options = {"idle_seconds": 0, "max_sessions_in_memory": 2} if eviction == "evicted every time" else {}
    service = make_service(**options)
    ids = [service.open(small_picture) for _ in range(SESSIONS)]
    sent: dict[str, list[str]] = {sid: [] for sid in ids}
    got: dict[str, list[tuple[int, str]]] = {sid: [] for sid in ids}
    errors: list[BaseException] = []
    record = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(number: int) -> None:
        rng = random.Random(number)
        try:
            start.wait(30)
            for i in range(EDITS_PER_THREAD):
                sid = ids[(number + i) % SESSIONS]
                instruction = f"make it look like painting {number} {i}"
                with record:
                    sent[sid].append(instruction)
                reply = service.message(sid, instruction)
                assert reply.ok, reply.text
                (turn,) = reply.turns
                with record:
                    got[sid].append((turn.id, turn.instruction))
                # Reads in between, on any session (these must not disturb the edits).
                other = rng.choice(ids)
                service.history(other)
                service.picture(other)
                service.describe(other)
        except BaseException as err:  # noqa: BLE001 - any failure in a thread fails the test below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    total = 0
    for sid in ids:
        rows = service.history(sid)
        edits = [row for row in rows if row["parent"] is not None]
        # Every request sent to this session is in it exactly once, and nothing else is.
        assert Counter(row["instruction"] for row in edits) == Counter(sent[sid])
        assert sorted(got[sid]) == sorted((row["id"], row["instruction"]) for row in edits)
        # One after another: each edit built on the one before (a single chain, no two with one parent).
        assert [row["parent"] for row in rows] == [None] + [row["id"] for row in rows[:-1]]
        assert rows[-1]["current"]
        total += len(edits)
    assert total == THREADS * EDITS_PER_THREAD

    # What is on disk is what was served: a new service on the same folder reads the same sessions.
    before = {sid: snapshot(service, sid) for sid in ids}
    service.close_all()  # as the end of the process would: the sessions' folder locks go
    restarted = make_service()
    assert sorted(restarted.sessions()) == sorted(ids)
    for sid in ids:
        assert_same(snapshot(restarted, sid), before[sid])


def test_requests_on_one_session_are_served_in_turn(make_service, small_picture):
    service = make_service()
    sid = service.open(small_picture)
    results: list[int] = []
    errors: list[BaseException] = []

    def edit(number: int) -> None:
        try:
            reply = service.message(sid, f"make it look like painting {number}")
            results.extend(turn.id for turn in reply.turns)
            service.undo(sid) if number % 3 == 0 else service.history(sid)
        except BaseException as err:  # noqa: BLE001 - failures are checked below
            errors.append(err)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(results) == list(range(1, 7))  # six turns, ids never reused, none lost
    assert len(service.history(sid)) == 7
