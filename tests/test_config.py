"""ice287g.config: where things are is computed when asked, so ICE287G_ROOT set after the
package is imported (a tool working on a copy of the book, a test) is seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from ice287g import config, load

REPO = Path(__file__).resolve().parent.parent


def test_ice287g_root_set_after_import_is_seen(tmp_path, monkeypatch):
    copy = tmp_path / "book"
    (copy / "data" / "processed").mkdir(parents=True)
    (copy / "_config.yml").write_text("title: a copy\n", encoding="utf-8")
    before = config.PROCESSED_DIR
    monkeypatch.setenv("ICE287G_ROOT", str(copy))
    assert config.REPO_ROOT == copy.resolve()
    assert config.PROCESSED_DIR == copy.resolve() / "data" / "processed" != before
    assert config.REVIEWED_DIR == copy.resolve() / "data" / "reviewed"
    assert config.DEFAULT_SHEET_ARCHIVES[0] == tmp_path.resolve() / "shared" / "data" / "ice-287g-sheets"
    assert load._dir(None) == copy.resolve() / "data" / "processed"  # and so its users see it
    monkeypatch.delenv("ICE287G_ROOT")
    assert config.PROCESSED_DIR == before


def test_an_unknown_setting_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NO_SUCH_DIR"):
        config.NO_SUCH_DIR  # noqa: B018
    assert "PROCESSED_DIR" in dir(config)
