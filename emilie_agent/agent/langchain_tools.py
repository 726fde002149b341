"""LangChain tools that let any LLM assistant edit one picture: edit, undo, redo, history, masks, save.

``make_session_tools(session_or_agent)`` returns the tools bound to one editing session (one
:class:`~emilie_agent.agent.agent.EditingAgent`); ``make_langchain_agent(model, session_or_agent)`` builds a LangChain
agent (``langchain.agents.create_agent``) that drives them::

    tools = make_session_tools(session, masker=masker)
    graph = make_langchain_agent("openai:gpt-4o-mini", tools=tools)
    graph.invoke({"messages": [("user", "make it winter, then undo that and make the car red")]},
                 {"configurable": {"thread_id": "1"}})

Every tool returns a short text for the model. The pictures stay in the session (``agent.session``; the last
tool's reply, with mask previews, in ``agent.last_reply``). A tool never raises for a mistake the model can fix
(target not found, nothing to undo): it says what went wrong, so the model can try something else.

LangChain is optional (``pip install "emilie-agent[llm]"``) and imported only here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .agent import AgentReply, EditingAgent
from .commands import Command
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

Granularity = Literal["auto", "object", "region"]


class EditImageArgs(BaseModel):
    instruction: str = Field(
        description='One imperative edit, e.g. "make it snow", "make the car red", "put a hat on the man". '
        "One change per call."
    )
    target: str | None = Field(
        default=None,
        description='Short noun phrase naming the only thing to change, e.g. "the car". '
        "Leave it out (null) to edit the whole picture.",
    )
    invert: bool = Field(
        default=False, description="true: change everything EXCEPT the target (the target stays). Needs a target."
    )
    granularity: Granularity = Field(
        default="auto",
        description="object: only inside the target's outline (recolor it); region: the target and around it "
        "(add something on or near it); auto: chosen from the instruction.",
    )


class UndoArgs(BaseModel):
    steps: int = Field(default=1, ge=1, le=100, description="How many edits to take back (default 1).")


class RedoArgs(BaseModel):
    steps: int = Field(default=1, ge=1, le=100, description="How many undone edits to bring back (default 1).")


class NoArgs(BaseModel):
    pass


class PreviewMaskArgs(BaseModel):
    target: str = Field(description='Short noun phrase to look for, e.g. "the man".')
    invert: bool = Field(default=False, description="true: show everything except the target.")
    granularity: Granularity = Field(default="auto", description="object, region or auto, as in edit_image.")


class SaveSessionArgs(BaseModel):
    path: str = Field(description="Folder to save the session in (created if needed).")


def make_session_tools(session_or_agent: "EditSession | EditingAgent", **agent_options: Any) -> list["BaseTool"]:
    """edit_image, undo, redo, show_history, preview_mask and save_session, bound to one session.

    Pass an :class:`EditingAgent`, or an :class:`EditSession` and the agent's options (``masker=``,
    ``settings=``, ``autosave_dir=``, ``on_missing=``...). The tools share the agent's lock, so a model
    that calls several tools at once (LangChain runs them in parallel threads) edits one at a time.
    """
    try:
        from langchain_core.tools import StructuredTool
    except ImportError as err:
        raise EmilieError(INSTALL_HINT) from err

    if isinstance(session_or_agent, EditingAgent):
        if agent_options:
            raise TypeError("agent options go to EditingAgent(...), not with an agent that already exists")
        agent = session_or_agent
    else:
        agent = EditingAgent(session_or_agent, **agent_options)

    def edit_image(
        instruction: str, target: str | None = None, invert: bool = False, granularity: Granularity = "auto"
    ) -> str:
        """Edit the current picture with one instruction, on the whole picture or only on a target.

        Each call makes a new turn that later edits build on. Returns what was done: where (whole picture,
        or the target and how much of the picture its mask covers), the seed and the new turn's number;
        or why nothing was done (e.g. the target was not found).
        """
        return _answer(
            lambda: agent.edit(
                instruction, target, invert=invert, granularity=None if granularity == "auto" else granularity
            )
        )

    def undo(steps: int = 1) -> str:
        """Take back the last edit(s): the picture returns to how it was before them.

        The undone edits are kept: redo brings them back, and a new edit after an undo starts a branch.
        Returns the turn that is now current.
        """
        return _answer(lambda: agent.run_command(Command("undo", count=steps)))

    def redo(steps: int = 1) -> str:
        """Bring back edit(s) taken back by undo, in order. Returns the turn that is now current, or says that
        there is nothing to redo."""
        return _answer(lambda: agent.run_command(Command("redo", count=steps)))

    def show_history() -> str:
        """List every turn of the session as a tree: number, instruction, where it applied, seed.

        The current picture is marked with *; edits made after an undo appear as a branch.
        """
        return _answer(lambda: agent.run_command(Command("history")))

    def preview_mask(target: str, invert: bool = False, granularity: Granularity = "auto") -> str:
        """Check what the masker finds for a target on the current picture, without editing.

        Returns how much of the picture the mask covers, or that nothing was found.
        """
        return _answer(
            lambda: agent.mask_reply(target, invert=invert, granularity=None if granularity == "auto" else granularity)
        )

    def save_session(path: str) -> str:
        """Save the whole session (every turn and which one is current) to a folder, to reload or resume later.

        Returns the folder and the number of turns saved.
        """
        return _answer(lambda: agent.run_command(Command("save", path=path.strip() or None)))

    specs = [
        (edit_image, EditImageArgs),
        (undo, UndoArgs),
        (redo, RedoArgs),
        (show_history, NoArgs),
        (preview_mask, PreviewMaskArgs),
        (save_session, SaveSessionArgs),
    ]
    tools = [StructuredTool.from_function(func=f, name=f.__name__, args_schema=schema) for f, schema in specs]
    for tool in tools:
        tool.metadata = {"emilie_agent": agent}
    return tools


def make_langchain_agent(model: Any, session_or_agent: Any = None, *, tools: list | None = None, **options: Any):
    """A LangChain agent (a LangGraph graph) that edits the session with the tools above.

    ``model`` is a chat model or "provider:name". Give ``tools`` (from :func:`make_session_tools`) or a session
    / agent to make them from. ``options`` go to ``create_agent`` (default: :data:`SYSTEM_PROMPT` and an
    in-memory checkpointer, so a thread keeps its conversation).
    """
    try:
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


def _answer(run) -> str:
    """The reply's text for the model; an error the model can act on becomes text, not an exception."""
    try:
        reply: AgentReply = run()
    except EmilieError as err:
        return f"Error: {err}"
    return f"Error: {reply.text}" if reply.error is not None else reply.text
