"""The ``emilie-agent`` command line.

Each verb lives in its own module under :mod:`emilie_agent.commands`. Errors meant for the user
(:class:`~emilie_agent.errors.EmilieError`) are printed as one line, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import EmilieError

# Verb modules, imported lazily so that ``emilie-agent plan`` does not pay for importing torch.
VERBS = ("edit", "mask", "plan", "chat", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emilie-agent",
        description="Edit a picture by talking to it: plan, mask and edit with EMILIE (InstructPix2Pix).",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for verb in VERBS:
        try:
            module = importlib.import_module(f"emilie_agent.commands.{verb}")
        except ModuleNotFoundError as err:
            if err.name != f"emilie_agent.commands.{verb}":
                raise
            continue  # verb not built yet
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EmilieError as err:
        print(f"emilie-agent: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("emilie-agent: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
