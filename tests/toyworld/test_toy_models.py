"""The shipped toy models folder: small, safetensors only, tokenizers that know the toy words.

Cheap checks only (no model is run; tests/toyworld/test_toy_behaviour.py runs them); training is never part of
the tests.
"""
from __future__ import annotations

import json

from emilie_agent.toyworld import MODELS_DIR, vocabulary


def test_models_are_small_and_safetensors_only():
    files = [p for p in MODELS_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 40 * 2**20
    weights = [p for p in files if p.suffix in (".safetensors", ".bin", ".pt", ".pth", ".ckpt")]
    assert weights and all(p.suffix == ".safetensors" for p in weights)
    for name in ("instruct-pix2pix", "grounding-dino", "sam"):
        assert (MODELS_DIR / name).is_dir(), name


def test_editor_folder_has_guidance_defaults():
    toy = json.loads((MODELS_DIR / "instruct-pix2pix" / "emilie_toy.json").read_text())
    assert {"text_scale", "image_scale", "steps", "size"} <= set(toy)


def test_editor_tokenizer_knows_every_toy_word_as_one_token():
    from transformers import CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(MODELS_DIR / "instruct-pix2pix" / "tokenizer")
    for word in vocabulary():
        assert len(tokenizer(word, add_special_tokens=False)["input_ids"]) == 1, word
    ids = tokenizer("paint teh door blue")["input_ids"]
    assert tokenizer.unk_token_id not in ids[1:-1]


def test_detector_tokenizer_keeps_groundingdino_delimiters():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(MODELS_DIR / "grounding-dino")
    ids = tokenizer("the door.")["input_ids"]
    assert ids[0] == 101 and ids[-1] == 102 and ids[-2] == 1012
