#!/usr/bin/env python
"""Train the toy world's small models (VAE + InstructPix2Pix editor, GroundingDINO, SAM) on CPU.

One command, seeded and resumable::

    python tools/train_toy.py --stage all                      # everything, in order
    python tools/train_toy.py --stage vae,editor --resume      # one job
    python tools/train_toy.py --stage detector,segmenter       # another job, in parallel
    python tools/train_toy.py --stage editor --steps 6000      # one stage, its step count

Checkpoints go to ``--work`` (default ``/tmp/toytrain/work``) every ``--every`` steps, and each checkpoint also
exports the model folder under ``--out`` (default ``emilie_agent/toyworld/models``), so a cut-off run still leaves
usable weights. At the end of each stage it prints the held-out metrics it measured.

Never part of the tests or CI.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from emilie_agent.toyworld import (  # noqa: E402
    random_picture,
    random_scene,
    render,
    sample_edit,
    sample_pair,
    vocabulary,
)
from emilie_agent.toyworld.draw import names_for  # noqa: E402
from emilie_agent.toyworld.edits import apply  # noqa: E402
from emilie_agent.testing.tiny_editor import bytes_to_unicode  # noqa: E402  CLIP's byte table, as the tiny models use it

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from tqdm import tqdm  # noqa: E402

warnings.filterwarnings("ignore", message=".*torchvision.*")
warnings.filterwarnings("ignore", message=".*fast image processor.*")
warnings.filterwarnings("ignore", message=".*use_fast.*")

STAGES = ("vae", "editor", "detector", "segmenter")
DEFAULT_STEPS = {"vae": 2000, "editor": 8000, "detector": 13000, "segmenter": 4600}
EDITOR_SIZE = 64
DETECT_SIDE = 128  # the detector's shortest picture side
SAM_SIDE = 128  # the segmenter's input side
TEXT_LEN = 32  # tokens of an instruction / a detector prompt
DETECT_NOUNS = ("house", "roof", "door", "window", "walls", "tree", "person", "man", "woman", "shirt", "hat", "car",
                "sun", "moon")
SAM_PARTS = ("house", "roof", "door", "window", "walls", "tree", "person", "shirt", "hat", "car", "sun", "moon",
             "head", "legs", "trunk", "crown")
SD_BETAS = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000)


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def step_rng(seed: int, stage: str, step: int) -> np.random.Generator:
    """A data generator that depends only on (seed, stage, step): resuming replays the same data."""
    return np.random.default_rng([seed, STAGES.index(stage), step])


def to_tensor(pictures) -> torch.Tensor:
    """PIL pictures / uint8 arrays (N, H, W, 3) -> float (N, 3, H, W) in [-1, 1]."""
    array = np.stack([np.asarray(p) for p in pictures]) if not isinstance(pictures, np.ndarray) else pictures
    return torch.from_numpy(array).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


class Checkpoints:
    """One checkpoint file per stage in the work folder (model, optimiser, schedule, step)."""

    def __init__(self, work: Path, stage: str):
        self.path = work / f"{stage}.pt"

    def load(self):
        if self.path.exists():
            return torch.load(self.path, map_location="cpu", weights_only=False)
        return None

    def save(self, state: dict):
        tmp = self.path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)


def lr_factor(progress: float, step: int, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then a cosine to 0 over the progress (0..1)."""
    return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def parse_deadline(text: str | None) -> float | None:
    """'HH:MM' (today, local time; tomorrow if already past) or '+MIN' (minutes from now) -> epoch seconds."""
    if not text:
        return None
    if text.startswith("+"):
        return time.time() + float(text[1:]) * 60
    hh, mm = (int(v) for v in text.split(":"))
    now = time.localtime()
    t = time.mktime(now[:3] + (hh, mm, 0) + now[6:])
    return t if t > time.time() else t + 86400


def train_loop(name, args, model_params, modules, loss_fn, steps, lr, export, warmup=200, weight_decay=0.01,
               clip=1.0, extra_state=None):
    """The shared loop: AdamW + cosine, resumable, tqdm, checkpoint (+ export) every ``args.every`` steps.

    With a deadline for the stage (``--<stage>-deadline``), progress is the larger of the step fraction and the
    time fraction (from the stage's first start to the deadline): the cosine schedule ends, and training stops,
    on time whatever the machine's load.
    """
    optimizer = torch.optim.AdamW(model_params, lr=lr, weight_decay=weight_decay)
    ckpt = Checkpoints(args.work, name)
    start = 0
    t_begin = time.time()
    state = ckpt.load() if args.resume else None
    if state is not None:
        for key, module in modules.items():
            module.load_state_dict(state["modules"][key])
        optimizer.load_state_dict(state["optimizer"])
        start = state["step"]
        t_begin = state.get("t_begin", t_begin)
        log(f"{name}: resumed at step {start}")
    base = state.get("schedule_base", 0) if state is not None else 0  # where the cosine (and warm-up) starts
    if state is not None and args.extend:
        # A warm restart: a new warm-up and cosine from here to the new step count / deadline, timed from now.
        base, t_begin = start, time.time()
        log(f"{name}: extending from step {start} to {steps} (a warm restart of the schedule)")
    deadline = parse_deadline(getattr(args, f"{name}_deadline", None))
    if state is not None and state.get("done") and not args.extend:
        steps = start
    for module in modules.values():
        module.train()

    def progress(step):
        p = (step - base) / max(1, steps - base)
        if deadline is not None:
            p = max(p, (time.time() - t_begin) / max(1.0, deadline - t_begin))
        return p

    def save(step, done=False):
        ckpt.save({"modules": {k: m.state_dict() for k, m in modules.items()}, "optimizer": optimizer.state_dict(),
                   "step": step, "t_begin": t_begin, "schedule_base": base, "done": done,
                   **(extra_state or {})})
        for module in modules.values():
            module.eval()
        export()
        for module in modules.values():
            module.train()

    bar = tqdm(range(start, steps), desc=name, initial=start, total=steps, mininterval=30, file=sys.stdout)
    running = None
    t0 = time.time()
    step = start
    for step in bar:
        p = progress(step)
        if p >= 1.0:
            log(f"{name}: deadline reached at step {step}")
            save(step, done=True)
            break
        for group in optimizer.param_groups:
            group["lr"] = lr * lr_factor(p, step - base, warmup)
        args._progress = p
        loss, info = loss_fn(step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model_params, clip)
        optimizer.step()
        value = float(loss.detach())
        running = value if running is None else 0.98 * running + 0.02 * value
        bar.set_postfix(loss=f"{running:.4f}", lr=f"{optimizer.param_groups[0]['lr']:.2e}", **info, refresh=False)
        if (step + 1) % args.every == 0 or step + 1 == steps:
            save(step + 1, done=step + 1 == steps)
    bar.close()
    for module in modules.values():
        module.eval()
    if start >= steps:
        export()
    log(f"{name}: trained to step {step} in {time.time() - t0:.0f} s this run")
    return time.time() - t0


