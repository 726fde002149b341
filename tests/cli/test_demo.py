"""``emilie-agent demo``: the main job, on the scene it draws, with the loud tiny-model fallback."""
from __future__ import annotations

import numpy as np
from PIL import Image

from emilie_agent.agent.request import write_contact_sheet
from emilie_agent.cli.demo_scene import draw_scene
from emilie_agent.cli.main import main
from emilie_agent.editing.session import EditSession
from emilie_agent.models import fetch


def test_demo_without_real_weights_says_so_and_runs_the_whole_job_on_tiny_models(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "missing_from_cache", lambda: ["timbrooks/instruct-pix2pix"])
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--steps", "1", "--quiet", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert "TINY RANDOM models" in captured.err and "timbrooks/instruct-pix2pix" in captured.err
    assert "emilie-agent fetch" in captured.err  # how to get the real ones
    assert "Plan for" in captured.out
    assert Image.open(out / "input.png").size == draw_scene().size
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width > 3 * draw_scene().width // 4  # several turns side by side
    assert (out / "session" / "manifest.json").is_file()
    turns = sorted(p.name for p in out.glob("turn-*.png") if "mask" not in p.name)
    assert turns[:2] == ["turn-00.png", "turn-01.png"] and len(turns) == 4  # input + three steps
    assert all(Image.open(out / name).size == draw_scene().size for name in turns)
    # The sheet shows the input and the three steps: the saved session's sheet, pixel for pixel.
    assert write_contact_sheet(EditSession.load(out / "session"), tmp_path / "expected.png") == 4
    assert np.array_equal(np.asarray(sheet), np.asarray(Image.open(tmp_path / "expected.png")))
