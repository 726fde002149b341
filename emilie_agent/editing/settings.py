"""What a turn is made with: the sampling settings, validated once and stored with every turn.

Kept free of torch and diffusers so that the command line can check its options before loading a model.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..errors import InvalidRequestError

DEFAULT_MODEL = "timbrooks/instruct-pix2pix"  # the InstructPix2Pix weights the editor loads by default
Preserve = Literal["guided", "exact"]
LatentMode = Literal["carry", "reencode"]

# Scheduler names a user can pick; each is built from the model's own scheduler config.
SCHEDULERS = {
    "euler_a": "EulerAncestralDiscreteScheduler",
    "euler": "EulerDiscreteScheduler",
    "ddim": "DDIMScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "unipc": "UniPCMultistepScheduler",
    "pndm": "PNDMScheduler",
    "lms": "LMSDiscreteScheduler",
}


class EditSettings(BaseModel):
    """What a turn was made with; stored with every turn so that it can be reproduced.

    Invalid values raise :class:`~emilie_agent.errors.InvalidRequestError` with a one-line message when the
    settings are made; they are immutable afterwards (use :meth:`replace`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: int = 20
    text_scale: float = 7.5  # s_T: how strongly the instruction steers (inside the mask)
    image_scale: float = 1.5  # s_I: how strongly the picture holds
    seed: int = 0
    preserve: Preserve = "guided"
    scheduler: str | None = None  # a SCHEDULERS name; None: the model's own
    feather: float | None = None  # composite feather radius in picture pixels; None: one latent cell
    # What the next turn conditions on: "carry" = this turn's denoised latent z0 / scaling_factor (the paper);
    # "reencode" = the VAE encoding of this turn's decoded picture (the InstructPix2Pix baseline).
    latent_mode: LatentMode = "carry"

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise InvalidRequestError(one_line(err)) from None

    def replace(self, **changes: Any) -> "EditSettings":
        """A copy with ``changes`` applied, validated like new settings."""
        return type(self)(**{**self.model_dump(), **changes})

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> int:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 1 <= value <= 1000:
            raise ValueError(f"steps must be an integer from 1 to 1000, not {value!r}")
        return int(value)

    @field_validator("text_scale", "image_scale", mode="before")
    @classmethod
    def _scale(cls, value: Any, info) -> float:
        if not _is_number(value) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{info.field_name} must be a finite number >= 0, not {value!r}")
        return float(value)

    @field_validator("preserve", mode="before")
    @classmethod
    def _preserve(cls, value: Any) -> str:
        if value not in ("guided", "exact"):
            raise ValueError(f"preserve must be 'guided' or 'exact', not {value!r}")
        return value

    @field_validator("latent_mode", mode="before")
    @classmethod
    def _latent_mode(cls, value: Any) -> str:
        if value not in ("carry", "reencode"):
            raise ValueError(f"latent_mode must be 'carry' or 'reencode', not {value!r}")
        return value

    @field_validator("scheduler", mode="before")
    @classmethod
    def _scheduler(cls, value: Any) -> str | None:
        if value is not None and value not in SCHEDULERS:
            raise ValueError(f"unknown scheduler {value!r}; choose one of {', '.join(SCHEDULERS)}")
        return value

    @field_validator("feather", mode="before")
    @classmethod
    def _feather(cls, value: Any) -> float | None:
        if value is not None and (not _is_number(value) or not math.isfinite(value) or value < 0):
            raise ValueError(f"feather must be >= 0 pixels, not {value!r}")
        return None if value is None else float(value)


def one_line(err: ValidationError) -> str:
    """A pydantic error as the one line a person reads: our own message when a validator gave one."""
    first = err.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    where = ".".join(str(part) for part in first["loc"]) or err.title
    return f"{where}: {first['msg']} (got {first.get('input')!r})"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
