"""Find an agency: the data ice287g.lookup writes, and the page in chromium.

The unit tests check the lookup data against the processed files as the pipeline wrote them
(agreements.csv's first/last publication and n_snapshots are computed by the pipeline, the
lookup's spells by ice287g.lookup from listings.csv: two derivations that must agree). The
browser tests (marked browser) type into the built page like a reader.
"""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest

from book_browser import DESKTOP, PHONE, close_page, lookup_opener, open_page
from conftest import REPO
from ice287g import analysis as an
from ice287g import lookup

PROCESSED = REPO / "data" / "processed"
PAGE = "chapters/find-an-agency.html"
MB = 1_000_000
KEYSTROKE_BUDGET_MS = 50


def csv_rows(name: str) -> list[dict]:
    with (PROCESSED / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def data() -> dict:
    return lookup.payload(an.dataset(PROCESSED))


# ------------------------------------------------------------------------- unit: toy data
def toy():
    pubs = pd.DataFrame({
        "publication": ["c1", "p1", "x1", "p2", "p3"],
        "published_at": pd.to_datetime(["2021-01-13 00:20", "2025-05-16 00:00", "2025-05-16 12:00",
                                        "2025-05-20 12:00", "2025-05-22 00:00"]),
        "stamp_provenance": ["archive_capture", "ice_stamp", "ice_stamp", "ice_stamp",
                             "ice_stamp"],
        "part_of_day": ["", "am", "pm", "pm", "am"],
        "trend_excluded": [False, False, True, False, False],
    })
    agreements = pd.DataFrame({
        "agreement_id": ["A1", "A2", "A3"],
        "state": ["Florida", "Ohio", "Florida"],
        "agency": ["Key West Police Department", "Butler County Sheriff’s Office",
                   "Monroe County Sheriff's Office"],
        "agency_type": ["Municipality", "County", "County"],
        "county": ["Monroe County", "Butler County", "Monroe County"],
        "support_type": ["Task Force Model", "Jail Enforcement Model", "Task Force Model"],
        "signed": pd.to_datetime(["2025-03-04", None, "2019-01-01"]),
    })
    listings = pd.DataFrame([
        ("c1", "A3"), ("p1", "A3"), ("x1", "A3"), ("p2", "A3"), ("p3", "A3"),
        ("p1", "A1"), ("x1", "A1"), ("p3", "A1"),  # A1 missing from p2: a gap
        ("c1", "A2"), ("p1", "A2"), ("x1", "A2"),  # A2 left after p1 (x1 is excluded)
    ], columns=["publication", "agreement_id"])
    pres = an.presence(listings, agreements, pubs)
    return an.Dataset(pubs=pubs, agreements=agreements, listings=listings, presence=pres)


def test_spells_skip_excluded_lists_and_keep_gaps():
    ds = toy()
    # Trend order: c1, p1, p2, p3 (x1 is trend-excluded and does not count).
    assert lookup.spells(ds.presence, ds.pubs) == {"A1": [1, 1, 3, 3], "A2": [0, 1],
                                                     "A3": [0, 3]}


def test_payload_rows_tables_and_labels():
    data = lookup.payload(toy())
    assert data["format"] == lookup.FORMAT and data["columns"] == lookup.COLUMNS
    assert data["pubs"] == ["2021-01-13", "2025-05-16 am", "2025-05-20 pm", "2025-05-22 am"]
    assert data["states"] == ["Florida", "Ohio"]
    assert "Texas" in data["states_without"] and "Ohio" not in data["states_without"]
    assert len(data["states_without"]) == 51 - 2
    assert data["agency_types"] == ["County", "Municipality"]
    assert data["support_types"] == ["Jail Enforcement Model", "Task Force Model"]
    by_id = {r[0]: dict(zip(data["columns"], r)) for r in data["rows"]}
    kw = by_id["A1"]
    assert kw["agency"] == "Key West Police Department" and kw["state"] == 0
    assert kw["county"] == "Monroe County" and kw["agency_type"] == 1 and kw["support_type"] == 1
    assert kw["signed"] == "2025-03-04" and kw["spells"] == [1, 1, 3, 3]
    butler = by_id["A2"]
    assert butler["signed"] == "" and butler["agency"].endswith("Sheriff’s Office")
    # Rows come sorted by state then agency, so the page starts in a sensible order.
    assert [r[0] for r in data["rows"]] == ["A1", "A3", "A2"]


def test_seen_is_each_lists_last_capture_else_its_date():
    ds = toy()
    assert lookup.payload(ds)["seen"] == ["2021-01-13", "2025-05-16", "2025-05-20", "2025-05-22"]
    # The archive captured c1 until August; p2 has no capture time (its stamp stands).
    ds.pubs["last_captured_at"] = pd.to_datetime(
        ["2021-08-08 13:21:05", "2025-05-17 02:00:00", None, None, "2025-05-23 09:00:00"])
    assert lookup.payload(ds)["seen"] == ["2021-08-08", "2025-05-17", "2025-05-20", "2025-05-23"]


def test_publication_label_names_a_reissued_stamp():
    row = {"publication": "20250716pm-2", "published_at": pd.Timestamp("2025-07-16 12:00"),
           "stamp_provenance": "ice_stamp", "part_of_day": "pm"}
    assert lookup.publication_label(row) == "2025-07-16 pm (2)"


def test_an_agreement_without_a_name_is_an_error_naming_it():
    ds = toy()
    ds.agreements.loc[1, "agency"] = "  "
    with pytest.raises(ValueError, match="A2 has no agency name"):
        lookup.payload(ds)


def test_write_is_compact_and_atomic(tmp_path):
    target = tmp_path / "lookup" / "agreements.json"
    lookup.write(target, PROCESSED)
    body = target.read_bytes()
    assert json.loads(body)["format"] == lookup.FORMAT
    assert b'": ' not in body and b'",' in body  # no padding after separators
    assert "’".encode() in body  # a curly apostrophe stays one character, not \u2019
    assert [p.name for p in target.parent.iterdir()] == ["agreements.json"]
    # A failed write leaves the previous file in place and no temporary file behind.
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("agreements.csv", "listings.csv", "snapshots.csv", "datapackage.json"):
        (broken / name).write_bytes((PROCESSED / name).read_bytes())
    with (broken / "listings.csv").open("a", encoding="utf-8") as fh:
        fh.write("Anotanid0000,20260518am,20260518am,1\n")
    with pytest.raises(ValueError, match="missing from agreements"):
        lookup.write(target, broken)
    assert target.read_bytes() == body
    assert [p.name for p in target.parent.iterdir()] == ["agreements.json"]


# ------------------------------------------------------------------------- unit: real data
def test_every_agreement_is_in_the_lookup_once(data):
    ids = [r["agreement_id"] for r in csv_rows("agreements.csv")]
    assert len(ids) > 2000
    assert sorted(r[0] for r in data["rows"]) == sorted(ids)


def test_lookup_agrees_with_the_pipeline_on_first_last_and_latest(data):
    """First/last list, last seen and 'still listed' from the lookup's spells equal
    agreements.csv's."""
    snaps = {r["publication"]: r for r in csv_rows("snapshots.csv")}
    trend = [r for r in csv_rows("snapshots.csv") if r["trend_excluded"] == "false"]
    assert len(data["pubs"]) == len(trend)
    by_id = {r[0]: r for r in data["rows"]}
    for row in csv_rows("agreements.csv"):
        spells = by_id[row["agreement_id"]][7]
        first, last = data["pubs"][spells[0]], data["pubs"][spells[-1]]
        assert first[:10] == row["first_seen"][:10], row["agreement_id"]
        assert last[:10] == row["last_seen"][:10], row["agreement_id"]
        assert data["seen"][spells[-1]] == row["last_captured"][:10], row["agreement_id"]
        assert first[:10] == snaps[row["first_publication"]]["published_at"][:10]
        listed = spells[-1] == len(data["pubs"]) - 1
        assert listed == (row["listed_in_latest"] == "true"), row["agreement_id"]
        n = sum(b - a + 1 for a, b in zip(spells[::2], spells[1::2]))
        assert n == int(row["n_snapshots"]), row["agreement_id"]


def test_lookup_data_is_well_within_the_page_budget(data):
    size = len(lookup.encode(data))
    assert size <= lookup.MAX_BYTES < MB, f"lookup data is {size:,} bytes"


# ------------------------------------------------------------------------- in chromium
def agreement(agency: str, state: str | None = None) -> dict:
    rows = [r for r in csv_rows("agreements.csv") if r["agency"] == agency
            and (state is None or r["state"] == state)]
    assert rows, f"{agency} is not in agreements.csv"
    return rows[0]


def one_that_left() -> dict:
    """An agency whose every agreement left the list, with a name no other agency shares."""
    rows = csv_rows("agreements.csv")
    names = {}
    for r in rows:
        names.setdefault(r["agency"].lower(), []).append(r)
    for name, group in sorted(names.items()):
        if len(group) == 1 and group[0]["listed_in_latest"] == "false" \
                and group[0]["n_snapshots"] != "0" and len(name) > 18:
            return group[0]
    raise AssertionError("no agreement left the list")


@pytest.fixture
def lookup_page(book_server, chromium_browser):
    with lookup_opener(book_server, chromium_browser, PAGE) as open_:
        yield open_


def row_texts(page) -> list[dict]:
    return page.locator("#lookup-body tr").evaluate_all(
        "trs => trs.map(tr => Object.fromEntries(Array.from(tr.cells).map("
        "td => [td.dataset.label, td.innerText.replace(': show its listing history', '').trim()])))")




@pytest.mark.browser
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_typing_an_agency_on_the_latest_list_shows_its_row_and_dates(lookup_page, viewport):
    kw = agreement("Key West Police Department", "Florida")
    page, _ = lookup_page(viewport=viewport)
    box = page.get_by_label("Agency, county or state")
    box.click()
    page.keyboard.type("key west police", delay=15)
    rows = row_texts(page)
    assert [r["Agency"] for r in rows] == ["Key West Police Department"], rows
    row = rows[0]
    assert row["State"] == "Florida" and row["County"] == kw["county"]
    assert row["Agency type"] == kw["agency_type"] and row["Support type"] == kw["support_type"]
    assert row["Signed (per ICE)"] == kw["signed"]
    assert row["First on a list"].startswith(kw["first_seen"][:10])
    assert row["Last seen"].startswith(kw["last_captured"][:10])
    assert row["Status"] == "Still listed"
    assert page.locator("#lookup-count").inner_text().startswith("1 agreement match")
    assert "?q=key+west+police" in page.url


@pytest.mark.browser
def test_typing_an_agency_that_left_shows_when_it_left(lookup_page):
    gone = one_that_left()
    snaps = [r for r in csv_rows("snapshots.csv") if r["trend_excluded"] == "false"]
    after = next(i for i, s in enumerate(snaps) if s["publication"] == gone["last_publication"]) + 1
    page, _ = lookup_page()
    page.get_by_label("Agency, county or state").fill(gone["agency"].upper())
    rows = [r for r in row_texts(page) if r["State"] == gone["state"]]
    assert len(rows) == 1, rows
    assert rows[0]["Last seen"].startswith(gone["last_captured"][:10])
    if gone["last_captured"][:10] != gone["last_seen"][:10]:
        assert f"(list of {gone['last_seen'][:10]}" in rows[0]["Last seen"]
    assert rows[0]["Status"].startswith(f"Left: last seen {gone['last_captured'][:10]}, not on "
                                        f"the list of {snaps[after]['published_at'][:10]}")


@pytest.mark.browser
def test_an_agreement_on_a_list_captured_for_months_shows_its_last_sighting(lookup_page):
    """issue 11: Ouachita Parish's Jail Enforcement agreement was last on the list first
    captured 2022-03-05, which the archive captured until 2022-08-08: the page says both."""
    row = next(r for r in csv_rows("agreements.csv")
               if r["agency"] == "Ouachita Parish Sheriff's Office"
               and r["support_type"] == "Jail Enforcement Model")
    assert (row["last_seen"][:10], row["last_captured"][:10]) == ("2022-03-05", "2022-08-08")
    page, _ = lookup_page("?id=" + row["agreement_id"])
    page.get_by_label("Agency, county or state").fill("ouachita parish")
    rows = [r for r in row_texts(page) if r["Support type"] == "Jail Enforcement Model"]
    assert len(rows) == 1, rows
    assert rows[0]["Last seen"] == "2022-08-08 (list of 2022-03-05)"
    assert rows[0]["Status"].startswith("Left: last seen 2022-08-08, not on the list of ")
    panel = page.locator("#lookup-history").inner_text()
    assert "last seen 2022-08-08 (list of 2022-03-05)" in panel


@pytest.mark.browser
def test_matching_folds_case_accents_and_apostrophes(lookup_page):
    page, _ = lookup_page()
    box = page.get_by_label("Agency, county or state")
    found = {}
    for query in ["Pasco County Sheriff's Office", "pasco county sheriff’s office",
                  "PASCO COUNTY SHERIFFS", "Pásco  County"]:
        box.fill(query)
        found[query] = {r["Agency"] for r in row_texts(page)}
    assert all("Pasco County Sheriff’s Office" in v for v in found.values()), found
    box.fill("no agency is called this")
    assert page.locator("#lookup-body tr").count() == 0
    assert page.locator("#lookup-count").inner_text().startswith("No agreement matches")


@pytest.mark.browser
def test_a_state_without_any_agreement_is_named_as_such(lookup_page):
    listed = {r["state"] for r in csv_rows("agreements.csv")}
    without = sorted({"California", "Oregon", "Illinois", "Vermont"} - listed)
    assert without, "every sample state has an agreement now: pick others"
    page, _ = lookup_page()
    page.get_by_label("Agency, county or state").fill(without[0].lower())
    assert page.locator("#lookup-body tr").count() == 0
    assert page.locator("#lookup-count").inner_text() == (
        f"ICE's lists in this book's archive show no agreement in {without[0]}.")


@pytest.mark.browser
def test_q_in_the_address_fills_the_box(lookup_page):
    page, _ = lookup_page("?q=monroe")
    assert page.get_by_label("Agency, county or state").input_value() == "monroe"
    rows = row_texts(page)
    expected = [r for r in csv_rows("agreements.csv")
                if "monroe" in (r["agency"] + " " + r["county"] + " " + r["state"]).lower()]
    assert len(rows) == len(expected) > 5
    assert any(r["Agency"] == "Monroe County Sheriff's Office" for r in rows)
    assert re.match(rf"{len(expected)} agreements match", page.locator("#lookup-count").inner_text())
    assert page.locator("#lookup-count").get_attribute("aria-live") == "polite"


@pytest.mark.browser
def test_keyboard_only_search_and_history(lookup_page):
    kw = agreement("Key West Police Department", "Florida")
    page, _ = lookup_page()
    # From the top of the page, Tab reaches the box eventually (skip links, header buttons).
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "lookup-q":
            break
    assert page.evaluate("document.activeElement.id") == "lookup-q"
    page.keyboard.type("key west police")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('lookup-pick')"):
            break
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "lookup-history-title"
    panel = page.locator("#lookup-history")
    assert panel.is_visible()
    assert "Key West Police Department" in panel.locator("h2").inner_text()
    # The history: listed stretches add up to the publications agreements.csv counts.
    cells = panel.locator("table tbody tr").evaluate_all(
        "trs => trs.map(tr => Array.from(tr.cells).map(td => td.innerText))")
    listed = sum(int(c[3]) for c in cells if c[0] == "yes")
    assert listed == int(kw["n_snapshots"])
    assert cells[0][1].startswith(kw["first_seen"][:10]) and cells[-1][2].startswith(kw["last_seen"][:10])
    assert f"id={kw['agreement_id']}" in page.url
    page.keyboard.press("Tab")  # into the panel: link, then the close button
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "lookup-close"
    page.keyboard.press("Enter")
    assert panel.is_hidden()


@pytest.mark.browser
def test_id_in_the_address_opens_that_history_with_gaps(lookup_page):
    # An agreement whose listing has a gap (more than one run in listings.csv).
    runs = {}
    for r in csv_rows("listings.csv"):
        runs.setdefault(r["agreement_id"], []).append(r)
    data = lookup.payload(an.dataset(PROCESSED))
    gappy = next(r[0] for r in data["rows"] if len(r[7]) >= 4)
    page, _ = lookup_page(f"?id={gappy}")
    panel = page.locator("#lookup-history")
    assert panel.is_visible()
    kinds = panel.locator("table tbody tr td:first-child").all_inner_texts()
    assert kinds[:3] == ["yes", "no", "yes"], kinds


@pytest.mark.browser
def test_columns_sort_and_say_so(lookup_page):
    page, _ = lookup_page("?q=florida")
    header = page.locator("th[data-sort=signed]")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    signed = [r["Signed (per ICE)"] for r in row_texts(page)]
    dated = [s for s in signed if s]
    assert dated == sorted(dated) and len(dated) > 50
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    dated = [r["Signed (per ICE)"] for r in row_texts(page) if r["Signed (per ICE)"]]
    assert dated == sorted(dated, reverse=True)
    page.get_by_label("Sort by").select_option("agency")
    names = [r["Agency"].lower() for r in row_texts(page)]
    assert names == sorted(names)


@pytest.mark.browser
def test_show_all_and_status_filter(lookup_page):
    total = len(csv_rows("agreements.csv"))
    left = sum(r["listed_in_latest"] == "false" for r in csv_rows("agreements.csv"))
    page, _ = lookup_page()
    assert page.locator("#lookup-count").inner_text().startswith(f"{total:,} agreements")
    assert page.locator("#lookup-body tr").count() == 100
    page.locator("#lookup-more").click()
    assert page.locator("#lookup-body tr").count() == total
    page.get_by_label("Show").select_option("left")
    assert page.locator("#lookup-count").inner_text().startswith(f"{left:,} agreements")
    statuses = {r["Status"].split(":")[0] for r in row_texts(page)}
    assert statuses == {"Left"}


@pytest.mark.browser
def test_each_keystroke_filters_within_50_ms(book_server, chromium_browser):
    """performance.now() around the input handler (filter + render), in this machine's
    chromium: every keystroke of a query, then clearing it (all rows match), within 50 ms
    (per keystroke the fastest of three repeats: a single one can be preempted on a busy
    shared machine; benchmarks/page_weight.py prints both)."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    import page_weight

    fastest, every = page_weight.lookup_keystrokes(chromium_browser, book_server.base)
    assert len(fastest) == len(page_weight.LOOKUP_QUERY) + 2
    print("\n" + page_weight.keystroke_report((fastest, every)))
    assert max(fastest) < KEYSTROKE_BUDGET_MS, fastest


@pytest.mark.browser
def test_the_page_loads_no_third_party_script(book_server, chromium_browser):
    responses = []
    page, visit = open_page(chromium_browser, book_server.base + PAGE, viewport=PHONE,
                            responses=responses)
    try:
        page.wait_for_function("window.ice287gLookup && window.ice287gLookup.ready")
        urls = [r.url for r in responses]
    finally:
        close_page(page)
    assert not visit.external_requests
    assert any(u.split("?")[0].endswith("/_static/lookup/agreements.json") for u in urls)
    assert any(u.split("?")[0].endswith("/_static/lookup/lookup.js") for u in urls)
