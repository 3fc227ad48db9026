"""The built Spanish edition reads as Spanish (issue 27; ``locales/STYLE-es.md``).

``test_spanish_style.py`` checks the catalogues and the curated tables before a build; this file
reads what a reader of ``_build/html/es`` gets, every page, including the words code and the
theme write: the classes of problem the editorial review of the Spanish edition found.

- dates in numbers day first (28-03-2025), anywhere, the references included;
- ISO dates (2025-06-30) inside Spanish sentences, captions, alt text, tooltips and table cells
  (a date column's too: tables for people write dates as sentences do);
- theme words left in English (aria-label, title, alt, placeholder, the header and footer);
- U.S. state names in English where the edition has a Spanish name (table cells, menus, alt);
- whole numbers of four digits or more without the thousands separator ``ice287g.i18n`` gives
  the Spanish edition;
- straight (\") or angular (« ») quotation marks in Spanish text (style: “…” and ‘…’);
- a doubled period after the "trad." mark of a translated quotation;
- a count glued to its noun in the wrong form or a bare zero ("1 retiros", "ausente de 0
  listas"; review #7);
- a common word capitalised after a semicolon, where code joins two phrases ("...; Después,
  ICE lo publicó...").

Each check is a function of a page's HTML and is first run on a deliberately bad example
(and on its corrected form), so that the built-edition tests can fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

#: Elements whose text is prose a reader reads (table cells are checked on their own terms).
PROSE = ["p", "li", "caption", "figcaption", "dt", "dd", "h1", "h2", "h3", "h4", "summary",
         "blockquote", "label", "option", "button", "legend"]
#: Text that is not Spanish prose: code, program output, keyboard keys, math.
NOT_PROSE = ["code", "pre", "kbd", "samp", "script", "style", "math", "svg"]
#: Attributes a screen reader or a mouse reads.
READ_ATTRIBUTES = ["alt", "title", "aria-label", "placeholder", "data-bs-title"]

# ------------------------------------------------------------------------------ helpers


#: Each page parsed once for every check (issue 25: eight parses of 3,000 pages were most of
#: this file's time): the page's HTML -> (its tree, its tree without NOT_PROSE). The checks only
#: read the trees they are given.
_TREES: dict[str, tuple[BeautifulSoup, BeautifulSoup]] = {}


def _trees(html: str) -> tuple[BeautifulSoup, BeautifulSoup]:
    trees = _TREES.get(html)
    if trees is None:
        whole = BeautifulSoup(html, "html.parser")
        prose = BeautifulSoup(html, "html.parser")
        for tag in prose.find_all(NOT_PROSE):
            tag.decompose()
        trees = _TREES[html] = (whole, prose)
    return trees


def soup_of(html: str) -> BeautifulSoup:
    """The page without code, scripts, styles, math and SVG (read only)."""
    return _trees(html)[1]


def whole_soup(html: str) -> BeautifulSoup:
    """The whole page (read only)."""
    return _trees(html)[0]


#: A citation's label, "WLRN, 2025-06-30b", "HERE Tallahassee, s. f.", as a link's whole text.
_CITATION_LABEL = re.compile(r"^.+, (?:\d{4}(?:-\d{2}){0,2}[a-z]?|s\. f\.(?:-[a-z])?)$")


def _citation(tag) -> bool:
    """An in-text citation or a reference entry (its date label is an identifier, as the
    Referencias page says: "WLRN, 2025-06-30b")."""
    for node in [tag, *tag.parents]:
        if getattr(node, "name", None) is None:
            continue
        classes = node.get("class") or []
        href = node.get("href") or ""
        if node.name == "a" and ("references.html" in href or href.startswith("#id")):
            return True
        if node.name in {"a", "em"} and _CITATION_LABEL.search(node.get_text(" ", strip=True)):
            return True  # a source link labelled as a citation, or one shown as an example
        if {"citation", "bibliography", "cite"} & set(classes) or node.get("role") == "doc-biblioentry":
            return True
        if node.name in {"ol", "ul", "div"} and {"bibliography", "citation-list"} & set(classes):
            return True
    return False


def _text(tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


# ---------------------------------------------------------------------------- the checks

_ISO = re.compile(r"(?<![\w/.-])(?<!n\.º )\d{4}-\d{2}(?:-\d{2})?(?![\w/-])")
#: A reference entry's or citation tooltip's own date label right after the title
#: ("... Title. 2025-07-11. Publicación original."), and links.
_LABEL = re.compile(r"^.*?[.?!]\s\d{4}(?:-\d{2}){0,2}[a-z]?\.\s|https?://\S+")


def iso_dates(html: str) -> list[str]:
    """ISO dates inside Spanish prose, alt text, tooltips, captions and table cells."""
    soup = soup_of(html)
    found = []
    for tag in soup.find_all(PROSE):
        if tag.find(PROSE) or _citation(tag):
            continue  # the innermost prose element is read; citations keep their label
        text = _text(tag)
        for cite in tag.find_all(["a", "em"]):
            if _citation(cite):
                text = text.replace(_text(cite), " ")
        found += [f"<{tag.name}> …{text[max(0, m.start() - 50):m.end() + 10]}…"
                  for m in _ISO.finditer(text)]
    for cell in soup.find_all(["td", "th"]):
        if cell.find(PROSE) or _citation(cell):
            continue
        text = _text(cell)
        for cite in cell.find_all(["a", "em"]):
            if _citation(cite):
                text = text.replace(_text(cite), " ")
        text = text.strip(" ;,")
        # a date column's cell too: tables for people write dates as sentences do
        # (words.date_cells, words.partial_date_cells; STYLE-es.md, Dates and times)
        found += [f"<td> …{text[max(0, m.start() - 50):m.end() + 10]}…"
                  for m in _ISO.finditer(text)]
    for tag in soup.find_all(True):
        for attr in READ_ATTRIBUTES:
            value = tag.get(attr)
            if not value:
                continue
            if _citation(tag) or tag.find_parent("abbr") is not None:
                value = _LABEL.sub(" ", value)
            found += [f"{attr}= …{value[max(0, m.start() - 50):m.end() + 10]}…"
                      for m in _ISO.finditer(value)]
    return found


#: English words of the themes' and the book's own interface (typed here, not read from a
#: catalogue): a Spanish page's chrome must not show them.
_ENGLISH_CHROME = re.compile(
    r"\b(?:Link to this|Launch (?:on|interactive)|logo|Toggle|Copyright|Download this|"
    r"Open (?:an )?issue|Search this|Skip to|Back to top|Site navigation|On this page|"
    r"Report an error|credit|Repository|Source repositor|Color mode|Book home|"
    r"(?:Show|Hide) code|Contents|previous page|next page|Binder logo|"
    r"Edit this page|Print to PDF|Fullscreen)\b|^(?:Main|Page)$")


def english_theme_words(html: str) -> list[str]:
    """Theme and interface words in English on a Spanish page: in the attributes a screen
    reader or a mouse reads, and in the visible text outside the article (header, sidebars,
    footer). Citation tooltips (headlines stay as published) are left out."""
    soup = whole_soup(html)
    found = []
    for tag in soup.find_all(True):
        if tag.name in {"script", "style"} or _citation(tag):
            continue
        for attr in READ_ATTRIBUTES:
            value = tag.get(attr)
            if value and _ENGLISH_CHROME.search(value):
                found.append(f'{tag.name} {attr}="{value[:80]}"')
    for node in soup.find_all(string=True):
        if node.parent is None or node.parent.name in {"title", "script", "style"}:
            continue
        if node.find_parent("article") is not None:
            continue
        text = " ".join(str(node).split())
        if text and _ENGLISH_CHROME.search(text) and not _citation(node.parent):
            found.append(f"text {text[:80]!r}")
    return found


#: U.S. state and territory names whose Spanish differs (typed by hand, as the Spanish
#: edition writes them: Pensilvania, Luisiana, Nueva Jersey, Misisipi...).
ENGLISH_STATE_NAMES = ["North Carolina", "South Carolina", "North Dakota", "South Dakota",
                       "New York", "New Jersey", "New Mexico", "New Hampshire", "Pennsylvania",
                       "Louisiana", "Mississippi", "West Virginia", "Hawaii",
                       "District of Columbia", "Northern Mariana Islands",
                       "U.S. Virgin Islands", "American Samoa"]
_STATE = re.compile(r"\b(?:" + "|".join(map(re.escape, ENGLISH_STATE_NAMES)) + r")\b")


def english_state_names(html: str) -> list[str]:
    """A state named in English where the Spanish edition has a Spanish name: a table cell or
    menu option that is the name, or the name in prose or alt text (an agency's English name
    as ICE writes it, "Pennsylvania State Police", "New Jersey State Police", stays)."""
    soup = soup_of(html)
    found = []
    for tag in soup.find_all(["td", "th", "option", "li"]):
        text = _text(tag)
        if _STATE.fullmatch(text):
            found.append(f"<{tag.name}> {text}")
    texts = [_text(t) for t in soup.find_all(["p", "caption", "figcaption"]) if not _citation(t)]
    texts += [t.get("alt", "") for t in soup.find_all("img")]
    for text in texts:
        for m in _STATE.finditer(text):
            after = text[m.end():m.end() + 30]
            if re.match(r"\s+(?:[A-Z][a-z]+|'s|’s)", after):  # part of an English agency name
                continue
            found.append(f"…{text[max(0, m.start() - 40):m.end() + 20]}…")
    return found


def _thousands(lang: str = "es") -> str:
    from ice287g import i18n

    return i18n.FORMATS[lang]["thousands"]


#: Numbers that are names, not quantities: an executive order, a public law, a statute.
_NUMBER_NAME = re.compile(r"(?:Orden Ejecutiva|Executive Order|Order|Ley Pública|Public Law|"
                          r"sección|section|capítulo|Chapter|n\.º|No\.|§|U\.S\.C\.|Distrito|"
                          r"SB|HB|FR Doc\.)\s*$")


def unseparated_numbers(html: str, lang: str = "es") -> list[str]:
    """Whole numbers of 1,000 or more written without the edition's thousands separator
    (i18n.FORMATS), in prose, table cells and alt text. Years (1900-2099) are not counts."""
    sep = re.escape(_thousands(lang))
    soup = soup_of(html)
    number = re.compile(rf"(?<![\w.,{sep}/$-])\$?(\d{{4,}})(?![\w{sep}/-]|[.,]\d)")
    texts = [_text(t) for t in soup.find_all([*PROSE, "td", "th"])
             if not t.find([*PROSE, "td"]) and not _citation(t)]
    texts += [t.get("alt", "") for t in soup.find_all("img")]
    found = []
    for text in texts:
        for m in number.finditer(text):
            value = int(m.group(1))
            if 1900 <= value <= 2099 and not m.group(0).startswith("$"):
                continue
            if _NUMBER_NAME.search(text[:m.start()]):
                continue
            found.append(f"…{text[max(0, m.start() - 40):m.end() + 20]}…")
    return found


_BAD_QUOTES = re.compile(r"[«»]|\"")
#: Quotes inside an agency's name as ICE writes it (Cut "N" Shoot Police Department): data.
_ICE_NAME_QUOTE = re.compile(r"(?<=[A-Za-z] )\"[A-Za-z]{1,3}\"(?= [A-Z])")


def quotation_marks(html: str) -> list[str]:
    """Angular or straight quotation marks in Spanish text (prose, cells, alt text). The
    English original of a claim ("Original en inglés: ...") is the article's own words and
    keeps its typography."""
    soup = soup_of(html)
    found = []
    texts = [_text(t) for t in soup.find_all([*PROSE, "td", "th"])
             if not t.find([*PROSE, "td"]) and not _citation(t)]
    texts += [t.get("alt", "") for t in soup.find_all("img")]
    for text in texts:
        text = re.sub(r"Original en inglés:.*$", "", text)
        text = _ICE_NAME_QUOTE.sub(" ", text)
        found += [f"…{text[max(0, m.start() - 40):m.end() + 40]}…"
                  for m in _BAD_QUOTES.finditer(text)]
    return found


def doubled_trad_period(html: str) -> list[str]:
    """"trad.." : the mark's own period followed by a sentence period."""
    text = soup_of(html).get_text("")
    return [text[max(0, m.start() - 50):m.end() + 20] for m in re.finditer(r"trad\.\s*\.", text)]


