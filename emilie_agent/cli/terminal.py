"""What the command line prints: text made safe for a terminal, and the one error line.

Whatever a person typed (or a file name, or a message piped in) may hold terminal escape sequences, other
control characters or bytes that are not UTF-8. Echoed raw, an escape sequence can recolour the terminal, move
the cursor or rewrite what was printed before; a newline inside an error message would make two lines out of
one. :func:`printable` shows such characters as Python escapes (``\\x1b``, ``\\n``, ``\\u202e``) instead.
"""
from __future__ import annotations

import re
import sys
from typing import TextIO

from ..errors import InvalidRequestError

ERROR_PREFIX = "emilie-agent: error: "


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as Python's surrogateescape keeps it
        return f"\\x{code - 0xDC00:02x}"
    return ch.encode("unicode_escape").decode("ascii")


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with every control, format or unpaired surrogate character shown as its escape.

    Tabs stay; newlines stay only with ``keep_newlines`` (a reply of several lines), never in an error line.
    """
    text = str(text)
    if text.isprintable():
        return text
    keep = "\t\n" if keep_newlines else "\t"
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in text)


# Terminal escape sequences: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \\), and two-character ones.
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")


def without_controls(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (each other control becomes a space):
    what a message typed or piped in means, as words."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in text if not 0xDC80 <= ord(ch) <= 0xDCFF)


def error_line(message: object) -> str:
    """``emilie-agent: error: MESSAGE`` as exactly one line (its own newlines and control characters escaped)."""
    return ERROR_PREFIX + printable(str(message).strip())


def print_error(message: object, file: TextIO | None = None) -> None:
    print(error_line(message), file=file or sys.stderr, flush=True)


def not_utf8(text: str) -> bool:
    """Whether ``text`` came from bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_arguments(argv: list[str]) -> None:
    """Refuse command-line arguments that are not UTF-8 text (an instruction, a phrase, a file name).

    Such an argument cannot be shown, planned or written into a session faithfully; it is refused before
    anything runs, naming the argument with its bad bytes escaped.
    """
    for number, argument in enumerate(argv, start=1):
        if not_utf8(argument):
            raise InvalidRequestError(
                f"argument {number} ({printable(argument)[:80]!s}) is not valid UTF-8 text: write instructions, "
                "phrases and file names in UTF-8"
            )


def tolerant_streams() -> None:
    """Standard output never fails on a character it cannot encode (it prints an escape instead), and standard
    input reads bytes that are not UTF-8 as lone surrogates (:func:`not_utf8`) instead of raising mid-read."""
    for stream, errors in ((sys.stdout, "backslashreplace"), (sys.stdin, "surrogateescape")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors=errors)
        except (ValueError, OSError, AttributeError, TypeError):  # a stream replaced by a test or already closed
            pass
