"""Page weight and first paint of the built book, as a reader on a slow phone meets it (issue 22).

    .venv/bin/python benchmarks/page_weight.py [--html _build/html] [--runs 1] [--only PAGE ...]

The built book is served by this script's own server on 127.0.0.1, gzipped as GitHub Pages
serves it (HTML, CSS, JavaScript, JSON, SVG and other text when the browser accepts gzip).
Every page of both editions is loaded in chromium in a fresh browser context (empty cache) at
390 x 844 under the emulation of a slow phone: 150 ms latency and 1.6 Mbps down
(CDP ``Network.emulateNetworkConditions``), a CPU 4x slower (``Emulation.setCPUThrottlingRate``).

For each page it records the requests, the bytes on the wire (what the network carried,
compressed, headers included; CDP's ``encodedDataLength``) and the Largest Contentful Paint.
In the same run, next to it, it loads the page's **bare copy**: the page's article alone
(``<article>`` with its images, no CSS, scripts or fonts), served by the same server at the
same address with ``?bare``. It prints one table with both, the ratio of the two paints and
the two budgets of issue 22:

- bytes on the wire at most 200 kB a page (500 kB for the explorer); a page whose bare article
  is itself over 150 kB may weigh its article plus 150 kB;
- LCP at most 1.5 x the bare copy's LCP + 0.3 s.

``--runs N`` loads each page (and its bare copy) N times and reports the medians. The exit
status is 1 when a page is over a budget. tests/test_page_weight.py holds the byte budgets
(bytes do not change from run to run); times stay here.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import html as html_lib
import http.server
import re
import statistics
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from book_browser import (CHROMIUM, CHROMIUM_ARGS, LOCAL_HOST, PHONE, QuietServer,  # noqa: E402
                          WireCount, book_pages)

KB = 1000
PAGE_BUDGET = 200 * KB
EXPLORER_PAGE = "chapters/explorer.html"
EXPLORER_BUDGET = 500 * KB
#: A page whose own article (its bare copy) weighs more than this may weigh it plus this.
ARTICLE_ALLOWANCE = 150 * KB
LCP_RATIO = 1.5
LCP_SLACK_MS = 300.0

#: The slow phone: 150 ms round trip, 1.6 Mbps down, 750 kbps up, a 4x slower CPU.
LATENCY_MS = 150
DOWN_BYTES_PER_S = 1_600_000 / 8
UP_BYTES_PER_S = 750_000 / 8
CPU_SLOWDOWN = 4

#: What GitHub Pages compresses (text types); images and fonts are sent as they are.
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml",
              "application/xml", "application/x-ipynb+json")


def budget(page: str, bare_bytes: int = 0) -> int:
    """The page's byte budget on the wire (issue 22)."""
    path = page[3:] if page.startswith("es/") else page
    base = EXPLORER_BUDGET if path == EXPLORER_PAGE else PAGE_BUDGET
    if bare_bytes > ARTICLE_ALLOWANCE:
        base = max(base, bare_bytes + ARTICLE_ALLOWANCE)
    return base


# ---------------------------------------------------------------------------------------------
# The bare copy of a page: its article alone.

ARTICLE_RE = re.compile(r'<article class="bd-article"[^>]*>.*?</article>', re.S)
MAIN_RE = re.compile(r"<main\b[^>]*>.*?</main>", re.S)  # the search page has no <article>
TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S)
LANG_RE = re.compile(r'<html[^>]*\blang="([^"]+)"')
SCRIPT_RE = re.compile(r"<script\b.*?</script>", re.S | re.I)
STYLE_RE = re.compile(r"<style\b.*?</style>|<link\b[^>]*>", re.S | re.I)


def bare_copy(page_html: str) -> str:
    """The page's ``<article>`` (images included; the search page's ``<main>``) in a page with
    no CSS, scripts or fonts."""
    match = ARTICLE_RE.search(page_html) or MAIN_RE.search(page_html)
    if not match:
        raise ValueError("the page has no <article class=\"bd-article\"> and no <main>")
    article = STYLE_RE.sub("", SCRIPT_RE.sub("", match.group(0)))
    title = TITLE_RE.search(page_html)
    lang = LANG_RE.search(page_html)
    return ("<!DOCTYPE html>\n"
            f'<html lang="{html_lib.escape(lang.group(1)) if lang else "en"}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            'initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{title.group(1) if title else ''}</title></head><body>\n{article}\n"
            "</body></html>\n")


