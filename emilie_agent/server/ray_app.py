"""The editing service as a Ray Serve application: the HTTP API of :mod:`.api` over replicas.

Three deployments:

* ``EditingDeployment`` holds the editor (and the planner). One replica per GPU (``ray_actor_options:
  {num_gpus: 1}``) or CPU replicas. Each request on a session takes the session's lease (a file in a folder
  store, :mod:`emilie_agent.service.lease`; kept by a Ray actor for object storage,
  :mod:`emilie_agent.server.ray_leases`), loads the session, works, saves and lets it go, so that any replica
  can serve any session and two replicas never edit one session at once.
* ``MaskingDeployment`` holds the masker (GroundingDINO + SAM); the editing replicas call it for local steps,
  so it scales on its own (masking is a small share of the work).
* ``Ingress``: the FastAPI app of :func:`~emilie_agent.server.api.make_app` (the same routes, errors and upload
  limits as ``emilie-agent serve``), whose calls go to the editing deployment.

``build_app(args)`` is the application builder that Serve's config file names (``import_path:
emilie_agent.server.ray_app:build_app``; ``args`` are :class:`AppOptions`). Replicas, autoscaling and GPUs come
from that file (see ``serve_config.yaml`` next to this module); nothing here fixes them unless ``args`` ask.
``run_local`` is ``emilie-agent serve --ray``: a local Ray cluster (or ``--ray-address``), Serve's HTTP proxy on
the host and port given, until Ctrl-C.
"""
from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any, Literal

import ray
from pydantic import BaseModel, ConfigDict, Field
from ray import serve
from ray.exceptions import ActorUnavailableError, RayActorError, RayTaskError

from .api import make_app
from .calls import ServiceCalls
from .limits import UploadLimits
from ..editing.settings import EditSettings
from ..errors import EmilieError
from ..masking.options import MaskerOptions
from ..planning.planner import make_planner
from ..service import EditingService, SessionStore
from ..service.lease import DEFAULT_TTL, DEFAULT_WAIT, SessionLeases
from .ray_leases import ActorLeases

APP_NAME = "emilie-agent"
# The calls of ServiceCalls the ingress may make on the editing deployment.
CALLS = frozenset(
    {"health", "open", "import_session", "message", "edit", "undo", "redo", "go_to", "history", "picture",
     "preview_mask", "export"}
)


class AppOptions(BaseModel):
    """The application's arguments (``args:`` in Serve's config file)."""

    model_config = ConfigDict(extra="forbid")

    sessions: str = Field(description=(
        "the session store: a folder every replica reaches (shared on a cluster), or an fsspec URL of object "
        "storage (s3://bucket/prefix, gs://...; leases are then kept by a Ray actor)"
    ))
    models: str | None = Field(default="toy", description="toy, tiny, a hub id or a folder; None: the real models")
    device: str | None = None
    dtype: str | None = None
    max_side: int | None = None
    settings: dict[str, Any] = Field(default_factory=dict, description="EditSettings fields, e.g. {steps: 20}")
    speed: dict[str, Any] = Field(default_factory=dict, description=(
        "the editor's speed options: compile_unet, channels_last, offload (model|sequential), vae_tiling"
    ))
    masker_models: str | None = None
    box_threshold: float | None = None
    text_threshold: float | None = None
    granularity: str | None = None
    spread: float | None = None
    planner: str | None = None
    planner_model: str | None = None
    on_missing: Literal["skip", "stop"] = "skip"
    max_upload_mb: float = 20.0
    max_picture_side: int = 4096
    lease_ttl: float = Field(default=DEFAULT_TTL, gt=0, description="seconds a dead replica's lease lasts")
    lease_wait: float = Field(default=DEFAULT_WAIT, ge=0, description="seconds a request waits for a held session")
    # Set by `emilie-agent serve --ray`; with `serve deploy` the config file's deployments section decides.
    editor_replicas: int | None = None
    gpus_per_replica: float | None = None
    masker_replicas: int | None = None

    def masker_options(self) -> MaskerOptions:
        return MaskerOptions(
            models=self.masker_models,
            editor_models=self.models,
            box_threshold=self.box_threshold,
            text_threshold=self.text_threshold,
            granularity=self.granularity,
            spread=self.spread,
            device=self.device,
            dtype=self.dtype,
        )


