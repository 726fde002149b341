"""``emilie-agent fetch``: download model weights into the Hugging Face cache, on a machine with network.

* ``fetch --all``: the default models: the editor (InstructPix2Pix), the detector (GroundingDINO) and the
  segmenter (SAM);
* ``fetch NAME...``: some of them by role (``editor``, ``detector``, ``segmenter``), or any hub id;
* ``fetch`` alone: which default models are in the cache already, and nothing is downloaded.

Afterwards every command finds them in the cache, also with ``HF_HUB_OFFLINE=1``. To move them to an offline
machine, copy ``~/.cache/huggingface/hub``, or ``--local-dir DIR`` (one model) and pass DIR instead of the
hub id (``--models DIR``, ``--detector DIR``...). Without network: one error line and status 1.
"""
from __future__ import annotations

import argparse

from ..errors import InvalidRequestError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "fetch",
        help="download the model weights (needs network): --all, or NAME... (editor, detector, segmenter, hub ids)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="editor, detector, segmenter, or a hub id")
    p.add_argument("--all", action="store_true", help="the default editor, detector and segmenter")
    p.add_argument("--local-dir", metavar="DIR", help="download into DIR instead of the cache (one model only)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..models import fetch  # lazy: huggingface_hub only when this verb runs (keeps --help quick)

    if args.all and args.names:
        raise InvalidRequestError("give NAMEs or --all, not both")
    if not args.all and not args.names:
        missing = set(fetch.missing_from_cache())
        for role, repo in fetch.DEFAULT_MODELS.items():
            print(f"{role:9} {repo}: {'not fetched' if repo in missing else 'in the cache'}")
        print("fetch them with `emilie-agent fetch --all` (or by role, e.g. `emilie-agent fetch editor`)")
        return 0
    repos = list(fetch.DEFAULT_MODELS.values()) if args.all else fetch.hub_ids(args.names)
    if args.local_dir and len(repos) != 1:
        raise InvalidRequestError("--local-dir takes exactly one model")
    for repo in repos:
        print(f"{repo}: {fetch.fetch(repo, local_dir=args.local_dir)}", flush=True)
    return 0
