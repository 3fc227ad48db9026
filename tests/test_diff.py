"""``python -m ice287g diff`` and ``ice287g.diff`` on processed folders built by the pipeline
from small synthetic sheets (tests/two_lists.py): an old folder with one list and a new
folder with a second list on which one agreement left, two joined and one row was edited.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ice287g import diff
from sheetfactory import PART_HEADER, PART_ROWS, PEND_HEADER, PEND_ROWS, run_cli, write_xlsx
from two_lists import build, two_folders


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return two_folders(tmp_path_factory.mktemp("diff"))


def test_diff_names_every_change(folders):
    old, new = folders
    r = run_cli("diff", str(old), str(new))
    assert r.returncode == 0, r.stderr
    md = r.stdout
    assert md.startswith("# ICE's 287(g) list: May 16, 2025 (a.m.) → May 19, 2025 (p.m.)\n")
    # Counts: 7 agreements before (3 in Florida), 8 after (4 in Florida); pending 2 -> 1.
    assert "| Agreements on the latest list | 7 | 8 | +1 |" in md
    assert "| In Florida | 3 | 4 | +1 |" in md
    assert "| Pending requests on the latest pending list | 2 | 1 | -1 |" in md
    sections = md.split("\n## ")
    joined = next(s for s in sections if s.startswith("Agreements that joined"))
    left = next(s for s in sections if s.startswith("Agreements that left"))
    edited = next(s for s in sections if s.startswith("Rows ICE edited"))
    pubs = next(s for s in sections if s.startswith("Publications added"))
    qa = next(s for s in sections if s.startswith("QA checks new or changed"))
    assert joined.startswith("Agreements that joined (2)")
    assert "| Florida | Collier County Sheriff's Office | Jail Enforcement Model | May 17, 2025 |" in joined
    assert "| Georgia | Cobb County Sheriff's Office | Warrant Service Officer | May 18, 2025 |" in joined
    assert "Harris" not in joined and "Harris" not in left
    assert left.startswith("Agreements that left (1)")
    assert "| Alabama | Etowah County Sheriff's Office | Jail Enforcement Model | (blank) |" in left
    assert edited.startswith("Rows ICE edited (1)")
    assert ("| Texas | Harris County Sheriff's Office | Harris County Sheriff's Office | "
            "Warrant Service Officer | signed: June 1, 2019 → June 11, 2019 |") in edited
    assert pubs.startswith("Publications added (2)")
    assert "| participating | May 19, 2025 (p.m.) | participatingAgencies05192025pm.xlsx | 8 | yes |" in pubs
    assert "| pending | May 19, 2025 (p.m.) | pendingAgencies05192025pm.xlsx | 1 | yes |" in pubs
    # Two input files before, four after.
    assert "| input_files | info | 2 | 4 |" in qa
    # passing checks that only counted more items are summarised, not tabled
    assert "| agreement_ids_unique |" not in qa
    recount = md.split("passing QA checks counted other numbers of items and still pass: ")[1]
    assert "`agreement_ids_unique`" in recount.splitlines()[0]
    assert "Publications no longer in the data" not in md
    req = next(s for s in sections if s.startswith("Pending requests that left"))
    assert req.startswith("Pending requests that left the pending list (1)")
    assert "| Georgia | Cobb County Sheriff's Office | Warrant Service Officer | yes |" in req
    assert "Pending requests that joined" not in md


def test_no_change_prints_no_change_and_exits_0(folders):
    old, _ = folders
    r = run_cli("diff", str(old), str(old), "--exit-code")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "no change\n"


def test_exit_code_and_output_file(folders, tmp_path):
    old, new = folders
    out = tmp_path / "summary.md"
    r = run_cli("diff", str(old), str(new), "--exit-code", "--output", str(out))
    assert r.returncode == 1
    assert out.read_text() == r.stdout


def test_reversed_diff_swaps_joined_and_left(folders):
    old, new = folders
    change = diff.diff_folders(new, old)
    assert sorted(change.left["agency"]) == ["Cobb County Sheriff's Office",
                                             "Collier County Sheriff's Office"]
    assert list(change.joined["agency"]) == ["Etowah County Sheriff's Office"]
    assert list(change.edited["what_changed"]) == ["signed: June 11, 2019 → June 1, 2019"]
    assert list(change.publications_gone["file"]) == ["participatingAgencies05192025pm.xlsx",
                                                      "pendingAgencies05192025pm.xlsx"]
    assert (change.n_before, change.n_after) == (8, 7)
    # reversed, Cobb's request comes back, and its agreement is not on the (old) latest list
    assert change.requests_joined["agency"].tolist() == ["Cobb County Sheriff's Office"]
    assert change.requests_left.empty


def test_latest_change_of_one_folder_matches_the_folder_diff(folders):
    """The book's page (last two lists of one folder) and the CLI use the same computation."""
    old, new = folders
    a, b = diff.diff_folders(old, new), diff.latest_change(new)
    for part in ("joined", "left"):
        assert getattr(a, part)["agreement_id"].tolist() == getattr(b, part)["agreement_id"].tolist()
    assert a.edited.equals(b.edited)
    assert a.counts.equals(b.counts)
    assert b.qa_changes.empty
    assert a.publications_added.equals(b.publications_added)


