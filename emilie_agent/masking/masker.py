"""The masker: a phrase ("the man", "both cups", "everything except the dog") -> the mask the editor uses.

Two stages, each behind a small interface so that backends (and test stubs) can be swapped:

* a **detector** (GroundingDINO) finds boxes for the phrase, with scores and the words each box matched;
* a **segmenter** (SAM) turns boxes into object masks. Its image embedding, the expensive part, is computed
  once per picture (:meth:`Masker.set_image`) and reused for every phrase asked about the same picture.

Then the masker keeps the right boxes (thresholds; the head noun's boxes; the best one for a singular phrase,
all of them for a plural one), applies the granularity (:mod:`emilie_agent.masking.granularity`) to each object and
returns the union, complemented for "everything except ..." or ``invert=True``.

Backends: ``transformers`` (default; :mod:`emilie_agent.masking.backends.hf`), ``original`` (the groundingdino-py and
segment-anything packages; :mod:`emilie_agent.masking.backends.original`). ``tiny`` models are random-weight versions of
the default backend built locally, for tests; ``toy`` the small models trained on the toy world that ship with the
package. :meth:`Masker.from_options` builds a masker from validated
:class:`~emilie_agent.masking.options.MaskerOptions` (what the command line does).

Pictures larger than ``max_side`` (2048) are masked on a downscaled copy (both models downscale far more
anyway: to 800 and 1024 pixels) and the mask is scaled back up; pictures with a side under ``MIN_SIDE`` (32)
are upscaled for the models. Either way the result is at the picture's own size and boxes are in its pixels.
"""
from __future__ import annotations

import hashlib
import math
from typing import Any, Sequence

import numpy as np
from PIL import Image

from . import granularity as gran
from ..errors import InvalidRequestError, shown
from ..images import ImageInput, load_image, working_size
from .options import (
    BOX_THRESHOLD,
    DEFAULT_DETECTOR,
    DEFAULT_SEGMENTER,
    TEXT_THRESHOLD,
    MaskerOptions,
    check_backend,
    check_threshold,
)
from .phrases import Target, label_matches, read_target
from .types import BoxTuple, Detections, Detector, MaskResult, Segmenter

MAX_SIDE = 2048
MIN_SIDE = 32
# The detector's feature maps need some room on both axes: a narrower strip (3 x 10000) is padded to this
# aspect ratio with a neutral grey (the ImageNet mean, zero once normalised), and the padding cut off again.
MAX_ASPECT = 4.0
PAD_COLOUR = (124, 116, 104)


