"""Find an agency in Spanish (issue 14): the page's words come from ice287g.lookup in the
edition's language, and the script shows only words the page gives it.

The unit tests check the strings tables (every English text of the page and of the script has
a Spanish one, the script uses exactly those keys and types none of the English words itself);
the built-book and browser tests read and drive the Spanish edition's page
(``es/chapters/find-an-agency.html``) like a Spanish-speaking reader.
"""

from __future__ import annotations

import csv
import html
import json
import re

import pytest

from book_browser import DESKTOP, PHONE, lookup_opener
from conftest import REPO
from ice287g import load, words
from ice287g import i18n, lookup

PROCESSED = REPO / "data" / "processed"
SCRIPT = REPO / "assets" / "lookup" / "lookup.js"
ES_PAGE = "es/chapters/find-an-agency.html"
EN_PAGE = "chapters/find-an-agency.html"


def english_texts() -> list[str]:
    """Every English text of the page and of its script."""
    return [*(text for _, text in lookup.TABLE_COLUMNS), *(t for _, t in lookup.STATUS_OPTIONS),
            *(t for _, t in lookup.SORT_OPTIONS), *lookup.PAGE_TEXTS.values(),
            *lookup.SCRIPT_TEXTS.values(), *words.PARTS_OF_DAY.values()]


def csv_rows(name: str) -> list[dict]:
    with (PROCESSED / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def page_words(page_html: str) -> dict:
    found = re.search(r'<script type="application/json" id="lookup-texts">(.*?)</script>',
                      page_html, re.S)
    assert found, "the page carries no #lookup-texts"
    return json.loads(found.group(1))


# ------------------------------------------------------------------------- unit: strings
def test_every_english_text_has_a_spanish_one_with_the_same_fields():
    catalogue = i18n.catalogue("es")
    missing = [t for t in english_texts() if t not in catalogue]
    assert not missing, f"no Spanish for: {missing}"
    for text in english_texts():
        assert i18n.placeholders(catalogue[text]) == i18n.placeholders(text), text
    # Translated, not copied: only words that are the same in both languages may match.
    same = {t for t in english_texts() if catalogue[t] == t
            and re.sub(r"\{\w+\}", "", t).strip(" ()")}  # a pattern of fields has no words
    assert same <= {"no", "Total"}, same


def test_spanish_texts_use_the_glossary_and_spanish_dates_of_the_formats():
    words = lookup.texts("es", agency_types=["County", "Municipality", "State Agency"],
                         support_types=["Task Force Model", "Jail Enforcement Model",
                                        "Warrant Service Officer"],
                         states=["North Carolina", "Ohio", "Hawaii"])
    assert words["lang"] == "es"
    assert words["labels"] == {
        "County": "De condado", "Municipality": "Municipal", "State Agency": "Agencia estatal",
        "Task Force Model": "Modelo de fuerza de tarea",
        "Jail Enforcement Model": "Modelo de control en cárceles",
        "Warrant Service Officer": "Modelo de agente de ejecución de órdenes"}
    # an agency's type "De condado" beside the County column "Condado" (review #26)
    assert words["columns"]["county"] == "Condado"
    # Only the names written otherwise in Spanish (Ohio is Ohio).
    assert words["states"] == {"North Carolina": "Carolina del Norte", "Hawaii": "Hawái"}
    assert words["thousands"] == i18n.FORMATS["es"]["thousands"]
    assert words["texts"]["listed"] == "Todavía en la lista"
    assert words["columns"]["status"] == "Situación"
    english = lookup.texts("en", agency_types=["County"], states=["North Carolina"])
    assert english["labels"] == {"County": "County"} and english["states"] == {}
    assert english["texts"] == lookup.SCRIPT_TEXTS


def test_an_untranslated_data_value_is_shown_as_ice_wrote_it():
    """Issue 20: a value ICE starts using stops no build; the Spanish page shows ICE's text
    (it used to raise TranslationError, which stopped the Spanish edition)."""
    assert lookup.texts("es", support_types=["Sheriff Partnership Model"])["labels"] == {
        "Sheriff Partnership Model": f"Sheriff Partnership Model ({i18n.tr('untransl.', 'es')})"}
    # English needs no catalogue: the value is shown as ICE wrote it.
    assert lookup.texts("en", support_types=["Sheriff Partnership Model"])["labels"] == {
        "Sheriff Partnership Model": "Sheriff Partnership Model"}


def test_the_script_uses_exactly_the_texts_the_page_gives_it_and_types_no_words():
    js = SCRIPT.read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("(\w+)"', js))
    used |= {k for a, b in re.findall(r't\(\w[^()]*\? "(\w+)" : "(\w+)"', js) for k in (a, b)}
    assert used == set(lookup.SCRIPT_TEXTS), (
        f"used but not defined: {sorted(used - set(lookup.SCRIPT_TEXTS))}; "
        f"defined but unused: {sorted(set(lookup.SCRIPT_TEXTS) - used)}")
    columns = set(re.findall(r'cell\("(\w+)"', js))
    assert columns == {key for key, _ in lookup.TABLE_COLUMNS}
    # No English sentence of the page is typed into the script (it would not be translated).
    code = re.sub(r"/\*.*?\*/|^\s*//.*$", "", js, flags=re.S | re.M)  # comments may quote
    literals = [s for s in re.findall(r'"((?:[^"\\]|\\.)*)"', code)
                if re.search(r"[A-Za-z]{3,} [a-z]{2,}", s)]  # words, not keys or selectors
    # Two words or more of an English text (the parts between its {fields}).
    fragments = {f.strip(" .:;,()“”") for text in english_texts()
                 for f in re.split(r"\{\w+\}", text)}
    fragments = {f for f in fragments if re.search(r"\w{2,} \w{2,}", f)}
    typed = [s for s in literals
             if any(f in s for f in fragments) or any(s.strip(" .:;") in t
                                                      for t in english_texts())]
    assert not typed, f"English words typed in lookup.js: {typed}"


def test_the_english_page_is_the_one_the_book_had():
    """English edition unchanged: the controls, options, headers and texts of the page as
    chapters/find-an-agency.md carried them before the page came from code."""
    page = lookup.page_html("en", PROCESSED)
    assert '<label for="lookup-q">Agency, county or state</label>' in page
    assert ('<select id="lookup-status"><option value="all">All agreements</option>'
            '<option value="listed">Still listed</option><option value="left">Left the list'
            "</option></select>") in page
    assert ('<th scope="col" data-sort="signed"><button type="button">Signed (per ICE)'
            "</button></th>") in page
    assert ('Letter case, accents and apostrophes do not matter ("sheriffs" finds '
            '"Sheriff’s")') in page
    assert ('<noscript><p>This search needs JavaScript. The same data is in <code>'
            'agreements.csv</code> on the <a href="downloads.html">Downloads</a> page.</p>'
            "</noscript>") in page
    assert page_words(page)["texts"] == lookup.SCRIPT_TEXTS


def test_the_spanish_page_has_no_english_text_of_the_page():
    page = lookup.page_html("es", PROCESSED)
    visible = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page,
                                                           flags=re.S)))
    catalogue = i18n.catalogue("es")
    left = [t for t in english_texts() if catalogue[t] != t and len(t) > 3
            and re.search(r"[A-Za-z]{2}", t.split("{")[0])  # words, not just ";"
            and t.split("{")[0].strip() in visible]
    assert not left, f"English on the Spanish page: {left}"
    assert '<label for="lookup-q">Agencia, condado o estado</label>' in page
    assert '<a href="downloads.html">Descargas</a>' in page
    words = page_words(page)
    assert words["lang"] == "es"
    # Every agency type, support type and state of the data has its Spanish form.
    values = lookup.page_values(PROCESSED)
    assert set(words["labels"]) == set(values["agency_types"]) | set(values["support_types"])
    assert words["states"]["New York"] == "Nueva York"
    assert all(v != k for k, v in words["labels"].items())


