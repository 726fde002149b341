"""What the page accepts: the size of an uploaded file and of the picture in it, checked before it is opened.

Gradio refuses files over ``max_upload_mb`` itself (``launch(max_file_size=...)``); :func:`check_upload` says
the same in words for any file that reaches the app, and refuses pictures larger than ``max_side`` pixels on
their longer side from the header alone, before a pixel is decoded.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ..errors import InvalidImageError

DEFAULT_MAX_UPLOAD_MB = 20.0
DEFAULT_MAX_SIDE = 4096


@dataclass(frozen=True)
class Limits:
    """The largest upload (megabytes) and the largest picture (pixels on the longer side) the page takes."""

    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    max_side: int = DEFAULT_MAX_SIDE

    def __post_init__(self) -> None:
        if not self.max_upload_mb > 0:
            raise InvalidImageError(f"the upload limit must be above 0 MB, not {self.max_upload_mb}")
        if self.max_side < 8:
            raise InvalidImageError(f"the picture size limit must be at least 8 pixels, not {self.max_side}")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def describe(self) -> str:
        return f"pictures up to {self.max_upload_mb:g} MB and {self.max_side} pixels on the longer side"


def check_upload(path: str | os.PathLike, limits: Limits) -> tuple[int, int]:
    """The picture's (width, height) if the file at ``path`` is within ``limits``; else an InvalidImageError
    whose message says what the limit is and what to do."""
    size = os.path.getsize(path)
    if size > limits.max_upload_bytes:
        raise InvalidImageError(
            f"the file is {size / 1024 / 1024:.1f} MB; this page takes files up to {limits.max_upload_mb:g} MB: "
            "save it smaller (e.g. as JPEG) and upload it again"
        )
    if size == 0:
        raise InvalidImageError("the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
    except UnidentifiedImageError:
        raise InvalidImageError("the file is not a picture this page can read (PNG, JPEG, WebP, ...)") from None
    except Image.DecompressionBombError:
        raise InvalidImageError(
            f"the picture is far too large; this page takes pictures up to {limits.max_side} pixels on the "
            "longer side: downscale it and upload it again"
        ) from None
    except OSError as err:
        raise InvalidImageError(f"the picture could not be read: {err}") from None
    if max(width, height) > limits.max_side:
        raise InvalidImageError(
            f"the picture is {width}x{height} pixels; this page takes pictures up to {limits.max_side} pixels on "
            "the longer side: downscale it and upload it again"
        )
    return width, height
