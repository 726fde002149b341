"""Reading pictures and masks, and the sizes the models work at.

Everything a user hands us goes through :func:`load_image` / :func:`load_mask`, which turn odd inputs
(RGBA, grayscale, palette, 16-bit, CMYK, files that are not pictures) into RGB or a float mask, or into one
clear error.
"""
from __future__ import annotations

import numbers
import os
import stat
import struct
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidImageError, InvalidMaskError, InvalidRequestError, shown

ImageInput = Union[str, os.PathLike, Image.Image, np.ndarray]

_EXIF_ORIENTATION = 0x0112
# Larger pictures are refused rather than risk running the machine out of memory; 10000 x 10000 fits.
MAX_PIXELS = 100_000_000
# The longest side a model may be asked to work at (``--max-side``): below MIN_MAX_SIDE the pictures are
# too small to edit anything in, above MAX_MAX_SIDE a diffusion model runs out of memory on any machine.
MIN_MAX_SIDE = 64
MAX_MAX_SIDE = 4096
# Pillow warns above its own limit (89 Mpx) and refuses above twice that: ours is the one that counts. A larger
# limit that a program set for itself (or None, no limit) is kept.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_FLOAT_MODES = {"F", "I", "I;16", "I;16B", "I;16L", "I;16N"}


def check_regular_file(source: str | os.PathLike, what: str = "picture", err_cls: type = InvalidImageError) -> Path:
    """``source`` as a path to a regular file (or a link to one), checked without opening it.

    A FIFO, a device or a socket is refused: opening one can block forever (a FIFO with no writer) or read
    without end (``/dev/zero``).
    """
    try:
        raw = os.fspath(source)
        if not str(raw).strip():
            raise err_cls(f"the {what} path is empty: give a file")
        path = Path(raw).expanduser()
    except (TypeError, ValueError, RuntimeError) as err:  # not a path, no home folder for "~"
        raise err_cls(f"not a usable {what} path: {shown(source)} ({err})") from None
    try:
        info = path.stat()
    except FileNotFoundError:
        raise err_cls(f"{what} file not found: {path}") from None
    except (OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise err_cls(f"the {what} {path} cannot be read: {reason}") from None
    if stat.S_ISDIR(info.st_mode):
        raise err_cls(f"{what} path is a folder, not a file: {path}")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise err_cls(f"the {what} {path} is {kind}, not a regular file: save the {what} to a file first")
    return path


def _open(source: str | os.PathLike, what: str) -> Image.Image:
    err_cls = InvalidImageError if what == "picture" else InvalidMaskError
    path = check_regular_file(source, what, err_cls)
    try:
        with warnings.catch_warnings():
            # Pillow's warning (over its own limit) gives way to our check below, which names the size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
            w, h = img.size
            if w * h > MAX_PIXELS:  # before decoding: a huge picture is refused without the memory it would take
                raise err_cls(
                    f"the {what} {path} is {w}x{h} ({w * h:,} pixels); the limit is {MAX_PIXELS:,}: downscale it first"
                )
            img.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        if isinstance(err, UnidentifiedImageError):
            raise err_cls(f"the {what} {path} is not an image this tool can read (PNG, JPEG, WebP, ...)") from None
        raise err_cls(f"the {what} {path} is too large to open safely (over {MAX_PIXELS:,} pixels)") from None
    except MemoryError:
        raise err_cls(f"the {what} {path} is too large to open with the memory this machine has") from None
    except (OSError, SyntaxError, ValueError, TypeError, IndexError, struct.error, EOFError, ZeroDivisionError) as err:
        # Pillow's decoders raise many kinds on a damaged file: each means "cannot be read".
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise err_cls(f"the {what} {path} could not be read: {reason}") from None
    return img


def check_max_side(value: object) -> int:
    """``value`` as the longest side a model works at: a whole number of pixels from 64 to 4096."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise InvalidRequestError(f"max_side must be a whole number of pixels, not {shown(value)}")
    if not MIN_MAX_SIDE <= value <= MAX_MAX_SIDE:
        raise InvalidRequestError(
            f"--max-side {value} is out of range: the longest side the model works at must be from {MIN_MAX_SIDE} "
            f"to {MAX_MAX_SIDE} pixels (default 512)"
        )
    return int(value)


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
    if img.mode in _FLOAT_MODES:
        arr = np.asarray(img, dtype=np.float64)
        if not np.isfinite(arr).all():
            raise InvalidImageError("the picture holds NaN or infinite values (a float picture): nothing to edit")
        top = 65535.0 if arr.max(initial=0.0) > 255 else 255.0
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
        img = _array_picture(source)
    elif isinstance(source, Image.Image):
        img = source
    elif isinstance(source, (str, os.PathLike)):
        img = _open(source, "picture")
    else:
        raise InvalidImageError(f"expected a path, a PIL image or an array, not {type(source).__name__}")
    _check_size(img, "picture")
    try:
        return to_rgb(img)
    except (OSError, ValueError, TypeError) as err:  # a mode Pillow cannot convert, or a lazily read file
        raise InvalidImageError(f"the picture ({img.mode}, {img.size[0]}x{img.size[1]}) cannot be used: {err}") from None


def _array_picture(source: np.ndarray) -> Image.Image:
    """An HxW / HxWx1/3/4 array of numbers (uint8 0-255, or floats 0-1 or 0-255) as a PIL picture."""
    if source.ndim not in (2, 3) or (source.ndim == 3 and source.shape[2] not in (1, 3, 4)):
        raise InvalidImageError(f"an image array must be HxW or HxWx3/4, not shape {source.shape}")
    if source.dtype.kind not in "biuf":
        raise InvalidImageError(f"an image array must hold numbers, not {source.dtype}")
    if min(source.shape[:2]) < 1:
        raise InvalidImageError(f"the picture is empty (shape {source.shape})")
    if source.shape[0] * source.shape[1] > MAX_PIXELS:
        raise InvalidImageError(
            f"the picture is {source.shape[1]}x{source.shape[0]}; the limit is {MAX_PIXELS:,} pixels: downscale it first"
        )
    if not np.isfinite(source).all():
        raise InvalidImageError("the image array contains NaN or infinite values")
    arr = source
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        arr = np.clip(arr * 255.0 if arr.max(initial=0.0) <= 1.0 else arr, 0, 255).round().astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(arr.squeeze(-1) if arr.ndim == 3 and arr.shape[2] == 1 else arr))


def load_mask(source: ImageInput, size: tuple[int, int]) -> np.ndarray:
    """A mask for a picture of ``size`` (width, height) as float32 HxW in [0, 1]; 1 = may change.

    Grayscale values are kept (soft masks); an RGBA mask uses its alpha if the colour is flat.
    A mask of another size is an error, not silently stretched.
    """
    if not isinstance(source, (np.ndarray, Image.Image, str, os.PathLike)) and hasattr(source, "__array__"):
        try:  # a torch tensor, a list of lists...: as an array
            source = np.asarray(source.detach().cpu() if hasattr(source, "detach") else source)
        except (TypeError, ValueError, RuntimeError) as err:
            raise InvalidMaskError(f"the mask ({type(source).__name__}) cannot be read as an array: {err}") from None
    elif isinstance(source, (list, tuple)):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                source = np.asarray(source, dtype=np.float32)
        except (TypeError, ValueError, OverflowError) as err:
            raise InvalidMaskError(f"the mask must be an HxW array of numbers from 0 to 1: {err}") from None
    if isinstance(source, np.ndarray):
        if source.dtype.kind not in "biuf":
            raise InvalidMaskError(f"a mask array must hold numbers from 0 to 1, not {source.dtype}")
        with np.errstate(over="ignore", invalid="ignore"):  # too large for float32: inf, refused just below
            arr = np.asarray(source, dtype=np.float32)
        if arr.ndim == 3 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != 2:
            raise InvalidMaskError(f"a mask array must be HxW, not shape {source.shape}")
        if not np.isfinite(arr).all():
            raise InvalidMaskError("the mask contains NaN or infinite values")
        if arr.max(initial=0.0) > 1.0:
            arr = arr / 255.0
    elif isinstance(source, (Image.Image, str, os.PathLike)):
        img = source if isinstance(source, Image.Image) else _open(source, "mask")
        arr = _mask_array(img)
    else:
        raise InvalidMaskError(
            f"a mask must be a picture, a path or an HxW array of numbers from 0 to 1, not {type(source).__name__}"
        )
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise InvalidMaskError(f"the picture size must be (width, height), not {shown(size)}")
    if arr.size == 0:
        raise InvalidMaskError(f"the mask is empty ({arr.shape[1]}x{arr.shape[0]} pixels)")
    h, w = arr.shape
    if (w, h) != tuple(size):
        raise InvalidMaskError(
            f"the mask is {w}x{h} but the picture is {size[0]}x{size[1]}: they must be the same size"
        )
    return np.clip(arr, 0.0, 1.0).astype(np.float32)


def _mask_array(img: Image.Image) -> np.ndarray:
    """A mask picture as float32 HxW in [0, 1] (not yet clipped): grey levels kept, float pictures as they are."""
    try:
        if img.mode in {"RGBA", "LA"} and len(set(img.convert("L").getdata())) <= 1:
            img = img.getchannel("A")
        if img.mode == "F":  # floats: 0-1 as they are, else 0-255
            arr = np.asarray(img, dtype=np.float32)
            if not np.isfinite(arr).all():
                raise InvalidMaskError("the mask holds NaN or infinite values")
            return arr if arr.max(initial=0.0) <= 1.0 else arr / 255.0
        if img.mode in _FLOAT_MODES:
            return np.asarray(img, dtype=np.float32) / 65535.0
        return np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except (OSError, ValueError, TypeError) as err:
        raise InvalidMaskError(f"the mask ({img.mode}) cannot be read: {err}") from None


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
