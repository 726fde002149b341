"""Fuzzing the command line: ``edit``, ``mask``, ``plan`` and ``chat`` with generated arguments and input.

Each case is drawn from pools of values a hostile or careless user gives (odd pictures, unwritable outputs,
out-of-range numbers, unknown devices and schedulers, control characters, text that is not UTF-8...) mixed with
good ones, and runs ``main(argv)`` in this process on the tiny models. The invariants are
:func:`tests.fuzz.conftest.check_invariants`: exit status 0, 1 or 2 (2: argparse's usage errors), exactly one
``emilie-agent: error:`` line on failure, never a traceback, nothing written and nothing changed on failure.
A few cases run as real subprocesses (bytes that are not UTF-8 in argv and standard input, a FIFO).
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import ERROR_PREFIX, TINY, check_invariants, fuzz, run_cli, sandbox, snapshot

NOT_UTF8 = os.fsdecode(b"make it \xff\xfe snow")  # how Python hands over argv bytes that are not UTF-8

# Each slot of a command line: (good values, bad values). A case takes good values everywhere but in a few slots
# (none, one or several), so that each check is met both alone, deep in a run that is otherwise fine, and in
# company.
PICTURE = (["in.png", "in.png", "one.png", "strip.png", "float.tif"],
           ["nan.tif", "text.txt", "empty.png", "trunc.png", "dir", "fifo.png", "missing.png", "", "/dev/null",
            "session", "afile/x.png", "~nobody/x.png"])
MASK = (["mask.png"], ["small-mask.png", "black-mask.png", "text.txt", "missing.png", "fifo.png", "nan.tif", "dir", ""])
INSTRUCTION = (["make it snow", "make it look like winter", "make the man red", "make it snow, then make the man red",
                "\x1b[31mmake it red\x1b[0m", "make it\nsnow", "make it \u202esnow", "👍 make it snow",
                "make it snow " * 40],
               ["and then", "the and of", "   ", "", "please", NOT_UTF8, "x" * 3000, "\x00"])
PHRASE = (["the man", "the dog", "everything except the man", "the background", "the red square"],
          ["the", "it", "", "\x1b[2J", "x" * 500, NOT_UTF8])
ONE_SHOT_OUTPUT = (["out.png", "new/sub/out.jpg", "in.png", "out.PNG", "dir/x.webp"],
                   ["/proc/x.png", "afile/x.png", "dir.png", ("a" * 300) + ".png",
                    "fifo.png", "dir/.png", "/proc/self/x.png"])
PLANNED_OUTPUT = (["outdir", "outdir/", "new/deep/dir", "dir"],
                  ["", " ", "afile", "afile/sub", "/proc/out", "session", "/proc/self/fd/out"])
SESSION_DIR = (["chat-session", "new/s"], ["session", "afile", "/proc/s", "", "dir", "afile/s"])
EDITOR_SLOTS = {
    "--seed": (["0", "7", str(2**64 - 1)], ["-5", str(2**64), "99999999999999999999999", "x", "1.5"]),
    "--scheduler": (["euler_a", "euler", "ddim", "dpm++", "unipc"], ["pndm", "lms", "bogus", ""]),
    "--device": (["cpu"], ["cuda", "cuda:1", "mps", "bogus", "", "CPU", "meta", "xpu"]),
    "--dtype": (["float32", "fp32"], ["int8", "float64", "", "bogus"]),
    "--max-side": (["64", "96"], ["0", "7", "-5", "63", "5000", "x"]),
    "--text-scale": (["7.5", "0"], ["nan", "inf", "-1", "1e400"]),
    "--preserve": (["exact", "guided"], ["both"]),
    "--models": (["tiny"], ["toy-not-built", "does/not/exist", "", "no-such-org/no-such-model"]),
}
MASKER_SLOTS = {
    "--granularity": (["object", "region", "global"], ["huge"]),
    "--spread": (["0", "0.5", "1"], ["2", "-1", "nan", "x"]),
    "--box-threshold": (["0"], ["2", "nan", "-0.1"]),
    "--masker-backend": (["transformers"], ["original", "x"]),
}
REQUEST_SLOTS = {
    "--planner": (["rules"], ["llm", "x"]),
    "--on-missing": (["skip", "stop"], ["x"]),
    "--resume": (["session"], ["missing", "in.png", "dir", ""]),
}


@st.composite
def slot(draw, pools, fault_rate):
    good, bad = pools
    return draw(st.sampled_from(bad if draw(st.floats(0, 1)) < fault_rate else good))


@st.composite
def options(draw, slots, fault_rate, max_size=3):
    """Some of ``slots`` as options; each value bad with probability ``fault_rate``."""
    names = draw(st.lists(st.sampled_from(sorted(slots)), max_size=max_size, unique=True))
    argv = []
    for name in names:
        argv += [name, draw(slot(slots[name], fault_rate))]
    return argv


fault_rates = st.sampled_from([0.0, 0.1, 0.25, 0.5])


@st.composite
def edit_argv(draw):
    rate = draw(fault_rates)
    planned = draw(st.booleans())
    argv = ["edit", draw(slot(PICTURE, rate)), draw(slot(INSTRUCTION, rate))]
    argv += ["-o", draw(slot(PLANNED_OUTPUT if planned else ONE_SHOT_OUTPUT, rate))]
    argv += ["--quiet", "--steps", draw(st.sampled_from(["1", "2"]))]
    chosen = draw(options(EDITOR_SLOTS, rate))
    argv += chosen + ([] if "--models" in chosen else ["--models", "tiny"])
    argv += [] if "--device" in chosen else ["--device", "cpu"]
    if not planned:
        where = draw(st.sampled_from(["none", "mask", "target", "target", "both"]))
        if where in ("mask", "both"):
            argv += ["--mask", draw(slot(MASK, rate))]
        if where in ("target", "both"):
            argv += ["--target", draw(slot(PHRASE, rate))]
            if draw(st.booleans()):
                argv += ["--mask-preview", draw(slot((["preview.png", "new/p.png"], ONE_SHOT_OUTPUT[1] + ["out.png"]), rate))]
        if draw(st.booleans()):
            argv += ["--invert"]
        argv += draw(options(MASKER_SLOTS, rate, max_size=2))
    else:
        argv += draw(options(REQUEST_SLOTS, rate, max_size=2))
    if "--box-threshold" not in argv:
        argv += ["--box-threshold", "0"]
    return argv


@st.composite
def mask_argv(draw):
    rate = draw(fault_rates)
    argv = ["mask", draw(slot(PICTURE, rate))]
    argv += draw(st.lists(slot(PHRASE, rate), min_size=1, max_size=2))
    argv += ["--models", "tiny", "--device", "cpu"]
    for flag, names in (("-o", ["m.png", "new/m.png"]), ("--preview", ["p.png", "new/p.png"])):
        if draw(st.booleans()):
            argv += [flag, draw(slot((names, ONE_SHOT_OUTPUT[1] + ["m.txt", "", "m.png"]), rate))]
    if draw(st.booleans()):
        argv += ["--json"]
    argv += draw(st.lists(st.sampled_from([["--invert"], ["--all"], ["--one"]]), max_size=2).map(sum_lists))
    argv += draw(options({**MASKER_SLOTS, "--device": EDITOR_SLOTS["--device"], "--dtype": EDITOR_SLOTS["--dtype"]},
                         rate))
    if "--box-threshold" not in argv:
        argv += ["--box-threshold", draw(st.sampled_from(["0", "1"]))]
    return argv


def sum_lists(lists):
    return [item for each in lists for item in each]


def outputs_of(argv: list[str]) -> tuple[str, ...]:
    """What a successful run may write or change: its outputs, the folders they are in, the session it saves."""
    named = []
    for flag in ("-o", "--preview", "--mask-preview", "--session-dir"):
        if flag in argv:
            value = argv[argv.index(flag) + 1]
            named.append(os.path.normpath(value) if value.strip() else value)
    if argv[0] == "chat" and "--resume" in argv and "--session-dir" not in argv:
        named.append(os.path.normpath(argv[argv.index("--resume") + 1]))
    return tuple(named)


def check(run, before, after, figures, surface):
    return check_invariants(run, before, after, figures, surface, may_change=outputs_of(run.argv))


@fuzz
@given(argv=edit_argv())
def test_edit_keeps_its_invariants(argv, sandbox_template, figures):
    with sandbox(sandbox_template) as root:
        before = snapshot(root)
        run = run_cli(argv)
        check(run, before, snapshot(root), figures, "cli edit")


@fuzz
@given(argv=mask_argv())
def test_mask_keeps_its_invariants(argv, sandbox_template, figures):
    with sandbox(sandbox_template) as root:
        before = snapshot(root)
        run = run_cli(argv)
        outcome = check(run, before, snapshot(root), figures, "cli mask")
        if outcome == "ok" and "--json" in argv:
            assert run.out.strip().startswith("{")


MESSAGES = [
    b"make it snow", b"undo", b"redo", b"show history", b"go to turn -1", b"go to turn 99", b"go to turn abc",
    b"show the mask for", b"show the mask", b"save to", b"save as", b"save", b"go back to before", b"undo 0",
    b"undo -3", b"start over", b"help", b"and then", b"\x1b[31mred\x1b[0m", b"\x1b]0;owned\x07", b"make it \xff snow",
    b"\xc3\x28", b"x" * 2000, b"\x00\x01\x02", b"save to readonly/s", b"save to afile", b"save to /proc/s",
    b"show the mask for the man", b"make the man red", b"", b"   ", b"quit",
]


@st.composite
def chat_case(draw):
    rate = draw(fault_rates)
    argv = ["chat", draw(slot(PICTURE, rate)), "--session-dir", draw(slot(SESSION_DIR, rate))]
    argv += ["--quiet", "--steps", "1", "--box-threshold", "0"]
    chosen = draw(options({**EDITOR_SLOTS, "--resume": REQUEST_SLOTS["--resume"]}, rate, max_size=2))
    argv += chosen + ([] if "--models" in chosen else ["--models", "tiny"])
    argv += [] if "--device" in chosen else ["--device", "cpu"]
    if draw(st.booleans()):
        argv += ["--replace-session"]
    messages = draw(st.lists(st.sampled_from(MESSAGES), max_size=5))
    return argv, b"\n".join(messages) + b"\n"


@fuzz
@given(case=chat_case())
def test_chat_keeps_its_invariants(case, sandbox_template, figures):
    argv, stdin = case
    with sandbox(sandbox_template) as root:
        before = snapshot(root)
        run = run_cli(argv, stdin=stdin)
        check(run, before, snapshot(root), figures, "cli chat")
        assert "\x1b" not in run.out and "\x07" not in run.out, "a terminal escape was echoed raw"
        if run.rc == 0 and "--resume" not in argv:
            # The session folder it saved into loads.
            from emilie_agent.editing.session import EditSession

            folder = argv[argv.index("--session-dir") + 1]
            EditSession.load(root / folder).close()


@fuzz
@given(
    request=st.one_of(st.sampled_from(INSTRUCTION[0] + INSTRUCTION[1]), st.text(max_size=60)),
    json_flag=st.booleans(),
    lines=st.lists(st.one_of(st.sampled_from(MESSAGES), st.binary(max_size=30)), max_size=4),
)
def test_plan_keeps_its_invariants(request, json_flag, lines, sandbox_template, figures):
    with sandbox(sandbox_template) as root:
        before = snapshot(root)
        run = run_cli(["plan", request] + (["--json"] if json_flag else []))
        check(run, before, snapshot(root), figures, "cli plan")
        assert "\x1b" not in run.out
        run = run_cli(["plan", "--jsonl"], stdin=b"\n".join(lines) + b"\n")
        check(run, before, snapshot(root), figures, "cli plan --jsonl")
        data = b"\n".join(lines) + b"\n"
        expected = len(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape").readlines())
        assert run.rc == 0 and len(run.out.splitlines()) == expected, "one answer per line, in order"


# ---------------------------------------------------------------------------------------------- real processes
def _subprocess(args: list, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "emilie_agent", *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=240
    )


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith(ERROR_PREFIX)]
    assert done.returncode == 1 and len(lines) == 1, (done.returncode, err)
    return lines[0]


def test_real_processes_keep_the_invariants(sandbox_template, figures):
    """Bytes that are not UTF-8 in argv and on standard input, and a FIFO as the picture, in real processes."""
    with sandbox(sandbox_template) as root:
        before = snapshot(root)
        bad = b"make it \xff\xfe snow"
        line = _one_error_line(_subprocess([b"plan", bad], cwd=root))
        assert "not valid UTF-8" in line and "\\xff" in line
        line = _one_error_line(_subprocess([b"edit", b"in.png", bad, b"-o", b"out.png", b"--models", b"tiny"], cwd=root))
        assert "not valid UTF-8" in line
        line = _one_error_line(_subprocess(["edit", "fifo.png", "make it snow", "-o", "out.png", *TINY], cwd=root))
        assert "FIFO" in line
        done = _subprocess(["plan", "--jsonl"], stdin=b"make it snow\n" + bad + b"\n\xc3\x28\nmake it red\n", cwd=root)
        assert done.returncode == 0 and b"Traceback" not in done.stderr
        answers = done.stdout.decode().splitlines()
        assert len(answers) == 4 and '"not UTF-8 text"' in answers[1] and '"not UTF-8 text"' in answers[2]
        assert snapshot(root) == before
        for _ in range(4):
            figures.count("cli subprocess", "checked")
