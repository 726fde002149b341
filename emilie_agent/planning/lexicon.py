"""The rule planner's lexicon: English edit verbs, colours, adjectives, prepositions, people, fillers and
global cues (seasons, weather, time of day, styles, filters).

It describes the language, not particular requests. Multi-word entries are tuples of words, found in a clause
with :func:`find_phrase`.
"""
from __future__ import annotations

from typing import Sequence


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DETERMINERS = _words(
    "the a an this that these those some any my your his her its their our all both each every whole entire "
    "one two three four five six seven eight nine ten few several many couple of lots"
)
DEFINITE = _words("the this that these those my your his her its their our")
ARTICLES_AFTER_OBJECT = _words("a an some two three four five several many")  # "give the boy | a hat"
PRONOUNS = _words("it them him her they he she this these those everyone everybody")

REMOVE_VERBS = _words("remove erase delete eliminate clear wipe hide drop lose")
REMOVE_PHRASES = (("get", "rid", "of"), ("take", "out"), ("take", "away"), ("take", "off"), ("cut", "out"))
# Verbs whose particle comes before the object: "scale up the tree", "blow up the balloon".
PHRASAL_VERBS = (("scale", "up"), ("scale", "down"), ("size", "up"), ("size", "down"), ("blow", "up"),
                 ("shrink", "down"), ("zoom", "in", "on"), ("zoom", "into"))
