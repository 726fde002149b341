"""``emilie-agent demo``: the main job on the toy-world scene it draws, falling back to the toy models."""
from __future__ import annotations

import numpy as np
from PIL import Image

from emilie_agent.agent.request import write_contact_sheet
from emilie_agent.cli import demo
from emilie_agent.cli.main import main
from emilie_agent.editing.session import EditSession
from emilie_agent.models import fetch


def test_demo_without_real_weights_says_so_and_runs_the_whole_job_on_the_toy_models(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "missing_from_cache", lambda: ["timbrooks/instruct-pix2pix"])
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--steps", "2", "--quiet", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "TOY models" in captured.err and "timbrooks/instruct-pix2pix" in captured.err
    assert "emilie-agent fetch" in captured.err  # how to get the real ones
    assert "Plan for" in captured.out
    size = demo.SCENE_SIZE["toy"]
    assert Image.open(out / "input.png").size == size
    assert (out / "session" / "manifest.json").is_file()
    turns = sorted(p.name for p in out.glob("turn-*.png") if "mask" not in p.name)
    assert turns[:2] == ["turn-00.png", "turn-01.png"] and len(turns) == 4  # input + three steps
    assert all(Image.open(out / name).size == size for name in turns)
    session = EditSession.load(out / "session")
    assert [turn.context.scope for turn in session.history()[1:]] == ["global", "local", "local"]
    # The sheet shows the input and the three steps: the saved session's sheet, pixel for pixel.
    sheet = Image.open(out / "contact_sheet.png")
    assert write_contact_sheet(session, tmp_path / "expected.png") == 4
    assert np.array_equal(np.asarray(sheet), np.asarray(Image.open(tmp_path / "expected.png")))


def test_demo_on_tiny_models_runs_the_wiring(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "-o", str(out), "--models", "tiny", "--steps", "1", "--quiet", "--device", "cpu"]
    # Random detector weights score low: with zero thresholds the local steps find something to edit.
    assert main(args + ["--box-threshold", "0", "--text-threshold", "0", "--max-side", "64"]) == 0
    assert "TOY" not in capsys.readouterr().err
    assert len([p for p in out.glob("turn-*.png") if "mask" not in p.name]) == 4
