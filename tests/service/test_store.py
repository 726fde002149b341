"""The session store: strict ids, folders under the root, zips in and out."""
from __future__ import annotations

import io
import zipfile

import pytest

from emilie_agent.errors import InvalidRequestError, SessionFileError
from emilie_agent.service.store import SessionStore, UnknownSessionError, check_id, new_id


def test_ids_are_32_hex_digits_and_never_paths(tmp_path):
    store = SessionStore(tmp_path)
    sid = new_id()
    assert check_id(sid) == sid and check_id(sid.upper()) == sid
    assert store.folder(sid) == tmp_path.resolve() / sid
    for bad in ("..", "../" + sid, sid + "/x", "/" + sid[1:], sid[:-1], "g" * 32, 32, None):
        with pytest.raises(InvalidRequestError, match="not a session id"):
            store.folder(bad)
    with pytest.raises(UnknownSessionError):
        store.require(sid)
    assert store.ids() == [] and not store.exists(sid)


def test_import_refuses_what_is_not_a_saved_session(tmp_path):
    store = SessionStore(tmp_path / "store")
    with pytest.raises(SessionFileError, match="not a zip"):
        store.import_(b"nope")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.txt", "x")
    with pytest.raises(SessionFileError, match="unexpected path"):
        store.import_(buffer.getvalue())
    assert not (tmp_path / "escape.txt").exists()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "x")
    with pytest.raises(SessionFileError, match="holds no saved session"):
        store.import_(buffer.getvalue())
    with pytest.raises(SessionFileError, match="no file or folder"):
        store.import_(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SessionFileError, match="not a saved session"):
        store.import_(tmp_path / "empty")
    # Nothing half-imported is left behind.
    assert store.ids() == [] and list((tmp_path / "store").iterdir()) == []


def test_a_zip_with_the_session_in_a_folder_imports(tmp_path, tiny_editor):
    from emilie_agent.editing.session import EditSession
    from tests.fakes import make_picture

    session = EditSession.start(tiny_editor, make_picture(40, 30), model="tiny")
    session.save(tmp_path / "saved")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (tmp_path / "saved").iterdir():
            archive.write(path, arcname=f"my-session/{path.name}")
    store = SessionStore(tmp_path / "store")
    sid = store.import_(buffer.getvalue())
    assert store.ids() == [sid] and len(store.load(sid)) == 1
    with zipfile.ZipFile(io.BytesIO(store.export(sid))) as archive:
        assert "manifest.json" in archive.namelist()
