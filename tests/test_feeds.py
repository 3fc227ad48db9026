"""The Atom feeds (ice287g/feeds.py) and the update pull request's list of the state pages and
feeds it changes (``python -m ice287g diff``), issue 26.

Feeds are parsed with xml.etree (a real XML parser) and checked against Atom 1.0's required
elements (RFC 4287: a feed's id, title, updated and author; an entry's id, title, updated and
an alternate link). The pipeline builds two small processed folders from synthetic sheets
(tests/two_lists.py), one list apart: on the second, Etowah County (Alabama) left, Cobb
County (Georgia) and Collier County (Florida) joined, and ICE corrected Harris County's (Texas)
signing date. The real data's latest lists are checked too (the latest change, MOA links).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from ice287g import config, diff, feeds, i18n, lookup
from ice287g.pages import state_slug
from sheetfactory import run_cli
from two_lists import two_folders

A = "{http://www.w3.org/2005/Atom}"
X = "{http://www.w3.org/1999/xhtml}"
BASE = "https://example.org/book/"

#: The states whose agreements changed on the second list (the scenario above).
CHANGED_STATES = ["Alabama", "Florida", "Georgia", "Texas"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return two_folders(tmp_path_factory.mktemp("feeds"))


def parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == A + "feed"
    return root


def _rfc3339(text: str) -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", text), text


def check_atom(root: ET.Element) -> list[ET.Element]:
    """RFC 4287's required elements; returns the entries."""
    for tag in ("id", "title", "updated"):
        assert len(root.findall(A + tag)) == 1, tag
        assert root.find(A + tag).text.strip(), tag
    _rfc3339(root.find(A + "updated").text)
    assert root.find(f"{A}author/{A}name").text.strip()
    assert any(link.get("rel") == "self" for link in root.findall(A + "link"))
    entries = root.findall(A + "entry")
    ids = []
    for e in entries:
        for tag in ("id", "title", "updated"):
            assert len(e.findall(A + tag)) == 1, tag
            assert (e.find(A + tag).text or "").strip(), tag
        _rfc3339(e.find(A + "updated").text)
        assert any(link.get("rel", "alternate") == "alternate" and link.get("href")
                   for link in e.findall(A + "link"))
        ids.append(e.find(A + "id").text)
    assert len(ids) == len(set(ids)), "entry ids repeat"
    # newest first, never later than the feed's updated
    times = [e.find(A + "updated").text for e in entries]
    assert times == sorted(times, reverse=True)
    if entries:
        assert root.find(A + "updated").text == times[0]
    return entries


def entry_text(entry: ET.Element) -> str:
    return " ".join("".join(entry.find(A + "content").itertext()).split())


# --------------------------------------------------------------------------- small folders
def test_feeds_name_every_change_of_the_second_list(folders, tmp_path):
    _, new = folders
    site = feeds.Site(BASE, "en")
    paths = feeds.write(tmp_path, site, diff.load_side(new))
    names = {p.relative_to(tmp_path).as_posix() for p in paths}
    assert "feeds/all.atom" in names
    for state in CHANGED_STATES:
        assert f"feeds/states/{state_slug(state)}.atom" in names
    everything = parse((tmp_path / "feeds/all.atom").read_bytes())
    entries = check_atom(everything)
    assert len(entries) == 1  # one list changed the whole list
    text = entry_text(entries[0])
    for agency in ("Etowah County Sheriff's Office", "Cobb County Sheriff's Office",
                   "Collier County Sheriff's Office", "Harris County Sheriff's Office"):
        assert agency in text
    assert "May 19, 2025" in entries[0].find(A + "title").text
    related = {link.get("href") for link in entries[0].findall(A + "link")
               if link.get("rel") == "related"}
    assert related == {f"{BASE}states/{state_slug(s)}.html" for s in CHANGED_STATES}

    texas = check_atom(parse((tmp_path / "feeds/states/texas.atom").read_bytes()))
    assert len(texas) == 1
    assert "Harris County Sheriff's Office" in entry_text(texas[0])
    assert "Cobb" not in entry_text(texas[0])
    # what ICE edited, in diff's words (dates as i18n writes them)
    assert i18n.format_date("2019-06-01", "en") in entry_text(texas[0])
    assert i18n.format_date("2019-06-11", "en") in entry_text(texas[0])
    alt = [link.get("href") for link in texas[0].findall(A + "link")]
    assert f"{BASE}states/texas.html" in alt
    # a state listed but never changed has a valid feed with no entry
    tennessee = check_atom(parse((tmp_path / "feeds/states/tennessee.atom").read_bytes()))
    assert tennessee == []