class ReplicaLostError(EmilieError):
    """The replica serving a request stopped before it answered (killed, or its machine went away)."""

    http_status = 503


def _replica_name() -> str:
    try:
        return serve.get_replica_context().replica_id.to_full_id_str()
    except Exception:  # noqa: BLE001 - outside a replica (a test calling the class directly): the process names it
        return f"process {os.getpid()}"


@serve.deployment(max_ongoing_requests=8)
class MaskingDeployment:
    """The masker (GroundingDINO + Segment Anything), loaded once per replica."""

    def __init__(self, options: dict):
        from ..masking.masker import Masker  # lazy: only masking replicas load the masker's models

        self.masker = Masker.from_options(AppOptions(**options).masker_options())

    def mask(self, image, phrase, **kwargs):
        return self.masker.mask(image, phrase, **kwargs)


class RemoteMasker:
    """The masking deployment as the editing service's masker (``mask`` is all the agent calls)."""

    def __init__(self, handle):
        self.handle = handle

    def mask(self, image, phrase, **kwargs):
        try:
            # Called on one of the replica's worker threads (sync methods run in a thread pool), not its event loop.
            return self.handle.mask.remote(image, phrase, **kwargs).result()
        except RayTaskError as err:
            raise _unwrapped(err) from None


@serve.deployment(max_ongoing_requests=4)
class EditingDeployment:
    """The editor, the planner and the sessions' calls; sessions are read from and saved to the shared store."""

    def __init__(self, options: dict, masker_handle):
        app_options = AppOptions(**options)
        name = _replica_name()
        store = SessionStore(app_options.sessions)
        service = EditingService(
            store,
            models=app_options.models,
            device=app_options.device,
            dtype=app_options.dtype,
            max_side=app_options.max_side,
            speed=app_options.speed,
            settings=lambda recommended: recommended.replace(**{"preserve": "exact", **app_options.settings}),
            masker_options=app_options.masker_options(),
            masker=RemoteMasker(masker_handle),
            planner=make_planner(app_options.planner or ("llm" if app_options.planner_model else "rules"),
                                 app_options.planner_model),
            on_missing=app_options.on_missing,
            idle_seconds=0,  # a session stays in memory only while a request holds its lease
        )
        EditSettings().replace(**app_options.settings)  # a bad setting fails here, at start-up
        holder = f"{name} (process {os.getpid()} on {socket.gethostname()})"
        if store.remote is not None:
            # Object storage has no lock: the cluster keeps the leases (one actor), whichever machine asks.
            leases = ActorLeases(ttl=app_options.lease_ttl, wait=app_options.lease_wait, holder=holder)
        else:
            leases = SessionLeases(store.root, ttl=app_options.lease_ttl, wait=app_options.lease_wait, holder=holder)
        self.calls = ServiceCalls(service, leases=leases, served_by=name)
        service.settings()  # loads the editor now: a replica is ready when its model is

    def call(self, name: str, *args, **kwargs):
        if name not in CALLS:
            raise EmilieError(f"there is no call {name!r}")
        return getattr(self.calls, name)(*args, **kwargs)


class DeploymentBackend:
    """The API's backend on Ray Serve: ``await backend.message(...)`` is a call on the editing deployment."""

    def __init__(self, handle):
        self.handle = handle

    def __getattr__(self, name: str):
        if name not in CALLS:
            raise AttributeError(name)

        async def run(*args, **kwargs):
            try:
                return await self.handle.call.remote(name, *args, **kwargs)
            except RayTaskError as err:
                raise _unwrapped(err) from None
            except (RayActorError, ActorUnavailableError):
                raise ReplicaLostError(
                    "the replica serving this request stopped before it answered; the session keeps every step "
                    "saved before that: send the request again"
                ) from None

        return run


