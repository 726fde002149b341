"""The MCP server: the editing service as tools for AI assistants (the official ``mcp`` SDK, 2.x).

``make_server(service)`` returns an :class:`mcp.server.mcpserver.MCPServer` whose tools work on the
:class:`~emilie_agent.service.EditingService`'s sessions; ``emilie-agent mcp`` runs it over stdio (default) or
streamable HTTP (``--http``, on 127.0.0.1). Tool names are fixed (scripts depend on them):

``open_image``, ``edit_image``, ``plan_request``, ``preview_mask``, ``undo``, ``redo``, ``go_to_turn``,
``show_history``, ``save_session``, ``load_session``.

Every answer is a short text; answers about a picture also carry it as PNG image content (a copy at most
``max_image_side`` pixels a side, so a large photo does not flood the model's context). ``open_image`` answers
``session_id: ID``; every other session tool takes an optional ``session_id`` that defaults to the session this
client opened (or loaded) last. A mistake the model can fix (a bad argument, a target not found, nothing to
undo, an unknown session) is a tool error (``is_error``) with one line saying what to do; the server never
crashes on one. The tools are plain functions run on worker threads; the service's locks keep one session's
requests in order and share the models between sessions.
"""
from __future__ import annotations

import base64
import binascii
import functools
import io
import logging
import threading
from collections import OrderedDict
from typing import Annotated, Any, Callable, Literal, Union

import anyio.from_thread
from PIL import Image as PILImage
from pydantic import Field, ValidationError

from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from ..agent.reports import AgentReply, where
from ..errors import EmilieError
from ..service import EditingService

log = logging.getLogger("emilie_agent.mcp")

TOOL_NAMES = (
    "open_image",
    "edit_image",
    "plan_request",
    "preview_mask",
    "undo",
    "redo",
    "go_to_turn",
    "show_history",
    "save_session",
    "load_session",
)
DEFAULT_MAX_IMAGE_SIDE = 1024
# The largest picture open_image accepts as base64 text (about 45 MB of image file).
MAX_BASE64_CHARS = 60_000_000

INSTRUCTIONS = """\
Edits pictures by instruction (EMILIE on InstructPix2Pix, with an automatic masker and planner).
1. open_image with a file path (or base64) -> answers session_id: ID and shows the picture.
2. edit_image with a short imperative instruction ("make it snow", "make the car red", "put a hat on the man");
   give target to change only one thing, invert=true to change everything except it. Several changes in one
   instruction ("make it winter, then make the door blue") are planned into steps.
3. undo / redo / go_to_turn move between turns; show_history lists them; preview_mask checks what a target
   phrase finds before editing; plan_request shows how an instruction would be split, without editing.
Sessions are saved after every change; save_session copies one to a folder, load_session opens a saved one.
Tools act on the session this client opened last unless session_id is given."""

SessionId = Annotated[
    Union[str, None],
    Field(
        description="Which session (the session_id that open_image or load_session answered). "
        "Leave it out to use the session you opened last."
    ),
]
GranularityChoice = Annotated[
    Union[Literal["auto", "object", "region", "global"], Annotated[float, Field(ge=0.0, le=1.0)]],
    Field(
        description="How far around the target the edit may reach: 'object' = inside its outline (recolor it), "
        "'region' = the target and its surroundings (add something on or near it), 'global' = the whole "
        "picture, or a number from 0 (object) to 1 (whole picture). 'auto' (default): chosen from the "
        "instruction."
    ),
]
Steps = Annotated[int, Field(ge=1, le=100, description="How many turns to move (default 1).")]


