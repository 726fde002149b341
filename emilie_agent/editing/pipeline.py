"""EMILIE: iterative, multi-granular editing with InstructPix2Pix (arXiv 2309.00613), as a diffusers pipeline.

:class:`EmilieEditor` holds InstructPix2Pix's components and runs its own sampling loop over them so that it can

* modulate the text guidance with a mask ``m`` at latent resolution (1 = may change, soft values allowed)::

      eps = eps_uncond + s_T * m * (eps_text - eps_image) + s_I * (eps_image - eps_uncond)

  With ``m = 1`` everywhere this is exactly InstructPix2Pix;
* iterate in latent space: a turn returns its denoised ``z0`` (scaled latent space) and the next turn
  conditions on ``z0 / vae.config.scaling_factor`` (InstructPix2Pix conditions on the *unscaled* VAE latent).
  Only the first turn encodes pixels;
* optionally preserve exactly what lies outside the mask (our extension, as Blended Latent Diffusion): at
  every step the latent outside ``m`` is replaced by the source latent noised to the same level, and
  :meth:`EmilieEditor.edit` composites the output so that pixels outside the feathered mask are the previous
  picture's pixels;
* with exact preservation, optionally sample a local turn on the latent crop around the mask only
  (``local_region="crop"``): outside the mask the latent is overwritten at every step anyway, so the UNet's cost
  follows the mask's size, not the picture's. The crop (mask + a context margin) is pasted back into the full
  latent, which is what the next turn carries.

Loading, saving, moving between devices, CPU offload, progress bars and step callbacks are diffusers'
(``DiffusionPipeline``); this module adds the loop and the names ``tiny`` / ``toy``.

One editor may be shared by sessions in several threads: its runs (sampling, encoding) take turns under one
lock, since the scheduler (and, with CPU offload, the models' placement) is state every run changes.
"""
# No ``from __future__ import annotations``: diffusers reads the types of ``__init__``'s arguments at run time.
import functools
import inspect
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import diffusers
import numpy as np
import PIL.Image
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DiffusionPipeline, StableDiffusionInstructPix2PixPipeline, UNet2DConditionModel
from diffusers.callbacks import MultiPipelineCallbacks, PipelineCallback
from diffusers.image_processor import VaeImageProcessor
from diffusers.schedulers import KarrasDiffusionSchedulers
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor
from transformers import CLIPTextModel, CLIPTokenizer

from .composite import composite
from .settings import (
    DEFAULT_MODEL,
    SCHEDULERS,
    EditSettings,
    LocalRegion,
    Preserve,
    as_settings,
    check_scheduler_available,
    check_scheduler_steps,
)
from ..errors import EditFailedError, InvalidMaskError, InvalidRequestError, ModelNotAvailableError
from ..images import check_max_side, load_image, load_mask, working_size
from ..models.devices import pick_device, pick_dtype
from ..models.loading import (
    MODEL_DEFAULTS_FILE,
    loading_exceptions,
    model_defaults,
    model_not_available,
    resolve_model,
)
from ..text import require_text

DEFAULT_MAX_SIDE = 512  # longest side a picture is edited at, unless the model's folder says otherwise
ProgressCallback = Callable[[int, int], None]  # (steps done, steps in all)


def _one_at_a_time(method):
    """Run ``method`` under the editor's lock: sessions in several threads may share one editor."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._run_lock:
            return method(self, *args, **kwargs)

    return locked


@dataclass
class EmilieEditorOutput(BaseOutput):
    """What :meth:`EmilieEditor.__call__` returns."""

    images: list[PIL.Image.Image] | np.ndarray | torch.Tensor  # output_type="latent": z0, in scaled latent space
    image_latents: torch.Tensor  # z0 / scaling_factor: the unscaled latent the next turn conditions on
    # The latent rows and columns (top, bottom, left, right) that were sampled; None: the whole latent.
    region: tuple[int, int, int, int] | None = None


@dataclass
class EditResult:
    """One turn's output, as :meth:`EmilieEditor.edit` gives it to a session."""

    picture: PIL.Image.Image  # at the input picture's size (composited when preserve="exact")
    image_latent: torch.Tensor  # z0 / scaling_factor on the CPU: what the next turn conditions on
    mask: np.ndarray | None  # the picture-size mask used (None: global)


