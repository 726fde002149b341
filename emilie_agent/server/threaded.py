"""The in-process backend of the HTTP API: :class:`ServiceCalls` run on worker threads.

The API's routes ``await backend.NAME(...)`` for each call of :class:`~emilie_agent.server.calls.ServiceCalls`.
Here that runs the call on one of anyio's worker threads, so a long edit never blocks the event loop; on Ray
Serve (:mod:`emilie_agent.server.ray_app`) the same names are calls on the editing deployment.
"""
from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable

import anyio.to_thread

from .calls import ServiceCalls


class ThreadedBackend:
    """``await backend.message(sid, text)`` runs ``calls.message(sid, text)`` on a worker thread."""

    def __init__(self, calls: ServiceCalls):
        self.calls = calls

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.calls, name)

        async def run(*args: Any, **kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(functools.partial(method, *args, **kwargs))

        return run
