"""``emilie-agent edit``: edit a picture.

* ``-o OUT.png`` (a picture path): one edit. ``--mask MASK.png`` is honoured as is, ``--target "phrase"``
  makes the mask automatically, neither edits the whole picture. No planner runs.
* ``-o OUT_DIR`` (anything else): the request is planned into steps, each masked and edited; every
  turn, mask preview, a contact sheet and the session are written there.

Everything that can be checked cheaply (instruction, picture, mask, output) is checked before any model is
loaded, and nothing is written unless the edit succeeded.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InvalidRequestError
from .options import ProgressBar, add_editor_arguments, editor_from_args, is_image_path, settings_from_args


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "edit",
        help="edit a picture: one instruction (-o OUT.png) or a multi-step request (-o OUT_DIR)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", help="the picture to edit")
    p.add_argument("instruction", help='what to change, e.g. "make it winter, then put a red scarf on the man"')
    p.add_argument("-o", "--output", required=True, help="OUT.png for one edit, or a folder for a planned request")
    where = p.add_argument_group("where to edit (one-shot form)")
    where.add_argument("--mask", help="a mask picture of the same size: white may change, black stays")
    where.add_argument("--target", help='a phrase naming what to edit, e.g. "the man"; the mask is made for you')
    where.add_argument("--invert", action="store_true", help="edit everything except the target")
    where.add_argument("--mask-preview", help="with --target: also write the mask over the picture here")
    add_editor_arguments(p)
    _add_optional_arguments(p)
    p.set_defaults(func=run)


def _add_optional_arguments(parser: argparse.ArgumentParser) -> None:
    # The masker and the request runner are optional parts; their options appear when they are installed.
    try:
        from ..masking.masker import add_masker_arguments
    except ImportError:
        pass
    else:
        add_masker_arguments(parser)
    try:
        from .request import add_request_arguments
    except ImportError:
        pass
    else:
        add_request_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if not is_image_path(args.output):
        from .request import run_edit_request

        return run_edit_request(args)
    return run_one_edit(args)


def run_one_edit(args: argparse.Namespace) -> int:
    from ..files import save_picture
    from ..images import load_image, load_mask

    instruction = (args.instruction or "").strip()
    if not instruction:
        raise InvalidRequestError("the instruction is empty: say what to change, e.g. \"make it snow\"")
    if args.mask and args.target:
        raise InvalidRequestError("give either --mask or --target, not both")
    if args.invert and not (args.mask or args.target):
        raise InvalidRequestError("--invert needs --mask or --target")
    planned_only = [
        flag
        for flag, value in (
            ("--resume", getattr(args, "resume", None)),
            ("--planner", getattr(args, "planner", None)),
            ("--planner-model", getattr(args, "planner_model", None)),
            ("--on-missing stop", getattr(args, "on_missing", "skip") == "stop"),
        )
        if value
    ]
    if planned_only:
        raise InvalidRequestError(
            f"{', '.join(planned_only)} only apply to planned requests: give a folder as -o, not a picture"
        )
    picture = load_image(args.image)
    mask = load_mask(args.mask, picture.size) if args.mask else None
    if mask is not None and args.invert:
        mask = 1.0 - mask
    output = Path(args.output)
    if output.exists() and output.is_dir():
        raise InvalidRequestError(f"{output} is a folder; give a picture path such as out.png")
    settings = settings_from_args(args)
    settings.validate()

    editor = editor_from_args(args)
    found = _find_target(args, picture) if args.target else None
    if found is not None:
        mask = found.mask

    with ProgressBar("edit", quiet=args.quiet) as progress:
        result = editor.edit(picture, instruction, mask=mask, settings=settings, callback=progress)
    save_picture(result.picture, output)
    if found is not None and args.mask_preview:
        from ..masking.preview import draw_mask_preview

        save_picture(draw_mask_preview(picture, found), Path(args.mask_preview))
    where = "whole picture" if mask is None else f"mask covering {float(mask.mean()):.0%}"
    print(f"{instruction!r} ({where}, seed {settings.seed}) -> {output}")
    return 0


def _find_target(args: argparse.Namespace, picture):
    from ..errors import TargetNotFoundError
    from ..masking.masker import masker_from_args

    masker = masker_from_args(args)
    kwargs = {"invert": args.invert}
    if getattr(args, "granularity", None):
        kwargs["granularity"] = args.granularity
    if getattr(args, "spread", None) is not None:
        kwargs["spread"] = args.spread
    result = masker.mask(picture, args.target, **kwargs)
    if not result.found:
        raise TargetNotFoundError(
            f"found nothing matching {args.target!r} (best score {result.best_score:.2f}); "
            "nothing was written. Try another phrase or lower --box-threshold"
        )
    print(f"mask for {args.target!r}: {result.area_fraction:.0%} of the picture", file=sys.stderr)
    return result
