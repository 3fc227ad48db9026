"""Shared fixtures: the repository, the raw sheets (when present) and one clean book build."""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
RAW_SHEETS = SHARED / "data" / "ice-287g-sheets"
RAW_HISTORY = SHARED / "data" / "ice-287g-history"
NO_RAW_REASON = (
    f"the raw ICE sheets are not at {RAW_SHEETS} (a fresh clone has no ../shared); "
    "the committed data/processed/ is tested instead"
)


def repo_files(root: Path = REPO) -> list[Path]:
    """Files of the repository as a clone would have them (tracked + untracked, not ignored)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=root, check=True, capture_output=True, text=True,
        ).stdout
        return [root / p for p in out.split("\0") if p and (root / p).is_file()]
    except (subprocess.CalledProcessError, FileNotFoundError):
        skip = {"_build", ".venv", "venv", ".git", "__pycache__", "node_modules"}
        return [p for p in root.rglob("*") if p.is_file() and not skip & set(p.relative_to(root).parts)]


def toc_files(root: Path = REPO) -> list[str]:
    """Every document named in _toc.yml (root first), without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


#: Where each edition sits in a build (English at the root), as tools/editions.py builds them.
EDITION_PREFIXES = {"en": "", "es": "es/"}


def edition_pages(langs=tuple(EDITION_PREFIXES)) -> list[str]:
    """Every page of the book in each edition: the _toc.yml pages plus Sphinx's search and
    index pages, as paths relative to the build's root ("chapters/votes.html",
    "es/chapters/votes.html")."""
    base = [f"{doc}.html" for doc in toc_files()] + ["search.html", "genindex.html"]
    return [EDITION_PREFIXES[lang] + page for lang in langs for page in base]


def _leave_any_language_block() -> None:
    i18n = sys.modules.get("ice287g.i18n")  # not imported yet: no language to leave
    if i18n is not None:
        i18n._CURRENT.set(None)


@pytest.fixture(autouse=True)
def edition_language(monkeypatch):
    """The one language reset: every test starts in the English edition (no ``ICE287G_LANG``,
    no ``with i18n.language(...)`` block), whatever the test before it set and did not leave."""
    monkeypatch.delenv("ICE287G_LANG", raising=False)
    _leave_any_language_block()
    yield
    _leave_any_language_block()


@pytest.fixture(scope="session")
def raw_sheets() -> Path:
    if not RAW_SHEETS.is_dir():
        pytest.skip(NO_RAW_REASON)
    return RAW_SHEETS


def progress(config, text: str) -> None:
    """Print one line on the terminal now, even while pytest captures output: what a long
    session fixture (the book's build, a fresh venv) is doing, so a run never sits silent."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(f"[setup] {text}")


#: Lines of the build's output shown as it runs (the rest is kept for a failure's message).
BUILD_PROGRESS = re.compile(r"Executed notebook|=== The|build succeeded|build finished|error",
                            re.IGNORECASE)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, request) -> Path:
    """Build a clean temporary copy of the book, both editions, with -W --keep-going, as
    scripts/build-book.sh does; return its html dir (English; Spanish in its ``es/``).
    Its progress (each notebook executed, each edition done) is printed as it goes.

    Set ICE287G_BUILT_HTML to an existing build to reuse it while iterating locally.
    """
    reuse = os.environ.get("ICE287G_BUILT_HTML")
    if reuse:
        return Path(reuse)
    copy = tmp_path_factory.mktemp("book")
    for src in repo_files():
        dest = copy / src.relative_to(REPO)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    env = {**os.environ, "ICE287G_ROOT": str(copy)}
    progress(request.config, f"building the book, both editions, in {copy} (minutes) ...")
    start = time.monotonic()
    # Both editions, as scripts/build-book.sh builds them (English into _build/html, Spanish
    # into _build/html/es).
    with subprocess.Popen(
        [sys.executable, str(copy / "tools" / "editions.py"), "build", "en", "es", "-W",
         "--keep-going"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    ) as proc:
        tail = collections.deque(maxlen=200)
        for line in proc.stdout:
            tail.append(line)
            if BUILD_PROGRESS.search(line):
                progress(request.config, f"{time.monotonic() - start:4.0f} s {line.rstrip()[:150]}")
    log = "".join(tail)[-12000:]
    assert proc.returncode == 0, f"the clean build of the two editions failed:\n{log}"
    progress(request.config, f"the book is built ({time.monotonic() - start:.0f} s)")
    return copy / "_build" / "html"


@pytest.fixture(scope="session")
def hostile_book(tmp_path_factory) -> Path:
    """The book built, both editions with -W, from a hostile archive of ICE-like sheets run
    through the real pipeline (tests/hostile.py; issue 20); its html dir. Built once per run.

    Set ICE287G_HOSTILE_HTML to an existing hostile build to reuse it while iterating."""
    reuse = os.environ.get("ICE287G_HOSTILE_HTML")
    if reuse:
        return Path(reuse)
    from hostile import build_hostile_book

    return build_hostile_book(tmp_path_factory.mktemp("hostile"))


#: Tests measured at 5 s or more each on the 2-core machine (they run notebooks in kernels or
#: a whole fetch-build-diff round), marked ``slow`` here so the fast loop stays under a
#: minute; their owners may move the mark into the test file.
SLOW_TESTS = {
    "tests/test_update_e2e.py::test_a_new_list_is_fetched_built_and_its_changes_named",
    "tests/test_curated.py::test_bibtex_parses_and_keeps_every_title_and_outlet",
}


def pytest_collection_modifyitems(config, items):
    """Mark tests by what they need, so the fast loop is one flag:
    ``pytest -m "not slow and not book and not browser" -n 2`` (the pure-Python tests, on both cores).

    - ``book``: uses a built copy of the book (the ``built_book`` fixture, directly or through
      the local server);
    - ``browser``: drives chromium (``chromium_browser`` / ``book_server``), hence also ``book``.
    - ``slow``: the tests of ``SLOW_TESTS``.
    Markers set by hand (``slow``, ``needs_raw``) stay as they are.
    """
    for item in items:
        if item.nodeid.split("[", 1)[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        needs = set(getattr(item, "fixturenames", ()))
        if needs & {"built_book", "book_server", "hostile_book"}:
            item.add_marker(pytest.mark.book)
        if needs & {"chromium_browser", "book_server"}:
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("browser") is not None and item.get_closest_marker("book") is None:
            item.add_marker(pytest.mark.book)  # every browser test looks at the built book


# One local server, one chromium and one visit per page per view for the whole session
# (test_browser.py, test_a11y.py).
from book_browser import book_server, chromium_browser, page_checks  # noqa: E402,F401
# One scripts/setup.sh venv for the whole session (test_binder.py, test_setup.py).
from reader_envs import setup_venv  # noqa: E402,F401
