"""Reading target phrases: plural or singular, head noun, complement, refusals."""
from __future__ import annotations

import pytest

from emilie_agent.errors import InvalidRequestError
from emilie_agent.masking.phrases import FOREGROUND_PROMPT, clean_label, label_matches, read_target


@pytest.mark.parametrize(
    "phrase, plural",
    [
        ("the dog", False),
        ("the dogs", True),
        ("both cups", True),
        ("all the apples", True),
        ("the two birds on the wire", True),
        ("3 cars", True),
        ("the people", True),
        ("the glass", False),
        ("the bus on the left", False),
        ("the cup and the plate", True),
        ("the man with the hats", False),  # the head is "man"; "hats" is in the prepositional phrase
    ],
)
def test_plural_phrases_ask_for_every_match(phrase, plural):
    assert read_target(phrase).plural is plural


@pytest.mark.parametrize(
    "phrase, head",
    [("the red car on the left", "car"), ("the cat on the table", "cat"), ("a man wearing a hat", "man"), ("dogs", "dogs")],
)
def test_head_noun_is_the_first_noun_phrase_s_last_word(phrase, head):
    assert read_target(phrase).head == head


def test_prompt_is_lower_case_and_ends_with_a_period():
    target = read_target("  The Red   Car ")
    assert target.prompt == "the red car." and target.phrase == "The Red Car" and not target.invert


@pytest.mark.parametrize("phrase", ["everything except the dog", "all but the dog", "the whole picture except for the dog"])
def test_everything_except_means_the_complement(phrase):
    target = read_target(phrase)
    assert target.invert and target.prompt == "the dog." and target.head == "dog"


def test_background_is_the_complement_of_the_foreground():
    bg = read_target("the background")
    assert bg.invert and bg.plural and bg.prompt == FOREGROUND_PROMPT
    fg = read_target("everything except the background")
    assert not fg.invert and fg.prompt == FOREGROUND_PROMPT


@pytest.mark.parametrize("phrase", ["", "   ", "the", "it", "the one", "everything", "everything except it"])
def test_empty_or_stop_word_phrases_are_refused(phrase):
    with pytest.raises(InvalidRequestError):
        read_target(phrase)


def test_label_matching_compares_singular_stems():
    assert label_matches("red dogs", "dog") and label_matches("the boxes", "box")
    assert not label_matches("table", "cat")
    assert label_matches("anything", "")
    assert clean_label("[CLS] the dog [SEP] .") == "the dog"
