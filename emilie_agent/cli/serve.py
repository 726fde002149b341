"""``emilie-agent serve``: the editing service as an HTTP API (FastAPI + uvicorn), at http://127.0.0.1:8080.

    POST /sessions                   multipart field "picture"  -> {"session_id": ...}
    POST /sessions/ID/messages       {"text": "make it winter, then paint the door blue"} -> the agent's reply
    POST /sessions/ID/edits          {"instruction": ..., "target": ..., "granularity": ...} -> the reply
    POST /sessions/ID/undo | redo    {"steps": 1};  POST /sessions/ID/go-to {"turn": N}
    GET  /sessions/ID/history        GET /sessions/ID/picture[?turn=N]    GET /sessions/ID/mask?target=...
    GET  /sessions/ID/export         the session as a zip;  POST /sessions/import (field "session")
    GET  /healthz                    GET /docs (the OpenAPI page)

Errors are one line of JSON {"error": ...} with a 4xx status. Sessions are kept in --sessions (saved after
every change; a restart loses nothing), shared with ``emilie-agent ui`` and ``mcp``.

``--ray`` runs the same API as a Ray Serve application instead (needs ``pip install "emilie-agent[serve]"``):
an editing deployment (--replicas, --gpus-per-replica), a masking deployment (--masker-replicas) and the HTTP
ingress, on a local Ray cluster started here (or the one at --ray-address). On a cluster, deploy
``emilie_agent/server/serve_config.yaml`` with ``serve deploy`` instead: its autoscaling settings are there.

It binds 127.0.0.1 unless --host says otherwise; there is no authentication.
"""
from __future__ import annotations

import argparse
import sys

from .options import (
    add_server_arguments,
    add_service_arguments,
    check_editor_options,
    check_port,
    edit_settings,
    editing_service,
    is_loopback,
    masker_options,
    planner,
    resolve_auto_models,
    speed_options,
    url_host,
)
from ..editing.settings import EditSettings
from ..errors import EmilieError, InvalidRequestError

INSTALL_HINT = 'the HTTP server needs fastapi, uvicorn and python-multipart: pip install "emilie-agent[serve]"'
RAY_HINT = 'serve --ray needs Ray Serve: pip install "emilie-agent[serve]"'
DEFAULT_PORT = 8080


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="the editing service as an HTTP API (FastAPI), in one process or on Ray Serve (--ray)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("server")
    add_server_arguments(g, DEFAULT_PORT,
                         sessions_note="; with --ray, a folder every replica reaches (a shared file system on a cluster) or object storage")
    g.add_argument("--max-upload-mb", type=float, default=None, help="largest request body (default 20)")
    g.add_argument(
        "--max-picture-side", type=int, default=None, help="largest picture, pixels on its longer side (default 4096)"
    )
    g.add_argument(
        "--no-preload", action="store_true", help="load the models at the first edit, not when the server starts"
    )
    r = p.add_argument_group("Ray Serve (--ray)")
    r.add_argument("--ray", action="store_true", help="serve as a Ray Serve application (extra [serve])")
    r.add_argument("--replicas", type=int, default=1, help="replicas of the editing deployment (default 1)")
    r.add_argument(
        "--gpus-per-replica", type=float, default=0.0, help="GPUs each editing replica takes (default 0: CPU replicas)"
    )
    r.add_argument("--masker-replicas", type=int, default=1, help="replicas of the masking deployment (default 1)")
    r.add_argument(
        "--ray-address", default=None, help="join this Ray cluster (e.g. auto) instead of starting a local one"
    )
    add_service_arguments(p)
    p.set_defaults(func=run, models="auto")


def run(args: argparse.Namespace) -> int:
    check_port(args.port)
    if args.replicas < 1 or args.masker_replicas < 1:
        raise InvalidRequestError("--replicas and --masker-replicas must be at least 1")
    if args.gpus_per_replica < 0:
        raise InvalidRequestError(f"--gpus-per-replica cannot be negative ({args.gpus_per_replica})")
    try:
        # Lazy: fastapi and uvicorn are an optional extra.
        import uvicorn

        from ..server.api import make_app  # lazy: the API imports fastapi (extra [serve])
        from ..server.limits import UploadLimits  # lazy: imports starlette (extra [serve])
    except ImportError as err:
        if not any(name in str(err) for name in ("fastapi", "uvicorn", "multipart", "starlette")):
            raise
        raise EmilieError(INSTALL_HINT) from None
    limits = UploadLimits(
        **{name: value for name, value in (("max_upload_mb", args.max_upload_mb), ("max_side", args.max_picture_side))
           if value is not None}
    )
    if args.models == "auto":
        args.models = resolve_auto_models("serve")
    check_editor_options(args)  # every option is checked now, before anything starts
    masking = masker_options(args)
    the_planner = planner(args.planner, args.planner_model)
    if args.ray:
        return _run_on_ray(args, limits)

    from ..server.calls import ServiceCalls  # lazy: the service imports torch
    from ..server.threaded import ThreadedBackend  # lazy, as above

    service = editing_service(args, masking=masking, chosen_planner=the_planner)
    app = make_app(ThreadedBackend(ServiceCalls(service)), limits=limits)
    if not args.no_preload:
        service.preload()
    print(f"emilie-agent serve: sessions in {service.store.location}", file=sys.stderr)
    _warn_if_reachable(args.host)
    print(f"emilie-agent serve: serving http://{url_host(args.host)}:{args.port}/", file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        service.close_all()
    return 0


def _run_on_ray(args: argparse.Namespace, limits) -> int:
    try:
        from ..server import ray_app  # lazy: Ray is an optional extra (and slow to import)
    except ImportError as err:
        if "ray" not in str(err):
            raise
        raise EmilieError(RAY_HINT) from None
    from ..service import default_root  # lazy: the service imports torch

    options = ray_app.AppOptions(
        sessions=str(args.sessions or default_root()),
        models=args.editor_model or args.models,
        device=args.device,
        dtype=args.dtype,
        max_side=args.max_side,
        settings=_given_settings(args),
        speed=speed_options(args),
        box_threshold=args.box_threshold,
        text_threshold=args.text_threshold,
        granularity=args.granularity,
        spread=args.spread,
        planner=args.planner,
        planner_model=args.planner_model,
        on_missing=args.on_missing,
        max_upload_mb=limits.max_upload_mb,
        max_picture_side=limits.max_side,
        editor_replicas=args.replicas,
        gpus_per_replica=args.gpus_per_replica,
        masker_replicas=args.masker_replicas,
    )
    _warn_if_reachable(args.host)
    return ray_app.run_local(options, host=args.host, port=args.port, address=args.ray_address)


def _given_settings(args: argparse.Namespace) -> dict:
    """The sampling settings the options change from the defaults, as plain data for the replicas (each replica
    lays them over its model's recommended settings)."""
    defaults = EditSettings().model_dump()
    given = edit_settings(args).model_dump()
    return {name: value for name, value in given.items() if value != defaults.get(name)}


def _warn_if_reachable(host: str) -> None:
    if not is_loopback(host):
        print(
            f"emilie-agent serve: warning: serving on {host}, reachable from other machines, without "
            "authentication: anyone who can reach it can open and edit pictures here",
            file=sys.stderr,
        )

