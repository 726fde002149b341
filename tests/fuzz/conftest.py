"""The fuzz suite's set-up: a sandbox of odd files per case, the invariants, and the run's figures.

Every generated case runs in a fresh sandbox folder holding pictures good and bad (a 1x1 picture, a 3x400
strip, a float picture full of NaN, a text file, an empty and a truncated PNG, a FIFO, a folder, a file where a
folder should be) and a saved session (``session/``). Before and after each case the whole sandbox is read
byte for byte: a command that fails must leave it exactly as it was.

Size of a run: ``FUZZ_EXAMPLES`` (examples per test, default 40); ``FUZZ_SEED`` picks the random stream (default:
hypothesis' derandomized one, the same on every run). ``FUZZ_REPORT=path.json`` writes the run's figures there.
Model loads are cached across cases (the first load of each model is the real one; errors are never cached).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, seed, settings
from PIL import Image

from emilie_agent.cli.main import main
from tests.fakes import make_picture

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
_SEED = os.environ.get("FUZZ_SEED")

settings.register_profile(
    "fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the working tree
    derandomize=_SEED is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
FUZZ = settings.get_profile("fuzz")


def fuzz(test):
    """The fuzz profile on a test (and ``FUZZ_SEED``'s stream when it is set)."""
    test = FUZZ(test)
    return seed(int(_SEED))(test) if _SEED is not None else test

ERROR_PREFIX = "emilie-agent: error: "
TINY = ["--models", "tiny", "--quiet"]


# ---------------------------------------------------------------------------------------------- figures
@dataclass
class Figures:
    """What a fuzz run did: cases by surface and outcome, and the two numbers that must stay 0."""

    cases: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    tracebacks: int = 0  # an exception out of main() or the API that is not the package's own error
    data_lost: int = 0  # a file that was there before a failing case and changed or vanished
    stray_outputs: int = 0  # a failing case (nothing done) that left a file or folder behind
    examples: list = field(default_factory=list)  # the first few offending cases, for the report

    def __repr__(self) -> str:
        return f"Figures({sum(self.cases.values())} cases, {self.tracebacks} tracebacks, {self.data_lost} lost)"

    def count(self, surface: str, outcome: str) -> None:
        self.cases[surface] += 1
        self.outcomes[f"{surface}: {outcome}"] += 1

    def as_dict(self) -> dict:
        return {
            "examples_per_test": EXAMPLES,
            "cases": sum(self.cases.values()),
            "cases_by_surface": dict(sorted(self.cases.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "tracebacks": self.tracebacks,
            "data_lost": self.data_lost,
            "stray_outputs": self.stray_outputs,
            "offending_examples": self.examples[:10],
        }


FIGURES = Figures()


@pytest.fixture(scope="session")
def figures():
    yield FIGURES
    report = os.environ.get("FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(FIGURES.as_dict(), indent=1) + "\n")


# ---------------------------------------------------------------------------------------------- models, cached
@pytest.fixture(scope="package")
def cached_models(tiny_model_cache):
    """EmilieEditor.from_pretrained and Masker.from_pretrained remember what they loaded (successful loads only),
    so that a hundred cases do not load the tiny models a hundred times. Every check before the load still runs.

    Package scope: the remembering ends with the fuzz suite (the tests after it load models for real; a
    session-wide cache once made a later test see a stale toy editor instead of its error)."""
    from emilie_agent.editing.pipeline import EmilieEditor
    from emilie_agent.masking.masker import Masker

    saved = {"editor": EmilieEditor.__dict__["from_pretrained"], "masker": Masker.__dict__["from_pretrained"]}
    editors, maskers, lock = {}, {}, threading.Lock()

    def editor_from_pretrained(cls, name="timbrooks/instruct-pix2pix", **kwargs):
        key = (os.fspath(name), repr(sorted(kwargs.items(), key=lambda kv: kv[0])))
        with lock:
            if key not in editors:
                editors[key] = saved["editor"].__func__(cls, name, **kwargs)
            return editors[key]

    def masker_from_pretrained(cls, detector=None, segmenter=None, **kwargs):
        key = (detector, segmenter, repr(sorted(kwargs.items(), key=lambda kv: kv[0])))
        with lock:
            if key not in maskers:
                maskers[key] = saved["masker"].__func__(cls, detector, segmenter, **kwargs)
            return maskers[key]

    EmilieEditor.from_pretrained = classmethod(editor_from_pretrained)
    Masker.from_pretrained = classmethod(masker_from_pretrained)
    yield
    EmilieEditor.from_pretrained = saved["editor"]
    Masker.from_pretrained = saved["masker"]


# ---------------------------------------------------------------------------------------------- the sandbox
@pytest.fixture(scope="package")
def sandbox_template(tmp_path_factory, cached_models) -> Path:
    """The files every case starts from (copied per case)."""
    from emilie_agent.editing.pipeline import EmilieEditor
    from emilie_agent.editing.session import EditSession
    from emilie_agent.editing.settings import EditSettings

    root = tmp_path_factory.mktemp("fuzz-template")
    make_picture(48, 40).save(root / "in.png")
    mask = np.zeros((40, 48), np.uint8)
    mask[8:32, 10:38] = 255
    Image.fromarray(mask).save(root / "mask.png")
    Image.new("L", (10, 10), 255).save(root / "small-mask.png")
    Image.new("L", (48, 40), 0).save(root / "black-mask.png")
    Image.new("RGB", (1, 1), (200, 30, 30)).save(root / "one.png")
    make_picture(3, 400).save(root / "strip.png")
    Image.fromarray(np.full((20, 24), np.nan, np.float32), "F").save(root / "nan.tif")
    Image.fromarray(np.linspace(0, 1, 24 * 20, dtype=np.float32).reshape(20, 24), "F").save(root / "float.tif")
    (root / "text.txt").write_text("not a picture\n")
    (root / "empty.png").write_bytes(b"")
    good = (root / "in.png").read_bytes()
    (root / "trunc.png").write_bytes(good[: len(good) // 2])
    (root / "dir").mkdir()
    (root / "dir.png").mkdir()  # a folder with a picture's name
    (root / "afile").write_text("a file where a folder is expected\n")
    editor = EmilieEditor.from_pretrained("tiny", device="cpu")
    session = EditSession.start(editor, root / "in.png", model="tiny")
    session.edit("make it snow", settings=EditSettings(steps=1, seed=3))
    session.save(root / "session")
    session.close()
    return root


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under ``root``: a file's bytes, a folder, a link's target, a FIFO (never opened)."""
    found: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(mode):
                found[rel] = "dir"
            elif stat.S_ISREG(mode):
                found[rel] = path.read_bytes()
            else:
                found[rel] = "special"
    return found


@contextlib.contextmanager
def sandbox(template: Path):
    """A fresh copy of the template, with a FIFO and a read-only folder, as the current folder."""
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        shutil.copytree(template, root, dirs_exist_ok=True)
        os.mkfifo(root / "fifo.png")
        (root / "readonly").mkdir()
        os.chmod(root / "readonly", 0o555)
        old = os.getcwd()
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(old)
    finally:
        os.chmod(root / "readonly", 0o755)
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- running the CLI
@dataclass
class Run:
    argv: list
    rc: int | None
    out: str
    err: str
    raised: BaseException | None


def run_cli(argv: list[str], stdin: bytes | None = None) -> Run:
    """``main(argv)`` in this process, its standard output and error captured (standard input from ``stdin``)."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
    rc, raised = None, None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
                rc = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException as exc:  # noqa: BLE001 - what the invariants are about
                raised = exc
    finally:
        sys.stdin = old_stdin
    return Run(argv, rc, out.getvalue(), err.getvalue(), raised)


def check_invariants(run: Run, before: dict, after: dict, figures: Figures, surface: str, *,
                     may_change: tuple[str, ...] = ()) -> str:
    """The invariants of a command line run; returns its outcome ("ok", "error 1", "usage 2", "partial").

    * no exception escapes ``main`` and no "Traceback" / "internal error" is printed;
    * status 0: no error line; status 1 or 2: exactly one ``emilie-agent: error:`` line;
    * status 1 or 2: the sandbox is byte for byte as it was (nothing written, nothing lost), except after a
      planned request that finished some steps ("wrote ..." on standard output), where only files made by the
      run may differ;
    * status 0: every file that was there before is unchanged, except those under ``may_change`` (the outputs
      the command was asked to write).
    """
    lost_before = figures.data_lost
    problems = []
    if run.raised is not None:
        figures.tracebacks += 1
        problems.append(f"raised {type(run.raised).__name__}: {run.raised}")
    text = run.out + run.err
    if "Traceback" in text or "internal error" in run.err:
        figures.tracebacks += 1
        problems.append("a traceback or an internal error was printed")
    error_lines = [line for line in run.err.splitlines() if line.startswith(ERROR_PREFIX)]
    if run.rc == 0:
        outcome = "ok"
        if error_lines:
            problems.append(f"status 0 with an error line: {error_lines}")
    elif run.rc in (1, 2):
        outcome = "usage 2" if run.rc == 2 else "error 1"
        if len(error_lines) != 1:
            problems.append(f"status {run.rc} with {len(error_lines)} error lines: {run.err[-500:]!r}")
    else:
        outcome = f"status {run.rc}"
        problems.append(f"unexpected status {run.rc}")
    partial = run.rc == 1 and "\nwrote " in "\n" + run.out
    if partial:
        outcome = "partial"
    for rel, content in before.items():
        if rel in after and after[rel] == content:
            continue
        if run.rc == 0 or partial:
            if any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in may_change if p):
                continue
        figures.data_lost += 1
        problems.append(f"{rel} {'changed' if rel in after else 'vanished'}")
        break
    if run.rc not in (0, None) and not partial:
        new = sorted(set(after) - set(before))
        if new:
            figures.stray_outputs += 1
            problems.append(f"failed (status {run.rc}) but wrote {new[:5]}")
    figures.count(surface, outcome)
    if problems:
        figures.examples.append({"argv": [repr(a) for a in run.argv], "problems": problems})
    if figures.data_lost > lost_before and not problems:  # pragma: no cover - kept consistent
        problems.append("data lost")
    assert not problems, f"{run.argv!r}: {problems}\nstdout: {run.out[-800:]}\nstderr: {run.err[-800:]}"
    return outcome
