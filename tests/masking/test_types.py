"""What the masker's stages exchange: detections (kept, reordered) and the result (its JSON and its message)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from emilie_agent.masking.types import Detections, MaskResult


def test_detections_take_keeps_boxes_scores_and_labels_together():
    found = Detections(
        np.array([[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]], np.float32), np.array([0.4, 0.9, 0.6], np.float32),
        ["a", "b", "c"], best_score=0.9,
    )
    kept = found.take([1, 2])
    assert len(kept) == 2 and kept.labels == ["b", "c"] and kept.scores.tolist() == pytest.approx([0.9, 0.6])
    assert kept.boxes.tolist() == [[2, 2, 3, 3], [4, 4, 5, 5]] and kept.best_score == 0.9
    empty = Detections.empty(0.3)
    assert len(empty) == 0 and empty.boxes.shape == (0, 4) and empty.best_score == 0.3


def test_a_result_s_area_json_and_message():
    mask = np.zeros((10, 20), np.float32)
    mask[:, :5] = 1.0
    mask[:, 5:10] = 0.5
    result = MaskResult(
        mask=mask, found=True, boxes=[(1.234, 2.0, 3.0, 4.0)], scores=[0.87654], labels=["dog"], best_score=0.87654,
        phrase="the dog", granularity="object", invert=False,
    )
    assert result.area_fraction == pytest.approx(0.375)
    data = json.loads(json.dumps(result.to_json_dict()))
    assert data["size"] == [20, 10] and data["boxes"] == [[1.23, 2.0, 3.0, 4.0]] and data["scores"] == [0.8765]
    assert data["area_fraction"] == 0.375 and data["missing"] == [] and data["spread"] == 0.0
    assert result.message() == "1 object(s) for 'the dog', mask covers 37.5% of the picture"
