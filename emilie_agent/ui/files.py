"""The files the page shows and offers for download: PNGs of turns and mask previews, the session's zip.

Gradio serves pictures from files. Every picture goes out as PNG (Gradio's own default for pictures it saves
itself is a lossy WebP, which would shift the pixels a person downloads). One folder per session id under
``root``; a turn's file is named by the turn's id and unique id, so it is written once and reused.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ..files import atomic_write, save_picture
from ..service.store import check_id

if TYPE_CHECKING:  # pragma: no cover
    from ..editing.session import Turn


class PageFiles:
    """PNG and zip files for the page, a folder per session under ``root`` (created if needed)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self, session_id: str) -> Path:
        folder = self.root / check_id(session_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def turn(self, session_id: str, turn: "Turn") -> str:
        """The turn's picture as a PNG (written on first use)."""
        path = self.folder(session_id) / f"turn-{turn.id:02d}-{turn.uid}.png"
        if not path.is_file():
            save_picture(turn.picture, path)
        return str(path)

    def picture(self, session_id: str, picture: Image.Image, name: str) -> str:
        """Any picture (a mask preview, an upload) as a PNG with a fresh name starting with ``name``."""
        return str(save_picture(picture, self.folder(session_id) / f"{name}-{uuid.uuid4().hex[:8]}.png"))

    def download_picture(self, session_id: str, turn: "Turn") -> str:
        """The current picture, under the name a download should get: ``emilie-<id8>-turn-NN.png``."""
        path = self.folder(session_id) / "download" / f"emilie-{session_id[:8]}-turn-{turn.id:02d}.png"
        save_picture(turn.picture, path)
        return str(path)

    def download_session(self, session_id: str, data: bytes) -> str:
        """The saved session's zip (from :meth:`EditingService.export`) as ``emilie-session-<id8>.zip``."""
        path = self.folder(session_id) / "download" / f"emilie-session-{session_id[:8]}.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p: p.write_bytes(data))
        return str(path)
