"""What the masker's stages exchange: a detector's :class:`Detections`, the masker's :class:`MaskResult`,
and the two interfaces a backend (or a test stub) implements, :class:`Detector` and :class:`Segmenter`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np
from PIL import Image

BoxTuple = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


@dataclass
class Detections:
    """What a detector found for one prompt, in the pixels of the picture it was given."""

    boxes: np.ndarray  # (n, 4) float x0, y0, x1, y1, best first
    scores: np.ndarray  # (n,)
    labels: list[str]  # the prompt's words each box matched (may be "")
    best_score: float  # the best score of any box, including those under the thresholds

    @classmethod
    def empty(cls, best_score: float = 0.0) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), [], float(best_score))

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, keep: Sequence[int]) -> "Detections":
        keep = list(keep)
        return Detections(self.boxes[keep], self.scores[keep], [self.labels[i] for i in keep], self.best_score)


@dataclass
class MaskResult:
    """A mask for a phrase, with what was found. ``mask`` is float32 HxW at the picture's size, 1 = may change."""

    mask: np.ndarray
    found: bool  # False when no box passed the thresholds (the mask is then all zeros, all ones if inverted)
    boxes: list[BoxTuple]  # x0, y0, x1, y1 in picture pixels, of the objects the mask was made from
    scores: list[float]
    labels: list[str]
    best_score: float  # the best detection score seen, even when nothing passed the thresholds
    phrase: str
    granularity: str
    invert: bool
    spread: float = 0.0  # where the mask lies between object (0) and the whole picture (1)
    missing: list[str] = field(default_factory=list)  # phrases of a list that found nothing

    @property
    def area_fraction(self) -> float:
        """The share of the picture that may change (soft values count for what they are)."""
        return float(self.mask.mean()) if self.mask.size else 0.0

    def to_json_dict(self) -> dict:
        return {
            "phrase": self.phrase,
            "found": self.found,
            "granularity": self.granularity,
            "spread": round(self.spread, 4),
            "invert": self.invert,
            "area_fraction": round(self.area_fraction, 6),
            "best_score": round(self.best_score, 4),
            "boxes": [[round(v, 2) for v in box] for box in self.boxes],
            "scores": [round(s, 4) for s in self.scores],
            "labels": list(self.labels),
            "missing": list(self.missing),
            "size": [int(self.mask.shape[1]), int(self.mask.shape[0])],
        }

    def message(self) -> str:
        """One line a person can read: what was found, or that nothing was (and the best score seen)."""
        if not self.found:
            return (
                f"found nothing matching {self.phrase!r} (best score {self.best_score:.2f}, "
                "under the box threshold); try another phrase or a lower --box-threshold"
            )
        return f"{len(self.boxes)} object(s) for {self.phrase!r}, mask covers {self.area_fraction:.1%} of the picture"


class Detector(Protocol):
    """Finds boxes for a prompt. ``max_prompt_tokens``: the longest prompt it takes (None: no limit)."""

    max_prompt_tokens: int | None

    def count_tokens(self, prompt: str) -> int: ...

    def detect(
        self, image: Image.Image, prompt: str, box_threshold: float, text_threshold: float, image_key: str | None = None
    ) -> Detections: ...


class Segmenter(Protocol):
    """Turns boxes into object masks, from an image embedding computed once per picture."""

    def embed(self, image: Image.Image) -> Any:
        """The image embedding (and whatever else ``segment`` needs about the picture)."""

    def segment(self, embedding: Any, boxes: np.ndarray) -> np.ndarray:
        """(n, H, W) bool masks, one per box (pixels of the embedded picture)."""
