"""What an evaluation writes: results.json, a Markdown table like the papers', a plot per turn, a contact sheet.

* ``results.json``: ``{"dataset": ..., "methods": {NAME: {"final": {metric: x}, "per_turn": [{metric: x}, ...],
  ...}}, "skipped_metrics": {metric: reason}, ...}``. ``final`` averages each sequence's last turn, ``per_turn[k]``
  the sequences that have a turn k+1 (``n_final`` / ``n_per_turn`` say how many);
* ``results.md``: methods x metrics at the final turn and at every turn (best in bold), success per edit kind;
* ``metrics_per_turn.png``: each metric against the turn number, a line per method (matplotlib, no display);
* ``contact_sheet.png``: the first few sequences, the ground truth and every method's turns side by side.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .datasets import Benchmark
from .methods import METHODS
from .metrics import DESCRIPTIONS, LABELS, LOWER_IS_BETTER, METRICS, mean
from .runner import load_outputs, run_folder
from ..files import atomic_write, save_picture

RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
PLOT = "metrics_per_turn.png"
CONTACT_SHEET = "contact_sheet.png"


# ---------------------------------------------------------------------------------------------- numbers
def aggregate(records: dict[str, dict], sequence_ids: Sequence[str], metrics: Sequence[str]) -> dict[str, Any]:
    """One method's records (by sequence id) -> final and per-turn means, counts, success per kind, timing."""
    rows = [records[s]["turns"] for s in sequence_ids if s in records]
    longest = max((len(r) for r in rows), default=0)
    per_turn, n_per_turn = [], []
    for k in range(longest):
        at_k = [r[k] for r in rows if len(r) > k]
        n_per_turn.append(len(at_k))
        per_turn.append(_means(at_k, metrics))
    finals = [r[-1] for r in rows if r]
    kinds: dict[str, list[float]] = {}
    for r in rows:
        for turn in r:
            if turn.get("kind") and turn.get("success") is not None:
                kinds.setdefault(turn["kind"], []).append(float(turn["success"]))
    seconds = [records[s].get("seconds") for s in sequence_ids if s in records]
    edits = sum(len(r) for r in rows)
    out: dict[str, Any] = {
        "final": _means(finals, metrics),
        "per_turn": per_turn,
        "n_final": len(finals),
        "n_per_turn": n_per_turn,
    }
    if kinds:
        out["success_by_kind"] = {k: {"rate": round(float(np.mean(v)), 4), "n": len(v)} for k, v in sorted(kinds.items())}
    if edits and all(s is not None for s in seconds):
        out["seconds_per_turn"] = round(sum(seconds) / edits, 4)
    notes = sum(1 for r in rows for turn in r if turn.get("note"))
    if notes:
        out["turns_with_notes"] = notes
    return out


def _means(turns: Sequence[dict], metrics: Sequence[str]) -> dict[str, float]:
    out = {}
    for metric in metrics:
        value = mean(turn.get(metric) for turn in turns)
        if value is not None:
            out[metric] = round(value, 5)
    return out


