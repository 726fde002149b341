"""emilie-agent: edit a picture by talking to it (EMILIE on InstructPix2Pix, with a planner and a masker).

Public names are imported lazily so that light commands (``emilie-agent plan``) do not import torch.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "EmilieEditor": "editing.pipeline",
    "EditSettings": "editing.settings",
    "EditResult": "editing.pipeline",
    "EditSession": "editing.session",
    "Turn": "editing.session",
    "Masker": "masking.masker",
    "MaskResult": "masking.types",
    "MaskerOptions": "masking.options",
    "Plan": "planning.plan",
    "Step": "planning.plan",
    "RulePlanner": "planning.rule_planner",
    "LLMPlanner": "planning.llm_planner",
    "EditingAgent": "agent.agent",
    "EmilieError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'emilie_agent' has no attribute {name!r}")
