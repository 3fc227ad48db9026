"""The Spanish edition follows its style sheet (``locales/STYLE-es.md``; issue 27).

Fast checks, no build: they read the story chapters' catalogues
(``locales/es/LC_MESSAGES``), the ``*_es`` columns of ``data/curated/*.csv``, the Spanish
roll-call captions and the Spanish bibliography, and find the classes of problem the editorial
review of the Spanish edition found: ISO dates inside Spanish sentences, the ruled-out
renderings ("nulo e inaplicable", a female mayor of Montebello), straight or angular quotation
marks, a second period after the "trad." mark, English agency names left bare mid-sentence.
Each check is also run on the review's own examples (the old text), to show it fails on them.
"""

import csv
import re

import pytest

from conftest import REPO
from ice287g import i18n, story
from test_translations import read_po

LOCALE = REPO / "locales" / "es" / "LC_MESSAGES"
CURATED = REPO / "data" / "curated"
STYLE = REPO / "locales" / "STYLE-es.md"

#: Every page's catalogue (the story chapters, the data pages, Find an agency, the explorer,
#: the appendices) and the theme's words (sphinx.po).
PAGES = sorted(p.relative_to(LOCALE).with_suffix("").as_posix() for p in LOCALE.rglob("*.po"))

#: Roles whose content is not prose: citations, glue, links, code ({tq} is prose: kept).
_NON_PROSE_ROLE = re.compile(r"\{(?!tq\})[a-z:-]+\}`[^`]*`|\{\{[^}]*\}\}|`[^`]*`")

# ---------------------------------------------------------------------------------- checks

_ISO_DAY = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
_ISO_MONTH_PROSE = re.compile(r"\b(?:el|del|en|hasta el|desde el) \d{4}-\d{2}\b")


def iso_dates(text: str) -> list[str]:
    """ISO dates written in Spanish prose (citation keys, glue keys and code left out)."""
    prose = _NON_PROSE_ROLE.sub(" ", text)
    # an in-text citation label shown as an example (*WLRN, 2025-06-30*) is an identifier
    prose = re.sub(r"\*[^*]+, \d{4}-\d{2}-\d{2}[a-z]?\*", " ", prose)
    return _ISO_DAY.findall(prose) + _ISO_MONTH_PROSE.findall(prose)


#: (pattern, what the style sheet says instead)
RULED_OUT = [
    (r"\bnulo e inaplicable\b|\binaplicable\b", "“nulo y sin efecto”"),
    (r"\bno era aplicable\b", "“no podía hacerse cumplir”"),
    (r"\bcurad[oa]s?\b|\belaboración propia\b", "“recopilados a mano”"),
    (r"\bsucesos?\b", "“acontecimientos”"),
    (r"\bacci(?:ones|ón) locales?\b|\bCada acción mencionada\b", "“medidas locales”"),
    (r"\bevidencias?\b", "“pruebas”"),
    (r"\bpatrocinadora\b|\bcopatrocinador\w*|\bpatrocinador\b", "“proponente”"),
    (r"\bincidencias?\b", "“reporte” / “reportar un error”"),
    (r"\binformar de un error\b", "“reportar un error”"),
    (r"\bdescontinuad[oa]s?\b", "“eliminado”"),
    (r"\bmascarillas?\b", "“máscaras”"),
    (r"\bmultiplicador de fuerzas\b", "“multiplicador de fuerza”"),
    (r"\bcongresista federal\b", "“el congresista”"),
    (r"\bal fin y al cabo\b", "“terminó por…”, “pese a todo”"),
    # Key West's city attorney, Kendal Harden, is a woman (Fort Myers' Grant Alley is not)
    (r"\bel abogado de la ciudad\b(?! de Fort Myers|, Grant Alley)",
     "“la abogada de la ciudad” (Kendal Harden)"),
    (r"\b\d{1,2} [ap]\.m\.", "“a. m.”, “p. m.”"),
]


def ruled_out(text: str) -> list[str]:
    return [f"{m.group(0)!r} (use {instead})" for pattern, instead in RULED_OUT
            for m in re.finditer(pattern, text, re.I)]


def montebello_mayor_problems(text: str) -> list[str]:
    """Montebello's mayor (Salvador Melendez) is a man: no "alcaldesa" in a text about
    Montebello that names no other mayor."""
    if "Montebello" in text or "NBC Los Angeles" in text:
        for m in re.finditer(r"\balcaldesa\b(?! (?:Danise|Valerie|Karen|Eileen|Henriquez))", text):
            return [f"{m.group(0)!r}: Montebello's mayor is “el alcalde”"]
    return []


