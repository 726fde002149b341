"""The HTTP API over a service on the tiny editor (1 step) and the box masker, in a temporary store."""
from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from emilie_agent.editing.settings import EditSettings
from emilie_agent.server.api import make_app
from emilie_agent.server.calls import ServiceCalls
from emilie_agent.server.limits import UploadLimits
from emilie_agent.server.threaded import ThreadedBackend
from emilie_agent.service import EditingService, SessionStore
from tests.fakes import BoxMasker, make_picture

SIZE = (64, 48)  # not square: the tiny random detector needs that
FAST = EditSettings(steps=1, preserve="exact")


def png(picture) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def service(tmp_path, tiny_editor):
    made = EditingService(
        SessionStore(tmp_path / "sessions"), models="tiny", editor=tiny_editor, masker=BoxMasker(), settings=FAST
    )
    yield made
    made.close_all()


@pytest.fixture
def make_client(service):
    """Clients on the API over ``service`` (``limits=`` for other upload limits)."""
    clients = []

    def make(limits: UploadLimits | None = None, backend=None) -> TestClient:
        app = make_app(backend or ThreadedBackend(ServiceCalls(service)), limits=limits)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def picture_png():
    return png(make_picture(*SIZE))
