"""tools/bench_turn.py on the tiny models: the JSON contract scripts depend on (the figures mean nothing here)."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "bench_turn.py"
CONTRACT = ("device", "size", "steps", "turn_over_pipeline", "forward_share", "turn_last_over_turn1",
            "masker_second_over_first", "peak_memory_mb")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_turn", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_json_last_line_has_every_contract_figure(bench, monkeypatch, capsys, tiny_model_cache):
    argv = [str(TOOL), "--models", "tiny", "--size", "64", "--steps", "1", "--turns", "1", "--repeats", "1",
            "--device", "cpu", "--json"]
    monkeypatch.setattr(sys, "argv", argv)
    assert bench.main() == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    for key in CONTRACT:
        assert key in figures, key
    assert figures["device"].startswith("cpu") and figures["size"] == 64 and figures["steps"] == 1
    for key in ("turn_over_pipeline", "forward_share", "turn_last_over_turn1", "masker_second_over_first",
                "local_crop_over_global", "peak_memory_mb", "cold_start_s"):
        assert isinstance(figures[key], (int, float)) and figures[key] > 0, key
    assert 0 < figures["forward_share"] <= 1.0
    assert figures["turn_last_over_turn1"] == 1.0  # one turn: the first is the last
    assert [step["scope"] for step in figures["request_steps"]] == ["global", "local", "local"]
    assert figures["host_device_copies_per_step"] is None  # counted on CUDA only
    assert "UNet steps" in figures["breakdown_s"] and "masker: SAM image encoder" in figures["breakdown_s"]


def test_bad_numbers_are_refused_in_one_line(bench, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [str(TOOL), "--models", "tiny", "--steps", "0"])
    with pytest.raises(SystemExit) as stop:
        bench.main()
    assert stop.value.code == 2
    assert "--steps must be at least 1" in capsys.readouterr().err


def test_sections_left_out_are_null_and_unknown_ones_refused(bench, monkeypatch, capsys, tiny_model_cache):
    monkeypatch.setattr(sys, "argv", [str(TOOL), "--models", "tiny", "--sections", "requests"])
    with pytest.raises(SystemExit):
        bench.main()
    assert "--sections: choose from request, turn, local, session, masker" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", [str(TOOL), "--models", "tiny", "--size", "64", "--steps", "1", "--repeats", "1",
                                      "--device", "cpu", "--sections", "local", "--json"])
    assert bench.main() == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["turn_over_pipeline"] is None and figures["masker_second_over_first"] is None
    assert figures["local_crop_s"] > 0 and figures["local_full_s"] > 0 and figures["turn_s"] > 0


def test_centred_box_covers_the_asked_share(bench):
    box = bench.centred_box(512, 0.05)
    assert abs(box.mean() - 0.05) < 0.002
    assert box[256, 256] == 1 and box[0, 0] == 0
