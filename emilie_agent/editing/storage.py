"""The session folder: a pydantic manifest, one typed record per turn, and the files they name.

On disk a session is a folder: one PNG per picture (and per mask, for people), one safetensors file per turn
(latent, mask) and ``manifest.json``. Saving never rewrites a file in place: turn files get unique names and
are written under a temporary name then renamed, and the manifest is replaced last, in one rename (the folder
is flushed to disk before and after it). A crash at any moment leaves the previous save readable.

A folder belongs to one session: the manifest carries the session's id, and a save is refused (nothing
written) when the folder holds another session, a copy of this one that has turns this one lacks, or files
that are not a session's, unless the caller asks to replace what is there. The cleanup after a save removes
only files that the folder's previous manifest listed, and leftovers of interrupted saves; nothing else.

Everything read from a folder is checked before it is used: file names are the plain names a save writes
(no paths, no links), the tree has one root per picture and no cycles, and latents and masks have the right
shapes and finite values. A bad folder raises :class:`SessionFileError` naming the problem.

Format versions: 3 adds the session id; 2 records each turn's settings as :class:`EditSettings` and why it was
made as an :class:`EditContext`; 1 (still read) kept the latter as a free-form ``info`` dict.
"""
from __future__ import annotations

import json
import os
from collections import Counter
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal

import numpy as np
import torch
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .lock import LOCK_FILE
from .settings import EditSettings
from ..errors import EmilieError, InvalidRequestError, SessionFileError
from ..files import atomic_write, fsync_folder
from ..images import MAX_PIXELS, load_image, mask_to_image
from ..masking.granularity import Granularity

if TYPE_CHECKING:  # pragma: no cover
    from .session import Turn

FORMAT = "emilie-session"
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
MANIFEST = "manifest.json"

SESSION_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
TURN_UID = re.compile(r"[0-9a-f]{8,32}")  # uuid4().hex[:12] since version 1
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 16  # the manifest's own nesting is 5 deep
MAX_TURNS = 100_000
MAX_LATENT_CHANNELS = 64
MAX_LATENT_ELEMENTS = 64 * 1024 * 1024
TENSOR_KEYS = ("image_latent", "mask")
# What an interrupted save leaves behind (see files.atomic_write): cleaned by the next save.
_LEFTOVER = re.compile(r"\.(?:turn-[^/\\]*|manifest\.json)\.[0-9a-f]{8}\.tmp")


def turn_file_names(turn_id: int, uid: str) -> tuple[str, str, str]:
    """The (picture, tensors, mask preview) file names a save gives a turn."""
    stem = f"turn-{turn_id:04d}-{uid}"
    return f"{stem}.png", f"{stem}.safetensors", f"{stem}-mask.png"


class EditContext(BaseModel):
    """Why and how a turn was asked for, as its caller (the agent) tells it; all empty for a plain edit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request: str | None = None  # the whole request the turn's step came from
    step: int | None = None  # the step's number in the request's plan ...
    steps: int | None = None  # ... of this many
    scope: Literal["global", "local"] | None = None
    target: str | None = None  # what the mask was made for ("the door")
    invert: bool = False  # the mask is everything except the target
    granularity: Granularity | None = None
    mask_area: float | None = None  # the fraction of the picture the mask covers
    mask_source: str | None = None  # "masker", or "turn #N" when an earlier turn's mask was reused


class TurnRecord(BaseModel):
    """One turn in the manifest: what it was made with, and its files in the folder.

    The file names must be exactly those a save gives the turn (``turn-NNNN-UID.png`` ...): plain names inside
    the folder, never paths.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    id: int = Field(ge=0, le=10**9)
    parent: int | None
    uid: str
    instruction: str | None = None
    picture: str  # file names, relative to the folder
    tensors: str
    mask_preview: str | None = None
    settings: EditSettings | None = None  # None for the root (the loaded picture)
    context: EditContext = Field(default_factory=EditContext)
    created: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _from_version_1(cls, record: Any) -> Any:
        # Version 1 wrote {} for the root's settings and kept the context as a free-form "info" dict (with the
        # seed, which the settings hold too): keep what the context knows.
        if isinstance(record, dict) and "info" in record:
            record = dict(record)
            info = record.pop("info") or {}
            if not isinstance(info, dict):
                raise ValueError("info must be an object")
            record["context"] = {k: v for k, v in info.items() if k in EditContext.model_fields}
            record["settings"] = record.get("settings") or None
        return record

    @field_validator("uid")
    @classmethod
    def _uid(cls, uid: str) -> str:
        if not TURN_UID.fullmatch(uid):
            raise ValueError(f"turn uid {uid[:40]!r} is not 8 to 32 hex digits")
        return uid

    @model_validator(mode="after")
    def _names(self) -> "TurnRecord":
        picture, tensors, preview = turn_file_names(self.id, self.uid)
        for name, expected in ((self.picture, picture), (self.tensors, tensors)):
            if name != expected:
                raise ValueError(f"turn {self.id} names the file {name[:80]!r}; a session file there is {expected!r}")
        if self.mask_preview is not None and self.mask_preview != preview:
            raise ValueError(f"turn {self.id} names the file {self.mask_preview[:80]!r}; expected {preview!r}")
        if self.parent == self.id:
            raise ValueError(f"turn {self.id} is its own parent")
        return self

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(name for name in (self.picture, self.tensors, self.mask_preview) if name)