def ruled_out_renderings(html: str) -> list[str]:
    """The renderings the style sheet rules out (test_spanish_style.RULED_OUT: "nulo e
    inaplicable", "evidencia", "incidencia"...) anywhere a reader reads them, including the
    words code and the theme write, which the catalogue checks do not see."""
    from test_spanish_style import RULED_OUT

    soup = soup_of(html)
    texts = [_text(t) for t in soup.find_all([*PROSE, "td", "th"])
             if not t.find([*PROSE, "td"]) and not _citation(t)]
    texts += [v for t in soup.find_all(True) if not _citation(t)
              for v in (t.get(a) for a in READ_ATTRIBUTES) if v]
    return [f"{m.group(0)!r} (use {instead}): …{text[max(0, m.start() - 40):m.end() + 20]}…"
            for text in texts for pattern, instead in RULED_OUT
            for m in re.finditer(pattern, text, re.I)]


#: Nouns a count meets in the book's sentences; "1 retiros", "ausente de 0 listas" (review #7).
_COUNT_NOUNS = ("acuerdos|listas|retiros|filas|agencias|condados|estados|publicaciones|tramos|"
                "solicitudes|territorios")
_GLUED_COUNT = re.compile(rf"(?<![\w.,$])(?:1 (?:{_COUNT_NOUNS})|0 (?:{_COUNT_NOUNS}|"
                          rf"acuerdo|lista|retiro|fila|agencia|condado|estado))\b")