def test_the_page_is_rerendered_when_its_words_change():
    deps = {p.name for p in lookup.page_dependencies(PROCESSED)}
    assert {"lookup.py", "i18n.py", "lookup.po", "explorer.po", "agreements.csv"} <= deps
    assert all(p.is_file() for p in lookup.page_dependencies(PROCESSED))


# ------------------------------------------------------------------------- the built book
@pytest.mark.book
def test_the_built_spanish_page_is_spanish_and_links_its_english_counterpart(built_book):
    es = (built_book / ES_PAGE).read_text(encoding="utf-8")
    en = (built_book / EN_PAGE).read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="es"', es)
    assert page_words(es)["lang"] == "es" and page_words(en)["lang"] == "en"
    assert "Agencia, condado o estado" in es and "Agency, county or state" not in es
    assert "Agency, county or state" in en
    # The data file is the same in both editions (the words are in the page, not the data).
    assert (built_book / "es/_static/lookup/agreements.js").read_bytes() == (
        built_book / "_static/lookup/agreements.js").read_bytes()


# ------------------------------------------------------------------------- in chromium
@pytest.fixture
def spanish_page(book_server, chromium_browser):
    with lookup_opener(book_server, chromium_browser, ES_PAGE) as open_:
        yield open_


def row_texts(page) -> list[dict]:
    return page.locator("#lookup-body tr").evaluate_all(
        "trs => trs.map(tr => Object.fromEntries(Array.from(tr.cells).map("
        "td => [td.dataset.label, td.innerText.replace(': ver su historial en las listas', '')"
        ".trim()])))")


