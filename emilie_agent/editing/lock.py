"""An exclusive advisory lock on a session folder, held for as long as a session writes there.

The lock is ``fcntl.flock`` on ``FOLDER/.emilie-session.lock``. The kernel drops it when the holding process
ends, however it ends (crash, ``kill -9``), so a lock left by a dead process never blocks anyone: the next
process simply takes it. The file holds "pid host time" of the holder, for the error message only. Two
sessions in one process conflict too (each lock is its own open file).

Releasing removes the file; a process that opened the file just before it was removed notices (the file it
locked is no longer the one at the path) and tries again, so two holders can never both win.
"""
from __future__ import annotations

import errno
import os
import socket
import stat
import time
import weakref
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: not supported (POSIX only, like the rest of the locking)
    fcntl = None  # type: ignore[assignment]

from ..errors import SessionFileError

LOCK_FILE = ".emilie-session.lock"


class FolderLock:
    """The lock on one folder; :meth:`acquire` takes it or raises :class:`SessionFileError` saying who holds it."""

    def __init__(self, folder: Path, fd: int, identity: tuple[int, int]):
        self.folder = folder
        self.path = folder / LOCK_FILE
        self._identity = identity
        self._finalizer = weakref.finalize(self, _release, fd, str(self.path), identity, os.getpid())

    @classmethod
    def acquire(cls, folder: str | os.PathLike) -> "FolderLock":
        """Lock ``folder`` (which must exist) for this process, or raise if another session holds it."""
        folder = Path(os.path.abspath(folder))  # released by path: a later chdir must not matter
        path = folder / LOCK_FILE
        for _ in range(100):  # retried only when the holder removed the file between our open and our lock
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as err:
                if err.errno == errno.ELOOP:
                    raise SessionFileError(f"{path} is a symbolic link: remove it (session folders hold no links)") from None
                raise SessionFileError(f"cannot lock the session folder {folder}: {err.strerror or err}") from None
            try:
                _flock_soon(fd)
            except OSError as err:
                holder = _read_holder(fd)
                os.close(fd)
                if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise SessionFileError(
                        f"the session folder {folder} is in use by {holder}: close that session first, "
                        "or save into another folder"
                    ) from None
                raise SessionFileError(f"cannot lock the session folder {folder}: {err.strerror or err}") from None
            opened = os.fstat(fd)
            try:
                now = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                now = None
            if now is None or (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
                os.close(fd)  # released and removed by its holder in the meantime: take the new one
                continue
            if not stat.S_ISREG(opened.st_mode):
                os.close(fd)
                raise SessionFileError(f"{path} is not a plain file: remove it")
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {socket.gethostname()} {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
            return cls(folder, fd, (opened.st_dev, opened.st_ino))
        raise SessionFileError(f"cannot lock the session folder {folder}: its lock file keeps changing")  # pragma: no cover

    @property
    def held(self) -> bool:
        return self._finalizer.alive

    def still_valid(self) -> bool:
        """Held, and the lock file at the path is still the one locked (the folder was not removed meanwhile)."""
        if not self.held:
            return False
        try:
            now = os.stat(self.path, follow_symlinks=False)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == self._identity

    def release(self) -> None:
        """Give the folder back (the lock file goes). Safe to call twice."""
        self._finalizer()

    def __enter__(self) -> "FolderLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def is_locked(folder: str | os.PathLike) -> str | None:
    """Who holds ``folder``'s lock ("process 123 on host ..."), or None when nobody does. Changes nothing."""
    path = Path(folder) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if fcntl is None:  # pragma: no cover
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _flock_soon(fd: int, tries: int = 5) -> None:
    # A few quick tries: someone checking the lock (is_locked) holds it shared for an instant.
    if fcntl is None:  # pragma: no cover
        return
    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES) or attempt == tries - 1:
                raise
            time.sleep(0.05)


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").split()
    except OSError:
        text = []
    if len(text) >= 2 and text[0].isdigit():
        pid, host = int(text[0]), text[1]
        since = f" since {' '.join(text[2:4])}" if len(text) >= 4 else ""
        if pid == os.getpid() and host == socket.gethostname():
            return f"another session in this process{since}"
        return f"emilie-agent process {pid} on {host}{since}"
    return "another emilie-agent process"


def _release(fd: int, path: str, identity: tuple[int, int], pid: int) -> None:
    # Remove the file while still holding the lock (only if it is still ours), then let go. A forked child that
    # exits must not remove the file its parent still holds.
    if os.getpid() != pid:
        return
    try:
        now = os.stat(path, follow_symlinks=False)
        if (now.st_dev, now.st_ino) == identity:
            os.unlink(path)
    except OSError:
        pass
    try:
        os.close(fd)
    except OSError:
        pass
