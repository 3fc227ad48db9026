"""The built book in a real browser (Debian's chromium through Playwright), page by page.

Pages come from _toc.yml (plus Sphinx's search and index pages), so the tests grow with the book.
Each page is loaded once per view on a local server on 127.0.0.1 (tests/book_browser.py's
``page_checks``: phone size 390x844 and desktop; tests/test_a11y.py runs axe in the same visits);
every request that would leave 127.0.0.1 is recorded and aborted.
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

#: Folders of pages made beside the book's (one per state and per agency, issue 26, from one
#: template each): tests/test_state_pages.py and tests/test_agency_pages.py read every one of
#: them (links, escaping, counts, Spanish) and open Florida and an agency in chromium.
GENERATED_FOLDERS = {"states", "agencies"}


def test_the_page_list_covers_the_build(built_book):
    """Every HTML page in the build is one the tests below visit (nothing slips past them),
    or one of the generated pages, which have their own tests; there are some of those."""
    found = book_pages(built_book)
    generated = [p for p in found if len(p.split("/")) > 1 and p.split("/")[-2] in GENERATED_FOLDERS]
    assert sorted(set(found) - set(generated)) == sorted(PAGES)
    assert any(p.startswith("states/") for p in generated) and any(
        p.startswith("es/agencies/") for p in generated)


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_from_127_0_0_1_only(page_checks, page_path):
    problems = page_checks(page_path, "phone").visit.problems()
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page_path", PAGES)
def test_every_image_loads_and_has_real_alt_text(page_checks, page_path):
    images = page_checks(page_path, "phone").images
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
def test_no_horizontal_overflow_on_a_phone(page_checks, page_path):
    overflow = page_checks(page_path, "phone").overflow
    assert overflow["scrollWidth"] <= overflow["clientWidth"], (
        f"{page_path} is {overflow['scrollWidth']} px wide in a {overflow['clientWidth']} px "
        f"viewport; widest elements: {overflow['wide']}"
    )


# ---------------------------------------------------------------------------------------------
# The explorer: a drop-down per panel shows pre-rendered views without a kernel.

VISIBLE_VIEW_JS = """
(root) => {
  const parts = [];
  for (const el of root.querySelectorAll('.ice287g-explorer *')) {
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
        selects = page.locator(".ice287g-explorer select")
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
            page.wait_for_function("() => !document.querySelector('.ice287g-explorer [aria-busy]')")
            after = page.evaluate(VISIBLE_VIEW_JS, article)
            changed.append(after != before)
            select.select_option(first)
            page.wait_for_function("() => !document.querySelector('.ice287g-explorer [aria-busy]')")
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
def test_notebook_page_launches_binder_with_its_path(page_checks, doc):
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    owner, repo = urlsplit(cfg["repository"]["url"]).path.strip("/").split("/")
    branch = cfg["repository"]["branch"]
    hrefs = page_checks(f"{doc}.html", "desktop").binder_links
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

@pytest.mark.parametrize("doc", NOTEBOOK_DOCS)
def test_data_pages_open_with_code_collapsed_behind_a_visible_control(page_checks, doc):
    found = page_checks(f"{doc}.html", "phone")
    cells = found.code_cells
    assert cells, f"{doc}.html shows no code cell at all"
    shown = [c for c in cells if c["visible"]]
    assert not shown, f"{doc}.html opens with {len(shown)} code cells expanded"
    assert all("Show code cell source" in c["toggle"] for c in cells), cells
    # The control works: a click shows that cell's code.
    assert found.toggle_visible, f"{doc}.html: the first 'Show code cell source' is not visible"
    assert found.toggle_opens, f"{doc}.html: a click on 'Show code cell source' shows no code"


def test_the_explorer_offers_every_state(book_server, chromium_browser):
    import csv

    with (REPO / "data" / "processed" / "agreements.csv").open(newline="", encoding="utf-8") as fh:
        states = sorted({r["state"] for r in csv.DictReader(fh) if r["state"]})
    page, record = open_page(chromium_browser, book_server.base + f"{EXPLORER}.html", viewport=PHONE)
    try:
        select = page.locator(".ice287g-explorer select").first
        options = [o.replace("\xa0", " ") for o in select.locator("option").all_inner_texts()]
        assert options[0] == "All states" and options[1:] == states
        assert "Ohio" in options
        ohio = select.locator("option").nth(options.index("Ohio")).get_attribute("value")
        select.select_option(ohio)
        page.wait_for_function("() => document.querySelector('#ice287g-explorer-state-view img')"
                               ".alt.includes('Ohio')")
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
def test_maps_render_with_alt_text_stating_the_finding(page_checks, edition, starts, words):
    found = page_checks(edition + "chapters/maps.html", "phone")
    record, images = found.visit, found.images
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
