"""What the page accepts: the size of an uploaded file and of the picture in it, checked before it is opened.

Gradio refuses files over ``max_upload_mb`` itself (``launch(max_file_size=...)``); :func:`check_upload` says
the same in words for any file that reaches the app, and refuses pictures larger than ``max_side`` pixels on
their longer side from the header alone, before a pixel is decoded.
"""
from __future__ import annotations

import os

from ..errors import InvalidImageError
from ..limits import DEFAULT_MAX_SIDE, DEFAULT_MAX_UPLOAD_MB, UploadLimits, check_picture_header

Limits = UploadLimits  # the page's name for them (the HTTP API's are the same)

__all__ = ["DEFAULT_MAX_SIDE", "DEFAULT_MAX_UPLOAD_MB", "Limits", "check_upload"]


def check_upload(path: str | os.PathLike, limits: UploadLimits) -> tuple[int, int]:
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
    return check_picture_header(path, limits, surface="this page", what="the file", again="upload it again")
