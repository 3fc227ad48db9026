"""The Spanish edition's prose catalogues (locales/es/LC_MESSAGES/*.po) against the English.

Each page of the book has a catalogue; each catalogue has exactly the English page's entries
(no stale, no missing), every entry is translated, and every translation keeps the English
entry's roles byte for byte: glued values, citations, cross-references, inline code and links.
A quotation translated from English is marked with the ``{tq}`` role; a quotation left in plain
quotation marks must be the English entry's own words (a kept term) or a recorded passage's
(a Spanish original in data/curated/evidence.csv). The glossary's Spanish terms are used and
the variants it rules out are not.
"""

from __future__ import annotations

import csv
import functools
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locales" / "es" / "LC_MESSAGES"
EVIDENCE = ROOT / "data" / "curated" / "evidence.csv"
GLOSSARY = ROOT / "data" / "curated" / "glossary.csv"

sys.path.insert(0, str(ROOT / "tools"))


def read_po(path: Path):
    from babel.messages.pofile import read_po as babel_read_po

    with path.open("rb") as f:
        return [m for m in babel_read_po(f, locale="es") if m.id]


def toc_pages() -> list[str]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return pages


PAGES = toc_pages()
CATALOGUES = sorted(p.relative_to(LOCALE).with_suffix("").as_posix()
                    for p in LOCALE.rglob("*.po"))

# Roles and other spans a translation must keep byte for byte.
ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
CODE = re.compile(r"(?<![}`])`([^`{}]+)`(?!`)")
URL = re.compile(r"https?://[^\s)>\]]+")
LINK_TARGET = re.compile(r"\]\(([^)]+)\)")
FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
#: Roles whose whole text is kept; for {doc}/{ref} only the target is.
KEEP_WHOLE = {"glue", "glue:text", "glue:any", "glue:figure", "glue:md", "cite:p", "cite:t",
              "cite", "numref", "eq"}
QUOTE = re.compile(r"“([^”]+)”|\"([^\"]+)\"")


def role_target(name: str, text: str) -> str:
    if name in {"doc", "ref", "download"}:
        m = re.match(r"^(.*?)\s*<([^<>]+)>$", text, re.S)
        return m.group(2) if m else text
    return text


def kept_spans(text: str) -> Counter:
    spans = Counter()
    for name, body in ROLE.findall(text):
        if name == "tq":
            continue
        spans[f"{{{name}}}" + (body if name in KEEP_WHOLE else role_target(name, body))] += 1
    stripped = ROLE.sub("", text)
    spans.update("code:" + c for c in CODE.findall(stripped))
    spans.update("url:" + u for u in URL.findall(stripped))
    spans.update("link:" + t for t in LINK_TARGET.findall(stripped))
    spans.update("footnote:" + f for f in FOOTNOTE.findall(stripped))
    return spans


def quotations(text: str) -> list[str]:
    """Quoted spans outside roles and inline code."""
    text = CODE.sub("", ROLE.sub("", text))
    return [a or b for a, b in QUOTE.findall(text)]


def evidence_text() -> str:
    if not EVIDENCE.exists():
        return ""
    with EVIDENCE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return "\n".join(r.get("passage", "") for r in rows)


@functools.lru_cache(maxsize=1)
def interface_words() -> str:
    """Every Spanish text code writes (ice287g/locale/es/*.json), placeholders removed: prose
    may quote a word the Spanish page shows (a column header, a status), as the English quotes
    the English one."""
    from ice287g import i18n

    texts = i18n.catalogue("es").values()
    return "\n".join(normalise(re.sub(r"\{[^{}]*\}", "\n", t)) for t in texts)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


# ------------------------------------------------------------------ the checks, as functions
def role_problems(entry_id: str, entry_str: str) -> list[str]:
    want, got = kept_spans(entry_id), kept_spans(entry_str)
    problems = []
    for span in sorted((want - got).keys()):
        problems.append(f"lost or changed: {span}")
    for span in sorted((got - want).keys()):
        problems.append(f"not in the English: {span}")
    return problems


