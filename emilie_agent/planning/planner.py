"""What a planner is, and choosing one by name: the offline rule planner (default) or an LLM through LangChain."""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from ..errors import EmilieError
from .llm_planner import LLMPlanner
from .plan import Plan, Step
from .rule_planner import RulePlanner

PLANNER_KINDS = ("rules", "llm")


class Planner(Protocol):
    """Anything that turns a request (and the session's earlier steps) into a plan."""

    def plan(self, request: str, history: Sequence[Step] = ()) -> Plan: ...


def make_planner(kind: str = "rules", model: Any = None) -> Planner:
    """A planner of ``kind``: "rules" (no model) or "llm" (``model`` is "provider:name" or a chat model)."""
    kind = (kind or "rules").strip().lower()
    if kind == "rules":
        if model is not None:
            raise EmilieError("the rules planner takes no model: use --planner llm with --model")
        return RulePlanner()
    if kind == "llm":
        if model is None or (isinstance(model, str) and not model.strip()):
            raise EmilieError(
                'the llm planner needs a chat model: pass --model provider:name, e.g. --model "openai:gpt-4o-mini"'
            )
        return LLMPlanner(model)
    raise EmilieError(f"unknown planner {kind!r}: choose one of {', '.join(PLANNER_KINDS)}")