class EmilieMCPServer(MCPServer):
    """MCPServer whose argument errors are one line a model can act on (not pydantic's report)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None):
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as err:
            if isinstance(err.__cause__, ValidationError):
                raise ToolError(bad_arguments(name, err.__cause__)) from err.__cause__
            raise


def bad_arguments(tool: str, err: ValidationError) -> str:
    """A validation error as one line: each bad argument and what it must be."""
    problems = []
    seen = set()
    for problem in err.errors():
        where_ = ".".join(str(part) for part in problem["loc"] if not isinstance(part, int)) or "arguments"
        # A union (granularity) reports one problem per alternative: name the argument once.
        field = where_.split(".")[0]
        if field in seen:
            continue
        seen.add(field)
        message = problem["msg"]
        if field == "granularity":
            message = "must be 'auto', 'object', 'region', 'global' or a number from 0 to 1"
        problems.append(f"{field}: {message}")
    return f"bad arguments for {tool}: " + "; ".join(problems)


class ClientSessions:
    """Which editing session each MCP client opened last (the default ``session_id``).

    A client is its transport session: the ``mcp-session-id`` header over streamable HTTP; over stdio the
    process serves one client. (MCP 2.x makes a connection object per request, so that cannot be the key.)
    """

    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: "OrderedDict[str, str]" = OrderedDict()

    def remember(self, ctx: Context | None, session_id: str) -> None:
        key = client_key(ctx)
        with self._lock:
            self._last[key] = session_id
            self._last.move_to_end(key)
            while len(self._last) > self.MAX_CLIENTS:
                self._last.popitem(last=False)

    def last(self, ctx: Context | None) -> str | None:
        with self._lock:
            return self._last.get(client_key(ctx))


def client_key(ctx: Context | None) -> str:
    """The client a request comes from: its HTTP transport session, else the one client of this process."""
    try:
        headers = ctx.headers if ctx is not None else None
    except (ValueError, AttributeError, LookupError):  # outside a request
        headers = None
    session = headers.get("mcp-session-id") if headers else None
    return f"http:{session}" if session else "this process"


def make_server(
    service: EditingService,
    *,
    max_image_side: int = DEFAULT_MAX_IMAGE_SIDE,
    name: str = "emilie-agent",
) -> EmilieMCPServer:
    """The MCP server with the ten editing tools, working on ``service``'s sessions."""
    server = EmilieMCPServer(name=name, instructions=INSTRUCTIONS)
    clients = ClientSessions()

    def session_for(ctx: Context | None, session_id: str | None) -> str:
        if session_id is not None and session_id.strip():
            return session_id.strip()
        last = clients.last(ctx)
        if last is None:
            raise EmilieError("no picture is open in this conversation: call open_image first (or load_session)")
        return last

    def with_picture(sid: str, text: str, picture: PILImage.Image | None = None) -> list[Any]:
        """The answer's text and the picture (the turn an action arrived at, else the session's current one)."""
        image, note = png(picture if picture is not None else service.picture(sid), max_image_side)
        return [text + note, image]

    # ------------------------------------------------------------------ opening
    @server.tool(structured_output=False)
    @tool_errors
    def open_image(
        path: Annotated[
            Union[str, None],
            Field(description="Absolute path of the picture file on this computer (PNG, JPEG, WebP, ...)."),
        ] = None,
        image_base64: Annotated[
            Union[str, None],
            Field(description="The picture file's bytes in base64, instead of path (a data: URL is accepted too)."),
        ] = None,
        ctx: Context = None,
    ) -> list[Any]:
        """Open a picture to edit; starts a new editing session and answers its id as "session_id: ID".

        Give path or image_base64 (one of them). Later tools act on this session unless given another
        session_id. The answer shows the picture.
        """
        if (path is None) == (image_base64 is None):
            raise EmilieError("give exactly one of path (a picture file) or image_base64 (its bytes in base64)")
        source: Any = path if path is not None else decode_base64(image_base64)
        sid = service.open(source)
        clients.remember(ctx, sid)
        size = service.picture(sid).size
        return with_picture(
            sid,
            f"session_id: {sid}\nOpened a {size[0]}x{size[1]} picture as turn #0. "
            "Say what to change with edit_image.",
        )

    # ------------------------------------------------------------------ editing
    @server.tool(structured_output=False)
    @tool_errors
    def edit_image(
        instruction: Annotated[
            str,
            Field(
                description='What to change, as a short imperative: "make it snow", "make the car red", "put a '
                'hat on the man". Several changes may be joined ("make it winter, then make the door blue"): '
                "they are planned into steps, one turn each."
            ),
        ],
        target: Annotated[
            Union[str, None],
            Field(
                description='A short noun phrase naming the only thing to change, e.g. "the car". Then the '
                "instruction is one step on that target. Leave it out to let the planner decide (the whole "
                "picture for weather, season, style or light; a thing the instruction names otherwise)."
            ),
        ] = None,
        invert: Annotated[
            bool,
            Field(description="true: change everything EXCEPT the target (the target stays as it is)."),
        ] = False,
        granularity: GranularityChoice = "auto",
        session_id: SessionId = None,
        ctx: Context = None,
    ) -> list[Any]:
        """Edit the current picture; each step becomes a new turn that later edits build on.

        Answers one line per step (where it applied, how much of the picture the mask covered, the seed and
        the new turn's number) and shows the picture after the edit.
        """
        sid = session_for(ctx, session_id)
        chosen, spread = split_granularity(granularity)
        reply = service.edit(
            sid,
            instruction,
            target=target,
            invert=invert,
            granularity=chosen,
            spread=spread,
            progress=progress_reporter(ctx),
        )
        if not reply.turns:
            raise EmilieError(nothing_done(reply))
        return with_picture(sid, f"{reply.text}\nNow at {where(reply.current)}.", reply.current.picture)

    @server.tool(structured_output=False)
    @tool_errors
    def plan_request(
        request: Annotated[str, Field(description="The request to plan, as the user said it.")],
        session_id: SessionId = None,
        ctx: Context = None,
    ) -> str:
        """Show how a request would be split into edit steps (instruction, whole picture or which target),
        without editing anything. With a session, earlier edits are taken into account ("make it bigger")."""
        sid = session_id.strip() if session_id and session_id.strip() else clients.last(ctx)
        plan = service.plan(request, session_id=sid)
        return plan.describe()

    @server.tool(structured_output=False)
    @tool_errors
    def preview_mask(
        target: Annotated[str, Field(description='A short noun phrase to look for, e.g. "the man".')],
        invert: Annotated[bool, Field(description="true: show everything except the target.")] = False,
        granularity: GranularityChoice = "auto",
        session_id: SessionId = None,
        ctx: Context = None,
    ) -> list[Any]:
        """Check what the masker finds for a target on the current picture, without editing.

        Answers how much of the picture the mask covers and shows the mask over the picture; a target that
        is not found is an error (try a simpler or different phrase).
        """
        sid = session_for(ctx, session_id)
        chosen, spread = split_granularity(granularity)
        preview, result = service.preview_mask(sid, target, invert=invert, granularity=chosen, spread=spread)
        if not result.found:
            raise EmilieError(
                f"found nothing matching {target!r} (best score {result.best_score:.2f}): try a simpler or "
                "different phrase"
            )
        who = f"everything except {target!r}" if invert else repr(target)
        image, note = png(preview, max_image_side)
        return [f"Mask for {who} ({result.granularity}): {result.area_fraction:.0%} of the picture.{note}", image]

    # ------------------------------------------------------------------ moving
    @server.tool(structured_output=False)
    @tool_errors
    def undo(steps: Steps = 1, session_id: SessionId = None, ctx: Context = None) -> list[Any]:
        """Take back the last edit(s): the picture returns to how it was before them.

        The undone edits are kept (redo brings them back; a new edit after an undo starts a branch). Shows
        the picture that is now current.
        """
        sid = session_for(ctx, session_id)
        turn = service.undo(sid, steps)
        undone = f"the last {steps} edits" if steps > 1 else "the last edit"
        return with_picture(sid, f"Undid {undone}; now at {where(turn)}.", turn.picture)

    @server.tool(structured_output=False)
    @tool_errors
    def redo(steps: Steps = 1, session_id: SessionId = None, ctx: Context = None) -> list[Any]:
        """Bring back edit(s) taken back by undo, in order. Shows the picture that is now current."""
        sid = session_for(ctx, session_id)
        turn = service.redo(sid, steps)
        return with_picture(sid, f"Redid; now at {where(turn)}.", turn.picture)

    @server.tool(structured_output=False)
    @tool_errors
    def go_to_turn(
        turn_id: Annotated[
            int, Field(ge=0, description="The turn's number, as show_history lists it (0 = the original picture).")
        ],
        session_id: SessionId = None,
        ctx: Context = None,
    ) -> list[Any]:
        """Make any turn (on any branch) the current picture; the next edit builds on it. Shows it."""
        sid = session_for(ctx, session_id)
        turn = service.go_to(sid, turn_id)
        return with_picture(sid, f"Now at {where(turn)}.", turn.picture)

    @server.tool(structured_output=False)
    @tool_errors
    def show_history(session_id: SessionId = None, ctx: Context = None) -> str:
        """List every turn of the session as a tree: number, instruction, where it applied, seed.

        The current picture is marked with *; edits made after an undo appear as an indented branch.
        """
        sid = session_for(ctx, session_id)
        rows = service.history(sid)
        branches = sum(1 for row in rows if not any(other["parent"] == row["id"] for other in rows))
        tail = f"\n({branches} branches; * marks the current picture)" if branches > 1 else ""
        return f"session_id: {sid}\n{service.describe(sid)}{tail}"

    # ------------------------------------------------------------------ files
    @server.tool(structured_output=False)
    @tool_errors
    def save_session(
        path: Annotated[
            Union[str, None],
            Field(
                description="Folder to copy the session into (created if needed), or a file name ending in .zip. "
                "Leave it out to be told where the session is kept (it is saved after every change)."
            ),
        ] = None,
        session_id: SessionId = None,
        ctx: Context = None,
    ) -> str:
        """Save the whole session (every turn, branches, which one is current) to reload or resume later."""
        sid = session_for(ctx, session_id)
        count = len(service.history(sid))
        if path is None or not path.strip():
            return (
                f"session_id: {sid}\nThe session ({count} turns) is saved after every change in "
                f"{service.folder(sid)}; load_session with this session_id opens it again."
            )
        target = service.save_to(sid, path.strip())
        return (
            f"session_id: {sid}\nSaved a copy of the session ({count} turns) to {target}; "
            "load_session(path=...) opens it."
        )

    @server.tool(structured_output=False)
    @tool_errors
    def load_session(
        path: Annotated[
            Union[str, None],
            Field(
                description="A saved session folder (or a .zip of one), e.g. from save_session; opened as a new "
                "session."
            ),
        ] = None,
        session_id: Annotated[
            Union[str, None],
            Field(
                description="Instead of path: the id of a session this server keeps (e.g. from an earlier "
                "conversation)."
            ),
        ] = None,
        ctx: Context = None,
    ) -> list[Any]:
        """Open a saved session and make it the current one; answers "session_id: ID" and shows its picture."""
        if (path is None) == (session_id is None):
            raise EmilieError("give exactly one of path (a saved session folder or .zip) or session_id")
        if path is not None:
            sid = service.import_(path.strip())
            source = f"Loaded {path.strip()}"
        else:
            sid = session_id.strip()
            service.current(sid)  # an unknown id fails here, before it is remembered
            source = "Opened the kept session"
        clients.remember(ctx, sid)
        count = len(service.history(sid))
        return with_picture(sid, f"session_id: {sid}\n{source}: {count} turns, now at {where(service.current(sid))}.")

    return server


