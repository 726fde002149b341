"""How much around a found object an edit may touch: pure numpy / PIL operations on picture-size masks.

A mask is a float32 HxW array in [0, 1], 1 = may change. The masker turns SAM's object mask into the mask
the editor uses with one knob, the *spread* ``s`` in [0, 1]:

* ``s = 0`` (``object``): the object mask, with a thin soft edge outside it (so the editor's soft-mask path is
  used and the seam is not a hard line);
* ``s = 0.5`` (``region``): the object grown by a quarter of the object's size (the square root of its box's
  area), feathered over half that again. "Put a hat on the man" needs room around the man;
* ``s = 1`` (``global``): all ones.

In between, the growth is ``REGION_GROWTH * size * tan(s * pi / 2)`` and the feather ``base + growth / 2``.
Both only increase with ``s``, and the soft mask ``clip(1 - (d - growth) / feather)`` (``d``: distance to the
object) increases with both, so more spread never shrinks a mask. The object itself is always exactly 1.

Distances are computed exactly on a grid of at most ``DISTANCE_GRID`` cells a side (the picture's own pixels
when it is that small) and interpolated; on larger pictures the soft edge is therefore exact to a few
pixels, finer than the editor's latent grid (8 pixels a cell).
"""
from __future__ import annotations

import math
from typing import Iterable, Literal, Sequence, get_args

import numpy as np
from PIL import Image

from ..errors import InvalidRequestError, shown

Granularity = Literal["object", "region", "global"]
GRANULARITIES: tuple[str, ...] = get_args(Granularity)
SPREAD_OF = {"object": 0.0, "region": 0.5, "global": 1.0}
REGION_GROWTH = 0.25  # region: grow by this share of the object's size
MIN_FEATHER_PX = 1.5  # the thinnest soft edge, in pixels
FEATHER_SHARE = 0.02  # ... or this share of the object's size, if larger
DISTANCE_GRID = 320

Box = Sequence[float]  # x0, y0, x1, y1 in pixels


# ---------------------------------------------------------------------------------------------- parameters
def spread_for(granularity: str = "object", spread: float | None = None) -> float:
    """The spread a request means: ``spread`` if given (it replaces the granularity's preset), else the preset."""
    if not isinstance(granularity, str) or granularity not in SPREAD_OF:
        raise InvalidRequestError(
            f"unknown granularity {shown(granularity)}; choose one of {', '.join(GRANULARITIES)}"
        )
    if spread is None:
        return SPREAD_OF[granularity]
    try:
        value = float(spread)
    except (TypeError, ValueError, OverflowError):
        raise InvalidRequestError(f"spread must be a number from 0 to 1, not {shown(spread)}") from None
    if not (0.0 <= value <= 1.0):  # also refuses NaN
        raise InvalidRequestError(f"spread must be from 0 (object) to 1 (whole picture), not {shown(spread)}")
    return value


def object_size(mask: np.ndarray, box: Box | None = None) -> float:
    """An object's size in pixels: the square root of its box's area (of the mask's area without a box)."""
    if box is not None:
        x0, y0, x1, y1 = (float(v) for v in box)
        area = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    else:
        area = float(np.count_nonzero(np.asarray(mask) > 0.5))
    return max(math.sqrt(area), 1.0)


def growth_for_spread(spread: float, size: float) -> tuple[float, float]:
    """(growth, feather) in pixels for a spread < 1 and an object of ``size`` pixels; both rise with spread."""
    growth = REGION_GROWTH * size * math.tan(min(spread, 1.0) * math.pi / 2) if spread < 1.0 else math.inf
    feather = max(MIN_FEATHER_PX, FEATHER_SHARE * size) + growth / 2
    return growth, feather


# ---------------------------------------------------------------------------------------------- operations
def distance_to_mask(mask: np.ndarray, max_grid: int = DISTANCE_GRID, max_distance: float = math.inf) -> np.ndarray:
    """Euclidean distance in pixels from every pixel to the nearest pixel of ``mask`` (> 0.5); 0 on the mask.

    An empty mask gives infinity everywhere. Distances over ``max_distance`` may come back as infinity (much
    faster when only a band around the mask matters, as for a soft edge); those within it are the same. Exact on pictures up to ``max_grid`` pixels a side; larger ones are
    measured on a grid where a cell is in the mask if any of its pixels is (so distances err short, never long).
    """
    inside = np.asarray(mask) > 0.5
    h, w = inside.shape
    if not inside.any():
        return np.full((h, w), np.inf, np.float32)
    scale = min(1.0, max_grid / max(h, w))
    gh, gw = max(1, round(h * scale)), max(1, round(w * scale))
    if (gh, gw) == (h, w):
        grid = inside
    else:  # area average > 0 == "any pixel of the cell"
        grid = np.asarray(Image.fromarray(inside.astype(np.float32), "F").resize((gw, gh), Image.BOX)) > 0
    cell_y, cell_x = h / gh, w / gw
    dist = _edt(grid, cell_y, cell_x, max_distance)
    if (gh, gw) != (h, w):
        dist = np.asarray(Image.fromarray(dist, "F").resize((w, h), Image.BILINEAR), dtype=np.float32)
        dist = np.where(inside, 0.0, np.maximum(dist, 0.0)).astype(np.float32)
    return dist


