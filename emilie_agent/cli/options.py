"""Options and helpers shared by the verbs that edit (``edit``, ``chat``, ``demo``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def add_editor_arguments(parser: argparse.ArgumentParser) -> None:
    """Which InstructPix2Pix model, where it runs, and the sampling settings."""
    g = parser.add_argument_group("editor")
    g.add_argument(
        "--models",
        default=None,
        help="'tiny' (random weights: wiring only, pictures are noise), a hub id or a local folder; "
        "default timbrooks/instruct-pix2pix (and the default masker models)",
    )
    g.add_argument("--editor-model", default=None, help="InstructPix2Pix model only (overrides --models)")
    g.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    g.add_argument("--dtype", default=None, help="float16, bfloat16 or float32 (default: fp16 on GPU, fp32 on CPU)")
    g.add_argument("--steps", type=int, default=20, help="denoising steps per edit (default 20)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--text-scale", type=float, default=7.5, help="text guidance scale s_T (default 7.5)")
    g.add_argument("--image-scale", type=float, default=1.5, help="image guidance scale s_I (default 1.5)")
    g.add_argument(
        "--preserve",
        choices=["exact", "guided"],
        default="exact",
        help="exact: pixels outside the mask stay bit-identical (default); guided: the paper's modulation only",
    )
    g.add_argument("--scheduler", default=None, help="euler_a, euler, ddim, dpm++, unipc, pndm, lms (default: the model's)")
    g.add_argument("--max-side", type=int, default=512, help="longest side the model works at (default 512)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")


def editor_model_name(args: argparse.Namespace) -> str:
    from ..editing.editor import DEFAULT_MODEL

    return args.editor_model or args.models or DEFAULT_MODEL


def editor_from_args(args: argparse.Namespace):
    from diffusers.utils import logging as diffusers_logging

    from ..editing.editor import EmilieEditor

    # diffusers' "Loading pipeline components" bar ignores HF_HUB_DISABLE_PROGRESS_BARS; our step bars remain.
    diffusers_logging.disable_progress_bar()

    return EmilieEditor.from_pretrained(
        editor_model_name(args), device=args.device, torch_dtype=args.dtype, max_side=args.max_side
    )


def settings_from_args(args: argparse.Namespace, **overrides):
    from ..editing.editor import EditSettings

    values = dict(
        steps=args.steps,
        text_scale=args.text_scale,
        image_scale=args.image_scale,
        seed=args.seed,
        preserve=args.preserve,
        scheduler=args.scheduler,
    )
    values.update(overrides)
    return EditSettings(**values)


class ProgressBar:
    """A tqdm bar per edit, driven by the editor's (done, total) callback; silent when quiet."""

    def __init__(self, label: str, quiet: bool = False):
        self.label = label
        self.quiet = quiet
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=self.label, unit="step", file=sys.stderr, leave=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def is_image_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES

