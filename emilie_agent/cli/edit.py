"""``emilie-agent edit``: edit a picture.

* ``-o OUT.png`` (a picture path): one edit. ``--mask MASK.png`` is honoured as is, ``--target "phrase"``
  makes the mask automatically, neither edits the whole picture. No planner runs.
* ``-o OUT_DIR`` (anything else): the request is planned into steps, each masked and edited; every
  turn, mask preview, a contact sheet and the session are written there
  (:class:`~emilie_agent.agent.request.PlannedRequest`).

Everything that can be checked cheaply (instruction, picture, mask, options, output) is checked before any
model is loaded, and nothing is written unless the edit succeeded.
"""
from __future__ import annotations

import argparse
import sys

from .options import (
    add_editor_arguments,
    add_masker_arguments,
    add_request_arguments,
    agent_options,
    check_editor_options,
    edit_settings,
    is_image_path,
    load_editor,
    masker_options,
    planner,
    session_from_args,
)
from .progress import ProgressBar
from .terminal import print_error, printable
from ..errors import InvalidMaskError, InvalidRequestError, TargetNotFoundError
from ..images import load_image, load_mask
from ..masking.masker import Masker
from ..masking.phrases import read_target
from ..masking.preview import draw_mask_preview
from ..outputs import check_distinct, check_output_file, write_pictures
from ..text import require_text


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
    p.add_argument(
        "--replace-session",
        action="store_true",
        help="planned request: let it replace another session saved in OUT_DIR/session (its turns are deleted)",
    )
    where = p.add_argument_group("where to edit (one-shot form)")
    where.add_argument("--mask", help="a mask picture of the same size: white may change, black stays")
    where.add_argument("--target", help='a phrase naming what to edit, e.g. "the man"; the mask is made for you')
    where.add_argument("--invert", action="store_true", help="edit everything except the target")
    where.add_argument("--mask-preview", help="with --target: also write the mask over the picture here")
    add_editor_arguments(p)
    add_masker_arguments(p)
    add_request_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.output.strip():
        raise InvalidRequestError("-o is empty: give OUT.png for one edit, or a folder for a planned request")
    if is_image_path(args.output):
        return run_one_edit(args)
    return run_planned(args)


# ---------------------------------------------------------------------- edit IMAGE "request" -o OUT_DIR
def run_planned(args: argparse.Namespace) -> int:
    """Plan, mask and edit ``args.instruction`` on ``args.image``; write everything into ``args.output``."""
    # Lazy: the agent's sessions hold torch tensors; `edit --help` need not load torch.
    from ..agent.request import (
        CONTACT_SHEET,
        SESSION_FOLDER,
        PlannedRequest,
        check_output_folder,
        check_session_folder,
        check_session_source,
        open_session,
        plan_request,
    )

    request = require_text(args.instruction, "request", '"make it winter, then ..."')
    one_shot = [
        f"--{name.replace('_', '-')}" for name in ("mask", "target", "invert", "mask_preview") if getattr(args, name)
    ]
    if one_shot:
        raise InvalidRequestError(
            f"{', '.join(one_shot)}: only for one edit (-o OUT.png); a planned request (-o OUT_DIR) masks each step itself"
        )
    out_dir = check_output_folder(args.output)
    draw_input = getattr(args, "draw_input", None)  # the demo's drawn picture: written only once all is checked
    if draw_input is None:
        check_session_source(args.image, args.resume)
    check_session_folder(out_dir / SESSION_FOLDER, resume=args.resume, replace=args.replace_session)
    # The planner and every option are checked here, before the editor loads.
    check_editor_options(args)
    chosen = planner(args.planner, args.planner_model)
    options = agent_options(args, chosen)
    # Plan first: a request with no real step in it fails here, before any model loads or any file is written.
    resumed = open_session(None, resume=args.resume) if args.resume else None
    plan = plan_request(chosen, request, resumed)
    if draw_input is not None:
        args.image = str(draw_input())

    editor = load_editor(args)
    options["settings"] = edit_settings(args, editor.recommended_settings)
    session = session_from_args(args, editor, loaded=resumed)
    planned = PlannedRequest(
        session,
        out_dir,
        on_plan=lambda plan: print(printable(plan.describe(), keep_newlines=True), flush=True),
        on_step=lambda report: print(printable(report.describe(), keep_newlines=True), flush=True),
        replace_session=args.replace_session,
        **options,
    )
    try:
        reply = planned.run(request, plan=plan)
    except KeyboardInterrupt:
        print(
            f"interrupted: the session in {planned.session_dir} holds the {len(planned.finished)} step(s) "
            "finished before it",
            file=sys.stderr,
        )
        raise
    finally:
        planned.close()  # the session folder is given back
    print(
        f"wrote {out_dir}: {len(planned.finished)} turn picture(s), {CONTACT_SHEET}, {SESSION_FOLDER}/ "
        f"(continue with --resume {planned.session_dir})"
    )
    if reply.error is not None:
        print_error(reply.error)
        return 1
    return 0


