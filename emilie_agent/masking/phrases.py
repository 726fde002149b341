"""What a target phrase asks the masker for: the words to detect, one object or several, the head noun, and
whether it means the complement ("everything except the dog", "the background").

Rules, not a parser: target phrases are short noun phrases ("the red car on the left", "both cups").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidRequestError
from ..text import PLURAL_QUANTIFIERS, is_plural, require_text, same_noun

# Words that name nothing by themselves. A phrase made only of these is refused.
STOP_WORDS = frozenset(
    """a an the this that these those it its it's them they their there here his her hers my mine your yours our
    ours of on in at to by for from with and or but nor some any every each all both please just only one ones
    thing things stuff something anything everything whole entire picture image photo photograph also too very
    is are be was were""".split()
)
DETERMINERS = frozenset("a an the this that these those his her my your our their its some any".split())
# A noun phrase ends where a prepositional phrase or a relative clause starts ("the cat | on the table").
PHRASE_BREAKS = frozenset(
    """on in at with near behind under over above below beside besides next by of from into onto inside outside
    between among along across against around beyond toward towards without within that which who whose where
    wearing holding carrying sitting standing lying running walking riding to""".split()
)
# "everything except X", "all but X", "anything other than X", "the whole picture except X".
_EXCEPT = re.compile(
    r"^(?:(?:the\s+)?(?:whole|entire)\s+(?:picture|image|photo|scene)|everything(?:\s+else)?|all|anything)\s+"
    r"(?:except(?:\s+for)?|but(?:\s+not)?|other\s+than|apart\s+from|besides|aside\s+from|save\s+for)\s+(?P<rest>.+)$"
)
BACKGROUND_WORDS = frozenset({"background", "backdrop", "surroundings"})
FOREGROUND_WORDS = frozenset({"foreground", "subject", "subjects"})
# What "the background" is the complement of, and what "the foreground" is: anything the detector calls an
# object, person or animal.
FOREGROUND_PROMPT = "person . animal . object ."


@dataclass(frozen=True)
class Target:
    """One phrase, read."""

    phrase: str  # as given (stripped)
    prompt: str  # what the detector is asked, lower case, ending in "." as GroundingDINO expects
    head: str  # the head noun of the first noun phrase ("car" in "the red car on the left"); "" if none
    plural: bool  # "the dogs", "both cups": keep every box that passes the thresholds
    invert: bool  # the phrase means the complement ("everything except the dog", "the background")


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def names_something(text: str) -> bool:
    """Whether ``text`` has a word that is not a stop word ("the", "it", "of"...): "the and of" names nothing."""
    return isinstance(text, str) and any(word not in STOP_WORDS for word in words_of(text))


def read_target(phrase: str) -> Target:
    """Read a phrase; an empty one, or one of only stop words ("the", "it"), is an InvalidRequestError."""
    text = " ".join(require_text(phrase, "target phrase", '"the man"', advice="name what to find").split())
    lowered = text.lower().rstrip(" .!?")
    invert = False
    match = _EXCEPT.match(lowered)
    if match:
        lowered, invert = match.group("rest").strip(), True
    words = words_of(lowered)
    content = [w for w in words if w not in STOP_WORDS]
    if not content:
        raise InvalidRequestError(
            f"the target phrase {phrase!r} names nothing to find (only words like 'the', 'it'): "
            'name an object, e.g. "the man"'
        )
    if set(content) <= BACKGROUND_WORDS | FOREGROUND_WORDS:
        background = bool(set(content) & BACKGROUND_WORDS)
        return Target(text, FOREGROUND_PROMPT, "", plural=True, invert=invert != background)
    head = head_noun(lowered)
    return Target(text, lowered + ".", head, plural=is_plural(lowered), invert=invert)


def first_noun_phrase(text: str) -> list[str]:
    """The words of the first noun phrase, without leading determiners or quantifiers."""
    words = words_of(text)
    out: list[str] = []
    for word in words:
        if out and word in PHRASE_BREAKS:
            break
        if not out and (word in DETERMINERS or word in PLURAL_QUANTIFIERS or word.isdigit()):
            continue
        if word == "and" and out:
            break
        out.append(word)
    return out


def head_noun(text: str) -> str:
    """The last word of the first noun phrase: "car" in "the red car on the left"."""
    noun_phrase = [w for w in first_noun_phrase(text) if w not in STOP_WORDS]
    return noun_phrase[-1] if noun_phrase else ""


def label_matches(label: str, head: str) -> bool:
    """Whether a detector's label for a box names the head noun (so "table" in "the cat on the table" does not
    pass for the cat)."""
    if not head:
        return True
    return any(same_noun(w, head) for w in words_of(label))


def clean_label(label: str) -> str:
    """A detector's label without tokenizer markers: "[CLS] the dog [SEP]" -> "the dog"."""
    for token in ("[CLS]", "[SEP]", "[PAD]", "."):
        label = label.replace(token, " ")
    return " ".join(label.split())
