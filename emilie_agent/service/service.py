"""The editing service: many editing sessions in one process, addressed by id, sharing one set of models.

The web UI, the MCP server and later deployments all go through :class:`EditingService`; none of them holds
session logic of its own::

    service = EditingService(SessionStore("sessions"), models="toy")
    sid = service.open("photo.png")                      # -> "3f2c...": 32 hex digits
    reply = service.message(sid, "make it winter, then make the door blue")
    reply.text, reply.turns, reply.mask_previews, reply.error
    service.undo(sid)                                    # -> the Turn now current
    service.history(sid)                                 # -> [{"id", "parent", "instruction", ..., "current"}]
    service.picture(sid)                                 # -> the current picture (PIL)

* **Models** (editor, masker, planner) are made once, on first use, and shared by every session. Every call
  into the editor or the masker holds one lock, :attr:`EditingService.models_lock`: the models are not
  thread-safe, and on one device two calls at once would only compete for it.
* **One lock per session**: the requests of one session run one after another, in order of arrival; requests
  on different sessions wait for each other only while one of them is inside a model call.
* **Saved after every change**: each session is a folder in the :class:`SessionStore` (one per id), written
  after every finished step and every move (undo, redo, go to). A restart loses nothing. While a session is
  held in memory it holds its folder's lock (:mod:`emilie_agent.editing.lock`): another process (or another
  service) cannot write it meanwhile, and gets a one-line "in use by ..." error instead. With a store in object
  storage (an fsspec URL) the folder is a local working copy, uploaded after every save
  (:mod:`emilie_agent.service.remote`).
* **Idle sessions leave memory** after ``idle_seconds`` without a request (and the least recently used ones
  when more than ``max_sessions_in_memory`` are held), letting go of their lock; the next request on them loads
  them back from disk.

Errors a caller can act on are :class:`~emilie_agent.errors.EmilieError` subclasses with a one-line message:
a malformed id (:class:`~emilie_agent.errors.InvalidRequestError`), an unknown one
(:class:`~emilie_agent.service.store.UnknownSessionError`), a bad picture, "nothing to undo", a turn that does not
exist. What a *message* asks for and cannot be done (a target not found, a plan that failed) comes back in
``reply.error`` with nothing half-applied, as :meth:`EditingAgent.handle` does.
"""
from __future__ import annotations

import io
import os
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from PIL import Image, UnidentifiedImageError

from .store import SessionStore, check_id, new_id
from ..agent.agent import EditingAgent, OnMissing, ProgressFactory, step_for_edit
from ..agent.commands import Command, parse_command
from ..agent.reports import AgentReply
from ..editing.session import EditSession
from ..editing.settings import DEFAULT_MODEL, EditSettings
from ..errors import EmilieError, InvalidImageError, InvalidRequestError
from ..files import atomic_write
from ..images import MAX_PIXELS, load_image
from ..masking.granularity import Granularity, spread_for
from ..masking.options import MaskerOptions
from ..planning.plan import Plan
from ..planning.rule_planner import RulePlanner

if TYPE_CHECKING:  # pragma: no cover
    from ..editing.session import Turn
    from ..masking.types import MaskResult
    from ..planning.planner import Planner

PictureInput = Any  # a path, a PIL image, an array, or the bytes of an image file

DEFAULT_IDLE_SECONDS = 600.0
DEFAULT_MAX_SESSIONS_IN_MEMORY = 32


