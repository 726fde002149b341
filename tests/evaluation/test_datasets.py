"""The benchmarks: the toy one is deterministic per sequence; MagicBrush reads its published layout; absent data is
one clear error."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from emilie_agent.errors import InvalidRequestError
from emilie_agent.evaluation.datasets import DatasetNotAvailableError
from emilie_agent.evaluation.datasets.magicbrush import MagicBrushBenchmark, read_mask
from emilie_agent.evaluation.datasets.toy import ToyBenchmark, caption, parse_size, parse_turns
from emilie_agent.evaluation.methods import DEFAULT_METHODS, METHODS, parse_methods
from tests.evaluation.conftest import SIZE


def test_toy_sequences_are_the_same_whatever_the_count():
    short, long = ToyBenchmark(2, turns="3-5", seed=7, size=48), ToyBenchmark(5, turns="3-5", seed=7, size=48)
    for i in range(2):
        a, b = short[i], long[i]
        assert a.id == b.id and [t.instruction for t in a.turns] == [t.instruction for t in b.turns]
        assert np.array_equal(np.asarray(a.turns[-1].target), np.asarray(b.turns[-1].target))
    lengths = {len(long[i].turns) for i in range(5)}
    assert lengths <= {3, 4, 5}
    seq = long[0]
    assert seq.source.size == (48, 48)
    for turn in seq.turns:
        assert turn.mask.shape == (48, 48) and turn.caption and turn.pair is not None and turn.kind
        assert turn.mask.any()
    assert ToyBenchmark(1, seed=8, size=48)[0].id != ToyBenchmark(1, seed=7, size=48)[0].id


def test_toy_options_are_checked():
    assert parse_turns("3-5") == (3, 5) and parse_turns("4") == (4, 4) and parse_turns(2) == (2, 2)
    assert parse_size("64") == 64 and parse_size("72x56") == (72, 56)
    for bad in ("0", "5-3", "x", "1-99"):
        with pytest.raises(InvalidRequestError):
            parse_turns(bad)
    with pytest.raises(InvalidRequestError):
        parse_size("8")
    with pytest.raises(InvalidRequestError):
        ToyBenchmark(0)
    with pytest.raises(InvalidRequestError):
        ToyBenchmark(1, split="nope")


def test_the_caption_says_what_is_in_the_scene():
    pair = ToyBenchmark(1, size=48)[0].turns[0].pair
    text = caption(pair.after)
    assert pair.after.house.door in text and pair.after.time in text and pair.after.season in text


def test_methods_parse_in_order_and_unknown_ones_are_named():
    assert [m.name for m in parse_methods(None)] == list(DEFAULT_METHODS)
    assert [m.name for m in parse_methods("emilie-exact, ip2p-recursive,emilie-exact")] == ["emilie-exact", "ip2p-recursive"]
    assert len(parse_methods("all")) == len(METHODS)
    with pytest.raises(InvalidRequestError, match="unknown method.*nope"):
        parse_methods("ip2p-recursive,nope")


def test_magicbrush_published_layout(magicbrush_folder):
    bench = MagicBrushBenchmark(str(magicbrush_folder.parent))  # the folder holding test/ is fine too
    assert len(bench) == 2 and bench.describe()["captions"] == "local_descriptions.json"
    first = bench[0]
    assert first.id == "mb-100" and len(first.turns) == 2 and first.source.size == SIZE
    assert first.turns[0].caption == "a cartoon street, turn 1"
    # Both mask conventions read back to the true masks (turn 1: transparency; turn 2: white on black).
    from emilie_agent.toyworld import sample_chain

    pairs = sample_chain(np.random.default_rng(0), 2, "heldout", SIZE)
    for turn, pair in zip(first.turns, pairs):
        assert turn.instruction == pair.instruction
        assert np.array_equal(turn.mask > 0.5, pair.mask)
    assert len(MagicBrushBenchmark(str(magicbrush_folder), count=1)) == 1


def test_a_painted_copy_of_the_input_reads_as_the_painted_area():
    source = Image.new("RGB", (20, 10), (90, 120, 30))
    arr = np.asarray(source).copy()
    arr[2:5, 3:9] = (255, 255, 255)
    arr[6:, :] += np.uint8(3)  # jpeg-like noise elsewhere is not the mask
    mask = read_mask(Image.fromarray(arr), source)
    assert mask.sum() == 18 and mask[2:5, 3:9].all()
    assert read_mask(Image.new("L", (20, 10), 0), source) is None  # nothing marked: no mask


def test_absent_magicbrush_data_is_one_clear_error(tmp_path, tiny_model_cache):
    with pytest.raises(DatasetNotAvailableError, match="there is no such folder") as err:
        MagicBrushBenchmark(str(tmp_path / "nope"))
    assert "\n" not in str(err.value)
    with pytest.raises(DatasetNotAvailableError, match="cannot load the MagicBrush dataset") as err:
        MagicBrushBenchmark("emilie-test/no-such-dataset")  # offline in tests: not in the cache
    assert "\n" not in str(err.value)
    empty = tmp_path / "empty"
    (empty / "test").mkdir(parents=True)
    (empty / "test" / "edit_sessions.json").write_text("{}")
    with pytest.raises(DatasetNotAvailableError, match="holds no sessions"):
        MagicBrushBenchmark(str(empty))
