"""The default masker backend: transformers' GroundingDINO (detector) and SAM (segmenter).

Models load the real way (hub id, local folder, HF cache; ``tiny`` builds random-weight ones locally) and
missing weights give the same clear :class:`~emilie_agent.errors.ModelNotAvailableError` as the editor.

Per picture, work that does not depend on the phrase is done once: SAM's image embedding (the segmenter's
``embed``), and for the detector the preprocessed picture and the output of its vision backbone (Swin), which
only the text-image fusion layers after it combine with the phrase.
"""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ...models.devices import pick_device, pick_dtype
from ...models.loading import (
    MODEL_DEFAULTS_FILE,
    loading_exceptions,
    model_defaults,
    model_not_available,
    resolve_model,
)
from ...errors import InvalidRequestError, ModelNotAvailableError
from ..options import BOX_THRESHOLD, TEXT_THRESHOLD, check_threshold
from ..phrases import clean_label
from ..types import Detections

_PROCESSOR_NOISE = (
    ".*torchvision.*",  # the processors fall back to PIL without torchvision: fine for us
    ".*fast image processor.*",
    ".*use_fast.*",
)


@contextmanager
def _quiet_warnings():
    """Hide the processors' advice about torchvision / fast processors."""
    with warnings.catch_warnings():
        for pattern in _PROCESSOR_NOISE:
            warnings.filterwarnings("ignore", message=pattern)
        yield


def _load(loader, path: str, name: str, what: str, **kwargs):
    try:
        with _quiet_warnings():
            return loader.from_pretrained(path, **kwargs)
    except loading_exceptions() as err:
        raise model_not_available(str(name), what, err) from None


def recommended_thresholds(folder: str | os.PathLike) -> tuple[float, float] | None:
    """The (box, text) thresholds a detector folder recommends in its ``emilie_toy.json`` (a threshold it does
    not name is the demos'); None when it recommends none."""
    values = model_defaults(folder)
    if "box_threshold" not in values and "text_threshold" not in values:
        return None
    try:
        return (
            check_threshold(values.get("box_threshold", BOX_THRESHOLD), "box_threshold"),
            check_threshold(values.get("text_threshold", TEXT_THRESHOLD), "text_threshold"),
        )
    except InvalidRequestError as err:
        raise ModelNotAvailableError(f"{os.path.join(os.fspath(folder), MODEL_DEFAULTS_FILE)}: {err}") from None


# ---------------------------------------------------------------------------------------------- detector
class HfDetector:
    """GroundingDinoForObjectDetection + its processor."""

    def __init__(
        self,
        model,
        processor,
        device: torch.device,
        dtype: torch.dtype,
        recommended_thresholds: tuple[float, float] | None = None,
    ):
        self.model = model.eval().to(device=device, dtype=dtype)
        self.processor = processor
        self.device = device
        self.dtype = dtype
        self.max_prompt_tokens: int | None = int(getattr(model.config, "max_text_len", 256))
        # (box, text) thresholds the model's folder recommends (a small model trained on simple scenes scores
        # otherwise than the real GroundingDINO); the masker uses them unless told otherwise.
        self.recommended_thresholds = recommended_thresholds
        self._image_key: str | None = None
        self._image_inputs: dict[str, torch.Tensor] | None = None
        _cache_backbone_output(model)

    @classmethod
    def load(cls, name_or_path: str = "IDEA-Research/grounding-dino-tiny", *, device=None, torch_dtype=None) -> "HfDetector":
        from transformers import AutoProcessor, GroundingDinoForObjectDetection

        path = resolve_model(name_or_path, "grounding-dino")
        device = pick_device(device)
        # GroundingDINO's deformable attention is unstable in fp16; bf16 or fp32 only.
        dtype = pick_dtype(device, torch_dtype)
        if dtype == torch.float16 and torch_dtype is None:
            dtype = torch.float32
        processor = _load(AutoProcessor, path, name_or_path, "GroundingDINO processor")
        model = _load(GroundingDinoForObjectDetection, path, name_or_path, "GroundingDINO model")
        return cls(model, processor, device, dtype, recommended_thresholds(path))

    def count_tokens(self, prompt: str) -> int:
        return len(self.processor.tokenizer(prompt)["input_ids"])

    def _inputs_for(self, image: Image.Image, image_key: str | None) -> dict[str, torch.Tensor]:
        if image_key is not None and image_key == self._image_key and self._image_inputs is not None:
            return self._image_inputs
        with _quiet_warnings():
            encoded = self.processor.image_processor(images=image, return_tensors="pt")
        inputs = {"pixel_values": encoded["pixel_values"].to(self.device, self.dtype)}
        if "pixel_mask" in encoded:
            inputs["pixel_mask"] = encoded["pixel_mask"].to(self.device)
        self._image_key, self._image_inputs = image_key, inputs
        return inputs

    @torch.no_grad()
    def detect(
        self, image: Image.Image, prompt: str, box_threshold: float, text_threshold: float, image_key: str | None = None
    ) -> Detections:
        text = self.processor.tokenizer(prompt, return_tensors="pt")
        inputs = dict(self._inputs_for(image, image_key))
        inputs.update({k: v.to(self.device) for k, v in text.items()})
        outputs = self.model(**inputs)
        logits = outputs.logits.float()
        best = float(torch.sigmoid(logits).nan_to_num(0.0).amax()) if logits.numel() else 0.0
        results = self.processor.post_process_grounded_object_detection(
            outputs,
            text["input_ids"],
            threshold=box_threshold,
            text_threshold=text_threshold,
            target_sizes=[(image.size[1], image.size[0])],
        )[0]
        boxes = results["boxes"].float().cpu().numpy().reshape(-1, 4)
        if len(boxes) == 0:
            return Detections.empty(best)
        labels = results.get("text_labels", results.get("labels"))
        return Detections(
            boxes=boxes.astype(np.float32),
            scores=results["scores"].float().cpu().numpy().astype(np.float32),
            labels=[clean_label(str(label)) for label in labels],
            best_score=best,
        )


