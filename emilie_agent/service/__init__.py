"""The editing service: many sessions by id in one process over shared models (see :mod:`.service`).

``EditingService`` and ``SessionStore`` are what the web UI, the MCP server and other deployments use.
"""
from __future__ import annotations

from .service import EditingService, read_picture
from .store import SessionStore, UnknownSessionError, check_id, default_root, new_id

__all__ = [
    "EditingService",
    "SessionStore",
    "UnknownSessionError",
    "check_id",
    "default_root",
    "new_id",
    "read_picture",
]
