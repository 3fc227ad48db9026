"""The curated, cited tables (data/curated/) and the bibliography generated from them.

Each rule is tested twice: the committed data pass it, and a generated bad copy of the data
fails it with a message naming the file and the row. The bad copies live in a temporary
repository skeleton (data/curated/ plus chapters/*.md), so ``ice287g.story`` and Frictionless
check them exactly as they check the real files.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from ice287g import story

frictionless = pytest.importorskip("frictionless", reason="frictionless is a dev requirement")
pybtex_database = pytest.importorskip("pybtex.database", reason="pybtex comes with jupyter-book")

CURATED = REPO / "data" / "curated"


#: pybtex's plain-text backend, looked up once: ``render_as("text")`` looks it up by name on
#: every call, reading every installed package's entry points each time (about 0.1 s a call,
#: 13 s for the bibliography's titles and outlets). ``render_as`` takes the class unchanged.
TEXT = pytest.importorskip("pybtex.plugin").find_plugin("pybtex.backends", "text")


def plain(latex: str) -> str:
    """``latex`` as plain text, as pybtex renders it."""
    from pybtex.richtext import Text

    return Text.from_latex(latex).render_as(TEXT)


# --------------------------------------------------------------------------- helpers
@pytest.fixture()
def fake_repo(tmp_path: Path) -> Path:
    """A copy of data/curated/, chapters/*.md and index.md: enough for ice287g.story to run on."""
    shutil.copytree(CURATED, tmp_path / "data" / "curated")
    (tmp_path / "chapters").mkdir()
    for md in (REPO / "chapters").glob("*.md"):
        shutil.copy2(md, tmp_path / "chapters" / md.name)
    shutil.copy2(REPO / "index.md", tmp_path / "index.md")  # evidence keys index#<section> too
    return tmp_path


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def edit(root: Path, table: str, index: int, **changes) -> dict:
    """Change one data row (0-based ``index``) of ``table`` in the fake repo; return it."""
    path = root / "data" / "curated" / f"{table}.csv"
    fields, rows = read_rows(path)
    rows[index].update(changes)
    write_rows(path, fields, rows)
    return rows[index]


def append(root: Path, table: str, row: dict) -> int:
    """Append a row to ``table`` in the fake repo; return its 1-based data row number."""
    path = root / "data" / "curated" / f"{table}.csv"
    fields, rows = read_rows(path)
    rows.append({f: row.get(f, "") for f in fields})
    write_rows(path, fields, rows)
    return len(rows)


def frictionless_errors(root: Path) -> list[str]:
    report = frictionless.validate(str(root / "data" / "curated" / "datapackage.json"))
    return [f"{task.name}: {err.message}" for task in report.tasks for err in task.errors] + [
        err.message for err in report.errors]


def only_problem(root: Path, *needles: str) -> str:
    """The problems ice287g.story finds in ``root``: exactly one, containing every needle."""
    found = story.problems(root)
    assert len(found) == 1, f"expected exactly one problem, got {found}"
    for needle in needles:
        assert needle in found[0], f"{needle!r} not in {found[0]!r}"
    with pytest.raises(story.CuratedDataError):
        story.check(root)
    return found[0]


# --------------------------------------------------------------------------- the real data
def test_committed_data_validate_with_frictionless():
    report = frictionless.validate(str(CURATED / "datapackage.json"))
    errors = [f"{t.name} row {e.row_number if hasattr(e, 'row_number') else '?'}: {e.message}"
              for t in report.tasks for e in t.errors]
    assert report.valid, "\n".join(errors[:20] + [e.message for e in report.errors])


def test_the_package_describes_exactly_the_curated_files():
    descriptor = story.schema()
    assert sorted(r["path"] for r in descriptor["resources"]) == sorted(
        f"{name}.csv" for name in story.PACKAGE_TABLES)
    on_disk = sorted(p.name for p in CURATED.glob("*.csv"))
    assert on_disk == sorted(f"{name}.csv" for name in story.PACKAGE_TABLES)


def test_committed_data_break_no_rule():
    assert story.problems() == []
    tables = story.check()
    assert all(len(df) for df in tables.values()), "a curated table is empty"


def test_required_event_ids_exist():
    ids = set(story.load("events")["event_id"])
    required = {"kw-agreement-signed", "kw-vote-void", "ag-letter-key-west", "kw-vote-reenter",
                "trump-eo-287g"}
    assert required <= ids, f"missing required events: {sorted(required - ids)}"


def test_key_west_roll_calls_match_the_reported_tallies():
    # The reported results (6-1 on June 30; 4-2 with one absent on July 8) are facts from the
    # sources; the member-by-member rows must add up to them.
    votes = story.load("votes")
    assert story.tally(votes, "2025-06-30", "Key West") == {"yes": 6, "no": 1, "absent": 0, "recused": 0}
    assert story.tally(votes, "2025-07-08", "Key West") == {"yes": 4, "no": 2, "absent": 1, "recused": 0}
    june = set(votes[votes["meeting_date"] == "2025-06-30"]["member"])
    july = set(votes[votes["meeting_date"] == "2025-07-08"]["member"])
    assert june == july, "the same seven members sat on both dates"


def test_every_seed_claim_has_a_verdict_and_evidence():
    claims = story.load("claims").set_index("claim_id")
    expected = {"kw-vote-6-1", "kw-first-city", "kw-prohibits-future", "kw-kaufman-sponsor",
                "kw-ag-threat-fp", "kw-two-hour-session", "kw-t-shirts", "kw-wlrn-attribution",
                "mb-date-session", "mb-amount", "mb-program-name"}
    assert expected <= set(claims.index), f"missing claims: {sorted(expected - set(claims.index))}"
    seed = (REPO.parent / "shared" / "seed" / "key-west-article.txt")
    text = seed.read_text(encoding="utf-8") if seed.is_file() else None
    for cid, row in claims.iterrows():
        assert len(row["evidence"].split()) >= 8, f"{cid}: evidence too thin"
        if text is not None:  # each quote is the article's own words (ellipses allowed)
            for part in re.split(r"\s*\.\.\.\s*", row["quote"]):
                assert part.replace('"', "“", 1) in text or part in text or \
                    part.replace('"', "") in text.replace('"', "").replace("“", "").replace("”", ""), \
                    f"{cid}: {part!r} is not in the article"


# --------------------------------------------------------------------------- bad fixtures
def test_unknown_source_id_fails(fake_repo):
    edit(fake_repo, "events", 2, source_ids="wlrn-2025-06-30-kw-vote;no-such-source")
    msg = only_problem(fake_repo, "data/curated/events.csv", "row 3", "no-such-source")
    assert "unknown source id" in msg
    # A source id that is not even a slug also breaks the schema's pattern for Frictionless.
    edit(fake_repo, "claims", 0, source_ids="Bad Id")
    assert any("claims" in e for e in frictionless_errors(fake_repo))


def test_row_without_a_source_fails(fake_repo):
    edit(fake_repo, "votes", 4, source_ids="")
    only_problem(fake_repo, "data/curated/votes.csv", "row 5", "source_ids is empty")
    assert any("votes" in e for e in frictionless_errors(fake_repo))


def test_never_cited_source_fails(fake_repo):
    n = append(fake_repo, "sources", {
        "source_id": "orphan-2025-source", "publisher": "Example News", "title": "An orphan",
        "published": "2025-07-01", "url": "https://example.com/orphan", "kind": "original report",
        "access": "original", "accessed": "2026-11-26"})
    only_problem(fake_repo, "data/curated/sources.csv", f"row {n}", "orphan-2025-source", "never cited")
    # The same source becomes valid once a chapter cites it with a {cite} role...
    page = fake_repo / "chapters" / "checking.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nAn example {cite:p}`orphan-2025-source`.\n",
                    encoding="utf-8")
    assert story.problems(fake_repo) == []
    # ...or once a curated row names it.
    page.write_text(page.read_text(encoding="utf-8").replace("{cite:p}`orphan-2025-source`", ""),
                    encoding="utf-8")
    row = edit(fake_repo, "claims", 0)
    edit(fake_repo, "claims", 0, source_ids=row["source_ids"] + ";orphan-2025-source")
    assert story.problems(fake_repo) == []


def test_chapter_citing_an_unknown_key_fails(fake_repo):
    page = fake_repo / "chapters" / "votes.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nText {cite:t}`nobody-2099`.\n", encoding="utf-8")
    only_problem(fake_repo, "chapters/votes.md", "nobody-2099")


@pytest.mark.parametrize("bad_url", ["www.wlrn.org/story", "htp://wlrn.org/x", "https://wlrn/x",
                                     "https://wlrn.org/a story", "ftp://wlrn.org/x", ""])
def test_malformed_url_fails(fake_repo, bad_url):
    edit(fake_repo, "sources", 5, url=bad_url)
    msg = only_problem(fake_repo, "data/curated/sources.csv", "row 6", "url")
    assert ("empty" in msg) if bad_url == "" else (repr(bad_url) in msg)
    assert any("sources" in e for e in frictionless_errors(fake_repo))


@pytest.mark.parametrize("table,column,bad,index", [
    ("sources", "published", "2025-13-01", 0),
    ("sources", "published", "30/06/2025", 0),
    ("sources", "accessed", "2026-02-30", 0),
    ("events", "date", "2025-6-30", 0),
    ("events", "date", "June 2025", 0),
    # A Fort Myers row: every roll-call row also has evidence rows keyed by its date, which a
    # changed date (rightly) orphans too: the evidence rows lose their vote and the vote its
    # passages.
    ("votes", "meeting_date", "2025-06-31", 14),
    ("local_actions", "date", "2025-00-10", 0),
])
def test_malformed_date_fails(fake_repo, table, column, bad, index):
    edit(fake_repo, table, index, **{column: bad})
    found = story.problems(fake_repo)
    about_row = [p for p in found if f"data/curated/{table}.csv row {index + 1}" in p]
    assert any(repr(bad) in p for p in about_row), found
    orphaned = [p for p in found if p not in about_row]
    assert all(table == "votes" and "no row of votes.csv has that meeting date" in p
               for p in orphaned), found
    # Frictionless (the schema's date type and ISO pattern) rejects every one of them too.
    assert any(table in e for e in frictionless_errors(fake_repo)), f"frictionless accepted {bad!r}"


def test_date_must_match_its_precision(fake_repo):
    row = edit(fake_repo, "events", 0)
    precision = "day" if row["date_precision"] != "day" else "month"
    edit(fake_repo, "events", 0, date_precision=precision)
    only_problem(fake_repo, "data/curated/events.csv", "row 1", "date_precision")


def test_value_outside_an_enum_fails(fake_repo):
    edit(fake_repo, "claims", 1, verdict="mostly true")
    only_problem(fake_repo, "data/curated/claims.csv", "row 2", "verdict")
    assert any("claims" in e for e in frictionless_errors(fake_repo))


def test_duplicate_id_fails(fake_repo):
    fields, rows = read_rows(fake_repo / "data" / "curated" / "events.csv")
    append(fake_repo, "events", dict(rows[0]))
    found = story.problems(fake_repo)
    assert any("events.csv" in p and "unique" in p for p in found), found


def test_unquoted_comma_is_reported_with_its_line(fake_repo):
    path = fake_repo / "data" / "curated" / "claims.csv"
    path.write_text(path.read_text(encoding="utf-8") + "x-claim,a quote, with a comma,supported,ok,wlrn-2025-06-30-kw-vote\n",
                    encoding="utf-8")
    with pytest.raises(story.CuratedDataError, match=r"claims\.csv row \d+ \(line \d+\): 6 fields"):
        story.load("claims", fake_repo)


def test_a_wrong_header_is_reported(fake_repo):
    path = fake_repo / "data" / "curated" / "votes.csv"
    text = path.read_text(encoding="utf-8").replace("member,role", "name,role", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(story.CuratedDataError, match="votes.csv: header"):
        story.load("votes", fake_repo)


def test_nothing_is_written_when_the_data_are_invalid(fake_repo):
    edit(fake_repo, "events", 0, source_ids="")
    with pytest.raises(story.CuratedDataError):
        story.write_bibtex(fake_repo)
    assert not (fake_repo / "references.bib").exists()
    edit(fake_repo, "events", 0, source_ids="wlrn-2025-06-30-kw-vote")
    assert story.write_bibtex(fake_repo).is_file()


# --------------------------------------------------------------------------- the bibliography
def test_committed_bibliography_is_generated_from_sources_csv():
    committed = (REPO / "references.bib").read_text(encoding="utf-8")
    assert committed == story.bibtex(story.load("sources")), (
        "references.bib is stale: run `python -m ice287g.story` and commit the result")


def test_config_wires_the_bibliography():
    import yaml
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    assert "references.bib" in cfg["bibtex_bibfiles"]
    assert "sphinxcontrib.bibtex" in cfg["sphinx"]["config"]["extensions"]
    refs = (REPO / "chapters" / "references.md").read_text(encoding="utf-8")
    assert "{bibliography}" in refs


def test_bibtex_parses_and_keeps_every_title_and_outlet():
    sources = story.load("sources")
    data = pybtex_database.parse_string(story.bibtex(sources), "bibtex")
    assert sorted(data.entries) == sorted(sources["source_id"])
    for row in sources.itertuples():
        entry = data.entries[row.source_id]
        raw_title = entry.fields["title"]
        assert raw_title.startswith("{") and raw_title.endswith("}"), "title capitalisation unprotected"
        assert plain(raw_title) == row.title
        assert entry.fields["url"] == row.url
        [person] = entry.persons["author"]
        assert plain(str(person)).strip("{}") == row.publisher or \
            plain(" ".join(person.last_names)) == row.publisher


def test_bibtex_escapes_latex_specials_and_disambiguates_dates():
    import pandas as pd
    sources = pd.DataFrame([
        {"source_id": "a-1", "publisher": "AT&T News", "title": "$100,000 fund: 50% more & #1_x ~ 2^3",
         "author": "", "published": "2025-06-30", "url": "https://example.com/a?x=1&y=2",
         "kind": "original report", "accessed": "2026-11-26", "note": ""},
        {"source_id": "a-2", "publisher": "AT&T News", "title": "Second", "author": "A. B",
         "published": "2025-06-30", "url": "https://example.com/b", "kind": "original report",
         "accessed": "2026-11-26", "note": ""},
        {"source_id": "a-3", "publisher": "Other", "title": "Undated", "author": "",
         "published": "", "url": "https://example.com/c", "kind": "analysis",
         "accessed": "2026-11-26", "note": ""},
        {"source_id": "b-1", "publisher": "Agency", "title": "Undated one", "author": "",
         "published": "", "url": "https://example.com/d", "kind": "primary record",
         "accessed": "2026-11-26", "note": ""},
        {"source_id": "b-2", "publisher": "Agency", "title": "Undated two", "author": "",
         "published": "", "url": "https://example.com/e", "kind": "primary record",
         "accessed": "2026-11-26", "note": ""},
    ])
    data = pybtex_database.parse_string(story.bibtex(sources), "bibtex")
    assert plain(data.entries["a-1"].fields["title"]) == \
        "$100,000 fund: 50% more & #1_x ~ 2^3"
    assert data.entries["a-1"].fields["url"] == "https://example.com/a?x=1&y=2"
    assert data.entries["a-1"].fields["year"] == "2025-06-30a"
    assert data.entries["a-2"].fields["year"] == "2025-06-30b"
    assert data.entries["a-3"].fields["year"] == "n.d."
    assert (data.entries["b-1"].fields["year"], data.entries["b-2"].fields["year"]) == ("n.d.-a", "n.d.-b")


# --------------------------------------------------------------------------- story tables
def test_story_tables_have_no_index_and_link_their_sources():
    tables = story.load_all()
    roll = story.roll_call(tables["votes"], "2025-07-08", "Key West")
    assert list(roll.columns) == ["Member", "Role", "Vote"]
    assert list(roll["Vote"]) == sorted(roll["Vote"], key=["yes", "no", "absent", "recused"].index)
    html = story.style(roll, "caption").to_html()
    assert "<caption>caption</caption>" in html
    assert 'class="row_heading' not in html and "blank level0" not in html, "index column shown"
    claims = story.claims_table(tables["claims"], tables["sources"])
    first_ids = story.split_ids(tables["claims"]["source_ids"].iloc[0])
    url = tables["sources"].set_index("source_id").loc[first_ids[0], "url"]
    assert f'href="{url}"' in claims["Sources"].iloc[0]
    counts = story.verdict_counts(tables["claims"])
    assert counts["Claims"].sum() == len(tables["claims"])
    with pytest.raises(KeyError):
        story.roll_call(tables["votes"], "1999-01-01", "Key West")


def test_text_the_bibliography_cannot_show_is_rejected(fake_repo):
    edit(fake_repo, "sources", 3, title="A {braced} headline")
    only_problem(fake_repo, "data/curated/sources.csv", "row 4", "title", "brace")


def test_the_build_extension_regenerates_the_bibliography(fake_repo):
    import importlib.util
    import sys
    import types
    # One bib_style module per process, shared with test_bibliography_i18n.py: loading it again
    # registers its styles again, and that file's tests would then catch another module's
    # SpanishBibliographyError than the one the registered style raises.
    module = sys.modules.get("bib_style")
    if module is None:
        spec = importlib.util.spec_from_file_location("bib_style", REPO / "_ext" / "bib_style.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bib_style"] = module
        spec.loader.exec_module(module)
    (fake_repo / "references.bib").write_text("% stale\n", encoding="utf-8")
    module.setup(types.SimpleNamespace(srcdir=str(fake_repo)))
    assert (fake_repo / "references.bib").read_text(encoding="utf-8") == \
        story.bibtex(story.load("sources", fake_repo))
    edit(fake_repo, "events", 0, source_ids="")  # invalid data stop the build, file untouched
    before = (fake_repo / "references.bib").read_text(encoding="utf-8")
    with pytest.raises(story.CuratedDataError, match="events.csv row 1"):
        module.setup(types.SimpleNamespace(srcdir=str(fake_repo)))
    assert (fake_repo / "references.bib").read_text(encoding="utf-8") == before


def test_impossible_calendar_day_in_a_text_date_column_is_caught(fake_repo):
    # events.date is text with an ISO pattern (it may hold YYYY-MM or YYYY), so the pattern alone
    # accepts June 31; ice287g.story checks the calendar.
    edit(fake_repo, "events", 0, date="2025-06-31", date_precision="day")
    only_problem(fake_repo, "data/curated/events.csv", "row 1", "'2025-06-31'", "real ISO date")


# --------------------------------------------------------------------------- evidence rules
def test_a_roll_call_row_citing_a_source_that_does_not_name_the_member_fails(fake_repo):
    # Issue 11: Miami New Times was credited with naming the mayor's June 30 vote; it names
    # Haskell and four commissioners only. A Key West roll-call row may cite a source only if an
    # evidence passage of that source, keyed to that vote, names the member.
    fields, rows = read_rows(fake_repo / "data" / "curated" / "votes.csv")
    i = next(n for n, r in enumerate(rows) if r["member"] == "Danise Henriquez"
             and r["meeting_date"] == "2025-06-30")
    edit(fake_repo, "votes", i, source_ids=rows[i]["source_ids"] + ";mnt-2025-07-ag-threatens-kw")
    msg = only_problem(fake_repo, f"data/curated/votes.csv row {i + 1}", "mnt-2025-07-ag-threatens-kw",
                       "names Henriquez")
    assert "votes:2025-06-30:danise-henriquez" in msg


def test_fort_myers_and_miami_roll_calls_are_checked_like_key_wests(fake_repo):
    # Issue 11: the Fort Myers and Miami rows were not linked to passages. WGCU's story of the
    # March 17 tie names no member, so a row citing it must fail.
    fields, rows = read_rows(fake_repo / "data" / "curated" / "votes.csv")
    i = next(n for n, r in enumerate(rows) if r["member"] == "Diana Giraldo"
             and r["meeting_date"] == "2025-03-17")
    edit(fake_repo, "votes", i, source_ids=rows[i]["source_ids"] + ";wgcu-2025-03-18-fort-myers-split")
    only_problem(fake_repo, f"votes.csv row {i + 1}", "wgcu-2025-03-18-fort-myers-split",
                 "votes:2025-03-17:diana-giraldo", "names Giraldo")
    edit(fake_repo, "votes", i, source_ids=rows[i]["source_ids"])
    j = next(n for n, r in enumerate(rows) if r["member"] == "Christine King")
    edit(fake_repo, "votes", j, source_ids=rows[j]["source_ids"] + ";wusf-2025-09-03-miami-police")
    only_problem(fake_repo, f"votes.csv row {j + 1}", "wusf-2025-09-03-miami-police", "names King")


def test_a_unanimous_report_backs_every_yes_vote_only_if_its_count_covers_them(fake_repo):
    # The March 21 rows rest on "unanimously" (The News-Press) and "a 7 to 0 vote" (Fox 4), which
    # name no member. A count smaller than the rows listed, or a split meeting, backs nothing.
    path = fake_repo / "data" / "curated" / "evidence.csv"
    fields, rows = read_rows(path)
    fox = [r for r in rows if r["key"].startswith("votes:2025-03-21:")
           and r["source_id"] == "fox4-2025-03-21-fort-myers-7-0"]
    assert len(fox) == 6 and all("7 to 0" in r["passage"] for r in fox)
    assert story.problems(fake_repo) == []
    for r in fox:
        r["passage"] = r["passage"].replace("7 to 0", "5 to 0")
    write_rows(path, fields, rows)
    found = story.problems(fake_repo)
    assert len(found) == 6 and all("fox4-2025-03-21-fort-myers-7-0" in p and "unanimous" in p
                                   for p in found), found
    assert story._reports_unanimous("voted 6-0 to approve", 6)
    assert not story._reports_unanimous("voted 6-1 to approve", 6)
    assert not story._reports_unanimous("a 3-0 committee vote", 6)


def test_a_source_no_reader_can_open_cannot_carry_evidence(fake_repo):
    fields, rows = read_rows(fake_repo / "data" / "curated" / "sources.csv")
    i = next(n for n, r in enumerate(rows) if r["source_id"] == "wlrn-2025-06-30-kw-vote")
    edit(fake_repo, "sources", i, access="not available")
    found = story.problems(fake_repo)
    assert found and all("evidence.csv" in p and "'not available'" in p for p in found), found


def test_access_must_be_one_of_the_three_values(fake_repo):
    edit(fake_repo, "sources", 2, access="paywalled")
    assert any("sources" in e and "paywalled" in e for e in frictionless_errors(fake_repo))
    assert any("sources.csv row 3" in p and "paywalled" in p for p in story.problems(fake_repo))
