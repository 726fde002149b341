"""The EMILIE pipeline on tiny random models: backbone parity, modulation, latent iteration, preservation."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from emilie_agent.editing.composite import composite
from emilie_agent.editing.pipeline import EmilieEditor, EmilieEditorOutput
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import EditFailedError, InvalidMaskError, InvalidRequestError
from tests.fakes import box_mask, dilate, make_picture

STEPS = 6


def z0(editor, image_latents, *, seed, mask=None, steps=STEPS, **kwargs):
    """The pipeline's denoised latent (scaled latent space) for a carried latent, not decoded."""
    return editor(
        "make it snow" if "prompt" not in kwargs else kwargs.pop("prompt"),
        image_latents=image_latents,
        mask=mask,
        num_inference_steps=steps,
        generator=torch.Generator().manual_seed(seed),
        output_type="latent",
        **kwargs,
    ).images


@pytest.mark.parametrize("scheduler", [None, "ddim"])
def test_global_turn_equals_diffusers_pipeline(tiny_editor, picture, scheduler):
    from diffusers import StableDiffusionInstructPix2PixPipeline

    editor = tiny_editor
    editor.set_progress_bar_config(disable=True)
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
    ours = editor(
        "make it snow",
        picture,
        num_inference_steps=STEPS,
        scheduler=scheduler,
        generator=torch.Generator().manual_seed(11),
        output_type="latent",
    ).images
    assert ours.shape == reference.shape == (1, 4, 32, 32)
    assert torch.allclose(ours, reference, atol=1e-4, rtol=0)
    assert torch.equal(ours, reference)  # bit for bit: same arithmetic, same memory layout


def test_second_turn_carries_z0_without_encoding(tiny_editor, picture, monkeypatch):
    editor = tiny_editor
    settings = EditSettings(steps=STEPS, seed=1)
    first = editor.edit(picture, "make it snow", settings=settings)

    captured = {}
    real_unet, real_step = editor.unet.forward, editor.scheduler.step

    def spy_unet(sample, *args, **kwargs):
        captured.setdefault("image_latent", sample[:1, 4:].clone())  # the (text, image) branch's conditioning
        return real_unet(sample, *args, **kwargs)

    def spy_step(*args, **kwargs):
        out = real_step(*args, **kwargs)
        captured["z0"] = out[0].clone()  # the last step's sample is z0
        return out

    def no_encoder(*args, **kwargs):
        raise AssertionError("the VAE encoder ran on a carried turn")

    monkeypatch.setattr(editor.unet, "forward", spy_unet)
    monkeypatch.setattr(editor.scheduler, "step", spy_step)
    monkeypatch.setattr(editor.vae, "encode", no_encoder)
    second = editor.edit(first.picture, "add a hat", image_latent=first.image_latent, settings=settings)
    # Turn 2 conditions on exactly z0(turn 1) / scaling_factor ...
    assert torch.equal(captured["image_latent"], first.image_latent)
    # ... and hands on its own z0 / scaling_factor.
    assert torch.allclose(second.image_latent, captured["z0"] / editor.scaling_factor, atol=0, rtol=0)
    assert editor.scaling_factor == pytest.approx(0.18215)


def test_zero_mask_equals_zero_text_scale_and_ones_equal_global(tiny_editor, picture):
    editor = tiny_editor
    latent = editor.encode_picture(picture)
    zeros = torch.zeros((1, 1, 32, 32))
    ones = torch.ones((1, 1, 32, 32))
    masked_off = z0(editor, latent, mask=zeros, seed=5)
    no_text = z0(editor, latent, seed=5, guidance_scale=0.0)
    assert torch.equal(masked_off, no_text)
    masked_on = z0(editor, latent, mask=ones, seed=5)
    plain = z0(editor, latent, seed=5)
    assert torch.equal(masked_on, plain)
    # And the mask really matters: a half mask gives something in between, different from both.
    half = z0(editor, latent, mask=ones * 0.5, seed=5)
    assert not torch.equal(half, plain) and not torch.equal(half, no_text)


