"""``emilie-agent eval``: measure multi-turn edit quality and compare EMILIE with its baselines in one run.

    emilie-agent eval toy --methods ip2p-recursive,emilie-guided,emilie-exact --sequences 50 --models toy -o DIR
    emilie-agent eval magicbrush --data PATH_OR_ID -o DIR

writes DIR/results.json, DIR/results.md (methods x metrics, final turn and per turn), DIR/metrics_per_turn.png
and DIR/contact_sheet.png; every method's pictures and scores per sequence are cached under DIR/runs, so an
interrupted run resumes where it stopped. Metrics: L1, L2 (on [0, 1] pixels), CLIP-I, DINO, CLIP-T (CLIP
ViT-B/32 and DINO ViT-S/16 from the Hugging Face cache; when absent, their metrics are skipped and
results.json says why), L1 of what was meant to stay, and (toy) success per edit kind.
"""
from __future__ import annotations

import argparse
import sys

from .options import add_device_arguments
from ..editing.settings import DEFAULT_MODEL, SCHEDULERS, EditSettings
from ..evaluation.datasets.magicbrush import DEFAULT_ID, MagicBrushBenchmark
from ..evaluation.datasets.toy import DEFAULT_TURNS, ToyBenchmark, parse_size, parse_turns
from ..evaluation.methods import DEFAULT_METHODS, METHODS, parse_methods
from ..evaluation.metrics import DEFAULT_CLIP, DEFAULT_DINO
from ..errors import InvalidRequestError

