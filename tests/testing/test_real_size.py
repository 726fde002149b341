"""The real-size random models: the published architectures (counted on the meta device: cheap) and the name."""
from __future__ import annotations

from pathlib import Path

import pytest

from emilie_agent.models import loading
from emilie_agent.testing import real_size
from emilie_agent.testing.tiny_editor import build_tiny_instruct_pix2pix


@pytest.mark.parametrize(
    "name, build",
    [
        ("unet", real_size.real_size_unet),
        ("vae", real_size.real_size_vae),
        ("text_encoder", real_size.real_size_text_encoder),
        ("grounding-dino", real_size.real_size_grounding_dino),
        ("sam", real_size.real_size_sam),
    ],
)
def test_parameter_counts_are_the_published_ones(name, build):
    count = real_size.parameter_count(build)
    published = real_size.PUBLISHED_PARAMETERS[name]
    assert abs(count - published) <= 0.002 * published, f"{name}: {count:,} parameters, published {published:,}"


def test_the_instruct_pix2pix_unet_takes_eight_channels_and_the_real_shapes():
    assert real_size.UNET_CONFIG["in_channels"] == 8
    assert real_size.UNET_CONFIG["block_out_channels"] == (320, 640, 1280, 1280)
    assert real_size.VAE_CONFIG["scaling_factor"] == 0.18215
    assert real_size.real_size_sam_config().vision_config.image_size == 1024
    assert real_size.real_size_grounding_dino_config().backbone_config.embed_dim == 96  # Swin-T


def test_real_size_name_builds_once_into_the_cache_and_resolves_like_tiny(monkeypatch, tmp_path):
    # The real builder writes 6 GB; the wiring is the same with a tiny one in its place.
    built: list[Path] = []

    def builder(folder: Path, seed: int) -> None:
        built.append(folder)
        build_tiny_instruct_pix2pix(folder, seed)

    monkeypatch.setenv("EMILIE_CACHE", str(tmp_path))
    monkeypatch.setattr(loading, "real_size_builders", lambda: {"instruct-pix2pix": builder})
    first = loading.resolve_model("real-size", "instruct-pix2pix")
    again = loading.resolve_model("real-size", "instruct-pix2pix")
    assert first == again and len(built) == 1
    assert Path(first).parent == tmp_path / "real-size" and (Path(first) / "model_index.json").is_file()
    with pytest.raises(ValueError, match="no real-size model"):
        loading.real_size_model_dir("no-such-kind")


def test_every_masker_and_editor_kind_has_a_real_size_builder():
    assert set(real_size.BUILDERS) == set(loading.TOY_KINDS)


def test_edit_models_real_size_means_the_real_size_masker_too():
    from emilie_agent.masking.options import MaskerOptions

    options = MaskerOptions(editor_models="real-size")
    assert (options.detector_name, options.segmenter_name) == ("real-size", "real-size")
