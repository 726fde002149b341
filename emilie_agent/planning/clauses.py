"""Splitting a request into clauses, and the words of one clause.

Clauses end at sentence breaks, ``;``, "then", "and then", "after that", "finally", and at a comma or
"and"/"but"/"while" when what follows starts a new command ("... and make the sky stormy"). An "and" that only
continues a phrase ("black and white") does not split. An elided verb is restored: "make the dress green and
her hair blonde" -> "make her hair blonde". Polite fillers ("please", "can you") and wishes ("I want the sky to
be purple") are read away before a clause is planned.
"""
from __future__ import annotations

import re
from typing import Sequence

from .lexicon import (
    ADD_VERBS, ADJECTIVES, AMBIGUOUS_VERBS, COLORS, DETERMINERS, DONT_EDIT, DONT_EDIT_VERBS, EDIT_VERBS,
    GLOBAL_CUES, KEEP_VERBS, LEADING_FILLERS, MODALS, PLACE_PREPOSITIONS, PRONOUNS, STATE_VERBS,
    TRAILING_FILLERS, TRANSFORM_VERBS, WISH_MODALS, WISHES, find_phrase, starts_with,
)

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['&\-][A-Za-z0-9]+)*'?")


def tokens(text: str) -> list[str]:
    """A clause's words as written (apostrophes kept: "lady's", "don't")."""
    return _TOKEN.findall(text.replace("\u2019", "'"))


_SENTENCE_BREAK = re.compile(r"[.!?;]+(?:\s+|$)|\n+")
_CONNECTOR = re.compile(
    r"\s*,?\s*\b(?:and\s+then|and\s+after\s+that|after\s+that|afterwards|afterward|and\s+finally|finally|"
    r"and\s+lastly|lastly|then)\b\s*,?\s*",
    re.IGNORECASE,
)
_JOINER = re.compile(r",\s*(?:(?:and|but|plus|while)\s+)?|\s+(?:and|but|plus|while|whereas)\s+", re.IGNORECASE)
_WITHOUT = re.compile(r"\s+(?=without\s+(?:changing|touching|affecting|altering|modifying|editing)\b)", re.I)


def split_clauses(request: str) -> list[str]:
    """The request's clauses, in order, with an elided verb restored ("... and her hair blonde")."""
    clauses: list[str] = []
    for sentence in _SENTENCE_BREAK.split(request):
        for piece in _CONNECTOR.split(sentence):
            for part in _WITHOUT.split(piece):
                clauses += _split_on_joiners(part)
    return [c for c in clauses if _TOKEN.search(c)]


def _split_on_joiners(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    prefix = ""  # the verb restored in front of the current piece, if it was elided
    for joiner in _JOINER.finditer(text):
        left = prefix + text[start : joiner.start()]
        right = text[joiner.end() :]
        verdict = _joiner_verdict(left, right)
        if verdict is None:
            continue
        pieces.append(left)
        start = joiner.end()
        prefix = verdict
    pieces.append(prefix + text[start:])
    return pieces


def strip_fillers(words: list[str]) -> list[str]:
    lower = [w.lower() for w in words]
    changed = True
    while changed and lower:
        changed = False
        for filler in LEADING_FILLERS:
            if starts_with(lower, filler):
                # "next to the tree" and "so that" are not fillers; "next"/"so" must be followed by a verb.
                if filler in (("next",), ("so",), ("plus",)) and lower[1:2] and lower[1] not in EDIT_VERBS:
                    continue
                words, lower, changed = words[len(filler) :], lower[len(filler) :], True
                break
        for filler in TRAILING_FILLERS:
            n = len(filler)
            if len(lower) > n and tuple(lower[-n:]) == filler:
                words, lower, changed = words[:-n], lower[:-n], True
                break
    return words


def _joiner_verdict(left: str, right: str) -> str | None:
    """Whether a comma/"and"/"but" between ``left`` and ``right`` separates two commands.

    None: it does not. "": it does. "VERB ": it does, and ``right`` reuses ``left``'s verb (ellipsis).
    """
    left_words = [w.lower() for w in strip_fillers(tokens(left))]
    right_words = [w.lower() for w in strip_fillers(tokens(right))]
    if not left_words or not right_words:
        return None
    first = right_words[0]
    if first in KEEP_VERBS or starts_dont_edit(right_words):
        return ""
    if first in EDIT_VERBS:
        if first in AMBIGUOUS_VERBS:
            following = right_words[1] if len(right_words) > 1 else ""
            return "" if following in DETERMINERS | PRONOUNS | {"up", "down", "out", "off", "in"} else None
        return ""
    # Ellipsis: "make the dress green and her hair blonde", "put a hat on the man and a scarf on the woman".
    verb = left_words[0]
    starts_like_object = first in DETERMINERS | {"everything", "everyone"} and len(right_words) >= 2
    if not starts_like_object:
        return None
    if verb in STATE_VERBS and _is_state_word(left_words[-1]) and _is_state_word(right_words[-1]):
        return verb + " "
    if verb in TRANSFORM_VERBS and {"into", "to"} & set(left_words[2:]) and {"into", "to"} & set(right_words[1:]):
        return verb + " "  # "turn the trees into palms and the grass into sand"
    if verb in ADD_VERBS and find_phrase(left_words, PLACE_PREPOSITIONS, 1)[0] > 0 and find_phrase(
        right_words, PLACE_PREPOSITIONS, 1
    )[0] > 0:
        return verb + " "
    return None


def starts_dont_edit(lower: Sequence[str]) -> bool:
    """ "don't change ...", "do not touch ...", "without changing ..."."""
    at, length = find_phrase(lower[:2], DONT_EDIT)
    return at == 0 and len(lower) > length and lower[length] in DONT_EDIT_VERBS


def _is_state_word(word: str) -> bool:
    return word in COLORS or word in ADJECTIVES or word in GLOBAL_CUES

def sentence_case(words: Sequence[str]) -> str:
    """Join words into an instruction: lower-case first word (unless it is "I"), the rest as written."""
    if not words:
        return ""
    if all(w.isupper() for w in words if len(w) > 1):  # "MAKE THE CAR RED": shouting is not a proper noun
        words = [w.lower() for w in words]
    first = words[0] if words[0] in ("I", "I'd") else words[0].lower()
    return " ".join([first, *words[1:]])


def rewrite_wishes(words: list[str]) -> list[str]:
    """ "I want the sky to be purple" / "the sky should be purple" -> "make the sky purple"."""
    lower = [w.lower() for w in words]
    start = 0
    for wish in WISHES:
        if starts_with(lower, wish):
            start = len(wish)
            break
    if start == 0 and (not lower or lower[0] not in DETERMINERS):
        return words
    at, length = find_phrase(lower, WISH_MODALS if start else MODALS, start + 1)
    if at < 0 or at + length >= len(lower):
        return words
    subject = words[start:at]
    return ["make", subject[0].lower(), *subject[1:], *words[at + length :]]
