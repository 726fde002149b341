"""Pictures the tests draw themselves."""
from __future__ import annotations

import numpy as np
from PIL import Image


def make_picture(width: int = 64, height: int = 64, seed: int = 0) -> Image.Image:
    """A simple scene: sky, ground and a red square, plus noise so every pixel differs."""
    rng = np.random.default_rng(seed)
    arr = np.zeros((height, width, 3), np.float32)
    arr[: height // 2] = (110, 160, 230)
    arr[height // 2 :] = (80, 150, 70)
    arr[height // 4 : height // 2 + height // 8, width // 4 : width // 2] = (210, 40, 40)
    arr += rng.normal(0, 12, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def dilate(mask, pixels: int):
    """A boolean mask grown by ``pixels`` in every direction (square neighbourhood)."""
    grown = np.asarray(mask, bool).copy()
    h, w = grown.shape
    padded = np.pad(grown, pixels)
    for dy in range(2 * pixels + 1):
        for dx in range(2 * pixels + 1):
            grown |= padded[dy : dy + h, dx : dx + w]
    return grown
