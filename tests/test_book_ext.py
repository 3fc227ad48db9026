"""Pure-Python parts of the book's Sphinx extension (_ext/book_ext.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "_ext"))

import book_ext  # noqa: E402


def test_each_page_links_to_its_counterpart_in_the_other_edition():
    href = book_ext.counterpart_href
    assert href("index", "en", "es") == "es/index.html"
    assert href("chapters/votes", "en", "es") == "../es/chapters/votes.html"
    assert href("chapters/votes", "es", "en") == "../../chapters/votes.html"
    assert href("index", "es", "en") == "../index.html"
    assert href("chapters/votes", "es", "es") == "../../es/chapters/votes.html"


def test_a_downloads_page_is_re_read_only_when_its_folder_gains_or_loses_a_file(tmp_path):
    folder = tmp_path / "data" / "processed"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("x\n")
    env = SimpleNamespace(srcdir=str(tmp_path), found_docs={"chapters/downloads"},
                          book_download_listings={"chapters/downloads": {"data/processed": ["a.csv"]}})
    assert book_ext._downloads_outdated(None, env, set(), set(), set()) == []
    (folder / "b.csv").write_text("y\n")
    assert book_ext._downloads_outdated(None, env, set(), set(), set()) == ["chapters/downloads"]
    (folder / "b.csv").unlink()
    (folder / ".hidden").write_text("")  # hidden files are not listed
    assert book_ext._downloads_outdated(None, env, set(), set(), set()) == []
    (folder / "a.csv").unlink()
    assert book_ext._downloads_outdated(None, env, set(), set(), set()) == ["chapters/downloads"]
    book_ext._downloads_purge(None, env, "chapters/downloads")
    assert book_ext._downloads_outdated(None, env, set(), set(), set()) == []