def test_latent_mask_takes_each_cells_largest_value(tiny_editor):
    mask = np.zeros((64, 64), np.float32)
    mask[:, :3] = 1.0  # 1.5 latent cells wide at factor 2
    mask[:, 10:12] = 0.3  # a soft stripe exactly one cell wide
    mask[5, 20] = 1.0  # one pixel
    m = tiny_editor.latent_mask(mask, (32, 32))
    assert m.shape == (1, 1, 32, 32)
    assert m[0, 0, 0, 0].item() == 1.0
    assert m[0, 0, 0, 1].item() == 1.0  # a partly covered cell may change fully (area averaging gave 0.5)
    assert m[0, 0, 0, 2].item() == 0.0
    assert m[0, 0, 0, 5].item() == pytest.approx(0.3)  # soft values stay soft
    assert m[0, 0, 2, 10].item() == 1.0 and m[0, 0, 3, 10].item() == 0.0 and m[0, 0, 2, 11].item() == 0.0
    # Sides that are not multiples of the latent's, and a mask already at latent resolution.
    odd = tiny_editor.latent_mask(np.ones((70, 45), np.float32), (8, 6))
    assert odd.shape == (1, 1, 8, 6) and torch.all(odd == 1)
    same = torch.rand(1, 1, 32, 32)
    assert torch.equal(tiny_editor.latent_mask(same, (32, 32)), same)


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
        settings = settings.replace(seed=i)
        result = editor.edit(picture, instruction, image_latent=latent, mask=mask, settings=settings)
        after = np.asarray(result.picture)
        assert after.shape == before.shape
        assert np.array_equal(after[far], before[far]), f"turn {i + 1} changed pixels outside the mask"
        assert np.abs(after[mask > 0].astype(int) - before[mask > 0].astype(int)).mean() > 1.0
        picture, latent = result.picture, result.image_latent
    assert np.array_equal(np.asarray(picture)[far], np.asarray(original)[far])


def test_exact_preservation_keeps_latent_outside_mask(tiny_editor, picture):
    editor = tiny_editor
    latent = editor.encode_picture(picture)
    m = torch.zeros((1, 1, 32, 32))
    m[..., 8:20, 8:20] = 1.0
    edited = z0(editor, latent, mask=m, preserve="exact", seed=2, prompt="add a hat")
    source = latent * editor.scaling_factor
    outside = (m == 0).expand_as(edited)
    assert torch.equal(edited[outside], source[outside])
    assert not torch.allclose(edited[~outside], source[~outside])


