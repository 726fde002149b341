"""Telling commands ("undo the last two", "show history", "save to out/") from edit requests.

A message is a command only when the *whole* message reads as one (after dropping politeness and end
punctuation): "undo" is a command, "undo the red colour on the door" is not, and neither is "remove the mask
from the man". Anything that is not a command is an edit request for the planner.

Nothing here touches a session: :func:`parse_command` only reads text, so it is cheap and easy to test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..text import same_noun, words

CommandKind = Literal[
    "undo", "redo", "history", "show_mask", "start_over", "save", "go_back_before", "checkout", "help", "quit"
]


@dataclass(frozen=True)
class Command:
    """What a command message asks for. ``count`` for undo/redo, ``phrase`` for masks and "go back to before
    X", ``path`` for save, ``turn_id`` for checkout.

    ``problem``: the message reads as this command but cannot be carried out as written ("go to turn -1",
    "show the mask for" with nothing after it): carrying it out answers with this, and changes nothing. Such a
    message is never taken for an edit request."""

    kind: CommandKind
    count: int = 1
    phrase: str | None = None
    path: str | None = None
    turn_id: int | None = None
    problem: str | None = None


NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "once": 1, "two": 2, "twice": 2, "three": 3, "thrice": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple": 2, "a couple": 2, "a couple of": 2,
}
_NUMBER = r"(?:[-+]?\d+|" + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True)) + r")"
_UNITS = r"(?:edits?|changes?|steps?|turns?|times|ones?|things?)"
# "undo", "undo 2", "undo the last two", "undo the last 3 edits", "undo twice", "undo that", "go back one step".
_HOW_MANY = (
    rf"(?: (?:the |my )?(?:last|previous)(?: {_NUMBER})?(?: {_UNITS})?| {_NUMBER}(?: {_UNITS})?| (?:that|this|it)| {_UNITS})?"
)
_POLITE = re.compile(r"^(?:(?:please|pls|ok(?:ay)?|now|and|then|hey|can you|could you|would you)[\s,]+)+", re.I)
_POLITE_END = re.compile(r"[\s,]*(?:please|pls|thanks|thank you)?[\s.!?]*$", re.I)

# Each pattern must match the whole (normalised) message.
_PATTERNS: list[tuple[CommandKind, re.Pattern[str]]] = [
    ("undo", re.compile(rf"^(?:undo|revert|go back|step back){_HOW_MANY}$")),
    ("redo", re.compile(rf"^(?:redo|go forward|step forward){_HOW_MANY}$")),
    (
        "history",
        re.compile(
            r"^(?:(?:show|list|print|display|see)(?: me)? (?:the |my )?(?:edit )?(?:history|turns|edits|tree|steps so far)"
            r"|(?:edit )?history|what (?:have we|did we|did you) (?:done|do)(?: so far)?)$"
        ),
    ),
    (
        "show_mask",
        re.compile(
            r"^(?:show|preview|display|see)(?: me)? (?:the |a )?mask(?:s)?(?: (?:of|for|on|around)(?: (?P<phrase>.+))?)?$"
            r"|^mask\??$"
        ),
    ),
    (
        "start_over",
        re.compile(r"^(?:start (?:over|again|from scratch)|reset|restart|begin again|back to (?:the )?(?:original|start))$"),
    ),
    # "save", "save the session", "save to my folder", "save out/": a bare path is one word, so that an edit
    # such as "save the dog from the fire" is not taken for a command.
    (
        "save",
        re.compile(
            r"^save(?: (?:the |my |this )?(?:session|work|progress|it|everything|all))?"
            r"(?: (?:to|as|in|into|under) (?P<path>.+)| (?P<bare_path>\S+))?$"
        ),
    ),
    (
        "go_back_before",
        re.compile(
            r"^(?:go |get |take me |revert |jump )?back (?:to )?before(?: (?P<phrase>.+))?$"
            r"|^revert to before(?: (?P<phrase2>.+))?$"
        ),
    ),
    (
        "checkout",
        re.compile(
            r"^(?:go (?:back )?to|checkout|check out|switch to|jump to|show) (?:turn|edit|step|version)"
            r"(?: (?:number |no\.? |#)?(?P<id>[-+#]?[\w.]+))?$"
        ),
    ),
    ("help", re.compile(r"^(?:help|\?|commands|what can (?:you|i) (?:do|say))$")),
    ("quit", re.compile(r"^(?:quit|exit|bye|goodbye|q|:q|stop|done|that'?s all)$")),
]


def normalise(message: str) -> str:
    """Lower case, single spaces, no politeness or end punctuation: the form the patterns read."""
    text = " ".join(message.strip().split())
    text = _POLITE.sub("", text)
    text = _POLITE_END.sub("", text)
    return text.lower()


def parse_command(message: str) -> Command | None:
    """The command ``message`` states, or None when it is an edit request (or empty)."""
    if not isinstance(message, str):
        return None
    original = " ".join(message.strip().split())
    text = normalise(message)
    if not text:
        return None
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v}
        if kind in ("undo", "redo"):
            count = _count(text)
            if count < 1:
                return Command(kind, count=count, problem=f"{kind} takes a number of edits from 1, not {count}")
            return Command(kind, count=count)
        if kind == "save":
            path = groups.get("path") or groups.get("bare_path")
            if groups.get("bare_path") in _SAVE_PREPOSITIONS:
                return Command("save", path="")  # "save to" and no path: refused when carried out, not a folder "to"
            # Paths are case sensitive: take the path from the message as typed, not the lowered text.
            return Command("save", path=_original_tail(original, path) if path else None)
        if kind == "go_back_before":
            phrase = groups.get("phrase") or groups.get("phrase2")
            if not phrase:
                return Command(kind, problem="go back to before what? Say e.g. 'go back to before the snow'")
            return Command(kind, phrase=phrase)
        if kind == "show_mask":
            if match.group(0).split()[-1] in ("of", "for", "on", "around") and not groups.get("phrase"):
                return Command(
                    kind,
                    problem="show the mask for what? Say e.g. 'show the mask for the man', or 'show the mask' "
                    "for the current edit's",
                )
            return Command(kind, phrase=groups.get("phrase"))
        if kind == "checkout":
            turn_id = _turn_number(groups.get("id"))
            if turn_id is None:
                given = groups.get("id")
                what = f"{given!r} is not a turn number:" if given else "which turn?"
                return Command(
                    kind, problem=f"{what} turns are numbered 0, 1, 2... (say 'show history' to see them)"
                )
            return Command(kind, turn_id=turn_id)
        return Command(kind)
    return None


_SAVE_PREPOSITIONS = frozenset({"to", "as", "in", "into", "under"})


def _count(text: str) -> int:
    """The number an undo/redo message names ("undo the last two" -> 2); 1 when it names none."""
    match = re.search(rf"(?<![\w-]){_NUMBER}\b", text.split(" ", 1)[1] if " " in text else "")
    if match is None:
        return 1
    word = match.group(0)
    return int(word) if word.lstrip("+-").isdigit() else NUMBER_WORDS[word]


def _turn_number(word: str | None) -> int | None:
    """A turn number as said ("4", "#4", "four"); None for anything else (negative, "abc", a fraction)."""
    if not word:
        return None
    word = word.lstrip("#")
    if word.isdigit() and word.isascii():
        return int(word)
    value = NUMBER_WORDS.get(word)
    return value if value is not None and word not in ("a", "an", "couple", "once", "twice", "thrice") else None


def _original_tail(original: str, lowered_tail: str) -> str:
    """The end of the message as typed that corresponds to ``lowered_tail``, minus end punctuation."""
    start = original.lower().rfind(lowered_tail)
    tail = original[start : start + len(lowered_tail)] if start >= 0 else lowered_tail
    return tail.strip().strip("\"'")


HELP_TEXT = """\
Say what to change, in plain words: "make it winter, then put a red scarf on the man".
Commands:
  undo [N | the last two]        go back N edits (the undone edits are kept as a branch)
  redo                           go forward again along the branch last used
  show history                   the tree of all edits; * marks the current picture
  show the mask [for X]          the mask of the current edit, or the mask the masker finds for X
  go back to before X            return to the picture before the latest edit that mentions X
  go to turn N                   make turn #N (on any branch) the current picture
  start over                     back to the original picture (edits are kept in the history)
  save [PATH]                    save the session (it is also saved after every edit)
  help                           this text
  quit                           leave"""


def mentions(text: str | None, phrase: str) -> bool:
    """Whether ``text`` mentions every content word of ``phrase`` ("the snow" ~ "make it snowy")."""
    if not text:
        return False
    said = words(text)
    wanted = [w for w in words(phrase) if w not in _FILLER]
    if not wanted:
        return False
    return all(any(_same_word(word, w) for word in said) for w in wanted)


_FILLER = frozenset("the a an my this that these those it edit change step when where i we you added made".split())


def _same_word(word: str, wanted: str) -> bool:
    # The same noun in either number is enough ("people" ~ "person", "hats" ~ "hat"), and so is a shared stem
    # (snow / snowy / snowing). Short words must match exactly.
    if word == wanted or same_noun(word, wanted):
        return True
    short, long = sorted((word, wanted), key=len)
    return len(short) >= 3 and long != short and long.startswith(short)
