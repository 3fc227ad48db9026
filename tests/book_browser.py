"""Real-browser support for the reader-facing tests: a local server and one chromium per session.

The built book is served by a threaded ``http.server`` on 127.0.0.1 (a free port) and driven by
Playwright for Python with Debian's chromium (``playwright install`` cannot download browsers
here). Every request that would leave 127.0.0.1 is recorded and aborted, so a page that depends
on a CDN fails its test instead of quietly working online.

The fixtures are imported by tests/conftest.py so that the whole session shares one server, one
browser and one visit per page per viewport (:func:`page_checks`: what tests/test_browser.py,
tests/test_a11y.py and tests/test_phone.py's tables check of each page, collected in that one visit).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("ICE287G_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: A laptop's screen (tests/test_phone.py): the desktop visit is resized to it at its end.
LAPTOP = {"width": 1366, "height": 768}
LOCAL_HOST = "127.0.0.1"
# Folders of a Jupyter Book build that hold assets and sources, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "_downloads", "_panels_static"}
# Widget views are drawn by the self-hosted widget manager after load; wait for them.
WIDGET_STATE = 'script[type="application/vnd.jupyter.widget-state+json"]'
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'


def book_pages(html_dir: Path) -> list[str]:
    """Every HTML page of a build, as paths relative to its root (asset folders excluded)."""
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir)
        if not NOT_PAGES & set(rel.parts[:-1]):
            pages.append(rel.as_posix())
    return pages


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server that does not print a traceback when the browser drops a
    connection mid-response (a page navigated away, a lazy image no longer wanted): that is
    routine, not an error, and the run's log showed it as one. Any other error still prints."""

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipe, ConnectionReset
            return
        super().handle_error(request, client_address)


class BookServer:
    """A threaded static server for one directory on 127.0.0.1 and a free port."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = QuietServer((LOCAL_HOST, 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{LOCAL_HOST}:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.05})

    def __enter__(self) -> "BookServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Visit:
    """What happened while one page loaded."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"uncaught page error: {m}" for m in self.page_errors]
            + [f"failed request: {m}" for m in self.failed_requests]
            + [f"request leaving {LOCAL_HOST}: {m}" for m in self.external_requests]
        )


class WireCount:
    """What the network carries while one page loads, as benchmarks/page_weight.py counts it:
    every request, and the bytes on the wire (compressed, headers included: CDP's
    ``encodedDataLength``) in all and by resource type, with the cache disabled. Attach it
    before the page loads (``open_page(..., before_load=count.attach)``)."""

    def __init__(self):
        self.wire = 0
        self.by_type: dict[str, int] = {}
        self.failed: list[str] = []
        self.outside: list[str] = []
        self.urls: list[str] = []
        self._types: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        self._done: set[str] = set()

    @property
    def requests(self) -> int:
        return len(self._types)

    def attach(self, context, page):
        """Start counting ``page``'s traffic; the CDP session (for more Network/Emulation calls)."""
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        return cdp

    def _sent(self, event):
        url = event["request"]["url"]
        if url.startswith("http"):
            self._types[event["requestId"]] = event.get("type", "Other")
            self._urls[event["requestId"]] = url
            self.urls.append(url)
            if urlsplit(url).hostname != LOCAL_HOST:
                self.outside.append(url)

    def _finished(self, event):
        rid = event["requestId"]
        if rid in self._types and rid not in self._done:
            self._done.add(rid)
            size = int(event.get("encodedDataLength", 0))
            self.wire += size
            kind = self._types[rid]
            self.by_type[kind] = self.by_type.get(kind, 0) + size

    def _failed(self, event):
        if event["requestId"] in self._types:
            self.failed.append(f'{event.get("errorText", "failed")} {self._urls[event["requestId"]]}')

    def snapshot(self) -> "WireCount":
        """A copy of the counts so far (the page may load more later: lazy images on scrolling)."""
        copy = WireCount()
        copy.wire, copy.by_type = self.wire, dict(self.by_type)
        copy.failed, copy.outside, copy.urls = list(self.failed), list(self.outside), list(self.urls)
        copy._types = dict(self._types)
        return copy


#: The browser contexts of this process, one per (browser, viewport, dark mode): made on a
#: view's first visit and kept for the session (:func:`view_context`).
_CONTEXTS: dict[tuple, object] = {}