def glued_counts(html: str) -> list[str]:
    """A count glued to a noun in the wrong form ("1 retiros", "1 acuerdos") or a bare zero
    ("ausente de 0 listas", "0 filas"): words.py and i18n.ntr write "1 retiro" and a sentence
    of its own for none. Table cells that are a number alone are data, not sentences."""
    soup = soup_of(html)
    texts = [_text(t) for t in soup.find_all([*PROSE, "td", "th"])
             if not t.find([*PROSE, "td"]) and not _citation(t)]
    texts += [t.get("alt", "") for t in soup.find_all("img")]
    texts += [t.get_text(" ", strip=True) for t in whole_soup(html).select("svg title")]
    return [f"…{text[max(0, m.start() - 50):m.end() + 20]}…"
            for text in texts for m in _GLUED_COUNT.finditer(text)]


#: Words that are never a proper noun: after "; " they are written in lower case (a phrase
#: code joins to another with "; ", e.g. an agency page's status and "luego ICE lo publicó...").
_CAPITAL_AFTER_SEMICOLON = re.compile(
    r"; (?:Después|Luego|Antes|Entonces|Pero|Aunque|Según|Desde|Hasta|Sin|Con|Fila|Salió|"
    r"Visto|Todavía|Fuera|Ningún|Ninguna|Ninguno|Firmado|Firmada|Publicado|Modificado)\b")


