"""The ``transformers`` backend on the tiny models: loading from saved folders, clear errors for missing weights,
boxes reaching SAM in its own frame, and the thresholds a model folder recommends (``emilie_toy.json``)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from emilie_agent.errors import InvalidRequestError, ModelNotAvailableError
from emilie_agent.masking.backends import hf
from emilie_agent.masking.masker import Masker
from emilie_agent.masking.options import MaskerOptions
from emilie_agent.masking.types import MaskResult
from emilie_agent.models.loading import MODEL_DEFAULTS_FILE, tiny_model_dir
from tests.fakes import make_picture


def test_tiny_models_run_end_to_end_from_their_saved_folders(tiny_model_cache):
    # The folders were written with save_pretrained; load them by path, as a user would a download.
    masker = Masker.from_pretrained(str(tiny_model_dir("grounding-dino")), str(tiny_model_dir("sam")), device="cpu")
    result = masker.mask(make_picture(53, 37), "the red dog", box_threshold=0.0)
    assert isinstance(result, MaskResult) and result.found and result.mask.shape == (37, 53)
    assert len(result.boxes) == 1 and all(0 <= v <= 53 for v in result.boxes[0])
    nothing = masker.mask(make_picture(53, 37), "the red dog", box_threshold=1.0)
    assert not nothing.found and 0.0 < nothing.best_score <= 1.0


def test_missing_weights_are_a_clear_error(tmp_path):
    with pytest.raises(ModelNotAvailableError, match="no folder"):
        Masker.from_pretrained(str(tmp_path / "missing"), "tiny", device="cpu")
    with pytest.raises(ModelNotAvailableError, match="HF_HUB_OFFLINE"):
        Masker.from_pretrained("tiny", "emilie-test/no-such-sam", device="cpu")
    with pytest.raises(InvalidRequestError, match="backend"):
        Masker.from_pretrained("tiny", "tiny", backend="nope")


def test_sam_gets_the_boxes_in_its_own_resized_frame(stub_masker):
    # The real SAM stage: a box in picture pixels reaches the prompt encoder scaled to SAM's longest-side frame.
    masker = stub_masker(boxes=[(0.2, 0.3, 0.6, 0.8)])
    seen = {}
    hook = masker.segmenter.model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.update(boxes=kwargs["input_boxes"].clone()), with_kwargs=True
    )
    try:
        masker.mask(make_picture(75, 41), "the dog")
    finally:
        hook.remove()
    side = masker.segmenter.processor.image_processor.size["longest_edge"]
    scale = side / 75  # SAM resizes the longest side (75) to its input side
    expected = np.array([0.2 * 75, 0.3 * 41, 0.6 * 75, 0.8 * 41]) * np.array([1, round(41 * scale) / 41 / scale, 1, round(41 * scale) / 41 / scale]) * scale
    np.testing.assert_allclose(seen["boxes"][0, 0].numpy(), expected, rtol=1e-5)


# ---------------------------------------------------------------------------------------------- recommended thresholds
@pytest.fixture
def toy_like_folders(tmp_path, tiny_model_cache):
    """Copies of the tiny models, the detector's with an ``emilie_toy.json`` as the toy models have."""
    detector, segmenter = tmp_path / "grounding-dino", tmp_path / "sam"
    shutil.copytree(tiny_model_dir("grounding-dino"), detector)
    shutil.copytree(tiny_model_dir("sam"), segmenter)
    (detector / MODEL_DEFAULTS_FILE).write_text(json.dumps({"box_threshold": 0.12, "text_threshold": 0.07}))
    return detector, segmenter


def test_a_folder_s_recommended_thresholds_apply_when_none_are_given(toy_like_folders):
    detector, segmenter = toy_like_folders
    options = MaskerOptions(detector=str(detector), segmenter=str(segmenter), device="cpu")
    masker = Masker.from_options(options)
    assert (masker.box_threshold, masker.text_threshold) == (0.12, 0.07)
    told = Masker.from_options(options.model_copy(update={"box_threshold": 0.5}))
    assert (told.box_threshold, told.text_threshold) == (0.5, 0.07), "a threshold given wins; the other is the folder's"
    plain = Masker.from_options(MaskerOptions(models="tiny", device="cpu"))
    assert (plain.box_threshold, plain.text_threshold) == (0.35, 0.25), "no file: the demos' thresholds"


def test_a_folder_may_recommend_one_threshold_and_other_settings(toy_like_folders):
    detector, _ = toy_like_folders
    (detector / MODEL_DEFAULTS_FILE).write_text('{"box_threshold": 0.3, "size": 64}')
    assert hf.recommended_thresholds(detector) == (0.3, 0.25)
    (detector / MODEL_DEFAULTS_FILE).write_text('{"size": 64}')
    assert hf.recommended_thresholds(detector) is None


@pytest.mark.parametrize("content", ['{"box_threshold": 2, "text_threshold": 0.1}', '{"text_threshold": "low"}', "not json", "[0.3]"])
def test_a_bad_recommended_thresholds_file_is_a_clear_error(toy_like_folders, content):
    detector, _ = toy_like_folders
    (detector / MODEL_DEFAULTS_FILE).write_text(content)
    with pytest.raises(ModelNotAvailableError, match="emilie_toy.json"):
        hf.recommended_thresholds(detector)


def test_toy_names_the_packaged_toy_models_and_their_thresholds(toy_like_folders, monkeypatch):
    # Wherever the toy models are, the loader names their folders; the masker asks it for both kinds.
    folders = dict(zip(("grounding-dino", "sam"), toy_like_folders))
    asked = []

    def resolve(name, kind):
        asked.append((name, kind))
        return str(folders[kind]) if name == "toy" else name

    monkeypatch.setattr(hf, "resolve_model", resolve)
    masker = Masker.from_options(MaskerOptions(models="toy", device="cpu"))
    assert asked == [("toy", "grounding-dino"), ("toy", "sam")]
    assert (masker.box_threshold, masker.text_threshold) == (0.12, 0.07)
