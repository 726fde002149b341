"""The offline request planner: a few hand-written rules, no model, no network.

How a request becomes steps:

1. **Split** into clauses: sentence breaks, ``;``, "then", "and then", "after that", "finally", and a comma
   or "and"/"but"/"while" when what follows starts a new command ("... and make the sky stormy"). An "and"
   that only continues a phrase ("black and white") does not split. An elided verb is restored: "make the
   dress green and her hair blonde" -> "make her hair blonde".
2. **Read each clause** by its verb: remove / replace / turn-into / add-on / give / make-it-ADJ / others. The
   object noun phrase is cut where its complement starts (a colour, an adjective, "into", "like", a second
   article...), determiners and possessors are dropped ("the lady's dress" -> "dress"), and the place an
   object is added to is the target ("put X on the Y" -> "Y").
3. **Decide the scope**: a step is global when it acts on the picture itself ("it", "the photo", "the whole
   scene", "the contrast") or adds something with no place; otherwise it is local to its target.
4. **Resolve references** with the steps so far (and the session's earlier steps): "it"/"them"/"him"/"her",
   "everything except X" / "keep X and change everything else" (invert).

The vocabulary below is a small lexicon of English edit verbs, colours, adjectives, prepositions and global
cues (seasons, weather, time of day, styles, filters); it describes the language, not particular requests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from ..errors import InvalidRequestError
from .plan import Plan, Step


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- lexicon -----------------------------------------------------------------------------------------------

DETERMINERS = _words(
    "the a an this that these those some any my your his her its their our all both each every whole entire "
    "one two three four five six seven eight nine ten few several many couple of lots"
)
DEFINITE = _words("the this that these those my your his her its their our")
ARTICLES_AFTER_OBJECT = _words("a an some two three four five several many")  # "give the boy | a hat"
PRONOUNS = _words("it them him her they he she this these those everyone everybody")

REMOVE_VERBS = _words("remove erase delete eliminate clear wipe hide drop lose")
REMOVE_PHRASES = (("get", "rid", "of"), ("take", "out"), ("take", "away"), ("take", "off"), ("cut", "out"))
REPLACE_VERBS = _words("replace swap switch substitute exchange trade")
TRANSFORM_VERBS = _words("turn change transform convert morph make render alter modify update switch")
STATE_VERBS = _words("make turn paint repaint color colour recolor recolour dye tint render get let have")
ADD_VERBS = _words(
    "add put place insert draw include attach stick hang plant set throw sprinkle scatter spread position "
    "install build create generate write pour lay stack bring grow apply sprout"
)
GIVE_VERBS = _words("give hand")
FILL_VERBS = _words("fill cover decorate surround wrap coat dress adorn top line")
ADJUST_VERBS = _words(
    "brighten darken lighten sharpen blur soften saturate desaturate enhance increase decrease reduce boost "
    "raise lower adjust warm cool fade zoom crop rotate flip mirror invert stylize colorize colourize colorise "
    "denoise use tone grade age"
)
OTHER_VERBS = _words(
    "move shift enlarge shrink resize widen stretch extend expand shorten lengthen straighten curl trim cut "
    "shave open close break crack melt freeze burn flood light illuminate highlight fix repair clean restore "
    "duplicate copy multiply double animate redraw recreate reimagine transform shade outline"
)
KEEP_VERBS = _words("keep keeping leave leaving preserve preserving protect protecting")
EDIT_VERBS = (
    REMOVE_VERBS | REPLACE_VERBS | TRANSFORM_VERBS | STATE_VERBS | ADD_VERBS | GIVE_VERBS | FILL_VERBS
    | ADJUST_VERBS | OTHER_VERBS | KEEP_VERBS | {"get", "take"}
)
# Verbs that are also common nouns or adjectives: they start a new clause only before an article or pronoun
# ("... and light the candles"), never on their own ("red and light blue").
AMBIGUOUS_VERBS = _words(
    "light color colour paint dress set place fill cover show age double copy mirror crack flood plant cut "
    "clear close open warm cool fade spread trim shift use lower top line tone grade drop hang stick lay "
    "throw pour bring grow hide break burn freeze melt tint switch trade exchange position build write lose "
    "wrap coat frame shade outline duplicate zoom crop rotate flip lengthen"
)

COLORS = _words(
    "red orange yellow green blue purple violet pink brown black white gray grey silver gold golden beige teal "
    "turquoise cyan magenta maroon navy crimson scarlet lavender lilac indigo olive tan cream ivory blonde "
    "blond brunette ginger auburn bronze copper emerald amber peach coral mint lime khaki charcoal platinum "
    "multicolored multicoloured colorful colourful"
)
ADJECTIVES = _words(
    "big bigger biggest small smaller smallest large larger huge giant gigantic enormous massive tiny "
    "miniature tall taller short shorter long longer wide wider narrow thin thinner thick thicker fat fatter "
    "skinny round square flat old older ancient young younger new newer modern happy happier sad angry "
    "smiling surprised scared shocked sleepy shiny shinier glossy matte metallic wooden transparent invisible "
    "glowing sparkly sparkling shimmering fluffy furry hairy bald wet dry frozen icy snowy rainy stormy cloudy "
    "sunny foggy misty dark darker bright brighter lighter warm warmer cool cooler cold colder hot hotter "
    "vibrant vivid faded dull duller clean cleaner dirty dirtier rusty broken shattered cracked burnt burning "
    "light deep flaming messy neat tidy futuristic retro vintage striped stripy spotted spotty dotted polka checkered "
    "checked plaid floral patterned blurry blurred sharp sharper realistic cartoonish visible empty full open "
    "closed bare muddy dusty sandy leafy bushy curly straight wavy spiky shaggy smooth rough wrinkled pale "
    "tanned muscular healthy sick evil cute scary spooky creepy fancy elegant shabby luxurious lush dead "
    "alive blooming withered wilted ripe rotten fresh colored coloured painted stained torn pastel neon "
    "translucent sepia monochrome grayscale greyscale saturated desaturated crystal marble stone clear calm "
    "choppy crisp glittery calmer rougher"
)
DEGREE_WORDS = _words(
    "more less much very really extremely slightly somewhat completely fully totally entirely partially "
    "partly super extra too so quite bit little lot even way all"
)
ACTION_WORDS = _words(  # "make the dog | wear a bow tie"
    "look looks appear seem wear wearing glow glowing shine shining sparkle smile smiling laugh laughing cry "
    "crying frown hold holding have fly flying float floating jump jumping dance dancing sing run running walk "
    "walking sit sitting stand standing sleep sleeping wave waving blush melt melting burn burning bloom "
    "blooming blossom explode disappear vanish fade become be eat eating drink drinking read reading ride "
    "riding play playing swim swimming wink winking point pointing facing stare rain snow"
)
PREPOSITIONS = _words(
    "into to onto from with without in on at by for under over above below beneath behind beside besides near "
    "next around across along through inside outside between among against like as off out up down within "
    "toward towards instead rather than via except using atop upon underneath"
)
RELATIVES = _words("that which who whose where when while so because if")
# Where an added thing goes ("put X on the Y"); the longest phrase is tried first.
PLACE_PREPOSITIONS = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "on", "onto", "to", "in", "into", "inside", "over", "above", "under", "below", "beneath",
                "underneath", "behind", "beside", "near", "around", "across", "along", "at", "atop", "upon",
                "within", "between", "among", "against", "by", "next to", "close to", "on top of",
                "in front of", "on the side of", "at the top of", "at the bottom of", "in the middle of",
                "to the left of", "to the right of", "on the left of", "on the right of", "all over",
            )
        ),
        key=len,
        reverse=True,
    )
)
POSITIONS = _words(
    "left right top bottom middle center centre front back background foreground distance corner side edge "
    "upper lower far"
)
REGIONS = _words("background foreground")  # positions the masker can find on their own
PART_WORDS = _words(
    "top bottom side edge corner front back middle center centre left right part half surface end tip "
    "color colour shade size shape texture pattern material"
)
PICTURE_NOUNS = _words(
    "picture image photo photograph pic scene shot frame everything thing view composition landscape setting "
    "environment surroundings world snapshot canvas artwork overall"
)
SCENE_ATTRIBUTES = _words(  # nouns that name a property of the whole picture
    "contrast saturation brightness exposure colors colours color colour lighting light hue hues tones tone "
    "tint temperature sharpness vibrance clarity shadows highlights mood atmosphere vibe vibes style season "
    "weather time day night daytime nighttime filter grain noise focus look feel aesthetic palette ambience "
    "ambiance"
)
GLOBAL_CUES = _words(
    # seasons and weather
    "winter wintry wintertime summer summertime autumn autumnal fall spring springtime snow snowy snowing "
    "snowfall snowstorm blizzard rain rainy raining rainstorm storm stormy thunderstorm thunder lightning fog "
    "foggy mist misty haze hazy cloudy overcast sunny sunshine drizzle hail windy weather "
    # time of day
    "night nighttime night-time midnight day daytime daylight sunset sunrise dusk dawn twilight evening "
    "morning noon afternoon moonlight moonlit "
    # styles
    "painting painted watercolor watercolour oil sketch sketched drawing drawn pencil ink cartoon cartoonish "
    "anime manga comic illustration illustrated pixel pixelated mosaic impressionist impressionism "
    "expressionist cubist cubism surreal surrealist abstract renaissance baroque gothic vintage retro antique "
    "film polaroid noir cinematic movie cyberpunk steampunk futuristic sci-fi fantasy fairy fairytale magical "
    "dreamy dreamlike psychedelic vaporwave synthwave lego claymation clay 3d render cgi origami woodcut "
    "engraving etching poster postcard photorealistic hdr gogh monet picasso dali rembrandt vinci warhol "
    "hokusai ukiyo-e ghibli pixar disney style styled aesthetic theme themed vibe vibes mood atmosphere look "
    "feel tone effect filter "
    # filters and adjustments
    "b&w grayscale greyscale monochrome monochromatic sepia brighter bright brighten brightness darker dark "
    "darken lighter lighten warmer warm warmth cooler cool colder cold contrast saturation saturated "
    "desaturated vivid vibrant faded muted pastel exposure overexposed underexposed sharper sharpen blurry "
    "blur grainy grain vignette tint hue lighting dramatic moody gloomy spooky eerie apocalyptic haunted "
    "halloween christmas festive tropical desert arctic underwater space"
)
# Global cues that are also the names of things ("the movie poster", "the oil painting"): they do not end an
# object's noun phrase the way "autumn" does in "make the trees autumn coloured".
STYLE_NOUNS = _words(
    "painting drawing sketch illustration poster postcard film movie comic cartoon mosaic render engraving "
    "etching woodcut origami lego clay style effect filter look feel tone theme vibe vibes mood atmosphere ink "
    "pencil oil pixel space desert fall spring light"
)
PHRASE_ENDING_CUES = GLOBAL_CUES - STYLE_NOUNS
PICTURE_LIKE = _words("painting drawing sketch illustration artwork")  # "turn the painting into a sketch"
GLOBAL_PHRASES = ("black and white", "golden hour", "blue hour", "time of day", "fairy tale", "pop art", "art deco")

PEOPLE = _words(
    "man men woman women boy boys girl girls person people lady ladies guy guys gentleman kid kids child "
    "children baby toddler teen teenager bride groom king queen prince princess father mother dad mom mum "
    "grandma grandpa grandmother grandfather uncle aunt player rider driver soldier doctor chef teacher "
    "student worker dancer singer actor actress friend husband wife son daughter brother sister boyfriend "
    "girlfriend model officer policeman policewoman cowboy pirate wizard witch knight nurse farmer fisherman "
    "runner surfer skier skateboarder cyclist snowman businessman grandmother"
)
FEMALE = _words(
    "woman women girl girls lady ladies bride queen princess mother mom mum grandma grandmother aunt actress "
    "wife daughter sister girlfriend policewoman witch nurse"
)
MALE = _words(
    "man men boy boys guy guys gentleman groom king prince father dad grandpa grandfather uncle actor husband "
    "son brother boyfriend policeman cowboy wizard knight fisherman businessman snowman"
)

LEADING_FILLERS = (
    ("please",), ("kindly",), ("just",), ("now",), ("ok",), ("okay",), ("alright",), ("so",), ("and",),
    ("also",), ("then",), ("hey",), ("hi",), ("maybe",), ("first",), ("firstly",), ("second",), ("secondly",),
    ("third",), ("thirdly",), ("lastly",), ("finally",), ("afterwards",), ("afterward",), ("after", "that"),
    ("can", "you"), ("could", "you"), ("would", "you"), ("will", "you"), ("i", "want", "you", "to"),
    ("i'd", "like", "you", "to"), ("i", "would", "like", "you", "to"), ("i", "need", "you", "to"),
    ("i", "want", "to"), ("i'd", "like", "to"), ("i", "would", "like", "to"), ("let's",), ("let", "us"),
    ("go", "ahead", "and"), ("try", "to"), ("next",), ("plus",),
)
TRAILING_FILLERS = (("please",), ("for", "me"), ("as", "well"), ("too",), ("thanks",), ("thank", "you"))
KEEP_TAIL = _words(
    "as unchanged untouched intact alone same original exactly how unaltered unmodified unedited identical "
    "safe fixed colored coloured color colour sharp normal real"
)
EXCEPT_MARKERS = (
    ("with", "the", "exception", "of"), ("except", "for"), ("apart", "from"), ("other", "than"),
    ("aside", "from"), ("save", "for"), ("not", "including"), ("but", "not"), ("except",), ("but",),
    ("besides",), ("excluding",), ("minus",),
)
EVERYTHING_WORDS = _words("everything all everyone everybody")
ELSE_PHRASES = (
    ("everything", "else"), ("all", "else"), ("everyone", "else"), ("the", "rest", "of", "the", "picture"),
    ("the", "rest", "of", "the", "image"), ("the", "rest", "of", "the", "photo"),
    ("the", "rest", "of", "the", "scene"), ("the", "rest"), ("everything", "around", "it"),
    ("everything", "around", "him"), ("everything", "around", "her"), ("everything", "around", "them"),
)
DONT_EDIT = (("don't",), ("do", "not"), ("without",), ("not",))
DONT_EDIT_VERBS = _words("change changing touch touching edit editing alter altering modify modifying affect affecting")

TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['&\-][A-Za-z0-9]+)*'?")


# --- small helpers -----------------------------------------------------------------------------------------


def _starts_with(words: Sequence[str], phrase: Sequence[str], at: int = 0) -> bool:
    return tuple(words[at : at + len(phrase)]) == tuple(phrase)


def _find_phrase(words: Sequence[str], phrases: Sequence[Sequence[str]], start: int = 0) -> tuple[int, int]:
    """(index, length) of the first of ``phrases`` found at or after ``start``; (-1, 0) when none is."""
    for i in range(start, len(words)):
        for phrase in phrases:
            if _starts_with(words, phrase, i):
                return i, len(phrase)
    return -1, 0


_IRREGULAR_PLURALS = {
    "men": "man", "women": "woman", "children": "child", "people": "person", "feet": "foot", "teeth": "tooth",
    "mice": "mouse", "geese": "goose", "leaves": "leaf", "knives": "knife", "wolves": "wolf", "shelves": "shelf",
    "loaves": "loaf", "scarves": "scarf", "calves": "calf", "halves": "half", "wives": "wife", "lives": "life",
    "buses": "bus", "tomatoes": "tomato", "potatoes": "potato", "heroes": "hero", "mangoes": "mango",
    "volcanoes": "volcano", "dice": "die", "oxen": "ox", "cacti": "cactus", "fungi": "fungus",
}
_PLURALE_TANTUM = _words(
    "glasses sunglasses eyeglasses goggles jeans pants trousers shorts clothes scissors headphones earphones "
    "pajamas pyjamas leggings tights binoculars news species series overalls"
)
_IE_PLURALS = _words("movies cookies pies ties bowties zombies brownies selfies hippies lies rookies calories")
_TARGET_HEAD_ENDS = _words("of on in at and with near by from under over behind")


def singular_noun(word: str) -> str:
    """The singular of a plural noun: the masker looks for "apple" in a picture of apples just as well, and a
    target in the singular names the kind of object whatever the number."""
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.endswith("s") or word in _PLURALE_TANTUM:
        return word
    if word.endswith(("ss", "us", "is", "'s")):
        return word
    if word.endswith("ies") and len(word) > 4 and word not in _IE_PLURALS:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    return word[:-1]


def _singular_target(target: str) -> str:
    """Singular head nouns: "the apples on the left" -> "apple on the left"; "cats and dogs" -> "cat and dog"."""
    words = target.split()
    return " ".join(
        singular_noun(w) if i == len(words) - 1 or words[i + 1] in _TARGET_HEAD_ENDS else w for i, w in enumerate(words)
    )


def _is_plural(phrase: str) -> bool:
    head = phrase.split()[-1] if phrase else ""
    return head in {"people", "men", "women", "children", "feet", "teeth", "mice", "geese"} or (
        head.endswith("s") and not head.endswith("ss") and len(head) > 3
    )


def _is_person(phrase: str) -> bool:
    head = phrase.split()[-1] if phrase else ""
    return head in PEOPLE or head.endswith("man") or head.endswith("woman")


def _has_global_cue(words: Sequence[str]) -> bool:
    text = " ".join(words)
    return any(w in GLOBAL_CUES for w in words) or any(p in text for p in GLOBAL_PHRASES)


def _sentence_case(words: Sequence[str]) -> str:
    """Join words into an instruction: lower-case first word (unless it is "I"), the rest as written."""
    if not words:
        return ""
    if all(w.isupper() for w in words if len(w) > 1):  # "MAKE THE CAR RED": shouting is not a proper noun
        words = [w.lower() for w in words]
    first = words[0] if words[0] in ("I", "I'd") else words[0].lower()
    return " ".join([first, *words[1:]])


# --- clauses -----------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """A clause's words as written (apostrophes kept: "lady's", "don't")."""
    return TOKEN_RE.findall(text.replace("\u2019", "'"))


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
    return [c for c in clauses if TOKEN_RE.search(c)]


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


