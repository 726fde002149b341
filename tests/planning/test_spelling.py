"""Chat shorthand and typos read before planning (emilie_agent.planning.spelling), and the guard that keeps real
words as they are."""
from __future__ import annotations

import os

import pytest

from emilie_agent.planning.known_words import KNOWN_WORDS
from emilie_agent.planning.spelling import LEXICON_WORDS, correct_word, near_words, normalize_spelling

DICTIONARIES = ["/usr/share/dict/american-english-large", "/usr/share/dict/british-english"]


@pytest.mark.parametrize(
    "typo, word",
    [
        ("hte", "the"), ("adn", "and"), ("wiht", "with"), ("mkae", "make"), ("maek", "make"), ("chagne", "change"),
        ("remoev", "remove"), ("raplace", "replace"), ("trasnform", "transform"), ("purpel", "purple"),
        ("yelow", "yellow"), ("oragne", "orange"), ("brigter", "brighter"), ("darkr", "darker"),
        ("wintre", "winter"), ("sunsett", "sunset"), ("watercolour", "watercolour"), ("backround", "background"),
        ("womna", "woman"), ("grren", "green"), ("lok", "look"), ("blk", "blk"),
    ],
)
def test_corrects_a_typo_of_a_lexicon_word(typo, word):
    assert correct_word(typo) == word


@pytest.mark.parametrize(
    "noun",
    # one edit away from a lexicon word ("red", "cut", "warm", "near", "that", "bring", "tall", "pink", "short",
    # "boost", "flood", "break", "son", "evil"), and not typos
    ["bed", "cat", "arm", "ear", "hat", "ring", "wall", "pin", "shirt", "boots", "floor", "bread", "json", "eval",
     "cap", "mug", "lamp", "hand", "sink", "mask", "fork", "horse", "cloud", "clouds", "glass", "skirt"],
)
def test_leaves_real_words_alone(noun):
    assert correct_word(noun) == noun


def test_normalize_keeps_names_punctuation_and_spacing():
    assert normalize_spelling("Pls mak teh car red & u can put sunglases on Anna's dog, thx!") == (
        "Please make the car red and you can put sunglasses on Anna's dog, thanks!"
    )
    assert normalize_spelling("Mak it look like Monet  -- img_id 42") == "Make it look like Monet  -- img_id 42"
    assert normalize_spelling("MAK TEH CAR RED") == "MAKE THE CAR RED"
    assert normalize_spelling("a Smoe in the sky") == "a Smoe in the sky"  # a capital inside a sentence: a name


def test_a_tie_between_words_is_left_alone():
    assert correct_word("wintr") == "wintr"  # "winter" or "wintry"
    # "tge": "the" (h for g) or "age" (a for t), both a wrong key: no guess
    assert correct_word("tge") == "tge"


def test_long_and_odd_words_are_left_alone():
    assert correct_word("a" * 5000) == "a" * 5000
    assert correct_word("co2") == "co2"


@pytest.mark.skipif(not all(os.path.exists(p) for p in DICTIONARIES), reason="needs wamerican-large and wbritish")
def test_known_words_cover_every_english_word_near_the_lexicon():
    """After a word is added to the lexicon, regenerate known_words.py (see its docstring)."""
    missing = sorted(set(near_words(DICTIONARIES)) - KNOWN_WORDS)
    assert not missing, f"regenerate emilie_agent/planning/known_words.py: {missing[:20]}"


def test_known_words_are_not_lexicon_words():
    assert not KNOWN_WORDS & LEXICON_WORDS