# ---------------------------------------------------------------------- edit IMAGE "instruction" -o OUT.png
def run_one_edit(args: argparse.Namespace) -> int:
    instruction = require_text(args.instruction, "instruction", '"make it snow"')
    if args.mask and args.target:
        raise InvalidRequestError("give either --mask or --target, not both")
    if args.invert and not (args.mask or args.target):
        raise InvalidRequestError("--invert needs --mask or --target")
    planned_only = [
        flag
        for flag, value in (
            ("--resume", args.resume),
            ("--planner", args.planner),
            ("--planner-model", args.planner_model),
            ("--on-missing stop", args.on_missing == "stop"),
            ("--replace-session", args.replace_session),
        )
        if value
    ]
    if planned_only:
        raise InvalidRequestError(
            f"{', '.join(planned_only)} only apply to planned requests: give a folder as -o, not a picture"
        )
    if args.mask_preview is not None and not args.target:
        raise InvalidRequestError("--mask-preview needs --target (it shows the mask made for the target)")
    if args.mask_preview is not None and not is_image_path(args.mask_preview):
        raise InvalidRequestError(f"--mask-preview {args.mask_preview} is not a picture path: use a name such as mask.png")
    if args.target is not None:
        read_target(args.target)  # an empty or meaningless phrase fails before any model loads
    picture = load_image(args.image)
    mask = load_mask(args.mask, picture.size) if args.mask else None
    if mask is not None and args.invert:
        mask = 1.0 - mask
    if mask is not None and float(mask.max()) <= 0:
        raise InvalidMaskError(
            "the mask is empty (nothing may change)" + (": --invert of an all-white mask" if args.invert else "")
        )
    # Where the results go: checked before the model loads; written together at the end, or not at all.
    output = check_output_file(args.output, "output")
    preview = check_output_file(args.mask_preview, "mask preview") if args.mask_preview else None
    check_distinct([("-o", args.output), ("--mask-preview", args.mask_preview)])
    check_editor_options(args)
    masking = masker_options(args) if args.target else None

    editor = load_editor(args)
    settings = edit_settings(args, editor.recommended_settings)
    found = find_target(masking, picture, args.target, invert=args.invert) if masking is not None else None
    if found is not None:
        mask = found.mask

    with ProgressBar("edit", quiet=args.quiet) as progress:
        result = editor.edit(picture, instruction, mask=mask, settings=settings, callback=progress)
    pictures = [(result.picture, output)]
    if found is not None and preview is not None:
        pictures.append((draw_mask_preview(picture, found), preview))
    write_pictures(pictures)
    where = "whole picture" if mask is None else f"mask covering {float(mask.mean()):.0%}"
    print(f"{printable(repr(instruction))} ({where}, seed {settings.seed}) -> {printable(output)}")
    return 0


def find_target(options, picture, phrase: str, *, invert: bool):
    """The masker's mask for ``phrase`` (said on standard error); raises when nothing matches."""
    result = Masker.from_options(options).mask(
        picture, phrase, granularity=options.granularity or "object", spread=options.spread, invert=invert
    )
    if not result.found:
        raise TargetNotFoundError(
            f"found nothing matching {phrase!r} (best score {result.best_score:.2f}); "
            "nothing was written. Try another phrase or lower --box-threshold"
        )
    print(f"mask for {printable(repr(phrase))}: {result.area_fraction:.0%} of the picture", file=sys.stderr)
    return result
