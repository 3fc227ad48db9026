"""The built book says how fresh its data is, and its "What changed" page names the latest
change. Expected values are recomputed here from the CSV files with the csv module (not with
ice287g.diff, the code under test)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from conftest import REPO

PROCESSED = REPO / "data" / "processed"
DATA_CHAPTERS = ("national-growth", "where", "key-west-list", "churn", "explorer", "what-changed")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(built_book, page: str) -> str:
    parser = _Text()
    parser.feed((built_book / page).read_text(encoding="utf-8"))
    text = " ".join("".join(parser.parts).split())
    return text.replace("\u2019", "'")


def rows(name: str) -> list[dict]:
    with (PROCESSED / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def trend_order() -> list[dict]:
    snaps = [r for r in rows("snapshots.csv") if r["trend_excluded"] == "false"]
    return sorted(snaps, key=lambda r: r["published_at"])  # stable: keeps file order on ties


def long_date(iso: str) -> str:
    d = dt.datetime.fromisoformat(iso)
    return f"{d:%B} {d.day}, {d.year}"


def ids_on(publication: str) -> set[str]:
    order = [r["publication"] for r in rows("snapshots.csv")]
    pos = {p: i for i, p in enumerate(order)}
    at = pos[publication]
    return {r["agreement_id"] for r in rows("listings.csv")
            if pos[r["first_publication"]] <= at <= pos[r["last_publication"]]}


def expected_status_line() -> str:
    """The data pages' quiet status line (issue 21), from the data files themselves."""
    latest = long_date(trend_order()[-1]["published_at"])
    checks = rows("../update-checks.csv")
    if not checks:
        return f"ICE list of {latest} · not yet checked for a newer list"
    last = max(dt.datetime.strptime(r["checked_at"], "%Y-%m-%dT%H:%M:%SZ") for r in checks)
    return f"ICE list of {latest} · checked {last:%B} {last.day}, {last.year}"


@pytest.mark.parametrize("page", ["index.html"] + [f"chapters/{c}.html" for c in DATA_CHAPTERS])
def test_landing_page_and_data_chapters_give_the_data_date(built_book, page):
    text = page_text(built_book, page)
    sentence = expected_status_line()
    assert sentence in text, f"{page} lacks: {sentence}"


def test_what_changed_names_every_agreement_that_joined_or_left(built_book):
    order = trend_order()
    prev, last = order[-2], order[-1]
    before, after = ids_on(prev["publication"]), ids_on(last["publication"])
    agreements = {r["agreement_id"]: r for r in rows("agreements.csv")}
    text = page_text(built_book, "chapters/what-changed.html")
    assert f"ICE's list of {long_date(prev['published_at'])} held {len(before):,} agreements" in text
    assert f"its list of {long_date(last['published_at'])} holds {len(after):,}" in text
    changed = (before ^ after)
    assert changed, "the last two lists are identical: nothing to check"
    for aid in changed:
        a = agreements[aid]
        assert a["agency"].replace("\u2019", "'") in text, f"{a['agency']} ({a['state']}) missing"
    # the chart has a description, not a file name
    html = (built_book / "chapters/what-changed.html").read_text(encoding="utf-8")
    # (charts.show publishes it as an image file with the alt text the notebook's code gives)
    imgs = re.findall(r'<img\b[^>]*>', html)
    charts = [i for i in imgs if re.search(r'src="[^"]*\.png"', i)]
    assert len(charts) == 1, imgs
    alt = re.search(r'alt="([^"]*)"', charts[0])
    assert alt and alt.group(1).startswith("Bar chart, one pair of bars per ICE list"), charts[0]
