"""``emilie-agent demo``: the main job on a picture it draws itself (or yours).

It runs a multi-step request (plan -> masks -> EMILIE edits) and writes every turn, the mask previews,
a contact sheet and the saved session into the output folder, as ``edit IMAGE "request" -o DIR`` does.

``--models auto`` (the default) uses the real models when they are in the Hugging Face cache. Otherwise it
says so in one line and runs on the toy models: small models trained on the synthetic scenes of
:mod:`emilie_agent.toyworld`, shipped in the package, which make real edits on such scenes (at 64 px). The
drawn picture is a toy-world scene either way.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .edit import run_planned
from .options import add_editor_arguments, add_masker_arguments, add_request_arguments
from ..files import save_picture
from ..toyworld import demo_scene

DEFAULT_REQUEST = "Make it winter, then paint the door blue and remove the car."
SCENE_SIZE = {"toy": (256, 192), "real": (512, 384)}  # the toy models work at 64 px whatever the picture's size


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run a multi-step edit on a scene the demo draws (or --image yours)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--image", help="your picture instead of the drawn scene")
    p.add_argument("--request", default=DEFAULT_REQUEST, help=f"what to do (default: {DEFAULT_REQUEST!r})")
    p.add_argument("-o", "--output", default="emilie-demo", help="output folder (default ./emilie-demo)")
    add_editor_arguments(p)
    add_masker_arguments(p)
    add_request_arguments(p)
    # Planned-request options that `edit` has and the demo does not: none of them is ever given.
    p.set_defaults(func=run, models="auto", mask=None, target=None, invert=False, mask_preview=None)


def run(args: argparse.Namespace) -> int:
    from ..models import fetch  # lazy: huggingface_hub only when the demo runs (keeps --help quick)

    if args.models == "auto":
        missing = fetch.missing_from_cache()
        if missing:
            print(
                "emilie-agent demo: the real models are not in the Hugging Face cache "
                f"({', '.join(missing)}); running on the TOY models (trained on synthetic scenes, 64 px). "
                "Get the real ones with `emilie-agent fetch --all` (needs network).",
                file=sys.stderr,
            )
            args.models = "toy"
        else:
            args.models = None
    output = Path(args.output)
    if args.image:
        args.image = str(Path(args.image))
    else:
        size = SCENE_SIZE["toy" if args.models in ("toy", "tiny") else "real"]
        args.image = str(save_picture(demo_scene(size), output / "input.png"))
        print(f"drew a toy-world scene: {args.image}")
    args.instruction = args.request
    args.output = str(output)
    return run_planned(args)
