"""The built book in a real browser (Debian's chromium through Playwright), page by page.

Pages come from _toc.yml (plus Sphinx's search and index pages), so the tests grow with the book.
Each page is loaded once at phone size (390x844) on a local server on 127.0.0.1; every request
that would leave 127.0.0.1 is recorded and aborted.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from book_browser import DESKTOP, PHONE, book_pages, close_page, open_page
from conftest import REPO, edition_pages, toc_files

pytestmark = pytest.mark.browser

#: Every page of both editions (English, then Spanish under es/).
PAGES = edition_pages()
NOTEBOOK_DOCS = [doc for doc in toc_files() if (REPO / f"{doc}.ipynb").is_file()]
EXPLORER = "chapters/explorer"
KEY_WEST_CHAPTER = "chapters/key-west"

# Alt text that is really a file name or path (what a plain matplotlib output gets by default).
FILE_LIKE_ALT = re.compile(r"(^|[\\/])[\w.\-]+\.(png|jpe?g|gif|svg|webp)$|^[\w\-]+/[\w./\-]+$", re.I)

IMAGES_JS = """
() => Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src,
  alt: img.getAttribute('alt'),
  complete: img.complete,
  width: img.naturalWidth,
}))
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


def test_the_page_list_covers_the_build(built_book):
    """Every HTML page in the build is one the tests below visit (nothing slips past them)."""
    assert sorted(book_pages(built_book)) == sorted(PAGES)


@pytest.fixture(scope="module")
def phone_visits(book_server, chromium_browser):
    """Each page loaded once at 390x844: (Visit, images, overflow) by page path."""
    cache = {}

    def visit(page_path):
        if page_path not in cache:
            page, record = open_page(chromium_browser, book_server.base + page_path, viewport=PHONE)
            try:
                cache[page_path] = (record, page.evaluate(IMAGES_JS), page.evaluate(OVERFLOW_JS))
            finally:
                close_page(page)
        return cache[page_path]

    return visit


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_from_127_0_0_1_only(phone_visits, page_path):
    record, _images, _overflow = phone_visits(page_path)
    problems = record.problems()
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page_path", PAGES)
def test_every_image_loads_and_has_real_alt_text(phone_visits, page_path):
    _record, images, _overflow = phone_visits(page_path)
    bad = []
    for img in images:
        name = img["src"][:80]
        alt = (img["alt"] or "").strip()
        if not img["complete"] or img["width"] == 0:
            bad.append(f"did not load: {name}")
        if not alt:
            bad.append(f"no alt text: {name}")
        elif FILE_LIKE_ALT.search(alt) or len(alt) < 8:
            bad.append(f"alt text is not a description ({alt!r}): {name}")
    assert not bad, f"{page_path}:\n" + "\n".join(bad)


@pytest.mark.parametrize("page_path", PAGES)
def test_no_horizontal_overflow_on_a_phone(phone_visits, page_path):
    _record, _images, overflow = phone_visits(page_path)
    assert overflow["scrollWidth"] <= overflow["clientWidth"], (
        f"{page_path} is {overflow['scrollWidth']} px wide in a {overflow['clientWidth']} px "
        f"viewport; widest elements: {overflow['wide']}"
    )


# ---------------------------------------------------------------------------------------------
# The explorer: a Dropdown jslink-ed to a Stack of pre-rendered views works without a kernel.

VISIBLE_VIEW_JS = """
(root) => {
  const parts = [];
  for (const el of root.querySelectorAll('.jupyter-widgets *')) {
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    if (el.tagName === 'IMG') parts.push('img:' + (el.getAttribute('alt') || '') + ':' + el.src.length + ':' + el.src.slice(-40));
    else if (el.children.length === 0 && el.textContent.trim()) parts.push(el.textContent.trim());
  }
  return parts.join('\\n');
}
"""


def test_explorer_controls_change_the_view_without_a_kernel(book_server, chromium_browser):
    assert (REPO / f"{EXPLORER}.ipynb").is_file(), "the book has no explorer notebook"
    page, record = open_page(chromium_browser, book_server.base + f"{EXPLORER}.html", viewport=DESKTOP)
    try:
        selects = page.locator(".jupyter-widgets select")
        assert selects.count() >= 1, "the explorer shows no drop-down control"
        article = page.locator("article").first.element_handle()
        changed = []
        for i in range(selects.count()):
            select = selects.nth(i)
            assert select.is_visible(), f"drop-down {i} is not visible"
            options = select.locator("option").all_inner_texts()
            assert len(options) >= 2, f"drop-down {i} offers {options}"
            first = select.input_value()
            before = page.evaluate(VISIBLE_VIEW_JS, article)
            values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
            other = next(v for v in values if v != first)
            select.select_option(other)
            page.wait_for_timeout(300)
            after = page.evaluate(VISIBLE_VIEW_JS, article)
            changed.append(after != before)
            select.select_option(first)
            page.wait_for_timeout(300)
            assert page.evaluate(VISIBLE_VIEW_JS, article) == before, (
                f"choosing drop-down {i}'s first option again does not bring its view back"
            )
        assert any(changed), "choosing another option in the explorer changes nothing visible"
        assert all(changed), f"some drop-downs change nothing visible: {changed}"
        # No kernel: nothing was requested from anywhere but the local server, no errors.
        assert not record.problems(), "\n".join(record.problems())
        assert not any("/api/kernels" in r for r in record.failed_requests)
    finally:
        close_page(page)


