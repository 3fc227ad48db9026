"""The agency pages (issue 26): ``agencies/<id>.html`` in both editions, one per agency as
*Find an agency* groups it, written by ice287g.pages when each edition's build finishes.

Read in the built book (``built_book``; ICE287G_BUILT_HTML reuses a build): every agreement of
data/processed is on exactly one agency page, the same in both editions; an agency's page
shows each agreement's signing date, model and ICE's document as agreements.csv has them,
names every earlier name of a renamed agency, links its state's page, and carries a title,
description and preview card of its own; its listing history is drawn on a date axis with
alt text; each agreement's county is the one the book places it in where ICE's row names none
or a wrong one (data/curated/places.csv); and in chromium at 390 px a sample of pages chosen
from the data (:func:`phone_sample`: one template renders every page, so the pages whose
content could break it) gets every check the state pages get.
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


def county_cell(card) -> str:
    for dt in card.select("dt"):
        if dt.get_text(strip=True) in ("County", "Condado"):
            return dt.find_next_sibling("dd").get_text(" ", strip=True)
    return ""


@pytest.mark.parametrize("lang", EDITIONS)
def test_county_is_shown_where_the_book_knows_it(built_book, cards, agreements, lang):
    """An agreement whose county ICE leaves blank (the Key West Police Department's) or
    prints wrong shows the county of the cited table of places (data/curated/places.csv,
    read here with pandas), saying where it comes from and what ICE printed; an agreement
    whose agency's own name gives its county and whose row names none shows that county."""
    places = pd.read_csv(REPO / "data" / "curated" / "places.csv", dtype=str,
                         keep_default_na=False)
    words = {"en": ("from the book's table of places", "ICE's row names no county",
                    "No one county"),
             "es": ("según la tabla de lugares del libro", "la fila de ICE no indica condado",
                    "Sin un único condado")}[lang]
    pages_of = cards[lang]
    checked = 0
    for _, place in places.iterrows():
        # the place's police (a city's), or the agency the row names whole
        agency = (agreements["agency"] == place["place"]) | \
            agreements["agency"].str.startswith(place["place"] + " Police")
        mine = agreements[(agreements["state"] == place["state"]) & agency
                          & (agreements["county"] == place["ice_county"])]
        for _, row in mine.iterrows():
            path = built_book / EDITIONS[lang] / "agencies" / pages_of[row["agreement_id"]][0]
            card = soup(path).select_one(f'div.pg-card[id="{row["agreement_id"]}"]')
            text = county_cell(card)
            assert words[0] in text, f"{lang} {row['agency']}: county {text!r}"
            if place["county"]:
                assert text.startswith(place["county"]), f"{lang} {row['agency']}: {text!r}"
            else:
                assert text.startswith(words[2]), f"{lang} {row['agency']}: {text!r}"
            if place["ice_county"]:
                assert f"“{place['ice_county']}”" in text, f"{lang} {row['agency']}: {text!r}"
            else:
                assert words[1] in text, f"{lang} {row['agency']}: {text!r}"
            checked += 1
    assert checked >= len(places), f"{lang}: only {checked} agreements matched places.csv"
    # A sheriff's office whose row names no county: its county from its name.
    named = agreements[(agreements["county"] == "")
                       & agreements["agency"].str.match(r"^[A-Z][\w. ]+ County Sheriff's Office$")]
    assert len(named), "no sheriff's office without a county to check"
    for _, row in named.head(5).iterrows():
        path = built_book / EDITIONS[lang] / "agencies" / pages_of[row["agreement_id"]][0]
        card = soup(path).select_one(f'div.pg-card[id="{row["agreement_id"]}"]')
        county = row["agency"].removesuffix(" Sheriff's Office")
        assert county_cell(card).startswith(county), f"{lang} {row['agency']}: {county_cell(card)!r}"


def phone_sample(built_book, cards, agreements, lang: str) -> dict[str, str]:
    """The agency pages checked in chromium: one template renders all of them, so the sample
    is the pages whose content could break its layout, each chosen by a rule from the data
    (deterministic: ties by page name): Key West; the most agreements (the tallest history
    chart); the longest agency name; the most names (renames listed); an agreement with an
    addendum; an agreement that left the list; a territory's agency (no county map); an
    agency of the state with the most agencies and one of the state with the fewest."""
    folder = EDITIONS[lang] + "agencies/"
    rows = agreements.assign(page=agreements["agreement_id"].map(lambda a: cards[lang][a][0]))
    per_state = agreements.groupby("state")["agency"].nunique()
    rows = rows.assign(long=rows["agency"].str.len(), addendum=rows["addendum_url"] != "",
                       left=rows["listed_in_latest"] != "true",
                       territory=rows["state"].isin(["Guam", "Northern Mariana Islands"]),
                       biggest=rows["state"] == per_state.idxmax(),
                       smallest=rows["state"] == per_state.idxmin())
    stats = rows.groupby("page").agg(
        n=("agreement_id", "size"), long=("long", "max"), names=("agency", "nunique"),
        addendum=("addendum", "sum"), left=("left", "sum"), territory=("territory", "sum"),
        biggest=("biggest", "sum"), smallest=("smallest", "sum")).sort_index()
    picks = {"Key West": key_west_page(built_book, agreements, lang).relative_to(built_book)
             .as_posix()}
    rules = [("most agreements", stats["n"]), ("longest name", stats["long"]),
             ("most names", stats["names"]), ("addendum", stats["addendum"]),
             ("left the list", stats["left"] * 1000 - stats["n"]),
             ("territory", stats["territory"]),
             ("biggest state", stats["biggest"] * 1000 - stats["n"]),
             ("smallest state", stats["smallest"] * 1000 - stats["n"])]
    for label, score in rules:  # in order: each rule picks a page no earlier rule picked
        left = score[~(folder + score.index).isin(list(picks.values()))]
        picks[label] = folder + left.idxmax()  # the first page of the highest score
    return picks


@pytest.mark.parametrize("lang", EDITIONS)
def test_sample_of_agency_pages_on_a_phone(built_book, wire_server, chromium_browser, cards,
                                           agreements, lang):
    """The sample (phone_sample), each page visited once at 390 px with every check the state
    pages get (test_state_pages.phone_problems): no sideways scroll, axe-clean, chart text of
    10 CSS px or more, the history chart drawn, within the page budget."""
    from test_state_pages import phone_problems

    picks = phone_sample(built_book, cards, agreements, lang)
    paths = sorted(set(picks.values()))
    assert len(paths) == len(picks) == 9, picks
    problems, seen = phone_problems(chromium_browser, wire_server.base, paths)
    assert len(seen) == len(paths)
    assert not problems, "\n".join(problems[:20])
