"""``emilie-agent plan``: show the steps a request becomes, without editing anything.

* ``plan "REQUEST"`` prints the plan as readable lines.
* ``--json`` prints one JSON object: ``{"request": ..., "steps": [{"instruction", "scope", "target", "invert"}]}``.
* ``--jsonl`` reads requests from standard input, one per line, and writes one JSON object per line in the same
  order. A line that cannot be planned (empty, or the planner failed) still gets its line, with ``"steps": []``
  and an ``"error"``, so that answers stay aligned with questions.

This verb stays light: it never imports torch or diffusers.
"""
from __future__ import annotations

import argparse
import io
import json
import sys

from .options import add_planner_arguments, planner
from .terminal import not_utf8, printable
from ..errors import EmilieError, InvalidRequestError
from ..planning.plan import MAX_REQUEST_CHARS
from ..text import require_text


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "plan",
        help="show the steps a request becomes (no picture needed)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("request", nargs="?", help='what to do, e.g. "make it winter, then put a red scarf on the man"')
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    output.add_argument(
        "--jsonl", action="store_true", help="read requests from standard input, one per line; one JSON object per line"
    )
    add_planner_arguments(p, model_flag="--model")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.jsonl:
        if args.request is not None:
            raise InvalidRequestError("--jsonl reads the requests from standard input: give no REQUEST argument")
        chosen = planner(args.planner, args.model)
        stdin = sys.stdin if sys.stdin is not None else io.StringIO("")  # standard input closed: no lines
        try:
            stdin.reconfigure(errors="surrogateescape")  # a line that is not UTF-8 gets its error line, in order
        except (AttributeError, ValueError, OSError, TypeError):
            pass
        try:
            for line in stdin:
                print(json.dumps(_plan_line(chosen, line.rstrip("\r\n"))), flush=True)
        except UnicodeDecodeError as err:
            raise InvalidRequestError(f"standard input is not UTF-8 text ({err.reason} at byte {err.start})") from None
        return 0
    require_text(args.request, "request", 'emilie-agent plan "make the sky purple"')
    plan = planner(args.planner, args.model).plan(args.request)
    print(json.dumps(plan.to_json_dict()) if args.json else printable(plan.describe(), keep_newlines=True))
    return 0


def _plan_line(planner, request: str) -> dict:
    """One request's answer for --jsonl; failures become an "error" field instead of ending the run."""
    if not_utf8(request):
        return {"request": printable(request), "steps": [], "error": "not UTF-8 text"}
    if not request.strip():
        return {"request": request, "steps": [], "error": "empty request"}
    try:
        return planner.plan(request).to_json_dict()
    except EmilieError as err:
        return {"request": _echo(request), "steps": [], "error": str(err)}
    except Exception as err:  # noqa: BLE001 - a provider's network error on one line must not lose the others
        return {"request": _echo(request), "steps": [], "error": f"{type(err).__name__}: {err}"}


def _echo(request: str) -> str:
    """The request as an error line repeats it: a refused 1 MB line is not printed back whole."""
    if len(request) <= MAX_REQUEST_CHARS:
        return request
    return f"{request[:200]}… ({len(request):,} characters)"