class SessionManifest(BaseModel):
    """``manifest.json``: the session's id, the tree of turns, which one is current, and where redo goes."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal["emilie-session"] = FORMAT
    version: int = FORMAT_VERSION
    session_id: str | None = None  # None only in folders written before version 3
    model: str | None = None
    head: int
    redo: dict[int, int] = Field(default_factory=dict)
    turns: list[TurnRecord] = Field(max_length=MAX_TURNS)

    @field_validator("session_id")
    @classmethod
    def _session_id(cls, value: str | None) -> str | None:
        if value is not None and not SESSION_ID.fullmatch(value):
            raise ValueError(f"session_id {value[:40]!r} is not 32 hex digits")
        return value

    @property
    def files(self) -> set[str]:
        return {name for record in self.turns for name in record.files}


@dataclass
class SavedTurn:
    """A turn read back from a folder: its record and the picture, latent and mask its files hold."""

    record: TurnRecord
    picture: Image.Image
    image_latent: torch.Tensor
    mask: np.ndarray | None


# ---------------------------------------------------------------------- whose folder is it
@dataclass
class FolderState:
    """What a folder holds before a save: its manifest (if it reads), and the entries that are not a session's."""

    folder: Path
    exists: bool
    manifest: SessionManifest | None = None
    unreadable: str | None = None  # why the manifest there does not read
    foreign: list[str] = field(default_factory=list)  # neither the manifest, its files, the lock, nor leftovers
    leftovers: list[str] = field(default_factory=list)  # temporary files of interrupted saves

    def owner_problem(self, session_id: str, uids: set[str], *, legacy_ok: bool = False) -> str | None:
        """Why a session (``session_id``, its turns' ``uids``) may not save here; None when it may."""
        where = self.folder
        if not self.exists:
            return None
        if self.unreadable is not None:
            return f"{where} holds a session manifest that does not read ({self.unreadable})"
        if self.manifest is None:
            if self.foreign:
                shown = ", ".join(repr(name) for name in self.foreign[:3])
                more = f" and {len(self.foreign) - 3} more" if len(self.foreign) > 3 else ""
                return f"{where} is not empty and holds no session (it holds {shown}{more})"
            return None
        theirs = self.manifest.session_id
        if theirs == session_id or (theirs is None and legacy_ok):
            missing = {record.uid for record in self.manifest.turns} - uids
            if missing:
                return (
                    f"{where} holds a copy of this session with {len(missing)} turn(s) this one does not have "
                    "(it was saved from elsewhere since)"
                )
            return None
        return f"{where} holds another session ({len(self.manifest.turns)} turns, id {theirs or 'unknown'})"