def _edt(inside: np.ndarray, cell_y: float = 1.0, cell_x: float = 1.0, max_distance: float = math.inf) -> np.ndarray:
    """Exact Euclidean distance transform (cells of cell_y x cell_x pixels), separable: columns, then rows.

    With a finite ``max_distance`` the row pass only looks that far sideways: distances up to it are exact,
    longer ones may be infinity.
    """
    h, w = inside.shape
    rows = np.arange(h, dtype=np.float64)[:, None]
    # Pass 1: vertical distance (in rows) to the nearest mask cell in the same column, from above and below.
    above = np.maximum.accumulate(np.where(inside, rows, -np.inf), axis=0)
    below = np.minimum.accumulate(np.where(inside, rows, np.inf)[::-1], axis=0)[::-1]
    vertical = np.minimum(rows - above, below - rows) * cell_y  # inf in empty columns
    g2 = (vertical**2).astype(np.float32)
    # Pass 2: d^2(i, j) = min over columns k of g^2(i, k) + ((j - k) * cell_x)^2.
    reach = math.ceil(max_distance / cell_x) if math.isfinite(max_distance) else w
    if 2 * reach + 1 < w:  # only columns within reach: one shifted array per offset
        out = g2.copy()
        for k in range(1, reach + 1):
            step = np.float32((k * cell_x) ** 2)
            np.minimum(out[:, k:], g2[:, :-k] + step, out=out[:, k:])
            np.minimum(out[:, :-k], g2[:, k:] + step, out=out[:, :-k])
        return np.sqrt(out)
    # Every column: a few rows at a time.
    cols = np.arange(w, dtype=np.float32)
    offsets2 = ((cols[:, None] - cols[None, :]) * cell_x) ** 2  # (j, k)
    out = np.empty((h, w), np.float32)
    chunk = max(1, 4_000_000 // max(w * w, 1))
    for start in range(0, h, chunk):
        block = g2[start : start + chunk]  # (c, k)
        out[start : start + chunk] = np.min(block[:, None, :] + offsets2[None, :, :], axis=2)
    return np.sqrt(out)


def grow(mask: np.ndarray, growth: float, feather: float) -> np.ndarray:
    """``mask`` grown by ``growth`` pixels with a linear soft edge ``feather`` pixels wide outside that.

    The mask itself stays exactly 1; nothing shrinks.
    """
    base = np.clip(np.asarray(mask, np.float32), 0.0, 1.0)
    if math.isinf(growth):
        return np.ones_like(base)
    distance = distance_to_mask(base, max_distance=growth + max(feather, 0.0) + 1.0)
    if feather <= 0:
        soft = (distance <= growth).astype(np.float32)
    else:
        soft = np.clip(1.0 - (distance - growth) / feather, 0.0, 1.0).astype(np.float32)
    return np.maximum(base, soft)


def spread_mask(mask: np.ndarray, spread: float, box: Box | None = None) -> np.ndarray:
    """One object's mask at a spread from 0 (the object, soft-edged) to 1 (all ones); see the module doc."""
    spread = spread_for("object", spread)
    base = np.clip(np.asarray(mask, np.float32), 0.0, 1.0)
    if spread >= 1.0:
        return np.ones_like(base)
    growth, width = growth_for_spread(spread, object_size(base, box))
    return grow(base, growth, width)


def union(masks: Iterable[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Pixelwise maximum (an empty list gives zeros of ``shape``)."""
    out = np.zeros(shape, np.float32)
    for m in masks:
        np.maximum(out, np.asarray(m, np.float32), out=out)
    return out


def invert(mask: np.ndarray) -> np.ndarray:
    """The exact complement: 1 - mask."""
    return (1.0 - np.asarray(mask, np.float32)).astype(np.float32)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A float mask resized to ``size`` (width, height), bilinear, kept in [0, 1]."""
    h, w = mask.shape
    if (w, h) == tuple(size):
        return np.asarray(mask, np.float32)
    resized = Image.fromarray(np.asarray(mask, np.float32), "F").resize(tuple(size), Image.BILINEAR)
    out = np.array(resized, dtype=np.float32)
    return np.clip(out, 0.0, 1.0, out=out)
