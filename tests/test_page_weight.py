"""Page weight on the wire (issue 22), counted as benchmarks/page_weight.py counts it.

Every page of both editions is loaded in chromium from the benchmark's gzip server (as GitHub
Pages serves the book), in a fresh context (empty cache) at 390 x 844, and the bytes the
network carried are added up (compressed, headers included): in the session's one phone
visit of the page (tests/book_browser.py's ``page_checks``, which the accessibility and
browser checks of that page use too). Budgets: 200 kB a page, 500 kB for the explorer; a page
whose bare article is itself over 150 kB may weigh it plus 150 kB (the bare copy is loaded
only for a page over its plain budget: under it, the allowance cannot matter).
Bytes do not change from run to run and need no emulated slow network; times (LCP) stay in
the benchmark.
"""

from __future__ import annotations

import gzip
import re
import sys
import urllib.request
from urllib.parse import urlsplit

import pytest

from conftest import REPO, edition_pages

sys.path.insert(0, str(REPO / "benchmarks"))
import page_weight  # noqa: E402

PAGES = edition_pages()


@pytest.mark.browser
@pytest.mark.parametrize("page_path", PAGES)
def test_page_within_its_byte_budget_on_the_wire(page_checks, page_path):
    load = page_checks(page_path, "phone").wire
    assert not load.failed and not load.outside, f"{page_path}: {load.failed} {load.outside}"
    assert load.requests >= 1 and load.wire > 0, f"{page_path}: nothing measured"
    budget = page_weight.budget(page_path)
    bare = None
    if load.wire > budget:  # its own article may lift the budget: weigh the bare copy
        bare = page_checks.bare_wire(page_path)
        assert bare.requests >= 1 and bare.wire > 0 and not bare.failed, f"{page_path}?bare: {bare.failed}"
        budget = page_weight.budget(page_path, bare.wire)
    assert load.wire <= budget, (
        f"{page_path}: {load.wire:,d} bytes on the wire in {load.requests} requests (budget "
        f"{budget:,d}; its bare article {f'{bare.wire:,d}' if bare else 'not weighed'}); "
        f"by kind: {load.by_type}")


@pytest.mark.browser
@pytest.mark.parametrize("page_path", PAGES)
def test_page_downloads_no_web_font_nor_the_search_index(page_checks, page_path):
    load = page_checks(page_path, "phone").wire
    assert load.requests >= 1, f"{page_path}: nothing measured"
    assert "Font" not in load.by_type, f"{page_path} downloads fonts: {load.by_type}"
    if not page_path.endswith("search.html"):
        search = [u for u in load.urls if "searchindex.js" in u or "searchtools" in u]
        assert not search, f"{page_path} loads the search scripts: {search}"


@pytest.mark.browser
@pytest.mark.parametrize("page_path", PAGES)
def test_a_phone_fetches_each_chart_once_in_its_size(built_book, page_checks, page_path):
    """On a phone of one device pixel per CSS px, every chart a page fetches from _images/ is
    fetched once, and as its half-width copy where the build has one: a preload of the first
    chart (_ext/responsive_images.py) that chose another size than the <img> would download
    the chart twice; one placed before the viewport's <meta> chose the full PNG."""
    urls = [u.split("?")[0] for u in page_checks(page_path, "phone").wire.urls if "/_images/" in u]
    twice = sorted({u for u in urls if urls.count(u) > 1})
    assert not twice, f"{page_path} fetches these twice: {twice}"
    full = [u for u in urls if not u.endswith(".half.png") and u.endswith(".png")
            and (built_book / urlsplit(u).path.lstrip("/")).with_suffix(".half.png").is_file()]
    assert not full, f"{page_path} fetches full-width charts on a phone: {full}"


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


#: A script with a src and neither defer, async nor type="module" stops the parser until it has
#: arrived and run, and holds the first paint; a linked stylesheet holds it for one more round
#: trip. Every stylesheet is in the page's <style> (the site's, the generated pages', Find an
#: agency's own: _ext/inline_css.py, ice287g/templates/pages.css).
BLOCKING_SCRIPT = re.compile(
    r"<script\b(?![^>]*\b(?:defer|async)\b)(?![^>]*\btype=[\"']?module)[^>]*\bsrc=[^>]*>", re.I)
STYLESHEET = re.compile(r"<link\b(?=[^>]*\brel=[\"']?stylesheet)[^>]*>", re.I)


def test_blocking_resource_patterns_catch_what_they_should():
    assert BLOCKING_SCRIPT.search('<script src="_static/searchtools.js"></script>')
    assert BLOCKING_SCRIPT.search('<script data-x="1" src="a.js">')
    for fine in ('<script defer="defer" src="a.js">', '<script defer src="a.js">',
                 '<script async src="a.js">', '<script type="module" src="a.js">',
                 "<script>let x = 'src=';</script>"):
        assert not BLOCKING_SCRIPT.search(fine), fine
    assert STYLESHEET.search('<link rel="stylesheet" href="../_static/pages/pages.css">')
    assert not STYLESHEET.search('<link rel="icon" href="favicon.svg">')


def test_no_page_holds_its_first_paint_for_a_script_or_a_stylesheet(built_book):
    """Every page of both editions (the generated state and agency pages by the benchmark's
    sample: one template each) loads no script that blocks the parser and links no stylesheet. The search page's scripts blocked its first paint for 0.6 s on a slow phone;
    the state pages' linked stylesheet held the paint of their long tables."""
    pages = page_weight.default_pages(built_book)
    assert any(p.startswith("states/") for p in pages) and "search.html" in pages, pages
    found = []
    for page in pages:
        text = (built_book / page).read_text(encoding="utf-8")
        found += [f"{page}: {m.group(0)}" for m in BLOCKING_SCRIPT.finditer(text)]
        found += [f"{page}: {m.group(0)}" for m in STYLESHEET.finditer(text)]
    assert not found, "render-blocking:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("server", ["book", "gzip"])
def test_a_dropped_connection_prints_no_traceback(tmp_path, capfd, server):
    """A browser that drops a connection mid-response (a page left, an image no longer wanted)
    is routine: the test servers (tests/book_browser.BookServer, the benchmark's GzipServer)
    say nothing; the run's log had BrokenPipeError tracebacks from them."""
    import socket
    import time

    from book_browser import BookServer

    (tmp_path / "big.png").write_bytes(b"\x89PNG" + bytes(8_000_000))
    make = BookServer if server == "book" else page_weight.GzipServer
    with make(tmp_path) as served:
        host, port = served.base.split("//")[1].strip("/").split(":")
        for _ in range(3):
            with socket.create_connection((host, int(port))) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.sendall(b"GET /big.png HTTP/1.1\r\nHost: x\r\n\r\n")
                sock.recv(1024)  # the response has begun; leave in the middle of it
        time.sleep(0.5)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err