def key_west() -> dict:
    return next(r for r in csv_rows("agreements.csv")
                if r["agency"] == "Key West Police Department" and r["state"] == "Florida")


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_spanish_reader_finds_key_west_by_its_english_name(spanish_page, viewport):
    kw = key_west()
    page, _ = spanish_page(viewport=viewport)
    assert page.evaluate("document.documentElement.lang") == "es"
    page.get_by_label("Agencia, condado o estado").fill("key west police")
    rows = row_texts(page)
    assert [r["Agencia"] for r in rows] == ["Key West Police Department"], rows
    row = rows[0]
    # ICE's names stay as ICE wrote them; the book's words are Spanish.
    assert row["Estado"] == "Florida" and kw["county"] == ""
    assert row["Condado"].startswith("Monroe County (según la tabla de lugares del libro")
    assert row["Tipo de agencia"] == "Municipal" and kw["agency_type"] == "Municipality"
    assert row["Modelo"] == i18n.tr(kw["support_type"], "es") != kw["support_type"]
    assert row["Firmado (según ICE)"] == i18n.format_date(kw["signed"], "es")
    assert re.fullmatch(r"\d{1,2} de [a-z]+ de \d{4}", row["Firmado (según ICE)"])
    assert row["Situación"] == "Todavía en la lista"
    count = page.locator("#lookup-count").inner_text()
    assert count.startswith("1 acuerdo coincide con “key west police” (1 todavía en la lista"), count
    if viewport is PHONE:  # the card layout labels each line with the Spanish header
        label = page.locator("#lookup-body td").nth(1).evaluate(
            "td => getComputedStyle(td, '::before').content")
        assert label == '"Estado: "', label


@pytest.mark.browser
def test_spanish_counts_statuses_and_the_no_match_sentences(spanish_page):
    rows = csv_rows("agreements.csv")
    data = lookup.payload(load.dataset(PROCESSED), lookup.read_places(REPO / "data" / "curated"))
    nxt = data["columns"].index("next")
    edited = {r[0] for r in data["rows"] if r[nxt]}
    total = len(rows)
    left = sum(r["listed_in_latest"] == "false" and r["agreement_id"] not in edited for r in rows)
    page, _ = spanish_page()
    count = page.locator("#lookup-count").inner_text()
    assert count == (f"{total:,} acuerdos ({total - left - len(edited):,} todavía en la lista, "
                     f"{left:,} fuera de la lista); {len(edited):,} filas modificadas por ICE; "
                     "se muestran los primeros 100."), count
    assert page.locator("#lookup-more").inner_text() == f"Mostrar los {total:,} acuerdos que coinciden"
    page.get_by_label("Mostrar").select_option("left")
    statuses = {r["Situación"].split(":")[0] for r in row_texts(page)}
    assert statuses == {"Fuera"}, statuses
    first = row_texts(page)[0]["Situación"]
    assert re.fullmatch(r"Fuera: visto por última vez el \d{1,2} de [a-z]+ de \d{4}; no figura "
                        r"en la lista del \d{1,2} de [a-z]+ de \d{4}( \(.*\))?", first), first
    page.get_by_label("Mostrar").select_option("all")
    box = page.get_by_label("Agencia, condado o estado")
    box.fill("ninguna agencia se llama así")
    assert page.locator("#lookup-count").inner_text() == (
        "Ningún acuerdo coincide con “ninguna agencia se llama así”.")
    listed = {r["state"] for r in rows}
    assert "California" not in listed
    box.fill("california")
    assert page.locator("#lookup-count").inner_text() == (
        "Las listas de ICE del archivo de este libro no muestran ningún acuerdo en California.")


@pytest.mark.browser
def test_a_state_is_found_by_its_spanish_name_too(spanish_page):
    carolina = [r for r in csv_rows("agreements.csv") if r["state"] == "North Carolina"]
    assert carolina, "no North Carolina agreement: pick another state written otherwise"
    page, _ = spanish_page()
    page.get_by_label("Agencia, condado o estado").fill("Carolina del Norte")
    if len(carolina) > 100:
        page.locator("#lookup-more").click()
    rows = row_texts(page)
    # The Spanish edition writes the state's name in Spanish.
    assert len(rows) == len(carolina) and {r["Estado"] for r in rows} == {"Carolina del Norte"}
    # ICE's name still finds them (and agencies named after the state elsewhere).
    english = [r for r in csv_rows("agreements.csv")
               if all(w in f"{r['agency']} {r['county']} {r['state']}".lower()
                      for w in ("north", "carolina"))]
    assert len(english) >= len(carolina)
    page.get_by_label("Agencia, condado o estado").fill("north carolina")
    assert page.locator("#lookup-count").inner_text().startswith(f"{len(english):,} acuerdos")


