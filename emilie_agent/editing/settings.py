"""What a turn is made with: the sampling settings, validated once and stored with every turn.

Kept free of torch and diffusers so that the command line can check its options before loading a model.
"""
from __future__ import annotations

import importlib.util
import math
import numbers
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ..errors import InvalidRequestError, shown

DEFAULT_MODEL = "timbrooks/instruct-pix2pix"  # the InstructPix2Pix weights the editor loads by default
Preserve = Literal["guided", "exact"]
LatentMode = Literal["carry", "reencode"]
LocalRegion = Literal["full", "crop"]
MAX_CROP_MARGIN = 4096  # pixels; any margin past the picture's own size means the whole picture

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
# The fewest steps each scheduler can run: PNDM starts with a 4-step Runge-Kutta warm-up (fewer steps fail
# deep inside diffusers with a shape error).
MIN_STEPS = {"PNDMScheduler": 4}
# Python packages a scheduler needs beyond diffusers' own dependencies.
NEEDS_PACKAGE = {"LMSDiscreteScheduler": "scipy"}
MAX_STEPS = 1000
MAX_SEED = 2**64 - 1  # what torch.Generator.manual_seed takes


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
    # Where a local turn with exact preservation samples: "full" = the whole latent; "crop" = only the latent
    # around the mask plus ``crop_margin`` pixels (at the working size) of context, pasted back afterwards.
    # Everything outside the mask is overwritten at every step anyway, so a small mask costs a small crop.
    # Global and guided turns always sample the whole latent.
    local_region: LocalRegion = "full"
    crop_margin: int = 32

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
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 1 <= value <= MAX_STEPS:
            raise ValueError(f"steps must be an integer from 1 to {MAX_STEPS}, not {_short(value)}")
        return int(value)

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> int:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 0 <= value <= MAX_SEED:
            raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED} (2**64 - 1), not {_short(value)}")
        return int(value)

    @field_validator("text_scale", "image_scale", mode="before")
    @classmethod
    def _scale(cls, value: Any, info) -> float:
        if not _is_number(value) or not _finite(value) or value < 0:
            raise ValueError(f"{info.field_name} must be a finite number >= 0, not {_short(value)}")
        return float(value)

    @field_validator("preserve", mode="before")
    @classmethod
    def _preserve(cls, value: Any) -> str:
        if not isinstance(value, str) or value not in ("guided", "exact"):
            raise ValueError(f"preserve must be 'guided' or 'exact', not {_short(value)}")
        return value

    @field_validator("latent_mode", mode="before")
    @classmethod
    def _latent_mode(cls, value: Any) -> str:
        if not isinstance(value, str) or value not in ("carry", "reencode"):
            raise ValueError(f"latent_mode must be 'carry' or 'reencode', not {_short(value)}")
        return value

    @field_validator("local_region", mode="before")
    @classmethod
    def _local_region(cls, value: Any) -> str:
        if not isinstance(value, str) or value not in ("full", "crop"):
            raise ValueError(f"local_region must be 'full' or 'crop', not {_short(value)}")
        return value

    @field_validator("crop_margin", mode="before")
    @classmethod
    def _crop_margin(cls, value: Any) -> int:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 0 <= value <= MAX_CROP_MARGIN:
            raise ValueError(
                f"crop_margin must be a whole number of pixels from 0 to {MAX_CROP_MARGIN}, not {_short(value)}"
            )
        return int(value)

    @field_validator("scheduler", mode="before")
    @classmethod
    def _scheduler(cls, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or value not in SCHEDULERS):
            raise ValueError(f"unknown scheduler {_short(value)}; choose one of {', '.join(SCHEDULERS)}")
        return value

    @field_validator("feather", mode="before")
    @classmethod
    def _feather(cls, value: Any) -> float | None:
        if value is not None and (not _is_number(value) or not _finite(value) or value < 0):
            raise ValueError(f"feather must be >= 0 pixels, not {_short(value)}")
        return None if value is None else float(value)

    @model_validator(mode="after")
    def _enough_steps(self) -> "EditSettings":
        if self.scheduler is not None:
            check_scheduler_steps(SCHEDULERS[self.scheduler], self.steps, self.scheduler)
        return self


def check_scheduler_steps(class_name: str, steps: int, name: str | None = None) -> None:
    """Refuse a step count the scheduler cannot run (PNDM needs at least 4), in the words of ``--scheduler``."""
    fewest = MIN_STEPS.get(class_name, 1)
    if steps < fewest:
        which = name or class_name
        raise ValueError(
            f"the {which} scheduler needs at least {fewest} steps, not {steps}: give --steps {fewest} or more, "
            "or choose another scheduler"
        )


def check_scheduler_available(class_name: str, name: str | None = None) -> None:
    """An InvalidRequestError when the scheduler needs a package that is not installed (LMS needs scipy)."""
    package = NEEDS_PACKAGE.get(class_name)
    if package is not None and importlib.util.find_spec(package) is None:
        which = name or class_name
        raise InvalidRequestError(
            f"the {which} scheduler needs the {package} package, which is not installed: "
            f"pip install {package}, or choose another scheduler"
        )


def as_settings(value: Any, defaults: "EditSettings | None" = None) -> "EditSettings":
    """``value`` as EditSettings: None gives ``defaults`` (a model's recommended settings; else the package's
    defaults), a dict is validated; anything else is refused."""
    if value is None:
        return defaults if defaults is not None else EditSettings()
    if isinstance(value, EditSettings):
        return value
    if isinstance(value, dict):
        return EditSettings(**{str(key): item for key, item in value.items()})
    raise InvalidRequestError(f"settings must be EditSettings (or a dict of them), not {type(value).__name__}")


def one_line(err: ValidationError) -> str:
    """A pydantic error as the one line a person reads: our own message when a validator gave one."""
    first = err.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    where = ".".join(str(part) for part in first["loc"]) or err.title
    return f"{where}: {first['msg']} (got {_short(first.get('input'))})"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(value: numbers.Real) -> bool:
    try:
        return math.isfinite(value)
    except (OverflowError, TypeError, ValueError):  # a huge int, or a Real that is not a float
        return False


def _short(value: Any) -> str:
    """``repr(value)``, cut to a readable length (a 10,000-digit number or a long string stays one short line)."""
    return shown(value)
