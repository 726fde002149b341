"""EMILIE: iterative, multi-granular editing with InstructPix2Pix (arXiv 2309.00613).

The editor runs its own sampling loop over diffusers' InstructPix2Pix components so that it can

* modulate the text guidance with a mask ``m`` at latent resolution (1 = may change, soft values allowed)::

      eps = eps_uncond + s_T * m * (eps_text - eps_image) + s_I * (eps_image - eps_uncond)

  With ``m = 1`` everywhere this is exactly InstructPix2Pix;
* iterate in latent space: a turn returns its denoised ``z0`` (scaled latent space) and the next turn
  conditions on ``z0 / vae.config.scaling_factor`` (InstructPix2Pix conditions on the *unscaled* VAE latent).
  Only the first turn encodes pixels;
* optionally preserve exactly what lies outside the mask (our extension, as Blended Latent Diffusion): at
  every step the latent outside ``m`` is replaced by the source latent noised to the same level, and the
  output picture is composited so that pixels outside the feathered mask are the previous picture's pixels.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from ..models.devices import pick_device, pick_dtype
from ..errors import EditFailedError, InvalidMaskError, InvalidRequestError
from ..images import load_image, load_mask, working_size
from ..models.loading import loading_exceptions, model_not_available, resolve_model

DEFAULT_MODEL = "timbrooks/instruct-pix2pix"
Preserve = Literal["guided", "exact"]
ProgressCallback = Callable[[int, int], None]  # (steps done, steps in all)

# Scheduler names a user can pick; each is built from the model's own scheduler config.
SCHEDULERS = {
    "euler_a": "EulerAncestralDiscreteScheduler",
    "euler": "EulerDiscreteScheduler",
    "ddim": "DDIMScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "unipc": "UniPCMultistepScheduler",
    "pndm": "PNDMScheduler",
    "lms": "LMSDiscreteScheduler",
}


@dataclass
class EditSettings:
    """What a turn was made with; stored with every turn so that it can be reproduced."""

    steps: int = 20
    text_scale: float = 7.5
    image_scale: float = 1.5
    seed: int = 0
    preserve: Preserve = "guided"
    scheduler: str | None = None  # None: the model's own
    feather: float | None = None  # composite feather radius in picture pixels; None: one latent cell

    def validate(self) -> None:
        if not isinstance(self.steps, int) or self.steps < 1 or self.steps > 1000:
            raise InvalidRequestError(f"steps must be an integer from 1 to 1000, not {self.steps!r}")
        for name in ("text_scale", "image_scale"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InvalidRequestError(f"{name} must be a finite number >= 0, not {value!r}")
        if self.preserve not in ("guided", "exact"):
            raise InvalidRequestError(f"preserve must be 'guided' or 'exact', not {self.preserve!r}")
        if self.scheduler is not None and self.scheduler not in SCHEDULERS:
            raise InvalidRequestError(
                f"unknown scheduler {self.scheduler!r}; choose one of {', '.join(SCHEDULERS)}"
            )
        if self.feather is not None and (not np.isfinite(self.feather) or self.feather < 0):
            raise InvalidRequestError(f"feather must be >= 0 pixels, not {self.feather!r}")


@dataclass
class EditResult:
    """One turn's output."""

    picture: Image.Image  # at the input picture's size (composited when preserve="exact")
    image_latent: torch.Tensor  # z0 / scaling_factor on the CPU: what the next turn conditions on
    mask: np.ndarray | None  # the picture-size mask used (None: global)


