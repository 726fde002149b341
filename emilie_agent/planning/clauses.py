"""Splitting a request into clauses, and the words of one clause.

Clauses end at sentence breaks, ``;``, list markers ("1. ... 2. ...", "1) ...", "a) ...", "- ...", "* ...",
"• ..."), a colon, "then", "and then", "after that", "finally", and at a comma or "and"/"but"/"while" when what
follows starts a new command ("... and make the sky stormy", "..., oh and also put a moon in the sky"). An "and"
that only continues a phrase ("black and white") does not split. An elided verb is restored: "make the dress
green and her hair blonde" -> "make her hair blonde". A list's header ("Steps:", "Two things:") is not an edit.

The words of a clause are then read away from what only surrounds a command: polite fillers ("please", "can
you", "I was wondering if you could possibly"), greetings ("hi there"), thanks ("thanks a lot"), fillers between
steps ("while you're at it", "on top of that"); wishes ("I want the sky to be purple") and hypotheticals ("what
if the dog were a wolf", "imagine the car is red", "how would it look if ...") become commands, and a clause that
is only small talk ("Hope you're well!", "This is a photo of my garden.") is recognised as such.

Everything here reads each word a bounded number of times: a comma or "and" is judged from a window of words on
each side, so splitting is linear in the length of the request.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Sequence

from .lexicon import (
    ADD_VERBS, ADJECTIVES, AMBIGUOUS_VERBS, BULLETS, COLORS, COPULAS, DEGREE_WORDS, DETERMINERS, DONT_EDIT,
    DONT_EDIT_VERBS, EDIT_VERBS, GLOBAL_CUES, GLOBAL_PHRASES, GREETING_TAILS, GREETING_WORDS, HEADER_ENDS,
    HYPOTHETICAL_PREAMBLE, HYPOTHETICAL_TRIGGERS, KEEP_VERBS, LEADING_FILLERS, MODALS, PICTURE_NOUNS,
    PLACE_PREPOSITIONS, PREAMBLE_WORDS, PRONOUNS, SMALL_TALK_OPENERS, SMALL_TALK_WORDS, STATE_VERBS, THANKS_WORDS,
    CLOSING_WORDS, TRAILING_FILLERS, TRANSFORM_VERBS, VERB_ONLY_FILLERS, WISH_MODALS, WISHES, find_phrase,
    starts_with,
)

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['&\-][A-Za-z0-9]+)*'?")
_WINDOW = 24  # words a joiner's verdict reads on each side
_LOOKAHEAD = 16  # words read to find the command after fillers or a polite preamble
_PARTICLES = frozenset(("up", "down", "out", "off", "in"))


def tokens(text: str) -> list[str]:
    """A clause's words as written (apostrophes kept: "lady's", "don't")."""
    return _TOKEN.findall(text.replace("\u2019", "'"))


# -- lists and sentences ----------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_NUMBERED = re.compile(r"(?<![\w.,/'])\(?(\d{1,2})(?:[.):]|\s*-)(?=\s)")
_LETTERED = re.compile(r"(?<![\w'])\(?([a-hA-H])\)(?=\s)")
# A bullet starts a line, or sits between words ("- remove the bike - turn the wall green"); not in "2 - 3 birds".
_BULLET = re.compile(r"(?:^|(?<=\s))[" + re.escape(BULLETS) + r"]+(?=\s)(?!\s+\d)")
_SENTENCE_BREAK = re.compile(r"[.!?;]+(?:\s+|$)|:(?:\s+|$)|\n+")
_CONNECTOR = re.compile(
    r"\s*,?\s*\b(?:and\s+then|and\s+after\s+that|after\s+that|afterwards|afterward|and\s+finally|finally|"
    r"and\s+lastly|lastly|then)\b\s*,?\s*",
    re.IGNORECASE,
)
_JOINER = re.compile(r",\s*(?:(?:and|but|plus|while)\s+)?|\s+(?:and|but|plus|while|whereas)\s+", re.IGNORECASE)
_WITHOUT = re.compile(r"\s+(?=without\s+(?:changing|touching|affecting|altering|modifying|editing)\b)", re.I)


def _collapse_space(text: str) -> str:
    """One space for every run of blanks, one line break for a run that holds one."""
    return _SPACE.sub(lambda m: "\n" if "\n" in m.group() or "\r" in m.group() else " ", text.replace("\u2019", "'"))


