"""Sessions in object storage (fsspec's in-memory file system stands for S3 / GCS here): two services with
separate local working copies ("two machines") continue one session; a cut-off upload leaves a loadable
session; damaged or unsafe remote folders give one clear error."""
from __future__ import annotations

import uuid

import fsspec
import pytest

from emilie_agent.errors import SessionFileError
from emilie_agent.service import SessionStore, UnknownSessionError
from emilie_agent.service.remote import is_url
from tests.service.test_service import assert_same, snapshot


@pytest.fixture
def url():
    """A fresh bucket-like prefix in fsspec's process-wide memory file system (removed afterwards)."""
    prefix = f"memory://emilie-test-{uuid.uuid4().hex[:8]}/sessions"
    yield prefix
    fs = fsspec.filesystem("memory")
    if fs.exists(prefix.split("://", 1)[1].split("/")[0]):
        fs.rm(prefix.split("://", 1)[1].split("/")[0], recursive=True)


def remote_files(url, sid):
    fs, root = fsspec.core.url_to_fs(f"{url}/{sid}")
    return sorted(p.rsplit("/", 1)[-1] for p in fs.ls(root, detail=False))


def test_urls_and_folders_are_told_apart(tmp_path):
    assert is_url("s3://bucket/sessions") and is_url("memory://x")
    assert not is_url(str(tmp_path)) and not is_url("file:///tmp/x") and not is_url(tmp_path)
    store = SessionStore(f"file://{tmp_path}/plain")
    assert store.remote is None and store.root == (tmp_path / "plain").resolve()


def test_two_machines_continue_one_session_through_object_storage(make_service, tmp_path, url, small_picture):
    first = make_service(SessionStore(url, cache=tmp_path / "machine-a"))
    sid = first.open(small_picture)
    assert first.message(sid, "make it snow").ok
    # Everything is in object storage: the manifest and each turn's picture and latent.
    files = remote_files(url, sid)
    assert "manifest.json" in files and sum(f.endswith(".safetensors") for f in files) == 2
    before = snapshot(first, sid)
    first.close(sid)

    second = make_service(SessionStore(url, cache=tmp_path / "machine-b"))
    assert second.sessions() == [sid] and second.exists(sid)
    assert_same(snapshot(second, sid), before)  # read from the bucket into an empty working folder
    reply = second.message(sid, "make the door blue")
    assert reply.ok and reply.current.id == 2
    second.undo(sid)
    second.close(sid)

    # Back on the first machine: its stale copy is brought up to date before the session is read.
    rows = first.history(sid)
    assert [row["id"] for row in rows] == [0, 1, 2]
    assert next(row["id"] for row in rows if row["current"]) == 1
    assert sum(f.endswith(".safetensors") for f in remote_files(url, sid)) == 3

    first.close(sid)
    first.store.delete(sid)
    assert not first.store.exists(sid) and first.sessions() == []
    with pytest.raises(UnknownSessionError):
        first.store.require(sid)


def test_an_upload_cut_off_leaves_the_previous_save_loadable(make_service, tmp_path, url, small_picture, monkeypatch):
    service = make_service(SessionStore(url, cache=tmp_path / "a"))
    sid = service.open(small_picture)
    assert service.message(sid, "make it snow").ok
    saved = snapshot(service, sid)
    fs = service.store.remote.fs
    real_pipe = fs.pipe_file
    calls = []

    def failing_pipe(path, data, **kwargs):
        calls.append(path)
        if len(calls) == 2:  # the new turn's second file: the manifest was not reached
            raise OSError("connection reset")
        return real_pipe(path, data, **kwargs)

    monkeypatch.setattr(fs, "pipe_file", failing_pipe)
    reply = service.message(sid, "make it night")
    monkeypatch.undo()
    assert reply.turns and "not saved" in reply.text and "connection reset" in reply.text
    assert not any(c.endswith("manifest.json") for c in calls)
    # Another machine reads the last complete save: the turn before the cut-off, exactly.
    other = make_service(SessionStore(url, cache=tmp_path / "b"))
    assert_same(snapshot(other, sid), saved)


def test_damaged_or_unsafe_remote_sessions_give_one_clear_error(make_service, tmp_path, url, small_picture):
    service = make_service(SessionStore(url, cache=tmp_path / "a"))
    sid = service.open(small_picture)
    service.close(sid)
    fs, root = fsspec.core.url_to_fs(f"{url}/{sid}")
    picture = next(p for p in fs.ls(root, detail=False) if p.endswith(".png"))
    fs.rm_file(picture)
    fresh = SessionStore(url, cache=tmp_path / "b")
    with pytest.raises(SessionFileError, match="is missing: the session in object storage is damaged"):
        fresh.load(sid)
    fs.pipe_file(f"{root}/manifest.json", b'{"format": "something else"}')
    with pytest.raises(SessionFileError, match="not an emilie-agent session manifest"):
        SessionStore(url, cache=tmp_path / "c").load(sid)
    assert not (tmp_path / "c" / sid / "manifest.json").exists()  # nothing half-pulled is trusted


def test_a_missing_backend_is_named(tmp_path):
    try:
        import s3fs  # noqa: F401
    except ImportError:
        with pytest.raises(SessionFileError, match=r"need s3fs: pip install s3fs"):
            SessionStore("s3://bucket/sessions", cache=tmp_path)
    else:  # pragma: no cover - s3fs installed: the URL is accepted (no request is made before use)
        SessionStore("s3://bucket/sessions", cache=tmp_path)
    with pytest.raises(SessionFileError, match="not a storage URL|need"):
        SessionStore("nosuchscheme://x/y", cache=tmp_path)
