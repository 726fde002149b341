"""A picture the demo draws itself, so that the main job needs no input file."""
from __future__ import annotations

from PIL import Image, ImageDraw


def draw_scene(width: int = 512, height: int = 384) -> Image.Image:
    """A sunny street: sky, sun, hills, a house with a red door, a tree and a man."""
    img = Image.new("RGB", (width, height), (135, 190, 240))
    d = ImageDraw.Draw(img)
    s = min(width / 512, height / 384)

    def box(x0, y0, x1, y1):
        return [x0 * s, y0 * s, x1 * s, y1 * s]

    d.ellipse(box(400, 30, 470, 100), fill=(255, 220, 80))  # sun
    d.ellipse(box(-100, 200, 300, 420), fill=(90, 160, 80))  # hills
    d.ellipse(box(200, 220, 640, 460), fill=(70, 140, 70))
    d.rectangle(box(0, 300, 512, 384), fill=(120, 120, 125))  # street
    d.rectangle(box(40, 170, 200, 300), fill=(230, 210, 170))  # house
    d.polygon([(30 * s, 175 * s), (120 * s, 110 * s), (210 * s, 175 * s)], fill=(150, 60, 50))  # roof
    d.rectangle(box(100, 230, 140, 300), fill=(200, 30, 30))  # red door
    d.rectangle(box(55, 195, 90, 225), fill=(170, 210, 240))  # window
    d.rectangle(box(255, 210, 275, 300), fill=(110, 75, 40))  # tree trunk
    d.ellipse(box(215, 130, 315, 230), fill=(40, 120, 50))  # tree crown
    # A man: head, body, legs, arms.
    d.ellipse(box(372, 190, 402, 220), fill=(235, 195, 160))
    d.rectangle(box(367, 220, 407, 275), fill=(40, 70, 160))
    d.rectangle(box(369, 275, 384, 315), fill=(50, 50, 60))
    d.rectangle(box(390, 275, 405, 315), fill=(50, 50, 60))
    d.rectangle(box(355, 222, 367, 265), fill=(40, 70, 160))
    d.rectangle(box(407, 222, 419, 265), fill=(40, 70, 160))
    return img
