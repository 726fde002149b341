"""Granularity operations on picture-size masks: pure numpy, no models."""
from __future__ import annotations

import numpy as np
import pytest

from emilie_agent.masking import granularity as gran
from emilie_agent.errors import InvalidRequestError


def blob(h=41, w=57, box=(10, 8, 25, 20)) -> np.ndarray:
    """A rectangle-ish object inside ``box`` (x0, y0, x1, y1), with a notch so it is not its own box."""
    mask = np.zeros((h, w), np.float32)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 1.0
    mask[y0 : y0 + 3, x0 : x0 + 4] = 0.0
    return mask


def object_mask(mask, box):
    return gran.spread_mask(mask, gran.spread_for("object"), box)


def region_mask(mask, box):
    return gran.spread_mask(mask, gran.spread_for("region"), box)


def brute_force_distance(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask > 0.5)
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]]
    return np.sqrt(((yy[..., None] - ys) ** 2 + (xx[..., None] - xs) ** 2).min(-1))


def test_distance_is_exact_on_small_masks():
    rng = np.random.default_rng(1)
    mask = (rng.random((23, 31)) > 0.96).astype(np.float32)
    np.testing.assert_allclose(gran.distance_to_mask(mask), brute_force_distance(mask), atol=1e-4)


def test_distance_on_a_large_mask_errs_short_and_is_close():
    mask = np.zeros((900, 700), np.float32)
    mask[300:400, 200:260] = 1.0
    dist = gran.distance_to_mask(mask, max_grid=128)
    assert dist[350, 230] == 0.0
    # 100 pixels right of the object's right edge (column 259): within a grid cell, never longer.
    assert 100 - 900 / 128 * 1.5 <= dist[350, 359] <= 100 + 1.0
    assert np.isinf(gran.distance_to_mask(np.zeros((5, 5)))).all()


def test_object_keeps_the_object_and_adds_a_soft_edge():
    obj = blob()
    soft = object_mask(obj, (10, 8, 25, 20))
    assert soft.dtype == np.float32 and soft.shape == obj.shape
    assert (soft[obj > 0.5] == 1.0).all()
    edge = soft[(obj < 0.5) & (soft > 0)]
    assert edge.size > 0 and edge.max() < 1.0, "a soft edge, not a grown hard one"
    assert soft.max() <= 1.0 and soft.min() >= 0.0


def test_region_contains_the_object_and_grows_with_the_object_size():
    small = blob(box=(10, 8, 16, 14))
    large = blob(box=(5, 5, 45, 35))
    for obj, box in ((small, (10, 8, 16, 14)), (large, (5, 5, 45, 35))):
        region = region_mask(obj, box)
        assert (region >= object_mask(obj, box)).all()
        assert (region[obj > 0.5] == 1.0).all()
    grown_small = (region_mask(small, (10, 8, 16, 14)) > 0).sum() / small.sum()
    grown_large = (region_mask(large, (5, 5, 45, 35)) > 0).sum() / large.sum()
    assert grown_small > 1.5 and grown_large > 1.2
    # Growth is relative to the object's size: 25% of sqrt(box area) before the feather.
    growth, _ = gran.growth_for_spread(gran.SPREAD_OF["region"], gran.object_size(large, (5, 5, 45, 35)))
    assert growth == pytest.approx(0.25 * np.sqrt(40 * 30))


def test_global_is_all_ones():
    assert (gran.spread_mask(blob(), 1.0) == 1.0).all()
    assert (gran.spread_mask(np.zeros((3, 4), np.float32), gran.spread_for("global")) == 1.0).all()
    assert gran.spread_for("global") == 1.0


def test_spread_is_monotone_from_object_to_global():
    obj = blob()
    spreads = np.linspace(0.0, 1.0, 12)
    masks = [gran.spread_mask(obj, s, (10, 8, 25, 20)) for s in spreads]
    for before, after in zip(masks, masks[1:]):
        assert (after >= before - 1e-6).all(), "more spread never shrinks the mask"
    areas = [m.sum() for m in masks]
    assert areas[0] < areas[len(areas) // 2] < areas[-1] == obj.size


def test_union_and_invert():
    a, b = blob(box=(2, 2, 10, 10)), blob(box=(30, 20, 50, 35))
    u = gran.union([a, b], a.shape)
    assert (u == np.maximum(a, b)).all()
    assert (gran.union([], (3, 3)) == 0).all()
    soft = region_mask(a, (2, 2, 10, 10))
    inv = gran.invert(soft)
    assert inv.dtype == np.float32 and (inv + soft == 1.0).all()


def test_resize_mask_keeps_range_and_size():
    m = region_mask(blob(), (10, 8, 25, 20))
    big = gran.resize_mask(m, (571, 409))
    assert big.shape == (409, 571) and big.min() >= 0.0 and big.max() <= 1.0
    assert gran.resize_mask(m, (57, 41)) is not None and gran.resize_mask(m, (57, 41)).shape == m.shape


@pytest.mark.parametrize("granularity, spread", [("blob", None), ("object", -0.1), ("region", 1.5), ("object", "x"), ("object", float("nan"))])
def test_bad_granularity_or_spread_is_a_clear_error(granularity, spread):
    with pytest.raises(InvalidRequestError):
        gran.spread_for(granularity, spread)


def test_spread_replaces_the_granularity_preset():
    assert gran.spread_for("region") == 0.5
    assert gran.spread_for("global", 0.2) == 0.2
