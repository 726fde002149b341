"""``emilie-agent demo``: the main job on a picture it draws itself (or yours).

It runs a multi-step request (plan -> masks -> EMILIE edits) and writes every turn, the mask previews,
a contact sheet and the saved session into the output folder, as ``edit IMAGE "request" -o DIR`` does.

``--models auto`` (the default) uses the real models when they are in the Hugging Face cache, and otherwise
says so loudly and runs on tiny random-weight models, whose pictures are noise (the wiring is real).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .demo_scene import draw_scene
from .edit import run_planned
from .options import add_editor_arguments, add_masker_arguments, add_request_arguments
from ..files import save_picture

DEFAULT_REQUEST = "Make it look like winter, then put a red scarf on the man and make the door blue."


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
                f"({', '.join(missing)}); running on TINY RANDOM models instead, so the pictures will be "
                "noise (and are worked at 128 px). Fetch the weights with `emilie-agent fetch --all` "
                "(needs network) for real edits.",
                file=sys.stderr,
            )
            args.models = "tiny"
            # Random detector weights score low: with zero thresholds local steps find something to edit.
            args.box_threshold = args.text_threshold = 0.0
            # The tiny UNet works on a latent half the picture's size (not an eighth): keep it small and quick.
            args.max_side = min(args.max_side, 128)
        else:
            args.models = None
    output = Path(args.output)
    if args.image:
        args.image = str(Path(args.image))
    else:
        args.image = str(save_picture(draw_scene(), output / "input.png"))
        print(f"drew a scene: {args.image}")
    args.instruction = args.request
    args.output = str(output)
    return run_planned(args)