def _cache_backbone_output(model) -> None:
    """Make the vision backbone return its last output when given the same pixels again.

    The backbone (Swin) sees only the picture; the phrase enters after it. Comparing the pixels costs far
    less than recomputing the features. Skipped quietly if the model is laid out differently.
    """
    backbone = getattr(getattr(model, "model", None), "backbone", None)
    if backbone is None or getattr(backbone, "_emilie_cached", False):
        return
    compute = backbone.forward
    last: dict[str, object] = {}

    def forward(pixel_values, pixel_mask):
        if (
            last
            and last["pixels"].shape == pixel_values.shape
            and last["pixels"].device == pixel_values.device
            and torch.equal(last["pixels"], pixel_values)
            and torch.equal(last["mask"], pixel_mask)
            and not torch.is_grad_enabled()
        ):
            return last["output"]
        output = compute(pixel_values, pixel_mask)
        last.update(pixels=pixel_values.detach().clone(), mask=pixel_mask.detach().clone(), output=output)
        return output

    backbone.forward = forward
    backbone._emilie_cached = True


# ---------------------------------------------------------------------------------------------- segmenter
@dataclass
class SamEmbedding:
    """One picture's SAM image embedding and the sizes needed to map boxes and masks."""

    embeddings: torch.Tensor
    original_size: tuple[int, int]  # (h, w) of the picture
    reshaped_size: tuple[int, int]  # (h, w) after SAM's longest-side resize, before padding


class HfSegmenter:
    """SamModel + SamProcessor, with the image embedding computed once per picture by ``embed``."""

    def __init__(self, model, processor, device: torch.device, dtype: torch.dtype):
        self.model = model.eval().to(device=device, dtype=dtype)
        self.processor = processor
        self.device = device
        self.dtype = dtype

    @classmethod
    def load(cls, name_or_path: str = "facebook/sam-vit-base", *, device=None, torch_dtype=None) -> "HfSegmenter":
        from transformers import SamModel, SamProcessor

        path = resolve_model(name_or_path, "sam")
        device = pick_device(device)
        dtype = pick_dtype(device, torch_dtype)
        processor = _load(SamProcessor, path, name_or_path, "SAM processor")
        model = _load(SamModel, path, name_or_path, "SAM model")
        return cls(model, processor, device, dtype)

    @torch.no_grad()
    def embed(self, image: Image.Image) -> SamEmbedding:
        with _quiet_warnings():
            encoded = self.processor(images=image, return_tensors="pt")
        pixel_values = encoded["pixel_values"].to(self.device, self.dtype)
        embeddings = self.model.get_image_embeddings(pixel_values)
        return SamEmbedding(
            embeddings=embeddings,
            original_size=tuple(int(v) for v in encoded["original_sizes"][0]),
            reshaped_size=tuple(int(v) for v in encoded["reshaped_input_sizes"][0]),
        )

    @torch.no_grad()
    def segment(self, embedding: SamEmbedding, boxes: np.ndarray) -> np.ndarray:
        """Boxes (n, 4) in picture pixels -> (n, H, W) bool masks."""
        h, w = embedding.original_size
        if len(boxes) == 0:
            return np.zeros((0, h, w), bool)
        rh, rw = embedding.reshaped_size
        # The processor's own box normalisation: scale to the resized (unpadded) picture.
        scale = torch.tensor([rw / w, rh / h, rw / w, rh / h], dtype=torch.float32)
        input_boxes = (torch.as_tensor(np.asarray(boxes), dtype=torch.float32) * scale)[None]
        outputs = self.model(
            image_embeddings=embedding.embeddings,
            input_boxes=input_boxes.to(self.device, self.dtype),
            multimask_output=False,
        )
        masks = self.processor.post_process_masks(
            outputs.pred_masks.float().cpu(), [embedding.original_size], [embedding.reshaped_size]
        )[0]
        return masks[:, 0].numpy().astype(bool)
