"""Accessibility: axe-core (pinned in package.json / package-lock.json) on every page of the book.

axe-core is read from node_modules (scripts/setup.sh --dev runs `npm ci`) and injected into each
page once the page and its widgets have loaded. The book must have zero serious or critical
violations, at desktop and at phone width (the two layouts show different controls) and in the
theme's dark mode. Moderate and minor findings are not gated.

axe runs in the session's one visit per page per viewport (tests/book_browser.py's
``page_checks``), the visit tests/test_browser.py's checks of that page use too; the dark mode
is checked in the desktop's visit, after the theme's button has switched the page to dark.
"""

from __future__ import annotations

import pytest

from book_browser import AXE, AXE_RUN_JS, DESKTOP, close_page, open_page, to_dark
from book_browser import axe_source as read_axe
from conftest import edition_pages

pytestmark = pytest.mark.browser

#: Every page of both editions (English, then Spanish under es/).
PAGES = edition_pages()
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe_source() -> str:
    source = read_axe()
    if source is None:
        pytest.fail(f"{AXE} is missing: run `npm ci` (scripts/setup.sh --dev does)")
    return source


def blocking_violations(page_checks, page_path: str, view: str) -> list[dict]:
    found = page_checks(page_path, view)
    expected = "dark" if view == "dark" else "light"
    assert found.theme == expected, f"{page_path} opened in {found.theme!r} mode in the {view} view"
    assert found.violations is not None, "axe did not run"
    return [v for v in found.violations if v["impact"] in BLOCKING]


def describe(violation: dict) -> str:
    nodes = violation["nodes"]
    where = "; ".join(n["html"][:160].replace("\n", " ") for n in nodes[:3])
    return f"{violation['impact']} {violation['id']} ({len(nodes)} nodes): {violation['help']} -- {where}"


@pytest.mark.parametrize("page_path", PAGES)
def test_no_serious_or_critical_violations_on_desktop(page_checks, axe_source, page_path):
    blocking = blocking_violations(page_checks, page_path, "desktop")
    assert not blocking, f"{page_path}:\n" + "\n".join(describe(v) for v in blocking)


@pytest.mark.parametrize("page_path", PAGES)
def test_no_serious_or_critical_violations_on_a_phone(page_checks, axe_source, page_path):
    # The phone layout shows different controls (the header search and theme buttons).
    blocking = blocking_violations(page_checks, page_path, "phone")
    assert not blocking, f"{page_path}:\n" + "\n".join(describe(v) for v in blocking)


@pytest.mark.parametrize("page_path", PAGES)
def test_no_serious_or_critical_violations_in_dark_mode(page_checks, axe_source, page_path):
    # Readers can switch the theme to dark; colours are what changes, so desktop width suffices.
    blocking = blocking_violations(page_checks, page_path, "dark")
    assert not blocking, f"{page_path} (dark mode):\n" + "\n".join(describe(v) for v in blocking)


def test_the_dark_view_finds_a_contrast_problem_only_dark_mode_has(book_server, chromium_browser,
                                                                   axe_source):
    """The dark view is checked in the desktop's visit, after the theme's button has switched
    the page to dark (book_browser.to_dark): text that is readable in light mode and not in
    dark mode is reported in dark mode only."""
    page, _record = open_page(chromium_browser, book_server.base + "chapters/votes.html",
                              viewport=DESKTOP)
    try:
        page.add_style_tag(content="html[data-theme='dark'] article p { color: #303030 !important; }")
        page.add_script_tag(content=axe_source)
        light = [v["id"] for v in page.evaluate(AXE_RUN_JS)["violations"]]
        to_dark(page)
        dark = [v["id"] for v in page.evaluate(AXE_RUN_JS)["violations"]]
    finally:
        close_page(page)
    assert "color-contrast" not in light, light
    assert "color-contrast" in dark, dark


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