class EmilieEditor(DiffusionPipeline):
    """InstructPix2Pix's components plus the EMILIE sampling loop, as a diffusers pipeline.

    Load with :meth:`from_pretrained` (a hub id, a folder, ``tiny`` or ``toy``); call it like any diffusers
    pipeline, or use :meth:`edit` for one turn of a session.
    """

    model_cpu_offload_seq = "text_encoder->unet->vae"
    _callback_tensor_inputs = ["latents", "prompt_embeds", "image_latents", "mask"]

    def __init__(
        self,
        vae: AutoencoderKL,
        text_encoder: CLIPTextModel,
        tokenizer: CLIPTokenizer,
        unet: UNet2DConditionModel,
        scheduler: KarrasDiffusionSchedulers,
        max_side: int = DEFAULT_MAX_SIDE,
    ):
        super().__init__()
        if unet.config.in_channels != 2 * vae.config.latent_channels:
            raise ValueError(
                f"an InstructPix2Pix UNet takes noisy latent ++ image latent ({2 * vae.config.latent_channels} "
                f"channels); this one takes {unet.config.in_channels}"
            )
        self.register_modules(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler)
        self.vae_scale_factor = 2 ** (len(vae.config.block_out_channels) - 1)
        self.image_processor = VaeImageProcessor(vae_scale_factor=self.vae_scale_factor)
        self.max_side = max_side
        # What suits this model (from its folder's emilie_toy.json, see from_pretrained); else the defaults.
        self.recommended_settings = EditSettings()
        self.default_max_side = DEFAULT_MAX_SIDE
        self._schedulers: dict[str, Any] = {}
        self._run_lock = threading.RLock()  # one run at a time (re-entrant: a step callback may encode)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(
        cls,
        pretrained_model_name_or_path: str | os.PathLike = DEFAULT_MODEL,
        *,
        device: str | torch.device | None = None,
        torch_dtype: str | torch.dtype | None = None,
        max_side: int | None = None,
        **kwargs,
    ) -> "EmilieEditor":
        """Load from a hub id (default ``timbrooks/instruct-pix2pix``), a local diffusers folder, ``tiny`` or ``toy``.

        The folder may be saved for ``StableDiffusionInstructPix2PixPipeline`` (its safety checker is not
        loaded) or for this pipeline. Device defaults to CUDA, then MPS, then CPU; dtype to fp16 on
        accelerators and fp32 on CPU. ``max_side`` defaults to the size the model's folder recommends, else
        512. Other keyword arguments (``variant``, ``local_files_only``, a component...) go to diffusers.
        Missing weights raise :class:`~emilie_agent.errors.ModelNotAvailableError` with what to do.
        """
        name = os.fspath(pretrained_model_name_or_path)
        if max_side is not None:
            check_max_side(max_side)  # before the weights load
        device = pick_device(device)
        path = resolve_model(name, "instruct-pix2pix")
        # diffusers calls it ``dtype`` (``torch_dtype`` is deprecated there); ours keeps the familiar name.
        kwargs["dtype"] = pick_dtype(device, torch_dtype if torch_dtype is not None else kwargs.pop("dtype", None))
        try:
            editor = super().from_pretrained(path, **kwargs)
        except loading_exceptions() as err:
            raise model_not_available(name, "InstructPix2Pix model", err) from None
        editor.use_model_defaults(model_defaults(path), where=os.path.join(path, MODEL_DEFAULTS_FILE))
        editor.max_side = editor.default_max_side if max_side is None else check_max_side(max_side)
        return editor.to(device)

    @classmethod
    def download(cls, pretrained_model_name: str, **kwargs) -> str | os.PathLike:
        """diffusers' download of a hub model, without the InstructPix2Pix safety checker this pipeline never uses.

        diffusers fetches every folder ``model_index.json`` lists except those of components passed in; naming
        the unused ones as passed keeps the 1.2 GB checker off the disk (``emilie-agent fetch`` skips it too).
        """
        for unused in ("safety_checker", "feature_extractor", "image_encoder"):
            kwargs.setdefault(unused, None)
        return StableDiffusionInstructPix2PixPipeline.download(pretrained_model_name, **kwargs)

    def use_model_defaults(self, defaults: Mapping[str, Any], *, where: str = MODEL_DEFAULTS_FILE) -> None:
        """Take the settings a model recommends (``text_scale``, ``steps``, ... and ``size``, the max side)."""
        try:
            self.recommended_settings = EditSettings(
                **{key: value for key, value in defaults.items() if key in EditSettings.model_fields}
            )
        except InvalidRequestError as err:
            raise ModelNotAvailableError(f"{where}: {err}") from None
        size = defaults.get("size", DEFAULT_MAX_SIDE)
        if not isinstance(size, int) or isinstance(size, bool) or size < 8:
            raise ModelNotAvailableError(f"{where}: size must be a whole number of pixels >= 8, not {size!r}")
        self.default_max_side = size

    def enable_vae_tiling(self) -> None:
        """Encode and decode large pictures tile by tile, to save memory (diffusers 0.42 has this on the VAE only)."""
        self.vae.enable_tiling()

    def disable_vae_tiling(self) -> None:
        self.vae.disable_tiling()

    # ------------------------------------------------------------------ building blocks
    @property
    def scaling_factor(self) -> float:
        return float(self.vae.config.scaling_factor)

    @property
    def num_timesteps(self) -> int:
        """How many steps the current (or last) call runs: what ``callback_on_step_end`` counts up to."""
        return self._num_timesteps

    def working_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (width, height) a picture of ``size`` is edited at."""
        return working_size(size, self.max_side, max(8, self.vae_scale_factor))

    def get_scheduler(self, name: str | None):
        """The scheduler called ``name`` (a SCHEDULERS key), built from this model's scheduler config; None: its own."""
        if name is None:
            return self.scheduler
        if name not in self._schedulers:
            check_scheduler_available(SCHEDULERS[name], name)
            scheduler_class = getattr(diffusers, SCHEDULERS[name])
            self._schedulers[name] = scheduler_class.from_config(self.scheduler.config)
        return self._schedulers[name]

    @_one_at_a_time
    @torch.no_grad()
    def encode_picture(self, picture: PIL.Image.Image) -> torch.Tensor:
        """A picture at any size -> the *unscaled* VAE latent (distribution mode) at working size.

        This is what InstructPix2Pix conditions on; EMILIE needs it for the first turn only.
        """
        picture = load_image(picture)
        width, height = self.working_size(picture.size)
        # diffusers' image processor, as its InstructPix2Pix pipeline uses it: the same arithmetic and the same
        # memory layout (NHWC data viewed as NCHW), so the convolutions round identically, bit for bit.
        pixels = self.image_processor.preprocess(picture, height=height, width=width)
        pixels = pixels.to(self._execution_device, self.vae.dtype)
        return self.vae.encode(pixels).latent_dist.mode()

    @torch.no_grad()
    def encode_prompt(self, prompt: str, device: torch.device) -> torch.Tensor:
        """Text embeddings for the three guidance branches: (text, unconditional, unconditional)."""

        def embed(text: str) -> torch.Tensor:
            tokens = self.tokenizer(
                text,
                padding="max_length",
                max_length=self.tokenizer.model_max_length,
                truncation=True,
                return_tensors="pt",
            )
            use_mask = getattr(self.text_encoder.config, "use_attention_mask", False)
            attention_mask = tokens.attention_mask.to(device) if use_mask else None
            out = self.text_encoder(tokens.input_ids.to(device), attention_mask=attention_mask)[0]
            return out.to(dtype=self.text_encoder.dtype)

        text, uncond = embed(prompt), embed("")
        return torch.cat([text, uncond, uncond])

    @staticmethod
    def latent_mask(mask: np.ndarray | torch.Tensor, latent_hw: tuple[int, int]) -> torch.Tensor:
        """A mask at any resolution -> (1, 1, h, w) at latent resolution: each latent cell takes the largest value
        of the pixels it covers (a max pool, not an area average or nearest).

        Why the max: a small object covers only part of the few latent cells it lies in. Area averaging gives
        those cells m ~ 0.3-0.6, which both weakens the text guidance there and, with exact preservation, blends
        the source back in at every step, so the object keeps its old colour (toy benchmark, recolours with the
        true mask: 26% success with area averaging, 80% with the max). The pixel composite of :meth:`edit` still
        limits the picture's change to the feathered mask. Soft values survive (a cell of 0.3-valued pixels stays
        0.3). A mask already at latent resolution comes back unchanged.
        """
        if isinstance(mask, torch.Tensor):
            m = mask.detach().to("cpu", torch.float32)
        else:
            m = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))
        while m.ndim < 4:
            m = m[None]
        if m.shape[-2] >= latent_hw[0] and m.shape[-1] >= latent_hw[1]:
            return F.adaptive_max_pool2d(m, tuple(latent_hw)).clamp(0, 1)
        return F.interpolate(m, size=tuple(latent_hw), mode="nearest").clamp(0, 1)  # a mask smaller than the latent

    # ------------------------------------------------------------------ the algorithm
    @_one_at_a_time
    @torch.no_grad()
    def __call__(
        self,
        prompt: str,
        image: PIL.Image.Image | None = None,
        *,
        image_latents: torch.Tensor | None = None,
        mask: np.ndarray | torch.Tensor | None = None,
        preserve: Preserve = "guided",
        local_region: LocalRegion = "full",
        crop_margin: int = 32,
        num_inference_steps: int = 20,
        guidance_scale: float = 7.5,
        image_guidance_scale: float = 1.5,
        scheduler: str | None = None,
        generator: torch.Generator | None = None,
        output_type: str = "pil",
        return_dict: bool = True,
        callback_on_step_end: Callable[..., dict] | PipelineCallback | MultiPipelineCallbacks | None = None,
        callback_on_step_end_tensor_inputs: list[str] = ["latents"],  # noqa: B006 - diffusers' signature
    ) -> EmilieEditorOutput | tuple:
        """Edit ``image`` as ``prompt`` says, with EMILIE's mask-modulated guidance.

        Args:
            prompt: the instruction ("make it snow").
            image: the picture; encoded (at :meth:`working_size`) only when ``image_latents`` is not given.
            image_latents: the unscaled latent to condition on: the previous turn's ``image_latents`` (EMILIE's
                latent iteration). None: encode ``image`` (the first turn).
            mask: where the instruction may act (1) and where not (0), soft values allowed, at any resolution
                (area-averaged to the latent's); None: everywhere, i.e. InstructPix2Pix.
            preserve: "guided" (the paper: the mask modulates the text guidance only) or "exact" (also keep the
                latent outside the mask: the source noised to each step's level, the source itself at the end).
            local_region: with ``preserve="exact"`` and a mask, "crop" samples only the latent around the mask
                plus ``crop_margin`` pixels of context (rounded up to whole latent cells, the crop's sides to
                multiples the UNet can halve down), then pastes it back; outside the crop the result is the
                source latent, as in "full". The noise is drawn at full size and cropped, so the seed means the
                same. Ignored (the whole latent) for guided or global calls.
            guidance_scale, image_guidance_scale: s_T and s_I above.
            scheduler: a SCHEDULERS name to sample with; None: ``self.scheduler``.
            generator: the sampling noise, drawn as diffusers' InstructPix2Pix pipeline draws it; exact
                preservation draws its own noise from a second generator seeded one past it.
            output_type: "pil", "np", "pt" or "latent" (z0 in scaled latent space, not decoded).
            callback_on_step_end: called after every step as in diffusers, ``(pipe, step, timestep, tensors)``
                with the tensors named in ``callback_on_step_end_tensor_inputs`` (from ``latents``,
                ``prompt_embeds``, ``image_latents``, ``mask``); the dict it returns replaces them. In crop
                mode they are the crop's.

        Returns:
            :class:`EmilieEditorOutput` (``images``, ``image_latents`` = z0 / scaling_factor), or the tuple
            ``(images, image_latents)`` when ``return_dict`` is False.
        """
        if isinstance(callback_on_step_end, (PipelineCallback, MultiPipelineCallbacks)):
            callback_on_step_end_tensor_inputs = callback_on_step_end.tensor_inputs
        unknown = [name for name in callback_on_step_end_tensor_inputs if name not in self._callback_tensor_inputs]
        if unknown:
            raise ValueError(
                f"callback_on_step_end_tensor_inputs may name {self._callback_tensor_inputs}, not {unknown}"
            )
        if preserve not in ("guided", "exact"):
            raise ValueError(f"preserve must be 'guided' or 'exact', not {preserve!r}")
        if local_region not in ("full", "crop"):
            raise ValueError(f"local_region must be 'full' or 'crop', not {local_region!r}")
        device, dtype = self._execution_device, self.unet.dtype
        sampler = self.get_scheduler(scheduler)
        try:
            check_scheduler_steps(type(sampler).__name__, int(num_inference_steps), scheduler)
        except ValueError as err:
            raise InvalidRequestError(str(err)) from None

        # 1. The instruction, for the three guidance branches.
        prompt_embeds = self.encode_prompt(prompt, device)

        # 2. What the edit conditions on: the carried latent, or (first turn only) the picture encoded.
        if image_latents is None:
            if image is None:
                raise ValueError("give the picture to edit (image=) or the latent to condition on (image_latents=)")
            image_latents = self.encode_picture(image)
        full_source = image_latents.to(device, dtype)

        # 3. The mask at latent resolution; none means everywhere. In crop mode, the part of the latent sampled.
        latent_hw = tuple(full_source.shape[-2:])
        region = None
        if mask is None:
            m = torch.ones((1, 1) + latent_hw, device=device, dtype=dtype)
        else:
            m = self.latent_mask(mask, latent_hw)
            if preserve == "exact" and local_region == "crop":
                region = latent_crop(m, -(-int(crop_margin) // self.vae_scale_factor), self.unet_size_multiple)
            m = m.to(device, dtype)
        inside = (Ellipsis,) if region is None else (Ellipsis, slice(*region[:2]), slice(*region[2:]))
        source, m = full_source[inside], m[inside]
        # Branches: (text, image), (no text, image), (no text, no image).
        branch_latents = torch.cat([source, source, torch.zeros_like(source)])

        # 4. Timesteps and the initial noise, drawn from the generator in diffusers' order.
        sampler.set_timesteps(num_inference_steps, device=device)
        timesteps = sampler.timesteps
        self._num_timesteps = len(timesteps)
        # Drawn at full size (and cropped) so that a seed gives the same noise in both modes.
        latents = randn_tensor(full_source.shape, generator=generator, device=device, dtype=dtype)[inside]
        latents = latents * sampler.init_noise_sigma
        step_kwargs = _step_kwargs(sampler, generator)
        if preserve == "exact":
            full_known = full_source * self.vae.config.scaling_factor  # "unchanged", in the loop's scaled space
            known_latent = full_known[inside]
            blend_noise = randn_tensor(
                full_known.shape, generator=_blend_generator(generator), device=device, dtype=dtype
            )[inside]
            levels = noise_levels(sampler, timesteps, dtype)

        # 5. The loop: modulated 3-way guidance, then (exact) the source put back outside the mask.
        with self.progress_bar(total=len(timesteps)) as progress:
            for i, t in enumerate(timesteps):
                model_input = sampler.scale_model_input(torch.cat([latents] * 3), t)
                model_input = torch.cat([model_input, branch_latents], dim=1)
                eps_text, eps_image, eps_uncond = self.unet(
                    model_input, t, encoder_hidden_states=prompt_embeds, return_dict=False
                )[0].chunk(3)
                # Gradient modulation: the mask scales the text guidance only.
                eps = (
                    eps_uncond
                    + guidance_scale * m * (eps_text - eps_image)
                    + image_guidance_scale * (eps_image - eps_uncond)
                )
                latents = sampler.step(eps, t, latents, **step_kwargs, return_dict=False)[0]

                if preserve == "exact":
                    # Outside m the latent is the source at the noise level the next step expects; after the
                    # last step that is the source itself.
                    if i + 1 < len(timesteps):
                        a, b = levels[i + 1]  # sampler.add_noise(known_latent, blend_noise, timesteps[i + 1])
                        known = a * known_latent + b * blend_noise
                    else:
                        known = known_latent
                    latents = m * latents + (1 - m) * known

                if callback_on_step_end is not None:
                    tensors = dict(latents=latents, prompt_embeds=prompt_embeds, image_latents=branch_latents, mask=m)
                    asked = {name: tensors[name] for name in callback_on_step_end_tensor_inputs}
                    changed = callback_on_step_end(self, i, t, asked)
                    latents = changed.pop("latents", latents)
                    prompt_embeds = changed.pop("prompt_embeds", prompt_embeds)
                    branch_latents = changed.pop("image_latents", branch_latents)
                    m = changed.pop("mask", m)
                progress.update()

        if region is not None:  # the crop back into the source latent (all of the latent outside the crop)
            pasted = full_known.clone()
            pasted[inside] = latents
            latents = pasted
        if not torch.isfinite(latents).all():
            self.maybe_free_model_hooks()
            raise EditFailedError(
                "the edit produced NaN/inf latents (often fp16 overflow): try --dtype float32 or fewer steps; "
                "nothing was recorded"
            )

        # 6. The picture, and what the next turn conditions on: z0 / scaling_factor.
        next_latents = latents / self.vae.config.scaling_factor
        if output_type == "latent":
            images = latents
        else:
            decoded = self.vae.decode(next_latents.to(self.vae.dtype), return_dict=False)[0]
            images = self.image_processor.postprocess(decoded, output_type=output_type)
        self.maybe_free_model_hooks()
        if not return_dict:
            return images, next_latents
        return EmilieEditorOutput(images=images, image_latents=next_latents, region=region)

    @property
    def unet_size_multiple(self) -> int:
        """What a latent's sides should be multiples of for the UNet to halve them down without remainders."""
        return 2 ** (len(self.unet.config.block_out_channels) - 1)

    # ------------------------------------------------------------------ one turn, for a session
    def edit(
        self,
        picture: PIL.Image.Image,
        instruction: str,
        *,
        image_latent: torch.Tensor | None = None,
        mask: np.ndarray | PIL.Image.Image | str | None = None,
        settings: EditSettings | None = None,
        callback: ProgressCallback | None = None,
    ) -> EditResult:
        """One turn: edit ``picture`` (conditioning on ``image_latent`` if given) under ``mask``.

        ``image_latent`` None means the picture is encoded (a first turn, or ``latent_mode="reencode"``, which
        the session decides). ``mask`` is at the picture's size (1 = may change); None means the whole picture.
        ``callback(done, total)`` is called after every step. Bad input raises the package's errors before any
        work is done. ``settings`` None: the model's recommended settings (``recommended_settings``).
        """
        settings = as_settings(settings, self.recommended_settings)
        instruction = require_text(instruction, "instruction", "'make it snow'")
        picture = load_image(picture)
        size = picture.size
        work = self.working_size(size)
        latent_hw = (work[1] // self.vae_scale_factor, work[0] // self.vae_scale_factor)

        pixel_mask = None if mask is None else load_mask(mask, size)
        if pixel_mask is not None and pixel_mask.max() <= 0:
            raise InvalidMaskError("the mask is empty (nothing may change): give a mask with a white area")
        if image_latent is not None and tuple(image_latent.shape[-2:]) != latent_hw:
            raise InvalidRequestError(
                f"the carried latent is {tuple(image_latent.shape[-2:])} but this picture needs {latent_hw}"
            )

        def report(pipe: "EmilieEditor", step: int, timestep, tensors: dict) -> dict:
            callback(step + 1, pipe.num_timesteps)
            return {}

        feather = settings.feather
        if feather is None:  # one latent cell, in picture pixels
            feather = self.vae_scale_factor * max(size) / max(work)
        cropped = settings.preserve == "exact" and pixel_mask is not None and settings.local_region == "crop"
        output = self(
            instruction,
            picture,
            image_latents=image_latent,
            mask=pixel_mask,
            preserve=settings.preserve,
            local_region=settings.local_region,
            crop_margin=settings.crop_margin,
            num_inference_steps=settings.steps,
            guidance_scale=settings.text_scale,
            image_guidance_scale=settings.image_scale,
            scheduler=settings.scheduler,
            generator=self.make_generator(settings.seed),
            callback_on_step_end=report if callback is not None else None,
            output_type="latent" if cropped else "pil",
        )
        if cropped:
            # Only the sampled crop changed: decode it (plus room for the feathered edge) into the picture.
            edited = self.decode_region(output.images, output.region, picture.resize(work, PIL.Image.LANCZOS),
                                        feather * max(work) / max(size))
        else:
            edited = output.images[0]
        if edited.size != size:
            edited = edited.resize(size, PIL.Image.LANCZOS)
        if settings.preserve == "exact" and pixel_mask is not None:
            edited = composite(picture, edited, pixel_mask, feather)
        return EditResult(
            picture=edited,
            image_latent=output.image_latents.detach().to("cpu", torch.float32),
            mask=pixel_mask,
        )

    @_one_at_a_time
    @torch.no_grad()
    def decode_region(
        self,
        latents: torch.Tensor,
        region: tuple[int, int, int, int] | None,
        picture: PIL.Image.Image,
        feather: float = 0.0,
    ) -> PIL.Image.Image:
        """``picture`` (at working size) with the latent's ``region`` decoded over it; None: the whole latent.

        The region is widened by room for a composite's feathered edge (3 x ``feather`` working pixels) and
        two latent cells of context for the decoder, so that the pixels a composite takes from the edit are
        decoded ones; the rest of the picture is ``picture``'s.
        """
        h, w = latents.shape[-2:]
        if region is None:
            top, bottom, left, right = 0, h, 0, w
        else:
            room = 2 + int(np.ceil(3 * feather / self.vae_scale_factor))
            top, bottom = max(region[0] - room, 0), min(region[1] + room, h)
            left, right = max(region[2] - room, 0), min(region[3] + room, w)
        part = latents[..., top:bottom, left:right] / self.vae.config.scaling_factor
        decoded = self.vae.decode(part.to(self.vae.dtype), return_dict=False)[0]
        pixels = self.image_processor.postprocess(decoded, output_type="pil")[0]
        self.maybe_free_model_hooks()
        out = picture.convert("RGB").copy()
        out.paste(pixels, (left * self.vae_scale_factor, top * self.vae_scale_factor))
        return out

    def make_generator(self, seed: int) -> torch.Generator:
        """The generator a seed means, on the device the loop runs on (MPS draws on the CPU)."""
        device = self._execution_device
        return torch.Generator(device="cpu" if device.type == "mps" else device).manual_seed(seed)


def latent_crop(mask: torch.Tensor, margin: int, multiple: int) -> tuple[int, int, int, int] | None:
    """The latent rows and columns (top, bottom, left, right) to sample for a (1, 1, h, w) mask; None: all.

    The smallest box holding every cell the mask touches, widened by ``margin`` cells of context on each side
    and to sides that are multiples of ``multiple`` (kept inside the latent, shifted inwards at its edges).
    """
    h, w = mask.shape[-2:]
    touched = mask.reshape(h, w) > 0
    rows = torch.nonzero(touched.any(dim=1)).flatten().tolist()
    cols = torch.nonzero(touched.any(dim=0)).flatten().tolist()
    if not rows:
        return None

    def span(first: int, last: int, size: int) -> tuple[int, int]:
        lo, hi = max(first - margin, 0), min(last + 1 + margin, size)
        length = min(size, -(-(hi - lo) // multiple) * multiple)
        lo = min(lo, size - length)
        return lo, lo + length

    top, bottom = span(rows[0], rows[-1], h)
    left, right = span(cols[0], cols[-1], w)
    if (top, bottom, left, right) == (0, h, 0, w):
        return None
    return top, bottom, left, right


def noise_levels(sampler, timesteps: torch.Tensor, dtype: torch.dtype) -> list[tuple[float, float]]:
    """``(a, b)`` per timestep such that ``sampler.add_noise(x, noise, t) == a * x + b * noise``, in ``dtype``.

    Every diffusers scheduler's ``add_noise`` is that linear map. Asking it on the CPU, once, before the loop
    keeps its look-ups (a ``.nonzero().item()`` and a copy of the schedule per call) out of the loop, where on
    an accelerator each is a device-to-host sync. The scalars are the very values ``add_noise`` multiplies by
    (rounded to ``dtype``), so the result is the same.
    """
    one, zero = torch.ones(1, dtype=dtype), torch.zeros(1, dtype=dtype)
    levels = []
    for t in timesteps.detach().to("cpu"):
        t = t.reshape(1)
        levels.append((float(sampler.add_noise(one, zero, t)), float(sampler.add_noise(zero, one, t))))
    return levels


def _blend_generator(generator: torch.Generator | None) -> torch.Generator:
    # Exact preservation's noise has its own generator, seeded one past the sampling one, so that turning it on
    # does not shift the sampling noise.
    blend = torch.Generator(device="cpu")
    if generator is None:
        blend.seed()
        return blend
    return blend.manual_seed((generator.initial_seed() + 1) % 2**64)  # a seed of 2**64 - 1 wraps to 0


def _step_kwargs(scheduler, generator: torch.Generator | None) -> dict:
    # Not every scheduler takes a generator (or eta); pass what its step() accepts, as diffusers does.
    params = set(inspect.signature(scheduler.step).parameters)
    kwargs = {}
    if "generator" in params:
        kwargs["generator"] = generator
    if "eta" in params:
        kwargs["eta"] = 0.0
    return kwargs
