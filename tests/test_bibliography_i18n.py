"""The bibliography and the citations in Spanish (issue 14), and the English ones unchanged.

The Spanish build reads a BibTeX file of its own written by ``_ext/bib_style.py`` from
``references.bib`` and ``data/curated/sources.csv``, and formats it with Spanish styles. The
first tests check that file and the styles directly (fast); the last ones read the built
references pages of both editions (``built_book``: a clean build, or ICE287G_BUILT_HTML).
"""

import importlib.util
import re
import sys

import pandas as pd
import pybtex.plugin
import pytest
from bs4 import BeautifulSoup
from pybtex.database import parse_string
from pybtex.richtext import Text

from conftest import REPO
from ice287g import i18n, story

#: Words the English entries carry that must never reach a Spanish page.
ENGLISH_WORDS = ("n.d.", "Accessed", "URL:", "By ", "Original report", "Republication",
                 "Primary record", "visited on")


def _bib_style():
    if "bib_style" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bib_style", REPO / "_ext" / "bib_style.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bib_style"] = module
        spec.loader.exec_module(module)
    return sys.modules["bib_style"]


@pytest.fixture(scope="module")
def bib_style():
    return _bib_style()


@pytest.fixture(scope="module")
def sources():
    return story.load("sources")


@pytest.fixture(scope="module")
def english(sources):
    return parse_string(story.bibtex(sources), "bibtex")


@pytest.fixture(scope="module")
def spanish(bib_style, sources):
    return parse_string(bib_style.spanish_bibtex(sources, story.bibtex(sources)), "bibtex")


#: pybtex's plain-text backend, looked up once: ``render_as("text")`` looks it up by name on
#: every call, reading every installed package's entry points each time (about 0.1 s a call,
#: 13 s for the bibliography's 138 entries). ``render_as`` takes the class itself unchanged.
TEXT = pybtex.plugin.find_plugin("pybtex.backends", "text")


def plain(latex: str) -> str:
    return Text.from_latex(latex).render_as(TEXT)


def source(**values) -> dict:
    row = {"source_id": "x-2025-06-30", "publisher": "WLRN", "title": "A headline",
           "author": "", "published": "2025-06-30", "url": "https://example.com/a",
           "kind": "original report", "access": "original", "accessed": "2026-11-26",
           "note": ""}
    row.update(values)
    return row


# --------------------------------------------------------------------------- the Spanish .bib
def test_the_english_note_is_what_story_writes(bib_style, sources, english):
    # bib_style composes the Spanish note the way ice287g.story composes the English one: if
    # story.bibtex changes its note, this fails before the editions drift apart.
    for row in sources.to_dict("records"):
        assert story.latex_escape(bib_style.note_text(row, "en")) == \
            english.entries[row["source_id"]].fields["note"], row["source_id"]


def test_every_source_has_a_spanish_entry_with_the_same_title_and_address(sources, english,
                                                                          spanish):
    assert list(spanish.entries) == list(english.entries)
    rows = {r["source_id"]: r for r in sources.to_dict("records")}
    book_titles = 0
    for key, entry in spanish.entries.items():
        english_title = english.entries[key].fields["title"]
        if re.search(r"\((headline not captured|untitled in the stored copy)",
                     rows[key]["title"]) or "Title descriptive" in (rows[key]["note"] or ""):
            # a title the book wrote (issue 27 #30): its Spanish, never the English words
            book_titles += 1
            assert entry.fields["title"] == "{" + story.latex_escape(
                i18n.tr(rows[key]["title"], lang="es")) + "}", key
            assert "headline" not in entry.fields["title"] and "Report on" not in \
                entry.fields["title"], key
        else:  # a real headline stays exactly as published
            assert entry.fields["title"] == english_title, key
        assert entry.fields["url"] == english.entries[key].fields["url"], key
    # the nine descriptive titles the review found, and the two whose note calls them
    # descriptive (a title the book wrote, though not marked "headline not captured")
    assert book_titles >= 11


