"""Page weight on the wire (issue 22), measured by benchmarks/page_weight.py's own loader.

Every page of both editions is loaded in chromium from the benchmark's gzip server (as GitHub
Pages serves the book), in a fresh context (empty cache) at 390 x 844, and the bytes the
network carried are added up (compressed, headers included). Budgets: 200 kB a page, 500 kB
for the explorer; a page whose bare article is itself over 150 kB may weigh it plus 150 kB.
Bytes do not change from run to run; times (LCP) stay in the benchmark.
"""

from __future__ import annotations

import gzip
import sys
import urllib.request

import pytest

from conftest import REPO, edition_pages

sys.path.insert(0, str(REPO / "benchmarks"))
import page_weight  # noqa: E402

PAGES = edition_pages()
WEIGHED = PAGES


@pytest.fixture(scope="module")
def gzip_server(built_book):
    with page_weight.GzipServer(built_book) as server:
        yield server


@pytest.fixture(scope="module")
def weights(chromium_browser, gzip_server):
    rows = {p: page_weight.measure(chromium_browser, gzip_server.base, p, emulate=False)
            for p in PAGES}
    print("\n" + page_weight.report(list(rows.values())))
    return rows


@pytest.mark.browser
@pytest.mark.parametrize("page_path", WEIGHED)
def test_page_within_its_byte_budget_on_the_wire(weights, page_path):
    row = weights[page_path]
    load = row.full[0]
    assert not load.failed and not load.outside, f"{page_path}: {load.failed} {load.outside}"
    assert load.requests >= 1 and row.bare_wire > 0, f"{page_path}: nothing measured"
    assert row.wire <= row.byte_budget, (
        f"{page_path}: {row.wire:,d} bytes on the wire in {row.requests} requests (budget "
        f"{row.byte_budget:,d}; its bare article {row.bare_wire:,d}); by kind: {load.by_type}")


@pytest.mark.browser
def test_no_page_downloads_a_web_font_or_the_search_index(weights):
    for page_path, row in weights.items():
        kinds = row.full[0].by_type
        assert "Font" not in kinds, f"{page_path} downloads fonts: {kinds}"
        if not page_path.endswith("search.html"):
            search = [u for u in row.full[0].urls if "searchindex.js" in u or "searchtools" in u]
            assert not search, f"{page_path} loads the search scripts: {search}"


def test_budgets():
    assert page_weight.budget("chapters/key-west.html") == 200_000
    assert page_weight.budget("chapters/explorer.html") == 500_000
    assert page_weight.budget("es/chapters/explorer.html") == 500_000
    assert page_weight.budget("chapters/maps.html", bare_bytes=160_000) == 310_000
    assert page_weight.budget("chapters/maps.html", bare_bytes=20_000) == 200_000


def test_bare_copy_is_the_article_alone():
    page = ('<html lang="es"><head><title>T &amp; t</title><link rel="stylesheet" href="a.css">'
            '<script src="x.js"></script></head><body><nav>menu</nav>'
            '<article class="bd-article" role="main"><h1>Hola</h1><style>p{}</style>'
            '<img src="../_images/c.png" alt="chart"><script>alert(1)</script><p>texto</p>'
            '</article><footer>f</footer></body></html>')
    bare = page_weight.bare_copy(page)
    assert '<html lang="es">' in bare and "<title>T &amp; t</title>" in bare
    assert '<img src="../_images/c.png" alt="chart">' in bare and "<p>texto</p>" in bare
    for gone in ("<script", "<style", "a.css", "menu", "<footer"):
        assert gone not in bare, gone
    with pytest.raises(ValueError):
        page_weight.bare_copy("<html><body><p>no article</p></body></html>")


def test_server_gzips_text_as_github_pages_does(tmp_path):
    (tmp_path / "p.html").write_text('<article class="bd-article"><p>' + "x" * 5000
                                     + "</p></article>")
    (tmp_path / "i.png").write_bytes(b"\x89PNG" + bytes(5000))
    with page_weight.GzipServer(tmp_path) as server:
        def get(path, gz=True):
            request = urllib.request.Request(server.base + path,
                                             headers={"Accept-Encoding": "gzip"} if gz else {})
            with urllib.request.urlopen(request) as response:
                return response.headers.get("Content-Encoding"), response.read()
        encoding, body = get("p.html")
        assert encoding == "gzip" and len(body) < 200 and b"x" * 5000 in gzip.decompress(body)
        assert get("p.html", gz=False) == (None, (tmp_path / "p.html").read_bytes())
        encoding, body = get("i.png")
        assert encoding is None and len(body) == 5004
        encoding, body = get("p.html?bare")
        assert b"<article" in gzip.decompress(body) and b"<!DOCTYPE html>" in gzip.decompress(body)
