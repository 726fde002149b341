"""Tiny random-weight GroundingDINO and SAM, built from configs, for tests and CI (no download).

Both are saved with ``save_pretrained`` (model + processor) so they load through the very same
``from_pretrained`` path as ``IDEA-Research/grounding-dino-tiny`` and ``facebook/sam-vit-base``. Their boxes
and masks are noise; they check shapes, coordinates, caching and plumbing.

The sizes are chosen so that, as with the real models, the SAM image encoder is the expensive part of a
first phrase (the tiny SAM works at the real 1024 px, the tiny detector at 64 px): that is what the masker's cached
embedding saves, and what ``tools/bench_masker.py`` measures.

Also here: :func:`build_tiny_bert_folder` and :func:`build_tiny_original_models`, the same idea for the
original ``groundingdino-py`` / ``segment-anything`` packages (config + checkpoint files).
"""
from __future__ import annotations

import json
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


def _tiny_bert_config(vocab_size: int, max_len: int = 64):
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
    """GroundingDinoForObjectDetection: Swin (embed 8, depth 1 per stage), d_model 32, 2 decoder layers."""
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
        text_config=_tiny_bert_config(len(tokenizer.get_vocab())),
        num_queries=30,
        encoder_layers=1,
        encoder_ffn_dim=32,
        encoder_attention_heads=2,
        decoder_layers=2,  # 1 breaks the bbox-embed weight tying
        decoder_ffn_dim=32,
        decoder_attention_heads=2,
        d_model=32,
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


# ---------------------------------------------------------------------------------------------------- original
def build_tiny_bert_folder(folder: Path, seed: int = 0) -> Path:
    """A local BERT (model + vocab) that groundingdino-py can use as ``text_encoder_type`` instead of the hub's."""
    from transformers import BertModel

    tokenizer = build_tiny_bert_tokenizer()
    torch.manual_seed(seed)
    BertModel(_tiny_bert_config(len(tokenizer.get_vocab()), max_len=256)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# A GroundingDINO config (the format of groundingdino/config/GroundingDINO_SwinT_OGC.py) with a small
# transformer. The Swin-T backbone is fixed by the package (it cannot be made smaller by configuration).
_TINY_GDINO_CONFIG = """\
batch_size = 1
modelname = "groundingdino"
backbone = "swin_T_224_1k"
position_embedding = "sine"
pe_temperatureH = 20
pe_temperatureW = 20
return_interm_indices = [1, 2, 3]
backbone_freeze_keywords = None
enc_layers = 1
dec_layers = 1
pre_norm = False
dim_feedforward = 64
hidden_dim = 256  # the text branch hard-codes 256-wide positional embeddings
dropout = 0.0
nheads = 8
num_queries = 30
query_dim = 4
num_patterns = 0
num_feature_levels = 4
enc_n_points = 2
dec_n_points = 2
two_stage_type = "standard"
two_stage_bbox_embed_share = False
two_stage_class_embed_share = False
transformer_activation = "relu"
dec_pred_bbox_embed_share = True
dn_box_noise_scale = 1.0
dn_label_noise_ratio = 0.5
dn_label_coef = 1.0
dn_bbox_coef = 1.0
embed_init_tgt = True
dn_labelbook_size = 2000
max_text_len = 256
text_encoder_type = {text_encoder!r}
use_text_enhancer = True
use_fusion_layer = True
use_checkpoint = False
use_transformer_ckpt = False
use_text_cross_attention = True
text_dropout = 0.0
fusion_dropout = 0.0
fusion_droppath = 0.0
sub_sentence_present = True
"""

# A small SAM: same layout as sam_vit_b (so the checkpoint loads through the same code), tiny encoder.
TINY_SAM_ARCH = dict(encoder_embed_dim=32, encoder_depth=2, encoder_num_heads=2, encoder_global_attn_indexes=[1])


def build_tiny_original_models(folder: Path, seed: int = 0) -> dict[str, str]:
    """Files for the ``original`` backend, as a user would have them: a GroundingDINO config (.py) and
    checkpoint (.pth, ``{"model": state_dict}``), a SAM checkpoint (.pth, a state_dict) and a local BERT.

    Returns the keyword arguments for ``Masker.from_pretrained(backend="original", ...)``.
    """
    from groundingdino.util.slconfig import SLConfig
    from segment_anything.build_sam import _build_sam

    from ..masking.backends.original import build_groundingdino

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bert = build_tiny_bert_folder(folder / "bert", seed)
    config_path = folder / "groundingdino_tiny.py"
    config_path.write_text(_TINY_GDINO_CONFIG.format(text_encoder=str(bert)))
    torch.manual_seed(seed)
    detector = build_groundingdino(SLConfig.fromfile(str(config_path)))
    detector_path = folder / "groundingdino_tiny.pth"
    torch.save({"model": detector.state_dict()}, detector_path)
    torch.manual_seed(seed + 1)
    sam = _build_sam(**TINY_SAM_ARCH, checkpoint=None)
    sam_path = folder / "sam_tiny.pth"
    torch.save(sam.state_dict(), sam_path)
    kwargs = dict(detector_config=str(config_path), detector=str(detector_path), segmenter=str(sam_path))
    (folder / "masker_kwargs.json").write_text(json.dumps(kwargs, indent=2))
    return kwargs


BUILDERS: dict[str, Callable[[Path, int], None]] = {
    "grounding-dino": build_tiny_grounding_dino,
    "sam": build_tiny_sam,
}
