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
the default backend built locally, for tests.

Pictures larger than ``max_side`` (2048) are masked on a downscaled copy (both models downscale far more
anyway: to 800 and 1024 pixels) and the mask is scaled back up; pictures with a side under ``MIN_SIDE`` (32)
are upscaled for the models. Either way the result is at the picture's own size and boxes are in its pixels.
"""
from __future__ import annotations

import argparse
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np
from PIL import Image

from . import granularity as gran
from ..errors import InvalidRequestError
from ..images import ImageInput, load_image
from .phrases import Target, label_matches, read_target

DEFAULT_DETECTOR = "IDEA-Research/grounding-dino-tiny"
DEFAULT_SEGMENTER = "facebook/sam-vit-base"
BACKENDS = ("transformers", "original")
# The thresholds of the GroundingDINO / Grounded-SAM demos.
BOX_THRESHOLD = 0.35
TEXT_THRESHOLD = 0.25
MAX_SIDE = 2048
MIN_SIDE = 32

BoxTuple = tuple[float, float, float, float]


# ---------------------------------------------------------------------------------------------- results
@dataclass
class Detections:
    """What a detector found for one prompt, in the pixels of the picture it was given."""

    boxes: np.ndarray  # (n, 4) float x0, y0, x1, y1, best first
    scores: np.ndarray  # (n,)
    labels: list[str]  # the prompt's words each box matched (may be "")
    best_score: float  # the best score of any box, including those under the thresholds

    @classmethod
    def empty(cls, best_score: float = 0.0) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), [], float(best_score))

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, keep: Sequence[int]) -> "Detections":
        keep = list(keep)
        return Detections(self.boxes[keep], self.scores[keep], [self.labels[i] for i in keep], self.best_score)


@dataclass
class MaskResult:
    """A mask for a phrase, with what was found. ``mask`` is float32 HxW at the picture's size, 1 = may change."""

    mask: np.ndarray
    found: bool  # False when no box passed the thresholds (the mask is then all zeros, all ones if inverted)
    boxes: list[BoxTuple]  # x0, y0, x1, y1 in picture pixels, of the objects the mask was made from
    scores: list[float]
    labels: list[str]
    best_score: float  # the best detection score seen, even when nothing passed the thresholds
    phrase: str
    granularity: str
    invert: bool
    spread: float = 0.0  # where the mask lies between object (0) and the whole picture (1)
    missing: list[str] = field(default_factory=list)  # phrases of a list that found nothing

    @property
    def area_fraction(self) -> float:
        """The share of the picture that may change (soft values count for what they are)."""
        return float(self.mask.mean()) if self.mask.size else 0.0

    def to_json_dict(self) -> dict:
        return {
            "phrase": self.phrase,
            "found": self.found,
            "granularity": self.granularity,
            "spread": round(self.spread, 4),
            "invert": self.invert,
            "area_fraction": round(self.area_fraction, 6),
            "best_score": round(self.best_score, 4),
            "boxes": [[round(v, 2) for v in box] for box in self.boxes],
            "scores": [round(s, 4) for s in self.scores],
            "labels": list(self.labels),
            "missing": list(self.missing),
            "size": [int(self.mask.shape[1]), int(self.mask.shape[0])],
        }

    def message(self) -> str:
        """One line a person can read: what was found, or that nothing was (and the best score seen)."""
        if not self.found:
            return (
                f"found nothing matching {self.phrase!r} (best score {self.best_score:.2f}, "
                "under the box threshold); try another phrase or a lower --box-threshold"
            )
        return f"{len(self.boxes)} object(s) for {self.phrase!r}, mask covers {self.area_fraction:.1%} of the picture"


# ---------------------------------------------------------------------------------------------- backends
class Detector(Protocol):
    max_prompt_tokens: int | None

    def count_tokens(self, prompt: str) -> int: ...

    def detect(
        self, image: Image.Image, prompt: str, box_threshold: float, text_threshold: float, image_key: str | None = None
    ) -> Detections: ...


class Segmenter(Protocol):
    def embed(self, image: Image.Image) -> Any:
        """The image embedding (and whatever else ``segment`` needs about the picture)."""

    def segment(self, embedding: Any, boxes: np.ndarray) -> np.ndarray:
        """(n, H, W) bool masks, one per box (pixels of the embedded picture)."""


