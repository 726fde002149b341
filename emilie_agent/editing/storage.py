"""The session folder: a pydantic manifest, one typed record per turn, and the files they name.

On disk a session is a folder: one PNG per picture (and per mask, for people), one safetensors file per turn
(latent, mask) and ``manifest.json``. Saving never rewrites a file in place: turn files get unique names and
are written under a temporary name then renamed, and the manifest is replaced last, in one rename. A crash at
any moment leaves the previous save readable.

Format versions: 2 records each turn's settings as :class:`EditSettings` and why it was made as an
:class:`EditContext`; 1 (still read) kept the latter as a free-form ``info`` dict.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal

import numpy as np
import torch
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .settings import EditSettings
from ..errors import EmilieError, SessionFileError
from ..files import atomic_write
from ..images import load_image, mask_to_image
from ..masking.granularity import Granularity

if TYPE_CHECKING:  # pragma: no cover
    from .session import Turn

FORMAT = "emilie-session"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"


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
    """One turn in the manifest: what it was made with, and its files in the folder."""

    model_config = ConfigDict(extra="forbid")

    id: int
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
            record["context"] = {k: v for k, v in info.items() if k in EditContext.model_fields}
            record["settings"] = record.get("settings") or None
        return record


class SessionManifest(BaseModel):
    """``manifest.json``: the tree of turns, which one is current, and where redo goes from each."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["emilie-session"] = FORMAT
    version: int = FORMAT_VERSION
    model: str | None = None
    head: int
    redo: dict[int, int] = Field(default_factory=dict)
    turns: list[TurnRecord]


@dataclass
class SavedTurn:
    """A turn read back from a folder: its record and the picture, latent and mask its files hold."""

    record: TurnRecord
    picture: Image.Image
    image_latent: torch.Tensor
    mask: np.ndarray | None


def save_session(
    folder: str | os.PathLike, turns: Iterable["Turn"], *, head: int | None, redo: dict[int, int], model: str | None
) -> Path:
    """Write the turns to ``folder`` (created if needed). Safe against crashes mid-save."""
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for turn in turns:
        stem = f"turn-{turn.id:04d}-{turn.uid}"
        tensors = {"image_latent": turn.image_latent.contiguous()}
        if turn.mask is not None:
            tensors["mask"] = torch.from_numpy(np.ascontiguousarray(turn.mask, dtype=np.float32))
        _write_once(folder / f"{stem}.safetensors", lambda p, t=tensors: save_file(t, str(p)))
        _write_once(folder / f"{stem}.png", lambda p, im=turn.picture: im.save(p, format="PNG"))
        if turn.mask is not None:
            _write_once(folder / f"{stem}-mask.png", lambda p, m=turn.mask: mask_to_image(m).save(p, format="PNG"))
        records.append(
            TurnRecord(
                id=turn.id,
                parent=turn.parent,
                uid=turn.uid,
                instruction=turn.instruction,
                picture=f"{stem}.png",
                tensors=f"{stem}.safetensors",
                mask_preview=f"{stem}-mask.png" if turn.mask is not None else None,
                settings=turn.settings,
                context=turn.context,
                created=turn.created,
            )
        )
    manifest = SessionManifest(model=model, head=head, redo=redo, turns=records)
    text = manifest.model_dump_json(indent=1)
    atomic_write(folder / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))
    # Only now is the new save complete; files from older saves that it does not use can go.
    keep = {MANIFEST} | {name for r in records for name in (r.picture, r.tensors, r.mask_preview) if name}
    for path in folder.glob("turn-*"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
    return folder


def load_session(folder: str | os.PathLike) -> tuple[SessionManifest, list[SavedTurn]]:
    """Read a saved session. A missing or corrupt folder raises SessionFileError naming the problem."""
    folder = Path(folder).expanduser()
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise SessionFileError(f"{folder} is not a saved session (no {MANIFEST})")
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SessionFileError(f"{manifest_path} is corrupt: {err}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SessionFileError(f"{manifest_path} is not an emilie-agent session manifest")
    if raw.get("version") not in READABLE_VERSIONS:
        raise SessionFileError(
            f"{manifest_path} has format version {raw.get('version')!r}; this emilie-agent reads "
            f"version {' or '.join(map(str, READABLE_VERSIONS))}"
        )
    try:
        manifest = SessionManifest.model_validate(raw)
    except ValidationError as err:
        raise SessionFileError(f"{manifest_path} is incomplete or malformed ({_first_problem(err)})") from None
    return manifest, [_read_turn(folder, record) for record in manifest.turns]


def _read_turn(folder: Path, record: TurnRecord) -> SavedTurn:
    picture_path = folder / record.picture
    tensors_path = folder / record.tensors
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
    return SavedTurn(record=record, picture=picture, image_latent=latent.to(torch.float32), mask=mask)


def _first_problem(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def _write_once(path: Path, write) -> None:
    # Turn files are immutable (unique names): one already there was completed by an earlier save.
    if not path.exists():
        atomic_write(path, write)
