"""Model loading: tiny models go through the real from_pretrained path; missing weights give one clear error."""
from __future__ import annotations

import json
import shutil

import pytest
import torch

from emilie_agent.editing.pipeline import EmilieEditor
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import InvalidRequestError, ModelNotAvailableError
from emilie_agent.models.devices import check_device, check_dtype
from emilie_agent.models import loading
from emilie_agent.models.loading import model_defaults, resolve_model, tiny_model_dir


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
    assert "HF_HUB_OFFLINE" in message and "emilie-agent fetch" in message and "--models tiny" in message
    assert "\n" not in message


def test_an_uncached_hub_model_with_the_hub_out_of_reach_fails_at_once(monkeypatch):
    """Without HF_HUB_OFFLINE the HF libraries retry an unreachable hub for ~30 s; one quick check answers first."""
    import socket

    for variable in ("HF_HUB_OFFLINE", *loading._PROXY_VARIABLES):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(loading, "_reachability", {})
    attempts = []

    def refused(address, timeout=None):
        attempts.append((address, timeout))
        raise ConnectionRefusedError("no network")

    monkeypatch.setattr(socket, "create_connection", refused)
    with pytest.raises(ModelNotAvailableError) as info:
        EmilieEditor.from_pretrained("someone/not-cached-pix2pix", device="cpu")
    message = str(info.value)
    assert "someone/not-cached-pix2pix" in message and "could not be downloaded" in message
    assert "emilie-agent fetch" in message and "\n" not in message
    assert len(attempts) == 1 and attempts[0][1] == 3.0
    # Remembered: a second model asks the network no more; a local folder, "tiny", or a proxy never ask.
    with pytest.raises(ModelNotAvailableError):
        resolve_model("someone/other-model", "sam")
    assert len(attempts) == 1
    assert not loading.hub_model_out_of_reach("not-a-hub-id")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert not loading.hub_model_out_of_reach("someone/other-model")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HTTPS_PROXY")
    assert not loading.hub_model_out_of_reach("someone/other-model")  # offline: the libraries fail fast themselves


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
    with pytest.raises(InvalidRequestError, match="unknown dtype"):
        pick_dtype(torch.device("cpu"), "float8")


@pytest.mark.parametrize(
    "device, says",
    [("bogus", "unknown device"), ("gpu", "unknown device"), ("", "empty"), ("cpu:3", "unknown device"),
     ("meta", "unknown device"), (5, "must be a name")],
)
def test_unknown_devices_are_refused_before_any_model_loads(device, says):
    with pytest.raises(InvalidRequestError, match=says):
        check_device(device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_refused_saying_what_the_machine_has():
    with pytest.raises(InvalidRequestError, match="no usable CUDA GPU.*use .*cpu"):
        check_device("cuda")
    with pytest.raises(InvalidRequestError, match="no usable CUDA GPU"):
        EmilieEditor.from_pretrained("tiny", device="cuda:1")


@pytest.mark.parametrize("dtype", ["int8", "float8", "", "torch.int64", 3, torch.int8])
def test_dtypes_that_are_not_floating_point_are_refused(dtype):
    with pytest.raises(InvalidRequestError, match="dtype"):
        check_dtype(dtype)


def test_a_folder_saved_for_the_instruct_pix2pix_pipeline_loads(tmp_path):
    # As the hub model is (and as `emilie-agent fetch` leaves it): model_index.json names a safety checker and
    # a feature extractor whose folders were never fetched.
    folder = tmp_path / "ip2p"
    shutil.copytree(tiny_model_dir("instruct-pix2pix"), folder)
    index = json.loads((folder / "model_index.json").read_text())
    index.update(
        safety_checker=["stable_diffusion", "StableDiffusionSafetyChecker"],
        feature_extractor=["transformers", "CLIPImageProcessor"],
        requires_safety_checker=True,
    )
    (folder / "model_index.json").write_text(json.dumps(index))
    editor = EmilieEditor.from_pretrained(str(folder), device="cpu", torch_dtype="bfloat16")
    assert isinstance(editor, EmilieEditor)
    assert set(editor.components) == {"vae", "text_encoder", "tokenizer", "unet", "scheduler"}
    assert editor.unet.dtype == editor.vae.dtype == editor.text_encoder.dtype == torch.bfloat16
    assert not hasattr(editor, "safety_checker")


def test_toy_resolves_to_the_packaged_folder_or_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "TOY_ROOT", tmp_path / "models")
    for kind in ("instruct-pix2pix", "grounding-dino", "sam"):
        with pytest.raises(ModelNotAvailableError) as info:
            resolve_model("toy", kind)
        message = str(info.value)
        assert "toy models are not built" in message and "python tools/train_toy.py" in message
        assert kind in message and "\n" not in message
    with pytest.raises(ModelNotAvailableError, match="python tools/train_toy.py"):
        EmilieEditor.from_pretrained("toy", device="cpu")
    with pytest.raises(ValueError, match="no toy model"):
        resolve_model("toy", "no-such-kind")
    (tmp_path / "models" / "sam").mkdir(parents=True)
    with pytest.raises(ModelNotAvailableError, match="not built"):  # an empty folder is no model either
        resolve_model("toy", "sam")
    (tmp_path / "models" / "sam" / "config.json").write_text("{}")
    assert resolve_model("toy", "sam") == str(tmp_path / "models" / "sam")