def test_series_counts_additions_and_removals_per_list(folders):
    _, new = folders
    s = diff.series(diff.load_side(new))
    assert s[["label", "n_previous", "n", "added", "removed"]].values.tolist() == [
        ["May 19, 2025 (p.m.)", 7, 8, 3, 2]]  # the edited row counts as one removal and one addition


def test_missing_or_wrong_folder_is_a_clear_error(folders, tmp_path):
    old, _ = folders
    r = run_cli("diff", str(old), str(tmp_path / "nope"))
    assert r.returncode == 2 and "nope: no such folder" in r.stderr
    half = tmp_path / "half"
    half.mkdir()
    (half / "snapshots.csv").write_text((old / "snapshots.csv").read_text())
    r = run_cli("diff", str(old), str(half))
    assert r.returncode == 2 and "not a processed data folder" in r.stderr and "qa.csv" in r.stderr
    assert "Traceback" not in r.stderr


def test_freshness_reads_the_latest_list_and_the_check_record(folders, tmp_path):
    _, new = folders
    checks = tmp_path / "update-checks.csv"
    f = diff.freshness(new, checks)
    assert (f.latest_list_text, f.latest_label, f.last_checked) == ("May 19, 2025", "May 19, 2025 (p.m.)", None)
    assert f.last_checked_text == "not yet recorded by the update procedure"
    assert f.checked_clause == "has not yet been checked against ICE's page by the book's weekly update"
    checks.write_text("checked_at,url,outcome,capture,files,sha256\n"
                      "2025-05-27T06:17:03Z,http://x,unchanged,,a.xlsx,ab\n"
                      "2025-05-20T15:18:13Z,http://x,new,sheets_20250520_151813,a.xlsx,ab\n")
    f = diff.freshness(new, checks)
    assert f.last_checked_text == "May 27, 2025 (06:17 UTC)" and f.last_outcome == "unchanged"
    assert f.checked_clause == "was last checked against ICE's page on May 27, 2025 at 06:17 UTC"
    checks.write_text("checked_at,url,outcome,capture,files,sha256\n"
                      "2025-05-27T06:17:03Z,http://x,new,,a.xlsx,ab\n"
                      "last tuesday,http://x,new,,a.xlsx,ab\n")
    with pytest.raises(diff.DiffError, match=r"update-checks.csv, row 3: checked_at 'last tuesday'"):
        diff.freshness(new, checks)


def test_markdown_escapes_pipes_in_names():
    import pandas as pd

    table = diff._md_table(pd.DataFrame({"Agency": ["A | B"]}))
    assert table.splitlines()[2] == "| A \\| B |"


