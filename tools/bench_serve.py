#!/usr/bin/env python3
"""Start-up time and requests per minute of ``emilie-agent serve``: one process, or Ray Serve with N editing
replicas, on the tiny (or toy) models.

Starts the server as a subprocess on a free port of 127.0.0.1, times until ``GET /healthz`` answers, then runs
``--clients`` clients for ``--seconds``, each on its own session, each sending one-step requests ("make it red")
one after another, and counts the answers. The server is stopped with SIGINT (Ray shuts its cluster down), then
anything it left is stopped by pid.

Usage: python tools/bench_serve.py [--ray --replicas 2] [--models tiny] [--steps 4] [--clients 4] [--seconds 60]
"""
from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def picture_png(seed: int, size=(64, 48)) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ray", action="store_true")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--models", default="tiny")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sessions", default=None, help="the store (default: a new temporary folder)")
    args = parser.parse_args()

    import tempfile

    sessions = args.sessions or tempfile.mkdtemp(prefix="bench-serve-")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "emilie_agent", "serve", "--models", args.models, "--steps", str(args.steps),
        "--device", "cpu", "--sessions", sessions, "--port", str(port), "--box-threshold", "0", "--text-threshold", "0",
    ]
    if args.ray:
        command += ["--ray", "--replicas", str(args.replicas)]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1"}
    started = time.monotonic()
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if server.poll() is not None:
                print(server.stderr.read().decode(errors="replace")[-3000:], file=sys.stderr)
                return 1
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        ready = time.monotonic() - started
        done, failed, lock = [0], [0], threading.Lock()
        with httpx.Client(base_url=url, timeout=600) as client:
            sids = [client.post("/sessions", files={"picture": ("p.png", picture_png(i))}).json()["session_id"]
                    for i in range(args.clients)]
            # One request each first: the models' first call (and Ray's first routing) is not counted.
            for sid in sids:
                client.post(f"/sessions/{sid}/messages", json={"text": "make it blue"})
            stop_at = time.monotonic() + args.seconds

            def talk(sid: str) -> None:
                while time.monotonic() < stop_at:
                    response = client.post(f"/sessions/{sid}/messages", json={"text": "make it red"})
                    with lock:
                        (done if response.status_code == 200 else failed)[0] += 1

            threads = [threading.Thread(target=talk, args=(sid,)) for sid in sids]
            begun = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - begun
        mode = f"ray, {args.replicas} editing replica(s)" if args.ray else "one process"
        print(
            f"{mode}; models {args.models}, {args.steps} steps, 64x48 px, {args.clients} clients: "
            f"ready in {ready:.1f} s; {done[0]} requests in {elapsed:.0f} s = {60 * done[0] / elapsed:.0f} requests/min"
            f" ({failed[0]} failed)"
        )
        return 0
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    try:
        tree = [server.pid] + [child.pid for child in psutil.Process(server.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = [server.pid]
    if server.poll() is None:
        server.send_signal(signal.SIGINT)  # Ctrl-C: `serve --ray` shuts Serve and its Ray cluster down
        try:
            server.wait(120)
        except subprocess.TimeoutExpired:
            pass
    for pid in tree:  # whatever it left behind, by pid
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
    server.stderr.close()


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # `timeout` sends SIGTERM: stop the server (finally) before going


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupted)
    sys.exit(main())
