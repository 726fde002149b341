"""Speed and memory options for a loaded editor: torch.compile, channels-last, CPU offload, VAE tiling.

What is already on without asking: fp16 on CUDA and MPS (:func:`emilie_agent.models.devices.pick_dtype`),
PyTorch's scaled-dot-product attention (diffusers' ``AttnProcessor2_0`` in the UNet and VAE, ``sdpa`` in the
CLIP text encoder), and the three guidance branches batched into one UNet call per step.
"""
from __future__ import annotations

from typing import Literal

import torch

from ..errors import InvalidRequestError
from ..models.devices import pick_device

Offload = Literal["model", "sequential"]


def apply_speed_options(
    editor,
    *,
    compile_unet: bool = False,
    channels_last: bool = False,
    offload: Offload | None = None,
    vae_tiling: bool = False,
    device: str | torch.device | None = None,
):
    """Apply the options to ``editor`` (an :class:`~emilie_agent.editing.pipeline.EmilieEditor`) and return it.

    ``offload``: "model" keeps each model on the CPU until it runs (diffusers' model CPU offload: the UNet,
    text encoder and VAE take turns on the accelerator), "sequential" does so layer by layer (least memory,
    slowest). Both need an accelerator: ``device`` (default: the best one here). ``compile_unet`` compiles the
    UNet with ``torch.compile`` (the first turns are slow while it compiles). ``channels_last`` lays the UNet's
    and VAE's weights out NHWC, which convolutions on recent GPUs prefer. ``vae_tiling`` decodes large pictures
    tile by tile.
    """
    if offload not in (None, "model", "sequential"):
        raise InvalidRequestError(f"offload must be 'model' or 'sequential', not {offload!r}")
    if offload is not None:
        target = pick_device(device)
        if target.type == "cpu":
            raise InvalidRequestError(
                "CPU offload moves the models between the CPU and an accelerator, and this machine runs on the CPU: "
                "leave out --offload"
            )
        if offload == "model":
            editor.enable_model_cpu_offload(device=target)
        else:
            editor.enable_sequential_cpu_offload(device=target)
    if channels_last:
        editor.unet.to(memory_format=torch.channels_last)
        editor.vae.to(memory_format=torch.channels_last)
    if vae_tiling:
        editor.enable_vae_tiling()
    if compile_unet:
        editor.unet.compile()
    return editor


def load_editor(
    name: str,
    *,
    device: str | None = None,
    dtype: str | None = None,
    max_side: int | None = None,
    compile_unet: bool = False,
    channels_last: bool = False,
    offload: Offload | None = None,
    vae_tiling: bool = False,
):
    """``EmilieEditor.from_pretrained(name)`` with the speed options applied: what the CLI and the service load.

    With ``offload`` the models wait on the CPU, in fp16 unless ``dtype`` says otherwise (the accelerator's
    dtype), and move to ``device`` (default: the best accelerator) as they run.
    """
    from .pipeline import EmilieEditor  # lazy: the pipeline imports diffusers

    editor = EmilieEditor.from_pretrained(
        name,
        device="cpu" if offload else device,
        torch_dtype=dtype or ("float16" if offload else None),
        max_side=max_side,
    )
    return apply_speed_options(
        editor, compile_unet=compile_unet, channels_last=channels_last, offload=offload, vae_tiling=vae_tiling,
        device=device,
    )
