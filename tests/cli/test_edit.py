"""``emilie-agent edit IMAGE "instruction" -o OUT.png``: the one-shot form and its errors."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from emilie_agent.cli.main import main
from emilie_agent.masking.masker import Masker
from tests.fakes import BoxMasker, dilate

FAST = ["--models", "tiny", "--steps", "2", "--quiet", "--device", "cpu"]


def test_one_shot_global_edit_writes_picture_of_input_size(image_file, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["edit", str(image_file), "make it snow", "-o", str(out), *FAST]) == 0
    result = Image.open(out)
    assert result.size == (48, 40)
    assert "whole picture" in capsys.readouterr().out


def test_user_mask_is_honoured_as_is(image_file, tmp_path):
    mask = np.zeros((40, 48), np.uint8)
    mask[10:30, 12:36] = 255
    mask_path = tmp_path / "mask.png"
    Image.fromarray(mask).save(mask_path)
    out = tmp_path / "out.png"
    assert main(["edit", str(image_file), "add a hat", "--mask", str(mask_path), "-o", str(out), *FAST]) == 0
    before, after = np.asarray(Image.open(image_file)), np.asarray(Image.open(out))
    far = ~dilate(mask > 0, 8)
    assert np.array_equal(after[far], before[far])  # --preserve exact is the default
    assert not np.array_equal(after[mask > 0], before[mask > 0])


def _bad(tmp_path, image_file):
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    small_mask = tmp_path / "small.png"
    Image.new("L", (10, 10), 255).save(small_mask)
    broken_mask = tmp_path / "broken.png"
    broken_mask.write_bytes(b"\x89PNG broken")
    return {
        "not an image": ([str(not_image), "make it snow"], "not an image"),
        "missing file": ([str(tmp_path / "nope.png"), "make it snow"], "not found"),
        "empty instruction": ([str(image_file), "  "], "instruction is empty"),
        "mask of another size": ([str(image_file), "add a hat", "--mask", str(small_mask)], "same size"),
        "unreadable mask": ([str(image_file), "add a hat", "--mask", str(broken_mask)], "mask"),
        "mask and target": ([str(image_file), "add a hat", "--mask", str(small_mask), "--target", "man"], "not both"),
    }


@pytest.mark.parametrize(
    "case",
    ["not an image", "missing file", "empty instruction", "mask of another size", "unreadable mask", "mask and target"],
)
def test_bad_input_exits_nonzero_with_one_line_and_writes_nothing(case, tmp_path, image_file, capsys):
    argv, message = _bad(tmp_path, image_file)[case]
    out = tmp_path / "out.png"
    assert main(["edit", *argv, "-o", str(out), *FAST]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("emilie-agent: error:") and message in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_missing_model_is_a_clear_error_without_traceback(image_file, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "emilie_agent", "edit", str(image_file), "make it snow", "-o", str(tmp_path / "o.png"),
         "--models", "nobody/no-such-model", "--quiet"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "cannot load InstructPix2Pix model 'nobody/no-such-model'" in run.stderr
    assert not (tmp_path / "o.png").exists()


def test_one_shot_refuses_options_of_planned_requests(image_file, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["edit", str(image_file), "make it snow", "-o", str(out), "--on-missing", "stop", *FAST]) == 1
    assert "only apply to planned requests" in capsys.readouterr().err
    assert not out.exists()


def test_target_makes_the_mask_and_the_edit_stays_inside(image_file, tmp_path, capsys, monkeypatch):
    # A masker that knows where "the man" is (the tiny random SAM outlines nothing in particular), made from
    # the options the command line read.
    masker, options = BoxMasker(), []
    monkeypatch.setattr(Masker, "from_options", classmethod(lambda cls, given: options.append(given) or masker))
    out, preview = tmp_path / "out.png", tmp_path / "preview.png"
    argv = ["edit", str(image_file), "make it red", "--target", "the man", "--box-threshold", "0",
            "--text-threshold", "0", "--mask-preview", str(preview), "-o", str(out), *FAST]
    assert main(argv) == 0
    assert Image.open(out).size == (48, 40) and Image.open(preview).size == (48, 40)
    captured = capsys.readouterr()
    assert "mask for 'the man'" in captured.err
    assert (options[0].box_threshold, options[0].text_threshold, options[0].detector_name) == (0.0, 0.0, "tiny")
    assert masker.calls == [("the man", "object", False)]
    # The edit changed the man's box and nothing away from it (--preserve exact is the default).
    mask = masker.box_mask((48, 40), "man")
    assert f"mask covering {mask.mean():.0%}" in captured.out
    before, after = np.asarray(Image.open(image_file)), np.asarray(Image.open(out))
    far = ~dilate(mask > 0, 8)
    assert far.mean() > 0.3
    assert np.array_equal(after[far], before[far])
    assert not np.array_equal(after[mask > 0], before[mask > 0])


def test_target_not_found_exits_nonzero_with_clear_message_and_writes_nothing(image_file, tmp_path, capsys):
    out, preview = tmp_path / "out.png", tmp_path / "preview.png"
    argv = ["edit", str(image_file), "make it red", "--target", "the unicorn", "--box-threshold", "1",
            "--mask-preview", str(preview), "-o", str(out), *FAST]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("emilie-agent: error: found nothing matching 'the unicorn'")
    assert "nothing was written" in err
    assert not out.exists() and not preview.exists()