def test_spanish_notes_are_spanish(sources, spanish):
    rows = {r["source_id"]: r for r in sources.to_dict("records")}
    for key, entry in spanish.entries.items():
        row, note = rows[key], plain(entry.fields["note"])
        for word in ENGLISH_WORDS:
            assert word not in note, (key, word, note)
        if row["note"]:
            assert row["note"] not in note, f"{key}: the English note reached the Spanish entry"
        assert f"Consultado el {i18n.format_date(row['accessed'], 'es')}." in note, key
        kind = {"original report": "Publicación original.", "republication": "Republicación.",
                "primary record": "Documento primario.", "analysis": "Análisis."}[row["kind"]]
        assert kind in note, key
        # Authors' names kept exactly, joined the Spanish way.
        names = row["author"].split("; ") if row["author"] else []
        if len(names) == 2:
            assert f"Por {names[0]} y {names[1]}." in note, key
        elif len(names) == 1:
            assert f"Por {names[0]}." in note, key
        # No full ISO date left in the note: the translation's dates are written in Spanish.
        assert not re.search(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])", note), (key, note)


def test_undated_sources_are_s_f_and_dated_ones_keep_their_label(english, spanish):
    undated = [k for k, e in english.entries.items() if e.fields["year"].startswith("n.d.")]
    assert undated, "sources.csv has undated sources; this test needs one"
    for key, entry in spanish.entries.items():
        year = english.entries[key].fields["year"]
        expected = "s. f." + year[len("n.d."):] if key in undated else year
        assert entry.fields["year"] == expected, key


def test_outlets_are_kept_and_the_books_own_labels_translated(bib_style, sources, spanish):
    translated = {}
    for row in sources.to_dict("records"):
        [person] = spanish.entries[row["source_id"]].persons["author"]
        shown = plain(str(person)).strip("{}")
        if shown != row["publisher"]:
            translated[row["publisher"]] = shown
    # Outlets' own names (lower-case words of names only) are never changed...
    for english_label in translated:
        assert bib_style.book_written_label(english_label) or \
            english_label in i18n.catalogue("es"), english_label
    # ...and these labels, written by the book, are.
    assert translated["Zach Rausnitz (outlet not stated)"] == "Zach Rausnitz (medio no indicado)"
    assert translated["CiberCuba (English edition)"] == "CiberCuba (edición en inglés)"
    assert "U.S. Immigration and Customs Enforcement" not in translated
    assert "WUSF (WLRN News in Brief)" not in translated
    assert not bib_style.book_written_label("Office of Los Angeles Mayor Karen Bass")
    assert bib_style.book_written_label("Associated Press (via WKBW)")


def test_a_note_without_spanish_stops_the_build_naming_the_row(bib_style):
    rows = pd.DataFrame([source(), source(source_id="y-2025-07-01", published="2025-07-01",
                                          note="A note nobody has translated yet.")])
    with pytest.raises(bib_style.SpanishBibliographyError) as err:
        bib_style.spanish_bibtex(rows, story.bibtex(rows))
    message = str(err.value)
    assert "data/curated/sources.csv row 2 (source_id='y-2025-07-01')" in message
    assert "A note nobody has translated yet." in message
    assert "bibliography.po" in message
    assert "row 1" not in message  # the translated row is fine


def test_an_unknown_book_label_stops_the_build(bib_style):
    rows = pd.DataFrame([source(publisher="Some Outlet (as quoted by another)")])
    with pytest.raises(bib_style.SpanishBibliographyError, match="row 1.*as quoted by another"):
        bib_style.spanish_bibtex(rows, story.bibtex(rows))


def test_an_entry_field_the_spanish_edition_does_not_know_is_refused(bib_style):
    rows = pd.DataFrame([source()])
    bib = story.bibtex(rows).replace("  url =", "  howpublished = {Online},\n  url =")
    with pytest.raises(bib_style.SpanishBibliographyError, match="howpublished"):
        bib_style.spanish_bibtex(rows, bib)


