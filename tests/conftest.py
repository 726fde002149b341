"""Shared test set-up: tiny models only, never the network."""
from __future__ import annotations

import os

import pytest
from PIL import Image

from tests.fakes import make_picture

# Before any HF library is imported: no test may reach the hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def tiny_model_cache(tmp_path_factory):
    """Tiny models are built once per test run, into a private folder (the same loader as real weights)."""
    folder = os.environ.get("EMILIE_TEST_CACHE") or str(tmp_path_factory.mktemp("emilie-cache"))
    old = os.environ.get("EMILIE_CACHE")
    os.environ["EMILIE_CACHE"] = folder
    yield folder
    if old is None:
        os.environ.pop("EMILIE_CACHE", None)
    else:
        os.environ["EMILIE_CACHE"] = old


@pytest.fixture(scope="session")
def tiny_editor(tiny_model_cache):
    from emilie_agent.editing.editor import EmilieEditor

    return EmilieEditor.from_pretrained("tiny", device="cpu")


@pytest.fixture
def picture() -> Image.Image:
    return make_picture()


@pytest.fixture
def image_file(tmp_path):
    """A 48x40 picture file (odd aspect, not square)."""
    path = tmp_path / "in.png"
    make_picture(48, 40).save(path)
    return path
