"""The offline request planner: a few hand-written rules, no model, no network.

How a request becomes steps:

0. **Check** its length (at most :data:`~.plan.MAX_REQUEST_CHARS` characters, refused before it is read) and
   **spell** it: chat shorthand written out, typos of the lexicon's words corrected (:mod:`.spelling`).
1. **Split** it into clauses (:mod:`.clauses`): sentences, list items, "then", commands joined by "and" or a
   comma; greetings, thanks, fillers and small talk are read away, hypotheticals read as the edit they describe.
2. **Read each clause** by its verb: remove / replace / turn-into / add-on / give / make-it-ADJ / others. The
   object is a noun phrase (:mod:`.noun_phrases`), and the place an object is added to is the target
   ("put X on the Y" -> "Y").
3. **Decide the scope**: a step is global when it acts on the picture itself ("it", "the photo", "the whole
   scene", "the contrast") or adds something with no place; otherwise it is local to its target.
4. **Resolve references** with the steps so far (and the session's earlier steps): "it"/"them"/"him"/"her",
   "everything except X" / "keep X and change everything else" (invert).

A plan of more than :data:`~.plan.MAX_STEPS` steps is refused. Every stage reads each word a bounded number
of times: planning time is linear in the length of the request.

The words it knows are in :mod:`.lexicon`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..errors import InvalidRequestError
from .clauses import (
    has_global_cue, is_small_talk, rewrite_hypothetical, rewrite_wishes, sentence_case, split_clauses,
    starts_dont_edit, strip_fillers, tokens,
)
from .lexicon import (
    ADD_VERBS, CONDITION_WORDS, COPULAS, DEFINITE, DETERMINERS, DONT_EDIT, EDIT_VERBS, ELSE_PHRASES, EVERYTHING_WORDS, EXCEPT_MARKERS,
    FILL_VERBS, GIVE_VERBS, GREETING_ALONE, KEEP_TAIL, KEEP_VERBS, PICTURE_LIKE, PICTURE_NOUNS,
    PHRASAL_VERBS, PLACE_PREPOSITIONS, POSITIONS, PREPOSITIONS, PRONOUNS, REGIONS, REMOVE_PHRASES, REMOVE_VERBS,
    REPLACE_VERBS, STATE_VERBS, TRANSFORM_VERBS, find_phrase, starts_with,
)
from .noun_phrases import Context, Phrase, is_picture, noun_phrase_end, positional_end, read_phrase, singular_target
from .plan import Plan, Step, check_request, check_step_count
from .spelling import normalize_spelling


_POSSESSIVES = frozenset(("his", "her", "their", "its", "my", "your", "our"))


@dataclass
class _Draft:
    """A clause read into a step, or into a "keep X" note that turns a neighbouring step into an inversion."""

    instruction: str
    target: str | None = None
    invert: bool = False
    keep: bool = False  # "keep the cat in colour": no edit of its own
    everything_else: bool = False  # "make everything else black and white": invert around something
    mentions: tuple[str | None, ...] = ()

    def step(self) -> Step:
        if self.target is None or is_picture(self.target):
            return Step(instruction=self.instruction, scope="global")
        return Step(instruction=self.instruction, scope="local", target=singular_target(self.target),
                    invert=self.invert)


class RulePlanner:
    """Plans a request with hand-written rules: offline, deterministic, fast."""

    def plan(self, request: str, history: Sequence[Step] = ()) -> Plan:
        """Split ``request`` into steps; ``history`` holds the session's earlier steps, most recent last."""
        check_request(request)
        context = self._context_from_history(history)
        steps: list[Step] = []
        pending_keep: str | None = None  # "keep X and ...": X waits for the edit it is protected from
        clauses = split_clauses(normalize_spelling(request))
        for number, text in enumerate(clauses):
            words = tokens(text)
            if number == 0 and len(clauses) > 1 and [w.lower() for w in words] in ([w] for w in GREETING_ALONE):
                continue  # "Morning! Could you ...": a greeting, not a time of day
            words = _read_condition(words, context, last=number == len(clauses) - 1)
            if not words:
                continue  # "if the sky is grey," alone: it names what the next clause is about
            draft = self._read_clause(words, context)
            if draft is None:
                continue
            if draft.keep:
                if steps and steps[-1].scope == "global":  # "make it sepia but keep the dog in colour"
                    steps[-1] = _Draft(steps[-1].instruction, target=draft.target, invert=True).step()
                else:  # "keep the dog and make the rest sepia"
                    pending_keep = draft.target
                continue
            if draft.everything_else:  # "... and everything else black and white": around the kept or last thing
                draft.target = pending_keep or context.resolve("it")
                draft.invert = draft.target is not None
                pending_keep = None
            elif pending_keep and (draft.target is None or is_picture(draft.target)):
                draft.target, draft.invert, pending_keep = pending_keep, True, None
            step = draft.step()
            steps.append(step)
            if step.scope == "local" and not step.invert:
                context.remember(*draft.mentions)
            context.last_step_local = step.scope == "local" and not step.invert
        if not steps:
            raise InvalidRequestError(f"no edit found in {_quoted(request)}: say what to change")
        check_step_count(len(steps))
        return Plan(request=request, steps=steps)

    # -- history ----------------------------------------------------------------------------------------

    def _context_from_history(self, history: Sequence[Step]) -> Context:
        context = Context()
        for step in history:
            if step.scope == "local" and not step.invert:
                # Re-read the instruction for what the step made ("put a straw hat on ..." made a hat).
                draft = self._read_clause(tokens(step.instruction), Context())
                context.remember(*(draft.mentions if draft is not None and draft.target else (step.target,)))
            context.last_step_local = step.scope == "local" and not step.invert
        return context

    # -- one clause -------------------------------------------------------------------------------------

    def _read_clause(self, words: list[str], context: Context) -> _Draft | None:
        said = [w.lower() for w in words]
        words = rewrite_wishes(rewrite_hypothetical(strip_fillers(words)))
        lower = [w.lower() for w in words]
        if not words or is_small_talk(said, lower):
            return None  # fillers only, or small talk: "Thanks!", "Hope you're well.", "This is my garden."
        keep = _read_keep(lower)
        if keep is not None:
            return keep
        inverted = self._read_except(words, lower, context)
        if inverted is not None:
            return inverted
        else_at, else_len = find_phrase(lower, ELSE_PHRASES, 1)
        if else_at > 0:
            rewritten = words[:else_at] + ["it"] + words[else_at + else_len :]
            return _Draft(sentence_case(rewritten), everything_else=True)
        return self._read_command(words, lower, context)

    def _read_except(self, words: list[str], lower: list[str], context: Context) -> _Draft | None:
        """ "make everything except the cat black and white", "make it sepia except for the bride"."""
        at, length = find_phrase(lower, EXCEPT_MARKERS, 1)
        if at < 0:
            return None
        before = lower[:at]
        if before[-1] in EVERYTHING_WORDS or before[-1] in PICTURE_NOUNS:
            # "VERB everything except X COMPLEMENT": the complement follows the excepted phrase.
            end = noun_phrase_end(lower, at + length, complement_follows=True)
            phrase = read_phrase(lower[at + length : end])
            complement = words[end:]
            verb = words[: _verb_length(lower)]
            instruction = verb + (["it", *complement] if complement else ["everything"])
        else:
            # "VERB ... except X": the whole clause before the marker is the edit.
            main = self._read_command(words[:at], lower[:at], context)
            if main is None or not (main.target is None or is_picture(main.target)):
                return None  # "remove the cars except the red one": not an inversion we can express
            phrase = read_phrase(lower[at + length :])
            instruction = [("it" if w.lower() in EVERYTHING_WORDS else w) for w in words[:at]]
        if phrase.pronoun:
            phrase = Phrase(context.resolve(phrase.pronoun))
        if phrase.target is None:
            return None
        return _Draft(sentence_case(instruction), target=phrase.target, invert=True)

    def _read_command(self, words: list[str], lower: list[str], context: Context) -> _Draft | None:
        verb = lower[0]
        n = _verb_length(lower)
        if verb not in EDIT_VERBS and n == 1:
            return self._read_fragment(words, lower)
        rest = lower[n:]
        if verb in GIVE_VERBS:
            return self._read_give(words, lower, n, context)
        if n > 1 or verb in REMOVE_VERBS:
            return self._read_object_then_place(words, lower, n, context, complement=False)
        if verb in REPLACE_VERBS:
            return self._read_object_then_place(
                words, lower, n, context, complement=False, created_after=("with", "by", "for", "to")
            )
        if verb in ADD_VERBS or (verb in ("paint", "draw") and rest[:1] and rest[0] in ("a", "an", "some")):
            return self._read_add(words, lower, n, context)
        if verb in FILL_VERBS:
            return self._read_object_then_place(
                words, lower, n, context, complement=False, created_after=("with", "in")
            )
        if verb in STATE_VERBS or verb in TRANSFORM_VERBS:
            return self._read_state(words, lower, n, context)
        return self._read_object_then_place(words, lower, n, context, complement=True)

    def _read_fragment(self, words: list[str], lower: list[str]) -> _Draft:
        """A clause with no verb: "black and white", "more contrast", "a snowy night"."""
        if lower[0] in ("more", "less", "some", "extra"):
            return _Draft(sentence_case(["add", *words]))
        if has_global_cue(lower):
            return _Draft(sentence_case(["make", "it", *words]))
        if len(lower) < 2 or lower[1] not in DETERMINERS | PRONOUNS:
            return _Draft(sentence_case(words))  # nothing we can read: the editor gets the words as they are
        # An unknown verb with an object ("frost the windows"): read it like any other command.
        end = noun_phrase_end(lower, 1, complement_follows=True)
        phrase = read_phrase(lower[1:end])
        return _Draft(sentence_case(words), target=phrase.target, mentions=(phrase.possessor, phrase.target))

    def _resolve(self, words: list[str], lower: list[str], start: int, end: int, phrase: Phrase,
                 context: Context) -> tuple[list[str], Phrase]:
        """Replace a pronoun object by what it refers to ("make them yellow" -> "make the tulips yellow")."""
        if not phrase.pronoun:
            return words, phrase
        referent = context.resolve(phrase.pronoun)
        if referent is None:
            # Nobody named yet: "give her a necklace" still means a person; "make it red" means the picture.
            return words, Phrase("person" if phrase.pronoun in ("him", "her") else None)
        pronoun_at = next(i for i in range(start, end) if lower[i] in PRONOUNS)
        words = words[:pronoun_at] + ["the", *referent.split()] + words[pronoun_at + 1 :]
        return words, Phrase(referent)

    def _read_state(self, words: list[str], lower: list[str], n: int, context: Context) -> _Draft:
        """ "make/turn/paint X COMPLEMENT" and "turn/change X into/to Y"."""
        start = n
        particle = lower[start : start + 1] in (["on"], ["off"], ["up"], ["down"]) and lower[0] == "turn"
        start += particle  # "turn on the lights"
        end = noun_phrase_end(lower, start, complement_follows=True)
        if end == len(lower) and lower[0] in STATE_VERBS and not particle:
            # No complement found: "paint the wall with a mural" or an unknown word ("make the building
            # glow"). Attached place phrases were a guess; the last word is the complement.
            end = noun_phrase_end(lower, start, complement_follows=True, attach=False)
            content = [w for w in lower[start:end] if w not in DETERMINERS]
            if end == len(lower) and len(content) >= 2:
                end -= 1
        phrase = read_phrase(lower[start:end])
        complement = lower[end:]
        if phrase.pronoun == "it" and (has_global_cue(complement) or not context.last_step_local):
            return _Draft(sentence_case(words))  # "make it snow", "make it look like winter"
        words, phrase = self._resolve(words, lower, start, end, phrase, context)
        created = None
        if complement[:1] and complement[0] in ("into", "to") and lower[0] in TRANSFORM_VERBS:
            created = read_phrase(complement[1:]).target
            if phrase.target and phrase.target.split()[-1] in PICTURE_LIKE and has_global_cue(complement[1:]):
                return _Draft(sentence_case(words))  # "turn the painting into a pencil drawing": the picture
        return _Draft(sentence_case(words), target=phrase.target,
                      mentions=(phrase.possessor, phrase.target, created))

    def _read_give(self, words: list[str], lower: list[str], n: int, context: Context) -> _Draft:
        """ "give the boy a cowboy hat": the receiver is the target, the gift is what the step makes."""
        start = n
        end = noun_phrase_end(lower, start, complement_follows=True)
        if lower[start : start + 1] == ["her"]:
            end = start + 1  # "give her earrings": after "give", "her" is the receiver, not a possessive
        elif end == len(lower):  # "give the car racing stripes": no article to cut at; take one noun
            end = start
            while end < len(lower) and lower[end] in DETERMINERS:
                end += 1
            end = min(end + 1, len(lower))
        phrase = Phrase(None, pronoun="her") if lower[start:end] == ["her"] else read_phrase(lower[start:end])
        gift = read_phrase(lower[end:]).target
        if phrase.pronoun == "it" and (has_global_cue(lower[end:]) or not context.last_step_local):
            return _Draft(sentence_case(words))  # "give it a vintage look"
        words, phrase = self._resolve(words, lower, start, end, phrase, context)
        return _Draft(sentence_case(words), target=phrase.target, mentions=(phrase.possessor, phrase.target, gift))

    def _read_add(self, words: list[str], lower: list[str], n: int, context: Context) -> _Draft:
        """ "add/put X on the Y": Y is the target; with no place, the whole picture is."""
        at, length = find_phrase(lower, PLACE_PREPOSITIONS, n + 1)
        thing = read_phrase(lower[n : at if at > 0 else len(lower)]).target
        if at < 0:
            return _Draft(sentence_case(words), mentions=(thing,))
        end = noun_phrase_end(lower, at + length, complement_follows=False, allow_and=False)
        place = read_phrase(lower[at + length : end])
        if lower[n] in DEFINITE and lower[at + length] not in DEFINITE and (thing or "") not in ("", None):
            # "put the man in a suit": the existing thing is edited, the indefinite place is new.
            place = read_phrase(lower[n:at])
            end, at, length = at, n, 0
        owned = place.possessor or set(lower[at + length : end]) & _POSSESSIVES  # "the girl's hand", "his hand"
        if not owned and place.target and set(place.target.split()) <= (POSITIONS - REGIONS) | {
            "side", "half", "part", "hand"
        }:
            return _Draft(sentence_case(words))  # "add a tree on the left": no object to mask
        words, place = self._resolve(words, lower, at + length, end, place, context)
        return _Draft(sentence_case(words), target=place.target, mentions=(place.possessor, place.target, thing))

    def _read_object_then_place(self, words: list[str], lower: list[str], n: int, context: Context, *,
                                complement: bool, created_after: tuple[str, ...] = ()) -> _Draft:
        """ "remove the cup from the table", "replace the apples with oranges", "blur the background"."""
        start = n
        if lower[start : start + 1] and lower[start] in ("up", "down", "out", "off", "in"):
            start += 1  # "brighten up the sky", "zoom in"
        end = noun_phrase_end(lower, start, complement_follows=complement)
        phrase = read_phrase(lower[start:end])
        if phrase.pronoun == "it" and not context.last_step_local:
            return _Draft(sentence_case(words))
        words, phrase = self._resolve(words, lower, start, end, phrase, context)
        created = None
        if lower[end : end + 1] and lower[end] in created_after:
            created = read_phrase(lower[end + 1 :]).target
        return _Draft(sentence_case(words), target=phrase.target, mentions=(phrase.possessor, phrase.target, created))