# ---------------------------------------------------------------------------------------------
# The server: gzip as GitHub Pages does, and the bare copies at ``page.html?bare``.

class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    cache: dict = {}
    lock = threading.Lock()

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self):  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        path = Path(self.translate_path(parts.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return
        bare = parts.query == "bare" and path.suffix == ".html"
        ctype = "text/html; charset=utf-8" if bare else self.guess_type(str(path))
        gz = "gzip" in (self.headers.get("Accept-Encoding") or "") and \
            ctype.startswith(GZIP_TYPES)
        key = (str(path), bare, gz, path.stat().st_mtime_ns)
        with self.lock:
            body = self.cache.get(key)
        if body is None:
            body = path.read_bytes()
            if bare:
                body = bare_copy(body.decode("utf-8")).encode("utf-8")
            if gz:
                body = gzip.compress(body, compresslevel=6, mtime=0)
            with self.lock:
                self.cache[key] = body
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(body)


class GzipServer:
    """A threaded static server for one directory on 127.0.0.1 that gzips text."""

    def __init__(self, directory: Path):
        handler = functools.partial(_GzipHandler, directory=str(directory))
        self.httpd = QuietServer((LOCAL_HOST, 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{LOCAL_HOST}:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "GzipServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------------------------
# One load.

LCP_OBSERVER = """
window.__lcp = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__lcp = e.renderTime || e.startTime || e.loadTime;
}).observe({type: 'largest-contentful-paint', buffered: true});
"""


@dataclass
class Load:
    url: str
    requests: int = 0
    wire: int = 0  # bytes on the wire, compressed, headers included
    lcp_ms: float = 0.0
    by_type: dict = field(default_factory=dict)  # resource type -> bytes on the wire
    failed: list = field(default_factory=list)
    outside: list = field(default_factory=list)
    urls: list = field(default_factory=list)


def load(browser, url: str, *, emulate: bool = True, viewport: dict = PHONE) -> Load:
    """Load ``url`` once in a fresh context (empty cache); count what the network carried."""
    result = Load(url)
    context = browser.new_context(viewport=viewport, device_scale_factor=1,
                                  is_mobile=viewport["width"] < 600,
                                  has_touch=viewport["width"] < 600)
    try:
        page = context.new_page()
        page.add_init_script(LCP_OBSERVER)
        wire = WireCount()  # the bytes, as the tests count them (tests/book_browser.py)
        cdp = wire.attach(context, page)
        if emulate:
            cdp.send("Network.emulateNetworkConditions", {
                "offline": False, "latency": LATENCY_MS,
                "downloadThroughput": DOWN_BYTES_PER_S, "uploadThroughput": UP_BYTES_PER_S})
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        context.route(lambda u: urlsplit(u).hostname != LOCAL_HOST, lambda r: r.abort())
        page.goto(url, wait_until="load", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        page.wait_for_timeout(300)
        result.lcp_ms = float(page.evaluate("window.__lcp"))
        for _ in range(10):  # a busy machine can report the paint late
            if result.lcp_ms:
                break
            page.wait_for_timeout(200)
            result.lcp_ms = float(page.evaluate("window.__lcp"))
        result.requests, result.wire, result.by_type = wire.requests, wire.wire, wire.by_type
        result.failed, result.outside, result.urls = wire.failed, wire.outside, wire.urls
    finally:
        context.close()
    return result


@dataclass
class Row:
    page: str
    full: list = field(default_factory=list)
    bare: list = field(default_factory=list)

    @staticmethod
    def _median(loads, attr):
        return statistics.median(getattr(x, attr) for x in loads)

    @property
    def requests(self):
        return int(self._median(self.full, "requests"))

    @property
    def wire(self):
        return int(self._median(self.full, "wire"))

    @property
    def lcp(self):
        return self._median(self.full, "lcp_ms")

    @property
    def bare_wire(self):
        return int(self._median(self.bare, "wire"))

    @property
    def bare_lcp(self):
        return self._median(self.bare, "lcp_ms")

    @property
    def byte_budget(self):
        return budget(self.page, self.bare_wire)

    @property
    def lcp_budget(self):
        return LCP_RATIO * self.bare_lcp + LCP_SLACK_MS

    def over(self) -> list[str]:
        found = []
        if self.wire > self.byte_budget:
            found.append("BYTES")
        if self.lcp > self.lcp_budget:
            found.append("LCP")
        return found


def measure(browser, base: str, page: str, runs: int = 1, emulate: bool = True) -> Row:
    """The page and its bare copy, side by side (alternating), ``runs`` times each."""
    row = Row(page)
    for _ in range(runs):
        row.full.append(load(browser, base + page, emulate=emulate))
        row.bare.append(load(browser, base + page + "?bare", emulate=emulate))
    return row


def report(rows: list[Row]) -> str:
    head = (f"{'page':<36} {'req':>4} {'kB wire':>8} {'budget':>7} {'LCP s':>6} | "
            f"{'bare kB':>7} {'bare LCP':>8} | {'ratio':>5} {'LCP max':>7}  over")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.page:<36} {r.requests:>4} {r.wire / KB:>8.0f} {r.byte_budget / KB:>7.0f} "
            f"{r.lcp / 1000:>6.2f} | {r.bare_wire / KB:>7.0f} {r.bare_lcp / 1000:>8.2f} | "
            f"{r.lcp / max(r.bare_lcp, 1):>5.2f} {r.lcp_budget / 1000:>7.2f}  "
            f"{' '.join(r.over()) or '-'}")
    return "\n".join(lines)


#: Folders of the pages made from one template each (a page per state and per agency): the
#: benchmark measures a sample of them (they share their template and weight), not all 3,000.
GENERATED = {"states": ("florida.html", "texas.html"), "agencies": ()}


def default_pages(html: Path) -> list[str]:
    """The book's pages in both editions, and of the generated ones the states of
    :data:`GENERATED` and the first agency page (``--only`` measures any other)."""
    pages, first_agency = [], {}
    for page in book_pages(html):
        parts = page.split("/")
        folder = parts[-2] if len(parts) > 1 else ""
        if folder not in GENERATED:
            pages.append(page)
        elif parts[-1] in GENERATED[folder]:
            pages.append(page)
        elif folder == "agencies":
            first_agency.setdefault("/".join(parts[:-1]), page)
    return pages + sorted(first_agency.values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html", help="a built book")
    parser.add_argument("--runs", type=int, default=1, help="loads of each page (medians)")
    parser.add_argument("--only", nargs="*", help="these pages only (paths in the build)")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        parser.error(f"{args.html} has no index.html: build the book first (scripts/build-book.sh)")
    pages = args.only or default_pages(args.html)
    from playwright.sync_api import sync_playwright

    with GzipServer(args.html) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            rows = []
            for page in pages:
                rows.append(measure(browser, server.base, page, args.runs))
                print(report(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
        finally:
            browser.close()
    print(report(rows))
    problems = [f"{r.page}: {x.url} {x.failed} {x.outside}" for r in rows
                for x in r.full + r.bare if x.failed or x.outside]
    over = [r.page for r in rows if r.over()]
    print(f"\n{len(rows)} pages, {args.runs} run(s) each; emulation: {LATENCY_MS} ms latency, "
          f"{DOWN_BYTES_PER_S * 8 / 1e6:.1f} Mbps down, CPU x{CPU_SLOWDOWN}; heaviest "
          f"{max(r.wire for r in rows) / KB:.0f} kB; over budget: {', '.join(over) or 'none'}")
    if problems:
        print("failed or outside requests:\n" + "\n".join(problems))
    return 1 if over or problems else 0


if __name__ == "__main__":
    sys.exit(main())
