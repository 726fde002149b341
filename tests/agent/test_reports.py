"""What the agent says about each step (no models involved)."""
from __future__ import annotations

from dataclasses import dataclass

from emilie_agent.agent.reports import AgentReply, StepReport
from emilie_agent.planning.plan import Step


@dataclass
class FakeTurn:
    id: int


def test_a_done_step_says_where_with_which_seed_and_which_turn():
    winter = Step(instruction="make it winter", scope="global")
    assert StepReport(1, 3, winter, "done", "global", turn=FakeTurn(1), seed=11).describe() == (
        "1/3 'make it winter': on the whole picture, seed 11 -> turn #1"
    )
    rest = Step(instruction="make it black and white", scope="local", target="man", invert=True)
    report = StepReport(3, 3, rest, "done", "object", turn=FakeTurn(3), seed=13, mask_area=0.874, note="n")
    assert report.describe() == (
        "3/3 'make it black and white': on everything except 'man' (object mask, 87% of the picture), "
        "seed 13 -> turn #3 (n)"
    )


def test_a_step_that_was_not_done_says_why():
    door = Step(instruction="make the door blue", scope="local", target="door")
    report = StepReport(2, 3, door, "skipped", "object", note="found nothing matching 'door'")
    assert report.describe() == "2/3 'make the door blue': skipped: found nothing matching 'door'"
    assert StepReport(3, 3, door, "not run", "object").describe() == "3/3 'make the door blue': not run"


def test_a_reply_lists_the_turns_it_made_and_is_ok_without_an_error():
    door = Step(instruction="make the door blue", scope="local", target="door")
    steps = [
        StepReport(1, 2, door, "done", "object", turn=FakeTurn(4)),
        StepReport(2, 2, door, "skipped", "object"),
    ]
    reply = AgentReply(text="...", steps=steps)
    assert reply.ok and [turn.id for turn in reply.turns] == [4]
