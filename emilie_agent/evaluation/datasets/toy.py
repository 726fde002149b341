"""The toy benchmark: multi-turn sequences drawn by the toy world, with the ground truth after every turn.

Sequence ``i`` is drawn from its own random generator (``seed``, ``i``), so a run of 50 sequences holds the same
first 20 as a run of 20, and an interrupted run resumes on the very same sequences. Each sequence is a random
scene and ``turns`` edits in a row (:func:`~emilie_agent.toyworld.sample_chain`, held-out phrasings and colour /
object combinations by default), every turn with the true mask of its change (global kinds: everything), and a
caption of the scene after it (for CLIP-T), written from the scene's parameters.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from . import EvalSequence, EvalTurn
from ...errors import InvalidRequestError
from ...toyworld import SPLITS, Scene, sample_chain

DEFAULT_TURNS = (3, 5)
NUMBERS = {1: "a", 2: "two", 3: "three"}


def parse_turns(text: str | int | tuple[int, int]) -> tuple[int, int]:
    """``"3-5"`` -> (3, 5); ``"4"`` or 4 -> (4, 4). At least 1 turn, at most 20."""
    if isinstance(text, tuple):
        lo, hi = text
    elif isinstance(text, int):
        lo = hi = text
    else:
        parts = str(text).replace(" ", "").split("-")
        try:
            lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) in (1, 2) else (0, 0)
        except ValueError:
            lo = hi = 0
    if not 1 <= lo <= hi <= 20:
        raise InvalidRequestError(f"turns must be N or LO-HI with 1 <= LO <= HI <= 20 (e.g. 3-5), not {text!r}")
    return int(lo), int(hi)


def parse_size(size: int | str | tuple[int, int]) -> int | tuple[int, int]:
    """``64`` or ``"64"`` -> 64 (square); ``"72x56"`` or (72, 56) -> (72, 56). At least 16 px a side."""
    if isinstance(size, str):
        parts = size.lower().replace(" ", "").split("x")
        try:
            size = int(parts[0]) if len(parts) == 1 else (int(parts[0]), int(parts[1])) if len(parts) == 2 else 0
        except ValueError:
            size = 0
    sides = size if isinstance(size, tuple) else (size, size)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 16 for v in sides):
        raise InvalidRequestError(f"toy pictures are N or WxH pixels, at least 16 a side, not {size!r}")
    return size if isinstance(size, int) else (int(size[0]), int(size[1]))


def caption(scene: Scene) -> str:
    """A plain description of a toy scene: the ground-truth caption CLIP-T compares the output with."""
    when = {"day": "day", "sunset": "sunset", "night": "night"}[scene.time]
    parts: list[str] = []
    if scene.house is not None:
        h = scene.house
        parts.append(f"a house with {h.walls} walls, a {h.roof} roof and a {h.door} door")
    if scene.trees:
        leaves = {"summer": "green", "autumn": "orange", "winter": "snowy"}[scene.season]
        parts.append(f"{NUMBERS.get(len(scene.trees), len(scene.trees))} {leaves} tree{'s' if len(scene.trees) > 1 else ''}")
    for person in scene.people:
        hat = f" and a {person.hat} hat" if person.hat else ""
        parts.append(f"a {person.gender} in a {person.shirt} shirt{hat}")
    for car in scene.cars:
        parts.append(f"a {car.colour} car")
    if scene.celestial:
        parts.append("the moon" if scene.time == "night" else "the sun")
    ground = "snow on the ground" if scene.season == "winter" else f"{scene.season} grass"
    return f"a cartoon street at {when} in {scene.season}: " + ", ".join(parts) + f", {ground}"


class ToyBenchmark:
    """``count`` toy-world sequences of ``turns`` (lo, hi) turns each, drawn at ``size`` pixels (N or (W, H))."""

    name = "toy"

    def __init__(self, count: int, *, turns: tuple[int, int] | str = DEFAULT_TURNS, seed: int = 0,
                 split: str = "heldout", size: int | str | tuple[int, int] = 64):
        if count < 1:
            raise InvalidRequestError(f"the toy benchmark needs at least 1 sequence, not {count}")
        if split not in SPLITS:
            raise InvalidRequestError(f"the toy split must be one of {', '.join(SPLITS)}, not {split!r}")
        size = parse_size(size)
        self.count = int(count)
        self.turns = parse_turns(turns)
        self.seed = int(seed)
        self.split = split
        self.size = size

    def __len__(self) -> int:
        return self.count

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "sequences": self.count, "turns": list(self.turns), "seed": self.seed,
                "split": self.split, "size": self.size if isinstance(self.size, int) else list(self.size)}

    def __getitem__(self, index: int) -> EvalSequence:
        if not 0 <= index < self.count:
            raise IndexError(index)
        return _sequence(index, self.turns, self.seed, self.split, self.size)


@lru_cache(maxsize=8)
def _sequence(index: int, turns: tuple[int, int], seed: int, split: str, size) -> EvalSequence:
    rng = np.random.default_rng([seed, index])
    n = int(rng.integers(turns[0], turns[1] + 1))
    pairs = sample_chain(rng, n, split, size)
    eval_turns = [
        EvalTurn(
            instruction=pair.instruction,
            target=pair.target,
            mask=pair.mask.astype(np.float32),  # all ones for global kinds
            caption=caption(pair.after),
            kind=pair.kind,
            pair=pair,
        )
        for pair in pairs
    ]
    return EvalSequence(
        id=f"toy-{seed}-{index:05d}",
        source=pairs[0].source,
        turns=eval_turns,
        source_caption=caption(pairs[0].before),
        info={"kinds": [p.kind for p in pairs]},
    )