def folder_state(folder: Path) -> FolderState:
    """Read what ``folder`` holds (nothing is changed)."""
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return FolderState(folder, exists=False)
    except OSError as err:
        raise SessionFileError(f"cannot read the session folder {folder}: {err.strerror or err}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise SessionFileError(f"{folder} is a file, not a folder: give a folder to save the session into")
    state = FolderState(folder, exists=True)
    try:
        names = sorted(os.listdir(folder))
    except OSError as err:
        raise SessionFileError(f"cannot read the session folder {folder}: {err.strerror or err}") from None
    if MANIFEST in names:
        try:
            state.manifest = read_manifest(folder)
        except SessionFileError as err:
            state.unreadable = str(err)
    listed = state.manifest.files if state.manifest is not None else set()
    for name in names:
        if name in (MANIFEST, LOCK_FILE) or name in listed:
            continue
        if _LEFTOVER.fullmatch(name):
            state.leftovers.append(name)
        else:
            state.foreign.append(name)
    return state


def check_folder_for(
    folder: str | os.PathLike, session_id: str | None, uids: Iterable[str] = (), *, overwrite: bool = False
) -> FolderState:
    """Raise SessionFileError when a session (``session_id``, None for a new one) may not be saved in ``folder``.

    Changes nothing; what a command line checks before it loads any model. ``overwrite`` allows replacing
    another session (files that are not a session's are still kept).
    """
    folder = session_folder(folder)
    state = folder_state(folder)
    problem = state.owner_problem(session_id or "", set(uids))
    if problem and not overwrite:
        raise SessionFileError(refusal(problem))
    return state


def refusal(problem: str) -> str:
    return (
        f"{problem}: nothing was saved. Save into another (new or empty) folder, or replace it explicitly "
        "(--replace-session; overwrite=True in Python)"
    )


def session_folder(folder: Any) -> Path:
    """``folder`` as a path; an empty or blank one is refused (it would mean the current folder)."""
    if isinstance(folder, bytes) or not isinstance(folder, (str, os.PathLike)):
        raise InvalidRequestError(f"a session folder is a path, not {type(folder).__name__}")
    text = os.fspath(folder)
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequestError("the session folder is empty: give a folder to save the session into")
    if "\0" in text:
        raise InvalidRequestError("the session folder path contains a NUL character")
    return Path(text).expanduser()


# ---------------------------------------------------------------------- saving
def save_session(
    folder: Path,
    turns: Iterable["Turn"],
    *,
    head: int | None,
    redo: dict[int, int],
    model: str | None,
    session_id: str,
    overwrite: bool = False,
    legacy_ok: bool = False,
) -> Path:
    """Write the turns to ``folder`` (which exists; the caller holds its lock). Safe against crashes mid-save.

    Refused with SessionFileError, writing nothing, when the folder is not this session's (see
    :meth:`FolderState.owner_problem`) unless ``overwrite``. A save that fails removes the files it wrote.
    """
    turns = list(turns)
    records = []
    for turn in turns:
        picture, tensors_name, preview = turn_file_names(turn.id, turn.uid)
        try:
            records.append(
                TurnRecord(
                    id=turn.id,
                    parent=turn.parent,
                    uid=turn.uid,
                    instruction=turn.instruction,
                    picture=picture,
                    tensors=tensors_name,
                    mask_preview=preview if turn.mask is not None else None,
                    settings=turn.settings,
                    context=turn.context,
                    created=float(turn.created),
                )
            )
        except (ValidationError, TypeError, ValueError) as err:
            raise SessionFileError(f"turn {turn.id!r} cannot be saved: {_first_problem(err)}") from None
    try:
        manifest = SessionManifest(session_id=session_id, model=model, head=head, redo=redo, turns=records)
    except ValidationError as err:
        raise SessionFileError(f"the session cannot be saved: {_first_problem(err)}") from None
    check_tree(manifest, folder / MANIFEST)

    state = folder_state(folder)
    problem = state.owner_problem(session_id, {r.uid for r in records}, legacy_ok=legacy_ok)
    if problem and not overwrite:
        raise SessionFileError(refusal(problem))
    previous = state.manifest.files if state.manifest is not None else set()

    written: list[Path] = []
    try:
        for turn, record in zip(turns, records):
            tensors = {"image_latent": turn.image_latent.detach().to("cpu", torch.float32).contiguous()}
            if turn.mask is not None:
                tensors["mask"] = torch.from_numpy(np.ascontiguousarray(turn.mask, dtype=np.float32))
            jobs = [
                (record.tensors, lambda p, t=tensors: save_file(t, str(p))),
                (record.picture, lambda p, im=turn.picture: im.save(p, format="PNG")),
            ]
            if record.mask_preview:
                jobs.append((record.mask_preview, lambda p, m=turn.mask: mask_to_image(m).save(p, format="PNG")))
            for name, write in jobs:
                # Turn files are immutable (unique names): one the previous manifest lists is complete already.
                if name in previous and _is_plain_file(folder / name):
                    continue
                existed = os.path.lexists(folder / name)
                atomic_write(folder / name, write, sync_folder=False)
                if not existed:
                    written.append(folder / name)
        fsync_folder(folder)  # the turn files are on disk before the manifest that names them
        text = manifest.model_dump_json(indent=1)
        atomic_write(folder / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))
    except BaseException:
        for path in written:  # not named by any manifest: the folder is left as it was
            path.unlink(missing_ok=True)
        raise
    # Only now is the new save complete: what the previous manifest listed and this one does not can go, and so
    # can leftovers of interrupted saves. Nothing else is touched.
    for name in sorted(previous - manifest.files) + state.leftovers:
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError:
            pass
    return folder


