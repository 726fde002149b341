"""The toy world's scene: plain parameters (normalized coordinates), drawn by :mod:`.draw`.

Coordinates are fractions of the picture: x from the left (0..1), y from the top (0..1). Sizes are
fractions of the picture's height (``h``) so that shapes keep their proportions at any aspect ratio;
horizontal positions are fractions of the width.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# Named colours an instruction can ask for (RGB).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (210, 30, 35),
    "blue": (35, 70, 215),
    "green": (30, 160, 50),
    "yellow": (245, 215, 30),
    "white": (245, 245, 245),
    "black": (25, 25, 25),
    "purple": (130, 45, 175),
    "orange": (245, 130, 20),
    "pink": (245, 130, 190),
    "brown": (120, 70, 30),
}

TIMES = ("day", "sunset", "night")
SEASONS = ("summer", "autumn", "winter")


@dataclass(frozen=True)
class House:
    x: float  # centre
    base: float  # y of the bottom of the walls
    width: float  # fraction of the height (h)
    wall_height: float  # h
    roof_height: float  # h
    walls: str  # colour names
    roof: str
    door: str
    door_offset: float  # door centre, as a fraction of the wall width from the left (0.25..0.75)
    door_width: float  # h


@dataclass(frozen=True)
class Tree:
    x: float
    base: float  # y of the bottom of the trunk
    size: float  # crown diameter (h)


@dataclass(frozen=True)
class Person:
    x: float
    base: float  # y of the feet
    height: float  # h
    shirt: str
    gender: str  # "man" | "woman"
    hat: str | None = None  # colour name of the hat, None without one
    skin: int = 0  # index into SKINS
    legs: int = 0  # index into TROUSERS


@dataclass(frozen=True)
class Car:
    x: float  # centre
    base: float  # y of the bottom of the wheels
    width: float  # h
    colour: str


@dataclass(frozen=True)
class Hill:
    x: float
    width: float  # fraction of the width
    height: float  # fraction of the height, above the horizon
    shade: int  # 0..2


@dataclass(frozen=True)
class Scene:
    horizon: float
    street_top: float
    celestial: bool  # a sun (day, sunset) or a moon (night)
    sun_x: float
    sun_y: float
    sun_r: float  # h
    time: str = "day"
    season: str = "summer"
    hills: tuple[Hill, ...] = ()
    house: House | None = None
    trees: tuple[Tree, ...] = ()
    people: tuple[Person, ...] = ()
    cars: tuple[Car, ...] = ()
    sky_tint: int = 0  # small per-scene variation of the sky colour
    ground_tint: int = 0
    extras: dict = field(default_factory=dict, compare=False)

    def with_(self, **changes) -> "Scene":
        return replace(self, **changes)


SKINS = ((235, 195, 160), (200, 150, 110), (140, 95, 60))
TROUSERS = ((50, 50, 60), (60, 80, 130), (90, 70, 50))

# Colours an object is given at random (the instruction colours, less a few that look wrong).
WALL_COLOURS = ("white", "yellow", "pink", "orange", "blue", "red", "green", "brown")
ROOF_COLOURS = ("red", "brown", "black", "blue", "green", "purple", "orange")
DOOR_COLOURS = tuple(COLOURS)
SHIRT_COLOURS = tuple(COLOURS)
CAR_COLOURS = tuple(COLOURS)


def _pick(rng: np.random.Generator, options, exclude=()) -> str:
    choices = [o for o in options if o not in exclude]
    return choices[int(rng.integers(len(choices)))]


def random_scene(rng: np.random.Generator, aspect: float = 1.0) -> Scene:
    """A random scene: one house, 0-2 trees, 0-2 people, 0-1 car, hills, maybe a sun.

    ``aspect`` is width / height of the picture it is meant for (1.0 for the square training pictures);
    horizontal placements are computed so that objects do not pile up whatever it is.
    """
    u = rng.uniform
    horizon = float(u(0.42, 0.56))
    street_top = float(u(0.80, 0.86))
    time = "day" if rng.random() < 0.7 else ("sunset" if rng.random() < 0.5 else "night")
    season = ("summer", "summer", "autumn", "winter")[int(rng.integers(4))]

    hills = tuple(
        Hill(x=float(u(-0.1, 1.1)), width=float(u(0.4, 0.9)), height=float(u(0.06, 0.16)), shade=int(rng.integers(3)))
        for _ in range(int(rng.integers(1, 4)))
    )

    def w(hfrac: float) -> float:  # a size in h as a fraction of the width
        return hfrac / aspect

    # The house goes left or right; trees and people use the rest of the width.
    house_w = float(u(0.42, 0.56))
    left = rng.random() < 0.5
    hx = float(u(0.05, 0.2)) + w(house_w) / 2
    if not left:
        hx = 1.0 - hx
    house_base = float(u(max(horizon + 0.16, street_top - 0.12), street_top - 0.02))
    wall_h = float(u(0.24, 0.32))
    house = House(
        x=hx,
        base=house_base,
        width=house_w,
        wall_height=wall_h,
        roof_height=float(u(0.12, 0.2)),
        walls=_pick(rng, WALL_COLOURS),
        roof=_pick(rng, ROOF_COLOURS),
        door=_pick(rng, DOOR_COLOURS),
        door_offset=float(u(0.3, 0.7)),
        door_width=float(u(0.12, 0.16)),
    )
    house_walls = _pick(rng, WALL_COLOURS)
    house = replace(house, walls=house_walls, door=_pick(rng, DOOR_COLOURS, exclude=(house_walls,)))

    # Free horizontal span beside the house.
    span = (hx + w(house_w) / 2 + 0.04, 0.98) if left else (0.02, hx - w(house_w) / 2 - 0.04)
    slots: list[float] = []

    def place(width: float) -> float | None:
        lo, hi = span[0] + width / 2, span[1] - width / 2
        for _ in range(12):
            if hi <= lo:
                return None
            x = float(u(lo, hi))
            if all(abs(x - s) > width * 0.8 for s in slots):
                slots.append(x)
                return x
        return None

    trees = []
    for _ in range(int(rng.integers(0, 3))):
        size = float(u(0.2, 0.3))
        x = place(w(size))
        if x is not None:
            trees.append(Tree(x=x, base=float(u(horizon + 0.12, street_top - 0.03)), size=size))
    people = []
    for _ in range(int(rng.integers(0, 3))):
        height = float(u(0.3, 0.4))
        x = place(w(0.14))
        if x is None:  # in front of the house, then
            x = float(u(0.1, 0.9))
        people.append(
            Person(
                x=x,
                base=float(u(street_top - 0.02, street_top + 0.06)),
                height=height,
                shirt=_pick(rng, SHIRT_COLOURS),
                gender="man" if rng.random() < 0.5 else "woman",
                hat=_pick(rng, ("red", "blue", "black", "yellow", "green")) if rng.random() < 0.25 else None,
                skin=int(rng.integers(len(SKINS))),
                legs=int(rng.integers(len(TROUSERS))),
            )
        )
    cars = []
    if rng.random() < 0.55:
        cars.append(random_car(rng, street_top, aspect))
    sun_r = float(u(0.06, 0.1))
    return Scene(
        horizon=horizon,
        street_top=street_top,
        celestial=rng.random() < 0.75,
        sun_x=float(u(0.12, 0.88)),
        sun_y=float(u(0.1, horizon - 0.18)),
        sun_r=sun_r,
        time=time,
        season=season,
        hills=hills,
        house=house,
        trees=tuple(trees),
        people=tuple(people),
        cars=tuple(cars),
        sky_tint=int(rng.integers(-12, 13)),
        ground_tint=int(rng.integers(-15, 16)),
    )


def random_car(rng: np.random.Generator, street_top: float, aspect: float = 1.0, exclude=()) -> Car:
    width = float(rng.uniform(0.34, 0.44))
    half = width / aspect / 2
    return Car(
        x=float(rng.uniform(half + 0.02, 1 - half - 0.02)),
        base=float(rng.uniform(street_top + 0.09, 0.97)),
        width=width,
        colour=_pick(rng, CAR_COLOURS, exclude=exclude),
    )


def demo_scene_params(aspect: float = 4 / 3) -> Scene:
    """The CLI demo's scene: a house with a red door on the left, a tree, a man, a car, a sun."""
    street_top = 0.8
    return Scene(
        horizon=0.5,
        street_top=street_top,
        celestial=True,
        sun_x=0.84,
        sun_y=0.16,
        sun_r=0.085,
        time="day",
        season="summer",
        hills=(Hill(0.2, 0.8, 0.12, 0), Hill(0.75, 0.9, 0.09, 1)),
        house=House(
            x=0.06 + 0.5 / aspect / 2,
            base=0.8,
            width=0.5,
            wall_height=0.3,
            roof_height=0.17,
            walls="white",
            roof="brown",
            door="red",
            door_offset=0.62,
            door_width=0.14,
        ),
        trees=(Tree(x=0.56, base=0.78, size=0.28),),
        people=(Person(x=0.76, base=0.86, height=0.36, shirt="green", gender="man", skin=0, legs=1),),
        cars=(Car(x=0.5, base=0.97, width=0.4, colour="blue"),),
    )
