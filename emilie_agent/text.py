"""English helpers used everywhere: word tokens, singular nouns, plural phrases, and the one "is empty" check.

The planner names a target in the singular ("apple": the kind of object to look for), the masker decides from
a phrase whether to keep one match or all of them, and the agent matches "the people" to an earlier edit of
"the person": all three read number the same way, here.

Rules, not a dictionary: they cover the nouns people name in pictures. Plurale tantum nouns stay as they are
("glasses", "jeans", "scissors"): in an edit request "glasses" nearly always means spectacles, and one pair of
them is still "glasses" ("give him glasses" must not look for "a glass").
"""
from __future__ import annotations

import re

from .errors import InvalidRequestError

_WORD = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")

_IRREGULAR = {
    "people": "person", "men": "man", "women": "woman", "children": "child", "feet": "foot", "teeth": "tooth",
    "mice": "mouse", "geese": "goose", "lice": "louse", "oxen": "ox", "dice": "die", "cacti": "cactus",
    "fungi": "fungus", "quizzes": "quiz", "buses": "bus", "gases": "gas", "lenses": "lens", "irises": "iris",
}
# Compounds keep the irregular ending: "policemen", "grandchildren", "townspeople".
_IRREGULAR_ENDINGS = (("women", "woman"), ("men", "man"), ("children", "child"), ("people", "person"))
_NOT_MEN = frozenset("amen omen semen ramen yemen hymen stamen abdomen specimen regimen acumen".split())
# "-ves" plurals whose singular ends in f or fe; every other "-ves" only drops the s ("gloves", "waves").
_VES_TO_F = {
    "knives": "knife", "wives": "wife", "lives": "life", "midwives": "midwife", "housewives": "housewife",
    "leaves": "leaf", "wolves": "wolf", "shelves": "shelf", "loaves": "loaf", "scarves": "scarf",
    "calves": "calf", "halves": "half", "thieves": "thief", "elves": "elf", "selves": "self", "hooves": "hoof",
    "sheaves": "sheaf", "wharves": "wharf", "dwarves": "dwarf",
}
# "-oes" plurals whose singular ends in o; every other "-oes" only drops the s ("shoes", "toes", "canoes").
_OES_TO_O = frozenset(
    "tomatoes potatoes heroes mangoes volcanoes echoes torpedoes mosquitoes dominoes tornadoes buffaloes "
    "flamingoes avocadoes".split()
)
# Plural in form, one thing (or a pair) in meaning, or the same in both numbers.
PLURALE_TANTUM = frozenset(
    """glasses sunglasses eyeglasses spectacles goggles binoculars jeans pants trousers shorts overalls pajamas
    pyjamas leggings tights briefs clothes scissors pliers tongs headphones earphones news series species
    sheep deer fish aircraft police cattle""".split()
)
# Words that end in s but are not plural nouns: singular nouns and function words.
_SINGULAR_S = frozenset(
    """bus gas lens iris atlas canvas chaos bias cosmos christmas lotus cactus octopus walrus bonus campus
    circus status virus fungus hippopotamus platypus asparagus hummus citrus crocus hibiscus abacus tennis
    this his hers its ours yours theirs us is was has does yes always perhaps towards afterwards besides
    sometimes whereas thus plus minus versus""".split()
)
# "-ies" plurals of nouns ending in "ie" ("cookie"), not "y" ("puppy").
_IE_PLURALS = frozenset(
    """cookies movies pies ties bowties zombies brownies selfies hippies lies rookies calories magpies
    pixies budgies collies hoodies beanies smoothies aunties""".split()
)
# "-ches"/"-ses" plurals of nouns that end in e ("moustache", "horse"): they only drop the s.
_E_ENDINGS = frozenset(
    "niches caches moustaches mustaches headaches avalanches quiches creches cliches".split()
)

# Words before the head noun that say "several": "both cups", "all the apples", "the two dogs".
PLURAL_QUANTIFIERS = frozenset(
    """both all every each these those several many multiple few two three four five six seven eight nine ten
    eleven twelve dozen dozens pair couple group""".split()
)
_DETERMINERS = frozenset("a an the this that these those his her my your our their its some any of".split())
# A noun phrase ends where a prepositional phrase or a relative clause starts ("the cat | on the table").
_PHRASE_BREAKS = frozenset(
    """on in at with near behind under over above below beside besides next by of from into onto inside outside
    between among along across against around beyond toward towards without within that which who whose where
    wearing holding carrying sitting standing lying running walking riding to""".split()
)


