"""MagicBrush (Zhang et al., NeurIPS 2023) as a multi-turn benchmark: a source picture, up to three turns of
instruction + ground truth + mask.

Read from either

* a **local folder in the published test layout** (the test set is released as a zip, not on the hub)::

      test/
        edit_sessions.json        {"<img_id>": [{"input": ..., "mask": ..., "output": ..., "instruction": ...}, ...]}
        images/<img_id>/<img_id>-input.png, <img_id>-output1.png, <img_id>-mask1.png, ...
        local_descriptions.json   {"<img_id>": {"<img_id>-output1.png": "caption", ...}}  (optional: CLIP-T)
        global_descriptions.json  the same with whole-picture captions (optional; used when there are no local ones)

  (``DATA`` may name the ``test`` folder or the folder holding it); or
* a **hub dataset id** (``osunlp/MagicBrush``) or a folder ``datasets`` can load, through the ``datasets`` library
  (from its cache when ``HF_HUB_OFFLINE`` is set): rows ``img_id, turn_index, source_img, mask_img, instruction,
  target_img``, grouped into sessions by ``img_id`` in ``turn_index`` order. The hub copy has ``train`` and
  ``dev`` splits only and no captions (CLIP-T is then skipped).

A MagicBrush mask marks the area the annotator allowed to change; it is read as: transparency (alpha < 128) when
the picture has any, else white when the picture is black and white, else the pixels that differ from the
turn's input picture (a copy of the input with the area painted over).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from . import DatasetNotAvailableError, EvalSequence, EvalTurn
from ...images import load_image

DEFAULT_ID = "osunlp/MagicBrush"
SESSIONS_FILE = "edit_sessions.json"
CAPTION_FILES = ("local_descriptions.json", "local_captions.json", "global_descriptions.json", "global_captions.json")
GET_TEST_SET = (
    "the MagicBrush test set is published as a zip (see https://github.com/OSU-NLP-Group/MagicBrush): unzip it and "
    "pass its folder with --data"
)


def read_mask(mask_picture: Image.Image, input_picture: Image.Image | None = None) -> np.ndarray | None:
    """A MagicBrush mask picture -> (H, W) float32 in {0, 1} at the input's size (1 = may change); None if empty."""
    size = input_picture.size if input_picture is not None else mask_picture.size
    if mask_picture.size != size:
        mask_picture = mask_picture.resize(size, Image.NEAREST)
    mask: np.ndarray | None = None
    if mask_picture.mode in ("RGBA", "LA", "PA") or "transparency" in mask_picture.info:
        alpha = np.asarray(mask_picture.convert("RGBA"))[..., 3]
        if (alpha < 128).any():
            mask = alpha < 128
    if mask is None:
        grey = np.asarray(mask_picture.convert("L"), np.float32)
        binary = ((grey <= 10) | (grey >= 245)).mean() >= 0.95
        if binary or input_picture is None:
            mask = grey > 127
        else:
            rgb = np.asarray(mask_picture.convert("RGB"), np.float32)
            mask = np.abs(rgb - np.asarray(input_picture.convert("RGB"), np.float32)).mean(-1) > 40
    return mask.astype(np.float32) if mask.any() else None


def _hub_like(data: str) -> bool:
    parts = data.split("/")
    return len(parts) == 2 and all(parts) and not os.path.exists(data)


def find_published_root(folder: Path) -> Path | None:
    """The folder holding ``edit_sessions.json``: ``folder`` itself or its ``test`` subfolder."""
    for candidate in (folder, folder / "test"):
        if (candidate / SESSIONS_FILE).is_file():
            return candidate
    return None