def test_spanish_dates_and_names(bib_style):
    assert bib_style.spanish_dates("verificada el 2026-12-03; FR Doc. 2025-02006", "es") == \
        "verificada el 3 de diciembre de 2026; FR Doc. 2025-02006"
    assert bib_style.spanish_dates("fechada 28-03-2025 y el 2025-02-30", "es") == \
        "fechada 28-03-2025 y el 2025-02-30"  # not ISO / not a calendar day: left alone
    assert bib_style.join_names(["Ana Ceballos", "Syra Ortiz Blanes"], "es") == \
        "Ana Ceballos y Syra Ortiz Blanes"
    assert bib_style.join_names(["A", "B", "C"], "es") == "A, B y C"
    assert bib_style.join_names(["Ana Gómez", "Inés Ibarra"], "es") == "Ana Gómez e Inés Ibarra"
    assert bib_style.join_names(["A", "B", "C"], "en") == "A, B and C"
    assert bib_style.year_label("n.d.-b", "es") == "s. f.-b"
    assert bib_style.year_label("2025-06-30a", "es") == "2025-06-30a"


def test_the_spanish_bib_is_rewritten_only_when_it_changes(bib_style, tmp_path):
    path = bib_style.write_spanish_bibtex(REPO, tmp_path)
    assert path == tmp_path / "references-es.bib"
    first = path.stat().st_mtime_ns
    bib_style.write_spanish_bibtex(REPO, tmp_path)
    assert path.stat().st_mtime_ns == first  # a warm build stays warm
    path.write_text("% stale\n", encoding="utf-8")
    bib_style.write_spanish_bibtex(REPO, tmp_path)
    assert path.read_text(encoding="utf-8").startswith("% The es edition's bibliography")


# --------------------------------------------------------------------------- the Spanish styles
def test_plain_es_writes_spanish_words(bib_style, spanish):
    style = pybtex.plugin.find_plugin("pybtex.style.formatting", "plain_es")()
    english_style = pybtex.plugin.find_plugin("pybtex.style.formatting", "plain")()
    entries = list(spanish.entries.values())
    texts = [e.text.render_as(TEXT) for e in style.format_entries(entries)]
    assert len(texts) == len(entries)
    for text in texts:
        for word in ENGLISH_WORDS:
            assert word not in text, (word, text)
        assert "Disponible en: http" in text
    two = parse_string("@misc{k, author = {Ana Ceballos and Syra Ortiz Blanes}, title = {T}, "
                       "year = {2025}}", "bibtex").entries["k"]
    assert "Ana Ceballos y Syra" in style.format_entry("1", two).text.render_as(TEXT)
    assert "Ana Ceballos and Syra" in english_style.format_entry("1", two).text.render_as(TEXT)
    article = parse_string("@article{a, author = {A}, title = {T}, journal = {J}, "
                           "year = {2025}}", "bibtex").entries["a"]
    with pytest.raises(bib_style.SpanishBibliographyError, match="@article"):
        style.format_entry("1", article)


def test_the_spanish_build_selects_the_spanish_styles(bib_style, tmp_path):
    import types

    def config(language):
        return types.SimpleNamespace(language=language, bibtex_default_style="plain",
                                     bibtex_reference_style="author_year_round",
                                     bibtex_bibfiles=["references.bib"])

    app = types.SimpleNamespace(srcdir=str(REPO), doctreedir=str(tmp_path / "doctrees"))
    english = config("en")
    bib_style._spanish_edition(app, english)
    assert english.bibtex_bibfiles == ["references.bib"]  # English untouched
    assert english.bibtex_default_style == "plain"
    assert not (tmp_path / "doctrees").exists()
    es = config("es")
    bib_style._spanish_edition(app, es)
    assert es.bibtex_default_style == "plain_es"
    assert es.bibtex_reference_style == "author_year_round_es"
    assert es.bibtex_bibfiles == [str(tmp_path / "doctrees" / "references-es.bib")]