# ---------------------------------------------------------------------------------------------- the masker
class Masker:
    """Phrase -> mask. Build it with :meth:`from_pretrained`; or pass any detector and segmenter."""

    def __init__(
        self,
        detector: Detector,
        segmenter: Segmenter,
        *,
        box_threshold: float | None = None,
        text_threshold: float | None = None,
        max_side: int = MAX_SIDE,
    ):
        """Thresholds not given: the detector's ``recommended_thresholds`` if it has them (a model folder's
        ``emilie_toy.json``), else the GroundingDINO demos' 0.35 / 0.25."""
        self.detector = detector
        self.segmenter = segmenter
        recommended = getattr(detector, "recommended_thresholds", None) or (BOX_THRESHOLD, TEXT_THRESHOLD)
        self.box_threshold = check_threshold(recommended[0] if box_threshold is None else box_threshold, "box_threshold")
        self.text_threshold = check_threshold(
            recommended[1] if text_threshold is None else text_threshold, "text_threshold"
        )
        self.max_side = int(max_side)
        self._image_key: str | None = None
        self._working: Image.Image | None = None  # what the models see: resized, padded if very narrow
        self._content: tuple[int, int] = (0, 0)  # the picture's own part of it (top left), width x height
        self._embedding: Any = None

    @classmethod
    def from_pretrained(
        cls,
        detector: str | None = None,
        segmenter: str | None = None,
        *,
        backend: str = "transformers",
        device=None,
        torch_dtype=None,
        box_threshold: float | None = None,
        text_threshold: float | None = None,
        **backend_kwargs,
    ) -> "Masker":
        """Load a detector and a segmenter.

        ``backend="transformers"`` (default): ``detector`` is a GroundingDINO hub id, local folder, ``tiny`` or
        ``toy`` (default ``IDEA-Research/grounding-dino-tiny``); ``segmenter`` a SAM hub id, local folder,
        ``tiny`` or ``toy`` (default ``facebook/sam-vit-base``). Weights come from the HF cache (or are
        downloaded); missing ones raise :class:`~emilie_agent.errors.ModelNotAvailableError`. Thresholds not
        given: those the detector's folder recommends (``emilie_toy.json``), else 0.35 / 0.25.

        ``backend="original"`` (``pip install "emilie-agent[original]"``): ``detector`` is the GroundingDINO
        checkpoint (``groundingdino_swint_ogc.pth``) and ``detector_config=`` its config file
        (``GroundingDINO_SwinT_OGC.py``); ``segmenter`` is a SAM checkpoint (``sam_vit_b_01ec64.pth``; the
        architecture is read from it). Optional: ``text_encoder=`` a BERT hub id or local folder replacing the
        config's ``text_encoder_type``, ``detector_size=`` the detector's shorter side (800).
        ``detector_checkpoint=`` / ``segmenter_checkpoint=`` may be given instead of ``detector`` / ``segmenter``.
        """
        check_backend(backend)
        if backend == "transformers":
            if backend_kwargs:
                raise TypeError(f"unexpected arguments for the transformers backend: {', '.join(backend_kwargs)}")
            # The backends import torch and transformers: loaded with the models, not with this module.
            from .backends.hf import HfDetector, HfSegmenter

            det = HfDetector.load(detector or DEFAULT_DETECTOR, device=device, torch_dtype=torch_dtype)
            seg = HfSegmenter.load(segmenter or DEFAULT_SEGMENTER, device=device, torch_dtype=torch_dtype)
        else:
            # The original backend needs the optional groundingdino-py / segment-anything packages.
            from .backends.original import load_original

            det, seg = load_original(detector, segmenter, device=device, torch_dtype=torch_dtype, **backend_kwargs)
        return cls(det, seg, box_threshold=box_threshold, text_threshold=text_threshold)

    @classmethod
    def from_options(cls, options: MaskerOptions) -> "Masker":
        """The masker :class:`~emilie_agent.masking.options.MaskerOptions` describe (already validated)."""
        return cls.from_pretrained(
            options.detector_name,
            options.segmenter_name,
            backend=options.backend,
            device=options.device,
            torch_dtype=options.dtype,
            box_threshold=options.box_threshold,
            text_threshold=options.text_threshold,
            **options.backend_kwargs(),
        )

    # ------------------------------------------------------------------ the picture
    def working_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (width, height) the models are given for a picture of ``size``: see the module doc."""
        return working_size(size, self.max_side, multiple=1, min_side=MIN_SIDE)

    def set_image(self, image: ImageInput) -> None:
        """Make ``image`` the current picture: its segmenter embedding is computed now, unless it already is.

        The same picture again (by content, not by object) keeps the cached embedding; another one replaces it.
        """
        self._use_picture(load_image(image))

    def _use_picture(self, picture: Image.Image) -> None:
        size = self.working_size(picture.size)
        working = picture if size == picture.size else picture.resize(size, Image.BICUBIC)
        working = _pad_to_aspect(working, MAX_ASPECT)
        # The embedding depends only on the working copy, so that is what identifies the picture (and it is
        # much cheaper to hash than a 100-megapixel original).
        key = _picture_key(working)
        if key == self._image_key and self._embedding is not None:
            return
        self._image_key, self._working, self._embedding = None, None, None
        embedding = self.segmenter.embed(working)
        self._image_key, self._working, self._embedding = key, working, embedding
        self._content = size

    def reset_image(self) -> None:
        """Forget the cached picture and embedding."""
        self._image_key, self._working, self._embedding = None, None, None

    # ------------------------------------------------------------------ masks
    def mask(
        self,
        image: ImageInput,
        phrase: str | Sequence[str],
        *,
        granularity: str = "object",
        spread: float | None = None,
        invert: bool = False,
        multiple: bool | None = None,
        box_threshold: float | None = None,
        text_threshold: float | None = None,
    ) -> MaskResult:
        """The mask for ``phrase`` (or the union for a list of phrases) on ``image``.

        ``granularity``: object | region | global; ``spread`` in [0, 1] (object 0 ... global 1) replaces the
        granularity's preset when given. ``invert``: the complement (so does a phrase such as "everything except
        the dog"; "the background" is the complement of the detected foreground). ``multiple``: keep every box
        that passes the thresholds (None: when the phrase is plural, "the dogs", "both cups"), else the best one.
        Thresholds default to the masker's. Nothing found: ``found`` is False and the mask is empty (all ones
        when inverted) -- check ``found`` before editing.
        """
        if isinstance(phrase, str):
            phrases = [phrase]
        elif isinstance(phrase, (list, tuple)) and all(isinstance(p, str) for p in phrase):
            phrases = list(phrase)
        else:
            raise InvalidRequestError(
                f'the target phrase must be text (or a list of texts), not {type(phrase).__name__}: e.g. "the man"'
            )
        if not phrases:
            raise InvalidRequestError('no target phrase given: name what to find, e.g. "the man"')
        if not isinstance(invert, (bool, np.bool_)):
            raise InvalidRequestError(f"invert must be true or false, not {shown(invert)}")
        if multiple is not None and not isinstance(multiple, (bool, np.bool_)):
            raise InvalidRequestError(f"multiple must be true, false or None, not {shown(multiple)}")
        targets = [read_target(p) for p in phrases]
        spread_value = gran.spread_for(granularity, spread)
        box_threshold = self.box_threshold if box_threshold is None else check_threshold(box_threshold, "box_threshold")
        text_threshold = (
            self.text_threshold if text_threshold is None else check_threshold(text_threshold, "text_threshold")
        )
        for target in targets:
            self._check_prompt_length(target)

        picture = load_image(image)
        self._use_picture(picture)
        working = self._working
        shape = (working.size[1], working.size[0])
        masks, boxes, scores, labels, missing = [], [], [], [], []
        best_score = 0.0
        for target in targets:
            found = self._find(target, multiple, box_threshold, text_threshold)
            best_score = max(best_score, found.best_score)
            if len(found) == 0:
                missing.append(target.phrase)
                target_mask = np.zeros(shape, np.float32)
            else:
                objects = self.segmenter.segment(self._embedding, found.boxes)
                target_mask = gran.union(
                    (gran.spread_mask(obj, spread_value, box) for obj, box in zip(objects, found.boxes)), shape
                )
                boxes += [tuple(b) for b in found.boxes.tolist()]
                scores += [float(s) for s in found.scores]
                labels += found.labels
            masks.append(gran.invert(target_mask) if target.invert else target_mask)

        combined = gran.union(masks, shape)
        inverted = invert != (len(targets) == 1 and targets[0].invert)
        if invert:
            combined = gran.invert(combined)
        content_w, content_h = self._content
        combined = combined[:content_h, :content_w]  # the padding (if any) cut off
        sx, sy = content_w / picture.size[0], content_h / picture.size[1]
        return MaskResult(
            mask=gran.resize_mask(combined, picture.size),
            found=len(missing) < len(targets),
            boxes=[_clip_box((x0 / sx, y0 / sy, x1 / sx, y1 / sy), picture.size) for x0, y0, x1, y1 in boxes],
            scores=scores,
            labels=labels,
            best_score=float(best_score),
            phrase=phrases[0] if len(phrases) == 1 else " + ".join(phrases),
            granularity=granularity if spread is None else _granularity_name(spread_value),
            invert=inverted,
            spread=spread_value,
            missing=missing,
        )

    def _find(self, target: Target, multiple: bool | None, box_threshold: float, text_threshold: float) -> Detections:
        """The boxes to segment for one target: passing the thresholds, naming the head noun, best first."""
        found = self.detector.detect(self._working, target.prompt, box_threshold, text_threshold, self._image_key)
        if len(found) and self._content != self._working.size:  # padded: boxes centred on the padding go
            boxes = np.asarray(found.boxes, np.float64).reshape(-1, 4)
            centres_x, centres_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
            inside = np.flatnonzero((centres_x < self._content[0]) & (centres_y < self._content[1]))
            if len(inside) < len(found):
                best = float(np.max(np.asarray(found.scores)[inside])) if len(inside) else 0.0
                found = found.take(inside.tolist()) if len(inside) else Detections.empty(best)
        if len(found) == 0:
            return found
        order = np.argsort(-np.asarray(found.scores), kind="stable")
        found = found.take(order)
        # "the cat on the table" also boxes the table: keep the head noun's boxes when some box names it.
        naming_head = [i for i, label in enumerate(found.labels) if label_matches(label, target.head)]
        if naming_head and len(naming_head) < len(found):
            found = found.take(naming_head)
        several = target.plural if multiple is None else multiple
        return found if several else found.take([0])

    def _check_prompt_length(self, target: Target) -> None:
        limit = getattr(self.detector, "max_prompt_tokens", None)
        if limit is None:
            return
        count = self.detector.count_tokens(target.prompt)
        if count > limit:
            raise InvalidRequestError(
                f"the target phrase {target.phrase[:60]!r} is too long for the detector "
                f"({count} tokens, at most {limit}): name the object in a few words"
            )


# ---------------------------------------------------------------------------------------------- helpers
def _granularity_name(spread: float) -> str:
    for name, value in gran.SPREAD_OF.items():
        if math.isclose(spread, value):
            return name
    return "custom"


def _pad_to_aspect(picture: Image.Image, max_aspect: float) -> Image.Image:
    """``picture`` at the top left of a grey canvas no narrower than 1 : ``max_aspect`` (itself if it is not)."""
    w, h = picture.size
    if max(w, h) <= max_aspect * min(w, h):
        return picture
    canvas = Image.new("RGB", (max(w, math.ceil(h / max_aspect)), max(h, math.ceil(w / max_aspect))), PAD_COLOUR)
    canvas.paste(picture, (0, 0))
    return canvas


def _picture_key(picture: Image.Image) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{picture.size}{picture.mode}".encode())
    digest.update(picture.tobytes())
    return digest.hexdigest()


def _clip_box(box: Sequence[float], size: tuple[int, int]) -> BoxTuple:
    w, h = size
    x0, y0, x1, y1 = (float(v) for v in box)
    return (min(max(x0, 0.0), w), min(max(y0, 0.0), h), min(max(x1, 0.0), w), min(max(y1, 0.0), h))
