"""``emilie-agent mask``: make a mask from a phrase (GroundingDINO finds it, Segment Anything outlines it).

* ``-o MASK.png``: the mask, white where an edit may change the picture (soft grey edges), at the picture's size;
* ``--preview PREVIEW.png``: the mask tinted over the picture, with the boxes and what each one matched;
* ``--json``: one JSON object: phrase, found, boxes (x0, y0, x1, y1 pixels), scores, labels, area fraction.

When nothing matches the phrase, nothing is written and the exit status is 1 (``--json`` still prints the
object, with ``"found": false`` and the best score seen).
"""
from __future__ import annotations

import argparse
import json

from .options import add_device_arguments, add_masker_arguments, check_device_options, is_image_path, masker_options
from .terminal import print_error, printable
from ..errors import InvalidRequestError
from ..images import load_image, mask_to_image
from ..masking.masker import Masker
from ..masking.phrases import read_target
from ..masking.preview import draw_mask_preview
from ..outputs import check_distinct, check_output_file, write_pictures


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "mask",
        help="make a mask from a phrase (GroundingDINO + Segment Anything)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", help="the picture")
    p.add_argument("phrase", nargs="+", help='what to find, e.g. "the man"; several phrases give the union')
    p.add_argument("-o", "--output", help="where to write the mask (PNG)")
    p.add_argument("--preview", help="also write the mask over the picture here")
    p.add_argument("--json", action="store_true", help="print boxes, scores, area and whether it was found as JSON")
    p.add_argument("--invert", action="store_true", help="everything except what the phrase names")
    count = p.add_mutually_exclusive_group()
    count.add_argument("--all", dest="multiple", action="store_const", const=True, help="every match, even for a singular phrase")
    count.add_argument("--one", dest="multiple", action="store_const", const=False, help="only the best match, even for a plural phrase")
    add_device_arguments(p)
    add_masker_arguments(p, models_option=True)
    p.set_defaults(func=run, multiple=None)


def run(args: argparse.Namespace) -> int:
    if args.output is None and args.preview is None and not args.json:
        raise InvalidRequestError("nothing to do: give -o MASK.png, --preview PREVIEW.png or --json")
    for option, path in (("-o", args.output), ("--preview", args.preview)):
        if path is not None and not path.strip():
            raise InvalidRequestError(f"{option} is empty: give a file name such as mask.png")
        if path and not is_image_path(path):
            raise InvalidRequestError(f"{path} is not a picture path: use a name such as mask.png")
    for phrase in args.phrase:
        read_target(phrase)  # an empty phrase fails before any model loads
    options = masker_options(args)
    check_device_options(args)
    picture = load_image(args.image)
    # Where the results go: checked before any model loads; written together at the end, or not at all.
    output = check_output_file(args.output, "mask output") if args.output else None
    preview = check_output_file(args.preview, "preview") if args.preview else None
    check_distinct([("-o", args.output), ("--preview", args.preview)])

    result = Masker.from_options(options).mask(
        picture,
        args.phrase[0] if len(args.phrase) == 1 else args.phrase,
        granularity=options.granularity or "object",
        spread=options.spread,
        invert=args.invert,
        multiple=args.multiple,
    )
    if args.json:
        print(json.dumps(result.to_json_dict()))
    if not result.found:
        print_error(f"{result.message()}; nothing was written")
        return 1
    pictures = []
    if output is not None:
        pictures.append((mask_to_image(result.mask), output))
    if preview is not None:
        pictures.append((draw_mask_preview(picture, result), preview))
    write_pictures(pictures)  # the mask and its preview both, or neither
    if not args.json:
        print(printable(result.message() + (f" -> {args.output}" if args.output else "")))
    return 0
