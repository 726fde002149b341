"""One writer per session folder: the lock, in one process and across several; one editor shared by threads."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from emilie_agent.agent.agent import EditingAgent
from emilie_agent.editing.lock import LOCK_FILE, FolderLock, is_locked
from emilie_agent.editing.session import EditSession
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import SessionFileError
from tests.fakes import BoxMasker, make_picture

ROOT = Path(__file__).resolve().parents[2]
FAST = EditSettings(steps=2, seed=0, preserve="exact")


@pytest.fixture
def session(tiny_editor, picture):
    new = EditSession.start(tiny_editor, picture, model="tiny")
    yield new
    new.close()


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    env.update(extra)
    return env


def _start(code: str, *args, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        cwd=ROOT,
        env=_env(**env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _line(process: subprocess.Popen, timeout: float = 300) -> str:
    """The next line the process prints (waits at most ``timeout`` seconds)."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box:
        process.kill()
        raise AssertionError(f"no output from process {process.pid} within {timeout} s")
    return box[0].strip()


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


# ---------------------------------------------------------------------- in one process
def test_a_second_session_on_a_held_folder_is_refused_until_the_first_closes(session, tiny_editor, tmp_path):
    folder = session.save(tmp_path / "s")
    assert session.holds(folder) and "another session in this process" in is_locked(folder)
    copy = EditSession.load(folder, tiny_editor)  # reading is always allowed
    copy.edit("make it snow", settings=FAST)
    with pytest.raises(SessionFileError, match="in use by another session in this process.*close that session"):
        copy.save(folder)
    session.close()
    assert is_locked(folder) is None and not (folder / LOCK_FILE).exists()
    copy.save(folder)  # the same session (same id), nothing lost: now it may
    assert copy.holds(folder) and len(EditSession.load(folder)) == 2
    copy.close()
    session.edit("make it rain", settings=FAST)  # the first goes on, but saving would lose the copy's turn
    with pytest.raises(SessionFileError, match="does not have"):
        session.save(folder)


def test_close_and_with_give_the_folder_back_and_the_session_stays_usable(tiny_editor, picture, tmp_path):
    with EditSession.start(tiny_editor, picture) as session:
        session.save(tmp_path / "s")
        assert (tmp_path / "s" / LOCK_FILE).is_file()
    assert is_locked(tmp_path / "s") is None and not (tmp_path / "s" / LOCK_FILE).exists()
    session.edit("make it snow", settings=FAST)
    session.save(tmp_path / "s")  # takes the folder again
    assert session.holds(tmp_path / "s")
    session.close()
    session.close()  # twice is fine


def test_two_agents_with_one_autosave_folder(tiny_editor, picture, tmp_path):
    folder = tmp_path / "auto"
    folder.mkdir()
    first = EditingAgent(EditSession.start(tiny_editor, picture), masker=BoxMasker(), settings=FAST, autosave_dir=folder)
    other = EditSession.start(tiny_editor, picture)
    with pytest.raises(SessionFileError, match="in use by another session in this process"):
        EditingAgent(other, masker=BoxMasker(), settings=FAST, autosave_dir=folder)  # refused at once
    assert first.handle("make it snow").ok
    first.close()
    with pytest.raises(SessionFileError, match="holds another session"):
        EditingAgent(other, masker=BoxMasker(), settings=FAST, autosave_dir=folder)
    assert len(EditSession.load(folder)) == 2  # the first agent's work is there, whole
    # A folder that does not exist yet is made and locked by the first save; the other agent's save is refused.
    late = tmp_path / "late"
    a = EditingAgent(EditSession.start(tiny_editor, picture), masker=BoxMasker(), settings=FAST, autosave_dir=late)
    b = EditingAgent(EditSession.start(tiny_editor, picture), masker=BoxMasker(), settings=FAST, autosave_dir=late)
    assert not late.exists()  # nothing is written by making an agent
    a.save()
    reply = b.handle("make it snow")
    assert reply.error is not None and "not saved" in reply.text and "in use by another session" in reply.text
    assert len(EditSession.load(late)) == 1 and EditSession.load(late).session_id == a.session.session_id
    a.close()
    b.close()


def test_a_folder_removed_while_held_is_taken_again(session, tmp_path):
    import shutil

    folder = session.save(tmp_path / "s")
    shutil.rmtree(folder)
    session.edit("make it snow", settings=FAST)
    session.save(folder)
    assert session.holds(folder) and len(EditSession.load(folder)) == 2


def test_a_lock_file_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "victim").write_text("precious")
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / LOCK_FILE).symlink_to(tmp_path / "victim")
    with pytest.raises(SessionFileError, match="symbolic link"):
        FolderLock.acquire(folder)
    assert (tmp_path / "victim").read_text() == "precious"


# ---------------------------------------------------------------------- one editor, several threads
def test_two_sessions_share_one_editor_from_two_threads(tiny_editor):
    pictures = [make_picture(seed=1), make_picture(seed=2)]
    instructions = ["make it snow", "add a hat", "make it night"]

    def run(index, results, barrier=None):
        session = EditSession.start(tiny_editor, pictures[index])
        if barrier is not None:
            barrier.wait()
        for number, instruction in enumerate(instructions):
            session.edit(instruction, settings=EditSettings(steps=3, seed=10 * index + number, scheduler="dpm++"))
        results[index] = session.current.image_latent

    alone: dict[int, torch.Tensor] = {}
    for index in range(2):
        run(index, alone)
    together: dict[int, object] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def guarded(index):
        try:
            run(index, together, barrier)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for index in range(2):  # and sharing changes nothing: each thread gets what it would alone
        assert torch.equal(together[index], alone[index])


