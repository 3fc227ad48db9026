"""The data pages lead with their finding (issue 21), as a reader on a 390 × 844 phone sees them.

In both editions, on every data page and the landing page:

- the first thing under the title is the finding as a sentence with its numbers, and the first
  chart starts within the first phone screen (844 px);
- no setup code is on the page and no "Show code cell source" control folds nothing: every code
  toggle has a chart, a table or a widget under it;
- the status line is the quiet "ICE list of <date> · ..." from ice287g.diff, not a warning;
- every chart's smallest text is at least 10 CSS px as displayed (its PNG records the text's
  height in image pixels; the browser gives the displayed and natural widths).

The reader-mode rules behind the second point (tools/reader_mode.py) are tested without a
browser at the end.
"""

from __future__ import annotations

import base64
import importlib.util
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from book_browser import PHONE, close_page, open_page
from conftest import EDITION_PREFIXES, REPO
from ice287g import charts, diff, i18n

DATA_PAGES = ["chapters/national-growth.html", "chapters/where.html", "chapters/maps.html",
              "chapters/key-west-list.html", "chapters/churn.html",
              "chapters/what-changed.html", "chapters/explorer.html"]
LEAD_PAGES = ["index.html", *DATA_PAGES]
PAGES = [(lang, page) for lang in EDITION_PREFIXES for page in LEAD_PAGES]
CHART_PAGES = [(lang, page) for lang in EDITION_PREFIXES for page in DATA_PAGES + ["index.html"]]

LAYOUT = """() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const h1 = article.querySelector('h1');
  const charts = [...article.querySelectorAll('img')].filter(img => {
    const r = img.getBoundingClientRect();
    return r.width > 150 && r.height > 100 && img.alt;
  }).map(img => {
    const r = img.getBoundingClientRect();
    return {top: r.top + window.scrollY, width: r.width, natural: img.naturalWidth,
            src: img.getAttribute('src'), current: img.currentSrc, alt: img.alt};
  });
  // the first block of text after the title, before any chart
  let lead = '';
  for (let el = h1; el; ) {
    el = el.nextElementSibling || (el.parentElement && el.parentElement.nextElementSibling);
    if (!el) break;
    if (el.matches('p') && el.innerText.trim()) { lead = el.innerText; break; }
    if (el.querySelector && el.querySelector('img')) break;
    if (el.querySelector && el.querySelector('p')) { lead = el.querySelector('p').innerText; break; }
  }
  const leadTop = lead ? [...article.querySelectorAll('p')].find(p => p.innerText === lead)
                          .getBoundingClientRect().top + window.scrollY : null;
  const cells = [...article.querySelectorAll('div.cell')].map(cell => ({
    tags: cell.className,
    input: !!cell.querySelector('.cell_input'),
    inputFolded: !!cell.querySelector('details .cell_input'),
    // something under the toggle: a chart, a table, a widget, or words ("None." for an empty table)
    shown: !!cell.querySelector('.cell_output img, .cell_output table, .cell_output .jupyter-widgets, .cell_output script[type*="widget-view"]')
           || [...cell.querySelectorAll('.cell_output')].some(o => o.innerText.trim()),
  }));
  return {h1: h1 && h1.getBoundingClientRect().top, charts, lead, leadTop, cells,
          text: article.innerText, scrollWidth: document.documentElement.scrollWidth};
}"""


@pytest.fixture(scope="module")
def layouts(book_server, chromium_browser):
    """Each page's layout at 390 × 844, loaded once for the whole module."""
    seen: dict[tuple[str, str], dict] = {}

    def get(lang: str, page: str) -> dict:
        key = (lang, page)
        if key not in seen:
            tab, visit = open_page(chromium_browser,
                                   book_server.base + EDITION_PREFIXES[lang] + page,
                                   viewport=PHONE)
            try:
                # widget images are drawn by the widget manager after load
                seen[key] = tab.evaluate(LAYOUT)
                seen[key]["problems"] = visit.problems()
            finally:
                close_page(tab)
        return seen[key]

    return get