class EditingService:
    """Editing sessions by id over one shared editor, masker and planner; see the module docstring.

    ``store``: a :class:`SessionStore`, or the folder (or fsspec URL of object storage) for one. ``models``: ``"toy"`` (the packaged toy-world
    models), ``"tiny"`` (random weights: wiring only), a hub id or a local folder for the editor, or None for
    the default real models; ``tiny`` and ``toy`` name the masker's models too unless ``masker_options`` says
    otherwise. ``device`` / ``dtype``: where the models run (default: the best available); ``max_side``: the
    longest side the editor works at (default: the model's). ``speed``: keyword arguments of
    :func:`~emilie_agent.editing.speed.load_editor` (``compile_unet``, ``channels_last``, ``offload``,
    ``vae_tiling``). ``masker_options.granularity`` / ``.spread`` are
    the defaults for local steps (a request's own ``spread`` / ``granularity`` win).
    ``settings``: the sampling settings (default: the editor's recommended ones, with exact preservation), or a
    function from the editor's recommended settings to the settings (e.g. to change only the steps).
    ``editor`` / ``masker`` / ``planner``: ready-made ones instead (tests, or sharing models with other code).
    ``on_missing``: a step whose target is not found is skipped (``"skip"``) or stops the request (``"stop"``).
    ``clock``: seconds as a float, for the idle timer (tests give their own).
    """

    def __init__(
        self,
        store: SessionStore | str | os.PathLike,
        *,
        models: str | None = "toy",
        device: str | None = None,
        dtype: str | None = None,
        max_side: int | None = None,
        speed: dict[str, Any] | None = None,
        settings: EditSettings | Callable[[EditSettings], EditSettings] | None = None,
        masker_options: MaskerOptions | None = None,
        editor: Any = None,
        masker: Any = None,
        planner: "Planner | None" = None,
        on_missing: OnMissing = "skip",
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        max_sessions_in_memory: int = DEFAULT_MAX_SESSIONS_IN_MEMORY,
        clock: Callable[[], float] = time.monotonic,
    ):
        if on_missing not in ("skip", "stop"):
            raise InvalidRequestError(f"on_missing must be 'skip' or 'stop', not {on_missing!r}")
        if max_sessions_in_memory < 1:
            raise InvalidRequestError("max_sessions_in_memory must be at least 1")
        self.store = store if isinstance(store, SessionStore) else SessionStore(store)
        self.models = models
        self.model_name = models or DEFAULT_MODEL
        self.device = device
        self.dtype = dtype
        self.max_side = max_side
        self.speed = dict(speed or {})
        self.masker_options = masker_options or MaskerOptions(editor_models=models, device=device, dtype=dtype)
        self.planner = planner if planner is not None else RulePlanner()
        self.on_missing = on_missing
        self.idle_seconds = float(idle_seconds)
        self.max_sessions_in_memory = int(max_sessions_in_memory)
        self.clock = clock
        self._settings = settings if isinstance(settings, EditSettings) else None
        self._make_settings = settings if callable(settings) and not isinstance(settings, EditSettings) else None
        # The models: made on first use, then shared. One lock for every call into them.
        self.models_lock = threading.RLock()
        self._editor = editor
        self._masker = masker
        self.shared_editor = _SharedEditor(self)
        self.shared_masker = _SharedMasker(self)
        # Sessions held in memory, and one lock per session id (kept for the service's life: a lock that went
        # away while a thread waited on it would let two threads into one session).
        self._guard = threading.Lock()
        self._live: dict[str, _Live] = {}
        self._locks: dict[str, threading.RLock] = {}

    # ================================================================== sessions
    def open(self, picture: PictureInput, *, session_id: str | None = None) -> str:
        """A new session on ``picture`` (a path, PIL image, array, or the bytes of an image file); its id.

        With ``session_id`` the session gets that id; if a session with that id exists already, the picture is
        added to it as a new original (its earlier turns stay in its history, reachable with :meth:`go_to`).
        """
        image = read_picture(picture)
        sid = new_id() if session_id is None else check_id(session_id)
        with self._lock_for(sid):
            live = self._live.get(sid)
            if live is None and self.store.exists(sid):
                live = self._load(sid)
            if live is not None:
                with self._busy(live):
                    live.agent.session.load_picture(image)
                    live.agent.autosave()
            else:
                session = EditSession(self.shared_editor, model=self.model_name, session_id=sid)
                session.load_picture(image)
                self.store.save(sid, session)  # the session holds its folder's lock from now on
                self._hold(sid, session)
        self._evict()
        return sid

    def sessions(self) -> list[str]:
        """The ids of every saved session (most recently saved first)."""
        return self.store.ids()

    def in_memory(self) -> list[str]:
        """The ids of the sessions held in memory now."""
        with self._guard:
            return list(self._live)

    def exists(self, session_id: str) -> bool:
        return self.store.exists(session_id)

    def close(self, session_id: str) -> None:
        """Let the session leave memory (after any request on it finishes); it stays on disk."""
        sid = check_id(session_id)
        with self._lock_for(sid):
            with self._guard:
                live = self._live.pop(sid, None)
            if live is not None:
                live.agent.session.close()  # lets go of the folder's lock

    def close_all(self) -> None:
        """Every session leaves memory (they are all on disk already)."""
        for sid in self.in_memory():
            self.close(sid)

    # ================================================================== requests
    def message(
        self,
        session_id: str,
        text: str,
        *,
        spread: float | None = None,
        invert: bool = False,
        progress: ProgressFactory | None = None,
    ) -> AgentReply:
        """One message: a conversation command ("undo", "show history", "go to turn 2") or an edit request.

        A request is planned into steps and each step is masked and edited. ``spread`` (0 = the object's outline
        ... 1 = the whole picture) replaces the granularity the agent chooses for local steps; ``invert`` makes
        every local step edit everything *except* its target. ``progress(label)`` returns a ``(done, total)``
        callback for one step (called from this thread; closed afterwards if it has ``close``).

        The reply carries the text, the plan, one report per step, the new turns (``reply.turns``), the mask
        previews and ``reply.error`` when something could not be done. "save PATH" is refused here (the
        session is saved after every change; :meth:`export` gives it as a zip).
        """
        if not isinstance(text, str) or not text.strip():
            raise InvalidRequestError('say what to change, e.g. "make the sky purple", or "help"')
        check_spread(spread)
        command = parse_command(text)
        spread = self._spread(spread)
        with self._session(session_id) as agent, _configured(agent, spread=spread, progress=progress):
            if command is None:
                return self._request(agent, text, invert=invert)
            if command.kind == "save" and command.path:
                error = InvalidRequestError(
                    "this session is saved after every change already; saving to a path is not offered here "
                    "(download the session instead)"
                )
                return AgentReply(text=str(error), error=error, current=agent.session.current)
            return agent.run_command(command)

    def edit(
        self,
        session_id: str,
        instruction: str,
        *,
        target: str | None = None,
        invert: bool = False,
        granularity: Granularity | None = None,
        spread: float | None = None,
        progress: ProgressFactory | None = None,
    ) -> AgentReply:
        """An edit request, never a command. With ``target`` it is one step on that target (no planner:
        ``invert`` edits everything except it); without, the planner splits the instruction into steps.

        ``granularity`` (object | region | global) fixes how far each local step's mask reaches, and
        ``spread`` in [0, 1] replaces it with an exact amount; neither: chosen per step.
        """
        if not isinstance(instruction, str) or not instruction.strip():
            raise InvalidRequestError('give an instruction, e.g. "make the sky purple"')
        if granularity is not None:
            spread_for(granularity)
        check_spread(spread)
        spread = self._spread(spread, granularity)
        with self._session(session_id) as agent, _configured(agent, spread=spread, progress=progress):
            return self._request(agent, instruction, target=target, invert=invert, granularity=granularity)

    def plan(self, text: str, session_id: str | None = None) -> Plan:
        """The plan for a request, without running it; with ``session_id`` the planner also sees the steps
        that led to that session's current picture ("make it bigger" can then refer back to them)."""
        if session_id is None:
            return self.planner.plan(_required(text, "request"), [])
        with self._session(session_id) as agent:
            return agent.plan(_required(text, "request"))

    def preview_mask(
        self,
        session_id: str,
        phrase: str,
        *,
        invert: bool = False,
        spread: float | None = None,
        granularity: Granularity | None = None,
    ) -> "tuple[Image.Image, MaskResult]":
        """What the masker finds for ``phrase`` on the current picture: (the mask drawn over the picture, the
        :class:`MaskResult`). Records nothing. Check ``result.found``: nothing found gives an empty mask."""
        if granularity is not None:
            spread_for(granularity)
        check_spread(spread)
        spread = self._spread(spread, granularity)
        with self._session(session_id) as agent, _configured(agent, spread=spread):
            result, preview = agent.preview_mask(_required(phrase, "phrase"), invert=invert, granularity=granularity)
            return preview, result

    # ================================================================== moving around
    def undo(self, session_id: str, steps: int = 1) -> "Turn":
        """Go back ``steps`` edits (they stay in the history as a branch); the turn now current."""
        return self._move(session_id, Command("undo", count=_count(steps)))

    def redo(self, session_id: str, steps: int = 1) -> "Turn":
        """Go forward again along the branch last used; the turn now current."""
        return self._move(session_id, Command("redo", count=_count(steps)))

    def go_to(self, session_id: str, turn_id: int) -> "Turn":
        """Make any kept turn (on any branch) the current one."""
        if isinstance(turn_id, bool) or not isinstance(turn_id, int):
            raise InvalidRequestError(f"a turn number is a whole number, not {turn_id!r}")
        return self._move(session_id, Command("checkout", turn_id=turn_id))

    def _move(self, session_id: str, command: Command) -> "Turn":
        with self._session(session_id) as agent:
            reply = agent.run_command(command)
            if reply.error is not None:
                raise reply.error
            return reply.current

    # ================================================================== reading
    def history(self, session_id: str) -> list[dict[str, Any]]:
        """Every turn of the session (all branches), oldest first, as plain dicts: ``id``, ``parent``,
        ``instruction``, ``scope`` ("original" | "global" | "local"), ``target``, ``invert``, ``seed``,
        ``mask_area``, ``request``, ``on_path`` (between the original and the current picture) and
        ``current``."""
        with self._session(session_id) as agent:
            session = agent.session
            path = {turn.id for turn in session.history()}
            rows = []
            for turn in session:
                context = turn.context
                scope = "original" if turn.is_root else context.scope or ("global" if turn.mask is None else "local")
                rows.append(
                    {
                        "id": turn.id,
                        "parent": turn.parent,
                        "instruction": turn.instruction,
                        "scope": scope,
                        "target": context.target,
                        "invert": context.invert,
                        "seed": turn.settings.seed if turn.settings is not None else None,
                        "mask_area": None if turn.mask is None else round(float(turn.mask.mean()), 4),
                        "request": context.request,
                        "on_path": turn.id in path,
                        "current": turn.id == session.head,
                    }
                )
            return rows

    def describe(self, session_id: str) -> str:
        """The history tree as text: one line per turn, ``*`` on the current one, branches indented."""
        with self._session(session_id) as agent:
            return agent.session.describe()

    def current(self, session_id: str) -> "Turn":
        with self._session(session_id) as agent:
            return agent.session.current

    def picture(self, session_id: str, turn_id: int | None = None) -> Image.Image:
        """A copy of a turn's picture (default: the current one)."""
        with self._session(session_id) as agent:
            session = agent.session
            if turn_id is None:
                return session.current.picture.copy()
            if turn_id not in session.turns:
                raise InvalidRequestError(f"there is no turn #{turn_id}; turns are {sorted(session.turns)}")
            return session.turns[turn_id].picture.copy()

    def turns(self, session_id: str) -> list["Turn"]:
        """The turns from the original picture to the current one (oldest first)."""
        with self._session(session_id) as agent:
            return agent.session.history()

    # ================================================================== files
    def folder(self, session_id: str) -> Path:
        """Where the session is saved (after every change)."""
        return self.store.require(session_id)

    def export(self, session_id: str) -> bytes:
        """The saved session as the bytes of a zip (what :meth:`import_` and ``EditSession.load`` read)."""
        with self._session(session_id):
            return self.store.export(session_id)

    def save_to(self, session_id: str, folder: str | os.PathLike) -> Path:
        """A copy of the session in ``folder`` (a saved-session folder; ``*.zip``: a zip of one)."""
        target = Path(folder).expanduser()
        with self._session(session_id) as agent:
            if target.suffix.lower() == ".zip":
                data = self.store.export(session_id)
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, lambda p: p.write_bytes(data))
                return target
            if target.resolve() == self.store.folder(session_id).resolve():
                return target
            # A copy read from the store (saved after every change), so that the session in memory does not
            # take the copy's folder lock; the copy lets go of it once written.
            copy = self.store.load(session_id, lock=False)
            try:
                return copy.save(target)
            finally:
                copy.close()

    def import_(self, source: bytes | str | os.PathLike) -> str:
        """A saved session (zip bytes, a .zip file or a session folder) copied into the store; its new id."""
        return self.store.import_(source, self._editor)

    # ================================================================== internals: sessions in memory
    def _lock_for(self, sid: str) -> threading.RLock:
        with self._guard:
            lock = self._locks.get(sid)
            if lock is None:
                lock = self._locks[sid] = threading.RLock()
            return lock

    @contextmanager
    def _session(self, session_id: str) -> Iterator[EditingAgent]:
        """The agent of session ``session_id``, loaded from disk if needed, with the session's lock held."""
        sid = check_id(session_id)
        with self._lock_for(sid):
            live = self._live.get(sid) or self._load(sid)
            with self._busy(live):
                yield live.agent
        self._evict()

    @contextmanager
    def _busy(self, live: "_Live") -> Iterator[None]:
        live.users += 1
        try:
            yield
        finally:
            live.users -= 1
            live.last_used = self.clock()

    def _load(self, sid: str) -> "_Live":
        # The loaded editor (when it is) checks that the saved latents suit it; the session then edits through
        # the shared one. Not loading it here keeps reading a session free of model loading.
        session = self.store.load(sid, self._editor)
        session.editor = self.shared_editor
        return self._hold(sid, session)

    def _hold(self, sid: str, session: "EditSession") -> "_Live":
        agent = EditingAgent(
            session,
            planner=self.planner,
            masker=self.shared_masker,
            settings=self._settings or EditSettings(preserve="exact"),
            on_missing=self.on_missing,
            autosave_dir=self.store.folder(sid),
            after_autosave=(lambda: self.store.push(sid)) if self.store.remote is not None else None,
            granularity=self.masker_options.granularity,  # None: chosen per step from the instruction
        )
        live = _Live(sid, agent, self.clock())
        with self._guard:
            self._live[sid] = live
        return live

    def evict_idle(self) -> list[str]:
        """Let idle sessions leave memory now (this also happens after every request); the ids that left."""
        return self._evict()

    def _evict(self) -> list[str]:
        now = self.clock()
        with self._guard:
            by_age = sorted(self._live.values(), key=lambda live: live.last_used)
            excess = len(by_age) - self.max_sessions_in_memory
            chosen = [
                live
                for number, live in enumerate(by_age)
                if now - live.last_used >= self.idle_seconds or number < excess
            ]
        gone = []
        for live in chosen:
            lock = self._lock_for(live.id)
            if not lock.acquire(blocking=False):
                continue  # in use: it is not idle
            try:
                with self._guard:
                    leaving = live.users == 0 and self._live.get(live.id) is live
                    if leaving:
                        del self._live[live.id]
                if leaving:
                    live.agent.session.close()  # lets go of the folder's lock
                    gone.append(live.id)
            finally:
                lock.release()
        return gone

    # ================================================================== internals: requests
    def _request(
        self,
        agent: EditingAgent,
        text: str,
        *,
        target: str | None = None,
        invert: bool = False,
        granularity: Granularity | None = None,
    ) -> AgentReply:
        agent.settings = self.settings()
        try:
            if target is not None and target.strip():
                plan = Plan(request=text.strip(), steps=[step_for_edit(text, target, invert)])
            else:
                plan = agent.plan(text)
                if invert:
                    plan = inverted(plan)
        except EmilieError as err:
            reply = AgentReply(text=f"Could not plan that: {err}", error=err, current=agent.session.current)
            agent.last_reply = reply
            return reply
        reply = agent.run_plan(plan, granularity=granularity)
        reply.current = agent.session.current
        agent.last_reply = reply
        return reply

    def preload(self, *, masker: bool = True) -> threading.Thread:
        """Start loading the models in the background (the first request then waits less); the thread."""

        def load() -> None:
            try:
                self.settings()
                if masker:
                    self.masker()
            except Exception:  # noqa: BLE001 - the first request that needs the models reports the error
                pass

        thread = threading.Thread(target=load, name="emilie-preload", daemon=True)
        thread.start()
        return thread

    def _spread(self, spread: float | None, granularity: str | None = None) -> float | None:
        """The spread a call uses: its own; else none when it names a granularity; else the default one."""
        if spread is not None or granularity is not None:
            return spread
        return self.masker_options.spread

    # ================================================================== internals: the models
    def settings(self) -> EditSettings:
        """The sampling settings edits use: those given, else the editor's recommended ones (loads it)."""
        if self._settings is None:
            recommended = self.editor().recommended_settings
            if self._make_settings is not None:
                self._settings = self._make_settings(recommended)
            else:
                self._settings = recommended.replace(preserve="exact")
        return self._settings

    def editor(self):
        """The shared editor, loaded on first use."""
        with self.models_lock:
            if self._editor is None:
                from ..editing.speed import load_editor  # lazy: torch and diffusers load with the models

                editor = load_editor(
                    self.model_name, device=self.device, dtype=self.dtype, max_side=self.max_side, **self.speed
                )
                editor.set_progress_bar_config(disable=True)
                self._editor = editor
            return self._editor

    def masker(self):
        """The shared masker, loaded on first use (global edits never need it)."""
        with self.models_lock:
            if self._masker is None:
                from ..masking.masker import Masker  # lazy: the masker's backends import torch

                self._masker = Masker.from_options(self.masker_options)
            return self._masker


