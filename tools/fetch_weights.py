#!/usr/bin/env python3
"""Download the real model weights into the Hugging Face cache (or a folder), on a machine with network.

    python tools/fetch_weights.py                       # the default editor + masker models
    python tools/fetch_weights.py timbrooks/instruct-pix2pix --local-dir models/ip2p

Afterwards emilie-agent finds them in the cache (also with HF_HUB_OFFLINE=1), or pass the folder with
--models / --detector / --segmenter. To move them to an offline machine, copy ~/.cache/huggingface/hub
(or the --local-dir folders).
"""
from __future__ import annotations

import argparse
import sys

DEFAULTS = ["timbrooks/instruct-pix2pix", "IDEA-Research/grounding-dino-tiny", "facebook/sam-vit-base"]
# Not needed by emilie-agent: the safety checker, the original training checkpoint, other frameworks' files.
SKIP = ["safety_checker/*", "*.ckpt", "*.h5", "*.msgpack", "*.onnx"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", nargs="*", help="hub ids (default: the editor and masker defaults)")
    parser.add_argument("--local-dir", help="download into this folder instead of the cache (one repo only)")
    args = parser.parse_args()
    from huggingface_hub import snapshot_download

    repos = args.repos or DEFAULTS
    if args.local_dir and len(repos) != 1:
        parser.error("--local-dir takes exactly one repo")
    for repo in repos:
        try:
            path = snapshot_download(repo, local_dir=args.local_dir, ignore_patterns=SKIP)
        except Exception as err:  # noqa: BLE001 - report any download failure as one line
            print(f"fetch_weights: could not download {repo}: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        print(f"{repo}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
