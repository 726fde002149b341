#!/usr/bin/env python3
"""Measure every stage of the toy world: edits per kind, the agent path, the detector / segmenter, and chains.

A benchmark, not a test: it runs the shipped toy models (``--models toy``, the default) on held-out toy-world
pairs and chains (``split="heldout"``: held-out phrasings and colour / object combinations) at the models' own
resolution, prints the figures and writes them as JSON (everything, per pair too) and as a Markdown block for
the README.

1. **Edits**, per kind, on ``--pairs`` (scene, edit) pairs, for these methods:

   * ``do_nothing``: the output is the source (the baseline to beat);
   * ``vae_ceiling``: ``decode(encode(target))`` (the best any latent editor can reach);
   * ``emilie_true_mask``: EMILIE with the true change mask and ``preserve="exact"`` (global kinds: no mask);
   * ``agent``: what a user gets: ``EditingAgent`` (RulePlanner -> Masker -> EMILIE exact) on an
     ``EditSession``, given the instruction text;
   * ``no_mask``: plain InstructPix2Pix behaviour (no mask, ``preserve="guided"``), for reference.

   Figures: success rate (rules in :data:`RULES`), L1 to the ground truth (0-255, mean over pixels and
   channels), L1 of the untouched area (outside the true mask dilated by 2 px) to the source.
2. **Masker**: detector recall (the masker's best box has IoU >= 0.5 with a true box of the named object),
   not-found accuracy (a name of an absent object gives ``found=False``), the masker's mask IoU, and the
   segmenter's mask IoU given the true box; at the detector's own size and at the editing size.
3. **Chains**: ``--chains`` held-out chains of ``--chain-length`` edits on an :class:`EditSession`; L1 to the
   ground truth per turn for (a) ``reencode`` without masks, (b) ``carry`` without masks, (c) ``carry`` with
   the true masks and exact preservation, (d) ``reencode`` with the true masks and exact preservation.

Usage::

    OMP_NUM_THREADS=1 python tools/measure_toy.py --pairs 100 --chains 20 --chain-length 5 \\
        --json toy_measure.json --markdown toy_measure.md

Defaults (steps, guidance, size, thresholds) come from the models' ``emilie_toy.json``. Runs on one thread
unless ``--threads`` says otherwise.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Iterable, Sequence  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from emilie_agent.toyworld import COLOURS, GLOBAL_KINDS, KINDS, render, sample_chain, sample_pair  # noqa: E402
from emilie_agent.toyworld.dataset import Pair  # noqa: E402
from emilie_agent.toyworld.draw import names_for  # noqa: E402
from emilie_agent.evaluation import metrics  # noqa: E402
from emilie_agent.evaluation.success import (  # noqa: E402  the success rules, shared with `emilie-agent eval`
    MARGIN, REGION_MARGIN_PX, closer_success, nearest_colour, recolour_reference, success_region,
)

warnings.filterwarnings("ignore", message=".*torchvision.*")
warnings.filterwarnings("ignore", message=".*fast image processor.*")
warnings.filterwarnings("ignore", message=".*use_fast.*")
warnings.filterwarnings("ignore", message=".*text_labels.*")

SPLIT = "heldout"
DILATE_PX = REGION_MARGIN_PX  # the untouched area is outside the true mask dilated by this many pixels (square)
IOU_HIT = 0.5
MIN_OBJECT_PIXELS = 6  # objects smaller than this (occluded, clipped) are not asked about
DETECT_NOUNS = ("house", "roof", "door", "window", "walls", "tree", "person", "man", "woman", "shirt", "hat", "car",
                "sun", "moon")
METHODS = ("do_nothing", "vae_ceiling", "emilie_true_mask", "agent", "no_mask")
METHOD_LABELS = {
    "do_nothing": "do nothing (output = source)",
    "vae_ceiling": "VAE round trip of the truth (ceiling)",
    "emilie_true_mask": "EMILIE, true mask, exact (global: no mask)",
    "agent": "agent: RulePlanner -> Masker -> EMILIE exact",
    "no_mask": "no mask (plain InstructPix2Pix)",
}
CHAIN_MODES = {
    # name: (latent_mode, masks + exact preservation)
    "reencode": ("reencode", False),
    "carry": ("carry", False),
    "carry_masked_exact": ("carry", True),
    "reencode_masked_exact": ("reencode", True),
}
CHAIN_LABELS = {
    "reencode": "(a) re-encode each turn, no masks",
    "carry": "(b) carry the latent, no masks",
    "carry_masked_exact": "(c) carry the latent, true masks + exact",
    "reencode_masked_exact": "(d) re-encode each turn, true masks + exact",
}
RULES = {
    "recolour": (
        "success when the output's mean colour over the object's paintable pixels (its true after-mask, where "
        "its renders in different colours differ) is nearest, in RGB, to the asked colour among all "
        f"{len(COLOURS)} COLOURS, each rendered in the same scene (so shading by time of day counts); "
        "'recolour_success_raw_rgb' compares with the plain COLOURS RGB values instead"
    ),
    "other kinds": (
        f"success when L1(output, truth) <= (1 - {MARGIN}) x L1(source, truth), i.e. the output is closer to the "
        f"truth than the source by at least {MARGIN:.0%} of the source-truth distance, measured over the true "
        f"mask dilated by {DILATE_PX} px for local kinds (remove, add, bigger) and the whole picture for "
        "global kinds (time, season); 'global_success_changed_region' measures global kinds over the pixels the "
        f"edit changes (source != truth, dilated {DILATE_PX} px) instead"
    ),
    "l1": "mean absolute difference over pixels and RGB channels, 0-255 scale",
    "l1_untouched": f"L1 to the source outside the true mask dilated by {DILATE_PX} px (local kinds only)",
    "detector_recall": (
        f"the masker's best box for 'the <noun>' has IoU >= {IOU_HIT} with the true box of an object of that "
        f"noun (objects of >= {MIN_OBJECT_PIXELS} visible pixels), with the detector's recommended thresholds"
    ),
    "not_found_accuracy": "share of 'the <noun>' for nouns absent from the scene that give found=False",
    "masker_mask_iou": "IoU of the masker's object mask (>0.5) with the best-matching true object mask; 0 when not found",
    "segmenter_mask_iou": "IoU of the segmenter's mask given the true box with the true object mask",
}


# ---------------------------------------------------------------------------------------------- metric helpers
def as_array(picture) -> np.ndarray:
    """A picture (PIL or array) as float32 (H, W, 3) in 0-255."""
    if isinstance(picture, Image.Image):
        return np.asarray(picture.convert("RGB"), np.float32)
    return np.asarray(picture, np.float32)


def l1(a, b, region: np.ndarray | None = None) -> float | None:
    """Mean absolute difference (0-255) over the pixels of ``region`` (all when None) and the RGB channels.

    None when the region is empty.
    """
    diff = np.abs(as_array(a) - as_array(b)).mean(-1)
    if region is None:
        return float(diff.mean())
    region = np.asarray(region, bool)
    if not region.any():
        return None
    return float(diff[region].mean())


def dilate(mask: np.ndarray, px: int = DILATE_PX) -> np.ndarray:
    return metrics.dilate(mask, px)


def untouched_region(mask: np.ndarray, px: int = DILATE_PX) -> np.ndarray:
    return ~dilate(mask, px)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def recolour_success(output, pair: Pair, reference=None) -> tuple[bool, bool]:
    """(success against the colours as rendered in the scene, success against the plain COLOURS RGB)."""
    paintable, candidates = reference if reference is not None else recolour_reference(pair)
    mean = as_array(output)[paintable].mean(0)
    asked = pair.edit.value
    return nearest_colour(mean, candidates) == asked, nearest_colour(mean, COLOURS) == asked


def changed_region(pair: Pair) -> np.ndarray:
    """The pixels the edit changes in the truth (source != target), dilated by DILATE_PX."""
    changed = np.abs(as_array(pair.source) - as_array(pair.target)).max(-1) > 0
    return dilate(changed)


def score_output(output, pair: Pair, reference=None) -> dict[str, Any]:
    """Success, L1 to the truth and L1 of the untouched area to the source, for one output of one pair."""
    out = as_array(output)
    record: dict[str, Any] = {
        "l1_gt": l1(out, pair.target),
        "l1_untouched": None if pair.kind in GLOBAL_KINDS else l1(out, pair.source, untouched_region(pair.mask)),
    }
    if pair.kind == "recolour":
        ok, ok_raw = recolour_success(out, pair, reference)
        record["success"] = bool(ok)
        record["success_raw_rgb"] = bool(ok_raw)
    else:
        record["success"] = bool(closer_success(out, pair.source, pair.target, success_region(pair)))
        if pair.kind in GLOBAL_KINDS:
            record["success_changed_region"] = bool(closer_success(out, pair.source, pair.target, changed_region(pair)))
    return record


def mean_or_none(values: Iterable[float | None]) -> float | None:
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return round(float(np.mean(vals)), 4) if vals else None


# ---------------------------------------------------------------------------------------------- models
def make_progress(total: int, desc: str, enabled: bool = True):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, dynamic_ncols=True, leave=True)


def vae_round_trip(editor, picture: Image.Image) -> Image.Image:
    """decode(encode(picture)) at the editor's working size, brought back to the picture's size as edit() does."""
    import torch

    with torch.no_grad():
        latent = editor.encode_picture(picture)
        decoded = editor.vae.decode(latent.to(editor.vae.dtype), return_dict=False)[0]
        out = editor.image_processor.postprocess(decoded, output_type="pil")[0]
    if out.size != picture.size:
        out = out.resize(picture.size, Image.LANCZOS)
    return out


def base_settings(editor, steps: int | None = None, text_scale: float | None = None,
                  image_scale: float | None = None):
    """The editor's recommended settings (its folder's emilie_toy.json), with the given overrides."""
    settings = editor.recommended_settings
    changes = {}
    if steps is not None:
        changes["steps"] = steps
    if text_scale is not None:
        changes["text_scale"] = text_scale
    if image_scale is not None:
        changes["image_scale"] = image_scale
    return settings.replace(**changes) if changes else settings


def pair_seed(seed: int, index: int) -> int:
    # >= 1, so that the agent's base seed (this minus the first turn's id, 1) is never negative.
    return 1000 * seed + index + 1


# ---------------------------------------------------------------------------------------------- 1. edits
def run_agent(editor, masker, pair: Pair, settings) -> tuple[Image.Image, dict[str, Any]]:
    """The user's path: an EditingAgent on a fresh EditSession, handed the instruction text."""
    from emilie_agent.agent.agent import EditingAgent
    from emilie_agent.editing.session import EditSession
    from emilie_agent.planning.rule_planner import RulePlanner

    session = EditSession.start(editor, pair.source)
    agent = EditingAgent(session, planner=RulePlanner(), masker=masker, settings=settings)
    reply = agent.handle(pair.instruction)
    steps = [
        {"instruction": r.step.instruction, "scope": r.step.scope, "target": r.step.target,
         "invert": r.step.invert, "status": r.status, "granularity": r.granularity,
         "mask_area": None if r.mask_area is None else round(float(r.mask_area), 4), "note": r.note}
        for r in (reply.steps or [])
    ]
    current = session.current
    true_mask = np.asarray(pair.mask, bool)
    used = [t.mask for t in session.history()[1:] if t.mask is not None]
    info: dict[str, Any] = {
        "steps": steps,
        "edits_done": len(session.history()) - 1,
        "error": None if reply.error is None else str(reply.error),
        "scope_ok": bool(steps) and all(
            s["scope"] == ("global" if pair.kind in GLOBAL_KINDS else "local") for s in steps
        ),
    }
    if pair.kind not in GLOBAL_KINDS:
        if used:
            union = np.zeros(true_mask.shape, bool)
            for m in used:
                union |= np.asarray(m) > 0.5
            info["mask_iou"] = round(mask_iou(union, true_mask), 4)
            info["mask_covers_truth"] = round(float((union & true_mask).sum() / max(1, true_mask.sum())), 4)
        else:
            info["mask_iou"] = 0.0
            info["mask_covers_truth"] = 0.0
    return current.picture, info


