"""The MCP tools in process (the SDK's client connected to the server object): what each answers, and errors.

The subprocess tests (test_mcp_server.py) drive the real transports; these check the tools' behaviour quickly,
on the tiny editor and the :class:`BoxMasker` stand-in (it finds the door, the man and the sky).
"""
from __future__ import annotations

import base64
import io

import anyio
import pytest
from PIL import Image

from mcp import Client

from emilie_agent.editing.settings import EditSettings
from emilie_agent.mcp_server.server import TOOL_NAMES, bad_arguments, make_server
from emilie_agent.service import EditingService, SessionStore
from tests.fakes import BoxMasker, make_picture

SIZE = (64, 48)


@pytest.fixture
def service(tmp_path, tiny_editor):
    service = EditingService(
        SessionStore(tmp_path / "sessions"),
        models="tiny",
        editor=tiny_editor,
        masker=BoxMasker(),
        settings=EditSettings(steps=1, preserve="exact"),
    )
    yield service
    service.close_all()


@pytest.fixture
def picture_file(tmp_path):
    path = tmp_path / "scene.png"
    make_picture(*SIZE).save(path)
    return path


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def pictures_of(result) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(b.data))) for b in result.content if b.type == "image"]


def run_with(server, calls):
    """Run ``calls(client)`` against ``server`` in process; returns what it returns."""
    out = {}

    async def main():
        with anyio.fail_after(60):
            async with Client(server) as client:
                out["value"] = await calls(client)

    anyio.run(main)
    return out["value"]


