"""A request planner backed by any LangChain chat model.

The model gets the system prompt (``prompts/planner_system.md``) followed by the JSON schema of the answer,
generated from the :class:`~emilie_agent.planning.plan.Plan` model; then a few worked examples
(``prompts/planner_examples.json``), the session's earlier steps and the request. Where the model supports
structured output (tool calling) the same model is its tool schema (``with_structured_output``); otherwise, as
with LangChain's fake chat models, the text answer is read by LangChain's ``JsonOutputParser`` (code fences
included). Either way the answer is validated against :class:`Plan`; an answer that does not validate is sent
back once with the error ("repair"), then we give up with a clear
:class:`~emilie_agent.errors.PlanValidationError`.

LangChain is an optional dependency (``pip install "emilie-agent[llm]"``): it is imported only inside the
functions that talk to the model, so that this module, and ``emilie-agent plan`` with the rule planner, load
without it.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from pydantic import ConfigDict, ValidationError
from pydantic.json_schema import SkipJsonSchema

from ..errors import EmilieError, PlanValidationError
from .plan import Plan, Step, check_request
from .prompts import read_prompt

INSTALL_HINT = 'the llm planner needs LangChain: pip install "emilie-agent[llm]"'

REPAIR_REQUEST = (
    "That answer is not a valid plan: {error}\n"
    "Answer again with only the corrected JSON object, in the schema given in the instructions."
)


class PlanAnswer(Plan):
    """The picture edits that carry out the person's request, in order."""

    # What the model fills in: a Plan without the request, which we already have. The tool is named "plan".
    model_config = ConfigDict(title="plan")

    request: SkipJsonSchema[str] = ""


class LLMPlanner:
    """Plans requests with a chat model: ``LLMPlanner("openai:gpt-4o-mini")`` or ``LLMPlanner(model_object)``."""

    def __init__(self, model: Any, *, max_repairs: int = 1):
        if max_repairs < 0:
            raise ValueError("max_repairs must be >= 0")
        self.model = _chat_model(model)
        self.max_repairs = max_repairs
        self.system_prompt = read_prompt("planner_system.md").rstrip() + "\n\n" + _format_instructions()
        self.examples = json.loads(read_prompt("planner_examples.json"))
        self._structured = _structured_model(self.model)

    def plan(self, request: str, history: Sequence[Step] = ()) -> Plan:
        """Plan ``request``; ``history`` holds the session's earlier steps, most recent last."""
        check_request(request)
        # LangChain is an optional extra: imported only once a model is asked.
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
        # LangChain is an optional extra: imported only once a model is asked.
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
        """The model's answer (a PlanAnswer, the arguments of its tool call, or text) and its text for a repair
        round."""
        try:
            if self._structured is not None:
                result = self._structured.invoke(messages)
                if result.get("parsed") is not None:
                    parsed: PlanAnswer = result["parsed"]
                    return parsed, parsed.model_dump_json(exclude={"request"})
                # The tool call did not validate as a plan: validate it ourselves, for the repair message.
                raw = result.get("raw")
                tool_calls = getattr(raw, "tool_calls", None) or []
                if tool_calls:
                    return tool_calls[0].get("args"), json.dumps(tool_calls[0].get("args"))
                text = raw.text if raw is not None else ""
                return text, text
            text = self.model.invoke(messages).text
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
            # LangChain is an optional extra: say how to install it when it is missing.
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
    """The model with structured output into :class:`PlanAnswer` (as a tool), or None where it cannot do it."""
    try:
        return model.with_structured_output(PlanAnswer, include_raw=True)
    except (NotImplementedError, AttributeError):  # fake chat models, or a plain Runnable
        return None


def _format_instructions() -> str:
    """LangChain's words for "answer with JSON in this schema", with the schema of :class:`PlanAnswer`."""
    # LangChain is an optional extra: imported only once a planner is made (a model is at hand, so it is there).
    from langchain_core.output_parsers import JsonOutputParser

    return JsonOutputParser(pydantic_object=PlanAnswer).get_format_instructions()


def _user_text(request: str, history: Sequence[Step]) -> str:
    if not history:
        return f"Request: {request.strip()}"
    earlier = "\n".join(f"{n}. {step.describe()}" for n, step in enumerate(history, start=1))
    return f"Earlier steps in this session, oldest first:\n{earlier}\n\nRequest: {request.strip()}"


def _validated_plan(request: str, answer: Any) -> Plan:
    """A Plan from the model's answer: a PlanAnswer, a dict, a list of steps, or text holding JSON (in a code
    fence or not). ValueError otherwise."""
    if isinstance(answer, PlanAnswer):
        return Plan(request=request, steps=answer.steps)
    if isinstance(answer, str):
        # LangChain is an optional extra: only a LangChain model gives a text answer.
        from langchain_core.exceptions import OutputParserException
        from langchain_core.output_parsers import JsonOutputParser

        try:
            answer = JsonOutputParser().parse(answer)
        except OutputParserException as err:
            raise ValueError("the answer is not valid JSON") from err
    if isinstance(answer, list):
        answer = {"steps": answer}
    if not isinstance(answer, dict) or "steps" not in answer:
        raise ValueError('expected a JSON object with a "steps" list')
    return Plan(request=request, steps=answer["steps"])


def _one_line(err: Exception) -> str:
    if isinstance(err, ValidationError):
        problems = []
        for problem in err.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "plan"
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        return "; ".join(problems)
    return " ".join(str(err).split()) or type(err).__name__