def view_context(browser, viewport: dict = PHONE, dark: bool = False):
    """The session's browser context for a view: ``viewport`` (a phone's, below 600 px wide:
    a touch screen and a mobile layout), in the theme's dark mode with ``dark``.

    The visits of a view share one context and each opens a fresh page (tab) in it (about 0.3
    CPU-s less a visit than a context of its own, measured with routing on). :func:`close_page`
    then leaves nothing behind for the next visit: the page's storage, the context's cookies
    and permissions are cleared. Every visit routes its own requests (:func:`open_page`), and
    routing turns the HTTP cache off, so no response or failed request is remembered from one
    visit to the next."""
    phone = viewport["width"] < 600
    key = (id(browser), viewport["width"], viewport["height"], dark)
    context = _CONTEXTS.get(key)
    if context is None:
        context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=phone,
                                      has_touch=phone)
        if dark:
            context.add_init_script("localStorage.setItem('mode', 'dark'); "
                                    "localStorage.setItem('theme', 'dark');")
        context.on("close", lambda _context, key=key: _CONTEXTS.pop(key, None))
        _CONTEXTS[key] = context
    return context


def new_tab(browser, viewport: dict = PHONE, dark: bool = False):
    """A fresh page in the view's shared context (:func:`view_context`); close it with
    :func:`close_page`."""
    return view_context(browser, viewport, dark).new_page()


def open_page(browser, url: str, *, viewport: dict = PHONE, wait_widgets: bool = True, responses=None,
              dark: bool = False, before_load=None):
    """Load ``url`` in a fresh page; return (page, Visit) with everything recorded.

    The page is a new tab of the view's context (:func:`view_context`), with the HTTP cache
    off (its requests are routed: one leaving 127.0.0.1 is recorded and aborted), so a second
    page asking for the same CDN script fails again and is recorded again.
    The page is fully loaded (network idle) and, when it embeds widget views, the widget
    manager has drawn them. The caller closes it with ``close_page``. Pass a list as
    ``responses`` to collect every response of the load; ``dark=True`` opens the page in the
    theme's dark mode, as a reader who chose it with the theme button sees it;
    ``before_load(context, page)`` is called before the page loads (:class:`WireCount`).
    """
    visit = Visit(url)
    page = new_tab(browser, viewport, dark)

    def on_console(msg):
        if msg.type == "error":
            loc = msg.location or {}
            visit.console_errors.append(f"{msg.text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})")

    def on_response(response):
        if responses is not None:
            responses.append(response)
        if response.status >= 400:
            visit.failed_requests.append(f"HTTP {response.status} {response.url}")

    def on_failed(request):
        if urlsplit(request.url).hostname == LOCAL_HOST:
            visit.failed_requests.append(f"{request.failure} {request.url}")

    def route(route_):
        request_url = route_.request.url
        if urlsplit(request_url).hostname != LOCAL_HOST:
            visit.external_requests.append(request_url)
            route_.abort()
        else:
            route_.continue_()

    page.on("console", on_console)
    page.on("pageerror", lambda err: visit.page_errors.append(str(err)))
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.route("**/*", route)
    if before_load is not None:
        before_load(page.context, page)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    if wait_widgets and page.locator(WIDGET_VIEW).count():
        # The html-manager replaces each view script's placeholder with a .jupyter-widgets node.
        page.wait_for_selector(".jupyter-widgets", state="attached", timeout=30_000)
        page.wait_for_load_state("networkidle")
    return page, visit


#: Run in a page before it closes: what it stored is gone for the next visit of its origin.
FORGET_JS = "() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }"


def close_page(page) -> None:
    """Close a page of :func:`open_page` or :func:`new_tab`, leaving its context as new: the
    page's storage, and the context's cookies and permissions, cleared."""
    from playwright.sync_api import Error

    context = page.context
    if not page.is_closed():
        with contextlib.suppress(Error):
            page.evaluate(FORGET_JS)
        page.close()
    if context in _CONTEXTS.values():
        with contextlib.suppress(Error):
            context.clear_cookies()
            context.clear_permissions()
    else:
        context.close()


@pytest.fixture(scope="session")
def book_server(built_book):
    with BookServer(built_book) as server:
        yield server


@pytest.fixture(scope="session")
def chromium_browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(scripts/setup.sh --system installs it with apt)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def lookup_opener(book_server, chromium_browser, page_path: str):
    """Open the Find an agency page (``page_path``: either edition's) as often as a test needs,
    each time waiting for its script to be ready; on exit close every page and fail on any
    console error or outside request they recorded."""
    opened = []

    def open_(query: str = "", viewport=DESKTOP):
        page, visit = open_page(chromium_browser, book_server.base + page_path + query,
                                viewport=viewport)
        page.wait_for_function("window.ice287gLookup && window.ice287gLookup.ready",
                               timeout=15_000)
        opened.append((page, visit))
        return page, visit

    yield open_
    for page, visit in opened:
        problems = visit.problems()
        close_page(page)
        assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# One visit per page per view, every per-page check of that view collected in it.

