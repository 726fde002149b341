"""Chat shorthand and typos, read before a request is planned: "pls mak teh sky bleu" -> "please make the sky blue".

Two steps, word by word:

1. **Shorthand** people type in chat ("pls", "u", "thx", "w/") is written out (:data:`SHORTHAND`).
2. **Typos**: a word that the planner does not know is replaced by the one lexicon word (verbs, colours,
   adjectives, prepositions, people, style and weather words...) one edit away from it: a swap of two
   neighbouring letters ("teh", "chnage"), a missing letter ("mak", "backgound"), an extra one ("greeen") or a
   wrong one ("replase"). When several words are one edit away, the likelier typo wins (a swap, then a letter
   doubled or not, then a missing letter, then an extra one, then a key next to the right one); a tie between
   different words leaves the word as it was.

The guard: real English words are never corrected, so that nouns the lexicon does not list ("bed", "cat",
"arm", "shirt", "boots") are not mistaken for typos of the lexicon's words ("red", "cut", "warm", "short",
"boost"). Only the English words one edit away from a lexicon word can be mistaken, so only those are kept, in
:mod:`.known_words` (generated from the SCOWL word lists; see :func:`near_words`). Words with a capital inside
a sentence (names), digits, apostrophes or hyphens, and words shorter than 3 or longer than 20 letters are left
alone; a word of three or four letters is only corrected by a swap or a missing letter ("teh", "mak", "lok"), never
by dropping one ("json" is not "son").
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Iterable

from ..text import PLURALE_TANTUM
from . import lexicon
from .known_words import KNOWN_WORDS

# Chat shorthand, written out. Whole words only, any case.
SHORTHAND = {
    "pls": "please", "plz": "please", "plss": "please", "plx": "please", "pleez": "please", "u": "you",
    "ur": "your", "thx": "thanks", "thnx": "thanks", "thanx": "thanks", "tnx": "thanks",
    "tx": "thanks", "ty": "thanks", "tysm": "thanks", "tia": "thanks", "w/": "with", "w/o": "without",
    "bg": "background", "img": "image", "abt": "about", "cuz": "because", "coz": "because", "bc": "because",
    "thru": "through", "nite": "night", "rly": "really", "lil": "little", "ppl": "people", "smth": "something",
    "sth": "something", "xmas": "christmas", "gonna": "going to", "wanna": "want to", "lemme": "let me",
    "gimme": "give me", "pic": "picture", "pics": "pictures", "b/w": "black and white", "bday": "birthday",
    "&": "and", "im": "i'm", "dont": "don't", "doesnt": "doesn't", "cant": "can't",
    "thats": "that's", "whats": "what's", "youre": "you're", "theres": "there's", "lets": "let's",
}

_MIN_LENGTH, _MAX_LENGTH = 3, 20
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Ranks of the kinds of typo, likeliest first.
_SWAP, _DOUBLING, _MISSING, _EXTRA, _NEAR_KEY, _OTHER_KEY = range(6)
_SHORT_WORD_RANKS = (_SWAP, _DOUBLING, _MISSING)  # for words of 3 or 4 letters ("json" is not "son")
_SHORT_WORD = 4


def _lexicon_words() -> frozenset[str]:
    """Every single word the planner's lexicon knows, lower case."""
    found: set[str] = set()
    for name in dir(lexicon):
        value = getattr(lexicon, name)
        if isinstance(value, frozenset):
            found |= value
        elif isinstance(value, tuple):
            for item in value:
                found |= set(item) if isinstance(item, tuple) else set(str(item).split())
    found |= PLURALE_TANTUM
    found |= {w for phrase in SHORTHAND.values() for w in phrase.split()}
    return frozenset(w for w in found if w.isalpha() and w.islower())


LEXICON_WORDS = _lexicon_words()


def _neighbour_keys() -> dict[str, frozenset[str]]:
    """Each letter's neighbours on a QWERTY keyboard: beside it, and above or below it (one key either way)."""
    found: dict[str, set[str]] = {letter: set() for letter in _LETTERS}
    for row in _KEYBOARD:
        for i in range(len(row) - 1):
            found[row[i]].add(row[i + 1])
            found[row[i + 1]].add(row[i])
    for upper, lower in zip(_KEYBOARD, _KEYBOARD[1:]):
        for i, key in enumerate(upper):
            for j in (i - 1, i, i + 1):
                if 0 <= j < len(lower):
                    found[key].add(lower[j])
                    found[lower[j]].add(key)
    return {letter: frozenset(keys) for letter, keys in found.items()}


_NEIGHBOURS = _neighbour_keys()


