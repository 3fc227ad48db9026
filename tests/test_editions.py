"""The two editions of the built book (issue 14): English at the root, Spanish under es/.

Every English page has its Spanish page and each links to the other (the visible switch and
hreflang); the Spanish pages say lang="es" and have their own search index; every value glued
in English is glued in Spanish too, with the same numbers; and no Spanish chart carries English
text, judged from the words each chart's PNG records (ice287g.charts.png_texts) and from alt text.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import EDITION_PREFIXES, REPO, edition_pages

sys.path.insert(0, str(REPO / "tools"))
import editions  # noqa: E402

pytestmark = pytest.mark.book

EN_PAGES = edition_pages(["en"])
ES = EDITION_PREFIXES["es"]


class _Page(HTMLParser):
    """The bits of a page these tests read."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.alternates: dict[str, str] = {}
        self.switch: list[tuple[str, str, str]] = []  # (hreflang, href, text)
        self.images: list[tuple[str, str | None]] = []  # (src, alt)
        self._in_switch: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "link" and a.get("rel") == "alternate" and a.get("hreflang"):
            self.alternates[a["hreflang"]] = a.get("href", "")
        elif tag == "a" and "edition-switch" in (a.get("class") or "").split():
            self._in_switch = {"lang": a.get("hreflang"), "href": a.get("href"), "text": ""}
        elif tag == "img":
            self.images.append((a.get("src", ""), a.get("alt")))

    def handle_data(self, data):
        if self._in_switch is not None:
            self._in_switch["text"] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._in_switch is not None:
            s = self._in_switch
            self.switch.append((s["lang"], s["href"], s["text"].strip()))
            self._in_switch = None


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def resolve(page_path: Path, href: str) -> Path:
    return (page_path.parent / href.split("#")[0]).resolve()


# ------------------------------------------------------------------------- pages and links
@pytest.mark.parametrize("page", EN_PAGES)
def test_every_page_has_its_counterpart_and_both_link_to_each_other(built_book, page):
    en_path, es_path = built_book / page, built_book / (ES + page)
    assert en_path.is_file(), f"{page} is missing from the English build"
    assert es_path.is_file(), f"{page} has no Spanish page ({ES}{page})"
    en, es = parse(en_path), parse(es_path)
    assert en.lang == "en" and es.lang == "es", (en.lang, es.lang)
    for this, path, other, other_path, other_lang in (
            (en, en_path, es, es_path, "es"), (es, es_path, en, en_path, "en")):
        switches = [s for s in this.switch if s[0] == other_lang]
        assert len(switches) == 1, f"{path}: expected one switch to {other_lang}: {this.switch}"
        lang, href, text = switches[0]
        assert resolve(path, href) == other_path.resolve(), f"{path}: switch goes to {href}"
        assert text == {"es": "Español", "en": "English"}[other_lang]
        for hreflang, target in (("en", en_path), ("es", es_path), ("x-default", en_path)):
            assert hreflang in this.alternates, f"{path}: no hreflang={hreflang} link"
            assert resolve(path, this.alternates[hreflang]) == target.resolve()


def test_the_spanish_edition_has_only_the_english_pages(built_book):
    from book_browser import book_pages

    pages = book_pages(built_book)
    es_pages = sorted(p[len(ES):] for p in pages if p.startswith(ES))
    en_pages = sorted(p for p in pages if not p.startswith(ES))
    # The book's pages, and the pages made beside them (a page per state and per agency).
    assert set(EN_PAGES) <= set(en_pages)
    assert es_pages == en_pages


