"""Reading pictures and masks, and the sizes the models work at.

Everything a user hands us goes through :func:`load_image` / :func:`load_mask`, which turn odd inputs
(RGBA, grayscale, palette, 16-bit, CMYK, files that are not pictures) into RGB or a float mask, or into one
clear error.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidImageError, InvalidMaskError

ImageInput = Union[str, os.PathLike, Image.Image, np.ndarray]

_EXIF_ORIENTATION = 0x0112
# Larger pictures are refused rather than risk running the machine out of memory; 10000 x 10000 fits.
MAX_PIXELS = 100_000_000


def _open(source: str | os.PathLike, what: str) -> Image.Image:
    path = Path(source).expanduser()
    err_cls = InvalidImageError if what == "picture" else InvalidMaskError
    if not path.exists():
        raise err_cls(f"{what} file not found: {path}")
    if path.is_dir():
        raise err_cls(f"{what} path is a folder, not a file: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            img.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        if isinstance(err, UnidentifiedImageError):
            raise err_cls(f"the {what} {path} is not an image this tool can read (PNG, JPEG, WebP, ...)") from None
        raise err_cls(f"the {what} {path} is too large to open safely (over {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise err_cls(f"the {what} {path} could not be read: {err}") from None
    return img


def _check_size(img: Image.Image, what: str) -> None:
    w, h = img.size
    if w < 1 or h < 1:
        raise InvalidImageError(f"the {what} is empty ({w}x{h})")
    if w * h > MAX_PIXELS:
        raise InvalidImageError(
            f"the {what} is {w}x{h} ({w * h:,} pixels); the limit is {MAX_PIXELS:,}: downscale it first"
        )


def to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode -> RGB. Transparent areas are put on white (what a viewer usually shows)."""
    # Only rotate when the EXIF orientation says so: exif_transpose copies the picture even when it need not.
    if img.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        img = ImageOps.exif_transpose(img)
    if img.mode == "RGB":
        return img.copy()
    if img.mode in {"I;16", "I;16B", "I;16L", "I", "F"}:
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        return Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def load_image(source: ImageInput) -> Image.Image:
    """A picture from a path, a PIL image or an HxWx3 / HxW uint8 array, as an RGB PIL image."""
    if isinstance(source, np.ndarray):
        if source.ndim not in (2, 3) or (source.ndim == 3 and source.shape[2] not in (1, 3, 4)):
            raise InvalidImageError(f"an image array must be HxW or HxWx3/4, not shape {source.shape}")
        if not np.isfinite(source).all():
            raise InvalidImageError("the image array contains NaN or infinite values")
        arr = source
        if arr.dtype != np.uint8:
            arr = np.clip(arr * 255.0 if arr.max() <= 1.0 else arr, 0, 255).round().astype(np.uint8)
        img = Image.fromarray(arr.squeeze(-1) if arr.ndim == 3 and arr.shape[2] == 1 else arr)
    elif isinstance(source, Image.Image):
        img = source
    elif isinstance(source, (str, os.PathLike)):
        img = _open(source, "picture")
    else:
        raise InvalidImageError(f"expected a path, a PIL image or an array, not {type(source).__name__}")
    _check_size(img, "picture")
    return to_rgb(img)


def load_mask(source: ImageInput, size: tuple[int, int]) -> np.ndarray:
    """A mask for a picture of ``size`` (width, height) as float32 HxW in [0, 1]; 1 = may change.

    Grayscale values are kept (soft masks); an RGBA mask uses its alpha if the colour is flat.
    A mask of another size is an error, not silently stretched.
    """
    if isinstance(source, np.ndarray):
        arr = np.asarray(source, dtype=np.float32)
        if arr.ndim == 3 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != 2:
            raise InvalidMaskError(f"a mask array must be HxW, not shape {source.shape}")
        if not np.isfinite(arr).all():
            raise InvalidMaskError("the mask contains NaN or infinite values")
        if arr.max(initial=0.0) > 1.0:
            arr = arr / 255.0
    else:
        img = source if isinstance(source, Image.Image) else _open(source, "mask")
        if img.mode in {"RGBA", "LA"} and len(set(img.convert("L").getdata())) <= 1:
            img = img.getchannel("A")
        if img.mode in {"I;16", "I;16B", "I;16L", "I"}:
            arr = np.asarray(img, dtype=np.float32) / 65535.0
        else:
            arr = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    h, w = arr.shape
    if (w, h) != tuple(size):
        raise InvalidMaskError(
            f"the mask is {w}x{h} but the picture is {size[0]}x{size[1]}: they must be the same size"
        )
    return np.clip(arr, 0.0, 1.0).astype(np.float32)


def working_size(
    size: tuple[int, int], max_side: int = 512, multiple: int = 8, min_side: int = 1
) -> tuple[int, int]:
    """The (width, height) a model works at: longest side <= max_side, aspect kept, multiples of ``multiple``.

    Small pictures are not upscaled beyond the nearest multiple (a picture of 1x1 works at ``multiple`` x
    ``multiple``), nor beyond ``min_side`` a side.
    """
    w, h = size
    scale = min(1.0, max_side / max(w, h))
    ww = max(multiple, min_side, int(round(w * scale / multiple)) * multiple)
    hh = max(multiple, min_side, int(round(h * scale / multiple)) * multiple)
    return ww, hh


def mask_to_image(mask: np.ndarray) -> Image.Image:
    """A float mask in [0, 1] as an 8-bit grayscale picture."""
    return Image.fromarray(np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
