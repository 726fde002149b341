"""The HTTP API in process (FastAPI's TestClient) on the tiny editor: the contract, and every kind of bad input
answered with a 4xx and one line of JSON."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from emilie_agent.server.limits import UploadLimits
from tests.fakes import make_picture
from tests.server.conftest import SIZE, png


def picture_of(response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))


def open_session(client, data: bytes) -> str:
    response = client.post("/sessions", files={"picture": ("scene.png", data, "image/png")})
    assert response.status_code == 201, response.text
    return response.json()["session_id"]


def assert_one_line_error(response, status: int, *words: str) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str)
    text = body["error"]
    assert "\n" not in text and "Traceback" not in text and text.strip()
    for word in words:
        assert word in text, text
    return text


def test_a_session_over_http_opened_edited_moved_and_read_back(client, service, picture_png):
    assert client.get("/healthz").json() == {"status": "ok", "models": "tiny"}
    sid = open_session(client, picture_png)
    assert len(sid) == 32 and service.sessions() == [sid]
    assert same_pixels(picture_of(client.get(f"/sessions/{sid}/picture")), Image.open(io.BytesIO(picture_png)))

    reply = client.post(f"/sessions/{sid}/messages", json={"text": "make it snow, then make the door blue"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["ok"] and body["error"] is None and body["session_id"] == sid
    assert body["turns"] == [1, 2] and body["current"] == {"id": 2, "parent": 1, "instruction": "make the door blue"}
    assert [(s["scope"], s["target"], s["status"], s["turn"]) for s in body["steps"]] == [
        ("global", None, "done", 1),
        ("local", "door", "done", 2),
    ]
    assert "turn #2" in body["text"] and body["plan"]["steps"][1]["target"] == "door"
    assert body["mask_previews"]  # the local step's mask preview, by label

    history = client.get(f"/sessions/{sid}/history").json()
    assert history["current"] == 2 and [row["id"] for row in history["turns"]] == [0, 1, 2]
    assert "* #2 'make the door blue'" in history["tree"]
    # Every turn's picture over HTTP is the service's, bit for bit.
    for turn in (0, 1, 2):
        served = picture_of(client.get(f"/sessions/{sid}/turns/{turn}/picture"))
        assert same_pixels(served, service.picture(sid, turn))
        assert same_pixels(picture_of(client.get(f"/sessions/{sid}/picture", params={"turn": turn})), served)

    assert client.post(f"/sessions/{sid}/undo").json()["current"]["id"] == 1
    assert client.post(f"/sessions/{sid}/undo", json={"steps": 1}).json()["current"]["id"] == 0
    assert client.post(f"/sessions/{sid}/redo", json={"steps": 2}).json()["current"]["id"] == 2
    assert client.post(f"/sessions/{sid}/go-to", json={"turn": 1}).json()["current"]["id"] == 1
    assert same_pixels(picture_of(client.get(f"/sessions/{sid}/picture")), service.picture(sid, 1))
    # A command by message, and one edit on a target (no planner).
    assert client.post(f"/sessions/{sid}/messages", json={"text": "go to turn 0"}).json()["current"]["id"] == 0
    edited = client.post(f"/sessions/{sid}/edits", json={"instruction": "make it red", "target": "man", "granularity": "object"})
    assert edited.status_code == 200 and edited.json()["turns"] == [3]
    assert edited.json()["steps"][0]["target"] == "man"
    assert [row["id"] for row in client.get(f"/sessions/{sid}/history").json()["turns"] if row["on_path"]] == [0, 3]


def test_mask_preview_export_and_import(client, service, picture_png):
    sid = open_session(client, picture_png)
    found = client.get(f"/sessions/{sid}/mask", params={"target": "door"})
    assert picture_of(found).size == SIZE
    assert found.headers["x-mask-found"] == "true" and 0 < float(found.headers["x-mask-area"]) < 0.5
    missing = client.get(f"/sessions/{sid}/mask", params={"target": "unicorn"})
    assert missing.headers["x-mask-found"] == "false" and float(missing.headers["x-mask-area"]) == 0.0
    inverted = client.get(f"/sessions/{sid}/mask", params={"target": "door", "invert": "true"})
    assert float(inverted.headers["x-mask-area"]) > 0.5
    assert len(service.history(sid)) == 1  # a preview records nothing

    client.post(f"/sessions/{sid}/messages", json={"text": "make it snow"})
    exported = client.get(f"/sessions/{sid}/export")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    imported = client.post("/sessions/import", files={"session": ("s.zip", exported.content, "application/zip")})
    assert imported.status_code == 201, imported.text
    copy = imported.json()["session_id"]
    assert copy != sid
    assert [r["instruction"] for r in client.get(f"/sessions/{copy}/history").json()["turns"]] == [None, "make it snow"]
    assert same_pixels(picture_of(client.get(f"/sessions/{copy}/picture")), service.picture(sid))


def test_unknown_and_malformed_sessions_are_a_404_and_a_400(client):
    assert_one_line_error(client.get(f"/sessions/{'0' * 32}/history"), 404, "there is no session")
    assert_one_line_error(client.post(f"/sessions/{'0' * 32}/messages", json={"text": "undo"}), 404)
    assert_one_line_error(client.get("/sessions/../../etc/history"), 404)
    assert_one_line_error(client.get("/sessions/not-an-id/history"), 400, "not a session id")
    assert_one_line_error(client.get("/no/such/route"), 404, "/no/such/route")


def test_bad_uploads_are_refused_in_one_line(make_client, picture_png):
    client = make_client(UploadLimits(max_upload_mb=0.05, max_side=60))  # 52 KB; SIZE's 64 px is over 60
    assert_one_line_error(client.post("/sessions"), 422, "picture")
    assert_one_line_error(client.post("/sessions", files={"other": ("x.png", picture_png)}), 422, "picture")
    assert_one_line_error(client.post("/sessions", files={"picture": ("x.txt", b"hello")}), 400, "not a picture")
    assert_one_line_error(client.post("/sessions", files={"picture": ("x.png", b"")}), 400, "empty")
    assert_one_line_error(client.post("/sessions", files={"picture": ("x.png", picture_png)}), 400, "64x48", "60 pixels")
    big = png(Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)))
    assert len(big) > 0.05 * 1024 * 1024
    assert_one_line_error(client.post("/sessions", files={"picture": ("x.png", big)}), 413, "0.05 MB")

    def chunks():  # no Content-Length: the limit counts the bytes as they come
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    chunked = client.post("/sessions", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert_one_line_error(chunked, 413, "0.05 MB")
    assert_one_line_error(client.post("/sessions/import", files={"session": ("s.zip", b"not a zip")}), 400, "zip")


def test_bad_requests_on_a_session_are_refused_in_one_line(client, picture_png):
    sid = open_session(client, picture_png)
    url = f"/sessions/{sid}"
    assert_one_line_error(client.post(f"{url}/messages", json={"text": "  "}), 400, "say what to change")
    assert_one_line_error(client.post(f"{url}/messages", json={}), 422, "text")
    assert_one_line_error(client.post(f"{url}/messages", json={"text": "undo", "colour": 1}), 422, "colour")
    assert_one_line_error(client.post(f"{url}/messages", json={"text": "x", "spread": 2}), 422, "spread")
    bad_json = client.post(f"{url}/messages", content=b"{not json", headers={"content-type": "application/json"})
    assert_one_line_error(bad_json, 422, "JSON")
    assert_one_line_error(client.post(f"{url}/edits", json={"instruction": "make it red", "granularity": "huge"}), 422, "granularity")
    assert_one_line_error(client.post(f"{url}/undo"), 400, "nothing to undo")
    assert_one_line_error(client.post(f"{url}/undo", json={"steps": 0}), 422, "steps")
    assert_one_line_error(client.post(f"{url}/go-to", json={"turn": 7}), 400, "#7")
    assert_one_line_error(client.get(f"{url}/turns/7/picture"), 400, "no turn #7")
    assert_one_line_error(client.get(f"{url}/picture", params={"turn": "x"}), 422, "turn")
    assert_one_line_error(client.get(f"{url}/mask"), 422, "target")
    assert_one_line_error(client.get(f"{url}/mask", params={"target": " "}), 400, "empty")
    # The session is untouched by all that.
    assert [row["id"] for row in client.get(f"{url}/history").json()["turns"]] == [0]


def test_an_unexpected_error_is_a_500_with_one_line_and_no_traceback(make_client, caplog):
    class Broken:
        def __getattr__(self, name):
            async def fail(*args, **kwargs):
                raise RuntimeError("disk on fire\nsecond line")

            return fail

    client = make_client(backend=Broken())
    text = assert_one_line_error(client.get("/healthz"), 500, "internal error", "RuntimeError", "disk on fire")
    assert "second line" not in text
    assert any("internal error" in record.getMessage() for record in caplog.records)  # the log has it
