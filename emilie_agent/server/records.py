"""The service's answers as plain data (JSON-ready dicts and PNG bytes), the form they cross HTTP and Ray in.

Pictures never go into JSON: a reply names the turns it made, and ``GET /sessions/{id}/turns/{n}/picture``
gives each one as a PNG.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from PIL import Image

if TYPE_CHECKING:  # pragma: no cover
    from ..agent.reports import AgentReply, StepReport
    from ..editing.session import Turn


def turn_record(turn: "Turn | None") -> dict[str, Any] | None:
    """A turn as the API shows it: its id, its parent and the instruction that made it (None for the root)."""
    if turn is None:
        return None
    return {"id": turn.id, "parent": turn.parent, "instruction": turn.instruction}


def step_record(report: "StepReport") -> dict[str, Any]:
    """One step of a reply: what was asked, where, what became of it, and the turn it made."""
    return {
        "number": report.number,
        "instruction": report.step.instruction,
        "scope": report.step.scope,
        "target": report.step.target,
        "invert": report.step.invert,
        "status": report.status,
        "granularity": report.granularity,
        "turn": None if report.turn is None else report.turn.id,
        "seed": report.seed,
        "mask_area": None if report.mask_area is None else round(float(report.mask_area), 4),
        "note": report.note,
        "text": report.describe(),
    }


def reply_record(session_id: str, reply: "AgentReply") -> dict[str, Any]:
    """The agent's reply to a message: ``text`` (one line per step), ``steps``, the new ``turns`` (ids),
    the ``current`` turn, the ``plan`` (None for a command), the labels of its mask previews and ``error``
    (None, or one line saying what could not be done)."""
    return {
        "session_id": session_id,
        "text": reply.text,
        "ok": reply.ok,
        "error": None if reply.error is None else one_line(str(reply.error)),
        "steps": [step_record(report) for report in reply.steps],
        "turns": [turn.id for turn in reply.turns],
        "current": turn_record(reply.current),
        "plan": None if reply.plan is None else reply.plan.model_dump(mode="json"),
        "mask_previews": [label for label, _ in reply.mask_previews],
    }


def png_bytes(picture: Image.Image) -> bytes:
    """A picture as the bytes of a lossless PNG."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line, at most ``limit`` characters (an error message sent to a client)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
