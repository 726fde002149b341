"""Running every method on every sequence of a benchmark, scoring each turn, caching each result.

For each sequence (a progress bar counts them) and each method, the method edits the source turn after turn
(:func:`run_method`), every output is scored against the ground truth (:func:`score_turns`), and the outputs
(``DIR/runs/<method>/<sequence>/turnN.png``) and the scores (``record.json``, written last, atomically) are kept.
A record whose fingerprint (method, models, settings, data) matches is not run again: an interrupted run picks
up where it stopped, and a longer run reuses a shorter one. A record that lacks a metric the run can now measure
(say CLIP became available) is scored again from its pictures, without editing.

Seeds: sequence ``i`` edits its turn ``t`` with seed ``settings.seed + 1000 i + t``, for every method, so methods
differ only in what they are, not in their noise (the agent seeds each step with ``its seed + the turn id``: the
same numbers while its plans have one step per instruction).
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from .datasets import Benchmark, EvalSequence, EvalTurn
from .methods import Method
from .metrics import Embedders, cosine, is_global, kept_l1, l1, l2
from .success import edit_success
from ..agent.agent import EditingAgent, choose_granularity
from ..editing.pipeline import EmilieEditor
from ..editing.session import EditSession
from ..editing.settings import EditSettings
from ..errors import EmilieError
from ..files import atomic_write, save_picture
from ..planning.rule_planner import RulePlanner

RUNS_DIR = "runs"
RECORD = "record.json"
SEED_STRIDE = 1000  # sequence i's turn t uses settings.seed + SEED_STRIDE * i + t


@dataclass
class TurnOutput:
    """What a method made of one turn."""

    picture: Image.Image
    mask: np.ndarray | None = None  # the mask it edited under (None: global)
    note: str | None = None  # what went differently (a step skipped, an error)
    extra: dict[str, Any] = field(default_factory=dict)  # kept in the record (the agent: its plan's steps)


@dataclass
class EvalModels:
    """The models and settings every method shares.

    ``masker`` is made on first use (only the agent, and masked methods on data without masks, need one).
    ``names`` say which models these are (they go into the cache's fingerprints and into results.json).
    """

    editor: EmilieEditor
    settings: EditSettings
    embedders: Embedders = field(default_factory=Embedders)
    make_masker: Callable[[], Any] | None = None
    planner: Any = None
    names: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)  # identities of local weights (see suite.weights_identity)
    _masker: Any = None
    _ip2p: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.planner is None:
            self.planner = RulePlanner()

    @property
    def masker(self):
        if self._masker is None:
            if self.make_masker is None:
                raise EmilieError("this evaluation needs a masker (the agent, or a dataset without masks) but has none")
            self._masker = self.make_masker()
        return self._masker

    def ip2p(self, scheduler: str | None = None):
        """diffusers' StableDiffusionInstructPix2PixPipeline over the editor's own components (the same weights)."""
        if scheduler not in self._ip2p:
            # Only the ip2p-recursive baseline needs diffusers' own pipeline.
            from diffusers import StableDiffusionInstructPix2PixPipeline

            components = dict(self.editor.components)
            components["scheduler"] = self.editor.get_scheduler(scheduler)
            pipe = StableDiffusionInstructPix2PixPipeline(
                **components, safety_checker=None, feature_extractor=None, requires_safety_checker=False
            )
            pipe.set_progress_bar_config(disable=True)
            self._ip2p[scheduler] = pipe
        return self._ip2p[scheduler]


# ---------------------------------------------------------------------------------------------- one method, one sequence
def turn_seed(settings: EditSettings, index: int, turn: int) -> int:
    return settings.seed + SEED_STRIDE * index + turn


def run_method(method: Method, models: EvalModels, sequence: EvalSequence, index: int) -> list[TurnOutput]:
    """Every turn of ``sequence`` edited by ``method``, each on the method's own previous output."""
    if method.runner == "ip2p":
        return _run_ip2p(method, models, sequence, index)
    if method.runner == "agent":
        return _run_agent(method, models, sequence, index)
    if method.runner == "none":
        return [TurnOutput(sequence.source) for _ in sequence.turns]
    return _run_emilie(method, models, sequence, index)


def _run_ip2p(method: Method, models: EvalModels, sequence: EvalSequence, index: int) -> list[TurnOutput]:
    editor, settings = models.editor, models.settings
    pipe = models.ip2p(settings.scheduler)
    picture = sequence.source
    outputs = []
    for t, turn in enumerate(sequence.turns, start=1):
        work = editor.working_size(picture.size)
        given = picture if picture.size == work else picture.resize(work, Image.LANCZOS)
        edited = pipe(
            turn.instruction,
            image=given,
            num_inference_steps=settings.steps,
            guidance_scale=settings.text_scale,
            image_guidance_scale=settings.image_scale,
            generator=editor.make_generator(turn_seed(settings, index, t)),
        ).images[0]
        if edited.size != picture.size:
            edited = edited.resize(picture.size, Image.LANCZOS)
        outputs.append(TurnOutput(edited))
        picture = edited
    return outputs


def _run_emilie(method: Method, models: EvalModels, sequence: EvalSequence, index: int) -> list[TurnOutput]:
    session = EditSession.start(models.editor, sequence.source)
    outputs = []
    for t, turn in enumerate(sequence.turns, start=1):
        picture = session.current.picture
        mask, note = turn_mask(method, models, turn, picture)
        settings = models.settings.replace(
            seed=turn_seed(models.settings, index, t), preserve=method.preserve, latent_mode=method.latent_mode,
            local_region=method.local_region,
        )
        try:
            session.edit(turn.instruction, mask=mask, settings=settings)
        except EmilieError as err:  # the turn is lost, the sequence goes on from the previous picture
            note = f"edit failed: {err}"
        outputs.append(TurnOutput(session.current.picture, mask, note))
    return outputs


def turn_mask(method: Method, models: EvalModels, turn: EvalTurn, picture: Image.Image) -> tuple[np.ndarray | None, str | None]:
    """The mask a masked method edits under: the dataset's (None if global), else the planner's target masked."""
    if not method.masked:
        return None, None
    if turn.mask is not None:
        mask = np.asarray(turn.mask, np.float32)
        if is_global(mask):
            return None, None
        if mask.shape != (picture.height, picture.width):
            mask = np.asarray(
                Image.fromarray((mask * 255).astype(np.uint8)).resize(picture.size, Image.NEAREST), np.float32
            ) / 255.0
        return (mask if mask.max() > 0 else None), None
    return planned_mask(models, turn.instruction, picture)


def planned_mask(models: EvalModels, instruction: str, picture: Image.Image) -> tuple[np.ndarray | None, str | None]:
    """A mask from the instruction alone: the planner's local steps' targets, found by the masker (union)."""
    try:
        plan = models.planner.plan(instruction, [])
    except EmilieError as err:
        return None, f"no plan ({err}): edited globally"
    masks = []
    for step in plan.steps:
        if step.scope == "global":
            return None, None
        result = models.masker.mask(picture, step.target, granularity=choose_granularity(step), invert=step.invert)
        if result.found and float(np.max(result.mask)) > 0:
            masks.append(np.asarray(result.mask, np.float32))
    if not masks:
        return None, "the masker found no target: edited globally"
    return np.maximum.reduce(masks), None


def _run_agent(method: Method, models: EvalModels, sequence: EvalSequence, index: int) -> list[TurnOutput]:
    session = EditSession.start(models.editor, sequence.source)
    # The agent seeds each step with settings.seed + the new turn's id (1, 2, ...): the same seeds as above.
    settings = models.settings.replace(
        seed=turn_seed(models.settings, index, 0), preserve=method.preserve, latent_mode=method.latent_mode,
        local_region=method.local_region,
    )
    agent = EditingAgent(session, planner=models.planner, masker=lambda: models.masker, settings=settings)
    outputs = []
    for turn in sequence.turns:
        before = set(session.turns)
        reply = agent.handle(turn.instruction)
        new = [session.turns[i] for i in sorted(session.turns) if i not in before]
        masks = [t.mask for t in new if t.mask is not None]
        mask = np.maximum.reduce(masks) if masks and len(masks) == len(new) else None
        notes = [f"step {r.number}: {r.status}" + (f" ({r.note})" if r.note else "") for r in reply.steps
                 if r.status != "done"]
        if reply.error is not None and not reply.steps:
            notes.append(str(reply.error))
        steps = [{"scope": r.step.scope, "target": r.step.target, "invert": r.step.invert, "status": r.status,
                  "granularity": r.granularity} for r in reply.steps]
        outputs.append(TurnOutput(session.current.picture, mask, "; ".join(notes) or None, {"steps": steps}))
    return outputs


# ---------------------------------------------------------------------------------------------- scores
def active_metrics(benchmark_sequences_have: dict[str, bool], embedders: Embedders) -> tuple[list[str], dict[str, str]]:
    """The metrics this run measures, and the reason for each it skips.

    ``benchmark_sequences_have``: {"captions": bool, "masks": bool, "success": bool} for the data.
    """
    measured, skipped = ["l1", "l2"], dict(embedders.skipped)
    if embedders.clip is not None:
        measured.append("clip_i")
    if embedders.dino is not None:
        measured.append("dino")
    if embedders.clip is not None:
        if benchmark_sequences_have.get("captions"):
            measured.append("clip_t")
        else:
            skipped["clip_t"] = "the dataset has no captions of its ground-truth pictures"
    if benchmark_sequences_have.get("masks"):
        measured.append("l1_kept")
    else:
        skipped["l1_kept"] = "the dataset has no masks"
    if benchmark_sequences_have.get("success"):
        measured.append("success")
    else:
        skipped["success"] = "success per edit kind is measured on the toy benchmark only"
    return measured, skipped


class TruthCache:
    """The ground truth's embeddings of one sequence, computed once for all methods."""

    def __init__(self, embedders: Embedders):
        self.embedders = embedders
        self.key: str | None = None
        self.values: dict[str, Any] = {}

    def get(self, sequence: EvalSequence) -> dict[str, Any]:
        if self.key != sequence.id:
            self.key, self.values = sequence.id, {}
            truths = [turn.target for turn in sequence.turns]
            if self.embedders.clip is not None:
                self.values["clip"] = self.embedders.clip.images(truths)
                captions = [turn.caption for turn in sequence.turns]
                if any(captions):
                    texts = self.embedders.clip.texts([c or "" for c in captions])
                    self.values["text"] = [t if c else None for t, c in zip(texts, captions)]
            if self.embedders.dino is not None:
                self.values["dino"] = self.embedders.dino.images(truths)
        return self.values


def score_turns(sequence: EvalSequence, pictures: Sequence[Image.Image], embedders: Embedders,
                truths: dict[str, Any], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Every metric of ``metrics`` for every turn's output (None where a turn has no value: a global turn's
    ``l1_kept``, a turn without caption's ``clip_t``)."""
    clip = embedders.clip.images(pictures) if "clip_i" in metrics or "clip_t" in metrics else None
    dino = embedders.dino.images(pictures) if "dino" in metrics else None
    scores = []
    previous = sequence.source
    for k, (turn, picture) in enumerate(zip(sequence.turns, pictures)):
        row: dict[str, Any] = {"l1": l1(picture, turn.target), "l2": l2(picture, turn.target)}
        if "clip_i" in metrics:
            row["clip_i"] = cosine(clip[k], truths["clip"][k])
        if "dino" in metrics:
            row["dino"] = cosine(dino[k], truths["dino"][k])
        if "clip_t" in metrics:
            text = truths.get("text", [None] * len(pictures))[k]
            row["clip_t"] = None if text is None else cosine(clip[k], text)
        if "l1_kept" in metrics:
            row["l1_kept"] = kept_l1(picture, previous, turn.mask)
        if "success" in metrics:
            row["success"] = None if turn.pair is None else float(edit_success(picture, turn.pair))
        scores.append({key: (round(value, 6) if isinstance(value, float) else value) for key, value in row.items()})
        previous = picture
    return scores


# ---------------------------------------------------------------------------------------------- the cache
def fingerprint(method: Method, models: EvalModels, benchmark: Benchmark, sequence: EvalSequence) -> str:
    """What a cached record was made with; a record is reused only when this matches.

    Local models count by the identity of their weights (so a moved or copied folder still matches, a retrained
    one does not); hub models by their name.
    """
    data = {k: v for k, v in benchmark.describe().items() if k != "sequences"}
    uses_masker = method.runner == "agent" or method.masked
    masker_weights = models.weights.get("masker")
    payload = {
        "method": method.config(),
        "editor": models.weights.get("editor") or models.names.get("editor"),
        "max_side": models.editor.max_side,
        "masker": (masker_weights if masker_weights and all(masker_weights) else models.names.get("masker"))
        if uses_masker else None,
        "settings": models.settings.model_dump(),
        "data": data,
        "sequence": sequence.id,
        "turns": [turn.instruction for turn in sequence.turns],
    }
    return hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_folder(output: Path, method: str, sequence_id: str) -> Path:
    return Path(output) / RUNS_DIR / method / sequence_id


def load_record(folder: Path, fp: str, turns: int) -> dict | None:
    """The cached record in ``folder`` if it is complete and was made the same way, else None."""
    path = folder / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if record.get("fingerprint") != fp or len(record.get("turns", [])) != turns:
        return None
    if not all((folder / f"turn{k}.png").is_file() for k in range(1, turns + 1)):
        return None
    return record


def load_outputs(folder: Path, turns: int) -> list[Image.Image]:
    out = []
    for k in range(1, turns + 1):
        with Image.open(folder / f"turn{k}.png") as img:
            out.append(img.convert("RGB"))
    return out


def write_record(folder: Path, record: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=1) + "\n"
    atomic_write(folder / RECORD, lambda p: p.write_text(text, encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- the whole run
@dataclass
class RunState:
    """What :func:`evaluate` did: records by method and sequence id, and how many were reused."""

    records: dict[str, dict[str, dict]] = field(default_factory=dict)
    reused: int = 0
    ran: int = 0
    rescored: int = 0


def data_has(benchmark: Benchmark) -> dict[str, bool]:
    """What the data offers the metrics, judged on its first sequence."""
    first = benchmark[0]
    return {
        "captions": any(turn.caption for turn in first.turns),
        "masks": any(turn.mask is not None for turn in first.turns),
        "success": any(turn.pair is not None for turn in first.turns),
    }


def evaluate(benchmark: Benchmark, methods: Sequence[Method], models: EvalModels, output: str | Path, *,
             metrics: Sequence[str], progress: bool = True) -> RunState:
    """Run (or reuse) every method on every sequence; returns the records, by method then sequence id."""
    # tqdm draws the bar over sequences; imported here with the run, not with the module's readers.
    from tqdm.auto import tqdm

    output = Path(output)
    state = RunState(records={m.name: {} for m in methods})
    truth = TruthCache(models.embedders)
    bar = tqdm(total=len(benchmark), desc="sequences", unit="seq", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    try:
        for index in range(len(benchmark)):
            sequence = benchmark[index]
            for method in methods:
                bar.set_postfix_str(method.name, refresh=False)
                folder = run_folder(output, method.name, sequence.id)
                fp = fingerprint(method, models, benchmark, sequence)
                record = load_record(folder, fp, len(sequence.turns))
                if record is not None and set(metrics) <= set(record.get("metrics", [])):
                    state.reused += 1
                elif record is not None:  # made the same way, scored with fewer metrics: score again
                    pictures = load_outputs(folder, len(sequence.turns))
                    scores = score_turns(sequence, pictures, models.embedders, truth.get(sequence), metrics)
                    for row, new in zip(record["turns"], scores):
                        row.update(new)
                    record["metrics"] = list(metrics)
                    write_record(folder, record)
                    state.rescored += 1
                else:
                    record = _run_and_record(method, models, sequence, index, folder, fp, truth, metrics)
                    state.ran += 1
                state.records[method.name][sequence.id] = record
            bar.update()
    finally:
        bar.close()
    return state


def _run_and_record(method: Method, models: EvalModels, sequence: EvalSequence, index: int, folder: Path, fp: str,
                    truth: TruthCache, metrics: Sequence[str]) -> dict:
    started = time.perf_counter()
    outputs = run_method(method, models, sequence, index)
    seconds = time.perf_counter() - started
    pictures = [o.picture for o in outputs]
    scores = score_turns(sequence, pictures, models.embedders, truth.get(sequence), metrics)
    for k, picture in enumerate(pictures, start=1):
        save_picture(picture, folder / f"turn{k}.png")
    turns = []
    for k, (turn, out, row) in enumerate(zip(sequence.turns, outputs, scores), start=1):
        turns.append({
            "turn": k,
            "instruction": turn.instruction,
            "kind": turn.kind,
            **row,
            "mask_area": None if out.mask is None else round(float(np.mean(out.mask)), 4),
            "note": out.note,
            **out.extra,
        })
    record = {
        "fingerprint": fp,
        "method": method.name,
        "sequence": sequence.id,
        "metrics": list(metrics),
        "seconds": round(seconds, 3),
        "turns": turns,
    }
    write_record(folder, record)
    return record

