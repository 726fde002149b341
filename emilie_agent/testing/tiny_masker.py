"""Tiny random-weight GroundingDINO and SAM, built from configs, for tests and CI (no download).

Both are saved with ``save_pretrained`` (model + processor) so they load through the very same
``from_pretrained`` path as ``IDEA-Research/grounding-dino-tiny`` and ``facebook/sam-vit-base``. Their boxes
and masks are noise; they check shapes, coordinates, caching and plumbing.

The sizes are chosen so that, as with the real models, the SAM image encoder is the expensive part of a
first phrase (the tiny SAM works at the real 1024 px, the tiny detector at 64 px): that is what the masker's cached
embedding saves, and what ``tools/bench_masker.py`` measures.

The same idea for the original ``groundingdino-py`` / ``segment-anything`` packages (config + checkpoint
files) is in :mod:`emilie_agent.testing.tiny_original_masker`: that one uses the original backend, which uses the
model loader, which uses this module to build ``tiny``; kept apart, the three import each other in no loop.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

TINY_TEXT_LEN = 32  # tokens a tiny detector's prompt may have (the real one takes 256)
TINY_SAM_SIZE = 1024  # the tiny SAM works at the real input side, so its encoder dominates as the real one does

# Words the tiny BERT vocabulary knows whole; anything else is spelt with single-character word pieces.
_WORDS = (
    "the a an and or of on in at to with left right top bottom middle front back background foreground "
    "man woman person people dog dogs cat cats car cars cup cups tree trees sky house hat table chair bird "
    "red green blue white black yellow big small everything except both all two"
).split()


def build_tiny_bert_tokenizer():
    """A BERT WordPiece tokenizer with a vocabulary built here: special tokens, some words, every character."""
    from transformers import BertTokenizer

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = [chr(c) for c in range(33, 127)]
    vocab: dict[str, int] = {}
    for token in specials + _WORDS + chars + ["##" + c for c in chars if c.isalnum()]:
        vocab.setdefault(token, len(vocab))
    return BertTokenizer(vocab=vocab, do_lower_case=True)


def tiny_bert_config(vocab_size: int, max_len: int = 64):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=max_len,
    )


def build_tiny_grounding_dino(folder: Path, seed: int = 0) -> None:
    """GroundingDinoForObjectDetection: Swin (embed 8, depth 1 per stage), d_model 64, 2 decoder layers."""
    from transformers import (
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
        SwinConfig,
    )

    tokenizer = build_tiny_bert_tokenizer()
    config = GroundingDinoConfig(
        backbone_config=SwinConfig(
            embed_dim=8,
            depths=[1, 1, 1, 1],
            num_heads=[1, 1, 1, 1],
            window_size=4,
            image_size=64,
            out_features=["stage2", "stage3", "stage4"],
        ),
        text_config=tiny_bert_config(len(tokenizer.get_vocab())),
        num_queries=30,
        encoder_layers=1,
        encoder_ffn_dim=32,
        encoder_attention_heads=2,
        decoder_layers=2,  # 1 breaks the bbox-embed weight tying
        decoder_ffn_dim=32,
        decoder_attention_heads=2,
        # 64, not 32: GroundingDINO normalises with GroupNorm(32 groups), and one channel per group fails on a 1x1
        # feature map (a square picture's smallest level at this size).
        d_model=64,
        max_text_len=TINY_TEXT_LEN,  # longer prompts are refused by the masker, not crashed on
        encoder_n_points=2,
        decoder_n_points=2,
    )
    torch.manual_seed(seed)
    model = GroundingDinoForObjectDetection(config).eval()
    image_processor = GroundingDinoImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})
    processor = GroundingDinoProcessor(image_processor=image_processor, tokenizer=tokenizer)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def build_tiny_sam(folder: Path, seed: int = 0) -> None:
    """SamModel with a 2-layer ViT (hidden 64) on 1024 px pictures, as the real one, and a 1-layer mask decoder."""
    from transformers import (
        SamConfig,
        SamImageProcessor,
        SamMaskDecoderConfig,
        SamModel,
        SamProcessor,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )

    patch = 16
    config = SamConfig(
        vision_config=SamVisionConfig(
            hidden_size=64,
            output_channels=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            mlp_dim=256,
            image_size=TINY_SAM_SIZE,
            patch_size=patch,
            window_size=14,
            global_attn_indexes=[1],
            num_pos_feats=16,  # positional features: 2 x 16 = the prompt encoder's hidden size
        ),
        prompt_encoder_config=SamPromptEncoderConfig(hidden_size=32, image_size=TINY_SAM_SIZE, patch_size=patch),
        mask_decoder_config=SamMaskDecoderConfig(
            hidden_size=32, mlp_dim=64, num_hidden_layers=1, num_attention_heads=2, iou_head_hidden_dim=32
        ),
    )
    torch.manual_seed(seed)
    model = SamModel(config).eval()
    image_processor = SamImageProcessor(
        size={"longest_edge": TINY_SAM_SIZE},
        pad_size={"height": TINY_SAM_SIZE, "width": TINY_SAM_SIZE},
        mask_size={"longest_edge": TINY_SAM_SIZE // 4},
        mask_pad_size={"height": TINY_SAM_SIZE // 4, "width": TINY_SAM_SIZE // 4},
    )
    model.save_pretrained(folder)
    SamProcessor(image_processor=image_processor).save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path, int], None]] = {
    "grounding-dino": build_tiny_grounding_dino,
    "sam": build_tiny_sam,
}
