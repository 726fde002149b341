"""A request planner backed by any LangChain chat model.

The model gets the system prompt (``prompts/planner_system.md``), a few worked examples
(``prompts/planner_examples.json``), the session's earlier steps and the request. Where the model supports
structured output (tool calling / JSON schema) we use it; otherwise, as with LangChain's fake chat models, we
ask for JSON in the text and parse it. Either way the answer is validated against :class:`~emilie_agent.planning.plan.Plan`;
an answer that does not validate is sent back once with the error ("repair"), then we give up with a clear
:class:`~emilie_agent.errors.PlanValidationError`.

LangChain is an optional dependency (``pip install "emilie-agent[llm]"``) and is imported only here, lazily.
"""
from __future__ import annotations

import json
import re
from typing import Any, Sequence

from pydantic import ValidationError

from ..errors import EmilieError, InvalidRequestError, PlanValidationError
from .plan import Plan, Step
from .prompts import read_prompt

INSTALL_HINT = 'the llm planner needs LangChain: pip install "emilie-agent[llm]"'

# The JSON schema the model fills in. Hand-written rather than generated so that it has no $refs, which some
# providers' tool schemas reject; Plan/Step still do the real validation.
PLAN_SCHEMA: dict[str, Any] = {
    "title": "plan",
    "description": "The picture edits that carry out the person's request, in order.",
    "type": "object",
    "properties": {
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "instruction": {"type": "string", "description": "imperative InstructPix2Pix edit"},
                    "scope": {"type": "string", "enum": ["global", "local"]},
                    "target": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "description": "local: noun phrase the masker looks for; global: null",
                    },
                    "invert": {"type": "boolean", "description": "local only: edit everything except the target"},
                },
                "required": ["instruction", "scope", "target", "invert"],
            },
        }
    },
    "required": ["steps"],
}

REPAIR_REQUEST = (
    "That answer is not a valid plan: {error}\n"
    "Answer again with only the corrected JSON object: "
    '{{"steps": [{{"instruction": ..., "scope": "global" or "local", "target": ... or null, "invert": ...}}]}}'
)


class LLMPlanner:
    """Plans requests with a chat model: ``LLMPlanner("openai:gpt-4o-mini")`` or ``LLMPlanner(model_object)``."""

    def __init__(self, model: Any, *, max_repairs: int = 1):
        if max_repairs < 0:
            raise ValueError("max_repairs must be >= 0")
        self.model = _chat_model(model)
        self.max_repairs = max_repairs
        self.system_prompt = read_prompt("planner_system.md")
        self.examples = json.loads(read_prompt("planner_examples.json"))
        self._structured = _structured_model(self.model)

    def plan(self, request: str, history: Sequence[Step] = ()) -> Plan:
        """Plan ``request``; ``history`` holds the session's earlier steps, most recent last."""
        if not isinstance(request, str) or not request.strip():
            raise InvalidRequestError("the request is empty: say what to change, e.g. \"make the sky purple\"")
        from langchain_core.messages import AIMessage, HumanMessage

        messages = self._messages(request, history)
        for _attempt in range(self.max_repairs + 1):
            answer, answer_text = self._ask(messages)
            try:
                return _validated_plan(request, answer)
            except ValueError as err:  # pydantic's ValidationError is a ValueError too
                error = _one_line(err)
            # Send the answer back as plain text (not as a tool call, which would need a tool reply).
            repair_request = HumanMessage(content=REPAIR_REQUEST.format(error=error))
            messages = [*messages, AIMessage(content=answer_text), repair_request]
        raise PlanValidationError(
            f"the planner model gave no valid plan for {request.strip()!r} "
            f"(after {self.max_repairs} repair round{'s' if self.max_repairs != 1 else ''}): {error}"
        )

    # -- the conversation ---------------------------------------------------------------------------------

    def _messages(self, request: str, history: Sequence[Step]) -> list:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        messages: list = [SystemMessage(content=self.system_prompt)]
        for example in self.examples:
            example_history = [Step.model_validate(step) for step in example.get("history", ())]
            messages.append(HumanMessage(content=_user_text(example["request"], example_history)))
            messages.append(AIMessage(content=json.dumps({"steps": example["steps"]})))
        steps = [step if isinstance(step, Step) else Step.model_validate(step) for step in history]
        messages.append(HumanMessage(content=_user_text(request, steps)))
        return messages

    def _ask(self, messages: list) -> tuple[Any, str]:
        """The model's answer (a dict from structured output, or text) and its text for a repair round."""
        try:
            if self._structured is not None:
                result = self._structured.invoke(messages)
                if result.get("parsed") is not None:
                    return result["parsed"], json.dumps(result["parsed"])
                raw = result.get("raw")
                tool_calls = getattr(raw, "tool_calls", None) or []
                if tool_calls:
                    return tool_calls[0].get("args"), json.dumps(tool_calls[0].get("args"))
                text = _text(getattr(raw, "content", ""))
                return text, text
            text = _text(self.model.invoke(messages).content)
            return text, text
        except EmilieError:
            raise
        except Exception as err:  # noqa: BLE001 - provider errors (network, auth, quota) become one clear line
            raise EmilieError(f"the planner model failed: {type(err).__name__}: {_one_line(err)}") from err


