"""Shared fixtures: the repository, the raw sheets (when present) and one clean book build."""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import run_once

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
    """Every page of the book in each edition: the _toc.yml pages plus Sphinx's search page
    (the book has no general index: _config.yml's html_use_index), as paths relative to the
    build's root ("chapters/votes.html", "es/chapters/votes.html")."""
    base = [f"{doc}.html" for doc in toc_files()] + ["search.html"]
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
    """Print one line on the terminal now, even while pytest captures output and from an
    xdist worker: what a long session fixture (the book's build, a fresh venv) is doing, so a
    run never sits silent (tests/run_once.py)."""
    run_once.say(text)


#: Lines of the build's output shown as it runs (the rest is kept for a failure's message).
BUILD_PROGRESS = re.compile(r"Executed notebook|=== The|build succeeded|build finished|[Ee]rror")


def make_book(dest: Path) -> str:
    """Build a clean copy of the book in ``dest``, both editions, with -W --keep-going, as
    scripts/build-book.sh does; its html dir (English; Spanish in its ``es/``). Its progress
    (each notebook executed, each edition done) is printed as it goes."""
    copy = dest / "book"
    for src in repo_files():
        target = copy / src.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    env = {**os.environ, "ICE287G_ROOT": str(copy)}
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
                run_once.say(f"book {time.monotonic() - start:4.0f} s {line.rstrip()[:140]}")
    log = "".join(tail)[-12000:]
    assert proc.returncode == 0, f"the clean build of the two editions failed:\n{log}"
    return str(copy / "_build" / "html")


def make_hostile_book(dest: Path) -> str:
    from hostile import build_hostile_book

    return str(build_hostile_book(dest))


run_once.register("book", "building the book, both editions, in the background (minutes)",
                  make_book, {"built_book"}, reuse_env="ICE287G_BUILT_HTML")
run_once.register("hostile", "building the hostile archive's book, both editions, in the "
                  "background (minutes)", make_hostile_book, {"hostile_book"},
                  reuse_env="ICE287G_HOSTILE_HTML")


@pytest.fixture(scope="session")
def built_book() -> Path:
    """A clean build of the book, both editions (:func:`make_book`), made once per run for
    every pytest process of it, in the background from collection on (tests/run_once.py).

    Set ICE287G_BUILT_HTML to an existing build to reuse it while iterating locally.
    """
    reuse = os.environ.get("ICE287G_BUILT_HTML")
    if reuse:
        return Path(reuse)
    return Path(run_once.get("book"))


@pytest.fixture(scope="session")
def hostile_book() -> Path:
    """The book built, both editions with -W, from a hostile archive of ICE-like sheets run
    through the real pipeline (tests/hostile.py; issue 20); its html dir. Made once per run,
    in the background (tests/run_once.py).

    Set ICE287G_HOSTILE_HTML to an existing hostile build to reuse it while iterating."""
    reuse = os.environ.get("ICE287G_HOSTILE_HTML")
    if reuse:
        return Path(reuse)
    return Path(run_once.get("hostile"))


#: The fast loop's slowest tests (each over 20 s at load 13 with -n 2, about 3 CPU-seconds or
#: more: notebooks in kernels, a fetch-build-diff round, chart and map
#: drawing), marked ``slow`` here so the fast loop stays under a minute; the
#: full suite runs them. Their owners may move the mark into the test file.
SLOW_TESTS = {
    "tests/test_update_e2e.py::test_a_new_list_is_fetched_built_and_its_changes_named",
    "tests/test_analysis.py::test_issue_11_edited_rows_are_not_counted_as_agreements_that_left",
    "tests/test_maps.py::test_maps_draw_with_title_legend_source_and_stay_in_the_image",
    "tests/test_archives.py::test_the_command_line_and_the_missing_archive_error_name_the_command",
    "tests/test_maps.py::test_shapes_tool_reproduces_the_committed_file_when_the_source_is_at_hand",
    "tests/test_curated.py::test_the_build_extension_regenerates_the_bibliography",
    "tests/test_charts_i18n.py::test_concise_date_ticks_are_matplotlibs_in_english_and_spanish_month_names_in_spanish",
    "tests/test_tables_i18n.py::test_removal_and_left_tables_in_spanish",
    "tests/test_explorer.py::test_the_notebook_output_is_the_widgets_and_the_static_page",
}


# tryfirst: before pytest-xdist's own hook reads the xdist_group marks (and before -m deselects).
@pytest.hookimpl(tryfirst=True)
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
    share_the_work(config, items)


