"""The mask preview: the mask tinted over the picture, boxes and labels drawn, a note when nothing was found."""
from __future__ import annotations

import numpy as np
import pytest

from emilie_agent.errors import InvalidMaskError
from emilie_agent.masking.preview import draw_mask_preview
from emilie_agent.masking.types import MaskResult
from tests.fakes import make_picture


def test_preview_tints_the_mask_and_draws_boxes():
    picture = make_picture(80, 60)
    mask = np.zeros((60, 80), np.float32)
    mask[20:40, 30:50] = 1.0
    result = MaskResult(
        mask=mask, found=True, boxes=[(28.0, 18.0, 52.0, 42.0)], scores=[0.8], labels=["dog"], best_score=0.8,
        phrase="the dog", granularity="object", invert=False,
    )
    preview = draw_mask_preview(picture, result)
    assert preview.size == picture.size and preview.mode == "RGB"
    changed = np.abs(np.asarray(preview, np.int16) - np.asarray(picture, np.int16)).sum(-1) > 0
    assert changed[22:38, 32:48].all(), "the mask is tinted"
    assert changed[18, 40] and changed[41, 40], "the box outline is drawn"
    assert not changed[50:, 60:].any(), "far from mask, box and label nothing changes"
    raw = draw_mask_preview(picture, np.zeros((60, 80), np.float32))
    assert np.array_equal(np.asarray(raw), np.asarray(picture)), "an empty mask and no boxes change nothing"


def test_preview_of_a_not_found_result_says_so(stub_masker):
    picture = make_picture(120, 40)
    result = stub_masker(scores=[0.1]).mask(picture, "the unicorn")
    preview = np.asarray(draw_mask_preview(picture, result))
    assert not np.array_equal(preview, np.asarray(picture)), "the not-found note is drawn"


def test_a_mask_of_another_size_is_refused():
    with pytest.raises(InvalidMaskError, match="the mask is 80x60 but the picture is 40x30"):
        draw_mask_preview(make_picture(40, 30), np.zeros((60, 80), np.float32))
