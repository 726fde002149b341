"""The editing agent: what a person says -> plan -> masks -> EMILIE edits, on one :class:`EditSession`.

For each message the agent either runs a command ("undo the last two", "show history", "go back to before the
snow", see :mod:`emilie_agent.agent.commands`) or plans the message into steps and runs them in order:

* a global step edits the whole picture;
* a local step asks the masker for its target (``invert`` edits everything except it) at a granularity chosen
  from the instruction: ``region`` when something is added on/near the target or the target grows (the new
  thing reaches past the target's outline), ``object`` otherwise ("recolor the door");
* a target the masker cannot find falls back to the mask of the latest earlier edit that mentions it ("put a
  hat on the man", then "make the hat bigger": the hat is where that edit's mask was); failing that the step is
  reported and skipped, or the request stops (``on_missing="stop"``).

Every step is one :meth:`EditSession.edit`, which records a turn only when it succeeded, and with
``autosave_dir`` the session is saved after every finished step and every move (undo, redo, ...). An error or a
Ctrl-C in the middle of a request therefore leaves a session that is complete up to the last finished step.
An existing autosave folder is claimed (locked) when the agent is made (a new one at its first save), and given
back by :meth:`EditingAgent.close`: a second agent (or process) on the same folder is refused at once, as is a
folder holding another session.

Each step's seed is ``settings.seed + the new turn's id``, recorded in the turn, so a session replays exactly.
The earlier steps on the current branch are handed to the planner, so "make it bigger" can refer back to them.

One lock guards the session: LangChain runs several tool calls of one model reply in parallel threads.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

import numpy as np
from PIL import Image
from pydantic import ValidationError

from .commands import HELP_TEXT, Command, mentions, parse_command
from .reports import AgentReply, FoundMask, Granularity, StepReport, where
from ..editing.settings import MAX_SEED, EditSettings
from ..editing.storage import EditContext, session_folder
from ..errors import EmilieError, InvalidRequestError, SessionFileError, TargetNotFoundError
from ..masking.masker import Masker
from ..masking.phrases import names_something
from ..masking.preview import draw_mask_preview
from ..planning.plan import Plan, Step
from ..planning.rule_planner import RulePlanner
from ..text import require_text, singular, words

if TYPE_CHECKING:  # pragma: no cover
    from ..planning.planner import Planner
    from ..editing.session import EditSession, Turn

OnMissing = Literal["skip", "stop"]
ProgressFactory = Callable[[str], Callable[[int, int], None]]  # label -> (done, total) callback

# Instructions that put something new on or next to the target, or make it grow: the edit must be free to
# paint past the target's outline, so the mask is the target's surroundings (a "region"), not its shape.
ADDING_VERBS = frozenset(
    "add put place park give draw insert attach hang stick plant sprinkle scatter surround".split()
)
GROWING_WORDS = frozenset(
    "bigger larger taller longer wider thicker huge giant enlarge grow extend expand lengthen widen stretch".split()
)
_LEADING_FILLER = frozenset("please can could would you kindly now then also and just".split())


def speaks_of_several(step: Step) -> bool:
    """Whether the instruction names the target in the plural ("remove the people", "make the apples red").

    Planners name targets in the singular ("person", "apple": the kind of object to look for), so the number
    lives in the instruction; when it is plural the masker must keep every match, not only the best one.
    """
    target_words = set(words(step.target or ""))
    return any(word not in target_words and singular(word) in target_words for word in words(step.instruction))


def choose_granularity(step: Step) -> Granularity:
    """How tightly to mask a step's target.

    ``global`` for global steps; ``object`` (the target's own outline) when everything except the target is
    edited, and for edits that change the target in place ("recolor the door", "make the car red");
    ``region`` (the target and its surroundings) when something is added on or near it ("put a hat on the
    man", "give the dog a bow") or it grows ("make the hat bigger").
    """
    if step.scope == "global":
        return "global"
    if step.invert:
        return "object"
    said = words(step.instruction)
    while said and said[0] in _LEADING_FILLER:
        said.pop(0)
    if said and said[0] in ADDING_VERBS:
        return "region"
    if GROWING_WORDS.intersection(said):
        return "region"
    return "object"


class EditingAgent:
    """Plans, masks and edits on one session, and understands undo/redo/history/save commands.

    ``planner``: anything with ``plan(request, history)`` (default: the offline :class:`RulePlanner`).
    ``masker``: a masker, or a function with no arguments that makes one; it is called the first time a local
    step needs a mask (default: ``Masker.from_pretrained()``, the real models). ``mask_options`` are passed to
    every ``masker.mask`` call (e.g. ``spread``); ``granularity`` fixes the granularity of every local step
    (None: chosen per step by :func:`choose_granularity`). ``settings`` are the sampling settings (default
    ``EditSettings(preserve="exact")``); each step's seed is ``settings.seed + turn id``.
    ``progress(label)`` returns a ``(done, total)`` callback for one step (closed afterwards if it has ``close``).
    ``on_plan(plan)`` is called before a plan runs, ``on_step(report)`` after every step (done or not).
    ``autosave_dir`` is locked for this session until :meth:`close`; ``replace_session=True`` lets the first save
    replace another session saved there; ``after_autosave()`` runs after each autosave (the service uploads the
    folder to object storage there); its errors count as the autosave's.
    """

    def __init__(
        self,
        session: "EditSession",
        *,
        planner: "Planner | None" = None,
        masker: Any = None,
        settings: EditSettings | None = None,
        on_missing: OnMissing = "skip",
        autosave_dir: str | os.PathLike | None = None,
        progress: ProgressFactory | None = None,
        mask_options: dict[str, Any] | None = None,
        granularity: Granularity | None = None,
        on_plan: Callable[[Plan], None] | None = None,
        on_step: Callable[[StepReport], None] | None = None,
        replace_session: bool = False,
        after_autosave: Callable[[], None] | None = None,
    ):
        if on_missing not in ("skip", "stop"):
            raise ValueError(f"on_missing must be 'skip' or 'stop', not {on_missing!r}")
        self.session = session
        self.planner = planner if planner is not None else RulePlanner()
        # Default: the editor's recommended settings (a toy model's guidance travels with it), exact preservation.
        recommended = getattr(session.editor, "recommended_settings", None) or EditSettings()
        self.settings = settings or recommended.replace(preserve="exact")
        self.on_missing = on_missing
        self.autosave_dir = session_folder(autosave_dir) if autosave_dir is not None else None
        self._replace_pending = bool(replace_session)  # the first autosave may replace another session
        self.after_autosave = after_autosave
        if self.autosave_dir is not None and self.autosave_dir.is_dir():
            # Refused here (SessionFileError) when another session holds the folder or has saved there. A folder
            # that does not exist yet is made (and locked) by the first save, so that nothing is written before.
            session.claim(self.autosave_dir, overwrite=replace_session)
        self.progress = progress
        self.mask_options = dict(mask_options or {})
        self.granularity = granularity
        self.on_plan = on_plan
        self.on_step = on_step
        self.lock = threading.RLock()
        self.last_reply: AgentReply | None = None
        if masker is None:
            self._masker, self._make_masker = None, Masker.from_pretrained  # the real models
        elif hasattr(masker, "mask"):
            self._masker, self._make_masker = masker, None
        elif callable(masker):
            self._masker, self._make_masker = None, masker
        else:
            raise TypeError("masker must be a masker (with .mask) or a function that returns one")

    # ------------------------------------------------------------------ the one entry point
    def handle(self, message: str) -> AgentReply:
        """Answer one message: a command, or an edit request that is planned and run.

        Errors a person can act on (nothing to undo, target not found with ``on_missing="stop"``, a plan the
        model got wrong, a model that is missing) come back in the reply (``reply.error``), never half-applied.
        A Ctrl-C (KeyboardInterrupt) is let through; the session then holds every step finished before it.
        """
        with self.lock:
            command = parse_command(message)
            if command is not None:
                return self.run_command(command)
            try:
                plan = self.plan(message)
            except EmilieError as err:
                reply = AgentReply(text=f"Could not plan that: {err}", error=err)
            else:
                reply = self.run_plan(plan)
            reply.current = self.session.current
            self.last_reply = reply
            return reply

    # ------------------------------------------------------------------ planning and running
    def plan(self, request: str) -> Plan:
        """The planner's plan for ``request``, given the steps that led to the current picture."""
        require_text(request, "request", '"make the sky purple", or "help"')
        with self.lock:
            history = self.history_steps()
        return require_a_real_step(self.planner.plan(request, history), request)

    def history_steps(self) -> list[Step]:
        """The edits from the original picture to the current one, as plan steps (oldest first)."""
        steps = []
        for turn in self.session.history()[1:]:
            context = turn.context
            scope = context.scope or ("global" if turn.mask is None else "local")
            try:
                steps.append(
                    Step(
                        instruction=turn.instruction or "",
                        scope=scope,
                        target=context.target if scope == "local" else None,
                        invert=context.invert if scope == "local" else False,
                    )
                )
            except ValidationError:
                continue  # e.g. a turn made elsewhere with a hand-made mask: it has no target to name
        return steps

    def run_plan(self, plan: Plan, *, granularity: Granularity | None = None) -> AgentReply:
        """Run every step of ``plan`` in order; ``granularity`` overrides the per-step choice."""
        granularity = granularity or self.granularity
        with self.lock:
            if self.on_plan is not None:
                self.on_plan(plan)
            reports: list[StepReport] = []
            error: EmilieError | None = None
            total = len(plan.steps)
            for number, step in enumerate(plan.steps, start=1):
                chosen = choose_granularity(step) if granularity is None or step.scope == "global" else granularity
                if error is not None:
                    reports.append(StepReport(number, total, step, "not run", chosen, note="an earlier step stopped"))
                    continue
                report, error = self._run_step(plan, number, step, chosen)
                reports.append(report)
                if self.on_step is not None:
                    self.on_step(report)
            text = "\n".join(report.describe() for report in reports)
            if error is not None:
                text += f"\nStopped: {error}"
            previews = [
                (f"turn #{r.turn.id} mask", r.mask_preview) for r in reports if r.turn is not None and r.mask_preview
            ]
            return AgentReply(
                text=text, plan=plan, steps=reports, mask_previews=previews, error=error, current=self.session.current
            )

    def _run_step(
        self, plan: Plan, number: int, step: Step, granularity: Granularity
    ) -> tuple[StepReport, EmilieError | None]:
        total = len(plan.steps)
        base = self.session.current
        turn_id = self.session.next_turn_id
        seed = (self.settings.seed + turn_id) % (MAX_SEED + 1)  # a seed near 2**64 wraps round, as torch's do
        report = StepReport(number, total, step, "failed", granularity, seed=seed)
        mask = None
        mask_source = None
        try:
            if step.scope == "local":
                found = self._find_mask(base.picture, step, granularity)
                mask, mask_source, report.mask_preview, report.note = found.mask, found.source, found.preview, found.note
                if mask is None:
                    if self.on_missing == "stop":
                        report.status = "not found"
                        return report, TargetNotFoundError(f"step {number}: {report.note}")
                    report.status = "skipped"
                    return report, None
                report.mask_area = float(mask.mean())
            context = EditContext(
                request=plan.request,
                step=number,
                steps=total,
                scope=step.scope,
                target=step.target,
                invert=step.invert,
                granularity=granularity,
                mask_area=None if mask is None else round(report.mask_area, 4),
                mask_source=mask_source,
            )
            callback = self.progress(f"step {number}/{total}") if self.progress else None
            try:
                report.turn = self.session.edit(
                    step.instruction,
                    mask=mask,
                    settings=self.settings.replace(seed=seed),
                    callback=callback,
                    context=context,
                )
            finally:
                if callback is not None and hasattr(callback, "close"):
                    callback.close()
            report.status = "done"
            self.autosave()
            return report, None
        except EmilieError as err:
            if report.turn is not None:  # edited, then the autosave failed: the turn exists, say so
                report.status = "done"
                report.note = f"not saved: {err}"
            else:
                report.note = str(err)
            return report, err

    def _find_mask(self, picture: Image.Image, step: Step, granularity: Granularity) -> "FoundMask":
        """The step's mask: the masker's, else a remembered one; ``mask`` is None when neither exists."""
        options = dict(self.mask_options)
        if "multiple" not in options and speaks_of_several(step):
            options["multiple"] = True
        result = self.masker.mask(picture, step.target, granularity=granularity, invert=step.invert, **options)
        if result.found and float(np.max(result.mask)) > 0:
            return FoundMask(result.mask, draw_mask_preview(picture, result), source="masker")
        if result.found:  # found, but inverting it leaves nothing: the target fills the picture
            return FoundMask(note=f"{step.target!r} covers the whole picture, so 'everything except' it is empty")
        remembered = self._remembered_mask(step.target)
        if remembered is not None:
            turn, mask = remembered
            if step.invert:
                mask = 1.0 - mask
            if float(mask.max()) > 0:
                return FoundMask(
                    mask.astype(np.float32),
                    draw_mask_preview(picture, mask),
                    source=f"turn #{turn.id}",
                    note=f"no {step.target!r} found: used the mask of turn #{turn.id} {turn.instruction!r}",
                )
        return FoundMask(note=f"found nothing matching {step.target!r}")

    def _remembered_mask(self, target: str) -> tuple["Turn", np.ndarray] | None:
        """The mask of the latest edit on this branch that mentions ``target`` (and was not inverted)."""
        for turn in reversed(self.session.history()[1:]):
            if turn.mask is None or turn.context.invert:
                continue
            if mentions(turn.instruction, target) or mentions(turn.context.target, target):
                return turn, turn.mask
        return None

    def edit(
        self,
        instruction: str,
        target: str | None = None,
        *,
        invert: bool = False,
        granularity: Granularity | None = None,
    ) -> AgentReply:
        """One edit without the planner (what the ``edit_image`` tool does): the step is given, not planned.

        ``target`` makes it local (``invert``: everything except the target); ``granularity`` None chooses.
        """
        step = step_for_edit(instruction, target, invert)
        with self.lock:
            reply = self.run_plan(Plan(request=instruction, steps=[step]), granularity=granularity)
            self.last_reply = reply
            return reply

    # ------------------------------------------------------------------ masks
    @property
    def masker(self):
        """The masker, made on first use (loading detection models is slow, and global edits need none)."""
        with self.lock:
            if self._masker is None:
                self._masker = self._make_masker()
            return self._masker

    def preview_mask(self, phrase: str, *, invert: bool = False, granularity: Granularity | None = None):
        """The mask the masker finds for ``phrase`` on the current picture, and its preview. Records nothing."""
        require_text(phrase, "phrase", "'the man'", advice="say what to find")
        with self.lock:
            step = Step(instruction=f"edit {phrase}", scope="local", target=phrase, invert=invert)
            chosen = granularity or choose_granularity(step)
            picture = self.session.current.picture
            result = self.masker.mask(picture, step.target, granularity=chosen, invert=invert, **self.mask_options)
            return result, draw_mask_preview(picture, result)

    def mask_reply(
        self, phrase: str, *, invert: bool = False, granularity: Granularity | None = None
    ) -> AgentReply:
        """:meth:`preview_mask` as a reply: the area in words and the preview picture. Records nothing."""
        result, preview = self.preview_mask(phrase, invert=invert, granularity=granularity)
        if not result.found:
            missing = f"found nothing matching {phrase!r} (best score {result.best_score:.2f})"
            return AgentReply(
                text=f"Nothing to show: {missing}.", error=TargetNotFoundError(missing), current=self.session.current
            )
        who = f"everything except {phrase!r}" if invert else repr(phrase)
        reply = AgentReply(
            text=f"Mask for {who} ({result.granularity}): {result.area_fraction:.0%} of the picture.",
            mask_previews=[(f"mask for {phrase}", preview)],
            current=self.session.current,
        )
        self.last_reply = reply
        return reply

    # ------------------------------------------------------------------ commands
    def run_command(self, command: Command) -> AgentReply:
        """Carry out a command (undo, redo, history...); a refusal ("nothing to undo") comes back as the reply."""
        with self.lock:
            try:
                reply = self._command_reply(command)
            except EmilieError as err:
                reply = AgentReply(text=str(err), error=err)
            reply.current = self.session.current
            self.last_reply = reply
            return reply

    def _command_reply(self, command: Command) -> AgentReply:
        if command.problem:  # read as a command, but not one that can be carried out as written
            raise InvalidRequestError(command.problem)
        session = self.session
        kind = command.kind
        if kind == "undo":
            turn = session.undo(command.count)
            self.autosave()
            undone = f"the last {command.count} edits" if command.count > 1 else "the last edit"
            return AgentReply(text=f"Undid {undone}; now at {where(turn)}.")
        if kind == "redo":
            turn = session.redo(command.count)
            self.autosave()
            return AgentReply(text=f"Redid; now at {where(turn)}.")
        if kind == "history":
            branches = len(session.branches())
            tail = f"\n({branches} branches; * marks the current picture)" if branches > 1 else ""
            return AgentReply(text=session.describe() + tail)
        if kind == "show_mask":
            return self._show_mask(command.phrase)
        if kind == "start_over":
            root = session.history()[0]
            session.checkout(root.id)
            self.autosave()
            return AgentReply(text=f"Back to the original picture (#{root.id}); the edits are kept in the history.")
        if kind == "go_back_before":
            return self._go_back_before(command.phrase or "")
        if kind == "checkout":
            turn = session.checkout(command.turn_id)
            self.autosave()
            return AgentReply(text=f"Now at {where(turn)}.")
        if kind == "save":
            folder = self.save(command.path)
            return AgentReply(text=f"Saved the session ({len(session)} turns) to {folder}.")
        if kind == "help":
            return AgentReply(text=HELP_TEXT)
        if kind == "quit":
            return AgentReply(text="Bye.", quit=True)
        raise AssertionError(f"unhandled command {kind}")  # pragma: no cover - parse_command makes only these

    def _show_mask(self, phrase: str | None) -> AgentReply:
        if phrase:
            return self.mask_reply(phrase)
        turn = self.session.current
        if turn.is_root:
            return AgentReply(text="This is the original picture: no edit, no mask.")
        if turn.mask is None:
            return AgentReply(text=f"Turn #{turn.id} {turn.instruction!r} edited the whole picture (no mask).")
        parent = self.session.turns[turn.parent]
        preview = draw_mask_preview(parent.picture, turn.mask)
        return AgentReply(
            text=f"Mask of turn #{turn.id} {turn.instruction!r}: {float(turn.mask.mean()):.0%} of the picture.",
            mask_previews=[(f"turn #{turn.id} mask", preview)],
        )

    def _go_back_before(self, phrase: str) -> AgentReply:
        turn = self.find_turn(phrase)
        if turn is None:
            raise InvalidRequestError(f"no edit mentions {phrase!r}; say 'show history' to see them")
        self.session.checkout(turn.parent)
        self.autosave()
        return AgentReply(
            text=f"Back to turn #{turn.parent}, before #{turn.id} {turn.instruction!r} (kept in the history)."
        )

    def find_turn(self, phrase: str) -> "Turn | None":
        """The latest edit whose instruction (or request) mentions ``phrase``: this branch first, then any."""
        branch = [t for t in reversed(self.session.history()) if not t.is_root]
        others = sorted((t for t in self.session if not t.is_root and t not in branch), key=lambda t: -t.id)
        for candidates in (branch, others):
            for turn in candidates:
                if mentions(turn.instruction, phrase):
                    return turn
            for turn in candidates:
                if mentions(turn.context.request, phrase):
                    return turn
        return None

    # ------------------------------------------------------------------ saving
    def save(self, folder: str | os.PathLike | None = None) -> Path:
        """Save the session to ``folder`` (default: the autosave folder); an empty path is refused.

        A folder that holds another session (or files that are not a session's), or that another session holds,
        is refused with SessionFileError and nothing is written.
        """
        overwrite = False
        if folder is None:
            target = self.autosave_dir
            if target is None:
                raise InvalidRequestError("say where to save: 'save to PATH' (no session folder was set)")
            overwrite = self._replace_pending
        else:
            try:
                target = session_folder(folder)
            except InvalidRequestError:
                raise InvalidRequestError("say where to save: 'save to PATH' (the path is empty)") from None
        with self.lock:
            try:
                saved = self.session.save(target, overwrite=overwrite)
            except OSError as err:
                raise SessionFileError(f"could not save the session to {target}: {err}") from None
            if folder is None:
                self._replace_pending = False
            return saved

    def close(self) -> None:
        """Give back the folders the session holds (the autosave folder, folders saved into)."""
        with self.lock:
            self.session.close()

    def __enter__(self) -> "EditingAgent":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def autosave(self) -> None:
        """Save to the autosave folder, if there is one (after every finished step and every move)."""
        if self.autosave_dir is not None:
            self.save(self.autosave_dir)
            if self.after_autosave is not None:
                self.after_autosave()


def require_a_real_step(plan: Plan, request: str) -> Plan:
    """``plan``, unless none of its steps names anything ("the", "of the": only words like these): then the
    request holds no edit, and an InvalidRequestError says so before anything is done."""
    if not any(names_something(step.instruction) for step in plan.steps):
        raise InvalidRequestError(f"no edit found in {request.strip()[:80]!r}: say what to change")
    return plan


def step_for_edit(instruction: str, target: str | None = None, invert: bool = False) -> Step:
    """A one-step edit as a plan step: local when there is a target. Raises InvalidRequestError if it is unusable."""
    try:
        if target is not None and target.strip():
            return Step(instruction=instruction, scope="local", target=target, invert=invert)
        if invert:
            raise InvalidRequestError("invert needs a target: say what to keep unchanged")
        return Step(instruction=instruction, scope="global")
    except ValidationError as err:
        problems = "; ".join(problem["msg"].removeprefix("Value error, ") for problem in err.errors())
        raise InvalidRequestError(f"unusable edit: {problems}") from None
