"""The explorer's and the maps' pages in the built book (issues 21, 22, 24): what their first
load carries (bytes), and a reader in chromium choosing views, sharing and opening a link, from
http and from file://; the maps as image files that load when the reader scrolls to them."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from book_browser import DESKTOP, PHONE, close_page, new_tab, open_page
from ice287g import explorer

EDITIONS = {"en": "", "es": "es/"}
EXPLORER = "chapters/explorer.html"
MAPS = "chapters/maps.html"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.scripts, self.selects = [], [], {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "select":
            self._select = a.get("data-panel")
            self.selects[self._select] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append(a.get("value"))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


# ------------------------------------------------------------------------- bytes
#: The site stylesheet every page carries inline (_ext/inline_css.py).
INLINE_STYLE = re.compile(r'<style id="book-site-css">.*?</style>', re.S)


@pytest.mark.parametrize("edition", EDITIONS)
def test_explorer_first_load_has_no_widget_manager_and_one_view_per_panel(built_book, edition):
    path = built_book / EDITIONS[edition] / EXPLORER
    text = path.read_text(encoding="utf-8")
    page = parse(path)
    srcs = [s.get("src", "") for s in page.scripts]
    assert not [s for s in srcs if "widgets/" in s], f"the widget manager is loaded: {srcs}"
    assert not [s for s in page.scripts if s.get("type") == WIDGET_STATE], "widget state embedded"
    assert f'id="{explorer.VIEWS_ID}"' not in text, "every view is still in the page"
    assert text.count('class="ice287g-explorer-view"') == 3
    assert set(page.selects) == set(explorer.URL_KEYS.values())
    assert len(page.selects["state"]) > 40  # every state with an agreement on any list
    # Every option but each panel's first is a file beside the page, and only those.
    folder = path.parent / explorer.VIEWS_DIR
    expected = {f"{panel}-{value}.js" for panel, values in page.selects.items()
                for value in values[1:]}
    assert {p.name for p in folder.glob("*.js")} == expected
    first_titles = re.findall(r'<p style="font-weight:bold[^"]*">([^<]+)</p>', text)
    assert len(first_titles) == 3
    florida = (folder / "state-florida.js").read_text(encoding="utf-8")
    key, view = json.loads("[" + florida[len(explorer.CALLBACK) + 1:-3] + "]")
    assert key == "state-florida" and "Florida" in view and "<img alt=" in view
    assert "Florida" not in " ".join(first_titles)
    # The views' data is in files, not the first load: the page (without the site stylesheet
    # every page carries inline, _ext/inline_css.py) is a fraction of them.
    views_bytes = sum(p.stat().st_size for p in folder.glob("*.js"))
    own = INLINE_STYLE.sub("", text).encode()
    assert len(own) < views_bytes / 4, (len(own), views_bytes)


@pytest.mark.parametrize("edition", EDITIONS)
def test_maps_are_image_files_lazy_after_the_first(built_book, edition):
    path = built_book / EDITIONS[edition] / MAPS
    text = path.read_text(encoding="utf-8")
    # (The inlined site stylesheet draws its icons as data: SVG; no map image is inlined.)
    assert "data:image" not in INLINE_STYLE.sub("", text), "the maps page inlines an image"
    maps_ = [img for img in parse(path).imgs
             if (img.get("alt") or "").startswith(("Map of", "Two maps of", "Mapa de",
                                                    "Dos mapas de"))]
    assert len(maps_) == 4, [img.get("alt", "")[:40] for img in parse(path).imgs]
    for img in maps_:
        target = (path.parent / img["src"]).resolve()
        assert target.is_file() and target.suffix == ".png", img["src"]
        # Shown at its own width (charts.show's), shrunk to the column on a phone.
        assert int(re.search(r"width: (\d+)px", img["style"]).group(1)) > 300
    # The first map is near the top of the page; the others load as the reader scrolls.
    assert maps_[0].get("loading") != "lazy", "the first map is lazy"
    assert [img.get("loading") for img in maps_[1:]] == ["lazy"] * 3


# ------------------------------------------------------------------------- a reader
def _view_title(page, panel: str) -> str:
    return page.locator(f"#ice287g-explorer-{panel}-view p").first.inner_text()


def _requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_state_view_links_its_state_page(built_book, edition):
    """Each state's view (a file of explorer-views/) links that state's page, which exists in
    the same edition; the first view links the maps page's index of them, which is there."""
    folder = built_book / EDITIONS[edition] / "chapters"
    found = {}
    for path in sorted((folder / explorer.VIEWS_DIR).glob("state-*.js")):
        call = re.fullmatch(rf'{explorer.CALLBACK}\(("[^"]*"),(".*")\);\s*',
                            path.read_text(encoding="utf-8"), re.S)
        hrefs = re.findall(r'class="ice287g-explorer-page"[^>]*><a href="([^"]+)"',
                           json.loads(call.group(2)))
        assert len(hrefs) == 1, f"{path.name}: {hrefs}"
        found[path.stem.removeprefix("state-")] = hrefs[0]
    assert len(found) >= 40
    for key, href in found.items():
        target = (folder / href).resolve()
        assert target.is_file() and target.parent == (built_book / EDITIONS[edition] / "states").resolve(), href
        assert target.stem == key, f"the view of {key} links {href}"
    first = (folder / "explorer.html").read_text(encoding="utf-8")
    index = re.findall(r'class="ice287g-explorer-page"[^>]*><a href="([^"]+)"', first)
    assert index == ["maps.html#state-pages"]
    assert 'id="state-pages"' in (folder / "maps.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("edition", EDITIONS)
def test_choosing_a_state_loads_its_view_and_the_link_restores_it(book_server, chromium_browser,
                                                                   edition):
    url = book_server.base + EDITIONS[edition] + EXPLORER
    responses: list = []
    page, record = open_page(chromium_browser, url, viewport=PHONE, responses=responses)
    try:
        loaded = [r.url for r in responses]
        assert not [u for u in loaded if "/widgets/" in u or f"/{explorer.VIEWS_DIR}/" in u], \
            "the first load fetched the widget manager or a view"
        select = page.locator("#ice287g-explorer-state")
        first = _view_title(page, "state")
        # "All states" links the index of every state's page on the maps page.
        index = page.locator("#ice287g-explorer-state-view p.ice287g-explorer-page a")
        assert index.evaluate("a => a.href") == book_server.base + EDITIONS[edition] + \
            "chapters/maps.html#state-pages"
        florida = select.locator("option[value='florida']").inner_text()
        asked = _requests(page)
        select.select_option("florida")
        page.wait_for_function(
            "() => document.querySelector('#ice287g-explorer-state-view p').textContent"
            ".startsWith('Florida')")
        assert [u for u in asked if u.endswith(f"/{explorer.VIEWS_DIR}/state-florida.js")]
        assert _view_title(page, "state").startswith(florida) and first != florida
        alt = page.locator("#ice287g-explorer-state-view img").get_attribute("alt")
        assert "Florida" in alt and page.locator("#ice287g-explorer-state-view table caption").count()
        # The state's view links the state's own page, in the same edition.
        own = page.locator("#ice287g-explorer-state-view p.ice287g-explorer-page a")
        assert own.evaluate("a => a.href") == book_server.base + EDITIONS[edition] + \
            "states/florida.html"
        assert "Florida" in own.inner_text()
        # Another panel too; the address keeps both choices.
        page.locator("#ice287g-explorer-agency").select_option("county")
        page.wait_for_function("() => !document.querySelector('#ice287g-explorer-agency-view')"
                               ".hasAttribute('aria-busy')")
        agency = _view_title(page, "agency")
        link = page.url
        assert urlsplit(link).fragment == "state=florida&agency=county", link
        # Back to the first option: its view comes back, and leaves the address.
        select.select_option(index=0)
        assert _view_title(page, "state") == first
        assert urlsplit(page.url).fragment == "agency=county"
        assert not record.problems(), "\n".join(record.problems())
    finally:
        close_page(page)
    # The shared link, opened in a fresh browser, shows the same views.
    page, record = open_page(chromium_browser, link, viewport=DESKTOP)
    try:
        page.wait_for_function(
            "() => document.querySelector('#ice287g-explorer-state-view p').textContent"
            ".startsWith('Florida') && !document.querySelector('#ice287g-explorer-agency-view')"
            ".hasAttribute('aria-busy')")
        assert page.locator("#ice287g-explorer-state").input_value() == "florida"
        assert page.locator("#ice287g-explorer-agency").input_value() == "county"
        assert _view_title(page, "agency") == agency
        assert page.locator("#ice287g-explorer-support").input_value() == \
            page.locator("#ice287g-explorer-support option").first.get_attribute("value")
        assert not record.problems(), "\n".join(record.problems())
    finally:
        close_page(page)


def test_an_unknown_view_in_a_link_leaves_the_first_view(book_server, chromium_browser):
    page, record = open_page(chromium_browser, book_server.base + EXPLORER + "#state=atlantis",
                             viewport=DESKTOP)
    try:
        assert page.locator("#ice287g-explorer-state").input_value() == "all"
        assert _view_title(page, "state").startswith("All states")
        assert not record.problems(), "\n".join(record.problems())
    finally:
        close_page(page)


def test_the_explorer_works_with_the_keyboard(book_server, chromium_browser):
    page, record = open_page(chromium_browser, book_server.base + EXPLORER, viewport=DESKTOP)
    try:
        first = _view_title(page, "support")
        page.locator("#ice287g-explorer-support").focus()
        page.keyboard.press("ArrowDown")
        page.wait_for_function("() => !document.querySelector('#ice287g-explorer-support-view')"
                               ".hasAttribute('aria-busy')")
        second = page.locator("#ice287g-explorer-support option").nth(1)
        assert page.locator("#ice287g-explorer-support").input_value() == \
            second.get_attribute("value")
        assert _view_title(page, "support") != first
        assert _view_title(page, "support").startswith(second.inner_text())
        assert "support=" in urlsplit(page.url).fragment
    finally:
        close_page(page)


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_explorer_works_from_file(built_book, chromium_browser, edition):
    """Opened from the disk (file://, no server): a view's file loads as a script."""
    path = built_book / EDITIONS[edition] / EXPLORER
    page = new_tab(chromium_browser, PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(path.as_uri() + "#support=task-force-model", wait_until="load")
        page.wait_for_function("() => !document.querySelector('#ice287g-explorer-support-view')"
                               ".hasAttribute('aria-busy')")
        label = page.locator("#ice287g-explorer-support option[value='task-force-model']")
        assert _view_title(page, "support").startswith(label.inner_text())
        page.locator("#ice287g-explorer-state").select_option("texas")
        page.wait_for_function(
            "() => document.querySelector('#ice287g-explorer-state-view img')"
            ".alt.includes('Texas')")
        assert "state=texas" in urlsplit(page.url).fragment
        assert not errors, errors
    finally:
        close_page(page)


@pytest.mark.parametrize("edition", EDITIONS)
def test_maps_below_the_first_screen_load_when_the_reader_scrolls(book_server, chromium_browser,
                                                                  edition):
    responses: list = []
    page, record = open_page(chromium_browser, book_server.base + EDITIONS[edition] + MAPS,
                             viewport=PHONE, responses=responses)
    try:
        pngs = page.locator("article img").evaluate_all(
            "imgs => imgs.map(i => new URL(i.getAttribute('src'), location.href).href)")
        assert len(pngs) >= 4
        fetched = {r.url for r in responses}
        last = pngs[-1]
        assert pngs[0] in fetched, "the first map did not load"
        assert last not in fetched, "the last map loaded before the reader scrolled to it"
        page.locator("article img").last.scroll_into_view_if_needed()
        page.wait_for_function("() => Array.from(document.querySelectorAll('article img'))"
                               ".every(i => i.complete && i.naturalWidth > 0)")
        assert not record.problems(), "\n".join(record.problems())
    finally:
        close_page(page)