# ================================================================================================ VAE
def build_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=(16, 32, 64),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,  # 16 groups on 16 channels is instance norm: it throws flat colours away
        sample_size=EDITOR_SIZE,
    )


def vae_folder(args) -> Path:
    return args.work / "vae"


def picture_bank(args, n: int, seed_offset: int, name: str) -> np.ndarray:
    path = args.work / f"{name}.npy"
    if path.exists():
        bank = np.load(path)
        if len(bank) >= n:
            return bank[:n]
    log(f"drawing {n} pictures for {name}")
    rng = np.random.default_rng([args.seed, seed_offset])
    bank = np.stack([np.asarray(random_picture(rng, EDITOR_SIZE)) for _ in tqdm(range(n), mininterval=20, file=sys.stdout)])
    np.save(path, bank)
    return bank


@torch.no_grad()
def vae_l1(vae, pictures: np.ndarray) -> float:
    """Reconstruction L1 on 0-255 (mode latents)."""
    errors = []
    for i in range(0, len(pictures), 100):
        x = to_tensor(pictures[i:i + 100])
        y = vae.decode(vae.encode(x).latent_dist.mode()).sample.clamp(-1, 1)
        errors.append(((y - x).abs() * 127.5).mean(dim=(1, 2, 3)))
    return float(torch.cat(errors).mean())


def stage_vae(args) -> dict:
    steps = args.steps_for("vae")
    bank = torch.from_numpy(picture_bank(args, 16000, 1, "vae_bank"))
    heldout = picture_bank(args, 400, 2, "vae_heldout")
    torch.manual_seed(args.seed)
    vae = build_vae()
    log(f"vae: {sum(p.numel() for p in vae.parameters()) / 1e6:.2f} M params, {steps} steps")

    def loss_fn(step):
        rng = step_rng(args.seed, "vae", step)
        idx = torch.from_numpy(rng.integers(0, len(bank), 32))
        x = bank[idx].permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        if args._progress < 0.7:  # random 32 px crops: 4x cheaper, same statistics
            oy, ox = (int(v) for v in rng.integers(0, 33, 2))
            x = x[:, :, oy:oy + 32, ox:ox + 32]
        else:  # whole pictures (borders!), fewer of them
            x = x[:12]
        if rng.random() < 0.5:
            x = x.flip(-1)
        posterior = vae.encode(x).latent_dist
        y = vae.decode(posterior.mode()).sample  # a plain autoencoder: the editor only ever uses the mode
        rec = (y - x).abs().mean() + 0.5 * ((y - x) ** 2).mean()
        kl = posterior.kl().mean() / (x.shape[-1] * x.shape[-2] * 3)
        return rec + 1e-4 * kl, {}

    def export():
        vae_copy = vae
        with torch.no_grad():
            z = torch.cat([vae_copy.encode(to_tensor(heldout[i:i + 100])).latent_dist.mode() for i in range(0, 400, 100)])
        vae_copy.register_to_config(scaling_factor=float(1.0 / z.flatten().std()))
        vae_copy.save_pretrained(vae_folder(args), safe_serialization=True)

    seconds = train_loop("vae", args, list(vae.parameters()), {"vae": vae}, loss_fn, steps, lr=1e-3, export=export,
                         warmup=100)
    l1 = vae_l1(vae, heldout)
    result = {"vae_heldout_l1": round(l1, 2), "vae_scaling_factor": round(vae.config.scaling_factor, 4),
              "vae_seconds": round(seconds)}
    log("vae:", result)
    return result


# ============================================================================================ editor
def build_clip_tokenizer():
    """A word-level CLIPTokenizer: every byte char alone and word-final, plus every toy word as one token.

    Merges are added word by word; a merge is appended only when the word's tokenization (by the merges so
    far) gets stuck, so words added earlier keep their tokenization (appended merges have the lowest priority).
    """
    from transformers import CLIPTokenizer
    chars = list(bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for token in chars + [c + "</w>" for c in chars]:
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = []
    ranks: dict[tuple[str, str], int] = {}
    for word in vocabulary():
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            pairs = [(ranks.get((a, b)), i) for i, (a, b) in enumerate(zip(pieces, pieces[1:]))]
            known = [(r, i) for r, i in pairs if r is not None]
            if known:
                _, i = min(known)
            else:
                i = 0
                ranks[(pieces[0], pieces[1])] = len(merges)
                merges.append((pieces[0], pieces[1]))
            merged = pieces[i] + pieces[i + 1]
            vocab.setdefault(merged, len(vocab))
            pieces = pieces[:i] + [merged] + pieces[i + 2:]
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab.setdefault(special, len(vocab))
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[(a, b) for a, b in merges], model_max_length=TEXT_LEN,
                              pad_token="<|endoftext|>")
    return tokenizer


