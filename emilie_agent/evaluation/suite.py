"""One evaluation from names to files: load the models, run every method on the benchmark, write the report.

What ``emilie-agent eval`` calls, and what a script can call::

    from emilie_agent.evaluation.suite import load_models, run_suite
    from emilie_agent.evaluation.datasets.toy import ToyBenchmark
    from emilie_agent.evaluation.methods import parse_methods

    models = load_models("toy", clip="openai/clip-vit-base-patch32", dino="facebook/dino-vits16")
    results = run_suite(ToyBenchmark(50, size=64), parse_methods("ip2p-recursive,emilie-exact"), models, "out")
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

from .datasets import Benchmark
from .methods import Method
from .metrics import DEFAULT_CLIP, DEFAULT_DINO, load_embedders
from .report import build_results, write_report
from .runner import EvalModels, active_metrics, data_has, evaluate
from ..editing.pipeline import EmilieEditor
from ..editing.settings import EditSettings
from ..errors import EmilieError
from ..masking.masker import Masker
from ..models.loading import resolve_model


def load_models(
    editor: str = "toy",
    *,
    masker: str | None = None,
    detector: str | None = None,
    segmenter: str | None = None,
    clip: str | None = DEFAULT_CLIP,
    dino: str | None = DEFAULT_DINO,
    device: str | None = None,
    dtype: str | None = None,
    settings: dict[str, Any] | None = None,
    max_side: int | None = None,
) -> EvalModels:
    """The editor (loaded now: a missing one raises ModelNotAvailableError), the masker (on first use), CLIP and DINO
    (absent ones skip their metrics). ``masker`` names detector and segmenter at once (default: ``editor`` when it is
    ``toy`` or ``tiny``, else the real defaults). ``settings`` override the editor's recommended ones."""
    model = EmilieEditor.from_pretrained(editor, device=device, torch_dtype=dtype, max_side=max_side)
    model.set_progress_bar_config(disable=True)
    base = model.recommended_settings
    given = {k: v for k, v in (settings or {}).items() if v is not None}
    chosen: EditSettings = base.replace(**given) if given else base
    masker = masker if masker is not None else (editor if editor in ("toy", "tiny") else None)
    detector, segmenter = detector or masker, segmenter or masker
    device_name = str(model._execution_device)

    def make_masker():
        return Masker.from_pretrained(detector, segmenter, device=device)

    embedders = load_embedders(clip, dino, device=device_name)
    return EvalModels(
        editor=model,
        settings=chosen,
        embedders=embedders,
        make_masker=make_masker,
        names={"editor": editor, "masker": {"detector": detector, "segmenter": segmenter}, "planner": "rules",
               **embedders.describe(), "device": device_name, "dtype": str(model.unet.dtype).replace("torch.", "")},
        weights={"editor": weights_identity(editor, "instruct-pix2pix"),
                 "masker": [weights_identity(detector, "grounding-dino"), weights_identity(segmenter, "sam")]},
    )


def weights_identity(name: str | None, kind: str) -> str | None:
    """Which weights a local model folder (``toy``, ``tiny``, a path) holds now: its files' names, sizes and times.

    Cached results are reused only with the same weights (a retrained toy model runs again). Hub ids are taken
    by name. None when the name is not a local folder (or not there: loading says so when it matters).
    """
    if name is None:
        return None
    try:
        path = Path(resolve_model(name, kind))
    except EmilieError:
        return None
    if not path.is_dir():
        return None
    entries = sorted(
        (str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns)
        for f in path.rglob("*") if f.is_file() and f.suffix in (".safetensors", ".bin", ".json", ".txt")
    )
    return hashlib.sha1(repr(entries).encode()).hexdigest()[:16]


def run_suite(benchmark: Benchmark, methods: Sequence[Method], models: EvalModels, output: str | Path, *,
              progress: bool = True, contact_sequences: int = 3, command: str | None = None) -> dict[str, Any]:
    """Run (resuming from ``output``'s cache) and write results.json, results.md, the plot and the contact sheet."""
    output = Path(output)
    metrics, skipped = active_metrics(data_has(benchmark), models.embedders)
    state = evaluate(benchmark, methods, models, output, metrics=metrics, progress=progress)
    names = [m.name for m in methods]
    settings = models.settings.model_dump(exclude={"preserve", "latent_mode"})
    settings["max_side"] = models.editor.max_side
    results = build_results(benchmark, names, state.records, metrics, skipped, models=models.names,
                            settings=settings, command=command)
    results["run"] = {"ran": state.ran, "reused": state.reused, "rescored": state.rescored}
    write_report(results, benchmark, state.records, output, contact_sequences=contact_sequences)
    return results
