"""Processes the tests start (servers on 127.0.0.1): a free port, waiting for one to listen, stopping by pid."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from typing import Iterator

import psutil


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(pid: int) -> None:
    """Stop one process by its pid: SIGTERM, then SIGKILL if it has not gone in 10 s."""
    try:
        process = psutil.Process(pid)
        process.terminate()
        process.wait(10)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextmanager
def stopping_children() -> Iterator[None]:
    """On leaving, stops (by pid) every process started inside the block that is still running."""
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    try:
        yield
    finally:
        for child in me.children(recursive=True):
            if child.pid not in before:
                stop(child.pid)


def wait_until_listening(process: subprocess.Popen, port: int, timeout: float = 120) -> None:
    """Until something accepts connections on 127.0.0.1:``port``; fails if ``process`` ends first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            output = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
            raise AssertionError(f"the server ended: {output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "the server did not start listening"
            time.sleep(0.2)