def _mark_lists(text: str) -> str:
    """List markers replaced by line breaks: "1. a 2. b", "1) a 2) b", "a) x b) y", "- a - b", "• a • b".

    A number or letter is a marker only in a run that counts up from 1 (or "a"), so "add 2 - 3 birds" and "make
    it 2. Then ..." keep their numbers; a lone "1." counts when it starts the text or a line.
    """
    spans: list[tuple[int, int]] = []
    for pattern in (_NUMBERED, _LETTERED):
        run: list[re.Match] = []
        for match in pattern.finditer(text):
            value = match.group(1).lower()
            index = int(value) if value.isdigit() else ord(value) - ord("a") + 1
            if index == 1:
                spans += _accepted(text, run)
                run = [match]
            elif run and index == len(run) + 1:
                run.append(match)
        spans += _accepted(text, run)
    if spans:
        spans.sort()
        pieces, last = [], 0
        for start, end in spans:
            if start >= last:
                pieces += [text[last:start], "\n"]
                last = end
        text = "".join(pieces) + text[last:]
    return _BULLET.sub("\n", text)


def _accepted(text: str, run: list[re.Match]) -> list[tuple[int, int]]:
    if not run:
        return []
    before = text[max(0, run[0].start() - 8) : run[0].start()].rstrip(" \t")
    if len(run) >= 2 or not before or before.endswith((":", "\n")):
        return [(m.start(), m.end()) for m in run]
    return []


def split_clauses(request: str) -> list[str]:
    """The request's clauses, in order, with an elided verb restored ("... and her hair blonde")."""
    text = _mark_lists(_collapse_space(request))
    clauses: list[str] = []
    last = 0
    breaks = list(_SENTENCE_BREAK.finditer(text))
    for index in range(len(breaks) + 1):
        brk = breaks[index] if index < len(breaks) else None
        sentence = text[last : brk.start() if brk else len(text)]
        last = brk.end() if brk else len(text)
        if brk is not None and ":" in brk.group() and _is_header(sentence):
            continue  # "Steps:", "Two things:", "Please do the following:"
        for piece in _CONNECTOR.split(sentence):
            for part in _WITHOUT.split(piece):
                clauses += _split_on_joiners(part)
    return [c for c in clauses if _TOKEN.search(c)]


def _is_header(sentence: str) -> bool:
    """A list's header ("Steps", "Make these changes"), as opposed to a command before a colon."""
    lower = [w.lower() for w in strip_fillers(tokens(sentence))]
    return not lower or not _is_command_start(lower) or lower[-1] in HEADER_ENDS


# -- commas and "and" -------------------------------------------------------------------------------------------


def _split_on_joiners(text: str) -> list[str]:
    joiners = list(_JOINER.finditer(text))
    if not joiners:
        return [text]
    found = list(_TOKEN.finditer(text))
    starts = [m.start() for m in found]
    words = [m.group() for m in found]
    joiner_starts = [j.start() for j in joiners]
    pieces: list[str] = []
    start = 0
    prefix = ""  # the verb restored in front of the current piece, if it was elided
    for joiner in joiners:
        low, high = bisect_left(starts, start), bisect_left(starts, joiner.start())
        left = prefix.split() + _ends(words, low, high)
        right = _right_conjunct(words, starts, joiner_starts, bisect_left(starts, joiner.end()))
        verdict = _joiner_verdict(left, right)
        if verdict is None:
            continue
        pieces.append(prefix + text[start : joiner.start()])
        start = joiner.end()
        prefix = verdict
    pieces.append(prefix + text[start:])
    return pieces


def _ends(words: list[str], low: int, high: int) -> list[str]:
    """words[low:high], or its first and last _WINDOW words when it is longer."""
    if high - low <= 2 * _WINDOW:
        return words[low:high]
    return words[low : low + _WINDOW] + words[high - _WINDOW : high]


def _right_conjunct(words: list[str], starts: list[int], joiner_starts: list[int], first: int) -> list[str]:
    """The words after a joiner, fillers included, up to the next joiner after the first word that is not a
    filler ("oh and also put a moon in the sky" reads on to "put ... sky")."""
    head = words[first : first + _LOOKAHEAD]
    content = first + _strip_span([w.lower() for w in head], head)[0]
    if content >= len(words):
        return words[first:]
    following = bisect_right(joiner_starts, starts[content])
    end = bisect_left(starts, joiner_starts[following]) if following < len(joiner_starts) else len(words)
    return words[first:content] + _ends(words, content, end)


