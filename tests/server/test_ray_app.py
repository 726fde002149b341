"""The Ray Serve application on a local Ray cluster: 2 CPU replicas of the editing deployment on the tiny models,
Serve's HTTP proxy on 127.0.0.1, a bounded number of requests.

* two sessions served at once;
* one session's consecutive requests landing on different replicas and still continuing one history;
* a replica killed (``ray.kill``) in the middle of a 20-step request: the session keeps the steps saved before,
  loads, and the next request (once the dead replica's lease expires) continues it;

each with the sessions in a shared folder and in object storage (an fsspec URL, leases kept by a Ray actor).

Ray's usage reporting and dashboard are off; the cluster (every process it started) is shut down by the module's
fixture, and any process left is stopped by its pid.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

ray = pytest.importorskip("ray")
from ray import serve  # noqa: E402 - after the skip when Ray is not installed

from emilie_agent.editing.session import EditSession  # noqa: E402
from emilie_agent.editing.storage import read_manifest  # noqa: E402
from emilie_agent.errors import SessionFileError  # noqa: E402
from emilie_agent.server.ray_app import APP_NAME, AppOptions, build_app, start_serve  # noqa: E402
from emilie_agent.server.ray_leases import KEEPER_NAME, KEEPER_NAMESPACE  # noqa: E402
from emilie_agent.service.lease import LEASES  # noqa: E402
from tests.fakes import make_picture  # noqa: E402
from tests.server.conftest import SIZE, png  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LEASE_TTL = 2.0
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "brown", "grey", "white"]


@pytest.fixture(scope="module", params=["folder", "object-storage"])
def served(request, tmp_path_factory, tiny_model_cache):
    """The application on a local Ray cluster; (base URL, the folder the sessions end up in, store kind).

    "folder": a shared folder with file leases. "object-storage": the store is the fsspec URL ``local://FOLDER``
    (fsspec's local file system reached the way S3 is: pulled into and pushed from each replica's working
    copies, no locks, no renames) with the leases kept by the cluster's lease actor.
    """
    sessions = tmp_path_factory.mktemp("ray-sessions")
    store = str(sessions) if request.param == "folder" else f"local://{sessions}"
    saved_env = dict(os.environ)
    os.environ.update(
        EMILIE_SESSION_CACHE=str(tmp_path_factory.mktemp("ray-session-cache")),
        RAY_USAGE_STATS_ENABLED="0",
        EMILIE_CACHE=tiny_model_cache,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        OMP_NUM_THREADS="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(ROOT),
        # Generous: on a busy 2-core machine the proxy alone takes over 5 s (Serve's default) to import.
        RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S="60",
        RAY_SERVE_PROXY_HEALTH_CHECK_TIMEOUT_S="60",
    )
    ray_temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, _temp_dir=ray_temp)
    try:
        start_serve({"host": "127.0.0.1", "port": port})
        options = AppOptions(
            sessions=store, models="tiny", device="cpu", settings={"steps": 1}, box_threshold=0.0,
            text_threshold=0.0, lease_ttl=LEASE_TTL, lease_wait=30.0, editor_replicas=2, masker_replicas=1,
        )
        serve.run(build_app(options), name=APP_NAME, route_prefix="/")
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url)
        yield url, sessions, request.param
    finally:
        try:
            serve.shutdown()
        finally:
            ray.shutdown()
            os.environ.clear()
            os.environ.update(saved_env)
            left = [child for child in me.children(recursive=True) if child.pid not in before]
            for child in left:  # ray.shutdown stops them; this only catches what it missed
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass
            shutil.rmtree(ray_temp, ignore_errors=True)


def saved_turns(folder: Path) -> list:
    """The turns of the session saved in ``folder`` so far (none while the first save or an upload of the
    manifest is under way: fsspec's local file system writes a file in place)."""
    try:
        return read_manifest(folder).turns
    except SessionFileError:
        return []


def wait_until_healthy(url: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the application did not answer /healthz"
        time.sleep(0.5)


@pytest.fixture
def client(served):
    with httpx.Client(base_url=served[0], timeout=120) as made:
        yield made


def open_session(client, seed: int = 0) -> str:
    response = client.post("/sessions", files={"picture": ("p.png", png(make_picture(*SIZE, seed=seed)), "image/png")})
    assert response.status_code == 201, response.text
    return response.json()["session_id"]


def say(client, sid: str, text: str) -> dict:
    response = client.post(f"/sessions/{sid}/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def test_two_sessions_are_served_at_once_by_two_replicas(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["served_by"].startswith("SERVE_REPLICA::")
    sessions = [open_session(client, seed) for seed in (1, 2)]

    def talk(sid: str) -> list[dict]:
        return [say(client, sid, f"make it {colour}") for colour in COLOURS[:3]]

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(talk, sessions))
    for sid, session_replies in zip(sessions, replies):
        assert [r["session_id"] for r in session_replies] == [sid] * 3
        assert [r["turns"] for r in session_replies] == [[1], [2], [3]]
        history = client.get(f"/sessions/{sid}/history").json()
        assert [row["instruction"] for row in history["turns"]] == [None] + [f"make it {c}" for c in COLOURS[:3]]
    # Errors cross the deployments as one line with their own status.
    unknown = client.get(f"/sessions/{'0' * 32}/history")
    assert unknown.status_code == 404 and "there is no session" in unknown.json()["error"]
    empty = client.post(f"/sessions/{sessions[0]}/messages", json={"text": " "})
    assert empty.status_code == 400 and list(empty.json()) == ["error"] and "\n" not in empty.json()["error"]


def test_one_session_moves_between_replicas_and_keeps_one_history(client):
    sid = open_session(client, 3)
    replicas = []
    for number, colour in enumerate(COLOURS, start=1):
        reply = say(client, sid, f"make it {colour}")
        assert reply["current"] == {"id": number, "parent": number - 1, "instruction": f"make it {colour}"}
        replicas.append(reply["served_by"])
        if len(set(replicas)) == 2 and number >= 3:
            break
    assert len(set(replicas)) == 2, f"every request landed on {replicas[0]}"
    rows = client.get(f"/sessions/{sid}/history").json()["turns"]
    assert [row["id"] for row in rows] == list(range(len(replicas) + 1))
    assert [row["parent"] for row in rows[1:]] == list(range(len(replicas)))
    # Moves too: an undo on one replica is seen by the next request, wherever it lands.
    assert client.post(f"/sessions/{sid}/undo").json()["current"]["id"] == len(replicas) - 1
    assert client.post(f"/sessions/{sid}/redo").json()["current"]["id"] == len(replicas)
    picture = client.get(f"/sessions/{sid}/turns/1/picture")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    mask = client.get(f"/sessions/{sid}/mask", params={"target": "the door"})  # through the masking deployment
    assert mask.status_code == 200 and mask.headers["x-mask-found"] in ("true", "false")


def test_a_replica_killed_mid_request_loses_at_most_that_step(client, served):
    store = served[1]
    sid = open_session(client, 4)
    folder, lease_file = store / sid, store / LEASES / f"{sid}.json"
    request = ", then ".join(f"make it {colour}" for colour in (COLOURS * 2)[:20])
    outcome = {}

    def long_request():
        try:
            outcome["response"] = client.post(f"/sessions/{sid}/messages", json={"text": request})
        except httpx.HTTPError as err:
            outcome["error"] = err

    worker = threading.Thread(target=long_request)
    worker.start()
    deadline = time.monotonic() + 60
    while len(saved_turns(folder)) < 3:  # two steps saved: the request is in its middle
        assert time.monotonic() < deadline and worker.is_alive(), "the request did not get going"
        time.sleep(0.01)
    if served[2] == "folder":
        holder = json.loads(lease_file.read_text())["holder"].split()[0]
    else:  # no lease files: the cluster's lease actor keeps them
        keeper = ray.get_actor(KEEPER_NAME, namespace=KEEPER_NAMESPACE)
        holder = ray.get(keeper.held_by.remote(sid))["holder"].split()[0]
        assert not lease_file.exists()
    ray.kill(ray.get_actor(holder, namespace="serve"))
    killed_at = time.monotonic()
    worker.join(120)
    response = outcome.get("response")
    assert response is not None and response.status_code == 503, outcome
    assert "stopped before it answered" in response.json()["error"]

    # What was saved loads as it is: the original and some of the 20 steps, in order, never a half one.
    saved = EditSession.load(folder)
    kept = [turn.instruction for turn in saved.history()]
    saved.close()
    assert 3 <= len(kept) < 21
    assert kept[1:] == [f"make it {colour}" for colour in (COLOURS * 2)[: len(kept) - 1]]
    # The next request waits for the dead replica's lease to expire, then continues the same history.
    reply = say(client, sid, "make it black")
    assert time.monotonic() - killed_at >= LEASE_TTL * 0.5
    assert reply["current"] == {"id": len(kept), "parent": len(kept) - 1, "instruction": "make it black"}
    assert holder not in reply["served_by"]
    rows = client.get(f"/sessions/{sid}/history").json()["turns"]
    assert [row["instruction"] for row in rows] == kept + ["make it black"]


def test_the_shipped_serve_config_is_valid_and_names_this_application():
    yaml = pytest.importorskip("yaml")
    from ray.serve.schema import ServeDeploySchema

    config = yaml.safe_load((ROOT / "emilie_agent" / "server" / "serve_config.yaml").read_text())
    schema = ServeDeploySchema.model_validate(config)
    (app,) = schema.applications
    assert app.import_path == "emilie_agent.server.ray_app:build_app"
    deployments = {d.name: d for d in app.deployments}
    assert set(deployments) == {"EditingDeployment", "MaskingDeployment", "Ingress"}
    editing = deployments["EditingDeployment"]
    assert editing.autoscaling_config["min_replicas"] >= 1 and editing.ray_actor_options.num_gpus == 1
    options = AppOptions(**app.args)
    assert options.editor_replicas is None  # replicas come from the file, not from the code
    with pytest.raises(Exception, match="colour"):
        AppOptions(**app.args, colour="red")


def test_a_local_cluster_has_a_cpu_for_every_replica_and_the_ingress_needs_none(monkeypatch):
    # On 2 cores, 2 editing + 1 masking replicas reserving a CPU each left the ingress waiting forever.
    from emilie_agent.server import ray_app

    assert ray_app.Ingress.ray_actor_options.get("num_cpus") == 0
    seen = {}

    def fake_init(**kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt  # stop run_local right after ray.init

    monkeypatch.setattr(ray_app.ray, "init", fake_init)
    monkeypatch.setattr(ray_app.ray, "shutdown", lambda: None)
    monkeypatch.setattr(ray_app.serve, "shutdown", lambda: None)
    monkeypatch.setattr(ray_app.os, "cpu_count", lambda: 2)
    with pytest.raises(KeyboardInterrupt):
        ray_app.run_local(AppOptions(sessions="unused", editor_replicas=2, masker_replicas=1))
    assert seen["num_cpus"] == 3 and seen["address"] is None


def test_serve_ray_hands_the_speed_options_and_changed_settings_to_the_replicas(monkeypatch, tmp_path):
    from emilie_agent.cli.main import main
    from emilie_agent.server import ray_app

    seen = {}
    monkeypatch.setattr(ray_app, "run_local", lambda options, **kwargs: seen.update(options=options) or 0)
    code = main(["serve", "--ray", "--models", "tiny", "--sessions", str(tmp_path), "--channels-last",
                 "--vae-tiling", "--steps", "3", "--local-region", "crop"])
    assert code == 0
    options = seen["options"]
    assert options.speed == {"compile_unet": False, "channels_last": True, "offload": None, "vae_tiling": True}
    assert options.settings == {"steps": 3, "local_region": "crop", "preserve": "exact"}  # the CLI default
    assert AppOptions(**options.model_dump()) == options  # plain data: it crosses to the replicas as it is
