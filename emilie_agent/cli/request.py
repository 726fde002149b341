"""The planned form of ``emilie-agent edit IMAGE "request" -o OUT_DIR``, and what it shares with ``chat``.

``run_edit_request`` plans the request, prints the plan, then masks and edits step by step with a progress bar
each. ``OUT_DIR`` receives, as soon as each step finishes:

* ``turn-NN.png``: the picture after turn NN (``turn-00.png`` is the input as the model saw it);
* ``turn-NN-mask.png``: for a local step, its mask drawn over the picture it edited;
* ``session/``: the saved session (``--resume OUT_DIR/session`` continues from it), saved after every step;

and at the end (also after an error or Ctrl-C) ``contact_sheet.png``: every turn up to the current one, side
by side, and ``plan.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequestError, SessionFileError
from ..files import atomic_write, save_picture

if TYPE_CHECKING:  # pragma: no cover
    from ..agent.agent import EditingAgent, StepReport
    from ..editing.session import EditSession, Turn

SESSION_FOLDER = "session"
CONTACT_SHEET = "contact_sheet.png"


def add_request_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the planned form (``edit ... -o OUT_DIR``) and of ``chat``."""
    from ..planning.planners import PLANNER_KINDS

    g = parser.add_argument_group("planned requests (edit -o OUT_DIR, chat)")
    g.add_argument(
        "--planner",
        choices=PLANNER_KINDS,
        default=None,
        help="rules: offline, no API key (default); llm: a LangChain chat model (needs --planner-model)",
    )
    g.add_argument(
        "--planner-model",
        metavar="PROVIDER:NAME",
        help='the chat model that plans, e.g. "openai:gpt-4o-mini" (selects --planner llm)',
    )
    g.add_argument(
        "--on-missing",
        choices=["skip", "stop"],
        default="skip",
        help="when a step's target is not found: skip that step (default) or stop the request there",
    )
    g.add_argument(
        "--resume",
        metavar="DIR",
        help="continue the session saved in DIR (e.g. OUT_DIR/session); its current picture is edited, IMAGE is not read",
    )


# ---------------------------------------------------------------------- pieces shared with chat
def planner_from_args(args: argparse.Namespace):
    from ..planning.planners import make_planner

    model = getattr(args, "planner_model", None)
    return make_planner(getattr(args, "planner", None) or ("llm" if model else "rules"), model)


def masker_factory(args: argparse.Namespace):
    """A function that loads the masker from the command line options, called only if a local step needs it."""

    def load():
        from ..masking.masker import masker_from_args

        return masker_from_args(args)

    return load


def mask_options(args: argparse.Namespace) -> dict[str, Any]:
    """Options for every ``masker.mask`` call that the command line sets (the granularity is chosen per step)."""
    spread = getattr(args, "spread", None)
    return {} if spread is None else {"spread": spread}


def start_session(args: argparse.Namespace, editor) -> "EditSession":
    """A new session on IMAGE, or the one saved in --resume DIR."""
    from .options import editor_model_name
    from ..images import load_image
    from ..editing.session import EditSession

    model = editor_model_name(args)
    if getattr(args, "resume", None):
        session = EditSession.load(args.resume, editor)
        if session.model and session.model != model:
            print(
                f"emilie-agent: warning: {args.resume} was made with {session.model!r}, now editing with "
                f"{model!r}; the carried latents may not suit it",
                file=sys.stderr,
            )
        print(f"resumed {args.resume}: {len(session)} turns, now at {session.current.describe()}", file=sys.stderr)
        return session
    return EditSession.start(editor, load_image(args.image), model=model)


def make_agent(args: argparse.Namespace, session: "EditSession", *, autosave_dir: Path, **hooks) -> "EditingAgent":
    from ..agent.agent import EditingAgent
    from .options import ProgressBar, settings_from_args

    quiet = getattr(args, "quiet", False)
    return EditingAgent(
        session,
        planner=planner_from_args(args),
        masker=masker_factory(args),
        settings=settings_from_args(args),
        on_missing=args.on_missing,
        autosave_dir=autosave_dir,
        progress=lambda label: ProgressBar(label, quiet=quiet),
        mask_options=mask_options(args),
        granularity=getattr(args, "granularity", None),  # the masker's --granularity, when given
        **hooks,
    )


