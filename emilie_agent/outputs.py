"""Where results go: checked before any work, and written all together or not at all.

A command runs for seconds to minutes before it writes; an output path that cannot be written (a read-only
folder, a file where a folder should be, ``/proc``, an empty name) must fail *before* that work, with one clear
error, and leave nothing behind. :func:`check_output_file` and :func:`check_output_dir` check a path by what
the write will do: every existing part of it is a folder, and the deepest existing folder accepts a new file
(tried with a temporary file of the same name length, removed at once). Folders that do not exist yet are not
created by the check.

:func:`write_pictures` writes several pictures as one: each goes to a temporary file beside its place first, and
only when all of them are written are they renamed into place; if one fails, none appears.
"""
from __future__ import annotations

import errno
import os
import stat
import uuid
from pathlib import Path
from typing import Iterable

from .errors import InvalidRequestError
from .files import PICTURE_FORMATS, fsync_folder

# The temporary names files.atomic_write uses: ".NAME.XXXXXXXX.tmp" (14 characters more than NAME).
_TMP_EXTRA = len("..12345678.tmp")


def _as_path(path: str | os.PathLike, what: str) -> Path:
    try:
        raw = os.fspath(path)
    except TypeError:
        raise InvalidRequestError(f"the {what} must be a path, not {type(path).__name__}") from None
    if isinstance(raw, bytes):
        raw = os.fsdecode(raw)
    if not raw.strip():
        raise InvalidRequestError(f"the {what} path is empty: give a file name such as out.png")
    if "\x00" in raw:
        raise InvalidRequestError(f"the {what} path {raw!r} contains a NUL character")
    try:
        return Path(raw).expanduser()
    except RuntimeError as err:  # "~" with no home folder
        raise InvalidRequestError(f"the {what} path {raw!r} cannot be used: {err}") from None


def _kind(path: Path, what: str, target: Path) -> str | None:
    """What is at ``path``: "dir", "file", "other", or None (nothing); an unusable path is an error."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            raise InvalidRequestError(f"the {what} {_brief(target)} cannot be written: its name is too long") from None
        if err.errno == errno.ELOOP:
            raise InvalidRequestError(f"the {what} {_brief(target)} cannot be written: a link loop") from None
        raise InvalidRequestError(f"the {what} {_brief(target)} cannot be written: {err.strerror or err}") from None
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"


def _brief(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:77] + "..."


def _deepest_existing(path: Path, what: str) -> Path:
    """The deepest existing ancestor of ``path``, which must be a folder (a file there is an error)."""
    current = path.parent if str(path.parent) else Path(".")
    while True:
        kind = _kind(current, what, path)
        if kind is not None:
            break
        if current.is_symlink():  # a dangling link: writing through it would land elsewhere, or fail
            raise InvalidRequestError(f"the {what} {_brief(path)} cannot be written: {current} is a broken link")
        if current.parent == current:
            break
        current = current.parent
    if kind != "dir":
        raise InvalidRequestError(
            f"the {what} {_brief(path)} cannot be written: {_brief(current)} is a file, not a folder"
        )
    return current


def _probe(folder: Path, name_length: int, what: str, target: Path) -> None:
    """Create and remove a file in ``folder`` with a name as long as the write's: what that write will meet."""
    stem = ".emilie-probe-" + uuid.uuid4().hex[:8]
    probe = folder / (stem + "x" * max(0, name_length - len(stem)))
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            raise InvalidRequestError(f"the {what} {_brief(target)} cannot be written: its name is too long") from None
        reason = err.strerror or type(err).__name__
        raise InvalidRequestError(
            f"the {what} {_brief(target)} cannot be written: {reason} in {_brief(folder)}; nothing was done"
        ) from None
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:
        pass


def check_output_file(path: str | os.PathLike, what: str = "output") -> Path:
    """``path`` as a file that the command will be able to write (replacing one that is there)."""
    target = _as_path(path, what)
    kind = _kind(target, what, target)
    if target.name in ("", ".", "..") or kind == "dir":
        raise InvalidRequestError(f"the {what} {_brief(target)} is a folder: give a file name such as out.png")
    if kind == "other":
        raise InvalidRequestError(f"the {what} {_brief(target)} exists and is not a regular file (a device, a FIFO...)")
    folder = _deepest_existing(target, what)
    length = len(os.fsencode(target.name)) + _TMP_EXTRA
    # A folder that does not exist yet is made by the write: the probe checks its deepest existing parent.
    _probe(folder, length if folder == target.parent else 40, what, target)
    return target


def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """``path`` as a folder the command will be able to create (if missing) and write files in."""
    folder = _as_path(path, what)
    kind = _kind(folder, what, folder)
    if kind not in (None, "dir"):
        raise InvalidRequestError(f"the {what} {_brief(folder)} is a file: give a folder")
    existing = folder if kind == "dir" else _deepest_existing(folder, what)
    _probe(existing, 40, what, folder)
    return folder


def check_distinct(paths: Iterable[tuple[str, str | os.PathLike | None]]) -> None:
    """Refuse two outputs of one command that name the same file (one would overwrite the other)."""
    seen: dict[str, str] = {}
    for option, path in paths:
        if not path:
            continue
        key = os.path.realpath(os.path.expanduser(os.fspath(path)))
        if key in seen:
            raise InvalidRequestError(f"{seen[key]} and {option} name the same file {path}: give two different files")
        seen[key] = option


def write_pictures(items: Iterable[tuple[object, str | os.PathLike]]) -> list[Path]:
    """Write every ``(picture, path)`` or none: all to temporary files first, then each renamed into place."""
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []  # folders this call created, removed again if it fails
    done = False
    try:
        for picture, path in items:
            target = Path(path)
            made += _make_folders(target.parent)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
            staged.append((tmp, target))
            picture.save(tmp, format=PICTURE_FORMATS.get(target.suffix.lower(), "PNG"))
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        for tmp, target in staged:
            os.replace(tmp, target)
        done = True
    finally:
        for tmp, _ in staged:
            try:
                tmp.unlink()
            except OSError:  # renamed into place already, or never made
                pass
        if not done:
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass
    for folder in {target.parent for _, target in staged}:
        fsync_folder(folder)
    return [target for _, target in staged]


def _make_folders(folder: Path) -> list[Path]:
    """``mkdir -p folder``; returns the folders it created, outermost first."""
    missing = []
    current = folder
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))
