"""The Spanish edition's tables, story data and freshness text (issue 14).

The story tables (roll calls, timeline, claims with verdicts, local actions), the table helpers
of ``ice287g.key_west_list``, ``ice287g.churn`` and ``ice287g.diff``, the words of ``ice287g.words``, the glued status and freshness sentences, and the
code of the key-west-list, what-changed and story-tables notebooks must come out in Spanish
when the language is ``es``: headers, verdicts, vote words, date notes, support types and
the curated prose (each English column's ``*_es`` twin). The expected Spanish words below are
typed by hand, never computed by the code under test.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ice287g import churn, diff, i18n, key_west_list, load, story, words

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "data" / "curated"
NOTEBOOKS = ["key-west-list", "what-changed", "story-tables"]
MODULES = ["ice287g/story.py", "ice287g/words.py", "ice287g/key_west_list.py", "ice287g/churn.py",
           "ice287g/diff.py"]

SPANISH_VERDICTS = {"confirmado", "parcialmente confirmado", "desmentido", "no verificado"}
SPANISH_VOTES = {"sí", "no", "ausente", "se inhibió"}
SUPPORT_TYPES_ES = {"Modelo de fuerza de tarea", "Modelo de control en cárceles",
                    "Modelo de agente de ejecución de órdenes"}


@pytest.fixture(scope="module")
def tables():
    return story.check()


# --------------------------------------------------------------------------- story tables
def test_roll_calls_in_spanish_have_spanish_headers_roles_votes_and_captions(tables):
    votes = tables["votes"]
    for meeting in story.meetings(votes).itertuples(index=False):
        with i18n.language("es"):
            label = story.meetings(votes).set_index("key").at[meeting.key, "label"]
            roll = story.roll_call(votes, meeting.meeting_date, meeting.jurisdiction)
            assert list(roll.columns) == ["Miembro", "Cargo", "Voto"]
            assert set(roll["Voto"]) <= SPANISH_VOTES
            assert not set(roll["Cargo"]) & set(votes["role"]), "an English role in Spanish"
            caption = story.roll_call_caption(votes, meeting)
            assert "Votos registrados aquí: a favor, " in caption and "Recorded" not in caption
            assert " de 2025" in label, label  # "Key West City Commission, 30 de junio de 2025"
        with i18n.language("en"):
            en = story.roll_call(votes, meeting.meeting_date, meeting.jurisdiction)
            assert list(en.columns) == ["Member", "Role", "Vote"]
            assert list(en["Member"]) == list(roll["Miembro"])  # same people, same order
            assert [str(v) for v in en["Vote"]] == [{"sí": "yes", "no": "no", "ausente": "absent",
                                                     "se inhibió": "recused"}[v] for v in roll["Voto"]]


def test_key_west_june_30_roll_call_in_spanish(tables):
    roll = story.roll_call(tables["votes"], "2025-06-30", "Key West", lang="es")
    rows = dict(zip(roll["Miembro"], zip(roll["Cargo"], roll["Voto"])))
    assert rows["Danise Henriquez"] == ("Alcaldesa", "sí")
    assert rows["Lissette Carey"] == ("Comisionada", "no")
    assert rows["Donald Lee"] == ("Comisionado (Distrito 3)", "sí")


def test_timeline_in_spanish_uses_the_spanish_columns_and_date_notes(tables):
    events, sources = tables["events"], tables["sources"]
    es = story.timeline(events, sources, lang="es")
    assert list(es.columns) == ["Fecha", "Lugar", "Qué pasó", "Cifras", "Fuentes"]
    en = story.timeline(events, sources, lang="en")
    assert len(es) == len(en)
    same = [w for w, v in zip(en["What happened"], es["Qué pasó"]) if w == v]
    assert not same, f"event sentences left in English: {same[:3]}"
    # dates for people, as sentences write them, to the precision events.csv records
    nbsp = "\u00a0"
    dates = dict(zip(events["event_id"], events["date"]))
    shown_es = dict(zip(story._by_date(events, "event_id")["event_id"], es["Fecha"]))
    shown_en = dict(zip(story._by_date(events, "event_id")["event_id"], en["Date"]))
    for event_id, precision in zip(events["event_id"], events["date_precision"]):
        iso = dates[event_id]
        assert not re.search(r"\d{4}-\d{2}", shown_es[event_id] + shown_en[event_id]), iso
        if precision == "year":
            assert shown_es[event_id] == shown_en[event_id] == iso
        elif precision == "month":
            assert shown_es[event_id] == i18n.format_month(iso + "-01", "es").replace(" ", nbsp)
        else:
            assert shown_es[event_id] == i18n.format_date(iso, "es").replace(" ", nbsp)
            assert shown_en[event_id] == i18n.format_date(iso, "en").replace(" ", nbsp)
    assert {"month", "year", "day"} <= set(events["date_precision"])
    assert "Estados Unidos" in set(es["Lugar"]) and "United States" not in set(es["Lugar"])
    # the sources are the same links in both editions (only labels the book wrote differ)
    href = re.compile(r'href="([^"]+)"')
    assert [href.findall(c) for c in en["Sources"]] == [href.findall(c) for c in es["Fuentes"]]


def test_claims_in_spanish_show_verdicts_evidence_and_the_marked_original(tables):
    claims, sources = tables["claims"], tables["sources"]
    es = story.claims_table(claims, sources, lang="es")
    assert list(es.columns) == ["Afirmación", "Veredicto", "Pruebas", "Fuentes"]
    assert set(es["Veredicto"]) <= SPANISH_VERDICTS
    en = story.claims_table(claims, sources, lang="en")
    assert list(en.columns) == ["Claim", "Verdict", "Evidence", "Sources"]
    assert [e == s for e, s in zip(en["Evidence"], es["Pruebas"])] == [False] * len(claims)
    for quote, cell in zip(claims["quote"], es["Afirmación"]):
        # the translation, marked as one, and the English original marked as English
        assert '<span class="translated-quote">“' in cell and '">trad.</abbr></sup>' in cell
        assert "Original en inglés:" in cell
        original = re.search(r'<span lang="en">(.*)</span>$', cell).group(1)
        assert original == (en["Claim"][list(claims["quote"]).index(quote)])
    counts = story.verdict_counts(claims, lang="es")
    assert list(counts.columns) == ["Veredicto", "Afirmaciones"]
    assert list(counts["Veredicto"]) == ["confirmado", "parcialmente confirmado", "desmentido",
                                         "no verificado"]
    assert counts["Afirmaciones"].sum() == len(claims)


def test_local_actions_in_spanish(tables):
    es = story.local_actions_table(tables["local_actions"], tables["sources"], lang="es")
    assert list(es.columns) == ["Fecha", "Lugar", "Tipo", "Qué", "Monto (USD)", "Resultado",
                                "Fuentes"]
    assert set(es["Tipo"]) <= {"votación sobre el 287(g)", "fondo de ayuda", "ordenanza",
                               "demanda", "directiva ejecutiva", "moción", "acuerdo firmado",
                               "carta"}
    assert "$100,000" in set(es["Monto (USD)"])
    en = story.local_actions_table(tables["local_actions"], tables["sources"], lang="en")
    assert not [a for a, b in zip(en["Outcome"], es["Resultado"]) if a and a == b]


def test_events_table_of_the_key_west_list_page(tables):
    ids = ["kw-agreement-signed", "kw-vote-void"]
    es = story.events_table(tables["events"], ids, lang="es")
    assert list(es.columns) == ["Fecha", "Qué pasó", "Fuentes"]
    assert list(es["Fecha"]) == ["4\u00a0de\u00a0marzo\u00a0de\u00a02025",
                                 "30\u00a0de\u00a0junio\u00a0de\u00a02025"]
    en = story.events_table(tables["events"], ids, lang="en")
    assert list(en["Date"]) == ["March\u00a04,\u00a02025", "June\u00a030,\u00a02025"]
    # with the sources: links labelled as citations, not the raw keys (the review, English side)
    linked = story.events_table(tables["events"], ids, lang="en", sources=tables["sources"])
    keys = tables["events"].set_index("event_id").loc[ids, "source_ids"]
    for cell, key_list in zip(linked["Sources"], keys):
        assert cell.count("<a href=") == len(story.split_ids(key_list))
        assert not any(k in re.sub(r'href="[^"]*"', "", cell) for k in story.split_ids(key_list))
    assert es["Qué pasó"].iloc[1].startswith("En una sesión extraordinaria, la comisión aprobó")
    with pytest.raises(KeyError, match="no-such-event"):
        story.events_table(tables["events"], ["no-such-event"])


def test_a_missing_spanish_cell_is_an_error_naming_file_and_row(tables):
    events = tables["events"].copy()
    events.loc[4, "what_es"] = ""
    with pytest.raises(story.CuratedDataError, match=r"data/curated/events\.csv row 5: what_es"):
        story.timeline(events, tables["sources"], lang="es")
    story.timeline(events, tables["sources"], lang="en")  # English does not need it
    with pytest.raises(story.CuratedDataError, match="has no evidence_es column"):
        story.claims_table(tables["claims"].drop(columns="evidence_es"), tables["sources"],
                           lang="es")


@pytest.fixture
def fake_repo(tmp_path):
    shutil.copytree(CURATED, tmp_path / "data" / "curated")
    (tmp_path / "chapters").mkdir()
    for md in (ROOT / "chapters").glob("*.md"):
        shutil.copy2(md, tmp_path / "chapters" / md.name)
    shutil.copy2(ROOT / "index.md", tmp_path / "index.md")
    return tmp_path


def _edit(root: Path, table: str, index: int, **changes) -> None:
    path = root / "data" / "curated" / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = list(reader.fieldnames), list(reader)
    rows[index].update(changes)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_validation_requires_each_spanish_twin_exactly_where_the_english_is(fake_repo):
    assert not [p for p in story.problems(fake_repo) if "_es" in p]
    _edit(fake_repo, "claims", 2, evidence_es="")
    _edit(fake_repo, "events", 0, numbers="", numbers_es="paquete de $500 millones")
    found = [p for p in story.problems(fake_repo) if "_es" in p]
    # (Frictionless also reports the required evidence_es cell; the rule for numbers_es, an
    # optional column, is ice287g.story's own)
    assert len(found) in (2, 3), found
    assert any(p.startswith("data/curated/claims.csv row 3 (claim_id='kw-celebrated'): "
                            "evidence_es is empty") for p in found), found
    assert any("events.csv row 1" in p and "numbers_es is filled but numbers is empty" in p
               for p in found), found


def test_every_translated_column_is_in_the_schema_after_its_english_column():
    descriptor = json.loads((CURATED / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        names = [f["name"] for f in res["schema"]["fields"]]
        for col in story.TRANSLATED.get(res["name"], ()):
            assert names[names.index(col) + 1] == f"{col}_es", (res["name"], col)


def test_spanish_curated_cells_use_the_glossary():
    glossary = CURATED / "glossary.csv"
    if not glossary.exists():
        pytest.skip("data/curated/glossary.csv is not in this checkout")
    rows = list(csv.DictReader(glossary.open(encoding="utf-8", newline="")))
    problems = []
    for table, cols in story.TRANSLATED.items():
        df = story.load(table)
        for col in cols:
            for i, text in enumerate(df[f"{col}_es"], start=1):
                for row in rows:
                    for variant in filter(None, (v.strip() for v in row["avoid_es"].split("|"))):
                        if re.search(r"\b" + re.escape(variant) + r"\b", text, re.I):
                            problems.append(f"{table}.csv row {i} {col}_es: {variant!r} "
                                            f"instead of {row['term_es']!r}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- analysis helpers
def _status(**kw):
    base = {"n_agreements": 1, "first_listed": pd.Timestamp("2025-07-15"),
            "last_listed": pd.Timestamp("2026-05-18"), "on_latest": True,
            "signed_latest": [pd.Timestamp("2025-05-16")], "signed_all": []}
    base.update(kw)
    return base


def test_listing_status_text_in_spanish():
    assert key_west_list.listing_status_text(_status(), lang="es") == (
        "figura en las listas de ICE desde el 15 de julio de 2025, incluida la más reciente, "
        "con un acuerdo que ICE fecha el 16 de mayo de 2025")
    two = _status(signed_latest=[pd.Timestamp("2025-03-05"), pd.Timestamp("2025-04-01")])
    assert key_west_list.listing_status_text(two, lang="es").endswith(
        "con acuerdos que ICE fecha el 5 de marzo de 2025 y 1 de abril de 2025")
    assert key_west_list.listing_status_text(_status(on_latest=False), lang="es") == (
        "figuró en las listas de ICE del 15 de julio de 2025 al 18 de mayo de 2026 y no figura "
        "en la más reciente")
    assert key_west_list.listing_status_text(_status(n_agreements=0), lang="es") == (
        "no figura en ninguna de las listas de ICE del archivo de este libro")
    assert key_west_list.listing_status_text(_status(), lang="en") == (
        "is on ICE's lists from July 15, 2025 on, including the latest, with an agreement ICE "
        "dates May 16, 2025")


def test_dates_support_types_and_joins_in_spanish():
    assert i18n.format_date("2025-03-05", lang="es") == "5 de marzo de 2025"
    assert i18n.format_date("2025-03-05", lang="en") == "March 5, 2025"
    assert words.join_names(["a", "b", "c"], lang="es") == "a, b y c"
    assert words.join_names(["a", "b"], lang="en") == "a and b"
    assert words.support_type_label("Task Force Model", lang="es") == "Modelo de fuerza de tarea"
    assert words.support_type_label("Task Force Model", lang="es", in_sentence=True) == \
        "modelo de fuerza de tarea"
    assert words.support_type_label("Task Force Model", lang="en", in_sentence=True) == \
        "Task Force Model"
    assert words.support_type_label("TFM (typo)", lang="es") == "TFM (typo)"  # not a model: as ICE wrote it


def test_agency_and_spells_tables_in_spanish():
    ds = load.dataset()
    names = ["Key West Police Department", "Monroe County Sheriff's Office"]
    table = key_west_list.agency_table(ds.agreements, names, "Florida", lang="es", pubs=ds.pubs)
    assert list(table.columns) == ["Agencia", "Modelo", "Firmado (según ICE)",
                                   "Primera vez en una lista", "Última vez en una lista",
                                   "Visto por última vez", "Publicaciones que lo incluyen"]
    assert set(table["Modelo"]) <= SUPPORT_TYPES_ES
    assert set(table["Agencia"]) == set(names)  # names stay as ICE wrote them
    # dates for people, on one line (issue 21): "7 de marzo de 2025 (a. m.)", ICE's part of
    # day in Spanish, or an archive capture's "(captura)"
    assert all(re.fullmatch(r"\d{1,2} de [a-z]+ de \d{4} \((a\. m\.|p\. m\.|mediodía|captura)\)",
                            v.replace("\u00a0", " "))
               and " " not in v for v in table["Primera vez en una lista"]), table
    assert all(re.fullmatch(r"\d{1,2} de [a-z]+ de \d{4}", v.replace("\u00a0", " "))
               for v in table["Firmado (según ICE)"]), table
    kw = key_west_list.agency_presence(ds.presence, ds.pubs, names[0], state="Florida")
    spells = key_west_list.spells_table({names[0]: kw}, lang="es", pubs=ds.pubs)
    assert list(spells.columns) == ["Agencia", "En la lista", "Desde", "Hasta", "Publicaciones"]
    assert set(spells["En la lista"]) <= {"sí", "no"}


def test_removal_and_left_tables_in_spanish():
    ds = load.dataset()
    removed = churn.removals(ds.presence, ds.pubs, ds.agreements)
    matched = churn.match_changed_records(removed, churn.additions(ds.presence, ds.pubs, ds.agreements))
    table = churn.removal_table(matched, ds.agreements, lang="es", pubs=ds.pubs)
    assert list(table.columns) == ["Estado", "Agencia", "Modelo", "Fecha de firma", "Última lista",
                                   "Primera ausencia", "Tipo", "Reemplazado por",
                                   "Emparejado por", "Volvió después"]
    assert set(table["Tipo"]) <= {"fila modificada", "retirado"}
    assert set(table["Volvió después"]) <= {"sí", "no"}
    english_rules = set(churn.MATCH_RULES)
    assert not set(table["Emparejado por"]) & english_rules
    assert any("(firmado el " in r for r in table["Reemplazado por"])
    gone = churn.left_the_list(ds.agreements, ds.presence, ds.pubs)
    left = churn.left_table(gone, lang="es", pubs=ds.pubs)
    assert list(left.columns)[:6] == ["Estado", "Agencia", "Modelo", "Fecha de firma", "Primera lista",
                                      "Última lista"]


# --------------------------------------------------------------------------- diff / freshness
def test_diff_tables_in_spanish_and_the_cli_summary_stays_english():
    side = diff.load_side()
    change = diff.latest_change(side=side)
    es = diff.display_tables(change, lang="es")
    assert list(es["counts"].columns) == ["", "Antes", "Después", "Cambio"]
    assert list(es["counts"][""])[:2] == ["Acuerdos en la lista más reciente", "En Florida"]
    assert list(es["joined"].columns) == ["Estado", "Agencia", "Modelo", "Fecha de firma", "Marcas"]
    assert set(es["joined"]["Modelo"]) <= SUPPORT_TYPES_ES
    assert list(es["publications_added"].columns) == ["Lista", "Publicación", "Archivo", "Filas",
                                                      "En las líneas de tendencia", "Nota"]
    assert set(es["publications_added"]["Lista"]) <= {"agencias participantes", "solicitudes pendientes"}
    assert set(es["publications_added"]["En las líneas de tendencia"]) <= {"sí", "no"}
    with i18n.language("es"):
        text = diff.to_markdown(change)
        assert "## Agreements that joined" in text and "| State | Agency | Support type |" in text
        assert "Acuerdos" not in text and "a. m." not in text


def test_edited_rows_say_what_changed_in_spanish():
    changes = [("agency", "Ft Myers PD", "Fort Myers Police Department"),
               ("support_type", "Task Force Model", "Jail Enforcement Model"), ("signed", "", "2025-05-01")]
    assert diff.what_changed(changes, "es") == (
        "agencia: Ft Myers PD → Fort Myers Police Department; modelo: Modelo de fuerza de tarea "
        "→ Modelo de control en cárceles; firma: (en blanco) → 1 de mayo de 2025")
    assert diff.what_changed(changes, "en") == (
        "agency: Ft Myers PD → Fort Myers Police Department; support type: Task Force Model → "
        "Jail Enforcement Model; signed: (blank) → May 1, 2025")


def test_publication_labels_in_both_languages():
    """ICE's own part of day (snapshots' part_of_day), in words for people; never the hour's."""
    capture = pd.Series({"published_at": pd.Timestamp("2021-01-13 00:20"),
                         "stamp_provenance": "archive_capture", "part_of_day": ""})
    stamp = pd.Series({"published_at": pd.Timestamp("2026-05-18"),
                       "stamp_provenance": "ice_stamp", "part_of_day": "am"})
    mid = pd.Series({"published_at": pd.Timestamp("2025-09-29 06:00"),
                     "stamp_provenance": "ice_stamp", "part_of_day": "mid"})
    assert words.publication_label(capture, "es") == "13 de enero de 2021 (captura)"
    assert words.publication_label(capture, "en") == "January 13, 2021 (captured)"
    assert words.publication_label(stamp, "es") == "18 de mayo de 2026 (a. m.)"
    assert words.publication_label(stamp, "en") == "May 18, 2026 (a.m.)"
    assert words.publication_label(mid, "en") == "September 29, 2025 (mid)"
    assert words.publication_label(mid, "es") == "29 de septiembre de 2025 (mediodía)"
    assert words.publication_label(mid, "es", one_line=True) == \
        "29\u00a0de\u00a0septiembre\u00a0de\u00a02025\u00a0(mediodía)"