def _strip_fillers(words: list[str]) -> list[str]:
    lower = [w.lower() for w in words]
    changed = True
    while changed and lower:
        changed = False
        for filler in LEADING_FILLERS:
            if _starts_with(lower, filler):
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
    left_words = [w.lower() for w in _strip_fillers(_tokens(left))]
    right_words = [w.lower() for w in _strip_fillers(_tokens(right))]
    if not left_words or not right_words:
        return None
    first = right_words[0]
    if first in KEEP_VERBS or _starts_dont_edit(right_words):
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
    if verb in ADD_VERBS and _find_phrase(left_words, PLACE_PREPOSITIONS, 1)[0] > 0 and _find_phrase(
        right_words, PLACE_PREPOSITIONS, 1
    )[0] > 0:
        return verb + " "
    return None


def _starts_dont_edit(lower: Sequence[str]) -> bool:
    """ "don't change ...", "do not touch ...", "without changing ..."."""
    at, length = _find_phrase(lower[:2], DONT_EDIT)
    return at == 0 and len(lower) > length and lower[length] in DONT_EDIT_VERBS


def _is_state_word(word: str) -> bool:
    return word in COLORS or word in ADJECTIVES or word in GLOBAL_CUES


# --- noun phrases ------------------------------------------------------------------------------------------


