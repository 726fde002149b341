"""Output paths are checked before any work, without writing; several pictures are written all or none."""
from __future__ import annotations

import os

import pytest

from emilie_agent.errors import InvalidRequestError
from emilie_agent.outputs import check_distinct, check_output_dir, check_output_file, write_pictures
from tests.fakes import make_picture


def listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    "path, says",
    [
        ("", "empty"),
        ("afile/x.png", "is a file, not a folder"),
        ("afile/a/b/x.png", "is a file, not a folder"),
        ("folder", "is a folder"),
        ("/proc/x.png", "cannot be written"),
        ("x" * 300 + ".png", "too long"),
        ("a\x00b.png", "NUL"),
    ],
)
def test_output_files_that_cannot_be_written_are_refused_and_nothing_is_made(tmp_path, monkeypatch, path, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder").mkdir()
    before = listing(tmp_path)
    with pytest.raises(InvalidRequestError, match=says):
        check_output_file(path)
    assert listing(tmp_path) == before


def test_writable_outputs_pass_and_nothing_is_made(tmp_path):
    assert check_output_file(tmp_path / "new" / "deep" / "out.png") == tmp_path / "new" / "deep" / "out.png"
    assert check_output_dir(tmp_path / "new" / "dir") == tmp_path / "new" / "dir"
    (tmp_path / "there.png").write_bytes(b"old")
    check_output_file(tmp_path / "there.png")
    assert listing(tmp_path) == ["there.png"]


def test_output_folders_that_are_files_or_unwritable_are_refused(tmp_path):
    (tmp_path / "afile").write_text("x")
    for path in (tmp_path / "afile", tmp_path / "afile" / "sub", "/proc/out", ""):
        with pytest.raises(InvalidRequestError):
            check_output_dir(path)


def test_two_outputs_naming_one_file_are_refused(tmp_path):
    with pytest.raises(InvalidRequestError, match="-o and --preview name the same file"):
        check_distinct([("-o", tmp_path / "a.png"), ("--preview", tmp_path / "." / "a.png")])
    check_distinct([("-o", tmp_path / "a.png"), ("--preview", None)])


def test_pictures_are_written_all_together(tmp_path):
    written = write_pictures([(make_picture(8, 8), tmp_path / "a.png"), (make_picture(4, 4), tmp_path / "s" / "b.jpg")])
    assert written == [tmp_path / "a.png", tmp_path / "s" / "b.jpg"]
    assert listing(tmp_path) == ["a.png", "s", "s/b.jpg"]


def test_a_failing_picture_leaves_the_files_that_were_there(tmp_path):
    (tmp_path / "a.png").write_bytes(b"old")

    class Broken:
        def save(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_pictures([(make_picture(8, 8), tmp_path / "a.png"), (Broken(), tmp_path / "b.png")])
    assert listing(tmp_path) == ["a.png"] and (tmp_path / "a.png").read_bytes() == b"old"
    assert not any(name.startswith(".") for name in os.listdir(tmp_path))