def check_request_inputs(args: argparse.Namespace) -> None:
    """What can be checked before any model loads: the picture (or the session to resume) and the settings."""
    from .options import settings_from_args
    from ..images import load_image
    from ..editing.session import MANIFEST

    if getattr(args, "resume", None):
        folder = Path(args.resume).expanduser()
        if not (folder / MANIFEST).is_file():
            raise SessionFileError(f"{folder} is not a saved session (no {MANIFEST}); give the session folder")
    else:
        if not getattr(args, "image", None):
            raise InvalidRequestError("give a picture to edit (or --resume DIR)")
        load_image(args.image)
    settings_from_args(args).validate()


def turn_caption(turn: "Turn") -> str:
    if turn.is_root:
        return f"#{turn.id} original"
    return f"#{turn.id} {turn.instruction}"


def write_contact_sheet(session: "EditSession", path: Path) -> Path:
    """Every turn from the original to the current one, side by side."""
    from ..agent.contact_sheet import make_contact_sheet

    items = [(turn_caption(turn), turn.picture) for turn in session.history()]
    return save_picture(make_contact_sheet(items), path)


# ---------------------------------------------------------------------- edit -o OUT_DIR
def run_edit_request(args: argparse.Namespace) -> int:
    """Plan, mask and edit ``args.instruction`` on ``args.image``; write everything into ``args.output``."""
    from .options import editor_from_args

    request = (args.instruction or "").strip()
    if not request:
        raise InvalidRequestError('the request is empty: say what to change, e.g. "make it winter, then ..."')
    one_shot = [f"--{name.replace('_', '-')}" for name in ("mask", "target", "invert", "mask_preview") if getattr(args, name, None)]
    if one_shot:
        raise InvalidRequestError(
            f"{', '.join(one_shot)}: only for one edit (-o OUT.png); a planned request (-o OUT_DIR) masks each step itself"
        )
    out_dir = Path(args.output).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidRequestError(f"{out_dir} is a file: give a folder for a planned request (or OUT.png for one edit)")
    check_request_inputs(args)
    planner_from_args(args)  # an unusable planner choice fails here, before the editor loads

    editor = editor_from_args(args)
    session = start_session(args, editor)
    session_dir = out_dir / SESSION_FOLDER
    outputs = RequestOutputs(out_dir, session)
    agent = make_agent(args, session, autosave_dir=session_dir, on_step=outputs.step_finished)
    agent.save()  # the session folder exists and loads even if the first step is interrupted
    outputs.write_turn(session.current)

    plan = agent.plan(request)
    print(plan.describe(), flush=True)
    atomic_write(out_dir / "plan.json", lambda p: p.write_text(json.dumps(plan.to_json_dict(), indent=1)))
    try:
        reply = agent.run_plan(plan)
    except KeyboardInterrupt:
        done = len(outputs.finished)
        print(
            f"interrupted: the session in {session_dir} holds the {done} step(s) finished before it",
            file=sys.stderr,
        )
        raise
    finally:
        write_contact_sheet(session, out_dir / CONTACT_SHEET)
    print(f"wrote {out_dir}: {len(outputs.finished)} turn picture(s), {CONTACT_SHEET}, {SESSION_FOLDER}/ "
          f"(continue with --resume {session_dir})")
    if reply.error is not None:
        print(f"emilie-agent: error: {reply.error}", file=sys.stderr)
        return 1
    return 0


class RequestOutputs:
    """Writes each finished step's picture and mask preview into the output folder, and prints its report."""

    def __init__(self, out_dir: Path, session: "EditSession"):
        self.out_dir = out_dir
        self.session = session
        self.finished: list["Turn"] = []

    def write_turn(self, turn: "Turn") -> Path:
        return save_picture(turn.picture, self.out_dir / f"turn-{turn.id:02d}.png")

    def step_finished(self, report: "StepReport") -> None:
        print(report.describe(), flush=True)
        if report.turn is None:
            return
        self.finished.append(report.turn)
        self.write_turn(report.turn)
        if report.mask_preview is not None:
            save_picture(report.mask_preview, self.out_dir / f"turn-{report.turn.id:02d}-mask.png")