def _positional_end(lower: Sequence[str], i: int) -> int:
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


ATTACHED_PREPOSITIONS = _words("in on at near behind under beside by inside above below")


def _noun_phrase_end(lower: Sequence[str], start: int, *, complement_follows: bool, allow_and: bool = True,
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
            position_end = _positional_end(lower, i)
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
            or word in ARTICLES_AFTER_OBJECT or word in PHRASE_ENDING_CUES
        ):
            break
        i += 1
    return i


def _her_is_pronoun(lower: Sequence[str], i: int) -> bool:
    """"her" is an object pronoun when no noun follows it ("give her a hat", "make her smile")."""
    nxt = lower[i + 1] if i + 1 < len(lower) else ""
    return not nxt or nxt in DETERMINERS or nxt in PREPOSITIONS or nxt in ACTION_WORDS or nxt in COLORS or (
        nxt in ADJECTIVES and (i + 2 >= len(lower))
    )


@dataclass
class _Phrase:
    """A noun phrase read from a clause: what the masker should look for, and who owns it."""

    target: str | None  # None when the phrase is empty
    possessor: str | None = None
    pronoun: str | None = None  # "it", "them", "him", "her" when the phrase is only a pronoun


def _read_phrase(lower: Sequence[str]) -> _Phrase:
    """Read a noun phrase; "the man's hat and the woman's scarf" is read one conjunct at a time."""
    words = list(lower)
    if "and" in words[1:-1]:
        cut = words.index("and", 1)
        first, second = _read_one_phrase(words[:cut]), _read_phrase(words[cut + 1 :])
        if first.target and second.target:
            return _Phrase(f"{first.target} and {second.target}", possessor=first.possessor or second.possessor)
    return _read_one_phrase(words)