def _joiner_verdict(left: list[str], right: list[str]) -> str | None:
    """Whether a comma/"and"/"but" between ``left`` and ``right`` (their words) separates two commands.

    None: it does not. "": it does. "VERB ": it does, and ``right`` reuses ``left``'s verb (ellipsis).
    """
    left_words = [w.lower() for w in strip_fillers(left)]
    right_words = [w.lower() for w in strip_fillers(right)]
    if not left_words or not right_words:
        return None
    first = right_words[0]
    if first in KEEP_VERBS or starts_dont_edit(right_words):
        return ""
    if first in EDIT_VERBS:
        if first in AMBIGUOUS_VERBS:
            following = right_words[1] if len(right_words) > 1 else ""
            return "" if following in DETERMINERS | PRONOUNS | _PARTICLES else None
        return ""
    if _hypothetical_start(right_words) > 0 or _look_question(right_words) is not None:
        return ""  # "..., and what if the sea were purple"
    trigger = _hypothetical_start(left_words)
    if trigger > 0 and _has_copula_after_subject(right_words):
        return " ".join(left_words[:trigger]) + " "  # "what if the sky were green and the grass were blue"
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


def _is_command_start(lower: Sequence[str], at: int = 0) -> bool:
    """Whether the words at ``at`` start a command: an edit verb ("light" and other verbs that are also nouns
    or adjectives only before an article, a pronoun or a particle), "keep ...", "don't change ..."."""
    if at >= len(lower):
        return False
    word = lower[at]
    if word in AMBIGUOUS_VERBS:
        return at + 1 < len(lower) and lower[at + 1] in DETERMINERS | PRONOUNS | _PARTICLES
    return word in EDIT_VERBS or starts_dont_edit(lower[at : at + 3])


def has_global_cue(words: Sequence[str]) -> bool:
    """Whether the words name a season, weather, time of day, style or filter ("winter", "black and white")."""
    text = " ".join(words)
    return any(w in GLOBAL_CUES for w in words) or any(p in text for p in GLOBAL_PHRASES)


# -- what surrounds a command -----------------------------------------------------------------------------------