# ---------------------------------------------------------------------- loading
def read_manifest(folder: Path) -> SessionManifest:
    """The folder's manifest, validated (types, names, tree). Raises SessionFileError naming the problem."""
    path = folder / MANIFEST
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise SessionFileError(f"{folder} is not a saved session (no {MANIFEST})") from None
    except OSError as err:
        raise SessionFileError(f"{path} cannot be read: {err.strerror or err}") from None
    if stat.S_ISLNK(info.st_mode):
        raise SessionFileError(f"{path} is a symbolic link: a session folder holds only its own files")
    if not stat.S_ISREG(info.st_mode):
        raise SessionFileError(f"{path} is not a plain file")
    if info.st_size > MAX_MANIFEST_BYTES:
        raise SessionFileError(f"{path} is too large ({info.st_size:,} bytes; at most {MAX_MANIFEST_BYTES:,})")
    try:
        with open(path, "rb") as fh:
            text = fh.read(MAX_MANIFEST_BYTES + 1).decode("utf-8")
        raw = json.loads(text)
    except RecursionError:
        raise SessionFileError(f"{path} is corrupt: nested too deeply") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise SessionFileError(f"{path} is corrupt: {err}") from None
    if _depth(raw) > MAX_JSON_DEPTH:
        raise SessionFileError(f"{path} is corrupt: nested more than {MAX_JSON_DEPTH} deep")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SessionFileError(f"{path} is not an emilie-agent session manifest")
    version = raw.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise SessionFileError(
            f"{path} has format version {str(version)[:20]!r}; this emilie-agent reads "
            f"version {', '.join(map(str, READABLE_VERSIONS))}"
        )
    try:
        manifest = SessionManifest.model_validate_json(text)
    except ValidationError as err:
        raise SessionFileError(f"{path} is incomplete or malformed ({_first_problem(err)})") from None
    except (EmilieError, ValueError, TypeError, RecursionError) as err:
        raise SessionFileError(f"{path} is incomplete or malformed ({err})") from None
    check_tree(manifest, path)
    return manifest


def check_tree(manifest: SessionManifest, where: Path) -> None:
    """One record per id and uid, a current turn that exists, parents that exist and lead to a root (no cycle),
    and redo links that follow the tree."""
    turns: dict[int, TurnRecord] = {}
    uids: set[str] = set()
    if not manifest.turns:
        raise SessionFileError(f"{where} holds no turns")
    for record in manifest.turns:
        if record.id in turns:
            raise SessionFileError(f"{where}: two turns have the id {record.id}")
        if record.uid in uids:
            raise SessionFileError(f"{where}: two turns have the uid {record.uid}")
        turns[record.id] = record
        uids.add(record.uid)
    if manifest.head not in turns:
        raise SessionFileError(f"{where} names turn {manifest.head!r} as current, but it has no such turn")
    reaches_root: set[int] = set()
    for record in manifest.turns:
        path: list[int] = []
        seen: set[int] = set()
        node: int | None = record.id
        while node is not None and node not in reaches_root:
            if node in seen:
                raise SessionFileError(f"{where}: the parent links of turn {record.id} go round in a cycle")
            if node not in turns:
                raise SessionFileError(f"{where}: turn {path[-1]} has a parent {node} that is missing")
            seen.add(node)
            path.append(node)
            node = turns[node].parent
        reaches_root.update(path)
    for parent, child in manifest.redo.items():
        if parent not in turns or child not in turns or turns[child].parent != parent:
            raise SessionFileError(f"{where}: redo link {parent} -> {child} does not match the tree")


