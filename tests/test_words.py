"""The words and labels the book derives (``ice287g.words``), in both languages.

Expected texts are written here by hand from the style rules (``locales/STYLE-es.md``: "a. m.",
"p. m.", "mediodía" for ICE's *mid*; "e" for "y" before an /i/ sound), never copied from the
code's output. One test reads the committed ``snapshots.csv``: ICE's "mid" lists are stamped
06:00, so a label taken from the hour would call them "a.m.".
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ice287g import load, words
from ice287g.pipeline import s3_clean

NBSP = "\u00a0"


def row(when, provenance="ice_stamp", part="am", key="p"):
    return {"publication": key, "published_at": pd.Timestamp(when),
            "stamp_provenance": provenance, "part_of_day": part}


# --------------------------------------------------------------------------- publications
@pytest.mark.parametrize("part, en, es", [
    ("am", "May 18, 2026 (a.m.)", "18 de mayo de 2026 (a. m.)"),
    ("pm", "May 18, 2026 (p.m.)", "18 de mayo de 2026 (p. m.)"),
    ("mid", "May 18, 2026 (mid)", "18 de mayo de 2026 (mediodía)"),
    ("", "May 18, 2026", "18 de mayo de 2026"),  # an ICE stamp without a part of day
])
def test_a_publication_is_its_day_and_ices_own_part_of_day(part, en, es):
    # 06:00 for every part: the label must come from ICE's tag, not from the hour
    r = row("2026-05-18 06:00", part=part)
    assert words.publication_label(r, "en") == en
    assert words.publication_label(r, "es") == es
    assert words.publication_label(r, "es", one_line=True) == es.replace(" ", NBSP)


def test_an_archive_capture_gets_no_part_of_day_from_its_utc_hour():
    r = row("2021-01-13 00:20:27", provenance="archive_capture", part=float("nan"))
    assert words.part_of_day(r) == ""
    assert words.publication_label(r, "en") == "January 13, 2021 (captured)"
    assert words.publication_label(r, "es") == "13 de enero de 2021 (captura)"


def test_an_unknown_part_of_day_is_an_error_naming_the_publication():
    with pytest.raises(ValueError, match="20250929noon.*noon"):
        words.part_of_day(row("2025-09-29", part="noon", key="20250929noon"))


def test_ices_mid_lists_read_mid_in_the_committed_data():
    pubs = load.snapshots()
    mid = pubs[pubs["part_of_day"] == "mid"]
    assert len(mid) >= 1 and (mid["published_at"].dt.hour < 12).all()  # stamped in the morning
    first = mid.iloc[0].to_dict()
    assert words.publication_label(first, "en").endswith(" (mid)")
    assert words.publication_label(first, "es").endswith(" (mediodía)")
    cells = words.publication_cells(mid["published_at"], pubs, "en")
    assert all(c.endswith(f"{NBSP}(mid)") for c in cells), cells


def test_publication_cells_by_key_or_time_one_line_blank_for_missing():
    pubs = pd.DataFrame([row("2025-07-03 12:00", part="pm", key="20250703pm"),
                         row("2025-07-03 12:00", part="pm", key="20250703pm-2"),
                         row("2021-01-13 00:20", provenance="archive_capture", part="", key="c1")])
    assert words.publication_cells(["20250703pm-2", "", "c1"], pubs, "es", by="publication") == [
        "3 de julio de 2025 (p. m.)".replace(" ", NBSP), "",
        "13 de enero de 2021 (captura)".replace(" ", NBSP)]
    by_time = words.publication_cells(pd.Series([pd.Timestamp("2025-07-03 12:00"), pd.NaT]), pubs,
                                      "en")
    assert by_time == ["July 3, 2025 (p.m.)".replace(" ", NBSP), ""]
    with pytest.raises(KeyError, match="2025-07-04"):
        words.publication_cells([pd.Timestamp("2025-07-04")], pubs, "en")


def test_partial_date_cells_write_the_curated_tables_dates_to_their_precision():
    nbsp = words.NBSP
    assert words.partial_date_cells(["2025-06-30", "2025-07", "1996", "", None], "es") == [
        f"30{nbsp}de{nbsp}junio{nbsp}de{nbsp}2025", f"julio{nbsp}de{nbsp}2025", "1996", "", ""]
    assert words.partial_date_cells(["2025-06-30", "2025-07"], "en") == [
        f"June{nbsp}30,{nbsp}2025", f"July{nbsp}2025"]
    for bad in ["2025-7", "30/06/2025", "2025-06-31"]:
        with pytest.raises(ValueError):
            words.partial_date_cells([bad], "es")


def test_date_cells_are_dates_for_people_on_one_line():
    assert words.date_cells(["2025-06-30", None, pd.NaT], "es") == [
        f"30{NBSP}de{NBSP}junio{NBSP}de{NBSP}2025", "", ""]
    assert words.date_cells(pd.Series(pd.to_datetime(["2026-05-18"])), "en") == \
        [f"May{NBSP}18,{NBSP}2026"]


# --------------------------------------------------------------------------- lists of names
@pytest.mark.parametrize("items, en, es", [
    ([], "", ""),
    (["Texas"], "Texas", "Texas"),
    (["Texas", "Florida"], "Texas and Florida", "Texas y Florida"),
    (["Texas", "Florida", "Georgia"], "Texas, Florida and Georgia", "Texas, Florida y Georgia"),
    # "e" before the sound /i/ (i-, hi-, í-), "y" before a diphthong (Iowa, hielo, Hialeah)
    (["Texas", "Florida", "Indiana"], "Texas, Florida and Indiana", "Texas, Florida e Indiana"),
    (["Ohio", "Illinois"], "Ohio and Illinois", "Ohio e Illinois"),
    (["Gómez", "Hidalgo"], "Gómez and Hidalgo", "Gómez e Hidalgo"),
    (["Ana Gómez", "Inés Ibarra"], "Ana Gómez and Inés Ibarra", "Ana Gómez e Inés Ibarra"),
    (["Texas", "Iowa"], "Texas and Iowa", "Texas y Iowa"),
    (["agua", "hielo"], "agua and hielo", "agua y hielo"),
    (["Miami", "Hialeah"], "Miami and Hialeah", "Miami y Hialeah"),
])
def test_join_names_in_both_languages(items, en, es):
    assert words.join_names(items, "en") == en
    assert words.join_names(items, "es") == es


# --------------------------------------------------------------------------- states
def test_one_list_of_states_dc_and_territories():
    assert len(words.STATES) == 56 and len({s.code for s in words.STATES}) == 56
    assert len(words.STATES_AND_DC) == 51
    assert "District of Columbia" in words.STATES_AND_DC
    assert not {"Guam", "Puerto Rico", "U.S. Virgin Islands"} & words.STATES_AND_DC
    # the pipeline reads ICE's sheets with this one list
    assert s3_clean.STATES is words.STATE_CODES
    assert s3_clean.clean_state("north  carolina")[:2] == ("North Carolina", "NC")


@pytest.mark.parametrize("name, es", [
    ("North Carolina", "Carolina del Norte"), ("Pennsylvania", "Pensilvania"),
    ("Hawaii", "Hawái"), ("District of Columbia", "Distrito de Columbia"),
    ("U.S. Virgin Islands", "Islas Vírgenes de EE. UU."), ("Virgin Islands", "Islas Vírgenes de EE. UU."),
    ("Texas", "Texas"), ("Atlantis", "Atlantis"),
])
def test_state_names_in_both_languages(name, es):
    assert words.state_name(name, "es") == es
    assert words.state_name(name, "en") == name


# --------------------------------------------------------------------------- ICE's words
def test_support_types_and_yes_no():
    assert words.support_type_label("Task Force Model", "es") == "Modelo de fuerza de tarea"
    assert words.support_type_label("Task Force Model", "es", in_sentence=True) == \
        "modelo de fuerza de tarea"
    assert words.support_type_label("Task Force Model", "en", in_sentence=True) == "Task Force Model"
    assert words.support_type_label(None, "es") == ""
    assert words.support_type_cells(["Jail Enforcement Model", "TFM?"], "es") == [
        "Modelo de control en cárceles", "TFM?"]
    assert words.yes_no([True, False, 1], "es") == ["sí", "no", "sí"]
    assert words.yes_no([True, False], "en") == ["yes", "no"]


# --------------------------------------------------------------------------- counts in sentences
@pytest.mark.parametrize("lang, texts", [
    ("en", {"missing": ["has been on every list", "has been missing from 1 list",
                        "has been missing from 4 lists"],
            "removals": ["no removal so far", "1 removal; none of the agreements that left",
                         "4 removals; 1 of the agreements that left"],
            "joined_left": ["none joined and none left", "1 joined and 1 left",
                            "4 joined and 4 left"],
            "undated": ["Every agreement of the latest list has a usable signing date",
                        "1 agreement of the latest list has no usable signing date",
                        "4 agreements of the latest list have no usable signing date"]}),
    ("es", {"missing": ["ha figurado en todas las listas", "ha faltado en 1 lista",
                        "ha faltado en 4 listas"],
            "removals": ["ningún retiro hasta ahora",
                         "1 retiro; ninguno de los acuerdos que salieron de la lista",
                         "4 retiros; 1 de los acuerdos que salieron de la lista"],
            "joined_left": ["no entró ninguno y no salió ninguno", "entró 1 y salió 1",
                            "entraron 4 y salieron 4"],
            "undated": ["Todos los acuerdos de la lista más reciente tienen una fecha de firma "
                        "utilizable",
                        "1 acuerdo de la lista más reciente no tiene una fecha de firma utilizable",
                        "4 acuerdos de la lista más reciente no tienen una fecha de firma "
                        "utilizable"]}),
])
def test_counts_in_sentences_take_their_nouns_form_and_zero_reads_as_a_sentence(lang, texts):
    """Review #7: "ausente de 0 listas", "(1 retiros; ...)", "0 rows were edited"."""
    assert [words.missing_since_first_text(n, lang) for n in (0, 1, 4)] == texts["missing"]
    assert [words.removals_text(n, m, lang) for n, m in ((0, 0), (1, 0), (4, 1))] == \
        texts["removals"]
    assert [words.joined_left_text(n, n, lang) for n in (0, 1, 4)] == texts["joined_left"]
    assert [words.undated_text(n, lang) for n in (0, 1, 4)] == texts["undated"]
    glued_badly = re.compile(r"(?<![\d,])(?:0 \w+|1 (?:lists|removals|listas|retiros|"
                             r"acuerdos|agreements|filas|rows))\b")
    for n_joined, n_left, n_edited in [(0, 0, 0), (1, 1, 1), (13, 2, 0), (0, 1, 2)]:
        text = words.changes_text(n_joined, n_left, n_edited, lang)
        assert not glued_badly.search(text), text
        assert not text[0].islower(), text  # it opens a sentence
    assert words.changes_text(13, 2, 0, "es") == \
        "Entraron 13 acuerdos, salieron 2 e ICE no modificó ninguna fila"
    assert words.changes_text(1, 0, 1, "en") == \
        "1 agreement joined, none left and 1 row was edited by ICE"


