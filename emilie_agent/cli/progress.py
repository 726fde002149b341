"""A progress bar per edit on standard error, driven by the editor's ``(done, total)`` callback."""
from __future__ import annotations

import sys


class ProgressBar:
    """A tqdm bar per edit, driven by the editor's (done, total) callback; silent when quiet."""

    def __init__(self, label: str, quiet: bool = False):
        self.label = label
        self.quiet = quiet
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if self._bar is None:
            from tqdm.auto import tqdm  # lazy: only a command that edits draws a bar (keeps --help quick)

            self._bar = tqdm(total=total, desc=self.label, unit="step", file=sys.stderr, leave=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
