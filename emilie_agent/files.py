"""Writing files so that a crash never leaves a half-written one where a complete one is expected."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable

PICTURE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, flush it to disk, then rename over ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_picture(picture, path: str | os.PathLike) -> Path:
    """Save a PIL picture atomically; the format follows the suffix (PNG when unknown)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = PICTURE_FORMATS.get(path.suffix.lower(), "PNG")
    atomic_write(path, lambda p: picture.save(p, format=fmt))
    return path
