"""The LangChain tools, alone and driven by a LangChain agent (a fake chat model that emits tool calls)."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, ToolMessage

from emilie_agent.agent.agent import EditingAgent
from emilie_agent.editing.settings import EditSettings
from emilie_agent.agent.langchain_tools import make_langchain_agent, make_session_tools
from emilie_agent.editing.session import EditSession
from tests.fakes import BoxMasker

FAST = EditSettings(steps=2, seed=0, preserve="exact")
TOOL_NAMES = ["edit_image", "undo", "redo", "show_history", "preview_mask", "save_session"]


class ToolCallingFakeModel(FakeMessagesListChatModel):
    """Replays the given AI messages (tool calls included). Fake models lack bind_tools; the tools are already
    in the scripted calls, so binding is a no-op."""

    def bind_tools(self, tools, **kwargs):
        return self


def call(name, call_id, **args):
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


@pytest.fixture
def session(tiny_editor, picture):
    return EditSession.start(tiny_editor, picture, model="tiny")


@pytest.fixture
def tools(session):
    return make_session_tools(session, masker=BoxMasker(), settings=FAST)


def by_name(tools):
    return {tool.name: tool for tool in tools}


def agent_of(tools):
    return tools[0].metadata["emilie_agent"]


def test_tools_have_typed_schemas_and_descriptions_for_an_llm(tools):
    assert [tool.name for tool in tools] == TOOL_NAMES
    edit = by_name(tools)["edit_image"]
    schema = edit.args_schema.model_json_schema()
    assert set(schema["properties"]) == {"instruction", "target", "invert", "granularity"}
    assert schema["required"] == ["instruction"]
    assert schema["properties"]["granularity"]["enum"] == ["auto", "object", "region"]
    for tool in tools:
        assert len(tool.description) > 40, tool.name
        for name, prop in tool.args_schema.model_json_schema().get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"


def test_tools_edit_undo_redo_and_report_in_short_text(tools, session):
    t = by_name(tools)
    text = t["edit_image"].invoke({"instruction": "make the door blue", "target": "the door"})
    assert "'the door'" in text and "turn #1" in text and "seed 1" in text
    assert session.current.context.target == "the door"
    text = t["edit_image"].invoke({"instruction": "make it black and white", "target": "man", "invert": True})
    assert "everything except 'man'" in text
    assert "Undid" in t["undo"].invoke({"steps": 2}) and session.head == 0
    assert t["undo"].invoke({}).startswith("Error: nothing to undo")
    assert "Redid" in t["redo"].invoke({}) and session.head == 1
    assert "#2 'make it black and white'" in t["show_history"].invoke({})


def test_tools_say_what_went_wrong_instead_of_raising(tools, session, tmp_path):
    t = by_name(tools)
    assert "skipped: found nothing matching 'dragon'" in t["edit_image"].invoke(
        {"instruction": "make the dragon red", "target": "dragon"}
    )
    assert t["edit_image"].invoke({"instruction": "make it red", "invert": True}).startswith("Error: invert needs")
    assert t["preview_mask"].invoke({"target": "dragon"}).startswith("Error: Nothing to show")
    assert "of the picture" in t["preview_mask"].invoke({"target": "man", "granularity": "region"})
    assert len(session) == 1  # none of that edited anything
    assert "Saved the session (1 turns)" in t["save_session"].invoke({"path": str(tmp_path / "s")})
    assert EditSession.load(tmp_path / "s").head == 0


def test_tools_bound_to_an_existing_agent_share_it(session):
    agent = EditingAgent(session, masker=BoxMasker(), settings=FAST)
    tools = make_session_tools(agent)
    assert all(tool.metadata["emilie_agent"] is agent for tool in tools)
    by_name(tools)["edit_image"].invoke({"instruction": "make it snow"})
    assert agent.last_reply.turns == [session.current]


def test_a_langchain_agent_drives_the_tools_with_an_undo_in_the_middle(tools, session, tmp_path):
    model = ToolCallingFakeModel(
        responses=[
            AIMessage(content="", tool_calls=[call("edit_image", "c1", instruction="make it look like winter")]),
            AIMessage(
                content="",
                tool_calls=[call("edit_image", "c2", instruction="put a red scarf on the man", target="man")],
            ),
            AIMessage(content="", tool_calls=[call("undo", "c3")]),
            # Two calls in one reply: LangChain runs them in parallel threads, the agent's lock orders them.
            AIMessage(
                content="",
                tool_calls=[
                    call("edit_image", "c4", instruction="make the door blue", target="door", granularity="object"),
                    call("preview_mask", "c5", target="man"),
                ],
            ),
            AIMessage(content="", tool_calls=[call("show_history", "c6"), call("save_session", "c7", path=str(tmp_path / "s"))]),
            AIMessage(content="Done: winter, then a blue door; the scarf was undone."),
        ]
    )
    graph = make_langchain_agent(model, tools=tools)
    result = graph.invoke(
        {"messages": [("user", "Make it winter, put a scarf on the man, actually undo that, and make the door blue")]},
        {"configurable": {"thread_id": "t1"}},
    )
    replies = {m.tool_call_id: m.content for m in result["messages"] if isinstance(m, ToolMessage)}
    assert set(replies) == {"c1", "c2", "c3", "c4", "c5", "c6", "c7"}
    assert "turn #1" in replies["c1"] and "turn #2" in replies["c2"] and "Undid" in replies["c3"]
    assert "'door'" in replies["c4"] and "turn #3" in replies["c4"]
    assert result["messages"][-1].content.startswith("Done")
    # The tree: the scarf (#2) is kept as a branch; the door (#3) follows the winter (#1).
    assert session.turns[2].parent == 1 and session.turns[3].parent == 1
    assert [t.id for t in session.history()] == [0, 1, 3]
    assert "#2 'put a red scarf on the man'" in replies["c6"] and "* " in replies["c6"]
    assert [t.id for t in EditSession.load(tmp_path / "s").history()] == [0, 1, 3]


def test_mask_previews_come_back_as_artifacts_the_model_does_not_see(tools, session, picture):
    t = by_name(tools)
    message = t["edit_image"].invoke(call("edit_image", "e1", instruction="make the door blue", target="door"))
    assert isinstance(message, ToolMessage) and "turn #1" in message.content
    [block] = message.artifact
    assert (block["type"], block["mime_type"], block["extras"]) == ("image", "image/png", {"label": "turn #1 mask"})
    preview = Image.open(io.BytesIO(base64.b64decode(block["base64"])))
    assert np.array_equal(np.asarray(preview), np.asarray(agent_of(tools).last_reply.mask_previews[0][1]))
    assert preview.size == picture.size
    message = t["preview_mask"].invoke(call("preview_mask", "p1", target="man"))
    assert "of the picture" in message.content
    assert [b["extras"]["label"] for b in message.artifact] == ["mask for man"]
    # Tools without pictures answer with text only; a global edit has no mask to show.
    assert t["undo"].invoke(call("undo", "u1")).artifact is None
    assert t["edit_image"].invoke(call("edit_image", "e2", instruction="make it snow")).artifact == []


@pytest.mark.parametrize(
    "name, args, problem",
    [
        ("undo", {"steps": 0}, "steps: Input should be greater than or equal to 1"),
        ("redo", {"steps": "many"}, "steps: Input should be a valid integer"),
        ("edit_image", {"target": "door"}, "instruction: Field required"),
        ("preview_mask", {"target": "man", "granularity": "everywhere"}, "granularity: Input should be 'auto'"),
    ],
)
def test_bad_arguments_are_an_error_text_not_an_exception(tools, session, name, args, problem):
    message = by_name(tools)[name].invoke(call(name, "bad", **args))
    assert message.status == "error"
    assert message.content.startswith("Error: bad arguments: ") and problem in message.content
    assert len(session) == 1 and session.head == 0


@pytest.mark.parametrize(
    "name, args",
    [("undo", {"steps": 10**30}), ("edit_image", {"instruction": None}), ("edit_image", {"instruction": 5}),
     ("save_session", {}), ("edit_image", {"instruction": "x", "invert": "maybe"}), ("preview_mask", {"target": ""}),
     ("undo", {"steps": [1]})],
)
def test_bad_arguments_as_a_plain_dict_are_error_text_too(tools, session, name, args):
    # Called without a tool call (tool.invoke(args)), as some frameworks do: still text, never an exception.
    answer = by_name(tools)[name].invoke(args)
    assert isinstance(answer, str) and answer.startswith("Error: ")
    assert len(session) == 1 and session.head == 0
