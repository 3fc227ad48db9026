"""Bad input: the build exits non-zero, names the file (and row), and writes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import os
import shutil
import zipfile

import pytest

from sheetfactory import (PART_HEADER, PART_ROWS, PEND_HEADER, PEND_ROWS, run_cli, small_archive,
                          snapshot_dir, write_xlsx)


@pytest.fixture()
def archive(tmp_path):
    return small_archive(tmp_path / "archive")


@pytest.fixture()
def out(tmp_path):
    """An output folder that already holds a previous build's file (must stay untouched)."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "snapshots.csv").write_text("published_at,n_agreements\nprevious,1\n")
    return folder


def assert_fails(archive, out, tmp_path, *needles):
    before = snapshot_dir(out)
    parent_before = sorted(p.name for p in out.parent.iterdir() if p.name != "cache")
    r = run_cli("build", "--sheets", str(archive), "--out", str(out), cache=tmp_path / "cache")
    assert r.returncode != 0, f"the build should have failed:\n{r.stderr}"
    for needle in needles:
        assert needle in r.stderr, f"{needle!r} not in the error message:\n{r.stderr}"
    assert "nothing was written" in r.stderr
    assert snapshot_dir(out) == before, "the output folder changed"
    assert sorted(p.name for p in out.parent.iterdir() if p.name != "cache") == parent_before, "a temporary folder was left"
    return r.stderr


def test_not_an_xlsx_file(archive, out, tmp_path):
    bad = archive / "sheets_20250522_151740" / "participatingAgencies05202025pm.xlsx"
    bad.parent.mkdir()
    bad.write_text("<html><body>Access denied</body></html>")
    assert_fails(archive, out, tmp_path, "participatingAgencies05202025pm.xlsx", "not an xlsx workbook")


def test_spreadsheet_in_another_format(archive, out, tmp_path):
    (archive / "participatingAgencies05202025pm.csv").write_text("STATE,LAW ENFORCEMENT AGENCY\n")
    assert_fails(archive, out, tmp_path, "participatingAgencies05202025pm.csv", "not an .xlsx workbook")


def test_truncated_xlsx(archive, out, tmp_path):
    good = archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx"
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "corrupt")


def test_zip_that_is_not_a_workbook(archive, out, tmp_path):
    import zipfile

    path = archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx"
    with zipfile.ZipFile(path, "w") as z:  # a zip, but not a workbook
        z.writestr("hello.txt", "not a spreadsheet")
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "not an xlsx workbook")


def test_corrupt_data_inside_a_workbook(archive, out, tmp_path):
    import zipfile

    path = archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx"
    write_xlsx(path, PART_HEADER, PART_ROWS * 20)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    for k in range(8):  # damage the compressed sheet in the middle
        data[middle + k] ^= 0xFF
    path.write_bytes(bytes(data))
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "cannot read the workbook")


def test_missing_required_column(archive, out, tmp_path):
    header = [h for h in PART_HEADER if h != "SUPPORT TYPE"]
    rows = [r[:4] + r[5:] for r in PART_ROWS]
    write_xlsx(archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx", header, rows)
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "row 1",
                 "missing required column(s) SUPPORT TYPE")


def test_unknown_header(archive, out, tmp_path):
    header = PART_HEADER + ["EXPIRES"]
    rows = [r + ["2030-01-01"] for r in PART_ROWS]
    write_xlsx(archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx", header, rows)
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "row 1",
                 "unknown column header 'EXPIRES' in column H")


def test_duplicate_header(archive, out, tmp_path):
    header = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "TYPE"]
    write_xlsx(archive / "sheets_20250520_151813" / "pendingAgencies05192025pm.xlsx", header,
               [["TEXAS", "X", "County", "Y", "County"]])
    assert_fails(archive, out, tmp_path, "pendingAgencies05192025pm.xlsx", "appears twice")


def test_empty_sheet(archive, out, tmp_path):
    write_xlsx(archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx", None, [])
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "is empty")


def test_header_without_rows(archive, out, tmp_path):
    write_xlsx(archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx", PART_HEADER, [])
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "no data rows")


def test_value_in_a_column_without_header(archive, out, tmp_path):
    rows = [list(r) for r in PART_ROWS]
    rows[3] = rows[3] + ["", "stray note"]
    write_xlsx(archive / "sheets_20250520_151813" / "participatingAgencies05192025pm.xlsx", PART_HEADER, rows)
    assert_fails(archive, out, tmp_path, "participatingAgencies05192025pm.xlsx", "row 5", "column I")


def test_file_name_without_a_parsable_date(archive, out, tmp_path):
    write_xlsx(archive / "participatingAgencies.xlsx", PART_HEADER, PART_ROWS)
    assert_fails(archive, out, tmp_path, "participatingAgencies.xlsx", "cannot read a list and date")


def test_impossible_date_in_a_name(archive, out, tmp_path):
    write_xlsx(archive / "participatingAgencies02302025am.xlsx", PART_HEADER, PART_ROWS)
    assert_fails(archive, out, tmp_path, "participatingAgencies02302025am.xlsx", "not a valid MMDDYYYY date")


def test_missing_sheet_folder(tmp_path, out):
    before = snapshot_dir(out)
    r = run_cli("build", "--sheets", str(tmp_path / "nope"), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode != 0 and str(tmp_path / "nope") in r.stderr and "does not exist" in r.stderr
    assert snapshot_dir(out) == before


def test_missing_default_input_is_a_clear_error(tmp_path):
    """A fresh clone has no ../shared: the default command says so and writes nothing."""
    import os
    import subprocess
    import sys

    root = tmp_path / "clone"
    (root / "data").mkdir(parents=True)
    (root / "_config.yml").write_text("title: x\n")
    env = {**os.environ, "ICE287G_ROOT": str(root), "ICE287G_CACHE_DIR": str(tmp_path / "c")}
    r = subprocess.run([sys.executable, "-m", "ice287g", "build"], capture_output=True, text=True,
                       env=env, cwd=root)
    assert r.returncode != 0
    assert str(tmp_path / "shared" / "data" / "ice-287g-sheets") in r.stderr
    assert "DEFAULT_SHEET_ARCHIVES" in r.stderr and "nothing was written" in r.stderr
    assert "python -m ice287g get-archives" in r.stderr  # how to get them (issue 25)
    assert snapshot_dir(root / "data") == {}


def test_a_later_bad_file_stops_everything(archive, out, tmp_path):
    """Good sheets before a bad one are not half-written."""
    write_xlsx(archive / "sheets_20250530_151813" / "participatingAgencies05292025am.xlsx",
               ["STATE", "AGENCY"], [["TEXAS", "X"]])
    assert_fails(archive, out, tmp_path, "participatingAgencies05292025am.xlsx")


def test_the_good_archive_builds(archive, out, tmp_path):
    """Control: the fixtures above fail because of the bad file, not the archive."""
    r = run_cli("build", "--sheets", str(archive), "--out", str(out), cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    assert "previous" not in (out / "snapshots.csv").read_text()


def test_empty_folder(tmp_path, out):
    (tmp_path / "empty").mkdir()
    r = run_cli("build", "--sheets", str(tmp_path / "empty"), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode != 0 and "no .xlsx sheets" in r.stderr


def test_qa_failure_stops_the_build(archive, out, tmp_path, monkeypatch):
    """A failing QA invariant fails the command and writes nothing."""
    from ice287g.pipeline import build, s7_qa

    orig = s7_qa.run_checks

    def broken(*a, **k):
        rows = orig(*a, **k)
        rows.append({"name": "injected", "status": "fail", "count": 1, "detail": "broken on purpose"})
        return rows

    monkeypatch.setattr(s7_qa, "run_checks", broken)
    before = snapshot_dir(out)
    with pytest.raises(build.BuildError, match="injected"):
        build.run_build([archive], out, cache_dir=tmp_path / "c")
    assert snapshot_dir(out) == before


# ============================================================================ issue 15: the catalogue
# One test per kind of bad input. Each has good sheets beside the bad one and an --out that
# holds a previous good build; it asserts either a refusal (one-line error naming the file and
# row, "nothing was written", non-zero exit, --out byte-identical, nothing left beside it) or a
# qa.csv flag naming the file and row.


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory):
    """A good build of the small archive, made once (copied into each test's --out)."""
    root = tmp_path_factory.mktemp("previous")
    r = run_cli("build", "--sheets", str(small_archive(root / "archive")), "--out", str(root / "out"),
                cache=root / "cache")
    assert r.returncode == 0, r.stderr
    return root / "out"


@pytest.fixture()
def good_out(tmp_path, previous_build):
    out = tmp_path / "out"
    shutil.copytree(previous_build, out)
    return out


def refused(archive, out, tmp_path, *needles, args=()):
    """The build fails with ONE error line naming what is wrong; --out is byte-identical."""
    before = snapshot_dir(out)
    beside = sorted(p.name for p in out.parent.iterdir() if p.name != "cache")
    r = run_cli("build", "--sheets", str(archive), *args, "--out", str(out), cache=tmp_path / "cache")
    assert r.returncode != 0, f"the build should have failed:\n{r.stderr}"
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line:\n{r.stderr}"
    assert lines[0].startswith("error: ") and lines[0].endswith("nothing was written"), lines[0]
    assert "Traceback" not in r.stderr
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in the error:\n{lines[0]}"
    assert snapshot_dir(out) == before, "--out changed"
    assert sorted(p.name for p in out.parent.iterdir() if p.name != "cache") == beside, \
        "something was left beside --out"
    return lines[0]


def built(archive, out, tmp_path, *args) -> dict[str, list[dict]]:
    """The build succeeds; return its tables (file name -> rows)."""
    r = run_cli("build", *(a for arc in ([archive] if not isinstance(archive, list) else archive)
                           for a in ("--sheets", str(arc))), *args, "--out", str(out),
                cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return {p.name: list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8"))))
            for p in out.glob("*.csv")}


def qa_row(tables, name) -> dict:
    [row] = [r for r in tables["qa.csv"] if r["name"] == name]
    return row


CAP2 = "sheets_20250520_151813"


def test_no_participating_sheets(tmp_path, good_out):
    """A wrong --sheets folder holding only pending lists used to replace the output with 0
    publications and pass QA."""
    arch = tmp_path / "pending-only"
    write_xlsx(arch / "sheets_20250519_024922" / "pendingAgencies05152025am.xlsx", PEND_HEADER, PEND_ROWS)
    write_xlsx(arch / CAP2 / "pendingAgencies05192025pm.xlsx", PEND_HEADER, PEND_ROWS[1:])
    refused(arch, good_out, tmp_path, "no participating-agencies sheet", str(arch), "2 pending sheet(s)")


def test_unreadable_capture_folder(archive, good_out, tmp_path, monkeypatch, capsys):
    """rglob skipped a folder it could not read, and every_file_accounted passed. Root reads
    any folder, so the permission error is injected (the real one is the next test)."""
    from ice287g import __main__ as cli
    from ice287g.pipeline import s1_find

    locked = archive / CAP2
    real = os.scandir

    def scandir(path):
        if os.path.abspath(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(s1_find.os, "scandir", scandir)
    monkeypatch.setenv("ICE287G_CACHE_DIR", str(tmp_path / "cache"))
    before = snapshot_dir(good_out)
    code = cli.main(["build", "--sheets", str(archive), "--out", str(good_out)])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1, err
    assert err.startswith(f"error: {locked}: cannot read the folder (Permission denied)")
    assert err.rstrip().endswith("nothing was written")
    assert snapshot_dir(good_out) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their permissions "
                    "(test_unreadable_capture_folder injects the error instead)")
def test_unreadable_capture_folder_on_disk(archive, good_out, tmp_path):
    (archive / CAP2).chmod(0)
    try:
        refused(archive, good_out, tmp_path, CAP2, "cannot read the folder")
    finally:
        (archive / CAP2).chmod(0o755)


def test_symlinked_capture_folder_is_followed(archive, tmp_path):
    """A symlinked folder is read like a folder (it was dropped in silence)."""
    elsewhere = tmp_path / "elsewhere" / "sheets_20250522_151740"
    write_xlsx(elsewhere / "participatingAgencies05212025pm.xlsx", PART_HEADER, PART_ROWS[:-1])
    (archive / "sheets_20250522_151740").symlink_to(elsewhere, target_is_directory=True)
    t = built(archive, tmp_path / "out", tmp_path)
    paths = [r["path"] for r in t["files.csv"]]
    assert "sheets_20250522_151740/participatingAgencies05212025pm.xlsx" in paths
    assert "20250521pm" in {r["publication"] for r in t["snapshots.csv"]}
    assert qa_row(t, "every_file_accounted")["status"] == "pass"
    assert qa_row(t, "every_file_accounted")["count"] == str(len(paths)) == "6"  # SOURCE.md too


def test_symlinked_sheet_file_is_followed(archive, tmp_path):
    target = write_xlsx(tmp_path / "elsewhere" / "x.xlsx", PART_HEADER, PART_ROWS[:-1])
    (archive / CAP2 / "participatingAgencies05202025pm.xlsx").symlink_to(target)
    t = built(archive, tmp_path / "out", tmp_path)
    assert "20250520pm" in {r["publication"] for r in t["snapshots.csv"]}
    assert qa_row(t, "every_file_accounted")["count"] == "6"


def test_dangling_link(archive, good_out, tmp_path):
    link = archive / CAP2 / "participatingAgencies05202025pm.xlsx"
    link.symlink_to(tmp_path / "gone.xlsx")
    refused(archive, good_out, tmp_path, str(link), "dangling symbolic link", "gone.xlsx")


def test_symlink_loop(archive, good_out, tmp_path):
    (archive / CAP2 / "again").symlink_to(archive, target_is_directory=True)
    refused(archive, good_out, tmp_path, "again", "symbolic link loop")


def test_excel_lock_file_is_skipped_and_reported(archive, tmp_path):
    """Excel's ~$ owner file beside an open workbook stopped the build; now it is listed
    (files.csv: excluded, with the reason; QA excluded_files) and the build goes on."""
    lock = archive / CAP2 / "~$participatingAgencies05192025pm.xlsx"
    lock.write_bytes(b"\x08editor  " + b"\x00" * 40 + b"e\x00d\x00i\x00t\x00o\x00r\x00" + b"\x20" * 100)
    t = built(archive, tmp_path / "out", tmp_path)
    [row] = [r for r in t["files.csv"] if r["file"] == lock.name]
    assert row["status"] == "excluded" and "Excel lock file" in row["note"]
    assert row["path"] == f"{CAP2}/{lock.name}"
    excl = qa_row(t, "files_not_read")
    assert excl["count"] == "2" and lock.name in excl["detail"] and "Excel lock file" in excl["detail"]
    assert qa_row(t, "excluded_files")["count"] == "0"  # no reviewed decision
    assert qa_row(t, "every_file_accounted")["status"] == "pass"


def test_stamp_far_after_its_capture_time(archive, tmp_path):
    """participatingAgencies12312099pm.xlsx in a 2025 capture folder became the latest
    publication with no QA note. Rule: an ICE stamp more than a day after its download is
    contradicted by its capture time: raw stamp kept, trend_excluded, noted."""
    future = archive / CAP2 / "participatingAgencies12312099pm.xlsx"
    write_xlsx(future, PART_HEADER, PART_ROWS[:3])
    t = built(archive, tmp_path / "out", tmp_path)
    [snap] = [s for s in t["snapshots.csv"] if s["publication"] == "20991231pm"]
    assert snap["published_at_raw"] == snap["published_at"] == "2099-12-31T12:00:00"
    assert snap["trend_excluded"] == "true"
    assert "stamp contradicted by capture time" in snap["qa_note"] and "2025-05-20T15:18:13" in snap["qa_note"]
    [f] = [r for r in t["files.csv"] if r["file"] == future.name]
    assert f["stamp_raw"] == "12312099pm" and "capture time" in f["note"]
    # The latest trend publication is still the real one.
    latest = {a["last_publication"] for a in t["agreements.csv"] if a["listed_in_latest"] == "true"}
    assert latest == {"20250519pm"}


def test_stamp_a_day_after_capture_is_allowed(archive, tmp_path):
    """ICE's dates are US dates, capture times UTC: a stamp one day later is not contradicted."""
    write_xlsx(archive / CAP2 / "participatingAgencies05212025am.xlsx", PART_HEADER, PART_ROWS)
    t = built(archive, tmp_path / "out", tmp_path)
    [snap] = [s for s in t["snapshots.csv"] if s["publication"] == "20250521am"]
    assert snap["trend_excluded"] == "false" and "capture" not in snap["qa_note"]


def test_header_row_repeated_mid_sheet(archive, good_out, tmp_path):
    """A repeated header was counted as an agreement ('LAW ENFORCEMENT AGENCY' in 'STATE')."""
    rows = [list(r) for r in PART_ROWS]
    rows.insert(4, list(PART_HEADER))  # sheet row 6
    write_xlsx(archive / CAP2 / "participatingAgencies05192025pm.xlsx", PART_HEADER, rows)
    refused(archive, good_out, tmp_path, "participatingAgencies05192025pm.xlsx", "row 6",
            "header row is repeated")


def test_participating_sheet_with_signed_deleted(archive, good_out, tmp_path):
    """Refused as a damaged participating sheet, not taken for the pending-shaped anomaly."""
    header = [h for h in PART_HEADER if h != "SIGNED"]
    rows = [r[:5] + r[6:] for r in PART_ROWS]
    write_xlsx(archive / CAP2 / "participatingAgencies05192025pm.xlsx", header, rows)
    refused(archive, good_out, tmp_path, "participatingAgencies05192025pm.xlsx", "row 1",
            "missing required column(s) SIGNED")


def test_participating_named_sheet_holding_the_pending_list(archive, tmp_path):
    """The genuine anomaly (ICE's 09222025pm): the pending list's exact shape in a
    participating-named file. Built, flagged wrong columns, kept out of trend lines."""
    write_xlsx(archive / CAP2 / "participatingAgencies05202025pm.xlsx", PEND_HEADER, PEND_ROWS)
    t = built(archive, tmp_path / "out", tmp_path)
    [snap] = [s for s in t["snapshots.csv"] if s["publication"] == "20250520pm"]
    assert snap["trend_excluded"] == "true" and "wrong columns" in snap["qa_note"]


def test_two_sheet_folders_with_the_same_name(tmp_path):
    """files.csv had duplicate (archive, path) keys."""
    a = small_archive(tmp_path / "a" / "sheets")
    b = tmp_path / "b" / "sheets"
    write_xlsx(b / "sheets_20250522_151740" / "participatingAgencies05212025pm.xlsx", PART_HEADER, PART_ROWS)
    shutil.copytree(a / "sheets_20250519_024922", b / "sheets_20250519_024922")
    t = built([a, b], tmp_path / "out", tmp_path)
    keys = [(r["archive"], r["path"]) for r in t["files.csv"]]
    assert len(keys) == len(set(keys)) == 8  # a/sheets/SOURCE.md too
    assert {k[0] for k in keys} == {"a/sheets", "b/sheets"}
    copies = {r["path"]: r["copy_of"] for r in t["files.csv"] if r["archive"] == "b/sheets"}
    assert copies["sheets_20250519_024922/participatingAgencies05162025am.xlsx"] == \
        "a/sheets/sheets_20250519_024922/participatingAgencies05162025am.xlsx"


def test_the_same_folder_given_twice(archive, good_out, tmp_path):
    refused(archive, good_out, tmp_path, "given twice", args=("--sheets", str(archive)))


def test_a_folder_inside_another_given_too(archive, good_out, tmp_path):
    refused(archive, good_out, tmp_path, "inside another one", args=("--sheets", str(archive / CAP2)))


def test_formula_like_text_is_flagged_with_file_and_row(archive, tmp_path):
    """=HYPERLINK(...), +cmd|..., -..., @... passed into the CSVs unflagged. Decision: they are
    kept exactly as ICE wrote them (never silently changed) and flagged in qa.csv with file,
    row and column; data/README.md says to open the CSVs as text."""
    rows = PART_ROWS + [
        ["FLORIDA", '=HYPERLINK("http://x.example","Click")', "County", "Monroe County", "Task Force Model", dt.datetime(2025, 5, 1), "link"],
        ["TEXAS", "+cmd|' /C calc'!A0", "County", "Harris County", "Task Force Model", dt.datetime(2025, 5, 1), "link"],
        ["OHIO", "Lake County Sheriff's Office", "County", "-2+3", "Task Force Model", dt.datetime(2025, 5, 1), "link"],
        ["IOWA", "@SUM(1+1)", "County", "Polk County", "Task Force Model", dt.datetime(2025, 5, 1), "link"],
        ["IDAHO", "Ada County Sheriff's Office", "County", "-3", "Task Force Model", dt.datetime(2025, 5, 1), "link"],
    ]
    path = write_xlsx(archive / CAP2 / "participatingAgencies05192025pm.xlsx", PART_HEADER, rows)
    import openpyxl

    wb = openpyxl.load_workbook(path)  # '=...' as TEXT, as a sheet exported from a web table has it
    for row in wb.active.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"
    wb.save(path)
    t = built(archive, tmp_path / "out", tmp_path)
    flag = qa_row(t, "formula_like_text")
    assert flag["status"] == "info" and flag["count"] == "4", flag  # "-3" is a number
    path = f"{CAP2}/participatingAgencies05192025pm.xlsx"
    # Header = row 1, PART_ROWS = rows 2-8, the added rows 9-13.
    for row, col in ((9, "LAW ENFORCEMENT AGENCY"), (10, "LAW ENFORCEMENT AGENCY"), (11, "COUNTY"),
                     (12, "LAW ENFORCEMENT AGENCY")):
        assert f"{path} row {row} {col}" in flag["detail"], flag["detail"]
    agencies = {a["agency"] for a in t["agreements.csv"]}
    assert '=HYPERLINK("http://x.example","Click")' in agencies and "+cmd|' /C calc'!A0" in agencies


def test_password_protected_workbook(archive, good_out, tmp_path):
    """Reported as encrypted (it was only 'not an xlsx')."""
    from msoffcrypto.format.ooxml import OOXMLFile  # msoffcrypto-tool, pinned in requirements-dev.txt

    plain = write_xlsx(tmp_path / "plain.xlsx", PART_HEADER, PART_ROWS)
    target = archive / CAP2 / "participatingAgencies05202025pm.xlsx"
    with open(plain, "rb") as src, open(target, "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    assert target.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    refused(archive, good_out, tmp_path, str(target), "password-protected (encrypted)")


def test_old_xls_workbook_named_xlsx(archive, good_out, tmp_path):
    target = archive / CAP2 / "participatingAgencies05202025pm.xlsx"
    # A minimal OLE2 header as Excel 97-2003 writes it (no encryption streams).
    target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le"))
    refused(archive, good_out, tmp_path, str(target), "Excel 97-2003")


def test_value_flags_name_file_and_row(archive, tmp_path):
    """qa.csv value flags named the agency but not the file and row."""
    t = built(archive, tmp_path / "out", tmp_path)
    # PART_ROWS[4] (sheet row 6) has STATE 'UTAHJ'; first listed on 05162025am.
    state = qa_row(t, "flag_state_fixed")["detail"]
    assert "'UTAHJ' -> 'Utah' at sheets_20250519_024922/participatingAgencies05162025am.xlsx row 6" in state, state
    blank = qa_row(t, "flag_signed_blank")["detail"]
    assert "Etowah County Sheriff's Office (AL) at sheets_20250519_024922/participatingAgencies05162025am.xlsx row 8" in blank, blank


# --------------------------------------------------------------------------- faults while writing


def test_out_is_a_file(archive, tmp_path):
    f = tmp_path / "out"
    f.write_text("not a folder")
    r = run_cli("build", "--sheets", str(archive), "--out", str(f), cache=tmp_path / "cache")
    assert r.returncode == 1 and r.stderr.strip() == \
        f"error: the output path is a file, not a folder ({f}); nothing was written"
    assert f.read_text() == "not a folder"


@pytest.mark.parametrize("err, text", [(errno.ENOSPC, "No space left on device"),
                                       (errno.EACCES, "Permission denied"),
                                       (errno.EROFS, "Read-only file system")])
def test_os_errors_while_writing(archive, good_out, tmp_path, monkeypatch, capsys, err, text):
    """The CLI turns each OS error into one line and leaves --out byte-identical.

    The new build must differ from --out, or the writer rightly skips an identical output and
    never writes: the archive gains one agreement (without it the test passed or failed with
    the clock, since workbooks written in the same second are byte-identical)."""
    from ice287g import __main__ as cli
    from ice287g.pipeline import s8_write

    small_archive(archive, extra_part_rows=[
        ["TEXAS", "Lubbock County Sheriff's Office", "County", "Lubbock County",
         "Jail Enforcement Model", dt.datetime(2025, 5, 17), "link"]])

    def fail(path, data):
        raise OSError(err, text, str(path))

    monkeypatch.setattr(s8_write, "_write_file", fail)
    monkeypatch.setenv("ICE287G_CACHE_DIR", str(tmp_path / "cache"))
    before = snapshot_dir(good_out)
    code = cli.main(["build", "--sheets", str(archive), "--out", str(good_out)])
    err_text = capsys.readouterr().err
    assert code == 1
    assert err_text == f"error: cannot write agreements.csv: {text} ({good_out.parent}); nothing was written\n" \
        or (err_text.startswith("error: cannot write ") and f": {text} ({good_out.parent}); nothing was written\n" in err_text), err_text
    assert snapshot_dir(good_out) == before
    assert sorted(p.name for p in good_out.parent.iterdir()) == sorted(["out", "archive", "cache"])


# ============================================================================ issue 20: security
# Text an attacker (or a careless export) can put in a sheet, and files beside the sheets.

CAP1 = "sheets_20250519_024922"


def test_look_alike_names_are_normalised_and_reported(archive, tmp_path):
    """A zero-width space, a soft hyphen, a byte-order mark or an NFD spelling made the book's
    own subject 'leave the list' while an identical-looking agreement 'joined', with no flag.
    Now every cell is NFC with invisible format characters removed, and qa.csv names each
    changed cell (file, row, column, before -> after in a visible form)."""
    dona = ["NEW MEXICO", "Do\u00f1a Ana County Sheriff's Office", "County", "Do\u00f1a Ana County",
            "Task Force Model", dt.datetime(2025, 4, 1), "link"]
    write_xlsx(archive / CAP1 / "participatingAgencies05162025am.xlsx", PART_HEADER,
               PART_ROWS + [dona])
    rows = [list(r) for r in PART_ROWS]
    rows[0][0] = "\ufeffFLORIDA"  # sheet row 2: a byte-order mark before the state
    rows[0][1] = "Key West\u200b Police Department"  # a zero-width space
    rows[2][1] = "Monroe County Sher\u00adiff's Office"  # sheet row 4: a soft hyphen
    nfd = ["NEW MEXICO", "Don\u0303a Ana County Sheriff's Office", "County",
           "Don\u0303a Ana County", "Task Force Model", dt.datetime(2025, 4, 1), "link"]
    write_xlsx(archive / CAP2 / "participatingAgencies05192025pm.xlsx", PART_HEADER, rows + [nfd])
    t = built(archive, tmp_path / "out", tmp_path)
    agr = t["agreements.csv"]
    kw = [a for a in agr if "Key West" in a["agency"]]
    assert [(a["agency"], a["state"], a["listed_in_latest"], a["n_snapshots"]) for a in kw] == [
        ("Key West Police Department", "Florida", "true", "2")]
    dona_rows = [a for a in agr if a["state"] == "New Mexico"]
    assert [(a["agency"], a["county"], a["n_snapshots"]) for a in dona_rows] == [
        ("Do\u00f1a Ana County Sheriff's Office", "Do\u00f1a Ana County", "2")]
    assert sum(1 for a in agr if a["agency"].startswith("Monroe County Sheriff")) == 2  # JEM, TFM
    for name, rows_ in t.items():
        for r in rows_:
            for col, v in r.items():
                if name != "qa.csv":
                    assert not any(c in v for c in "\u200b\u00ad\ufeff\u0303"), (name, col, v)
    flag = qa_row(t, "text_normalised")
    path = f"{CAP2}/participatingAgencies05192025pm.xlsx"
    assert flag["status"] == "info" and flag["count"] == "5", flag
    for cell in (f"{path} row 2 STATE: '\\ufeffFLORIDA' -> 'FLORIDA'",
                 f"{path} row 2 LAW ENFORCEMENT AGENCY: 'Key West\\u200b Police Department' -> "
                 "'Key West Police Department'",
                 f"{path} row 4 LAW ENFORCEMENT AGENCY: 'Monroe County Sher\\u00adiff\\'s Office'",
                 f"{path} row 9 LAW ENFORCEMENT AGENCY: 'Don\\u0303a Ana County Sheriff\\'s Office' -> "
                 "'Do\u00f1a Ana County Sheriff\\'s Office'",
                 f"{path} row 9 COUNTY: 'Don\\u0303a Ana County'"):
        assert cell in flag["detail"], (cell, flag["detail"])
    assert all("Key West" not in a["agency"] for a in t["agreements.csv"]
               if a["first_publication"] == "20250519pm")


@pytest.mark.parametrize("space", [" ", "\xa0", "\n", "\u200b"])
def test_formula_like_text_is_judged_on_the_value_written(archive, tmp_path, space):
    """' =1+1' (a leading space, NBSP, newline or zero-width space) is trimmed to '=1+1' in the
    CSV, but the check looked at the raw cell, so qa.csv did not list it."""
    rows = PART_ROWS + [["OHIO", space + "=1+1", "County", "Lake County", "Task Force Model",
                         dt.datetime(2025, 5, 1), "link"],
                        ["IOWA", "Polk County Sheriff's Office", "County", space + "@SUM(A1)",
                         "Task Force Model", dt.datetime(2025, 5, 1), "link"]]
    write_xlsx(archive / CAP2 / "participatingAgencies05192025pm.xlsx", PART_HEADER, rows)
    t = built(archive, tmp_path / "out", tmp_path)
    assert "=1+1" in {a["agency"] for a in t["agreements.csv"]}  # kept as written, trimmed
    assert "@SUM(A1)" in {a["county"] for a in t["agreements.csv"]}
    flag = qa_row(t, "formula_like_text")
    path = f"{CAP2}/participatingAgencies05192025pm.xlsx"
    assert flag["count"] == "2", flag
    assert f"{path} row 9 LAW ENFORCEMENT AGENCY: '=1+1'" in flag["detail"], flag["detail"]
    assert f"{path} row 10 COUNTY: '@SUM(A1)'" in flag["detail"], flag["detail"]


@pytest.mark.parametrize("where", ["equal", "inside", "above", "inside through a symlink",
                                   "equal through a symlink", "above through a symlink"])
def test_out_inside_equal_or_above_a_sheet_folder(archive, tmp_path, where):
    """--out inside or equal to a --sheets folder was accepted and poisoned the archive (its
    CSVs and temporary folders among the sheets); --out above one would be swapped out whole,
    archive included. Refused with one line naming --out, before anything is read or written."""
    link = tmp_path / "link"
    link.symlink_to(archive if "above" not in where else tmp_path / "holder", target_is_directory=True)
    if "above" in where:
        holder = tmp_path / "holder"
        holder.mkdir()
        archive = archive.rename(holder / "archive")
    out = {"equal": archive, "inside": archive / CAP2 / "processed", "above": archive.parent,
           "inside through a symlink": link / CAP2 / "processed", "equal through a symlink": link,
           "above through a symlink": link}[where]
    line = refused(archive, out, tmp_path, f"error: {out}: --out ", "sheet folder", str(archive))
    assert ("holds" if "above" in where else "is") in line


def test_signed_date_and_time_keeps_its_date(archive, tmp_path):
    """A SIGNED cell typed as a date and a time (2025-05-01 14:30) was read as
    '2025-05-01T14:30:00' and lost its date (signed blank, flagged signed_unparsable). Its date
    is the signing date; the raw value is kept in signed_raw."""
    from ice287g.pipeline.s2_read import read_sheet

    rows = PART_ROWS + [["OHIO", "Lake County Sheriff's Office", "County", "Lake County",
                         "Task Force Model", dt.datetime(2025, 5, 1, 14, 30), "link"]]
    path = write_xlsx(archive / CAP2 / "participatingAgencies05192025pm.xlsx", PART_HEADER, rows)
    assert {read_sheet(path, "participating", engine=e).rows[-1][5] for e in ("calamine", "openpyxl")} \
        == {"2025-05-01T14:30:00"}
    t = built(archive, tmp_path / "out", tmp_path)
    [lake] = [a for a in t["agreements.csv"] if a["agency"] == "Lake County Sheriff's Office"]
    assert (lake["signed"], lake["signed_raw"], lake["flags"]) == ("2025-05-01", "2025-05-01T14:30:00", "")


def test_every_file_not_read_is_listed_with_the_reason(archive, tmp_path):
    """A name ending '.xlsx ' (trailing space), a hidden file and any other file were skipped
    in silence. Each is now a files.csv row (status excluded, the reason in note) and counted
    in qa.csv's files_not_read; the sheets are read as before."""
    trailing = archive / CAP2 / "participatingAgencies05202025pm.xlsx "
    write_xlsx(tmp_path / "x.xlsx", PART_HEADER, PART_ROWS).rename(trailing)
    hidden = archive / CAP2 / ".participatingAgencies05212025pm.xlsx"
    write_xlsx(hidden, PART_HEADER, PART_ROWS)
    (archive / ".cache").mkdir()
    (archive / ".cache" / "pendingAgencies05212025pm.xlsx").write_bytes(hidden.read_bytes())
    t = built(archive, tmp_path / "out", tmp_path)
    files = {r["path"]: r for r in t["files.csv"]}
    assert set(files) == {
        "SOURCE.md", ".cache/pendingAgencies05212025pm.xlsx",
        f"{CAP1}/participatingAgencies05162025am.xlsx", f"{CAP1}/pendingAgencies05152025am.xlsx",
        f"{CAP2}/participatingAgencies05192025pm.xlsx", f"{CAP2}/pendingAgencies05192025pm.xlsx",
        f"{CAP2}/participatingAgencies05202025pm.xlsx ", f"{CAP2}/.participatingAgencies05212025pm.xlsx"}
    assert files[f"{CAP2}/participatingAgencies05202025pm.xlsx "]["note"] == (
        "not read: the name ends in '.xlsx ', not '.xlsx' (trailing space or dot): not read as a "
        "workbook; rename it to read it")
    for path in (f"{CAP2}/.participatingAgencies05212025pm.xlsx", ".cache/pendingAgencies05212025pm.xlsx"):
        assert files[path]["note"].startswith("not read: a hidden file"), files[path]
    assert files["SOURCE.md"]["note"] == "not read: not an .xlsx file (the build reads workbooks only): not read"
    for path, r in files.items():
        read = path.endswith(".xlsx") and "/." not in path and not path.startswith(".")
        assert r["status"] == ("read" if read else "excluded"), r
        assert r["copy_of"] == "" and len(r["sha256"]) == 64, r
    flag = qa_row(t, "files_not_read")
    assert flag["count"] == "4" and "participatingAgencies05202025pm.xlsx " in flag["detail"], flag
    assert qa_row(t, "every_file_accounted")["status"] == "pass"
    assert {s["publication"] for s in t["snapshots.csv"]} == {"20250516am", "20250519pm"}


def _add_entries(path, entries: dict[str, bytes] = {}, zeros: dict[str, int] = {}):
    """Rewrite the workbook at ``path`` with extra zip entries (``zeros``: N zero bytes, written
    in 1 MiB chunks, so a bomb needs no string of its size)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in {**parts, **entries}.items():
            z.writestr(name, data)
        chunk = b"\0" * (1 << 20)
        for name, n in zeros.items():
            with z.open(name, "w", force_zip64=True) as f:
                for _ in range(n >> 20):
                    f.write(chunk)


@pytest.mark.parametrize("kind", ["bomb", "macros"])
def test_decompression_bomb_or_macros_refused_before_any_sheet_is_parsed(archive, good_out,
                                                                          tmp_path, kind,
                                                                          monkeypatch):
    """A workbook whose zip entries expand to 96 MiB (a few hundred KB on disk) was read; a
    1 GiB one ended in a MemoryError after 5 GB. The build checks every file's zip directory
    (s2_read.check_workbook_file) before parsing any sheet: one line naming the file."""
    from ice287g.pipeline import s2_read

    bad = archive / CAP2 / "participatingAgencies05202025pm.xlsx"
    write_xlsx(bad, PART_HEADER, PART_ROWS)
    if kind == "bomb":
        _add_entries(bad, zeros={"xl/media/image1.png": 96 << 20})
        assert bad.stat().st_size < 1 << 20
    else:
        _add_entries(bad, entries={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 512})
    parsed = []
    real = s2_read.read_sheet
    monkeypatch.setattr(s2_read, "read_sheet",
                        lambda path, *a, **k: parsed.append(path) or real(path, *a, **k))
    line = refused(archive, good_out, tmp_path, str(bad),
                   "zip bomb" if kind == "bomb" else "macro-enabled", args=("--no-cache",))
    assert parsed == [], f"sheets were parsed before the refusal: {parsed}"
    assert "MemoryError" not in line


def _decoy_workbook(path, state="hidden", active=1):
    """A hidden first worksheet holding a decoy list (Key West missing, a fake agency added),
    then the visible list a reader sees."""
    import openpyxl

    wb = openpyxl.Workbook()
    decoy = wb.active
    decoy.title = "Decoy"
    decoy.append(PART_HEADER)
    for row in PART_ROWS[1:] + [["FLORIDA", "Fake Sheriff's Office", "County", "X", "Task Force Model",
                                 dt.datetime(2025, 1, 1), "link"]]:
        decoy.append(row)
    real = wb.create_sheet("Sheet1")
    real.append(PART_HEADER)
    for row in PART_ROWS:
        real.append(row)
    decoy.sheet_state = state
    wb.active = active
    wb.save(path)
    return path


@pytest.mark.parametrize("state, active", [("hidden", 1), ("veryHidden", 1)])
def test_hidden_first_worksheet_is_not_the_list(archive, tmp_path, state, active):
    """A hidden first worksheet was read instead of the visible list. The list is the active
    sheet when it is visible, else the first visible one; hidden sheets are flagged in qa.csv.
    Both engines read the same sheet."""
    from ice287g.pipeline.s2_read import read_sheet

    path = _decoy_workbook(archive / CAP2 / "participatingAgencies05192025pm.xlsx", state, active)
    for engine in ("calamine", "openpyxl"):
        sheet = read_sheet(path, "participating", engine=engine)
        assert sheet.sheet_name == "Sheet1" and sheet.hidden_sheets == ("Decoy",), engine
        assert sheet.rows[0][1] == "Key West Police Department", engine
    t = built(archive, tmp_path / "out", tmp_path)
    agencies = {a["agency"]: a for a in t["agreements.csv"]}
    assert "Fake Sheriff's Office" not in agencies
    assert agencies["Key West Police Department"]["listed_in_latest"] == "true"
    flag = qa_row(t, "hidden_sheets")
    assert flag["count"] == "1" and f"{CAP2}/participatingAgencies05192025pm.xlsx: hidden 'Decoy', read 'Sheet1'" \
        in flag["detail"], flag


def _edit_workbook_xml(path, edit):
    """Rewrite xl/workbook.xml (openpyxl never saves a workbook whose active sheet is hidden)."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts["xl/workbook.xml"] = edit(parts["xl/workbook.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_active_tab_on_a_hidden_sheet_reads_the_first_visible(archive, tmp_path):
    path = _decoy_workbook(archive / CAP2 / "participatingAgencies05192025pm.xlsx")
    _edit_workbook_xml(path, lambda x: x.replace('activeTab="1"', 'activeTab="0"'))
    t = built(archive, tmp_path / "out", tmp_path)
    assert "Fake Sheriff's Office" not in {a["agency"] for a in t["agreements.csv"]}
    assert qa_row(t, "hidden_sheets")["count"] == "1"


def test_every_sheet_hidden_is_refused(archive, good_out, tmp_path):
    path = _decoy_workbook(archive / CAP2 / "participatingAgencies05192025pm.xlsx")
    _edit_workbook_xml(path, lambda x: x.replace('state="visible"', 'state="hidden"'))
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/workbook.xml").decode().count('state="hidden"') == 2
    refused(archive, good_out, tmp_path, str(path), "every sheet of the workbook is hidden")


def test_hidden_rows_are_kept_and_flagged(archive, tmp_path):
    """Rows hidden by hand or by a filter are part of the list ICE published (33 distinct ICE
    workbooks have some): kept, and named in qa.csv by file and sheet row."""
    import openpyxl

    path = archive / CAP2 / "participatingAgencies05192025pm.xlsx"
    wb = openpyxl.load_workbook(path)
    for n in (2, 3, 4, 7):  # Key West, two Monroe County rows, Grundy County
        wb.active.row_dimensions[n].hidden = True
    wb.save(path)
    t = built(archive, tmp_path / "out", tmp_path)
    latest = {a["agency"] for a in t["agreements.csv"] if a["listed_in_latest"] == "true"}
    assert {"Key West Police Department", "Monroe County Sheriff's Office",
            "Grundy County Sheriff's Office"} <= latest
    flag = qa_row(t, "hidden_rows")
    assert flag["count"] == "4", flag
    assert f"{CAP2}/participatingAgencies05192025pm.xlsx rows 2-4, 7" in flag["detail"], flag
