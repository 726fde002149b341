"""The session store: one folder per session under a root folder, named by the session's id.

A session id is 32 lowercase hex digits (a uuid4's ``hex``), never a path: :func:`check_id` refuses anything
else, so an id that comes from a browser or an MCP client can never name a folder outside the root. Sessions
are written with :meth:`EditSession.save <emilie_agent.editing.session.EditSession.save>` (crash-safe: the
manifest is replaced last) and read back with :meth:`EditSession.load`.

:meth:`SessionStore.export` zips a saved session folder; :meth:`SessionStore.import_` takes such a zip (or a
saved session folder anywhere), checks that it loads, and saves it under a new id.

The store can also be in object storage (an fsspec URL): see :class:`SessionStore`.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..editing.storage import MANIFEST, read_manifest
from ..errors import EmilieError, InvalidRequestError, SessionFileError
from .remote import RemoteFolders, is_url

if TYPE_CHECKING:  # pragma: no cover
    from ..editing.session import EditSession

SESSION_ID = re.compile(r"[0-9a-f]{32}")
# A zip to import may not unpack to more than this (a session of a few hundred large turns fits).
MAX_IMPORT_BYTES = 4 * 1024**3
_STAGING_PREFIX = ".import-"


class UnknownSessionError(EmilieError):
    """A session id that is well formed but names no saved session."""


def default_root() -> Path:
    """Where sessions are kept when no folder is given: ``EMILIE_SESSIONS``, else the user's data folder
    (``$XDG_DATA_HOME/emilie-agent/sessions``, by default ``~/.local/share/emilie-agent/sessions``)."""
    env = os.environ.get("EMILIE_SESSIONS")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "emilie-agent" / "sessions"


def new_id() -> str:
    """A fresh session id (32 hex digits)."""
    return uuid.uuid4().hex


def check_id(session_id: object) -> str:
    """``session_id`` if it is a session id (32 lowercase hex digits), else an InvalidRequestError."""
    if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id.strip().lower()):
        shown = repr(session_id)[:60]
        raise InvalidRequestError(
            f"{shown} is not a session id: a session id is 32 hex digits, as returned when the picture was opened"
        )
    return session_id.strip().lower()


def default_cache(url: str) -> Path:
    """The local working folder for sessions kept at ``url``: ``EMILIE_SESSION_CACHE``, else
    ``$XDG_CACHE_HOME/emilie-agent/session-cache/<hash of the URL>`` (``~/.cache/...`` by default)."""
    env = os.environ.get("EMILIE_SESSION_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "emilie-agent" / "session-cache" / hashlib.sha256(url.encode()).hexdigest()[:16]


class SessionStore:
    """Saved sessions, a folder each, under ``root`` (created if needed).

    ``root`` may also be an fsspec URL (``s3://bucket/sessions``, ``gs://...``, ``memory://...``): the sessions
    then live in object storage and are edited in local working copies under ``cache`` (default
    :func:`default_cache`), pulled when a session is read and pushed after every save
    (:mod:`emilie_agent.service.remote`). ``storage_options`` go to fsspec (credentials, endpoint ...).
    """

    def __init__(self, root: str | os.PathLike, *, cache: str | os.PathLike | None = None,
                 storage_options: dict | None = None):
        self.url = str(root).rstrip("/") if is_url(root) else None
        self.remote = RemoteFolders(self.url, storage_options) if self.url else None
        if self.url and cache is None:
            cache = default_cache(self.url)
        elif isinstance(root, str) and root.startswith("file://"):
            root = root[len("file://"):]
        self.root = Path(cache if self.url else root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"SessionStore({self.location!r})"

    @property
    def location(self) -> str:
        """Where the sessions are kept: the URL, or the local folder."""
        return self.url or str(self.root)

    # ------------------------------------------------------------------ ids and folders
    def folder(self, session_id: str) -> Path:
        """The folder of session ``session_id`` (which need not exist yet)."""
        return self.root / check_id(session_id)

    def exists(self, session_id: str) -> bool:
        """Whether a saved session has this id."""
        if self.remote is not None:
            return self.remote.has_session(check_id(session_id))
        return (self.folder(session_id) / MANIFEST).is_file()

    def ids(self) -> list[str]:
        """The ids of every saved session, most recently saved first."""
        if self.remote is not None:
            found = [(when, name) for when, name in self.remote.names() if SESSION_ID.fullmatch(name)]
        else:
            found = []
            for path in self.root.iterdir():
                manifest = path / MANIFEST
                if SESSION_ID.fullmatch(path.name) and manifest.is_file():
                    found.append((manifest.stat().st_mtime, path.name))
        return [name for _, name in sorted(found, reverse=True)]

    def require(self, session_id: str) -> Path:
        """The (local) folder of a saved session; UnknownSessionError when there is none with that id.

        With object storage this is the local working copy, pulled if there is none yet (a session in use in
        this process is pushed after every save, so its copy here is the newest).
        """
        folder = self.folder(session_id)
        if self.remote is not None and not (folder / MANIFEST).is_file():
            self.pull(session_id)
        if not (folder / MANIFEST).is_file():
            raise UnknownSessionError(
                f"there is no session {check_id(session_id)}: open a picture to start one, or give the id that "
                "opening it returned"
            )
        return folder

    # ------------------------------------------------------------------ saving and loading
    def save(self, session_id: str, session: "EditSession") -> Path:
        """Write ``session`` into its folder (crash-safe). The session holds the folder's lock from then on,
        until ``session.close()``."""
        if session.session_id != check_id(session_id):
            raise SessionFileError(f"session {session.session_id} cannot be saved as session {session_id}")
        folder = session.save(self.folder(session_id))
        self.push(session_id)
        return folder

    def push(self, session_id: str) -> None:
        """With object storage: upload the session's local copy (new files, then the manifest). Else nothing."""
        if self.remote is not None:
            self.remote.push(check_id(session_id), self.folder(session_id))

    def pull(self, session_id: str) -> bool:
        """With object storage: bring the local copy up to date (nobody may hold it meanwhile); whether the
        session exists there. Else: whether it is saved here."""
        if self.remote is None:
            return self.exists(session_id)
        return self.remote.pull(check_id(session_id), self.folder(session_id))

    def load(self, session_id: str, editor=None, *, lock: bool = True) -> "EditSession":
        """Read session ``session_id`` back (edited with ``editor``).

        With ``lock`` the session takes its folder's lock now (released by ``session.close()``): while one
        process holds a session, another cannot write it (it gets a one-line "in use by process ..." error).
        """
        from ..editing.session import EditSession  # lazy: sessions hold torch tensors; ids and zips need none

        if self.remote is not None:
            self.pull(session_id)  # another replica may have changed it since this copy was made
        folder = self.require(session_id)
        session = EditSession.load(folder, editor)
        if read_manifest(folder).session_id is None:
            session.session_id = session_id  # saved before sessions had ids: the folder names it
        elif session.session_id != session_id:
            raise SessionFileError(f"{folder} holds session {session.session_id}, not session {session_id}")
        if lock:
            session.claim(folder)
        return session

    def delete(self, session_id: str) -> None:
        """Remove a saved session's folder (nothing happens when there is none)."""
        if self.remote is not None:
            self.remote.delete(check_id(session_id))
        shutil.rmtree(self.folder(session_id), ignore_errors=True)

    # ------------------------------------------------------------------ zips
    def export(self, session_id: str) -> bytes:
        """The saved session as the bytes of a zip: the session folder's files at the zip's top level."""
        folder = self.require(session_id)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                # Temporary files of a save in progress start with a dot; the session's own files do not.
                if path.is_file() and not path.name.startswith("."):
                    archive.write(path, arcname=path.name)
        return buffer.getvalue()

    def import_(self, source: bytes | str | os.PathLike, editor=None) -> str:
        """A saved session (the bytes of a zip, a .zip file or a session folder) saved here under a new id.

        The session must load (every file is checked) before anything is written into the store.
        """
        from ..editing.session import EditSession  # lazy, as in load()

        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.root))
        try:
            if isinstance(source, (bytes, bytearray, memoryview)):
                folder = _unzip(io.BytesIO(bytes(source)), staging, "the uploaded zip")
            else:
                path = Path(source).expanduser()
                if path.is_file() and zipfile.is_zipfile(path):
                    with open(path, "rb") as handle:
                        folder = _unzip(handle, staging, str(path))
                elif path.is_dir():
                    folder = path
                elif not path.exists():
                    raise SessionFileError(f"there is no file or folder {path}")
                else:
                    raise SessionFileError(f"{path} is neither a saved session folder nor a zip of one")
            session = EditSession.load(folder, editor)
            session.session_id = new_id()  # a copy: a session of its own, in a folder of its own
            try:
                self.save(session.session_id, session)
            finally:
                session.close()
            return session.session_id
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _unzip(stream, staging: Path, what: str) -> Path:
    """Unpack a zip of a session into ``staging``; the folder that holds its manifest."""
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise SessionFileError(f"{what} is not a zip file") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_IMPORT_BYTES:
            raise SessionFileError(f"{what} unpacks to more than {MAX_IMPORT_BYTES // 1024**3} GiB")
        for member in members:
            parts = Path(member.filename).parts
            if member.filename.startswith(("/", "\\")) or ".." in parts or len(parts) > 2 or ":" in member.filename:
                raise SessionFileError(f"{what} holds an unexpected path {member.filename!r}: zip the session folder")
            target = staging.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (zipfile.BadZipFile, OSError, EOFError) as err:
                raise SessionFileError(f"{what} is damaged: {err}") from None
    if (staging / MANIFEST).is_file():
        return staging
    inner = [p for p in staging.iterdir() if (p / MANIFEST).is_file()]
    if len(inner) == 1:
        return inner[0]
    raise SessionFileError(f"{what} holds no saved session ({MANIFEST} not found)")
