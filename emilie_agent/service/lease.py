"""Per-session leases in a session store, so that two processes (two Ray Serve replicas, two servers behind a
load balancer) never edit one session at once, and a process that dies lets go of its sessions by itself.

A lease is the file ``ROOT/.leases/ID.json``: who holds it and until when (wall-clock seconds since the epoch,
so the machines sharing a store need synchronised clocks). A request takes the session's lease, loads the
session from the store, does its work, saves, lets the session go and gives the lease back. While it works, a
thread renews the lease every ``ttl / 3`` seconds, so a long edit keeps it. When the holder dies (a replica
killed mid-step), nobody renews it: it expires ``ttl`` seconds later and the next request takes it. Whatever
that holder had not saved is lost (at most the step in progress: the session is saved after every step, and a
save replaces the manifest last, so the folder always loads).

Reading and writing a lease file happens under an ``fcntl.flock`` on ``ROOT/.leases/ID.guard``, held for
those few microseconds only: that makes "is it free? then it is mine" one step. ``flock`` works across processes
on one machine and on NFS v4. Sessions in object storage on Ray use leases kept by a Ray actor instead
(:mod:`emilie_agent.server.ray_leases`).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: not supported (POSIX only, like the session folder locks)
    fcntl = None  # type: ignore[assignment]

from .store import check_id
from ..errors import SessionFileError
from ..files import atomic_write

LEASES = ".leases"
DEFAULT_TTL = 30.0
DEFAULT_WAIT = 60.0


class SessionBusyError(SessionFileError):
    """Another process held the session's lease for longer than a request waits."""


class Lease:
    """A held lease: renewed on a thread until :meth:`release`. ``lost`` is set when a renewal found it taken
    (the holder stalled for longer than the ttl)."""

    def __init__(self, leases: "SessionLeases", session_id: str, token: str):
        self.leases = leases
        self.session_id = session_id
        self.token = token
        self.lost = False
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew, name=f"emilie-lease-{session_id[:8]}", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.leases.ttl / 3):
            if not self.leases._write_if(self.session_id, self.token, renew=True):
                self.lost = True
                return

    def release(self) -> None:
        """Give the lease back (the file goes). Safe to call twice."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._renewer.join()
        self.leases._remove_if(self.session_id, self.token)


class SessionLeases:
    """The leases of the sessions in the store at ``root``.

    ``ttl``: how long a lease lasts without renewal (seconds); ``wait``: how long :meth:`acquire` waits for a
    held lease before a :class:`SessionBusyError`; ``holder``: how this process is named in the lease (and in
    that error); ``clock``: wall-clock seconds (tests give their own).
    """

    def __init__(
        self,
        root: str | os.PathLike | None,
        *,
        ttl: float = DEFAULT_TTL,
        wait: float = DEFAULT_WAIT,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
    ):
        if not ttl > 0:
            raise SessionFileError(f"a lease's ttl must be above 0 seconds, not {ttl}")
        if wait < 0:
            raise SessionFileError(f"the wait for a lease cannot be negative ({wait})")
        # None: a subclass keeps the leases elsewhere (emilie_agent.server.ray_leases: in a Ray actor).
        self.folder = None if root is None else Path(root).expanduser().resolve() / LEASES
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.ttl = float(ttl)
        self.wait = float(wait)
        self.holder = holder or f"process {os.getpid()} on {socket.gethostname()}"
        self.clock = clock

    @contextmanager
    def hold(self, session_id: str) -> Iterator[Lease]:
        """The session's lease for the duration of a ``with`` block."""
        lease = self.acquire(session_id)
        try:
            yield lease
        finally:
            lease.release()

    def acquire(self, session_id: str) -> Lease:
        """Take the session's lease, waiting up to ``wait`` seconds while someone else holds it."""
        sid = check_id(session_id)
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait
        pause = 0.02
        while True:
            if self._write_if(sid, token, renew=False):
                return Lease(self, sid, token)
            if time.monotonic() >= deadline:
                held = self.held_by(sid) or {}
                raise SessionBusyError(
                    f"session {sid} is being edited by {held.get('holder', 'another process')}; "
                    f"try again when that request has finished (waited {self.wait:g} s)"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    def held_by(self, session_id: str) -> dict | None:
        """The lease on a session (``holder``, ``expires``, ``token``) while it is held, else None."""
        sid = check_id(session_id)
        with self._guard(sid):
            current = self._read(sid)
        if current is None or current["expires"] <= self.clock():
            return None
        return current

    # ------------------------------------------------------------------ internals
    def _path(self, sid: str) -> Path:
        return self.folder / f"{sid}.json"

    @contextmanager
    def _guard(self, sid: str) -> Iterator[None]:
        fd = os.open(self.folder / f"{sid}.guard", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # held while one lease file is read and written: microseconds
            yield
        finally:
            os.close(fd)  # closing lets go of the flock

    def _read(self, sid: str) -> dict | None:
        try:
            data = json.loads(self._path(sid).read_text(encoding="utf-8"))
            return {"holder": str(data["holder"]), "expires": float(data["expires"]), "token": str(data["token"])}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged lease file holds nothing (leases are written atomically: it is not ours)

    def _write_if(self, sid: str, token: str, *, renew: bool) -> bool:
        """Write our lease when it is free or expired (``renew``: only while it is still ours); whether we did."""
        with self._guard(sid):
            current = self._read(sid)
            now = self.clock()
            if renew:
                if current is None or current["token"] != token:
                    return False
            elif current is not None and current["token"] != token and current["expires"] > now:
                return False
            record = {"holder": self.holder, "expires": now + self.ttl, "token": token}
            atomic_write(self._path(sid), lambda p: p.write_text(json.dumps(record), encoding="utf-8"), sync_folder=False)
            return True

    def _remove_if(self, sid: str, token: str) -> None:
        with self._guard(sid):
            current = self._read(sid)
            if current is not None and current["token"] == token:
                self._path(sid).unlink(missing_ok=True)
