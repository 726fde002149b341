"""Running a planned request on a session into an output folder (``emilie-agent edit IMAGE "request" -o DIR``).

:class:`PlannedRequest` plans the request, then masks and edits step by step with the
:class:`~emilie_agent.agent.agent.EditingAgent`. The output folder receives, as soon as each step finishes:

* ``turn-NN.png``: the picture after turn NN (``turn-00.png`` is the input as the model saw it);
* ``turn-NN-mask.png``: for a local step, its mask drawn over the picture it edited;
* ``session/``: the saved session (``--resume DIR/session`` continues from it), saved after every step; it is
  locked while the request runs, and a ``session/`` that holds another session is refused (``--replace-session``
  replaces it);

and at the end (also after an error or Ctrl-C) ``contact_sheet.png``: every turn up to the current one, side
by side, and ``plan.json``.

:func:`open_session` (a new session on a picture, or a saved one resumed) and :func:`check_session_source`
serve ``chat`` too; the ``check_*`` functions are what can be checked before any model loads.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .agent import EditingAgent, require_a_real_step
from .contact_sheet import make_contact_sheet
from .reports import AgentReply, StepReport
from ..editing.lock import is_locked
from ..editing.session import EditSession
from ..editing.storage import MANIFEST, folder_state, read_manifest, refusal, session_folder
from ..errors import InvalidRequestError, SessionFileError
from ..files import atomic_write, save_picture
from ..images import load_image
from ..outputs import check_output_dir
from ..planning.plan import Plan
from ..text import require_text

if TYPE_CHECKING:  # pragma: no cover
    from ..editing.session import Turn

SESSION_FOLDER = "session"
CONTACT_SHEET = "contact_sheet.png"
PLAN_FILE = "plan.json"


def check_session_source(image: str | os.PathLike | None, resume: str | os.PathLike | None) -> None:
    """What can be checked before any model loads: the picture, or that ``resume`` holds a saved session."""
    if resume:
        folder = Path(resume).expanduser()
        if not (folder / MANIFEST).is_file():
            raise SessionFileError(f"{folder} is not a saved session (no {MANIFEST}); give the session folder")
    elif not image:
        raise InvalidRequestError("give a picture to edit (or --resume DIR)")
    else:
        load_image(image)


def check_output_folder(out_dir: str | os.PathLike) -> Path:
    """``out_dir`` as a folder that can be made (if missing) and written in; a file there, an empty path or a
    place that cannot be written (read-only, ``/proc``) is an InvalidRequestError. A folder that exists already
    is written into. Nothing is created by the check."""
    if isinstance(out_dir, (str, os.PathLike)) and not os.fspath(out_dir).strip():
        raise InvalidRequestError("the output folder is empty: give a folder, e.g. -o out/ (or OUT.png for one edit)")
    folder = Path(out_dir).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InvalidRequestError(f"{folder} is a file: give a folder for a planned request (or OUT.png for one edit)")
    return check_output_dir(folder)


def check_session_folder(
    folder: str | os.PathLike, *, resume: str | os.PathLike | None = None, replace: bool = False
) -> Path:
    """Before any model loads: that the session (new, or the one saved in ``resume``) may be saved in ``folder``.

    Refused (SessionFileError, nothing changed) when another session holds the folder's lock, or the folder holds
    another session or files that are not a session's; ``replace`` allows replacing another session. The save
    itself checks again, under the lock.
    """
    folder = session_folder(folder)
    holder = is_locked(folder) if folder.is_dir() else None
    if holder:
        raise SessionFileError(
            f"the session folder {folder} is in use by {holder}: close that session first, or use another folder"
        )
    session_id, uids = "", set()
    if resume:
        source = session_folder(resume)
        manifest = read_manifest(source)
        if manifest.session_id is None and os.path.realpath(source) == os.path.realpath(folder):
            return folder  # an older session folder, resumed in place: it is this session's
        session_id, uids = manifest.session_id or "", {record.uid for record in manifest.turns}
    state = folder_state(folder)
    problem = state.owner_problem(session_id, uids)
    if problem and not replace:
        if state.manifest is not None and not resume:
            raise SessionFileError(
                f"{problem}: nothing was written. Continue it with --resume {folder}, use another folder, "
                "or replace it with --replace-session"
            )
        raise SessionFileError(refusal(problem))
    return folder


def plan_request(planner: Any, request: str, session: EditSession | None = None) -> Plan:
    """The plan for ``request``, made before any model loads (so that a request with no real step in it, such as
    "and then", fails at once and writes nothing). ``session``: a resumed session (loaded without its editor),
    whose edits so far the planner is given, as the agent gives them."""
    if session is None:
        return require_a_real_step(planner.plan(require_text(request, "request", '"make the sky purple"'), []), request)
    return EditingAgent(session, planner=planner).plan(request)


def open_session(
    editor, *, image: str | os.PathLike | None = None, resume: str | os.PathLike | None = None, model: str | None = None
) -> EditSession:
    """The session saved in ``resume`` (edited with ``editor`` from its current turn), else a new one on
    ``image``; ``model`` names the editor's model, recorded in a new session."""
    if resume:
        return EditSession.load(resume, editor)
    return EditSession.start(editor, load_image(image), model=model)


