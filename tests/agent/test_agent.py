"""The editing agent on the tiny editor: plans, masks, edits, commands, memory, errors.

The masker here is a stand-in that knows where things are in ``make_picture()`` (so that masks, not found
targets and granularities are exact); the end-to-end CLI tests use the real (tiny) masker.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from emilie_agent.agent.agent import EditingAgent, choose_granularity
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import EditFailedError, PlanValidationError, TargetNotFoundError
from emilie_agent.planning.llm_planner import LLMPlanner
from emilie_agent.planning.plan import Step
from emilie_agent.planning.rule_planner import RulePlanner
from emilie_agent.editing.session import EditSession
from tests.fakes import BoxMasker, dilate

FAST = EditSettings(steps=2, seed=10, preserve="exact")


@pytest.fixture
def session(tiny_editor, picture):
    return EditSession.start(tiny_editor, picture, model="tiny")


@pytest.fixture
def masker():
    return BoxMasker()


def make_agent(session, masker, **options):
    return EditingAgent(session, masker=masker, settings=FAST, **options)


def test_three_step_request_makes_three_turns_with_the_right_scopes_and_masks(session, masker, picture):
    agent = make_agent(session, masker)
    reply = agent.handle(
        "make it look like winter, then make the door blue and make everything except the man black and white"
    )
    assert reply.ok, reply.text
    assert [t.id for t in reply.turns] == [1, 2, 3]
    assert [s.status for s in reply.steps] == ["done", "done", "done"]
    winter, door, rest = reply.turns
    assert (winter.context.scope, winter.mask) == ("global", None)
    assert (door.context.scope, door.context.target, door.context.invert) == ("local", "door", False)
    assert np.array_equal(door.mask, masker.box_mask(picture.size, "door"))
    assert (rest.context.target, rest.context.invert) == ("man", True)
    assert np.array_equal(rest.mask, 1.0 - masker.box_mask(picture.size, "man"))
    # Seeds differ per step and are recorded: settings.seed + turn id.
    assert [t.settings.seed for t in reply.turns] == [11, 12, 13]
    assert all(t.picture.size == picture.size for t in reply.turns)
    assert [t.id for t in session.history()] == [0, 1, 2, 3]
    # Exact preservation: outside the door's mask the picture is untouched.
    before, after = np.asarray(winter.picture), np.asarray(door.picture)
    outside = ~dilate(door.mask > 0, 12)
    assert np.array_equal(after[outside], before[outside])
    # The report says scope, target, mask area and seed per step; local steps come with a mask preview.
    lines = reply.text.splitlines()
    assert "whole picture" in lines[0] and "seed 11" in lines[0]
    assert "'door'" in lines[1] and f"{door.mask.mean():.0%}" in lines[1] and "seed 12" in lines[1]
    assert "everything except 'man'" in lines[2]
    assert [label for label, _ in reply.mask_previews] == ["turn #2 mask", "turn #3 mask"]
    assert reply.mask_previews[0][1].size == picture.size


@pytest.mark.parametrize(
    "instruction, target, invert, expected",
    [
        ("recolor the car red", "car", False, "object"),
        ("make the door blue", "door", False, "object"),
        ("turn the dog into a cat", "dog", False, "object"),
        ("put a red scarf on the man", "man", False, "region"),
        ("add a bird near the tree", "tree", False, "region"),
        ("please give the man a hat", "man", False, "region"),
        ("make the hat bigger", "hat", False, "region"),
        ("make it black and white", "man", True, "object"),
    ],
)
def test_granularity_follows_the_instruction(instruction, target, invert, expected):
    step = Step(instruction=instruction, scope="local", target=target, invert=invert)
    assert choose_granularity(step) == expected


def test_global_step_has_global_granularity():
    assert choose_granularity(Step(instruction="make it snow", scope="global")) == "global"


def test_the_chosen_granularity_reaches_the_masker(session, masker):
    agent = make_agent(session, masker)
    agent.handle("put a red scarf on the man")
    assert masker.calls == [("man", "region", False)]
    assert session.current.context.granularity == "region"


def test_target_not_found_is_reported_and_skipped(session, masker):
    agent = make_agent(session, masker)
    reply = agent.handle("make it snow, then make the dragon red, then make the door blue")
    assert reply.ok
    assert [s.status for s in reply.steps] == ["done", "skipped", "done"]
    assert "found nothing matching 'dragon'" in reply.text.splitlines()[1]
    assert [t.instruction for t in session.history()[1:]] == ["make it snow", "make the door blue"]


def test_target_not_found_can_stop_the_request(session, masker, tmp_path):
    agent = make_agent(session, masker, on_missing="stop", autosave_dir=tmp_path / "s")
    reply = agent.handle("make it snow, then make the dragon red, then make the door blue")
    assert isinstance(reply.error, TargetNotFoundError)
    assert [s.status for s in reply.steps] == ["done", "not found", "not run"]
    assert "Stopped:" in reply.text
    assert session.head == 1
    assert [t.id for t in EditSession.load(tmp_path / "s").history()] == [0, 1]


def test_a_failed_edit_stops_the_request_and_records_nothing_half_done(session, masker):
    def progress(label):
        def callback(done, total):
            if label.startswith("step 2/"):
                raise EditFailedError("the edit produced NaN latents")

        return callback

    agent = make_agent(session, masker, progress=progress)
    reply = agent.handle("make it snow, then make the door blue, then make the sky red")
    assert isinstance(reply.error, EditFailedError)
    assert [s.status for s in reply.steps] == ["done", "failed", "not run"]
    assert sorted(session.turns) == [0, 1] and session.head == 1


def test_masker_is_loaded_only_when_a_local_step_needs_it(session, masker):
    loads = []

    def load_masker():
        loads.append(1)
        return masker

    agent = EditingAgent(session, masker=load_masker, settings=FAST)
    agent.handle("make it snow")
    assert loads == []
    agent.handle("make the door blue")
    agent.handle("make the sky red")
    assert loads == [1]


def test_a_masker_that_cannot_load_is_reported_without_losing_the_finished_steps(session, tmp_path):
    from emilie_agent.errors import ModelNotAvailableError

    def load_masker():
        raise ModelNotAvailableError("GroundingDINO is not in the cache: fetch it first")

    agent = EditingAgent(session, masker=load_masker, settings=FAST, autosave_dir=tmp_path / "s")
    reply = agent.handle("make it snow, then make the door blue")
    assert isinstance(reply.error, ModelNotAvailableError)
    assert [s.status for s in reply.steps] == ["done", "failed"]
    assert len(EditSession.load(tmp_path / "s").turns) == 2


class RecordingPlanner:
    def __init__(self):
        self.inner = RulePlanner()
        self.histories: list[list[Step]] = []

    def plan(self, request, history=()):
        self.histories.append(list(history))
        return self.inner.plan(request, history)


def test_later_messages_see_the_earlier_steps_and_reuse_their_masks(session, masker):
    planner = RecordingPlanner()
    agent = EditingAgent(session, planner=planner, masker=masker, settings=FAST)
    agent.handle("put a hat on the man")
    reply = agent.handle("make the hat bigger")
    assert planner.histories[1] == [Step(instruction="put a hat on the man", scope="local", target="man")]
    # The masker cannot find the new hat; the edit that put it there says where it is.
    hat_turn, bigger_turn = session.turns[1], session.turns[2]
    assert reply.ok and bigger_turn.parent == hat_turn.id
    assert np.array_equal(bigger_turn.mask, hat_turn.mask)
    assert bigger_turn.context.mask_source == "turn #1"
    assert "used the mask of turn #1" in reply.text


class ForgetfulMasker(BoxMasker):
    """Finds each thing only the first time it is asked: after an edit has repainted it, it is not recognised."""

    def mask(self, image, phrase, granularity="object", spread=None, invert=False, multiple=None):
        key = phrase.lower().removeprefix("the ").strip()
        if any(call[0].lower().removeprefix("the ").strip() == key for call in self.calls):
            phrase = "nothing known"
        return super().mask(image, phrase, granularity, spread, invert, multiple)


def test_everything_except_a_thing_an_earlier_edit_masked_inverts_that_edits_mask(session):
    masker = ForgetfulMasker()
    agent = EditingAgent(session, masker=masker, settings=FAST)
    agent.handle("make the man red")
    reply = agent.handle("make everything except the man blue")
    red, blue = session.turns[1], session.turns[2]
    assert reply.ok and blue.parent == red.id
    assert masker.calls[-1] == ("nothing known", "object", True)  # the masker did not find the man again
    # The remembered mask, inverted: the second edit changes exactly what the first one did not.
    assert np.array_equal(red.mask, masker.box_mask(session.turns[0].picture.size, "man"))
    assert np.array_equal(blue.mask, 1.0 - red.mask)
    assert (blue.context.invert, blue.context.mask_source) == (True, "turn #1")
    assert "used the mask of turn #1 'make the man red'" in reply.text
    assert f"{1.0 - red.mask.mean():.0%}" in reply.text


def test_undo_redo_history_and_branches(session, masker):
    agent = make_agent(session, masker)
    agent.handle("make it snow")
    agent.handle("make the door blue")
    agent.handle("make the sky red")
    reply = agent.handle("undo the last two")
    assert reply.ok and session.head == 1 and "Undid the last 2 edits" in reply.text
    assert agent.handle("redo").current.id == 2
    agent.handle("undo")
    agent.handle("make the man green")  # a new branch from #1
    history = agent.handle("show history").text
    assert history.splitlines()[0].startswith("  #0")
    assert "* " in history and "#4 'make the man green'" in history
    assert "branches" in history and session.branches() == [3, 4]
    refused = agent.handle("undo 9")
    assert refused.error is not None and "nothing to undo" in refused.text and session.head == 4


def test_go_back_to_before_an_edit_by_what_it_said(session, masker):
    agent = make_agent(session, masker)
    agent.handle("make it snow")
    agent.handle("make the door blue")
    agent.handle("make the sky red")
    reply = agent.handle("go back to before the snow")
    assert reply.ok and session.head == 0
    assert "before #1 'make it snow'" in reply.text
    agent.handle("go to turn 3")
    reply = agent.handle("go back to before the blue door")
    assert session.head == 1
    missing = agent.handle("go back to before the dragon")
    assert missing.error is not None and session.head == 1


def test_start_over_keeps_the_edits(session, masker):
    agent = make_agent(session, masker)
    agent.handle("make it snow")
    reply = agent.handle("start over")
    assert session.head == 0 and len(session) == 2 and "original picture" in reply.text


def test_show_the_mask_of_the_current_edit_or_of_a_phrase(session, masker, picture):
    agent = make_agent(session, masker)
    assert "original picture" in agent.handle("show the mask").text
    agent.handle("make it snow")
    assert "whole picture" in agent.handle("show the mask").text
    agent.handle("make the door blue")
    reply = agent.handle("show the mask")
    assert [label for label, _ in reply.mask_previews] == ["turn #2 mask"]
    assert f"{session.current.mask.mean():.0%}" in reply.text
    reply = agent.handle("show the mask for the man")
    assert reply.mask_previews and len(session) == 3  # previews record nothing
    assert agent.handle("show the mask for the dragon").error is not None


def test_save_command_and_autosave(session, masker, tmp_path):
    agent = make_agent(session, masker, autosave_dir=tmp_path / "auto")
    agent.handle("make it snow")
    assert EditSession.load(tmp_path / "auto").head == 1
    agent.handle("undo")
    assert EditSession.load(tmp_path / "auto").head == 0  # moves are saved too
    reply = agent.handle(f"save to {tmp_path / 'Copy'}")
    assert reply.ok and len(EditSession.load(tmp_path / "Copy")) == 2
    unsaved = make_agent(session, masker)
    assert unsaved.handle("save").error is not None


def test_help_and_quit(session, masker):
    agent = make_agent(session, masker)
    assert "undo" in agent.handle("help").text
    assert agent.handle("quit").quit


def test_empty_message_is_refused_clearly(session, masker):
    reply = make_agent(session, masker).handle("   ")
    assert reply.error is not None and "say what to change" in reply.text


def test_interrupt_during_second_step_leaves_exactly_the_first_turn(session, masker, tmp_path, tiny_editor):
    def progress(label):
        def callback(done, total):
            if label.startswith("step 2/"):
                raise KeyboardInterrupt

        return callback

    agent = make_agent(session, masker, autosave_dir=tmp_path / "s", progress=progress)
    with pytest.raises(KeyboardInterrupt):
        agent.handle("make it snow, then make the door blue, then make the sky red")
    loaded = EditSession.load(tmp_path / "s", tiny_editor)
    assert sorted(loaded.turns) == [0, 1] and loaded.current.instruction == "make it snow"
    assert sorted(session.turns) == [0, 1]  # in memory too: nothing half-applied
    # The loaded session carries on.
    resumed = make_agent(loaded, masker)
    assert resumed.handle("make the door blue").turns[0].parent == 1


def test_concurrent_edits_are_serialised(session, masker):
    agent = make_agent(session, masker)
    errors = []

    def edit(instruction):
        try:
            agent.edit(instruction)
        except Exception as err:  # noqa: BLE001 - surfaced by the assert below
            errors.append(err)

    threads = [threading.Thread(target=edit, args=(f"make it {w}",)) for w in ("snowy", "rainy", "sunny")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    chain = session.history()
    assert [t.id for t in chain] == [0, 1, 2, 3]  # one line of turns, each on the previous one
    assert all(turn.parent == prev.id for prev, turn in zip(chain, chain[1:]))


class FakePlannerModel(FakeMessagesListChatModel):
    """A chat model that answers with the given texts, in order."""


def test_malformed_llm_plan_is_repaired(session, masker):
    model = FakePlannerModel(
        responses=[
            AIMessage(content='{"steps": [{"instruction": "make the door blue", "scope": "local"}]}'),
            AIMessage(content='{"steps": [{"instruction": "make the door blue", "scope": "local", "target": "door"}]}'),
        ]
    )
    agent = EditingAgent(session, planner=LLMPlanner(model), masker=masker, settings=FAST)
    reply = agent.handle("paint the door blue")
    assert reply.ok and session.current.context.target == "door"


def test_malformed_llm_plan_that_stays_malformed_is_refused(session, masker):
    model = FakePlannerModel(responses=[AIMessage(content="I would paint it."), AIMessage(content="[]")])
    agent = EditingAgent(session, planner=LLMPlanner(model), masker=masker, settings=FAST)
    reply = agent.handle("paint the door blue")
    assert isinstance(reply.error, PlanValidationError)
    assert reply.text.startswith("Could not plan that:") and "no valid plan" in reply.text
    assert len(session) == 1 and reply.turns == []


@pytest.mark.parametrize(
    "instruction, target, several",
    [
        ("remove the people", "person", True),
        ("make the apples red", "apple", True),
        ("put hats on the men", "man", True),
        ("make the apple red", "apple", False),
        ("make the glass of wine bigger", "glass", False),
        ("make the bus yellow", "bus", False),
    ],
)
def test_a_plural_instruction_asks_the_masker_for_every_match(instruction, target, several):
    from emilie_agent.agent.agent import speaks_of_several

    assert speaks_of_several(Step(instruction=instruction, scope="local", target=target)) is several


def test_plural_steps_reach_the_masker_as_multiple(session, masker):
    agent = make_agent(session, masker)
    agent.handle("make the doors blue")
    assert masker.calls[-1][0] == "door" and masker.multiple is True
    agent.handle("make the door red")
    assert masker.multiple is None