def quotation_problems(entry_id: str, entry_str: str, evidence: str) -> list[str]:
    problems = []
    english_quotes = quotations(entry_id)
    translated = [body for name, body in ROLE.findall(entry_str) if name == "tq"]
    plain = quotations(entry_str)
    english_norm = normalise(entry_id)
    for q in plain:
        qn = normalise(q)
        if qn in english_norm or (evidence and qn in evidence) or qn in interface_words():
            continue
        problems.append(f"quotation in plain quotation marks that is neither the English "
                        f"entry's words nor a recorded passage (a translated quotation must "
                        f"use {{tq}}): “{q}”")
    if len(translated) + len(plain) < len(english_quotes):
        problems.append(f"the English has {len(english_quotes)} quotations, the Spanish "
                        f"{len(translated) + len(plain)}")
    return problems


def looks_untranslated(entry_id: str, entry_str: str) -> bool:
    words = re.findall(r"[A-Za-z]{3,}", CODE.sub("", ROLE.sub("", entry_id)))
    return entry_str.strip() == entry_id.strip() and len(words) >= 4


# ---------------------------------------------------------------------------------- tests
def test_every_page_has_a_catalogue():
    missing = [p for p in PAGES if p not in CATALOGUES]
    assert not missing, f"pages of _toc.yml without locales/es/LC_MESSAGES/<page>.po: {missing}"
    extra = [c for c in CATALOGUES if c not in PAGES and c != "sphinx"]
    assert not extra, f"catalogues for pages that are not in _toc.yml: {extra}"


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """The English pages' entries, extracted afresh (Sphinx's gettext builder, 5 s)."""
    import editions

    out = editions._gettext(tmp_path_factory.mktemp("gettext"))
    return {t.relative_to(out).with_suffix("").as_posix(): t for t in sorted(out.rglob("*.pot"))}


@pytest.mark.slow
def test_catalogues_match_the_english_pages(templates):
    """Compare entry by entry: a changed English paragraph must be re-translated
    (``python tools/editions.py extract``)."""
    from babel.messages.pofile import read_po as babel_read_po

    differences = []
    for page, template in templates.items():
        with template.open("rb") as f:
            english = {m.id for m in babel_read_po(f) if m.id}
        po = LOCALE / f"{page}.po"
        have = {m.id for m in read_po(po)} if po.exists() else set()
        if english - have:
            differences.append(f"{page}: {len(english - have)} English entries missing, e.g. "
                               f"{sorted(english - have)[0][:80]!r}")
        if have - english:
            differences.append(f"{page}: {len(have - english)} stale entries, e.g. "
                               f"{sorted(have - english)[0][:80]!r}")
    assert not differences, ("run `python tools/editions.py extract`, then translate:\n"
                             + "\n".join(differences))


@pytest.mark.slow
def test_catalogues_are_as_extract_writes_them(templates, tmp_path):
    """Running ``extract`` would change no byte of any catalogue (checked on copies): the
    files carry no dates or line numbers, and hand edits kept the format."""
    import editions

    changed = []
    for page, template in templates.items():
        po = LOCALE / f"{page}.po"
        if not po.exists():
            continue
        copy = tmp_path / "es" / "LC_MESSAGES" / f"{page}.po"
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(po.read_bytes())
        editions.update_catalogue(template, copy, "es", locales=tmp_path)
        if copy.read_bytes() != po.read_bytes():
            changed.append(page)
    assert not changed, ("catalogues not in extract's format (run `python tools/editions.py "
                         f"extract --only PAGE`): {changed}")


@pytest.mark.parametrize("page", CATALOGUES)
def test_every_entry_is_translated(page):
    entries = read_po(LOCALE / f"{page}.po")
    untranslated = [m.id[:70] for m in entries if not m.string.strip()]
    assert not untranslated, f"{page}: {len(untranslated)} untranslated entries: {untranslated[:5]}"
    same = [m.id[:70] for m in entries if looks_untranslated(m.id, m.string)]
    assert not same, f"{page}: entries whose Spanish is the English text: {same[:5]}"
    fuzzy = [m.id[:70] for m in entries if m.fuzzy]
    assert not fuzzy, f"{page}: fuzzy entries (Sphinx ignores them): {fuzzy[:5]}"


