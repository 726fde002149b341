"""``emilie-agent chat IMAGE``: edit a picture by talking to it, one message at a time.

Type what to change ("make it winter, then put a red scarf on the man") or a command: undo [N], redo,
show history, show the mask [for X], go back to before X, go to turn N, start over, save [PATH], help, quit.

The session is saved after every change into --session-dir (printed at the start); --resume DIR continues a
saved session (and keeps saving there unless --session-dir says otherwise). The current picture is always
DIR/current.png; mask previews are written next to it. The folder is locked while chat runs (a second chat on
it is refused), and a folder that holds another session is refused unless --replace-session.

Standard input may be piped (``printf 'make it snow\\nundo\\nquit\\n' | emilie-agent chat in.png``): then no
prompt is shown, each message is echoed as "> message", and the end of the input ends the session (status 0).
Ctrl-C during an edit cancels that edit (the session keeps every finished step); at the prompt it quits.
"""
from __future__ import annotations

import argparse
import io
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
    check_editor_options,
    edit_settings,
    load_editor,
    planner,
    session_from_args,
)
from .terminal import not_utf8, printable, without_controls
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
    p.add_argument(
        "--replace-session",
        action="store_true",
        help="let the session replace another session saved in --session-dir (its turns are deleted)",
    )
    add_editor_arguments(p)
    add_masker_arguments(p)
    add_request_arguments(p)
    p.set_defaults(func=run)


def default_session_dir(args: argparse.Namespace) -> Path:
    if args.session_dir is not None and not args.session_dir.strip():
        raise InvalidRequestError("--session-dir is empty: give a folder to save the session into")
    if args.session_dir:
        return Path(args.session_dir).expanduser()
    if args.resume:
        return Path(args.resume).expanduser()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(args.image).stem) or "picture"
    return Path("emilie-sessions") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def run(args: argparse.Namespace) -> int:
    # Lazy: the agent's sessions hold torch tensors; `chat --help` need not load torch.
    from ..agent.agent import EditingAgent
    from ..agent.request import check_session_folder, check_session_source  # lazy, as above

    stdin = sys.stdin if sys.stdin is not None else io.StringIO("")  # standard input closed: no messages
    if args.image and args.resume:
        print(printable(f"emilie-agent: note: resuming {args.resume}; {args.image} is not read"), file=sys.stderr)
    check_session_source(args.image, args.resume)
    # The planner and every option are checked here, before the editor loads.
    check_editor_options(args)
    options = agent_options(args, planner(args.planner, args.planner_model))
    folder = default_session_dir(args)
    if folder.exists() and not folder.is_dir():
        raise InvalidRequestError(f"--session-dir {folder} is a file, not a folder")
    check_session_folder(folder, resume=args.resume, replace=args.replace_session)

    editor = load_editor(args)
    options["settings"] = edit_settings(args, editor.recommended_settings)
    session = session_from_args(args, editor)
    agent = EditingAgent(
        session,
        autosave_dir=folder,
        on_plan=lambda plan: say(plan.describe()),
        on_step=lambda report: say(report.describe()),
        replace_session=args.replace_session,
        **options,
    )
    with agent:  # the session folder is locked until chat ends
        return _chat(agent, folder, stdin)


def _chat(agent, folder: Path, stdin: TextIO) -> int:
    session = agent.session
    agent.save()
    save_picture(session.current.picture, folder / CURRENT_PICTURE)
    interactive = stdin.isatty()
    say(f"session: {folder} (saved after every change; current picture: {folder / CURRENT_PICTURE})")
    if interactive:
        _enable_line_editing()
        print('Say what to change, or "help". "quit" to leave.')

    for message in _messages(stdin, interactive):
        try:
            reply = agent.handle(message)
        except KeyboardInterrupt:
            say(f"interrupted: that edit was not applied; the session in {folder} keeps every finished step")
            if interactive:
                continue
            return 130
        # A plan's steps were printed as they finished; other replies are printed here.
        if reply.plan is None:
            say(reply.text)
        elif reply.error is not None:
            say(f"Stopped: {reply.error}")
        for number, (label, preview) in enumerate(reply.mask_previews, start=1):
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:60].strip("-") or "mask"
            path = save_picture(preview, folder / f"preview-{name}-{number}.png")
            say(f"{label}: {path}")
        save_picture(session.current.picture, folder / CURRENT_PICTURE)
        if reply.quit:
            break
    return 0


def say(text: object) -> None:
    """Print a reply: what came from the person (echoed, or inside a reply) is shown with its terminal escape
    sequences and other control characters escaped, never acted on by the terminal."""
    print(printable(text, keep_newlines=True), flush=True)


def _messages(stdin: TextIO, interactive: bool):
    """Non-empty messages, until the input ends (EOF) or Ctrl-C at the prompt.

    A line that is not UTF-8 text is answered (and skipped), never planned."""
    reconfigure = getattr(stdin, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="surrogateescape")  # bytes that are not UTF-8 come through, marked, not raised
        except (ValueError, OSError, AttributeError, TypeError):
            pass
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        except UnicodeDecodeError as err:
            raise InvalidRequestError(f"the input is not UTF-8 text ({err.reason} at byte {err.start})") from None
        if not interactive and line == "":
            return  # end of the piped input
        message = line.strip()
        if not message:
            continue
        if not interactive:
            say(f"> {message}")
        if not_utf8(message):
            say("That message is not UTF-8 text (its odd bytes are shown as \\x..): nothing was done. "
                "Write it again in UTF-8.")
            continue
        message = " ".join(without_controls(message).split())  # escape sequences and control characters mean nothing
        if message:
            yield message


def _enable_line_editing() -> None:
    try:
        import readline  # noqa: F401 - importing it gives input() history and line editing
    except ImportError:
        pass