@serve.deployment(max_ongoing_requests=64, ray_actor_options={"num_cpus": 0})  # routes only: reserves no CPU
@serve.ingress()
class Ingress:
    """The HTTP API (FastAPI) over the editing deployment."""

    def __init__(self, options: dict, editing_handle):
        self.options = AppOptions(**options)
        self.editing = editing_handle

    def __serve_build_asgi_app__(self):
        limits = UploadLimits(max_upload_mb=self.options.max_upload_mb, max_side=self.options.max_picture_side)
        return make_app(DeploymentBackend(self.editing), limits=limits)


def build_app(args: dict | AppOptions):
    """The application (Serve's application builder: ``import_path: emilie_agent.server.ray_app:build_app``)."""
    options = args if isinstance(args, AppOptions) else AppOptions(**(args or {}))
    plain = options.model_dump()
    masking = MaskingDeployment
    editing = EditingDeployment
    if options.masker_replicas is not None:
        masking = masking.options(num_replicas=options.masker_replicas)
    if options.editor_replicas is not None:
        editing = editing.options(num_replicas=options.editor_replicas)
    if options.gpus_per_replica:
        editing = editing.options(ray_actor_options={"num_gpus": options.gpus_per_replica})
    return Ingress.bind(plain, editing.bind(plain, masking.bind(plain)))


def run_local(options: AppOptions, *, host: str = "127.0.0.1", port: int = 8000, address: str | None = None) -> int:
    """``emilie-agent serve --ray``: Serve on a local Ray cluster (or the one at ``address``) until Ctrl-C."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports leave this machine
    # Serve's 5 s for its proxy to report ready is too short on a busy machine: it then restarts it forever.
    os.environ.setdefault("RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S", "30")
    started = time.monotonic()
    local = {}
    if address is None:
        # A local cluster: Ray counts one CPU per core, and each editing or masking replica reserves one, so
        # on a small machine (2 cores: 2 editing replicas + 1 masking) they would wait forever for a CPU.
        # Reserve enough logical CPUs for the replicas asked for; the OS shares the cores among them.
        wanted = (options.editor_replicas or 1) + (options.masker_replicas or 1)
        local["num_cpus"] = max(os.cpu_count() or 1, wanted)
    ray.init(address=address, include_dashboard=False, log_to_driver=False, **local)
    try:
        start_serve({"host": host, "port": port})
        serve.run(build_app(options), name=APP_NAME, route_prefix="/")
        where = f"[{host}]" if ":" in host else host
        print(
            f"emilie-agent serve: Ray Serve ready in {time.monotonic() - started:.0f} s; serving http://{where}:{port}/ "
            f"(sessions in {options.sessions})",
            file=sys.stderr,
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        try:
            serve.shutdown()
        finally:
            ray.shutdown()


def start_serve(http_options: dict) -> None:
    """``serve.start`` on the cluster ``ray.init`` joined. Serve gives its HTTP proxy 60 s to start; on a busy
    machine importing it takes longer, and then ``serve.start`` gives up although the proxy comes up later.
    The second call finds the controller the first one started and carries on (requests wait for the proxy)."""
    try:
        serve.start(http_options=http_options)
    except TimeoutError:
        serve.start(http_options=http_options)


def _unwrapped(err: RayTaskError) -> BaseException:
    """The error a replica raised, without Ray's wrapping (whose text carries the remote traceback)."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, EmilieError):
        return cause
    name = type(cause).__name__ if cause is not None else "error"
    first = (str(cause).strip().splitlines() or [""])[0][:200] if cause is not None else ""
    return RuntimeError(f"{name} in a replica: {first}")
