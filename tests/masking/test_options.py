"""MaskerOptions: which models the names mean, and every bad value refused once, before any model loads,
with the one-line messages the command line prints."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from emilie_agent.errors import InvalidRequestError
from emilie_agent.masking.masker import Masker
from emilie_agent.masking.options import MaskerOptions


def test_nothing_given_means_the_backend_s_default_models_and_thresholds():
    options = MaskerOptions()
    assert options.detector_name is None and options.segmenter_name is None
    assert options.backend == "transformers" and options.box_threshold is None and options.text_threshold is None
    assert options.backend_kwargs() == {}


@pytest.mark.parametrize("name", ["tiny", "toy", "my/hub-models"])
def test_models_names_both_detector_and_segmenter(name):
    options = MaskerOptions(models=name)
    assert (options.detector_name, options.segmenter_name) == (name, name)


def test_detector_and_segmenter_win_over_models():
    options = MaskerOptions(models="tiny", detector="gd-folder")
    assert (options.detector_name, options.segmenter_name) == ("gd-folder", "tiny")


@pytest.mark.parametrize("editor, masker", [("tiny", "tiny"), ("toy", "toy"), ("timbrooks/instruct-pix2pix", None)])
def test_the_editor_s_tiny_or_toy_models_make_the_masker_s_too(editor, masker):
    # `edit --models tiny`: tiny everything; an editor hub id says nothing about the masker.
    options = MaskerOptions(editor_models=editor)
    assert (options.detector_name, options.segmenter_name) == (masker, masker)
    assert MaskerOptions(editor_models=editor, models="other").detector_name == "other"


def test_only_the_original_backend_gets_its_files():
    given = dict(detector_config="gd.py", text_encoder="bert")
    assert MaskerOptions(**given).backend_kwargs() == {}
    assert MaskerOptions(backend="original", **given).backend_kwargs() == given
    assert MaskerOptions(backend="original", detector_config="gd.py").backend_kwargs() == {"detector_config": "gd.py"}


@pytest.mark.parametrize(
    "values, message",
    [
        (dict(box_threshold=1.5), "--box-threshold must be from 0 to 1, not 1.5"),
        (dict(text_threshold=-0.1), "--text-threshold must be from 0 to 1, not -0.1"),
        (dict(box_threshold="high"), "--box-threshold must be a number from 0 to 1, not 'high'"),
        (dict(box_threshold=float("nan")), "--box-threshold must be from 0 to 1"),
        (dict(backend="onnx"), "unknown masker backend 'onnx'; choose one of transformers, original"),
        (dict(granularity="blob"), "unknown granularity 'blob'; choose one of object, region, global"),
        (dict(spread=2), "spread must be from 0 (object) to 1 (whole picture), not 2"),
        (dict(spread="x"), "spread must be a number from 0 to 1, not 'x'"),
        (dict(models=3), "masker option models"),
        (dict(detectr="x"), "masker option detectr"),
    ],
)
def test_bad_values_are_one_line_invalid_request_errors(values, message):
    with pytest.raises(InvalidRequestError) as caught:
        MaskerOptions(**values)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_good_values_are_kept_as_given():
    options = MaskerOptions(box_threshold="0.4", text_threshold=0, granularity="region", spread=0.3, device="cpu")
    assert options.box_threshold == 0.4 and options.text_threshold == 0.0
    assert options.granularity == "region" and options.spread == 0.3 and options.device == "cpu"


def test_options_are_validated_once_and_cannot_change():
    options = MaskerOptions(models="tiny")
    with pytest.raises(ValidationError, match="frozen"):
        options.box_threshold = 7  # frozen: what was checked is what is used


def test_from_options_loads_the_named_models_with_the_thresholds(tiny_model_cache):
    masker = Masker.from_options(MaskerOptions(models="tiny", box_threshold=0.0, text_threshold=0.1, device="cpu"))
    assert (masker.box_threshold, masker.text_threshold) == (0.0, 0.1)
    assert type(masker.detector).__name__ == "HfDetector" and type(masker.segmenter).__name__ == "HfSegmenter"
    assert str(masker.detector.device) == "cpu"