# ---------------------------------------------------------------------------------------------
# The book's own search page.

@pytest.mark.parametrize("edition", ["", "es/"], ids=["en", "es"])
def test_search_finds_the_key_west_chapter(book_server, chromium_browser, edition):
    """As a reader does it: the search box on the home page, then the book's search page (each
    edition searches its own index)."""
    page, record = open_page(chromium_browser, book_server.base + edition + "index.html",
                             viewport=DESKTOP)
    try:
        page.locator(".search-button-field:visible").first.click()
        box = page.locator("#pst-search-dialog input[name=q]")
        box.fill("Key West")
        box.press("Enter")
        page.wait_for_url("**/search.html?q=Key+West*", timeout=15_000)
        page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
        hrefs = page.locator("#search-results ul.search li a").evaluate_all(
            "as => as.map(a => a.getAttribute('href'))"
        )
        paths = [urlsplit(h).path for h in hrefs]
        assert f"{KEY_WEST_CHAPTER}.html" in paths, f"results for 'Key West': {paths}"
        assert page.url.startswith(book_server.base + edition + "search.html"), page.url
        assert not record.problems(), "\n".join(record.problems())
    finally:
        close_page(page)


# ---------------------------------------------------------------------------------------------
# Binder launch links on notebook pages.

def test_there_are_notebook_pages():
    assert NOTEBOOK_DOCS, "_toc.yml lists no notebooks"


@pytest.mark.parametrize("doc", NOTEBOOK_DOCS)
def test_notebook_page_launches_binder_with_its_path(book_server, chromium_browser, doc):
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    owner, repo = urlsplit(cfg["repository"]["url"]).path.strip("/").split("/")
    branch = cfg["repository"]["branch"]
    page, _record = open_page(
        chromium_browser, book_server.base + f"{doc}.html", viewport=DESKTOP, wait_widgets=False
    )
    try:
        hrefs = page.locator('a[href*="mybinder.org"]').evaluate_all(
            "as => as.map(a => a.href)"
        )
    finally:
        close_page(page)
    assert hrefs, f"{doc}.html has no Binder launch link"
    for href in hrefs:
        parts = urlsplit(href)
        assert (parts.scheme, parts.netloc) == ("https", "mybinder.org"), href
        assert parts.path == f"/v2/gh/{owner}/{repo}/{branch}", href
        urlpath = parse_qs(parts.query).get("urlpath")
        assert urlpath, f"{href} has no urlpath"
        assert urlpath[0].endswith(f"/{doc}.ipynb"), f"{href} does not open {doc}.ipynb"


# ---------------------------------------------------------------------------------------------
# Footer: reuse terms and a way to report an error, on every page.