def turn_caption(turn: "Turn") -> str:
    if turn.is_root:
        return f"#{turn.id} original"
    return f"#{turn.id} {turn.instruction}"


def write_contact_sheet(session: EditSession, path: Path) -> int:
    """Every turn from the original to the current one, side by side; returns how many pictures it shows."""
    items = [(turn_caption(turn), turn.picture) for turn in session.history()]
    save_picture(make_contact_sheet(items), path)
    return len(items)


class PlannedRequest:
    """One request, planned and run on ``session``, with every turn written into ``out_dir``.

    ``agent_options`` go to :class:`EditingAgent` (``planner=``, ``masker=``, ``settings=``, ``on_missing=``,
    ``progress=``, ``replace_session=``...); the agent locks ``out_dir/session`` (refused if it holds another
    session) and saves the session there after every step, until :meth:`close`. ``on_plan(plan)``
    hears the plan before it runs, ``on_step(report)`` every step once its files are written.
    """

    def __init__(
        self,
        session: EditSession,
        out_dir: str | os.PathLike,
        *,
        on_plan: Callable[[Plan], None] | None = None,
        on_step: Callable[[StepReport], None] | None = None,
        **agent_options: Any,
    ):
        self.out_dir = check_output_folder(out_dir)
        self.session = session
        self.on_step = on_step
        self.finished: list["Turn"] = []  # the turns made so far, in order
        self.agent = EditingAgent(
            session, autosave_dir=self.session_dir, on_plan=on_plan, on_step=self._step_finished, **agent_options
        )

    @property
    def session_dir(self) -> Path:
        return self.out_dir / SESSION_FOLDER

    def close(self) -> None:
        """Give back the session folder (it stays locked from construction until then)."""
        self.agent.close()

    def __enter__(self) -> "PlannedRequest":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def run(self, request: str, *, plan: Plan | None = None) -> AgentReply:
        """Plan ``request`` (unless ``plan`` is given: see :func:`plan_request`) and run every step; the contact
        sheet is written also after an error or Ctrl-C.

        The plan comes first: a request that cannot be planned (no real step in it) raises before any file is
        written; a step that fails ends the request and comes back in ``reply.error``, with the finished steps saved.
        """
        if plan is None:
            plan = self.agent.plan(request)
        self.agent.save()  # the session folder exists and loads even if the first step is interrupted
        self.write_turn(self.session.current)
        atomic_write(self.out_dir / PLAN_FILE, lambda p: p.write_text(json.dumps(plan.to_json_dict(), indent=1)))
        try:
            return self.agent.run_plan(plan)
        finally:
            write_contact_sheet(self.session, self.out_dir / CONTACT_SHEET)

    def write_turn(self, turn: "Turn") -> Path:
        return save_picture(turn.picture, self.out_dir / f"turn-{turn.id:02d}.png")

    def _step_finished(self, report: StepReport) -> None:
        if report.turn is not None:
            self.finished.append(report.turn)
            self.write_turn(report.turn)
            if report.mask_preview is not None:
                save_picture(report.mask_preview, self.out_dir / f"turn-{report.turn.id:02d}-mask.png")
        if self.on_step is not None:
            self.on_step(report)
