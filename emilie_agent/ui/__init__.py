"""The web chat UI (Gradio 6) over the editing service: ``emilie-agent ui``; needs the ``[ui]`` extra.

``build_app(service, files_dir=...)`` makes the page, :func:`launch` serves it. See :mod:`.app`.
"""
from __future__ import annotations

from .app import build_app, launch
from .limits import Limits, check_upload

__all__ = ["Limits", "build_app", "check_upload", "launch"]