def capital_after_semicolon(html: str) -> list[str]:
    """A common word capitalised after a semicolon ("...del 20 de mayo de 2025; Después,
    ICE lo publicó..."): Spanish, like English, goes on in lower case."""
    soup = soup_of(html)
    texts = [_text(t) for t in soup.find_all([*PROSE, "td", "th"])
             if not t.find([*PROSE, "td"]) and not _citation(t)]
    texts += [t.get("alt", "") for t in soup.find_all("img")]
    return [f"…{text[max(0, m.start() - 50):m.end() + 30]}…"
            for text in texts for m in _CAPITAL_AFTER_SEMICOLON.finditer(text)]


#: A date written with numbers day first or month first (28-03-2025, 03/28/2025): ISO labels
#: are year first, so these are never identifiers.
_NUMERIC_DATE = re.compile(r"(?<![\w/.-])\d{1,2}[-/]\d{1,2}[-/]\d{4}(?![\w/-])")


def numeric_dates(html: str) -> list[str]:
    """A date in numbers (28-03-2025) anywhere a reader reads it, the reference list and the
    citations' tooltips included (house style: "28 de marzo de 2025")."""
    soup = soup_of(html)
    texts = [_text(t) for t in soup.find_all([*PROSE, "td", "th"]) if not t.find([*PROSE, "td"])]
    texts += [v for t in soup.find_all(True) for v in (t.get(a) for a in READ_ATTRIBUTES) if v]
    texts = [re.sub(r"https?://\S+", " ", t) for t in texts]
    return [f"…{text[max(0, m.start() - 50):m.end() + 10]}…"
            for text in texts for m in _NUMERIC_DATE.finditer(text)]


