"""The ``emilie-agent`` command line.

Each verb lives in its own module under :mod:`emilie_agent.cli`. Errors meant for the user
(:class:`~emilie_agent.errors.EmilieError`) are printed as one line, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
import warnings

from .terminal import check_arguments, print_error, tolerant_streams
from ..errors import EmilieError

# Each verb's module, with a one-line help. Only the module of the verb being run is imported, so that
# ``emilie-agent plan`` does not pay for importing torch.
VERBS = {
    "edit": "edit a picture: one instruction (-o OUT.png) or a multi-step request (-o OUT_DIR)",
    "mask": "make a mask from a phrase (GroundingDINO + Segment Anything)",
    "plan": "split a request into edit steps (no models needed)",
    "chat": "an interactive editing session (also reads piped standard input)",
    "demo": "run a multi-step edit on a scene the demo draws (or --image yours)",
    "fetch": "download the model weights into the Hugging Face cache (needs network)",
    "ui": "the web chat UI in the browser (Gradio)",
    "mcp": "serve the editing tools to AI assistants over MCP (stdio, or --http)",
    "serve": "the editing service as an HTTP API (FastAPI), in one process or on Ray Serve (--ray)",
    "eval": "measure multi-turn editing (toy benchmark or MagicBrush) for EMILIE and its baselines",
}


class Parser(argparse.ArgumentParser):
    """argparse's parser; a usage error prints the usage, then the tool's one error line, and exits with 2.

    The verbs' parsers are of this class too (``add_subparsers`` makes them of the parent's class).
    """

    def error(self, message: str):
        self.print_usage(sys.stderr)
        verb = self.prog.removeprefix("emilie-agent").strip()
        print_error(f"{verb}: {message}" if verb else message)
        sys.exit(2)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The full parser for ``verb`` (all verbs when None); other verbs get a placeholder entry."""
    parser = Parser(
        prog="emilie-agent",
        description="Edit a picture by talking to it: plan, mask and edit with EMILIE (InstructPix2Pix).",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for name, help_text in VERBS.items():
        if verb is None or name == verb:
            importlib.import_module(f"emilie_agent.cli.{name}").add_parser(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def quiet_libraries() -> None:
    """Keep the libraries' own loading bars and deprecation chatter out of a command's output.

    Our progress bars (one per edit step) stay; ``--quiet`` removes those too.
    """
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    for module in ("transformers", "diffusers", "torch", "groundingdino", "timm"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=UserWarning, module=module)


def main(argv: list[str] | None = None) -> int:
    """Run one verb. Exit status: 0 done; 1 an error, said in one line ``emilie-agent: error: ...`` on standard
    error (nothing is written unless the error says what was); 2 a usage error (argparse's usage line, then that
    one error line); 130 interrupted (Ctrl-C); 141 standard output was closed early (``| head``). No traceback is
    printed (``EMILIE_DEBUG=1`` shows one for an error that is a bug)."""
    quiet_libraries()
    tolerant_streams()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        check_arguments(argv)
    except EmilieError as err:
        print_error(err)
        return 1
    verb = argv[0] if argv and argv[0] in VERBS else None
    parser = build_parser(verb)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EmilieError as err:
        print_error(err)
        return 1
    except KeyboardInterrupt:
        print("emilie-agent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # standard output closed early (`emilie-agent plan ... | head -1`): nothing to say
        _silence_stdout()
        return 141  # 128 + SIGPIPE, as the shell reports a command that a closed pipe stopped
    except MemoryError:
        print_error("out of memory: try a smaller picture or --max-side, or fewer things at once")
        return 1
    except OSError as err:  # a file that could not be read or written after the checks passed (disk full...)
        if _debug():
            raise
        where = f": {err.filename}" if err.filename else ""
        print_error(f"{err.strerror or type(err).__name__}{where}")
        return 1
    except Exception as err:  # noqa: BLE001 - a bug: still one line, and how to see more
        if _debug():
            raise
        first = (str(err).strip().splitlines() or [""])[0][:300]
        print_error(
            f"internal error ({type(err).__name__}: {first}); this is a bug, please report it "
            "(EMILIE_DEBUG=1 shows the traceback)"
        )
        return 1


def _debug() -> bool:
    return os.environ.get("EMILIE_DEBUG", "").lower() not in ("", "0", "false", "no")


def _silence_stdout() -> None:
    """After a broken pipe: point standard output at /dev/null so that the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
