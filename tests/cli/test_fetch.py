"""``emilie-agent fetch``: which models it downloads, and one clear line when it cannot (no network here)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from huggingface_hub.errors import LocalEntryNotFoundError

from emilie_agent.cli.main import main
from emilie_agent.editing.settings import DEFAULT_MODEL
from emilie_agent.masking.options import DEFAULT_DETECTOR, DEFAULT_SEGMENTER
from emilie_agent.models import fetch


@pytest.fixture
def downloads(monkeypatch, tmp_path):
    """snapshot_download replaced: records what it was asked for and answers with a folder."""
    calls = []

    def snapshot_download(repo_id, local_dir=None, ignore_patterns=None, **kwargs):
        calls.append((repo_id, local_dir, tuple(ignore_patterns or ())))
        return str(local_dir or tmp_path / "cache" / repo_id.replace("/", "--"))

    monkeypatch.setattr(fetch, "snapshot_download", snapshot_download)
    return calls


def test_all_fetches_the_default_editor_detector_and_segmenter(downloads, capsys):
    assert main(["fetch", "--all"]) == 0
    assert [repo for repo, _, _ in downloads] == [DEFAULT_MODEL, DEFAULT_DETECTOR, DEFAULT_SEGMENTER]
    assert all("safety_checker/*" in skip for _, _, skip in downloads)  # not what emilie-agent uses
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [DEFAULT_MODEL, DEFAULT_DETECTOR, DEFAULT_SEGMENTER]


def test_names_are_roles_or_hub_ids_and_local_dir_takes_one(downloads, capsys, tmp_path):
    assert main(["fetch", "segmenter", "someone/other-model", "segmenter"]) == 0
    assert [repo for repo, _, _ in downloads] == [DEFAULT_SEGMENTER, "someone/other-model"]
    assert main(["fetch", "editor", "--local-dir", str(tmp_path / "ip2p")]) == 0
    assert downloads[-1][:2] == (DEFAULT_MODEL, str(tmp_path / "ip2p"))
    capsys.readouterr()

    assert main(["fetch", "--all", "--local-dir", str(tmp_path / "x")]) == 1
    assert "--local-dir takes exactly one model" in capsys.readouterr().err
    assert main(["fetch", "--all", "editor"]) == 1
    assert "not both" in capsys.readouterr().err
    assert len(downloads) == 3  # the refused commands downloaded nothing


def test_fetch_alone_says_what_is_in_the_cache_and_downloads_nothing(downloads, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "missing_from_cache", lambda repos=None: [DEFAULT_DETECTOR])
    assert main(["fetch"]) == 0
    out = capsys.readouterr().out
    assert f"{DEFAULT_DETECTOR}: not fetched" in out and f"{DEFAULT_MODEL}: in the cache" in out
    assert "emilie-agent fetch --all" in out and downloads == []


def test_no_network_is_one_error_line_and_status_1(monkeypatch, capsys):
    def unreachable(repo_id, **kwargs):
        raise LocalEntryNotFoundError("Got: ConnectError: [Errno -2] Name or service not known\nmore text")

    monkeypatch.setattr(fetch, "snapshot_download", unreachable)
    monkeypatch.setattr(fetch.hub_constants, "HF_HUB_OFFLINE", False)
    assert main(["fetch", "editor"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"emilie-agent: error: could not download {DEFAULT_MODEL}: ")
    assert "cannot be reached" in err[0]


def test_offline_mode_is_one_error_line_without_traceback(tmp_path):
    """The real snapshot_download, with HF_HUB_OFFLINE=1 (no network is used) and an empty cache."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    run = subprocess.run(
        [sys.executable, "-m", "emilie_agent", "fetch", "nobody/no-such-model"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip() == (
        "emilie-agent: error: could not download nobody/no-such-model: HF_HUB_OFFLINE is set; "
        "unset it on a machine with network"
    )


def test_missing_from_cache_reads_the_cache(monkeypatch):
    cached = {DEFAULT_MODEL: "model_index.json"}
    monkeypatch.setattr(
        fetch, "try_to_load_from_cache", lambda repo, name: "/cache/file" if cached.get(repo) == name else None
    )
    assert fetch.missing_from_cache() == [DEFAULT_DETECTOR, DEFAULT_SEGMENTER]
