"""The emilie-exact-crop method: emilie-exact, with each masked turn sampled on the latent crop around its mask."""
from __future__ import annotations

import numpy as np

from emilie_agent.evaluation import runner
from emilie_agent.evaluation.datasets import EvalSequence, EvalTurn
from emilie_agent.evaluation.methods import METHODS, parse_methods
from emilie_agent.editing.settings import EditSettings
from tests.fakes import make_picture


def test_the_crop_method_is_emilie_exact_with_crop_sampling():
    crop, exact = parse_methods("emilie-exact-crop")[0], METHODS["emilie-exact"]
    assert crop.local_region == "crop" and exact.local_region == "full"
    assert (crop.runner, crop.latent_mode, crop.masked, crop.preserve) == (
        exact.runner, exact.latent_mode, exact.masked, exact.preserve)
    assert crop.config()["local_region"] == "crop"  # recorded with the results


def test_the_crop_method_edits_under_crop_settings(tiny_editor, monkeypatch):
    seen: list[EditSettings] = []
    edit = runner.EditSession.edit

    def recording(self, instruction, **kwargs):
        seen.append(kwargs["settings"])
        return edit(self, instruction, **kwargs)

    monkeypatch.setattr(runner.EditSession, "edit", recording)
    source = make_picture(64, 64)
    mask = np.zeros((64, 64), np.float32)
    mask[16:32, 16:40] = 1.0
    sequence = EvalSequence("s0", source, [EvalTurn("make the box blue", source, mask=mask)])
    models = runner.EvalModels(editor=tiny_editor, settings=EditSettings(steps=2))
    outputs = runner._run_emilie(METHODS["emilie-exact-crop"], models, sequence, 0)
    assert [s.local_region for s in seen] == ["crop"] and seen[0].preserve == "exact"
    kept = np.asarray(outputs[0].picture)[48:, :]  # far from the mask: the source's pixels
    assert np.array_equal(kept, np.asarray(source)[48:, :])