# ---------------------------------------------------------------------------------------------- the masker
class Masker:
    """Phrase -> mask. Build it with :meth:`from_pretrained`; or pass any detector and segmenter."""

    def __init__(
        self,
        detector: Detector,
        segmenter: Segmenter,
        *,
        box_threshold: float = BOX_THRESHOLD,
        text_threshold: float = TEXT_THRESHOLD,
        max_side: int = MAX_SIDE,
    ):
        self.detector = detector
        self.segmenter = segmenter
        self.box_threshold = _threshold(box_threshold, "box_threshold")
        self.text_threshold = _threshold(text_threshold, "text_threshold")
        self.max_side = int(max_side)
        self._image_key: str | None = None
        self._working: Image.Image | None = None
        self._embedding: Any = None

    @classmethod
    def from_pretrained(
        cls,
        detector: str = DEFAULT_DETECTOR,
        segmenter: str = DEFAULT_SEGMENTER,
        *,
        backend: str = "transformers",
        device=None,
        torch_dtype=None,
        box_threshold: float = BOX_THRESHOLD,
        text_threshold: float = TEXT_THRESHOLD,
        **backend_kwargs,
    ) -> "Masker":
        """Load a detector and a segmenter.

        ``backend="transformers"`` (default): ``detector`` is a GroundingDINO hub id, local folder or ``tiny``;
        ``segmenter`` a SAM hub id, local folder or ``tiny``. Weights come from the HF cache (or are
        downloaded); missing ones raise :class:`~emilie_agent.errors.ModelNotAvailableError`.

        ``backend="original"`` (``pip install "emilie-agent[original]"``): ``detector`` is the GroundingDINO
        checkpoint (``groundingdino_swint_ogc.pth``) and ``detector_config=`` its config file
        (``GroundingDINO_SwinT_OGC.py``); ``segmenter`` is a SAM checkpoint (``sam_vit_b_01ec64.pth``; the
        architecture is read from it). Optional: ``text_encoder=`` a BERT hub id or local folder replacing the
        config's ``text_encoder_type``, ``detector_size=`` the detector's shorter side (800).
        ``detector_checkpoint=`` / ``segmenter_checkpoint=`` may be given instead of ``detector`` / ``segmenter``.
        """
        if backend == "transformers":
            if backend_kwargs:
                raise TypeError(f"unexpected arguments for the transformers backend: {', '.join(backend_kwargs)}")
            from .backends.hf import HfDetector, HfSegmenter

            det = HfDetector.load(detector, device=device, torch_dtype=torch_dtype)
            seg = HfSegmenter.load(segmenter, device=device, torch_dtype=torch_dtype)
        elif backend == "original":
            from .backends.original import load_original

            det, seg = load_original(detector, segmenter, device=device, torch_dtype=torch_dtype, **backend_kwargs)
        else:
            raise InvalidRequestError(f"unknown masker backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        return cls(det, seg, box_threshold=box_threshold, text_threshold=text_threshold)

    # ------------------------------------------------------------------ the picture
    def working_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (width, height) the models are given for a picture of ``size``: see the module doc."""
        w, h = size
        scale = min(1.0, self.max_side / max(w, h))
        return max(MIN_SIDE, round(w * scale)), max(MIN_SIDE, round(h * scale))

    def set_image(self, image: ImageInput) -> None:
        """Make ``image`` the current picture: its segmenter embedding is computed now, unless it already is.

        The same picture again (by content, not by object) keeps the cached embedding; another one replaces it.
        """
        self._use_picture(load_image(image))

    def _use_picture(self, picture: Image.Image) -> None:
        size = self.working_size(picture.size)
        working = picture if size == picture.size else picture.resize(size, Image.BICUBIC)
        # The embedding depends only on the working copy, so that is what identifies the picture (and it is
        # much cheaper to hash than a 100-megapixel original).
        key = _picture_key(working)
        if key == self._image_key and self._embedding is not None:
            return
        self._image_key, self._working, self._embedding = None, None, None
        embedding = self.segmenter.embed(working)
        self._image_key, self._working, self._embedding = key, working, embedding

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
        phrases = [phrase] if isinstance(phrase, str) else list(phrase)
        if not phrases:
            raise InvalidRequestError('no target phrase given: name what to find, e.g. "the man"')
        targets = [read_target(p) for p in phrases]
        spread_value = gran.spread_for(granularity, spread)
        box_threshold = self.box_threshold if box_threshold is None else _threshold(box_threshold, "box_threshold")
        text_threshold = self.text_threshold if text_threshold is None else _threshold(text_threshold, "text_threshold")
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
        sx, sy = working.size[0] / picture.size[0], working.size[1] / picture.size[1]
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

    def detect(self, image: ImageInput, phrase: str, **kwargs) -> Detections:
        """The boxes the masker would use for ``phrase`` (in picture pixels), without segmenting."""
        target = read_target(phrase)
        self._check_prompt_length(target)
        picture = load_image(image)
        self._use_picture(picture)
        found = self._find(
            target,
            kwargs.get("multiple"),
            kwargs.get("box_threshold", self.box_threshold),
            kwargs.get("text_threshold", self.text_threshold),
        )
        scale = np.array([picture.size[0] / self._working.size[0], picture.size[1] / self._working.size[1]] * 2)
        return Detections(found.boxes * scale, found.scores, found.labels, found.best_score)

    def _find(self, target: Target, multiple: bool | None, box_threshold: float, text_threshold: float) -> Detections:
        """The boxes to segment for one target: passing the thresholds, naming the head noun, best first."""
        found = self.detector.detect(self._working, target.prompt, box_threshold, text_threshold, self._image_key)
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
def _threshold(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRequestError(f"{name} must be a number from 0 to 1, not {value!r}") from None
    if not (0.0 <= number <= 1.0):
        raise InvalidRequestError(f"{name} must be from 0 to 1, not {value!r}")
    return number


def _granularity_name(spread: float) -> str:
    for name, value in gran.SPREAD_OF.items():
        if math.isclose(spread, value):
            return name
    return "custom"


def _picture_key(picture: Image.Image) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{picture.size}{picture.mode}".encode())
    digest.update(picture.tobytes())
    return digest.hexdigest()


def _clip_box(box: Sequence[float], size: tuple[int, int]) -> BoxTuple:
    w, h = size
    x0, y0, x1, y1 = (float(v) for v in box)
    return (min(max(x0, 0.0), w), min(max(y0, 0.0), h), min(max(x1, 0.0), w), min(max(y1, 0.0), h))


# ---------------------------------------------------------------------------------------------- command line
def add_masker_arguments(parser: argparse.ArgumentParser, *, models_option: bool = False) -> None:
    """The masker's options (``edit --target`` and ``mask`` share them).

    ``models_option``: also accept ``--models`` for the masker's models (the ``mask`` verb, which has no editor).
    """
    g = parser.add_argument_group("masker")
    names = ["--models", "--masker-models"] if models_option else ["--masker-models"]
    g.add_argument(
        *names,
        dest="masker_models",
        default=None,
        help="'tiny' (random weights: wiring only) for both detector and segmenter "
        f"(default {DEFAULT_DETECTOR} + {DEFAULT_SEGMENTER})",
    )
    g.add_argument("--detector", default=None, help="GroundingDINO hub id or folder (original backend: the .pth)")
    g.add_argument("--segmenter", default=None, help="SAM hub id or folder (original backend: the .pth)")
    g.add_argument("--masker-backend", choices=BACKENDS, default="transformers", help="default: transformers")
    g.add_argument("--detector-config", default=None, help="original backend: GroundingDINO config (.py)")
    g.add_argument("--text-encoder", default=None, help="original backend: BERT hub id or folder for GroundingDINO")
    g.add_argument(
        "--box-threshold", type=float, default=BOX_THRESHOLD, help=f"detection score a box needs (default {BOX_THRESHOLD})"
    )
    g.add_argument(
        "--text-threshold", type=float, default=TEXT_THRESHOLD, help=f"score a word needs to label a box (default {TEXT_THRESHOLD})"
    )
    g.add_argument(
        "--granularity",
        choices=gran.GRANULARITIES,
        default=None,
        help="object: the object's own mask; region: grown around it; global: the whole picture (default object)",
    )
    g.add_argument(
        "--spread", type=float, default=None, help="0 (object) ... 1 (whole picture); replaces --granularity's preset"
    )


def masker_from_args(args: argparse.Namespace) -> Masker:
    """A masker from the options :func:`add_masker_arguments` added (and ``--device`` / ``--dtype`` if present).

    The options are checked before any model loads, so that a typo fails in a second, not after a minute.
    """
    gran.spread_for(getattr(args, "granularity", None) or "object", getattr(args, "spread", None))
    box_threshold = _threshold(getattr(args, "box_threshold", BOX_THRESHOLD), "--box-threshold")
    text_threshold = _threshold(getattr(args, "text_threshold", TEXT_THRESHOLD), "--text-threshold")
    models = getattr(args, "masker_models", None)
    if models is None and getattr(args, "models", None) == "tiny":
        models = "tiny"  # ``edit --models tiny``: tiny everything
    backend = getattr(args, "masker_backend", None) or "transformers"
    kwargs: dict[str, Any] = {}
    if backend == "original":
        if getattr(args, "detector_config", None):
            kwargs["detector_config"] = args.detector_config
        if getattr(args, "text_encoder", None):
            kwargs["text_encoder"] = args.text_encoder
    detector = getattr(args, "detector", None) or models or DEFAULT_DETECTOR
    segmenter = getattr(args, "segmenter", None) or models or DEFAULT_SEGMENTER
    return Masker.from_pretrained(
        detector,
        segmenter,
        backend=backend,
        device=getattr(args, "device", None),
        torch_dtype=getattr(args, "dtype", None),
        box_threshold=box_threshold,
        text_threshold=text_threshold,
        **kwargs,
    )