def test_recent_and_describe_series():
    import pandas as pd

    ser = pd.DataFrame({
        "published_at": pd.to_datetime(["2024-01-01", "2025-03-01", "2025-06-01", "2025-12-31"]),
        "label": ["a", "b", "c", "d"],
        "added": [50, 4, 9, 9], "removed": [0, 6, 1, 0],
    })
    rec = diff.recent(ser, days=365)
    assert rec["label"].tolist() == ["b", "c", "d"]
    assert diff.recent(ser, days=None, lists=2)["label"].tolist() == ["c", "d"]
    assert diff.recent(ser, days=365, lists=9)["label"].tolist() == ["b", "c", "d"]
    d = diff.describe_series(rec)
    assert (d["n_lists"], d["added"], d["removed"], d["n_net_loss"]) == (3, 22, 7, 1)
    # a tie on additions goes to the earlier list
    assert (d["max_added"], d["max_added_label"]) == (9, "c")
    assert (d["first_label"], d["last_label"], d["n_no_change"]) == ("b", "d", 0)
    with pytest.raises(diff.DiffError):
        diff.describe_series(ser.iloc[:0])


def test_a_resaved_workbook_carrying_a_known_list_is_no_change(folders, tmp_path):
    """ICE re-saves an unchanged pending list (other bytes, same rows): files.csv gains a row
    and file-count checks change, but no list did: "no change", and a note says why."""
    _, new = folders
    archive = tmp_path / "archive"
    root = new.parent / "archive"
    for f in root.rglob("*.xlsx"):
        dest = archive / f.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(f.read_bytes())
    write_xlsx(archive / "sheets_20250521_151500" / "pendingAgencies05192025pm.xlsx",
               PEND_HEADER, PEND_ROWS[:1], sheet="Pending")
    again = build(archive, tmp_path / "again", tmp_path / "cache")
    change = diff.diff_folders(new, again)
    assert change.changed and not change.substantive
    assert set(change.qa_changes["check"]) <= diff.FILE_ONLY_CHECKS
    assert "input_files" in set(change.qa_changes["check"])
    r = run_cli("diff", str(new), str(again), "--exit-code")
    assert (r.returncode, r.stdout) == (0, "no change\n")
    assert "note: only input files differ (" in r.stderr


# --------------------------------------------------------------------------- issue 20: exit codes
def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def _drop_column(csv_path: Path, column: str) -> None:
    import csv

    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fields = [f for f in (rows[0].keys() if rows else []) if f != column]
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _one_error_line(r, *needles: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize("file, column", [
    ("agreements.csv", "support_type"),
    ("snapshots.csv", "trend_excluded"),
    ("listings.csv", "first_publication"),
    ("qa.csv", "status"),
])
def test_an_old_schema_folder_is_an_error_naming_file_and_column(folders, tmp_path, file, column):
    """A folder built by an older version lacks a column: exit 2 (not 1, which the update
    workflow reads as 'changed'), one line naming the file and the column."""
    old, new = folders
    stale = _copy(old, tmp_path / "stale")
    _drop_column(stale / file, column)
    for args in ((str(stale), str(new)), (str(new), str(stale))):
        r = run_cli("diff", *args, "--exit-code")
        _one_error_line(r, str(stale / file), f"lacks the column {column}")
        assert r.stdout == ""


def test_an_output_in_a_missing_folder_is_an_error(folders, tmp_path):
    old, new = folders
    out = tmp_path / "no" / "such" / "diff.md"
    r = run_cli("diff", str(old), str(new), "--exit-code", "--output", str(out))
    _one_error_line(r, str(out.parent), "--output")
    assert not out.parent.exists()


def test_an_unreadable_csv_is_an_error_not_a_change(folders, tmp_path):
    old, new = folders
    bad = _copy(new, tmp_path / "bad")
    (bad / "snapshots.csv").write_bytes(b"\xff\xfe\x00garbage\n")
    r = run_cli("diff", str(old), str(bad), "--exit-code")
    _one_error_line(r, "snapshots.csv")


def test_exit_codes_are_0_unchanged_1_changed_2_error(folders, tmp_path):
    old, new = folders
    assert run_cli("diff", str(old), str(old), "--exit-code").returncode == 0
    assert run_cli("diff", str(old), str(new), "--exit-code").returncode == 1
    assert run_cli("diff", str(old), str(tmp_path / "nope"), "--exit-code").returncode == 2
    assert run_cli("diff", str(old), "--exit-code").returncode == 2  # a usage error


# --------------------------------------------------------------------------- issue 20: Markdown
HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)> Sheriff's Office",
    "<details><summary>open me</summary>hidden</details>",
    "[Key West Police](https://evil.example/phish) Department",
    "![tracker](https://evil.example/pixel.png)",
    "@everyone @octocat cc team@example.org",
    "Sheriff #1 (see #123)",
    "https://evil.example/x and www.evil.example and HTTP://EVIL.EXAMPLE",
    "`code` | a pipe ~~struck~~ **bold** _em_ $x^2$ &lt;b&gt; &amp;",
    "two\nlines\r\u2028and a \x1b[31m colour",
    "<!-- a comment --> <script>alert(1)</script>",
]


