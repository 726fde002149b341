"""An editing session: every turn kept, as a tree you can undo, redo, branch, save and reload.

A turn holds the instruction, the mask, the picture, the latent the *next* turn conditions on (EMILIE's
latent iteration) and the settings it was made with. Turns live on the CPU (latents as float32 tensors,
pictures as PIL images) so accelerator memory does not grow with the number of turns.

Editing after an undo starts a new branch; the old branch is kept and can be checked out again.

On disk a session is a folder: one PNG per picture (and per mask, for people), one safetensors file per
turn (latent, mask) and ``manifest.json``. Saving never rewrites a file in place: turn files get unique
names and are written under a temporary name then renamed, and the manifest is replaced last, in one
rename. A crash at any moment leaves the previous save readable.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import torch
from PIL import Image

from .editor import EditSettings, ProgressCallback
from ..errors import EmilieError, SessionFileError
from ..files import atomic_write
from ..images import load_image, mask_to_image

if TYPE_CHECKING:  # pragma: no cover
    from .editor import EmilieEditor

FORMAT = "emilie-session"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class Turn:
    """One state of the picture. The root turn (``parent is None``) is the loaded picture."""

    id: int
    parent: int | None
    picture: Image.Image
    image_latent: torch.Tensor  # unscaled latent the next turn conditions on (CPU, float32)
    instruction: str | None = None
    mask: np.ndarray | None = None  # picture-size mask in [0, 1]; None = global (or the root)
    settings: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # what the caller wants to remember: target, scope...
    created: float = field(default_factory=time.time)
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def is_root(self) -> bool:
        return self.parent is None

    def describe(self) -> str:
        if self.is_root:
            return f"#{self.id} picture {self.picture.size[0]}x{self.picture.size[1]}"
        where = "global" if self.mask is None else f"mask {float(self.mask.mean()):.0%}"
        target = self.info.get("target")
        if target:
            where += f" on {'everything except ' if self.info.get('invert') else ''}{target!r}"
        return f"#{self.id} {self.instruction!r} ({where}, seed {self.settings.get('seed')})"


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
        info: dict[str, Any] | None = None,
    ) -> Turn:
        """Edit the current picture; on any error the session is left exactly as it was."""
        editor = self._need_editor()
        settings = settings or EditSettings()
        base = self.current
        result = editor.edit(
            base.picture,
            instruction,
            image_latent=base.image_latent,
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
            settings=dataclasses.asdict(settings),
            info=dict(info or {}),
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
        folder = Path(folder).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        records = []
        for turn in self:
            stem = f"turn-{turn.id:04d}-{turn.uid}"
            tensors = {"image_latent": turn.image_latent.contiguous()}
            if turn.mask is not None:
                tensors["mask"] = torch.from_numpy(np.ascontiguousarray(turn.mask, dtype=np.float32))
            _write_once(folder / f"{stem}.safetensors", lambda p, t=tensors: _save_tensors(t, p))
            _write_once(folder / f"{stem}.png", lambda p, im=turn.picture: im.save(p, format="PNG"))
            if turn.mask is not None:
                _write_once(folder / f"{stem}-mask.png", lambda p, m=turn.mask: mask_to_image(m).save(p, format="PNG"))
            records.append(
                {
                    "id": turn.id,
                    "parent": turn.parent,
                    "uid": turn.uid,
                    "instruction": turn.instruction,
                    "picture": f"{stem}.png",
                    "tensors": f"{stem}.safetensors",
                    "mask_preview": f"{stem}-mask.png" if turn.mask is not None else None,
                    "settings": turn.settings,
                    "info": turn.info,
                    "created": turn.created,
                }
            )
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "model": self.model,
            "head": self.head,
            "redo": {str(k): v for k, v in self._redo_child.items()},
            "turns": records,
        }
        atomic_write(folder / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=1), encoding="utf-8"))
        # Only now is the new save complete; files from older saves that it does not use can go.
        keep = {MANIFEST} | {r[k] for r in records for k in ("picture", "tensors", "mask_preview") if r[k]}
        for path in folder.glob("turn-*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike, editor: "EmilieEditor | None" = None) -> "EditSession":
        """Read a saved session. A missing or corrupt folder raises SessionFileError naming the problem."""
        folder = Path(folder).expanduser()
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            raise SessionFileError(f"{folder} is not a saved session (no {MANIFEST})")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise SessionFileError(f"{manifest_path} is corrupt: {err}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SessionFileError(f"{manifest_path} is not an emilie-agent session manifest")
        if manifest.get("version") != FORMAT_VERSION:
            raise SessionFileError(
                f"{manifest_path} has format version {manifest.get('version')!r}; this emilie-agent reads "
                f"version {FORMAT_VERSION}"
            )
        session = cls(editor, model=manifest.get("model"))
        try:
            for record in manifest["turns"]:
                session.turns[int(record["id"])] = _read_turn(folder, record)
            session.head = manifest["head"]
            session._redo_child = {int(k): int(v) for k, v in manifest.get("redo", {}).items()}
        except SessionFileError:
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise SessionFileError(f"{manifest_path} is incomplete or malformed ({type(err).__name__}: {err})") from None
        session._check_tree(manifest_path)
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


def _read_turn(folder: Path, record: dict) -> Turn:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    picture_path = folder / record["picture"]
    tensors_path = folder / record["tensors"]
    for path in (picture_path, tensors_path):
        if not path.is_file():
            raise SessionFileError(f"session file missing: {path}")
    try:
        picture = load_image(picture_path)
    except EmilieError as err:
        raise SessionFileError(f"session picture unreadable: {err}") from None
    try:
        tensors = load_file(str(tensors_path))
    except (SafetensorError, OSError, ValueError) as err:
        raise SessionFileError(f"session latents unreadable: {tensors_path} ({err})") from None
    latent = tensors.get("image_latent")
    if latent is None or latent.ndim != 4 or not torch.isfinite(latent).all():
        raise SessionFileError(f"{tensors_path} has no usable latent")
    mask = tensors["mask"].numpy() if "mask" in tensors else None
    if mask is not None and mask.shape != (picture.size[1], picture.size[0]):
        raise SessionFileError(f"{tensors_path}: the mask does not match its picture's size")
    return Turn(
        id=int(record["id"]),
        parent=None if record["parent"] is None else int(record["parent"]),
        picture=picture,
        image_latent=latent.to(torch.float32),
        instruction=record.get("instruction"),
        mask=mask,
        settings=dict(record.get("settings") or {}),
        info=dict(record.get("info") or {}),
        created=float(record.get("created") or 0.0),
        uid=str(record["uid"]),
    )


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    from safetensors.torch import save_file

    save_file(tensors, str(path))


def _write_once(path: Path, write) -> None:
    # Turn files are immutable (unique names): one already there was completed by an earlier save.
    if not path.exists():
        atomic_write(path, write)