def test_the_real_toy_folder_is_looked_for_inside_the_package():
    assert loading.TOY_ROOT.parts[-3:] == ("emilie_agent", "toyworld", "models")


def test_a_toy_model_brings_its_recommended_settings(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "TOY_ROOT", tmp_path)
    folder = tmp_path / "instruct-pix2pix"
    shutil.copytree(tiny_model_dir("instruct-pix2pix"), folder)
    (folder / "emilie_toy.json").write_text(
        json.dumps({"text_scale": 3.0, "image_scale": 1.25, "steps": 12, "size": 64, "trained_on": "toyworld"})
    )
    editor = EmilieEditor.from_pretrained("toy", device="cpu")
    assert editor.recommended_settings == EditSettings(text_scale=3.0, image_scale=1.25, steps=12)
    assert editor.default_max_side == 64 and editor.max_side == 64
    assert EmilieEditor.from_pretrained("toy", device="cpu", max_side=96).max_side == 96  # asked for wins

    plain = EmilieEditor.from_pretrained(str(tiny_model_dir("instruct-pix2pix")), device="cpu")
    assert plain.recommended_settings == EditSettings() and plain.default_max_side == plain.max_side == 512

    (folder / "emilie_toy.json").write_text(json.dumps({"steps": 0}))
    with pytest.raises(ModelNotAvailableError, match="emilie_toy.json: steps must be"):
        EmilieEditor.from_pretrained("toy", device="cpu")
    (folder / "emilie_toy.json").write_text("{not json")
    with pytest.raises(ModelNotAvailableError, match="cannot read"):
        model_defaults(folder)
    assert model_defaults("timbrooks/instruct-pix2pix") == {}


def test_a_cached_hub_model_loads_offline_without_its_safety_checker(tmp_path):
    # A Hugging Face cache as `emilie-agent fetch timbrooks/instruct-pix2pix` leaves it: the snapshot's
    # model_index.json lists a safety checker and a feature extractor that were never downloaded.
    repo = tmp_path / "hub" / "models--someone--ip2p"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(tiny_model_dir("instruct-pix2pix"), snapshot)
    index = json.loads((snapshot / "model_index.json").read_text())
    index.update(
        safety_checker=["stable_diffusion", "StableDiffusionSafetyChecker"],
        feature_extractor=["transformers", "CLIPImageProcessor"],
    )
    (snapshot / "model_index.json").write_text(json.dumps(index))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    editor = EmilieEditor.from_pretrained("someone/ip2p", device="cpu", cache_dir=str(tmp_path / "hub"))
    assert isinstance(editor, EmilieEditor) and editor.name_or_path == "someone/ip2p"
    with pytest.raises(ModelNotAvailableError, match="'someone/other' is not in the Hugging Face cache"):
        EmilieEditor.from_pretrained("someone/other", device="cpu", cache_dir=str(tmp_path / "hub"))
