"""An editing session: every turn kept, as a tree you can undo, redo, branch, save and reload.

A turn holds the instruction, the mask, the picture, the latent the *next* turn conditions on (EMILIE's
latent iteration), the settings it was made with and why it was asked for (:class:`EditContext`). Turns live
on the CPU (latents as float32 tensors, pictures as PIL images) so accelerator memory does not grow with the
number of turns.

Editing after an undo starts a new branch; the old branch is kept and can be checked out again. Saving and
loading write and read a folder (see :mod:`emilie_agent.editing.storage`).

A session has an id (kept in its folder's manifest) and holds an exclusive lock on every folder it saved into
(or claimed) until :meth:`EditSession.close` (or the end of the process): another session, here or in another
process, cannot write there meanwhile. A folder that holds another session, or files that are not a session's,
is not saved into unless the caller says ``overwrite=True``.
"""
from __future__ import annotations

import numbers
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import torch
from PIL import Image

from .lock import FolderLock
from .settings import EditSettings, as_settings
from .storage import SESSION_ID, EditContext, folder_state, load_session, refusal, save_session, session_folder
from ..errors import EmilieError, InvalidRequestError, SessionFileError, shown
from ..images import load_image

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import EmilieEditor, ProgressCallback


@dataclass
class Turn:
    """One state of the picture. The root turn (``parent is None``) is the loaded picture."""

    id: int
    parent: int | None
    picture: Image.Image
    image_latent: torch.Tensor  # unscaled latent the next turn conditions on (CPU, float32)
    instruction: str | None = None
    mask: np.ndarray | None = None  # picture-size mask in [0, 1]; None = global (or the root)
    settings: EditSettings | None = None  # what it was made with; None for the root
    context: EditContext = field(default_factory=EditContext)  # why it was asked for: request, target...
    created: float = field(default_factory=time.time)
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def is_root(self) -> bool:
        return self.parent is None

    def describe(self) -> str:
        if self.is_root:
            return f"#{self.id} picture {self.picture.size[0]}x{self.picture.size[1]}"
        where = "global" if self.mask is None else f"mask {float(self.mask.mean()):.0%}"
        target = self.context.target
        if target:
            where += f" on {'everything except ' if self.context.invert else ''}{target!r}"
        seed = self.settings.seed if self.settings is not None else None
        return f"#{self.id} {self.instruction!r} ({where}, seed {seed})"