def test_freshness_sentences_in_spanish(tmp_path):
    checks = tmp_path / "update-checks.csv"
    checks.write_text("checked_at,url,outcome,capture,files,sha256\n"
                      "2026-06-01T06:05:00Z,https://www.ice.gov/287g,no change,,,\n",
                      encoding="utf-8")
    side = diff.load_side()
    with i18n.language("es"):
        fresh = diff.freshness(checks=checks, side=side)
        assert fresh.checked_clause == ("se cotejaron por última vez con la página de ICE el 1 de "
                                        "junio de 2026 a las 06:05 UTC")
        assert fresh.last_checked_text == "1 de junio de 2026 (06:05 UTC)"
        assert re.fullmatch(r"\d{1,2} de [a-z]+ de \d{4}", fresh.latest_list_text)
        none = diff.freshness(checks=tmp_path / "absent.csv", side=side)
        assert none.checked_clause == ("aún no se han cotejado con la página de ICE en la "
                                       "actualización semanal del libro")
    with i18n.language("en"):
        assert diff.freshness(checks=checks, side=side).checked_clause == (
            "was last checked against ICE's page on June 1, 2026 at 06:05 UTC")


# --------------------------------------------------------------------------- every text translated
def _strings(node):
    """Every string a tr() argument can evaluate to (constants, + and conditional parts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _strings(node.left) for b in _strings(node.right)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _tr_texts(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr" \
                and node.args:
            found += _strings(node.args[0])
    return found


def _notebook_code(name: str) -> str:
    nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("where", MODULES + [f"chapters/{n}.ipynb" for n in NOTEBOOKS])
def test_every_literal_text_given_to_tr_has_a_spanish_entry(where):
    source = _notebook_code(Path(where).stem) if where.endswith(".ipynb") else \
        (ROOT / where).read_text(encoding="utf-8")
    texts = _tr_texts(source)
    assert texts, f"{where}: no tr() call found"
    catalogue = i18n.catalogue("es")
    missing = [t for t in texts if t not in catalogue]
    assert not missing, f"{where}: no Spanish for {missing}"


def test_the_tr_scanner_finds_conditional_and_concatenated_texts():
    texts = _tr_texts('tr("a " + ("b" if x else "c"), n=1)\nobj.tr("d")\nprint("e")')
    assert texts == ["a b", "a c", "d"]


def test_the_notebooks_carry_no_hand_written_alt_metadata_or_english_date_formats():
    for name in NOTEBOOKS:
        nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            assert "mystnb" not in cell.get("metadata", {}), f"{name}: alt text in metadata"
        code = _notebook_code(name)
        assert not re.search(r"%B|%b", code), f"{name}: a strftime month name (English only)"
        assert 'if lang' not in code and "language()" not in code, f"{name}: branches on language"


def test_source_links_translate_only_the_labels_the_book_wrote(tables):
    sources = tables["sources"]
    by_id = sources.set_index("source_id")
    sid = "rausnitz-2012-07-11-morton-arizona"
    if sid not in by_id.index:
        pytest.skip(f"{sid} is no longer in sources.csv")
    assert by_id.at[sid, "publisher"] == "Zach Rausnitz (outlet not stated)"
    es = story.source_links(sid, sources, lang="es")
    assert ">Zach Rausnitz (medio no indicado), 2012-07-11</a>" in es
    assert "(outlet not stated), 2012-07-11" in story.source_links(sid, sources, lang="en")
    assert ">WLRN, 2025-06-30b</a>" in story.source_links("wlrn-2025-06-30-kw-vote", sources,
                                                         lang="es")


def test_a_meetings_motion_has_one_spanish_translation(fake_repo):
    _edit(fake_repo, "votes", 1, motion_es="Otra traducción de la resolución")
    found = [p for p in story.problems(fake_repo) if "motion_es" in p]
    assert found == ["data/curated/votes.csv: the Key West meeting of 2025-06-30 translates its "
                     "motion in 2 different ways in motion_es"], found


# --------------------------------------------------------------------------- What changed, built
#: What changed's tables as the built page shows them, by edition: the headers of its date
#: columns (a date, or a list: a date and ICE's part of day) and of its count columns.
WHAT_CHANGED = {
    "en": {"page": "chapters/what-changed.html", "dates": {"Signed"},
           "lists": {"Publication", "List"},
           "counts": {"Rows", "Agreements on the list before", "Agreements", "Added", "Removed"},
           "date": r"(January|February|March|April|May|June|July|August|September|October"
                   r"|November|December) \d{1,2}, \d{4}",
           "parts": r"a\.m\.|p\.m\.|mid|captured", "blank": "(blank)"},
    "es": {"page": "es/chapters/what-changed.html", "dates": {"Fecha de firma"},
           "lists": {"Publicación", "Lista"},
           "counts": {"Filas", "Acuerdos en la lista anterior", "Acuerdos", "Agregados",
                      "Retirados"},
           "date": r"\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre"
                   r"|octubre|noviembre|diciembre) de \d{4}",
           "parts": r"a\. m\.|p\. m\.|mediodía|captura", "blank": "(en blanco)"},
}


@pytest.mark.book
@pytest.mark.parametrize("lang", ["en", "es"])
def test_what_changed_tables_write_dates_for_people_on_one_line_and_counts_with_separators(
        built_book, lang):
    """Issue 21: What changed's tables wrote "2026-05-18 am" (wrapping on a phone) and counts
    without separators. In each edition every date is written for people, its words joined by
    no-break spaces (one line), a list carries ICE's own part of day, and every count has the
    language's thousands separator and the right-aligned ``num`` class."""
    from bs4 import BeautifulSoup

    spec = WHAT_CHANGED[lang]
    soup = BeautifulSoup((built_book / spec["page"]).read_text(encoding="utf-8"), "html.parser")
    tables = soup.select("article.bd-article table")
    seen = {"dates": 0, "lists": 0, "counts": 0, "thousands": 0}
    date = re.compile(spec["date"])
    listed = re.compile(rf"{spec['date']}( \(({spec['parts']})\))?")
    for table in tables:
        headers = [th.get_text(strip=True) for th in table.select("thead th")]
        for tr_ in table.select("tbody tr"):
            for header, cell in zip(headers, tr_.find_all(["td", "th"])):
                raw = cell.get_text()
                text = raw.replace("\u00a0", " ").strip()
                if header in spec["dates"] and text != spec["blank"]:
                    assert date.fullmatch(text) and " " not in raw.strip(), (header, raw)
                    seen["dates"] += 1
                elif header in spec["lists"] and any(c.isdigit() for c in text):
                    assert listed.fullmatch(text) and " " not in raw.strip(), (header, raw)
                    assert not re.search(r"\d{4}-\d{2}-\d{2}| am\b| pm\b", text), raw
                    seen["lists"] += 1
                elif header in spec["counts"]:
                    assert re.fullmatch(r"\d{1,3}(,\d{3})*", text), (header, raw)
                    assert "num" in cell.get("class", []), (header, cell)
                    seen["counts"] += 1
                    seen["thousands"] += "," in text
    # the last year's lists (20 rows, counts over 1,000) and the latest publication are always
    # there; a table of agreements that joined or left may be empty ("None.")
    assert seen["lists"] >= 21 and seen["counts"] >= 80, seen
    assert seen["thousands"] >= 40, seen  # "1,843", not "1843"
