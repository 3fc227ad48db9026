"""ice287g.i18n: the one place that decides each edition's date and number formats and holds
the Spanish of every text code writes."""

from __future__ import annotations

import pandas as pd
import pytest

from ice287g import i18n


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


def test_dates_known_to_the_day_the_month_or_the_year():
    assert i18n.format_partial_date("2025-07-08", "es") == "8 de julio de 2025"
    assert i18n.format_partial_date("2025-07", "es") == "julio de 2025"
    assert i18n.format_partial_date("2025-07", "en") == "July 2025"
    assert i18n.format_partial_date("1996", "es") == "1996"
    for bad in ["2025-7-8", "July 2025", "2025-07-08T06:00", ""]:
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            i18n.format_partial_date(bad, "es")


def test_numbers_as_u_s_spanish_newsrooms_write_them():
    assert i18n.format_int(1551, "es") == "1,551"
    assert i18n.format_number(12345.678, 1, "es") == "12,345.7"
    assert i18n.format_percent(12.46, 1, "es") == "12.5%"
    assert i18n.format_percent(7, lang="en") == "7%"


def test_the_language_in_use(monkeypatch):
    assert i18n.current() == i18n.language() == "en"
    monkeypatch.setenv("ICE287G_LANG", "es")  # how a build kernel learns its edition's
    assert i18n.current() == "es"
    assert i18n.format_date("2025-07-08") == "8 de julio de 2025"
    with i18n.language("en") as lang:  # a block's language wins over the edition's
        assert lang == "en" and i18n.current() == "en" and i18n.resolve() == "en"
        with i18n.language("es"):
            assert i18n.current() == "es"
            assert i18n.resolve("en") == "en"  # an explicit lang wins over the block
        assert i18n.current() == "en"
    assert i18n.current() == "es"
    with pytest.raises(RuntimeError), i18n.language("en"):
        raise RuntimeError  # the block ends on an error too
    assert i18n.current() == "es"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.language("fr")
    monkeypatch.setenv("ICE287G_LANG", "de")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        i18n.current()


def test_the_language_is_a_context_not_a_process_global():
    """A thread (a widget callback, a server) and an async task each have their own language."""
    import asyncio
    import threading

    seen = {}
    with i18n.language("es"):
        thread = threading.Thread(target=lambda: seen.setdefault("thread", i18n.current()))
        thread.start()
        thread.join()

        async def task(lang):
            with i18n.language(lang):
                await asyncio.sleep(0.01)
                return i18n.current()

        async def both():
            return await asyncio.gather(task("en"), task("es"))

        assert asyncio.run(both()) == ["en", "es"]
        assert i18n.current() == "es"
    assert seen == {"thread": "en"}  # a new thread starts from the edition's language


LEAKING_TESTS = """
from ice287g import i18n

never_left = []

def test_a_forgets_to_leave_its_language():
    block = i18n.language("es")
    block.__enter__()
    never_left.append(block)  # kept, so it is not closed when collected
    assert i18n.current() == "es"

def test_b_sees_the_edition_language():
    assert i18n.current() == "en"
"""