# ---------------------------------------------------------------------------------------------- helpers
def tool_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Errors as tool errors with one line: ours as they are, anything else named (the server carries on)."""
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ToolError:
            raise
        except EmilieError as err:
            raise ToolError(one_line(str(err))) from err
        except Exception as err:  # noqa: BLE001 - a crash must become an answer, never end the server
            log.exception("tool %s failed", function.__name__)
            raise ToolError(
                one_line(f"internal error ({type(err).__name__}: {err}); the server is still running")
            ) from err

    return run


def one_line(text: str) -> str:
    return " ".join(str(text).split()) or "failed"


def decode_base64(data: str) -> bytes:
    text = data.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > MAX_BASE64_CHARS:
        raise EmilieError(f"image_base64 is too long ({len(text):,} characters; at most {MAX_BASE64_CHARS:,})")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise EmilieError("image_base64 is not valid base64: give the picture file's bytes in base64") from None


def png(picture: PILImage.Image, max_side: int) -> tuple[Image, str]:
    """The picture as PNG image content (shrunk to ``max_side`` a side), and a note when it was shrunk."""
    note = ""
    if max(picture.size) > max_side:
        full = picture.size
        picture = picture.copy()
        picture.thumbnail((max_side, max_side), PILImage.LANCZOS)
        note = f" (shown at {picture.size[0]}x{picture.size[1]}; the session keeps {full[0]}x{full[1]})"
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Image(data=buffer.getvalue(), format="png"), note


def split_granularity(granularity: Any) -> tuple[str | None, float | None]:
    """A tool's granularity argument as (granularity, spread) for the service."""
    if isinstance(granularity, str):
        return (None if granularity == "auto" else granularity), None
    return None, float(granularity)


def nothing_done(reply: AgentReply) -> str:
    """Why an edit made no turn, as one line a model can act on."""
    if reply.error is not None and not reply.steps:
        return str(reply.error)
    notes = "; ".join(
        f"step {r.number} {r.status}: {r.note}" if r.note else f"step {r.number} {r.status}" for r in reply.steps
    )
    advice = (
        " (try a simpler or different target phrase, or preview_mask to check it)"
        if any(r.status in ("skipped", "not found") for r in reply.steps)
        else ""
    )
    return f"nothing was changed: {notes or reply.text}{advice}"


def progress_reporter(ctx: Context | None):
    """A progress factory for the service that sends MCP progress notifications (when the client asked)."""
    if ctx is None:
        return None

    def factory(label: str):
        def report(done: int, total: int) -> None:
            try:  # the tools run on anyio worker threads: hand the notification to the event loop
                anyio.from_thread.run(ctx.report_progress, float(done), float(total), label)
            except Exception:  # noqa: BLE001 - progress is a courtesy; never fail an edit for it
                pass

        return report

    return factory
