"""Model loading: tiny models go through the real from_pretrained path; missing weights give one clear error."""
from __future__ import annotations

import json

import pytest
import torch

from emilie_agent.editing.editor import EmilieEditor
from emilie_agent.errors import ModelNotAvailableError
from emilie_agent.models.loading import resolve_model, tiny_model_dir


def test_tiny_model_is_a_save_pretrained_folder_loaded_the_real_way(tiny_model_cache):
    folder = tiny_model_dir("instruct-pix2pix")
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionInstructPix2PixPipeline"
    for part in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        assert (folder / part).is_dir()
    # Loading the folder by path and by the name "tiny" gives the same weights.
    by_name = EmilieEditor.from_pretrained("tiny", device="cpu")
    by_path = EmilieEditor.from_pretrained(str(folder), device="cpu")
    assert by_name.unet.config.in_channels == 8
    for a, b in zip(by_name.unet.parameters(), by_path.unet.parameters()):
        assert torch.equal(a, b)


def test_tiny_build_is_deterministic_for_a_seed(tmp_path):
    from emilie_agent.testing.tiny_editor import build_tiny_instruct_pix2pix

    build_tiny_instruct_pix2pix(tmp_path / "a", seed=3)
    build_tiny_instruct_pix2pix(tmp_path / "b", seed=3)
    a = (tmp_path / "a" / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()
    b = (tmp_path / "b" / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()
    assert a == b


def test_resolve_passes_hub_ids_and_folders_through(tmp_path):
    assert resolve_model("timbrooks/instruct-pix2pix", "instruct-pix2pix") == "timbrooks/instruct-pix2pix"
    assert resolve_model(tmp_path, "instruct-pix2pix") == str(tmp_path)
    with pytest.raises(ValueError, match="no tiny model"):
        tiny_model_dir("no-such-kind")


def test_missing_hub_weights_offline_is_one_clear_error():
    with pytest.raises(ModelNotAvailableError) as info:
        EmilieEditor.from_pretrained("someone/not-cached-pix2pix", device="cpu")
    message = str(info.value)
    assert "someone/not-cached-pix2pix" in message
    assert "HF_HUB_OFFLINE" in message and "tools/fetch_weights.py" in message and "--models tiny" in message
    assert "\n" not in message


def test_missing_or_wrong_local_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotAvailableError, match="there is no folder"):
        EmilieEditor.from_pretrained(str(tmp_path / "nope"), device="cpu")
    with pytest.raises(ModelNotAvailableError, match="does not hold a saved InstructPix2Pix model"):
        EmilieEditor.from_pretrained(str(tmp_path), device="cpu")


def test_device_and_dtype_choice():
    from emilie_agent.models.devices import pick_device, pick_dtype

    assert pick_dtype(torch.device("cpu")) == torch.float32
    assert pick_dtype(torch.device("cuda")) == torch.float16
    assert pick_dtype(torch.device("cpu"), "bf16") == torch.bfloat16
    assert pick_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="unknown dtype"):
        pick_dtype(torch.device("cpu"), "float8")
