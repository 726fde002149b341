"""Edits as changes of scene parameters: the true after-picture is the re-rendered scene, and edits chain.

Kinds: ``recolour`` (door, roof, walls, car, shirt, hat), ``time`` (day, sunset, night), ``season``
(summer, autumn, winter), ``remove`` (car, tree, person / man / woman, sun / moon, hat), ``add`` (a hat on
people, a car on the street), ``bigger`` (tree, sun / moon, car). A local edit applies to every object its
noun names (two trees: both go).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .scene import COLOURS, SEASONS, TIMES, Car, Scene

KINDS = ("recolour", "time", "season", "remove", "add", "bigger")
GLOBAL_KINDS = ("time", "season")
LOCAL_KINDS = ("recolour", "remove", "add", "bigger")

RECOLOUR_TARGETS = ("door", "roof", "walls", "car", "shirt", "hat")
REMOVE_TARGETS = ("car", "tree", "person", "man", "woman", "sun", "moon", "hat")
ADD_TARGETS = ("hat", "car")
BIGGER_TARGETS = ("tree", "sun", "moon", "car")
PERSON_NOUNS = ("person", "man", "woman")

_BIGGER = {"tree": 1.35, "sun": 1.5, "moon": 1.5, "car": 1.25}
_MAX = {"tree": 0.5, "sun": 0.17, "moon": 0.17, "car": 0.62}


@dataclass(frozen=True)
class Edit:
    """One edit. ``target``: the noun of the objects it changes (None for global kinds);
    ``value``: a colour name (recolour, add), a time of day or a season; ``on``: for ``add hat``, the noun
    of the people who get one; ``x``: where ``add car`` parks it (picture fraction, 0.5 when None)."""

    kind: str
    target: str | None = None
    value: str | None = None
    on: str | None = None
    x: float | None = None

    @property
    def is_global(self) -> bool:
        return self.kind in GLOBAL_KINDS

    @property
    def colour(self) -> tuple[int, int, int] | None:
        """The RGB asked for (recolour, add), else None."""
        return COLOURS.get(self.value) if self.kind in ("recolour", "add") and self.value else None


def _people(scene: Scene, noun: str) -> list[int]:
    return [i for i, p in enumerate(scene.people) if noun == "person" or p.gender == noun]


def count(scene: Scene, noun: str) -> int:
    """How many objects of the scene a noun names (ignoring occlusion)."""
    if noun in PERSON_NOUNS:
        return len(_people(scene, noun))
    if noun == "tree":
        return len(scene.trees)
    if noun == "car":
        return len(scene.cars)
    if noun in ("shirt",):
        return len(scene.people)
    if noun == "hat":
        return sum(p.hat is not None for p in scene.people)
    if noun == "sun":
        return int(scene.celestial and scene.time != "night")
    if noun == "moon":
        return int(scene.celestial and scene.time == "night")
    if noun in ("house", "door", "roof", "walls"):
        return int(scene.house is not None)
    if noun == "window":
        return 2 if scene.house is not None else 0
    return 0


def current_colour(scene: Scene, noun: str) -> set[str]:
    if noun == "door":
        return {scene.house.door}
    if noun == "roof":
        return {scene.house.roof}
    if noun == "walls":
        return {scene.house.walls}
    if noun == "car":
        return {c.colour for c in scene.cars}
    if noun == "shirt":
        return {p.shirt for p in scene.people}
    if noun == "hat":
        return {p.hat for p in scene.people if p.hat is not None}
    return set()


def possible_edits(scene: Scene, kind: str) -> list[Edit]:
    """Every edit of one kind that changes this scene."""
    out: list[Edit] = []
    if kind == "recolour":
        for noun in RECOLOUR_TARGETS:
            if count(scene, noun) == 0:
                continue
            now = current_colour(scene, noun)
            for colour in COLOURS:
                if colour in now and len(now) == 1:
                    continue
                if noun == "walls" and scene.house is not None and colour in (scene.house.door,):
                    continue
                out.append(Edit("recolour", noun, colour))
    elif kind == "time":
        out = [Edit("time", None, t) for t in TIMES if t != scene.time]
    elif kind == "season":
        out = [Edit("season", None, s) for s in SEASONS if s != scene.season]
    elif kind == "remove":
        out = [Edit("remove", noun) for noun in REMOVE_TARGETS if count(scene, noun) > 0]
    elif kind == "add":
        for noun in PERSON_NOUNS:
            if any(scene.people[i].hat is None for i in _people(scene, noun)):
                out += [Edit("add", "hat", colour, on=noun) for colour in ("red", "blue", "black", "yellow", "green", "white", "purple", "orange", "pink")]
        if not scene.cars:
            out += [Edit("add", "car", colour) for colour in COLOURS]
    elif kind == "bigger":
        for noun in BIGGER_TARGETS:
            if count(scene, noun) == 0:
                continue
            if noun == "tree" and all(t.size * _BIGGER["tree"] > _MAX["tree"] for t in scene.trees):
                continue
            if noun in ("sun", "moon") and scene.sun_r * _BIGGER[noun] > _MAX[noun]:
                continue
            if noun == "car" and all(c.width * _BIGGER["car"] > _MAX["car"] for c in scene.cars):
                continue
            out.append(Edit("bigger", noun))
    else:
        raise ValueError(f"unknown edit kind {kind!r}")
    return out


def apply(scene: Scene, edit: Edit) -> Scene:
    """The scene after ``edit`` (a new object; the old one is unchanged)."""
    k, noun, value = edit.kind, edit.target, edit.value
    if k == "time":
        if value not in TIMES:
            raise ValueError(f"unknown time {value!r}")
        return scene.with_(time=value)
    if k == "season":
        if value not in SEASONS:
            raise ValueError(f"unknown season {value!r}")
        return scene.with_(season=value)
    if k == "recolour":
        if value not in COLOURS:
            raise ValueError(f"unknown colour {value!r}")
        if noun in ("door", "roof", "walls"):
            return scene.with_(house=replace(scene.house, **{noun: value}))
        if noun == "car":
            return scene.with_(cars=tuple(replace(c, colour=value) for c in scene.cars))
        if noun == "shirt":
            return scene.with_(people=tuple(replace(p, shirt=value) for p in scene.people))
        if noun == "hat":
            return scene.with_(people=tuple(replace(p, hat=value) if p.hat is not None else p for p in scene.people))
    if k == "remove":
        if noun == "car":
            return scene.with_(cars=())
        if noun == "tree":
            return scene.with_(trees=())
        if noun in PERSON_NOUNS:
            gone = set(_people(scene, noun))
            return scene.with_(people=tuple(p for i, p in enumerate(scene.people) if i not in gone))
        if noun in ("sun", "moon"):
            return scene.with_(celestial=False)
        if noun == "hat":
            return scene.with_(people=tuple(replace(p, hat=None) for p in scene.people))
    if k == "add":
        if noun == "hat":
            chosen = set(_people(scene, edit.on or "person"))
            people = tuple(
                replace(p, hat=value) if i in chosen and p.hat is None else p for i, p in enumerate(scene.people)
            )
            return scene.with_(people=people)
        if noun == "car":
            x = 0.5 if edit.x is None else edit.x
            base = min(0.97, scene.street_top + 0.1 + (1 - scene.street_top) * 0.3)
            return scene.with_(cars=scene.cars + (Car(x=x, base=base, width=0.4, colour=value or "red"),))
    if k == "bigger":
        f = _BIGGER.get(noun, 1.3)
        if noun == "tree":
            return scene.with_(trees=tuple(replace(t, size=min(_MAX["tree"], t.size * f)) for t in scene.trees))
        if noun in ("sun", "moon"):
            return scene.with_(sun_r=min(_MAX[noun], scene.sun_r * f))
        if noun == "car":
            return scene.with_(cars=tuple(replace(c, width=min(_MAX["car"], c.width * f)) for c in scene.cars))
    raise ValueError(f"cannot apply {edit}")
