"""ice287g.i18n: the one place that decides each edition's date and number formats and holds
the Spanish of every text code writes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ice287g import i18n


@pytest.fixture(autouse=True)
def _reset_language(monkeypatch):
    monkeypatch.delenv("ICE287G_LANG", raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


def test_dates_as_each_edition_writes_them():
    assert i18n.format_date("2025-07-08", "en") == "July 8, 2025"
    assert i18n.format_date("2025-07-08", "es") == "8 de julio de 2025"
    assert i18n.format_date(pd.Timestamp("2025-06-30"), "es", year=False) == "30 de junio"
    assert i18n.format_date("2025-03-01", "en", year=False) == "March 1"
    assert i18n.format_month("2025-03-05", "es") == "marzo de 2025"
    assert i18n.format_month("2025-03-05", "en") == "March 2025"
    assert i18n.format_month("2025-09-05", "es", short=True) == "sept"
    with pytest.raises(ValueError, match="missing date"):
        i18n.format_date(pd.NaT, "es")


def test_numbers_as_u_s_spanish_newsrooms_write_them():
    assert i18n.format_int(1551, "es") == "1,551"
    assert i18n.format_number(12345.678, 1, "es") == "12,345.7"
    assert i18n.format_percent(12.46, 1, "es") == "12.5%"
    assert i18n.format_percent(7, lang="en") == "7%"


def test_the_language_in_use(monkeypatch):
    assert i18n.language() == "en"
    monkeypatch.setenv("ICE287G_LANG", "es")
    assert i18n.language() == "es"
    assert i18n.format_date("2025-07-08") == "8 de julio de 2025"
    i18n.set_language("en")  # a notebook's choice wins over the environment
    assert i18n.language() == "en"
    i18n.set_language(None)
    assert i18n.language() == "es"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.set_language("fr")
    monkeypatch.setenv("ICE287G_LANG", "de")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        i18n.language()


def test_tr_translates_fills_in_and_never_falls_back_to_english():
    source = "Source: ICE 287(g) participating-agency lists; analysis: 287(g) in Key West."
    assert i18n.tr(source, lang="en") == source
    assert i18n.tr(source, lang="es").startswith("Fuente:")
    with pytest.raises(i18n.TranslationError, match="no es translation for 'No such text'"):
        i18n.tr("No such text", lang="es")
    assert i18n.tr("{n} agreements", lang="en", n=3) == "3 agreements"


def test_every_spanish_entry_keeps_its_placeholders_and_the_catalogue_loads():
    merged = i18n.catalogue("es")
    assert len(merged) > 100
    for english, spanish in merged.items():
        assert i18n.placeholders(english) == i18n.placeholders(spanish), english


def write(folder, name, data):
    (folder / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_bad_catalogue_is_an_error_naming_the_file(tmp_path):
    write(tmp_path, "a.json", {"{n} lists": "{n} listas"})
    assert i18n.load_catalogue(tmp_path, "es") == {"{n} lists": "{n} listas"}
    write(tmp_path, "b.json", {"{n} lists": "{m} listas"})
    with pytest.raises(ValueError, match=r"b\.json: the translation of '\{n\} lists' has placeholders"):
        i18n.load_catalogue(tmp_path, "es")
    write(tmp_path, "b.json", {"{n} lists": "{n} publicaciones"})
    with pytest.raises(ValueError, match=r"b\.json: '\{n\} lists' is translated differently in .*a\.json"):
        i18n.load_catalogue(tmp_path, "es")
    write(tmp_path, "b.json", {"Lists": ""})
    with pytest.raises(ValueError, match="empty or not a string"):
        i18n.load_catalogue(tmp_path, "es")
    (tmp_path / "b.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"b\.json: not valid JSON"):
        i18n.load_catalogue(tmp_path, "es")
    write(tmp_path, "b.json", ["a list"])
    with pytest.raises(ValueError, match="must be a JSON object"):
        i18n.load_catalogue(tmp_path, "es")


def test_state_names():
    assert i18n.state_name("North Carolina", "es") == "Carolina del Norte"
    assert i18n.state_name("Texas", "es") == "Texas"
    assert i18n.state_name("North Carolina", "en") == "North Carolina"
