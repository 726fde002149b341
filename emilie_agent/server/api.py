"""The HTTP API of the editing service (FastAPI): one app factory for ``emilie-agent serve`` in one process and
for the HTTP ingress of the Ray Serve application.

``make_app(backend)`` takes a *backend*: an object whose ``await backend.NAME(...)`` runs the call ``NAME`` of
:class:`~emilie_agent.server.calls.ServiceCalls` somewhere (on a worker thread: :class:`ThreadedBackend`; on a
Ray Serve deployment: :class:`~emilie_agent.server.ray_app.DeploymentBackend`). The routes:

====================================  ==========================================================================
``GET /healthz``                      ``{"status": "ok", "models": ...}``
``POST /sessions``                    multipart field ``picture`` -> 201 ``{"session_id": ...}``
``POST /sessions/import``             multipart field ``session`` (a saved session's zip) -> 201 ``{"session_id"}``
``POST /sessions/{id}/messages``      ``{"text", "spread"?, "invert"?}`` -> the agent's reply (text, steps, turns,
                                      current turn, plan, error)
``POST /sessions/{id}/edits``         ``{"instruction", "target"?, "invert"?, "granularity"?, "spread"?}`` -> reply
``POST /sessions/{id}/undo`` / redo   ``{"steps": 1}`` (optional) -> ``{"current": turn}``
``POST /sessions/{id}/go-to``         ``{"turn": N}`` -> ``{"current": turn}``
``GET /sessions/{id}/history``        every turn (all branches), the current one, the tree as text
``GET /sessions/{id}/picture``        the current picture (PNG); ``?turn=N`` or ``/turns/{N}/picture``: turn N's
``GET /sessions/{id}/mask``           ``?target=...&invert=&granularity=&spread=``: the mask drawn over the picture
                                      (PNG; headers ``X-Mask-Found``, ``X-Mask-Area``); records nothing
``GET /sessions/{id}/export``         the saved session as a zip (what ``/sessions/import`` and
                                      ``EditSession.load`` read); sessions are saved after every change
====================================  ==========================================================================

Errors are a one-line JSON ``{"error": "..."}``: 400 bad input (a picture that is not one, an empty
instruction, a malformed id, "nothing to undo", a turn that does not exist), 404 an unknown session or route,
409 a session another replica is editing for longer than a request waits, 413 a body over the upload limit,
422 a request body or query that does not fit the route, 503 models that cannot load (or, on Ray Serve, a
replica that stopped mid-request). Anything unexpected is a
500 with a one-line error; the traceback goes to the server's log only.
"""
from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .limits import BodyLimit, UploadLimits, check_picture
from .records import one_line
from ..errors import EditFailedError, EmilieError, ModelNotAvailableError
from ..service.lease import SessionBusyError
from ..service.store import UnknownSessionError

log = logging.getLogger("emilie_agent.server")

Granularity = Literal["object", "region", "global"]
Spread = Field(default=None, ge=0.0, le=1.0, description="0 = the object's outline ... 1 = the whole picture")


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description='a request ("make it winter, then paint the door blue") or a command ("undo 2")')
    spread: float | None = Spread
    invert: bool = False


class EditBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instruction: str
    target: str | None = None
    invert: bool = False
    granularity: Granularity | None = None
    spread: float | None = Spread


class StepsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int = Field(default=1, ge=1, le=1000)


class GoToBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turn: int = Field(ge=0)


def make_app(backend: Any, *, limits: UploadLimits | None = None, title: str = "emilie-agent") -> FastAPI:
    """The API over ``backend`` (see the module docstring), with the upload limits and the JSON error handlers."""
    limits = limits or UploadLimits()
    app = FastAPI(title=title, description="Edit a picture by talking to it (EMILIE on InstructPix2Pix).")
    app.include_router(make_router(backend, limits))
    add_error_handlers(app)
    app.add_middleware(BodyLimit, limits=limits)
    return app


