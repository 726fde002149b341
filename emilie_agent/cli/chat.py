"""``emilie-agent chat IMAGE``: edit a picture by talking to it, one message at a time.

Type what to change ("make it winter, then put a red scarf on the man") or a command: undo [N], redo,
show history, show the mask [for X], go back to before X, go to turn N, start over, save [PATH], help, quit.

The session is saved after every change into --session-dir (printed at the start); --resume DIR continues a
saved session (and keeps saving there unless --session-dir says otherwise). The current picture is always
DIR/current.png; mask previews are written next to it.

Standard input may be piped (``printf 'make it snow\\nundo\\nquit\\n' | emilie-agent chat in.png``): then no
prompt is shown, each message is echoed as "> message", and the end of the input ends the session (status 0).
Ctrl-C during an edit cancels that edit (the session keeps every finished step); at the prompt it quits.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import TextIO

from .options import (
    add_editor_arguments,
    add_masker_arguments,
    add_request_arguments,
    agent_options,
    edit_settings,
    load_editor,
    planner,
    session_from_args,
)
from ..errors import InvalidRequestError
from ..files import save_picture

PROMPT = "you> "
CURRENT_PICTURE = "current.png"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "chat",
        help="edit a picture interactively: requests and commands (undo, history, save...) one by one",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", nargs="?", help="the picture to edit (not needed with --resume)")
    p.add_argument(
        "--session-dir",
        help="where the session is saved after every change (default: emilie-sessions/PICTURE-TIME, "
        "or the --resume folder)",
    )
    add_editor_arguments(p)
    add_masker_arguments(p)
    add_request_arguments(p)
    p.set_defaults(func=run)


def default_session_dir(args: argparse.Namespace) -> Path:
    if args.session_dir:
        return Path(args.session_dir).expanduser()
    if args.resume:
        return Path(args.resume).expanduser()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(args.image).stem) or "picture"
    return Path("emilie-sessions") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def run(args: argparse.Namespace) -> int:
    # Lazy: the agent's sessions hold torch tensors; `chat --help` need not load torch.
    from ..agent.agent import EditingAgent
    from ..agent.request import check_session_source  # lazy, as above

    stdin = sys.stdin
    if args.image and args.resume:
        print(f"emilie-agent: note: resuming {args.resume}; {args.image} is not read", file=sys.stderr)
    check_session_source(args.image, args.resume)
    # The planner and every option are checked here, before the editor loads.
    options = agent_options(args, planner(args.planner, args.planner_model))
    folder = default_session_dir(args)
    if folder.exists() and not folder.is_dir():
        raise InvalidRequestError(f"--session-dir {folder} is a file, not a folder")

    editor = load_editor(args)
    options["settings"] = edit_settings(args, editor.recommended_settings)
    session = session_from_args(args, editor)
    agent = EditingAgent(
        session,
        autosave_dir=folder,
        on_plan=lambda plan: print(plan.describe(), flush=True),
        on_step=lambda report: print(report.describe(), flush=True),
        **options,
    )
    agent.save()
    save_picture(session.current.picture, folder / CURRENT_PICTURE)
    interactive = stdin.isatty()
    print(f"session: {folder} (saved after every change; current picture: {folder / CURRENT_PICTURE})")
    if interactive:
        _enable_line_editing()
        print('Say what to change, or "help". "quit" to leave.')

    for message in _messages(stdin, interactive):
        try:
            reply = agent.handle(message)
        except KeyboardInterrupt:
            print(f"interrupted: that edit was not applied; the session in {folder} keeps every finished step")
            if interactive:
                continue
            return 130
        # A plan's steps were printed as they finished; other replies are printed here.
        if reply.plan is None:
            print(reply.text)
        elif reply.error is not None:
            print(f"Stopped: {reply.error}")
        for number, (label, preview) in enumerate(reply.mask_previews, start=1):
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")
            path = save_picture(preview, folder / f"preview-{name}-{number}.png")
            print(f"{label}: {path}")
        save_picture(session.current.picture, folder / CURRENT_PICTURE)
        if reply.quit:
            break
    return 0


def _messages(stdin: TextIO, interactive: bool):
    """Non-empty messages, until the input ends (EOF) or Ctrl-C at the prompt."""
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not interactive and line == "":
            return  # end of the piped input
        message = line.strip()
        if not message:
            continue
        if not interactive:
            print(f"> {message}", flush=True)
        yield message


def _enable_line_editing() -> None:
    try:
        import readline  # noqa: F401 - importing it gives input() history and line editing
    except ImportError:
        pass