#: axe-core, pinned in package.json / package-lock.json (scripts/setup.sh --dev runs `npm ci`).
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
#: The views a page is checked in: a phone (390x844: the layout with the header's search and
#: theme buttons), a desktop (1280x900) and the desktop in the theme's dark mode. The dark view
#: is checked in the desktop's visit, after its light checks: the reader switches the theme
#: with its button (:func:`to_dark`).
VIEWS = {"phone": (PHONE, False), "desktop": (DESKTOP, False), "dark": (DESKTOP, True)}
#: The visit each view is checked in.
VISIT_OF = {"phone": "phone", "desktop": "desktop", "dark": "desktop"}

#: The page's theme now ("light" or "dark"), as the theme's button set it.
THEME_JS = "() => document.documentElement.dataset.theme"

#: Wait until every CSS transition and animation the last change started has finished (colours
#: fading to the new theme), then for two frames.
SETTLED_JS = """
async () => {
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}
"""

IMAGES_JS = """
() => Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src,
  alt: img.getAttribute('alt'),
  complete: img.complete,
  width: img.naturalWidth,
}))
"""

# Scroll to the end a screen at a time (images with loading="lazy" load as they come near),
# wait for every image, and come back to the top.
SCROLL_THROUGH_JS = """
async () => {
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight) {
    scrollTo(0, y);
    await new Promise(r => setTimeout(r, 50));
  }
  await Promise.all(Array.from(document.images).map(i => i.complete ? null :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  scrollTo(0, 0);
}
"""

OVERFLOW_JS = """
() => {
  const doc = document.documentElement;
  const wide = [];
  if (doc.scrollWidth > doc.clientWidth) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width && r.right > doc.clientWidth + 1) {
        const style = getComputedStyle(el);
        if (style.visibility !== 'hidden' && style.display !== 'none') {
          wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
        }
      }
      if (wide.length >= 5) break;
    }
  }
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, wide};
}
"""

# The notebook cells' code: shown or not, and the text of its toggle.
CODE_STATE_JS = """
() => Array.from(document.querySelectorAll('article div.cell')).filter(c => c.querySelector('.cell_input'))
  .map(c => ({visible: c.querySelector('.cell_input').checkVisibility(),
              toggle: (c.querySelector('details.above-input > summary') || {}).innerText || ''}))
"""

AXE_RUN_JS = "async () => await axe.run(document, {resultTypes: ['violations']})"

#: Table cells whose text is cut off where the reader cannot scroll to it (tests/test_phone.py):
#: a cell is fine when it is wholly inside the viewport and its clipping box, or when its table
#: sits in the book's scroll region (scrollable, a labelled and focusable region, with the
#: edge-shadow cue). Also every book table not in such a region.
CUT_CELLS_JS = """
() => {
  const vw = document.documentElement.clientWidth;
  const out = {cells: 0, clipped: [], unwrapped: []};
  const clips = (el) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  for (const table of document.querySelectorAll('article.bd-article table.book-table')) {
    const region = table.parentElement;
    if (!region.classList.contains('book-table-scroll') || region.getAttribute('role') !== 'region'
        || region.tabIndex !== 0 || !(region.getAttribute('aria-label') || '').trim()) {
      out.unwrapped.push(table.outerHTML.slice(0, 120));
    }
  }
  for (const cell of document.querySelectorAll('article.bd-article table :is(td, th)')) {
    const r = cell.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1 || !cell.checkVisibility()) continue;
    if (!cell.textContent.trim()) continue;
    out.cells += 1;
    const inner = cell.scrollWidth > cell.clientWidth + 1;
    let clipper = cell.parentElement;
    while (clipper && clipper !== document.body && !clips(clipper)) clipper = clipper.parentElement;
    const box = clipper && clipper !== document.body ? clipper.getBoundingClientRect()
                                                      : {left: 0, right: vw, width: vw, height: 1e9};
    // Inside a visually hidden box (the column headings of a table shown as cards, kept for
    // screen readers): not meant to be seen.
    if (box.width <= 1 || box.height <= 1) continue;
    const cut = inner || r.right > Math.min(box.right, vw) + 1 || r.left < Math.max(box.left, 0) - 1;
    if (!cut) continue;
    const region = cell.closest('.book-table-scroll');
    const style = region && getComputedStyle(region);
    const ok = region && clipper === region && ['auto', 'scroll'].includes(style.overflowX)
      && region.getAttribute('role') === 'region' && region.tabIndex === 0
      && (region.getAttribute('aria-label') || '').trim()
      && style.backgroundImage.includes('gradient')
      && region.getBoundingClientRect().right <= vw + 1 && !inner;
    if (!ok) out.clipped.push(`${cell.tagName.toLowerCase()} "${cell.textContent.trim().slice(0, 40)}" `
      + `${Math.round(r.left)}-${Math.round(r.right)} px in a box ${Math.round(box.left)}-${Math.round(box.right)}`);
  }
  return out;
}
"""