def make_router(backend: Any, limits: UploadLimits) -> APIRouter:
    """The API's routes over ``backend``."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict:
        return await backend.health()

    @router.post("/sessions", status_code=201)
    async def open_session(picture: UploadFile = File(description="the picture to edit (PNG, JPEG, WebP, ...)")) -> dict:
        data = await picture.read()
        check_picture(data, limits)
        return await backend.open(data)

    @router.post("/sessions/import", status_code=201)
    async def import_session(session: UploadFile = File(description="a saved session's zip (from /export)")) -> dict:
        return await backend.import_session(await session.read())

    @router.post("/sessions/{session_id}/messages")
    async def message(session_id: str, body: MessageBody) -> dict:
        return await backend.message(session_id, body.text, spread=body.spread, invert=body.invert)

    @router.post("/sessions/{session_id}/edits")
    async def edit(session_id: str, body: EditBody) -> dict:
        return await backend.edit(
            session_id,
            body.instruction,
            target=body.target,
            invert=body.invert,
            granularity=body.granularity,
            spread=body.spread,
        )

    @router.post("/sessions/{session_id}/undo")
    async def undo(session_id: str, body: StepsBody | None = None) -> dict:
        return await backend.undo(session_id, (body or StepsBody()).steps)

    @router.post("/sessions/{session_id}/redo")
    async def redo(session_id: str, body: StepsBody | None = None) -> dict:
        return await backend.redo(session_id, (body or StepsBody()).steps)

    @router.post("/sessions/{session_id}/go-to")
    async def go_to(session_id: str, body: GoToBody) -> dict:
        return await backend.go_to(session_id, body.turn)

    @router.get("/sessions/{session_id}/history")
    async def history(session_id: str) -> dict:
        return await backend.history(session_id)

    @router.get("/sessions/{session_id}/picture", response_class=Response)
    async def picture(session_id: str, turn: int | None = Query(default=None, ge=0)) -> Response:
        return _png(await backend.picture(session_id, turn))

    @router.get("/sessions/{session_id}/turns/{turn}/picture", response_class=Response)
    async def turn_picture(session_id: str, turn: int) -> Response:
        return _png(await backend.picture(session_id, turn))

    @router.get("/sessions/{session_id}/mask", response_class=Response)
    async def mask(
        session_id: str,
        target: str = Query(description="what to look for, e.g. the door"),
        invert: bool = False,
        granularity: Granularity | None = None,
        spread: float | None = Query(default=None, ge=0.0, le=1.0),
    ) -> Response:
        found = await backend.preview_mask(session_id, target, invert=invert, granularity=granularity, spread=spread)
        headers = {"X-Mask-Found": str(found["found"]).lower(), "X-Mask-Area": f"{found['area']:.4f}"}
        return _png(found["picture"], headers)

    @router.get("/sessions/{session_id}/export", response_class=Response)
    async def export(session_id: str) -> Response:
        data = await backend.export(session_id)
        disposition = f'attachment; filename="session-{session_id[:32]}.zip"'
        return Response(data, media_type="application/zip", headers={"Content-Disposition": disposition})

    return router


def _png(data: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store", **(headers or {})})


# ---------------------------------------------------------------------------------------------- errors
def status_for(error: EmilieError) -> int:
    """The HTTP status of an error a caller can act on (an error class may name its own: ``http_status``)."""
    own = getattr(error, "http_status", None)
    if isinstance(own, int):
        return own
    if isinstance(error, UnknownSessionError):
        return 404
    if isinstance(error, SessionBusyError):
        return 409
    if isinstance(error, ModelNotAvailableError):
        return 503
    if isinstance(error, EditFailedError):
        return 500
    return 400


def add_error_handlers(app: FastAPI) -> None:
    """Every error is a one-line JSON ``{"error": ...}``; nothing sends a traceback to a client."""

    @app.exception_handler(EmilieError)
    async def emilie_error(request: Request, error: EmilieError) -> JSONResponse:
        return _error(status_for(error), str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error(422, describe_validation(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        text = error.detail if isinstance(error.detail, str) else str(error.detail)
        if error.status_code == 404 and text == "Not Found":
            text = f"there is no {request.method} {request.url.path} here: see /docs for the routes"
        return _error(error.status_code, text, getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=error)
        first = (str(error).strip().splitlines() or [""])[0][:200]
        return _error(500, f"internal error ({type(error).__name__}: {first}); the server's log has the details")


def describe_validation(errors: list[dict]) -> str:
    """pydantic's validation errors in one line: ``body.text: Field required; query.turn: ...``."""
    parts = []
    for item in errors[:3]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


def _error(status: int, text: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": one_line(text)}, status_code=status, headers=headers)