def check_tokenizer(tokenizer) -> None:
    inv = {v: k for k, v in tokenizer.get_vocab().items()}
    for word in vocabulary():
        ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1 and inv[ids[0]] == word + "</w>", (word, [inv[i] for i in ids])
    ids = tokenizer("paint teh door blue")["input_ids"]
    assert len(ids) > 5 and tokenizer.unk_token_id not in ids[1:-1], ids
    assert tokenizer.decode(tokenizer("make it winter")["input_ids"], skip_special_tokens=True).strip() == "make it winter"


def build_editor(tokenizer):
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer.get_vocab()),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        max_position_embeddings=TEXT_LEN,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        projection_dim=64,
    ))
    unet = UNet2DConditionModel(
        sample_size=EDITOR_SIZE // 4,
        in_channels=8,
        out_channels=4,
        layers_per_block=2,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=64,
        attention_head_dim=16,
        norm_num_groups=16,
    )
    return unet, text_encoder


def editor_folder(args) -> Path:
    return args.out / "instruct-pix2pix"


def export_editor(folder: Path, vae, text_encoder, tokenizer, unet, guidance: dict | None = None,
                  prediction_type: str = "v_prediction"):
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline

    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
        scheduler=EulerAncestralDiscreteScheduler(**SD_BETAS, prediction_type=prediction_type), safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    toy = folder / "emilie_toy.json"
    if guidance is not None or not toy.exists():
        toy.write_text(json.dumps(guidance or {"text_scale": 3.0, "image_scale": 1.5, "steps": 20, "size": EDITOR_SIZE},
                                  indent=2) + "\n")


def pair_cache(args, n: int, vae) -> dict:
    """Draw ``n`` train pairs and encode them once: source latents (unscaled mode), target latents, token ids."""
    path = args.work / f"pairs_{n}.pt"
    if path.exists():
        return torch.load(path, weights_only=False)
    log(f"editor: drawing and encoding {n} pairs")
    tokenizer = build_clip_tokenizer()
    rng = np.random.default_rng([args.seed, 10])
    src, tgt, texts, kinds = [], [], [], []
    batch_s, batch_t = [], []

    def flush():
        with torch.no_grad():
            src.append(vae.encode(to_tensor(batch_s)).latent_dist.mode())
            tgt.append(vae.encode(to_tensor(batch_t)).latent_dist.mode())
        batch_s.clear()
        batch_t.clear()

    for _ in tqdm(range(n), mininterval=20, file=sys.stdout):
        pair = sample_pair(rng, "train", EDITOR_SIZE)
        batch_s.append(np.asarray(pair.source))
        batch_t.append(np.asarray(pair.target))
        texts.append(pair.instruction)
        kinds.append(pair.kind)
        if len(batch_s) == 256:
            flush()
    if batch_s:
        flush()
    ids = tokenizer(texts, padding="max_length", max_length=TEXT_LEN, truncation=True, return_tensors="pt")["input_ids"]
    cache = {"src": torch.cat(src), "tgt": torch.cat(tgt), "ids": ids, "texts": texts, "kinds": kinds}
    torch.save(cache, path)
    return cache


def heldout_pairs(n: int, seed: int, split: str = "heldout", size: int = EDITOR_SIZE):
    rng = np.random.default_rng([seed, 99, 0 if split == "heldout" else 1])
    return [sample_pair(rng, split, size) for _ in range(n)]


@torch.no_grad()
def evaluate_editor(pipe, pairs, text_scale=3.0, image_scale=1.5, steps=20, batch=16, seed=0) -> dict:
    """Held-out L1 (0-255) to the true after-picture, inside / outside the true mask, and success per kind.

    Success: inside the true mask, the edit closes at least half of the gap between the source and the truth
    (L1 to the truth <= 0.5 x the source's), and outside the mask (local kinds) it stays within 12 of the source.
    """
    per_kind: dict[str, list[float]] = {}
    l1s, inside, outside, nothing = [], [], [], []
    for i in range(0, len(pairs), batch):
        chunk = pairs[i:i + batch]
        out = pipe(
            prompt=[p.instruction for p in chunk], image=[p.source for p in chunk], num_inference_steps=steps,
            guidance_scale=text_scale, image_guidance_scale=image_scale,
            generator=torch.Generator().manual_seed(seed + i), output_type="np",
        ).images
        for p, y in zip(chunk, out):
            y = y.astype(np.float32) * 255.0
            t = np.asarray(p.target, np.float32)
            s = np.asarray(p.source, np.float32)
            err = np.abs(y - t).mean(-1)
            gap = np.abs(s - t).mean(-1)
            m = p.mask
            l1s.append(float(err.mean()))
            nothing.append(float(gap.mean()))
            e_in = float(err[m].mean())
            g_in = float(gap[m].mean())
            inside.append(e_in)
            ok = e_in <= 0.5 * g_in
            if (~m).any():
                e_out = float(np.abs(y - s).mean(-1)[~m].mean())
                outside.append(e_out)
                ok = ok and e_out <= 12.0
            per_kind.setdefault(p.kind, []).append(float(ok))
    return {
        "l1": round(float(np.mean(l1s)), 2),
        "l1_do_nothing": round(float(np.mean(nothing)), 2),
        "l1_inside_mask": round(float(np.mean(inside)), 2),
        "l1_outside_mask_vs_source": round(float(np.mean(outside)), 2) if outside else None,
        "success": round(float(np.mean([v for vs in per_kind.values() for v in vs])), 3),
        "success_by_kind": {k: round(float(np.mean(v)), 3) for k, v in sorted(per_kind.items())},
    }


