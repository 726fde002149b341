#!/usr/bin/env python3
"""Benchmark a whole agent turn at real size, on whatever device is present, and print the figures.

Default models: ``real-size`` (the real InstructPix2Pix / GroundingDINO-tiny / SAM ViT-B architectures with
random weights, built into the cache on first use: about 6 GB and a minute; timings do not depend on weights).
``--models tiny`` runs in seconds (for tests of this script); any hub id or folder works too.

What it measures, for the planned request "make it look like winter, then make the car red and put a hat on
the man" (one global step, two local ones; random detectors find "something" with thresholds at 0):

* cold start: loading the editor to the first picture (the masker is loaded lazily, by the first local step);
* the request run warm, with the time split into text encoding, VAE encoding, UNet steps, VAE decoding, the
  masker (detector, SAM image encoder, SAM mask decoder, granularity, the rest), the planner, saving the
  session, and the rest;
* one EMILIE turn (carried latent, global) / diffusers' StableDiffusionInstructPix2PixPipeline call with the same
  steps (which encodes the picture every time)                                        goal <= 0.95
* the share of that turn spent inside model forwards                                   goal >= 0.95
* turn T / turn 1 over a T-turn session, and resident (and accelerator) memory          goal: flat
* the masker: a second phrase / the first on the same picture                           goal <= 0.15
* a local turn on a centred box covering 5% of the picture, in "full" and "crop" mode, / a global turn
                                                                                        goal (crop) <= 0.4
* peak accelerator memory (CUDA), else the process's peak resident memory;
* on CUDA, the host<->device copies per step of the sampling loop (torch profiler)      goal: none

Usage: python tools/bench_turn.py [--models real-size|tiny|HUB|DIR] [--size S] [--steps N] [--turns T]
                                  [--device D] [--dtype D] [--threads N] [--compile] [--channels-last]
                                  [--offload model|sequential] [--vae-tiling] [--json]
                                  [--sections request,turn,local,session,masker]
With --json the last line printed is one JSON object with every figure (keys in ``main``'s ``figures``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

REQUEST = "make it look like winter, then make the car red and put a hat on the man"
SECTIONS = ("request", "turn", "local", "session", "masker")
LOCAL_AREA = 0.05  # the local turn's mask: a centred box covering this share of the picture


# ---------------------------------------------------------------------------------------------- helpers
def rss_mb() -> float:
    """The process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def picture(size: int, seed: int = 0) -> Image.Image:
    """A sky / ground scene with a red box, plus noise: a different picture for every seed."""
    rng = np.random.default_rng(seed)
    arr = np.zeros((size, size, 3), np.float32) + (110, 160, 230)
    arr[size // 2 :] = (80, 150, 70)
    arr[size // 3 : size * 2 // 3, size // 5 : size // 2] = (210, 40, 40)
    arr += rng.normal(0, 10, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def centred_box(size: int, area: float) -> np.ndarray:
    side = max(1, round(size * area**0.5))
    start = (size - side) // 2
    mask = np.zeros((size, size), np.float32)
    mask[start : start + side, start : start + side] = 1.0
    return mask


class Clock:
    """Wall time added up by name: inside modules' forwards (hooks) and inside wrapped functions.

    Nested timings of the same name count once (the outermost call). On CUDA every start and stop waits for
    the device, so that the time lands where the work is (that costs a little: these runs are not the ones
    the ratios come from).
    """

    def __init__(self, sync):
        self.seconds: dict[str, float] = defaultdict(float)
        self._depth: dict[str, int] = defaultdict(int)
        self._start: dict[str, float] = {}
        self._sync = sync
        self._handles = []
        self._restore = []
        self.enabled = True

    def _enter(self, name):
        if not self.enabled:
            return
        if self._depth[name] == 0:
            self._sync()
            self._start[name] = time.perf_counter()
        self._depth[name] += 1

    def _leave(self, name):
        if not self.enabled:
            return
        self._depth[name] -= 1
        if self._depth[name] == 0:
            self._sync()
            self.seconds[name] += time.perf_counter() - self._start[name]

    def module(self, name, module):
        if module is None:
            return
        self._handles.append(module.register_forward_pre_hook(lambda *_: self._enter(name)))
        self._handles.append(module.register_forward_hook(lambda *_: self._leave(name)))

    def function(self, name, owner, attribute):
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            self._enter(name)
            try:
                return original(*args, **kwargs)
            finally:
                self._leave(name)

        setattr(owner, attribute, timed)
        self._restore.append((owner, attribute, original))

    def reset(self):
        self.seconds.clear()

    def close(self):
        for handle in self._handles:
            handle.remove()
        for owner, attribute, original in reversed(self._restore):
            setattr(owner, attribute, original)


def median_time(run, repeats: int, sync) -> float:
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio(a, b):
    return None if a is None or not b else round(a / b, 4)


def host_device_copies(editor, latent, steps: int) -> dict:
    """Host<->device copies and device->host syncs per sampling step, on CUDA (torch profiler).

    Counted for a call of ``steps`` steps and one of ``2 * steps``: the difference over ``steps`` is what each
    step of the loop adds (the text encoding, the first noise and the final read-back happen once per call).
    """
    from torch.profiler import ProfilerActivity, profile

    def count(n: int) -> dict:
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            editor("make it snow", image_latents=latent, num_inference_steps=n, generator=editor.make_generator(0),
                   output_type="latent")
        found = defaultdict(int)
        for event in prof.events():
            if "Memcpy DtoH" in event.name or "Memcpy HtoD" in event.name:
                found[event.name.split("(")[0].strip()] += 1
            elif event.name in ("aten::_local_scalar_dense", "aten::item"):
                found[event.name] += 1
        return found

    once, twice = count(steps), count(2 * steps)
    return {name: round((twice[name] - once.get(name, 0)) / steps, 2) for name in twice}


# ---------------------------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="real-size", help="real-size (default), tiny, a hub id or a folder")
    parser.add_argument("--masker-models", default=None, help="the detector's and segmenter's (default: --models)")
    parser.add_argument("--size", type=int, default=512, help="the picture's side, also the editor's max side")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--turns", type=int, default=20, help="length of the session for turn T / turn 1")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timed figure (the median is kept)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--dtype", default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--compile", action="store_true", help="torch.compile the UNet")
    parser.add_argument("--channels-last", action="store_true", help="the UNet and VAE in channels-last layout")
    parser.add_argument("--offload", choices=["model", "sequential"], default=None, help="CPU offload (accelerators)")
    parser.add_argument("--vae-tiling", action="store_true")
    parser.add_argument("--json", action="store_true", help="print every figure as one JSON object, last")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"which figures to measure, comma-separated from {', '.join(SECTIONS)} (default all); "
                        "those left out are null in the JSON")
    args = parser.parse_args()
    sections = [part.strip() for part in args.sections.split(",") if part.strip()]
    unknown = [part for part in sections if part not in SECTIONS]
    if unknown or not sections:
        parser.error(f"--sections: choose from {', '.join(SECTIONS)}, not {args.sections!r}")
    for name in ("size", "steps", "turns", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    import torch
    from diffusers import StableDiffusionInstructPix2PixPipeline
    from diffusers.utils import logging as diffusers_logging

    from emilie_agent.agent.agent import EditingAgent
    from emilie_agent.editing.pipeline import EmilieEditor
    from emilie_agent.editing.session import EditSession
    from emilie_agent.editing.speed import apply_speed_options
    from emilie_agent.editing.settings import EditSettings
    from emilie_agent.errors import EmilieError
    from emilie_agent.masking import granularity as gran
    from emilie_agent.masking.masker import Masker
    from emilie_agent.models.devices import pick_device
    from emilie_agent.planning.rule_planner import RulePlanner

    diffusers_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning)  # transformers' notes on its future API, per call
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = pick_device(args.device)
    except EmilieError as err:
        parser.error(str(err))
    if args.offload and device.type == "cpu":
        parser.error("--offload moves the models between the CPU and a GPU, and this run is on the CPU")
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    masker_models = args.masker_models or args.models
    def say(text):
        print(text, flush=True)

    machine = torch.cuda.get_device_name(device) if cuda else platform.processor() or platform.machine()
    figures: dict = dict(
        device=f"{device} ({machine})",
        models=args.models,
        size=args.size,
        steps=args.steps,
        turns=args.turns,
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        compile=args.compile,
        channels_last=args.channels_last,
        offload=args.offload,
    )

    # ---------------------------------------------------------------- cold start: load, encode, first picture
    sync()
    cold = time.perf_counter()
    editor = EmilieEditor.from_pretrained(args.models, device=device if not args.offload else "cpu",
                                          torch_dtype=args.dtype or (torch.float16 if args.offload else None),
                                          max_side=args.size)
    load_s = time.perf_counter() - cold
    editor.set_progress_bar_config(disable=True)
    apply_speed_options(editor, compile_unet=args.compile, channels_last=args.channels_last, offload=args.offload,
                        vae_tiling=args.vae_tiling, device=device)
    figures["dtype"] = str(editor.unet.dtype).removeprefix("torch.")
    settings = EditSettings(steps=args.steps, seed=0, preserve="exact")
    global_settings = settings  # no mask: a global turn (exact preservation has nothing to keep)
    for key in ("cold_start_s", "request_s", "turn_over_pipeline", "forward_share", "local_crop_over_global",
                "turn_last_over_turn1", "masker_second_over_first"):
        figures[key] = None
    say(f"device {figures['device']}, {figures['dtype']}, {args.size} px, {args.steps} steps, "
        f"{figures['threads']} threads, models {args.models}")
    masker_holder: dict = {}

    def make_masker():
        start = time.perf_counter()
        masker_holder["masker"] = Masker.from_pretrained(masker_models, masker_models, device=device,
                                                         box_threshold=0.0, text_threshold=0.0)
        masker_holder["load_s"] = time.perf_counter() - start
        return masker_holder["masker"]

    def run_request(pic, clock=None, on_step=None):
        workdir = tempfile.mkdtemp(prefix="emilie-bench-")
        session = EditSession.start(editor, pic)
        agent = EditingAgent(session, planner=RulePlanner(), masker=masker_holder.get("masker") or make_masker,
                             settings=settings, autosave_dir=Path(workdir) / "session", on_step=on_step)
        if clock is not None:
            clock.function("planner", agent.planner, "plan")
            clock.function("saving the session", session, "save")
        try:
            return agent.handle(REQUEST)
        finally:
            agent.close()

    first_picture: dict = {}

    def first_step(report):
        if "s" not in first_picture:
            sync()
            first_picture["s"] = time.perf_counter() - cold

    if "request" in sections:
        reply = run_request(picture(args.size, 1), on_step=first_step)
        sync()
        figures["cold_start_s"] = round(first_picture.get("s", time.perf_counter() - cold), 3)
        figures["load_editor_s"] = round(load_s, 3)
        figures["load_masker_s"] = round(masker_holder.get("load_s", 0.0), 3)
        figures["cold_request_s"] = round(time.perf_counter() - cold, 3)
        say(f"cold start to the first picture {figures['cold_start_s']:.2f} s (editor load {load_s:.2f} s); "
            f"whole first request {figures['cold_request_s']:.2f} s (masker load {figures['load_masker_s']:.2f} s)")

        # ---------------------------------------------------------------- the request, warm, split by where time goes
        masker = masker_holder.get("masker") or make_masker()
        clock = Clock(sync)
        clock.module("text encoding", editor.text_encoder)
        clock.module("VAE encoding", editor.vae.encoder)
        clock.module("UNet steps", editor.unet)
        clock.module("VAE decoding", editor.vae.decoder)
        clock.function("masker: detector", masker.detector, "detect")
        clock.function("masker: SAM image encoder", masker.segmenter, "embed")
        clock.function("masker: SAM mask decoder + upsampling", masker.segmenter, "segment")
        clock.function("masker: granularity", gran, "spread_mask")
        clock.function("masker: granularity", gran, "union")
        clock.function("masker: all", masker, "mask")
        sync()
        start = time.perf_counter()
        reply = run_request(picture(args.size, 2), clock=clock)
        sync()
        request_s = time.perf_counter() - start
        clock.close()
        parts = dict(clock.seconds)
        masker_all = parts.pop("masker: all", 0.0)
        masker_parts = sum(v for k, v in parts.items() if k.startswith("masker: "))
        parts["masker: the rest (pre/post-processing)"] = max(masker_all - masker_parts, 0.0)
        parts["the rest"] = max(request_s - sum(parts.values()), 0.0)
        figures["request_s"] = round(request_s, 3)
        figures["request_steps"] = [dict(scope=r.step.scope, target=r.step.target, status=r.status,
                                         mask_area=None if r.mask_area is None else round(r.mask_area, 4))
                                    for r in reply.steps]
        figures["breakdown_s"] = {k: round(v, 4) for k, v in parts.items()}
        steps = ", ".join(f"{s['scope']} {s['status']}" for s in figures["request_steps"])
        say(f"the request ({len(reply.steps)} steps: {steps}) {request_s:.2f} s warm:")
        for name, seconds in parts.items():
            say(f"    {name:42s} {seconds:8.3f} s  {seconds / request_s:6.1%}")

    # ---------------------------------------------------------------- one turn / diffusers' pipeline call
    if "turn" in sections:
        pipe = StableDiffusionInstructPix2PixPipeline(
            **editor.components, safety_checker=None, feature_extractor=None, requires_safety_checker=False
        )
        pipe.set_progress_bar_config(disable=True)
        session = EditSession.start(editor, picture(args.size, 3))
        session.edit("warm up", settings=global_settings)
        turn_s = median_time(lambda: session.edit("make it snow", settings=global_settings), args.repeats, sync)
        work_picture = session.current.picture
        pipeline_s = median_time(
            lambda: pipe("make it snow", image=work_picture, num_inference_steps=args.steps,
                         generator=editor.make_generator(0)), args.repeats, sync)
        figures.update(turn_s=round(turn_s, 4), pipeline_s=round(pipeline_s, 4),
                       turn_over_pipeline=ratio(turn_s, pipeline_s))
        say(f"EMILIE turn {turn_s:.3f} s / diffusers pipeline call {pipeline_s:.3f} s = {figures['turn_over_pipeline']}"
            "  (goal <= 0.95)")

        # Share of a turn inside model forwards (hooks on the models; a separate run).
        clock = Clock(sync)
        for name in ("text_encoder", "unet", "vae"):
            clock.module("forwards", getattr(editor, name))
        # decode() is not a forward: it calls post_quant_conv and the decoder.
        clock.function("forwards", editor.vae, "decode")
        sync()
        start = time.perf_counter()
        session.edit("make it rain", settings=global_settings)
        sync()
        whole = time.perf_counter() - start
        clock.close()
        figures["forward_share"] = round(clock.seconds["forwards"] / whole, 4)
        say(f"share of a turn inside model forwards {figures['forward_share']:.3f}  (goal >= 0.95)")

    # ---------------------------------------------------------------- local turn: full frame vs crop
    if "local" in sections:
        if "turn" not in sections:  # the global turn it is compared with
            session = EditSession.start(editor, picture(args.size, 3))
            session.edit("warm up", settings=global_settings)
            turn_s = median_time(lambda: session.edit("make it snow", settings=global_settings), args.repeats, sync)
            figures["turn_s"] = round(turn_s, 4)
        box = centred_box(args.size, LOCAL_AREA)
        base = session.current
        local = {}
        for region in ("full", "crop"):
            local_settings = settings.replace(local_region=region)

            def one_local():
                editor.edit(base.picture, "add a hat", image_latent=base.image_latent, mask=box,
                            settings=local_settings)

            one_local()  # warm: a new latent shape picks its kernels
            local[region] = median_time(one_local, args.repeats, sync)
        figures.update(
            local_mask_area=round(float(box.mean()), 4),
            local_full_s=round(local["full"], 4),
            local_crop_s=round(local["crop"], 4),
            local_full_over_global=ratio(local["full"], turn_s),
            local_crop_over_global=ratio(local["crop"], turn_s),
        )
        say(f"local turn on {box.mean():.1%} of the picture: full {local['full']:.3f} s "
            f"({figures['local_full_over_global']} x global), crop {local['crop']:.3f} s "
            f"({figures['local_crop_over_global']} x global)  (goal crop <= 0.4)")

    # ---------------------------------------------------------------- a long session: turn T / turn 1, memory
    if "session" in sections:
        session = EditSession.start(editor, picture(args.size, 4))
        times, rss, accel = [], [], []
        for turn in range(1, args.turns + 1):
            sync()
            start = time.perf_counter()
            session.edit(f"edit number {turn}", settings=global_settings.replace(seed=turn))
            sync()
            times.append(time.perf_counter() - start)
            rss.append(rss_mb())
            accel.append(torch.cuda.memory_allocated(device) / 2**20 if cuda else None)
        ends = min(3, max(1, args.turns // 2))
        first_s, last_s = statistics.median(times[:ends]), statistics.median(times[-ends:])
        figures.update(
            turn1_s=round(first_s, 4),
            turn_last_s=round(last_s, 4),
            turn_last_over_turn1=ratio(last_s, first_s),
            rss_mb_turn1=round(rss[0], 1),
            rss_mb_last=round(rss[-1], 1),
            accelerator_mb_turn1=None if accel[0] is None else round(accel[0], 1),
            accelerator_mb_last=None if accel[-1] is None else round(accel[-1], 1),
        )
        say(f"turn {args.turns} / turn 1 (median of {ends} at each end) {last_s:.3f} / {first_s:.3f} s = "
            f"{figures['turn_last_over_turn1']}; resident memory {rss[0]:.0f} -> {rss[-1]:.0f} MiB"
            + (f", CUDA allocated {accel[0]:.0f} -> {accel[-1]:.0f} MiB" if cuda else ""))

    # ---------------------------------------------------------------- masker: second phrase / first
    if "masker" in sections:
        masker = masker_holder.get("masker") or make_masker()
        firsts, seconds = [], []
        for seed in range(args.repeats):
            pic = picture(args.size, 100 + seed)
            sync()
            start = time.perf_counter()
            masker.mask(pic, "the car")
            sync()
            firsts.append(time.perf_counter() - start)
            start = time.perf_counter()
            masker.mask(pic, "the man")
            sync()
            seconds.append(time.perf_counter() - start)
        first, second = statistics.median(firsts), statistics.median(seconds)
        figures.update(masker_first_s=round(first, 4), masker_second_s=round(second, 4),
                       masker_second_over_first=ratio(second, first))
        say(f"masker: second phrase {second:.3f} s / first {first:.3f} s = {figures['masker_second_over_first']}  "
            "(goal <= 0.15)")

    # ---------------------------------------------------------------- memory, copies
    if cuda:
        figures["peak_memory_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
        figures["peak_memory_kind"] = "CUDA max allocated"
        latent = editor.encode_picture(picture(args.size, 5))
        figures["host_device_copies_per_step"] = host_device_copies(editor, latent, args.steps)
        say(f"host<->device copies per sampling step: {figures['host_device_copies_per_step'] or 'none'}")
    else:
        figures["peak_memory_mb"] = round(peak_rss_mb(), 1)
        figures["peak_memory_kind"] = "process peak resident memory (no accelerator)"
        figures["host_device_copies_per_step"] = None
    say(f"peak memory {figures['peak_memory_mb']:.0f} MiB ({figures['peak_memory_kind']})")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
