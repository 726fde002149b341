"""Tiny random-weight models for the ``original`` masker backend (groundingdino-py and segment-anything), as a
user would have them: a GroundingDINO config (.py) and checkpoint (.pth), a SAM checkpoint and a local BERT.

Test-only, like :mod:`emilie_agent.testing.tiny_masker` (whose BERT vocabulary it shares), but apart from it:
this module builds GroundingDINO through the backend's own :func:`build_groundingdino`, and the backend uses the
model loader, which uses ``tiny_masker`` to build the ``tiny`` models.

Needs the optional packages (``pip install "emilie-agent[original]"``), as the backend does.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from groundingdino.util.slconfig import SLConfig
from segment_anything.build_sam import _build_sam
from transformers import BertModel

from ..masking.backends.original import build_groundingdino
from .tiny_masker import tiny_bert_config, build_tiny_bert_tokenizer


def build_tiny_bert_folder(folder: Path, seed: int = 0) -> Path:
    """A local BERT (model + vocab) that groundingdino-py can use as ``text_encoder_type`` instead of the hub's."""
    tokenizer = build_tiny_bert_tokenizer()
    torch.manual_seed(seed)
    BertModel(tiny_bert_config(len(tokenizer.get_vocab()), max_len=256)).save_pretrained(folder)
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