def test_agency_types_have_one_label_each_in_the_agency_type_context():
    """Review #26: "Tipo de agencia: Condado" beside a "Condado" column holding "Autauga County"."""
    assert [words.agency_type_label(t, "es") for t in ("County", "Municipality", "State Agency")] \
        == ["De condado", "Municipal", "Agencia estatal"]
    assert words.agency_type_label("County", "en") == "County"
    assert words.agency_type_label("Tribal Police", "es") == "Tribal Police"  # ICE's, as written


def test_the_maps_off_map_counts_take_their_verbs_form():
    """The maps chapter's "1 are in a territory" / "0 indican un condado" (the side-by-side read)."""
    assert [words.unplaced_territory_text(n, "es") for n in (0, 1, 2)] == [
        "ninguno está en un territorio que el mapa no puede mostrar",
        "1 está en un territorio que el mapa no puede mostrar",
        "2 están en un territorio que el mapa no puede mostrar"]
    assert [words.unplaced_unknown_text(n, "en") for n in (0, 1, 2)] == [
        "none names a county the map does not have", "1 names a county the map does not have",
        "2 name a county the map does not have"]


def test_rank_ordinal_in_each_language():
    """The ordinal a glued rank is written with ("Florida ranks 2nd" / "ocupa el 2.º lugar"):
    Spanish drops primer's and tercer's final o before a masculine noun, and so do their
    compounds, but not undécimo."""
    ranks = (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)
    assert [words.rank_ordinal(n, "en") for n in ranks] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]
    assert [words.rank_ordinal(n, "es") for n in ranks] == [
        "1.er", "2.º", "3.er", "4.º", "11.º", "12.º", "13.er", "21.er", "22.º",
        "23.er", "101.er", "111.º"]
    with pytest.raises(ValueError, match="starts at 1"):
        words.rank_ordinal(0, "en")