def _read_one_phrase(lower: Sequence[str]) -> _Phrase:
    words = list(lower)
    while words and words[0] in DETERMINERS and not (words[0] == "her" and _her_is_pronoun(words, 0)):
        words = words[1:]
    if not words:
        return _Phrase(None)
    if words[0] in ("everyone", "everybody"):
        return _Phrase("people")
    if len(words) == 1 and words[0] in PRONOUNS:
        return _Phrase(None, pronoun={"this": "it", "they": "them", "these": "them", "those": "them",
                                      "he": "him", "she": "her"}.get(words[0], words[0]))
    possessor = None
    owners = [i for i, w in enumerate(words) if w.endswith("'s") or (w.endswith("s'") and len(w) > 2)]
    if owners:
        i = owners[-1]
        owner = " ".join(words[: i + 1])
        owner = owner[:-2] if owner.endswith("'s") else owner[:-1]
        rest = words[i + 1 :]
        if rest and rest[0] not in PART_WORDS:
            words, possessor = rest, owner
        else:  # "the man's" / "the car's color": the owner is what is edited
            words = owner.split()
    # "the color of the car", "the top of the tower": the thing named after "of" is what the masker finds.
    if len(words) >= 3 and words[0] in PART_WORDS and words[1] == "of":
        words = [w for w in words[2:] if w not in DETERMINERS]
    words = [w for i, w in enumerate(words) if not (w in DETERMINERS and i > 0 and words[i - 1] == "of")]
    if words and words[-1] in ("one", "ones") and len(words) > 1:  # "the red one": keep the adjective
        words = words[:-1]
    return _Phrase(" ".join(words) or None, possessor=possessor)


