"""The hostile archive (issue 20): sheets with markup and script in every field an attacker
controls go through the real pipeline and both editions of the book (tests/hostile.py, the
``hostile_book`` fixture, built once per run); then every page of both editions is opened in
Chromium. Nothing from the sheets may run or become an element: no dialog, no injected
``<img src=x>``, no event-handler attribute or script carrying a payload, no ``javascript:``
link; every page loads without console errors; and the payloads are on the pages as text."""

from __future__ import annotations

import pytest

import hostile
from book_browser import LOCAL_HOST, PHONE, WIDGET_VIEW, BookServer, Visit, close_page, new_tab
from conftest import edition_pages

pytestmark = pytest.mark.slow

PAGES = edition_pages()

#: What the payloads would have made, looked for in the live DOM after the page loaded.
INJECTED = """() => {
  const found = [];
  const say = (el, why) => found.push(why + ': <' + el.tagName.toLowerCase() + '> '
                                      + el.outerHTML.slice(0, 160));
  document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').forEach(
    el => say(el, 'element from a payload'));
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on') && /alert\\(/.test(attr.value)) say(el, 'handler ' + attr.name);
    }
  }
  document.querySelectorAll('script').forEach(el => {
    const type = (el.getAttribute('type') || 'text/javascript').toLowerCase();
    if (/json/.test(type)) {
      // data (widget state, the lookup's tables) holds the payloads as text: it must still
      // be one whole JSON value, not cut short or swallowing the page after it
      try { JSON.parse(el.textContent); } catch (e) { say(el, 'data script broken (' + e + ')'); }
    } else if (/alert\\(/.test(el.textContent)) {
      say(el, 'script with a payload');
    }
  });
  document.querySelectorAll('a[href], area[href], iframe[src], form[action]').forEach(el => {
    const url = (el.getAttribute('href') || el.getAttribute('src') || el.getAttribute('action')
                 || '').trim().toLowerCase();
    if (url.startsWith('javascript:')) say(el, 'javascript: link');
  });
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_server(hostile_book):
    with BookServer(hostile_book) as server:
        yield server


def visit(browser, url: str):
    """Open ``url`` in a fresh page of the phone's context (book_browser.new_tab), recording
    dialogs, console errors, page errors, failed and outside requests; return (page, Visit,
    dialogs). Close it with book_browser.close_page."""
    from urllib.parse import urlsplit

    record = Visit(url)
    dialogs: list[str] = []
    page = new_tab(browser, PHONE)

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(msg):
        if msg.type == "error":
            record.console_errors.append(msg.text)

    def route(route_):
        if urlsplit(route_.request.url).hostname != LOCAL_HOST:
            record.external_requests.append(route_.request.url)
            route_.abort()
        else:
            route_.continue_()

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda err: record.page_errors.append(str(err)))
    page.on("response", lambda r: r.status >= 400 and record.failed_requests.append(
        f"HTTP {r.status} {r.url}"))
    page.route("**/*", route)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    if page.locator(WIDGET_VIEW).count():
        page.wait_for_selector(".jupyter-widgets", state="attached", timeout=30_000)
        page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # a payload's onload/onerror fires right after insertion
    return page, record, dialogs


def assert_safe(page, record, dialogs):
    injected = page.evaluate(INJECTED)
    problems = record.problems() + [f"dialog: {d}" for d in dialogs] + injected
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", PAGES)
def test_no_payload_runs_on_any_page(path, hostile_server, chromium_browser):
    page, record, dialogs = visit(chromium_browser, hostile_server.base + path)
    try:
        assert_safe(page, record, dialogs)
        text = page.inner_text("body")
        page_name = path.rsplit("/", 1)[-1].removesuffix(".html")
        for payload in hostile.VISIBLE.get(page_name, []):
            assert " ".join(payload.split()) in " ".join(text.split()), \
                f"{payload!r} is not shown as text on {path}"
    finally:
        close_page(page)


LOOKUP_QUERIES = ["?q=onerror", "?q=alert&status=all",
                  "?q=script&status=%22%5D%3Cimg%20src%3Dx%20onerror%3Dalert(11)%3E",
                  "?status=%22&q=%3Cimg%20src%3Dx%20onerror%3Dalert(12)%3E"]


@pytest.mark.parametrize("query", LOOKUP_QUERIES)
@pytest.mark.parametrize("edition", ["", "es/"])
def test_find_an_agency_shows_the_payloads_as_text(edition, query, hostile_server,
                                                   chromium_browser):
    """The lookup's embedded data and its ?q= / ?status= parameters (the page's own script
    draws the results from them): the page's script gets ready, nothing runs, and a search for
    a payload agency shows its name as text."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url = hostile_server.base + edition + "chapters/find-an-agency.html" + query
    page, record, dialogs = visit(chromium_browser, url)
    try:
        try:
            page.wait_for_function("window.ice287gLookup && window.ice287gLookup.ready",
                                   timeout=15_000)
        except PlaywrightTimeout:
            pytest.fail(f"the lookup's script never got ready at {query} "
                        f"({record.problems() or 'no console error'})")
        page.wait_for_timeout(300)
        assert_safe(page, record, dialogs)
        if query == "?q=onerror":
            text = " ".join(page.inner_text("body").split())
            assert hostile.IMG in text
    finally:
        close_page(page)


def test_an_unknown_label_is_marked_untranslated_in_spanish(hostile_server, chromium_browser):
    """ICE's TYPE/SUPPORT TYPE it never used: the Spanish tables show ICE's text, marked
    lang="en" with the visible "sin trad." mark; the English edition shows it plainly."""
    page, record, dialogs = visit(chromium_browser,
                                  hostile_server.base + "es/chapters/what-changed.html")
    try:
        assert_safe(page, record, dialogs)
        marked = page.eval_on_selector_all(
            'span.untranslated[lang="en"]',
            "els => els.map(e => [e.textContent, e.nextElementSibling && e.nextElementSibling.textContent])")
        assert [hostile.UNKNOWN_SUPPORT, "sin trad."] in [list(m) for m in marked], marked
    finally:
        close_page(page)
    page, record, dialogs = visit(chromium_browser, hostile_server.base + "chapters/what-changed.html")
    try:
        assert page.locator("span.untranslated").count() == 0
    finally:
        close_page(page)