def test_guided_mode_changes_the_whole_picture_less_outside(tiny_editor, picture):
    # The paper's behaviour: modulation only, so pixels outside may move, but the instruction acts less there.
    # What the instruction does = the edit minus the same seed's edit without it (text_scale 0): on random
    # weights the sampling noise alone moves every pixel, so the change from the input says nothing.
    mask = box_mask(picture.size, (16, 16, 48, 48))
    settings = EditSettings(steps=STEPS, seed=3, preserve="guided")
    result = tiny_editor.edit(picture, "add a hat", mask=mask, settings=settings)
    assert result.picture.size == picture.size
    assert result.mask is not None and result.mask.shape == (64, 64)

    everywhere = tiny_editor.edit(picture, "add a hat", mask=np.ones_like(mask), settings=settings)  # m = 1
    no_text = tiny_editor.edit(picture, "add a hat", settings=settings.replace(text_scale=0.0))
    base = np.asarray(no_text.picture, dtype=np.float32)

    def effect(edit, where):
        return float(np.abs(np.asarray(edit.picture, dtype=np.float32) - base)[where].mean())

    outside = ~dilate(mask > 0, 8)  # a few latent cells away: the UNet's receptive field spreads the edit
    inside = mask > 0
    assert effect(everywhere, outside) > 1.0  # the instruction does something on these weights
    assert effect(result, outside) < 0.25 * effect(everywhere, outside)
    # Inside the mask the instruction acts (as strongly as with no mask, give or take the spread from outside).
    assert effect(result, inside) > 0.5 * effect(everywhere, inside)


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
        # Settings are checked when they are made (an InvalidRequestError before any work), so made here.
        (dict(settings=dict(steps=0)), InvalidRequestError, "steps"),
        (dict(settings=dict(preserve="maybe")), InvalidRequestError, "preserve"),
        (dict(settings=dict(scheduler="nope")), InvalidRequestError, "scheduler"),
        (dict(settings=dict(latent_mode="sometimes")), InvalidRequestError, "latent_mode"),
        (dict(settings=dict(text_scale=float("nan"))), InvalidRequestError, "text_scale must be a finite number"),
    ],
)
def test_bad_input_is_refused_clearly(tiny_editor, picture, kwargs, error, message):
    call = dict(instruction="make it snow", settings=dict(steps=2))
    call.update(kwargs)
    instruction = call.pop("instruction")
    with pytest.raises(error, match=message):
        call["settings"] = EditSettings(**call["settings"])
        tiny_editor.edit(picture, instruction, **call)


def test_settings_errors_are_one_line_and_settings_do_not_change():
    with pytest.raises(InvalidRequestError) as info:
        EditSettings(seed="not a number")
    assert "seed" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(InvalidRequestError, match="colour"):
        EditSettings(colour="red")  # a misspelt setting is refused, not ignored
    settings = EditSettings(steps=3)
    assert settings.replace(seed=9).seed == 9 and settings.seed == 0
    with pytest.raises(InvalidRequestError, match="steps"):
        settings.replace(steps=-2)
    with pytest.raises(ValueError):
        settings.steps = 4  # frozen: what a turn was made with cannot drift


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


# ---------------------------------------------------------------------- what diffusers gives the pipeline
def test_components_are_registered_and_save_pretrained_round_trips(tiny_editor, picture, tmp_path):
    assert set(tiny_editor.components) == {"vae", "text_encoder", "tokenizer", "unet", "scheduler"}
    assert tiny_editor.model_cpu_offload_seq == "text_encoder->unet->vae"
    tiny_editor.save_pretrained(tmp_path / "saved")
    index = json.loads((tmp_path / "saved" / "model_index.json").read_text())
    assert index["_class_name"] == "EmilieEditor"
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"] and "safety_checker" not in index

    loaded = EmilieEditor.from_pretrained(str(tmp_path / "saved"), device="cpu")
    assert isinstance(loaded, EmilieEditor) and loaded.dtype == torch.float32
    for a, b in zip(tiny_editor.unet.parameters(), loaded.unet.parameters()):
        assert torch.equal(a, b)
    settings = EditSettings(steps=2, seed=4)
    ours = tiny_editor.edit(picture, "make it snow", settings=settings)
    theirs = loaded.edit(picture, "make it snow", settings=settings)
    assert torch.equal(ours.image_latent, theirs.image_latent)
    assert np.array_equal(np.asarray(ours.picture), np.asarray(theirs.picture))


def test_call_returns_pictures_and_the_latent_the_next_turn_needs(tiny_editor, picture):
    tiny_editor.set_progress_bar_config(disable=True)
    out = tiny_editor("make it snow", picture, num_inference_steps=2, generator=torch.Generator().manual_seed(1))
    assert isinstance(out, EmilieEditorOutput)
    assert isinstance(out.images[0], Image.Image) and out.images[0].size == (64, 64)
    latent = tiny_editor(
        "make it snow", picture, num_inference_steps=2, generator=torch.Generator().manual_seed(1), output_type="latent"
    ).images
    assert torch.equal(out.image_latents, latent / tiny_editor.scaling_factor)
    images, image_latents = tiny_editor(
        "make it snow", picture, num_inference_steps=2, generator=torch.Generator().manual_seed(1), return_dict=False
    )
    assert torch.equal(image_latents, out.image_latents)
    with pytest.raises(ValueError, match="image"):
        tiny_editor("make it snow", num_inference_steps=2)


