"""Errors a user can act on.

Every error raised on purpose by emilie-agent derives from :class:`EmilieError`. Its message is one
line that says what is wrong and what to do about it; the CLI prints exactly that line (no traceback)
and exits with status 1 (2 for usage errors).
"""
from __future__ import annotations


class EmilieError(Exception):
    """Base class: the message is meant for the person using the tool."""


class ModelNotAvailableError(EmilieError):
    """Weights could not be found locally and could not be downloaded."""


class InvalidImageError(EmilieError):
    """A picture that cannot be read or used (not an image, empty, too large, NaN...)."""


class InvalidMaskError(EmilieError):
    """A mask that cannot be used with the picture it was given for."""


class InvalidRequestError(EmilieError):
    """An empty or otherwise unusable instruction, phrase or request."""


class TargetNotFoundError(EmilieError):
    """The masker found nothing matching a phrase."""


class EditFailedError(EmilieError):
    """The editor produced an unusable result (e.g. NaN latents); nothing was recorded."""


class SessionFileError(EmilieError):
    """A saved session folder is missing, corrupt or of an unknown version."""


class PlanValidationError(EmilieError):
    """A planner (usually an LLM) produced a plan that does not validate."""


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` for an error message: on one line (an array's repr is not) and at most ``limit`` characters."""
    try:
        text = " ".join(repr(value).split())
    except Exception:  # noqa: BLE001 - an object whose repr fails still gets named
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
