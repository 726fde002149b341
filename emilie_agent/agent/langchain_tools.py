"""LangChain tools that let any LLM assistant edit one picture: edit, undo, redo, history, masks, save.

``make_session_tools(session_or_agent)`` returns the tools bound to one editing session (one
:class:`~emilie_agent.agent.agent.EditingAgent`); ``make_langchain_agent(model, session_or_agent)`` builds a LangChain
agent (``langchain.agents.create_agent``) that drives them::

    tools = make_session_tools(session, masker=masker)
    graph = make_langchain_agent("openai:gpt-4o-mini", tools=tools)
    graph.invoke({"messages": [("user", "make it winter, then undo that and make the car red")]},
                 {"configurable": {"thread_id": "1"}})

The tools are declared with LangChain's ``@tool``: each argument's description comes from the function's
docstring. Every tool answers the model with a short text; ``edit_image`` and ``preview_mask`` also return
their mask previews as the tool message's *artifact*, which the application sees and the model does not:
``ToolMessage.artifact`` is a list of LangChain image content blocks (``{"type": "image", "base64": PNG,
"mime_type": "image/png", "extras": {"label": "turn #2 mask"}}``), plain data that a checkpointer can store. The pictures stay in the session (``agent.session``; the
last tool's whole reply in ``agent.last_reply``). A tool never raises for a mistake the model can fix (target
not found, nothing to undo, an argument out of range): it answers "Error: ...", so the model can try again.

LangChain is optional (``pip install "emilie-agent[llm]"``): this module is the only one that imports it.
"""
from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Annotated, Any, Callable, Literal

from PIL import Image
from pydantic import Field, ValidationError

from .agent import EditingAgent
from .commands import Command
from .reports import AgentReply
from ..errors import EmilieError

if TYPE_CHECKING:  # pragma: no cover
    from langchain_core.tools import BaseTool

    from ..editing.session import EditSession

INSTALL_HINT = 'the LangChain tools need LangChain: pip install "emilie-agent[llm]"'

SYSTEM_PROMPT = """\
You edit one picture for the user with the tools given. The picture is kept in a session: every edit is a new
turn, and undo/redo move between turns.
- Call edit_image once per change, in order, with a short imperative instruction ("make it snow", "make the car
  red", "put a hat on the man").
- Give a target (a short noun phrase such as "the car") when only one thing should change; give none when the
  whole picture should change (weather, season, style, lighting). invert=true changes everything except the target.
- If a target is not found, try a simpler or different phrase, or preview_mask to check what is found.
- Use undo when the user wants an edit taken back, show_history to see the turns.
Answer the user briefly with what you did."""

GranularityChoice = Literal["auto", "object", "region"]  # what the model may ask for; "auto": chosen per edit
Steps = Annotated[int, Field(ge=1, le=100)]
ImageBlocks = list[dict[str, Any]]  # LangChain ImageContentBlocks: the mask previews, as PNG