# --------------------------------------------------------------------------- the built pages
def _text(page) -> str:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main") or soup
    return re.sub(r"\s+", " ", main.get_text(" "))


def _notes(sources) -> list[str]:
    return sorted({n for n in sources["note"] if n})


def test_the_spanish_references_page_has_no_english_book_words(built_book, sources):
    page = built_book / "es" / "chapters" / "references.html"
    html = page.read_text(encoding="utf-8")
    assert '<html lang="es"' in html
    text = _text(page)
    for word in ("n.d.", "Accessed", "URL:", "Original report", "Republication.", "By "):
        assert word not in text, word
    left = [n for n in _notes(sources) if n in text]
    assert not left, f"English notes on the Spanish references page: {left[:3]}"
    assert text.count("Consultado el ") == len(sources)
    assert "s. f." in text
    book_title = _bib_style().book_title
    for row in sources.itertuples():
        if book_title(row.title, row.note):
            # A title the book wrote itself (no headline in the stored copy) is in Spanish.
            assert row.title not in text, row.source_id
            assert i18n.tr(row.title, lang="es") in text, row.source_id
        else:  # a real headline: exactly as published
            assert row.title in text, row.source_id


def test_spanish_citations_have_no_english_words(built_book):
    # The citations in every Spanish chapter and their tooltips (the formatted entry). A page
    # whose text has no "references.html#" or no "internal" has no such link (the selector
    # needs both, and Sphinx writes neither with character references): it is not parsed, which
    # leaves the dozen book pages of the 1,700 (the state and agency pages link their sources
    # without Sphinx's classes).
    cited = set()
    for page in sorted((built_book / "es").rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        if "references.html#" not in html or "internal" not in html:
            continue
        soup = BeautifulSoup(html, "html.parser")
        for link in soup.select('a.reference.internal[href*="references.html#"]'):
            cited.add(page.name)
            shown = link.get_text() + " " + link.get("title", "")
            for word in ("n.d.", "Accessed", "URL:"):
                assert word not in shown, (page.name, word, shown[:200])
    assert len(cited) >= 5, f"only {sorted(cited)} cite a source: the selector finds no citations"


def test_the_english_references_page_is_unchanged(built_book, sources):
    text = _text(built_book / "chapters" / "references.html")
    for row in sources.itertuples():
        assert f"Accessed {row.accessed}." in text, row.source_id
        assert row.title in text, row.source_id
    for note in _notes(sources):
        assert plain(story.latex_escape(note)) in text, note[:60]
    assert "URL: http" in text and "n.d." in text
    for word in ("Consultado", "Disponible en", "s. f.", "Publicación original"):
        assert word not in text, word


@pytest.mark.book
def test_a_page_that_cites_is_rebuilt_when_the_bibliography_changes(built_book):
    """Both editions: every page with a citation depends on its edition's BibTeX file in the
    build's environment (_ext/bib_style.py), so a warm build writes it again when a source's
    entry changes. Its citations' tooltips are the entries' text: without the dependency a
    warm build kept the old text (a reference note's date, reworded in Spanish, stayed
    "28-03-2025" on two pages)."""
    import os
    import pickle

    doctrees = {"en": built_book.parent / ".doctrees",
                "es": built_book.parent / "edition-es" / "_build" / ".doctrees"}
    for lang, folder in doctrees.items():
        with open(folder / "environment.pickle", "rb") as fh:
            env = pickle.load(fh)
        src = str(env.srcdir)
        bibs = {os.path.normpath(os.path.join(src, b)) for b in env.config.bibtex_bibfiles}
        citing = [doc for doc in sorted(env.found_docs)
                  if "{cite" in (REPO / env.doc2path(doc, base=False)).read_text(encoding="utf-8")]
        assert len(citing) >= 5, (lang, citing)
        missing = [doc for doc in citing if not bibs & {
            os.path.normpath(os.path.join(src, d)) for d in env.dependencies.get(doc, ())}]
        assert not missing, f"{lang}: these pages cite but do not depend on {bibs}: {missing}"