def test_spanish_feeds_are_in_spanish(folders, tmp_path):
    _, new = folders
    feeds.write(tmp_path, feeds.Site(BASE + "es/", "es"), diff.load_side(new))
    root = parse((tmp_path / "feeds/all.atom").read_bytes())
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    entry = check_atom(root)[0]
    assert "19 de mayo de 2025" in entry.find(A + "title").text
    assert "Acuerdos que se sumaron" in entry_text(entry)
    assert f"{BASE}es/states/georgia.html" in {a.get("href") for a in entry.iter(X + "a")}
    ident = entry.find(A + "id").text
    assert ident.startswith("tag:example.org,2026:book/es/all/"), ident  # not book.es/es


def test_entry_ids_are_stable_across_generations(folders, tmp_path):
    _, new = folders
    site = feeds.Site(BASE, "en")
    first = feeds.feed_xml(feeds.list_changes(diff.load_side(new)), site)
    second = feeds.feed_xml(feeds.list_changes(diff.load_side(new)), site)
    assert first == second
    entry = check_atom(parse(first))[0]
    # the id is the list's key, not a time of the build
    assert entry.find(A + "id").text.startswith("tag:example.org,2026:")
    assert entry.find(A + "id").text.endswith("/all/20250519pm")


# --------------------------------------------------------------------------- the update PR
def test_the_pull_request_lists_the_state_pages_and_feeds_that_change(folders):
    old, new = folders
    change = diff.diff_folders(old, new)
    out = feeds.changed_outputs(change)
    assert out["states"] == CHANGED_STATES
    assert out["pages"] == [f"states/{state_slug(s)}.html" for s in CHANGED_STATES]
    assert out["feeds"] == ["feeds/all.atom"] + [f"feeds/states/{state_slug(s)}.atom"
                                                 for s in CHANGED_STATES]
    r = run_cli("diff", str(old), str(new))
    assert r.returncode == 0, r.stderr
    section = r.stdout.split("## State pages and feeds that change")[1]
    assert section.startswith(" (4)")
    for state in CHANGED_STATES:
        slug = state_slug(state)
        assert f"| {state} | `states/{slug}.html` | `feeds/states/{slug}.atom` |" in section
    assert "`feeds/all.atom`" in section
    assert "Tennessee" not in section  # listed on both lists, unchanged


def test_no_change_names_no_page(folders):
    old, _ = folders
    r = run_cli("diff", str(old), str(old))
    assert r.returncode == 0 and r.stdout == "no change\n"


# --------------------------------------------------------------------------- hostile text
HOSTILE = [
    "</title><script>alert(1)</script>",
    "Bad & <b>bold</b> ]]> Office",
    "Nul\x00 bell\x07 and \x1b escape Sheriff",
    "\u202eecilop\u202c Department \ud800",
    "<!-- comment --> & &amp; &#x41;",
]


