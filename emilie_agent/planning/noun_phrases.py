"""Noun phrases in a clause: where one ends, what the masker should look for (the target), who owns it, and
what a pronoun ("it", "them", "him", "her") refers to.

The object noun phrase is cut where its complement starts (a colour, an adjective, "into", "like", a second
article...), determiners and possessors are dropped ("the lady's dress" -> "dress"), and a target is named in
the singular ("the apples on the left" -> "apple on the left"): the kind of object to look for.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..text import is_plural, singular
from .lexicon import (
    ACTION_WORDS, ADJECTIVES, ARTICLES_AFTER_OBJECT, ATTACHED_PREPOSITIONS, COLORS, DEGREE_WORDS, DETERMINERS,
    FEMALE, MALE, PART_WORDS, PEOPLE, PHRASE_ENDING_CUES, PICTURE_NOUNS, POSITIONS, PREPOSITIONS, PRONOUNS,
    RELATIVES, SCENE_ATTRIBUTES, TARGET_HEAD_ENDS,
)


def positional_end(lower: Sequence[str], i: int) -> int:
    """End of a positional phrase starting at ``i`` ("on the left", "in the background"), or ``i`` if none."""
    if i >= len(lower) or lower[i] not in ("on", "in", "at", "to"):
        return i
    j = i + 1
    if j < len(lower) and lower[j] in ("the", "its", "his", "her", "their"):
        j += 1
    if j >= len(lower) or lower[j] not in POSITIONS:
        return i
    while j < len(lower) and lower[j] in POSITIONS | {"hand", "side", "half", "part", "corner"}:
        j += 1
    if j < len(lower) and lower[j] == "of":
        tail = _picture_reference_end(lower, j)
        return tail if tail > j else i  # "on the left of the car" relates to the car: not a position
    return j


def _picture_reference_end(lower: Sequence[str], i: int) -> int:
    """End of "in the photo" / "of the picture" starting at ``i`` (a reference to the picture itself)."""
    if i >= len(lower) or lower[i] not in ("in", "of", "on", "from", "within"):
        return i
    j = i + 1
    while j < len(lower) and lower[j] in DETERMINERS:
        j += 1
    if j < len(lower) and lower[j] in PICTURE_NOUNS - {"everything", "thing"}:
        return j + 1
    return i



def noun_phrase_end(lower: Sequence[str], start: int, *, complement_follows: bool, allow_and: bool = True,
                     attach: bool = True) -> int:
    """Where the noun phrase that starts at ``start`` ends.

    ``complement_follows``: the verb takes a complement after its object ("make the car | blue", "give the boy |
    a hat"), so a colour, adjective, degree word, second article or action word ends the phrase.
    ``attach``: a place phrase with an article stays in the phrase ("the man in the red shirt", "the cup on the
    table"): it tells the masker which one.
    """
    i = start
    while i < len(lower) and lower[i] in DETERMINERS and not (lower[i] == "her" and _her_is_pronoun(lower, i)):
        i += 1
    if i < len(lower) and lower[i] in PRONOUNS:
        return i + 1
    content_start = i
    while i < len(lower):
        word = lower[i]
        if word in PREPOSITIONS:
            position_end = positional_end(lower, i)
            picture_end = _picture_reference_end(lower, i)
            if position_end > i or picture_end > i:
                i = max(position_end, picture_end)
                continue
            if attach and word in ATTACHED_PREPOSITIONS and i + 1 < len(lower) and lower[i + 1] in DETERMINERS:
                i += 1
                while i < len(lower) and lower[i] in DETERMINERS:
                    i += 1
                content_start = i  # the attached noun's own first word may be an adjective: "in the red shirt"
                continue
            break
        if word in RELATIVES or (word == "and" and not allow_and) or word in ("but", "except"):
            break
        if word == "of" or word == "and":
            i += 1
            while i < len(lower) and lower[i] in DETERMINERS:
                i += 1
            continue
        if complement_follows and i > content_start and (
            word in COLORS or word in ADJECTIVES or word in DEGREE_WORDS or word in ACTION_WORDS
            or word in ARTICLES_AFTER_OBJECT or word in PHRASE_ENDING_CUES or _is_participle(lower, i)
        ):
            break
        i += 1
    return i


def _is_participle(lower: Sequence[str], i: int) -> bool:
    """ "covered" in "the beach | covered in snow": a past participle after a noun, before a preposition or a
    colour, starts the complement ("the old wrecked car" keeps its participle)."""
    word, before = lower[i], lower[i - 1]
    if len(word) <= 4 or not word.endswith("ed") or word.endswith("eed"):
        return False
    if before in DETERMINERS or before in ADJECTIVES or before in COLORS:
        return False
    after = lower[i + 1] if i + 1 < len(lower) else ""
    return after in ("in", "with", "by", "like", "as") or after in COLORS or after in ADJECTIVES


def _her_is_pronoun(lower: Sequence[str], i: int) -> bool:
    """"her" is an object pronoun when no noun follows it ("give her a hat", "make her smile")."""
    nxt = lower[i + 1] if i + 1 < len(lower) else ""
    return not nxt or nxt in DETERMINERS or nxt in PREPOSITIONS or nxt in ACTION_WORDS or nxt in COLORS or (
        nxt in ADJECTIVES and (i + 2 >= len(lower))
    )


@dataclass
class Phrase:
    """A noun phrase read from a clause: what the masker should look for, and who owns it."""

    target: str | None  # None when the phrase is empty
    possessor: str | None = None
    pronoun: str | None = None  # "it", "them", "him", "her" when the phrase is only a pronoun


_MAX_CONJUNCTS = 8  # "a and b and ... " past this is read as one phrase (and in linear time)


def read_phrase(lower: Sequence[str], _depth: int = 0) -> Phrase:
    """Read a noun phrase; "the man's hat and the woman's scarf" is read one conjunct at a time."""
    words = list(lower)
    if _depth < _MAX_CONJUNCTS and "and" in words[1:-1]:
        cut = words.index("and", 1)
        first, second = _read_one_phrase(words[:cut]), read_phrase(words[cut + 1 :], _depth + 1)
        if first.target and second.target:
            return Phrase(f"{first.target} and {second.target}", possessor=first.possessor or second.possessor)
    return _read_one_phrase(words)


def _read_one_phrase(lower: Sequence[str]) -> Phrase:
    words = list(lower)
    while words and words[0] in DETERMINERS and not (words[0] == "her" and _her_is_pronoun(words, 0)):
        words = words[1:]
    if not words:
        return Phrase(None)
    if words[0] in ("everyone", "everybody"):
        return Phrase("people")
    if len(words) == 1 and words[0] in PRONOUNS:
        return Phrase(None, pronoun={"this": "it", "they": "them", "these": "them", "those": "them",
                                      "he": "him", "she": "her"}.get(words[0], words[0]))
    possessor = None
    owners = [i for i, w in enumerate(words) if w.endswith("'s") or (w.endswith("s'") and len(w) > 2)]
    if owners:
        i = owners[-1]
        owner = " ".join(words[: i + 1])
        owner = owner[:-2] if owner.endswith("'s") else owner[:-1]
        rest = words[i + 1 :]
        if rest and (rest[0] not in PART_WORDS or rest[-1] not in PART_WORDS):
            words, possessor = rest, owner  # "the lady's dress", "the soldier's right hand"
        else:  # "the man's" / "the car's color": the owner is what is edited
            words = owner.split()
    # "the color of the car", "the top of the tower": the thing named after "of" is what the masker finds.
    if len(words) >= 3 and words[0] in PART_WORDS and words[1] == "of":
        words = [w for w in words[2:] if w not in DETERMINERS]
    words = [w for i, w in enumerate(words) if not (w in DETERMINERS and i > 0 and words[i - 1] == "of")]
    if words and words[-1] in ("one", "ones") and len(words) > 1:  # "the red one": keep the adjective
        words = words[:-1]
    return Phrase(" ".join(words) or None, possessor=possessor)


def is_picture(target: str | None) -> bool:
    """True when the phrase names the picture itself or one of its global properties."""
    if target is None:
        return True
    words = target.split()
    head = words[-1]
    return head in PICTURE_NOUNS or head in SCENE_ATTRIBUTES or target in ("time of day",) or (
        words[0] in ("whole", "entire") and head in PICTURE_NOUNS
    )


def singular_target(target: str) -> str:
    """Singular head nouns: "the apples on the left" -> "apple on the left"; "cats and dogs" -> "cat and dog"."""
    words = target.split()
    return " ".join(
        singular(w) if i == len(words) - 1 or words[i + 1] in TARGET_HEAD_ENDS else w for i, w in enumerate(words)
    )


def _is_person(phrase: str) -> bool:
    head = phrase.split()[-1] if phrase else ""
    return head in PEOPLE or head.endswith("man") or head.endswith("woman")


@dataclass
class Mention:
    """Something a step talked about, and what a pronoun needs to know to refer to it."""

    phrase: str
    person: bool
    plural: bool


@dataclass
class Context:
    """What earlier steps talked about, most recent last, to resolve "it"/"them"/"him"/"her"."""

    mentions: list[Mention] = field(default_factory=list)
    last_step_local: bool = False

    def remember(self, *phrases: str | None) -> None:
        for phrase in phrases:
            if phrase:
                self.mentions.append(Mention(phrase, _is_person(phrase), is_plural(phrase)))

    def resolve(self, pronoun: str) -> str | None:
        mentions = list(reversed(self.mentions))
        if pronoun == "it":
            if not self.last_step_local:
                return None
            things = [m for m in mentions if not m.person and not m.plural] or [
                m for m in mentions if not m.person] or mentions
            return things[0].phrase if things else None
        if pronoun == "them":
            candidates = [m for m in mentions if m.plural] or mentions
            return candidates[0].phrase if candidates else None
        if pronoun in ("him", "her"):
            gendered = FEMALE if pronoun == "her" else MALE
            people = [m for m in mentions if m.person]
            matching = [m for m in people if m.phrase.split()[-1] in gendered]
            chosen = (matching or people or [None])[0]
            return chosen.phrase if chosen else None
        return None