def _render(md: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("gfm-like").render(md)  # tables, strikethrough, linkify: GitHub's kinds


def _text(html: str) -> str:
    import html as h
    import re

    return h.unescape(re.sub(r"<[^>]+>", "", html)).replace("\u200b", "")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_md_escape_makes_an_agency_name_literal_text(name):
    import re

    for md in (diff.md_escape(name), diff._md_table(diff.pd.DataFrame({"Agency": [name]}))):
        html = _render(md)
        assert not re.search(r"<(a|img|details|summary|script|b|em|strong|del|code|br)\b", html), html
        assert "<!--" not in html and "\n" not in diff.md_escape(name)
    shown = _text(_render(diff.md_escape(name))).strip()
    assert shown == " ".join(name.replace("\x1b", " ").split()) or \
        " ".join(shown.split()) == " ".join(name.replace("\x1b", " ").split()), shown
    esc = diff.md_escape(name)
    # GitHub mentions and references: '@' and '#' never directly precede a name or a number
    assert not re.search(r"@[\w-]", esc) and not re.search(r"#\d", esc)
    assert "://" not in esc and not re.search(r"(?i)www\.", esc)


def test_md_code_keeps_backticks_and_pipes_inside_the_span():
    for text in ("participating`evil`.xlsx", "a | b", "``x``"):
        html = _render("| x |\n|---|\n| " + diff.md_code(text) + " |")
        assert html.count("<code>") == 1 and "<td>" in html, html


def test_a_hostile_agency_name_reaches_the_cli_summary_escaped(folders, tmp_path):
    """Through the pipeline: an ICE sheet whose new agency is an HTML/Markdown payload."""
    import re

    old, _ = folders
    archive = tmp_path / "archive"
    cap = archive / "sheets_20250520_151813"
    payload = "<details><img src=x onerror=alert(1)>[x](https://evil.example) @everyone"
    write_xlsx(cap / "participatingAgencies05192025pm.xlsx", PART_HEADER,
               PART_ROWS + [["GEORGIA", payload, "County", "Cobb County",
                             "Warrant Service Officer", dt.datetime(2025, 5, 18), "link"]])
    write_xlsx(cap / "pendingAgencies05192025pm.xlsx", PEND_HEADER, PEND_ROWS)
    new = build(archive, tmp_path / "new", tmp_path / "cache")
    out = tmp_path / "diff.md"
    r = run_cli("diff", str(old), str(new), "--exit-code", "--output", str(out))
    assert r.returncode == 1, r.stderr
    md = out.read_text(encoding="utf-8")
    assert "onerror" in md and not re.search(r"(?<!\\)[<\[]", md.split("\n## ")[1])
    html = _render(md)
    assert "<img" not in html and "<details" not in html and 'href="https://evil' not in html
    assert "@everyone" not in md
