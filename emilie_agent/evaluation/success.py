"""Did a toy-world edit do what was asked? One rule per kind, against the toy world's own ground truth.

* ``recolour``: the output's mean colour over the object's paintable pixels (its pixels after the edit where the
  object's renders in different colours differ) is nearest, in RGB, to the asked colour among every colour of
  :data:`~emilie_agent.toyworld.COLOURS` rendered in the same scene (so shading by the time of day counts);
* every other kind: the output is closer to the ground truth than the source is, by at least :data:`MARGIN` of
  the source-truth distance, measured over the true mask grown by :data:`REGION_MARGIN_PX` pixels for local kinds
  and over the whole picture for global kinds (time, season).

Pure numpy / PIL; the same rules as ``tools/measure_toy.py``, which may import them from here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image

from .metrics import dilate
from ..toyworld import COLOURS, GLOBAL_KINDS, Edit, apply, render
from ..toyworld.dataset import Pair
from ..toyworld.draw import mask_of

MARGIN = 0.25  # "closer to the truth than the source by >= 25% of the source-truth distance"
REGION_MARGIN_PX = 2


def _pixels(picture, size: tuple[int, int] | None = None) -> np.ndarray:
    """A picture as float32 (H, W, 3) in 0-255, resized to ``size`` if given."""
    if isinstance(picture, np.ndarray):
        return np.asarray(picture, np.float32)
    picture = picture.convert("RGB")
    if size is not None and picture.size != tuple(size):
        picture = picture.resize(tuple(size), Image.BICUBIC)
    return np.asarray(picture, np.float32)


def _l1_255(a: np.ndarray, b: np.ndarray, region: np.ndarray | None) -> float | None:
    diff = np.abs(a - b).mean(-1)
    if region is None:
        return float(diff.mean())
    region = np.asarray(region, bool)
    return float(diff[region].mean()) if region.any() else None


def nearest_colour(rgb: Sequence[float], candidates: dict[str, Sequence[float]]) -> str:
    """The name of the candidate colour nearest to ``rgb`` (Euclidean in RGB)."""
    rgb = np.asarray(rgb, np.float64)
    return min(candidates, key=lambda name: float(np.sum((np.asarray(candidates[name], np.float64) - rgb) ** 2)))


def recolour_reference(pair: Pair) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The object's paintable pixels after the edit, and each colour's mean over them as rendered in this scene."""
    size = pair.source.size
    _, masks_after, _ = render(pair.after, size)
    object_mask = mask_of(pair.after, masks_after, pair.noun)
    renders = {name: _pixels(render(apply(pair.before, Edit("recolour", pair.noun, name)), size)[0]) for name in COLOURS}
    stack = np.stack(list(renders.values()))
    paintable = object_mask & (stack.std(0).max(-1) > 0)
    if not paintable.any():
        paintable = object_mask
    if not paintable.any():  # the object is not visible at all: the true change mask instead
        paintable = np.asarray(pair.mask, bool)
    return paintable, {name: arr[paintable].mean(0) for name, arr in renders.items()}


def recolour_success(output, pair: Pair, reference=None) -> bool:
    """The output's mean colour over the object is nearest to the asked colour (as rendered in the scene)."""
    paintable, candidates = reference if reference is not None else recolour_reference(pair)
    mean = _pixels(output, pair.source.size)[paintable].mean(0)
    return nearest_colour(mean, candidates) == pair.edit.value


def closer_success(output, source, target, region: np.ndarray | None = None, margin: float = MARGIN) -> bool:
    """The output is closer to the truth than the source by >= ``margin`` of the source-truth distance."""
    t = _pixels(target)
    size = (t.shape[1], t.shape[0])
    gap = _l1_255(_pixels(source, size), t, region)
    err = _l1_255(_pixels(output, size), t, region)
    if gap is None or err is None or gap <= 0:
        return False
    return err <= (1.0 - margin) * gap


def success_region(pair: Pair) -> np.ndarray | None:
    """Where the closer-to-the-truth rule is measured: the whole picture (global), else the grown true mask."""
    return None if pair.kind in GLOBAL_KINDS else dilate(pair.mask, REGION_MARGIN_PX)


def edit_success(output, pair: Pair) -> bool:
    """Whether ``output`` did what ``pair.instruction`` asked of ``pair.source`` (rules above)."""
    if pair.kind == "recolour":
        return recolour_success(output, pair)
    return closer_success(output, pair.source, pair.target, success_region(pair))