class EditSession:
    """Turns in a tree, a head (the current turn) and, per turn, which child ``redo`` goes to."""

    def __init__(
        self, editor: "EmilieEditor | None" = None, *, model: str | None = None, session_id: str | None = None
    ):
        if session_id is not None and (not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id)):
            raise InvalidRequestError(f"a session id is 32 hex digits, not {shown(session_id)}")
        self.editor = editor
        self.model = model
        self.session_id: str = session_id or uuid.uuid4().hex  # saved in the manifest: whose folder it is
        self.turns: dict[int, Turn] = {}
        self.head: int | None = None
        self._redo_child: dict[int, int] = {}
        self._locks: dict[str, FolderLock] = {}  # folder (real path) -> the lock this session holds on it
        self._may_replace: set[str] = set()  # folders claimed with overwrite=True, not yet saved into
        self._legacy: set[str] = set()  # folders loaded from a manifest older than session ids: this session's
        self._guard = threading.RLock()

    # ------------------------------------------------------------------ starting
    @classmethod
    def start(cls, editor: "EmilieEditor", picture, *, model: str | None = None) -> "EditSession":
        session = cls(editor, model=model)
        session.load_picture(picture)
        return session

    def load_picture(self, picture) -> Turn:
        """Start from a new picture: the only time pixels are encoded. Earlier turns are kept."""
        editor = self._need_editor()
        picture = load_image(picture)
        latent = editor.encode_picture(picture)
        turn = Turn(
            id=self.next_turn_id,
            parent=None,
            picture=picture,
            image_latent=latent.detach().to("cpu", torch.float32),
        )
        self._add(turn)
        return turn

    # ------------------------------------------------------------------ editing
    @property
    def next_turn_id(self) -> int:
        """The id the next turn will get (ids are never reused, also after undo)."""
        return max(self.turns, default=-1) + 1

    @property
    def current(self) -> Turn:
        if self.head is None:
            raise EmilieError("the session has no picture yet: load one first")
        return self.turns[self.head]

    def edit(
        self,
        instruction: str,
        *,
        mask=None,
        settings: EditSettings | None = None,
        callback: ProgressCallback | None = None,
        context: EditContext | None = None,
    ) -> Turn:
        """Edit the current picture; on any error the session is left exactly as it was.

        ``settings.latent_mode`` says what the edit conditions on: "carry" (the current turn's latent, EMILIE)
        or "reencode" (the current picture encoded again, the InstructPix2Pix baseline). ``context`` is kept
        with the turn (and saved): why it was asked for.
        """
        editor = self._need_editor()
        settings = as_settings(settings, editor.recommended_settings)  # None: the model's; a wrong type: refused
        base = self.current
        result = editor.edit(
            base.picture,
            instruction,
            image_latent=base.image_latent if settings.latent_mode == "carry" else None,
            mask=mask,
            settings=settings,
            callback=callback,
        )
        turn = Turn(
            id=self.next_turn_id,
            parent=base.id,
            picture=result.picture,
            image_latent=result.image_latent,
            instruction=instruction.strip(),
            mask=result.mask,
            settings=settings,
            context=context or EditContext(),
        )
        self._add(turn)
        return turn

    # ------------------------------------------------------------------ moving around
    def undo(self, steps: int = 1) -> Turn:
        """Go back ``steps`` turns (a whole number >= 1). Raises if that goes past the first picture (then
        nothing moves)."""
        steps = _count(steps, "undo")
        path = self.history()
        if steps >= len(path):
            raise EmilieError(
                f"nothing to undo: only {len(path) - 1} edit(s) before this point"
                if len(path) > 1
                else "nothing to undo: this is the original picture"
            )
        self.head = path[-1 - steps].id
        return self.current

    def redo(self, steps: int = 1) -> Turn:
        """Go forward ``steps`` turns (a whole number >= 1) along the branch last used. Raises if there is not
        that much to redo (then nothing moves)."""
        steps = _count(steps, "redo")
        node = self.current.id
        for _ in range(steps):
            if node not in self._redo_child:
                raise EmilieError("nothing to redo")
            node = self._redo_child[node]
        self.head = node
        return self.current

    def checkout(self, turn_id: int) -> Turn:
        """Make any kept turn (on any branch) the current one; redo then follows its branch."""
        if isinstance(turn_id, bool) or not isinstance(turn_id, numbers.Integral):
            raise InvalidRequestError(f"a turn is named by its number (#0, #1, ...), not {shown(turn_id)}")
        if turn_id not in self.turns:
            raise InvalidRequestError(f"there is no turn #{turn_id}; turns are {sorted(self.turns)}")
        turn_id = int(turn_id)
        self._point_redo_along(turn_id)
        self.head = turn_id
        return self.current

    def history(self, turn_id: int | None = None) -> list[Turn]:
        """The turns from the root to ``turn_id`` (default: the current turn), oldest first."""
        node = self.head if turn_id is None else _turn_number(turn_id)
        if node is not None and node not in self.turns:
            raise InvalidRequestError(f"there is no turn #{node}; turns are {sorted(self.turns)}")
        path: list[Turn] = []
        seen: set[int] = set()
        while node is not None:
            if node in seen or node not in self.turns:
                raise EmilieError(f"the session's tree is broken at turn #{path[-1].id}: its parents never reach a root")
            seen.add(node)
            path.append(self.turns[node])
            node = self.turns[node].parent
        return path[::-1]

    def children(self, turn_id: int) -> list[Turn]:
        turn_id = _turn_number(turn_id)
        return [t for t in self.turns.values() if t.parent == turn_id]

    def branches(self) -> list[int]:
        """Ids of the leaves: the tip of every branch."""
        parents = {t.parent for t in self.turns.values()}
        return sorted(t.id for t in self.turns.values() if t.id not in parents)

    def __iter__(self) -> Iterator[Turn]:
        return iter(self.turns[i] for i in sorted(self.turns))

    def __len__(self) -> int:
        return len(self.turns)

    def describe(self) -> str:
        """The whole tree, one line per turn, the current turn marked and branches indented."""
        lines: list[str] = []

        def walk(turn: Turn, depth: int) -> None:
            mark = "*" if turn.id == self.head else " "
            lines.append(f"{mark} {'  ' * depth}{turn.describe()}")
            kids = self.children(turn.id)
            for kid in kids:
                walk(kid, depth + (1 if len(kids) > 1 else 0))

        for root in (t for t in self if t.is_root):
            walk(root, 0)
        return "\n".join(lines)

    # ------------------------------------------------------------------ saving
    def save(self, folder: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the session to ``folder`` (created if needed). Safe against crashes mid-save.

        The session locks ``folder`` and keeps it until :meth:`close`. Refused with SessionFileError, writing
        nothing, when another session holds the folder's lock, or the folder holds another session (or a copy of
        this one with turns this one lacks) or files that are not a session's; ``overwrite=True`` replaces
        another session there (its files go; files that are not a session's stay). A failed save leaves the
        folder as it was.
        """
        folder = session_folder(folder)
        with self._guard:
            try:
                key, created, new = self._lock(folder)
            except OSError as err:  # the folder cannot be made (a name too long, /proc...): nothing was written
                raise SessionFileError(f"could not save the session to {folder}: {err.strerror or err}") from None
            try:
                save_session(
                    folder,
                    self,
                    head=self.head,
                    redo=self._redo_child,
                    model=self.model,
                    session_id=self.session_id,
                    overwrite=overwrite or key in self._may_replace,
                    legacy_ok=key in self._legacy,
                )
            except OSError as err:
                self._give_back(key, created, new)
                raise SessionFileError(f"could not save the session to {folder}: {err.strerror or err}") from None
            except BaseException:
                self._give_back(key, created, new)
                raise
            self._may_replace.discard(key)
            return folder

    def claim(self, folder: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Take ``folder`` for this session now (lock it, created if needed) without writing a save there.

        Raises SessionFileError, as :meth:`save` would, when the session could not save there; with
        ``overwrite=True`` the next save replaces another session there.
        """
        folder = session_folder(folder)
        with self._guard:
            key, created, new = self._lock(folder)
            try:
                problem = folder_state(folder).owner_problem(
                    self.session_id, {t.uid for t in self.turns.values()}, legacy_ok=key in self._legacy
                )
                if problem and not overwrite:
                    raise SessionFileError(refusal(problem))
            except BaseException:
                self._give_back(key, created, new)
                raise
            if problem:
                self._may_replace.add(key)
            return folder

    def holds(self, folder: str | os.PathLike) -> bool:
        """Whether this session holds the lock on ``folder``."""
        lock = self._locks.get(os.path.realpath(session_folder(folder)))
        return lock is not None and lock.held

    def close(self) -> None:
        """Release the folders this session holds; it stays usable (the next save takes its folder again)."""
        with self._guard:
            for lock in self._locks.values():
                lock.release()
            self._locks.clear()
            self._may_replace.clear()

    def __enter__(self) -> "EditSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @classmethod
    def load(cls, folder: str | os.PathLike, editor: "EmilieEditor | None" = None) -> "EditSession":
        """Read a saved session. A missing, corrupt or unsafe folder raises SessionFileError naming the problem.

        Loading reads only (no lock is taken); the session locks the folder when it first saves there.
        """
        folder = session_folder(folder)
        manifest, saved = load_session(folder, latent_channels=_latent_channels(editor))
        session = cls(editor, model=manifest.model, session_id=manifest.session_id)
        if manifest.session_id is None:  # written before sessions had ids: the folder is this session's
            session._legacy.add(os.path.realpath(folder))
        for turn in saved:
            record = turn.record
            session.turns[record.id] = Turn(
                id=record.id,
                parent=record.parent,
                picture=turn.picture,
                image_latent=turn.image_latent,
                instruction=record.instruction,
                mask=turn.mask,
                settings=record.settings,
                context=record.context,
                created=record.created,
                uid=record.uid,
            )
        session.head = manifest.head
        session._redo_child = dict(manifest.redo)
        return session

    # ------------------------------------------------------------------ internals
    def _need_editor(self) -> "EmilieEditor":
        if self.editor is None:
            raise EmilieError("this session has no editor: pass one to EditSession(...) or EditSession.load(...)")
        return self.editor

    def _add(self, turn: Turn) -> None:
        self.turns[turn.id] = turn
        if turn.parent is not None:
            self._redo_child[turn.parent] = turn.id
        self.head = turn.id

    def _point_redo_along(self, turn_id: int) -> None:
        for turn in self.history(turn_id)[1:]:
            self._redo_child[turn.parent] = turn.id

    def _lock(self, folder: Path) -> tuple[str, list[Path], bool]:
        """Hold ``folder``'s lock (making the folder if needed). Returns its key, the folders made for it (deepest
        first) and whether the lock is new (taken by this call)."""
        created: list[Path] = []
        if not folder.exists():
            missing = folder
            while not missing.parent.exists() and missing.parent != missing:
                missing = missing.parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise SessionFileError(f"cannot create the session folder {folder}: {err.strerror or err}") from None
            path = folder
            while True:
                created.append(path)
                if path == missing:
                    break
                path = path.parent
        elif not folder.is_dir():
            raise SessionFileError(f"{folder} is a file, not a folder: give a folder to save the session into")
        key = os.path.realpath(folder)
        held = self._locks.get(key)
        if held is not None and held.still_valid():
            return key, created, False
        if held is not None:  # the folder (or its lock file) was removed meanwhile: take it again
            held.release()
            del self._locks[key]
        try:
            self._locks[key] = FolderLock.acquire(folder)
        except BaseException:
            _remove_empty(created)
            raise
        return key, created, True

    def _give_back(self, key: str, created: list[Path], new: bool) -> None:
        """After a refused or failed save: a folder this call locked (or made) is given back as it was."""
        if new:
            lock = self._locks.pop(key, None)
            if lock is not None:
                lock.release()
            self._may_replace.discard(key)
        _remove_empty(created)


def _turn_number(value: Any) -> int:
    """A turn id as given to history() / children(): a whole number, else one clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidRequestError(f"a turn is named by its number (#0, #1, ...), not {shown(value)}")
    return int(value)


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidRequestError(f"{what} takes a whole number of turns, not {shown(value)}")
    if value < 1:
        raise InvalidRequestError(f"{what} needs a number of turns >= 1, not {value}")
    return int(value)


def _latent_channels(editor: Any) -> int | None:
    try:
        return int(editor.vae.config.latent_channels)
    except (AttributeError, TypeError, ValueError):
        return None


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            pass