REPLACE_VERBS = _words("replace swap switch substitute exchange trade")
TRANSFORM_VERBS = _words("turn change transform convert morph make render alter modify update switch")
STATE_VERBS = _words("make turn paint repaint color colour recolor recolour dye tint render get let have")
ADD_VERBS = _words(
    "add put place insert draw include attach stick hang plant set throw sprinkle scatter spread position "
    "install build create generate write pour lay stack bring grow apply sprout park"
)
GIVE_VERBS = _words("give hand")
FILL_VERBS = _words("fill cover decorate surround wrap coat dress adorn top line")
ADJUST_VERBS = _words(
    "brighten darken lighten sharpen blur soften saturate desaturate enhance increase decrease reduce boost "
    "raise lower adjust warm cool fade zoom crop rotate flip mirror invert stylize colorize colourize colorise "
    "denoise use tone grade age"
)
OTHER_VERBS = _words(
    "move shift scale enlarge shrink resize widen stretch extend expand shorten lengthen straighten curl trim cut "
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
    # greetings and small words people put around a command
    ("hello",), ("hiya",), ("heya",), ("howdy",), ("yo",), ("greetings",), ("good", "morning"),
    ("good", "afternoon"), ("good", "evening"), ("good", "day"), ("oh",), ("um",), ("umm",), ("uh",), ("er",),
    ("erm",), ("hmm",), ("anyway",), ("anyways",), ("btw",), ("perhaps",), ("possibly",), ("actually",),
    ("additionally",), ("moreover",), ("furthermore",), ("in", "addition"), ("on", "top", "of", "that"),
    ("besides", "that"), ("besides", "this"), ("apart", "from", "that"), ("other", "than", "that"),
    ("as", "well"), ("while", "you're", "at", "it"), ("while", "you", "are", "at", "it"), ("while", "at", "it"),
    ("if", "you", "can"), ("if", "you", "could"), ("if", "possible"), ("once", "that's", "done"),
    ("once", "that", "is", "done"), ("once", "done"), ("when", "that's", "done"), ("when", "done"),
    ("after", "that's", "done"), ("after", "this"), ("after", "which"), ("one", "more", "thing"),
    ("another", "thing"), ("last", "thing"), ("last", "but", "not", "least"), ("quick", "favour"),
    ("quick", "favor"), ("quick", "one"), ("and", "also"), ("how", "about"), ("what", "about"), ("meanwhile",), ("when", "you", "get", "a", "chance"),
)
# Fillers that are fillers only before a verb: "next to the tree", "so that", "on top of that tree".
VERB_ONLY_FILLERS = (
    ("next",), ("so",), ("plus",), ("on", "top", "of", "that"), ("besides", "that"), ("besides", "this"),
    ("apart", "from", "that"), ("other", "than", "that"), ("as", "well"), ("after", "this"), ("in", "addition"),
    ("quick", "one"), ("another", "thing"),
)
# After a greeting: "hi there", "hello again", "hey guys".
GREETING_WORDS = _words("hi hey hello hiya heya howdy yo greetings dear")
# "Morning!" on its own before the request.
GREETING_ALONE = _words("morning afternoon evening")
GREETING_TAILS = _words("there again all everyone everybody guys folks friend friends team you")
# Words that may come before the command in a polite request: "I was wondering if you could possibly ...",
# "would you be so kind as to ...", "do you think you can ...". Stripped only when a verb follows them.
PREAMBLE_WORDS = _words(
    "could can would will you u you'd you'll please pls kindly i i'd i'm i'll we we'd id love like want wanted "
    "need needed it if be so kind as to was were wondering wonder whether possible is think do does did mind "
    "maybe perhaps possibly just quickly help me us try also and oh um uh hmm then now ok okay hey hi hello "
    "there go ahead able for really please also see appreciate it'd great awesome hoping hope"
)
# Thanks at the end of a request: "thanks a lot", "thank you so much", "many thanks, Anna".
THANKS_WORDS = _words("thanks thank thx thnx thanx cheers ty tysm tia ta appreciated appreciate")
CLOSING_WORDS = _words(
    "you so very much a lot bunch ton tons in advance again million heaps loads mate buddy friend guys all it "
    "x xx xo xoxo and many for your help that kindly lots"
)
TRAILING_FILLERS = (
    ("please",), ("for", "me"), ("as", "well"), ("too",), ("thanks",), ("thank", "you"), ("if", "possible"),
    ("if", "you", "can"), ("if", "you", "could"), ("when", "you", "can"), ("asap",), ("lol",), ("haha",),
    ("if", "you", "don't", "mind"), ("if", "that's", "ok"), ("if", "that's", "okay"), ("also",), ("oh",),
    ("um",), ("and",), ("then",),
)
# A header before a list ("Make the following changes:") ends with one of these.
HEADER_ENDS = _words("following changes change edits edit things steps list these this below tasks ideas")
# A clause that only talks: thanks, praise, hopes, a greeting, "this is a photo of my garden".
SMALL_TALK_WORDS = _words(
    "thanks thank thx thnx thanx cheers ty tysm tia ta appreciate appreciated much many hope hoping love loving "
    "loved great awesome amazing perfect lovely wonderful brilliant fantastic excellent lol haha hehe wow "
    "sorry bye goodbye regards best sincerely you're youre you've you yours hugs xoxo kudos congrats nice "
    "cool"
) | GREETING_WORDS
SMALL_TALK_OPENERS = (
    ("this", "is"), ("this", "was"), ("this's",), ("here", "is"), ("here", "are"), ("here's",), ("that's",),
    ("it's", "a"), ("it's", "an"), ("it's", "my"), ("it's", "our"), ("i", "have"), ("i", "had"), ("i", "took"),
    ("i", "love"), ("i", "hope"), ("i", "am"), ("i'm",), ("i've",), ("i", "just"), ("i", "really"),
    ("we", "have"), ("we", "took"), ("we're",), ("we've",), ("so", "i"), ("so", "we"), ("so", "this"),
    ("you", "are"), ("you", "rock"),
)
# Lists: "1. ... 2. ...", "1) ...", "a) ...", "- ...", "* ...", "• ...", and the headers before them
# ("Steps:", "Two things:"), which are not edits.
BULLETS = "-*\u2022\u00b7\u2023\u25aa\u25e6\u2013\u2014+>"
# Hypotheticals: "what if the dog were a wolf", "imagine the car is red", "how would it look if ...".
HYPOTHETICAL_TRIGGERS = (
    ("what", "if"), ("what", "about", "if"), ("how", "about", "if"), ("imagine", "if"), ("picture", "if"),
    ("suppose", "that"), ("suppose",), ("supposing",), ("imagine", "that"), ("imagine",), ("picture",),
    ("pretend", "that"), ("pretend",), ("let's", "say"), ("say",), ("envision",), ("visualize",),
    ("visualise",), ("if",),
)
# Words before "if" in "how would it look if ...", "I wonder what it would look like if ...".
HYPOTHETICAL_PREAMBLE = _words(
    "how what would will could might it this that the photo picture image look looks like i wonder show me us "
    "happen happens see let let's can you just be cool nice fun interesting to know curious i'd love please "
    "tell"
)
COPULAS = _words("were was is are be became becomes become 's")
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
# A place phrase with an article stays in a noun phrase: "the man in the red shirt".
ATTACHED_PREPOSITIONS = _words("in on at near behind under beside by inside above below")
# Words after which a target's head noun has ended: "apples | on the left", "cats | and dogs".
TARGET_HEAD_ENDS = _words("of on in at and with near by from under over behind")
# "I want the sky to be purple", "the sky should be purple".
WISHES = (("i", "want"), ("i'd", "like"), ("i", "would", "like"), ("i", "need"))
MODALS = (
    ("should", "be"), ("must", "be"), ("needs", "to", "be"), ("has", "to", "be"), ("should",), ("must",),
    ("needs", "to"),
)
WISH_MODALS = (("to", "be"), ("to",))
# "If the sky is grey, make it blue": a condition names what the edit is about; it is no edit itself.
CONDITION_WORDS = _words("if when whenever wherever")


def starts_with(words: Sequence[str], phrase: Sequence[str], at: int = 0) -> bool:
    """Whether ``phrase`` (a tuple of words) is found in ``words`` at index ``at``."""
    return tuple(words[at : at + len(phrase)]) == tuple(phrase)


def find_phrase(words: Sequence[str], phrases: Sequence[Sequence[str]], start: int = 0) -> tuple[int, int]:
    """(index, length) of the first of ``phrases`` found at or after ``start``; (-1, 0) when none is."""
    for i in range(start, len(words)):
        for phrase in phrases:
            if starts_with(words, phrase, i):
                return i, len(phrase)
    return -1, 0