def measure_edits(editor, masker, pairs: Sequence[Pair], settings, *, seed: int = 0, progress: bool = True,
                  methods: Sequence[str] = METHODS) -> dict[str, Any]:
    """Every method on every pair; aggregated per kind and over all pairs; the per-pair records too."""
    records = []
    bar = make_progress(len(pairs), "edits", progress)
    for index, pair in enumerate(pairs):
        s = pair_seed(seed, index)
        is_global = pair.kind in GLOBAL_KINDS
        reference = recolour_reference(pair) if pair.kind == "recolour" else None
        record: dict[str, Any] = {
            "index": index, "kind": pair.kind, "instruction": pair.instruction, "noun": pair.noun,
            "value": pair.edit.value, "mask_fraction": round(float(np.mean(pair.mask)), 4), "seed": s,
            "methods": {},
        }
        outputs: dict[str, Any] = {}
        if "do_nothing" in methods:
            outputs["do_nothing"] = pair.source
        if "vae_ceiling" in methods:
            outputs["vae_ceiling"] = vae_round_trip(editor, pair.target)
        if "emilie_true_mask" in methods:
            outputs["emilie_true_mask"] = editor.edit(
                pair.source, pair.instruction, mask=None if is_global else pair.mask.astype(np.float32),
                settings=settings.replace(preserve="exact", seed=s),
            ).picture
        if "no_mask" in methods:
            if is_global and "emilie_true_mask" in outputs:
                # The same call: no mask, same seed (exact preservation without a mask changes nothing).
                outputs["no_mask"] = outputs["emilie_true_mask"]
            else:
                outputs["no_mask"] = editor.edit(
                    pair.source, pair.instruction, settings=settings.replace(preserve="guided", seed=s)
                ).picture
        if "agent" in methods:
            # The agent seeds each step with settings.seed + the new turn's id (1): the same noise as above.
            picture, info = run_agent(editor, masker, pair, settings.replace(preserve="exact", seed=s - 1))
            outputs["agent"] = picture
            record["agent"] = info
        for name, output in outputs.items():
            record["methods"][name] = {
                k: (round(v, 4) if isinstance(v, float) else v) for k, v in score_output(output, pair, reference).items()
            }
        records.append(record)
        bar.update()
        done = [r["methods"].get("emilie_true_mask", {}).get("success") for r in records]
        bar.set_postfix(emilie_ok=f"{np.mean([d for d in done if d is not None] or [0]):.2f}")
    bar.close()
    return {"n_pairs": len(pairs), "by_kind": aggregate_edits(records, methods), "agent_path": aggregate_agent(records),
            "pairs": records}