@dataclass
class _Live:
    """A session held in memory: its agent, how many calls are using it, and when it was last used."""

    id: str
    agent: EditingAgent
    last_used: float
    users: int = 0


class _SharedEditor:
    """The shared editor as each session sees it: loaded on first use, every model call under the lock."""

    def __init__(self, service: EditingService):
        self._service = service

    def edit(self, *args: Any, **kwargs: Any):
        with self._service.models_lock:
            return self._service.editor().edit(*args, **kwargs)

    def encode_picture(self, *args: Any, **kwargs: Any):
        with self._service.models_lock:
            return self._service.editor().encode_picture(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._service.editor(), name)


class _SharedMasker:
    """The shared masker as each session's agent sees it: loaded on first use, every call under the lock."""

    def __init__(self, service: EditingService):
        self._service = service

    def mask(self, *args: Any, **kwargs: Any):
        with self._service.models_lock:
            return self._service.masker().mask(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._service.masker(), name)


@contextmanager
def _configured(agent: EditingAgent, *, spread: float | None = None, progress: ProgressFactory | None = None):
    """The agent with this call's spread and progress (the session's lock is held: no other call sees them)."""
    saved = agent.mask_options, agent.progress
    agent.mask_options = {} if spread is None else {"spread": float(spread)}
    agent.progress = progress
    try:
        yield agent
    finally:
        agent.mask_options, agent.progress = saved