def test_the_spanish_edition_has_its_own_spanish_search_index(built_book):
    en_index = (built_book / "searchindex.js").read_text(encoding="utf-8")
    es_index = (built_book / ES / "searchindex.js").read_text(encoding="utf-8")
    assert es_index != en_index
    # Page titles in the index are the Spanish ones, and Spanish words are indexed.
    assert '"titles"' in es_index
    titles = json.loads(re.search(r'"titles":\s*(\[.*?\])', es_index).group(1))
    en_titles = json.loads(re.search(r'"titles":\s*(\[.*?\])', en_index).group(1))
    assert len(titles) == len(en_titles)
    assert sum(t != e for t, e in zip(sorted(titles), sorted(en_titles))) >= len(titles) // 2
    options = (built_book / ES / "_static" / "documentation_options.js").read_text()
    assert re.search(r"LANGUAGE:\s*'es'", options), options[:400]
    # Spanish stems (Sphinx's Spanish stemmer drops accents and endings: "votación" ->
    # "votacion", "acuerdos" -> "acuerd"), which the English index does not have.
    terms = json.loads(re.search(r'"terms":\s*(\{.*?\})', es_index).group(1))
    en_terms = json.loads(re.search(r'"terms":\s*(\{.*?\})', en_index).group(1))
    for stem in ("votacion", "acuerd", "comision"):
        assert stem in terms, f"{stem!r} not in the Spanish search index"
        assert stem not in en_terms, f"{stem!r} in the English search index"


def test_translated_quotations_are_marked_on_the_page(built_book):
    html = (built_book / ES / "chapters" / "key-west.html").read_text(encoding="utf-8")
    marks = re.findall(r'<span class="translated-quote">“[^”]+”<sup class="tq-mark">'
                       r'<abbr title="[^"]+">trad\.</abbr></sup></span>', html)
    assert marks, "no translated quotation marked on the Spanish Key West chapter"


#: Words the theme, Jupyter Book, myst-nb or the book's templates write on every page (not the
#: chapters' prose): none may stay English on a Spanish page.
INTERFACE_WORDS = ("Search this book", "Repository", "Open issue", "Source repositories",
                   "Launch interactive content", "Show code cell", "Hide code cell",
                   "The story", "The data", "About this book", "By The 287(g)",
                   "Skip to main content", "Back to top", "Print to PDF", "Fullscreen mode",
                   "Contents", "Found a mistake", "Report an error", "Text and charts",
                   "Color mode")


@pytest.mark.book
def test_no_empty_index_page_nor_a_link_to_one(built_book):
    """Neither edition makes Sphinx's general index (the book has no index entries: it was an
    empty "Index" page), and no page points to it, in a link or a <link rel="index">."""
    for root in (built_book, built_book / ES):
        assert (root / "search.html").is_file() and not (root / "genindex.html").exists(), root
    pointing = [str(p.relative_to(built_book)) for root in (built_book, built_book / ES)
                for p in sorted((root / "chapters").glob("*.html")) + [root / "index.html"]
                if "genindex" in p.read_text(encoding="utf-8")]
    assert not pointing, f"these pages point to genindex.html: {pointing}"


@pytest.mark.parametrize("page", EN_PAGES)
def test_spanish_pages_carry_no_english_interface_words(built_book, page):
    en = (built_book / page).read_text(encoding="utf-8")
    es = (built_book / ES / page).read_text(encoding="utf-8")
    present = [w for w in INTERFACE_WORDS if w in en]
    assert present or page == "search.html", \
        f"{page}: none of the interface words found in English; is the list out of date?"
    left = [w for w in INTERFACE_WORDS if w in es]
    assert not left, f"{ES}{page} still says: {left}"


# --------------------------------------------------------------------------------- glue
def glue_data(folder: Path) -> dict[str, dict]:
    out = {}
    for path in sorted(folder.rglob("*.glue.json")):
        out[path.relative_to(folder).as_posix()] = json.loads(path.read_text(encoding="utf-8"))
    return out


def plain(entry: dict):
    data = entry.get("data", {})
    text = data.get("text/plain")
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return text