def _chat_model(model: Any):
    """A chat model object from "provider:name" (through LangChain) or as given."""
    if isinstance(model, str):
        name = model.strip()
        if ":" not in name:
            raise EmilieError(f'--model must be "provider:name", e.g. "openai:gpt-4o-mini" (got {model!r})')
        try:
            from langchain.chat_models import init_chat_model
        except ImportError as err:
            raise EmilieError(INSTALL_HINT) from err
        try:
            return init_chat_model(name)
        except Exception as err:  # noqa: BLE001 - a missing provider package or API key: say which, in one line
            raise EmilieError(f"cannot start chat model {name!r}: {_one_line(err)}") from err
    if not hasattr(model, "invoke"):
        raise EmilieError(f"not a chat model: {type(model).__name__} (pass a LangChain chat model or 'provider:name')")
    return model


def _structured_model(model: Any):
    """The model with structured output into PLAN_SCHEMA, or None where the model cannot do it."""
    try:
        return model.with_structured_output(PLAN_SCHEMA, include_raw=True)
    except (NotImplementedError, AttributeError):  # fake chat models, or a plain Runnable
        return None


def _user_text(request: str, history: Sequence[Step]) -> str:
    if not history:
        return f"Request: {request.strip()}"
    earlier = "\n".join(f"{n}. {step.describe()}" for n, step in enumerate(history, start=1))
    return f"Earlier steps in this session, oldest first:\n{earlier}\n\nRequest: {request.strip()}"


def _text(content: Any) -> str:
    """The text of a message's content, which may be a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or ():
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


def _validated_plan(request: str, answer: Any) -> Plan:
    """A Plan from the model's answer: a dict, a list of steps, or text holding JSON. ValueError otherwise."""
    if isinstance(answer, str):
        answer = _parse_json(answer)
    if isinstance(answer, list):
        answer = {"steps": answer}
    if not isinstance(answer, dict) or "steps" not in answer:
        raise ValueError('expected a JSON object with a "steps" list')
    return Plan(request=request, steps=answer["steps"])


def _parse_json(text: str) -> Any:
    text = _FENCE.sub("", text.strip())
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        raise ValueError("the answer holds no JSON")
    start = min(starts)
    end = max(text.rfind("}"), text.rfind("]")) + 1
    try:
        return json.loads(text[start:end])
    except json.JSONDecodeError as err:
        raise ValueError(f"the answer is not valid JSON ({err.msg} at character {err.pos})") from err


def _one_line(err: Exception) -> str:
    if isinstance(err, ValidationError):
        problems = []
        for problem in err.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "plan"
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        return "; ".join(problems)
    return " ".join(str(err).split()) or type(err).__name__