def stage_editor(args) -> dict:
    from diffusers import AutoencoderKL, DDPMScheduler

    vae = AutoencoderKL.from_pretrained(vae_folder(args)).eval()
    vae.requires_grad_(False)
    sf = float(vae.config.scaling_factor)
    tokenizer = build_clip_tokenizer()
    check_tokenizer(tokenizer)
    cache = pair_cache(args, args.pairs, vae)
    src, tgt, ids = cache["src"], cache["tgt"] * sf, cache["ids"]
    empty = tokenizer([""], padding="max_length", max_length=TEXT_LEN, truncation=True, return_tensors="pt")["input_ids"]
    torch.manual_seed(args.seed)
    unet, text_encoder = build_editor(tokenizer)
    n_unet = sum(p.numel() for p in unet.parameters()) / 1e6
    n_text = sum(p.numel() for p in text_encoder.parameters()) / 1e6
    steps = args.steps_for("editor")
    log(f"editor: unet {n_unet:.2f} M, text {n_text:.2f} M, {len(src)} pairs, {steps} steps, batch {args.batch}")
    noise_sched = DDPMScheduler(**SD_BETAS)
    alphas = noise_sched.alphas_cumprod
    snr_all = alphas / (1 - alphas)

    def loss_fn(step):
        rng = step_rng(args.seed, "editor", step)
        g = torch.Generator().manual_seed(int(rng.integers(2**31)))
        idx = torch.from_numpy(rng.integers(0, len(src), args.batch))
        z_src, z_tgt, tok = src[idx].clone(), tgt[idx], ids[idx].clone()
        if rng.random() < 0.5:  # mirrored pictures: same edits
            z_src, z_tgt = z_src.flip(-1), z_tgt.flip(-1)
        drop = torch.from_numpy(rng.random(args.batch))
        no_text = (drop < 0.05) | (drop >= 0.10) & (drop < 0.15)
        no_image = (drop >= 0.05) & (drop < 0.15)
        tok[no_text] = empty
        z_src[no_image] = 0.0
        noise = torch.randn(z_tgt.shape, generator=g)
        t = torch.randint(0, 1000, (args.batch,), generator=g)
        noisy = noise_sched.add_noise(z_tgt, noise, t)
        hidden = text_encoder(tok)[0]
        pred = unet(torch.cat([noisy, z_src], 1), t, encoder_hidden_states=hidden).sample
        snr = snr_all[t]
        if args.prediction == "v_prediction":
            # v = sqrt(a) eps - sqrt(1 - a) x0: at high noise the model says what the picture is (x0), which a
            # small model gets right far more easily than the noise itself to the 1e-2 that epsilon needs there.
            target = noise_sched.get_velocity(z_tgt, noise, t)
            weight = torch.clamp(snr, max=5.0) / (snr + 1)  # min-SNR-5 for v
        else:
            target = noise
            weight = torch.clamp(snr, max=5.0) / snr  # min-SNR-5 for epsilon
        loss = (((pred - target) ** 2).mean(dim=(1, 2, 3)) * weight).mean()
        return loss, {}

    def export():
        export_editor(editor_folder(args), vae, text_encoder, tokenizer, unet, prediction_type=args.prediction)

    params = list(unet.parameters()) + list(text_encoder.parameters())
    seconds = train_loop("editor", args, params, {"unet": unet, "text_encoder": text_encoder}, loss_fn, steps,
                         lr=args.editor_lr, export=export, warmup=300)
    result = {"editor_seconds": round(seconds), "unet_params_M": round(n_unet, 2), "text_params_M": round(n_text, 2)}
    result.update(editor_guidance_search(args, tokenizer))
    log("editor:", json.dumps(result))
    return result


def load_pipe(folder):
    from diffusers import StableDiffusionInstructPix2PixPipeline

    pipe = StableDiffusionInstructPix2PixPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def editor_guidance_search(args, tokenizer=None) -> dict:
    """Try a few guidance pairs on held-out pairs; write the best into emilie_toy.json; measure it on more."""
    folder = editor_folder(args)
    pipe = load_pipe(folder)
    tune = heldout_pairs(32, args.seed + 1, "train")  # new scenes, train phrasings
    scores = {}
    for ts, is_ in ((3.0, 1.5), (5.0, 1.5), (3.0, 1.2), (2.0, 1.5)):
        r = evaluate_editor(pipe, tune, ts, is_)
        scores[(ts, is_)] = r
        log(f"editor guidance text {ts} image {is_}: l1 {r['l1']} success {r['success']}")
    best = max(scores, key=lambda k: (scores[k]["success"], -scores[k]["l1"]))
    guidance = {"text_scale": best[0], "image_scale": best[1], "steps": 20, "size": EDITOR_SIZE}
    (folder / "emilie_toy.json").write_text(json.dumps(guidance, indent=2) + "\n")
    held = evaluate_editor(pipe, heldout_pairs(64, args.seed), best[0], best[1])
    train_like = evaluate_editor(pipe, heldout_pairs(64, args.seed + 2, "train"), best[0], best[1])
    return {"guidance": guidance, "editor_heldout": held, "editor_new_scenes_train_phrasings": train_like}


