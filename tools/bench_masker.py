#!/usr/bin/env python3
"""Benchmark the masker: time of a second phrase on the same picture / time of the first.

The first phrase pays for the picture (SAM image embedding, detector preprocessing and vision backbone); the
second reuses all of that and pays only for the phrase (text fusion, box decoding, SAM's mask decoder).
Goal: <= 0.2 on the tiny models. Each figure is the median over --repeats fresh pictures.

Usage: python tools/bench_masker.py [--models tiny] [--size 512] [--repeats 5]
       python tools/bench_masker.py --detector IDEA-Research/grounding-dino-tiny --segmenter facebook/sam-vit-base
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def picture(size: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    arr = np.zeros((size, size * 3 // 4, 3), np.float32) + (110, 160, 230)
    arr[size // 2 :] = (80, 150, 70)
    arr[size // 4 : size // 2, size // 5 : size // 2] = (210, 40, 40)
    arr += rng.normal(0, 12, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny")
    parser.add_argument("--detector", default=None)
    parser.add_argument("--segmenter", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=512, help="picture height (width is 3/4 of it)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import torch

    from emilie_agent.masking.masker import Masker

    torch.manual_seed(0)
    masker = Masker.from_pretrained(args.detector or args.models, args.segmenter or args.models, device=args.device)
    # Warm up (first calls allocate and pick kernels), on a picture not used below.
    masker.mask(picture(args.size, 999), "the red box", box_threshold=0.0)

    firsts, seconds = [], []
    for seed in range(args.repeats):
        image = picture(args.size, seed)
        start = time.perf_counter()
        masker.mask(image, "the red box", box_threshold=0.0)
        firsts.append(time.perf_counter() - start)
        start = time.perf_counter()
        masker.mask(image, "the green grass", box_threshold=0.0)
        seconds.append(time.perf_counter() - start)
    first, second = statistics.median(firsts), statistics.median(seconds)
    ratio = second / first
    print(f"picture {args.size * 3 // 4}x{args.size}, models {args.detector or args.models} + {args.segmenter or args.models}, {args.device}")
    print(f"first phrase on a picture   {first * 1000:8.1f} ms (median of {args.repeats})")
    print(f"second phrase, same picture {second * 1000:8.1f} ms")
    print(f"second / first = {ratio:.3f}   (goal <= 0.2) {'OK' if ratio <= 0.2 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
