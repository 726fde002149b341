"""The ``emilie-agent`` command line.

Each verb lives in its own module under :mod:`emilie_agent.cli`. Errors meant for the user
(:class:`~emilie_agent.errors.EmilieError`) are printed as one line, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

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
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The full parser for ``verb`` (all verbs when None); other verbs get a placeholder entry."""
    parser = argparse.ArgumentParser(
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
    quiet_libraries()
    argv = sys.argv[1:] if argv is None else list(argv)
    verb = argv[0] if argv and argv[0] in VERBS else None
    parser = build_parser(verb)
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