# ========================================================================================== detector
def build_bert_tokenizer():
    """BERT WordPiece vocabulary of the toy words, laid out so that [PAD]=0, [CLS]=101, [SEP]=102, '.'=1012 and
    '?'=1029: transformers' GroundingDINO hard-codes those ids as its phrase delimiters."""
    from transformers import BertTokenizer

    fixed = {0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]", 1012: ".", 1029: "?"}
    chars = [chr(c) for c in range(33, 127) if chr(c) not in ".?"]
    words = [w for w in vocabulary() if w not in fixed.values()] + ["animal", "object", "everything", "background"]
    pieces = words + chars + ["##" + c for c in chars if c.isalnum()]
    vocab_list: list[str | None] = [None] * 1030
    for i, tok in fixed.items():
        vocab_list[i] = tok
    free = iter([i for i in range(1030) if vocab_list[i] is None])
    for tok in dict.fromkeys(pieces):
        vocab_list[next(free)] = tok
    for i in range(1030):
        if vocab_list[i] is None:
            vocab_list[i] = f"[unused{i}]"
    vocab = {tok: i for i, tok in enumerate(vocab_list)}
    return BertTokenizer(vocab=vocab, do_lower_case=True)


def build_detector(tokenizer):
    from transformers import BertConfig, GroundingDinoConfig, GroundingDinoForObjectDetection, SwinConfig

    config = GroundingDinoConfig(
        backbone_config=SwinConfig(
            embed_dim=32, depths=[1, 1, 2, 1], num_heads=[2, 2, 4, 4], window_size=4, image_size=DETECT_SIDE,
            out_features=["stage2", "stage3", "stage4"],
        ),
        text_config=BertConfig(vocab_size=len(tokenizer.get_vocab()), hidden_size=64, num_hidden_layers=2,
                               num_attention_heads=2, intermediate_size=128, max_position_embeddings=64),
        num_queries=20,
        encoder_layers=2,
        encoder_ffn_dim=128,
        encoder_attention_heads=4,
        decoder_layers=3,
        decoder_ffn_dim=128,
        decoder_attention_heads=4,
        d_model=64,
        max_text_len=TEXT_LEN,
        encoder_n_points=4,
        decoder_n_points=4,
        auxiliary_loss=True,
    )
    return GroundingDinoForObjectDetection(config)