@pytest.mark.parametrize("lang,page", PAGES)
def test_the_first_chart_starts_within_the_first_phone_screen(layouts, lang, page):
    layout = layouts(lang, page)
    assert not layout["problems"], layout["problems"]
    assert layout["charts"], f"{lang} {page}: no chart with alt text on the page"
    first = layout["charts"][0]
    assert first["top"] < PHONE["height"], (
        f"{lang} {page}: the first chart starts at {first['top']:.0f} px, below the first "
        f"{PHONE['height']} px screen")
    assert layout["scrollWidth"] <= PHONE["width"], f"{lang} {page}: wider than the phone"


@pytest.mark.parametrize("lang,page", PAGES)
def test_the_page_leads_with_its_finding_as_a_sentence_with_numbers(layouts, lang, page):
    layout = layouts(lang, page)
    lead = layout["lead"]
    if page == "chapters/explorer.html":
        # the explorer's finding is each view's title; its lead says what to pick
        assert lead and layout["leadTop"] < layout["charts"][0]["top"], layout["lead"]
        return
    assert re.search(r"\d", lead), f"{lang} {page}: the first paragraph has no number: {lead!r}"
    assert layout["leadTop"] < layout["charts"][0]["top"], f"{lang} {page}: the chart comes first"
    # the numbers are glued, not typed: no glue role or key is left on the page
    assert "glue:" not in lead and "::" not in lead, lead


@pytest.mark.parametrize("lang,page", PAGES)
def test_no_setup_code_on_the_page_and_no_toggle_without_a_chart_or_table(layouts, lang, page):
    cells = layouts(lang, page)["cells"]
    for cell in cells:
        if cell["input"]:
            assert cell["inputFolded"], f"{lang} {page}: code shown unfolded ({cell['tags']})"
            assert cell["shown"], (f"{lang} {page}: a 'Show code cell source' control with no "
                                   f"chart, table, widget or text under it ({cell['tags']})")


def expected_status(lang: str) -> str:
    with i18n.language(lang):
        return diff.freshness().status_line


@pytest.mark.parametrize("lang,page", PAGES)
def test_the_status_line_is_quiet_and_dated(layouts, lang, page):
    text = " ".join(layouts(lang, page)["text"].split())
    status = expected_status(lang)
    assert status.startswith(("ICE list of ", "Lista de ICE del "))
    assert status in text, f"{lang} {page}: no status line {status!r}"
    assert "has not yet been checked" not in text and "aún no se han cotejado" not in text


def _png(built_book: Path, lang: str, page: str, src: str) -> bytes:
    if src.startswith("data:"):
        return base64.b64decode(src.split("base64,", 1)[1])
    if urlsplit(src).scheme:  # the address the browser chose (currentSrc), from the server's root
        return (built_book / unquote(urlsplit(src).path).lstrip("/")).resolve().read_bytes()
    base = (built_book / EDITION_PREFIXES[lang] / page).parent
    return (base / unquote(urlsplit(src).path)).resolve().read_bytes()


@pytest.mark.parametrize("lang,page", CHART_PAGES)
def test_chart_text_is_at_least_10_css_px_on_a_phone(layouts, built_book, lang, page):
    layout = layouts(lang, page)
    checked = 0
    for chart in layout["charts"]:
        # The image the browser chose (a chart's half-width copy on this phone, from its
        # srcset), at the width it is shown, in that image's own pixels.
        info = charts.png_texts(_png(built_book, lang, page, chart["current"] or chart["src"]))
        if "min_text_px" not in info:
            continue  # not a chart of the book's helpers (e.g. a logo)
        size = info["min_text_px"] * chart["width"] / info["width"]
        assert size >= charts.MIN_TEXT_CSS_PX, (
            f"{lang} {page}: {info.get('Title', chart['alt'][:60])!r} has text of {size:.2f} "
            f"CSS px at 390 px (shown {chart['width']:.0f} of {info['width']} px)")
        checked += 1
    assert checked, f"{lang} {page}: no chart measured"


