"""What the agent says back: one :class:`StepReport` per plan step, one :class:`AgentReply` per message.

Both are plain records with a short text for people (:meth:`StepReport.describe`, ``AgentReply.text``); the
pictures they carry (turns, mask previews) are what a caller saves or shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from PIL import Image

from ..errors import EmilieError
from ..masking.granularity import Granularity
from ..planning.plan import Plan, Step

if TYPE_CHECKING:  # pragma: no cover
    from ..editing.session import Turn

StepStatus = Literal["done", "skipped", "not found", "failed", "not run"]


@dataclass
class FoundMask:
    """A local step's mask (None: the target was not found), its preview, where it came from, and why."""

    mask: np.ndarray | None = None
    preview: Image.Image | None = None
    source: str | None = None  # "masker", or "turn #N" for a mask remembered from an earlier edit
    note: str = ""


@dataclass
class StepReport:
    """What happened to one step of a plan."""

    number: int
    total: int
    step: Step
    status: StepStatus
    granularity: Granularity
    turn: "Turn | None" = None
    seed: int | None = None
    mask_area: float | None = None  # fraction of the picture the mask lets change; None for global steps
    mask_preview: Image.Image | None = None
    note: str = ""  # why it was skipped, or where a remembered mask came from

    def describe(self) -> str:
        head = f"{self.number}/{self.total} {self.step.instruction!r}"
        if self.status == "done":
            if self.step.scope == "global":
                where = "on the whole picture"
            else:
                who = f"everything except {self.step.target!r}" if self.step.invert else repr(self.step.target)
                where = f"on {who} ({self.granularity} mask, {self.mask_area:.0%} of the picture)"
            text = f"{head}: {where}, seed {self.seed} -> turn #{self.turn.id}"
            return f"{text} ({self.note})" if self.note else text
        return f"{head}: {self.status}" + (f": {self.note}" if self.note else "")


@dataclass
class AgentReply:
    """The agent's answer to one message: short text for people, plus what it made."""

    text: str
    plan: Plan | None = None
    steps: list[StepReport] = field(default_factory=list)
    current: "Turn | None" = None  # the session's current turn after the message
    mask_previews: list[tuple[str, Image.Image]] = field(default_factory=list)  # (label, picture)
    error: EmilieError | None = None  # set when the message could not be carried out (fully)
    quit: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def turns(self) -> list["Turn"]:
        """The turns this message created, in order."""
        return [report.turn for report in self.steps if report.turn is not None]


def where(turn: "Turn") -> str:
    """A turn in words, for replies such as "now at ..." (the root is "the original picture")."""
    return f"the original picture (#{turn.id})" if turn.is_root else turn.describe()