def build_detector_processor(tokenizer):
    from transformers import GroundingDinoImageProcessor, GroundingDinoProcessor

    image_processor = GroundingDinoImageProcessor(size={"shortest_edge": DETECT_SIDE, "longest_edge": DETECT_SIDE * 3 // 2})
    return GroundingDinoProcessor(image_processor=image_processor, tokenizer=tokenizer)


def _patch_matcher():
    """transformers' Hungarian matcher wants scipy; these targets are tiny (<= 3 boxes), so brute force does."""
    import transformers.loss.loss_for_object_detection as lfod
    import transformers.loss.loss_grounding_dino as lgd

    def linear_sum_assignment(cost):
        cost = np.asarray(cost)
        q, n = cost.shape
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if n == 1:
            return np.array([int(cost[:, 0].argmin())]), np.array([0])
        best, best_rows = None, None
        for rows in itertools.permutations(range(q), n):
            total = cost[list(rows), range(n)].sum()
            if best is None or total < best:
                best, best_rows = total, rows
        order = np.argsort(best_rows)
        return np.asarray(best_rows)[order], np.arange(n)[order]

    lfod.requires_backends = lambda *a, **k: None
    lgd.linear_sum_assignment = linear_sum_assignment
    lfod.linear_sum_assignment = linear_sum_assignment

    def _get_target_classes_one_hot(self, outputs, targets, indices):
        # transformers 5.24 offsets sample i's class labels by len(label_maps[i]) instead of the number of
        # label maps before it, so from the third sample on, boxes are matched to another prompt's tokens.
        logits = outputs["logits"]
        offsets = np.cumsum([0] + [len(m) for m in outputs["label_maps"]])
        class_labels = torch.cat([t["class_labels"][J] + int(offsets[i]) for i, (t, (_, J)) in enumerate(zip(targets, indices))])
        label_maps = torch.cat(outputs["label_maps"], dim=0)
        idx = self._get_source_permutation_idx(indices)
        onehot = torch.zeros_like(logits, device=logits.device, dtype=torch.long)
        onehot[idx] = label_maps[class_labels].to(torch.long)
        return onehot

    lgd.GroundingDinoImageLoss._get_target_classes_one_hot = _get_target_classes_one_hot


def edited_look(picture: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The picture as it comes out of the toy editor in a session: drawn at 64 px on its longer side, brought
    back to its size (soft edges), slightly blurred and tinted. The masker sees such pictures after every edit."""
    from PIL import Image, ImageFilter

    w, h = picture.size
    side = int(rng.choice([48, 64, 64, 80]))
    small = picture.resize((max(8, round(w * side / max(w, h))), max(8, round(h * side / max(w, h)))), Image.BILINEAR)
    out = small.resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 1.2))))
    arr = np.asarray(out, np.float32) * rng.uniform(0.9, 1.1, 3) + rng.normal(0, 4, (h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def detection_sample(rng: np.random.Generator, degrade: float = 0.0):
    """A random scene picture (random size and aspect), a prompt, and the boxes it should give (maybe none).

    With probability ``degrade`` the picture gets :func:`edited_look` (what the editor's outputs look like)."""
    scene = random_scene(rng, aspect=1.0 if rng.random() < 0.5 else 4 / 3)
    for _ in range(int(rng.integers(0, 3))):
        edit = sample_edit(rng, scene, "train")
        if edit is not None:
            scene = apply(scene, edit)
    w = int(rng.choice([128, 160, 192, 256]))
    h = w if scene_aspect_square(rng) else int(w * 3 / 4)
    picture, masks, boxes = render(scene, (w, h))
    present = {}
    for oid, mask in masks.items():
        if mask.sum() < 6:
            continue
        for noun in names_for(oid, scene):
            if noun in DETECT_NOUNS:
                present.setdefault(noun, []).append(boxes[oid])
    if degrade > 0 and rng.random() < degrade:
        picture = edited_look(picture, rng)
    absent = [n for n in DETECT_NOUNS if n not in present]
    if absent and rng.random() < 0.3:
        noun, found = absent[int(rng.integers(len(absent)))], []
    else:
        keys = sorted(present)
        noun = keys[int(rng.integers(len(keys)))]
        found = present[noun]
    return picture, prompt_for(noun, len(found), rng), found[:3], scene


def scene_aspect_square(rng) -> bool:
    return rng.random() < 0.5


def prompt_for(noun: str, n: int, rng: np.random.Generator) -> str:
    from emilie_agent.toyworld.phrasings import PLURALS

    word = PLURALS.get(noun, noun) if n > 1 and rng.random() < 0.5 else noun
    det = ("the ", "", "a ")[int(rng.integers(3))] if word == noun else ("the ", "")[int(rng.integers(2))]
    return f"{det}{word}."


def to_targets(found, size):
    w, h = size
    if not found:
        return {"class_labels": torch.zeros(0, dtype=torch.long), "boxes": torch.zeros(0, 4)}
    b = torch.tensor(found, dtype=torch.float32)
    cx = (b[:, 0] + b[:, 2]) / 2 / w
    cy = (b[:, 1] + b[:, 3]) / 2 / h
    bw = (b[:, 2] - b[:, 0]) / w
    bh = (b[:, 3] - b[:, 1]) / h
    return {"class_labels": torch.zeros(len(found), dtype=torch.long), "boxes": torch.stack([cx, cy, bw, bh], 1)}


def detector_folder(args) -> Path:
    return args.out / "grounding-dino"


def box_iou(a, b) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@torch.no_grad()
def evaluate_detector(model, processor, n: int, seed: int, thresholds=(0.3,), text_threshold=0.25,
                      degrade: float = 0.0) -> dict:
    """Held-out scenes, through the processor + post-processing path the masker uses.

    Present: the best-scoring box overlaps a true box of the noun at IoU >= 0.5 and passes the threshold.
    Absent: no box passes the threshold. Returns, per threshold, recall and not-found accuracy.
    """
    rng = np.random.default_rng([seed, 77])
    records = []  # (present, best score, best box iou ok)
    for _ in range(n):
        picture, prompt, found, _ = detection_sample(rng, degrade)
        text = processor.tokenizer(prompt, return_tensors="pt")
        enc = processor.image_processor(images=picture, return_tensors="pt")
        out = model(pixel_values=enc["pixel_values"], pixel_mask=enc.get("pixel_mask"), **text)
        res = processor.post_process_grounded_object_detection(
            out, text["input_ids"], threshold=0.0, text_threshold=0.0, target_sizes=[(picture.size[1], picture.size[0])]
        )[0]
        scores = res["scores"].numpy()
        if len(scores) == 0:
            records.append((bool(found), 0.0, False))
            continue
        best = int(scores.argmax())
        box = res["boxes"][best].tolist()
        ok = any(box_iou(box, f) >= 0.5 for f in found)
        records.append((bool(found), float(scores[best]), ok))
    out = {}
    for th in thresholds:
        present = [r for r in records if r[0]]
        absent = [r for r in records if not r[0]]
        recall = np.mean([r[1] >= th and r[2] for r in present]) if present else float("nan")
        not_found = np.mean([r[1] < th for r in absent]) if absent else float("nan")
        out[th] = {"recall_iou50": round(float(recall), 3), "not_found_accuracy": round(float(not_found), 3),
                   "n_present": len(present), "n_absent": len(absent)}
    return out


def stage_detector(args) -> dict:
    _patch_matcher()
    tokenizer = build_bert_tokenizer()
    processor = build_detector_processor(tokenizer)
    torch.manual_seed(args.seed)
    model = build_detector(tokenizer)
    steps = args.steps_for("detector")
    log(f"detector: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M params, {steps} steps, batch {args.det_batch}")

    def loss_fn(step):
        rng = step_rng(args.seed, "detector", step)
        pictures, prompts, labels = [], [], []
        for _ in range(args.det_batch):
            picture, prompt, found, _ = detection_sample(rng, args.det_degrade)
            pictures.append(picture)
            prompts.append(prompt)
            labels.append(to_targets(found, picture.size))
        enc = processor.image_processor(images=pictures, return_tensors="pt")
        text = tokenizer(prompts, padding=True, return_tensors="pt")
        out = model(pixel_values=enc["pixel_values"], pixel_mask=enc["pixel_mask"], input_ids=text["input_ids"],
                    attention_mask=text["attention_mask"], token_type_ids=text.get("token_type_ids"), labels=labels)
        return out.loss, {}

    def export():
        folder = detector_folder(args)
        model.save_pretrained(folder, safe_serialization=True)
        processor.save_pretrained(folder)
        toy = folder / "emilie_toy.json"
        if not toy.exists():
            toy.write_text(json.dumps({"box_threshold": 0.3, "text_threshold": 0.25, "size": DETECT_SIDE}, indent=2) + "\n")

    seconds = train_loop("detector", args, list(model.parameters()), {"detector": model}, loss_fn, steps,
                         lr=args.det_lr, export=export, warmup=200, weight_decay=1e-4, clip=0.1)
    result = {"detector_seconds": round(seconds)}
    result.update(detector_thresholds(args))
    log("detector:", json.dumps(result))
    return result


def detector_thresholds(args) -> dict:
    from transformers import AutoProcessor, GroundingDinoForObjectDetection

    folder = detector_folder(args)
    model = GroundingDinoForObjectDetection.from_pretrained(folder).eval()
    processor = AutoProcessor.from_pretrained(folder)
    grid = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
    n_tune = int(os.environ.get("TOY_DET_TUNE", 300))
    tune = evaluate_detector(model, processor, n_tune, args.seed + 1, grid)
    best = max(grid, key=lambda th: tune[th]["recall_iou50"] + tune[th]["not_found_accuracy"])
    choice = {"box_threshold": best, "text_threshold": round(min(best, 0.25), 2), "size": DETECT_SIDE}
    (folder / "emilie_toy.json").write_text(json.dumps(choice, indent=2) + "\n")
    held = evaluate_detector(model, processor, n_tune * 4 // 3, args.seed, (best,))[best]
    edited = evaluate_detector(model, processor, n_tune * 4 // 3, args.seed, (best,), degrade=1.0)[best]
    return {"detector_thresholds": choice, "detector_heldout": held, "detector_heldout_edited_look": edited,
            "detector_tuning": {str(k): v for k, v in tune.items()}}


# ========================================================================================= segmenter
def build_sam():
    from transformers import (SamConfig, SamMaskDecoderConfig, SamModel, SamPromptEncoderConfig,
                              SamVisionConfig)

    patch = 8
    config = SamConfig(
        vision_config=SamVisionConfig(
            hidden_size=96, output_channels=64, num_hidden_layers=4, num_attention_heads=4, mlp_dim=256,
            image_size=SAM_SIDE, patch_size=patch, window_size=8, global_attn_indexes=[1, 3], num_pos_feats=32,
        ),
        prompt_encoder_config=SamPromptEncoderConfig(hidden_size=64, image_size=SAM_SIDE, patch_size=patch),
        mask_decoder_config=SamMaskDecoderConfig(hidden_size=64, mlp_dim=128, num_hidden_layers=2,
                                                 num_attention_heads=4, iou_head_hidden_dim=64),
    )
    model = SamModel(config)
    # transformers initialises the prompt encoder's random Fourier features with std = vision hidden_size // 2
    # (48 here): frequencies so high that box coordinates become noise, and a model trained from scratch never
    # learns where a box is. The original SAM draws them with std 1.
    with torch.no_grad():
        model.shared_image_embedding.positional_embedding.normal_(0.0, 1.0)
    return model


def build_sam_processor():
    from transformers import SamImageProcessor, SamProcessor

    return SamProcessor(image_processor=SamImageProcessor(
        size={"longest_edge": SAM_SIDE},
        pad_size={"height": SAM_SIDE, "width": SAM_SIDE},
        mask_size={"longest_edge": SAM_SIDE // 2},
        mask_pad_size={"height": SAM_SIDE // 2, "width": SAM_SIDE // 2},
    ))


def sam_folder(args) -> Path:
    return args.out / "sam"


def sam_sample(rng: np.random.Generator, k: int, size=None):
    """A scene picture, ``k`` object boxes (picture pixels) and their masks."""
    scene = random_scene(rng, aspect=1.0 if rng.random() < 0.5 else 4 / 3)
    for _ in range(int(rng.integers(0, 3))):
        edit = sample_edit(rng, scene, "train")
        if edit is not None:
            scene = apply(scene, edit)
    if size is None:
        size = (SAM_SIDE, SAM_SIDE) if rng.random() < 0.5 else (SAM_SIDE, SAM_SIDE * 3 // 4)
    picture, masks, boxes = render(scene, size)
    ids = [oid for oid, m in masks.items() if m.sum() >= 8 and set(names_for(oid, scene)) & set(SAM_PARTS)]
    chosen = [ids[int(i)] for i in rng.choice(len(ids), size=k, replace=len(ids) < k)]
    return picture, [boxes[o] for o in chosen], np.stack([masks[o] for o in chosen])


def stage_segmenter(args) -> dict:
    processor = build_sam_processor()
    torch.manual_seed(args.seed)
    model = build_sam()
    steps = args.steps_for("segmenter")
    k = 4
    log(f"segmenter: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M params, {steps} steps, batch {args.sam_batch}x{k}")
    mean = torch.tensor(processor.image_processor.image_mean).view(1, 3, 1, 1)
    std = torch.tensor(processor.image_processor.image_std).view(1, 3, 1, 1)

    def loss_fn(step):
        rng = step_rng(args.seed, "segmenter", step)
        size = (SAM_SIDE, SAM_SIDE) if rng.random() < 0.5 else (SAM_SIDE, SAM_SIDE * 3 // 4)
        pics, bxs, gts = [], [], []
        for _ in range(args.sam_batch):
            picture, boxes, masks = sam_sample(rng, k, size)
            b = np.asarray(boxes, np.float32)
            wh = np.stack([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]] * 2, 1)
            b = b + rng.normal(0, args.sam_jitter, b.shape).astype(np.float32) * wh  # loose boxes, as a detector gives
            pics.append(np.asarray(picture))
            bxs.append(b)
            gts.append(masks)
        w, h = size
        x = torch.from_numpy(np.stack(pics)).permute(0, 3, 1, 2).float() / 255.0
        x = (x - mean) / std
        x = F.pad(x, (0, SAM_SIDE - w, 0, SAM_SIDE - h))
        boxes_t = torch.from_numpy(np.stack(bxs))
        out = model(pixel_values=x, input_boxes=boxes_t, multimask_output=False)
        logits = F.interpolate(out.pred_masks[:, :, 0], size=(SAM_SIDE, SAM_SIDE), mode="bilinear", align_corners=False)
        logits = logits[:, :, :h, :w]
        gt = torch.from_numpy(np.stack(gts)).float()
        bce = F.binary_cross_entropy_with_logits(logits, gt)
        p = torch.sigmoid(logits)
        dice = 1 - (2 * (p * gt).sum((2, 3)) + 1) / (p.sum((2, 3)) + gt.sum((2, 3)) + 1)
        iou_pred = out.iou_scores[:, :, 0]
        with torch.no_grad():
            hard = (logits > 0).float()
            iou_true = (hard * gt).sum((2, 3)) / ((hard + gt).clamp(max=1).sum((2, 3)) + 1e-6)
        return bce + dice.mean() + F.mse_loss(iou_pred, iou_true), {}

    def export():
        folder = sam_folder(args)
        model.save_pretrained(folder, safe_serialization=True)
        processor.save_pretrained(folder)

    seconds = train_loop("segmenter", args, list(model.parameters()), {"sam": model}, loss_fn, steps,
                         lr=args.sam_lr, export=export, warmup=150, weight_decay=0.01)
    result = {"segmenter_seconds": round(seconds)}
    result.update(evaluate_sam_folder(sam_folder(args), 200, args.seed))
    log("segmenter:", json.dumps(result))
    return result


@torch.no_grad()
def evaluate_sam_folder(folder, n: int, seed: int) -> dict:
    """Held-out mask IoU given the true box, through SamProcessor + post_process_masks (the masker's path),
    on pictures of several sizes."""
    from transformers import SamModel, SamProcessor

    model = SamModel.from_pretrained(folder).eval()
    processor = SamProcessor.from_pretrained(folder)
    rng = np.random.default_rng([seed, 55])
    ious = []
    for i in range(n):
        size = [(128, 128), (256, 192), (200, 150), (96, 96)][i % 4]
        picture, boxes, masks = sam_sample(rng, 3, size)
        enc = processor(images=picture, return_tensors="pt")
        emb = model.get_image_embeddings(enc["pixel_values"])
        h, w = (int(v) for v in enc["original_sizes"][0])
        rh, rw = (int(v) for v in enc["reshaped_input_sizes"][0])
        scale = torch.tensor([rw / w, rh / h, rw / w, rh / h])
        ib = (torch.tensor(np.asarray(boxes, np.float32)) * scale)[None]
        out = model(image_embeddings=emb, input_boxes=ib, multimask_output=False)
        pred = processor.post_process_masks(out.pred_masks, enc["original_sizes"], enc["reshaped_input_sizes"])[0][:, 0].numpy()
        for p, g in zip(pred, masks):
            ious.append((p & g).sum() / max(1, (p | g).sum()))
    return {"sam_heldout_iou": round(float(np.mean(ious)), 3), "sam_iou_p10": round(float(np.percentile(ious, 10)), 3)}


# ============================================================================================== main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", default="all", help="vae|editor|detector|segmenter|all, or several joined by commas")
    ap.add_argument("--steps", type=int, default=None, help="steps of the stage (when one stage is given)")
    for stage in STAGES:
        ap.add_argument(f"--{stage}-steps", type=int, default=None, help=f"steps of the {stage} (default {DEFAULT_STEPS[stage]})")
        ap.add_argument(f"--{stage}-deadline", default=None,
                        help=f"finish the {stage}'s schedule by then: HH:MM or +MINUTES (from its first start)")
    ap.add_argument("--out", type=Path, default=ROOT / "emilie_agent" / "toyworld" / "models")
    ap.add_argument("--work", type=Path, default=Path("/tmp/toytrain/work"))
    ap.add_argument("--resume", action="store_true", help="go on from the checkpoints in --work")
    ap.add_argument("--extend", action="store_true",
                    help="with --resume: train a finished stage further (a warm restart of its cosine up to the new "
                         "--<stage>-steps / deadline)")
    ap.add_argument("--every", type=int, default=250, help="checkpoint (and export) every N steps")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=64, help="editor batch")
    ap.add_argument("--pairs", type=int, default=24000, help="editor training pairs (encoded once)")
    ap.add_argument("--editor-lr", type=float, default=1e-3)
    ap.add_argument("--prediction", choices=("v_prediction", "epsilon"), default="v_prediction",
                    help="what the editor's UNet predicts (v: far better for a model this small; epsilon: SD's)")
    ap.add_argument("--det-batch", type=int, default=8)
    ap.add_argument("--det-lr", type=float, default=4e-4)
    ap.add_argument("--sam-batch", type=int, default=8)
    ap.add_argument("--det-degrade", type=float, default=0.0,
                    help="share of the detector's training pictures made to look like the editor's outputs (0; the "
                         "shipped detector was fine-tuned with 0.5)")
    ap.add_argument("--sam-lr", type=float, default=5e-4)
    ap.add_argument("--sam-jitter", type=float, default=0.06,
                    help="std of the noise on the segmenter's training boxes, as a share of the box's size (0.06; "
                         "the toy detector's boxes are often looser: the shipped SAM was extended with 0.15)")
    ap.add_argument("--eval-only", action="store_true", help="skip training; measure the saved folders")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    stages = STAGES if args.stage == "all" else tuple(s.strip() for s in args.stage.split(","))
    for s in stages:
        if s not in STAGES:
            ap.error(f"unknown stage {s!r}")

    def steps_for(stage):
        explicit = getattr(args, f"{stage}_steps")
        if explicit is not None:
            return explicit
        if args.steps is not None and len(stages) == 1:
            return args.steps
        return DEFAULT_STEPS[stage]

    args.steps_for = steps_for
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    results, timings = {}, {}
    for stage in stages:
        t0 = time.time()
        if args.eval_only:
            results.update({
                "vae": lambda: {"vae_heldout_l1": round(vae_l1(__import__("diffusers").AutoencoderKL.from_pretrained(vae_folder(args)).eval(), picture_bank(args, 400, 2, "vae_heldout")), 2)},
                "editor": lambda: editor_guidance_search(args),
                "detector": lambda: (_patch_matcher(), detector_thresholds(args))[1],
                "segmenter": lambda: evaluate_sam_folder(sam_folder(args), 200, args.seed),
            }[stage]())
        else:
            results.update({"vae": stage_vae, "editor": stage_editor, "detector": stage_detector,
                            "segmenter": stage_segmenter}[stage](args))
        timings[stage] = round(time.time() - t0)
    results["wall_seconds"] = timings
    (args.work / f"results_{'_'.join(stages)}.json").write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