@pytest.mark.parametrize("page", CATALOGUES)
def test_translations_keep_roles_codes_and_links(page):
    problems = []
    for m in read_po(LOCALE / f"{page}.po"):
        if m.string:
            problems += [f"{m.id[:60]!r}: {p}" for p in role_problems(m.id, m.string)]
    assert not problems, f"{page}:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("page", CATALOGUES)
def test_translated_quotations_are_marked(page):
    evidence = normalise(evidence_text())
    problems = []
    for m in read_po(LOCALE / f"{page}.po"):
        if m.string:
            problems += [f"{m.id[:60]!r}: {p}"
                         for p in quotation_problems(m.id, m.string, evidence)]
    assert not problems, f"{page}:\n" + "\n".join(problems[:20])


def test_glossary_terms_are_used_consistently():
    if not GLOSSARY.exists():
        pytest.fail("data/curated/glossary.csv is missing (the glossary of issue 14)")
    with GLOSSARY.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and {"term_en", "term_es", "avoid_es"} <= set(rows[0])
    spanish = {page: " ".join(m.string for m in read_po(LOCALE / f"{page}.po"))
               for page in CATALOGUES}
    problems = []
    for row in rows:
        for variant in filter(None, (v.strip() for v in row["avoid_es"].split("|"))):
            for page, text in spanish.items():
                if re.search(r"\b" + re.escape(variant) + r"\b", text, re.I):
                    problems.append(f"{page}: {variant!r} instead of {row['term_es']!r}")
    assert not problems, "\n".join(problems)
    glossary_page = " ".join(m.string for m in read_po(LOCALE / "chapters/glossary.po")) \
        if (LOCALE / "chapters/glossary.po").exists() else ""
    missing = [r["term_es"] for r in rows if r["term_es"].lower() not in glossary_page.lower()]
    assert not missing, f"the Spanish glossary page does not give: {missing}"


# ------------------------------------------------------------ the checks can fail (toy cases)
def test_role_check_catches_a_changed_glue_key_and_citation():
    en = "It has {glue:text}`a.ipynb::n:,d` agreements {cite:p}`ice-1,wlrn-2`."
    assert role_problems(en, "Tiene {glue:text}`a.ipynb::n:,d` acuerdos {cite:p}`ice-1,wlrn-2`.") == []
    assert role_problems(en, "Tiene {glue:text}`a.ipynb::n:d` acuerdos {cite:p}`ice-1,wlrn-2`.")
    assert role_problems(en, "Tiene {glue:text}`a.ipynb::n:,d` acuerdos {cite:p}`ice-1`.")
    doc_en = "See {doc}`the votes <votes>` and `votes.csv`."
    assert role_problems(doc_en, "Vea {doc}`las votaciones <votes>` y `votes.csv`.") == []
    assert role_problems(doc_en, "Vea {doc}`las votaciones <checking>` y `votes.csv`.")
    assert role_problems(doc_en, "Vea {doc}`las votaciones <votes>` y `votos.csv`.")


def test_quotation_check_catches_an_unmarked_translation():
    en = 'Melendez said "it\'s just wrong to tear families apart," at the meeting.'
    ok = "Melendez dijo en la reunión: {tq}`simplemente está mal separar a las familias`."
    bad = "Melendez dijo en la reunión: “simplemente está mal separar a las familias”."
    assert quotation_problems(en, ok, "") == []
    assert quotation_problems(en, bad, "")
    assert quotation_problems(en, "Melendez habló en la reunión.", "")  # quotation dropped
    kept = 'The column "SIGNED" is blank.'
    assert quotation_problems(kept, 'La columna "SIGNED" está vacía.', "") == []
    # A word the Spanish page itself shows (from ice287g/locale/es) may be quoted.
    ui = 'Its status reads "Left".'
    assert quotation_problems(ui, 'Su estado dice “Fuera”.', "") == []
    assert quotation_problems(ui, 'Su estado dice “Se fue”.', "")


def test_untranslated_check():
    assert looks_untranslated("The city voted to void it", "The city voted to void it")
    assert not looks_untranslated("Key West", "Key West")
    assert not looks_untranslated("The city voted to void it", "La ciudad votó anularlo")
