"""A service on the tiny editor (1 step) over a store in a temporary folder.

The masker is :class:`BoxMasker` (it knows where the door, the man and the sky are in ``make_picture``), so that
masks are the same every run; ``make_service(masker="tiny")`` uses the tiny random GroundingDINO + SAM with zero
thresholds instead (they find *something* for every phrase).
"""
from __future__ import annotations

import pytest

from emilie_agent.editing.settings import EditSettings
from emilie_agent.masking.masker import Masker
from emilie_agent.service import EditingService, SessionStore
from tests.fakes import BoxMasker, make_picture

# The tiny random detector needs a picture that is not square (a square one shrinks to 1x1 in its last stage).
SIZE = (64, 48)
FAST = EditSettings(steps=1, preserve="exact")


@pytest.fixture
def small_picture():
    return make_picture(*SIZE)


@pytest.fixture
def make_service(tmp_path, tiny_editor, tiny_masker):
    """Services over one store (a restart is a second service on the same folder), sharing the tiny models."""
    made = []

    def make(root=None, masker=None, **options):
        if masker == "tiny":
            masker = Masker(tiny_masker.detector, tiny_masker.segmenter, box_threshold=0.0, text_threshold=0.0)
        options.setdefault("settings", FAST)
        service = EditingService(
            root if isinstance(root, SessionStore) else SessionStore(root or tmp_path / "sessions"),
            models="tiny",
            editor=tiny_editor,
            masker=masker or RecordingBoxMasker(),
            **options,
        )
        made.append(service)
        return service

    yield make
    for service in made:
        service.close_all()


@pytest.fixture
def service(make_service):
    return make_service()


class RecordingBoxMasker(BoxMasker):
    """BoxMasker that also records the spread each call asked for."""

    def __init__(self):
        super().__init__()
        self.spreads: list[float | None] = []

    def mask(self, image, phrase, granularity="object", spread=None, invert=False, multiple=None):
        self.spreads.append(spread)
        return super().mask(image, phrase, granularity=granularity, spread=spread, invert=invert, multiple=multiple)
