"""``emilie-agent mcp``: the editing tools for AI assistants, as an MCP server (the official ``mcp`` SDK).

Over standard input/output by default (what a desktop assistant starts); ``--http`` serves streamable HTTP at
http://127.0.0.1:8000/mcp (``--host`` / ``--port`` to change; there is no authentication, so keep it on
127.0.0.1 unless a proxy in front of it checks who calls).

Tools: open_image, edit_image, plan_request, preview_mask, undo, redo, go_to_turn, show_history, save_session,
load_session. Sessions are kept in --sessions (saved after every change; a restart loses nothing).

``--models auto`` (the default) uses the real models when they are in the Hugging Face cache, else the toy
models (trained on synthetic scenes, 64 px); ``toy``, ``tiny`` (random weights: wiring only), a hub id or a
folder choose. Needs the extra: ``pip install "emilie-agent[mcp]"``.
"""
from __future__ import annotations

import argparse
import sys

from .options import (
    add_server_arguments,
    add_service_arguments,
    check_port,
    edit_settings,
    editing_service,
    is_loopback,
    masker_options,
    resolve_auto_models,
    url_host,
)
from ..errors import EmilieError, InvalidRequestError

INSTALL_HINT = 'the MCP server needs the mcp package: pip install "emilie-agent[mcp]"'
DEFAULT_PORT = 8000


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "mcp",
        help="serve the editing tools to AI assistants over MCP (stdio, or --http)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("server")
    g.add_argument("--http", action="store_true", help="serve streamable HTTP (at /mcp) instead of stdio")
    add_server_arguments(g, DEFAULT_PORT, port_note="with --http: ")
    g.add_argument(
        "--max-image-side",
        type=int,
        default=1024,
        help="pictures in answers are shrunk to this many pixels a side (the session keeps full size; default 1024)",
    )
    g.add_argument(
        "--no-preload", action="store_true", help="load the models at the first edit, not when the server starts"
    )
    add_service_arguments(p)
    p.set_defaults(func=run, models="auto")


def run(args: argparse.Namespace) -> int:
    try:
        # Lazy: the MCP SDK is an optional extra; the server module imports it.
        from ..mcp_server.server import make_server
    except ImportError as err:
        if "mcp" not in str(err):
            raise
        raise EmilieError(INSTALL_HINT) from None

    check_port(args.port)
    if args.max_image_side < 16:
        raise InvalidRequestError(f"--max-image-side must be at least 16, not {args.max_image_side}")
    if args.models == "auto":
        args.models = resolve_auto_models("mcp")
    # Every option is checked now, before the server starts (the models load on the first edit).
    edit_settings(args)
    masking = masker_options(args)
    service = editing_service(args, masking=masking)
    server = make_server(service, max_image_side=args.max_image_side)
    if not args.no_preload:
        service.preload()  # so that the first edit does not wait for the models (an assistant may time out)
    print(f"emilie-agent mcp: sessions in {service.store.location}", file=sys.stderr)
    if not args.http:
        server.run()
        return 0
    if not is_loopback(args.host):
        print(
            f"emilie-agent mcp: warning: serving on {args.host}, reachable from other machines, without "
            "authentication: anyone who can reach it can read and write pictures as you",
            file=sys.stderr,
        )
    print(f"emilie-agent mcp: serving http://{url_host(args.host)}:{args.port}/mcp", file=sys.stderr, flush=True)
    server.run("streamable-http", host=args.host, port=args.port)
    return 0

