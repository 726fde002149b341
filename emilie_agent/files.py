"""Writing files so that a crash never leaves a half-written one where a complete one is expected."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable

PICTURE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}


def atomic_write(path: Path, write: Callable[[Path], object], *, sync_folder: bool = True) -> None:
    """Write through a temporary file in the same folder, flush it to disk, then rename over ``path``.

    The temporary file is ``.NAME.XXXXXXXX.tmp`` (8 hex digits). With ``sync_folder`` the folder is flushed after
    the rename too, so that the new name survives a power cut.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if sync_folder:
        fsync_folder(path.parent)


def fsync_folder(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (new names, renames) to disk; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_picture(picture, path: str | os.PathLike) -> Path:
    """Save a PIL picture atomically; the format follows the suffix (PNG when unknown)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = PICTURE_FORMATS.get(path.suffix.lower(), "PNG")
    atomic_write(path, lambda p: picture.save(p, format=fmt))
    return path
