"""Page weight budgets, measured in chromium by benchmarks/page_weight.py (cold cache per page).

Every page, everything included (HTML, images, widget state, theme, widget manager, fonts), must
stay within 3 MB; a page's embedded widget state within 1.5 MB. Find an agency's own bytes (HTML,
its JSON data, script and CSS) stay within 1 MB, and the explorer, which now offers every state,
within the 2.34 MB it weighed with ten.
"""

from __future__ import annotations

import sys

import pytest

from conftest import REPO, edition_pages

sys.path.insert(0, str(REPO / "benchmarks"))
import page_weight  # noqa: E402

pytestmark = pytest.mark.browser

#: Every page of both editions (English, then Spanish under es/).
PAGES = edition_pages()


@pytest.fixture(scope="module")
def weights(chromium_browser, book_server, built_book):
    measured = {p: page_weight.measure(chromium_browser, book_server.base, built_book, p) for p in PAGES}
    print("\n" + page_weight.report(list(measured.values())))
    return measured


def test_every_request_was_measured(weights):
    for page, w in weights.items():
        assert not w.unmeasured, f"{page}: could not measure {w.unmeasured}"
        assert w.html > 0 and w.theme > 0, f"{page}: nothing measured ({w})"


@pytest.mark.parametrize("page_path", PAGES)
def test_page_total_within_3_mb(weights, page_path):
    w = weights[page_path]
    assert w.total <= page_weight.PAGE_TOTAL_BUDGET, (
        f"{page_path} weighs {w.total:,d} bytes with everything (budget 3 MB): "
        f"page {w.page_bytes:,d} (widget state {w.widget_state:,d}, images {w.images:,d}), "
        f"shared {w.shared_bytes:,d} (theme {w.theme:,d}, widget manager {w.widget_manager:,d}, fonts {w.fonts:,d})"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_widget_state_within_1_5_mb(weights, page_path):
    w = weights[page_path]
    assert w.widget_state <= page_weight.WIDGET_STATE_BUDGET, (
        f"{page_path} embeds {w.widget_state:,d} bytes of widget state (budget 1.5 MB)"
    )


def test_lookup_page_with_its_data_and_script_within_1_mb(weights):
    w = weights[page_weight.LOOKUP_PAGE]
    # Its data (about 200 KB) is counted with the page, not with the shared theme.
    assert w.other > 150_000, f"the lookup data was not counted with the page: {w}"
    assert w.page_bytes <= page_weight.LOOKUP_PAGE_BUDGET, (
        f"{w.page}: {w.page_bytes:,d} bytes of HTML, data and scripts (budget 1 MB): html "
        f"{w.html:,d}, lookup data/script/CSS {w.other:,d}")


def test_explorer_with_every_state_within_2_34_mb(weights):
    w = weights[page_weight.EXPLORER_PAGE]
    assert w.total <= page_weight.EXPLORER_TOTAL_BUDGET, (
        f"{w.page} weighs {w.total:,d} bytes (budget 2.34 MB): widget state {w.widget_state:,d}")


def test_widget_state_is_measured(tmp_path):
    """The widget state is found in a page's HTML and kept out of its 'html' column."""
    state = b'{"version_major": 2, "state": {"x": "' + b"a" * 5000 + b'"}}'
    html = b'<html><body><p>hi</p><script type="application/vnd.jupyter.widget-state+json">' + state + b"</script></body></html>"
    found = sum(len(m.group(1)) for m in page_weight.WIDGET_STATE_RE.finditer(html))
    assert found == len(state)
    assert page_weight.classify("/_static/widgets/embed.js", "script") == "widget_manager"
    assert page_weight.classify("/_static/vendor/fontawesome/webfonts/fa-solid-900.woff2", "font") == "fonts"
    assert page_weight.classify("/_images/chart.png", "image") == "images"
    assert page_weight.classify("/_static/styles/theme.css", "stylesheet") == "theme"
    assert page_weight.classify("/_static/lookup/agreements.json", "fetch") == "other"
    assert page_weight.classify("/_static/lookup/lookup.js", "script") == "other"
