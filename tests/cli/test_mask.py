"""``emilie-agent mask`` on the tiny models."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from emilie_agent.cli.main import main
from tests.fakes import make_picture


@pytest.fixture
def picture_path(tmp_path):
    path = tmp_path / "in.png"
    make_picture(53, 37).save(path)
    return path


def test_mask_writes_the_mask_the_preview_and_json(picture_path, tmp_path, capsys):
    out, preview = tmp_path / "mask.png", tmp_path / "preview.png"
    argv = ["mask", str(picture_path), "the dog", "--models", "tiny", "--box-threshold", "0", "--device", "cpu"]
    rc = main(argv + ["-o", str(out), "--preview", str(preview), "--json", "--granularity", "region"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is True and data["granularity"] == "region" and data["size"] == [53, 37]
    assert len(data["boxes"]) == len(data["scores"]) == 1 and 0.0 < data["area_fraction"] <= 1.0
    mask = Image.open(out)
    assert mask.mode == "L" and mask.size == (53, 37)
    assert abs(np.asarray(mask, np.float32).mean() / 255.0 - data["area_fraction"]) < 0.01
    assert Image.open(preview).size == (53, 37)


def test_global_and_invert(picture_path, tmp_path):
    base = ["mask", str(picture_path), "the dog", "--models", "tiny", "--box-threshold", "0", "--device", "cpu"]
    assert main(base + ["--granularity", "global", "-o", str(tmp_path / "g.png")]) == 0
    assert (np.asarray(Image.open(tmp_path / "g.png")) == 255).all()
    assert main(base + ["--spread", "0.3", "-o", str(tmp_path / "a.png")]) == 0
    assert main(base + ["--spread", "0.3", "--invert", "-o", str(tmp_path / "b.png")]) == 0
    a, b = (np.asarray(Image.open(tmp_path / n), np.int32) for n in ("a.png", "b.png"))
    assert (np.abs(a + b - 255) <= 1).all()


def test_not_found_exits_non_zero_and_writes_nothing(picture_path, tmp_path, capsys):
    out, preview = tmp_path / "mask.png", tmp_path / "preview.png"
    rc = main(
        ["mask", str(picture_path), "the unicorn", "--models", "tiny", "--box-threshold", "1", "--device", "cpu",
         "-o", str(out), "--preview", str(preview), "--json"]
    )
    captured = capsys.readouterr()
    assert rc == 1 and not out.exists() and not preview.exists()
    assert json.loads(captured.out)["found"] is False
    assert "found nothing matching 'the unicorn'" in captured.err and "best score" in captured.err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["", "-o", "m.png"], "empty"),
        (["the", "-o", "m.png"], "names nothing"),
        (["the dog"], "nothing to do"),
        (["the dog", "-o", "m.txt"], "not a picture path"),
        (["the dog", "-o", "m.png", "--spread", "2"], "spread"),
    ],
)
def test_bad_requests_are_one_line_errors(picture_path, tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    rc = main(["mask", str(picture_path), *extra, "--models", "tiny", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 1 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m.png").exists()


def test_masker_options_are_shared_with_edit():
    import argparse

    from emilie_agent.cli.options import add_device_arguments, add_masker_arguments, masker_options

    parser = argparse.ArgumentParser()
    parser.add_argument("--models")
    add_device_arguments(parser)
    add_masker_arguments(parser)
    args = parser.parse_args(["--models", "tiny", "--granularity", "region", "--box-threshold", "0.4"])
    assert args.masker_models is None and args.models == "tiny" and args.granularity == "region"
    assert args.box_threshold == 0.4 and args.spread is None and args.masker_backend == "transformers"
    # What the library gets: typed options, the editor's --models tiny meaning the masker's tiny models too.
    options = masker_options(args)
    assert (options.detector_name, options.segmenter_name) == ("tiny", "tiny")
    assert (options.granularity, options.box_threshold, options.text_threshold) == ("region", 0.4, None)


def test_bad_masker_options_fail_when_they_are_read():
    import argparse

    from emilie_agent.cli.options import add_device_arguments, add_masker_arguments, masker_options
    from emilie_agent.errors import InvalidRequestError

    parser = argparse.ArgumentParser()
    add_device_arguments(parser)
    add_masker_arguments(parser)
    with pytest.raises(InvalidRequestError, match="--box-threshold"):
        masker_options(parser.parse_args(["--box-threshold", "2"]))
