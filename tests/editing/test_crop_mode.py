"""Crop mode: a local turn with exact preservation samples only the latent around its mask (tiny models)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from emilie_agent.editing.pipeline import latent_crop
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import InvalidRequestError
from tests.fakes import box_mask, dilate, make_picture

STEPS = 4


class UnetShapes:
    """Records the spatial shape of every latent the UNet is called on."""

    def __init__(self, unet):
        self.shapes: list[tuple[int, int]] = []
        self._handle = unet.register_forward_pre_hook(self._record, with_kwargs=True)

    def _record(self, module, args, kwargs):
        sample = args[0] if args else kwargs["sample"]
        self.shapes.append(tuple(sample.shape[-2:]))

    def close(self):
        self._handle.remove()


def z0(editor, latent, mask, *, region, margin=8, seed=3):
    return editor(
        "add a hat",
        image_latents=latent,
        mask=mask,
        preserve="exact",
        local_region=region,
        crop_margin=margin,
        num_inference_steps=STEPS,
        generator=torch.Generator().manual_seed(seed),
        output_type="latent",
    )


def test_latent_crop_box_margin_multiples_and_edges():
    m = torch.zeros((1, 1, 32, 32))
    m[..., 10:14, 20:23] = 1.0
    # rows 10..13 +- 2 -> 8..16 (8 rows, a multiple of 4); cols 20..22 +- 2 -> 18..25 (7) -> 8 wide: 18..26
    assert latent_crop(m, 2, 4) == (8, 16, 18, 26)
    m = torch.zeros((1, 1, 32, 32))
    m[..., 0:2, 30:32] = 0.3  # a corner: the box is shifted inwards, never outside the latent
    top, bottom, left, right = latent_crop(m, 1, 8)
    assert (top, bottom) == (0, 8) and (left, right) == (24, 32)
    assert latent_crop(torch.ones((1, 1, 16, 16)), 0, 8) is None  # the whole latent: no crop
    assert latent_crop(torch.zeros((1, 1, 16, 16)), 2, 8) is None
    m = torch.zeros((1, 1, 16, 16))
    m[..., 7, 7] = 1.0
    assert latent_crop(m, 8, 2) is None  # the margin reaches every side


def test_unet_sees_only_the_crop_and_the_outside_is_the_source_latent(tiny_editor, picture):
    editor = tiny_editor
    editor.set_progress_bar_config(disable=True)
    latent = editor.encode_picture(picture)  # 64 px -> 32 x 32 latent
    mask = box_mask(picture.size, (16, 16, 32, 28))  # the tiny VAE halves: latent rows 8..13, cols 8..15
    shapes = UnetShapes(editor.unet)
    try:
        cropped = z0(editor, latent, mask, region="crop", margin=4)  # 2 latent cells
        crop_shapes = list(shapes.shapes)
        shapes.shapes.clear()
        full = z0(editor, latent, mask, region="full", margin=4)
        full_shapes = list(shapes.shapes)
    finally:
        shapes.close()
    assert cropped.region == (6, 16, 6, 18)  # rows 8..13 +- 2 = 6..16, cols 8..15 +- 2 = 6..18 (even sides)
    assert crop_shapes == [(10, 12)] * STEPS
    assert full_shapes == [(32, 32)] * STEPS and full.region is None
    assert cropped.images.shape == full.images.shape == (1, 4, 32, 32)
    assert cropped.image_latents.shape == latent.shape  # the carried latent stays full size
    m = editor.latent_mask(mask, (32, 32)).expand_as(full.images)
    source = latent * editor.scaling_factor
    assert torch.equal(cropped.images[m == 0], source[m == 0])  # outside the mask: the source, bit for bit
    assert torch.equal(cropped.images[m == 0], full.images[m == 0])
    assert not torch.allclose(cropped.images[m > 0], source[m > 0])  # inside: edited


def test_crop_mode_equals_full_mode_when_the_mask_covers_everything(tiny_editor, picture):
    editor = tiny_editor
    latent = editor.encode_picture(picture)
    everywhere = np.ones((picture.height, picture.width), np.float32)
    cropped = z0(editor, latent, everywhere, region="crop")
    full = z0(editor, latent, everywhere, region="full")
    assert cropped.region is None
    assert torch.equal(cropped.images, full.images)


def test_crop_mode_is_ignored_for_guided_turns(tiny_editor, picture):
    editor = tiny_editor
    latent = editor.encode_picture(picture)
    mask = box_mask(picture.size, (16, 16, 32, 28))
    kwargs = dict(image_latents=latent, mask=mask, preserve="guided", num_inference_steps=STEPS, output_type="latent")
    cropped = editor("add a hat", local_region="crop", generator=torch.Generator().manual_seed(1), **kwargs)
    full = editor("add a hat", generator=torch.Generator().manual_seed(1), **kwargs)
    assert cropped.region is None and torch.equal(cropped.images, full.images)


def test_edit_in_crop_mode_keeps_size_and_pixels_outside_the_mask(tiny_editor):
    editor = tiny_editor
    original = make_picture(72, 56, seed=3)  # not square: worked at 64 x 48, a 32 x 24 latent
    mask = box_mask(original.size, (20, 12, 40, 30))
    feather = 2.0
    settings = EditSettings(steps=STEPS, preserve="exact", feather=feather, local_region="crop", crop_margin=4)
    far = ~dilate(mask > 0, int(3 * feather) + 1)
    picture, latent = original, editor.encode_picture(original)
    shapes = UnetShapes(editor.unet)
    try:
        for i, instruction in enumerate(["add a hat", "make it red"]):
            turn_settings = settings.replace(seed=i)
            result = editor.edit(picture, instruction, image_latent=latent, mask=mask, settings=turn_settings)
            assert result.picture.size == original.size
            assert result.image_latent.shape == latent.shape
            after, before = np.asarray(result.picture), np.asarray(original)
            assert np.array_equal(after[far], before[far]), f"turn {i + 1} changed pixels outside the mask"
            assert np.abs(after[mask > 0].astype(int) - before[mask > 0].astype(int)).mean() > 1.0
            picture, latent = result.picture, result.image_latent
    finally:
        shapes.close()
    latent_hw = tuple(latent.shape[-2:])
    assert shapes.shapes and all(h < latent_hw[0] or w < latent_hw[1] for h, w in shapes.shapes)


def test_crop_settings_are_checked():
    assert EditSettings().local_region == "full"
    assert EditSettings(local_region="crop", crop_margin=0).crop_margin == 0
    for bad in (dict(local_region="box"), dict(crop_margin=-1), dict(crop_margin=1.5), dict(crop_margin=True)):
        with pytest.raises(InvalidRequestError) as err:
            EditSettings(**bad)
        assert "\n" not in str(err.value)
