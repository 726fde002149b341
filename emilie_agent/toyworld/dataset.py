"""Sampling training / evaluation examples: (source, instruction, target, true mask) pairs and chains."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from .draw import mask_of, render
from .edits import KINDS, Edit, apply, count, possible_edits
from .phrasings import combo_is_heldout, phrase
from .scene import Scene, demo_scene_params, random_scene

# How often each kind is drawn (recolours are the hardest and most varied).
KIND_WEIGHTS = {"recolour": 0.34, "time": 0.12, "season": 0.12, "remove": 0.16, "add": 0.12, "bigger": 0.14}


@dataclass
class Pair:
    source: Image.Image
    instruction: str
    target: Image.Image
    mask: np.ndarray  # (H, W) bool: where the edit may change pixels (all True for global kinds)
    kind: str
    noun: str | None  # the target noun phrase ("door"), None for global kinds
    colour: tuple[int, int, int] | None  # the asked colour for recolour / add
    edit: Edit
    before: Scene
    after: Scene


def edit_mask(before: Scene, after: Scene, edit: Edit, size=64) -> np.ndarray:
    """The true change mask: the masks of the edited objects, before and after (everything for global kinds)."""
    _, masks_b, _ = render(before, size)
    _, masks_a, _ = render(after, size)
    return _edit_mask(before, after, edit, masks_b, masks_a)


def _edit_mask(before, after, edit, masks_b, masks_a) -> np.ndarray:
    shape = next(iter(masks_b.values())).shape
    if edit.is_global:
        return np.ones(shape, bool)
    noun = edit.target
    return mask_of(before, masks_b, noun, shape) | mask_of(after, masks_a, noun, shape)


def make_pair(scene: Scene, edit: Edit, instruction: str, size=64) -> Pair:
    after = apply(scene, edit)
    src, masks_b, _ = render(scene, size)
    tgt, masks_a, _ = render(after, size)
    mask = _edit_mask(scene, after, edit, masks_b, masks_a)
    return Pair(src, instruction, tgt, mask, edit.kind, None if edit.is_global else edit.target, edit.colour, edit, scene, after)


def sample_edit(rng: np.random.Generator, scene: Scene, split: str = "train", kinds=None) -> Edit | None:
    """A random edit for the scene: train excludes the held-out colour / object combinations; heldout favours them."""
    kinds = tuple(kinds or KINDS)
    weights = np.array([KIND_WEIGHTS[k] for k in kinds], float)
    for _ in range(8):
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        options = possible_edits(scene, kind)
        if split == "train":
            options = [e for e in options if not combo_is_heldout(e)]
        elif kind in ("recolour", "add"):
            held = [e for e in options if combo_is_heldout(e)]
            if held and rng.random() < 0.5:
                options = held
        if not options:
            continue
        edit = options[int(rng.integers(len(options)))]
        if edit.kind == "add" and edit.target == "car":
            edit = Edit("add", "car", edit.value, x=float(rng.uniform(0.3, 0.7)))
        return edit
    return None


def instruction_for(edit: Edit, scene: Scene, rng: np.random.Generator, split: str = "train") -> str:
    return phrase(edit, rng, split, n_target=count(scene, edit.target) if edit.target else 1,
                  n_on=count(scene, edit.on) if edit.on else 1)


def sample_pair(rng: np.random.Generator, split: str = "train", size=64, kinds=None, scene: Scene | None = None) -> Pair:
    """One example: a random scene (or ``scene``), an edit of it, an instruction from the split's phrasings."""
    while True:
        s = scene if scene is not None else random_scene(rng)
        edit = sample_edit(rng, s, split, kinds)
        if edit is None:
            if scene is not None:
                raise ValueError("no edit of the requested kinds applies to this scene")
            continue
        pair = make_pair(s, edit, instruction_for(edit, s, rng, split), size)
        if np.array_equal(np.asarray(pair.source), np.asarray(pair.target)):
            if scene is not None:
                raise ValueError("the edit does not change the picture")
            continue  # e.g. a removed object hidden behind another
        return pair


def sample_chain(rng: np.random.Generator, n: int, split: str = "train", size=64, kinds=None) -> list[Pair]:
    """``n`` edits in a row: each pair's source is the previous pair's target."""
    scene = random_scene(rng)
    pairs: list[Pair] = []
    while len(pairs) < n:
        try:
            pair = sample_pair(rng, split, size, kinds, scene=scene)
        except ValueError:
            continue
        pairs.append(pair)
        scene = pair.after
    return pairs


def demo_scene(size=(512, 384), seed: int = 0) -> Image.Image:
    """A picture for the CLI demo: a house with a red door, a tree, a man, a blue car and a sun.

    "make it winter, then paint the door blue and remove the car" makes sense on it. ``seed`` varies small
    things (tints, the man's shirt) but keeps every object in place.
    """
    return render(demo_scene_scene(size, seed), size)[0]


def demo_scene_scene(size=(512, 384), seed: int = 0) -> Scene:
    """The :class:`Scene` behind :func:`demo_scene`."""
    w, h = (size, size) if isinstance(size, int) else size
    scene = demo_scene_params(aspect=w / h)
    if seed:
        rng = np.random.default_rng(seed)
        shirt = ("green", "yellow", "orange", "white", "purple")[int(rng.integers(5))]
        scene = scene.with_(
            sky_tint=int(rng.integers(-10, 11)),
            ground_tint=int(rng.integers(-10, 11)),
            people=tuple(replace(p, shirt=shirt) for p in scene.people),
        )
    return scene


def random_picture(rng: np.random.Generator, size=64) -> Image.Image:
    """A random scene's picture, after 0-2 random edits (so every state the editor sees is covered)."""
    scene = random_scene(rng)
    for _ in range(int(rng.integers(0, 3))):
        edit = sample_edit(rng, scene, "train")
        if edit is not None:
            scene = apply(scene, edit)
    return render(scene, size)[0]