#: Elements that reach past the right edge of the viewport, and the page's scroll width
#: (tests/test_phone.py; stricter than :data:`OVERFLOW_JS`, which looks only when the page
#: scrolls sideways).
PAST_THE_EDGE_JS = """
() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    // An off-canvas panel (fixed, wholly past the edge: the page contents on a phone, until
    // its button opens it) is not content cut off.
    let f = el, fixed = false;
    while (f && f !== document.body) { if (getComputedStyle(f).position === 'fixed') { fixed = true; break; } f = f.parentElement; }
    if (fixed && f.getBoundingClientRect().left >= vw - 1) continue;
    // Content inside a box that scrolls sideways on its own does not push the page.
    let p = el.parentElement, clipped = false;
    while (p && p !== document.body) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') { clipped = true; break; }
      p = p.parentElement;
    }
    if (!clipped) wide.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${Math.round(r.right)}px`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: vw, wide: wide.slice(0, 8)};
}
"""


def to_theme(page, theme: str) -> None:
    """Switch the page to the theme's ``theme`` ("dark" or "light") as a reader does: tap the
    theme button (it cycles auto, dark and light) until the page shows it, then move the
    pointer off it (its tooltip closes) and let the colours settle."""
    button = page.locator(".theme-switch-button").locator("visible=true").first
    for _ in range(3):
        if page.evaluate(THEME_JS) == theme:
            break
        button.click()
    assert page.evaluate(THEME_JS) == theme, f"three taps of the theme button did not give {theme}"
    page.mouse.move(0, 0)
    page.wait_for_function("() => !document.querySelector('.tooltip')", timeout=5_000)
    page.evaluate(SETTLED_JS)


def to_dark(page) -> None:
    """The theme's dark mode, with its button (:func:`to_theme`)."""
    to_theme(page, "dark")


def to_light(page) -> None:
    """Back to the theme's light mode, with its button (:func:`to_theme`)."""
    to_theme(page, "light")


def to_laptop(page) -> None:
    """Resize a desktop view's page to :data:`LAPTOP`, as a reader widens the window, and let
    the page lay itself out again."""
    page.set_viewport_size(LAPTOP)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def table_cells(page) -> dict:
    """What a reader of ``page`` cannot read of its tables, as it is now: every ``<details>``
    of the article opened first (a table folded in one, the time map's counts, is read once
    opened, as a reader taps it), then :data:`CUT_CELLS_JS`'s report, with the page's
    :data:`PAST_THE_EDGE_JS` under ``"overflow"``."""
    page.evaluate("document.querySelectorAll('article.bd-article details')"
                  ".forEach(d => { d.open = true; })")
    found = page.evaluate(CUT_CELLS_JS)
    found["overflow"] = page.evaluate(PAST_THE_EDGE_JS)
    return found


