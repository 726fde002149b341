"""``emilie-agent demo``: the main job on a picture it draws itself (or yours).

It runs a multi-step request (plan -> masks -> EMILIE edits) and writes every turn, the mask previews,
a contact sheet and the saved session into the output folder, as ``edit IMAGE "request" -o DIR`` does.

``--models auto`` (the default) uses the real models when they are in the Hugging Face cache. Otherwise it
says so in one line and runs on the toy models (small models trained on the synthetic scenes of
:mod:`emilie_agent.toyworld`, shipped in ``emilie_agent/toyworld/models``) when they are there, and on tiny
random-weight models, whose pictures are noise, when they are not. The drawn picture is a toy-world scene.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .edit import run_planned
from .options import add_editor_arguments, add_masker_arguments, add_request_arguments, resolve_auto_models
from .terminal import printable
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
    p.add_argument(
        "--replace-session",
        action="store_true",
        help="let the demo replace another session saved in OUT_DIR/session (e.g. an earlier demo's)",
    )
    add_editor_arguments(p)
    add_masker_arguments(p)
    add_request_arguments(p)
    # Planned-request options that `edit` has and the demo does not: none of them is ever given.
    p.set_defaults(func=run, models="auto", mask=None, target=None, invert=False, mask_preview=None)


def run(args: argparse.Namespace) -> int:
    if args.models == "auto":
        args.models = resolve_auto_models("demo")
        if args.models == "tiny":
            # Random detector weights score low: with zero thresholds local steps find something to edit.
            args.box_threshold = args.text_threshold = 0.0
            # The tiny UNet works on a latent half the picture's size (not an eighth): keep it small and quick.
            args.max_side = min(args.max_side or 128, 128)
    output = Path(args.output)
    if args.image:
        args.image = str(Path(args.image))
    else:
        size = SCENE_SIZE["toy" if args.models in ("toy", "tiny") else "real"]
        args.image = str(output / "input.png")

        def draw_input() -> Path:  # called once every option and the plan are checked: a failure writes nothing
            path = save_picture(demo_scene(size), output / "input.png")
            print(f"drew a toy-world scene: {printable(path)}")
            return path

        args.draw_input = draw_input
    args.instruction = args.request
    args.output = args.output if not args.output.strip() else str(output)
    return run_planned(args)

