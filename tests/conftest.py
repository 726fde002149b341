"""Shared test set-up: tiny models only, never the network."""
from __future__ import annotations

import os

import pytest
from PIL import Image

from tests.fakes import StubDetector, make_picture

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
    from emilie_agent.editing.pipeline import EmilieEditor

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


@pytest.fixture(scope="module")
def tiny_masker(tiny_model_cache):
    """The masker on the tiny random-weight GroundingDINO and SAM (transformers backend)."""
    from emilie_agent.masking.masker import Masker

    return Masker.from_pretrained("tiny", "tiny", device="cpu")


@pytest.fixture
def stub_masker(tiny_masker):
    """Makes maskers with a :class:`StubDetector` (keyword arguments) and the real tiny SAM; ``max_side=`` goes
    to the masker."""
    from emilie_agent.masking.masker import Masker

    def make(**kwargs):
        masker_kwargs = {k: kwargs.pop(k) for k in ("max_side",) if k in kwargs}
        return Masker(StubDetector(**kwargs), tiny_masker.segmenter, **masker_kwargs)

    return make
