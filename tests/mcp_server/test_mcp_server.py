"""The MCP server the real way: ``emilie-agent mcp --models tiny`` as a subprocess, driven by the SDK's own client
over stdio and over streamable HTTP on 127.0.0.1.

Every process a test starts is stopped by that test, by pid, also when the test fails.
"""
from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from PIL import Image

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from emilie_agent.mcp_server.server import TOOL_NAMES
from tests.fakes import make_picture
from tests.processes import free_port, stop, stopping_children, wait_until_listening

ROOT = Path(__file__).resolve().parents[2]
SIZE = (64, 48)  # not square: the tiny random detector needs that
TIMEOUT = 120


@pytest.fixture
def server_args(tmp_path, tiny_editor, tiny_masker):
    """The server's command line (the tiny models are built before it starts: the fixtures build them)."""
    return [
        "-m", "emilie_agent", "mcp", "--models", "tiny", "--steps", "1", "--device", "cpu",
        "--box-threshold", "0", "--text-threshold", "0", "--sessions", str(tmp_path / "sessions"),
    ]


@pytest.fixture
def server_env(tiny_model_cache):
    env = {
        "EMILIE_CACHE": tiny_model_cache,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": str(ROOT),
    }
    return env


@pytest.fixture
def picture_file(tmp_path):
    path = tmp_path / "scene.png"
    make_picture(*SIZE).save(path)
    return path


@pytest.fixture
def reaper():
    """Stops (by pid) every process started under this test that is still running at its end."""
    with stopping_children():
        yield


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def picture_of(result) -> Image.Image:
    (image,) = [block for block in result.content if block.type == "image"]
    assert image.mime_type == "image/png"
    return Image.open(io.BytesIO(base64.b64decode(image.data)))


async def the_main_calls(session: ClientSession, picture_file: Path) -> str:
    """What every transport must do: list, open, edit, undo, history, and refuse a bad argument."""
    tools = await session.list_tools()
    names = {tool.name for tool in tools.tools}
    assert names == set(TOOL_NAMES)
    schema = {tool.name: tool.input_schema for tool in tools.tools}
    assert schema["edit_image"]["required"] == ["instruction"]
    assert all(prop.get("description") for prop in schema["edit_image"]["properties"].values())

    opened = await session.call_tool("open_image", {"path": str(picture_file)})
    assert not opened.is_error, text_of(opened)
    first_line = text_of(opened).splitlines()[0]
    assert first_line.startswith("session_id: ")
    sid = first_line.removeprefix("session_id: ").strip()
    assert picture_of(opened).size == SIZE

    edited = await session.call_tool("edit_image", {"instruction": "make it snow, then make the door blue"})
    assert not edited.is_error, text_of(edited)
    assert "turn #1" in text_of(edited) and "turn #2" in text_of(edited)
    assert picture_of(edited).size == SIZE

    undone = await session.call_tool("undo", {"session_id": sid})
    assert not undone.is_error and "now at #1" in text_of(undone)

    history = await session.call_tool("show_history", {})
    assert not history.is_error
    assert "* #1 'make it snow'" in text_of(history) and "#2 'make the door blue'" in text_of(history)

    bad = await session.call_tool("edit_image", {"instruction": "make it red", "granularity": "huge"})
    assert bad.is_error and len(text_of(bad).splitlines()) == 1 and "granularity" in text_of(bad)
    bad = await session.call_tool("undo", {"steps": 0})
    assert bad.is_error and "steps" in text_of(bad)
    unknown = await session.call_tool("go_to_turn", {"turn_id": 1, "session_id": "0" * 32})
    assert unknown.is_error and "there is no session" in text_of(unknown)
    missing = await session.call_tool("go_to_turn", {"turn_id": 9})
    assert missing.is_error and "no turn #9" in text_of(missing)
    # The server is still there after all that.
    assert not (await session.call_tool("redo", {})).is_error
    return sid


def test_over_stdio(server_args, server_env, picture_file, reaper):
    params = StdioServerParameters(command=sys.executable, args=server_args, env=server_env, cwd=str(ROOT))

    async def main():
        with anyio.fail_after(TIMEOUT):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                await the_main_calls(session, picture_file)
                # A picture given as base64 (the rest of the tools: test_tools.py, in process).
                data = base64.b64encode(picture_file.read_bytes()).decode()
                opened = await session.call_tool("open_image", {"image_base64": data})
                assert not opened.is_error and picture_of(opened).size == SIZE

    anyio.run(main)


@contextmanager
def http_server(server_args, server_env):
    port = free_port()
    env = {**os.environ, **server_env}
    process = subprocess.Popen(
        [sys.executable, *server_args, "--http", "--port", str(port)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_until_listening(process, port, TIMEOUT)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(process.pid)
        process.stderr.close()


def test_over_streamable_http(server_args, server_env, picture_file, reaper):
    with http_server(server_args, server_env) as url:

        async def main():
            with anyio.fail_after(TIMEOUT):
                async with streamable_http_client(url) as (read, write), ClientSession(read, write) as first:
                    await first.initialize()
                    sid = await the_main_calls(first, picture_file)
                    # A second client gets its own default session.
                    async with streamable_http_client(url) as (read2, write2), ClientSession(read2, write2) as second:
                        await second.initialize()
                        none_yet = await second.call_tool("show_history", {})
                        assert none_yet.is_error and "open_image first" in text_of(none_yet)
                        opened = await second.call_tool("open_image", {"path": str(picture_file)})
                        other = text_of(opened).splitlines()[0].removeprefix("session_id: ")
                        assert other != sid
                        assert text_of(await second.call_tool("show_history", {})).startswith(f"session_id: {other}")
                    assert text_of(await first.call_tool("show_history", {})).startswith(f"session_id: {sid}")

        anyio.run(main)
