"""The agency pages (issue 26): ``agencies/<id>.html`` in both editions, one per agency as
*Find an agency* groups it, written by ice287g.pages when each edition's build finishes.

Read in the built book (``built_book``; ICE287G_BUILT_HTML reuses a build): every agreement of
data/processed is on exactly one agency page, the same in both editions; an agency's page
shows each agreement's signing date, model and ICE's document as agreements.csv has them,
names every earlier name of a renamed agency, links its state's page, and carries a title,
description and preview card of its own; its listing history is drawn on a date axis with
alt text; in chromium at 390 px the Key West Police Department's page does not scroll
sideways and is axe-clean.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from conftest import REPO

PROCESSED = REPO / "data" / "processed"
EDITIONS = {"en": "", "es": "es/"}


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def agreements() -> pd.DataFrame:
    return pd.read_csv(PROCESSED / "agreements.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def cards(built_book) -> dict[str, dict[str, list[str]]]:
    """Per edition: agreement id -> the agency pages that show it (as a card with its id)."""
    out = {}
    for lang, prefix in EDITIONS.items():
        found: dict[str, list[str]] = {}
        for path in sorted((built_book / prefix / "agencies").glob("*.html")):
            text = path.read_text(encoding="utf-8")
            for aid in re.findall(r'<div class="pg-card" id="([^"]+)"', text):
                found.setdefault(aid, []).append(path.name)
        out[lang] = found
    return out


def key_west_page(built_book, agreements, lang="en") -> Path:
    rows = agreements[(agreements["agency"] == "Key West Police Department")
                      & (agreements["state"] == "Florida")]
    assert len(rows), "agreements.csv has no Key West Police Department"
    for path in (built_book / EDITIONS[lang] / "agencies").glob("*.html"):
        if f'id="{rows["agreement_id"].iloc[0]}"' in path.read_text(encoding="utf-8"):
            return path
    raise AssertionError("no agency page shows the Key West Police Department's agreement")


@pytest.mark.parametrize("lang", EDITIONS)
def test_every_agreement_is_on_exactly_one_agency_page(cards, agreements, lang):
    found = cards[lang]
    missing = sorted(set(agreements["agreement_id"]) - set(found))
    assert not missing, f"{lang}: {len(missing)} agreements on no agency page, e.g. {missing[:3]}"
    twice = {aid: pages for aid, pages in found.items() if len(pages) > 1}
    assert not twice, f"{lang}: agreements on more than one page: {list(twice.items())[:3]}"
    assert not set(found) - set(agreements["agreement_id"]), f"{lang}: unknown agreements shown"


def test_both_editions_have_the_same_agency_pages(cards):
    assert cards["en"] == cards["es"]


def test_an_agencys_agreements_are_of_one_agency(cards, agreements):
    """Every page groups agreements of one state (ICE's edits within a state) and, but for
    renamed rows, one name."""
    by_page: dict[str, list[str]] = {}
    for aid, pages in cards["en"].items():
        by_page.setdefault(pages[0], []).append(aid)
    rows = agreements.set_index("agreement_id")
    several_states = [p for p, ids in by_page.items() if rows.loc[ids, "state"].nunique() > 1]
    assert len(several_states) <= 3, f"pages mixing states: {several_states}"
    assert len(by_page) >= agreements.groupby(["state", "agency"]).ngroups * 0.7


def test_key_west_page_shows_its_agreements_as_agreements_csv_has_them(built_book, agreements):
    path = key_west_page(built_book, agreements)
    doc = soup(path)
    assert doc.select_one("h1").get_text() == "Key West Police Department"
    mine = agreements[agreements["agency"] == "Key West Police Department"]
    for _, row in mine.iterrows():
        card = doc.select_one(f'div.pg-card[id="{row["agreement_id"]}"]')
        text = card.get_text(" ", strip=True)
        signed = pd.Timestamp(row["signed"])
        assert f"{signed:%B} {signed.day}, {signed.year}" in text, text
        if row["moa_url"]:
            assert card.select_one(f'a[href="{row["moa_url"].replace("http://", "https://")}"]')
    state = doc.select_one('a[href="../states/florida.html"]')
    assert state is not None and (path.parent / state["href"]).resolve().is_file()
    meta = {m.get("property") or m.get("name"): m.get("content") for m in doc.select("head meta")}
    assert meta["og:title"] == "Key West Police Department"
    assert "Key West Police Department" in meta["og:description"]
    assert meta["description"] == meta["og:description"] == doc.select_one("p.pg-lead").get_text()


def test_spanish_key_west_page(built_book, agreements):
    doc = soup(key_west_page(built_book, agreements, "es"))
    assert doc.html["lang"] == "es"
    text = doc.select_one("main").get_text(" ", strip=True)
    assert "Sus acuerdos" in text and "Historial en las listas" in text
    assert not re.search(r"\b(January|February|March|April|June|July|August|September|October|"
                         r"November|December)\b", text)
    assert re.search(r"\b\d{1,2} de (marzo|abril|mayo|junio|julio) de 2025\b", text)


def test_renamed_agency_names_its_earlier_names(built_book, cards, agreements):
    """An agency ICE listed under two spellings: its page names the other one."""
    by_page: dict[str, list[str]] = {}
    for aid, pages in cards["en"].items():
        by_page.setdefault(pages[0], []).append(aid)
    rows = agreements.set_index("agreement_id")
    renamed = [(p, ids) for p, ids in by_page.items() if rows.loc[ids, "agency"].nunique() > 1]
    assert renamed, "no agency page groups two names"
    for name, ids in renamed[:20]:
        doc = soup(built_book / "agencies" / name)
        h1 = doc.select_one("h1").get_text()
        others = set(rows.loc[ids, "agency"]) - {h1}
        text = doc.select_one("main").get_text(" ", strip=True)
        assert "ICE has also listed this agency as:" in text, name
        for other in others:
            assert f"“{other}”" in text, f"{name}: {other!r} not named"


def test_listing_history_on_a_date_axis(built_book, agreements):
    doc = soup(key_west_page(built_book, agreements))
    svg = doc.select_one("svg.pg-history")
    assert svg["role"] == "img"
    alt = svg.select_one("title").get_text()
    assert re.search(r"from January \d+, 2021 to \w+ \d+, 20\d\d", alt), alt
    years = [t.get_text() for t in svg.select("text") if re.fullmatch(r"20\d\d", t.get_text())]
    assert years == sorted(years) and "2025" in years
    bars = svg.select("rect.bar")
    assert bars, "no bar drawn"
    # Key West was first listed in 2025: its bars start right of the 2025 tick.
    tick_2025 = next(float(t["x"]) for t in svg.select("text") if t.get_text() == "2025")
    assert min(float(b["x"]) for b in bars) >= tick_2025


@pytest.mark.parametrize("lang", EDITIONS)
def test_key_west_page_on_a_phone(page_checks, built_book, agreements, lang):
    path = key_west_page(built_book, agreements, lang).relative_to(built_book).as_posix()
    found = page_checks(path, "phone")
    assert not found.visit.problems(), found.visit.problems()
    assert found.overflow["scrollWidth"] <= found.overflow["clientWidth"], found.overflow
    serious = [v["id"] for v in found.violations or [] if v["impact"] in ("serious", "critical")]
    assert found.violations is not None and not serious, f"{path}: axe {serious}"
