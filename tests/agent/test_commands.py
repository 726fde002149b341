"""Telling commands from edit requests (no models involved)."""
from __future__ import annotations

import pytest

from emilie_agent.agent.commands import Command, mentions, parse_command


@pytest.mark.parametrize(
    "message, expected",
    [
        ("undo", Command("undo")),
        ("Undo.", Command("undo")),
        ("undo 3", Command("undo", count=3)),
        ("undo the last two", Command("undo", count=2)),
        ("please undo the last 3 edits, thanks!", Command("undo", count=3)),
        ("undo twice", Command("undo", count=2)),
        ("undo that", Command("undo")),
        ("undo a couple of edits", Command("undo", count=2)),
        ("go back two steps", Command("undo", count=2)),
        ("redo", Command("redo")),
        ("redo twice", Command("redo", count=2)),
        ("show history", Command("history")),
        ("Show me the history", Command("history")),
        ("history", Command("history")),
        ("show the mask", Command("show_mask")),
        ("show me the mask for the man", Command("show_mask", phrase="the man")),
        ("start over", Command("start_over")),
        ("reset", Command("start_over")),
        ("save", Command("save")),
        ("save the session", Command("save")),
        ("save to My Sessions/Winter", Command("save", path="My Sessions/Winter")),
        ("save out/", Command("save", path="out/")),
        ("go back to before the snow", Command("go_back_before", phrase="the snow")),
        ("Back to before the hat.", Command("go_back_before", phrase="the hat")),
        ("go to turn 4", Command("checkout", turn_id=4)),
        ("help", Command("help")),
        ("quit", Command("quit")),
        ("exit", Command("quit")),
    ],
)
def test_commands_are_understood(message, expected):
    assert parse_command(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "make the hat bigger",
        "undo the red colour on the door and make it green",
        "remove the mask from the man",
        "save the dog from the fire",
        "show me a dog in the garden",
        "make it snow, then undo nothing",
        "",
        "   ",
    ],
)
def test_edit_requests_are_not_commands(message):
    assert parse_command(message) is None


@pytest.mark.parametrize(
    "text, phrase, expected",
    [
        ("make it snowy", "the snow", True),
        ("add snow on the roof", "snow", True),
        ("put a hat on the man", "the hat", True),
        ("put hats on the men", "hat", True),
        ("remove the people", "the person", True),  # the same noun in either number
        ("sharpen the knives", "knife", True),
        ("make it winter", "the snow", False),
        ("make the sky blue", "the sky is", False),  # every content word must be there
        ("make it look old", "the", False),  # nothing to look for
        (None, "snow", False),
    ],
)
def test_mentions_matches_words_by_stem(text, phrase, expected):
    assert mentions(text, phrase) is expected


@pytest.mark.parametrize(
    "message, kind, says",
    [
        ("go to turn -1", "checkout", "'-1' is not a turn number"),
        ("go to turn abc", "checkout", "'abc' is not a turn number"),
        ("go to turn", "checkout", "which turn?"),
        ("show the mask for", "show_mask", "show the mask for what?"),
        ("show me the mask of", "show_mask", "show the mask for what?"),
        ("go back to before", "go_back_before", "go back to before what?"),
        ("undo 0", "undo", "from 1, not 0"),
        ("undo -2", "undo", "from 1, not -2"),
        ("redo 0", "redo", "from 1, not 0"),
    ],
)
def test_commands_that_cannot_be_carried_out_are_commands_with_a_problem(message, kind, says):
    # Never an edit request ("go to turn -1" must not be painted into the picture), never a crash.
    command = parse_command(message)
    assert command is not None and command.kind == kind and says in command.problem


@pytest.mark.parametrize("message", ["save to", "save as", "save into", "save the session to"])
def test_save_with_no_path_is_not_a_folder_named_to(message):
    command = parse_command(message)
    assert command is not None and command.kind == "save" and not command.path


def test_turn_numbers_may_be_said_in_words():
    assert parse_command("go to turn four") == Command("checkout", turn_id=4)
    assert parse_command("jump to step #3") == Command("checkout", turn_id=3)
    assert parse_command("show turn signals on the car") is None