@pytest.mark.parametrize("page_path", PAGES)
def test_footer_states_licence_and_links_to_corrections(built_book, page_path):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((built_book / page_path).read_text(encoding="utf-8"), "html.parser")
    footer = soup.select_one(".book-footer")
    assert footer is not None, f"{page_path} has no book footer"
    licence = footer.select_one('a[rel~="license"]')
    assert licence and licence["href"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "CC BY 4.0" in licence.get_text()
    report = footer.select_one("a.report-error")
    assert report is not None, f"{page_path} has no 'report an error' link"
    target = urlsplit(report["href"])
    # On the corrections page itself the link is just "#<anchor>".
    target_file = (built_book / page_path).parent / target.path if target.path else built_book / page_path
    assert target_file.resolve().is_file(), f"{page_path}: {report['href']} does not resolve"
    assert target.fragment, f"{page_path}: the report link does not point at the corrections policy's section"
    target_soup = BeautifulSoup(target_file.read_text(encoding="utf-8"), "html.parser")
    anchor = target_soup.find(id=target.fragment)
    assert anchor is not None, f"{report['href']}: no element with id {target.fragment!r}"
    # A MyST label renders as the section's id or as a <span id> at the start of the section.
    sections = [anchor] if anchor.name == "section" else [anchor.find_parent("section"), anchor.find_next("section")]
    headings = [s.find(re.compile("^h[1-6]$")) for s in sections if s is not None]
    assert any(h and ("correction" in h.get_text().lower() or "correcci" in h.get_text().lower())
               for h in headings), (
        f"{report['href']} does not lead to a corrections section"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_page_has_a_favicon_and_a_language(built_book, page_path):
    from bs4 import BeautifulSoup

    page = built_book / page_path
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    icon = soup.select_one('link[rel~="icon"]')
    assert icon is not None, f"{page_path} names no favicon (browsers then request /favicon.ico: a 404)"
    assert (page.parent / urlsplit(icon["href"]).path).resolve().is_file(), f"{page_path}: {icon['href']} is missing"
    lang = "es" if page_path.startswith("es/") else "en"
    assert soup.html.get("lang") == lang, f"{page_path} does not declare its language ({lang})"
    assert soup.title and soup.title.get_text(strip=True), f"{page_path} has no <title>"


# ---------------------------------------------------------------------------------------------
# Reader mode, every state in the explorer, the maps, the landing page's way to the lookup.

CODE_STATE_JS = """
() => Array.from(document.querySelectorAll('article div.cell')).filter(c => c.querySelector('.cell_input'))
  .map(c => ({visible: c.querySelector('.cell_input').checkVisibility(),
              toggle: (c.querySelector('details.above-input > summary') || {}).innerText || ''}))
"""


@pytest.mark.parametrize("doc", NOTEBOOK_DOCS)
def test_data_pages_open_with_code_collapsed_behind_a_visible_control(book_server, chromium_browser, doc):
    page, _record = open_page(chromium_browser, book_server.base + f"{doc}.html", viewport=PHONE)
    try:
        cells = page.evaluate(CODE_STATE_JS)
        assert cells, f"{doc}.html shows no code cell at all"
        shown = [c for c in cells if c["visible"]]
        assert not shown, f"{doc}.html opens with {len(shown)} code cells expanded"
        assert all("Show code cell source" in c["toggle"] for c in cells), cells
        # The control works: a click shows that cell's code.
        summary = page.locator("article details.above-input > summary").first
        assert summary.is_visible()
        summary.click()
        assert page.locator("article details.above-input").first.locator(".cell_input").is_visible()
    finally:
        close_page(page)


def test_the_explorer_offers_every_state(book_server, chromium_browser):
    import csv

    with (REPO / "data" / "processed" / "agreements.csv").open(newline="", encoding="utf-8") as fh:
        states = sorted({r["state"] for r in csv.DictReader(fh) if r["state"]})
    page, record = open_page(chromium_browser, book_server.base + f"{EXPLORER}.html", viewport=PHONE)
    try:
        select = page.locator(".jupyter-widgets select").first
        # The widget manager writes option labels with non-breaking spaces.
        options = [o.replace("\xa0", " ") for o in select.locator("option").all_inner_texts()]
        assert options[0] == "All states" and options[1:] == states
        assert "Ohio" in options
        ohio = select.locator("option").nth(options.index("Ohio")).get_attribute("value")
        select.select_option(ohio)
        page.wait_for_timeout(300)
        article = page.locator("article").first.element_handle()
        visible = page.evaluate(VISIBLE_VIEW_JS, article)
        assert "Ohio: " in visible and "agreement" in visible
        assert "img:Line chart of 287(g) agreements in Ohio" in visible
        assert not record.problems(), "\n".join(record.problems())
    finally:
        close_page(page)


@pytest.mark.parametrize("edition, starts, words", [
    ("", ("Map of", "Two maps of"), ("Florida", "Monroe County", "January 20, 2025")),
    ("es/", ("Mapa de", "Dos mapas de"), ("Florida", "condado de Monroe", "20 de enero de 2025")),
], ids=["en", "es"])
def test_maps_render_with_alt_text_stating_the_finding(phone_visits, edition, starts, words):
    record, images, _overflow = phone_visits(edition + "chapters/maps.html")
    maps_ = [img for img in images if (img["alt"] or "").startswith(starts)]
    assert len(maps_) >= 4, [img["alt"][:60] for img in images]
    for img in maps_:
        assert img["complete"] and img["width"] >= 500, img["src"][:60]
        assert re.search(r"\d", img["alt"]), f"the alt text states no number: {img['alt']}"
    alts = " ".join(img["alt"] for img in maps_)
    for word in words:
        assert word in alts, f"{word!r} not in the maps' alt text"
    assert not record.problems()


def test_landing_page_links_to_find_an_agency(built_book):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((built_book / "index.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article")
    hrefs = [a.get("href", "") for a in article.select("a")]
    assert any(h.split("#")[0] == "chapters/find-an-agency.html" for h in hrefs), hrefs