# ---------------------------------------------------------------------- several processes
HOLD_A_LOCK = """
    import sys, time
    from pathlib import Path
    from emilie_agent.editing.lock import FolderLock
    from emilie_agent.errors import SessionFileError
    folder, go = sys.argv[1], Path(sys.argv[2])
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    try:
        lock = FolderLock.acquire(folder)
    except SessionFileError as err:
        print("refused:", err, flush=True)
        sys.exit(3)
    print("held", flush=True)
    time.sleep(600)
"""


def test_several_processes_at_once_exactly_one_holds_the_folder(tmp_path):
    folder, go = tmp_path / "s", tmp_path / "go"
    folder.mkdir()
    workers = [_start(HOLD_A_LOCK, folder, go) for _ in range(6)]
    try:
        assert [_line(w) for w in workers] == ["ready"] * 6
        go.touch()
        said = {w.pid: _line(w) for w in workers}
        holders = [pid for pid, line in said.items() if line == "held"]
        assert len(holders) == 1, said
        winner = holders[0]
        for pid, line in said.items():
            if pid != winner:
                assert line.startswith("refused:") and f"in use by emilie-agent process {winner} on " in line
        assert f"process {winner}" in is_locked(folder)
        losers = [w for w in workers if w.pid != winner]
        assert all(w.wait(60) == 3 for w in losers)
        # The holder is killed (no clean-up at all): its lock dies with it.
        _stop(next(w for w in workers if w.pid == winner), signal.SIGKILL)
        assert (folder / LOCK_FILE).exists() and is_locked(folder) is None
        with FolderLock.acquire(folder) as lock:
            assert lock.held
    finally:
        for worker in workers:
            _stop(worker, signal.SIGKILL)


SAVE_AGAIN_AND_AGAIN = """
    import sys, time
    from pathlib import Path
    import torch
    from PIL import Image
    from emilie_agent.editing.session import EditSession, Turn
    from emilie_agent.errors import SessionFileError
    folder, go = sys.argv[1], Path(sys.argv[2])
    session = EditSession(model="worker")
    picture = Image.new("RGB", (16, 16), (10, 20, 30))
    session.turns[0] = Turn(id=0, parent=None, picture=picture, image_latent=torch.zeros(1, 4, 2, 2))
    session.head = 0
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    try:
        session.save(folder)
    except SessionFileError as err:
        print("refused:", err, flush=True)
        sys.exit(3)
    print("saved", session.session_id, flush=True)
    for i in range(1, 100000):
        turn = Turn(id=i, parent=i - 1, picture=picture, image_latent=torch.full((1, 4, 2, 2), float(i)), instruction=f"edit {i}")
        session.turns[i] = turn
        session.head = i
        session._redo_child[i - 1] = i
        session.save(folder)
        if i == 3:
            print("three", flush=True)
"""


def test_several_processes_saving_sessions_into_one_folder(tmp_path):
    folder, go = tmp_path / "s", tmp_path / "go"
    workers = [_start(SAVE_AGAIN_AND_AGAIN, folder, go) for _ in range(3)]
    try:
        assert [_line(w) for w in workers] == ["ready"] * 3
        go.touch()
        said = {w.pid: _line(w) for w in workers}
        winners = [pid for pid, line in said.items() if line.startswith("saved ")]
        assert len(winners) == 1, said
        winner = next(w for w in workers if w.pid == winners[0])
        session_id = said[winner.pid].split()[1]
        for pid, line in said.items():
            if pid != winner.pid:  # refused by the lock, or (if the winner was quicker) by the winner's manifest
                assert line.startswith("refused:") and ("in use by emilie-agent process" in line or "another session" in line)
        assert _line(winner) == "three"
        # Killed in the middle of its save loop: the folder still loads, and is the winner's.
        _stop(winner, signal.SIGKILL)
        loaded = EditSession.load(folder)
        assert loaded.session_id == session_id and len(loaded) >= 4 and loaded.model == "worker"
        assert [t.id for t in loaded.history()] == list(range(len(loaded)))
    finally:
        for worker in workers:
            _stop(worker, signal.SIGKILL)


CHAT = ["-m", "emilie_agent", "chat", "--models", "tiny", "--steps", "2", "--quiet", "--device", "cpu"]


def test_two_chat_resume_processes_on_one_folder_the_second_is_refused(tiny_editor, tiny_model_cache, tmp_path):
    folder = tmp_path / "s"
    with EditSession.start(tiny_editor, make_picture(), model="tiny") as session:
        session.edit("make it snow", settings=FAST)
        session.save(folder)
    env = _env(EMILIE_CACHE=tiny_model_cache, PYTHONUNBUFFERED="1")  # each line as it is printed
    first = subprocess.Popen(
        [sys.executable, *CHAT, "--resume", str(folder)], cwd=tmp_path, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = _line(first)
        while not line.startswith("session:"):
            line = _line(first)
        assert f"process {first.pid}" in is_locked(folder)
        from tests.editing.test_session_folders import folder_snapshot

        before = folder_snapshot(folder)
        second = subprocess.run(
            [sys.executable, *CHAT, "--resume", str(folder)], cwd=tmp_path, env=env,
            input="make it rain\n", capture_output=True, text=True, timeout=600,
        )
        assert second.returncode == 1
        error = second.stderr.strip().splitlines()
        assert len(error) == 1 and error[0].startswith("emilie-agent: error:"), second.stderr
        assert f"is in use by emilie-agent process {first.pid}" in error[0] and "Traceback" not in second.stderr
        assert folder_snapshot(folder) == before
        out, _ = first.communicate("show history\nquit\n", timeout=600)
        assert first.returncode == 0 and "'make it snow'" in out
        assert is_locked(folder) is None
    finally:
        _stop(first, signal.SIGKILL)
