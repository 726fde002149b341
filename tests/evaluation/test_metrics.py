"""Every metric on inputs whose answer is known: identical pictures, a known shift, a known mask."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from emilie_agent.evaluation import success
from emilie_agent.evaluation.metrics import (
    cosine,
    is_global,
    kept_l1,
    kept_region,
    l1,
    l2,
    load_embedders,
    mean,
    region_l1,
)
from emilie_agent.toyworld import make_pair, random_scene
from emilie_agent.toyworld.edits import Edit
from tests.fakes import make_picture


def flat(value: int, size=(40, 30)) -> Image.Image:
    return Image.new("RGB", size, (value, value, value))


def test_identical_pictures_are_at_distance_zero():
    picture = make_picture(48, 40)
    assert l1(picture, picture) == 0.0
    assert l2(picture, picture) == 0.0
    assert region_l1(picture, picture) == 0.0
    mask = np.zeros((40, 48), np.float32)
    mask[10:20, 10:20] = 1
    assert kept_l1(picture, picture, mask) == 0.0


def test_a_known_shift_gives_the_known_l1_and_l2():
    # 51 / 255 = 0.2 on [0, 1] pixels, on every pixel and channel.
    assert l1(flat(100), flat(151)) == pytest.approx(0.2, abs=1e-6)
    assert l2(flat(100), flat(151)) == pytest.approx(0.04, abs=1e-6)
    half = np.zeros((30, 40, 3), np.uint8)
    half[:, :20] = 255
    assert l1(Image.fromarray(half), flat(0)) == pytest.approx(0.5, abs=1e-6)
    assert l2(Image.fromarray(half), flat(0)) == pytest.approx(0.5, abs=1e-6)


def test_the_output_is_resized_to_the_truth_before_comparing():
    assert l1(flat(151, (80, 60)), flat(100)) == pytest.approx(0.2, abs=1e-6)


def test_kept_l1_measures_only_outside_the_grown_mask():
    before = flat(100, (40, 40))
    arr = np.asarray(before).copy()
    arr[10:20, 10:20] = 255  # changed inside the mask only
    inside = Image.fromarray(arr)
    mask = np.zeros((40, 40), np.float32)
    mask[10:20, 10:20] = 1
    assert kept_l1(inside, before, mask) == 0.0
    arr[30:, :] = 151  # and a band outside it, by 0.2
    outside = Image.fromarray(arr)
    region = kept_region(mask)
    assert not region[8:22, 8:22].any() and region[0, 0]  # grown by 2 px
    expected = 0.2 * region[30:, :].sum() / region.sum()
    assert kept_l1(outside, before, mask) == pytest.approx(expected, abs=1e-6)
    assert kept_l1(outside, before, np.ones((40, 40))) is None  # global turn: nothing had to stay
    assert kept_l1(outside, before, None) is None
    assert is_global(None) and is_global(np.ones((4, 4))) and not is_global(mask)


def test_cosine_and_mean():
    assert cosine([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert cosine([1, 0], [0, 1]) == pytest.approx(0.0)
    assert cosine([1, 0], [-2, 0]) == pytest.approx(-1.0)
    assert cosine([0, 0], [1, 0]) == 0.0
    assert mean([1.0, None, 3.0, float("nan")]) == 2.0
    assert mean([None]) is None


def test_tiny_clip_and_dino_give_similarity_one_for_identical_pictures(tiny_model_cache):
    embedders = load_embedders("tiny", "tiny")
    assert embedders.skipped == {}
    a, b = make_picture(48, 40, seed=0), make_picture(48, 40, seed=1)
    clip = embedders.clip.images([a, a, b])
    dino = embedders.dino.images([a, a, b])
    assert cosine(clip[0], clip[1]) == pytest.approx(1.0, abs=1e-5)
    assert cosine(dino[0], dino[1]) == pytest.approx(1.0, abs=1e-5)
    assert cosine(dino[0], dino[2]) < 1.0 - 1e-6
    text = embedders.clip.texts(["a red door", "a cartoon street at night " * 20])  # the long one is cut, not refused
    assert text.shape == (2, clip.shape[1])


def test_models_that_cannot_be_had_skip_their_metrics_with_the_reason(tiny_model_cache, tmp_path):
    embedders = load_embedders("openai/clip-vit-base-patch32", "none")
    assert embedders.clip is None and embedders.dino is None
    assert set(embedders.skipped) == {"clip_i", "clip_t", "dino"}
    assert "not in the Hugging Face cache" in embedders.skipped["clip_i"]
    assert "\n" not in embedders.skipped["clip_i"]
    assert "none" in embedders.skipped["dino"]
    folder = load_embedders("none", str(tmp_path / "no-such-dino"))
    assert "there is no folder" in folder.skipped["dino"]


def test_toy_success_rules_accept_the_truth_and_refuse_the_source():
    rng = np.random.default_rng(3)
    scene = random_scene(rng)
    colour = "green" if scene.house.door != "green" else "blue"
    recolour = make_pair(scene, Edit("recolour", "door", colour), "paint the door", 64)
    assert success.edit_success(recolour.target, recolour)
    assert not success.edit_success(recolour.source, recolour)
    night = make_pair(scene, Edit("time", None, "night" if scene.time != "night" else "day"), "make it night", 64)
    assert success.edit_success(night.target, night)
    assert not success.edit_success(night.source, night)
    # Halfway to the truth is closer than the source by 50% > the 25% margin.
    halfway = (np.asarray(night.source, np.float32) + np.asarray(night.target, np.float32)) / 2
    assert success.closer_success(halfway, night.source, night.target)
    assert not success.closer_success(night.source, night.source, night.target)
