"""What a multi-turn benchmark is: sequences of (instruction, ground truth after it, true mask) from a source picture.

Two benchmarks: :mod:`.toy` (drawn by the toy world, offline, with the exact mask of every local step) and
:mod:`.magicbrush` (MagicBrush's published test layout, or a hub dataset through ``datasets``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol

import numpy as np
from PIL import Image

from ...errors import EmilieError


class DatasetNotAvailableError(EmilieError):
    """The benchmark's data cannot be found or read (a missing folder, a hub id not in the cache offline...)."""


@dataclass
class EvalTurn:
    """One turn: what was asked, and what the picture should look like afterwards."""

    instruction: str
    target: Image.Image  # the ground truth after this turn
    mask: np.ndarray | None = None  # (H, W) float in [0, 1], 1 = the edit may act; None = the dataset has none
    caption: str | None = None  # the ground truth's caption (CLIP-T); None = the dataset has none
    kind: str | None = None  # the edit's kind where the dataset knows it (toy: recolour, time, ...)
    pair: Any = None  # toy: the toyworld Pair (for the success rule)


@dataclass
class EvalSequence:
    """A source picture and its turns, in order."""

    id: str  # stable across runs: the per-sequence cache is named after it
    source: Image.Image
    turns: list[EvalTurn]
    source_caption: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


class Benchmark(Protocol):
    """A list of sequences, each made (or read) on demand."""

    name: str

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> EvalSequence: ...

    def describe(self) -> dict[str, Any]:
        """What identifies the data (it goes into results.json and into the cache's fingerprint)."""
        ...


def iterate(benchmark: Benchmark) -> Iterator[EvalSequence]:
    for index in range(len(benchmark)):
        yield benchmark[index]