def words(text: str) -> list[str]:
    """Lower-case word tokens: letters and digits, with inner apostrophes and hyphens ("lady's", "t-shirt")."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def singular(word: str) -> str:
    """The singular of a noun, lower case: "knives" -> "knife", "people" -> "person", "cups" -> "cup".

    Singular nouns, plurale tantum nouns ("glasses", "jeans", "sheep"), possessives ("dog's") and function
    words ("this", "is") come back unchanged.
    """
    word = word.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word in _VES_TO_F:
        return _VES_TO_F[word]
    for ending, replacement in _IRREGULAR_ENDINGS:
        if word.endswith(ending) and word not in _NOT_MEN:
            return word[: -len(ending)] + replacement
    if len(word) <= 3 or not word.endswith("s") or word in PLURALE_TANTUM or word in _SINGULAR_S:
        return word
    if word.endswith(("ss", "us", "is", "'s")):
        return word
    if word.endswith("ies") and len(word) > 4 and word not in _IE_PLURALS:
        return word[:-3] + "y"  # puppies -> puppy
    if word in _OES_TO_O:
        return word[:-2]
    if word.endswith("es") and word[:-2] in _SINGULAR_S:
        return word[:-2]  # canvases -> canvas
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")) and word not in _E_ENDINGS:
        return word[:-2]  # boxes -> box, beaches -> beach
    return word[:-1]


def _is_plural_noun(word: str) -> bool:
    if word in PLURALE_TANTUM:
        return word not in ("sheep", "deer", "fish", "aircraft", "news", "series", "species")
    return singular(word) != word


def _first_noun_phrase(tokens: list[str]) -> tuple[int, int]:
    """[start, end) of the first noun phrase in ``tokens``: leading determiners, quantifiers and numbers are
    skipped; the phrase ends before a preposition, a relative pronoun or "and"."""
    start = 0
    while start < len(tokens) and (
        tokens[start] in _DETERMINERS or tokens[start] in PLURAL_QUANTIFIERS or tokens[start].isdigit()
    ):
        start += 1
    end = start
    while end < len(tokens) and not (end > start and (tokens[end] in _PHRASE_BREAKS or tokens[end] == "and")):
        end += 1
    return start, end


def head_noun(phrase: str) -> str:
    """The last word of the first noun phrase: "car" in "the red car on the left"; "" when there is none."""
    tokens = words(phrase)
    start, end = _first_noun_phrase(tokens)
    return tokens[end - 1] if end > start else ""


def is_plural(phrase: str) -> bool:
    """Whether a phrase names several things: a quantifier or number before the head noun ("both cups",
    "3 birds"), a second noun phrase joined by "and" ("the cup and the plate"), or a plural head noun
    ("the dogs", "the people on the left")."""
    tokens = words(phrase)
    start, end = _first_noun_phrase(tokens)
    if any(w in PLURAL_QUANTIFIERS or (w.isdigit() and w != "1") for w in tokens[:start]):
        return True
    if end < len(tokens) and tokens[end] == "and" and end > start:
        return True
    return end > start and _is_plural_noun(tokens[end - 1])


def same_noun(a: str, b: str) -> bool:
    """Whether two phrases name the same kind of thing, whatever the number: "people" ~ "person",
    "the knives" ~ "knife". Compares the singular of the head nouns."""
    head_a, head_b = head_noun(a), head_noun(b)
    return bool(head_a) and singular(head_a) == singular(head_b)


def require_text(
    value: object, what: str = "request", example: str | None = None, advice: str = "say what to change"
) -> str:
    """``value`` stripped; an InvalidRequestError when it is missing, blank or not text.

    The one place "the request is empty" is written: ``what`` names the thing ("instruction", "target phrase"),
    ``advice`` and ``example`` say what to give instead, as written after "e.g.".
    """
    if value is not None and not isinstance(value, str):
        raise InvalidRequestError(f"the {what} must be text, not {type(value).__name__}")
    text = (value or "").strip()
    if not text:
        hint = f"{advice}, e.g. {example}" if example else advice
        raise InvalidRequestError(f"the {what} is empty: {hint}")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8, as Python keeps them
            raise InvalidRequestError(f"the {what} is not valid text (it holds bytes that are not UTF-8)") from None
    return text