def load_session(
    folder: str | os.PathLike, *, latent_channels: int | None = None
) -> tuple[SessionManifest, list[SavedTurn]]:
    """Read a saved session. A missing, corrupt or unsafe folder raises SessionFileError naming the problem.

    ``latent_channels``: what the editor that will continue the session takes (None: only checked to be the same
    in every turn).
    """
    folder = session_folder(folder)
    if not folder.is_dir():
        raise SessionFileError(f"{folder} is not a saved session (no such folder)")
    manifest = read_manifest(folder)
    saved = [_read_turn(folder, record) for record in manifest.turns]
    channels = Counter(turn.image_latent.shape[1] for turn in saved)
    expected = latent_channels if latent_channels is not None else channels.most_common(1)[0][0]
    for turn in saved:
        if turn.image_latent.shape[1] != expected:
            raise SessionFileError(
                f"{folder}: the latent of turn {turn.record.id} has {turn.image_latent.shape[1]} channels; "
                f"{'this editor takes' if latent_channels is not None else 'the other turns have'} {expected}"
            )
    return manifest, saved


def _read_turn(folder: Path, record: TurnRecord) -> SavedTurn:
    picture_path = folder / record.picture
    tensors_path = folder / record.tensors
    for path in (picture_path, tensors_path):
        _check_plain_file(path)
    try:
        picture = load_image(picture_path)
    except EmilieError as err:
        raise SessionFileError(f"session picture unreadable: {err}") from None
    width, height = picture.size
    limit = 4 * (MAX_LATENT_ELEMENTS + width * height) + (1 << 20)
    if os.lstat(tensors_path).st_size > limit:
        raise SessionFileError(f"{tensors_path} is far larger than a turn's latent and mask")
    try:
        with safe_open(str(tensors_path), framework="pt") as fh:
            keys = set(fh.keys())
            unknown = sorted(keys - set(TENSOR_KEYS))
            if unknown:
                raise SessionFileError(f"{tensors_path} holds unexpected tensors {unknown[:3]}")
            if "image_latent" not in keys:
                raise SessionFileError(f"{tensors_path} has no usable latent (none saved)")
            shape = tuple(fh.get_slice("image_latent").get_shape())
            if (
                len(shape) != 4
                or shape[0] != 1
                or not 1 <= shape[1] <= MAX_LATENT_CHANNELS
                or min(shape[2:]) < 1
                or int(np.prod(shape)) > MAX_LATENT_ELEMENTS
            ):
                raise SessionFileError(
                    f"{tensors_path} has no usable latent: shape {list(shape)}, expected [1, channels, height, width]"
                )
            if "mask" in keys and tuple(fh.get_slice("mask").get_shape()) != (height, width):
                raise SessionFileError(f"{tensors_path}: the mask does not match its picture's size")
            latent = fh.get_tensor("image_latent")
            mask_tensor = fh.get_tensor("mask") if "mask" in keys else None
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as err:
        raise SessionFileError(f"session latents unreadable: {tensors_path} ({err})") from None
    if not latent.is_floating_point() or not torch.isfinite(latent).all():
        raise SessionFileError(f"{tensors_path} has no usable latent (not finite floating-point values)")
    mask = None
    if mask_tensor is not None:
        if not mask_tensor.is_floating_point():
            raise SessionFileError(f"{tensors_path}: the mask is not floating-point")
        mask = mask_tensor.to(torch.float32).numpy()
        if not np.isfinite(mask).all() or mask.min(initial=0.0) < 0 or mask.max(initial=0.0) > 1:
            raise SessionFileError(f"{tensors_path}: the mask holds values outside [0, 1] (NaN or infinite)")
        if mask.max(initial=0.0) <= 0:
            raise SessionFileError(f"{tensors_path}: the mask is empty")
    if record.parent is None and mask is not None:
        raise SessionFileError(f"{tensors_path}: the original picture (turn {record.id}) has a mask")
    return SavedTurn(record=record, picture=picture, image_latent=latent.to(torch.float32), mask=mask)


def _check_plain_file(path: Path) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise SessionFileError(f"session file missing: {path}") from None
    except OSError as err:
        raise SessionFileError(f"session file unreadable: {path} ({err.strerror or err})") from None
    if stat.S_ISLNK(info.st_mode):
        raise SessionFileError(f"{path} is a symbolic link: a session folder holds only its own files")
    if not stat.S_ISREG(info.st_mode):
        raise SessionFileError(f"{path} is not a plain file")


def _is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _first_problem(err: Exception) -> str:
    if not isinstance(err, ValidationError):
        return str(err)
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