def aggregate_edits(records: Sequence[dict], methods: Sequence[str] = METHODS) -> dict[str, Any]:
    groups: dict[str, list[dict]] = {kind: [r for r in records if r["kind"] == kind] for kind in KINDS}
    groups["global"] = [r for r in records if r["kind"] in GLOBAL_KINDS]
    groups["local"] = [r for r in records if r["kind"] not in GLOBAL_KINDS]
    groups = {k: v for k, v in groups.items() if v}
    groups["all"] = list(records)
    out = {}
    for kind, rows in groups.items():
        entry: dict[str, Any] = {"n": len(rows), "methods": {}}
        for method in methods:
            scored = [r["methods"][method] for r in rows if method in r["methods"]]
            stats = {
                "success": mean_or_none(float(m["success"]) for m in scored),
                "l1_gt": mean_or_none(m["l1_gt"] for m in scored),
                "l1_untouched": mean_or_none(m["l1_untouched"] for m in scored),
            }
            raw = [float(m["success_raw_rgb"]) for m in scored if "success_raw_rgb" in m]
            if raw:
                stats["recolour_success_raw_rgb"] = mean_or_none(raw)
            changed = [float(m["success_changed_region"]) for m in scored if "success_changed_region" in m]
            if changed:
                stats["global_success_changed_region"] = mean_or_none(changed)
            entry["methods"][method] = stats
        out[kind] = entry
    return out