CHECKS = {"ISO date": iso_dates, "numeric date": numeric_dates, "capital after a semicolon": capital_after_semicolon, "count and noun": glued_counts, "ruled-out rendering": ruled_out_renderings, "English theme words": english_theme_words,
          "English state names": english_state_names, "number separators": unseparated_numbers,
          "quotation marks": quotation_marks, "period after trad.": doubled_trad_period}

# ----------------------------------------------------------- each check fails on bad HTML

TQ = ('<span class="translated-quote">“nulo y sin efecto”<sup class="tq-mark"><abbr '
      'title="Traducción de este libro">trad.</abbr></sup></span>')


@pytest.mark.parametrize("check, bad, good", [
    ("ISO date",
     "<p>Vigente hasta que la comisión lo declaró nulo el 2025-06-30.</p>",
     "<p>Vigente hasta que la comisión lo declaró nulo el 30 de junio de 2025 "
     '(<a class="reference internal" href="references.html#id3">WLRN, 2025-06-30b</a>).</p>'),
    ("ISO date",
     '<img alt="Gráfico de barras, de la del 2025-12-31 a. m. a la del 2026-05-18 a. m.">',
     '<img alt="Gráfico de barras, de la del 31 de diciembre de 2025 a la del 18 de mayo de 2026">'),
    ("ISO date",
     "<table><tr><td>Fuera: visto por última vez el 2021-01-13</td></tr></table>",
     "<table><tr><td>julio de 2025</td><td>13 de enero de 2021</td></tr></table>"),
    ("ISO date",  # the Cronología's date column before story.py wrote it for people
     "<table><tr><td>2025-07 (solo el mes)</td><td>2021-01-13</td></tr></table>",
     "<table><tr><td>julio\u00a0de\u00a02025</td><td>1996</td>"
     "<td>Ordenanza n.º 2025-06</td></tr></table>"),
    ("English theme words",
     '<h2>Título<a class="headerlink" href="#t" title="Link to this heading">#</a></h2>'
     '<img alt="Binder logo"><nav aria-label="Main"></nav>',
     '<h2>Título<a class="headerlink" href="#t" title="Enlace a este encabezado">#</a></h2>'
     '<img alt="Binder (logotipo)"><nav aria-label="Principal"></nav>'),
    ("English theme words",
     '<footer><p class="copyright">© Copyright 2026.</p></footer>',
     '<footer><p class="copyright">© 2026.</p></footer>'),
    ("English state names",
     "<table><tr><td>Pennsylvania</td><td>Hemlock Township Police Department</td></tr></table>",
     "<table><tr><td>Pensilvania</td><td>Pennsylvania State Police</td></tr></table>"),
    ("English state names",
     "<p>En Louisiana, el gobernador ordenó...</p>",
     "<p>En Luisiana, la New Jersey State Police y la Louisiana Sheriff's Office...</p>"),
    ("number separators",
     "<table><tr><td>2026-05-18</td><td>1832</td><td>1843</td></tr></table>",
     "<table><tr><td>2026-05-18</td><td>1,832</td><td>1,843</td></tr></table>"),
    ("number separators",
     "<p>un fondo de $100000 y 1162 acuerdos</p>",
     "<p>un fondo de $100,000 y 1,162 acuerdos en 2025, Orden Ejecutiva 14159</p>"),
    ("quotation marks",
     "<p>el comisionado Donald «Donie» Lee y “Pulaksi County”</p>",
     "<p>el comisionado Donald “Donie” Lee dijo ‘sí’ en Cut \"N\" Shoot Police Department</p>"),
    ("English theme words",
     '<nav aria-label="Page"></nav>',
     '<nav aria-label="Página"></nav><footer><p>Page County Sheriff\'s Office</p></footer>'),
    ("quotation marks",
     '<table><tr><td>declaró el acuerdo "void and unenforceable"</td></tr></table>',
     "<table><tr><td>“la leyenda ‘Los migrantes’” trad. Original en inglés: “the legend: "
     '"Migrants keep this island alive"”</td></tr></table>'),
    ("ruled-out rendering",
     '<p>el motivo y la evidencia.</p><a title="Abrir una incidencia" href="x">x</a>',
     '<p>el motivo y las pruebas.</p><a title="Reportar un error" href="x">x</a>'),
    ("count and noun",
     "<p>el departamento ha estado ausente de 0 listas, y (1 retiros; 1 de los acuerdos)</p>",
     "<p>el departamento ha figurado en todas las listas, y (1 retiro; 1 de los acuerdos), "
     "en 10 listas, $1 millón, 2021</p>"),
    ("count and noun",
     '<p>Todos los acuerdos: 1 acuerdos de 1 agencias.</p><img alt="ICE modificó 0 filas">',
     '<p>Todos los acuerdos: 1 acuerdo de 1 agencia.</p><img alt="ICE no modificó ninguna fila">'),
    ("numeric date",  # a reference's note (bibliography.po), review of 7 Dec.
     '<div class="citation"><p>Segunda copia; esta copia de daily8.com está fechada 28-03-2025, '
     "así que...</p></div>",
     '<div class="citation"><p>esta copia está fechada el 28 de marzo de 2025. 2025-03-28. '
     'Disponible en: https://example.com/2025/06/23/nota</p></div>'),
    ("capital after a semicolon",  # an agency page's status (pages.po, review of 7 Dec.)
     "<dl><dd>Fila modificada por ICE después de la lista del 20 de mayo de 2025; Después, "
     "ICE lo publicó como “Hillsborough County Sheriff's Office”</dd></dl>",
     "<dl><dd>Fila modificada por ICE después de la lista del 20 de mayo de 2025; luego ICE "
     "lo publicó como “Hillsborough County Sheriff's Office”; El Monte; Los Ángeles</dd></dl>"),
    ("period after trad.",
     f"<p>declaraba {TQ}. La resolución...</p>",
     f"<p>declaraba {TQ} La resolución...</p>"),
])
def test_each_check_fails_on_a_bad_example_and_passes_the_corrected_one(check, bad, good):
    assert CHECKS[check](bad), f"{check} missed: {bad}"
    assert not CHECKS[check](good), CHECKS[check](good)