class EmilieEditor:
    """InstructPix2Pix components plus the EMILIE sampling loop.

    Components are plain modules, passed in (as in diffusers). Use :meth:`from_pretrained` to load them.
    """

    def __init__(self, unet, vae, text_encoder, tokenizer, scheduler, *, max_side: int = 512):
        if unet.config.in_channels != 2 * vae.config.latent_channels:
            raise ValueError(
                f"an InstructPix2Pix UNet takes noisy latent ++ image latent ({2 * vae.config.latent_channels} "
                f"channels); this one takes {unet.config.in_channels}"
            )
        self.unet = unet
        self.vae = vae
        self.text_encoder = text_encoder
        self.tokenizer = tokenizer
        self.scheduler = scheduler
        self.max_side = max_side
        self.vae_scale_factor = 2 ** (len(vae.config.block_out_channels) - 1)
        self.scaling_factor = float(vae.config.scaling_factor)
        self._schedulers: dict[str, object] = {}

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str = DEFAULT_MODEL,
        *,
        device: str | torch.device | None = None,
        torch_dtype: str | torch.dtype | None = None,
        max_side: int = 512,
        local_files_only: bool | None = None,
        **kwargs,
    ) -> "EmilieEditor":
        """Load from a hub id (default ``timbrooks/instruct-pix2pix``), a local diffusers folder, or ``tiny``.

        Device defaults to CUDA, then MPS, then CPU; dtype to fp16 on accelerators and fp32 on CPU.
        Missing weights raise :class:`~emilie_agent.errors.ModelNotAvailableError` with what to do.
        """
        from diffusers import StableDiffusionInstructPix2PixPipeline

        path = resolve_model(name_or_path, "instruct-pix2pix")
        device = pick_device(device)
        dtype = pick_dtype(device, torch_dtype)
        if local_files_only is not None:
            kwargs["local_files_only"] = local_files_only
        try:
            pipe = StableDiffusionInstructPix2PixPipeline.from_pretrained(
                path,
                dtype=dtype,
                safety_checker=None,
                feature_extractor=None,
                requires_safety_checker=False,
                **kwargs,
            )
        except loading_exceptions() as err:
            raise model_not_available(str(name_or_path), "InstructPix2Pix model", err) from None
        editor = cls(pipe.unet, pipe.vae, pipe.text_encoder, pipe.tokenizer, pipe.scheduler, max_side=max_side)
        return editor.to(device)

    def to(self, device: str | torch.device) -> "EmilieEditor":
        for module in (self.unet, self.vae, self.text_encoder):
            module.to(device)
        return self

    @property
    def device(self) -> torch.device:
        return self.unet.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    @property
    def components(self) -> dict:
        """The diffusers components, e.g. to build ``StableDiffusionInstructPix2PixPipeline(**components)``."""
        return dict(
            unet=self.unet,
            vae=self.vae,
            text_encoder=self.text_encoder,
            tokenizer=self.tokenizer,
            scheduler=self.scheduler,
        )

    # ------------------------------------------------------------------ building blocks
    def working_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (width, height) a picture of ``size`` is edited at."""
        return working_size(size, self.max_side, max(8, self.vae_scale_factor))

    def encode_picture(self, picture: Image.Image) -> torch.Tensor:
        """A picture at any size -> the unscaled latent of it at working size (first turn only)."""
        return self.encode_image(picture.resize(self.working_size(picture.size), Image.LANCZOS))

    def get_scheduler(self, name: str | None):
        if name is None:
            return self.scheduler
        if name not in self._schedulers:
            import diffusers

            cls = getattr(diffusers, SCHEDULERS[name])
            self._schedulers[name] = cls.from_config(self.scheduler.config)
        return self._schedulers[name]

    @torch.no_grad()
    def encode_prompt(self, prompt: str) -> torch.Tensor:
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
            attention_mask = tokens.attention_mask.to(self.device) if use_mask else None
            out = self.text_encoder(tokens.input_ids.to(self.device), attention_mask=attention_mask)[0]
            return out.to(dtype=self.text_encoder.dtype)

        text, uncond = embed(prompt), embed("")
        return torch.cat([text, uncond, uncond])

    @torch.no_grad()
    def encode_image(self, picture: Image.Image) -> torch.Tensor:
        """The *unscaled* VAE latent (distribution mode) InstructPix2Pix conditions on. First turn only."""
        # Same arithmetic and memory layout (NHWC data viewed as NCHW) as diffusers' image processor, so the
        # convolutions round identically and a first turn matches the pipeline bit for bit.
        array = np.asarray(picture.convert("RGB"), dtype=np.float32)[None] / 255.0
        pixels = 2.0 * torch.from_numpy(array.transpose(0, 3, 1, 2)) - 1.0
        pixels = pixels.to(self.device, self.vae.dtype)
        return self.vae.encode(pixels).latent_dist.mode()

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor) -> Image.Image:
        """Scaled latents -> picture, exactly as diffusers' image processor does it."""
        pixels = self.vae.decode(latents.to(self.device, self.vae.dtype) / self.scaling_factor).sample
        pixels = (pixels / 2 + 0.5).clamp(0, 1)[0].permute(1, 2, 0).float().cpu().numpy()
        return Image.fromarray((pixels * 255).round().astype(np.uint8))

    def latent_mask(self, mask: np.ndarray, latent_hw: tuple[int, int]) -> torch.Tensor:
        """A picture-size mask -> (1, 1, h, w) at latent resolution by area averaging (not nearest)."""
        m = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None]
        m = F.interpolate(m, size=latent_hw, mode="area")
        return m.clamp(0, 1).to(self.device, self.dtype)

    # ------------------------------------------------------------------ the algorithm
    @torch.no_grad()
    def denoise(
        self,
        instruction: str,
        image_latent: torch.Tensor,
        *,
        mask: torch.Tensor | None = None,
        preserve: Preserve = "guided",
        steps: int = 20,
        text_scale: float = 7.5,
        image_scale: float = 1.5,
        seed: int = 0,
        scheduler: str | None = None,
        callback: ProgressCallback | None = None,
    ) -> torch.Tensor:
        """Run the EMILIE sampling loop; return the denoised latent ``z0`` in *scaled* latent space.

        ``image_latent`` is the unscaled conditioning latent (first turn: VAE mode; later: previous z0 /
        scaling_factor). ``mask`` is at latent resolution, values in [0, 1]; None means global.
        """
        device, dtype = self.device, self.dtype
        sched = self.get_scheduler(scheduler)
        # Same generator use as diffusers' pipeline: initial noise first, then the scheduler's steps.
        generator = torch.Generator(device="cpu" if device.type == "mps" else device).manual_seed(seed)

        prompt_embeds = self.encode_prompt(instruction)
        image_latent = image_latent.to(device, dtype)
        # Branches: (text, image), (no text, image), (no text, no image).
        image_latents = torch.cat([image_latent, image_latent, torch.zeros_like(image_latent)])

        sched.set_timesteps(steps, device=device)
        timesteps = sched.timesteps
        from diffusers.utils.torch_utils import randn_tensor

        latents = randn_tensor(image_latent.shape, generator=generator, device=device, dtype=dtype)
        latents = latents * sched.init_noise_sigma
        step_kwargs = _step_kwargs(sched, generator)

        m = torch.ones((1, 1) + image_latent.shape[-2:], device=device, dtype=dtype) if mask is None else mask
        source = image_latent * self.scaling_factor  # what "unchanged" means, in the loop's scaled space
        if preserve == "exact":
            # Its own generator, so that exact preservation does not shift the sampling noise.
            blend_noise = randn_tensor(
                source.shape, generator=torch.Generator(device="cpu").manual_seed(seed + 1), device=device, dtype=dtype
            )

        for i, t in enumerate(timesteps):
            model_input = sched.scale_model_input(torch.cat([latents] * 3), t)
            model_input = torch.cat([model_input, image_latents], dim=1)
            eps_text, eps_image, eps_uncond = self.unet(
                model_input, t, encoder_hidden_states=prompt_embeds, return_dict=False
            )[0].chunk(3)
            # Gradient modulation: the mask scales the text guidance only.
            eps = eps_uncond + text_scale * m * (eps_text - eps_image) + image_scale * (eps_image - eps_uncond)
            latents = sched.step(eps, t, latents, **step_kwargs, return_dict=False)[0]

            if preserve == "exact":
                # Outside m the latent is the source at the noise level the next step expects; after the
                # last step that is the source itself.
                if i + 1 < len(timesteps):
                    known = sched.add_noise(source, blend_noise, timesteps[i + 1 : i + 2])
                else:
                    known = source
                latents = m * latents + (1 - m) * known
            if callback is not None:
                callback(i + 1, len(timesteps))

        if not torch.isfinite(latents).all():
            raise EditFailedError(
                "the edit produced NaN/inf latents (often fp16 overflow): try --dtype float32 or fewer steps; "
                "nothing was recorded"
            )
        return latents

    def edit(
        self,
        picture: Image.Image,
        instruction: str,
        *,
        image_latent: torch.Tensor | None = None,
        mask: np.ndarray | Image.Image | str | None = None,
        settings: EditSettings | None = None,
        callback: ProgressCallback | None = None,
    ) -> EditResult:
        """One turn: edit ``picture`` (carrying ``image_latent`` if given) under ``mask``.

        ``image_latent`` None means this is a first turn: the picture is encoded. ``mask`` is at the
        picture's size (1 = may change); None means the whole picture.
        """
        settings = settings or EditSettings()
        settings.validate()
        if not isinstance(instruction, str) or not instruction.strip():
            raise InvalidRequestError("the instruction is empty: say what to change, e.g. 'make it snow'")
        picture = load_image(picture)
        size = picture.size
        work = self.working_size(size)
        latent_hw = (work[1] // self.vae_scale_factor, work[0] // self.vae_scale_factor)

        pixel_mask = None if mask is None else load_mask(mask, size)
        if pixel_mask is not None and pixel_mask.max() <= 0:
            raise InvalidMaskError("the mask is empty (nothing may change): give a mask with a white area")
        if image_latent is None:
            image_latent = self.encode_picture(picture)
        elif tuple(image_latent.shape[-2:]) != latent_hw:
            raise InvalidRequestError(
                f"the carried latent is {tuple(image_latent.shape[-2:])} but this picture needs {latent_hw}"
            )
        m = None if pixel_mask is None else self.latent_mask(pixel_mask, latent_hw)

        z0 = self.denoise(
            instruction.strip(),
            image_latent,
            mask=m,
            preserve=settings.preserve,
            steps=settings.steps,
            text_scale=settings.text_scale,
            image_scale=settings.image_scale,
            seed=settings.seed,
            scheduler=settings.scheduler,
            callback=callback,
        )
        edited = self.decode_latents(z0)
        if edited.size != size:
            edited = edited.resize(size, Image.LANCZOS)
        if settings.preserve == "exact" and pixel_mask is not None:
            feather = settings.feather
            if feather is None:  # one latent cell, in picture pixels
                feather = self.vae_scale_factor * max(size) / max(work)
            edited = composite(picture, edited, pixel_mask, feather)
        return EditResult(
            picture=edited,
            image_latent=(z0 / self.scaling_factor).detach().to("cpu", torch.float32),
            mask=pixel_mask,
        )


def composite(before: Image.Image, after: Image.Image, mask: np.ndarray, feather: float) -> Image.Image:
    """``after`` inside the feathered mask, ``before`` bit for bit wherever the feathered mask is 0."""
    mask8 = Image.fromarray(np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
    alpha8 = np.asarray(mask8)
    if feather > 0:
        alpha8 = np.maximum(alpha8, np.asarray(mask8.filter(ImageFilter.GaussianBlur(feather))))
    alpha = (alpha8.astype(np.float32) / 255.0)[..., None]
    a = np.asarray(before, dtype=np.float32)
    b = np.asarray(after, dtype=np.float32)
    mixed = np.clip(a + (b - a) * alpha + 0.5, 0, 255).astype(np.uint8)
    out = np.where(alpha8[..., None] == 0, np.asarray(before), mixed)
    return Image.fromarray(out)


def _step_kwargs(scheduler, generator: torch.Generator) -> dict:
    # Not every scheduler takes a generator (or eta); pass what its step() accepts, as diffusers does.
    params = set(inspect.signature(scheduler.step).parameters)
    kwargs = {}
    if "generator" in params:
        kwargs["generator"] = generator
    if "eta" in params:
        kwargs["eta"] = 0.0
    return kwargs
