"""The ``original`` backend (groundingdino-py + segment-anything) on random-weight models made here:
a GroundingDINO config + checkpoint with a local BERT (no hub), and a small SAM checkpoint."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from emilie_agent.cli.main import main
from emilie_agent.errors import ModelNotAvailableError
from emilie_agent.masking.masker import Masker
from emilie_agent.masking.options import MaskerOptions
from emilie_agent.masking.backends.original import sam_architecture
from emilie_agent.testing.tiny_original_masker import TINY_SAM_ARCH, build_tiny_original_models
from tests.fakes import make_picture


@pytest.fixture(scope="module")
def original_files(tmp_path_factory) -> dict:
    return build_tiny_original_models(tmp_path_factory.mktemp("original-models"))


@pytest.fixture(scope="module")
def original_masker(original_files) -> Masker:
    # detector_size: the demo's 800-pixel side is slow for random weights on a CPU; 128 checks the same code.
    return Masker.from_pretrained(backend="original", device="cpu", detector_size=128, **original_files)


def test_loads_from_checkpoints_masks_end_to_end_and_caches_the_embedding(original_masker):
    calls = []
    hook = original_masker.segmenter.model.image_encoder.register_forward_hook(lambda *a: calls.append(1))
    try:
        original_masker.reset_image()
        picture = make_picture(53, 37)
        result = original_masker.mask(picture, "the red dog", box_threshold=0.0, text_threshold=0.0)
        assert result.found and result.mask.shape == (37, 53) and result.mask.dtype == np.float32
        assert len(result.boxes) == 1 and "[CLS]" not in result.labels[0]
        x0, y0, x1, y1 = result.boxes[0]
        assert 0 <= x0 <= x1 <= 53 and 0 <= y0 <= y1 <= 37
        nothing = original_masker.mask(picture, "the cat", box_threshold=1.0)
        assert not nothing.found and (nothing.mask == 0).all() and 0.0 < nothing.best_score <= 1.0
        assert len(calls) == 1, "one SAM embedding for two phrases on one picture"
        original_masker.mask(make_picture(53, 37, seed=8), "the dog", box_threshold=1.0)
        assert len(calls) == 2, "a new picture is embedded again"
    finally:
        hook.remove()


def test_from_options_loads_the_original_backend_from_its_files(original_files):
    masker = Masker.from_options(MaskerOptions(backend="original", device="cpu", **original_files))
    assert type(masker.detector).__name__ == "OriginalDetector" and type(masker.segmenter).__name__ == "OriginalSegmenter"
    assert masker.detector.image_size == 800 and (masker.box_threshold, masker.text_threshold) == (0.35, 0.25)
    with pytest.raises(ModelNotAvailableError, match="needs file paths"):
        # --masker-backend original without --detector: no hub default stands in for a checkpoint.
        Masker.from_options(MaskerOptions(backend="original", device="cpu", segmenter=original_files["segmenter"],
                                          detector_config=original_files["detector_config"]))


def test_sam_architecture_is_read_from_the_checkpoint(original_files):
    state = torch.load(original_files["segmenter"], map_location="cpu", weights_only=True)
    assert sam_architecture(state) == TINY_SAM_ARCH


def test_missing_or_wrong_files_are_clear_errors(original_files, tmp_path):
    with pytest.raises(ModelNotAvailableError, match="needs file paths"):
        Masker.from_pretrained(backend="original", device="cpu")
    with pytest.raises(ModelNotAvailableError, match="no file"):
        Masker.from_pretrained(backend="original", device="cpu", **{**original_files, "segmenter": str(tmp_path / "no.pth")})
    with pytest.raises(ModelNotAvailableError, match="Segment Anything"):
        # A GroundingDINO checkpoint where the SAM one should be.
        Masker.from_pretrained(backend="original", device="cpu", **{**original_files, "segmenter": original_files["detector"]})
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelNotAvailableError, match="weights-only"):
        Masker.from_pretrained(backend="original", device="cpu", **{**original_files, "segmenter": str(junk)})


def test_without_the_packages_the_error_names_the_extra(original_files, monkeypatch):
    monkeypatch.setitem(sys.modules, "segment_anything.build_sam", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "segment_anything", None)
    with pytest.raises(ModelNotAvailableError, match=r"emilie-agent\[original\]"):
        Masker.from_pretrained(backend="original", device="cpu", **{**original_files, "detector": "x.pth"})


def _config_case(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "name, text, says",
    [
        ("config.json", '{"architectures": ["BertModel"], "hidden_size": 32}', "not a GroundingDINO config"),
        ("config.yaml", "modelname: sam\n", "not a GroundingDINO config"),
        ("config.yaml", "- a list\n- of things\n", "must hold a mapping"),
        ("config.yml", "!!python/object/apply:os.system ['echo owned']\n", "cannot read"),
        ("config.yaml", "_base_: other.py\nmodelname: groundingdino\n", "links other files"),
        ("config.json", "{not json", "cannot read"),
        ("config.txt", "modelname = 'groundingdino'\n", "must be a .py file"),
        ("checkpoint.pth", "x", "must be a .py file"),
        ("config.py", "modelname = 'groundingdino'\nbackbone = 1 / 0\n", "failed to run"),
        ("config.py", "def (:\n", "not valid Python"),
        ("config.py", "import sys\nsys.exit(3)\n", "failed to run"),
        ("config.py", "batch_size = 1\n", "not a GroundingDINO config"),
        ("config.py", "modelname = 'groundingdino'\n", "not a usable GroundingDINO config"),
    ],
)
def test_a_config_of_the_wrong_kind_is_one_clear_error(original_files, tmp_path, name, text, says):
    config = _config_case(tmp_path, name, text)
    with pytest.raises(ModelNotAvailableError, match=says):
        Masker.from_pretrained(backend="original", device="cpu", **{**original_files, "detector_config": config})


def test_yaml_configs_are_read_as_plain_data_never_run(original_files, tmp_path):
    # A YAML config may not build Python objects (upstream's unsafe loader would run this).
    marker = tmp_path / "ran"
    config = _config_case(
        tmp_path, "evil.yaml", f"modelname: groundingdino\nx: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    with pytest.raises(ModelNotAvailableError, match="cannot read"):
        Masker.from_pretrained(backend="original", device="cpu", **{**original_files, "detector_config": config})
    assert not marker.exists()


def test_the_help_says_a_py_config_is_run(capsys):
    with pytest.raises(SystemExit):
        main(["mask", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "it is RUN" in text and "yaml.safe_load" in text