# ---------------------------------------------------------------------------------------------- helpers
def read_picture(picture: PictureInput) -> Image.Image:
    """A picture from a path, a PIL image, an array or the bytes of an image file, as RGB (one clear error)."""
    if isinstance(picture, (bytes, bytearray, memoryview)):
        data = bytes(picture)
        if not data:
            raise InvalidImageError("the picture is empty (0 bytes)")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
                image.load()
        except UnidentifiedImageError:
            raise InvalidImageError("the picture is not an image this tool can read (PNG, JPEG, WebP, ...)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise InvalidImageError(f"the picture is too large to open safely (over {MAX_PIXELS:,} pixels)") from None
        except (OSError, SyntaxError, ValueError) as err:
            raise InvalidImageError(f"the picture could not be read: {err}") from None
        return load_image(image)
    return load_image(picture)


def inverted(plan: Plan) -> Plan:
    """``plan`` with every local step editing everything except its target; refused when no step has one."""
    if not any(step.scope == "local" for step in plan.steps):
        raise InvalidRequestError(
            "invert needs a target: name what to keep, e.g. \"make everything except the man black and white\""
        )
    steps = [step.model_copy(update={"invert": True}) if step.scope == "local" else step for step in plan.steps]
    return plan.model_copy(update={"steps": steps})


def check_spread(spread: float | None) -> None:
    if spread is not None:
        spread_for("object", spread)


def _count(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InvalidRequestError(f"steps must be a whole number >= 1, not {steps!r}")
    return steps


def _required(text: Any, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequestError(f"the {what} is empty: say it in a few words")
    return text
