#!/usr/bin/env python3
"""The Python API in a few lines: a session with a global turn, a masked turn, an undo and a branch.

    python demos/python_api.py                 # real weights (from the HF cache or the hub)
    python demos/python_api.py --models tiny   # tiny random models: the wiring only, pictures are noise
"""
from __future__ import annotations

import argparse

import numpy as np

from emilie_agent import EditSession, EditSettings, EmilieEditor
from emilie_agent.cli.demo_scene import draw_scene


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="timbrooks/instruct-pix2pix")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("-o", "--output", default="emilie-api-demo")
    args = parser.parse_args()

    editor = EmilieEditor.from_pretrained(args.models)
    session = EditSession.start(editor, draw_scene())
    session.edit("make it look like winter", settings=EditSettings(steps=args.steps, seed=1))

    # A hand-made mask: the door of the drawn scene (white = may change).
    mask = np.zeros((384, 512), np.float32)
    mask[230:300, 100:140] = 1.0
    session.edit("make the door blue", mask=mask, settings=EditSettings(steps=args.steps, preserve="exact"))
    session.undo()
    session.edit("make the door green", mask=mask, settings=EditSettings(steps=args.steps, preserve="exact"))
    print(session.describe())
    print("saved to", session.save(args.output))


if __name__ == "__main__":
    main()
