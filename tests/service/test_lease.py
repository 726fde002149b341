"""Per-session leases in a store: one holder at a time, waiting, expiry of a holder that died, renewal."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from emilie_agent.service.lease import LEASES, SessionBusyError, SessionLeases

SID = "a" * 32
ROOT = Path(__file__).resolve().parents[2]


def test_a_lease_is_held_by_one_at_a_time_and_a_waiter_gets_it_when_it_is_given_back(tmp_path):
    first = SessionLeases(tmp_path, ttl=5, wait=0, holder="first")
    second = SessionLeases(tmp_path, ttl=5, wait=5, holder="second")
    lease = first.acquire(SID)
    assert first.held_by(SID)["holder"] == "first"
    with pytest.raises(SessionBusyError, match="being edited by first"):
        SessionLeases(tmp_path, wait=0, holder="third").acquire(SID)
    got = []
    waiter = threading.Thread(target=lambda: got.append(second.acquire(SID)))
    waiter.start()
    time.sleep(0.3)
    assert not got  # still waiting
    lease.release()
    waiter.join(5)
    assert got and second.held_by(SID)["holder"] == "second"
    got[0].release()
    assert first.held_by(SID) is None and not (tmp_path / LEASES / f"{SID}.json").exists()


def test_holders_never_overlap(tmp_path):
    leases = [SessionLeases(tmp_path, ttl=5, wait=30, holder=f"h{i}") for i in range(4)]
    inside, overlaps = [0], []

    def work(book):
        for _ in range(15):
            with book.hold(SID):
                inside[0] += 1
                if inside[0] != 1:
                    overlaps.append(inside[0])
                time.sleep(0.001)
                inside[0] -= 1

    threads = [threading.Thread(target=work, args=(book,)) for book in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert overlaps == []


def test_a_lease_is_renewed_while_held_and_expires_when_its_holder_dies(tmp_path):
    # Held past three ttls: renewal keeps it.
    book = SessionLeases(tmp_path, ttl=0.3, wait=0, holder="alive")
    with book.hold(SID) as lease:
        time.sleep(1.0)
        assert not lease.lost and book.held_by(SID)["holder"] == "alive"
    # A process that takes the lease and is killed: nobody renews it, it expires after the ttl.
    code = (
        "import sys, time; from emilie_agent.service.lease import SessionLeases; "
        f"SessionLeases(sys.argv[1], ttl=1.0, holder='doomed').acquire('{SID}'); print('held', flush=True); "
        "time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert process.stdout.readline().strip() == "held"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
        process.stdout.close()
    assert json.loads((tmp_path / LEASES / f"{SID}.json").read_text())["holder"] == "doomed"
    with pytest.raises(SessionBusyError, match="doomed"):
        SessionLeases(tmp_path, wait=0).acquire(SID)
    start = time.monotonic()
    with SessionLeases(tmp_path, wait=10, holder="next").hold(SID):
        assert time.monotonic() - start < 5
        assert book.held_by(SID)["holder"] == "next"


def test_a_lease_taken_over_after_a_stall_is_reported_lost(tmp_path):
    now = [1000.0]
    slow = SessionLeases(tmp_path, ttl=10, wait=0, holder="slow", clock=lambda: now[0])
    lease = slow.acquire(SID)
    lease._stop.set()  # the holder stalls: no renewal
    lease._renewer.join()
    now[0] += 11
    other = SessionLeases(tmp_path, ttl=10, wait=0, holder="other", clock=lambda: now[0]).acquire(SID)
    assert not slow._write_if(SID, lease.token, renew=True)  # its next renewal finds the lease gone
    slow._remove_if(SID, lease.token)  # and giving it back does not remove the new holder's
    assert slow.held_by(SID)["holder"] == "other"
    other.release()


def test_bad_settings_and_ids_are_refused(tmp_path):
    with pytest.raises(Exception, match="ttl"):
        SessionLeases(tmp_path, ttl=0)
    with pytest.raises(Exception, match="not a session id"):
        SessionLeases(tmp_path).acquire("../etc")
