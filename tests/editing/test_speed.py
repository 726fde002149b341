"""Speed options on the tiny editor: channels-last gives the same edit, tiling and compile are switched on,
offload is refused without a GPU (before any model loads, from the command line)."""
from __future__ import annotations

import argparse

import pytest
import torch

from emilie_agent.cli.options import add_editor_arguments, check_editor_options
from emilie_agent.editing.pipeline import EmilieEditor
from emilie_agent.editing.speed import apply_speed_options
from emilie_agent.errors import InvalidRequestError

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="offload is refused only without a GPU")


@pytest.fixture
def fresh_editor(tiny_model_cache):
    editor = EmilieEditor.from_pretrained("tiny", device="cpu")
    editor.set_progress_bar_config(disable=True)
    return editor


def z0(editor, picture):
    return editor("make it snow", picture, num_inference_steps=2, generator=torch.Generator().manual_seed(4),
                  output_type="latent").images


def test_channels_last_changes_the_layout_not_the_edit(fresh_editor, picture):
    before = z0(fresh_editor, picture)
    apply_speed_options(fresh_editor, channels_last=True)
    assert fresh_editor.unet.conv_in.weight.is_contiguous(memory_format=torch.channels_last)
    assert not fresh_editor.unet.conv_in.weight.is_contiguous()
    assert torch.allclose(z0(fresh_editor, picture), before, rtol=1e-4, atol=1e-3)  # other kernels, other rounding


def test_vae_tiling_and_compile_are_switched_on(fresh_editor, monkeypatch):
    compiled = []
    monkeypatch.setattr(fresh_editor.unet, "compile", lambda *a, **k: compiled.append(True))
    assert not fresh_editor.vae.use_tiling
    apply_speed_options(fresh_editor, vae_tiling=True, compile_unet=True)
    assert fresh_editor.vae.use_tiling and compiled == [True]


@no_gpu
def test_offload_without_a_gpu_is_refused_in_one_line(fresh_editor):
    with pytest.raises(InvalidRequestError, match="leave out --offload"):
        apply_speed_options(fresh_editor, offload="model")
    parser = argparse.ArgumentParser()
    add_editor_arguments(parser)
    with pytest.raises(InvalidRequestError, match="leave out --offload") as err:
        check_editor_options(parser.parse_args(["--offload", "sequential"]))
    assert "\n" not in str(err.value)
