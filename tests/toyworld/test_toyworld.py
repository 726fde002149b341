"""The toy world generator: determinism, sizes, masks, edits, chains, splits (fast, no torch)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from emilie_agent.toyworld import (
    KINDS,
    LOCAL_KINDS,
    TEMPLATES,
    Edit,
    all_phrasings,
    apply,
    demo_scene,
    demo_scene_scene,
    mask_of,
    possible_edits,
    random_scene,
    render,
    sample_chain,
    sample_pair,
    vocabulary,
)
from emilie_agent.toyworld.phrasings import HELDOUT_COMBOS


def _pixels(image):
    return np.asarray(image).astype(int)


def test_same_seed_same_scene_and_pair():
    a = sample_pair(np.random.default_rng(7))
    b = sample_pair(np.random.default_rng(7))
    assert a.instruction == b.instruction
    assert np.array_equal(_pixels(a.source), _pixels(b.source))
    assert np.array_equal(_pixels(a.target), _pixels(b.target))
    assert np.array_equal(a.mask, b.mask)


def test_seeds_give_distinct_scenes():
    pictures = [_pixels(render(random_scene(np.random.default_rng(s)), 64)[0]) for s in range(20)]
    for i in range(len(pictures)):
        for j in range(i + 1, len(pictures)):
            assert np.abs(pictures[i] - pictures[j]).mean() > 3


@pytest.mark.parametrize("size", [64, 65, (96, 64), (64, 128), 200])
def test_any_size_masks_inside_boxes(size):
    scene = random_scene(np.random.default_rng(3))
    picture, masks, boxes = render(scene, size)
    w, h = (size, size) if isinstance(size, int) else size
    assert picture.size == (w, h)
    assert set(masks) == set(boxes)
    assert {"house", "house.door", "house.roof", "sky", "ground"} <= set(masks)
    for oid, mask in masks.items():
        assert mask.shape == (h, w) and mask.any()
        x0, y0, x1, y1 = boxes[oid]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        inside = np.zeros_like(mask)
        inside[y0:y1, x0:x1] = True
        assert not (mask & ~inside).any()
        assert mask[y0].any() and mask[y1 - 1].any() and mask[:, x0].any() and mask[:, x1 - 1].any()


def test_object_mask_is_exactly_its_pixels():
    scene = random_scene(np.random.default_rng(5))
    picture, masks, _ = render(scene, 64)
    door = masks["house.door"]
    changed = apply(scene, Edit("recolour", "door", "pink" if scene.house.door != "pink" else "blue"))
    after = _pixels(render(changed, 64)[0])
    diff = np.abs(after - _pixels(picture)).sum(-1) > 0
    assert np.array_equal(diff, door)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_changes_pixels_only_inside_its_mask(kind):
    rng = np.random.default_rng(11)
    for _ in range(15):
        pair = sample_pair(rng, kinds=(kind,))
        assert pair.kind == kind
        diff = np.abs(_pixels(pair.target) - _pixels(pair.source)).sum(-1) > 0
        assert diff.any()
        assert not (diff & ~pair.mask).any(), pair.instruction
        if kind in LOCAL_KINDS:
            assert pair.noun is not None and not pair.mask.all()
        else:
            assert pair.noun is None and pair.mask.all()
        if kind == "recolour":
            assert pair.colour is not None and len(pair.colour) == 3


def test_edits_are_parameter_changes_that_chain():
    chain = sample_chain(np.random.default_rng(2), 5)
    assert len(chain) == 5
    for prev, nxt in zip(chain, chain[1:]):
        assert np.array_equal(_pixels(prev.target), _pixels(nxt.source))
        assert prev.after == nxt.before
    # The true after-picture is the re-rendered scene.
    for pair in chain:
        assert np.array_equal(_pixels(pair.target), _pixels(render(apply(pair.before, pair.edit), 64)[0]))


def test_heldout_phrasings_never_in_train():
    train, held = all_phrasings("train"), all_phrasings("heldout")
    assert train and held and not (train & held)
    def pattern(t):
        return "^" + re.escape(t).replace(r"\{noun\}", ".+").replace(r"\{colour\}", ".+").replace(r"\{on\}", ".+") + "$"
    held_patterns = [re.compile(pattern(t)) for t in held]
    rng = np.random.default_rng(0)
    for _ in range(300):
        pair = sample_pair(rng, "train")
        assert not any(p.match(pair.instruction) for p in held_patterns), pair.instruction
        if pair.edit.value is not None:
            assert (pair.edit.value, pair.edit.target) not in HELDOUT_COMBOS
    seen_held = 0
    for _ in range(100):
        pair = sample_pair(rng, "heldout")
        seen_held += any(p.match(pair.instruction) for p in held_patterns) or (pair.edit.value, pair.edit.target) in HELDOUT_COMBOS
    assert seen_held == 100


def test_every_kind_has_heldout_phrasings_and_vocabulary_covers_them():
    words = set(vocabulary())
    for key, options in TEMPLATES.items():
        assert any(h for _, h in options) and any(not h for _, h in options), key
    rng = np.random.default_rng(1)
    for split in ("train", "heldout"):
        for _ in range(200):
            assert set(sample_pair(rng, split).instruction.split()) <= words


def test_possible_edits_change_the_scene():
    scene = random_scene(np.random.default_rng(4))
    for kind in KINDS:
        for edit in possible_edits(scene, kind):
            assert apply(scene, edit) != scene, edit


def test_demo_scene_has_what_the_demo_asks_for():
    size = (256, 192)
    picture = demo_scene(size)
    assert picture.size == size
    scene = demo_scene_scene(size)
    _, masks, _ = render(scene, size)
    for noun in ("house", "door", "car", "person", "sun", "tree"):
        assert mask_of(scene, masks, noun).sum() > 50, noun
    assert np.array_equal(_pixels(demo_scene(size, seed=0)), _pixels(picture))
    winter = apply(apply(apply(scene, Edit("season", None, "winter")), Edit("recolour", "door", "blue")), Edit("remove", "car"))
    assert winter.season == "winter" and winter.house.door == "blue" and not winter.cars
