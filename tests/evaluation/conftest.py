"""A MagicBrush test folder in the published layout, drawn here (a few toy scenes), for the readers and the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from emilie_agent.toyworld import sample_chain

SIZE = (48, 40)


def write_magicbrush(root, sessions: int = 2, turns=(2, 1)):
    """``root/test`` with edit_sessions.json, images/<id>/... and local_descriptions.json; masks as MagicBrush
    ships them vary: RGBA with the area transparent, or black and white."""
    test = root / "test"
    edits, captions = {}, {}
    for s in range(sessions):
        img_id = str(100 + s)
        folder = test / "images" / img_id
        folder.mkdir(parents=True)
        pairs = sample_chain(np.random.default_rng(s), turns[s % len(turns)], "heldout", SIZE)
        pairs[0].source.save(folder / f"{img_id}-input.png")
        edits[img_id], captions[img_id] = [], {}
        for t, pair in enumerate(pairs, start=1):
            pair.target.save(folder / f"{img_id}-output{t}.png")
            if t % 2:
                alpha = np.where(pair.mask, 0, 255).astype(np.uint8)
                mask = Image.fromarray(np.dstack([np.asarray(pair.source), alpha]), "RGBA")
            else:
                mask = Image.fromarray(np.where(pair.mask, 255, 0).astype(np.uint8), "L")
            mask.save(folder / f"{img_id}-mask{t}.png")
            edits[img_id].append({"input": f"{img_id}-input.png" if t == 1 else f"{img_id}-output{t - 1}.png",
                                  "mask": f"{img_id}-mask{t}.png", "output": f"{img_id}-output{t}.png",
                                  "instruction": pair.instruction})
            captions[img_id][f"{img_id}-output{t}.png"] = f"a cartoon street, turn {t}"
    (test / "edit_sessions.json").write_text(json.dumps(edits))
    (test / "local_descriptions.json").write_text(json.dumps(captions))
    return test


@pytest.fixture
def magicbrush_folder(tmp_path):
    return write_magicbrush(tmp_path / "MagicBrush")
