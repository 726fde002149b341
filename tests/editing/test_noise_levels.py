"""noise_levels: the loop's exact-preservation noising, computed before the loop, equals each scheduler's add_noise."""
from __future__ import annotations

import diffusers
import pytest
import torch

from emilie_agent.editing.pipeline import noise_levels
from emilie_agent.editing.settings import SCHEDULERS


@pytest.mark.parametrize("name", [n for n in SCHEDULERS if n != "lms"])  # lms needs scipy
def test_levels_reproduce_add_noise_bit_for_bit(tiny_editor, name):
    sampler = getattr(diffusers, SCHEDULERS[name]).from_config(tiny_editor.scheduler.config)
    sampler.set_timesteps(6)
    generator = torch.Generator().manual_seed(0)
    x, noise = torch.randn(4, 8, 8, generator=generator), torch.randn(4, 8, 8, generator=generator)
    levels = noise_levels(sampler, sampler.timesteps, torch.float32)
    assert len(levels) == len(sampler.timesteps)
    for (a, b), t in zip(levels, sampler.timesteps):
        expected = sampler.add_noise(x[None], noise[None], t.reshape(1))
        assert torch.equal(a * x[None] + b * noise[None], expected), (name, int(t))
    assert levels[0][1] > levels[-1][1]  # more noise at the first timestep than at the last
