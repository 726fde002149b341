"""Reading pictures and masks: odd files and odd values become pictures or one clear error."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from emilie_agent.errors import InvalidImageError, InvalidMaskError, InvalidRequestError
from emilie_agent.images import MAX_PIXELS, check_max_side, load_image, load_mask


def test_a_picture_under_our_limit_but_over_pillows_opens(tmp_path):
    # 9500 x 9500 = 90.25 Mpx: over Pillow's own 89.5 Mpx warning, under the documented 100 Mpx.
    path = tmp_path / "big.png"
    Image.new("1", (9500, 9500)).save(path)
    assert load_image(path).size == (9500, 9500)


def test_a_picture_over_our_limit_is_refused_before_it_is_decoded(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (10001, 10000)).save(path)
    with pytest.raises(InvalidImageError, match=f"10001x10000 .*the limit is {MAX_PIXELS:,}"):
        load_image(path)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_float_pictures_with_nan_or_inf_are_refused(tmp_path, value):
    arr = np.zeros((10, 12), np.float32)
    arr[3, 4] = value
    Image.fromarray(arr, "F").save(tmp_path / "f.tif")
    with pytest.raises(InvalidImageError, match="NaN or infinite"):
        load_image(tmp_path / "f.tif")
    with pytest.raises(InvalidImageError, match="NaN or infinite"):
        load_image(Image.fromarray(arr, "F"))
    with pytest.raises(InvalidMaskError, match="NaN or infinite"):
        load_mask(tmp_path / "f.tif", (12, 10))


def test_a_float_mask_keeps_its_soft_values():
    arr = np.linspace(0, 1, 12 * 10, dtype=np.float32).reshape(10, 12)
    assert np.allclose(load_mask(Image.fromarray(arr, "F"), (12, 10)), arr)


def test_special_files_are_refused_without_being_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(InvalidImageError, match="FIFO"):
        load_image(tmp_path / "pipe.png")
    with pytest.raises(InvalidMaskError, match="FIFO"):
        load_mask(tmp_path / "pipe.png", (4, 4))
    with pytest.raises(InvalidImageError, match="device"):
        load_image("/dev/zero")
    with pytest.raises(InvalidImageError, match="empty"):
        load_image("")


@pytest.mark.parametrize(
    "array",
    [np.zeros((0, 5, 3)), np.zeros((4, 4), object), np.zeros((4, 4), np.complex64), np.zeros((2, 2, 2, 2)),
     np.array(["a", "b"])],
)
def test_arrays_that_are_not_pictures_are_refused(array):
    with pytest.raises(InvalidImageError):
        load_image(array)


@pytest.mark.parametrize("mask", [[[0.0, 1.0]], [["a", "b"]], object(), 5, {"a": 1}, np.zeros((1, 2), object)])
def test_masks_of_any_type_load_or_are_refused(mask):
    try:
        result = load_mask(mask, (2, 1))
    except InvalidMaskError:
        return
    assert result.shape == (1, 2)


@pytest.mark.parametrize("value", [0, 7, -5, 63, 4097, 64.0, "512", True, None])
def test_max_side_below_64_or_above_4096_is_refused(value):
    with pytest.raises(InvalidRequestError):
        check_max_side(value)


def test_max_side_in_range_is_kept():
    assert check_max_side(64) == 64 and check_max_side(np.int64(4096)) == 4096
