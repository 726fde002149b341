"""A contact sheet: the turns of a session side by side, each captioned, in one picture."""
from __future__ import annotations

from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

CAPTION_LINES = 2
LINE_HEIGHT = 12  # PIL's default bitmap font is about 11 pixels high
MARGIN = 4


def make_contact_sheet(
    items: Sequence[tuple[str, Image.Image]], *, height: int = 256, background=(255, 255, 255)
) -> Image.Image:
    """``(caption, picture)`` pairs in one row, each scaled to ``height`` pixels high, captions below.

    Small pictures are scaled up with nearest-neighbour so that their pixels stay visible.
    """
    if not items:
        raise ValueError("a contact sheet needs at least one picture")
    thumbs = [_thumbnail(picture, height) for _, picture in items]
    caption_height = CAPTION_LINES * LINE_HEIGHT + MARGIN
    width = sum(t.width for t in thumbs) + MARGIN * (len(thumbs) + 1)
    sheet = Image.new("RGB", (width, height + caption_height + 2 * MARGIN), background)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    x = MARGIN
    for (caption, _), thumb in zip(items, thumbs):
        sheet.paste(thumb, (x, MARGIN))
        for row, line in enumerate(_wrap(draw, font, caption, thumb.width, CAPTION_LINES)):
            draw.text((x, MARGIN + height + 2 + row * LINE_HEIGHT), line, fill=(0, 0, 0), font=font)
        x += thumb.width + MARGIN
    return sheet


def _thumbnail(picture: Image.Image, height: int) -> Image.Image:
    picture = picture.convert("RGB")
    width = max(1, round(picture.width * height / picture.height))
    resample = Image.NEAREST if height > picture.height else Image.LANCZOS
    return picture.resize((width, height), resample)


def _wrap(draw: ImageDraw.ImageDraw, font, text: str, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels, at most ``max_lines`` lines ("..." where the text was cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += " ..."
    return [_fit(draw, font, line, width) for line in lines]


def _fit(draw: ImageDraw.ImageDraw, font, line: str, width: int) -> str:
    """``line`` cut to ``width`` pixels, ending in "..." when cut (one long word can outgrow a thumbnail)."""
    if draw.textlength(line, font=font) <= width:
        return line
    while line and draw.textlength(line + "...", font=font) > width:
        line = line[:-1]
    return line + "..."
