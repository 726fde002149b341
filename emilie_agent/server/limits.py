"""What the HTTP API accepts: the size of a request's body, and of the picture in an upload.

:class:`BodyLimit` is ASGI middleware that refuses a body over ``max_upload_bytes`` with a 413: at once when
the request says its length (``Content-Length``), else as soon as the bytes read pass the limit (a chunked
upload is never spooled whole). :func:`check_picture` reads the picture's size from its header, before a pixel
is decoded, and refuses pictures over ``max_side`` pixels on their longer side.
"""
from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InvalidImageError

DEFAULT_MAX_UPLOAD_MB = 20.0
DEFAULT_MAX_SIDE = 4096


@dataclass(frozen=True)
class UploadLimits:
    """The largest request body (megabytes) and the largest picture (pixels on the longer side) taken."""

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

    def too_large(self, size: int) -> str:
        return (
            f"the request is {size / 1024 / 1024:.1f} MB or more; this server takes up to {self.max_upload_mb:g} MB: "
            "send a smaller picture (e.g. as JPEG)"
        )


def check_picture(data: bytes, limits: UploadLimits) -> tuple[int, int]:
    """The picture's (width, height) when ``data`` is a picture within ``limits``, from its header alone;
    else an InvalidImageError saying what the limit is."""
    if not data:
        raise InvalidImageError("the picture is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                width, height = image.size
    except UnidentifiedImageError:
        raise InvalidImageError("the upload is not a picture this server can read (PNG, JPEG, WebP, ...)") from None
    except Image.DecompressionBombError:
        raise InvalidImageError(f"the picture is far too large; this server takes up to {limits.max_side} pixels a side") from None
    except OSError as err:
        raise InvalidImageError(f"the picture could not be read: {err}") from None
    if max(width, height) > limits.max_side:
        raise InvalidImageError(
            f"the picture is {width}x{height} pixels; this server takes pictures up to {limits.max_side} pixels on "
            "the longer side: downscale it and send it again"
        )
    return width, height


class BodyLimit:
    """ASGI middleware: a request body over ``limits.max_upload_bytes`` gets a 413 with a one-line JSON error."""

    def __init__(self, app: ASGIApp, limits: UploadLimits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_upload_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, self.limits.too_large(int(declared)))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI lets an HTTPException raised while the body is read through to the error handlers.
                    raise HTTPException(413, self.limits.too_large(seen))
            return message

        await self.app(scope, counted, send)


async def _send_413(send: Send, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
