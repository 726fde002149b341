#!/usr/bin/env python3
"""The Python API in a few lines: a session with a global turn, a masked turn, an undo and a branch.

    python demos/python_api.py                 # real weights (from the HF cache or the hub)
    python demos/python_api.py --models toy    # the toy models shipped in the package (64 px, offline)
    python demos/python_api.py --models tiny   # tiny random models: the wiring only, pictures are noise
"""
from __future__ import annotations

import argparse

import numpy as np

from emilie_agent import EditSession, EditSettings, EmilieEditor
from emilie_agent.toyworld import demo_scene_scene, mask_of, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="timbrooks/instruct-pix2pix")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("-o", "--output", default="emilie-api-demo")
    args = parser.parse_args()

    editor = EmilieEditor.from_pretrained(args.models)
    scene = demo_scene_scene((512, 384))
    picture, masks, _ = render(scene, (512, 384))
    session = EditSession.start(editor, picture)
    session.edit("make it look like winter", settings=EditSettings(steps=args.steps, seed=1))

    # A mask by hand (white = may change): the door of the drawn scene, exact because the toy world drew it.
    mask = mask_of(scene, masks, "door").astype(np.float32)
    session.edit("make the door blue", mask=mask, settings=EditSettings(steps=args.steps, preserve="exact"))
    session.undo()
    session.edit("make the door green", mask=mask, settings=EditSettings(steps=args.steps, preserve="exact"))
    print(session.describe())
    print("saved to", session.save(args.output))


if __name__ == "__main__":
    main()
