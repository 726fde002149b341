#!/usr/bin/env python
"""Measure the shipped toy models (``emilie_agent/toyworld/models``) on held-out toy-world examples.

    python tools/toy_report.py                    # everything
    python tools/toy_report.py --only editor --pairs 64 --sheet /tmp/toy_sheet.png

- Loads every folder through the standard paths: ``StableDiffusionInstructPix2PixPipeline.from_pretrained``,
  ``GroundingDinoForObjectDetection`` + ``AutoProcessor``, ``SamModel`` + ``SamProcessor``.
- Editor: L1 to the true after-picture and success per edit kind on held-out phrasings / combinations, with the
  guidance in the folder's ``emilie_toy.json`` (plain global edits: no mask).
- Detector: recall at box IoU >= 0.5 for present objects and not-found accuracy for absent ones, with the
  thresholds in its ``emilie_toy.json``, through the processor + ``post_process_grounded_object_detection``.
- Segmenter: mask IoU given the true box, through ``SamProcessor`` + ``post_process_masks``.
- Files: sizes, safetensors only.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import torch  # noqa: E402

import train_toy as T  # noqa: E402


def files_report(models: Path) -> dict:
    files = [p for p in models.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    weights = [p for p in files if p.suffix in (".safetensors", ".bin", ".pt", ".pth", ".ckpt")]
    return {
        "total_MB": round(total / 2**20, 2),
        "weights": {str(p.relative_to(models)): round(p.stat().st_size / 2**20, 2) for p in sorted(weights)},
        "safetensors_only": all(p.suffix == ".safetensors" for p in weights),
    }


def editor_report(folder: Path, n: int, seed: int, sheet: Path | None) -> dict:
    pipe = T.load_pipe(folder)
    guidance = json.loads((folder / "emilie_toy.json").read_text())
    ts, is_, steps = guidance["text_scale"], guidance["image_scale"], guidance.get("steps", 20)
    out = {"guidance": guidance}
    held = T.heldout_pairs(n, seed, "heldout")
    out["heldout"] = T.evaluate_editor(pipe, held, ts, is_, steps)
    out["new_scenes_train_phrasings"] = T.evaluate_editor(pipe, T.heldout_pairs(n, seed + 2, "train"), ts, is_, steps)
    if sheet is not None:
        from PIL import Image, ImageDraw

        chunk = held[:12]
        result = pipe(prompt=[p.instruction for p in chunk], image=[p.source for p in chunk], num_inference_steps=steps,
                      guidance_scale=ts, image_guidance_scale=is_, generator=torch.Generator().manual_seed(0)).images
        canvas = Image.new("RGB", (3 * 128 + 260, 128 * len(chunk)), "white")
        draw = ImageDraw.Draw(canvas)
        for i, (p, r) in enumerate(zip(chunk, result)):
            for j, im in enumerate((p.source, r, p.target)):
                canvas.paste(im.resize((128, 128), Image.NEAREST), (j * 128, i * 128))
            draw.text((3 * 128 + 6, i * 128 + 56), p.instruction, fill="black")
        canvas.save(sheet)
        out["sheet"] = str(sheet)
    return out


def detector_report(folder: Path, n: int, seed: int) -> dict:
    from transformers import AutoProcessor, GroundingDinoForObjectDetection

    model = GroundingDinoForObjectDetection.from_pretrained(folder).eval()
    processor = AutoProcessor.from_pretrained(folder)
    choice = json.loads((folder / "emilie_toy.json").read_text())
    th = choice["box_threshold"]
    result = T.evaluate_detector(model, processor, n, seed + 5, (th,))[th]
    return {"thresholds": choice, **result}


def masker_backend_check(models: Path) -> dict:
    """The package's own HF masker backend on the toy folders, if it can be imported (its path may move)."""
    try:
        try:
            from emilie_agent.masking.backends.hf import HfDetector, HfSegmenter
        except ImportError:
            from emilie_agent.masker_hf import HfDetector, HfSegmenter
    except Exception as err:  # noqa: BLE001 - only a check
        return {"skipped": f"masker backend not importable: {err}"}
    from emilie_agent.toyworld import demo_scene, demo_scene_scene, mask_of, render

    size = (256, 192)
    picture = demo_scene(size)
    scene = demo_scene_scene(size)
    _, masks, _ = render(scene, size)
    det = HfDetector.load(str(models / "grounding-dino"), device="cpu")
    seg = HfSegmenter.load(str(models / "sam"), device="cpu")
    th = json.loads((models / "grounding-dino" / "emilie_toy.json").read_text())
    emb = seg.embed(picture)
    out = {}
    for noun in ("door", "car", "person", "house", "tree", "sun", "moon", "hat"):
        found = det.detect(picture, f"the {noun}.", th["box_threshold"], th["text_threshold"])
        truth = mask_of(scene, masks, noun)
        if len(found.boxes) == 0:
            out[noun] = {"found": False, "present": bool(truth.any())}
            continue
        best = int(np.argmax(found.scores))
        mask = seg.segment(emb, found.boxes[best:best + 1])[0]
        iou = float((mask & truth).sum() / max(1, (mask | truth).sum()))
        out[noun] = {"found": True, "present": bool(truth.any()), "score": round(float(found.scores[best]), 3),
                     "mask_iou": round(iou, 3)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=ROOT / "emilie_agent" / "toyworld" / "models")
    ap.add_argument("--only", default="files,editor,detector,segmenter,masker")
    ap.add_argument("--pairs", type=int, default=96, help="held-out editor pairs")
    ap.add_argument("--detections", type=int, default=400, help="held-out detector prompts")
    ap.add_argument("--masks", type=int, default=200, help="held-out pictures for SAM (3 boxes each)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sheet", type=Path, default=None, help="save a contact sheet of held-out edits here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    only = set(args.only.split(","))
    report = {}
    t0 = time.time()
    if "files" in only:
        report["files"] = files_report(args.models)
    if "editor" in only:
        report["editor"] = editor_report(args.models / "instruct-pix2pix", args.pairs, args.seed, args.sheet)
    if "detector" in only:
        T._patch_matcher()
        report["detector"] = detector_report(args.models / "grounding-dino", args.detections, args.seed)
    if "segmenter" in only:
        report["segmenter"] = T.evaluate_sam_folder(args.models / "sam", args.masks, args.seed + 9)
    if "masker" in only:
        report["masker_backend_on_demo_scene"] = masker_backend_check(args.models)
    report["seconds"] = round(time.time() - t0)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
