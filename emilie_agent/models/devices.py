"""Pick a device and dtype the way users expect: CUDA fp16, then Apple MPS, then CPU fp32.

A device or dtype that is named is checked first: one that is unknown (``--device gpu``, ``--dtype int8``) or
absent on this machine (``cuda`` without an NVIDIA GPU, ``mps`` off Apple silicon, ``cuda:3`` with one GPU) is an
:class:`~emilie_agent.errors.InvalidRequestError` saying what this machine has, before any model loads.
"""
from __future__ import annotations

import torch

from ..errors import InvalidRequestError, shown

_DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}
DTYPE_NAMES = ("float32", "float16", "bfloat16")
DEVICE_KINDS = ("cuda", "mps", "cpu")


def available_devices() -> list[str]:
    """The devices this machine has, best first: ``cuda`` (and ``cuda:N`` for several GPUs), ``mps``, ``cpu``."""
    found = []
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        found += ["cuda"] + ([f"cuda:{i}" for i in range(count)] if count > 1 else [])
    if _mps_available():
        found.append("mps")
    return found + ["cpu"]


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    try:
        return mps is not None and bool(mps.is_available())
    except Exception:  # noqa: BLE001 - a broken MPS build means no MPS
        return False


def check_device(device: str | torch.device | None) -> torch.device | None:
    """``device`` as a torch device that this machine has; None stays None (the best available)."""
    if device is None:
        return None
    if isinstance(device, torch.device):
        parsed = device
    elif isinstance(device, str):
        name = device.strip().lower()
        if not name:
            raise InvalidRequestError(f"the device is empty: use one of {', '.join(available_devices())}")
        try:
            parsed = torch.device(name)
        except (RuntimeError, ValueError, TypeError):
            parsed = None
        if parsed is None or parsed.type not in DEVICE_KINDS:
            raise InvalidRequestError(
                f"unknown device {shown(device)}: use cuda, mps or cpu (this machine has {', '.join(available_devices())})"
            )
    else:
        raise InvalidRequestError(f"the device must be a name such as 'cuda' or 'cpu', not {type(device).__name__}")
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidRequestError(
                f"device {str(parsed)!r} asked for, but this machine has no usable CUDA GPU (no NVIDIA driver, or a "
                f"torch built without CUDA): use {' or '.join(available_devices())}"
            )
        count = torch.cuda.device_count()
        if parsed.index is not None and not 0 <= parsed.index < count:
            raise InvalidRequestError(
                f"device {str(parsed)!r} asked for, but this machine has {count} CUDA GPU(s): "
                f"cuda:0{f' ... cuda:{count - 1}' if count > 1 else ''}"
            )
    elif parsed.type == "mps" and not _mps_available():
        raise InvalidRequestError(
            f"device 'mps' asked for, but Apple's MPS is not available here (it needs Apple silicon and a torch built "
            f"with MPS): use {' or '.join(available_devices())}"
        )
    elif parsed.type == "cpu" and parsed.index not in (None, 0):
        raise InvalidRequestError(f"unknown device {str(parsed)!r}: the CPU is 'cpu'")
    return parsed


def check_dtype(torch_dtype: str | torch.dtype | None) -> torch.dtype | None:
    """``torch_dtype`` as a floating torch dtype the models can run in; None stays None (per device)."""
    if torch_dtype is None:
        return None
    if isinstance(torch_dtype, torch.dtype):
        if torch_dtype not in (torch.float32, torch.float16, torch.bfloat16):
            raise InvalidRequestError(f"unsupported dtype {torch_dtype}: use one of {', '.join(DTYPE_NAMES)}")
        return torch_dtype
    if not isinstance(torch_dtype, str):
        raise InvalidRequestError(f"the dtype must be a name such as 'float16', not {type(torch_dtype).__name__}")
    name = torch_dtype.strip().lower().removeprefix("torch.")
    if name not in _DTYPES:
        raise InvalidRequestError(
            f"unknown dtype {shown(torch_dtype)}: use one of {', '.join(DTYPE_NAMES)} (the models run in floating point)"
        )
    return _DTYPES[name]


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``None`` means the best available accelerator, else CPU. A device named is checked (:func:`check_device`)."""
    checked = check_device(device)
    if checked is not None:
        return checked
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(device: torch.device, torch_dtype: str | torch.dtype | None = None) -> torch.dtype:
    """``None`` means fp16 on CUDA and MPS, fp32 on CPU (fp16 convolutions are slow or missing there)."""
    checked = check_dtype(torch_dtype)
    if checked is not None:
        return checked
    return torch.float16 if device.type in {"cuda", "mps"} else torch.float32
