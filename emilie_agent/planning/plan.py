"""The plan every planner produces: the ordered steps the editor runs.

A :class:`Step` is one InstructPix2Pix edit. ``scope="global"`` edits the whole picture; ``scope="local"``
edits only what the masker finds for ``target`` (or, with ``invert=True``, everything except it). The rule
planner and the LLM planner both return a :class:`Plan`, so the rest of the program never needs to know which
one ran. Validation lives here, once: an LLM answer that breaks these rules is caught and sent back for repair.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import InvalidRequestError
from ..text import require_text

MAX_REQUEST_CHARS = 2000  # a request longer than this is refused before it is read
MAX_STEPS = 20  # a plan of more steps is refused: split the request


def check_request(request: object) -> str:
    """``request`` stripped; an InvalidRequestError when it is not text, blank, or longer than the limit.

    The length is checked first, before the text is read, so that a megabyte of input fails at once.
    """
    if isinstance(request, str) and len(request) > MAX_REQUEST_CHARS and len(request.strip()) > MAX_REQUEST_CHARS:
        raise InvalidRequestError(
            f"the request is too long: {len(request.strip()):,} characters, at most {MAX_REQUEST_CHARS:,}: "
            "say less at once, or split it into several requests"
        )
    return require_text(request, "request", '"make the sky purple"')


def check_step_count(count: int) -> None:
    """An InvalidRequestError when a request asks for more steps than a plan may hold."""
    if count > MAX_STEPS:
        raise InvalidRequestError(
            f"the request asks for {count} edits, at most {MAX_STEPS} are planned at once: "
            "split it into several requests"
        )


class Step(BaseModel):
    """One edit: an imperative instruction and where it applies."""

    model_config = ConfigDict(frozen=True)

    instruction: str = Field(description='imperative edit InstructPix2Pix understands, e.g. "add a red scarf"')
    scope: Literal["global", "local"] = Field(description="global: the whole picture; local: only the target")
    target: str | None = Field(default=None, description='local only: what the masker looks for, e.g. "man"')
    invert: bool = Field(default=False, description="local only: edit everything except the target")

    @field_validator("instruction")
    @classmethod
    def _instruction_not_empty(cls, value: str) -> str:
        try:
            return " ".join(require_text(value, "instruction").split())
        except InvalidRequestError as err:  # pydantic reports ValueErrors as validation errors
            raise ValueError(str(err)) from None

    @field_validator("target")
    @classmethod
    def _blank_target_is_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        return value or None

    @model_validator(mode="after")
    def _scope_matches_target(self) -> "Step":
        if self.scope == "local" and self.target is None:
            raise ValueError("a local step needs a target (what to edit)")
        if self.scope == "global" and self.target is not None:
            raise ValueError(f"a global step cannot have a target (got {self.target!r})")
        if self.scope == "global" and self.invert:
            raise ValueError("a global step cannot be inverted (invert needs a target)")
        return self

    def describe(self) -> str:
        """One line for people: the instruction and where it applies."""
        if self.scope == "global":
            where = "whole picture"
        elif self.invert:
            where = f"everything except: {self.target}"
        else:
            where = f"only: {self.target}"
        return f"{self.instruction}  [{where}]"


class Plan(BaseModel):
    """What a person asked for, and the steps that do it, in order."""

    model_config = ConfigDict(frozen=True)

    request: str
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    @field_validator("request")
    @classmethod
    def _strip_request(cls, value: str) -> str:
        return value.strip()

    def to_json_dict(self) -> dict[str, Any]:
        """``{"request": ..., "steps": [{"instruction", "scope", "target", "invert"}, ...]}``."""
        return self.model_dump(mode="json")

    def describe(self) -> str:
        """A few readable lines: the request, then one numbered line per step."""
        count = f"{len(self.steps)} step" + ("s" if len(self.steps) != 1 else "")
        lines = [f"Plan for {self.request!r} ({count}):"]
        lines += [f"  {number}. {step.describe()}" for number, step in enumerate(self.steps, start=1)]
        return "\n".join(lines)