def aggregate_agent(records: Sequence[dict]) -> dict[str, Any]:
    """How the agent's plan and masks went: right scope, mask found, mask IoU with the true mask."""
    with_agent = [r for r in records if "agent" in r]
    out: dict[str, Any] = {}
    for kind in [*KINDS, "all"]:
        rows = [r for r in with_agent if kind == "all" or r["kind"] == kind]
        if not rows:
            continue
        local = [r for r in rows if r["kind"] not in GLOBAL_KINDS]
        out[kind] = {
            "n": len(rows),
            "scope_ok": mean_or_none(float(r["agent"]["scope_ok"]) for r in rows),
            "edited": mean_or_none(float(r["agent"]["edits_done"] > 0) for r in rows),
            "mask_iou": mean_or_none(r["agent"].get("mask_iou") for r in local) if local else None,
            "mask_covers_truth": mean_or_none(r["agent"].get("mask_covers_truth") for r in local) if local else None,
        }
    return out


# ---------------------------------------------------------------------------------------------- 2. masker
def scene_objects(scene, masks: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """noun -> the visible object ids it names (objects of >= MIN_OBJECT_PIXELS pixels, DETECT_NOUNS only)."""
    present: dict[str, list[str]] = {}
    for oid, mask in masks.items():
        if mask.sum() < MIN_OBJECT_PIXELS:
            continue
        for noun in names_for(oid, scene):
            if noun in DETECT_NOUNS:
                present.setdefault(noun, []).append(oid)
    return present


def measure_masker(masker, scenes: Sequence, size, *, progress: bool = True, label: str = "") -> dict[str, Any]:
    """Detector recall / not-found accuracy, the masker's mask IoU and the segmenter's IoU given the true box."""
    hits: dict[str, list[float]] = {}
    masker_ious: dict[str, list[float]] = {}
    not_found: dict[str, list[float]] = {}
    seg_ious: dict[str, list[float]] = {}
    bar = make_progress(len(scenes), f"masker {label}".strip(), progress)
    for scene in scenes:
        picture, masks, boxes = render(scene, size)
        present = scene_objects(scene, masks)
        for noun in DETECT_NOUNS:
            if noun not in present and any(noun in names_for(oid, scene) for oid in masks):
                continue  # there, but too small to ask about
            result = masker.mask(picture, f"the {noun}")
            if noun in present:
                ids = present[noun]
                hit = result.found and bool(result.boxes) and any(
                    box_iou(result.boxes[0], boxes[oid]) >= IOU_HIT for oid in ids
                )
                hits.setdefault(noun, []).append(float(hit))
                got = np.asarray(result.mask) > 0.5
                masker_ious.setdefault(noun, []).append(
                    max(mask_iou(got, masks[oid]) for oid in ids) if result.found else 0.0
                )
            else:
                not_found.setdefault(noun, []).append(float(not result.found))
        # The segmenter alone, given each object's true box (one embedding per picture, as the masker does).
        objects = [(noun, oid) for noun, ids in present.items() for oid in ids
                   if noun == names_for(oid, scene)[0]]  # each object once, under its first name
        if objects:
            embedding = masker.segmenter.embed(picture)
            predicted = masker.segmenter.segment(
                embedding, np.asarray([boxes[oid] for _, oid in objects], np.float32)
            )
            for (noun, oid), pred in zip(objects, predicted):
                seg_ious.setdefault(noun, []).append(mask_iou(pred, masks[oid]))
        bar.update()
    bar.close()

    def flat(d):
        return [v for vs in d.values() for v in vs]

    per_noun = {
        noun: {
            "n_present": len(hits.get(noun, [])),
            "recall": mean_or_none(hits.get(noun, [])),
            "masker_mask_iou": mean_or_none(masker_ious.get(noun, [])),
            "n_absent": len(not_found.get(noun, [])),
            "not_found_accuracy": mean_or_none(not_found.get(noun, [])),
            "n_segmented": len(seg_ious.get(noun, [])),
            "segmenter_mask_iou": mean_or_none(seg_ious.get(noun, [])),
        }
        for noun in DETECT_NOUNS
    }
    return {
        "size": list(size) if isinstance(size, tuple) else [size, size],
        "n_scenes": len(scenes),
        "n_present": len(flat(hits)),
        "n_absent": len(flat(not_found)),
        "n_segmented": len(flat(seg_ious)),
        "detector_recall": mean_or_none(flat(hits)),
        "not_found_accuracy": mean_or_none(flat(not_found)),
        "masker_mask_iou": mean_or_none(flat(masker_ious)),
        "segmenter_mask_iou": mean_or_none(flat(seg_ious)),
        "box_threshold": masker.box_threshold,
        "text_threshold": masker.text_threshold,
        "per_noun": per_noun,
    }


# ---------------------------------------------------------------------------------------------- 3. chains
def latent_gap(editor, turn) -> dict[str, float]:
    """How far the carried latent lies from the encoder's latent of its own picture (scaled latent space)."""
    import torch

    sf = editor.scaling_factor
    carried = turn.image_latent.float() * sf
    with torch.no_grad():
        encoded = editor.encode_picture(turn.picture).detach().to("cpu", torch.float32) * sf
    if encoded.shape != carried.shape:
        return {}
    rms = lambda t: float(t.pow(2).mean().sqrt())  # noqa: E731
    return {
        "carried_std": float(carried.std()),
        "encoded_std": float(encoded.std()),
        "gap_rms": rms(carried - encoded),
        "gap_rel": rms(carried - encoded) / max(rms(encoded), 1e-8),
    }


def measure_chains(editor, chains: Sequence[Sequence[Pair]], settings, *, seed: int = 0, progress: bool = True,
                   modes: dict[str, tuple[str, bool]] = CHAIN_MODES) -> dict[str, Any]:
    """L1 to the truth (and success) per turn, per mode, with an EditSession doing the iterating."""
    from emilie_agent.editing.session import EditSession

    length = max((len(c) for c in chains), default=0)
    l1s = {mode: [[] for _ in range(length)] for mode in modes}
    oks = {mode: [[] for _ in range(length)] for mode in modes}
    gaps = {mode: [[] for _ in range(length)] for mode in modes if modes[mode][0] == "carry"}
    nothing = [[] for _ in range(length)]
    ceiling = [[] for _ in range(length)]
    kinds = []
    bar = make_progress(len(chains) * len(modes), "chains", progress)
    for c, chain in enumerate(chains):
        kinds.append([p.kind for p in chain])
        for t, pair in enumerate(chain):
            nothing[t].append(l1(chain[0].source, pair.target))
            ceiling[t].append(l1(vae_round_trip(editor, pair.target), pair.target))
        for mode, (latent_mode, masked) in modes.items():
            session = EditSession.start(editor, chain[0].source)
            for t, pair in enumerate(chain):
                use_mask = masked and pair.kind not in GLOBAL_KINDS
                turn = session.edit(
                    pair.instruction,
                    mask=pair.mask.astype(np.float32) if use_mask else None,
                    settings=settings.replace(
                        latent_mode=latent_mode, preserve="exact" if masked else "guided",
                        seed=pair_seed(seed, 1000 * (c + 1) + t),
                    ),
                )
                reference = recolour_reference(pair) if pair.kind == "recolour" else None
                scored = score_output(turn.picture, pair, reference)
                l1s[mode][t].append(scored["l1_gt"])
                oks[mode][t].append(float(scored["success"]))
                if mode in gaps:
                    gaps[mode][t].append(latent_gap(editor, turn))
            bar.update()
    bar.close()

    def per_turn(lists):
        return [mean_or_none(v) for v in lists]

    return {
        "n_chains": len(chains),
        "length": length,
        "kinds": kinds,
        "modes": {
            mode: {
                "latent_mode": modes[mode][0],
                "masks_exact": modes[mode][1],
                "l1_per_turn": per_turn(l1s[mode]),
                "success_per_turn": per_turn(oks[mode]),
                **({"latent_gap_per_turn": [
                    {k: mean_or_none(g.get(k) for g in turn_gaps) for k in ("carried_std", "encoded_std",
                                                                           "gap_rms", "gap_rel")}
                    for turn_gaps in gaps[mode]
                ]} if mode in gaps else {}),
            }
            for mode in modes
        },
        "do_nothing_l1_per_turn": per_turn(nothing),
        "vae_ceiling_l1_per_turn": per_turn(ceiling),
    }


# ---------------------------------------------------------------------------------------------- the whole run
def model_info(kind: str, name: str) -> dict[str, Any]:
    """Where a model came from: its folder, its files' sizes and the newest modification time."""
    from emilie_agent.models.loading import model_defaults, resolve_model

    info: dict[str, Any] = {"name": name}
    try:
        folder = Path(resolve_model(name, kind))
    except Exception as err:  # noqa: BLE001 - reported, not fatal
        info["error"] = str(err)
        return info
    if folder.is_dir():
        files = [p for p in folder.rglob("*") if p.is_file()]
        newest = max((p.stat().st_mtime for p in files), default=0.0)
        info.update(
            folder=str(folder),
            bytes=sum(p.stat().st_size for p in files),
            newest_file=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest)) if newest else None,
            defaults=model_defaults(folder),
        )
    return info


