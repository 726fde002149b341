"""Where model weights come from: a hub id, a local folder, or a named model (``tiny``, ``toy``).

Hub ids and local folders go straight to the libraries' own ``from_pretrained`` (which read the HF cache and
honour ``HF_HUB_OFFLINE``). ``tiny`` builds a small random-weight model once, saves it with
``save_pretrained`` into a cache folder, and from then on is loaded like any local folder: tests exercise
the same code path as real weights. ``real-size`` does the same with the real architectures (random weights,
about 6 GB on disk), for timings at real size without a download. ``toy`` names the small models trained on the toy world, packaged in
``emilie_agent/toyworld/models/<kind>`` by ``python tools/train_toy.py``.

A model folder may carry the settings that suit it in ``emilie_toy.json`` (see :func:`model_defaults`).

When weights cannot be had, :func:`model_not_available` turns the libraries' many exception types into one
:class:`~emilie_agent.errors.ModelNotAvailableError` that says what is missing and how to get it.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from ..errors import ModelNotAvailableError

TINY = "tiny"
REAL_SIZE = "real-size"  # the real architectures with random weights (emilie_agent.testing.real_size)
TOY = "toy"
TOY_KINDS = ("instruct-pix2pix", "grounding-dino", "sam")
# The packaged toy models: emilie_agent/toyworld/models/<kind>, next to this package's own folder.
TOY_ROOT = Path(__file__).resolve().parent.parent / "toyworld" / "models"
MODEL_DEFAULTS_FILE = "emilie_toy.json"
# Bump when a tiny builder changes, so that stale cached tiny models are rebuilt.
TINY_VERSION = 3


def cache_root() -> Path:
    """Folder for emilie-agent's own caches (tiny models). ``EMILIE_CACHE`` overrides it."""
    env = os.environ.get("EMILIE_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "emilie-agent"


def tiny_builders() -> dict[str, Callable[[Path, int], None]]:
    """Every tiny model's builder by kind (the editor's and the masker's): ``builder(folder, seed)``."""
    # Imported lazily: the test-only builders pull in diffusers / transformers, which loading a folder never needs.
    from ..testing import tiny_editor, tiny_eval_models, tiny_masker

    return {**tiny_editor.BUILDERS, **tiny_masker.BUILDERS, **tiny_eval_models.BUILDERS}


def real_size_builders() -> dict[str, Callable[[Path, int], None]]:
    """The real-size random-weight models' builders by kind: ``builder(folder, seed)``."""
    # Imported lazily, as the tiny builders are: only building a model needs diffusers / transformers.
    from ..testing import real_size

    return dict(real_size.BUILDERS)


def tiny_model_dir(kind: str, seed: int = 0) -> Path:
    """Return the folder of the tiny random-weight model ``kind``, building it on first use."""
    return _built_model_dir(TINY, kind, seed, tiny_builders())


def real_size_model_dir(kind: str, seed: int = 0) -> Path:
    """Return the folder of the real-size random-weight model ``kind``, building it on first use."""
    return _built_model_dir(REAL_SIZE, kind, seed, real_size_builders())


def _built_model_dir(family: str, kind: str, seed: int, builders: dict[str, Callable[[Path, int], None]]) -> Path:
    """The cached folder of a model built here, building it first when it is not there.

    The build goes to a temporary folder that is renamed into place, so a crash mid-build never
    leaves a half-written model that later loads fail on.
    """
    if kind not in builders:
        raise ValueError(f"no {family} model of kind {kind!r}; known: {', '.join(sorted(builders))}")
    folder = cache_root() / family / f"{kind}-seed{seed}-v{TINY_VERSION}"
    if (folder / ".complete").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        builders[kind](staging, seed)
        (staging / ".complete").write_text("ok\n")
        try:
            staging.rename(folder)
        except OSError:
            # Another process finished the same build first; theirs is as good as ours.
            if not (folder / ".complete").exists():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def toy_model_dir(kind: str) -> Path:
    """The packaged toy model ``kind``; ModelNotAvailableError saying how to build it when it is not there."""
    if kind not in TOY_KINDS:
        raise ValueError(f"no toy model of kind {kind!r}; known: {', '.join(TOY_KINDS)}")
    folder = TOY_ROOT / kind
    if not folder.is_dir() or not any(folder.iterdir()):
        raise ModelNotAvailableError(
            f"cannot load the toy {kind} model: the toy models are not built (no {folder}); build them with "
            "`python tools/train_toy.py`, or use `--models tiny` for random weights"
        )
    return folder


def resolve_model(name_or_path: str | os.PathLike, kind: str) -> str:
    """Map ``tiny``, ``real-size`` and ``toy`` to their folders; pass local folders and hub ids through unchanged."""
    name = os.fspath(name_or_path)
    if name == TINY:
        return str(tiny_model_dir(kind))
    if name == REAL_SIZE:
        return str(real_size_model_dir(kind))
    if name == TOY:
        return str(toy_model_dir(kind))
    if not looks_local(name) and hub_model_out_of_reach(name):
        # Without this the HF libraries retry the unreachable hub for half a minute before failing.
        raise model_not_available(name, KIND_NAMES.get(kind, "model"), ConnectionError("the hub cannot be reached"))
    return name


KIND_NAMES = {"instruct-pix2pix": "InstructPix2Pix model", "grounding-dino": "GroundingDINO model",
              "sam": "SAM model", "clip": "CLIP model", "dino": "DINO model"}
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
_reachability: dict[str, tuple[float, bool]] = {}


def hub_model_out_of_reach(repo: str) -> bool:
    """Whether hub id ``repo`` is neither in the local Hugging Face cache nor downloadable, as far as one quick
    check tells: the hub's host does not take a TCP connection within 3 s. False whenever in doubt (offline mode,
    which the libraries handle fast themselves; a proxy, which the check would bypass; a name that is not an
    ``owner/name`` hub id)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        return False
    if repo.count("/") != 1 or any(os.environ.get(v) for v in _PROXY_VARIABLES):
        return False
    from huggingface_hub import try_to_load_from_cache

    for marker in ("config.json", "model_index.json", "preprocessor_config.json"):
        try:
            if isinstance(try_to_load_from_cache(repo, marker), str):
                return False
        except Exception:  # noqa: BLE001 - an odd name: let from_pretrained say what is wrong
            return False
    return not hub_reachable()


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub's host (``HF_ENDPOINT``) takes a TCP connection; remembered for a minute."""
    from huggingface_hub import constants  # lazy, as the other huggingface_hub uses here

    parts = urlsplit(constants.ENDPOINT)
    host, port = parts.hostname or "huggingface.co", parts.port or (80 if parts.scheme == "http" else 443)
    key = f"{host}:{port}"
    now = time.monotonic()
    seen = _reachability.get(key)
    if seen is not None and now - seen[0] < 60:
        return seen[1]
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        ok = True
    except OSError:
        ok = False
    _reachability[key] = (now, ok)
    return ok


def model_defaults(folder: str | os.PathLike) -> dict[str, Any]:
    """The settings a model folder recommends for itself, from its ``emilie_toy.json``; {} when it has none.

    E.g. ``{"text_scale": 3.0, "image_scale": 1.5, "steps": 20, "size": 64}``: guidance that suits a small model
    and the picture size it was trained at. Hub ids have none (the file is not fetched).
    """
    path = Path(folder) / MODEL_DEFAULTS_FILE
    if not os.path.isdir(folder) or not path.is_file():
        return {}
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelNotAvailableError(f"cannot read {path}: {type(err).__name__}: {_first_line(err)}") from None
    if not isinstance(values, dict):
        raise ModelNotAvailableError(f"{path} must hold a JSON object such as {{\"steps\": 20, \"size\": 64}}")
    return values


def looks_local(name: str) -> bool:
    return os.path.isabs(name) or name.startswith((".", "~")) or os.path.exists(name)


def model_not_available(name: str, what: str, err: BaseException) -> ModelNotAvailableError:
    """One clear error for weights that are missing (no cache, no network, wrong folder)."""
    if looks_local(name) and not os.path.exists(os.path.expanduser(name)):
        hint = f"there is no folder {name!r}"
    elif looks_local(name):
        hint = (
            f"the folder {name!r} does not hold a saved {what} (save_pretrained layout) "
            f"({type(err).__name__}: {_first_line(err)})"
        )
    else:
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
        hint = (
            f"{what} {name!r} is not in the Hugging Face cache"
            + (" and HF_HUB_OFFLINE is set" if offline else " and could not be downloaded")
            + f". Get it on a machine with network with `emilie-agent fetch {name}` "
            "(or `huggingface-cli download " + name + "`), then copy the HF cache here or pass the "
            "downloaded folder instead of the hub id; `--models tiny` runs on tiny random weights"
        )
    return ModelNotAvailableError(f"cannot load {what} {name!r}: {hint}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else ""


# Exceptions the HF libraries raise for weights that are absent or unreachable.
def loading_exceptions() -> tuple[type[BaseException], ...]:
    excs: list[type[BaseException]] = [OSError, ValueError, EnvironmentError]
    try:
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        excs += [HfHubHTTPError, LocalEntryNotFoundError]
    except ImportError:  # pragma: no cover - very old huggingface_hub
        pass
    try:
        import requests

        excs.append(requests.exceptions.RequestException)
    except ImportError:  # pragma: no cover
        pass
    return tuple(excs)