def test_a_language_set_in_one_test_does_not_leak_into_the_next(tmp_path):
    """tests/conftest.py's one reset: a test that sets Spanish and never leaves the block does
    not change the next test's language (run in order, on one worker, with the real conftest)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo_tests = Path(__file__).resolve().parent
    (tmp_path / "test_leak.py").write_text(LEAKING_TESTS)
    # Not an xdist worker's environment: the child run is a plain pytest run of its own.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")},
           "PYTHONPATH": os.pathsep.join(
        [str(repo_tests), *filter(None, [os.environ.get("PYTHONPATH")])])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-n", "0", "-p", "conftest", "test_leak.py"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "2 passed" in run.stdout, run.stdout + run.stderr


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


def write(folder, name, entries, fuzzy=()):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalogue = Catalog(locale="es")
    for english, spanish in entries.items():
        catalogue.add(english, spanish, flags=("fuzzy",) if english in fuzzy else ())
    with (folder / name).open("wb") as f:
        write_po(f, catalogue)


def test_a_bad_catalogue_is_an_error_naming_the_file(tmp_path):
    write(tmp_path, "a.po", {"{n} lists": "{n} listas", "Lists": "", "Draft": "Borrador"},
          fuzzy={"Draft"})
    # an empty or fuzzy entry is no translation
    assert i18n.load_catalogue(tmp_path, "es") == {"{n} lists": "{n} listas"}
    write(tmp_path, "b.po", {"{n} lists": "{m} listas"})
    with pytest.raises(ValueError, match=r"b\.po: the translation of '\{n\} lists' has placeholders"):
        i18n.load_catalogue(tmp_path, "es")
    write(tmp_path, "b.po", {"{n} lists": "{n} publicaciones"})
    with pytest.raises(ValueError, match=r"b\.po: '\{n\} lists' is translated differently in .*a\.po"):
        i18n.load_catalogue(tmp_path, "es")
    (tmp_path / "b.po").write_text('msgid "x"\nnot a keyword\nmsgstr "y"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"b\.po: not a valid \.po catalogue"):
        i18n.load_catalogue(tmp_path, "es")


def test_the_code_catalogues_ship_with_the_package():
    """A wheel carries the .po files i18n reads and every file of the page templates folder
    pages.py reads (the templates and their stylesheet; pyproject's package-data names them)."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["ice287g"]
    shipped = {p for pattern in patterns for p in (root / "ice287g").glob(pattern)}
    on_disk = set((root / "ice287g" / "locale").rglob("*.po")) | {
        p for p in (root / "ice287g" / "templates").iterdir() if p.is_file()}
    assert on_disk and on_disk == shipped


def test_state_names_have_one_home():
    """The list of states and their Spanish names is words.STATES, and words.state_name the
    one function that writes them; i18n keeps neither (one concept in one place, and no
    import cycle: words imports i18n)."""
    from ice287g import words

    assert not hasattr(i18n, "STATE_NAMES") and not hasattr(i18n, "state_name")
    assert words.state_name("North Carolina", "es") == "Carolina del Norte"
    assert words.state_name("Texas", "es") == "Texas"
    assert words.state_name("North Carolina", "en") == "North Carolina"
    assert words.state_name("Virgin Islands", "es") == "Islas Vírgenes de EE. UU."


# ------------------------------------------------------------ plural forms and contexts
def write_po_text(folder, name, text):
    (folder / name).write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
                               '"Language: es\\n"\n\n' + text, encoding="utf-8")


def test_a_count_takes_the_form_of_its_noun_and_zero_can_have_a_sentence_of_its_own():
    """Review #7 ("ausente de 0 listas", "1 retiros"): the forms come from plural entries."""
    one, many = "has been missing from {n} list", "has been missing from {n} lists"
    assert i18n.ntr(one, many, 1, "en") == "has been missing from 1 list"
    assert i18n.ntr(one, many, 2, "en") == "has been missing from 2 lists"
    assert i18n.ntr(one, many, 1551, "en") == "has been missing from 1,551 lists"
    assert i18n.ntr(one, many, 0, "en") == "has been missing from 0 lists"
    assert i18n.ntr(one, many, 0, "en", zero="has been on every list") == "has been on every list"
    assert i18n.ntr(one, many, 1, "es") == "ha faltado en 1 lista"
    assert i18n.ntr(one, many, 3, "es") == "ha faltado en 3 listas"
    assert i18n.ntr(one, many, 0, "es", zero="has been on every list") == \
        "ha figurado en todas las listas"
    assert i18n.ntr("{n} removal", "{n} removals", 1, "es") == "1 retiro"
    assert i18n.ntr("{n} removal", "{n} removals", 21, "es") == "21 retiros"
    with pytest.raises(i18n.TranslationError, match="no es translation for '{n} cat'"):
        i18n.ntr("{n} cat", "{n} cats", 2, "es")
    assert i18n.ntr("{n} cat", "{n} cats", 2, "en") == "2 cats"  # English needs no entry
    assert i18n.plural_forms("es")[0] == 2 and i18n.plural_forms("es")[1](0) == 1


