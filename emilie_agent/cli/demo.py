"""``emilie-agent demo``: the main job on a picture it draws itself (or yours).

It runs a multi-step request (plan -> masks -> EMILIE edits) and writes every turn, the mask previews,
a contact sheet and the saved session into the output folder.

``--models auto`` (the default) uses the real models when they are in the Hugging Face cache, and otherwise
says so loudly and runs on tiny random-weight models, whose pictures are noise (the wiring is real).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_REQUEST = "Make it look like winter, then put a red scarf on the man and make the door blue."


def add_parser(subparsers) -> None:
    from .options import add_editor_arguments
    from .edit import _add_optional_arguments

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
    _add_optional_arguments(p)
    p.set_defaults(func=run, models="auto")


def missing_real_models() -> list[str]:
    """The default real models that are missing from the local Hugging Face cache."""
    from huggingface_hub import try_to_load_from_cache

    from ..editing.editor import DEFAULT_MODEL

    wanted = {DEFAULT_MODEL: "model_index.json"}
    try:
        from ..masking.masker import DEFAULT_DETECTOR, DEFAULT_SEGMENTER

        wanted.update({DEFAULT_DETECTOR: "config.json", DEFAULT_SEGMENTER: "config.json"})
    except ImportError:
        pass
    return [repo for repo, name in wanted.items() if not isinstance(try_to_load_from_cache(repo, name), str)]


def run(args: argparse.Namespace) -> int:
    from .request import run_edit_request
    from .demo_scene import draw_scene
    from ..files import save_picture

    if args.models == "auto":
        missing = missing_real_models()
        if missing:
            print(
                "emilie-agent demo: the real models are not in the Hugging Face cache "
                f"({', '.join(missing)}); running on TINY RANDOM models instead, so the pictures will be "
                "noise (and are worked at 128 px). Fetch the weights with `python tools/fetch_weights.py` "
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
    return run_edit_request(args)
