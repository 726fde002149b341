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
