"""The option groups the verbs share, and what each group becomes for the library.

Every ``add_*_arguments(parser)`` adds one group of options; the function beside it turns the parsed arguments
into what the library takes: :class:`EditSettings` and the editor (``edit``, ``chat``, ``demo``),
:class:`MaskerOptions` (``edit --target``, ``mask``, planned requests), a planner (``plan``, planned requests)
and the :class:`EditingAgent` options of a planned request. The library never sees an ``argparse.Namespace``.
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

from .progress import ProgressBar
from .terminal import printable
from ..errors import InvalidRequestError
from ..editing.settings import DEFAULT_MODEL, SCHEDULERS, EditSettings, check_scheduler_available
from ..images import MAX_MAX_SIDE, MIN_MAX_SIDE, check_max_side
from ..masking.granularity import GRANULARITIES
from ..masking.masker import Masker
from ..masking.options import BACKENDS, DEFAULT_DETECTOR, DEFAULT_SEGMENTER, MaskerOptions
from ..models.loading import TOY_KINDS, TOY_ROOT
from ..planning.planner import PLANNER_KINDS, Planner, make_planner

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def is_image_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


# ---------------------------------------------------------------------- where the models run
def add_device_arguments(group) -> None:
    """``--device`` and ``--dtype`` (an argument group or a parser)."""
    group.add_argument(
        "--device", default=None, help="cuda (or cuda:N), mps or cpu: one this machine has (default: the best available)"
    )
    group.add_argument(
        "--dtype", default=None, help="float16, bfloat16 or float32 (default: fp16 on GPU, fp32 on CPU)"
    )


def check_not_empty(args: argparse.Namespace, *names: str) -> None:
    """An option given as an empty string (``--models ''``) is a mistake, not "the default": say so."""
    for name in names:
        value = getattr(args, name, None)
        if isinstance(value, str) and not value.strip():
            raise InvalidRequestError(f"--{name.replace('_', '-')} is empty: give a value or leave the option out")


def check_device_options(args: argparse.Namespace) -> None:
    """``--device`` and ``--dtype``: known, and present on this machine (before any model loads); the model options
    given are not empty."""
    check_not_empty(args, "masker_models", "detector", "segmenter", "detector_config", "text_encoder")
    if args.device is None and args.dtype is None:
        return
    # Lazy: the check asks torch what this machine has; `plan` and --help never import torch.
    from ..models.devices import check_device, check_dtype

    check_device(args.device)
    check_dtype(args.dtype)


def check_offload_device(device: str | None) -> None:
    """``--offload`` needs an accelerator to offload to: refuse it, before any model loads, on a CPU-only run."""
    # Lazy: the check asks torch what this machine has; `plan` and --help never import torch.
    from ..models.devices import pick_device

    if pick_device(device).type == "cpu":
        raise InvalidRequestError(
            "--offload moves the models between the CPU and a GPU, and this run is on the CPU: leave out --offload"
        )


# ---------------------------------------------------------------------- the editor -> EditSettings
def add_editor_arguments(parser: argparse.ArgumentParser) -> None:
    """Which InstructPix2Pix model, where it runs, and the sampling settings."""
    g = parser.add_argument_group("editor")
    g.add_argument(
        "--models",
        default=None,
        help="'toy' (small models trained on synthetic scenes, shipped in the package), 'tiny' (random weights: "
        f"wiring only, pictures are noise), a hub id or a local folder; default {DEFAULT_MODEL} (and the default "
        "masker models)",
    )
    g.add_argument("--editor-model", default=None, help="InstructPix2Pix model only (overrides --models)")
    add_device_arguments(g)
    # None: the model's own recommendation (a toy model's folder carries one), else EditSettings' defaults.
    g.add_argument("--steps", type=int, default=None, help="denoising steps per edit (default: the model's, else 20)")
    g.add_argument("--seed", type=int, default=0, help="random seed, 0 to 2**64 - 1 (default 0)")
    g.add_argument(
        "--text-scale", type=float, default=None, help="text guidance scale s_T (default: the model's, else 7.5)"
    )
    g.add_argument(
        "--image-scale", type=float, default=None, help="image guidance scale s_I (default: the model's, else 1.5)"
    )
    g.add_argument(
        "--preserve",
        choices=["exact", "guided"],
        default="exact",
        help="exact: pixels outside the mask stay bit-identical (default); guided: the paper's modulation only",
    )
    g.add_argument(
        "--local-region",
        choices=["full", "crop"],
        default=None,
        help="where a local step with --preserve exact samples: the whole picture (full, default) or only the "
        "crop around its mask plus --crop-margin pixels of context (crop: cost follows the mask's size)",
    )
    g.add_argument(
        "--crop-margin", type=int, default=None, help="context around the mask in crop mode, in pixels (default 32)"
    )
    g.add_argument(
        "--scheduler",
        default=None,
        help=f"{', '.join(SCHEDULERS)} (default: the model's); pndm needs --steps 4 or more, lms needs scipy",
    )
    g.add_argument(
        "--max-side",
        type=int,
        default=None,
        help=f"longest side the model works at, {MIN_MAX_SIDE} to {MAX_MAX_SIDE} pixels (default: the model's, else 512)",
    )
    g.add_argument(
        "--offload",
        choices=["model", "sequential"],
        default=None,
        help="keep the editor's models on the CPU until they run, for small GPUs: model (each model in turn) or "
        "sequential (layer by layer: least memory, slowest); needs a GPU",
    )
    g.add_argument("--compile", action="store_true", help="torch.compile the UNet (the first edits are slow)")
    g.add_argument("--channels-last", action="store_true", help="UNet and VAE weights in channels-last layout")
    g.add_argument("--vae-tiling", action="store_true", help="decode large pictures tile by tile (less memory)")
    g.add_argument("--quiet", action="store_true", help="no progress bars")


def edit_settings(args: argparse.Namespace, base: EditSettings | None = None) -> EditSettings:
    """The sampling settings the editor options give, over ``base`` (the model's recommended settings).

    Called once before any model loads (against the defaults, so a bad value fails in a second) and again
    with ``editor.recommended_settings`` once the editor is there.
    """
    given = dict(
        steps=args.steps,
        text_scale=args.text_scale,
        image_scale=args.image_scale,
        seed=args.seed,
        preserve=args.preserve,
        scheduler=args.scheduler,
        local_region=args.local_region,
        crop_margin=args.crop_margin,
    )
    return (base or EditSettings()).replace(**{name: value for name, value in given.items() if value is not None})


def check_editor_options(args: argparse.Namespace) -> EditSettings:
    """Everything about the editor that can be checked before it loads: device, dtype, ``--max-side``, the
    sampling settings and whether the scheduler asked for can run here. Returns the settings (over the defaults)."""
    check_device_options(args)
    check_not_empty(args, "models", "editor_model", "scheduler")
    if args.offload is not None:
        check_offload_device(args.device)
    if args.max_side is not None:
        check_max_side(args.max_side)
    settings = edit_settings(args)
    if settings.scheduler is not None:
        check_scheduler_available(SCHEDULERS[settings.scheduler], settings.scheduler)
    return settings


def speed_options(args: argparse.Namespace) -> dict:
    """--compile, --channels-last, --offload and --vae-tiling as :func:`~emilie_agent.editing.speed.load_editor`'s
    keyword arguments (plain data: they also travel to Ray Serve replicas)."""
    return {
        "compile_unet": bool(args.compile),
        "channels_last": bool(args.channels_last),
        "offload": args.offload,
        "vae_tiling": bool(args.vae_tiling),
    }


def editor_model_name(args: argparse.Namespace) -> str:
    return args.editor_model or args.models or DEFAULT_MODEL


def load_editor(args: argparse.Namespace):
    """The InstructPix2Pix editor the editor options name, on the device they name."""
    # Lazy: torch and diffusers load only when a verb edits, not for `plan` or --help.
    from diffusers.utils import logging as diffusers_logging

    from ..editing.speed import load_editor as load_fast_editor  # lazy, as above: it imports torch

    # diffusers' "Loading pipeline components" bar ignores HF_HUB_DISABLE_PROGRESS_BARS; our step bars remain.
    diffusers_logging.disable_progress_bar()
    editor = load_fast_editor(editor_model_name(args), device=args.device, dtype=args.dtype, max_side=args.max_side,
                              **speed_options(args))
    editor.set_progress_bar_config(disable=True)  # the pipeline's own step bar: ours (ProgressBar) replace it
    return editor


# ---------------------------------------------------------------------- the masker -> MaskerOptions
def add_masker_arguments(parser: argparse.ArgumentParser, *, models_option: bool = False) -> None:
    """The masker's options (``edit --target``, planned requests and ``mask`` share them).

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
    g.add_argument(
        "--detector-config",
        default=None,
        help="original backend: the GroundingDINO config. A .py config is Python: it is RUN (as upstream's loader "
        "does), so give only one you trust; .yaml/.yml configs are read with yaml.safe_load (no code)",
    )
    g.add_argument("--text-encoder", default=None, help="original backend: BERT hub id or folder for GroundingDINO")
    g.add_argument(
        "--box-threshold",
        type=float,
        default=None,
        help="detection score a box needs, 0 to 1 (default: the detector's recommended one, else 0.35)",
    )
    g.add_argument(
        "--text-threshold",
        type=float,
        default=None,
        help="score a word needs to label a box, 0 to 1 (default: the detector's recommended one, else 0.25)",
    )
    g.add_argument(
        "--granularity",
        choices=GRANULARITIES,
        default=None,
        help="object: the object's own mask; region: grown around it; global: the whole picture (default object)",
    )
    g.add_argument(
        "--spread", type=float, default=None, help="0 (object) ... 1 (whole picture); replaces --granularity's preset"
    )


def masker_options(args: argparse.Namespace) -> MaskerOptions:
    """The masker options given (checked now, before any model loads), with ``--device`` / ``--dtype``."""
    return MaskerOptions(
        models=args.masker_models,
        editor_models=getattr(args, "models", None),  # edit --models tiny: the masker's tiny models too
        detector=args.detector,
        segmenter=args.segmenter,
        backend=args.masker_backend,
        detector_config=args.detector_config,
        text_encoder=args.text_encoder,
        box_threshold=args.box_threshold,
        text_threshold=args.text_threshold,
        granularity=args.granularity,
        spread=args.spread,
        device=args.device,
        dtype=args.dtype,
    )


# ---------------------------------------------------------------------- the planner
def add_planner_arguments(group, *, model_flag: str) -> None:
    """``--planner`` and the chat model option (``--model`` for ``plan``, ``--planner-model`` elsewhere)."""
    group.add_argument(
        "--planner",
        choices=PLANNER_KINDS,
        default=None,
        help=f"rules: offline, no API key (default); llm: a LangChain chat model (needs {model_flag})",
    )
    group.add_argument(
        model_flag,
        metavar="PROVIDER:NAME",
        help='the chat model that plans, e.g. "openai:gpt-4o-mini" (selects --planner llm)',
    )


def planner(kind: str | None, model: str | None) -> Planner:
    """The planner ``--planner`` names; a chat model alone selects the LLM planner. Fails now if unusable."""
    return make_planner(kind or ("llm" if model else "rules"), model)


def add_planning_arguments(group) -> None:
    """``--planner``, ``--planner-model`` and ``--on-missing``: how a request becomes steps, and what a step whose
    target is not found does."""
    add_planner_arguments(group, model_flag="--planner-model")
    group.add_argument(
        "--on-missing",
        choices=["skip", "stop"],
        default="skip",
        help="when a step's target is not found: skip that step (default) or stop the request there",
    )


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    """The editor, masker and planner options every server verb (ui, mcp, serve) takes."""
    add_editor_arguments(parser)
    add_masker_arguments(parser)
    add_planning_arguments(parser.add_argument_group("planner"))


# ---------------------------------------------------------------------- planned requests -> EditingAgent
def add_request_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the planned form (``edit ... -o OUT_DIR``) and of ``chat``."""
    g = parser.add_argument_group("planned requests (edit -o OUT_DIR, chat)")
    add_planning_arguments(g)
    g.add_argument(
        "--resume",
        metavar="DIR",
        help="continue the session saved in DIR (e.g. OUT_DIR/session); its current picture is edited, IMAGE is not read",
    )


def agent_options(args: argparse.Namespace, planner: Planner) -> dict[str, Any]:
    """The :class:`~emilie_agent.agent.agent.EditingAgent` options the editor, masker and request options give.

    The masker loads the first time a local step needs it (global edits need none).
    """
    masking = masker_options(args)
    quiet = args.quiet
    return dict(
        planner=planner,
        masker=lambda: Masker.from_options(masking),
        settings=edit_settings(args),
        on_missing=args.on_missing,
        progress=lambda label: ProgressBar(label, quiet=quiet),
        mask_options={} if masking.spread is None else {"spread": masking.spread},
        granularity=masking.granularity,  # None: chosen per step from the instruction
    )


def session_from_args(args: argparse.Namespace, editor, *, loaded=None):
    """A new session on IMAGE, or the one saved in ``--resume DIR`` (said on standard error).

    ``loaded``: that saved session, already read (without an editor, to plan before the models load): it gets
    ``editor`` instead of being read again."""
    from ..agent.request import open_session  # lazy: sessions hold torch tensors; `plan` and --help need none

    model = editor_model_name(args)
    if loaded is not None:
        loaded.editor = editor
        session = loaded
    else:
        session = open_session(editor, image=args.image, resume=args.resume, model=model)
    if args.resume:
        if session.model and session.model != model:
            print(
                f"emilie-agent: warning: {args.resume} was made with {session.model!r}, now editing with "
                f"{model!r}; the carried latents may not suit it",
                file=sys.stderr,
            )
        print(
            printable(f"resumed {args.resume}: {len(session)} turns, now at {session.current.describe()}"),
            file=sys.stderr,
        )
    return session


# ------------------------------------------------------------------------------------------ --models auto
def toy_models_available() -> bool:
    """Whether the toy models (editor, detector, segmenter) are in the package."""
    return all((TOY_ROOT / kind).is_dir() and any((TOY_ROOT / kind).iterdir()) for kind in TOY_KINDS)


def resolve_auto_models(verb: str) -> str | None:
    """What ``--models auto`` means here, said in one line when it is not the real models.

    The real models when they are in the Hugging Face cache (None: the defaults), else the toy models shipped in
    the package ("toy"), else tiny random ones ("tiny": wiring only, the pictures are noise).
    """
    from ..models import fetch  # lazy: huggingface_hub only to look at the cache (keeps --help quick)

    missing = fetch.missing_from_cache()
    if not missing:
        return None
    where = f"emilie-agent {verb}: the real models are not in the Hugging Face cache ({', '.join(missing)})"
    get_them = "Get the real ones with `emilie-agent fetch --all` (needs network)."
    if toy_models_available():
        print(f"{where}; using the TOY models (trained on synthetic scenes, 64 px). {get_them}", file=sys.stderr)
        return "toy"
    print(f"{where} and the toy models are not built (python tools/train_toy.py); using TINY RANDOM models instead, "
          f"so the pictures will be noise. {get_them}", file=sys.stderr)
    return "tiny"


# ---------------------------------------------------------------------------------------------- servers
def is_loopback(host: str) -> bool:
    """Whether a server bound to ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it is written in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host else host


SESSIONS_HELP = (
    "folder the sessions are kept in, or an fsspec URL of object storage (s3://bucket/prefix, gs://..., with its "
    "fsspec package; edited in local copies under $EMILIE_SESSION_CACHE or ~/.cache/emilie-agent/session-cache) "
    "(default: $EMILIE_SESSIONS, else ~/.local/share/emilie-agent/sessions)"
)


def add_server_arguments(group, default_port: int, *, port_note: str = "", sessions_note: str = "") -> None:
    """--host, --port and --sessions, as every server verb (ui, mcp, serve) takes them."""
    group.add_argument("--host", default="127.0.0.1",
                       help=f"{port_note}address to bind (default 127.0.0.1: this machine only)")
    group.add_argument("--port", type=int, default=default_port, help=f"{port_note}port (default {default_port})")
    group.add_argument("--sessions", metavar="DIR|URL", default=None, help=SESSIONS_HELP + sessions_note)


def check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise InvalidRequestError(f"--port must be from 1 to 65535, not {port}")


def editing_service(args: argparse.Namespace, *, masking: MaskerOptions | None = None,
                    chosen_planner: Planner | None = None):
    """The EditingService the server verbs run, from the editor, masker and planner options (models load lazily)."""
    from ..service import EditingService, SessionStore, default_root  # lazy: the service imports torch

    return EditingService(
        SessionStore(args.sessions or default_root()),
        models=args.editor_model or args.models,
        device=args.device,
        dtype=args.dtype,
        max_side=args.max_side,
        speed=speed_options(args),
        settings=lambda recommended: edit_settings(args, recommended),
        masker_options=masking if masking is not None else masker_options(args),
        planner=chosen_planner if chosen_planner is not None else planner(args.planner, args.planner_model),
        on_missing=args.on_missing,
    )