#: The order tests run in: those that need none of the long resources first (the resources
#: are being made meanwhile, tests/run_once.py), then those of the fresh venvs, then the
#: built book's, then the hostile book's (made last, or alongside).
RESOURCE_ORDER = (("hostile_book", 3), ("built_book", 2), ("binder_env", 1), ("setup_venv", 1))


#: Module-scoped fixtures cheap enough to set up on both workers (a local server, a file read):
#: their modules' tests are spread over both.
CHEAP_MODULE_FIXTURES = {"hostile_server", "axe_source"}


def page_of(item) -> str | None:
    """The page a ``page_checks`` test looks at (its ``page_path`` or ``doc`` parameter)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "page_path" in params:
        return params["page_path"]
    if "doc" in params:
        return f"{params['doc']}.html"
    return None


def share_the_work(config, items) -> None:
    """Order the tests (:data:`RESOURCE_ORDER`) and group them for ``--dist loadgroup``
    (scripts/run-tests.sh runs the suite on two pytest-xdist workers): a page's
    ``page_checks`` tests on one worker (one visit per page per view), the setup.sh venv's
    tests on one worker (they take it through its stages in order), and a module's tests that
    share a module-scoped fixture and need the same long resource on one worker (it is set up
    once for them)."""
    def rank(item):
        names = set(getattr(item, "fixturenames", ()))
        return next((r for fixture, r in RESOURCE_ORDER if fixture in names), 0)

    items.sort(key=rank)  # stable: file order within each rank
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        names = set(getattr(item, "fixturenames", ()))
        group = None
        if "page_checks" in names and page_of(item):
            group = f"page:{page_of(item)}"
        elif "setup_venv" in names:
            group = "setup-venv"
        else:
            defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
            if any(d and d[-1].scope == "module" and name not in CHEAP_MODULE_FIXTURES
                   for name, d in defs.items()):
                # With its rank: a module's pure tests are not held back by its book tests.
                group = f"module:{item.nodeid.split('::', 1)[0]}:{rank(item)}"
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    if os.environ.get("PYTEST_XDIST_WORKER") and config.getoption("loadgroup", default=False):
        # pytest-xdist 3.6.1 names a test's group in its id ("...@group", which its loadgroup
        # scheduler reads) by setting ``item._nodeid``, which pytest 9 no longer reads: without
        # this, no group is kept together. (Remove when pytest-xdist sets the id itself.)
        from _pytest.nodeid import coerce_node_id

        for item in items:
            mark = item.get_closest_marker("xdist_group")
            if mark is None or not hasattr(item, "_id"):
                continue
            name = mark.args[0] if mark.args else mark.kwargs.get("name", "default")
            if not item.nodeid.endswith(f"@{name}"):
                item._id = coerce_node_id(f"{item.nodeid}@{name}")


def pytest_configure(config):
    run_once.configure(config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` in the order the tests were collected (:func:`share_the_work`:
    the tests that need no long resource first). pytest-xdist's own sends the largest groups
    first, which put the built book's tests first and left both workers waiting for it."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class InCollectionOrder(LoadGroupScheduling):
        # pytest-xdist 3.6.1's LoadScopeScheduling.schedule, without its sort by group size.
        def schedule(self) -> None:
            assert self.collection_is_completed
            if self.collection is not None:
                for node in self.nodes:
                    self._reschedule(node)
                return
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = list(next(iter(self.registered_collections.values())))
            if not self.collection:
                return
            for nodeid in self.collection:
                self.workqueue.setdefault(self._split_scope(nodeid), {})[nodeid] = False
            for _ in range(len(self.nodes) - len(self.workqueue)):
                unused_node, _assigned = self.assigned_work.popitem()
                unused_node.shutdown()
            for node in self.nodes:
                self._assign_work_unit(node)
            for node in self.nodes:
                self._reschedule(node)

    return InCollectionOrder(config, log)


def pytest_collection_finish(session):
    """Start making what the selected tests need (the book, the hostile book, the venvs) in
    the background, while the tests that need none of them run."""
    if session.config.option.collectonly:
        return
    for name in run_once.needed(session.items):
        run_once.start(name)


def pytest_sessionfinish(session):
    run_once.finish(session)


# One local server, one chromium and one visit per page per view for the whole session
# (test_browser.py, test_a11y.py).
from book_browser import book_server, chromium_browser, page_checks, wire_server  # noqa: E402,F401
# One scripts/setup.sh venv and one Binder-like venv per run (test_binder.py, test_setup.py).
from reader_envs import binder_env, setup_venv  # noqa: E402,F401
