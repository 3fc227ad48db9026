"""Bad input: the build exits non-zero, names the file (and row), and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetfactory import PART_HEADER, PART_ROWS, run_cli, small_archive, snapshot_dir, write_xlsx


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
