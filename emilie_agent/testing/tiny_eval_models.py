"""Tiny random-weight versions of the models the evaluation measures with: CLIP (CLIP-I, CLIP-T) and DINO.

Built from configs and written with ``save_pretrained`` in the real models' layout (``openai/clip-vit-base-patch32``,
``facebook/dino-vits16``), so that ``--clip-model tiny`` / ``--dino-model tiny`` load through the same
``from_pretrained`` code path as the real weights. Their similarities are numbers, not judgements.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from transformers import (
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    CLIPProcessor,
    ViTConfig,
    ViTImageProcessor,
    ViTModel,
)

from .tiny_editor import TINY_TOKEN_LIMIT, build_tiny_clip_tokenizer

TINY_IMAGE_SIZE = 32


def build_tiny_clip(folder: Path, seed: int = 0) -> None:
    """A CLIP model (vision + text towers, 16-d projections) and its processor, 32 px pictures."""
    tokenizer = build_tiny_clip_tokenizer()
    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config=dict(
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            max_position_embeddings=TINY_TOKEN_LIMIT,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            image_size=TINY_IMAGE_SIZE,
            patch_size=8,
        ),
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(folder)
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": TINY_IMAGE_SIZE}, crop_size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE}
    )
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)


def build_tiny_dino(folder: Path, seed: int = 0) -> None:
    """A ViT (DINO's architecture: ViT-S/16 shrunk) without a pooler, and its image processor, 32 px pictures."""
    torch.manual_seed(seed)
    config = ViTConfig(
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        image_size=TINY_IMAGE_SIZE,
        patch_size=8,
    )
    ViTModel(config, add_pooling_layer=False).save_pretrained(folder)
    ViTImageProcessor(size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE}).save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path, int], None]] = {
    "clip": build_tiny_clip,
    "dino": build_tiny_dino,
}