def test_every_glued_key_is_glued_in_spanish_with_the_same_numbers(built_book):
    root = built_book.parent.parent  # the built copy's repository root
    en = glue_data(editions.executed_dir("en", root))
    es = glue_data(editions.executed_dir("es", root))
    assert en, "no glue data in the English build"
    assert sorted(en) == sorted(es), "notebooks glued in one edition only"
    different_numbers, missing = [], []
    for notebook, keys in en.items():
        for key, entry in keys.items():
            if key not in es[notebook]:
                missing.append(f"{notebook}::{key}")
                continue
            a, b = plain(entry), plain(es[notebook][key])
            if isinstance(a, (int, float)) and not isinstance(a, bool):
                if a != b:
                    different_numbers.append(f"{notebook}::{key}: {a!r} vs {b!r}")
    assert not missing, f"glued in English only: {missing}"
    assert not different_numbers, f"numbers that differ between editions: {different_numbers}"


# ---------------------------------------------------------------------- charts and alt text
def png_files_of(page_path: Path) -> list[tuple[bytes, str | None]]:
    """(PNG bytes, alt) of every PNG a page shows: <img> files and data: URIs (widgets)."""
    page = parse(page_path)
    out = []
    for src, alt in page.images:
        if src.startswith("data:image/png;base64,"):
            out.append((base64.b64decode(src.split(",", 1)[1]), alt))
        elif src.endswith(".png"):
            out.append((resolve(page_path, src).read_bytes(), alt))
    # Images inside the widget state (the explorer's views) are not <img> tags of the page.
    text = page_path.read_text(encoding="utf-8")
    for match in re.finditer(r'<img[^>]*?alt=(\\?)"(.*?)\1"[^>]*?src=\\?"data:image/png;base64,'
                             r"([A-Za-z0-9+/=]+)", text):
        alt = match.group(2)
        if match.group(1):  # inside a JSON string: undo its escapes (\u00e1, \")
            alt = json.loads(f'"{alt}"')
        out.append((base64.b64decode(match.group(3)), html.unescape(alt)))
    return out


def names_kept_in_both_languages() -> set[str]:
    """Data values that are names (agencies, ICE's state names) and words that are the same
    in both languages by design; a chart text made only of these is not untranslated."""
    names = {"ICE", "287(g)", "Key West", "Florida", "Texas", "Monroe County"}
    for table in ("agreements.csv", "pending.csv"):
        path = REPO / "data" / "processed" / table
        if path.exists():
            with path.open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    names.update(v for k, v in row.items() if k in {"agency", "state"} and v)
    return names


WORD = re.compile(r"[A-Za-zÁÉÍÓÚÑáéíóúñü]{3,}")


@pytest.mark.parametrize("page", [p for p in EN_PAGES if p.startswith("chapters/")])
def test_no_spanish_chart_carries_english_text_or_alt_text(built_book, page):
    from ice287g.charts import png_texts

    en_images = png_files_of(built_book / page)
    es_images = png_files_of(built_book / (ES + page))
    assert len(es_images) == len(en_images), "the editions show different numbers of images"
    if not en_images:
        return
    en_texts, en_alts = set(), set()
    for data, alt in en_images:
        info = png_texts(data)
        en_texts.update(info.get("texts", []))
        en_alts.add(alt)
    names = names_kept_in_both_languages()
    problems = []
    for data, alt in es_images:
        info = png_texts(data)
        assert "texts" in info, f"{ES}{page}: a chart without recorded texts (not from png_bytes)"
        if not alt or not alt.strip():
            problems.append("an image without alt text")
        elif alt in en_alts:
            problems.append(f"English alt text: {alt[:80]!r}")
        if info.get("Description") and info["Description"] in en_alts:
            problems.append(f"English description: {info['Description'][:80]!r}")
        for text in info["texts"]:
            if text in en_texts and WORD.search(text) and text not in names \
                    and not all(w in names or w.upper() == w for w in WORD.findall(text)):
                problems.append(f"English chart text: {text!r}")
    assert not problems, f"{ES}{page}:\n" + "\n".join(sorted(set(problems))[:30])
