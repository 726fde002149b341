"""A picture of a mask: the mask tinted over the picture, with the boxes found and their labels.

For a person to check what an edit will touch before it runs (``emilie-agent mask --preview``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..images import ImageInput, load_image, load_mask

TINT = (255, 40, 90)  # the colour of the area that may change
TINT_OPACITY = 0.5
BOX_COLOUR = (255, 220, 0)


def draw_mask_preview(
    image: ImageInput,
    result_or_mask,
    boxes: Sequence[Sequence[float]] | None = None,
    labels: Sequence[str] | None = None,
) -> Image.Image:
    """The picture with the mask tinted over it (strength follows soft values), boxes and labels drawn.

    ``result_or_mask``: a :class:`~emilie_agent.masking.types.MaskResult` (its boxes, scores and labels are drawn
    unless ``boxes`` / ``labels`` are given) or a float HxW mask in [0, 1]. A result that found nothing gets a
    line saying so. Returns a new RGB picture of the picture's size.
    """
    picture = load_image(image)
    note = None
    if hasattr(result_or_mask, "mask"):
        result = result_or_mask
        mask = result.mask
        if boxes is None:
            boxes = result.boxes
        if labels is None:
            labels = [f"{label or result.phrase} {score:.2f}" for label, score in zip(result.labels, result.scores)]
        if not result.found:
            note = f"not found: {result.phrase!r} (best score {result.best_score:.2f})"
    else:
        mask = result_or_mask
    # Any mask a user may give (array, picture, path): checked, at the picture's size, in [0, 1].
    mask = load_mask(mask, picture.size)

    base = np.asarray(picture, np.float32)
    alpha = (mask * TINT_OPACITY)[..., None]
    tinted = base * (1.0 - alpha) + np.asarray(TINT, np.float32) * alpha
    out = Image.fromarray(np.clip(tinted + 0.5, 0, 255).astype(np.uint8), "RGB")

    draw = ImageDraw.Draw(out)
    font = ImageFont.load_default()
    width = max(1, round(max(picture.size) / 300))
    labels = list(labels or [])
    for i, box in enumerate(boxes or []):
        x0, y0, x1, y1 = (float(v) for v in box)
        draw.rectangle([x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], outline=BOX_COLOUR, width=width)
        if i < len(labels) and labels[i]:
            _label(draw, (x0, y0), labels[i], font)
    if note:
        _label(draw, (0, 0), note, font)
    return out


def _label(draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str, font) -> None:
    """Text on a dark band, so that it reads on any picture."""
    x, y = at
    left, top, right, bottom = draw.textbbox((x, y), text, font=font)
    draw.rectangle([left - 1, top - 1, right + 1, bottom + 1], fill=(0, 0, 0))
    draw.text((x, y), text, fill=BOX_COLOUR, font=font)
