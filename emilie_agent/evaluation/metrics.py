"""The metrics multi-turn editing is reported with, and ours.

As MagicBrush reports them (``evaluation/image_eval.py`` of its repository):

* ``l1`` / ``l2``: mean absolute / mean squared difference between the output and the ground truth, on [0, 1]
  pixels (the output resized to the ground truth's size first), averaged over pixels and RGB channels;
* ``clip_i`` / ``dino``: cosine similarity of the output's and the ground truth's image embeddings (CLIP ViT-B/32's
  projected image embedding; DINO ViT-S/16's class token);
* ``clip_t``: cosine similarity of the output's CLIP image embedding and the CLIP text embedding of the ground
  truth's caption.

Ours:

* ``l1_kept``: L1 (on [0, 1]) between the output and the *previous turn's output*, over what the turn was meant
  to leave alone: outside the turn's true mask grown by :data:`KEPT_MARGIN_PX` pixels (the VAE smears edges). Left
  out for global turns and where the dataset has no mask;
* ``success`` (toy benchmark): whether the edit did what was asked (:mod:`emilie_agent.evaluation.success`).

The embedding models are loaded through transformers the usual way (a hub id from the HF cache, a local
folder, or ``tiny`` random weights for tests); when one cannot be had, :func:`load_embedders` says why and the
metrics it serves are skipped.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
from PIL import Image

from ..errors import ModelNotAvailableError
from ..models.loading import loading_exceptions, model_not_available, resolve_model

if TYPE_CHECKING:  # pragma: no cover
    import torch

DEFAULT_CLIP = "openai/clip-vit-base-patch32"
DEFAULT_DINO = "facebook/dino-vits16"
KEPT_MARGIN_PX = 2  # the true mask is grown by this many pixels before "outside the mask" is measured

# Every metric, in the order tables show them, with its label and whether lower is better.
METRICS = ("l1", "l2", "clip_i", "dino", "clip_t", "l1_kept", "success")
LABELS = {
    "l1": "L1",
    "l2": "L2",
    "clip_i": "CLIP-I",
    "dino": "DINO",
    "clip_t": "CLIP-T",
    "l1_kept": "L1 kept",
    "success": "success",
}
LOWER_IS_BETTER = frozenset({"l1", "l2", "l1_kept"})
EMBEDDING_METRICS = {"clip_i": "clip", "clip_t": "clip", "dino": "dino"}  # metric -> the model it needs
DESCRIPTIONS = {
    "l1": "mean |output - truth| on [0, 1] pixels",
    "l2": "mean (output - truth)^2 on [0, 1] pixels",
    "clip_i": "cosine of CLIP image embeddings, output vs truth",
    "dino": "cosine of DINO class tokens, output vs truth",
    "clip_t": "cosine of the output's CLIP image embedding and the truth's caption's text embedding",
    "l1_kept": f"L1 to the previous turn's output outside the true mask (grown by {KEPT_MARGIN_PX} px); local turns only",
    "success": "the edit did what was asked (toy: recolour = nearest colour, others = closer to the truth by a margin)",
}


# ---------------------------------------------------------------------------------------------- pixels
def as_unit(picture: Image.Image | np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """A picture as float32 (H, W, 3) on [0, 1], resized to ``size`` (width, height) first if given.

    Arrays are taken as 0-255 unless they are floating point with values <= 1.
    """
    if isinstance(picture, np.ndarray):
        arr = np.asarray(picture)
        if arr.dtype.kind == "f" and arr.size and float(arr.max()) <= 1.0:
            arr = np.clip(arr * 255.0 + 0.5, 0, 255)
        picture = Image.fromarray(arr.astype(np.uint8))
    picture = picture.convert("RGB")
    if size is not None and picture.size != tuple(size):
        picture = picture.resize(tuple(size), Image.BICUBIC)  # as MagicBrush: the output to the truth's size
    return np.asarray(picture, np.float32) / 255.0


def l1(output, truth) -> float:
    """Mean absolute difference on [0, 1] pixels (``output`` resized to ``truth``'s size)."""
    t = as_unit(truth)
    return float(np.abs(as_unit(output, (t.shape[1], t.shape[0])) - t).mean())


def l2(output, truth) -> float:
    """Mean squared difference on [0, 1] pixels (``output`` resized to ``truth``'s size), as MagicBrush's L2."""
    t = as_unit(truth)
    return float(((as_unit(output, (t.shape[1], t.shape[0])) - t) ** 2).mean())


def region_l1(a, b, region: np.ndarray | None = None) -> float | None:
    """L1 on [0, 1] over the pixels of ``region`` (all when None; ``b`` sets the size); None if it is empty."""
    bb = as_unit(b)
    diff = np.abs(as_unit(a, (bb.shape[1], bb.shape[0])) - bb).mean(-1)
    if region is None:
        return float(diff.mean())
    region = np.asarray(region, bool)
    if region.shape != diff.shape:
        raise ValueError(f"the region is {region.shape[::-1]} but the pictures are {diff.shape[::-1]}")
    if not region.any():
        return None
    return float(diff[region].mean())


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    """Binary dilation by ``px`` pixels with a square ((2 px + 1)^2) neighbourhood."""
    mask = np.asarray(mask, bool)
    if px <= 0:
        return mask.copy()
    h, w = mask.shape
    padded = np.pad(mask, px)
    out = np.zeros_like(mask)
    for dy in range(2 * px + 1):
        for dx in range(2 * px + 1):
            out |= padded[dy : dy + h, dx : dx + w]
    return out


def is_global(mask: np.ndarray | None) -> bool:
    """A mask that allows everything (or none at all): the turn is global."""
    return mask is None or bool(np.all(np.asarray(mask) >= 0.5))


def kept_region(mask: np.ndarray | None, margin_px: int = KEPT_MARGIN_PX) -> np.ndarray | None:
    """What a turn was meant to leave alone: outside ``mask`` (> 0.5) grown by ``margin_px``; None for global turns."""
    if is_global(mask):
        return None
    return ~dilate(np.asarray(mask) > 0.5, margin_px)


def kept_l1(output, previous, mask: np.ndarray | None, margin_px: int = KEPT_MARGIN_PX) -> float | None:
    """L1 (on [0, 1]) of ``output`` to ``previous`` outside the grown mask; None for global turns or an empty area."""
    region = kept_region(mask, margin_px)
    if region is None:
        return None
    prev = as_unit(previous)
    if region.shape != prev.shape[:2]:
        region = np.asarray(
            Image.fromarray(region.astype(np.uint8) * 255).resize((prev.shape[1], prev.shape[0]), Image.NEAREST)
        ) > 127
    return region_l1(output, previous, region)


# ---------------------------------------------------------------------------------------------- embeddings
def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (0 when either is zero)."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 0.0
    return float(np.clip(a @ b / (na * nb), -1.0, 1.0))


def _features(output: Any) -> "torch.Tensor":
    # transformers 5 returns a model output whose pooler_output is the projection; older versions a tensor.
    return output if not hasattr(output, "pooler_output") else output.pooler_output


class ClipEmbedder:
    """CLIP image and text embeddings (projected), as CLIP-I and CLIP-T use them."""

    kind = "clip"

    def __init__(self, model, processor, device: str = "cpu", name: str = DEFAULT_CLIP):
        self.model = model.eval()
        self.processor = processor
        self.device = device
        self.name = name

    @classmethod
    def load(cls, name: str = DEFAULT_CLIP, device: str | None = None) -> "ClipEmbedder":
        """Load a CLIP model (hub id from the cache, folder or ``tiny``); ModelNotAvailableError when absent."""
        # transformers' CLIP is needed only when the metrics are measured.
        from transformers import CLIPModel, CLIPProcessor

        path = resolve_model(name, "clip")
        device = device or "cpu"
        try:
            model = CLIPModel.from_pretrained(path)
            processor = CLIPProcessor.from_pretrained(path)
        except loading_exceptions() as err:
            raise model_not_available(name, "CLIP model", err) from None
        return cls(model.to(device), processor, device, name)

    def images(self, pictures: Sequence[Image.Image]) -> np.ndarray:
        """(N, D) image embeddings."""
        # torch only when embeddings are computed.
        import torch

        inputs = self.processor(images=[p.convert("RGB") for p in pictures], return_tensors="pt")
        with torch.no_grad():
            out = _features(self.model.get_image_features(pixel_values=inputs["pixel_values"].to(self.device)))
        return out.detach().float().cpu().numpy()

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        """(N, D) text embeddings (captions longer than the model takes are cut, as CLIP's tokenizer must)."""
        # torch only when embeddings are computed.
        import torch

        inputs = self.processor(text=list(texts), return_tensors="pt", padding=True, truncation=True)
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
        with torch.no_grad():
            out = _features(self.model.get_text_features(**inputs))
        return out.detach().float().cpu().numpy()


class DinoEmbedder:
    """DINO's class token (after the last layer norm), as the DINO metric uses it."""

    kind = "dino"

    def __init__(self, model, processor, device: str = "cpu", name: str = DEFAULT_DINO):
        self.model = model.eval()
        self.processor = processor
        self.device = device
        self.name = name

    @classmethod
    def load(cls, name: str = DEFAULT_DINO, device: str | None = None) -> "DinoEmbedder":
        """Load a DINO ViT (hub id from the cache, folder or ``tiny``); ModelNotAvailableError when absent."""
        # transformers' ViT is needed only when the metrics are measured.
        from transformers import AutoImageProcessor, ViTModel

        path = resolve_model(name, "dino")
        device = device or "cpu"
        try:
            model = ViTModel.from_pretrained(path, add_pooling_layer=False)
            processor = AutoImageProcessor.from_pretrained(path)
        except loading_exceptions() as err:
            raise model_not_available(name, "DINO model", err) from None
        return cls(model.to(device), processor, device, name)

    def images(self, pictures: Sequence[Image.Image]) -> np.ndarray:
        # torch only when embeddings are computed.
        import torch

        inputs = self.processor(images=[p.convert("RGB") for p in pictures], return_tensors="pt")
        with torch.no_grad():
            out = self.model(pixel_values=inputs["pixel_values"].to(self.device)).last_hidden_state[:, 0]
        return out.detach().float().cpu().numpy()


@dataclass
class Embedders:
    """The embedding models the run has, and why the others' metrics are skipped."""

    clip: ClipEmbedder | None = None
    dino: DinoEmbedder | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # metric -> reason

    def has(self, metric: str) -> bool:
        needs = EMBEDDING_METRICS.get(metric)
        return needs is None or getattr(self, needs) is not None

    def describe(self) -> dict[str, str | None]:
        return {"clip": self.clip.name if self.clip else None, "dino": self.dino.name if self.dino else None}


def load_embedders(clip: str | None = DEFAULT_CLIP, dino: str | None = DEFAULT_DINO, device: str | None = None) -> Embedders:
    """Load CLIP and DINO (``None`` or ``"none"``: not wanted); a model that cannot be loaded skips its metrics.

    The reasons land in ``Embedders.skipped`` (metric -> one line), which results.json reports.
    """
    found = Embedders()
    for attr, name, loader, metrics in (
        ("clip", clip, ClipEmbedder.load, ("clip_i", "clip_t")),
        ("dino", dino, DinoEmbedder.load, ("dino",)),
    ):
        if name is None or str(name).lower() == "none":
            for metric in metrics:
                found.skipped[metric] = f"no {attr.upper()} model asked for (--{attr}-model none)"
            continue
        try:
            setattr(found, attr, loader(os.fspath(name), device=device))
        except ModelNotAvailableError as err:
            for metric in metrics:
                found.skipped[metric] = str(err)
    return found


# ---------------------------------------------------------------------------------------------- averages
def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are numbers (None when there are none)."""
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(vals)) if vals else None