_STRAIGHT = re.compile(r"\"[^\"]*\"|(?<![\w’])'[^']+'(?![\w])|«|»")


def quote_problems(text: str) -> list[str]:
    """Straight or angular quotation marks in Spanish prose (style: “…” and ‘…’)."""
    return [f"{m.group(0)[:40]!r}" for m in _STRAIGHT.finditer(_NON_PROSE_ROLE.sub(" ", text))]


def doubled_period(text: str) -> list[str]:
    """A sentence period right after a {tq} quotation, whose "trad." already ends in one."""
    return [m.group(0)[-40:] for m in re.finditer(r"\{tq\}`[^`]*`\.", text)]


_BARE = re.compile(r"Department of Homeland Security|Department of Justice|"
                   r"Enforcement and Removal Operations|Congressional Research Service|"
                   r"Immigration and Nationality Act")


def bare_agency_names(text: str) -> list[str]:
    """A U.S. agency's English name used as Spanish text, not as a gloss in parentheses."""
    out = []
    prose = _NON_PROSE_ROLE.sub(" ", text)
    for m in _BARE.finditer(prose):
        before = prose[:m.start()]
        if before.rfind("(") <= before.rfind(")"):  # not inside parentheses
            out.append(prose[max(0, m.start() - 30):m.end()])
    return out


CHECKS = {"ISO date": iso_dates, "ruled-out rendering": ruled_out,
          "Montebello's mayor": montebello_mayor_problems, "quotation marks": quote_problems,
          "period after trad.": doubled_period, "English agency name": bare_agency_names}

# ------------------------------------------------------------------------ the checks can fail


@pytest.mark.parametrize("check, old_text", [
    ("ISO date", "Vigente hasta que la comisión lo declaró nulo el 2025-06-30"),
    ("ISO date", "Creado en la reunión del concejo del 2025-07-01; no se halló el resultado"),
    ("ISO date", "Cronología: 2025-07 (solo el mes), del 2025-07 en adelante"),
    ("ruled-out rendering", "declaraba {tq}`nulo e inaplicable` el acuerdo"),
    ("ruled-out rendering", "el Miami Herald informa que el acuerdo {tq}`no era aplicable`"),
    ("ruled-out rendering", "(patrocinadora: comisionada Monica Haskell)"),
    ("ruled-out rendering", "Las tablas curadas son una selección. Las acciones locales"),
    ("ruled-out rendering", "dos tipos de evidencia; los sucesos"),
    ("ruled-out rendering", "la comisión votó 4-2 para suscribir el acuerdo, al fin y al cabo"),
    ("ruled-out rendering", "tal como la interpretó el abogado de la ciudad"),
    ("ruled-out rendering", "se reunió a las 5 p.m. del lunes"),
    ("Montebello's mayor", "talleres sobre derechos legales (San Gabriel Valley Tribune, vía "
                           "SoCal Press); la alcaldesa describió $100,000 en asistencia directa "
                           "(NBC Los Angeles)."),
    ("quotation marks", "declaró el acuerdo 'void and unenforceable' (nulo e inaplicable)"),
    ("quotation marks", "con la leyenda: \"Los migrantes mantienen viva esta isla\""),
    ("quotation marks", "el comisionado Donald «Donie» Lee"),
    ("period after trad.", "fue {tq}`a favor de derogar el acuerdo 287(g)`. La resolución"),
    ("English agency name", "un memorando de 2003 con el recién creado Department of Homeland "
                            "Security le dio continuidad"),
    ("English agency name", "ante la oficina local de Enforcement and Removal Operations de ICE"),
    ("English agency name", "que añadió una nueva subsección (g) a la sección 287 de la "
                            "Immigration and Nationality Act (8 U.S.C. 1357)"),
])
def test_each_check_fails_on_the_reviews_old_text(check, old_text):
    assert CHECKS[check](old_text), f"{check} did not catch {old_text!r}"


@pytest.mark.parametrize("check, good_text", [
    ("ISO date", "lo declaró nulo el 30 de junio de 2025 {cite:p}`wlrn-2025-06-30-kw-vote`"),
    ("ISO date", "El concejo adoptó la Ordenanza n.º 2025-06 en `data/curated/votes.csv`"),
    ("ISO date", "Las citas indican el medio y la fecha (por ejemplo, *WLRN, 2025-06-30*)"),
    ("ruled-out rendering", "El abogado de la ciudad, Grant Alley, dijo"),
    ("ruled-out rendering", "que el artículo convirtió en {tq}`uno de los patrocinadores de "
                            "la moción`"),
    ("Montebello's mayor", "En Montebello, el alcalde describió $100,000 (NBC Los Angeles); en "
                           "Santa Ana, la alcaldesa Valerie Amezcua propuso un fondo."),
    ("quotation marks", "el comisionado Donald “Donie” Lee dijo ‘sí’ y O'Brien también"),
    ("period after trad.", "fue {tq}`a favor de derogar el acuerdo 287(g)` La resolución"),
    ("English agency name", "el Departamento de Seguridad Nacional (Department of Homeland "
                            "Security) afirma"),
])
def test_each_check_passes_the_styled_text(check, good_text):
    assert not CHECKS[check](good_text), CHECKS[check](good_text)


