"""The editing service's calls with plain data in and out (strings, numbers, bytes, dicts): what the HTTP API
needs, in the form that crosses a process boundary (a Ray Serve deployment returns these as they are).

With ``leases`` (:class:`~emilie_agent.service.lease.SessionLeases` on the same store) every call on a session
takes the session's lease first and lets the session leave memory before giving the lease back: the next
request on it, wherever it lands, reads it from the store. That is how several replicas share one store.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from .records import png_bytes, reply_record, turn_record
from ..editing.lock import is_locked
from ..errors import InvalidRequestError
from ..service.lease import SessionBusyError
from ..service.store import check_id

if TYPE_CHECKING:  # pragma: no cover
    from ..service import EditingService
    from ..service.lease import SessionLeases


class ServiceCalls:
    """:class:`EditingService` calls returning plain data; ``served_by`` (a replica's name) is added to every
    JSON answer when given, so that a client (and the tests) can see where a request ran."""

    def __init__(self, service: "EditingService", *, leases: "SessionLeases | None" = None, served_by: str | None = None):
        self.service = service
        self.leases = leases
        self.served_by = served_by

    # ------------------------------------------------------------------ sessions
    def health(self) -> dict[str, Any]:
        return self._signed({"status": "ok", "models": self.service.model_name})

    def open(self, data: bytes) -> dict[str, Any]:
        """A new session on the picture in ``data`` (the bytes of an image file)."""
        sid = self.service.open(bytes(data))
        if self.leases is not None:
            self.service.close(sid)  # another replica may take the next request on it
        return self._signed({"session_id": sid})

    def import_session(self, data: bytes) -> dict[str, Any]:
        """A saved session (the bytes of its zip) copied into the store under a new id."""
        return self._signed({"session_id": self.service.import_(bytes(data))})

    # ------------------------------------------------------------------ requests
    def message(self, session_id: str, text: str, *, spread: float | None = None, invert: bool = False) -> dict:
        with self._on(session_id) as sid:
            return self._signed(reply_record(sid, self.service.message(sid, text, spread=spread, invert=invert)))

    def edit(
        self,
        session_id: str,
        instruction: str,
        *,
        target: str | None = None,
        invert: bool = False,
        granularity: str | None = None,
        spread: float | None = None,
    ) -> dict:
        with self._on(session_id) as sid:
            reply = self.service.edit(
                sid, instruction, target=target, invert=invert, granularity=granularity, spread=spread
            )
            return self._signed(reply_record(sid, reply))

    def undo(self, session_id: str, steps: int = 1) -> dict:
        with self._on(session_id) as sid:
            return self._signed({"session_id": sid, "current": turn_record(self.service.undo(sid, steps))})

    def redo(self, session_id: str, steps: int = 1) -> dict:
        with self._on(session_id) as sid:
            return self._signed({"session_id": sid, "current": turn_record(self.service.redo(sid, steps))})

    def go_to(self, session_id: str, turn: int) -> dict:
        with self._on(session_id) as sid:
            return self._signed({"session_id": sid, "current": turn_record(self.service.go_to(sid, turn))})

    # ------------------------------------------------------------------ reading
    def history(self, session_id: str) -> dict:
        """Every turn (all branches, oldest first), the current turn's id and the tree as text."""
        with self._on(session_id) as sid:
            rows = self.service.history(sid)
            current = next(row["id"] for row in rows if row["current"])
            return self._signed({"session_id": sid, "current": current, "turns": rows, "tree": self.service.describe(sid)})

    def picture(self, session_id: str, turn: int | None = None) -> bytes:
        """A turn's picture (default: the current one) as PNG bytes."""
        with self._on(session_id) as sid:
            return png_bytes(self.service.picture(sid, turn))

    def preview_mask(
        self,
        session_id: str,
        target: str,
        *,
        invert: bool = False,
        granularity: str | None = None,
        spread: float | None = None,
    ) -> dict:
        """What the masker finds for ``target`` on the current picture: ``picture`` (PNG bytes of the mask drawn
        over the picture), ``found``, ``area`` (the share of the picture it lets change). Records nothing."""
        with self._on(session_id) as sid:
            preview, result = self.service.preview_mask(
                sid, target, invert=invert, granularity=granularity, spread=spread
            )
            return {"picture": png_bytes(preview), "found": bool(result.found), "area": round(result.area_fraction, 4)}

    def export(self, session_id: str) -> bytes:
        """The saved session as the bytes of a zip."""
        with self._on(session_id) as sid:
            return self.service.export(sid)

    # ------------------------------------------------------------------ internals
    @contextmanager
    def _on(self, session_id: str) -> Iterator[str]:
        """The session's id, checked, with its lease held (when leases are used) for the duration of the call."""
        if not isinstance(session_id, str):
            raise InvalidRequestError("a session id is 32 hex digits")
        sid = check_id(session_id)
        if self.leases is None:
            yield sid
            return
        with self.leases.hold(sid):
            self._wait_for_folder(sid)
            try:
                yield sid
            finally:
                self.service.close(sid)  # out of memory before the lease goes: the next holder reads the store

    def _wait_for_folder(self, sid: str) -> None:
        """Wait (up to the lease's wait) until nobody holds the session folder's lock. A lease taken over from a
        holder that died can come before that holder's process is gone; its folder lock goes with the process,
        and only then may the session be read."""
        folder = self.service.store.folder(sid)
        deadline = time.monotonic() + self.leases.wait
        while (holder := is_locked(folder)) is not None:
            if time.monotonic() >= deadline:
                raise SessionBusyError(
                    f"session {sid} is still held by {holder}; try again when that process has finished"
                )
            time.sleep(0.05)

    def _signed(self, record: dict) -> dict:
        if self.served_by is not None:
            record["served_by"] = self.served_by
        return record