def axe_source() -> str | None:
    """axe-core's script, or None when node_modules lacks it (tests/test_a11y.py's fixture
    then fails with the reason); its version must be the one package-lock.json pins."""
    if not AXE.is_file():
        return None
    lock = json.loads((REPO / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/axe-core"]["version"]
    installed = json.loads((AXE.parent / "package.json").read_text())["version"]
    assert installed == pinned, f"node_modules has axe-core {installed}, the lock pins {pinned}"
    return AXE.read_text(encoding="utf-8")


@dataclass
class PageChecks:
    """What one visit of a page in one view found (the tests assert on it)."""

    visit: Visit
    theme: str | None = None  #: the theme's mode the page opened in (light/dark)
    violations: list[dict] | None = None  #: axe's violations (None: axe not installed)
    images: list[dict] = field(default_factory=list)  #: phone: every image, after scrolling
    overflow: dict = field(default_factory=dict)  #: phone: widths, and the widest elements
    code_cells: list[dict] = field(default_factory=list)  #: phone: code shown?, its toggle
    toggle_visible: bool | None = None  #: phone: the first code toggle visible
    toggle_opens: bool | None = None  #: phone: a click on it shows that cell's code
    binder_links: list[str] = field(default_factory=list)  #: desktop: Binder launch links
    wire: WireCount | None = None  #: phone: what the network carried until the page was loaded
    cells: dict = field(default_factory=dict)  #: phone: :func:`table_cells`, last (it opens <details>)
    laptop_cells: dict = field(default_factory=dict)  #: desktop resized to LAPTOP: :func:`table_cells`


def check_page(browser, url: str, visit_name: str, axe: str | None) -> dict[str, PageChecks]:
    """Load ``url`` once for the visit ``visit_name`` (``"phone"`` or ``"desktop"``, see
    :data:`VISIT_OF`) and collect every check of its views: {view: PageChecks}.

    Phone: the bytes the load carried (benchmarks/page_weight.py's measure, from a server that
    gzips as GitHub Pages does), then scroll through as a reader does (lazy images load), then
    images, overflow, axe, and last (it changes the page) the code cells and their toggle.
    Desktop: axe and the Binder links; then the dark view: the theme's button to dark mode
    (:func:`to_dark`) and axe again; then back to light, resized to :data:`LAPTOP` (as a
    reader widens the window), the tables. The tables' check comes last in each visit: it
    opens every <details> of the article (hence after the code toggle's check)."""
    phone = visit_name == "phone"
    viewport, _dark = VIEWS[visit_name]
    count = WireCount() if phone else None
    page, visit = open_page(browser, url, viewport=viewport,
                            before_load=count.attach if count else None)
    found = PageChecks(visit, theme=page.evaluate(THEME_JS))
    views = {visit_name: found}
    try:
        if phone:
            found.wire = count.snapshot()
            page.evaluate(SCROLL_THROUGH_JS)
            found.images = page.evaluate(IMAGES_JS)
            found.overflow = page.evaluate(OVERFLOW_JS)
        if axe is not None:
            page.add_script_tag(content=axe)
            found.violations = page.evaluate(AXE_RUN_JS)["violations"]
        if phone:
            found.code_cells = page.evaluate(CODE_STATE_JS)
            summary = page.locator("article details.above-input > summary").first
            if found.code_cells and summary.count():
                found.toggle_visible = summary.is_visible()
                if found.toggle_visible:
                    summary.click()
                    found.toggle_opens = page.locator("article details.above-input").first.locator(
                        ".cell_input").is_visible()
            found.cells = table_cells(page)
        else:
            found.binder_links = page.locator('a[href*="mybinder.org"]').evaluate_all(
                "as => as.map(a => a.href)")
            to_dark(page)
            dark = views["dark"] = PageChecks(visit, theme=page.evaluate(THEME_JS))
            if axe is not None:
                dark.violations = page.evaluate(AXE_RUN_JS)["violations"]
            to_light(page)
            # A fresh load at 1366x768 gives the same report, page for page, cut cells and all
            # (checked on both editions' table pages, with and without CSS that cuts them).
            to_laptop(page)
            found.laptop_cells = table_cells(page)
    finally:
        close_page(page)
    return views


@pytest.fixture(scope="session")
def wire_server(built_book):
    """The built book served as GitHub Pages serves it (gzipped text), by
    benchmarks/page_weight.py's server (which also serves a page's bare copy at ``?bare``)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from page_weight import GzipServer

    with GzipServer(built_book) as server:
        yield server


class PageVisits:
    """``page_checks(page_path, view)``: the :class:`PageChecks` of one page of the built book
    (a path such as ``"es/chapters/votes.html"``) in one view, from one visit per page per
    viewport for the whole session (the dark view's checks are made in the desktop's visit;
    per xdist worker: tests/conftest.py keeps a page's tests on one)."""

    def __init__(self, browser, server, axe: str | None):
        self.browser, self.server, self.axe = browser, server, axe
        self.cache: dict[tuple[str, str], PageChecks] = {}

    def __call__(self, page_path: str, view: str = "phone") -> PageChecks:
        if (page_path, view) not in self.cache:
            found = check_page(self.browser, self.server.base + page_path, VISIT_OF[view], self.axe)
            self.cache.update({(page_path, name): checks for name, checks in found.items()})
        return self.cache[page_path, view]

    def bare_wire(self, page_path: str) -> WireCount:
        """The bytes of the page's bare copy (its article alone, benchmarks/page_weight.py)."""
        count = WireCount()
        page, _visit = open_page(self.browser, self.server.base + page_path + "?bare",
                                 wait_widgets=False, before_load=count.attach)
        close_page(page)
        return count


@pytest.fixture(scope="session")
def page_checks(wire_server, chromium_browser) -> PageVisits:
    """One visit per page per view (:class:`PageVisits`), the pages served by :func:`wire_server`."""
    return PageVisits(chromium_browser, wire_server, axe_source())