def training_running() -> bool:
    """Whether a tools/train_toy.py process is running on this machine (the models may still change)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return False
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"train_toy" in cmdline and b"measure_toy" not in cmdline:
            return True
    return False


def parse_size(text: str | int | Sequence[int]) -> int | tuple[int, int]:
    if isinstance(text, int):
        return text
    if isinstance(text, (tuple, list)):
        return (int(text[0]), int(text[1]))
    text = str(text).lower().strip()
    if "x" in text:
        w, h = text.split("x", 1)
        return (int(w), int(h))
    return int(text)


def size_label(size) -> str:
    return f"{size[0]}x{size[1]}" if isinstance(size, tuple) else f"{size}x{size}"


def make_pairs(n: int, seed: int, size) -> list[Pair]:
    rng = np.random.default_rng([seed, 1])
    return [sample_pair(rng, SPLIT, size) for _ in range(n)]


def make_chains(n: int, length: int, seed: int, size) -> list[list[Pair]]:
    rng = np.random.default_rng([seed, 2])
    return [sample_chain(rng, length, SPLIT, size) for _ in range(n)]


def detection_scenes(pairs: Sequence[Pair]) -> list:
    """One held-out scene per pair: its before-scene, or (every other pair) its after-scene (night, snow, hats...)."""
    return [p.before if i % 2 == 0 else p.after for i, p in enumerate(pairs)]


def run(editor, masker, *, pairs: int = 100, chains: int = 20, chain_length: int = 5, size=None,
        steps: int | None = None, text_scale: float | None = None, image_scale: float | None = None,
        seed: int = 0, detector_sizes: Sequence | None = None, progress: bool = True,
        names: dict[str, str] | None = None, note: str | None = None) -> dict[str, Any]:
    """The whole measurement on loaded models; returns the JSON-ready result."""
    started = time.time()
    size = parse_size(size) if size is not None else editor.default_max_side
    settings = base_settings(editor, steps, text_scale, image_scale)
    editor.set_progress_bar_config(disable=True)
    timings: dict[str, float] = {}

    t0 = time.time()
    pair_list = make_pairs(pairs, seed, size)
    edits = measure_edits(editor, masker, pair_list, settings, seed=seed, progress=progress)
    timings["edits_s"] = round(time.time() - t0, 1)

    t0 = time.time()
    if detector_sizes is None:
        detector_sizes = [size]
        own = getattr(masker.detector, "model_size", None)
        if own and parse_size(own) != size:
            detector_sizes = [parse_size(own), size]
    scenes = detection_scenes(pair_list)
    masker_figures = [
        measure_masker(masker, scenes, parse_size(s), progress=progress, label=size_label(parse_size(s)))
        for s in detector_sizes
    ]
    timings["masker_s"] = round(time.time() - t0, 1)

    t0 = time.time()
    chain_list = make_chains(chains, chain_length, seed, size) if chains and chain_length else []
    chain_figures = measure_chains(editor, chain_list, settings, seed=seed, progress=progress)
    timings["chains_s"] = round(time.time() - t0, 1)
    timings["total_s"] = round(time.time() - started, 1)

    import torch

    return {
        "goals": goals(edits, masker_figures),
        "meta": {
            "split": SPLIT,
            "size": list(size) if isinstance(size, tuple) else [size, size],
            "editor_working_size": list(editor.working_size(size if isinstance(size, tuple) else (size, size))),
            "settings": settings.model_dump(),
            "seed": seed,
            "threads": torch.get_num_threads(),
            "models": names or {},
            "training_running": training_running(),
            "note": note,
            "rules": RULES,
            "methods": METHOD_LABELS,
            "chain_modes": CHAIN_LABELS,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        },
        "edits": edits,
        "masker": masker_figures,
        "chains": chain_figures,
        "timings": timings,
        "wall_time_s": timings["total_s"],
    }


def goals(edits: dict[str, Any], masker_figures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's goals next to what was measured (the masker's at its first size: the detector's own)."""
    by_kind = edits["by_kind"]

    def success(kind, method):
        return by_kind.get(kind, {}).get("methods", {}).get(method, {}).get("success")

    first = masker_figures[0] if masker_figures else {}
    rows = [
        ("recolour success, agent path (masker's mask, exact)", 0.9, success("recolour", "agent")),
        ("recolour success, true mask, exact", 0.9, success("recolour", "emilie_true_mask")),
        ("global edits (time, season) success, no mask", 0.9, success("global", "emilie_true_mask")),
        (f"detector recall at {size_label(tuple(first['size'])) if first else '-'}", 0.95, first.get("detector_recall")),
        (f"segmenter mask IoU at {size_label(tuple(first['size'])) if first else '-'}", 0.9, first.get("segmenter_mask_iou")),
    ]
    return [{"goal": name, "target": target, "measured": value, "met": None if value is None else value >= target}
            for name, target, value in rows]


