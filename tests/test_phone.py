"""A reader on a phone (390 x 844) and on a laptop (1366 x 768), both editions (issue 21).

What a reader does: taps the menu and sees the chapters, taps one and lands on it; closes the
menu; opens the page's contents; reads a page that never scrolls sideways.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from book_browser import (DESKTOP, LAPTOP, PAST_THE_EDGE_JS, close_page, open_page, table_cells,
                          to_laptop)
from conftest import EDITION_PREFIXES, edition_pages, toc_files

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"phone": PHONE, "laptop": LAPTOP}
EDITIONS = list(EDITION_PREFIXES.items())
#: A page with sections (it has page contents) and the home page, in each edition.
MENU_PAGES = ["index.html", "chapters/checking.html"]
TAP_MIN = 44

#: Chapter links of the primary sidebar that are on screen and not covered: the reader can see
#: and tap them. Returns their hrefs.
VISIBLE_CHAPTER_LINKS_JS = """
() => {
  const found = [];
  for (const a of document.querySelectorAll('nav.bd-links a.reference.internal')) {
    if (!a.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    const r = a.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    if (r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) continue;
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    if (hit && (hit === a || a.contains(hit))) found.push(a.getAttribute('href'));
  }
  return found;
}
"""

def chapter_count() -> int:
    return len([d for d in toc_files() if d != "index"])


def visible_menu_button(page):
    buttons = page.locator(".primary-toggle:visible")
    assert buttons.count() == 1, f"{buttons.count()} visible menu buttons"
    return buttons.first


def assert_tap_target(locator, what: str):
    box = locator.bounding_box()
    assert box and box["width"] >= TAP_MIN and box["height"] >= TAP_MIN, (
        f"{what} is {box and round(box['width'])} x {box and round(box['height'])} px "
        f"(at least {TAP_MIN} x {TAP_MIN})")


def assert_no_sideways_scroll(page, where: str):
    found = page.evaluate(PAST_THE_EDGE_JS)
    assert found["scrollWidth"] <= found["clientWidth"] and not found["wide"], (
        f"{where}: {found['scrollWidth']} px of content in a {found['clientWidth']} px viewport; "
        f"past the edge: {found['wide']}")


def tap(page, locator, phone: bool):
    if phone:
        locator.tap()
    else:
        locator.click()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("page_path", MENU_PAGES)
@pytest.mark.parametrize("edition", [p for _, p in EDITIONS], ids=[lang for lang, _ in EDITIONS])
def test_menu_lists_the_chapters_and_a_tap_opens_one(book_server, chromium_browser, edition,
                                                      page_path, viewport):
    size = VIEWPORTS[viewport]
    phone = viewport == "phone"
    url = book_server.base + edition + page_path
    page, visit = open_page(chromium_browser, url, viewport=size, wait_widgets=False)
    try:
        menu = visible_menu_button(page)
        assert_tap_target(menu, "the menu button")
        assert menu.get_attribute("aria-label"), "the menu button has no name"
        if phone:
            # Folded away until the reader asks for it.
            assert page.evaluate(VISIBLE_CHAPTER_LINKS_JS) == [], "the menu is open before a tap"
            tap(page, menu, phone)
            page.wait_for_timeout(300)
            assert page.evaluate("document.getElementById('pst-primary-sidebar-modal').open"), (
                "tapping the menu did not open it")
        else:
            # On a laptop the chapters sit beside the page; the menu button folds them away
            # and brings them back.
            assert page.evaluate(VISIBLE_CHAPTER_LINKS_JS), "no chapter is listed beside the page"
            tap(page, menu, phone)
            page.wait_for_timeout(300)
            assert page.evaluate(VISIBLE_CHAPTER_LINKS_JS) == [], "the menu button did not fold the chapters away"
            tap(page, visible_menu_button(page), phone)
            page.wait_for_timeout(300)
        links = page.evaluate(VISIBLE_CHAPTER_LINKS_JS)
        assert links, "after tapping the menu no chapter link is on screen and tappable"
        if phone:
            short = page.locator("nav.bd-links a.reference.internal:visible").evaluate_all(
                f"as => as.filter(a => a.getBoundingClientRect().height < {TAP_MIN})"
                ".map(a => a.textContent.trim())")
            assert not short, f"chapter links under {TAP_MIN} px tall: {short}"
        listed = page.locator("nav.bd-links a.reference.internal").count()
        assert listed >= chapter_count(), f"the menu lists {listed} chapters of {chapter_count()}"
        assert_no_sideways_scroll(page, f"{edition}{page_path} with the menu open")
        # Tap a chapter other than this page: the reader lands on it.
        target = next((h for h in links if h and not h.startswith("#")
                       and not urlsplit(h).path.endswith(page_path.rsplit("/", 1)[-1])), None)
        assert target, f"no other chapter to tap among {links}"
        link = page.locator(f'nav.bd-links a.reference.internal[href="{target}"]').first
        with page.expect_navigation():
            tap(page, link, phone)
        landed = urlsplit(page.url).path
        assert landed.endswith(urlsplit(target).path.lstrip("./").split("/")[-1]), (
            f"tapping {target} led to {page.url}")
        assert landed.startswith("/" + edition), f"the chapter opened in another edition: {page.url}"
        assert not visit.problems(), "\n".join(visit.problems())
    finally:
        close_page(page)


@pytest.mark.parametrize("how", ["escape", "tap outside"])
@pytest.mark.parametrize("edition", [p for _, p in EDITIONS], ids=[lang for lang, _ in EDITIONS])
def test_the_open_menu_closes_on_a_phone(book_server, chromium_browser, edition, how):
    page, _visit = open_page(chromium_browser, book_server.base + edition + "chapters/checking.html",
                             viewport=PHONE, wait_widgets=False)
    try:
        visible_menu_button(page).tap()
        page.wait_for_timeout(300)
        assert page.evaluate(VISIBLE_CHAPTER_LINKS_JS), "the menu did not open"
        if how == "escape":
            page.keyboard.press("Escape")
        else:
            page.touchscreen.tap(PHONE["width"] - 10, PHONE["height"] // 2)
        page.wait_for_timeout(300)
        assert not page.evaluate("document.getElementById('pst-primary-sidebar-modal').open")
        assert page.evaluate(VISIBLE_CHAPTER_LINKS_JS) == [], "chapter links stay on screen"
        # And it opens again (the sidebar's contents went back where they came from).
        visible_menu_button(page).tap()
        page.wait_for_timeout(300)
        assert page.evaluate(VISIBLE_CHAPTER_LINKS_JS), "the menu does not open a second time"
    finally:
        close_page(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("edition", [p for _, p in EDITIONS], ids=[lang for lang, _ in EDITIONS])
def test_page_contents_button_lists_the_sections(book_server, chromium_browser, edition, viewport):
    size = VIEWPORTS[viewport]
    page, _visit = open_page(chromium_browser, book_server.base + edition + "chapters/checking.html",
                             viewport=size, wait_widgets=False)
    try:
        toc_links = "#pst-page-toc-nav a"
        visible = "() => [...document.querySelectorAll('#pst-page-toc-nav a')].filter(a => {" \
                  " const r = a.getBoundingClientRect(); return a.checkVisibility() && r.width > 0" \
                  " && r.top < innerHeight && r.bottom > 0 && r.left < innerWidth; }).length"
        assert page.locator(toc_links).count() >= 2, "the page has no contents to list"
        button = page.locator(".secondary-toggle:visible")
        if button.count():
            assert button.count() == 1
            assert_tap_target(button.first, "the contents button")
            tap(page, button.first, viewport == "phone")
            page.wait_for_timeout(300)
        assert page.evaluate(visible) >= 2, "the page's sections are not listed on screen"
    finally:
        close_page(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("edition", [p for _, p in EDITIONS], ids=[lang for lang, _ in EDITIONS])
def test_header_buttons_are_few_named_and_tappable(book_server, chromium_browser, edition, viewport):
    page, _visit = open_page(chromium_browser, book_server.base + edition + "chapters/checking.html",
                             viewport=VIEWPORTS[viewport], wait_widgets=False)
    try:
        controls = page.locator(".bd-header-article :is(a, button):visible")
        n = controls.count()
        assert 3 <= n <= 7, f"{n} controls in the page header"
        for i in range(n):
            control = controls.nth(i)
            name = control.get_attribute("aria-label") or control.inner_text().strip() \
                or control.get_attribute("title")
            assert name, f"header control {i} has no name: {control.evaluate('e => e.outerHTML')[:200]}"
            assert_tap_target(control, f"header control {name!r}")
        assert_no_sideways_scroll(page, f"{edition}chapters/checking.html")
    finally:
        close_page(page)


# ---------------------------------------------------------------------------------------------
# Nothing cut off: every table cell's text can be read, at 390 px and at 1366 px.

def pages_with_tables(built_book, edition: str) -> list[str]:
    pages = []
    for doc in toc_files():
        path = built_book / f"{edition}{doc}.html"
        if 'class="book-table' in path.read_text(encoding="utf-8"):
            pages.append(f"{edition}{doc}.html")
    return pages


def cut_off(found: dict, where: str) -> list[str]:
    """What :func:`book_browser.table_cells` found a reader cannot read, one line each."""
    problems = [f"{where}: cut off: {c}" for c in found["clipped"]]
    problems += [f"{where}: table not in a labelled, focusable region: {t}"
                 for t in found["unwrapped"]]
    overflow = found["overflow"]
    if overflow["scrollWidth"] > overflow["clientWidth"] or overflow["wide"]:
        problems.append(f"{where}: page scrolls sideways: {overflow}")
    return problems


@pytest.mark.parametrize("edition", [p for _, p in EDITIONS], ids=[lang for lang, _ in EDITIONS])
def test_the_pages_issue_21_names_have_the_books_tables(built_book, edition):
    # Else the test below would check nothing there.
    pages = pages_with_tables(built_book, edition)
    for doc in ("chapters/checking.html", "chapters/what-changed.html"):
        assert f"{edition}{doc}" in pages, f"{edition}{doc} has no table of the book's kind"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("page_path", edition_pages())
def test_no_table_cell_is_cut_off(page_checks, built_book, page_path, viewport):
    """Every table cell's text can be read, at 390 px and at 1366 px, with every <details>
    open, and the page does not scroll sideways: checked in the session's one visit of the
    page on a phone, and in its desktop visit resized to a laptop's screen
    (tests/book_browser.py's ``table_cells``)."""
    found = (page_checks(page_path, "phone").cells if viewport == "phone"
             else page_checks(page_path, "desktop").laptop_cells)
    if 'class="book-table' in (built_book / page_path).read_text(encoding="utf-8"):
        assert found["cells"] > 0, f"{page_path}: no table cell was on the page"
    problems = cut_off(found, f"{page_path} ({viewport})")
    assert not problems, "\n".join(problems[:30])


#: CSS that cuts a book table's cells off, each in one way the check must catch.
CUTTING_CSS = {
    # the table's region clips instead of scrolling: the cells past its edge are out of reach
    "region clips": ".book-table-scroll { overflow-x: hidden !important; }"
                    " table.book-table { width: 1800px !important; max-width: none !important; }",
    # a cell hides the end of its own text
    "cell clips": "table.book-table td { max-width: 3em; overflow: hidden; white-space: nowrap; }",
    # the page itself is wider than the screen
    "page scrolls": "body { min-width: 1800px !important; }",
}


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_the_check_finds_a_cell_cut_off(book_server, chromium_browser, viewport):
    """The harness of test_no_table_cell_is_cut_off: on a real table page, each way of cutting
    a cell off is reported, and a table taken out of its region is named."""
    # Opened as the session's visits are: on a phone, or on a desktop then resized.
    page, _visit = open_page(chromium_browser, book_server.base + "chapters/checking.html",
                             viewport=PHONE if viewport == "phone" else DESKTOP,
                             wait_widgets=False)
    try:
        if viewport == "laptop":
            to_laptop(page)
        assert not cut_off(table_cells(page), "as built")
        for how, css in CUTTING_CSS.items():
            style = page.add_style_tag(content=css)
            found = table_cells(page)
            problems = cut_off(found, how)
            if how == "page scrolls":
                assert any("page scrolls sideways" in p for p in problems), (how, problems)
            else:
                assert any(": cut off: " in p for p in problems), (how, problems)
            style.evaluate("s => s.remove()")
            assert not cut_off(table_cells(page), f"after {how}"), "the page did not come back"
        page.evaluate("document.querySelector('.book-table-scroll').removeAttribute('role')")
        assert any("not in a labelled, focusable region" in p
                   for p in cut_off(table_cells(page), "unlabelled"))
    finally:
        close_page(page)


@pytest.mark.parametrize("edition", [p for _, p in EDITIONS], ids=[lang for lang, _ in EDITIONS])
def test_wide_tables_become_cards_on_a_phone_and_fit_a_laptop(book_server, chromium_browser,
                                                               edition):
    """The claims table: on a phone each row is a card whose values carry their column's
    heading; on a laptop the table fits the column (no sideways scroll needed)."""
    url = book_server.base + edition + "chapters/checking.html"
    claims = "article.bd-article table.book-table--cards"
    page, _visit = open_page(chromium_browser, url, viewport=PHONE, wait_widgets=False)
    try:
        assert page.locator(claims).count() >= 1, "the claims table is not a card table"
        table = page.locator(claims).last
        cell = table.locator("tbody td[data-label]").nth(2)
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert label.strip('"') == cell.get_attribute("data-label"), label
        region = table.locator("xpath=..")
        assert region.evaluate("r => r.scrollWidth <= r.clientWidth + 1"), "the cards scroll sideways"
    finally:
        close_page(page)
    page, _visit = open_page(chromium_browser, url, viewport=LAPTOP, wait_widgets=False)
    try:
        region = page.locator(claims).last.locator("xpath=..")
        assert region.evaluate("r => r.scrollWidth <= r.clientWidth + 1"), (
            "the claims table does not fit a laptop's column")
    finally:
        close_page(page)


def test_numbers_are_right_aligned(book_server, chromium_browser, built_book):
    page, _visit = open_page(chromium_browser, book_server.base + "chapters/what-changed.html",
                             viewport=LAPTOP, wait_widgets=False)
    try:
        aligns = page.locator("article table.book-table td.num").evaluate_all(
            "tds => tds.map(td => getComputedStyle(td).textAlign)")
        assert aligns, "no numeric column was found in What changed's tables"
        assert set(aligns) == {"right"}, aligns
    finally:
        close_page(page)


# ---------------------------------------------------------------------------------------------
# The language switch keeps the reader's place.

@pytest.mark.parametrize("edition,other", [("", "es/"), ("es/", "")], ids=["en-to-es", "es-to-en"])
def test_language_switch_keeps_the_section(book_server, chromium_browser, edition, other):
    section = "claim-by-claim"
    page, _visit = open_page(chromium_browser,
                             book_server.base + edition + f"chapters/checking.html#{section}",
                             viewport=PHONE, wait_widgets=False)
    try:
        switch = page.locator("a.edition-switch:visible").first
        with page.expect_navigation():
            switch.tap()
        assert page.url == book_server.base + other + f"chapters/checking.html#{section}", page.url
        assert page.locator(f"section#{section}").count() == 1
        # Without a #section in the address: the section the reader has scrolled to.
        middle = "where-the-article-s-wording-comes-from"
        page.evaluate("id => { history.replaceState(null, '', location.pathname);"
                      " document.getElementById(id).scrollIntoView(); }", middle)
        page.wait_for_timeout(200)
        # Tapped where it is on screen (the header stays at the top while the reader scrolls):
        # a locator's tap would first scroll the page.
        box = page.locator("a.edition-switch").first.bounding_box()
        assert box and 0 <= box["y"] < PHONE["height"], f"the language switch is off screen: {box}"
        with page.expect_navigation():
            page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert page.url == book_server.base + edition + f"chapters/checking.html#{middle}", page.url
    finally:
        close_page(page)