def build_results(benchmark: Benchmark, methods: Sequence[str], records: dict[str, dict], metrics: Sequence[str],
                  skipped: dict[str, str], *, models: dict[str, Any], settings: dict[str, Any],
                  command: str | None = None) -> dict[str, Any]:
    sequence_ids = [benchmark[i].id for i in range(len(benchmark))]
    return {
        "dataset": benchmark.name,
        "data": benchmark.describe(),
        "methods": {name: aggregate(records[name], sequence_ids, metrics) for name in methods},
        "metrics": list(metrics),
        "skipped_metrics": dict(sorted(skipped.items())),
        "metric_descriptions": {m: DESCRIPTIONS[m] for m in metrics},
        "method_descriptions": {name: METHODS[name].description for name in methods if name in METHODS},
        "models": models,
        "settings": settings,
        "command": command,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


# ---------------------------------------------------------------------------------------------- Markdown
def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    if metric == "success":
        return f"{100 * value:.0f}%"
    return f"{value:.4f}"


def _best(values: dict[str, float | None], metric: str) -> set[str]:
    present = {k: v for k, v in values.items() if v is not None}
    if len(present) < 2:
        return set()
    if max(present.values()) - min(present.values()) <= 5e-5:  # all equal: nobody wins
        return set()
    target = (min if metric in LOWER_IS_BETTER else max)(present.values())
    return {k for k, v in present.items() if math.isclose(v, target, rel_tol=0, abs_tol=5e-5)}


def _table(rows: list[tuple[str, dict[str, float]]], metrics: Sequence[str], first: str = "method") -> list[str]:
    header = [first] + [LABELS[m] + (" ↓" if m in LOWER_IS_BETTER else " ↑") for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * len(metrics)]
    best = {m: _best({name: values.get(m) for name, values in rows}, m) for m in metrics}
    for name, values in rows:
        cells = []
        for m in metrics:
            text = _fmt(m, values.get(m))
            cells.append(f"**{text}**" if name in best[m] else text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def to_markdown(results: dict[str, Any]) -> str:
    """The papers' tables: methods x metrics at the final turn, then at every turn; success per kind."""
    methods = results["methods"]
    metrics = [m for m in METRICS if m in results["metrics"]]
    data = results["data"]
    lines = [f"## Multi-turn editing on the {results['dataset']} benchmark", ""]
    first = next(iter(methods.values()), {})
    counts = first.get("n_per_turn", [])
    about = f"{first.get('n_final', 0)} sequences"
    if counts:
        about += f", {len(counts)} turns at most (sequences per turn: {', '.join(map(str, counts))})"
    model = results.get("models", {}).get("editor")
    settings = results.get("settings", {})
    about += f"; editor `{model}`" if model else ""
    if settings:
        about += (f", {settings.get('steps')} steps, s_T {settings.get('text_scale')}, s_I {settings.get('image_scale')}, "
                  f"seed {settings.get('seed')}")
    if results["dataset"] == "toy":
        about += f"; toy split {data.get('split')}, {data.get('size')} px, turns {data.get('turns')}"
    lines += [about + ". Best of each column in bold.", ""]
    lines += ["**Final turn**", ""]
    lines += _table([(name, m["final"]) for name, m in methods.items()], metrics)
    lines += ["", "**Per turn**", ""]
    header = ["turn", "method"] + [LABELS[m] + (" ↓" if m in LOWER_IS_BETTER else " ↑") for m in metrics]
    lines += ["| " + " | ".join(header) + " |", "| --- | --- |" + " ---: |" * len(metrics)]
    turns = max((len(m["per_turn"]) for m in methods.values()), default=0)
    for k in range(turns):
        at_k = {name: m["per_turn"][k] for name, m in methods.items() if len(m["per_turn"]) > k}
        best = {metric: _best({name: v.get(metric) for name, v in at_k.items()}, metric) for metric in metrics}
        for name, values in at_k.items():
            cells = []
            for metric in metrics:
                text = _fmt(metric, values.get(metric))
                cells.append(f"**{text}**" if name in best[metric] else text)
            n = methods[name]["n_per_turn"][k]
            lines.append(f"| {k + 1} (n={n}) | {name} | " + " | ".join(cells) + " |")
    kinds = sorted({kind for m in methods.values() for kind in m.get("success_by_kind", {})})
    if kinds:
        lines += ["", "**Success per edit kind** (all turns)", ""]
        ns = {kind: next((m["success_by_kind"][kind]["n"] for m in methods.values() if kind in m.get("success_by_kind", {})), 0)
              for kind in kinds}
        lines += ["| method | " + " | ".join(f"{kind} (n={ns[kind]})" for kind in kinds) + " |",
                  "| --- |" + " ---: |" * len(kinds)]
        best = {kind: _best({name: m.get("success_by_kind", {}).get(kind, {}).get("rate") for name, m in methods.items()},
                            "success") for kind in kinds}
        for name, m in methods.items():
            cells = []
            for kind in kinds:
                rate = m.get("success_by_kind", {}).get(kind, {}).get("rate")
                text = _fmt("success", rate)
                cells.append(f"**{text}**" if name in best[kind] else text)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    timing = {name: m.get("seconds_per_turn") for name, m in methods.items() if m.get("seconds_per_turn") is not None}
    lines += ["", "Metrics: " + "; ".join(f"**{LABELS[m]}** {results['metric_descriptions'][m]}" for m in metrics) + "."]
    descriptions = results.get("method_descriptions", {})
    if descriptions:
        lines += ["", "Methods: " + "; ".join(
            f"**{name}** {descriptions.get(name, '')}" + (f" ({timing[name]:.2f} s a turn)" if name in timing else "")
            for name in methods) + "."]
    if results.get("skipped_metrics"):
        lines += ["", "Skipped metrics: " + "; ".join(f"**{LABELS.get(m, m)}**: {why}" for m, why in
                                                     results["skipped_metrics"].items()) + "."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- the plot
def plot_per_turn(results: dict[str, Any], path: Path) -> Path:
    """Each metric against the turn number, a line per method; written without a display (Agg canvas)."""
    # matplotlib is the eval extra's; only the report needs it (its object API: no global backend is set).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metrics = [m for m in METRICS if m in results["metrics"]]
    methods = results["methods"]
    columns = min(4, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    figure = Figure(figsize=(4.2 * columns, 3.4 * rows + 0.6), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax, metric in zip(axes.ravel(), metrics):
        for name, m in methods.items():
            ys = [turn.get(metric) for turn in m["per_turn"]]
            xs = [k + 1 for k, y in enumerate(ys) if y is not None]
            ys = [y for y in ys if y is not None]
            if ys:
                ax.plot(xs, ys, marker="o", label=name)
        ax.set_title(LABELS[metric] + (" (lower is better)" if metric in LOWER_IS_BETTER else " (higher is better)"),
                     fontsize=10)
        ax.set_xlabel("turn")
        ax.grid(alpha=0.3)
        counts = max((m["n_per_turn"] for m in methods.values()), key=len, default=[])
        ax.set_xticks(range(1, len(counts) + 1))
        ax.set_xticklabels([f"{k}\n(n={n})" for k, n in enumerate(counts, start=1)], fontsize=8)
    for ax in axes.ravel()[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 8), fontsize=9, frameon=False)
    figure.suptitle(f"{results['dataset']} benchmark: metrics per turn", fontsize=11)
    figure.tight_layout(rect=(0, 0.09 if rows == 1 else 0.06, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: figure.savefig(p, format="png"))
    return path


# ---------------------------------------------------------------------------------------------- the contact sheet
LABEL_WIDTH = 150
PAD = 4
LINE = 12


def _wrap(draw: ImageDraw.ImageDraw, font, text: str, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1] + " ..."
    out = []
    for line in lines:
        while line and draw.textlength(line, font=font) > width:
            line = line[:-1]
        out.append(line)
    return out


def contact_sheet(benchmark: Benchmark, methods: Sequence[str], records: dict[str, dict], output: Path,
                  count: int = 3, metric: str = "l1") -> Image.Image | None:
    """The first ``count`` sequences: a header row of instructions, the ground truth, then each method's turns."""
    count = min(count, len(benchmark))
    if count < 1:
        return None
    font = ImageFont.load_default()
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    blocks = []
    for index in range(count):
        sequence = benchmark[index]
        side = sequence.source.height
        height = 128 if side <= 128 else 160
        width = max(1, round(sequence.source.width * height / sequence.source.height))
        columns = 1 + len(sequence.turns)
        header_h = 3 * LINE + PAD
        cell_h = height + LINE + PAD
        rows = [("ground truth", [sequence.source] + [t.target for t in sequence.turns], None)]
        for name in methods:
            record = records.get(name, {}).get(sequence.id)
            if record is None:
                continue
            pictures = load_outputs(run_folder(output, name, sequence.id), len(sequence.turns))
            values = [turn.get(metric) for turn in record["turns"]]
            rows.append((name, [sequence.source] + pictures, values))
        block = Image.new("RGB", (LABEL_WIDTH + columns * (width + PAD) + PAD, header_h + len(rows) * cell_h + PAD),
                          "white")
        draw = ImageDraw.Draw(block)
        draw.text((PAD, PAD), sequence.id, fill=(90, 90, 90), font=font)
        titles = ["source"] + [f"{k}. {t.instruction}" for k, t in enumerate(sequence.turns, start=1)]
        for c, title in enumerate(titles):
            x = LABEL_WIDTH + PAD + c * (width + PAD)
            for r, line in enumerate(_wrap(scratch, font, title, width, 3)):
                draw.text((x, PAD + r * LINE), line, fill=(0, 0, 0), font=font)
        for r, (label, pictures, values) in enumerate(rows):
            y = header_h + r * cell_h
            for i, line in enumerate(_wrap(scratch, font, label, LABEL_WIDTH - 2 * PAD, 2)):
                draw.text((PAD, y + height // 2 - LINE + i * LINE), line, fill=(0, 0, 0), font=font)
            for c, picture in enumerate(pictures):
                x = LABEL_WIDTH + PAD + c * (width + PAD)
                resample = Image.NEAREST if height > picture.height else Image.LANCZOS
                block.paste(picture.convert("RGB").resize((width, height), resample), (x, y))
                if values is not None and c > 0 and values[c - 1] is not None:
                    draw.text((x, y + height + 1), f"{LABELS.get(metric, metric)} {values[c - 1]:.3f}",
                              fill=(60, 60, 60), font=font)
        blocks.append(block)
    sheet = Image.new("RGB", (max(b.width for b in blocks), sum(b.height for b in blocks) + PAD * (len(blocks) - 1)),
                      (225, 225, 225))
    y = 0
    for block in blocks:
        sheet.paste(block, (0, y))
        y += block.height + PAD
    return sheet


# ---------------------------------------------------------------------------------------------- all of it
def write_report(results: dict[str, Any], benchmark: Benchmark, records: dict[str, dict], output: Path, *,
                 contact_sequences: int = 3) -> dict[str, Path]:
    """Write results.json, results.md, the plot and the contact sheet into ``output``; returns their paths."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    paths = {"plot": plot_per_turn(results, output / PLOT)}
    sheet = contact_sheet(benchmark, list(results["methods"]), records, output, contact_sequences)
    if sheet is not None:
        paths["contact_sheet"] = save_picture(sheet, output / CONTACT_SHEET)
    results["outputs"] = {key: path.name for key, path in paths.items()}
    markdown = to_markdown(results)
    atomic_write(output / RESULTS_MD, lambda p: p.write_text(markdown, encoding="utf-8"))
    text = json.dumps(results, indent=1) + "\n"
    atomic_write(output / RESULTS_JSON, lambda p: p.write_text(text, encoding="utf-8"))
    paths["json"], paths["markdown"] = output / RESULTS_JSON, output / RESULTS_MD
    return paths
