"""``emilie-agent demo``: the main job on the toy-world scene it draws; without real weights the toy models, else tiny ones."""
from __future__ import annotations

import numpy as np
from PIL import Image

from emilie_agent.agent.request import write_contact_sheet
from emilie_agent.cli import demo, options
from emilie_agent.cli.main import main
from emilie_agent.editing.session import EditSession
from emilie_agent.models import fetch


def test_without_real_weights_the_demo_says_so_and_picks_the_toy_models(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "missing_from_cache", lambda: ["timbrooks/instruct-pix2pix"])
    monkeypatch.setattr(options, "toy_models_available", lambda: True)
    seen = {}
    monkeypatch.setattr(demo, "run_planned", lambda args: seen.update(vars(args)) or 0)
    assert main(["demo", "-o", str(tmp_path / "demo")]) == 0
    err = capsys.readouterr().err
    assert "TOY models" in err and "timbrooks/instruct-pix2pix" in err and "emilie-agent fetch" in err
    assert seen["models"] == "toy" and seen["box_threshold"] is None  # the toy detector's own thresholds
    assert seen["image"] == str(tmp_path / "demo" / "input.png")


def test_without_real_or_toy_weights_the_demo_says_so_and_runs_the_whole_job_on_tiny_models(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(fetch, "missing_from_cache", lambda: ["timbrooks/instruct-pix2pix"])
    monkeypatch.setattr(options, "toy_models_available", lambda: False)
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--steps", "1", "--quiet", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "TINY RANDOM models" in captured.err and "timbrooks/instruct-pix2pix" in captured.err
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



def test_models_auto_is_real_then_toy_then_tiny_and_says_which(monkeypatch, capsys):
    monkeypatch.setattr(fetch, "missing_from_cache", lambda: [])
    assert options.resolve_auto_models("ui") is None and capsys.readouterr().err == ""
    monkeypatch.setattr(fetch, "missing_from_cache", lambda: ["timbrooks/instruct-pix2pix"])
    monkeypatch.setattr(options, "toy_models_available", lambda: True)
    assert options.resolve_auto_models("mcp") == "toy"
    err = capsys.readouterr().err
    assert err.startswith("emilie-agent mcp: the real models are not in the Hugging Face cache (timbrooks/")
    assert "TOY models" in err and err.count("\n") == 1
    monkeypatch.setattr(options, "toy_models_available", lambda: False)
    assert options.resolve_auto_models("ui") == "tiny" and "TINY RANDOM" in capsys.readouterr().err