DEFAULT_TOY_SEQUENCES = 50


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "eval",
        help="measure multi-turn editing (toy benchmark or MagicBrush) for EMILIE and its baselines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dataset", choices=["toy", "magicbrush"], help="toy (drawn offline) or magicbrush")
    p.add_argument("-o", "--output", required=True, help="output folder (also the cache an interrupted run resumes from)")
    p.add_argument(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"comma-separated, from {', '.join(METHODS)}; 'all' for every one (default {','.join(DEFAULT_METHODS)})",
    )
    p.add_argument("--sequences", type=int, default=None,
                   help=f"how many sequences (toy default {DEFAULT_TOY_SEQUENCES}; magicbrush default all)")
    data = p.add_argument_group("data")
    data.add_argument("--data", help=f"magicbrush: the unzipped test folder, or a hub dataset id such as {DEFAULT_ID}")
    data.add_argument("--split", default=None, help="toy: heldout (default) or train; magicbrush: test (default), dev...")
    data.add_argument("--turns", default="-".join(map(str, DEFAULT_TURNS)),
                      help="toy: turns per sequence, N or LO-HI (default 3-5)")
    data.add_argument("--size", default=None, help="toy: picture size, N or WxH pixels (default: the editor's own side)")
    models = p.add_argument_group("models")
    models.add_argument("--models", default=None,
                        help=f"the editor (and masker): toy, tiny, a hub id or a folder (toy benchmark default toy, "
                             f"magicbrush default {DEFAULT_MODEL})")
    models.add_argument("--masker-models", default=None, help="detector + segmenter (default: --models if toy/tiny, "
                                                              "else the real GroundingDINO + SAM)")
    models.add_argument("--detector", default=None, help="GroundingDINO hub id or folder (overrides --masker-models)")
    models.add_argument("--segmenter", default=None, help="SAM hub id or folder (overrides --masker-models)")
    models.add_argument("--clip-model", default=DEFAULT_CLIP, help=f"for CLIP-I / CLIP-T: hub id, folder, tiny or none "
                                                                  f"(default {DEFAULT_CLIP})")
    models.add_argument("--dino-model", default=DEFAULT_DINO, help=f"for DINO: hub id, folder, tiny or none "
                                                                  f"(default {DEFAULT_DINO})")
    add_device_arguments(models)
    sampling = p.add_argument_group("sampling (shared by every method)")
    sampling.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's, else 20)")
    sampling.add_argument("--text-scale", type=float, default=None, help="s_T (default: the model's, else 7.5)")
    sampling.add_argument("--image-scale", type=float, default=None, help="s_I (default: the model's, else 1.5)")
    sampling.add_argument("--scheduler", default=None, help=f"{', '.join(SCHEDULERS)} (default: the model's)")
    sampling.add_argument("--seed", type=int, default=0, help="base seed; turn t of sequence i uses seed + 1000 i + t")
    sampling.add_argument("--crop-margin", type=int, default=None,
                          help="crop mode's context around the mask, in pixels of the edited size (default 32)")
    sampling.add_argument("--max-side", type=int, default=None, help="longest side edited at (default: the model's)")
    p.add_argument("--contact-sequences", type=int, default=3, help="sequences on the contact sheet (default 3)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Checked before any model loads: methods, turns, sampling settings, sizes, the data.
    methods = parse_methods(args.methods)
    sampling = dict(steps=args.steps, text_scale=args.text_scale, image_scale=args.image_scale,
                    scheduler=args.scheduler, seed=args.seed, crop_margin=args.crop_margin)
    EditSettings(**{k: v for k, v in sampling.items() if v is not None})
    if args.sequences is not None and args.sequences < 1:
        raise InvalidRequestError(f"--sequences must be at least 1, not {args.sequences}")
    if args.contact_sequences < 0:
        raise InvalidRequestError(f"--contact-sequences must be >= 0, not {args.contact_sequences}")
    benchmark = None
    if args.dataset == "toy":
        turns = parse_turns(args.turns)
        size = parse_size(args.size) if args.size is not None else None
        editor_name = args.models or "toy"
    else:
        if not args.data:
            raise InvalidRequestError(
                f"say where MagicBrush is: --data FOLDER (the unzipped test set) or --data {DEFAULT_ID} --split dev"
            )
        benchmark = MagicBrushBenchmark(args.data, split=args.split or "test", count=args.sequences)
        editor_name = args.models or DEFAULT_MODEL

    # torch, diffusers and transformers load only now (keeps --help quick).
    from ..evaluation.suite import load_models, run_suite
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()
    models = load_models(
        editor_name,
        masker=args.masker_models,
        detector=args.detector,
        segmenter=args.segmenter,
        clip=args.clip_model,
        dino=args.dino_model,
        device=args.device,
        dtype=args.dtype,
        settings=sampling,
        max_side=args.max_side,
    )
    for metric, why in models.embedders.skipped.items():
        print(f"emilie-agent eval: skipping {metric}: {why}", file=sys.stderr)
    if benchmark is None:
        # The toy benchmark is drawn at the editor's own size unless told otherwise.
        size = size or models.editor.max_side
        benchmark = ToyBenchmark(args.sequences or DEFAULT_TOY_SEQUENCES, turns=turns, seed=args.seed,
                                 split=args.split or "heldout", size=size)
    command = " ".join(
        ["emilie-agent eval", args.dataset]
        + ([f"--data {args.data}"] if args.data else [])
        + [f"--methods {','.join(m.name for m in methods)}", f"--sequences {len(benchmark)}",
           f"--models {editor_name}", f"-o {args.output}"]
    )
    results = run_suite(benchmark, methods, models, args.output, progress=not args.quiet,
                        contact_sequences=args.contact_sequences, command=command)
    run_info = results["run"]
    print(f"{len(benchmark)} sequences x {len(methods)} methods: {run_info['ran']} run, {run_info['reused']} reused "
          f"from {args.output}" + (f", {run_info['rescored']} scored again" if run_info["rescored"] else ""))
    for name, values in results["methods"].items():
        final = ", ".join(f"{k} {v:.4f}" for k, v in values["final"].items())
        print(f"  {name:24s} final turn: {final}")
    outputs = results.get("outputs", {})
    print(f"wrote {args.output}/results.json, results.md, " + ", ".join(outputs.values()))
    return 0