# --------------------------------------------------------------------------- the real texts


def spanish_texts():
    """(where, text) for every Spanish msgstr of the story pages and every ``*_es`` cell."""
    for page in PAGES:
        for entry in read_po(LOCALE / f"{page}.po"):
            if entry.string:
                yield f"{page}.po: {entry.id[:50]!r}", entry.string
    for path in sorted(CURATED.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for i, row in enumerate(csv.DictReader(f), start=2):
                for col, value in row.items():
                    if col.endswith("_es") and value:
                        yield f"{path.name} line {i} {col}", value


TEXTS = list(spanish_texts())


def test_there_is_spanish_to_check():
    assert len(TEXTS) > 300
    assert any("claims.csv" in where for where, _ in TEXTS)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_the_spanish_text_follows_the_style_sheet(check):
    problems = [f"{where}: {p}" for where, text in TEXTS for p in CHECKS[check](text)]
    assert not problems, f"{len(problems)} {check} problem(s):\n" + "\n".join(problems[:25])


def test_void_and_unenforceable_has_one_rendering_everywhere():
    """The review's false friend (#8): prose, four CSV files and the captions all say it the
    same way."""
    found = {where.split(":")[0].split(" ")[0] for where, text in TEXTS
             if "nulo y sin efecto" in text}
    assert {"chapters/key-west.po", "chapters/votes.po", "chapters/what-is-287g.po",
            "claims.csv", "events.csv", "local_actions.csv", "votes.csv"} <= found, found


def test_roll_call_captions_are_spanish():
    """#29: "Comisión Municipal de Key West, 30 de junio de 2025: Resolución que declara nulo y
    sin efecto..." and no English body name in any Spanish caption."""
    votes = story.load("votes")
    captions = [story.roll_call_caption(votes, m, lang="es")
                for m in story.meetings(votes).itertuples()]
    assert len(captions) == votes.groupby(["meeting_date", "jurisdiction"]).ngroups >= 3
    assert any(c.startswith("Comisión Municipal de Key West, 30 de junio de 2025: Resolución "
                            "que declara nulo y sin efecto") for c in captions), captions
    for c in captions:
        assert not re.search(r"City (Commission|Council)|Commissioner|sponsor", c), c
        assert not iso_dates(c), c
    english = [story.roll_call_caption(votes, m, lang="en")
               for m in story.meetings(votes).itertuples()]
    assert english[0].startswith(story.meetings(votes, "en").iloc[0]["label"] + ": ")


def test_the_books_own_reference_titles_are_spanish():
    """#30: the titles the book wrote ("Report on ... (headline not captured)") have Spanish;
    real headlines have none (they stay as published)."""
    with (CURATED / "sources.csv").open(encoding="utf-8", newline="") as f:
        titles = [r["title"] for r in csv.DictReader(f)]
    book = [t for t in titles if re.search(r"\((headline not captured|untitled in the stored)", t)]
    assert len(book) >= 9
    for t in book:
        es = i18n.tr(t, lang="es")
        assert es != t and "headline" not in es, t
        assert not quote_problems(es) and not iso_dates(es), es


def test_the_glossary_agrees_with_the_style_sheet():
    """Every term the style sheet's table fixes and the glossary also holds has the same
    Spanish in both."""
    sheet = STYLE.read_text(encoding="utf-8")
    with (CURATED / "glossary.csv").open(encoding="utf-8", newline="") as f:
        glossary = {r["term_en"]: r["term_es"] for r in csv.DictReader(f)}
    assert glossary["city attorney"] == "abogado, abogada de la ciudad"
    assert "abogado, abogada de la ciudad" in sheet
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", sheet, re.M)
    assert len(rows) >= 15
    for english, spanish, _never in rows:
        if english.strip() in glossary:
            assert glossary[english.strip()] == spanish.strip(), english
        # a rendering the sheet rules out is never the glossary's
        for never in re.findall(r"^([^*(;]+)", _never):
            for variant in (v.strip() for v in never.split(",")):
                assert variant.lower() not in {v.lower() for v in glossary.values()}, variant
