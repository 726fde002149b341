"""``emilie-agent serve --models tiny`` as a real uvicorn server on a free port of 127.0.0.1, stopped by its pid."""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.fakes import make_picture
from tests.processes import free_port, stop, wait_until_listening
from tests.server.conftest import SIZE, png

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def test_serve_answers_over_http_and_two_sessions_run_at_once(tmp_path, tiny_model_cache, tiny_editor, tiny_masker):
    port = free_port()
    env = {
        **os.environ,
        "EMILIE_CACHE": tiny_model_cache,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-m", "emilie_agent", "serve", "--models", "tiny", "--steps", "1", "--device", "cpu",
        "--box-threshold", "0", "--text-threshold", "0", "--sessions", str(tmp_path / "sessions"),
        "--port", str(port),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_until_listening(process, port, TIMEOUT)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as client:
            assert client.get("/healthz").json()["status"] == "ok"

            def one_session(seed: int) -> tuple[str, dict]:
                data = png(make_picture(*SIZE, seed=seed))
                sid = client.post("/sessions", files={"picture": ("p.png", data, "image/png")}).json()["session_id"]
                reply = client.post(f"/sessions/{sid}/messages", json={"text": "make it snow, then make it sunny"})
                assert reply.status_code == 200, reply.text
                return sid, reply.json()

            with ThreadPoolExecutor(2) as pool:
                (a, reply_a), (b, reply_b) = pool.map(one_session, (1, 2))
            assert a != b and reply_a["turns"] == reply_b["turns"] == [1, 2]
            for sid in (a, b):
                history = client.get(f"/sessions/{sid}/history").json()
                assert [row["instruction"] for row in history["turns"]] == [None, "make it snow", "make it sunny"]
                picture = client.get(f"/sessions/{sid}/picture")
                assert picture.headers["content-type"] == "image/png" and picture.content.startswith(b"\x89PNG")
            bad = client.post(f"/sessions/{a}/messages", json={"text": ""})
            assert bad.status_code == 400 and list(bad.json()) == ["error"]
            assert client.post(f"/sessions/{'f' * 32}/undo").status_code == 404
    finally:
        stop(process.pid)
        process.stderr.close()
    assert process.poll() is not None
    assert sorted(p.name for p in (tmp_path / "sessions").iterdir() if not p.name.startswith(".")) == sorted([a, b])


def test_serve_refuses_bad_options_in_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "emilie_agent", "serve", "--port", "0", "--models", "tiny"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["emilie-agent: error: --port must be from 1 to 65535, not 0"]
