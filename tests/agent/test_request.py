"""A planned request run into an output folder (the library side of ``edit IMAGE "request" -o DIR``)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from emilie_agent.agent.request import (
    CONTACT_SHEET,
    PLAN_FILE,
    PlannedRequest,
    check_output_folder,
    check_session_source,
    open_session,
    write_contact_sheet,
)
from emilie_agent.editing.session import EditSession
from emilie_agent.editing.settings import EditSettings
from emilie_agent.errors import InvalidImageError, InvalidRequestError, SessionFileError
from tests.fakes import BoxMasker

FAST = EditSettings(steps=2, seed=0, preserve="exact")


@pytest.fixture
def session(tiny_editor, picture):
    return EditSession.start(tiny_editor, picture, model="tiny")


def test_each_step_is_written_as_it_finishes_and_the_plan_and_sheet_at_the_end(session, tmp_path):
    out = tmp_path / "out"
    seen = []

    def on_step(report):  # the step's files are there when it is reported
        seen.append((report.number, sorted(p.name for p in out.glob("turn-*.png"))))

    planned = PlannedRequest(session, out, masker=BoxMasker(), settings=FAST, on_step=on_step)
    reply = planned.run("make it snow, then make the door blue, then make the dragon red")
    assert reply.ok and [s.status for s in reply.steps] == ["done", "done", "skipped"]
    assert [t.id for t in planned.finished] == [1, 2]
    assert seen == [
        (1, ["turn-00.png", "turn-01.png"]),
        (2, ["turn-00.png", "turn-01.png", "turn-02-mask.png", "turn-02.png"]),
        (3, ["turn-00.png", "turn-01.png", "turn-02-mask.png", "turn-02.png"]),
    ]
    assert np.array_equal(np.asarray(Image.open(out / "turn-02.png")), np.asarray(session.turns[2].picture))
    assert [s["target"] for s in json.loads((out / PLAN_FILE).read_text())["steps"]] == [None, "door", "dragon"]
    assert [t.id for t in EditSession.load(planned.session_dir).history()] == [0, 1, 2]
    sheet = Image.open(out / CONTACT_SHEET)
    assert write_contact_sheet(session, tmp_path / "expected.png") == 3
    assert np.array_equal(np.asarray(sheet), np.asarray(Image.open(tmp_path / "expected.png")))


@pytest.mark.parametrize("request_, says", [("   ", "the request is empty"), ("and then", "no edit")])
def test_an_unplannable_request_is_refused_before_any_file_is_written(session, tmp_path, request_, says):
    # Plan first: a request with no real step in it writes no turn, no plan, no contact sheet, no session.
    with PlannedRequest(session, tmp_path / "out", masker=BoxMasker(), settings=FAST) as planned:
        with pytest.raises(InvalidRequestError, match=says):
            planned.run(request_)
    assert planned.finished == [] and [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_what_is_checked_before_any_model_loads(tmp_path, image_file):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("hello")
    with pytest.raises(InvalidRequestError, match="is a file"):
        check_output_folder(a_file)
    assert check_output_folder(tmp_path / "new") == tmp_path / "new"
    check_session_source(image_file, None)
    with pytest.raises(InvalidImageError):
        check_session_source(a_file, None)
    with pytest.raises(InvalidRequestError, match="give a picture"):
        check_session_source(None, None)
    with pytest.raises(SessionFileError, match="not a saved session"):
        check_session_source(image_file, tmp_path)


def test_open_session_starts_on_the_picture_or_resumes_the_saved_one(tiny_editor, image_file, tmp_path):
    new = open_session(tiny_editor, image=image_file, model="tiny")
    assert len(new) == 1 and new.model == "tiny" and new.current.picture.size == (48, 40)
    new.edit("make it snow", settings=FAST)
    new.save(tmp_path / "s")
    resumed = open_session(tiny_editor, image=None, resume=tmp_path / "s")
    assert [t.id for t in resumed.history()] == [0, 1] and resumed.model == "tiny"
