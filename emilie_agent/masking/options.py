"""How to build a masker, as one validated value: which models, which backend, thresholds, granularity.

The command line fills a :class:`MaskerOptions` from its arguments (``edit --target``, ``mask``, ``chat``) and
hands it to :meth:`~emilie_agent.masking.masker.Masker.from_options`; Python callers may build one directly.
Everything is checked here, before any model loads, so that a typo fails in a second, not after a minute;
errors are :class:`~emilie_agent.errors.InvalidRequestError` with the messages the command line prints.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ..errors import InvalidRequestError, shown
from .granularity import Granularity, spread_for

DEFAULT_DETECTOR = "IDEA-Research/grounding-dino-tiny"
DEFAULT_SEGMENTER = "facebook/sam-vit-base"
BACKENDS = ("transformers", "original")
# The thresholds of the GroundingDINO / Grounded-SAM demos (a model folder may recommend others: see
# :func:`~emilie_agent.masking.backends.hf.recommended_thresholds`).
BOX_THRESHOLD = 0.35
TEXT_THRESHOLD = 0.25
# Names that mean a whole set of models, detector and segmenter alike (and the editor's, for ``--models``).
NAMED_MODEL_SETS = ("tiny", "toy", "real-size")


def check_threshold(value: Any, name: str) -> float:
    """``value`` as a float in [0, 1], else an InvalidRequestError naming the option ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidRequestError(f"{name} must be a number from 0 to 1, not {shown(value)}") from None
    if not (0.0 <= number <= 1.0):  # also refuses NaN
        raise InvalidRequestError(f"{name} must be from 0 to 1, not {shown(value)}")
    return number


def check_backend(backend: Any) -> str:
    if backend not in BACKENDS:
        raise InvalidRequestError(f"unknown masker backend {shown(backend)}; choose one of {', '.join(BACKENDS)}")
    return backend


class MaskerOptions(BaseModel):
    """The masker's models and settings. ``None`` means "not given": the defaults then apply.

    * ``models``: a name for both detector and segmenter (``tiny``: random weights, wiring only; ``toy``: the
      packaged toy-world models); ``detector`` / ``segmenter`` name one each and win over ``models``. Default:
      ``IDEA-Research/grounding-dino-tiny`` + ``facebook/sam-vit-base``.
    * ``editor_models``: the editor's ``--models``, for verbs that edit: when the masker's own models are not
      given, ``tiny``, ``toy`` or ``real-size`` there means the masker's models of that name too (``edit --models tiny``).
    * ``backend``: ``transformers`` or ``original`` (then ``detector`` / ``segmenter`` are checkpoint files,
      ``detector_config`` the GroundingDINO config and ``text_encoder`` an optional BERT folder or hub id).
    * ``box_threshold`` / ``text_threshold`` in [0, 1]: not given, the detector folder's recommended ones
      (``emilie_toy.json``) or the demos' 0.35 / 0.25.
    * ``granularity`` (object | region | global) and ``spread`` in [0, 1]: how far around the object a mask
      reaches (for the calls to :meth:`~emilie_agent.masking.masker.Masker.mask`; checked here).
    * ``device`` / ``dtype``: where the models run (default: the best available; fp16 on GPU, fp32 on CPU).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    models: str | None = None
    editor_models: str | None = None
    detector: str | None = None
    segmenter: str | None = None
    backend: Literal["transformers", "original"] = "transformers"
    detector_config: str | None = None
    text_encoder: str | None = None
    box_threshold: float | None = None
    text_threshold: float | None = None
    granularity: Granularity | None = None
    spread: float | None = None
    device: str | None = None
    dtype: str | None = None

    def __init__(self, **values: Any) -> None:
        # One kind of error for every bad value (the checks below raise InvalidRequestError themselves).
        try:
            super().__init__(**values)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "masker options"
            raise InvalidRequestError(f"masker option {where}: {first['msg']}") from None

    @field_validator("backend", mode="before")
    @classmethod
    def _backend(cls, value: Any) -> str:
        return check_backend("transformers" if value is None else value)

    @field_validator("box_threshold", "text_threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any, info) -> float | None:
        # The command line's option names: these messages are what a user of `--box-threshold 2` reads.
        return None if value is None else check_threshold(value, "--" + info.field_name.replace("_", "-"))

    @model_validator(mode="before")
    @classmethod
    def _granularity_and_spread(cls, values: Any) -> Any:
        if isinstance(values, dict):
            spread_for(values.get("granularity") or "object", values.get("spread"))
        return values

    @property
    def detector_name(self) -> str | None:
        """The detector to load: ``detector``, else the named set, else None (the backend's default)."""
        return self.detector or self._model_set()

    @property
    def segmenter_name(self) -> str | None:
        """The segmenter to load: ``segmenter``, else the named set, else None (the backend's default)."""
        return self.segmenter or self._model_set()

    def _model_set(self) -> str | None:
        if self.models:
            return self.models
        if self.editor_models in NAMED_MODEL_SETS:
            return self.editor_models  # ``edit --models tiny``: tiny everything
        return None

    def backend_kwargs(self) -> dict[str, str]:
        """What only the ``original`` backend takes (ignored for ``transformers``, as on the command line)."""
        if self.backend != "original":
            return {}
        extra = {"detector_config": self.detector_config, "text_encoder": self.text_encoder}
        return {key: value for key, value in extra.items() if value}
