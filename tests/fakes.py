"""Shared test helpers: pictures the tests draw themselves, and stand-in models."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from emilie_agent.masking.types import Detections


def make_picture(width: int = 64, height: int = 64, seed: int = 0) -> Image.Image:
    """A simple scene: sky, ground and a red square, plus noise so every pixel differs."""
    rng = np.random.default_rng(seed)
    arr = np.zeros((height, width, 3), np.float32)
    arr[: height // 2] = (110, 160, 230)
    arr[height // 2 :] = (80, 150, 70)
    arr[height // 4 : height // 2 + height // 8, width // 4 : width // 2] = (210, 40, 40)
    arr += rng.normal(0, 12, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def box_mask(size, box) -> np.ndarray:
    """A float mask of ``size`` (width, height): 1 inside ``box`` (x0, y0, x1, y1), 0 elsewhere."""
    w, h = size
    m = np.zeros((h, w), np.float32)
    x0, y0, x1, y1 = box
    m[max(0, y0) : y1, max(0, x0) : x1] = 1.0
    return m


def dilate(mask, pixels: int):
    """A boolean mask grown by ``pixels`` in every direction (square neighbourhood)."""
    grown = np.asarray(mask, bool).copy()
    h, w = grown.shape
    padded = np.pad(grown, pixels)
    for dy in range(2 * pixels + 1):
        for dx in range(2 * pixels + 1):
            grown |= padded[dy : dy + h, dx : dx + w]
    return grown


REGION_GROWTH = 6  # pixels a "region" mask reaches past the object's box


@dataclass
class BoxMaskResult:
    mask: np.ndarray
    found: bool
    phrase: str
    granularity: str
    invert: bool
    best_score: float
    boxes: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    @property
    def area_fraction(self) -> float:
        return float(self.mask.mean())


class BoxMasker:
    """Finds a few named things at fixed boxes (x0, y0, x1, y1); anything else is not found."""

    BOXES = {"man": (16, 16, 32, 40), "door": (40, 36, 52, 60), "sky": (0, 0, 64, 32)}

    def __init__(self):
        self.calls: list[tuple[str, str, bool]] = []

    def box_mask(self, size, phrase: str, granularity: str = "object") -> np.ndarray:
        x0, y0, x1, y1 = self.BOXES[phrase]
        grow = REGION_GROWTH if granularity == "region" else 0
        return box_mask(size, (x0 - grow, y0 - grow, x1 + grow, y1 + grow))

    def mask(self, image, phrase, granularity="object", spread=None, invert=False, multiple=None):
        self.calls.append((phrase, granularity, invert))
        self.multiple = multiple
        key = phrase.lower().removeprefix("the ").strip()
        if key not in self.BOXES:
            empty = np.zeros((image.size[1], image.size[0]), np.float32)
            return BoxMaskResult(empty, False, phrase, granularity, invert, best_score=0.1)
        mask = self.box_mask(image.size, key, granularity)
        if invert:
            mask = 1.0 - mask
        return BoxMaskResult(mask, True, phrase, granularity, invert, best_score=0.9, boxes=[self.BOXES[key]])


class StubDetector:
    """A masker's detector that returns boxes given as fractions of whatever picture it is shown, and records
    what it was asked (for the masker's tests: real SAM stage, known boxes)."""

    max_prompt_tokens = 32

    def __init__(self, boxes=((0.2, 0.3, 0.6, 0.8),), scores=None, labels=None, best_score=None, recommended=None):
        self.boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        self.scores = np.asarray(scores if scores is not None else [0.9 - 0.1 * i for i in range(len(self.boxes))], np.float32)
        self.labels = list(labels) if labels is not None else [""] * len(self.boxes)
        self.best_score = best_score
        self.recommended_thresholds = recommended
        self.calls: list[dict] = []

    def count_tokens(self, prompt: str) -> int:
        return len(prompt.split()) + 2

    def detect(self, image, prompt, box_threshold, text_threshold, image_key=None):
        self.calls.append(dict(size=image.size, prompt=prompt, box_threshold=box_threshold, text_threshold=text_threshold))
        keep = self.scores > box_threshold
        best = float(self.scores.max()) if self.best_score is None else self.best_score
        if not keep.any():
            return Detections.empty(best)
        w, h = image.size
        boxes = self.boxes[keep] * np.array([w, h, w, h], np.float32)
        return Detections(boxes, self.scores[keep], [l for l, k in zip(self.labels, keep) if k], best)
