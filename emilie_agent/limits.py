"""What a surface (the HTTP API, the web page) accepts: the size of an upload, and of the picture in it.

:class:`UploadLimits` holds the two limits; :func:`check_picture_header` reads a picture's size from its header,
before a pixel is decoded, and refuses what is not a picture or is larger than ``max_side`` pixels on its
longer side. The messages name the surface ("this server", "this page") and what to do next, since the HTTP API
and the page say it to different people.
"""
from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from .errors import InvalidImageError

DEFAULT_MAX_UPLOAD_MB = 20.0
DEFAULT_MAX_SIDE = 4096


@dataclass(frozen=True)
class UploadLimits:
    """The largest upload (megabytes) and the largest picture (pixels on the longer side) taken."""

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


def check_picture_header(
    source: bytes | str | os.PathLike,
    limits: UploadLimits,
    *,
    surface: str,
    what: str,
    again: str,
) -> tuple[int, int]:
    """The picture's (width, height) from its header, when ``source`` (bytes or a file) is a picture within
    ``limits``; else an InvalidImageError. ``surface`` ("this server"), ``what`` the upload is called ("the
    upload", "the file") and ``again`` ("send it again") word the messages."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
            with opened as image:  # reads the header only
                width, height = image.size
    except UnidentifiedImageError:
        raise InvalidImageError(f"{what} is not a picture {surface} can read (PNG, JPEG, WebP, ...)") from None
    except Image.DecompressionBombError:
        raise InvalidImageError(
            f"the picture is far too large; {surface} takes pictures up to {limits.max_side} pixels on the longer "
            f"side: downscale it and {again}"
        ) from None
    except OSError as err:
        raise InvalidImageError(f"the picture could not be read: {err}") from None
    if max(width, height) > limits.max_side:
        raise InvalidImageError(
            f"the picture is {width}x{height} pixels; {surface} takes pictures up to {limits.max_side} pixels on "
            f"the longer side: downscale it and {again}"
        )
    return width, height
