"""Session leases kept by one Ray actor, for replicas that share no file system (sessions in object storage).

:class:`~emilie_agent.service.lease.SessionLeases` keeps a lease as a file under an ``flock``: right for a
folder every replica reaches, but object storage has no lock and no portable compare-and-swap through fsspec.
On Ray the cluster itself can keep them: one named actor (:class:`LeaseKeeper`) holds every lease in memory and
runs one call at a time, so "free? then it is mine" is one step, and its own clock decides expiry (the
machines' clocks need not agree). :class:`ActorLeases` has the same ``acquire`` / ``hold`` / ``held_by`` as the
file leases, renewal on a thread included.

The keeper is detached (it outlives the replica that happened to create it, so killing that replica does not
take every lease with it) and restarted by Ray if its process dies; a restarted keeper holds no leases, so a
request running at that moment could overlap the next one on its session: rare, and said here.
"""
from __future__ import annotations

import time
from typing import Any

import ray

from ..service.lease import SessionLeases
from ..service.store import check_id

KEEPER_NAME = "emilie-session-leases"
KEEPER_NAMESPACE = "emilie-agent"  # fixed, so that every replica (and an operator's script) finds the same one


@ray.remote(num_cpus=0, max_restarts=-1, max_concurrency=1)
class LeaseKeeper:
    """Every session's lease: ``{session id: {"holder", "expires", "token"}}``, in memory."""

    def __init__(self):
        self.leases: dict[str, dict[str, Any]] = {}

    def take(self, sid: str, token: str, holder: str, ttl: float, renew: bool) -> bool:
        now = time.time()
        current = self.leases.get(sid)
        if renew:
            if current is None or current["token"] != token:
                return False
        elif current is not None and current["token"] != token and current["expires"] > now:
            return False
        self.leases[sid] = {"holder": holder, "expires": now + ttl, "token": token}
        return True

    def give_back(self, sid: str, token: str) -> None:
        current = self.leases.get(sid)
        if current is not None and current["token"] == token:
            del self.leases[sid]

    def held_by(self, sid: str) -> dict | None:
        current = self.leases.get(sid)
        if current is None or current["expires"] <= time.time():
            return None
        return dict(current)


def lease_keeper(namespace: str = KEEPER_NAMESPACE):
    """The cluster's keeper (made by whoever asks first)."""
    return LeaseKeeper.options(name=KEEPER_NAME, namespace=namespace, get_if_exists=True, lifetime="detached").remote()


class ActorLeases(SessionLeases):
    """:class:`SessionLeases` kept by the cluster's :class:`LeaseKeeper` instead of files."""

    def __init__(self, keeper=None, *, ttl: float, wait: float, holder: str, namespace: str = KEEPER_NAMESPACE):
        super().__init__(None, ttl=ttl, wait=wait, holder=holder)
        self.keeper = keeper if keeper is not None else lease_keeper(namespace)

    def held_by(self, session_id: str) -> dict | None:
        return ray.get(self.keeper.held_by.remote(check_id(session_id)))

    def _write_if(self, sid: str, token: str, *, renew: bool) -> bool:
        return ray.get(self.keeper.take.remote(sid, token, self.holder, self.ttl, renew))

    def _remove_if(self, sid: str, token: str) -> None:
        ray.get(self.keeper.give_back.remote(sid, token))
