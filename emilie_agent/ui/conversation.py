"""The chat as the page shows it: messages (Gradio's ``{"role", "content"}`` format) made from the service's
replies and turns. Text, then each step's mask preview and picture, as PNG files (see :mod:`.files`).

Nothing here decides anything about a session: it only shows what :class:`EditingService` returned.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..masking.preview import draw_mask_preview
from .files import PageFiles

if TYPE_CHECKING:  # pragma: no cover
    from ..agent.reports import AgentReply
    from ..editing.session import Turn
    from ..planning.plan import Plan

Message = dict[str, Any]


def say(text: str, role: str = "assistant") -> Message:
    return {"role": role, "content": as_markdown(text)}


def show(path: str, alt: str) -> Message:
    return {"role": "assistant", "content": {"path": path, "alt_text": alt}}


def as_markdown(text: str) -> str:
    """Text for the chat's Markdown: a history tree (lines starting with ``*``, ``#`` or spaces) as a code
    block, so that its marks and indents show as they are; other text unchanged."""
    lines = text.splitlines()
    if len(lines) > 1 and any(line[:1] in ("*", "#", " ") for line in lines):
        return "```text\n" + text + "\n```"
    return text


def turn_caption(turn: "Turn") -> str:
    if turn.is_root:
        return f"#{turn.id} the original picture"
    return f"#{turn.id} {turn.instruction}"


def reply_messages(
    reply: "AgentReply", files: PageFiles, session_id: str, *, moved_to: "Turn | None" = None
) -> list[Message]:
    """The assistant's messages for one reply: its text, then per step the mask preview and the new picture.

    A reply without steps (a command) shows its mask previews, and ``moved_to`` (the turn an undo, redo or
    go-to made current) when given.
    """
    if reply.steps:
        messages = []
        for report in reply.steps:  # each step's line, then its mask and its picture
            messages.append(say(report.describe()))
            if report.mask_preview is not None:
                path = files.picture(session_id, report.mask_preview, f"step-{report.number}-mask")
                messages.append(show(path, f"step {report.number} mask: {report.step.target}"))
            if report.turn is not None:
                messages.append(show(files.turn(session_id, report.turn), turn_caption(report.turn)))
        if reply.error is not None:
            messages.append(say(f"Stopped: {reply.error}"))
        return messages
    messages = [say(reply.text or "Done.")]
    for label, preview in reply.mask_previews:
        messages.append(show(files.picture(session_id, preview, "mask"), label))
    if moved_to is not None:
        messages.append(show(files.turn(session_id, moved_to), turn_caption(moved_to)))
    return messages


def opened_messages(files: PageFiles, session_id: str, root: "Turn", source: str) -> list[Message]:
    """The greeting for a new session: where the picture came from, the picture, what to say next."""
    width, height = root.picture.size
    return [
        say(
            f"New session on {source} ({width}x{height}). Say what to change, for example "
            "*make it winter, then paint the door blue*, or a command: *undo*, *show history*, "
            "*show the mask for the door*, *go to turn 1*, *help*."
        ),
        show(files.turn(session_id, root), turn_caption(root)),
    ]


def restored_messages(files: PageFiles, session_id: str, path: "list[Turn]") -> list[Message]:
    """The conversation rebuilt from a saved session (a page reload): each request that led to the current
    picture as the person's message, then its turns with their masks."""
    messages: list[Message] = [say(f"Session {session_id} found again: {len(path) - 1} edit(s) up to the current picture.")]
    request = None
    previous = None
    for turn in path:
        if turn.is_root:
            messages.append(show(files.turn(session_id, turn), turn_caption(turn)))
        else:
            asked = turn.context.request or turn.instruction
            if asked != request:
                messages.append(say(asked, role="user"))
                request = asked
            messages.append(say(turn.describe()))
            if turn.mask is not None and previous is not None:
                preview = draw_mask_preview(previous.picture, turn.mask)
                messages.append(show(files.picture(session_id, preview, f"turn-{turn.id}-mask"), f"turn #{turn.id} mask"))
            messages.append(show(files.turn(session_id, turn), turn_caption(turn)))
        previous = turn
    return messages


def plan_preview_messages(
    plan: "Plan", previews: list[tuple[int, Any, Any]], files: PageFiles, session_id: str
) -> list[Message]:
    """What "preview the mask first" shows: the plan's steps and, for each local step, the mask it would use
    on the current picture. ``previews``: (step number, preview picture, MaskResult) for the local steps."""
    lines = [f"Plan for *{plan.request}* (nothing edited yet):"]
    by_step = {number: (picture, result) for number, picture, result in previews}
    messages: list[Message] = []
    for number, step in enumerate(plan.steps, start=1):
        if step.scope == "global":
            lines.append(f"{number}. {step.instruction}: the whole picture")
            continue
        who = f"everything except {step.target!r}" if step.invert else repr(step.target)
        picture, result = by_step[number]
        if result.found:
            lines.append(f"{number}. {step.instruction}: {who} ({result.granularity}, {result.area_fraction:.0%} of the picture)")
            path = files.picture(session_id, picture, f"preview-{number}-mask")
            messages.append(show(path, f"step {number} mask: {step.target}"))
        else:
            lines.append(f"{number}. {step.instruction}: nothing found for {step.target!r}; this step would be skipped")
    lines.append("Masks are found on the current picture. Press **Apply** to run it, or change the request or the "
                 "granularity and send it again.")
    return [say("\n".join(lines))] + messages
