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
    """A wheel carries the .po files i18n reads and the page templates pages.py reads
    (pyproject's package-data names them)."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["ice287g"]
    shipped = {p for pattern in patterns for p in (root / "ice287g").glob(pattern)}
    on_disk = set((root / "ice287g" / "locale").rglob("*.po")) | set(
        (root / "ice287g" / "templates").glob("*.html"))
    assert on_disk and on_disk == shipped


def test_state_names():
    assert i18n.state_name("North Carolina", "es") == "Carolina del Norte"
    assert i18n.state_name("Texas", "es") == "Texas"
    assert i18n.state_name("North Carolina", "en") == "North Carolina"