def make_session_tools(session_or_agent: "EditSession | EditingAgent", **agent_options: Any) -> list["BaseTool"]:
    """edit_image, undo, redo, show_history, preview_mask and save_session, bound to one session.

    Pass an :class:`EditingAgent`, or an :class:`EditSession` and the agent's options (``masker=``,
    ``settings=``, ``autosave_dir=``, ``on_missing=``...). The tools share the agent's lock, so a model
    that calls several tools at once (LangChain runs them in parallel threads) edits one at a time.
    """
    try:
        from langchain_core.tools import tool  # lazy: LangChain is an optional extra
    except ImportError as err:
        raise EmilieError(INSTALL_HINT) from err

    if isinstance(session_or_agent, EditingAgent):
        if agent_options:
            raise TypeError("agent options go to EditingAgent(...), not with an agent that already exists")
        agent = session_or_agent
    else:
        agent = EditingAgent(session_or_agent, **agent_options)

    @tool(parse_docstring=True, response_format="content_and_artifact")
    def edit_image(
        instruction: str, target: str | None = None, invert: bool = False, granularity: GranularityChoice = "auto"
    ) -> tuple[str, ImageBlocks]:
        """Edit the current picture with one instruction, on the whole picture or only on a target.

        Each call makes a new turn that later edits build on. Answers what was done: where (whole picture,
        or the target and how much of the picture its mask covers), the seed and the new turn's number;
        or why nothing was done (e.g. the target was not found).

        Args:
            instruction: One imperative edit, e.g. "make it snow", "make the car red", "put a hat on the man".
                One change per call.
            target: Short noun phrase naming the only thing to change, e.g. "the car". Leave it out (null) to
                edit the whole picture.
            invert: true: change everything EXCEPT the target (the target stays). Needs a target.
            granularity: object: only inside the target's outline (recolor it); region: the target and around
                it (add something on or near it); auto: chosen from the instruction.
        """
        return _answer_with_previews(
            lambda: agent.edit(instruction, target, invert=invert, granularity=_chosen(granularity))
        )

    @tool(parse_docstring=True)
    def undo(steps: Steps = 1) -> str:
        """Take back the last edit(s): the picture returns to how it was before them.

        The undone edits are kept: redo brings them back, and a new edit after an undo starts a branch.
        Answers with the turn that is now current.

        Args:
            steps: How many edits to take back (default 1).
        """
        return _answer(lambda: agent.run_command(Command("undo", count=steps)))

    @tool(parse_docstring=True)
    def redo(steps: Steps = 1) -> str:
        """Bring back edit(s) taken back by undo, in order.

        Answers with the turn that is now current, or says that there is nothing to redo.

        Args:
            steps: How many undone edits to bring back (default 1).
        """
        return _answer(lambda: agent.run_command(Command("redo", count=steps)))

    @tool
    def show_history() -> str:
        """List every turn of the session as a tree: number, instruction, where it applied, seed.

        The current picture is marked with *; edits made after an undo appear as a branch.
        """
        return _answer(lambda: agent.run_command(Command("history")))

    @tool(parse_docstring=True, response_format="content_and_artifact")
    def preview_mask(
        target: str, invert: bool = False, granularity: GranularityChoice = "auto"
    ) -> tuple[str, ImageBlocks]:
        """Check what the masker finds for a target on the current picture, without editing.

        Answers how much of the picture the mask covers, or that nothing was found.

        Args:
            target: Short noun phrase to look for, e.g. "the man".
            invert: true: show everything except the target.
            granularity: object, region or auto, as in edit_image.
        """
        return _answer_with_previews(
            lambda: agent.mask_reply(target, invert=invert, granularity=_chosen(granularity))
        )

    @tool(parse_docstring=True)
    def save_session(path: str) -> str:
        """Save the whole session (every turn and which one is current) to a folder, to reload or resume later.

        Answers with the folder and the number of turns saved.

        Args:
            path: Folder to save the session in (created if needed).
        """
        return _answer(lambda: agent.run_command(Command("save", path=path.strip() or None)))

    tools = [edit_image, undo, redo, show_history, preview_mask, save_session]
    for each in tools:
        each.handle_validation_error = bad_arguments
        each.metadata = {"emilie_agent": agent}
    return tools


def make_langchain_agent(model: Any, session_or_agent: Any = None, *, tools: list | None = None, **options: Any):
    """A LangChain agent (a LangGraph graph) that edits the session with the tools above.

    ``model`` is a chat model or "provider:name". Give ``tools`` (from :func:`make_session_tools`) or a session
    / agent to make them from. ``options`` go to ``create_agent`` (default: :data:`SYSTEM_PROMPT` and an
    in-memory checkpointer, so a thread keeps its conversation).
    """
    try:
        # Lazy: LangChain and LangGraph are an optional extra.
        from langchain.agents import create_agent
        from langgraph.checkpoint.memory import InMemorySaver
    except ImportError as err:
        raise EmilieError(INSTALL_HINT) from err
    if tools is None:
        if session_or_agent is None:
            raise TypeError("give a session (or an EditingAgent) or the tools")
        tools = make_session_tools(session_or_agent)
    options.setdefault("system_prompt", SYSTEM_PROMPT)
    options.setdefault("checkpointer", InMemorySaver())
    return create_agent(model, tools, **options)


def bad_arguments(err: ValidationError) -> str:
    """A tool call whose arguments do not fit the schema, as one line the model can act on."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}" for problem in err.errors()
    )
    return f"Error: bad arguments: {problems}"


def _chosen(granularity: GranularityChoice):
    return None if granularity == "auto" else granularity


def _answer(run: Callable[[], AgentReply]) -> str:
    """The reply's text for the model; an error the model can act on becomes text, not an exception."""
    return _answer_with_previews(run)[0]


def _answer_with_previews(run: Callable[[], AgentReply]) -> tuple[str, ImageBlocks]:
    """The reply's text for the model, and its mask previews for the application (the tool's artifact)."""
    try:
        reply = run()
    except EmilieError as err:
        return f"Error: {err}", []
    text = f"Error: {reply.text}" if reply.error is not None else reply.text
    return text, [image_block(label, preview) for label, preview in reply.mask_previews]


def image_block(label: str, picture: Image.Image) -> dict[str, Any]:
    """A picture as a LangChain ``ImageContentBlock`` (PNG, base64), labelled in its ``extras``."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"type": "image", "base64": data, "mime_type": "image/png", "extras": {"label": label}}
