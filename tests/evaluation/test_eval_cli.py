"""``emilie-agent eval`` end to end on the tiny models: every method writes every output, runs resume, and
missing data or models are one clear line."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from emilie_agent.cli.main import main
from emilie_agent.evaluation.methods import METHODS

# 2 sequences x 2 turns, 1 step, at 48x40 (the tiny GroundingDINO needs a picture that is not square).
TINY = ["--models", "tiny", "--clip-model", "tiny", "--dino-model", "tiny", "--steps", "1", "--quiet"]
TOY = ["eval", "toy", "--sequences", "2", "--turns", "2", "--size", "48x40", *TINY]
CONTRACT_METRICS = {"l1", "l2", "clip_i", "dino", "clip_t", "l1_kept", "success"}


@pytest.fixture(scope="module")
def toy_run(tiny_model_cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "toy"
    assert main([*TOY, "--methods", "all", "-o", str(out)]) == 0
    return out


def test_every_method_writes_every_output(toy_run, capsys):
    results = json.loads((toy_run / "results.json").read_text())
    assert results["dataset"] == "toy" and results["skipped_metrics"] == {}
    assert set(results["methods"]) == set(METHODS)
    for name, m in results["methods"].items():
        assert set(m["final"]) == CONTRACT_METRICS, name
        assert len(m["per_turn"]) == 2 and all(set(t) == CONTRACT_METRICS for t in m["per_turn"])
        assert m["n_final"] == 2 and m["n_per_turn"] == [2, 2]
        assert 0 <= m["final"]["l1"] <= 1 and 0 <= m["final"]["l2"] <= m["final"]["l1"]
        assert set(m["success_by_kind"]) and m["seconds_per_turn"] >= 0 and (m["seconds_per_turn"] > 0) == (name != "do-nothing")
        for seq in ("toy-0-00000", "toy-0-00001"):
            folder = toy_run / "runs" / name / seq
            assert (folder / "turn1.png").is_file() and (folder / "turn2.png").is_file()
            assert json.loads((folder / "record.json").read_text())["method"] == name
    markdown = (toy_run / "results.md").read_text()
    assert "**Final turn**" in markdown and "**Per turn**" in markdown and "| 2 (n=2) | emilie-exact |" in markdown
    for label in ("L1", "L2", "CLIP-I", "DINO", "CLIP-T", "L1 kept", "success"):
        assert f"| {label} " in markdown
    assert Image.open(toy_run / "metrics_per_turn.png").size[0] > 500
    sheet = Image.open(toy_run / "contact_sheet.png")
    assert sheet.size[1] > 2 * (1 + len(METHODS)) * 128  # 2 sequences, the truth and every method as rows


def test_exact_preservation_keeps_what_was_meant_to_stay(toy_run):
    methods = json.loads((toy_run / "results.json").read_text())["methods"]
    assert methods["do-nothing"]["final"]["l1_kept"] == 0.0
    assert methods["emilie-exact"]["final"]["l1_kept"] < 0.02
    assert methods["emilie-exact"]["final"]["l1_kept"] < methods["emilie-global"]["final"]["l1_kept"]


def test_the_baseline_and_emilie_share_models_and_seeds(toy_run):
    # Turn 1 conditions on the encoded source for both, with the same seed: the same picture.
    a = np.asarray(Image.open(toy_run / "runs" / "ip2p-recursive" / "toy-0-00000" / "turn1.png"), np.int16)
    b = np.asarray(Image.open(toy_run / "runs" / "emilie-global" / "toy-0-00000" / "turn1.png"), np.int16)
    assert np.abs(a - b).max() <= 2


def test_a_second_run_reuses_finished_sequences_and_an_interrupted_one_resumes(toy_run, capsys):
    capsys.readouterr()
    record = toy_run / "runs" / "emilie-exact" / "toy-0-00001" / "record.json"
    before = record.stat().st_mtime_ns
    assert main([*TOY, "--methods", "all", "-o", str(toy_run)]) == 0
    assert f"0 run, {2 * len(METHODS)} reused" in capsys.readouterr().out
    assert record.stat().st_mtime_ns == before
    record.unlink()  # as if the run had stopped before this sequence finished
    assert main([*TOY, "--methods", "ip2p-recursive,emilie-exact", "-o", str(toy_run)]) == 0
    assert "1 run, 3 reused" in capsys.readouterr().out
    results = json.loads((toy_run / "results.json").read_text())
    assert list(results["methods"]) == ["ip2p-recursive", "emilie-exact"]


def test_metrics_whose_models_are_absent_are_skipped_with_the_reason(toy_run, capsys):
    argv = ["eval", "toy", "--sequences", "2", "--turns", "2", "--size", "48x40", "--models", "tiny", "--steps", "1",
            "--quiet", "--clip-model", "openai/clip-vit-base-patch32", "--dino-model", "none",
            "--methods", "emilie-exact", "-o", str(toy_run)]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "skipping clip_i" in out.err
    results = json.loads((toy_run / "results.json").read_text())
    assert set(results["skipped_metrics"]) == {"clip_i", "clip_t", "dino"}
    assert "not in the Hugging Face cache" in results["skipped_metrics"]["clip_i"]
    assert set(results["methods"]["emilie-exact"]["final"]) == {"l1", "l2", "l1_kept", "success"}
    assert "0 run, 2 reused" in out.out


def test_the_crop_margin_reaches_the_settings_and_a_new_margin_is_a_new_run(toy_run, capsys):
    argv = ["eval", "toy", "--sequences", "2", "--turns", "2", "--size", "48x40", "--models", "tiny", "--steps", "1",
            "--quiet", "--clip-model", "none", "--dino-model", "none", "--methods", "emilie-exact-crop",
            "--crop-margin", "4", "-o", str(toy_run)]
    assert main(argv) == 0
    results = json.loads((toy_run / "results.json").read_text())
    assert results["settings"]["crop_margin"] == 4 and "2 run" in capsys.readouterr().out
    argv[argv.index("4")] = "8"
    assert main(argv) == 0
    assert json.loads((toy_run / "results.json").read_text())["settings"]["crop_margin"] == 8
    assert "2 run, 0 reused" in capsys.readouterr().out


def test_magicbrush_from_the_published_folder(magicbrush_folder, tmp_path, capsys):
    out = tmp_path / "mb"
    argv = ["eval", "magicbrush", "--data", str(magicbrush_folder), "--methods", "ip2p-recursive,emilie-guided",
            *TINY, "-o", str(out)]
    assert main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["dataset"] == "magicbrush" and results["skipped_metrics"] == {
        "success": "success per edit kind is measured on the toy benchmark only"}
    guided = results["methods"]["emilie-guided"]
    assert guided["n_per_turn"] == [2, 1] and guided["n_final"] == 2
    assert {"l1", "l2", "clip_i", "dino", "clip_t"} <= set(guided["final"])
    assert (out / "results.md").is_file() and (out / "metrics_per_turn.png").is_file()


@pytest.mark.parametrize(
    "argv, says",
    [
        (["eval", "magicbrush", "--data", "/no/such/magicbrush", "-o", "{out}"], "there is no such folder"),
        (["eval", "magicbrush", "--data", "emilie-test/no-such-dataset", "-o", "{out}"], "not in the datasets cache"),
        (["eval", "magicbrush", "-o", "{out}"], "say where MagicBrush is"),
        (["eval", "toy", "--models", "/no/such/editor", "-o", "{out}"], "there is no folder"),
        (["eval", "toy", "--methods", "ip2p,emilie", "-o", "{out}"], "unknown method"),
        (["eval", "toy", "--turns", "0", "-o", "{out}"], "turns must be"),
    ],
)
def test_missing_data_or_models_are_one_clear_line(argv, says, tmp_path, capsys, tiny_model_cache):
    code = main([a.replace("{out}", str(tmp_path / "out")) for a in argv])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("emilie-agent: error: ") and err.count("\n") == 1 and says in err


def test_eval_help_does_not_import_torch():
    script = (
        "import sys\nfrom emilie_agent.cli.main import main\n"
        "try:\n    main(['eval', '--help'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('torch imported' if 'torch' in sys.modules else 'no torch')"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "usage: emilie-agent eval" in run.stdout and run.stderr.endswith("no torch")
