"""The English helpers every part reads number with (emilie_agent.text)."""
from __future__ import annotations

import pytest

from emilie_agent.errors import InvalidRequestError
from emilie_agent.text import head_noun, is_plural, require_text, same_noun, singular, words


def test_words_are_lower_case_tokens_with_inner_apostrophes_and_hyphens():
    assert words("Put the Lady's T-shirt on, then 2 dogs!") == [
        "put", "the", "lady's", "t-shirt", "on", "then", "2", "dogs"
    ]
    assert words("the lady\u2019s hat") == ["the", "lady's", "hat"]
    assert words("  ") == []


@pytest.mark.parametrize(
    "plural, expected",
    [
        ("knives", "knife"), ("wolves", "wolf"), ("leaves", "leaf"), ("wives", "wife"), ("shelves", "shelf"),
        ("people", "person"), ("men", "man"), ("women", "woman"), ("children", "child"), ("mice", "mouse"),
        ("teeth", "tooth"), ("feet", "foot"), ("geese", "goose"), ("policemen", "policeman"),
        ("snowmen", "snowman"), ("grandchildren", "grandchild"),
        ("boxes", "box"), ("buses", "bus"), ("beaches", "beach"), ("dishes", "dish"), ("classes", "class"),
        ("cookies", "cookie"), ("puppies", "puppy"), ("cherries", "cherry"), ("cups", "cup"), ("ones", "one"),
        ("gloves", "glove"), ("waves", "wave"), ("shoes", "shoe"), ("tomatoes", "tomato"), ("houses", "house"),
        ("horses", "horse"), ("moustaches", "moustache"), ("Apples", "apple"),
    ],
)
def test_singular_of_plural_nouns(plural, expected):
    assert singular(plural) == expected


@pytest.mark.parametrize(
    "word",
    ["grass", "glass", "bus", "dress", "cactus", "iris", "canvas", "lens", "person", "man", "knife", "child",
     "is", "this", "his", "its", "was", "dog's", "specimen", "omen",
     # plurale tantum: one pair of glasses is still "glasses"
     "glasses", "sunglasses", "jeans", "scissors", "trousers", "sheep", "fish", "news", "species"],
)
def test_singular_leaves_singular_words_and_plurale_tantum_unchanged(word):
    assert singular(word) == word


def test_head_noun_is_the_last_word_of_the_first_noun_phrase():
    assert head_noun("the red car on the left") == "car"
    assert head_noun("both cups and the plate") == "cups"
    assert head_noun("the") == ""


@pytest.mark.parametrize(
    "phrase, plural",
    [
        ("the dogs", True), ("people", True), ("the knives on the table", True), ("both cup", True),
        ("all the apple", True), ("two cat", True), ("3 bird", True), ("the cup and the plate", True),
        ("glasses", True), ("jeans", True),
        ("the dog", False), ("the man in the hats", False), ("grass", False), ("the bus", False),
        ("1 cat", False), ("the sheep", False), ("", False), ("the", False),
    ],
)
def test_is_plural_reads_quantifiers_and_the_head_noun(phrase, plural):
    assert is_plural(phrase) is plural


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("people", "person", True), ("the knives", "knife", True), ("women", "the woman", True),
        ("hats", "hat", True), ("puppies", "puppy", True),
        ("person", "man", False), ("glass", "glasses", False), ("cat", "cap", False), ("", "", False),
    ],
)
def test_same_noun_ignores_number(a, b, same):
    assert same_noun(a, b) is same


def test_require_text_strips_and_refuses_blank_or_non_text():
    assert require_text("  make it snow \n") == "make it snow"
    with pytest.raises(InvalidRequestError) as caught:
        require_text("   ")
    assert str(caught.value) == "the request is empty: say what to change"
    with pytest.raises(InvalidRequestError) as caught:
        require_text(None, "instruction", "'make it snow'")
    assert str(caught.value) == "the instruction is empty: say what to change, e.g. 'make it snow'"
    with pytest.raises(InvalidRequestError) as caught:
        require_text("", "target phrase", '"the man"', advice="name what to find")
    assert str(caught.value) == 'the target phrase is empty: name what to find, e.g. "the man"'
    with pytest.raises(InvalidRequestError, match="must be text, not int"):
        require_text(3, "target phrase")