# ------------------------------------------------------------------ reader mode, without a browser
def _reader_mode():
    spec = importlib.util.spec_from_file_location("reader_mode", REPO / "tools" / "reader_mode.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nb(*cells):
    return {"cells": [{"cell_type": "code", "source": src, "metadata": {"tags": tags}}
                      for src, tags in cells]}


def test_reader_mode_flags_setup_cells_left_on_the_page_and_charts_without_code():
    rm = _reader_mode()
    setup = "from ice287g import charts\nds = an.dataset()\nglue('n', 3)"
    chart = "fig = charts.lines_chart(x)\ncharts.show(fig, alt=alt)"
    table = "safe_html.table(frame)"
    assert rm.problems(_nb((setup, ["remove-cell"]), (chart, ["hide-input"]),
                           (table, ["hide-input"]))) == []
    found = dict(rm.problems(_nb((setup, ["hide-input"]), (chart, ["remove-cell"]),
                                 (table, []), ("x = 1", ["remove-input", "hide-input"]))))
    assert "shows nothing" in found[0]
    assert "code behind a chart" in found[1]
    assert "no reader-mode tag" in found[2]
    assert "more than one" in found[3]
    # a cell that only defines a helper shows nothing, even if the helper displays
    helper = "def show_table(frame):\n    display(frame)\n"
    assert rm.reading(helper) == (False, False)
    assert rm.reading("glue('t', table, display=True)") == (True, False)
    assert rm.reading("explorer.build(ds.presence, ds.pubs)") == (True, True)


def test_reader_mode_tags_by_reading_the_code():
    rm = _reader_mode()
    nb = _nb(("import pandas as pd\nds = load()", []), ("charts.show(fig, alt=a)", []),
             ("story.style(t, 'caption')", []))
    assert rm.tag(nb) == 3
    assert [c["metadata"]["tags"] for c in nb["cells"]] == [["remove-cell"], ["hide-input"],
                                                            ["hide-input"]]


def test_the_book_notebooks_follow_reader_mode():
    rm = _reader_mode()
    import json

    broken = [f"{path.name}: cell {i} {what}" for path in rm.notebooks()
              for i, what in rm.problems(json.loads(path.read_text(encoding="utf-8")))]
    assert not broken, "\n".join(broken)


# ------------------------------------------------------------------ the words, without a browser
def test_status_line_in_each_language(tmp_path):
    checks = tmp_path / "update-checks.csv"
    checks.write_text("checked_at,url,outcome,capture,files,sha256\n"
                      "2026-06-01T06:05:00Z,https://www.ice.gov/287g,no change,,,\n",
                      encoding="utf-8")
    side = diff.load_side()
    with i18n.language("en"):
        fresh = diff.freshness(checks=checks, side=side)
        latest = fresh.latest_list_text
        assert fresh.status_line == f"ICE list of {latest} · checked June 1, 2026"
        none = diff.freshness(checks=tmp_path / "absent.csv", side=side)
        assert none.status_line == f"ICE list of {latest} · not yet checked for a newer list"
    with i18n.language("es"):
        fresh = diff.freshness(checks=checks, side=side)
        assert re.fullmatch(r"Lista de ICE del \d{1,2} de [a-z]+ de \d{4} · consultada el 1 de "
                            r"junio de 2026", fresh.status_line), fresh.status_line


@pytest.mark.parametrize("after,before,en,es", [
    (1843, 135, "about 14 times as many", "unas 14 veces más"),
    (270, 135, "about twice as many", "aproximadamente el doble"),
    (180, 135, "33% more", "33% más"),
    (100, 135, "26% fewer", "26% menos"),
    (135_000, 10, "about 13,500 times as many", "unas 13,500 veces más"),
])
def test_growth_as_people_picture_it(after, before, en, es):
    assert i18n.format_times(after, before, "en") == en
    assert i18n.format_times(after, before, "es") == es
    with pytest.raises(ValueError):
        i18n.format_times(5, 0)
