"""``emilie-agent ui``: the web chat UI (Gradio), at http://127.0.0.1:7860 by default.

Upload a picture (or use the example toy-world scene), then say what to change; every step's mask and picture
appear in the conversation. Undo, redo, go to any turn or branch from it; set the granularity (object ...
region ... global) and invert the next edit; preview the masks before editing; download the picture (PNG) or
the whole session (.zip). Each browser tab is its own session; a reload finds it again. Sessions are kept in
--sessions (saved after every change), shared with ``emilie-agent mcp``.

``--models auto`` (the default) uses the real models when they are in the Hugging Face cache, else the toy
models (trained on synthetic scenes, 64 px); ``toy``, ``tiny`` (random weights: wiring only), a hub id or a
folder choose. It binds 127.0.0.1: other machines cannot reach it unless --host says otherwise (there is no
login). Needs the extra: ``pip install "emilie-agent[ui]"``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

from .options import (
    add_server_arguments,
    add_service_arguments,
    check_port,
    edit_settings,
    editing_service,
    is_loopback,
    resolve_auto_models,
    url_host,
)
from ..errors import EmilieError

INSTALL_HINT = 'the web UI needs gradio: pip install "emilie-agent[ui]"'
DEFAULT_PORT = 7860


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "ui",
        help="the web chat UI in the browser (Gradio)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("server")
    add_server_arguments(g, DEFAULT_PORT)
    g.add_argument("--max-upload-mb", type=float, default=None, help="largest file the page takes (default 20)")
    g.add_argument(
        "--max-picture-side", type=int, default=None, help="largest picture, pixels on its longer side (default 4096)"
    )
    add_service_arguments(p)
    p.set_defaults(func=run, models="auto")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no calls home
    try:
        # Lazy: gradio is an optional extra (and slow to import); the UI module imports it.
        from ..ui import Limits, build_app, launch
    except ImportError as err:
        if "gradio" not in str(err):
            raise
        raise EmilieError(INSTALL_HINT) from None

    check_port(args.port)
    limits = Limits(
        **{name: value for name, value in (("max_upload_mb", args.max_upload_mb), ("max_side", args.max_picture_side))
           if value is not None}
    )
    if args.models == "auto":
        args.models = resolve_auto_models("ui")
    # Every option is checked now, before the server starts (the models load on the first picture).
    edit_settings(args)
    service = editing_service(args)
    files_dir = tempfile.mkdtemp(prefix="emilie-ui-")
    app = build_app(service, files_dir=files_dir, limits=limits)
    print(f"emilie-agent ui: sessions in {service.store.location}", file=sys.stderr)
    if not is_loopback(args.host):
        print(
            f"emilie-agent ui: warning: serving on {args.host}, reachable from other machines, without a login: "
            "anyone who can reach it can open and edit pictures here",
            file=sys.stderr,
        )
    print(f"emilie-agent ui: serving http://{url_host(args.host)}:{args.port}/", file=sys.stderr, flush=True)
    launch(app, host=args.host, port=args.port, files_dir=files_dir, limits=limits)
    return 0

