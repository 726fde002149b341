"""The toy world: synthetic scenes, their exact masks, edits as parameter changes, and instructions.

Pure numpy / PIL and deterministic from a seed. Small models trained on it (``tools/train_toy.py``) are
shipped in ``emilie_agent/toyworld/models/`` so that the project makes real edits offline.
"""
from __future__ import annotations

from pathlib import Path

from .dataset import Pair, demo_scene, demo_scene_scene, edit_mask, make_pair, random_picture, sample_chain, sample_edit, sample_pair
from .draw import mask_of, object_names, objects_named, render
from .edits import GLOBAL_KINDS, KINDS, LOCAL_KINDS, Edit, apply, possible_edits
from .phrasings import HELDOUT_COMBOS, SPLITS, TEMPLATES, all_phrasings, phrase, vocabulary
from .scene import COLOURS, SEASONS, TIMES, Car, Hill, House, Person, Scene, Tree, random_scene

MODELS_DIR = Path(__file__).parent / "models"

__all__ = [
    "COLOURS", "GLOBAL_KINDS", "HELDOUT_COMBOS", "KINDS", "LOCAL_KINDS", "MODELS_DIR", "SEASONS", "SPLITS",
    "TEMPLATES", "TIMES", "Car", "Edit", "Hill", "House", "Pair", "Person", "Scene", "Tree", "all_phrasings",
    "apply", "demo_scene", "demo_scene_scene", "edit_mask", "make_pair", "mask_of", "object_names",
    "objects_named", "phrase", "possible_edits", "random_picture", "random_scene", "render", "sample_chain",
    "sample_edit", "sample_pair", "vocabulary",
]