def test_callback_on_step_end_is_called_once_per_step_and_can_change_the_latents(tiny_editor, picture):
    tiny_editor.set_progress_bar_config(disable=True)
    calls = []

    def record(pipe, step, timestep, tensors):
        calls.append((step, int(timestep), sorted(tensors)))
        return {}

    generator = torch.Generator().manual_seed(2)
    plain = tiny_editor(
        "make it snow", picture, num_inference_steps=STEPS, generator=generator, output_type="latent",
        callback_on_step_end=record, callback_on_step_end_tensor_inputs=["latents", "mask"],
    ).images
    assert [c[0] for c in calls] == list(range(STEPS))
    assert [c[1] for c in calls] == [int(t) for t in tiny_editor.scheduler.timesteps]
    assert all(c[2] == ["latents", "mask"] for c in calls)

    def zero_at_the_end(pipe, step, timestep, tensors):
        return {"latents": torch.zeros_like(tensors["latents"])} if step == pipe.num_timesteps - 1 else {}

    zeroed = tiny_editor(
        "make it snow", picture, num_inference_steps=STEPS, generator=torch.Generator().manual_seed(2),
        output_type="latent", callback_on_step_end=zero_at_the_end,
    ).images
    assert not torch.equal(plain, zeroed) and torch.count_nonzero(zeroed) == 0
    with pytest.raises(ValueError, match="callback_on_step_end_tensor_inputs"):
        tiny_editor("make it snow", picture, num_inference_steps=1, callback_on_step_end=record,
                    callback_on_step_end_tensor_inputs=["noise"])


def test_progress_bar_follows_set_progress_bar_config(tiny_editor, picture, capsys):
    settings = EditSettings(steps=3)
    tiny_editor.set_progress_bar_config(disable=False)
    tiny_editor.edit(picture, "make it snow", settings=settings)
    assert "3/3" in capsys.readouterr().err
    tiny_editor.set_progress_bar_config(disable=True)
    tiny_editor.edit(picture, "make it snow", settings=settings)
    assert "3/3" not in capsys.readouterr().err


def test_vae_tiling_can_be_enabled_and_a_large_picture_still_edits(tiny_editor):
    old = tiny_editor.max_side
    tiny_editor.max_side = 160  # above the tiny VAE's 64-pixel tile, so the tiles are used
    tiny_editor.enable_vae_tiling()
    try:
        assert tiny_editor.vae.use_tiling
        result = tiny_editor.edit(make_picture(150, 100), "make it snow", settings=EditSettings(steps=2))
        assert result.picture.size == (150, 100)
        assert torch.isfinite(result.image_latent).all()
    finally:
        tiny_editor.disable_vae_tiling()
        tiny_editor.max_side = old
    assert not tiny_editor.vae.use_tiling


@pytest.mark.skipif(not torch.cuda.is_available(), reason="model CPU offload needs an accelerator")
def test_model_cpu_offload_gives_the_same_edit(tiny_model_cache, picture):
    settings = EditSettings(steps=2, seed=3)
    on_gpu = EmilieEditor.from_pretrained("tiny", device="cuda", torch_dtype="float32")
    offloaded = EmilieEditor.from_pretrained("tiny", device="cpu", torch_dtype="float32")
    offloaded.enable_model_cpu_offload()
    a = on_gpu.edit(picture, "make it snow", settings=settings)
    b = offloaded.edit(picture, "make it snow", settings=settings)
    assert torch.allclose(a.image_latent, b.image_latent, atol=1e-5)
