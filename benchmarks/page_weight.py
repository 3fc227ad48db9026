"""Page weight of the built book, measured in chromium the way a first-time reader loads each page.

    .venv/bin/python benchmarks/page_weight.py [--html _build/html]

For every page it prints the bytes of the page's own HTML (without its widget state), its images,
its embedded widget state (budget 1.5 MB) and anything else the page alone loads (e.g. the search
index), then, separately, the shared library assets it loads from _static/ (theme CSS and JS, the
self-hosted widget manager, fonts), which a reader's browser caches across pages. The total, with
everything, must stay within 3 MB a page (tests/test_page_weight.py enforces both budgets).
Two pages have budgets of their own: *Find an agency* (its HTML, data and scripts, i.e. the page
column, which counts _static/lookup/: at most 1 MB) and the explorer (at most 2.34 MB with
everything, what it weighed with ten states; it now offers every state).

Each page is loaded in a fresh browser context (cold cache) from a local server on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from book_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    BookServer,
    book_pages,
    close_page,
    open_page,
)

MB = 1_000_000
WIDGET_STATE_BUDGET = 1.5 * MB
PAGE_TOTAL_BUDGET = 3 * MB
WIDGET_STATE_RE = re.compile(
    rb'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)</script>', re.S
)
FONT_SUFFIXES = (".woff", ".woff2", ".ttf", ".otf", ".eot")
LOOKUP_PAGE = "chapters/find-an-agency.html"
LOOKUP_PAGE_BUDGET = 1 * MB  # the page's own bytes: HTML, lookup data, script and CSS
EXPLORER_PAGE = "chapters/explorer.html"
EXPLORER_TOTAL_BUDGET = 2.34 * MB


@dataclass
class Weight:
    page: str
    html: int = 0  # the page's HTML without its widget state
    widget_state: int = 0
    images: int = 0
    other: int = 0  # page-specific, e.g. searchindex.js on the search page
    theme: int = 0  # shared: _static/ CSS and JS of the theme and Sphinx, the search index
    widget_manager: int = 0  # shared: the self-hosted @jupyter-widgets/html-manager
    fonts: int = 0  # shared: web fonts
    unmeasured: list[str] = field(default_factory=list)

    @property
    def page_bytes(self) -> int:
        return self.html + self.widget_state + self.images + self.other

    @property
    def shared_bytes(self) -> int:
        return self.theme + self.widget_manager + self.fonts

    @property
    def total(self) -> int:
        return self.page_bytes + self.shared_bytes


def classify(path: str, resource_type: str) -> str:
    """Which column a request of the page belongs to (by its URL path and resource type)."""
    name = path.lower()
    if name.endswith(FONT_SUFFIXES) or resource_type == "font":
        return "fonts"
    if name.endswith("/searchindex.js"):
        return "theme"  # the book's search index: every page loads it for the search box
    if "/_static/lookup/" in name:
        return "other"  # Find an agency's own data, script and CSS: that page alone loads them
    if "/_static/" in name:
        if "/_static/widgets/" in name:
            return "widget_manager"
        return "theme"
    if resource_type == "image" or "/_images/" in name:
        return "images"
    return "other"


def measure(browser, base_url: str, html_dir: Path, page_path: str) -> Weight:
    """Load one page in a fresh context and add up every response body by column."""
    weight = Weight(page_path)
    raw = (html_dir / page_path).read_bytes()
    weight.widget_state = sum(len(m.group(1)) for m in WIDGET_STATE_RE.finditer(raw))
    weight.html = len(raw) - weight.widget_state
    responses = []
    page, visit = open_page(browser, base_url + page_path, viewport=DESKTOP, responses=responses)
    try:
        for response in responses:
            path = unquote(urlsplit(response.url).path)
            if path.lstrip("/") == page_path:
                continue  # the document: counted from the file above
            try:
                size = len(response.body())
            except Exception:  # redirects and aborted requests have no body
                weight.unmeasured.append(response.url)
                continue
            column = classify(path, response.request.resource_type)
            setattr(weight, column, getattr(weight, column) + size)
        weight.unmeasured += visit.external_requests
    finally:
        close_page(page)
    return weight


def page_budget_note(w: Weight) -> str:
    """The page-specific budget of the lookup and explorer pages, as a note for the report."""
    if w.page == LOOKUP_PAGE:
        ok = w.page_bytes <= LOOKUP_PAGE_BUDGET
        return f"  (own bytes {kb(w.page_bytes)} of {kb(LOOKUP_PAGE_BUDGET)}{'' if ok else ' OVER BUDGET'})"
    if w.page == EXPLORER_PAGE:
        ok = w.total <= EXPLORER_TOTAL_BUDGET
        return f"  (total {kb(w.total)} of {kb(EXPLORER_TOTAL_BUDGET)}{'' if ok else ' OVER BUDGET'})"
    return ""


def over_budget(w: Weight) -> bool:
    return (w.total > PAGE_TOTAL_BUDGET or w.widget_state > WIDGET_STATE_BUDGET
            or (w.page == LOOKUP_PAGE and w.page_bytes > LOOKUP_PAGE_BUDGET)
            or (w.page == EXPLORER_PAGE and w.total > EXPLORER_TOTAL_BUDGET))


LOOKUP_QUERY = "county sheriff office"
KEYSTROKE_BUDGET_MS = 50


def lookup_keystrokes(browser, base_url: str, query: str = LOOKUP_QUERY,
                      repeats: int = 3) -> tuple[list[float], list[float]]:
    """Type ``query`` into Find an agency, then clear it and type one letter (the heaviest
    render: every row matches), ``repeats`` times in the same page; the input handler's time
    per keystroke (ms) as the page measures it with performance.now() around filtering and
    rendering. Returns (per keystroke, the fastest of the repeats; every timing measured).

    The fastest of a few repeats is the cost of the code: on this shared 2-core machine a
    single keystroke is now and then preempted by other processes for tens of ms."""
    page, _visit = open_page(browser, base_url + LOOKUP_PAGE, viewport=DESKTOP)
    runs = []
    try:
        page.wait_for_function("window.ice287gLookup && window.ice287gLookup.ready",
                               timeout=15_000)
        box = page.locator("#lookup-q")
        for _ in range(repeats):
            box.fill("")
            box.click()
            page.evaluate("window.ice287gLookup.timings.length = 0")
            page.keyboard.type(query, delay=10)
            page.keyboard.press("Control+A")
            page.keyboard.press("Backspace")
            page.keyboard.type("s", delay=10)
            runs.append(list(page.evaluate("window.ice287gLookup.timings")))
    finally:
        close_page(page)
    n = min(len(r) for r in runs)
    fastest = [min(r[i] for r in runs) for i in range(n)]
    return fastest, [t for r in runs for t in r]


def keystroke_report(timings: tuple[list[float], list[float]]) -> str:
    fastest, every = timings
    flag = "" if fastest and max(fastest) < KEYSTROKE_BUDGET_MS else "  OVER BUDGET"
    return (f"Find an agency: {len(fastest)} keystrokes x {len(every) // max(len(fastest), 1)}: "
            f"slowest keystroke {max(fastest):.1f} ms (fastest of the repeats), mean "
            f"{sum(fastest) / len(fastest):.1f} ms; slowest single measurement {max(every):.1f} ms "
            f"(budget {KEYSTROKE_BUDGET_MS} ms a keystroke){flag}")


def kb(n: int) -> str:
    return f"{n / 1000:,.0f}"


def report(weights: list[Weight]) -> str:
    head = (
        f"{'page':<34} {'html':>7} {'images':>7} {'widgets':>8} {'other':>7} {'PAGE':>7} | "
        f"{'theme':>7} {'w.mgr':>7} {'fonts':>7} {'SHARED':>7} | {'TOTAL':>7}  (kB; budgets: "
        f"widget state {kb(WIDGET_STATE_BUDGET)}, total {kb(PAGE_TOTAL_BUDGET)})"
    )
    lines = [head, "-" * len(head)]
    for w in weights:
        flag = ""
        if w.widget_state > WIDGET_STATE_BUDGET:
            flag += "  WIDGET STATE OVER BUDGET"
        if w.total > PAGE_TOTAL_BUDGET:
            flag += "  TOTAL OVER BUDGET"
        flag += page_budget_note(w)
        lines.append(
            f"{w.page:<34} {kb(w.html):>7} {kb(w.images):>7} {kb(w.widget_state):>8} {kb(w.other):>7} "
            f"{kb(w.page_bytes):>7} | {kb(w.theme):>7} {kb(w.widget_manager):>7} {kb(w.fonts):>7} "
            f"{kb(w.shared_bytes):>7} | {kb(w.total):>7}{flag}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html", help="a built book")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        parser.error(f"{args.html} has no index.html: build the book first (scripts/build-book.sh)")
    from playwright.sync_api import sync_playwright

    with BookServer(args.html) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            weights = [measure(browser, server.base, args.html, p) for p in book_pages(args.html)]
            timings = (lookup_keystrokes(browser, server.base)
                       if (args.html / LOOKUP_PAGE).is_file() else None)
        finally:
            browser.close()
    print(report(weights))
    over = [w.page for w in weights if over_budget(w)]
    if timings:
        print(keystroke_report(timings))
        if max(timings[0]) >= KEYSTROKE_BUDGET_MS:
            over.append(f"{LOOKUP_PAGE} (typing)")
    print(f"\n{len(weights)} pages; heaviest total {kb(max(w.total for w in weights))} kB; "
          f"over budget: {', '.join(over) or 'none'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