# ---------------------------------------------------------------------------------------------- reporting
def fmt(value, digits: int = 2, pct: bool = False) -> str:
    if value is None:
        return "–"
    if pct:
        return f"{100 * value:.0f}%"
    return f"{value:.{digits}f}"


def to_markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    st = meta["settings"]
    lines: list[str] = []
    models = meta.get("models") or {}
    scheduler = st["scheduler"] or "the model's own"
    lines.append("### Toy-world measurements (`tools/measure_toy.py`)")
    lines.append("")
    if meta.get("note"):
        lines.append(f"> **{meta['note']}**")
        lines.append("")
    model_text = ", ".join(
        f"{kind} `{info.get('name')}`" + (f" (files of {info['newest_file']})" if info.get("newest_file") else "")
        for kind, info in models.items()
    ) if models else "given objects"
    lines.append(
        f"Held-out split, {meta['size'][0]}x{meta['size'][1]} px pictures (editor works at "
        f"{meta['editor_working_size'][0]}x{meta['editor_working_size'][1]}), {st['steps']} steps, "
        f"s_T {st['text_scale']}, s_I {st['image_scale']}, scheduler {scheduler}, "
        f"seed {meta['seed']}, {meta['threads']} thread(s); models: {model_text}. "
        f"Wall time {result['wall_time_s']:.0f} s (edits {result['timings']['edits_s']:.0f} s, masker "
        f"{result['timings']['masker_s']:.0f} s, chains {result['timings']['chains_s']:.0f} s"
        + (f"; {result['timings']['with_loading_s']:.0f} s with model loading" if "with_loading_s" in result["timings"] else "")
        + ")."
    )
    if meta.get("training_running"):
        lines.append("")
        lines.append("> Training was still running while this was measured: the checkpoints may be partial.")
    lines.append("")
    lines.append("| goal (issue 9) | aim | measured | met |")
    lines.append("| --- | ---: | ---: | :---: |")
    for g in result.get("goals", []):
        met = "–" if g["met"] is None else ("yes" if g["met"] else "no")
        lines.append(f"| {g['goal']} | {g['target']:.2f} | {fmt(g['measured'])} | {met} |")
    lines.append("")
    edits = result["edits"]
    lines.append(f"**Edits** ({edits['n_pairs']} held-out pairs). Success: recolour = {RULES['recolour']}; "
                 f"other kinds = {RULES['other kinds']}. L1 on the 0-255 scale; 'untouched' = {RULES['l1_untouched']}.")
    lines.append("")
    methods = list(next(iter(edits["by_kind"].values()))["methods"]) if edits["by_kind"] else []
    short = {"do_nothing": "do nothing", "vae_ceiling": "VAE ceiling", "emilie_true_mask": "EMILIE true mask exact",
             "agent": "agent (planner+masker+EMILIE exact)", "no_mask": "no mask (InstructPix2Pix)"}
    tables = (
        ("Success rate", "success", lambda v: fmt(v, pct=True)),
        ("L1 to the truth (0-255)", "l1_gt", fmt),
        ("L1 of the untouched area to the source (0-255; local kinds)", "l1_untouched", fmt),
    )
    for title, key, show in tables:
        lines.append(f"{title}:")
        lines.append("")
        lines.append("| kind (n) | " + " | ".join(short.get(m, m) for m in methods) + " |")
        lines.append("| --- |" + " ---: |" * len(methods))
        for kind, entry in edits["by_kind"].items():
            cells = []
            for method in methods:
                stats = entry["methods"][method]
                cell = show(stats[key])
                if key == "success" and kind == "recolour" and "recolour_success_raw_rgb" in stats:
                    cell += f" (raw {fmt(stats['recolour_success_raw_rgb'], pct=True)})"
                if key == "success" and kind in (*GLOBAL_KINDS, "global") and "global_success_changed_region" in stats:
                    cell += f" (changed px {fmt(stats['global_success_changed_region'], pct=True)})"
                cells.append(cell)
            name = f"**{kind}**" if kind in ("global", "local", "all") else kind
            lines.append(f"| {name} ({entry['n']}) | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Methods: " + "; ".join(f"*{short.get(m, m)}* = {METHOD_LABELS.get(m, m)}" for m in methods)
                 + ". Recolour '(raw)': nearest of the plain COLOURS RGB values instead of the colours as rendered. "
                 "Global '(changed px)': the same closer-by-25% rule measured only over the pixels the edit changes "
                 f"(source != truth, dilated {DILATE_PX} px), so that the VAE's blur of the unchanged rest does not "
                 "swamp mild edits (e.g. a season change with little ground showing).")
    agent = edits.get("agent_path") or {}
    if agent:
        lines.append("")
        lines.append("**The agent's path** (what it did with each instruction): plan scope right (global/local as the "
                     "edit is), an edit made, the union of its masks vs the true mask (IoU; share of the true mask covered).")
        lines.append("")
        lines.append("| kind (n) | scope right | edited | mask IoU | truth covered |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        for kind, a in agent.items():
            lines.append(f"| {kind} ({a['n']}) | {fmt(a['scope_ok'], pct=True)} | {fmt(a['edited'], pct=True)} | "
                         f"{fmt(a['mask_iou'])} | {fmt(a['mask_covers_truth'])} |")
    lines.append("")
    lines.append(f"**Masker** (held-out scenes; recall: {RULES['detector_recall']}; segmenter: given the true box).")
    lines.append("")
    lines.append("| picture size | scenes | detector recall (n) | not-found accuracy (n) | masker mask IoU | "
                 "segmenter mask IoU (n) | thresholds box/text |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for m in result["masker"]:
        lines.append(
            f"| {m['size'][0]}x{m['size'][1]} | {m['n_scenes']} | {fmt(m['detector_recall'])} ({m['n_present']}) | "
            f"{fmt(m['not_found_accuracy'])} ({m['n_absent']}) | {fmt(m['masker_mask_iou'])} | "
            f"{fmt(m['segmenter_mask_iou'])} ({m['n_segmented']}) | {m['box_threshold']}/{m['text_threshold']} |"
        )
    if result["masker"]:
        lines.append("")
        head = " | ".join(f"{m['size'][0]}px recall / not-found / seg IoU" for m in result["masker"])
        lines.append(f"| noun | {head} |")
        lines.append("| --- |" + " ---: |" * len(result["masker"]))
        for noun in DETECT_NOUNS:
            cells = []
            for m in result["masker"]:
                p = m["per_noun"][noun]
                cells.append(f"{fmt(p['recall'])} ({p['n_present']}) / {fmt(p['not_found_accuracy'])} "
                             f"({p['n_absent']}) / {fmt(p['segmenter_mask_iou'])}")
            lines.append(f"| {noun} | " + " | ".join(cells) + " |")
    ch = result["chains"]
    if ch["n_chains"]:
        lines.append("")
        lines.append(f"**Chains** ({ch['n_chains']} held-out chains of {ch['length']} edits, on an `EditSession`): "
                     "mean L1 to the truth after each turn (success rate in brackets).")
        lines.append("")
        turns = range(1, ch["length"] + 1)
        lines.append("| mode | " + " | ".join(f"turn {t}" for t in turns) + " |")
        lines.append("| --- |" + " ---: |" * ch["length"])
        for mode, m in ch["modes"].items():
            cells = [f"{fmt(a)} ({fmt(b, pct=True)})" for a, b in zip(m["l1_per_turn"], m["success_per_turn"])]
            lines.append(f"| {CHAIN_LABELS.get(mode, mode)} | " + " | ".join(cells) + " |")
        lines.append("| do nothing (the original picture) | " + " | ".join(fmt(v) for v in ch["do_nothing_l1_per_turn"]) + " |")
        lines.append("| VAE round trip of the truth | " + " | ".join(fmt(v) for v in ch["vae_ceiling_l1_per_turn"]) + " |")
        gaps = {mode: m["latent_gap_per_turn"] for mode, m in ch["modes"].items() if "latent_gap_per_turn" in m}
        if gaps:
            lines.append("")
            lines.append("Carried latent vs the encoder's latent of the same turn's picture (scaled space): "
                         "relative RMS gap, and std of carried / encoded.")
            lines.append("")
            lines.append("| mode | " + " | ".join(f"turn {t}" for t in turns) + " |")
            lines.append("| --- |" + " ---: |" * ch["length"])
            for mode, per_turn in gaps.items():
                cells = [f"{fmt(g['gap_rel'])} ({fmt(g['carried_std'])} / {fmt(g['encoded_std'])})" for g in per_turn]
                lines.append(f"| {CHAIN_LABELS.get(mode, mode)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary_lines(result: dict[str, Any]) -> list[str]:
    """A few lines for the terminal."""
    out = []
    by_kind = result["edits"]["by_kind"]
    for kind, entry in by_kind.items():
        cells = ", ".join(f"{m} {fmt(s['success'], pct=True)}/{fmt(s['l1_gt'])}" for m, s in entry["methods"].items())
        out.append(f"{kind:9s} (n={entry['n']:3d}) success/L1: {cells}")
    for m in result["masker"]:
        out.append(f"masker at {m['size'][0]}x{m['size'][1]}: recall {fmt(m['detector_recall'])}, not-found "
                   f"{fmt(m['not_found_accuracy'])}, masker IoU {fmt(m['masker_mask_iou'])}, segmenter IoU "
                   f"{fmt(m['segmenter_mask_iou'])}")
    for mode, m in result["chains"]["modes"].items():
        out.append(f"chain {mode:22s} L1 per turn: {' '.join(fmt(v) for v in m['l1_per_turn'])}")
    out.append(f"wall time {result['wall_time_s']:.0f} s")
    return out


def load_models(editor_name: str, detector_name: str, segmenter_name: str | None = None, device: str = "cpu"):
    from emilie_agent.editing.pipeline import EmilieEditor
    from emilie_agent.masking.masker import Masker
    from emilie_agent.models.loading import model_defaults, resolve_model

    editor = EmilieEditor.from_pretrained(editor_name, device=device)
    masker = Masker.from_pretrained(detector_name, segmenter_name or detector_name, device=device)
    # The detector's own picture size (its folder's emilie_toy.json "size"), measured next to the editing size.
    try:
        own = model_defaults(resolve_model(detector_name, "grounding-dino")).get("size")
    except Exception:  # noqa: BLE001
        own = None
    masker.detector.model_size = own
    return editor, masker


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="toy", help="editor model: toy (default), tiny, a folder or hub id")
    ap.add_argument("--masker-models", default=None, help="detector + segmenter: toy, tiny, ... (default: --models)")
    ap.add_argument("--detector", default=None, help="the detector alone (default: --masker-models)")
    ap.add_argument("--segmenter", default=None, help="the segmenter alone (default: --masker-models)")
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--chains", type=int, default=20)
    ap.add_argument("--chain-length", type=int, default=5)
    ap.add_argument("--size", default=None, help="picture size, 64 or WxH (default: the editor's own, emilie_toy.json)")
    ap.add_argument("--detector-sizes", default=None,
                    help="comma-separated picture sizes for the masker figures (default: the detector's own and --size)")
    ap.add_argument("--steps", type=int, default=None, help="sampling steps (default: the editor's emilie_toy.json)")
    ap.add_argument("--text-scale", type=float, default=None)
    ap.add_argument("--image-scale", type=float, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", type=Path, default=None, help="write everything here")
    ap.add_argument("--markdown", type=Path, default=None, help="write the README block here")
    ap.add_argument("--note", default=None, help="a line put at the top of the Markdown (e.g. 'partial checkpoints')")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    masker_name = args.masker_models or args.models
    detector_name, segmenter_name = args.detector or masker_name, args.segmenter or masker_name
    started = time.time()
    editor, masker = load_models(args.models, detector_name, segmenter_name, args.device)
    names = {"editor": model_info("instruct-pix2pix", args.models),
             "detector": model_info("grounding-dino", detector_name),
             "segmenter": model_info("sam", segmenter_name)}
    detector_sizes = args.detector_sizes.split(",") if args.detector_sizes else None
    result = run(
        editor, masker, pairs=args.pairs, chains=args.chains, chain_length=args.chain_length, size=args.size,
        steps=args.steps, text_scale=args.text_scale, image_scale=args.image_scale, seed=args.seed,
        detector_sizes=detector_sizes, progress=not args.quiet, names=names, note=args.note,
    )
    result["meta"]["command"] = " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])])
    result["timings"]["with_loading_s"] = round(time.time() - started, 1)
    markdown = to_markdown(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown)
    print(markdown)
    for line in summary_lines(result):
        print(line)
    print(f"wall time with loading: {result['timings']['with_loading_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