def _gerunds(verbs: frozenset[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for verb in sorted(verbs):
        forms = [verb + "ing"]
        if verb.endswith("e") and not verb.endswith("ee"):
            forms.append(verb[:-1] + "ing")
        if len(verb) >= 3 and verb[-1] not in "aeiouwxy" and verb[-2] in "aeiou" and verb[-3] not in "aeiou":
            forms.append(verb + verb[-1] + "ing")
        for form in forms:
            found.setdefault(form, verb)
    return found


_GERUNDS = _gerunds(EDIT_VERBS - KEEP_VERBS)


def strip_fillers(words: list[str]) -> list[str]:
    """The clause without what only surrounds the command: leading fillers, greetings, a polite preamble
    ("would you mind making ..." -> "make ..."), trailing thanks."""
    lower = [w.lower() for w in words]
    start, end = _strip_span(lower, words)
    kept = list(words[start:end])
    if start > 0 and kept and kept[0].lower() in _GERUNDS:  # "would you mind making the sky blue"
        kept[0] = _GERUNDS[kept[0].lower()]
    return kept


def _by_word(phrases: Sequence[tuple[str, ...]], at: int) -> dict[str, list[tuple[str, ...]]]:
    """Phrases indexed by their first (``at=0``) or last (``at=-1``) word, longest first."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(phrases, key=len, reverse=True):
        found.setdefault(phrase[at], []).append(phrase)
    return found


_LEADING = _by_word(LEADING_FILLERS, 0)
_TRAILING = _by_word(TRAILING_FILLERS, -1)


def _strip_span(lower: Sequence[str], words: Sequence[str]) -> tuple[int, int]:
    """[start, end) of the clause without its leading and trailing fillers."""
    start, end = 0, len(lower)
    changed = True
    while changed and start < end:
        changed = False
        for filler in _LEADING.get(lower[start], ()):
            size = len(filler)
            if start + size > end or not starts_with(lower, filler, start):
                continue
            if filler in VERB_ONLY_FILLERS and start + size < end and not _command_after(lower, start + size, end):
                continue
            greeting = lower[start] in GREETING_WORDS
            start, changed = start + size, True
            while greeting and start < end and (
                lower[start] in GREETING_TAILS
                or (words[start][:1].isupper() and start > 0 and not _is_command_start(lower, start))
            ):
                start += 1  # "hi there", "hey guys", "hello Anna"
            break
        if changed:
            continue
        preamble = _preamble_end(lower, start, end)
        if preamble > start:
            start, changed = preamble, True
            continue
        for filler in _TRAILING.get(lower[end - 1], ()):
            size = len(filler)
            if end - size > start and tuple(lower[end - size : end]) == filler:
                end, changed = end - size, True
                break
        if changed:
            continue
        thanks = _thanks_start(lower, words, start, end)
        if thanks < end:
            end, changed = thanks, True
    return start, end


def _command_after(lower: Sequence[str], at: int, end: int) -> bool:
    """Whether a command follows at ``at``, after any further fillers ("besides that, could you remove ...")."""
    window = lower[at : min(end, at + _LOOKAHEAD)]
    return _is_command_start(window, _strip_span(window, window)[0]) if window else False


def _preamble_end(lower: Sequence[str], start: int, end: int) -> int:
    """Where the command starts after a polite preamble ("I was wondering if you could possibly | make ...");
    ``start`` when there is none."""
    for at in range(start, min(end, start + _LOOKAHEAD)):
        word = lower[at]
        if at > start and ((word in EDIT_VERBS and _is_command_start(lower, at)) or word in _GERUNDS):
            return start if lower[at - 1] in ("i", "we") else at  # "I have a photo": a statement
        if word not in PREAMBLE_WORDS:
            return start
    return start


def _thanks_start(lower: Sequence[str], words: Sequence[str], start: int, end: int) -> int:
    """Where closing thanks start ("..., thanks a lot", "much appreciated", "many thanks, Anna"); ``end`` when
    the clause ends otherwise. A clause that is only thanks keeps its words (it is small talk)."""
    at = end - 1
    while at > start and (lower[at] in CLOSING_WORDS or words[at][:1].isupper()) and lower[at] not in THANKS_WORDS:
        at -= 1
    if at <= start or lower[at] not in THANKS_WORDS:
        return end
    while at - 1 > start and lower[at - 1] in {"many", "much", "and", "so", "thanks", "thank", "very"}:
        at -= 1
    return at


def is_small_talk(lower: Sequence[str], kept: Sequence[str]) -> bool:
    """Whether a clause (its words, and what is left of them once read as a command) only talks: a greeting,
    thanks, praise, hopes, "this is a photo of my garden"."""
    if not kept:
        return True
    if _is_command_start(kept):
        return False
    if lower[0] in SMALL_TALK_WORDS - GREETING_WORDS or any(starts_with(lower, o) for o in SMALL_TALK_OPENERS) or any(
        starts_with(kept, o) for o in SMALL_TALK_OPENERS
    ):
        return True
    # "Hi Emilie, this is my dog" is small talk; "hey, black and white please" asks for an edit.
    return lower[0] in GREETING_WORDS and not has_global_cue(kept)


# -- wishes and hypotheticals -----------------------------------------------------------------------------------


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
    if start and at < 0 and lower[start : start + 1] in (["a"], ["an"], ["some"]):
        # "I want a orange shirt": a colour and a thing is a recolour of that thing; "I'd like a hat on him"
        # asks for something new.
        rest = words[start + 1 :]
        colours = [w for w in rest if w.lower() in COLORS]
        if colours and len(rest) == len(colours) + 1:
            return ["make", "the", rest[-1], *colours]
        return ["add", *words[start:]]
    if at < 0 or at + length >= len(lower):
        return words
    subject = words[start:at]
    return ["make", subject[0].lower(), *subject[1:], *words[at + length :]]


_SUBJUNCTIVE = frozenset(("were", "was", "had"))
_SUBJECT_ENDS = COPULAS | frozenset(
    "had has have wore wears wearing looked looks look as with turned became got would".split()
)
_PICTURE_WORDS = PICTURE_NOUNS | frozenset(("it", "this", "that"))


def _hypothetical_start(lower: Sequence[str]) -> int:
    """How many words open a hypothetical ("what if", "imagine", "how would it look if"); 0 when none do."""
    window = lower[:_LOOKAHEAD]
    for trigger in HYPOTHETICAL_TRIGGERS:
        size = len(trigger)
        if starts_with(window, trigger) and size < len(window):
            after = window[size]
            if trigger[-1] in ("if", "that") or after in DETERMINERS | PRONOUNS | {"there", "there's"}:
                if trigger == ("if",) and not _SUBJUNCTIVE & set(window[1:8]):
                    return 0  # "if the sky is grey, ...": a condition, not a hypothetical
                return size
    for at, word in enumerate(window):  # "how would it look if ...", "I wonder what it would look like if ..."
        if word == "if":
            return at + 1 if at > 0 and at + 1 < len(window) else 0
        if word not in HYPOTHETICAL_PREAMBLE:
            return 0
    return 0


def _has_copula_after_subject(lower: Sequence[str]) -> bool:
    if not lower or lower[0] not in DETERMINERS | PRONOUNS | {"there", "there's"}:
        return False
    return any(w in COPULAS or w == "had" for w in lower[1:7])


def _look_question(lower: Sequence[str]) -> tuple[int, int, int] | None:
    """ "what would the cat look like with a crown": (subject start, subject end, index after "look [like]")."""
    window = lower[:_LOOKAHEAD]
    for at, word in enumerate(window):
        if word in ("what", "how"):
            break
        if word not in HYPOTHETICAL_PREAMBLE:
            return None
    else:
        return None
    if at + 2 >= len(window) or window[at + 1] not in ("would", "will", "could", "might", "does", "do"):
        return None
    subject = at + 2
    for look in range(subject, len(window)):
        if window[look] in ("look", "looks"):
            after = look + 1 + (look + 1 < len(window) and window[look + 1] == "like")
            return (subject, look, after) if look > subject else None
        if window[look] == "if":
            return None
    return None


def rewrite_hypothetical(words: list[str]) -> list[str]:
    """A hypothetical as the command it asks for: "what if the dog were a wolf" -> "turn the dog into a wolf",
    "imagine the car is red" -> "make the car red", "what if there was a rainbow over the lake" -> "add a
    rainbow over the lake", "what would the cat look like with a crown" -> "give the cat a crown"."""
    lower = [w.lower() for w in words]
    look = _look_question(lower)
    if look is not None:
        subject_start, subject_end, rest = look
        subject = _subject(words[subject_start:subject_end])
        tail, tail_lower = words[rest:], lower[rest:]
        if tail_lower[:1] == ["if"]:
            return _rewrite_statement(words[rest + 1 :]) or words
        if tail_lower[:1] == ["with"]:
            return ["give", *subject, *tail[1:]]
        if tail_lower[:1] == ["as"]:
            return ["turn", *subject, "into", *tail[1:]]
        if tail_lower[:1] == ["in"]:
            if [w.lower() for w in subject][-1] in _PICTURE_WORDS:
                return ["make", "it", "look", "like", *tail[1:]]
            return ["put", *subject, *tail]
        return ["make", *subject, "look", *(["like"] if rest > subject_end + 1 else []), *tail]
    start = _hypothetical_start(lower)
    if start == 0:
        return words
    return _rewrite_statement(words[start:]) or words


def _subject(words: Sequence[str]) -> list[str]:
    return ["it"] if [w.lower() for w in words] in (["this"], ["that"]) else list(words)


def _rewrite_statement(words: Sequence[str]) -> list[str] | None:
    """ "the dog were a wolf" -> "turn the dog into a wolf"; "there was a rainbow ..." -> "add a rainbow ...";
    "the beach covered in snow" -> "make the beach covered in snow". None when it is not such a statement."""
    lower = [w.lower() for w in words]
    if not lower:
        return None
    if lower[0] == "there's":
        return ["add", *words[1:]]
    if lower[0] == "there" and len(lower) > 2 and lower[1] in COPULAS | {"would"}:
        skip = 3 if lower[1] == "would" and lower[2] == "be" else 2
        return ["add", *words[skip:]]
    for at in range(1, min(len(lower), 10)):
        word = lower[at]
        participle = (
            word.endswith("ed") and len(word) > 4 and lower[at - 1] not in DETERMINERS | ADJECTIVES | COLORS
        ) or word in ADJECTIVES - DEGREE_WORDS and word.endswith("ed")
        if word in _SUBJECT_ENDS or participle or (word == "in" and at > 1):
            break
    else:
        return None
    subject, verb, tail = _subject(words[:at]), lower[at], list(words[at + 1 :])
    if verb == "would" and tail[:1] and tail[0].lower() == "be":
        verb, tail = "be", tail[1:]
    if verb in COPULAS:
        if tail[:1] and tail[0].lower() in ("wearing", "holding"):
            return ["make", *subject, *tail]
        if tail[:1] and tail[0].lower() in ("a", "an"):
            return ["turn", *subject, "into", *tail]
        if tail[:1] and tail[0].lower() == "like":
            return ["make", *subject, "look", *tail]
        return ["make", *subject, *tail]
    if verb in ("had", "has", "have", "with", "got"):
        return ["give", *subject, *tail]
    if verb in ("wore", "wears", "wearing"):
        return ["make", *subject, "wear", *tail]
    if verb in ("look", "looks", "looked"):
        return ["make", *subject, "look", *tail]
    if verb in ("as", "turned", "became"):
        tail = tail[1:] if tail[:1] and tail[0].lower() == "into" else tail
        return ["turn", *subject, "into", *tail]
    if verb == "in":
        return ["put", *subject, "in", *tail]
    return ["make", *subject, words[at], *tail]  # a participle: "the beach covered in snow"
