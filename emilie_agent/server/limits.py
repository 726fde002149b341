"""What the HTTP API accepts: the size of a request's body, and of the picture in an upload.

:class:`BodyLimit` is ASGI middleware that refuses a body over ``max_upload_bytes`` with a 413: at once when
the request says its length (``Content-Length``), else as soon as the bytes read pass the limit (a chunked
upload is never spooled whole). :func:`check_picture` reads the picture's size from its header, before a pixel
is decoded, and refuses pictures over ``max_side`` pixels on their longer side (:mod:`emilie_agent.limits`,
shared with the web page).
"""
from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InvalidImageError
from ..limits import DEFAULT_MAX_SIDE, DEFAULT_MAX_UPLOAD_MB, UploadLimits, check_picture_header

__all__ = ["BodyLimit", "DEFAULT_MAX_SIDE", "DEFAULT_MAX_UPLOAD_MB", "UploadLimits", "check_picture", "too_large"]


def too_large(limits: UploadLimits, size: int) -> str:
    return (
        f"the request is {size / 1024 / 1024:.1f} MB or more; this server takes up to {limits.max_upload_mb:g} MB: "
        "send a smaller picture (e.g. as JPEG)"
    )


def check_picture(data: bytes, limits: UploadLimits) -> tuple[int, int]:
    """The picture's (width, height) when ``data`` is a picture within ``limits``, from its header alone;
    else an InvalidImageError saying what the limit is."""
    if not data:
        raise InvalidImageError("the picture is empty (0 bytes)")
    return check_picture_header(data, limits, surface="this server", what="the upload", again="send it again")


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
            await _send_413(send, too_large(self.limits, int(declared)))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI lets an HTTPException raised while the body is read through to the error handlers.
                    raise HTTPException(413, too_large(self.limits, seen))
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
