#!/usr/bin/env python3
"""Build the tiny random-weight models (the editor's and the masker's) into a folder.

They are what `--models tiny` loads; tests build them on their own into a temporary cache. This script is
for looking at them or shipping them to a machine: `python tools/build_tiny_models.py OUT_DIR [--seed N]`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from emilie_agent.models.loading import tiny_builders

BUILDERS = tiny_builders()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kind", action="append", choices=sorted(BUILDERS), help="only these (default: all)")
    args = parser.parse_args()
    for kind in args.kind or sorted(BUILDERS):
        folder = args.output / kind
        BUILDERS[kind](folder, args.seed)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"{kind}: {folder} ({size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
