"""The EMILIE editor on tiny random models: backbone parity, modulation, latent iteration, preservation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from emilie_agent.editing.editor import EditSettings, composite
from emilie_agent.errors import EditFailedError, InvalidMaskError, InvalidRequestError
from tests.fakes import dilate, make_picture

STEPS = 6


def box_mask(size, box):
    w, h = size
    m = np.zeros((h, w), np.float32)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = 1.0
    return m


@pytest.mark.parametrize("scheduler", [None, "ddim"])
def test_global_turn_equals_diffusers_pipeline(tiny_editor, picture, scheduler):
    from diffusers import StableDiffusionInstructPix2PixPipeline

    editor = tiny_editor
    pipe = StableDiffusionInstructPix2PixPipeline(
        **{**editor.components, "scheduler": editor.get_scheduler(scheduler)},
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    reference = pipe(
        "make it snow",
        image=picture,
        num_inference_steps=STEPS,
        guidance_scale=7.5,
        image_guidance_scale=1.5,
        generator=torch.Generator().manual_seed(11),
        output_type="latent",
    ).images
    image_latent = editor.encode_image(picture)
    ours = editor.denoise("make it snow", image_latent, steps=STEPS, seed=11, scheduler=scheduler)
    assert ours.shape == reference.shape == (1, 4, 32, 32)
    assert torch.allclose(ours, reference, atol=1e-4, rtol=0)


def test_second_turn_carries_z0_without_encoding(tiny_editor, picture, monkeypatch):
    editor = tiny_editor
    settings = EditSettings(steps=STEPS, seed=1)
    first = editor.edit(picture, "make it snow", settings=settings)

    captured = {}
    real_denoise = editor.denoise

    def spy_denoise(instruction, image_latent, **kwargs):
        captured["image_latent"] = image_latent.clone()
        z0 = real_denoise(instruction, image_latent, **kwargs)
        captured["z0"] = z0.clone()
        return z0

    def no_encoder(*args, **kwargs):
        raise AssertionError("the VAE encoder ran on a carried turn")

    monkeypatch.setattr(editor, "denoise", spy_denoise)
    monkeypatch.setattr(editor.vae, "encode", no_encoder)
    second = editor.edit(first.picture, "add a hat", image_latent=first.image_latent, settings=settings)
    # Turn 2 conditions on exactly z0(turn 1) / scaling_factor ...
    assert torch.equal(captured["image_latent"], first.image_latent)
    # ... and hands on its own z0 / scaling_factor.
    assert torch.allclose(second.image_latent, captured["z0"] / editor.scaling_factor, atol=0, rtol=0)
    assert editor.scaling_factor == pytest.approx(0.18215)


def test_zero_mask_equals_zero_text_scale_and_ones_equal_global(tiny_editor, picture):
    editor = tiny_editor
    latent = editor.encode_image(picture)
    zeros = torch.zeros((1, 1, 32, 32))
    ones = torch.ones((1, 1, 32, 32))
    masked_off = editor.denoise("make it snow", latent, mask=zeros, steps=STEPS, seed=5)
    no_text = editor.denoise("make it snow", latent, steps=STEPS, seed=5, text_scale=0.0)
    assert torch.equal(masked_off, no_text)
    masked_on = editor.denoise("make it snow", latent, mask=ones, steps=STEPS, seed=5)
    plain = editor.denoise("make it snow", latent, steps=STEPS, seed=5)
    assert torch.equal(masked_on, plain)
    # And the mask really matters: a half mask gives something in between, different from both.
    half = editor.denoise("make it snow", latent, mask=ones * 0.5, steps=STEPS, seed=5)
    assert not torch.equal(half, plain) and not torch.equal(half, no_text)


def test_latent_mask_is_area_averaged(tiny_editor):
    mask = np.zeros((64, 64), np.float32)
    mask[:, :3] = 1.0  # 1.5 latent cells wide at factor 2
    m = tiny_editor.latent_mask(mask, (32, 32))
    assert m.shape == (1, 1, 32, 32)
    assert m[0, 0, 0, 0].item() == pytest.approx(1.0)
    assert m[0, 0, 0, 1].item() == pytest.approx(0.5)  # nearest would give 0 or 1
    assert m[0, 0, 0, 2].item() == 0.0


def test_exact_preservation_over_several_local_turns(tiny_editor):
    editor = tiny_editor
    original = make_picture(72, 56, seed=3)  # not square, resized to a multiple of 8 internally
    mask = box_mask(original.size, (20, 12, 48, 40))
    feather = 2.0
    settings = EditSettings(steps=4, preserve="exact", feather=feather)
    # Beyond the feather: more than 3 sigma from the mask (the blur's 8-bit tail rounds to 0 there).
    far = ~dilate(mask > 0, int(3 * feather) + 1)

    picture, latent = original, None
    before = np.asarray(original)
    for i, instruction in enumerate(["add a hat", "make it red", "add stars"]):
        settings.seed = i
        result = editor.edit(picture, instruction, image_latent=latent, mask=mask, settings=settings)
        after = np.asarray(result.picture)
        assert after.shape == before.shape
        assert np.array_equal(after[far], before[far]), f"turn {i + 1} changed pixels outside the mask"
        assert np.abs(after[mask > 0].astype(int) - before[mask > 0].astype(int)).mean() > 1.0
        picture, latent = result.picture, result.image_latent
    assert np.array_equal(np.asarray(picture)[far], np.asarray(original)[far])


def test_exact_preservation_keeps_latent_outside_mask(tiny_editor, picture):
    editor = tiny_editor
    latent = editor.encode_image(picture)
    m = torch.zeros((1, 1, 32, 32))
    m[..., 8:20, 8:20] = 1.0
    z0 = editor.denoise("add a hat", latent, mask=m, preserve="exact", steps=STEPS, seed=2)
    source = latent * editor.scaling_factor
    outside = (m == 0).expand_as(z0)
    assert torch.equal(z0[outside], source[outside])
    assert not torch.allclose(z0[~outside], source[~outside])


def test_guided_mode_changes_the_whole_picture_less_outside(tiny_editor, picture):
    # The paper's behaviour: modulation only, so pixels outside may move, but less than inside.
    mask = box_mask(picture.size, (16, 16, 48, 48))
    result = tiny_editor.edit(picture, "add a hat", mask=mask, settings=EditSettings(steps=STEPS, preserve="guided"))
    assert result.picture.size == picture.size
    assert result.mask is not None and result.mask.shape == (64, 64)


def test_same_seed_same_output_and_other_seed_differs(tiny_editor, picture):
    a = tiny_editor.edit(picture, "make it snow", settings=EditSettings(steps=STEPS, seed=7))
    b = tiny_editor.edit(picture, "make it snow", settings=EditSettings(steps=STEPS, seed=7))
    c = tiny_editor.edit(picture, "make it snow", settings=EditSettings(steps=STEPS, seed=8))
    assert np.array_equal(np.asarray(a.picture), np.asarray(b.picture))
    assert torch.equal(a.image_latent, b.image_latent)
    assert not torch.equal(a.image_latent, c.image_latent)


@pytest.mark.parametrize("size", [(1, 1), (37, 91), (130, 17)])
def test_any_size_comes_back_at_its_own_size(tiny_editor, size):
    picture = make_picture(*size)
    result = tiny_editor.edit(picture, "make it snow", settings=EditSettings(steps=2))
    assert result.picture.size == size


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "I;16", "LA", "CMYK"])
def test_odd_picture_modes_are_accepted(tiny_editor, mode):
    base = make_picture(40, 24)
    picture = base.convert(mode) if mode != "I;16" else Image.fromarray((np.asarray(base.convert("L"), np.uint16) * 257))
    result = tiny_editor.edit(picture, "make it snow", settings=EditSettings(steps=2))
    assert result.picture.mode == "RGB" and result.picture.size == (40, 24)


def test_large_picture_works_at_max_side(tiny_editor):
    tiny_editor.max_side, old = 64, tiny_editor.max_side
    try:
        picture = make_picture(300, 150)
        result = tiny_editor.edit(picture, "make it snow", settings=EditSettings(steps=2))
        assert result.picture.size == (300, 150)
        assert tuple(result.image_latent.shape[-2:]) == (16, 32)  # 64x32 working size / 2
    finally:
        tiny_editor.max_side = old


def test_nan_latents_raise_clear_error(tiny_editor, picture, monkeypatch):
    real_step = tiny_editor.unet.forward

    def nan_unet(*args, **kwargs):
        out = real_step(*args, **kwargs)
        return (out[0] * float("nan"),)

    monkeypatch.setattr(tiny_editor.unet, "forward", nan_unet)
    with pytest.raises(EditFailedError, match="NaN"):
        tiny_editor.edit(picture, "make it snow", settings=EditSettings(steps=2))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(instruction="   "), InvalidRequestError, "empty"),
        (dict(mask=np.zeros((10, 10), np.float32)), InvalidMaskError, "same size"),
        (dict(mask=np.zeros((64, 64), np.float32)), InvalidMaskError, "empty"),
        (dict(mask=np.full((64, 64), np.nan, np.float32)), InvalidMaskError, "NaN"),
        (dict(settings=EditSettings(steps=0)), InvalidRequestError, "steps"),
        (dict(settings=EditSettings(preserve="maybe")), InvalidRequestError, "preserve"),
        (dict(settings=EditSettings(scheduler="nope")), InvalidRequestError, "scheduler"),
    ],
)
def test_bad_input_is_refused_clearly(tiny_editor, picture, kwargs, error, message):
    call = dict(instruction="make it snow", settings=EditSettings(steps=2))
    call.update(kwargs)
    instruction = call.pop("instruction")
    with pytest.raises(error, match=message):
        tiny_editor.edit(picture, instruction, **call)


def test_composite_is_bit_exact_where_feathered_mask_is_zero():
    rng = np.random.default_rng(0)
    before = Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8))
    after = Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8))
    mask = box_mask((40, 30), (10, 10, 20, 20))
    out = np.asarray(composite(before, after, mask, feather=1.0))
    far = ~dilate(mask > 0, 4)
    assert np.array_equal(out[far], np.asarray(before)[far])
    assert np.array_equal(out[12:18, 12:18], np.asarray(after)[12:18, 12:18])


def test_exif_orientation_is_applied():
    import io

    from emilie_agent.images import load_image

    picture = make_picture(40, 24)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: a viewer shows it 24 wide, 40 high
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    assert load_image(Image.open(buffer)).size == (24, 40)
    assert load_image(picture).size == (40, 24)
