"""The masker: geometry (a stub detector with known boxes into the real tiny SAM stage and post-processing),
phrase handling, thresholds, caching, not-found and bad input."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from emilie_agent.errors import InvalidImageError, InvalidRequestError
from emilie_agent.masking.masker import Masker
from tests.fakes import make_picture


# ---------------------------------------------------------------------------------------------- geometry
@pytest.mark.parametrize("size, max_side", [((53, 37), 2048), ((37, 61), 2048), ((301, 157), 64), ((21, 13), 2048)])
def test_boxes_are_in_picture_pixels_and_the_mask_has_the_picture_size(stub_masker, size, max_side):
    # Odd, non-square sizes; a picture larger than max_side is downscaled, one under MIN_SIDE upscaled.
    masker = stub_masker(boxes=[(0.2, 0.3, 0.6, 0.8)], max_side=max_side)
    result = masker.mask(make_picture(*size), "the dog")
    w, h = size
    assert result.found
    np.testing.assert_allclose(result.boxes[0], (0.2 * w, 0.3 * h, 0.6 * w, 0.8 * h), atol=1e-3)
    assert result.mask.shape == (h, w) and result.mask.dtype == np.float32
    assert 0.0 <= result.mask.min() and result.mask.max() <= 1.0
    # What the models saw: the picture, or its working copy.
    seen = masker.detector.calls[0]["size"]
    assert seen == masker.working_size(size)
    assert max(seen) <= max(max_side, 32) and min(seen) >= 32


def test_invert_is_the_exact_complement(stub_masker):
    masker = stub_masker()
    picture = make_picture(53, 37)
    for granularity in ("object", "region"):
        plain = masker.mask(picture, "the dog", granularity=granularity)
        inverted = masker.mask(picture, "the dog", granularity=granularity, invert=True)
        assert inverted.invert and not plain.invert
        assert np.array_equal(inverted.mask, (1.0 - plain.mask).astype(np.float32))


def test_region_contains_object_and_global_is_all_ones(stub_masker):
    masker = stub_masker()
    picture = make_picture(61, 45)
    obj = masker.mask(picture, "the dog", granularity="object").mask
    region = masker.mask(picture, "the dog", granularity="region").mask
    whole = masker.mask(picture, "the dog", granularity="global")
    assert (region >= obj).all() and region.sum() > obj.sum()
    assert (whole.mask == 1.0).all() and whole.granularity == "global"


def test_spread_is_monotone_on_the_real_sam_masks(stub_masker):
    masker = stub_masker(boxes=[(0.3, 0.3, 0.5, 0.6)])
    picture = make_picture(67, 49)
    masks = [masker.mask(picture, "the dog", spread=s).mask for s in (0.0, 0.15, 0.35, 0.5, 0.7, 0.9, 1.0)]
    for before, after in zip(masks, masks[1:]):
        assert (after >= before - 1e-6).all()
    assert (masks[-1] == 1.0).all()


def test_soft_edges_reach_the_editor(stub_masker):
    result = stub_masker().mask(make_picture(80, 60), "the dog", granularity="object")
    soft = (result.mask > 0) & (result.mask < 1)
    assert soft.any(), "feathered, so the editor's soft-mask path is used"


# ---------------------------------------------------------------------------------------------- phrases
def test_singular_keeps_the_best_box_plural_keeps_all(stub_masker):
    boxes = [(0.1, 0.1, 0.3, 0.3), (0.5, 0.5, 0.9, 0.9), (0.6, 0.1, 0.8, 0.3)]
    masker = stub_masker(boxes=boxes, scores=[0.5, 0.8, 0.6])
    picture = make_picture(50, 40)
    one = masker.mask(picture, "the cup")
    assert one.scores == pytest.approx([0.8]) and len(one.boxes) == 1
    many = masker.mask(picture, "both cups")
    assert many.scores == pytest.approx([0.8, 0.6, 0.5])
    assert masker.mask(picture, "the cup", multiple=True).scores == pytest.approx([0.8, 0.6, 0.5])
    assert masker.mask(picture, "the cups", multiple=False).scores == pytest.approx([0.8])
    assert (many.mask >= one.mask).all()


def test_referring_phrase_keeps_the_head_noun_s_box(stub_masker):
    # GroundingDINO boxes every noun of "the cat on the table"; the table scores higher here.
    masker = stub_masker(boxes=[(0.0, 0.5, 1.0, 1.0), (0.3, 0.2, 0.5, 0.5)], scores=[0.9, 0.6], labels=["table", "cat"])
    result = masker.mask(make_picture(50, 40), "the cat on the table")
    assert result.labels == ["cat"] and result.scores == pytest.approx([0.6])


def test_a_list_of_targets_gives_the_union(stub_masker):
    picture = make_picture(50, 40)
    masker = stub_masker()
    answers = {"the cup.": [(0.1, 0.1, 0.4, 0.4)], "the plate.": [(0.5, 0.5, 0.9, 0.9)]}
    stub, answer = masker.detector, masker.detector.detect

    def detect_per_phrase(image, prompt, *args, **kwargs):
        stub.boxes = np.asarray(answers[prompt], np.float32)
        return answer(image, prompt, *args, **kwargs)

    stub.detect = detect_per_phrase
    cup = masker.mask(picture, "the cup").mask
    plate = masker.mask(picture, "the plate").mask
    both = masker.mask(picture, ["the cup", "the plate"])
    assert np.array_equal(both.mask, np.maximum(cup, plate)) and len(both.boxes) == 2
    assert [c["prompt"] for c in stub.calls[-2:]] == ["the cup.", "the plate."], "one detection per phrase"


def test_everything_except_and_background_are_complements(stub_masker):
    masker = stub_masker()
    picture = make_picture(50, 40)
    dog = masker.mask(picture, "the dog").mask
    except_dog = masker.mask(picture, "everything except the dog")
    assert except_dog.invert and np.array_equal(except_dog.mask, 1.0 - dog)
    background = masker.mask(picture, "the background")
    assert background.invert and background.found
    assert masker.detector.calls[-1]["prompt"] == "person . animal . object ."


def test_thresholds_default_to_the_demo_values_and_can_be_set(stub_masker):
    masker = stub_masker()
    masker.mask(make_picture(40, 40), "the dog")
    assert masker.detector.calls[-1]["box_threshold"] == 0.35 and masker.detector.calls[-1]["text_threshold"] == 0.25
    masker.mask(make_picture(40, 40), "the dog", box_threshold=0.5, text_threshold=0.1)
    assert masker.detector.calls[-1]["box_threshold"] == 0.5 and masker.detector.calls[-1]["text_threshold"] == 0.1
    with pytest.raises(InvalidRequestError):
        masker.mask(make_picture(40, 40), "the dog", box_threshold=1.5)


def test_thresholds_not_given_are_those_the_detector_recommends(stub_masker):
    masker = stub_masker(recommended=(0.6, 0.05))
    assert (masker.box_threshold, masker.text_threshold) == (0.6, 0.05)
    masker.mask(make_picture(40, 40), "the dog")
    assert masker.detector.calls[-1]["box_threshold"] == 0.6 and masker.detector.calls[-1]["text_threshold"] == 0.05
    told = Masker(masker.detector, masker.segmenter, box_threshold=0.2, text_threshold=0.3)
    assert (told.box_threshold, told.text_threshold) == (0.2, 0.3), "thresholds given win over recommended ones"


# ---------------------------------------------------------------------------------------------- not found
def test_not_found_says_so_with_the_best_score(stub_masker):
    masker = stub_masker(scores=[0.2], best_score=0.2)
    result = masker.mask(make_picture(45, 33), "the unicorn")
    assert not result.found and result.boxes == [] and result.best_score == pytest.approx(0.2)
    assert result.mask.shape == (33, 45) and (result.mask == 0).all() and result.area_fraction == 0.0
    assert "unicorn" in result.message() and "0.20" in result.message()
    inverted = masker.mask(make_picture(45, 33), "the unicorn", invert=True)
    assert not inverted.found and (inverted.mask == 1).all()
    data = result.to_json_dict()
    assert data["found"] is False and data["best_score"] == pytest.approx(0.2) and data["area_fraction"] == 0.0


def test_a_list_with_a_missing_phrase_reports_it(stub_masker):
    masker = stub_masker(scores=[0.3])
    result = masker.mask(make_picture(40, 40), ["the cup", "the plate"], box_threshold=0.5)
    assert not result.found and result.missing == ["the cup", "the plate"]


# ---------------------------------------------------------------------------------------------- caching
def test_the_sam_embedding_is_computed_once_per_picture(tiny_masker, monkeypatch):
    sam = tiny_masker.segmenter.model
    calls = []
    original = sam.get_image_embeddings

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sam, "get_image_embeddings", counting)
    tiny_masker.reset_image()
    picture = make_picture(48, 40, seed=3)
    tiny_masker.mask(picture, "the dog", box_threshold=0.0)
    tiny_masker.mask(picture, "the cat", box_threshold=0.0, granularity="region")
    tiny_masker.mask(picture.copy(), "the man", box_threshold=0.0)  # same content, another object
    assert len(calls) == 1
    tiny_masker.mask(make_picture(48, 40, seed=4), "the dog", box_threshold=0.0)
    assert len(calls) == 2, "a new picture invalidates the cached embedding"


def test_set_image_computes_the_embedding_that_mask_then_reuses(tiny_masker, monkeypatch):
    calls = []
    original = tiny_masker.segmenter.embed
    monkeypatch.setattr(tiny_masker.segmenter, "embed", lambda image: calls.append(image.size) or original(image))
    tiny_masker.reset_image()
    picture = make_picture(44, 36, seed=6)
    tiny_masker.set_image(picture)
    assert calls == [(44, 36)], "set_image embeds now"
    tiny_masker.mask(picture, "the dog", box_threshold=0.0)
    assert calls == [(44, 36)], "mask on the same picture reuses it"
    tiny_masker.reset_image()
    tiny_masker.mask(picture, "the dog", box_threshold=0.0)
    assert len(calls) == 2, "reset_image forgets it"


def test_the_cached_embedding_gives_the_same_masks(tiny_masker):
    picture = make_picture(56, 40, seed=5)
    tiny_masker.reset_image()
    first = tiny_masker.mask(picture, "the dog", box_threshold=0.0, multiple=True)
    again = tiny_masker.mask(picture, "the dog", box_threshold=0.0, multiple=True)
    assert np.array_equal(first.mask, again.mask) and first.boxes == again.boxes


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("phrase", ["", "   ", "the", "it please", []])
def test_empty_or_stop_word_phrases_fail_before_detection(stub_masker, phrase):
    masker = stub_masker()
    with pytest.raises(InvalidRequestError):
        masker.mask(make_picture(30, 30), phrase)
    assert masker.detector.calls == []


def test_a_too_long_phrase_is_refused_clearly(tiny_masker):
    with pytest.raises(InvalidRequestError, match="too long"):
        tiny_masker.mask(make_picture(30, 30), "the dog " + "with a very long story " * 12)


def test_a_one_pixel_picture(stub_masker):
    result = stub_masker(boxes=[(0.0, 0.0, 1.0, 1.0)]).mask(Image.new("RGB", (1, 1), (200, 10, 10)), "the dot")
    assert result.mask.shape == (1, 1) and result.boxes[0] == pytest.approx((0.0, 0.0, 1.0, 1.0))


def test_a_10000_pixel_picture_is_masked_on_a_downscaled_copy(stub_masker):
    masker = stub_masker(boxes=[(0.25, 0.25, 0.5, 0.75)])
    picture = Image.new("RGB", (10000, 10000), (90, 120, 200))
    result = masker.mask(picture, "the dog")
    assert masker.detector.calls[0]["size"] == (2048, 2048)
    assert result.mask.shape == (10000, 10000)
    assert result.boxes[0] == pytest.approx((2500.0, 2500.0, 5000.0, 7500.0), abs=1e-2)


def test_not_a_picture_is_a_clear_error(stub_masker, tmp_path):
    bad = tmp_path / "x.png"
    bad.write_text("not a picture")
    with pytest.raises(InvalidImageError):
        stub_masker().mask(str(bad), "the dog")


@pytest.mark.parametrize("size", [(1, 1), (3, 1000), (1000, 3), (64, 64), (5, 7), (2048, 32)])
def test_any_picture_shape_is_masked_at_its_own_size(tiny_masker, size):
    # A 1x1 picture, a 3 x 1000 strip, a square: the models get a copy they can work on (upscaled, padded to at
    # most 1:4 with grey), and the mask and boxes come back in the picture's own pixels.
    result = tiny_masker.mask(make_picture(*size), "the dog", box_threshold=0.0)
    assert result.mask.shape == (size[1], size[0]) and np.isfinite(result.mask).all()
    for x0, y0, x1, y1 in result.boxes:
        assert 0 <= x0 <= x1 <= size[0] and 0 <= y0 <= y1 <= size[1]


@pytest.mark.parametrize(
    "kwargs, says",
    [
        (dict(phrase=5), "must be text"),
        (dict(phrase=["the dog", None]), "must be text"),
        (dict(phrase="the dog", granularity=["object"]), "unknown granularity"),
        (dict(phrase="the dog", spread=10**400), "spread"),
        (dict(phrase="the dog", invert="yes"), "invert must be true or false"),
        (dict(phrase="the dog", multiple="all"), "multiple must be"),
        (dict(phrase="the dog", box_threshold=[0.1, 0.2]), "box_threshold"),
    ],
)
def test_wrong_types_are_one_line_errors(tiny_masker, kwargs, says):
    with pytest.raises(InvalidRequestError, match=says):
        tiny_masker.mask(make_picture(20, 16), **kwargs)
