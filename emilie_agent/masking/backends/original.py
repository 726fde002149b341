"""The ``original`` masker backend: the groundingdino-py and segment-anything packages, from the files their
authors publish (a GroundingDINO config + checkpoint, a SAM checkpoint).

Install with ``pip install "emilie-agent[original]"``. The packages are imported only when this backend is
used. GroundingDINO builds its text encoder from the config's ``text_encoder_type`` (``bert-base-uncased``
from the hub); ``text_encoder=`` points it at another hub id or a local BERT folder (offline machines).
SAM's architecture (vit_b / vit_l / vit_h, or any other size) is read from the checkpoint itself.

Checkpoints are read with ``torch.load(..., weights_only=True)``: tensors only, no pickled code.

The GroundingDINO config is another matter. Upstream's configs are Python files (``GroundingDINO_SwinT_OGC.py``)
whose top-level names are the settings: a ``.py`` config is *run*, here as upstream runs it, so it is code, to be
given only from a source one trusts. Upstream
reads ``.yaml`` / ``.yml`` configs with PyYAML's unsafe loader (which can build any Python object) and follows
``_base_`` links to other files (``.py`` ones too); here ``.yaml``, ``.yml`` and ``.json`` configs are read with
``yaml.safe_load`` / ``json.load`` instead, plain data only, and ``_base_`` links in them are refused. Any other
kind of file is refused, and so is a config that does not describe a GroundingDINO (``modelname``).
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import runpy
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import BertModel
from transformers.modeling_outputs import BaseModelOutputWithPoolingAndCrossAttentions

from ...errors import ModelNotAvailableError
from ...models.devices import pick_device
from ...models.loading import loading_exceptions, model_not_available
from ..phrases import clean_label
from ..types import Detections

INSTALL_HINT = 'pip install "emilie-agent[original]"'
# The normalisation and size of the GroundingDINO demo (RandomResize([800], max_size=1333)).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _require(module: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as err:
        raise ModelNotAvailableError(
            f"the original masker backend needs the {module.split('.')[0]} package ({err}); "
            f"install it with `{INSTALL_HINT}`"
        ) from None


def _read_checkpoint(path: str | os.PathLike, what: str) -> dict:
    file = Path(path).expanduser()
    if not file.is_file():
        raise ModelNotAvailableError(
            f"cannot load {what}: there is no file {str(path)!r} (the original backend takes checkpoint paths)"
        )
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - pickle, zip and torch errors all mean "not a usable checkpoint"
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        raise ModelNotAvailableError(
            f"cannot load {what} from {file}: not a weights-only PyTorch checkpoint ({type(err).__name__}: {first})"
        ) from None


def load_original(
    detector: str | None = None,
    segmenter: str | None = None,
    *,
    detector_config: str | os.PathLike | None = None,
    detector_checkpoint: str | os.PathLike | None = None,
    segmenter_checkpoint: str | os.PathLike | None = None,
    text_encoder: str | os.PathLike | None = None,
    detector_size: int = 800,
    device=None,
    torch_dtype=None,
):
    """(detector, segmenter) for ``Masker.from_pretrained(backend="original", ...)``; see its doc."""
    # The packages first: without them no path can help.
    _require("groundingdino.models")
    _require("segment_anything.build_sam")
    detector_checkpoint = detector_checkpoint or detector
    segmenter_checkpoint = segmenter_checkpoint or segmenter
    if not detector_checkpoint or not detector_config or not segmenter_checkpoint:
        raise ModelNotAvailableError(
            "the original masker backend needs file paths: the GroundingDINO config (--detector-config "
            "GroundingDINO_SwinT_OGC.py) and checkpoint (--detector groundingdino_swint_ogc.pth) and a SAM "
            "checkpoint (--segmenter sam_vit_b_01ec64.pth)"
        )
    device = pick_device(device)  # both models run in fp32 (torch_dtype is accepted for symmetry, unused)
    return (
        OriginalDetector.load(detector_config, detector_checkpoint, text_encoder=text_encoder, device=device,
                              image_size=detector_size),
        OriginalSegmenter.load(segmenter_checkpoint, device=device),
    )


# ---------------------------------------------------------------------------------------------- the config
CONFIG_CODE_SUFFIXES = (".py",)
CONFIG_DATA_SUFFIXES = (".yaml", ".yml", ".json")


def read_groundingdino_config(config_path: str | os.PathLike, slconfig=None):
    """The GroundingDINO config at ``config_path`` as upstream's ``SLConfig``.

    A ``.py`` config is run, as upstream runs it (it is code: trusted configs only). A ``.yaml`` / ``.yml`` /
    ``.json`` one is read here as plain data (``yaml.safe_load`` / ``json.load``), never with an unsafe YAML
    loader, and may not link other files (``_base_``). Anything else, or a config that is not a GroundingDINO's,
    is a ModelNotAvailableError saying so.
    """
    slconfig = slconfig or _require("groundingdino.util.slconfig")
    config_file = Path(config_path).expanduser()
    if not config_file.is_file():
        raise ModelNotAvailableError(f"cannot load the GroundingDINO config: there is no file {str(config_path)!r}")
    suffix = config_file.suffix.lower()
    if suffix in CONFIG_CODE_SUFFIXES:
        args = _run_python_config(config_file, slconfig)
    elif suffix in CONFIG_DATA_SUFFIXES:
        values = _read_config_data(config_file)
        try:
            args = slconfig.SLConfig(values, filename=str(config_file))
        except (KeyError, TypeError) as err:
            raise ModelNotAvailableError(f"the GroundingDINO config {config_file} cannot be used: {err}") from None
    else:
        raise ModelNotAvailableError(
            f"the GroundingDINO config must be a .py file (upstream's format; it is run as Python, so only one you "
            f"trust) or a .yaml/.yml/.json file (read as plain data), not {config_file.name!r}"
        )
    if getattr(args, "modelname", None) != "groundingdino":
        raise ModelNotAvailableError(
            f"{config_file} is not a GroundingDINO config (it has no modelname = \"groundingdino\"); give the config "
            "that came with the checkpoint (e.g. GroundingDINO_SwinT_OGC.py)"
        )
    return args


def _run_python_config(config_file: Path, slconfig):
    """A ``.py`` config, run as upstream runs it (its top-level names are the settings), but in a fresh namespace
    (not imported from a temporary copy on ``sys.path``, which upstream leaves behind when the config fails)."""
    try:
        source = config_file.read_text(encoding="utf-8")
        ast.parse(source, filename=str(config_file))
    except SyntaxError as err:
        raise ModelNotAvailableError(
            f"the GroundingDINO config {config_file} is not valid Python (line {err.lineno}: {err.msg})"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ModelNotAvailableError(f"cannot read the GroundingDINO config {config_file}: {err}") from None
    try:
        namespace = runpy.run_path(str(config_file), run_name="__emilie_config__")
        values = {name: value for name, value in namespace.items() if not name.startswith("__")}
        if "_base_" in values:  # upstream's own loader follows the links to the base configs
            return slconfig.SLConfig.fromfile(str(config_file))
        return slconfig.SLConfig(values, filename=str(config_file))
    except (Exception, SystemExit) as err:  # noqa: BLE001 - the config is code: whatever it raises means "not usable"
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise ModelNotAvailableError(
            f"the GroundingDINO config {config_file} failed to run ({type(err).__name__}: {first})"
        ) from None


def _read_config_data(config_file: Path) -> dict:
    """A YAML or JSON config as a dict of plain data (safe loaders only; no links to other files)."""
    try:
        text = config_file.read_text(encoding="utf-8")
        if config_file.suffix.lower() == ".json":
            values = json.loads(text)
        else:
            import yaml  # lazy: PyYAML comes with the [original] extra's packages, needed only for YAML configs

            values = yaml.safe_load(text)
    except ImportError:
        raise ModelNotAvailableError("reading a YAML config needs PyYAML: pip install pyyaml") from None
    except Exception as err:  # noqa: BLE001 - OSError, UnicodeDecodeError, JSONDecodeError, yaml.YAMLError...
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise ModelNotAvailableError(f"cannot read the GroundingDINO config {config_file}: {first}") from None
    if not isinstance(values, dict):
        raise ModelNotAvailableError(
            f"the GroundingDINO config {config_file} must hold a mapping of settings, not {type(values).__name__}"
        )
    if "_base_" in values:
        raise ModelNotAvailableError(
            f"the GroundingDINO config {config_file} links other files (_base_): merge them into one config"
        )
    return values


# ---------------------------------------------------------------------------------------------- detector
class _BertWarper(torch.nn.Module):
    """groundingdino-py's ``BertModelWarper`` for transformers >= 5, whose ``BertModel`` no longer has the
    ``get_extended_attention_mask`` / ``get_head_mask`` helpers the original calls.

    Same submodule names (so checkpoints load unchanged) and the same computation: GroundingDINO passes a
    (batch, tokens, tokens) mask that keeps each sub-sentence to itself; it becomes the additive mask
    ``(1 - mask) * dtype.min``, as ``get_extended_attention_mask`` made it.
    """

    def __init__(self, bert_model):
        super().__init__()
        self.config = bert_model.config
        self.embeddings = bert_model.embeddings
        self.encoder = bert_model.encoder
        self.pooler = bert_model.pooler

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, **_unused):
        hidden = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids, position_ids=position_ids)
        if attention_mask is None:
            attention_mask = torch.ones(input_ids.shape, device=input_ids.device)
        mask = attention_mask[:, None, :, :] if attention_mask.dim() == 3 else attention_mask[:, None, None, :]
        additive = (1.0 - mask.to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        sequence = self.encoder(hidden, attention_mask=additive)[0]
        pooled = self.pooler(sequence) if self.pooler is not None else None
        return BaseModelOutputWithPoolingAndCrossAttentions(last_hidden_state=sequence, pooler_output=pooled)


def build_groundingdino(args):
    """``groundingdino.models.build_model(args)``, working with the installed transformers.

    The package prints the text encoder it loads on standard output; that goes to standard error here, so that
    ``--json`` output stays clean.
    """
    models = _require("groundingdino.models")
    gd_module = _require("groundingdino.models.GroundingDINO.groundingdino")
    needs_shim = not hasattr(BertModel, "get_extended_attention_mask")
    original = gd_module.BertModelWarper
    try:
        if needs_shim:
            gd_module.BertModelWarper = _BertWarper
        with contextlib.redirect_stdout(sys.stderr):
            return models.build_model(args)
    finally:
        gd_module.BertModelWarper = original


class OriginalDetector:
    """groundingdino-py's GroundingDINO, run as its ``predict`` demo does (fp32: its ops want it)."""

    def __init__(self, model, device: torch.device, image_size: int = 800, max_size: int = 1333):
        self.model = model.eval().to(device)
        self.device = device
        self.image_size = int(image_size)
        self.max_size = int(max_size)
        self.max_prompt_tokens: int | None = int(getattr(model, "max_text_len", 256))
        self._image_key: str | None = None
        self._pixels: torch.Tensor | None = None

    @classmethod
    def load(cls, config_path, checkpoint_path, *, text_encoder=None, device=None, image_size: int = 800):
        slconfig = _require("groundingdino.util.slconfig")
        misc = _require("groundingdino.util.misc")
        args = read_groundingdino_config(config_path, slconfig)
        if text_encoder is not None:
            args.text_encoder_type = os.fspath(text_encoder)
        args.device = str(pick_device(device))
        try:
            model = build_groundingdino(args)
        except (OSError, EnvironmentError) + tuple(e for e in loading_exceptions() if e is not ValueError) as err:
            # the BERT text encoder is fetched by name
            raise model_not_available(str(args.text_encoder_type), "GroundingDINO text encoder (BERT)", err) from None
        except (KeyError, AttributeError, TypeError, ValueError, AssertionError, NotImplementedError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
            raise ModelNotAvailableError(
                f"{config_path} is not a usable GroundingDINO config ({type(err).__name__}: {first}); give the config "
                "that came with the checkpoint (e.g. GroundingDINO_SwinT_OGC.py)"
            ) from None
        checkpoint = _read_checkpoint(checkpoint_path, "the GroundingDINO checkpoint")
        state = misc.clean_state_dict(checkpoint.get("model", checkpoint))
        result = model.load_state_dict(state, strict=False)
        expected = len(model.state_dict())
        # strict=False as upstream (the checkpoint lacks buffers such as BERT's position ids); but a checkpoint
        # that matches almost nothing is the wrong file, not a GroundingDINO.
        if len(result.missing_keys) > expected // 2:
            raise ModelNotAvailableError(
                f"{checkpoint_path} does not look like a checkpoint of this GroundingDINO config "
                f"({len(result.missing_keys)} of {expected} weights missing)"
            )
        return cls(model, pick_device(device), image_size=image_size)

    def count_tokens(self, prompt: str) -> int:
        return len(self.model.tokenizer(prompt)["input_ids"])

    def _pixels_for(self, image: Image.Image, image_key: str | None) -> torch.Tensor:
        if image_key is not None and image_key == self._image_key and self._pixels is not None:
            return self._pixels
        w, h = image.size
        scale = self.image_size / min(w, h)
        if max(w, h) * scale > self.max_size:
            scale = self.max_size / max(w, h)
        resized = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR)
        arr = np.asarray(resized, dtype=np.float32) / 255.0
        arr = (arr - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
        pixels = torch.from_numpy(arr.transpose(2, 0, 1).copy()).to(self.device)
        self._image_key, self._pixels = image_key, pixels
        return pixels

    @torch.no_grad()
    def detect(
        self, image: Image.Image, prompt: str, box_threshold: float, text_threshold: float, image_key: str | None = None
    ) -> Detections:
        utils = _require("groundingdino.util.utils")

        caption = prompt.lower().strip()
        caption = caption if caption.endswith(".") else caption + "."
        outputs = self.model(self._pixels_for(image, image_key)[None], captions=[caption])
        probs = outputs["pred_logits"].float().sigmoid()[0].cpu()  # (queries, 256 token positions)
        boxes = outputs["pred_boxes"].float()[0].cpu()  # (queries, 4) cx, cy, w, h in [0, 1]
        box_scores = probs.max(dim=1)[0]
        best = float(box_scores.max()) if box_scores.numel() else 0.0
        keep = box_scores > box_threshold
        if not bool(keep.any()):
            return Detections.empty(best)
        tokenized = self.model.tokenizer(caption)
        labels = [
            clean_label(utils.get_phrases_from_posmap(p > text_threshold, tokenized, self.model.tokenizer))
            for p in probs[keep]
        ]
        w, h = image.size
        cx, cy, bw, bh = boxes[keep].unbind(-1)
        xyxy = torch.stack([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h], dim=-1)
        return Detections(
            boxes=xyxy.numpy().astype(np.float32),
            scores=box_scores[keep].numpy().astype(np.float32),
            labels=labels,
            best_score=best,
        )


# ---------------------------------------------------------------------------------------------- segmenter
@dataclass
class SamPredictorState:
    """What ``SamPredictor.set_image`` computes for one picture."""

    features: torch.Tensor
    original_size: tuple[int, int]
    input_size: tuple[int, int]


def sam_architecture(state: dict) -> dict:
    """The ``_build_sam`` arguments of a SAM state dict: vit_b/l/h are (768, 12), (1024, 24), (1280, 32)."""
    try:
        embed_dim = int(state["image_encoder.patch_embed.proj.weight"].shape[0])
    except KeyError:
        raise ModelNotAvailableError("the file is not a Segment Anything checkpoint (no image encoder)") from None
    blocks = sorted({int(m.group(1)) for k in state for m in [re.match(r"image_encoder\.blocks\.(\d+)\.", k)] if m})
    rel_sizes = [int(state[f"image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0]) for i in blocks]
    head_dim = int(state[f"image_encoder.blocks.{blocks[0]}.attn.rel_pos_h"].shape[1])
    # Global-attention blocks see the whole 64 x 64 token grid; the others a 14 x 14 window.
    global_size = max(rel_sizes)
    return dict(
        encoder_embed_dim=embed_dim,
        encoder_depth=len(blocks),
        encoder_num_heads=embed_dim // head_dim,
        encoder_global_attn_indexes=[i for i, n in zip(blocks, rel_sizes) if n == global_size],
    )


class OriginalSegmenter:
    """segment-anything's SAM through ``SamPredictor``, whose ``set_image`` state is kept per picture."""

    def __init__(self, model, device: torch.device):
        predictor_module = _require("segment_anything.predictor")
        self.model = model.eval().to(device)
        self.device = device
        self.predictor = predictor_module.SamPredictor(self.model)

    @classmethod
    def load(cls, checkpoint_path, *, device=None) -> "OriginalSegmenter":
        build_sam = _require("segment_anything.build_sam")
        state = _read_checkpoint(checkpoint_path, "the SAM checkpoint")
        state = state.get("model", state) if isinstance(state, dict) else state
        model = build_sam._build_sam(**sam_architecture(state), checkpoint=None)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ModelNotAvailableError(
                f"{checkpoint_path} is not a complete Segment Anything checkpoint ({str(err).splitlines()[0][:200]})"
            ) from None
        return cls(model, pick_device(device))

    @torch.no_grad()
    def embed(self, image: Image.Image) -> SamPredictorState:
        self.predictor.set_image(np.asarray(image.convert("RGB")), image_format="RGB")
        state = SamPredictorState(
            self.predictor.features, tuple(self.predictor.original_size), tuple(self.predictor.input_size)
        )
        self.predictor.reset_image()
        return state

    @torch.no_grad()
    def segment(self, embedding: SamPredictorState, boxes: np.ndarray) -> np.ndarray:
        h, w = embedding.original_size
        if len(boxes) == 0:
            return np.zeros((0, h, w), bool)
        predictor = self.predictor
        predictor.features = embedding.features
        predictor.original_size, predictor.input_size = embedding.original_size, embedding.input_size
        predictor.is_image_set = True
        try:
            box_tensor = torch.as_tensor(np.asarray(boxes), dtype=torch.float32, device=self.device)
            box_tensor = predictor.transform.apply_boxes_torch(box_tensor, embedding.original_size)
            masks, _, _ = predictor.predict_torch(None, None, boxes=box_tensor, multimask_output=False)
        finally:
            predictor.reset_image()
        return masks[:, 0].cpu().numpy().astype(bool)
