"""Exact preservation in pixels: the edited picture inside the (feathered) mask, the previous picture elsewhere.

The sampling loop already keeps the latent outside the mask; decoding still moves those pixels a little (the
VAE is not exact), so the output picture is composited: wherever the feathered mask is 0 the previous picture's
pixels come back bit for bit.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from ..images import mask_to_image


def feathered_mask(mask: np.ndarray, feather: float) -> np.ndarray:
    """The composite's 8-bit alpha: the mask widened by a Gaussian feather of ``feather`` pixels (0 = untouched)."""
    mask8 = mask_to_image(mask)
    alpha8 = np.asarray(mask8)
    if feather > 0:
        # Feathering only widens the mask (max with the blur), so every pixel the mask allows stays editable.
        alpha8 = np.maximum(alpha8, np.asarray(mask8.filter(ImageFilter.GaussianBlur(feather))))
    return alpha8


def composite(before: Image.Image, after: Image.Image, mask: np.ndarray, feather: float) -> Image.Image:
    """``after`` inside the feathered mask, ``before`` bit for bit wherever the feathered mask is 0."""
    alpha8 = feathered_mask(mask, feather)
    alpha = (alpha8.astype(np.float32) / 255.0)[..., None]
    a = np.asarray(before, dtype=np.float32)
    b = np.asarray(after, dtype=np.float32)
    mixed = np.clip(a + (b - a) * alpha + 0.5, 0, 255).astype(np.uint8)
    out = np.where(alpha8[..., None] == 0, np.asarray(before), mixed)
    return Image.fromarray(out)
