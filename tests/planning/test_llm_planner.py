"""The LangChain planner, driven by LangChain's fake chat models: no provider is ever called."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from emilie_agent.errors import EmilieError, InvalidRequestError, PlanValidationError
from emilie_agent.planning.llm_planner import LLMPlanner
from emilie_agent.planning.plan import Plan, Step
from emilie_agent.planning.planner import make_planner
from emilie_agent.planning.rule_planner import RulePlanner

WINTER_AND_SCARF = {
    "steps": [
        {"instruction": "make it look like winter", "scope": "global", "target": None, "invert": False},
        {"instruction": "put a red scarf on the man", "scope": "local", "target": "man", "invert": False},
    ]
}


class RecordingFakeModel(FakeMessagesListChatModel):
    """A fake chat model that answers from a list and remembers what it was sent."""

    seen: list = []

    def invoke(self, messages, *args, **kwargs):
        self.seen.append(list(messages))
        return super().invoke(messages, *args, **kwargs)


def fake(*answers: str) -> RecordingFakeModel:
    return RecordingFakeModel(responses=[AIMessage(content=a) for a in answers], seen=[])


class ToolCallingFakeModel(GenericFakeChatModel):
    """A fake model that "supports" tool calling, so that with_structured_output takes the structured path."""

    bound_tools: list = []

    def bind_tools(self, tools, **kwargs):
        self.bound_tools.append(tools)
        return self


def tool_answer(args: dict) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": "plan", "args": args, "id": "call-1"}])


def test_plans_from_a_json_answer():
    plan = LLMPlanner(fake(json.dumps(WINTER_AND_SCARF))).plan("Winter please, and a red scarf on the man")
    assert plan.request == "Winter please, and a red scarf on the man"
    assert [(s.scope, s.target) for s in plan.steps] == [("global", None), ("local", "man")]


def test_accepts_json_wrapped_in_prose_or_a_code_fence():
    answer = "Here is the plan:\n```json\n" + json.dumps(WINTER_AND_SCARF) + "\n```"
    plan = LLMPlanner(fake(answer)).plan("make it winter and scarf the man")
    assert plan.steps[1].instruction == "put a red scarf on the man"


def test_prompt_has_system_text_examples_history_and_request():
    model = fake(json.dumps(WINTER_AND_SCARF))
    history = [Step(instruction="put a straw hat on the scarecrow", scope="local", target="scarecrow")]
    LLMPlanner(model).plan("make it bigger", history)
    messages = model.seen[0]
    assert isinstance(messages[0], SystemMessage) and '"steps"' in messages[0].content
    # few-shot pairs: a request, then the plan as JSON
    assert isinstance(messages[1], HumanMessage) and isinstance(messages[2], AIMessage)
    assert json.loads(messages[2].content)["steps"]
    last = messages[-1]
    assert isinstance(last, HumanMessage)
    assert "put a straw hat on the scarecrow" in last.content and "only: scarecrow" in last.content
    assert last.content.rstrip().endswith("Request: make it bigger")


def test_a_malformed_answer_is_repaired_once():
    bad = {"steps": [{"instruction": "make it snow", "scope": "global", "target": "sky", "invert": False}]}
    good = {"steps": [{"instruction": "make it snow", "scope": "global", "target": None, "invert": False}]}
    model = fake(json.dumps(bad), json.dumps(good))
    plan = LLMPlanner(model).plan("make it snow")
    assert plan.steps[0].target is None
    assert len(model.seen) == 2
    repair = model.seen[1]
    assert isinstance(repair[-2], AIMessage) and json.loads(repair[-2].content) == bad
    assert isinstance(repair[-1], HumanMessage) and "cannot have a target" in repair[-1].content


def test_text_that_is_not_json_is_repaired_too():
    model = fake("I would make it snowy.", json.dumps({"steps": [{"instruction": "make it snowy", "scope": "global"}]}))
    assert LLMPlanner(model).plan("snow!").steps[0].instruction == "make it snowy"
    assert "not" in model.seen[1][-1].content and "JSON" in model.seen[1][-1].content


def test_an_answer_that_stays_malformed_is_one_clear_error():
    local_without_target = {"steps": [{"instruction": "add a hat", "scope": "local", "target": None}]}
    model = fake(json.dumps(local_without_target), json.dumps(local_without_target), json.dumps(WINTER_AND_SCARF))
    with pytest.raises(PlanValidationError) as caught:
        LLMPlanner(model).plan("add a hat")
    message = str(caught.value)
    assert "\n" not in message
    assert "add a hat" in message and "repair" in message and "needs a target" in message
    assert len(model.seen) == 2  # the answer, one repair; the third answer is never asked for


def test_no_repair_when_max_repairs_is_zero():
    model = fake('{"steps": []}', json.dumps(WINTER_AND_SCARF))
    with pytest.raises(PlanValidationError, match="at least 1"):
        LLMPlanner(model, max_repairs=0).plan("do something")
    assert len(model.seen) == 1


def test_uses_structured_output_when_the_model_supports_tools():
    model = ToolCallingFakeModel(messages=iter([tool_answer(WINTER_AND_SCARF)]), bound_tools=[])
    plan = LLMPlanner(model).plan("winter, then a red scarf for the man")
    assert [s.target for s in plan.steps] == [None, "man"]
    assert model.bound_tools, "with_structured_output should have bound the plan schema as a tool"


def test_structured_answer_that_does_not_validate_is_repaired():
    bad = {"steps": [{"instruction": "", "scope": "global", "target": None, "invert": False}]}
    model = ToolCallingFakeModel(messages=iter([tool_answer(bad), tool_answer(WINTER_AND_SCARF)]), bound_tools=[])
    assert len(LLMPlanner(model).plan("winter and a scarf").steps) == 2


def test_provider_failure_is_one_line_emilie_error():
    class BrokenModel(FakeMessagesListChatModel):
        def invoke(self, *args, **kwargs):
            raise ConnectionError("network is unreachable")

    with pytest.raises(EmilieError, match="planner model failed: ConnectionError: network is unreachable"):
        LLMPlanner(BrokenModel(responses=[])).plan("make it pop")


def test_empty_request_is_rejected_before_calling_the_model():
    model = fake(json.dumps(WINTER_AND_SCARF))
    with pytest.raises(InvalidRequestError):
        LLMPlanner(model).plan("  ")
    assert model.seen == []


def test_model_string_must_name_a_provider():
    with pytest.raises(EmilieError, match="provider:name"):
        LLMPlanner("gpt-4o-mini")


def test_model_string_for_a_provider_that_is_not_installed_is_a_clear_error():
    with pytest.raises(EmilieError, match="cannot start chat model 'nosuchprovider:some-model'"):
        LLMPlanner("nosuchprovider:some-model")


def test_make_planner_chooses_and_explains():
    assert isinstance(make_planner(), RulePlanner)
    assert isinstance(make_planner("llm", fake("{}")), LLMPlanner)
    with pytest.raises(EmilieError, match="needs a chat model"):
        make_planner("llm")
    with pytest.raises(EmilieError, match="unknown planner 'magic'"):
        make_planner("magic")
    with pytest.raises(EmilieError, match="takes no model"):
        make_planner("rules", "openai:gpt-4o-mini")


def test_missing_langchain_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "langchain.chat_models", None)  # makes the import fail
    with pytest.raises(EmilieError, match=r'pip install "emilie-agent\[llm\]"'):
        LLMPlanner("openai:gpt-4o-mini")


def test_the_schema_the_model_sees_comes_from_the_plan_model():
    model = fake(json.dumps(WINTER_AND_SCARF))
    LLMPlanner(model).plan("make it winter")
    system = model.seen[0][0].content
    # Every field of a Step, with the description written on the model, is in the schema the model is shown.
    for name, field in Step.model_fields.items():
        assert f'"{name}"' in system and json.dumps(field.description)[1:-1] in system
    assert '"minItems": 1' in system  # the Plan's "at least one step"


def test_structured_output_binds_the_plan_model_as_the_tool():
    model = ToolCallingFakeModel(messages=iter([tool_answer(WINTER_AND_SCARF)]), bound_tools=[])
    LLMPlanner(model).plan("winter, then a red scarf for the man")
    (tool,) = model.bound_tools[0]
    assert issubclass(tool, Plan) and tool.model_json_schema()["title"] == "plan"
    assert "request" not in tool.model_json_schema()["properties"]  # the model does not repeat the request


def test_a_request_over_the_length_cap_is_refused_before_the_model_is_asked():
    from emilie_agent.planning.plan import MAX_REQUEST_CHARS

    model = fake(json.dumps(WINTER_AND_SCARF))
    with pytest.raises(InvalidRequestError, match="too long"):
        LLMPlanner(model).plan("make it red " * MAX_REQUEST_CHARS)
    assert model.seen == []


def test_an_answer_with_more_steps_than_the_cap_is_sent_back():
    from emilie_agent.planning.plan import MAX_STEPS

    too_many = {"steps": [{"instruction": "make it red", "scope": "global"}] * (MAX_STEPS + 1)}
    model = fake(json.dumps(too_many), json.dumps(WINTER_AND_SCARF))
    assert len(LLMPlanner(model).plan("make it winter, then put a red scarf on the man").steps) == 2
    assert "at most 20" in model.seen[1][-1].content