@pytest.mark.browser
def test_the_spanish_listing_history(spanish_page):
    kw = key_west()
    page, _ = spanish_page(f"?id={kw['agreement_id']}")
    panel = page.locator("#lookup-history")
    assert panel.is_visible()
    assert panel.locator("h2").inner_text() == "Historial en las listas: Key West Police Department"
    text = panel.inner_text()
    assert f"firmado el {i18n.format_date(kw['signed'], 'es')}, según ICE" in text
    assert re.search(r"Todavía en la lista\. En \d+ de las \d+ listas del archivo, del "
                     r"13 de enero de 2021 al \d{1,2} de [a-z]+ de \d{4}", text), text
    heads = panel.locator("table thead th").all_inner_texts()
    assert heads == ["En la lista", "Desde", "Hasta", "Listas"]
    kinds = set(panel.locator("table tbody tr td:first-child").all_inner_texts())
    assert kinds <= {"sí", "no"} and "sí" in kinds
    assert panel.locator("caption").inner_text() == (
        "Tramos de listas consecutivas de ICE con y sin este acuerdo")
    assert panel.get_by_role("link", name="Enlace a este acuerdo").is_visible()
    panel.get_by_role("button", name="Cerrar el historial").click()
    assert panel.is_hidden()
    # An agency with several agreements lists each with its signing date, in parentheses:
    # “(firmado el 26 de febrero de 2025, según ICE)”, no parenthesis inside another.
    rows = csv_rows("agreements.csv")
    hills = next(r for r in rows if r["agency"] == "Hillsborough County Sheriff's Office"
                 and r["state"] == "Florida" and r["signed"])
    page, _ = spanish_page(f"?id={hills['agreement_id']}")
    group = page.locator("#lookup-history ul.lookup-group").inner_text()
    assert f"(firmado el {i18n.format_date(hills['signed'], 'es')}, según ICE)" in group, group
    assert "))" not in group, group


@pytest.mark.browser
def test_a_new_rows_history_dates_the_old_name_as_the_old_rows_status_does(spanish_page):
    """ICE sometimes listed a row's corrected form before it dropped the old one (Arkansas
    State Police Department from July 8, 2025; "Arkansas State Police" on August 8): the
    sentence on the new row's history, "Hasta la lista del X, ICE publicaba este acuerdo como
    ...", names the list the old row's own status names ("a partir de la lista del X"), not
    the new row's first list."""
    data = lookup.payload(load.dataset(PROCESSED), lookup.read_places(REPO / "data" / "curated"))
    col = {c: i for i, c in enumerate(data["columns"])}
    rows = {r[col["id"]]: r for r in data["rows"]}
    overlap = next((old, rows[old[col["next"]]]) for old in data["rows"]
                   if old[col["next"]] in rows and rows[old[col["next"]]][col["spells"]]
                   and old[col["spells"]][-1] + 1 != rows[old[col["next"]]][col["spells"]][0])
    old, new = overlap
    page, _ = spanish_page(f"?id={new[col['id']]}")
    text = page.locator("#lookup-history").inner_text()
    before = re.search(r"Hasta la lista del (.+?), ICE publicaba este acuerdo como", text)
    status = re.search(r"Fila modificada por ICE \(.*?\) a partir de la lista del (.+?): no es",
                       text)
    assert before and status, text
    assert before.group(1) == status.group(1), text


@pytest.mark.browser
def test_sorting_by_support_type_follows_the_spanish_words(spanish_page):
    page, _ = spanish_page("?q=florida")
    page.get_by_label("Ordenar por").select_option("support")
    page.locator("#lookup-more").click()
    shown = [r["Modelo"] for r in row_texts(page)]
    order = list(dict.fromkeys(shown))
    assert order == sorted(order) and "Modelo de agente de ejecución de órdenes" in order, order
    assert page.locator("th[data-sort=support]").get_attribute("aria-sort") == "ascending"


def test_a_label_ice_starts_using_is_shown_as_ice_wrote_it_not_an_error():
    """Issue 20: an agency or support type with no Spanish (here 'Sheriff') stops neither the
    Spanish page's words nor its build; the book's own words stay strict."""
    from ice287g import i18n, lookup

    words = lookup.texts("es", agency_types=["County", "Sheriff"], support_types=["Task Force Model"])
    assert words["labels"]["Sheriff"] == "Sheriff (sin trad.)"
    assert words["labels"]["County"] == i18n.ptr("agency type", "County", "es") != "County"
    with pytest.raises(i18n.TranslationError):
        i18n.tr("Sheriff", "es")
