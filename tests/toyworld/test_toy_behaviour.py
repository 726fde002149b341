"""What the shipped toy models do (not only that they load): the detector finds toy objects and says when one is
absent, the segmenter outlines a boxed object, a local recolour through the agent changes the object and nothing
outside its mask, a global edit moves the picture toward its ground truth.

Small and fast (96 px scenes for the masker, the editor at its own 64 px, its own step count). Held-out scenes:
seeds the training never drew (training draws from ``[seed, stage, step]`` streams; these use ``[2026, 9, i]``).
Each threshold is set from what ``tools/measure_toy.py`` measured on the shipped models (README, "The toy
world"), with a margin for the small samples here; the figure it came from is given beside it.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from emilie_agent.agent.agent import EditingAgent
from emilie_agent.editing.composite import feathered_mask
from emilie_agent.editing.pipeline import EmilieEditor
from emilie_agent.editing.session import EditSession
from emilie_agent.evaluation.success import closer_success, recolour_success
from emilie_agent.masking.masker import Masker
from emilie_agent.planning.rule_planner import RulePlanner
from emilie_agent.toyworld import random_scene, render, sample_pair
from emilie_agent.toyworld.draw import names_for

SIZE = (96, 96)
NOUNS = ("house", "roof", "door", "window", "tree", "person", "car", "sun", "moon")
# Measured by tools/measure_toy.py on 100 held-out scenes (README): detector recall 0.58 at 128 px, 0.57 at 64 px
# (0.65 on this test's sample), not-found accuracy 0.98; segmenter IoU given the true box 0.78 (0.82 here). The
# bars are those less a margin for a sample of 16 scenes. The detector is the toy world's weakest stage.
MIN_RECALL = 0.45
MIN_NOT_FOUND = 0.85
MIN_SEGMENTER_IOU = 0.72


@pytest.fixture(scope="module")
def masker():
    return Masker.from_pretrained("toy", "toy", device="cpu")


@pytest.fixture(scope="module")
def editor():
    return EmilieEditor.from_pretrained("toy", device="cpu")


def held_out_scenes(n: int):
    return [random_scene(np.random.default_rng([2026, 9, i])) for i in range(n)]


def box_iou(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def visible_objects(scene, masks):
    """noun -> ids of the objects it names that are big enough to ask about (>= 6 pixels)."""
    present: dict[str, list[str]] = {}
    for oid, mask in masks.items():
        if mask.sum() >= 6:
            for noun in names_for(oid, scene):
                present.setdefault(noun, []).append(oid)
    return present


def test_the_detector_finds_named_objects_and_reports_absent_ones(masker):
    hits, absent_ok = [], []
    for scene in held_out_scenes(16):
        picture, masks, boxes = render(scene, SIZE)
        present = visible_objects(scene, masks)
        for noun in NOUNS:
            if noun in present:
                result = masker.mask(picture, f"the {noun}")
                hits.append(result.found and any(box_iou(result.boxes[0], boxes[o]) >= 0.5 for o in present[noun]))
            elif not any(noun in names_for(oid, scene) for oid in masks):  # truly absent, not just tiny
                absent_ok.append(not masker.mask(picture, f"the {noun}").found)
    assert len(hits) >= 40 and len(absent_ok) >= 10
    assert np.mean(hits) >= MIN_RECALL, f"recall {np.mean(hits):.2f} over {len(hits)} objects"
    assert np.mean(absent_ok) >= MIN_NOT_FOUND, f"not-found accuracy {np.mean(absent_ok):.2f} over {len(absent_ok)}"


def test_the_segmenter_outlines_the_object_in_its_true_box(masker):
    ious = []
    for scene in held_out_scenes(12):
        picture, masks, boxes = render(scene, SIZE)
        ids = [o for o, m in masks.items() if m.sum() >= 20 and names_for(o, scene)[0] in NOUNS]
        predicted = masker.segmenter.segment(masker.segmenter.embed(picture), np.asarray([boxes[o] for o in ids], np.float32))
        for oid, mask in zip(ids, predicted):
            truth = masks[oid]
            ious.append((mask & truth).sum() / max(1, (mask | truth).sum()))
    assert len(ious) >= 40
    assert np.mean(ious) >= MIN_SEGMENTER_IOU, f"mean IoU {np.mean(ious):.2f} over {len(ious)} objects"


def default_feather(size) -> float:
    """The editor's default feather: one latent cell (4 working pixels; the toy editor works at 64 px), in
    picture pixels."""
    return 4 * max(size) / 64


def held_out_pairs(kinds, n, size=64):
    rng = np.random.default_rng([2026, 9, 1000])
    pairs = []
    while len(pairs) < n:
        pair = sample_pair(rng, "heldout", size, kinds=kinds)
        if pair is not None:
            pairs.append(pair)
    return pairs


# Measured on 100 held-out pairs (README): recolour success through the agent 67 % (5 of 6 here), global edits
# 65 %, winter on the demo scene well under half the input's L1 to its truth.
MIN_RECOLOURED = 3  # of RECOLOUR_CASES
MIN_GLOBAL_CLOSER = 3  # of GLOBAL_CASES
RECOLOUR_CASES = 6
MAX_WINTER_RATIO = 0.5
MIN_DOOR_BLUE_OVER_RED = 80  # measured 221 - 44 = 177
MAX_CAR_LEFT = 0.8  # the car's area: L1 to the no-car truth after / before the step; measured 38.4 / 65.4 = 0.59
GLOBAL_CASES = 6


def test_a_local_recolour_through_the_agent_recolours_and_keeps_every_pixel_outside_its_mask(editor, masker):
    recoloured = 0
    for pair in held_out_pairs(["recolour"], RECOLOUR_CASES):
        session = EditSession.start(editor, pair.source)
        agent = EditingAgent(session, planner=RulePlanner(), masker=masker)
        assert agent.settings.preserve == "exact"
        reply = agent.handle(pair.instruction)
        turns = session.history()
        if len(turns) == 1:  # the target was not found: nothing may have changed
            assert reply.steps and reply.steps[0].status != "done"
            continue
        turn = turns[-1]
        assert turn.mask is not None and 0 < turn.mask.mean() < 0.5, "a local step, on a part of the picture"
        before = np.asarray(pair.source.convert("RGB"))
        after = np.asarray(turn.picture.convert("RGB"))
        # Every pixel the feathered mask does not reach (the editor's default feather: one latent cell).
        outside = feathered_mask(turn.mask, default_feather(pair.source.size)) == 0
        assert outside.any() and np.array_equal(after[outside], before[outside])
        recoloured += recolour_success(turn.picture, pair)
    assert recoloured >= MIN_RECOLOURED, f"{recoloured} of {RECOLOUR_CASES} recoloured as asked"


def test_a_global_edit_moves_the_picture_toward_its_truth(editor):
    closer, l1_edit, l1_nothing = 0, [], []
    for pair in held_out_pairs(["time", "season"], GLOBAL_CASES):
        session = EditSession.start(editor, pair.source)
        turn = session.edit(pair.instruction)
        truth = np.asarray(pair.target, np.float32)
        l1_edit.append(np.abs(np.asarray(turn.picture, np.float32) - truth).mean())
        l1_nothing.append(np.abs(np.asarray(pair.source, np.float32) - truth).mean())
        closer += closer_success(turn.picture, pair.source, pair.target)
    assert closer >= MIN_GLOBAL_CLOSER, f"{closer} of {GLOBAL_CASES} closer to the truth by >= 25%"
    assert np.mean(l1_edit) < 0.75 * np.mean(l1_nothing), (np.mean(l1_edit), np.mean(l1_nothing))


def test_the_demo_on_the_toy_models_makes_all_three_edits(tmp_path, capsys):
    """The main job: "make it winter, then paint the door blue and remove the car" on the scene it draws.

    Measured (README): winter's L1 to its truth is well under the input's; the door's mean colour turns from
    (210, 30, 35) to (44, 69, 221); the car's area moves from L1 65.4 to 38.4 of the winter-without-car truth
    (a ghost of the car remains). Each local step changes nothing outside its feathered mask."""
    from emilie_agent.cli.main import main
    from emilie_agent.toyworld import Edit, apply, demo_scene_scene

    out = tmp_path / "demo"
    assert main(["demo", "--models", "toy", "-o", str(out), "--quiet", "--device", "cpu"]) == 0
    plan = json.loads((out / "plan.json").read_text())
    assert [(s["scope"], s["target"]) for s in plan["steps"]] == [("global", None), ("local", "door"), ("local", "car")]
    turns = EditSession.load(out / "session").history()
    assert [t.instruction for t in turns[1:]] == ["make it winter", "paint the door blue", "remove the car"]
    size = turns[0].picture.size
    scene = demo_scene_scene(size)
    _, masks, _ = render(scene, size)
    winter_scene = apply(scene, Edit("season", value="winter"))
    winter = np.asarray(render(winter_scene, size)[0], np.float32)
    pixels = [np.asarray(t.picture.convert("RGB"), np.float32) for t in turns]
    before, after = np.abs(pixels[0] - winter).mean(), np.abs(pixels[1] - winter).mean()
    assert after < MAX_WINTER_RATIO * before, f"winter: L1 to its truth {after:.1f}, the input's {before:.1f}"
    red, green, blue = pixels[2][masks["house.door"]].mean(0)
    assert blue > red + MIN_DOOR_BLUE_OVER_RED, f"the door's mean colour is {red:.0f}, {green:.0f}, {blue:.0f}"
    no_car = np.asarray(render(apply(winter_scene, Edit("remove", target="car")), size)[0], np.float32)
    car = masks["car0"]
    was, now = (np.abs(p[car] - no_car[car]).mean() for p in pixels[2:4])
    assert now < MAX_CAR_LEFT * was, f"the car's area: L1 to the no-car truth {was:.1f} -> {now:.1f}"
    for previous, turn in zip(turns[1:], turns[2:]):
        assert turn.context.scope == "local" and turn.mask is not None
        outside = feathered_mask(turn.mask, default_feather(size)) == 0
        assert np.array_equal(np.asarray(turn.picture)[outside], np.asarray(previous.picture)[outside])