def _edits(word: str) -> Iterable[tuple[str, int]]:
    """Every word one edit away from ``word``, with the rank of the typo that would have made ``word`` from it."""
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:  # the typo added tail[0]: the word is without it
            doubled = (i > 0 and word[i - 1] == tail[0]) or (len(tail) > 1 and tail[1] == tail[0])
            yield head + tail[1:], _DOUBLING if doubled else _EXTRA
        if len(tail) > 1 and tail[0] != tail[1]:
            yield head + tail[1] + tail[0] + tail[2:], _SWAP
        for letter in _LETTERS:
            if tail and letter != tail[0]:  # the typo hit tail[0] instead of letter
                yield head + letter + tail[1:], _NEAR_KEY if letter in _NEIGHBOURS.get(tail[0], ()) else _OTHER_KEY
            # the typo dropped a letter here
            doubled = (i > 0 and word[i - 1] == letter) or (tail[:1] == letter)
            yield head + letter + tail, _DOUBLING if doubled else _MISSING


@lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    """The lexicon word ``word`` is a typo of, or ``word`` itself (lower case in, lower case out)."""
    if not (_MIN_LENGTH <= len(word) <= _MAX_LENGTH) or not word.isalpha() or not word.islower():
        return word
    if word in LEXICON_WORDS or word in KNOWN_WORDS or word in SHORTHAND:
        return word
    best: dict[str, int] = {}
    for candidate, rank in _edits(word):
        if candidate in LEXICON_WORDS and rank < best.get(candidate, len(_LETTERS)):
            best[candidate] = rank
    if len(word) <= _SHORT_WORD:
        best = {c: r for c, r in best.items() if r in _SHORT_WORD_RANKS}
    if not best:
        return word
    top = min(best.values())
    winners = [c for c, r in best.items() if r == top]
    return winners[0] if len(winners) == 1 else word


_WORD = re.compile(r"[A-Za-z0-9&/_]+(?:['\u2019\-][A-Za-z0-9_]+)*")  # "img_id" stays one (untouched) word
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]|\s[-*\u2022]|\d[.)])\s*$")


def normalize_spelling(text: str) -> str:
    """``text`` with chat shorthand written out and typos of the lexicon's words corrected; the rest, spacing
    and punctuation included, as it was."""
    shouting = text.isupper()
    pieces: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        word = match.group()
        pieces.append(text[last : match.start()])
        last = match.end()
        lower = word.lower()
        if lower in SHORTHAND:
            pieces.append(_same_case(word, SHORTHAND[lower]))
            continue
        if not word.isalpha():
            pieces.append(word)
            continue
        at_start = bool(_SENTENCE_START.search(text[max(0, match.start() - 4) : match.start()]))
        if word.islower() or shouting or (at_start and word.istitle()):
            pieces.append(_same_case(word, correct_word(lower)))
        else:
            pieces.append(word)  # a name: "Monet", "Anna"
    pieces.append(text[last:])
    return "".join(pieces)


def _same_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


# -- the guard's word list ------------------------------------------------------------------------------------


def near_words(dictionaries: Iterable[str]) -> list[str]:
    """The English words (from word lists, one word a line) one edit away from a lexicon word: the words that
    :func:`correct_word` must not take for typos. Acronyms (all capitals) are left out."""
    english: set[str] = set()
    for path in dictionaries:
        with open(path, encoding="utf-8", errors="ignore") as lines:
            for line in lines:
                entry = line.strip()
                word = entry.lower()
                if len(word) >= _MIN_LENGTH and word.isalpha() and word.isascii() and not entry.isupper():
                    english.add(word)
    # One edit is symmetric: the words one edit away from the lexicon are those the lexicon is one edit from.
    near = {candidate for known in LEXICON_WORDS for candidate, _ in _edits(known) if candidate in english}
    return sorted(near - LEXICON_WORDS)


def _write_known_words(dictionaries: list[str]) -> None:
    """``python -m emilie_agent.planning.spelling WORDLIST ... > emilie_agent/planning/known_words.py``."""
    words = near_words(dictionaries)
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) + 1 > 116:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    lines.append(line)
    body = "\n".join(lines)
    header = (
        "English words one edit away from a word of the planner's lexicon: never taken for typos.\n\n"
        "Generated, do not edit:\n\n"
        "    python -m emilie_agent.planning.spelling /usr/share/dict/american-english-large \\\n"
        "        /usr/share/dict/british-english > emilie_agent/planning/known_words.py\n\n"
        "(the Debian packages wamerican-large and wbritish: SCOWL word lists, by Kevin Atkinson). Regenerate it\n"
        "after adding words to the lexicon.\n"
    )
    sys.stdout.write(f'"""{header}"""\n\nKNOWN_WORDS = frozenset(\n    """\n{body}\n""".split()\n)\n')


if __name__ == "__main__":
    _write_known_words(sys.argv[1:])