class MagicBrushBenchmark:
    """MagicBrush sessions, from the published folder layout or a ``datasets`` dataset; ``count`` limits them."""

    name = "magicbrush"

    def __init__(self, data: str = DEFAULT_ID, *, split: str = "test", count: int | None = None):
        self.data = os.fspath(data)
        self.split = split
        self._rows = None  # datasets: the table
        self._sessions: list[tuple[str, Any]] = []  # (img_id, turns: list of dicts or row indices)
        self._captions: dict[str, Any] = {}
        self._root: Path | None = None
        folder = Path(self.data).expanduser()
        if folder.is_dir() and find_published_root(folder) is not None:
            self._open_folder(find_published_root(folder))
        elif folder.exists() and not folder.is_dir():
            raise DatasetNotAvailableError(
                f"cannot read the MagicBrush data {self.data!r}: it is a file; pass the folder holding "
                f"{SESSIONS_FILE} (the published test layout) or a hub dataset id"
            )
        elif not folder.exists() and not _hub_like(self.data):
            raise DatasetNotAvailableError(
                f"cannot read the MagicBrush data {self.data!r}: there is no such folder; {GET_TEST_SET}, or pass a "
                f"hub dataset id such as {DEFAULT_ID} (with --split dev)"
            )
        else:
            self._open_datasets()
        if count is not None:
            if count < 1:
                raise DatasetNotAvailableError(f"asked for {count} MagicBrush sessions: give at least 1")
            self._sessions = self._sessions[:count]
        if not self._sessions:
            raise DatasetNotAvailableError(f"the MagicBrush data {self.data!r} (split {self.split}) holds no sessions")

    # ------------------------------------------------------------------ the published folder
    def _open_folder(self, root: Path) -> None:
        self._root = root
        try:
            sessions = json.loads((root / SESSIONS_FILE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise DatasetNotAvailableError(f"cannot read {root / SESSIONS_FILE}: {type(err).__name__}: {err}") from None
        if not isinstance(sessions, dict):
            raise DatasetNotAvailableError(f"{root / SESSIONS_FILE} must map image ids to lists of turns")
        self._sessions = [(str(k), v) for k, v in sorted(sessions.items(), key=lambda kv: _order(kv[0]))]
        for name in CAPTION_FILES:
            path = root / name
            if path.is_file():
                try:
                    self._captions = json.loads(path.read_text(encoding="utf-8"))
                    self.caption_file = name
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
                    raise DatasetNotAvailableError(f"cannot read {path}: {type(err).__name__}: {err}") from None
                break

    def _folder_sequence(self, img_id: str, turns: list[dict]) -> EvalSequence:
        folder = self._root / "images" / img_id

        def picture(name: str) -> Image.Image:
            path = folder / name
            if not path.is_file():
                raise DatasetNotAvailableError(f"MagicBrush session {img_id}: missing picture {path}")
            return Image.open(path)

        source = load_image(picture(turns[0]["input"]))
        out: list[EvalTurn] = []
        previous = source
        for turn in turns:
            target = load_image(picture(turn["output"]))
            mask = read_mask(picture(turn["mask"]), previous) if turn.get("mask") else None
            out.append(EvalTurn(instruction=str(turn["instruction"]).strip(), target=target, mask=mask,
                                caption=self._caption(img_id, turn["output"])))
            previous = target
        return EvalSequence(id=f"mb-{img_id}", source=source, turns=out,
                            source_caption=self._caption(img_id, turns[0]["input"]))

    def _caption(self, img_id: str, file_name: str) -> str | None:
        entry = self._captions.get(img_id)
        if isinstance(entry, dict):
            text = entry.get(file_name)
        else:
            text = self._captions.get(file_name)
        return str(text).strip() if isinstance(text, str) and text.strip() else None

    # ------------------------------------------------------------------ a datasets dataset
    def _open_datasets(self) -> None:
        try:
            # The eval extra: only MagicBrush from the hub needs the datasets library.
            import datasets
        except ImportError:
            raise DatasetNotAvailableError(
                f"reading {self.data!r} needs the datasets library: pip install 'emilie-agent[eval]'"
            ) from None
        try:
            table = datasets.load_dataset(self.data, split=self.split)
        except ValueError as err:
            if "split" in str(err).lower():
                raise DatasetNotAvailableError(
                    f"the dataset {self.data!r} has no {self.split!r} split ({_first_line(err)}); the hub copy of "
                    f"MagicBrush has train and dev: pass --split dev, or {GET_TEST_SET}"
                ) from None
            raise DatasetNotAvailableError(self._not_available(err)) from None
        except Exception as err:  # noqa: BLE001 - datasets raises many types for "not there"; one line for all
            raise DatasetNotAvailableError(self._not_available(err)) from None
        missing = {"img_id", "turn_index", "source_img", "target_img", "instruction"} - set(table.column_names)
        if missing:
            raise DatasetNotAvailableError(
                f"the dataset {self.data!r} is not in MagicBrush's layout: it lacks the columns {sorted(missing)}"
            )
        index: dict[str, list[tuple[float, int]]] = {}
        for row, (img_id, turn) in enumerate(zip(table["img_id"], table["turn_index"])):
            index.setdefault(str(img_id), []).append((float(turn), row))
        self._rows = table
        self._sessions = [(k, [r for _, r in sorted(v)]) for k, v in sorted(index.items(), key=lambda kv: _order(kv[0]))]

    def _not_available(self, err: BaseException) -> str:
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
        where = "is not in the datasets cache and HF_HUB_OFFLINE is set" if offline else "could not be loaded"
        return (
            f"cannot load the MagicBrush dataset {self.data!r}: it {where} ({type(err).__name__}: {_first_line(err)}); "
            f"{GET_TEST_SET}, or fetch {DEFAULT_ID} on a machine with network"
        )

    def _datasets_sequence(self, img_id: str, rows: list[int]) -> EvalSequence:
        records = [self._rows[r] for r in rows]
        source = load_image(records[0]["source_img"])
        turns = []
        for record in records:
            before = load_image(record["source_img"])
            mask_picture = record.get("mask_img")
            turns.append(EvalTurn(
                instruction=str(record["instruction"]).strip(),
                target=load_image(record["target_img"]),
                mask=read_mask(mask_picture, before) if mask_picture is not None else None,
            ))
        return EvalSequence(id=f"mb-{img_id}", source=source, turns=turns)

    # ------------------------------------------------------------------ the benchmark
    def __len__(self) -> int:
        return len(self._sessions)

    def __getitem__(self, index: int) -> EvalSequence:
        img_id, turns = self._sessions[index]
        if self._root is not None:
            return self._folder_sequence(img_id, turns)
        return self._datasets_sequence(img_id, turns)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "data": self.data, "split": self.split if self._root is None else "test (folder)",
                "sequences": len(self), "layout": "published folder" if self._root is not None else "datasets",
                "captions": getattr(self, "caption_file", None)}


def _order(key: str):
    return (0, int(key), "") if str(key).isdigit() else (1, 0, str(key))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else ""
