"""The ``emilie-agent`` entry point: every verb is there, and the light commands stay light (no torch)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from emilie_agent.cli.main import VERBS, build_parser


def test_every_verb_has_its_own_parser(capsys):
    for verb in VERBS:
        with pytest.raises(SystemExit):
            build_parser(verb).parse_args([verb, "--help"])
        assert f"usage: emilie-agent {verb}" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["edit", "--help"], ["chat", "--help"], ["fetch", "--help"]])
def test_help_does_not_import_torch(argv):
    script = (
        "import sys\nfrom emilie_agent.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('torch imported' if 'torch' in sys.modules else 'no torch')"
    )
    run = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120)
    assert "usage: emilie-agent" in run.stdout
    assert run.stderr.endswith("no torch")


def test_a_bug_is_still_one_error_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    import emilie_agent.cli.plan as plan_verb
    from emilie_agent.cli.main import main

    def broken(args):
        raise KeyError("oops\nsecond line")

    monkeypatch.setattr(plan_verb, "run", broken)
    assert main(["plan", "make it snow"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("emilie-agent: error: internal error (KeyError")
    assert "this is a bug" in err and "EMILIE_DEBUG=1" in err and "Traceback" not in err
    monkeypatch.setenv("EMILIE_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["plan", "make it snow"])


def test_a_write_that_fails_late_is_one_error_line(capsys, monkeypatch):
    import emilie_agent.cli.plan as plan_verb
    from emilie_agent.cli.main import main

    def disk_full(args):
        raise OSError(28, "No space left on device", "/data/out.png")

    monkeypatch.setattr(plan_verb, "run", disk_full)
    assert main(["plan", "make it snow"]) == 1
    assert capsys.readouterr().err == "emilie-agent: error: No space left on device: /data/out.png\n"


def test_arguments_that_are_not_utf8_are_refused_before_parsing(capsys):
    import os

    from emilie_agent.cli.main import main

    assert main(["plan", os.fsdecode(b"make it \xe9t\xe9")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("emilie-agent: error: argument 2 ") and "\\xe9" in err and "not valid UTF-8" in err
