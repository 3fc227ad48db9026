"""ice287g.files: a file or folder is replaced all or nothing."""

from __future__ import annotations

import os
import stat

import pytest

from ice287g import files


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_file_is_replaced_whole_with_readable_permissions(tmp_path):
    path = tmp_path / "sub" / "a.csv"
    files.write_text(path, "a,b\n1,2\n")
    assert path.read_bytes() == b"a,b\n1,2\n"
    files.write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert leftovers(path.parent) == []


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), files.atomic_write(path) as f:
        f.write("half of the new")
        raise RuntimeError("the disk is full")
    assert path.read_text() == "old"
    assert leftovers(tmp_path) == []
    with pytest.raises(ValueError, match="mode"):
        with files.atomic_write(path, "a"):
            pass


def test_a_folder_appears_whole_or_not_at_all(tmp_path):
    dest = tmp_path / "capture"
    with pytest.raises(RuntimeError):
        with files.atomic_folder(dest) as tmp:
            (tmp / "one.xlsx").write_bytes(b"1")
            raise RuntimeError("the second download failed")
    assert not dest.exists() and leftovers(tmp_path) == []
    with files.atomic_folder(dest) as tmp:
        (tmp / "one.xlsx").write_bytes(b"1")
        assert not dest.exists()
    assert [p.name for p in dest.iterdir()] == ["one.xlsx"]
    with pytest.raises(FileExistsError):
        with files.atomic_folder(dest):
            pass
