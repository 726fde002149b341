"""Real-size random-weight models: the real architectures from their published configurations, no download.

Speed and memory depend on a model's shapes, not on its weights' values, so these give real timings anywhere
(``tools/bench_turn.py --models real-size``) where the tiny models' cost structure is not the real one.

The configurations below are written out from the published ``config.json`` files:

* ``timbrooks/instruct-pix2pix``: the SD-1.5 UNet with 8 input channels (~860 M parameters), the SD VAE
  (~84 M) and the CLIP ViT-L/14 text encoder (~123 M), with its Euler ancestral scheduler;
* ``IDEA-Research/grounding-dino-tiny``: Swin-T backbone + BERT-base text encoder (~172 M);
* ``facebook/sam-vit-base``: SAM with the ViT-B image encoder (~94 M).

The tokenizers are the tiny ones (:mod:`.tiny_editor`, :mod:`.tiny_masker`): the real vocabularies are data
files that cannot be built offline. The CLIP text encoder still sees the real 77 tokens (padded); the
detector's prompts are a few tokens longer than with BERT's vocabulary (unknown words are spelt letter by
letter), far below its 256-token limit. The pre-processors are the real ones (800 px detector, 1024 px SAM).

Each builder writes a ``save_pretrained`` folder, so ``real-size`` loads through the same code path as every
other model name (:mod:`emilie_agent.models.loading`). A build takes about 6 GB of disk (fp32) and a minute.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch

from .tiny_editor import build_tiny_clip_tokenizer
from .tiny_masker import build_tiny_bert_tokenizer

# ---------------------------------------------------------------------- the published configurations
UNET_CONFIG: dict[str, Any] = dict(  # timbrooks/instruct-pix2pix unet/config.json
    sample_size=64,
    in_channels=8,  # noisy latent ++ image latent
    out_channels=4,
    center_input_sample=False,
    flip_sin_to_cos=True,
    freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280),
    layers_per_block=2,
    downsample_padding=1,
    mid_block_scale_factor=1,
    act_fn="silu",
    norm_num_groups=32,
    norm_eps=1e-5,
    cross_attention_dim=768,
    attention_head_dim=8,
)
VAE_CONFIG: dict[str, Any] = dict(  # timbrooks/instruct-pix2pix vae/config.json
    in_channels=3,
    out_channels=3,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2,
    act_fn="silu",
    latent_channels=4,
    norm_num_groups=32,
    sample_size=512,
    scaling_factor=0.18215,
)
CLIP_TEXT_CONFIG: dict[str, Any] = dict(  # openai/clip-vit-large-patch14 text model (instruct-pix2pix text_encoder)
    vocab_size=49408,
    hidden_size=768,
    intermediate_size=3072,
    projection_dim=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    max_position_embeddings=77,
    hidden_act="quick_gelu",
    layer_norm_eps=1e-5,
)
SCHEDULER_CONFIG: dict[str, Any] = dict(  # timbrooks/instruct-pix2pix scheduler/scheduler_config.json
    beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000
)
SWIN_T_CONFIG: dict[str, Any] = dict(  # IDEA-Research/grounding-dino-tiny backbone_config
    embed_dim=96,
    depths=[2, 2, 6, 2],
    num_heads=[3, 6, 12, 24],
    window_size=7,
    image_size=224,
    out_indices=[2, 3, 4],
)
BERT_BASE_CONFIG: dict[str, Any] = dict(  # bert-base-uncased, GroundingDINO's text encoder
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
)
GROUNDING_DINO_CONFIG: dict[str, Any] = dict(  # IDEA-Research/grounding-dino-tiny config.json
    d_model=256,
    num_queries=900,
    encoder_layers=6,
    decoder_layers=6,
    encoder_ffn_dim=2048,
    decoder_ffn_dim=2048,
    encoder_attention_heads=8,
    decoder_attention_heads=8,
    num_feature_levels=4,
    encoder_n_points=4,
    decoder_n_points=4,
    max_text_len=256,
    two_stage=True,
)
SAM_VIT_B_CONFIG: dict[str, Any] = dict(  # facebook/sam-vit-base vision_config
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    mlp_dim=3072,
    output_channels=256,
    image_size=1024,
    patch_size=16,
    window_size=14,
    global_attn_indexes=[2, 5, 8, 11],
    num_pos_feats=128,
)
# Parameter counts of the published checkpoints, for the tests (and a reader's sanity): exact for the
# InstructPix2Pix components (SD-1.5's 859,520,964 UNet parameters + 11,520 for the 4 extra input channels),
# as the model pages round them for the masker's (built here: 172,250,626 and 93,735,728).
PUBLISHED_PARAMETERS = {
    "unet": 859_532_484,
    "vae": 83_653_863,
    "text_encoder": 123_060_480,
    "grounding-dino": 172_000_000,
    "sam": 93_700_000,
}


# ---------------------------------------------------------------------- the models (random weights)
def real_size_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(**UNET_CONFIG)


def real_size_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(**VAE_CONFIG)


def real_size_text_encoder(tokenizer=None):
    from transformers import CLIPTextConfig, CLIPTextModel

    ids = {}
    if tokenizer is not None:  # the tiny tokenizer's special ids (the real ones are 49406 / 49407)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=pad)
    return CLIPTextModel(CLIPTextConfig(**CLIP_TEXT_CONFIG, **ids))


def real_size_grounding_dino_config():
    from transformers import BertConfig, GroundingDinoConfig, SwinConfig

    return GroundingDinoConfig(
        backbone_config=SwinConfig(**SWIN_T_CONFIG),
        text_config=BertConfig(**BERT_BASE_CONFIG),
        **GROUNDING_DINO_CONFIG,
    )


def real_size_grounding_dino():
    from transformers import GroundingDinoForObjectDetection

    return GroundingDinoForObjectDetection(real_size_grounding_dino_config()).eval()


def real_size_sam_config():
    from transformers import SamConfig, SamVisionConfig

    return SamConfig(vision_config=SamVisionConfig(**SAM_VIT_B_CONFIG))


def real_size_sam():
    from transformers import SamModel

    return SamModel(real_size_sam_config()).eval()


def parameter_count(build: Callable[[], torch.nn.Module]) -> int:
    """How many parameters ``build()`` makes, built on the meta device (no memory, no initialisation work)."""
    with torch.device("meta"):
        model = build()
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------- folders, as the loaders read them
def build_real_size_instruct_pix2pix(folder: Path, seed: int = 0) -> None:
    """The InstructPix2Pix pipeline at its real size, random weights, saved with ``save_pretrained``."""
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline

    tokenizer = build_tiny_clip_tokenizer()
    torch.manual_seed(seed)
    unet = real_size_unet()
    torch.manual_seed(seed + 1)
    vae = real_size_vae()
    torch.manual_seed(seed + 2)
    text_encoder = real_size_text_encoder(tokenizer)
    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=EulerAncestralDiscreteScheduler(**SCHEDULER_CONFIG),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)


def build_real_size_grounding_dino(folder: Path, seed: int = 0) -> None:
    """GroundingDINO-tiny at its real size (random weights) and the real image pre-processing (800 px)."""
    from transformers import GroundingDinoImageProcessor, GroundingDinoProcessor

    torch.manual_seed(seed)
    model = real_size_grounding_dino()
    processor = GroundingDinoProcessor(
        image_processor=GroundingDinoImageProcessor(), tokenizer=build_tiny_bert_tokenizer()
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def build_real_size_sam(folder: Path, seed: int = 0) -> None:
    """SAM ViT-B at its real size (random weights) and the real pre-processing (1024 px)."""
    from transformers import SamImageProcessor, SamProcessor

    torch.manual_seed(seed)
    model = real_size_sam()
    model.save_pretrained(folder)
    SamProcessor(image_processor=SamImageProcessor()).save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path, int], None]] = {
    "instruct-pix2pix": build_real_size_instruct_pix2pix,
    "grounding-dino": build_real_size_grounding_dino,
    "sam": build_real_size_sam,
}
