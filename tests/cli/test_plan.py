"""``emilie-agent plan``: the readable, --json and --jsonl forms, and its errors."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from emilie_agent.cli.main import main


def run_cli(capsys, *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["plan", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_plain_output_is_readable(capsys):
    code, out, err = run_cli(capsys, "Make it dusk, then paint the boat orange.")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert "2 steps" in lines[0]
    assert "1. make it dusk" in lines[1] and "whole picture" in lines[1]
    assert "2. paint the boat orange" in lines[2] and "only: boat" in lines[2]


def test_json_prints_one_object(capsys):
    code, out, _ = run_cli(capsys, "--json", "Make everything but the bride sepia")
    assert code == 0
    data = json.loads(out)
    assert data == {
        "request": "Make everything but the bride sepia",
        "steps": [{"instruction": "make it sepia", "scope": "local", "target": "bride", "invert": True}],
    }


def test_jsonl_answers_every_line_in_order(capsys, monkeypatch):
    requests = ["Paint the fence white", "", "Add a kite to the sky and then make it windy", "   "]
    code, out, _ = run_cli(capsys, "--jsonl", stdin="\n".join(requests) + "\n", monkeypatch=monkeypatch)
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["request"] for a in answers] == requests
    assert answers[0]["steps"][0]["target"] == "fence"
    assert answers[1]["steps"] == [] and answers[1]["error"] == "empty request"
    assert [s["scope"] for s in answers[2]["steps"]] == ["local", "global"]
    assert answers[3]["steps"] == [] and "error" in answers[3]


def test_jsonl_line_that_fails_to_plan_keeps_its_place(capsys, monkeypatch):
    code, out, _ = run_cli(capsys, "--jsonl", stdin="Keep the dog as it is.\nMake it foggy\n", monkeypatch=monkeypatch)
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 2
    assert answers[0]["steps"] == [] and "no edit" in answers[0]["error"]
    assert answers[1]["steps"][0]["scope"] == "global"


def test_jsonl_does_not_print_a_refused_long_request_back_whole(capsys, monkeypatch):
    long_request = "make the sky blue and " * 50_000  # 1.1 MB on one line
    code, out, _ = run_cli(capsys, "--jsonl", stdin=long_request + "\nMake it foggy\n", monkeypatch=monkeypatch)
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 2 and len(out) < 2_000
    assert "too long" in answers[0]["error"] and answers[0]["request"].endswith("(1,100,000 characters)")
    assert answers[1]["request"] == "Make it foggy"


@pytest.mark.parametrize("argv", [[], [""], ["   "], ["--json", ""]])
def test_empty_request_is_one_clear_error_line(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "request is empty" in err


def test_jsonl_with_a_request_argument_is_an_error(capsys, monkeypatch):
    code, _, err = run_cli(capsys, "--jsonl", "make it red", stdin="", monkeypatch=monkeypatch)
    assert code == 1 and "standard input" in err


def test_llm_planner_without_model_is_a_clear_error(capsys):
    code, _, err = run_cli(capsys, "--planner", "llm", "make it red")
    assert code == 1 and "--model provider:name" in err


def test_model_for_a_provider_that_is_not_installed_is_a_clear_error(capsys):
    code, _, err = run_cli(capsys, "--model", "nosuchprovider:x", "make it red")
    assert code == 1 and err.startswith("emilie-agent: error: cannot start chat model") and err.count("\n") == 1


def test_unknown_planner_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["plan", "--planner", "magic", "make it red"])
    assert caught.value.code == 2


def test_jsonl_in_one_process_without_torch():
    """The scorer's way: one process, many lines; the plan path must not import torch."""
    requests = ["Turn the roses into tulips, then make them yellow.", "Brighten the photo", "", "Give the boy a kite"]
    script = (
        "import sys; from emilie_agent.cli.main import main; code = main(['plan', '--jsonl']); "
        "sys.stderr.write('torch imported' if 'torch' in sys.modules else 'no torch'); sys.exit(code)"
    )
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run(
        [sys.executable, "-c", script], input="\n".join(requests) + "\n", capture_output=True, text=True,
        timeout=120, env=env,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr.endswith("no torch")
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert [a["request"] for a in answers] == requests
    assert [s["target"] for s in answers[0]["steps"]] == ["rose", "tulip"]
    assert answers[1]["steps"][0]["scope"] == "global"
    assert answers[2]["error"] == "empty request"
    assert answers[3]["steps"][0]["target"] == "boy"


def test_python_dash_m_entry_point():
    run = subprocess.run(
        [sys.executable, "-m", "emilie_agent", "plan", "--jsonl"], input="Make it autumn\nAdd a fox to the field\n",
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert [a["steps"][0]["scope"] for a in answers] == ["global", "local"]
