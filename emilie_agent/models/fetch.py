"""What ``emilie-agent fetch`` downloads: the default models' weights, into the Hugging Face cache.

The defaults are the editor's InstructPix2Pix model and the masker's detector (GroundingDINO) and segmenter
(SAM); any other hub id can be fetched too. Afterwards every command finds them in the cache, also with
``HF_HUB_OFFLINE=1``; to move them to an offline machine, copy ``~/.cache/huggingface/hub`` (or fetch into a
folder with ``local_dir`` and pass that folder instead of the hub id).
"""
from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import constants as hub_constants
from huggingface_hub import snapshot_download, try_to_load_from_cache
from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError

from ..editing.settings import DEFAULT_MODEL
from ..errors import InvalidRequestError, ModelNotAvailableError
from ..masking.options import DEFAULT_DETECTOR, DEFAULT_SEGMENTER
from ..text import require_text

# The default models by role, the names ``emilie-agent fetch editor detector`` accepts.
DEFAULT_MODELS = {"editor": DEFAULT_MODEL, "detector": DEFAULT_DETECTOR, "segmenter": DEFAULT_SEGMENTER}
# A file each default model's folder has: its presence in the cache means the model was fetched.
_MARKER_FILE = {DEFAULT_MODEL: "model_index.json", DEFAULT_DETECTOR: "config.json", DEFAULT_SEGMENTER: "config.json"}
# Not needed by emilie-agent: the safety checker, the original training checkpoint, other frameworks' files.
SKIP = ["safety_checker/*", "*.ckpt", "*.h5", "*.msgpack", "*.onnx"]


def hub_ids(names: list[str] | tuple[str, ...]) -> list[str]:
    """Roles (``editor``, ``detector``, ``segmenter``) as their default hub ids; other names are hub ids."""
    ids = [DEFAULT_MODELS.get(name, name) for name in names]
    return list(dict.fromkeys(ids))  # each once, in the order given


def missing_from_cache(repos: list[str] | None = None) -> list[str]:
    """The models (default: the three defaults) that are not in the local Hugging Face cache."""
    repos = list(DEFAULT_MODELS.values()) if repos is None else repos
    return [
        repo for repo in repos if not isinstance(try_to_load_from_cache(repo, _MARKER_FILE.get(repo, "config.json")), str)
    ]


def fetch(repo: str, *, local_dir: str | os.PathLike | None = None) -> Path:
    """Download ``repo`` (a hub id) into the cache, or into ``local_dir``; returns the folder.

    Raises :class:`ModelNotAvailableError` with one line that says why (no network, offline mode, no such
    model) when it cannot be had.
    """
    repo = require_text(repo, "model name", example=DEFAULT_MODEL, advice="give a hub id")
    try:
        path = snapshot_download(
            repo, local_dir=None if local_dir is None else os.fspath(local_dir), ignore_patterns=SKIP
        )
    except Exception as err:  # noqa: BLE001 - every download failure (HTTP, DNS, disk, offline) is one line
        raise ModelNotAvailableError(f"could not download {repo}: {_why(err)}") from None
    return Path(path)


def _why(err: BaseException) -> str:
    if hub_constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set; unset it on a machine with network"
    if isinstance(err, RepositoryNotFoundError):
        return "no such model on the Hugging Face hub (or it needs a login: huggingface-cli login)"
    if isinstance(err, LocalEntryNotFoundError):
        return "the Hugging Face hub cannot be reached (no network?) and the model is not in the cache"
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")
