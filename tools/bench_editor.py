#!/usr/bin/env python3
"""Benchmark the EMILIE editor on the tiny models (or any model) and print the figures.

(a) one EMILIE turn (carried latent) / diffusers' pipeline call doing the same steps   goal <= 1.0
(b) turn 20 time / turn 1 time over a 20-turn session, and resident memory growth      goal <= 1.1, flat
(c) share of a turn spent inside UNet / VAE forwards                                    goal >= 0.9

Usage: python tools/bench_editor.py [--models tiny] [--size 128] [--steps 10] [--turns 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from PIL import Image


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class ForwardTimer:
    """Adds up wall time spent inside the wrapped modules' forward calls."""

    def __init__(self, *modules):
        self.seconds = 0.0
        self._depth = 0
        for module in modules:
            module.register_forward_pre_hook(self._pre)
            module.register_forward_hook(self._post)

    def _pre(self, *_):
        if self._depth == 0:
            self._start = time.perf_counter()
        self._depth += 1

    def _post(self, *_):
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._start


def picture(size: int) -> Image.Image:
    rng = np.random.default_rng(0)
    arr = np.zeros((size, size, 3), np.float32) + (110, 160, 230)
    arr[size // 2 :] = (80, 150, 70)
    arr += rng.normal(0, 10, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    from diffusers import StableDiffusionInstructPix2PixPipeline

    from emilie_agent.editing.pipeline import EmilieEditor
    from emilie_agent.editing.settings import EditSettings
    from emilie_agent.editing.session import EditSession

    editor = EmilieEditor.from_pretrained(args.models, device=args.device, max_side=args.size)
    pipe = StableDiffusionInstructPix2PixPipeline(
        **editor.components, safety_checker=None, feature_extractor=None, requires_safety_checker=False
    )
    pipe.set_progress_bar_config(disable=True)
    editor.set_progress_bar_config(disable=True)  # both timed without a progress bar
    pic = picture(args.size)
    settings = EditSettings(steps=args.steps, seed=0)
    sync = torch.cuda.synchronize if editor.device.type == "cuda" else (lambda: None)
    print(f"device {editor.device}, dtype {editor.dtype}, picture {args.size}x{args.size}, {args.steps} steps, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    session = EditSession.start(editor, pic)
    session.edit("warm up", settings=settings)  # first calls allocate and pick kernels

    # (a) EMILIE turn vs diffusers' pipeline call (which encodes the picture every time).
    ours, theirs = [], []
    for i in range(args.repeats):
        sync(); t = time.perf_counter()
        session.edit(f"make it snow {i}", settings=settings)
        sync(); ours.append(time.perf_counter() - t)
        sync(); t = time.perf_counter()
        pipe(f"make it snow {i}", image=session.current.picture, num_inference_steps=args.steps,
             generator=torch.Generator(editor.device).manual_seed(0))
        sync(); theirs.append(time.perf_counter() - t)
    ratio_a = statistics.median(ours) / statistics.median(theirs)
    print(f"(a) EMILIE turn {statistics.median(ours):.3f} s / diffusers pipeline {statistics.median(theirs):.3f} s "
          f"= {ratio_a:.3f}  (goal <= 1.0)")

    # (b) + (c) a long session.
    timer = ForwardTimer(editor.unet, editor.vae)
    session = EditSession.start(editor, pic)
    times, inside, rss = [], [], []
    for turn in range(1, args.turns + 1):
        timer.seconds = 0.0
        sync(); t = time.perf_counter()
        session.edit(f"edit number {turn}", settings=EditSettings(steps=args.steps, seed=turn))
        sync(); elapsed = time.perf_counter() - t
        times.append(elapsed)
        inside.append(timer.seconds / elapsed)
        rss.append(rss_mb())
    first = statistics.median(times[:3])
    last = statistics.median(times[-3:])
    print(f"(b) turn {args.turns} / turn 1 (median of 3 at each end) = {last:.3f} s / {first:.3f} s = "
          f"{last / first:.3f}  (goal <= 1.1)")
    print(f"    resident memory turn 1 {rss[0]:.0f} MiB -> turn {args.turns} {rss[-1]:.0f} MiB "
          f"(+{rss[-1] - rss[0]:.1f} MiB; history holds {args.turns} pictures + latents on the CPU)")
    print(f"(c) share of a turn inside UNet/VAE forwards = {statistics.median(inside):.3f}  (goal >= 0.9)")


if __name__ == "__main__":
    main()
