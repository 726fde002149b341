"""tools/measure_toy.py: its metric helpers on known inputs, and one whole (tiny) run whose JSON has every field.

The run uses the tiny random-weight models (never the trained toy models): the figures are meaningless, the
wiring and the report's shape are what is checked. Pictures are 64x48: the tiny GroundingDINO cannot take
square pictures this small (its coarsest feature map becomes 1x1, which its group norm refuses).
"""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from emilie_agent.toyworld import COLOURS

TOOL = Path(__file__).resolve().parents[2] / "tools" / "measure_toy.py"


@pytest.fixture(scope="module")
def mt():
    spec = importlib.util.spec_from_file_location("measure_toy", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pairs(mt):
    return mt.make_pairs(40, 3, 64)


def first(pairs, kind):
    return next(p for p in pairs if p.kind == kind)


# ---------------------------------------------------------------------------------------------- helpers
def test_l1_is_zero_for_identical_pictures_and_the_mean_abs_difference_otherwise(mt):
    a = np.full((8, 8, 3), 100, np.uint8)
    b = a.copy()
    b[:4] = 130  # half the pixels 30 brighter in every channel
    assert mt.l1(Image.fromarray(a), Image.fromarray(a.copy())) == 0.0
    assert mt.l1(a, b) == pytest.approx(15.0)
    region = np.zeros((8, 8), bool)
    region[:4] = True
    assert mt.l1(a, b, region) == pytest.approx(30.0)
    assert mt.l1(a, b, ~region) == 0.0
    assert mt.l1(a, b, np.zeros((8, 8), bool)) is None  # an empty region has no L1


def test_dilate_grows_a_pixel_into_a_square_and_the_untouched_area_is_the_rest(mt):
    mask = np.zeros((9, 9), bool)
    mask[4, 4] = True
    grown = mt.dilate(mask, 2)
    assert grown.sum() == 25 and grown[2:7, 2:7].all()
    assert (mt.untouched_region(mask, 2) == ~grown).all()
    corner = np.zeros((5, 5), bool)
    corner[0, 0] = True
    assert mt.dilate(corner, 2).sum() == 9  # clipped at the border


def test_box_and_mask_iou(mt):
    assert mt.box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert mt.box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert mt.box_iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    a = np.zeros((4, 4), bool)
    a[:2] = True
    b = np.zeros((4, 4), bool)
    b[:, :2] = True
    assert mt.mask_iou(a, a) == 1.0
    assert mt.mask_iou(a, b) == pytest.approx(4 / 12)


def test_a_known_colour_is_nearest_to_itself(mt):
    for name, rgb in COLOURS.items():
        assert mt.nearest_colour(rgb, COLOURS) == name
        assert mt.nearest_colour(np.clip(np.array(rgb) + 8, 0, 255), COLOURS) == name
    assert mt.nearest_colour((200, 40, 40), COLOURS) == "red"


def test_recolour_success_on_known_pictures(mt, pairs):
    pair = first(pairs, "recolour")
    # The truth is a success, the source is not.
    assert mt.recolour_success(pair.target, pair)[0] is True
    assert mt.recolour_success(pair.source, pair)[0] is False
    # The object painted flat in the asked colour (as rendered in this scene) succeeds; in another colour, not.
    paintable, candidates = mt.recolour_reference(pair)
    asked = pair.edit.value
    other = next(name for name in COLOURS if name != asked)
    for colour, expected in ((asked, True), (other, False)):
        painted = np.asarray(pair.source).copy()
        painted[paintable] = np.round(candidates[colour]).astype(np.uint8)
        assert mt.recolour_success(painted, pair)[0] is expected


def test_the_truth_succeeds_and_doing_nothing_fails_for_every_kind(mt, pairs):
    for kind in ("recolour", "time", "season", "remove", "bigger"):
        pair = first(pairs, kind)
        truth, nothing = mt.score_output(pair.target, pair), mt.score_output(pair.source, pair)
        assert truth["success"] and truth["l1_gt"] == 0.0
        assert not nothing["success"] and nothing["l1_gt"] > 0
        if kind in ("time", "season"):
            assert truth["l1_untouched"] is None  # a global edit may change everything
            assert truth["success_changed_region"] and not nothing["success_changed_region"]
        else:
            assert truth["l1_untouched"] == 0.0 and nothing["l1_untouched"] == 0.0


def test_the_changed_region_is_where_source_and_truth_differ_dilated(mt, pairs):
    pair = first(pairs, "season")
    region = mt.changed_region(pair)
    differ = (np.asarray(pair.source) != np.asarray(pair.target)).any(-1)
    assert region[differ].all() and (region == mt.dilate(differ)).all()
    # The VAE ceiling's blur of unchanged pixels no longer counts: a truth blurred only where nothing changes is
    # as good as the truth there.
    blurred = np.asarray(pair.target).astype(np.float32)
    blurred[~region] += 40
    assert mt.closer_success(blurred, pair.source, pair.target, region)


def test_closer_success_needs_the_margin(mt):
    source = np.zeros((4, 4, 3), np.float32)
    target = np.full((4, 4, 3), 100, np.float32)
    assert mt.closer_success(target, source, target)
    assert mt.closer_success(np.full((4, 4, 3), 25, np.float32), source, target)  # exactly 25% closer
    assert not mt.closer_success(np.full((4, 4, 3), 20, np.float32), source, target)
    assert not mt.closer_success(source, source, target)


# ---------------------------------------------------------------------------------------------- a whole run
EDIT_STATS = {"success", "l1_gt", "l1_untouched"}
MASKER_FIELDS = {"size", "n_scenes", "n_present", "n_absent", "n_segmented", "detector_recall", "not_found_accuracy",
                 "masker_mask_iou", "segmenter_mask_iou", "box_threshold", "text_threshold", "per_noun"}
NOUN_FIELDS = {"n_present", "recall", "masker_mask_iou", "n_absent", "not_found_accuracy", "n_segmented",
               "segmenter_mask_iou"}


def test_a_tiny_run_writes_json_and_markdown_with_every_field(mt, tmp_path, capsys):
    out_json, out_md = tmp_path / "m.json", tmp_path / "m.md"
    code = mt.main([
        "--models", "tiny", "--pairs", "2", "--chains", "1", "--chain-length", "2", "--steps", "2",
        "--size", "64x48", "--json", str(out_json), "--markdown", str(out_md), "--quiet",
    ])
    assert code == 0
    result = json.loads(out_json.read_text())
    assert set(result) >= {"goals", "meta", "edits", "masker", "chains", "timings", "wall_time_s"}
    assert all({"goal", "target", "measured", "met"} <= set(g) for g in result["goals"])

    meta = result["meta"]
    assert meta["split"] == "heldout" and meta["size"] == [64, 48] and meta["settings"]["steps"] == 2
    assert set(meta["models"]) == {"editor", "detector", "segmenter"}
    assert {"recolour", "other kinds"} <= set(meta["rules"])

    edits = result["edits"]
    assert edits["n_pairs"] == 2 and len(edits["pairs"]) == 2
    assert edits["by_kind"]["all"]["n"] == 2
    assert sum(edits["by_kind"].get(group, {}).get("n", 0) for group in ("global", "local")) == 2
    for kind, entry in edits["by_kind"].items():
        assert set(entry["methods"]) == set(mt.METHODS), kind
        for stats in entry["methods"].values():
            assert EDIT_STATS <= set(stats)
            assert 0.0 <= stats["success"] <= 1.0 and stats["l1_gt"] >= 0.0
    for record in edits["pairs"]:
        assert set(record["methods"]) == set(mt.METHODS)
        assert record["methods"]["do_nothing"]["success"] is False
        assert {"steps", "edits_done", "scope_ok"} <= set(record["agent"])
    assert {"n", "scope_ok", "edited", "mask_iou", "mask_covers_truth"} <= set(edits["agent_path"]["all"])

    assert len(result["masker"]) == 1  # the tiny detector names no size of its own: the editing size only
    masker = result["masker"][0]
    assert MASKER_FIELDS <= set(masker) and masker["size"] == [64, 48]
    assert set(masker["per_noun"]) == set(mt.DETECT_NOUNS)
    assert all(NOUN_FIELDS <= set(v) for v in masker["per_noun"].values())
    assert masker["n_present"] > 0 and masker["n_segmented"] > 0

    chains = result["chains"]
    assert chains["n_chains"] == 1 and chains["length"] == 2
    assert set(chains["modes"]) == set(mt.CHAIN_MODES)
    for mode, entry in chains["modes"].items():
        assert len(entry["l1_per_turn"]) == 2 and all(v >= 0 for v in entry["l1_per_turn"])
        assert len(entry["success_per_turn"]) == 2
        assert ("latent_gap_per_turn" in entry) == (entry["latent_mode"] == "carry")
    assert len(chains["do_nothing_l1_per_turn"]) == 2 and len(chains["vae_ceiling_l1_per_turn"]) == 2
    assert all(math.isfinite(v) for v in result["timings"].values())

    markdown = out_md.read_text()
    for heading in ("| goal (issue 9) |", "**Edits**", "Success rate:", "**Masker**", "**Chains**"):
        assert heading in markdown
    assert markdown in capsys.readouterr().out  # printed too


def test_the_same_seed_gives_the_same_pairs_and_chains(mt):
    a, b = mt.make_pairs(3, 7, 64), mt.make_pairs(3, 7, 64)
    assert [p.instruction for p in a] == [p.instruction for p in b]
    assert all(np.array_equal(np.asarray(x.source), np.asarray(y.source)) for x, y in zip(a, b))
    chain = mt.make_chains(1, 3, 7, 64)[0]
    assert len(chain) == 3 and all(np.array_equal(np.asarray(chain[i].target), np.asarray(chain[i + 1].source))
                                   for i in range(2))