# ------------------------------------------------------------------- the built edition


def spanish_pages(html_dir: Path) -> list[Path]:
    es = html_dir / "es"
    pages = sorted(p for p in es.rglob("*.html")
                   if "_static" not in p.parts and "_sources" not in p.parts
                   and p.name != "genindex.html")
    return pages


@pytest.fixture(scope="module")
def pages(built_book):
    found = spanish_pages(Path(built_book))
    assert len(found) >= 20, f"too few Spanish pages in {built_book}/es: {len(found)}"
    names = {p.relative_to(Path(built_book) / "es").as_posix() for p in found}
    for must in ["index.html", "search.html", "chapters/beyond-florida.html",
                 "chapters/methods.html", "chapters/find-an-agency.html",
                 "chapters/downloads.html", "chapters/references.html",
                 "chapters/what-changed.html", "chapters/churn.html"]:
        assert must in names, f"{must} missing from the Spanish edition"
    yield {p.relative_to(Path(built_book) / "es").as_posix(): p.read_text(encoding="utf-8")
           for p in found}
    _TREES.clear()  # the parsed pages, kept for the checks of this module only


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_the_built_spanish_edition_passes(pages, check):
    problems = [f"es/{name}: {p}" for name, html in pages.items() for p in CHECKS[check](html)]
    assert not problems, (f"{len(problems)} {check} problem(s) in the built Spanish "
                          f"edition:\n" + "\n".join(problems[:30]))


def test_the_search_page_speaks_spanish(built_book):
    """The search page's scripts read their messages from translations.js: the corrected
    Spanish (locales/es/LC_MESSAGES/sphinx.js), not Sphinx's misspelt stock string."""
    js = (Path(built_book) / "es" / "_static" / "translations.js").read_text(encoding="utf-8")
    assert "ning\\u00fan documento." in js or "ningún documento." in js
    assert "ning\\u00fan documentos" not in js and "ningún documentos" not in js
    assert "all\\u00e1 seleccionado" not in js and "allá seleccionado" not in js
