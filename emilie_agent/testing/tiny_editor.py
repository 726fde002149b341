"""Tiny random-weight models, built from configs, for tests, CI and trying the wiring without weights.

Each builder writes a folder with ``save_pretrained`` in the same layout as the real model, so it is
loaded back through the very same ``from_pretrained`` code path (see :mod:`emilie_agent.models.loading`).
Builds are deterministic for a seed. Pictures made with these models are noise: they check shapes,
plumbing and invariants, not quality.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from diffusers import (
    AutoencoderKL,
    EulerAncestralDiscreteScheduler,
    StableDiffusionInstructPix2PixPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

TINY_TOKEN_LIMIT = 77


def bytes_to_unicode() -> dict[int, str]:
    # The reversible byte -> printable character map that CLIP's byte-level BPE uses.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def build_tiny_clip_tokenizer():
    """A CLIP tokenizer whose vocabulary is built here: every byte, alone and word-final, no merges.

    Any text tokenizes (one token per byte), which is all random weights need.
    """
    chars = list(bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for token in ["<|startoftext|>", "<|endoftext|>"] + chars + [c + "</w>" for c in chars]:
        vocab.setdefault(token, len(vocab))
    # transformers 5 takes vocab/merges objects; the old vocab_file= keyword is ignored there.
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=TINY_TOKEN_LIMIT)


def build_tiny_instruct_pix2pix(folder: Path, seed: int = 0) -> None:
    """An InstructPix2Pix pipeline: 8-channel UNet, 2-block VAE, 5-layer CLIP text encoder."""
    tokenizer = build_tiny_clip_tokenizer()
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=8,  # noisy latent ++ image latent
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    torch.manual_seed(seed + 1)
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        sample_size=64,
    )
    torch.manual_seed(seed + 2)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
            hidden_size=32,
            intermediate_size=37,
            layer_norm_eps=1e-5,
            num_attention_heads=4,
            num_hidden_layers=5,
            vocab_size=1000,
            max_position_embeddings=TINY_TOKEN_LIMIT,
        )
    )
    # The hub model's scheduler settings.
    scheduler = EulerAncestralDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000
    )
    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path, int], None]] = {
    "instruct-pix2pix": build_tiny_instruct_pix2pix,
}