def test_a_word_can_have_a_translation_for_each_use():
    """Review #26: ICE's agency type "County" is "De condado"; a county column is "Condado"."""
    assert i18n.ptr("agency type", "County", "es") == "De condado"
    assert i18n.tr("County", "es") == "Condado"
    assert i18n.label("County", "es", context="agency type") == "De condado"
    assert i18n.label("County", "es") == "Condado"
    assert i18n.label("Tribal", "es", context="agency type") == "Tribal"  # ICE's, untranslated
    assert i18n.ptr("agency type", "County", "en") == "County"
    with pytest.raises(i18n.TranslationError, match="in context 'no such use'"):
        i18n.ptr("no such use", "County", "es")


def test_plural_and_context_entries_are_read_and_checked(tmp_path):
    write_po_text(tmp_path, "a.po",
                  'msgctxt "agency type"\nmsgid "County"\nmsgstr "De condado"\n\n'
                  'msgid "County"\nmsgstr "Condado"\n\n'
                  'msgid "{n} list"\nmsgid_plural "{n} lists"\nmsgstr[0] "{n} lista"\n'
                  'msgstr[1] "{n} listas"\n\n'
                  'msgid "{n} row"\nmsgid_plural "{n} rows"\nmsgstr[0] "{n} fila"\n'
                  'msgstr[1] ""\n')  # a form missing: untranslated
    found = i18n.load_catalogue(tmp_path, "es")
    assert found == {i18n.context_key("agency type", "County"): "De condado",
                     "County": "Condado",
                     i18n.plural_key("{n} list", "{n} lists"): "{n} lista\x00{n} listas"}
    write_po_text(tmp_path, "b.po", 'msgid "{n} list"\nmsgid_plural "{n} lists"\n'
                                    'msgstr[0] "{n} lista"\nmsgstr[1] "{m} listas"\n')
    with pytest.raises(ValueError, match=r"b\.po: the translation of '\{n\} list' has placeholders"):
        i18n.load_catalogue(tmp_path, "es")
    write_po_text(tmp_path, "b.po", 'msgctxt "agency type"\nmsgid "County"\nmsgstr "Condado"\n')
    with pytest.raises(ValueError, match=r"b\.po: 'County' is translated differently"):
        i18n.load_catalogue(tmp_path, "es")


def test_extract_finds_plural_and_context_calls(tmp_path):
    """tools/editions.py extract adds ntr()'s plural entry, its zero= text and ptr()'s entry in
    its context, untranslated, and knows them once translated."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import editions

    (tmp_path / "_ext").mkdir()
    package = tmp_path / "ice287g"
    folder = package / "locale" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (package / "words.py").write_text(
        'from . import i18n\n\n'
        'A = i18n.ntr("{n} list", "{n} lists", n, zero="no list")\n'
        'B = i18n.ptr("agency type", "County")\n'
        'C = i18n.ntr(ONE, "{n} lists", n)  # not literal: not extracted\n', encoding="utf-8")
    added = editions.extract_code(["es"], tmp_path)
    assert sorted(added["ice287g/locale/es/LC_MESSAGES/words.po"]) == \
        ["County", "no list", "{n} list"]
    text = (folder / "words.po").read_text(encoding="utf-8")
    assert 'msgctxt "agency type"\nmsgid "County"\nmsgstr ""' in text
    assert 'msgid "{n} list"\nmsgid_plural "{n} lists"\nmsgstr[0] ""\nmsgstr[1] ""' in text
    assert editions.extract_code(["es"], tmp_path) == {}
