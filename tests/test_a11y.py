"""Accessibility: axe-core (pinned in package.json / package-lock.json) on every page of the book.

axe-core is read from node_modules (scripts/setup.sh --dev runs `npm ci`) and injected into each
page once the page and its widgets have loaded. The book must have zero serious or critical
violations, at desktop and at phone width (the two layouts show different controls) and in the
theme's dark mode. Moderate and minor findings are not gated.
"""

from __future__ import annotations

import json

import pytest

from book_browser import DESKTOP, PHONE, close_page, open_page
from conftest import REPO, edition_pages

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
#: Every page of both editions (English, then Spanish under es/).
PAGES = edition_pages()
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/setup.sh --dev does)")
    lock = json.loads((REPO / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/axe-core"]["version"]
    installed = json.loads((AXE.parent / "package.json").read_text())["version"]
    assert installed == pinned, f"node_modules has axe-core {installed}, the lock pins {pinned}"
    return AXE.read_text(encoding="utf-8")


def run_axe(browser, url: str, axe_source: str, viewport: dict, dark: bool = False) -> list[dict]:
    page, _record = open_page(browser, url, viewport=viewport, dark=dark)
    try:
        mode = page.evaluate("() => document.documentElement.dataset.theme")
        assert mode == ("dark" if dark else "light"), f"{url} opened in {mode!r} mode"
        page.add_script_tag(content=axe_source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    finally:
        close_page(page)
    return result["violations"]


def describe(violation: dict) -> str:
    nodes = violation["nodes"]
    where = "; ".join(n["html"][:160].replace("\n", " ") for n in nodes[:3])
    return f"{violation['impact']} {violation['id']} ({len(nodes)} nodes): {violation['help']} -- {where}"


@pytest.mark.parametrize("page_path", PAGES)
def test_no_serious_or_critical_violations_on_desktop(book_server, chromium_browser, axe_source, page_path):
    violations = run_axe(chromium_browser, book_server.base + page_path, axe_source, DESKTOP)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{page_path}:\n" + "\n".join(describe(v) for v in blocking)


@pytest.mark.parametrize("page_path", PAGES)
def test_no_serious_or_critical_violations_on_a_phone(book_server, chromium_browser, axe_source, page_path):
    # The phone layout shows different controls (the header search and theme buttons).
    violations = run_axe(chromium_browser, book_server.base + page_path, axe_source, PHONE)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{page_path}:\n" + "\n".join(describe(v) for v in blocking)


@pytest.mark.parametrize("page_path", PAGES)
def test_no_serious_or_critical_violations_in_dark_mode(book_server, chromium_browser, axe_source, page_path):
    # Readers can switch the theme to dark; colours are what changes, so desktop width suffices.
    violations = run_axe(chromium_browser, book_server.base + page_path, axe_source, DESKTOP, dark=True)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{page_path} (dark mode):\n" + "\n".join(describe(v) for v in blocking)


def test_axe_detects_a_violation(book_server, chromium_browser, axe_source):
    """The harness itself works: an image without alt text on a book page is reported."""
    page, _record = open_page(chromium_browser, book_server.base + "index.html", viewport=DESKTOP)
    try:
        page.evaluate(
            "() => { const i = document.createElement('img');"
            " i.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw='; document.querySelector('article').append(i); }"
        )
        page.add_script_tag(content=axe_source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    finally:
        close_page(page)
    assert "image-alt" in {v["id"] for v in result["violations"]}