def _change(agencies: list[str], moa: str) -> feeds.ListChange:
    rows = pd.DataFrame({"agreement_id": [f"A{i}" for i in range(len(agencies))],
                         "state": "Florida", "agency": agencies,
                         "support_type": "Task Force Model", "signed": "2025-05-01",
                         "moa_url": moa})
    pub = {"publication": "20260101am", "published_at": pd.Timestamp("2026-01-01"),
           "stamp_provenance": "ice_stamp", "part_of_day": "am"}
    edited = pd.DataFrame({"state": [], "agency_before": [], "agency_after": [],
                           "support_type": [], "changes": [], "moa_url": [], "states": []})
    return feeds.ListChange(pub=pub, joined=rows, left=rows.iloc[0:0], edited=edited)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_hostile_names_are_text_and_bad_links_are_dropped(lang):
    change = _change(HOSTILE, "javascript:alert(1)")
    for state in (None, "Florida"):
        data = feeds.feed_xml([change], feeds.Site(BASE, lang), state)
        root = parse(data)
        entry = check_atom(root)[0]
        text = "".join(entry.find(A + "content").itertext())
        assert "</title><script>alert(1)</script>" in text
        assert "Bad & <b>bold</b> ]]> Office" in text
        assert "Nul bell and  escape Sheriff" in text  # control characters removed
        assert "<!-- comment --> & &amp; &#x41;" in text
        assert not list(entry.iter(X + "script")) and not list(entry.iter(X + "b"))
        hrefs = [a.get("href") for a in entry.iter(X + "a")]
        assert hrefs and all(h.startswith(BASE) for h in hrefs)  # no javascript: link
        assert b"\x00" not in data and b"\x07" not in data


def test_an_ice_link_is_kept_and_made_https():
    change = _change(["Town Police Department"], "http://www.ice.gov/doclib/287gMOA/x.pdf")
    entry = check_atom(parse(feeds.feed_xml([change], feeds.Site(BASE, "en"), "Florida")))[0]
    hrefs = [a.get("href") for a in entry.iter(X + "a")]
    assert "https://www.ice.gov/doclib/287gMOA/x.pdf" in hrefs
    assert f"{BASE}states/florida.html" in hrefs


# --------------------------------------------------------------------------- the real data
@pytest.fixture(scope="module")
def real():
    side = diff.load_side()
    return side, feeds.list_changes(side, lists=8)


def test_the_latest_change_is_in_the_feeds_with_its_moa_links(real, tmp_path):
    side, changes = real
    # the latest list that changed the roll, by churn's count (diff.series)
    series = diff.series(side, "en")
    moved = series[(series["added"] > 0) | (series["removed"] > 0)]
    latest_key = moved[diff.PUB].iloc[-1]
    root = parse(feeds.feed_xml(changes, feeds.Site(BASE, "en")))
    first = check_atom(root)[0]
    assert first.find(A + "id").text.endswith("/all/" + latest_key)
    latest = [c for c in changes if c.key == latest_key][0]
    assert len(latest.joined) == int(moved["added"].iloc[-1]) - len(latest.edited)
    # every joined agreement of that list with an MOA on ICE's site is linked in its state's
    # feed, beside the state's page
    joined = latest.joined.head(feeds.MAX_NAMED)
    for state, rows in joined.groupby("state"):
        entry = check_atom(parse(feeds.feed_xml(changes, feeds.Site(BASE, "en"), state)))[0]
        hrefs = {a.get("href") for a in entry.iter(X + "a")}
        assert f"{BASE}states/{state_slug(state)}.html" in hrefs
        for url in rows["moa_url"]:
            if lookup.safe_link(url or ""):
                assert lookup.safe_link(url) in hrefs
        for agency in rows["agency"]:
            assert feeds.xml_text(agency) in entry_text(entry)


def test_every_state_ever_listed_gets_a_feed(real, tmp_path):
    side, changes = real
    paths = feeds.write(tmp_path, feeds.Site(BASE, "en"), side, changes)
    states = sorted(set(pd.read_csv(config.DATA_DIR / "processed" / "agreements.csv",
                                    dtype=str)["state"].dropna()))
    for state in states:
        path = tmp_path / f"feeds/states/{state_slug(state)}.atom"
        assert path in paths
        check_atom(parse(path.read_bytes()))
    assert all(p.stat().st_size < 400_000 for p in paths)
