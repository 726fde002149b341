"""Pick a device and dtype the way users expect: CUDA fp16, then Apple MPS, then CPU fp32."""
from __future__ import annotations

import torch

_DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``None`` means the best available accelerator, else CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(device: torch.device, torch_dtype: str | torch.dtype | None = None) -> torch.dtype:
    """``None`` means fp16 on CUDA and MPS, fp32 on CPU (fp16 convolutions are slow or missing there)."""
    if torch_dtype is None:
        return torch.float16 if device.type in {"cuda", "mps"} else torch.float32
    if isinstance(torch_dtype, torch.dtype):
        return torch_dtype
    try:
        return _DTYPES[str(torch_dtype).lower()]
    except KeyError:
        raise ValueError(f"unknown dtype {torch_dtype!r}; use one of {', '.join(_DTYPES)}") from None
