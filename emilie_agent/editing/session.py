"""An editing session: every turn kept, as a tree you can undo, redo, branch, save and reload.

A turn holds the instruction, the mask, the picture, the latent the *next* turn conditions on (EMILIE's
latent iteration), the settings it was made with and why it was asked for (:class:`EditContext`). Turns live
on the CPU (latents as float32 tensors, pictures as PIL images) so accelerator memory does not grow with the
number of turns.

Editing after an undo starts a new branch; the old branch is kept and can be checked out again. Saving and
loading write and read a folder (see :mod:`emilie_agent.editing.storage`).
"""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
import torch
from PIL import Image

from .settings import EditSettings
from .storage import MANIFEST, EditContext, load_session, save_session
from ..errors import EmilieError, SessionFileError
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

    def __init__(self, editor: "EmilieEditor | None" = None, *, model: str | None = None):
        self.editor = editor
        self.model = model
        self.turns: dict[int, Turn] = {}
        self.head: int | None = None
        self._redo_child: dict[int, int] = {}

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
        settings = settings or EditSettings()
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
        """Go back ``steps`` turns. Raises if that goes past the first picture (then nothing moves)."""
        path = self.history()
        if steps < 1:
            raise EmilieError("undo needs a number of turns >= 1")
        if steps >= len(path):
            raise EmilieError(
                f"nothing to undo: only {len(path) - 1} edit(s) before this point"
                if len(path) > 1
                else "nothing to undo: this is the original picture"
            )
        self.head = path[-1 - steps].id
        return self.current

    def redo(self, steps: int = 1) -> Turn:
        """Go forward along the branch last used. Raises if there is nothing to redo (then nothing moves)."""
        node = self.head
        for _ in range(steps):
            if node not in self._redo_child:
                raise EmilieError("nothing to redo")
            node = self._redo_child[node]
        self.head = node
        return self.current

    def checkout(self, turn_id: int) -> Turn:
        """Make any kept turn (on any branch) the current one; redo then follows its branch."""
        if turn_id not in self.turns:
            raise EmilieError(f"there is no turn #{turn_id}; turns are {sorted(self.turns)}")
        self.head = turn_id
        self._point_redo_along(turn_id)
        return self.current

    def history(self, turn_id: int | None = None) -> list[Turn]:
        """The turns from the root to ``turn_id`` (default: the current turn), oldest first."""
        node = self.head if turn_id is None else turn_id
        path = []
        while node is not None:
            path.append(self.turns[node])
            node = self.turns[node].parent
        return path[::-1]

    def children(self, turn_id: int) -> list[Turn]:
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
    def save(self, folder: str | os.PathLike) -> Path:
        """Write the session to ``folder`` (created if needed). Safe against crashes mid-save."""
        return save_session(folder, self, head=self.head, redo=self._redo_child, model=self.model)

    @classmethod
    def load(cls, folder: str | os.PathLike, editor: "EmilieEditor | None" = None) -> "EditSession":
        """Read a saved session. A missing or corrupt folder raises SessionFileError naming the problem."""
        manifest, saved = load_session(folder)
        session = cls(editor, model=manifest.model)
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
        session._check_tree(Path(folder).expanduser() / MANIFEST)
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

    def _check_tree(self, where: Path) -> None:
        if not self.turns:
            raise SessionFileError(f"{where} holds no turns")
        if self.head not in self.turns:
            raise SessionFileError(f"{where} names turn {self.head!r} as current, but it has no such turn")
        for turn in self.turns.values():
            if turn.parent is not None and turn.parent not in self.turns:
                raise SessionFileError(f"{where}: turn {turn.id} has a parent {turn.parent} that is missing")
        for parent, child in self._redo_child.items():
            if child not in self.turns or self.turns[child].parent != parent:
                raise SessionFileError(f"{where}: redo link {parent} -> {child} does not match the tree")