def _is_picture(target: str | None) -> bool:
    """True when the phrase names the picture itself or one of its global properties."""
    if target is None:
        return True
    words = target.split()
    head = words[-1]
    return head in PICTURE_NOUNS or head in SCENE_ATTRIBUTES or target in ("time of day",) or (
        words[0] in ("whole", "entire") and head in PICTURE_NOUNS
    )


# --- planning ----------------------------------------------------------------------------------------------


@dataclass
class _Mention:
    phrase: str
    person: bool
    plural: bool


@dataclass
class _Context:
    """What earlier steps talked about, most recent last, to resolve "it"/"them"/"him"/"her"."""

    mentions: list[_Mention] = field(default_factory=list)
    last_step_local: bool = False

    def remember(self, *phrases: str | None) -> None:
        for phrase in phrases:
            if phrase:
                self.mentions.append(_Mention(phrase, _is_person(phrase), _is_plural(phrase)))

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
        if self.target is None or _is_picture(self.target):
            return Step(instruction=self.instruction, scope="global")
        return Step(instruction=self.instruction, scope="local", target=_singular_target(self.target),
                    invert=self.invert)


class RulePlanner:
    """Plans a request with hand-written rules: offline, deterministic, fast."""

    def plan(self, request: str, history: Sequence[Step] = ()) -> Plan:
        """Split ``request`` into steps; ``history`` holds the session's earlier steps, most recent last."""
        if not isinstance(request, str) or not request.strip():
            raise InvalidRequestError("the request is empty: say what to change, e.g. \"make the sky purple\"")
        context = self._context_from_history(history)
        steps: list[Step] = []
        pending_keep: str | None = None  # "keep X and ...": X waits for the edit it is protected from
        for text in split_clauses(request):
            draft = self._read_clause(_tokens(text), context)
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
            elif pending_keep and (draft.target is None or _is_picture(draft.target)):
                draft.target, draft.invert, pending_keep = pending_keep, True, None
            step = draft.step()
            steps.append(step)
            if step.scope == "local" and not step.invert:
                context.remember(*draft.mentions)
            context.last_step_local = step.scope == "local" and not step.invert
        if not steps:
            raise InvalidRequestError(f"no edit found in {request.strip()!r}: say what to change")
        return Plan(request=request, steps=steps)

    # -- history ----------------------------------------------------------------------------------------

    def _context_from_history(self, history: Sequence[Step]) -> _Context:
        context = _Context()
        for step in history:
            if step.scope == "local" and not step.invert:
                # Re-read the instruction for what the step made ("put a straw hat on ..." made a hat).
                draft = self._read_clause(_tokens(step.instruction), _Context())
                context.remember(*(draft.mentions if draft is not None and draft.target else (step.target,)))
            context.last_step_local = step.scope == "local" and not step.invert
        return context

    # -- one clause -------------------------------------------------------------------------------------

    def _read_clause(self, words: list[str], context: _Context) -> _Draft | None:
        words = _rewrite_wishes(_strip_fillers(words))
        lower = [w.lower() for w in words]
        if not words:
            return None
        keep = _read_keep(lower)
        if keep is not None:
            return keep
        inverted = self._read_except(words, lower, context)
        if inverted is not None:
            return inverted
        else_at, else_len = _find_phrase(lower, ELSE_PHRASES, 1)
        if else_at > 0:
            rewritten = words[:else_at] + ["it"] + words[else_at + else_len :]
            return _Draft(_sentence_case(rewritten), everything_else=True)
        return self._read_command(words, lower, context)

    def _read_except(self, words: list[str], lower: list[str], context: _Context) -> _Draft | None:
        """ "make everything except the cat black and white", "make it sepia except for the bride"."""
        at, length = _find_phrase(lower, EXCEPT_MARKERS, 1)
        if at < 0:
            return None
        before = lower[:at]
        if before[-1] in EVERYTHING_WORDS or before[-1] in PICTURE_NOUNS:
            # "VERB everything except X COMPLEMENT": the complement follows the excepted phrase.
            end = _noun_phrase_end(lower, at + length, complement_follows=True)
            phrase = _read_phrase(lower[at + length : end])
            complement = words[end:]
            verb = words[: _verb_length(lower)]
            instruction = verb + (["it", *complement] if complement else ["everything"])
        else:
            # "VERB ... except X": the whole clause before the marker is the edit.
            main = self._read_command(words[:at], lower[:at], context)
            if main is None or not (main.target is None or _is_picture(main.target)):
                return None  # "remove the cars except the red one": not an inversion we can express
            phrase = _read_phrase(lower[at + length :])
            instruction = [("it" if w.lower() in EVERYTHING_WORDS else w) for w in words[:at]]
        if phrase.pronoun:
            phrase = _Phrase(context.resolve(phrase.pronoun))
        if phrase.target is None:
            return None
        return _Draft(_sentence_case(instruction), target=phrase.target, invert=True)

    def _read_command(self, words: list[str], lower: list[str], context: _Context) -> _Draft | None:
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
            return _Draft(_sentence_case(["add", *words]))
        if _has_global_cue(lower):
            return _Draft(_sentence_case(["make", "it", *words]))
        if len(lower) < 2 or lower[1] not in DETERMINERS | PRONOUNS:
            return _Draft(_sentence_case(words))  # nothing we can read: the editor gets the words as they are
        # An unknown verb with an object ("frost the windows"): read it like any other command.
        end = _noun_phrase_end(lower, 1, complement_follows=True)
        phrase = _read_phrase(lower[1:end])
        return _Draft(_sentence_case(words), target=phrase.target, mentions=(phrase.possessor, phrase.target))

    def _resolve(self, words: list[str], lower: list[str], start: int, end: int, phrase: _Phrase,
                 context: _Context) -> tuple[list[str], _Phrase]:
        """Replace a pronoun object by what it refers to ("make them yellow" -> "make the tulips yellow")."""
        if not phrase.pronoun:
            return words, phrase
        referent = context.resolve(phrase.pronoun)
        if referent is None:
            # Nobody named yet: "give her a necklace" still means a person; "make it red" means the picture.
            return words, _Phrase("person" if phrase.pronoun in ("him", "her") else None)
        pronoun_at = next(i for i in range(start, end) if lower[i] in PRONOUNS)
        words = words[:pronoun_at] + ["the", *referent.split()] + words[pronoun_at + 1 :]
        return words, _Phrase(referent)

    def _read_state(self, words: list[str], lower: list[str], n: int, context: _Context) -> _Draft:
        """ "make/turn/paint X COMPLEMENT" and "turn/change X into/to Y"."""
        start = n
        particle = lower[start : start + 1] in (["on"], ["off"], ["up"], ["down"]) and lower[0] == "turn"
        start += particle  # "turn on the lights"
        end = _noun_phrase_end(lower, start, complement_follows=True)
        if end == len(lower) and lower[0] in STATE_VERBS and not particle:
            # No complement found: "paint the wall with a mural" or an unknown word ("make the building
            # glow"). Attached place phrases were a guess; the last word is the complement.
            end = _noun_phrase_end(lower, start, complement_follows=True, attach=False)
            content = [w for w in lower[start:end] if w not in DETERMINERS]
            if end == len(lower) and len(content) >= 2:
                end -= 1
        phrase = _read_phrase(lower[start:end])
        complement = lower[end:]
        if phrase.pronoun == "it" and (_has_global_cue(complement) or not context.last_step_local):
            return _Draft(_sentence_case(words))  # "make it snow", "make it look like winter"
        words, phrase = self._resolve(words, lower, start, end, phrase, context)
        created = None
        if complement[:1] and complement[0] in ("into", "to") and lower[0] in TRANSFORM_VERBS:
            created = _read_phrase(complement[1:]).target
            if phrase.target and phrase.target.split()[-1] in PICTURE_LIKE and _has_global_cue(complement[1:]):
                return _Draft(_sentence_case(words))  # "turn the painting into a pencil drawing": the picture
        return _Draft(_sentence_case(words), target=phrase.target,
                      mentions=(phrase.possessor, phrase.target, created))

    def _read_give(self, words: list[str], lower: list[str], n: int, context: _Context) -> _Draft:
        """ "give the boy a cowboy hat": the receiver is the target, the gift is what the step makes."""
        start = n
        end = _noun_phrase_end(lower, start, complement_follows=True)
        if lower[start : start + 1] == ["her"]:
            end = start + 1  # "give her earrings": after "give", "her" is the receiver, not a possessive
        elif end == len(lower):  # "give the car racing stripes": no article to cut at; take one noun
            end = start
            while end < len(lower) and lower[end] in DETERMINERS:
                end += 1
            end = min(end + 1, len(lower))
        phrase = _Phrase(None, pronoun="her") if lower[start:end] == ["her"] else _read_phrase(lower[start:end])
        gift = _read_phrase(lower[end:]).target
        if phrase.pronoun == "it" and (_has_global_cue(lower[end:]) or not context.last_step_local):
            return _Draft(_sentence_case(words))  # "give it a vintage look"
        words, phrase = self._resolve(words, lower, start, end, phrase, context)
        return _Draft(_sentence_case(words), target=phrase.target, mentions=(phrase.possessor, phrase.target, gift))

    def _read_add(self, words: list[str], lower: list[str], n: int, context: _Context) -> _Draft:
        """ "add/put X on the Y": Y is the target; with no place, the whole picture is."""
        at, length = _find_phrase(lower, PLACE_PREPOSITIONS, n + 1)
        thing = _read_phrase(lower[n : at if at > 0 else len(lower)]).target
        if at < 0:
            return _Draft(_sentence_case(words), mentions=(thing,))
        end = _noun_phrase_end(lower, at + length, complement_follows=False, allow_and=False)
        place = _read_phrase(lower[at + length : end])
        if lower[n] in DEFINITE and lower[at + length] not in DEFINITE and (thing or "") not in ("", None):
            # "put the man in a suit": the existing thing is edited, the indefinite place is new.
            place = _read_phrase(lower[n:at])
            end, at, length = at, n, 0
        if place.target and set(place.target.split()) <= (POSITIONS - REGIONS) | {"side", "half", "part", "hand"}:
            return _Draft(_sentence_case(words))  # "add a tree on the left": no object to mask
        words, place = self._resolve(words, lower, at + length, end, place, context)
        return _Draft(_sentence_case(words), target=place.target, mentions=(place.possessor, place.target, thing))

    def _read_object_then_place(self, words: list[str], lower: list[str], n: int, context: _Context, *,
                                complement: bool, created_after: tuple[str, ...] = ()) -> _Draft:
        """ "remove the cup from the table", "replace the apples with oranges", "blur the background"."""
        start = n
        if lower[start : start + 1] and lower[start] in ("up", "down", "out", "off", "in"):
            start += 1  # "brighten up the sky", "zoom in"
        end = _noun_phrase_end(lower, start, complement_follows=complement)
        phrase = _read_phrase(lower[start:end])
        if phrase.pronoun == "it" and not context.last_step_local:
            return _Draft(_sentence_case(words))
        words, phrase = self._resolve(words, lower, start, end, phrase, context)
        created = None
        if lower[end : end + 1] and lower[end] in created_after:
            created = _read_phrase(lower[end + 1 :]).target
        return _Draft(_sentence_case(words), target=phrase.target, mentions=(phrase.possessor, phrase.target, created))