def _verb_length(lower: Sequence[str]) -> int:
    """How many words the clause's verb takes: 3 for "get rid of", 2 for "take out" or "scale up", else 1."""
    for phrase in (*REMOVE_PHRASES, *PHRASAL_VERBS):
        if starts_with(lower, phrase):
            return len(phrase)
    return 1


def _read_condition(words: list[str], context: Context, *, last: bool) -> list[str]:
    """ "if the sky is grey(,) make it blue": the condition is no edit, but its subject is what "it" means next.

    Returns the words of the edit that follows the condition in the same clause (none when the clause was only
    the condition and another clause follows). A clause that does not start with a condition, or a condition
    that nothing follows ("if the sky were green": a wish), comes back as it is.
    """
    lower = [w.lower() for w in words]
    if len(lower) < 3 or lower[0] not in CONDITION_WORDS:
        return words
    copula = next((i for i in range(2, len(lower)) if lower[i] in COPULAS), -1)
    if copula < 0:
        return words
    edit_at = next((i for i in range(copula + 1, len(lower)) if lower[i] in EDIT_VERBS), len(lower))
    if edit_at == len(lower) and last:
        return words
    subject = read_phrase(lower[1:copula])
    if subject.target and not is_picture(subject.target):
        context.remember(subject.target)
        context.last_step_local = True
    return words[edit_at:]


def _read_keep(lower: list[str]) -> _Draft | None:
    """ "keep the cat in colour", "leave the man as he is", "don't change the sky": protect, do not edit."""
    if lower[0] in KEEP_VERBS:
        start = 1
    elif starts_dont_edit(lower):
        start = find_phrase(lower[:2], DONT_EDIT)[1] + 1
    else:
        return None
    end = start
    while end < len(lower) and lower[end] not in KEEP_TAIL and tuple(lower[end : end + 2]) not in (
        ("the", "same"), ("the", "way")
    ):
        position_end = positional_end(lower, end)
        if position_end > end:
            end = position_end
            continue
        if lower[end] in PREPOSITIONS or (end > start and lower[end] in PRONOUNS):  # "as she is", "so it stays"
            break
        end += 1
    phrase = read_phrase(lower[start:end])
    if phrase.target is None or is_picture(phrase.target):
        return None
    return _Draft("", target=phrase.target, keep=True)


def _quoted(request: str, limit: int = 80) -> str:
    text = " ".join(request.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
