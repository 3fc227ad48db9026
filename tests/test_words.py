"""The words and labels the book derives (``ice287g.words``), in both languages.

Expected texts are written here by hand from the style rules (``locales/STYLE-es.md``: "a. m.",
"p. m.", "mediodía" for ICE's *mid*; "e" for "y" before an /i/ sound), never copied from the
code's output. One test reads the committed ``snapshots.csv``: ICE's "mid" lists are stamped
06:00, so a label taken from the hour would call them "a.m.".
"""

from __future__ import annotations

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
