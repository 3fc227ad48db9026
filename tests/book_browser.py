"""Real-browser support for the reader-facing tests: a local server and one chromium per session.

The built book is served by a threaded ``http.server`` on 127.0.0.1 (a free port) and driven by
Playwright for Python with Debian's chromium (``playwright install`` cannot download browsers
here). Every request that would leave 127.0.0.1 is recorded and aborted, so a page that depends
on a CDN fails its test instead of quietly working online.

The fixtures are imported by tests/conftest.py so that the whole session shares one server and
one browser.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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


class BookServer:
    """A threaded static server for one directory on 127.0.0.1 and a free port."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{LOCAL_HOST}:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

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


def open_page(browser, url: str, *, viewport: dict = PHONE, wait_widgets: bool = True, responses=None,
              dark: bool = False):
    """Load ``url`` in a fresh browser context; return (page, Visit) with everything recorded.

    Every visit gets its own context (cold cache): chromium remembers a failed request within a
    context, so a second page asking for the same CDN script would otherwise go unnoticed.
    The page is fully loaded (network idle) and, when it embeds widget views, the widget
    manager has drawn them. The caller closes it with ``close_page``. Pass a list as
    ``responses`` to collect every response of the load; ``dark=True`` opens the page in the
    theme's dark mode, as a reader who chose it with the theme button sees it.
    """
    visit = Visit(url)
    phone = viewport["width"] < 600
    context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=phone, has_touch=phone)
    if dark:
        context.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    page = context.new_page()

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
    context.route("**/*", route)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    if wait_widgets and page.locator(WIDGET_VIEW).count():
        # The html-manager replaces each view script's placeholder with a .jupyter-widgets node.
        page.wait_for_selector(".jupyter-widgets", state="attached", timeout=30_000)
        page.wait_for_load_state("networkidle")
    return page, visit


def close_page(page) -> None:
    page.context.close()


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
