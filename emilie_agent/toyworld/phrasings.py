"""Ways to ask for each edit, split into training phrasings and held-out ones (evaluation only).

Held out too: some colour / object combinations (:data:`HELDOUT_COMBOS`), never asked for in training.
Placeholders: ``{noun}`` (singular or plural as the scene needs), ``{colour}``, ``{on}`` (who gets a hat).
"""
from __future__ import annotations

import re

import numpy as np

from .edits import Edit
from .scene import COLOURS, SEASONS, TIMES

SPLITS = ("train", "heldout")

# (template, held_out)
TEMPLATES: dict[str, list[tuple[str, bool]]] = {
    "recolour": [
        ("paint the {noun} {colour}", False),
        ("make the {noun} {colour}", False),
        ("turn the {noun} {colour}", False),
        ("change the color of the {noun} to {colour}", False),
        ("change the colour of the {noun} to {colour}", False),
        ("a {colour} {noun}", False),
        ("color the {noun} {colour}", False),
        ("recolor the {noun} {colour}", False),
        ("the {noun} should be {colour}", False),
        ("make the {noun} {colour} please", False),
        ("switch the {noun} to {colour}", True),
        ("i want a {colour} {noun}", True),
        ("can you make the {noun} {colour}", True),
    ],
    "time:night": [
        ("make it night", False),
        ("turn it into night", False),
        ("make it nighttime", False),
        ("night time", False),
        ("make it dark", False),
        ("make it night please", False),
        ("change it to night", True),
        ("show it at night", True),
    ],
    "time:sunset": [
        ("make it sunset", False),
        ("turn it into a sunset", False),
        ("at sunset", False),
        ("make it evening", False),
        ("show it at sunset", True),
    ],
    "time:day": [
        ("make it day", False),
        ("make it daytime", False),
        ("turn it into day", False),
        ("in daylight", False),
        ("show it during the day", True),
    ],
    "season:winter": [
        ("make it winter", False),
        ("add snow", False),
        ("turn it into a winter scene", False),
        ("make it snowy", False),
        ("winter", False),
        ("cover it in snow", True),
        ("show it in winter", True),
    ],
    "season:autumn": [
        ("make it autumn", False),
        ("make it fall", False),
        ("turn it into an autumn scene", False),
        ("autumn leaves", False),
        ("show it in autumn", True),
    ],
    "season:summer": [
        ("make it summer", False),
        ("turn it into a summer scene", False),
        ("summer time", False),
        ("make it green and sunny", False),
        ("show it in summer", True),
    ],
    "remove": [
        ("remove the {noun}", False),
        ("delete the {noun}", False),
        ("take away the {noun}", False),
        ("get rid of the {noun}", False),
        ("erase the {noun}", False),
        ("without the {noun}", False),
        ("take out the {noun}", True),
        ("make the {noun} disappear", True),
    ],
    "add:hat": [
        ("put a {colour} hat on the {on}", False),
        ("add a {colour} hat to the {on}", False),
        ("give the {on} a {colour} hat", False),
        ("the {on} wears a {colour} hat", True),
    ],
    "add:car": [
        ("add a {colour} car", False),
        ("put a {colour} car on the street", False),
        ("park a {colour} car on the road", False),
        ("place a {colour} car on the street", True),
    ],
    "bigger": [
        ("make the {noun} bigger", False),
        ("enlarge the {noun}", False),
        ("make the {noun} larger", False),
        ("a bigger {noun}", False),
        ("increase the size of the {noun}", False),
        ("scale up the {noun}", True),
        ("the {noun} should be bigger", True),
    ],
}

# Colour / object combinations never asked for in training (recolour and add).
HELDOUT_COMBOS = frozenset({("purple", "car"), ("green", "door"), ("orange", "shirt"), ("blue", "roof")})

PLURALS = {"person": "people", "man": "men", "woman": "women", "tree": "trees", "car": "cars", "shirt": "shirts",
           "hat": "hats", "door": "doors", "window": "windows", "roof": "roofs", "walls": "walls", "sun": "sun",
           "moon": "moon", "house": "houses"}
# How an edit's noun may be said.
NOUN_WORDS = {"walls": ("walls", "house walls", "house")}


def template_key(edit: Edit) -> str:
    if edit.kind in ("time", "season"):
        return f"{edit.kind}:{edit.value}"
    if edit.kind == "add":
        return f"add:{edit.target}"
    return edit.kind


def templates(edit: Edit, split: str) -> list[str]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    held = split == "heldout"
    return [t for t, h in TEMPLATES[template_key(edit)] if h == held]


def combo_is_heldout(edit: Edit) -> bool:
    return edit.value is not None and (edit.value, edit.target) in HELDOUT_COMBOS


def phrase(edit: Edit, rng: np.random.Generator, split: str = "train", n_target: int = 1, n_on: int = 1) -> str:
    """An instruction for ``edit``, from the split's templates. ``n_target`` / ``n_on``: how many objects
    the nouns name (for plurals)."""
    options = templates(edit, split)
    template = options[int(rng.integers(len(options)))]
    noun = edit.target or ""
    if noun in NOUN_WORDS:
        words = NOUN_WORDS[noun]
        noun = words[int(rng.integers(len(words)))]
    elif n_target > 1:
        noun = PLURALS.get(noun, noun)
    on = edit.on or "person"
    if n_on > 1:
        on = PLURALS.get(on, on)
    text = template.format(noun=noun, colour=edit.value or "", on=on)
    for plural in ("walls", "house walls", "people", "trees", "cars", "shirts", "hats", "men", "women"):
        text = text.replace(f"a {edit.value} {plural}", f"{edit.value} {plural}").replace(f"a bigger {plural}", f"bigger {plural}")
    return text


def all_phrasings(split: str) -> set[str]:
    """Every template of a split (placeholders unfilled)."""
    held = split == "heldout"
    return {t for options in TEMPLATES.values() for t, h in options if h == held}


def vocabulary() -> list[str]:
    """Every word the toy world's instructions and object phrases use (for word-level tokenizers)."""
    words: set[str] = set()
    for options in TEMPLATES.values():
        for t, _ in options:
            words.update(re.findall(r"[a-z]+", re.sub(r"\{[a-z]+\}", " ", t)))
    words.update(COLOURS)
    words.update(SEASONS)
    words.update(TIMES)
    words.update(PLURALS)
    words.update(PLURALS.values())
    words.update(["house", "walls", "wall", "grass", "ground", "street", "road", "snow", "sky", "hill", "head", "legs",
                  "trunk", "crown", "colour", "color", "then", "and", "it", "the", "a", "an", "of", "on", "in", "to",
                  "with", "please", "red", "big", "small", "smaller", "hats", "window", "windows", "object",
                  "picture", "image", "scene", "left", "right", "sunny", "autumn", "fall", "day", "night"])
    return sorted(words)
