"""--local-region / --crop-margin: the crop-mode settings from the command line."""
from __future__ import annotations

import argparse

import pytest

from emilie_agent.cli.options import add_editor_arguments, edit_settings
from emilie_agent.errors import InvalidRequestError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_editor_arguments(parser)
    return parser.parse_args(list(argv))


def test_crop_options_reach_the_settings():
    settings = edit_settings(parse("--local-region", "crop", "--crop-margin", "16"))
    assert (settings.local_region, settings.crop_margin) == ("crop", 16)
    default = edit_settings(parse())
    assert (default.local_region, default.crop_margin) == ("full", 32)


def test_a_negative_margin_is_one_clear_line():
    with pytest.raises(InvalidRequestError, match="crop_margin must be a whole number of pixels") as err:
        edit_settings(parse("--crop-margin", "-3"))
    assert "\n" not in str(err.value)