def test_the_ten_tools_have_typed_described_arguments(service):
    async def calls(client):
        return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in run_with(make_server(service), calls)}
    assert tuple(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.description and len(tool.description) > 40
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    edit = tools["edit_image"].input_schema["properties"]
    assert edit["invert"]["type"] == "boolean"
    kinds = edit["granularity"]["anyOf"]
    assert {"enum": ["auto", "object", "region", "global"], "type": "string"} in kinds
    assert {"type": "number", "minimum": 0.0, "maximum": 1.0} in kinds
    assert tools["undo"].input_schema["properties"]["steps"]["minimum"] == 1
    for name in TOOL_NAMES:
        if name not in ("open_image", "load_session", "plan_request"):
            assert "session_id" in tools[name].input_schema["properties"]
    assert "session_id" not in tools["open_image"].input_schema["properties"]


def test_a_conversation_in_tools(service, picture_file, tmp_path):
    async def calls(client):
        said = {}
        data = base64.b64encode(picture_file.read_bytes()).decode()
        said["open"] = await client.call_tool("open_image", {"image_base64": "data:image/png;base64," + data})
        said["edit"] = await client.call_tool("edit_image", {"instruction": "make it green", "target": "the door"})
        said["invert"] = await client.call_tool(
            "edit_image", {"instruction": "make it grey", "target": "man", "invert": True, "granularity": 0.2}
        )
        said["mask"] = await client.call_tool("preview_mask", {"target": "the man", "granularity": "region"})
        said["plan"] = await client.call_tool("plan_request", {"request": "make it bigger, then make it snow"})
        said["back"] = await client.call_tool("go_to_turn", {"turn_id": 0})
        said["redo"] = await client.call_tool("redo", {"steps": 2})
        said["history"] = await client.call_tool("show_history", {})
        said["where"] = await client.call_tool("save_session", {})
        said["copy"] = await client.call_tool("save_session", {"path": str(tmp_path / "copy")})
        said["load"] = await client.call_tool("load_session", {"path": str(tmp_path / "copy")})
        said["after_load"] = await client.call_tool("show_history", {})
        return said

    said = run_with(make_server(service), calls)
    for name, result in said.items():
        assert not result.is_error, f"{name}: {text_of(result)}"
    sid = text_of(said["open"]).splitlines()[0].removeprefix("session_id: ")
    assert "on 'the door'" in text_of(said["edit"]) and "-> turn #1" in text_of(said["edit"])
    assert "everything except 'man'" in text_of(said["invert"])
    assert "Mask for 'the man' (region)" in text_of(said["mask"]) and pictures_of(said["mask"])[0].size == SIZE
    assert "2 steps" in text_of(said["plan"])
    assert "original picture (#0)" in text_of(said["back"]) and "#2" in text_of(said["redo"])
    assert "* #2 'make it grey'" in text_of(said["history"])
    assert sid in text_of(said["where"]) and "saved after every change" in text_of(said["where"])
    assert "Saved a copy" in text_of(said["copy"])
    loaded = text_of(said["load"]).splitlines()[0].removeprefix("session_id: ")
    assert loaded != sid and text_of(said["after_load"]).startswith(f"session_id: {loaded}")
    assert "* #2 'make it grey'" in text_of(said["after_load"])


def test_mistakes_are_one_line_tool_errors(service, picture_file):
    async def calls(client):
        said = {}
        said["nothing_open"] = await client.call_tool("undo", {})
        said["both"] = await client.call_tool("open_image", {"path": str(picture_file), "image_base64": "AAAA"})
        said["no_file"] = await client.call_tool("open_image", {"path": str(picture_file) + ".missing"})
        said["not_base64"] = await client.call_tool("open_image", {"image_base64": "%%%"})
        said["not_a_picture"] = await client.call_tool(
            "open_image", {"image_base64": base64.b64encode(b"hello").decode()}
        )
        await client.call_tool("open_image", {"path": str(picture_file)})
        said["not_found"] = await client.call_tool("edit_image", {"instruction": "paint it", "target": "unicorn"})
        said["mask_not_found"] = await client.call_tool("preview_mask", {"target": "unicorn"})
        said["invert_alone"] = await client.call_tool("edit_image", {"instruction": "make it snow", "invert": True})
        said["undo"] = await client.call_tool("undo", {})
        said["turn"] = await client.call_tool("go_to_turn", {"turn_id": 5})
        said["negative"] = await client.call_tool("go_to_turn", {"turn_id": -1})
        said["not_an_id"] = await client.call_tool("show_history", {"session_id": "../../etc"})
        said["types"] = await client.call_tool("edit_image", {"instruction": 3, "invert": "maybe"})
        said["missing"] = await client.call_tool("edit_image", {})
        said["load_both"] = await client.call_tool("load_session", {})
        said["load_unknown"] = await client.call_tool("load_session", {"session_id": "f" * 32})
        said["alive"] = await client.call_tool("show_history", {})
        return said

    said = run_with(make_server(service), calls)
    alive = said.pop("alive")
    assert not alive.is_error and "* #0" in text_of(alive)
    for name, result in said.items():
        assert result.is_error, name
        assert len(text_of(result).splitlines()) == 1, f"{name}: {text_of(result)}"
    expected = {
        "nothing_open": "call open_image first",
        "both": "exactly one of",
        "no_file": "not found",
        "not_base64": "not valid base64",
        "not_a_picture": "not an image",
        "not_found": "found nothing matching 'unicorn'",
        "mask_not_found": "try a simpler or different phrase",
        "invert_alone": "invert needs a target",
        "undo": "nothing to undo",
        "turn": "no turn #5",
        "negative": "turn_id",
        "not_an_id": "not a session id",
        "types": "bad arguments for edit_image: instruction",
        "missing": "instruction",
        "load_both": "exactly one of",
        "load_unknown": "there is no session",
    }
    for name, words in expected.items():
        assert words in text_of(said[name]), f"{name}: {text_of(said[name])}"
    assert "invert" in text_of(said["types"])


def test_large_pictures_are_shown_smaller(service, tmp_path):
    big = tmp_path / "big.png"
    make_picture(160, 120).save(big)

    async def calls(client):
        return await client.call_tool("open_image", {"path": str(big)})

    result = run_with(make_server(service, max_image_side=80), calls)
    assert pictures_of(result)[0].size == (80, 60)
    assert "shown at 80x60; the session keeps 160x120" in text_of(result)


def test_an_unexpected_failure_is_a_tool_error_and_the_server_carries_on(service, picture_file, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk caught fire\nsecond line")

    async def calls(client):
        await client.call_tool("open_image", {"path": str(picture_file)})
        monkeypatch.setattr(service, "describe", broken)
        failed = await client.call_tool("show_history", {})
        monkeypatch.undo()
        return failed, await client.call_tool("show_history", {})

    failed, fine = run_with(make_server(service), calls)
    assert failed.is_error and len(text_of(failed).splitlines()) == 1
    assert "internal error (RuntimeError: the disk caught fire second line)" in text_of(failed)
    assert not fine.is_error


def test_bad_arguments_name_each_argument_once():
    from pydantic import BaseModel, ValidationError

    class Arguments(BaseModel):
        steps: int
        granularity: float | str

    with pytest.raises(ValidationError) as caught:
        Arguments(steps="x", granularity=[1])
    assert bad_arguments("undo", caught.value) == (
        "bad arguments for undo: steps: Input should be a valid integer, unable to parse string as an integer; "
        "granularity: must be 'auto', 'object', 'region', 'global' or a number from 0 to 1"
    )
