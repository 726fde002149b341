"""The methods an evaluation compares: each one line of configuration over the same models and seeds.

Kept free of torch so that the command line can check ``--methods`` before any model loads; the code that runs
them is :mod:`emilie_agent.evaluation.runner`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from ..errors import InvalidRequestError

Runner = Literal["ip2p", "emilie", "agent", "none"]


@dataclass(frozen=True)
class Method:
    """How a method edits each turn.

    ``runner``: ``ip2p`` (diffusers' StableDiffusionInstructPix2PixPipeline on the previous decoded picture),
    ``emilie`` (an EditSession on EmilieEditor) or ``agent`` (EditingAgent: planner + masker + EMILIE, handed the
    instruction text) or ``none`` (no edit at all: the reference every editor must beat). ``latent_mode``: what the next turn conditions on (``carry`` = EMILIE's latent iteration).
    ``masked``: the turn's mask modulates the guidance (the dataset's mask, else the masker's).
    ``local_region``: where a masked exact turn samples, the whole latent (``full``) or the crop around the mask.
    """

    name: str
    runner: Runner
    latent_mode: Literal["carry", "reencode"] = "carry"
    masked: bool = False
    preserve: Literal["guided", "exact"] = "guided"
    description: str = ""
    local_region: Literal["full", "crop"] = "full"

    def config(self) -> dict:
        return asdict(self)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ip2p-recursive", "ip2p", "reencode", False, "guided",
               "InstructPix2Pix (diffusers' pipeline) on the previous turn's decoded picture: the baseline"),
        Method("emilie-global", "emilie", "carry", False, "guided",
               "EMILIE latent iteration, no mask"),
        Method("emilie-guided", "emilie", "carry", True, "guided",
               "EMILIE latent iteration + guidance modulated by the mask (the paper)"),
        Method("emilie-exact", "emilie", "carry", True, "exact",
               "EMILIE latent iteration + mask + exact preservation outside it (ours)"),
        Method("emilie-exact-crop", "emilie", "carry", True, "exact",
               "as emilie-exact, but sampling only the latent around the mask (plus context): cost by mask size",
               local_region="crop"),
        Method("agent", "agent", "carry", True, "exact",
               "the agent as a user gets it: rule planner + masker make the steps and masks from the text, EMILIE exact"),
        Method("emilie-guided-reencode", "emilie", "reencode", True, "guided",
               "as emilie-guided, but re-encoding the decoded picture every turn (no latent iteration)"),
        Method("emilie-exact-reencode", "emilie", "reencode", True, "exact",
               "as emilie-exact, but re-encoding the decoded picture every turn (no latent iteration)"),
        Method("do-nothing", "none", "reencode", False, "guided",
               "no edit: the source at every turn (the reference an editor must beat; needs no model time)"),
    )
}
DEFAULT_METHODS = ("ip2p-recursive", "emilie-global", "emilie-guided", "emilie-exact", "agent")


def parse_methods(text: str | None) -> list[Method]:
    """``"ip2p-recursive,emilie-exact"`` -> the methods, in that order (None or "all": the defaults)."""
    if text is None or not str(text).strip():
        return [METHODS[name] for name in DEFAULT_METHODS]
    names = [part.strip() for part in str(text).split(",") if part.strip()]
    if names == ["all"]:
        return list(METHODS.values())
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        raise InvalidRequestError(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return [METHODS[name] for name in seen]
