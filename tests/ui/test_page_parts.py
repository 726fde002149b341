"""The page's parts that need no browser: the upload limits and how replies become chat messages."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from emilie_agent.agent.reports import AgentReply, StepReport
from emilie_agent.errors import InvalidImageError
from emilie_agent.planning.plan import Step
from emilie_agent.ui.conversation import as_markdown, reply_messages
from emilie_agent.ui.files import PageFiles
from emilie_agent.ui.limits import Limits, check_upload

SID = "0123456789abcdef0123456789abcdef"


def test_a_picture_within_the_limits_passes_with_its_size(tmp_path):
    path = tmp_path / "ok.png"
    Image.new("RGB", (300, 200)).save(path)
    assert check_upload(path, Limits(max_upload_mb=1, max_side=300)) == (300, 200)


@pytest.mark.parametrize(
    "make, limits, said",
    [
        (lambda p: Image.new("RGB", (301, 20)).save(p), Limits(max_side=300), "301x20 pixels; this page takes pictures up to 300"),
        (lambda p: p.write_bytes(b"\0" * 3000), Limits(max_upload_mb=0.001), "this page takes files up to 0.001 MB"),
        (lambda p: p.write_bytes(b"not a picture"), Limits(), "not a picture this page can read"),
        (lambda p: p.write_bytes(b""), Limits(), "empty"),
    ],
)
def test_what_is_refused_says_the_limit(tmp_path, make, limits, said):
    path = tmp_path / "upload.png"
    make(path)
    with pytest.raises(InvalidImageError, match=said):
        check_upload(path, limits)


def test_limits_must_make_sense():
    with pytest.raises(InvalidImageError):
        Limits(max_upload_mb=0)
    with pytest.raises(InvalidImageError):
        Limits(max_side=4)


def test_a_history_tree_shows_as_it_is():
    tree = "  #0 picture 64x48\n* #1 'make it winter' (global, seed 1)"
    assert as_markdown(tree) == "```text\n" + tree + "\n```"
    assert as_markdown("1/1 'make it winter': on the whole picture") == "1/1 'make it winter': on the whole picture"


@dataclass
class FakeTurn:
    id: int
    instruction: str | None = None
    picture: Image.Image = field(default_factory=lambda: Image.new("RGB", (8, 6), (10, 20, 30)))
    uid: str = "abc"

    @property
    def is_root(self) -> bool:
        return self.id == 0


def test_each_step_shows_its_line_its_mask_and_its_picture(tmp_path):
    files = PageFiles(tmp_path)
    winter = StepReport(1, 2, Step(instruction="make it winter", scope="global"), "done", "global", turn=FakeTurn(1, "make it winter"), seed=1)
    door = StepReport(
        2, 2, Step(instruction="paint the door blue", scope="local", target="door"), "done", "object",
        turn=FakeTurn(2, "paint the door blue", uid="def"), seed=2, mask_area=0.1,
        mask_preview=Image.new("RGB", (8, 6), (255, 0, 0)),
    )
    messages = reply_messages(AgentReply(text="", steps=[winter, door]), files, SID)
    kinds = [m["content"] if isinstance(m["content"], str) else Path(m["content"]["path"]).name for m in messages]
    assert kinds[0].startswith("1/2 'make it winter': on the whole picture")
    assert kinds[1].startswith("turn-01-abc") and kinds[1].endswith(".png")
    assert kinds[2].startswith("2/2 'paint the door blue': on 'door'")
    assert kinds[3].startswith("step-2-mask-") and kinds[4].startswith("turn-02-def")
    assert all(Path(m["content"]["path"]).is_file() for m in messages if not isinstance(m["content"], str))


def test_a_move_shows_where_it_went(tmp_path):
    messages = reply_messages(AgentReply(text="Undone"), PageFiles(tmp_path), SID, moved_to=FakeTurn(0))
    assert messages[0]["content"] == "Undone"
    assert messages[1]["content"]["alt_text"] == "#0 the original picture"
