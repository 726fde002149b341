"""Drawing a :class:`~.scene.Scene` at any size, with every object's exact mask and box.

Every shape is painted, back to front, into one label picture (PIL mode ``I``); the colours are looked
up from the labels afterwards. So an object's mask is exactly its visible pixels, and a change of one
object's parameters changes pixels only inside that object's masks before and after.

Object ids are dotted paths: ``house``, ``house.door``, ``person0``, ``person0.shirt``, ``car0``...
A mask exists for every object id and all its ancestors; objects that are not visible at all are left out.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..text import singular as english_singular
from .scene import COLOURS, SKINS, TROUSERS, Scene

Size = "int | tuple[int, int]"

# Base colours by season / time of day.
_GROUND = {"summer": (85, 160, 70), "autumn": (165, 140, 65), "winter": (240, 243, 248)}
_HILLS = {
    "summer": ((60, 135, 60), (95, 165, 80), (45, 110, 55)),
    "autumn": ((150, 105, 50), (185, 135, 60), (125, 90, 45)),
    "winter": ((220, 228, 238), (205, 215, 230), (232, 236, 244)),
}
_CROWN = {"summer": (40, 125, 50), "autumn": (225, 110, 25), "winter": (228, 236, 246)}
_SKY = {  # (top, horizon)
    ("day", False): ((70, 140, 225), (165, 205, 240)),
    ("day", True): ((140, 170, 205), (200, 215, 230)),  # winter: paler
    ("sunset", False): ((110, 80, 150), (250, 160, 80)),
    ("sunset", True): ((120, 95, 150), (240, 170, 120)),
    ("night", False): ((8, 10, 35), (30, 40, 85)),
    ("night", True): ((10, 14, 40), (40, 50, 95)),
}
_SUN = {"day": (255, 220, 60), "sunset": (250, 95, 40)}
_MOON = (235, 235, 205)
_WINDOW_DAY = (175, 215, 240)
_WINDOW_LIT = (255, 215, 90)
_STREET = (110, 110, 118)
_STREET_LINE = (225, 225, 210)
_TRUNK = (105, 70, 40)
_WHEEL = (30, 30, 32)
_CAR_WINDOW = (185, 220, 240)


def _shade(rgb, time: str, lit: bool = False):
    """Objects on the ground darken at night and warm up at sunset; lit things and the sky do not."""
    if lit:
        return tuple(rgb)
    r, g, b = rgb
    if time == "night":
        return (int(r * 0.4), int(g * 0.4), int(b * 0.5))
    if time == "sunset":
        return (min(255, int(r * 1.0 + 10)), int(g * 0.82), int(b * 0.7))
    return tuple(rgb)


def _as_size(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    w, h = size
    return int(w), int(h)


def names_for(object_id: str, scene: Scene) -> tuple[str, ...]:
    """The nouns a phrase may use for an object id (``person0`` -> ``("person", "man")``)."""
    last = object_id.split(".")[-1]
    base = last.rstrip("0123456789")
    if base == "person":
        index = int(last[len("person"):])
        return ("person", scene.people[index].gender)
    if base == "window":
        return ("window",)
    if base == "walls":
        return ("walls", "wall")
    if base == "ground":
        return ("ground", "grass") if scene.season != "winter" else ("ground", "snow")
    if base == "street":
        return ("street", "road")
    return (base,)


class _Canvas:
    def __init__(self, scene: Scene, w: int, h: int):
        self.scene, self.w, self.h = scene, w, h
        self.labels = Image.new("I", (w, h), 0)
        self.draw = ImageDraw.Draw(self.labels)
        self.parts: list[tuple[str, tuple[int, int, int]]] = [("sky", (0, 0, 0))]  # label 0: the sky

    def _add(self, part: str, rgb) -> int:
        self.parts.append((part, tuple(int(c) for c in rgb)))
        return len(self.parts) - 1

    def px(self, x: float, y: float) -> tuple[float, float]:
        return x * self.w, y * self.h

    def rect(self, part, rgb, x0, y0, x1, y1):
        label = self._add(part, rgb)
        a = (round(x0 * self.w), round(y0 * self.h))
        b = (round(x1 * self.w) - 1, round(y1 * self.h) - 1)
        if b[0] >= a[0] and b[1] >= a[1]:
            self.draw.rectangle([a, b], fill=label)

    def ellipse(self, part, rgb, cx, cy, rx, ry):
        """Centre in picture fractions, radii in pixels."""
        label = self._add(part, rgb)
        x, y = cx * self.w, cy * self.h
        self.draw.ellipse([x - rx, y - ry, x + rx - 1, y + ry - 1], fill=label)

    def polygon(self, part, rgb, points):
        label = self._add(part, rgb)
        self.draw.polygon([(x * self.w, y * self.h) for x, y in points], fill=label)


def _draw_house(c: _Canvas, s: Scene):
    house, t = s.house, s.time
    hw = house.width * c.h / c.w  # width as a fraction of the width
    x0, x1 = house.x - hw / 2, house.x + hw / 2
    top = house.base - house.wall_height
    c.rect("house.walls", _shade(COLOURS[house.walls], t), x0, top, x1, house.base)
    over = hw * 0.08
    c.polygon("house.roof", _shade(COLOURS[house.roof], t), [(x0 - over, top + 0.005), (house.x, top - house.roof_height), (x1 + over, top + 0.005)])
    dw = house.door_width * c.h / c.w
    dx = x0 + hw * house.door_offset
    dh = house.wall_height * 0.62
    c.rect("house.door", _shade(COLOURS[house.door], t), dx - dw / 2, house.base - dh, dx + dw / 2, house.base)
    # Windows: on the wider side of the door, one or two.
    lit = t == "night"
    win = house.wall_height * 0.32
    ww = win * c.h / c.w
    wy = top + house.wall_height * 0.2
    left_room = (dx - dw / 2) - x0
    right_room = x1 - (dx + dw / 2)
    spots = []
    if left_room > ww * 1.4:
        spots.append((x0 + dx - dw / 2) / 2)
    if right_room > ww * 1.4:
        spots.append((dx + dw / 2 + x1) / 2)
    if not spots:
        spots.append(dx)
        wy = top + house.wall_height * 0.08
        win = house.wall_height * 0.22
        ww = win * c.h / c.w
    for i, wx in enumerate(spots):
        colour = _WINDOW_LIT if lit else _shade(_WINDOW_DAY, t)
        c.rect(f"house.window{i}", colour, wx - ww / 2, wy, wx + ww / 2, wy + win)


def _draw_tree(c: _Canvas, s: Scene, i: int):
    tree, t = s.trees[i], s.time
    size = tree.size
    trunk_h = size * 0.55
    tw = size * 0.2 * c.h / c.w
    c.rect(f"tree{i}.trunk", _shade(_TRUNK, t), tree.x - tw / 2, tree.base - trunk_h, tree.x + tw / 2, tree.base)
    r = size / 2 * c.h
    cy = tree.base - trunk_h - size * 0.38
    c.ellipse(f"tree{i}.crown", _shade(_CROWN[s.season], t), tree.x, cy, r, r * 1.1)


def _draw_person(c: _Canvas, s: Scene, i: int):
    p, t = s.people[i], s.time
    hgt = p.height
    k = c.h / c.w
    legs_top = p.base - hgt * 0.4
    lw = hgt * 0.1 * k
    trousers = _shade(TROUSERS[p.legs], t)
    c.rect(f"person{i}.legs#l", trousers, p.x - lw * 1.2, legs_top, p.x - lw * 0.1, p.base)
    c.rect(f"person{i}.legs#r", trousers, p.x + lw * 0.1, legs_top, p.x + lw * 1.2, p.base)
    shirt = _shade(COLOURS[p.shirt], t)
    sw = hgt * 0.16 * k
    shirt_top = legs_top - hgt * 0.32
    c.rect(f"person{i}.shirt#body", shirt, p.x - sw, shirt_top, p.x + sw, legs_top + 0.002)
    aw = hgt * 0.08 * k
    c.rect(f"person{i}.shirt#arml", shirt, p.x - sw - aw, shirt_top + 0.003, p.x - sw, shirt_top + hgt * 0.26)
    c.rect(f"person{i}.shirt#armr", shirt, p.x + sw, shirt_top + 0.003, p.x + sw + aw, shirt_top + hgt * 0.26)
    r = hgt * 0.115 * c.h
    head_cy = shirt_top - hgt * 0.1
    c.ellipse(f"person{i}.head", _shade(SKINS[p.skin], t), p.x, head_cy, r, r)
    if p.gender == "woman":  # hair down the sides of the head
        pass
    if p.hat is not None:
        hat = _shade(COLOURS[p.hat], t)
        head_top = head_cy - hgt * 0.115
        bw = hgt * 0.17 * k
        c.rect(f"person{i}.hat#brim", hat, p.x - bw, head_top + hgt * 0.02, p.x + bw, head_top + hgt * 0.06)
        cw = hgt * 0.1 * k
        c.rect(f"person{i}.hat#crown", hat, p.x - cw, head_top - hgt * 0.09, p.x + cw, head_top + hgt * 0.03)


def _draw_car(c: _Canvas, s: Scene, i: int):
    car, t = s.cars[i], s.time
    k = c.h / c.w
    wdt = car.width * k
    x0, x1 = car.x - wdt / 2, car.x + wdt / 2
    wheel_r = car.width * 0.11
    body_bottom = car.base - wheel_r
    body_top = body_bottom - car.width * 0.22
    colour = _shade(COLOURS[car.colour], t)
    cab_top = body_top - car.width * 0.2
    cab0, cab1 = car.x - wdt * 0.28, car.x + wdt * 0.26
    c.polygon(f"car{i}#cabin", colour, [(cab0 - wdt * 0.06, body_top + 0.002), (cab0 + wdt * 0.04, cab_top), (cab1 - wdt * 0.02, cab_top), (cab1 + wdt * 0.1, body_top + 0.002)])
    c.rect(f"car{i}#body", colour, x0, body_top, x1, body_bottom)
    glass = _shade(_CAR_WINDOW, t)
    gy0, gy1 = cab_top + car.width * 0.05, body_top
    c.rect(f"car{i}#glass0", glass, cab0 + wdt * 0.05, gy0, car.x - wdt * 0.02, gy1)
    c.rect(f"car{i}#glass1", glass, car.x + wdt * 0.02, gy0, cab1 - wdt * 0.01, gy1)
    for j, wx in enumerate((x0 + wdt * 0.22, x1 - wdt * 0.22)):
        c.ellipse(f"car{i}#wheel{j}", _WHEEL, wx, car.base - wheel_r, wheel_r * c.h, wheel_r * c.h)


def _paint(c: _Canvas) -> tuple[np.ndarray, np.ndarray]:
    s = c.scene
    t = s.time
    # Behind everything: sun / moon, hills, ground, street.
    if s.celestial:
        r = s.sun_r * c.h
        c.ellipse("moon" if t == "night" else "sun", _MOON if t == "night" else _SUN[t], s.sun_x, s.sun_y, r, r)
    for i, hill in enumerate(s.hills):
        rgb = _shade(_HILLS[s.season][hill.shade], t)
        c.ellipse(f"hill{i}", rgb, hill.x, s.horizon, hill.width / 2 * c.w, hill.height * c.h)
    g = tuple(int(np.clip(v + s.ground_tint, 0, 255)) for v in _GROUND[s.season])
    c.rect("ground", _shade(g, t), -0.01, s.horizon, 1.01, 1.01)
    c.rect("street", _shade(_STREET, t), -0.01, s.street_top, 1.01, 1.01)
    mid = s.street_top + (1 - s.street_top) * 0.55
    for k in range(6):
        x = k / 5 - 0.05
        c.rect("street#line%d" % k, _shade(_STREET_LINE, t), x, mid - 0.006, x + 0.09, mid + 0.006)
    # Depth order: what stands lower in the picture is nearer and drawn later.
    things = []
    if s.house is not None:
        things.append((s.house.base, 0, lambda: _draw_house(c, s)))
    for i, tree in enumerate(s.trees):
        things.append((tree.base, 1, lambda i=i: _draw_tree(c, s, i)))
    for i, person in enumerate(s.people):
        things.append((person.base, 2, lambda i=i: _draw_person(c, s, i)))
    for i, car in enumerate(s.cars):
        things.append((car.base, 3, lambda i=i: _draw_car(c, s, i)))
    for _, _, draw in sorted(things, key=lambda item: (item[0], item[1])):
        draw()
    labels = np.asarray(c.labels, dtype=np.int64)
    palette = np.array([rgb for _, rgb in c.parts], dtype=np.float32)
    pixels = palette[labels]
    # The sky is a vertical gradient.
    top, bottom = _SKY[(t, s.season == "winter")]
    ramp = np.linspace(0, 1, c.h, dtype=np.float32)[:, None, None] / max(s.horizon, 1e-3)
    ramp = np.clip(ramp, 0, 1)
    sky = np.array(top, np.float32) * (1 - ramp) + np.array(bottom, np.float32) * ramp + s.sky_tint
    sky = np.broadcast_to(sky, (c.h, c.w, 3))
    pixels = np.where((labels == 0)[..., None], sky, pixels)
    return np.clip(pixels, 0, 255).round().astype(np.uint8), labels


def render(scene: Scene, size=64) -> tuple[Image.Image, dict[str, np.ndarray], dict[str, tuple[int, int, int, int]]]:
    """Draw ``scene`` at ``size`` (an int for a square, or ``(width, height)``; 64 px and up).

    Returns the picture, ``{object_id: bool mask (H, W)}`` and ``{object_id: (x0, y0, x1, y1)}`` pixel boxes
    (x1, y1 exclusive), for every visible object and object part.
    """
    w, h = _as_size(size)
    if min(w, h) < 16:
        raise ValueError(f"pictures must be at least 16 px on a side, not {w}x{h}")
    c = _Canvas(scene, w, h)
    pixels, labels = _paint(c)
    groups: dict[str, list[int]] = {}
    for index, (part, _) in enumerate(c.parts):
        path = part.split("#")[0].split(".")
        for depth in range(1, len(path) + 1):
            groups.setdefault(".".join(path[:depth]), []).append(index)
    masks: dict[str, np.ndarray] = {}
    boxes: dict[str, tuple[int, int, int, int]] = {}
    flat = labels.ravel()
    counts = np.bincount(flat, minlength=len(c.parts))
    for object_id, indices in groups.items():
        if counts[indices].sum() == 0:
            continue
        lut = np.zeros(len(c.parts), bool)
        lut[indices] = True
        mask = lut[labels]
        ys, xs = np.nonzero(mask)
        masks[object_id] = mask
        boxes[object_id] = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return Image.fromarray(pixels, "RGB"), masks, boxes


def object_names(scene: Scene, object_ids) -> dict[str, tuple[str, ...]]:
    """Nouns for each object id (as :func:`render` returns them)."""
    return {object_id: names_for(object_id, scene) for object_id in object_ids}


def objects_named(scene: Scene, masks: dict[str, np.ndarray], noun: str) -> list[str]:
    """The visible object ids a noun names (``"door"`` -> ``["house.door"]``, ``"person"`` -> every person)."""
    noun = singular(noun)
    return [oid for oid in masks if noun in names_for(oid, scene)]


def singular(noun: str) -> str:
    """A noun phrase without its article, its last word singular: "the Doors" -> "door"."""
    noun = noun.strip().lower()
    for article in ("the ", "a ", "an "):
        if noun.startswith(article):
            noun = noun[len(article):]
    *rest, last = noun.split() or [""]
    return " ".join(rest + [english_singular(last)])


def mask_of(scene: Scene, masks: dict[str, np.ndarray], noun: str, shape=None) -> np.ndarray:
    """Union of the masks of every visible object the noun names (all False when there is none)."""
    ids = objects_named(scene, masks, noun)
    if shape is None:
        shape = next(iter(masks.values())).shape
    out = np.zeros(shape, bool)
    for oid in ids:
        out |= masks[oid]
    return out
