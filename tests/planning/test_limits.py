"""The planner's limits: the length of a request and the number of steps, refused with a clear error; and odd
inputs of every shape at the cap end in a plan or an InvalidRequestError, nothing else."""
from __future__ import annotations

import random
import string

import pytest
from pydantic import ValidationError

from emilie_agent.errors import InvalidRequestError
from emilie_agent.planning.plan import MAX_REQUEST_CHARS, MAX_STEPS, Plan, check_request
from emilie_agent.planning.rule_planner import RulePlanner


@pytest.fixture(scope="module")
def planner() -> RulePlanner:
    return RulePlanner()


def _at_cap(text: str) -> str:
    return (text * (MAX_REQUEST_CHARS // len(text) + 1))[:MAX_REQUEST_CHARS]


def test_a_request_at_the_cap_plans(planner):
    request = _at_cap("make the car red and the boat " + "very " * 20 + "blue ")
    assert len(request) == MAX_REQUEST_CHARS
    assert planner.plan(request).steps


@pytest.mark.parametrize("size", [MAX_REQUEST_CHARS + 1, 10_000, 1_000_000])
def test_a_request_over_the_cap_is_refused_before_it_is_read(planner, size):
    request = _at_cap("make it red ")[: MAX_REQUEST_CHARS // 2] + "x" * (size - MAX_REQUEST_CHARS // 2)
    with pytest.raises(InvalidRequestError, match=f"too long: {size:,} characters, at most {MAX_REQUEST_CHARS:,}"):
        planner.plan(request)


def test_blanks_around_a_request_do_not_count():
    assert check_request("  make it red  " + " " * 3 * MAX_REQUEST_CHARS) == "make it red"


def test_more_steps_than_the_cap_is_refused(planner):
    assert len(planner.plan("make the cup red. " * MAX_STEPS).steps) == MAX_STEPS
    with pytest.raises(InvalidRequestError, match=f"asks for {MAX_STEPS + 1} edits, at most {MAX_STEPS}"):
        planner.plan("make the cup red. " * (MAX_STEPS + 1))


def test_a_plan_holds_at_most_the_cap_of_steps():
    step = {"instruction": "make it red", "scope": "global"}
    with pytest.raises(ValidationError):
        Plan(request="x", steps=[step] * (MAX_STEPS + 1))


SHAPES = [
    "and ", ", ", "make ", "please ", "the ", "1. ", "- ", "* make the ", "what if ", "a) b) ", "it ",
    "make the big red car and the small blue boat and ", "red, blue, green, ", "teh mak lok ", "hi! thanks! ",
    "imagine the ", "don't change ", "except ", "keep the dog and ", ": ", "everything else ", "'s ",
]


@pytest.mark.parametrize("shape", SHAPES)
def test_odd_requests_at_the_cap_plan_or_fail_clearly(planner, shape):
    for request in (_at_cap(shape), shape + "make it red", _at_cap(shape)[:300] + " make the sky blue"):
        try:
            planner.plan(request)
        except InvalidRequestError as err:
            assert str(err) and "\n" not in str(err)


def test_random_text_plans_or_fails_clearly(planner):
    rng = random.Random(12)
    alphabet = string.ascii_letters + string.digits + " ,.;:!?'-*()\n\t\u2022\u2019"
    for _ in range(300):
        request = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        try:
            planner.plan(request)
        except InvalidRequestError as err:
            assert str(err) and "\n" not in str(err)