def _verb_length(lower: Sequence[str]) -> int:
    """How many words the clause's verb takes: 3 for "get rid of", 2 for "take out", else 1."""
    for phrase in REMOVE_PHRASES:
        if _starts_with(lower, phrase):
            return len(phrase)
    return 1


def _read_keep(lower: list[str]) -> _Draft | None:
    """ "keep the cat in colour", "leave the man as he is", "don't change the sky": protect, do not edit."""
    if lower[0] in KEEP_VERBS:
        start = 1
    elif _starts_dont_edit(lower):
        start = _find_phrase(lower[:2], DONT_EDIT)[1] + 1
    else:
        return None
    end = start
    while end < len(lower) and lower[end] not in KEEP_TAIL and tuple(lower[end : end + 2]) not in (
        ("the", "same"), ("the", "way")
    ):
        position_end = _positional_end(lower, end)
        if position_end > end:
            end = position_end
            continue
        if lower[end] in PREPOSITIONS or (end > start and lower[end] in PRONOUNS):  # "as she is", "so it stays"
            break
        end += 1
    phrase = _read_phrase(lower[start:end])
    if phrase.target is None or _is_picture(phrase.target):
        return None
    return _Draft("", target=phrase.target, keep=True)


_WISH = (("i", "want"), ("i'd", "like"), ("i", "would", "like"), ("i", "need"))
_MODALS = (("should", "be"), ("must", "be"), ("needs", "to", "be"), ("has", "to", "be"),
           ("should",), ("must",), ("needs", "to"))
_WISH_MODALS = (("to", "be"), ("to",))


def _rewrite_wishes(words: list[str]) -> list[str]:
    """ "I want the sky to be purple" / "the sky should be purple" -> "make the sky purple"."""
    lower = [w.lower() for w in words]
    start = 0
    for wish in _WISH:
        if _starts_with(lower, wish):
            start = len(wish)
            break
    if start == 0 and (not lower or lower[0] not in DETERMINERS):
        return words
    at, length = _find_phrase(lower, _WISH_MODALS if start else _MODALS, start + 1)
    if at < 0 or at + length >= len(lower):
        return words
    subject = words[start:at]
    return ["make", subject[0].lower(), *subject[1:], *words[at + length :]]
