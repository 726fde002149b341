"""Read the prompt texts shipped with the package.

The texts live in the top-level ``prompts/`` folder of the repository; ``pyproject.toml`` maps that folder
to the ``emilie_agent.prompts`` package so that it is inside the wheel. In a plain source checkout (no
install), we read the folder directly.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

_SOURCE_PROMPTS = Path(__file__).resolve().parent.parent.parent / "prompts"


def read_prompt(name: str) -> str:
    """Return the text of ``prompts/<name>`` (UTF-8)."""
    try:
        return resources.files("emilie_agent.prompts").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (_SOURCE_PROMPTS / name).read_text(encoding="utf-8")
