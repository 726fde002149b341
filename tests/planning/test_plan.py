"""The shared plan model: what a valid step is, and how a plan prints."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from emilie_agent.planning.plan import Plan, Step


def test_local_step_keeps_its_target_and_strips_whitespace():
    step = Step(instruction="  turn the car   blue ", scope="local", target="  car ")
    assert step.instruction == "turn the car blue"
    assert step.target == "car"
    assert step.invert is False


def test_global_step_has_no_target():
    step = Step(instruction="make it look like winter", scope="global")
    assert step.target is None and step.invert is False


def test_blank_target_on_a_global_step_reads_as_none():
    assert Step(instruction="make it autumn", scope="global", target="  ").target is None


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"instruction": "   ", "scope": "global"}, "instruction is empty"),
        ({"instruction": "", "scope": "local", "target": "dog"}, "instruction is empty"),
        ({"instruction": "paint the fence white", "scope": "local"}, "needs a target"),
        ({"instruction": "paint the fence white", "scope": "local", "target": " "}, "needs a target"),
        ({"instruction": "make it snow", "scope": "global", "target": "sky"}, "cannot have a target"),
        ({"instruction": "make it sepia", "scope": "global", "invert": True}, "cannot be inverted"),
        ({"instruction": "make it sepia", "scope": "everywhere"}, "scope"),
    ],
)
def test_invalid_steps_are_rejected(fields, problem):
    with pytest.raises(ValidationError, match=problem):
        Step(**fields)


def test_plan_needs_at_least_one_step():
    with pytest.raises(ValidationError):
        Plan(request="make it pop", steps=[])


def test_plan_validates_steps_given_as_dicts():
    plan = Plan(request="x", steps=[{"instruction": "add a kite", "scope": "local", "target": "sky"}])
    assert plan.steps[0] == Step(instruction="add a kite", scope="local", target="sky")
    with pytest.raises(ValidationError):
        Plan(request="x", steps=[{"instruction": "add a kite", "scope": "local"}])


def test_to_json_dict_is_the_cli_contract():
    plan = Plan(
        request=" Make it dusk and paint the boat orange ",
        steps=[
            Step(instruction="make it dusk", scope="global"),
            Step(instruction="paint the boat orange", scope="local", target="boat"),
        ],
    )
    data = plan.to_json_dict()
    assert data == {
        "request": "Make it dusk and paint the boat orange",
        "steps": [
            {"instruction": "make it dusk", "scope": "global", "target": None, "invert": False},
            {"instruction": "paint the boat orange", "scope": "local", "target": "boat", "invert": False},
        ],
    }
    assert Plan.model_validate(json.loads(json.dumps(data))) == plan


def test_describe_numbers_the_steps_and_says_where_each_applies():
    plan = Plan(
        request="Make everything but the dog sepia, then give the dog a bandana.",
        steps=[
            Step(instruction="make it sepia", scope="local", target="dog", invert=True),
            Step(instruction="give the dog a bandana", scope="local", target="dog"),
            Step(instruction="add film grain", scope="global"),
        ],
    )
    lines = plan.describe().splitlines()
    assert "3 steps" in lines[0] and "Make everything but the dog sepia" in lines[0]
    assert lines[1].strip().startswith("1. make it sepia") and "everything except: dog" in lines[1]
    assert lines[2].strip().startswith("2. give the dog a bandana") and "only: dog" in lines[2]
    assert "whole picture" in lines[3]
