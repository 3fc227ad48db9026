"""A notebook is executed again when the data or the ice287g code it imports changes
(_ext/nb_inputs.py), not only when its own cells change; other notebooks keep their outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "_ext"))
import nb_inputs  # noqa: E402

jupyter_cache = pytest.importorskip("jupyter_cache")


def test_a_real_notebook_depends_on_what_it_imports_and_on_the_data():
    maps = {p.relative_to(REPO).as_posix()
            for p in nb_inputs.notebook_inputs(REPO, REPO / "chapters" / "maps.ipynb")}
    tables = {p.relative_to(REPO).as_posix()
              for p in nb_inputs.notebook_inputs(REPO, REPO / "chapters" / "story-tables.ipynb")}
    assert "ice287g/maps.py" in maps
    assert "ice287g/maps.py" not in tables  # story-tables draws no map
    for inputs in (maps, tables):
        assert "ice287g/__init__.py" in inputs
        assert "data/processed/agreements.csv" in inputs or "data/curated/events.csv" in inputs
        assert any(p.startswith("ice287g/locale/") for p in inputs)


def _project(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "ice287g").mkdir(parents=True)
    (src / "ice287g" / "__init__.py").write_text("")
    (src / "ice287g" / "a.py").write_text("from . import b\nX = b.Y\n")
    (src / "ice287g" / "b.py").write_text("Y = 1\n")
    (src / "ice287g" / "c.py").write_text("Z = 2\n")
    (src / "data").mkdir()
    (src / "data" / "t.csv").write_text("x\n1\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nfrom ice287g import a\na.X")]
    (src / "page.ipynb").write_text(json.dumps(nb))
    return src


def _sphinx(src: Path, cache_path: Path, configured: bool = True):
    """A stand-in app and environment; ``configured=False`` leaves ``nb_execution_cache_path``
    empty, as Jupyter Book does, so the cache is myst-nb's default beside the output folder
    (``cache_path`` must then be ``<outdir>/../.jupyter_cache``)."""
    env = SimpleNamespace(found_docs={"page"}, doc2path=lambda doc: str(src / f"{doc}.ipynb"))
    app = SimpleNamespace(srcdir=str(src), outdir=str(cache_path.parent / "html"),
                          config=SimpleNamespace(
                              nb_execution_cache_path=str(cache_path) if configured else ""))
    return app, env


def _cached(cache, src: Path) -> bool:
    target = str((src / "page.ipynb").resolve())
    return any(str(Path(r.uri).resolve()) == target for r in cache.list_cache_records())


def test_inputs_follow_imports_through_the_package(tmp_path):
    src = _project(tmp_path)
    inputs = {p.relative_to(src).as_posix() for p in nb_inputs.notebook_inputs(src, src / "page.ipynb")}
    assert {"ice287g/__init__.py", "ice287g/a.py", "ice287g/b.py", "data/t.csv"} <= inputs
    assert "ice287g/c.py" not in inputs


@pytest.mark.parametrize("configured", [True, False], ids=["cache-path-set", "default-cache-path"])
def test_changed_inputs_mark_the_page_outdated_and_drop_its_execution(tmp_path, configured):
    src = _project(tmp_path)
    # Jupyter Book leaves nb_execution_cache_path empty: myst-nb then uses .jupyter_cache
    # beside the output folder, and that is the cache the stale record must leave.
    cache_path = tmp_path / ("cache" if configured else ".jupyter_cache")
    cache = jupyter_cache.get_cache(str(cache_path))
    app, env = _sphinx(src, cache_path, configured)

    def executed():
        cache.cache_notebook_file(str(src / "page.ipynb"), check_validity=False)

    # First look: no fingerprint yet, so an execution of unknown provenance is dropped.
    executed()
    assert nb_inputs._outdated(app, env, set(), set(), set()) == ["page"]
    assert not _cached(cache, src)
    executed()
    # Nothing changed: the page stays and keeps its execution.
    assert nb_inputs._outdated(app, env, set(), set(), set()) == []
    assert _cached(cache, src)
    # A module it does not import changes: still nothing to do.
    (src / "ice287g" / "c.py").write_text("Z = 3\n")
    assert nb_inputs._outdated(app, env, set(), set(), set()) == []
    assert _cached(cache, src)
    # A module it imports through another changes: outdated, executed afresh.
    (src / "ice287g" / "b.py").write_text("Y = 2\n")
    assert nb_inputs._outdated(app, env, set(), set(), set()) == ["page"]
    assert not _cached(cache, src)
    executed()
    assert nb_inputs._outdated(app, env, set(), set(), set()) == []
    # The data changes: outdated again.
    (src / "data" / "t.csv").write_text("x\n2\n")
    assert nb_inputs._outdated(app, env, set(), set(), set()) == ["page"]
    assert not _cached(cache, src)
    # A page Sphinx already re-reads is not listed twice, but its execution is still dropped.
    executed()
    (src / "data" / "t.csv").write_text("x\n3\n")
    assert nb_inputs._outdated(app, env, set(), {"page"}, set()) == []
    assert not _cached(cache, src)


@pytest.mark.slow
def test_a_real_build_shows_the_new_output_after_an_imported_module_changes(tmp_path, monkeypatch):
    """End to end, as a reader's local rebuild meets it: Sphinx with myst-nb in cache mode and
    no cache path set (as Jupyter Book configures it), a notebook printing a value from the
    package; change the module, rebuild warm, and the page shows the new value."""
    from sphinx.application import Sphinx

    monkeypatch.setattr(nb_inputs, "PACKAGE", "nbinputs_probe")  # not the installed package
    src = tmp_path / "src"
    (src / "nbinputs_probe").mkdir(parents=True)
    (src / "nbinputs_probe" / "__init__.py").write_text("")
    (src / "nbinputs_probe" / "a.py").write_text("from nbinputs_probe.b import Y\n")
    (src / "nbinputs_probe" / "b.py").write_text("Y = 'first-value'\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("from nbinputs_probe import a\nprint(a.Y)")]
    (src / "page.ipynb").write_text(json.dumps(nb))
    (src / "index.md").write_text("# Probe\n\n```{toctree}\npage\n```\n")
    (src / "conf.py").write_text(
        "extensions = ['myst_nb', 'nb_inputs']\nnb_execution_mode = 'cache'\n"
        "exclude_patterns = ['_build']\n")
    out = tmp_path / "_build" / "html"
    monkeypatch.chdir(src)

    def build() -> str:
        app = Sphinx(str(src), str(src), str(out), str(tmp_path / "_build" / "doctrees"), "html",
                     status=None, warning=None, freshenv=False)
        app.build()
        return (out / "page.html").read_text(encoding="utf-8")

    assert "first-value" in build()
    (src / "nbinputs_probe" / "b.py").write_text("Y = 'second-value'\n")
    page = build()
    assert "second-value" in page and "first-value" not in page, \
        "a warm rebuild kept the output of the notebook's previous inputs"
