"""ICE's agreement documents: the MOA and ADDENDUM links are read from the workbooks'
hyperlinks, unwrapped from the Internet Archive's and Outlook's wrappers, and kept per listing
(listings.csv, a new run where ICE changed the link) and per agreement (agreements.csv)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from ice287g.pipeline import build, s2_read
from ice287g.pipeline.links import ice_link, sheet_hyperlinks
from sheetfactory import PART_HEADER, PEND_HEADER, PEND_ROWS, write_xlsx

MOA = "https://www.ice.gov/doclib/287gMOA/KeyWestPDFL_TFM_MOA_030425.pdf"


@pytest.mark.parametrize("text, expect", [
    ("link", ""),
    ("link pending", ""),
    ("", ""),
    (MOA, MOA),
    ("https://web.archive.org/web/20210113002027/https://www.ice.gov/doclib/287gMOA/287gJEM_"
     "EtowahCoAl2016-06-18.pdf",
     "https://www.ice.gov/doclib/287gMOA/287gJEM_EtowahCoAl2016-06-18.pdf"),
    ("https://gcc02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.ice.gov%2Fdoclib%2F"
     "287gMOA%2FHolmes.pdf&data=05%7C02%7CSomeone%40ice.dhs.gov%7C0&reserved=0",
     "https://www.ice.gov/doclib/287gMOA/Holmes.pdf"),
    ("/doclib/287gMOA/x.pdf", "https://www.ice.gov/doclib/287gMOA/x.pdf"),
    ("javascript:alert(1)", ""),
    ("https://gcc02.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)", ""),
])
def test_ice_link_keeps_ices_address_and_drops_wrappers(text, expect):
    assert ice_link(text) == expect


def _linked_sheet(path, rows, links, addendum=None, sheet="Sheet1"):
    """A participating workbook whose MOA cells (column G) say 'link' with a hyperlink."""
    header = PART_HEADER + (["ADDENDUM"] if addendum is not None else [])
    write_xlsx(path, header, rows, sheet=sheet)
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for k, url in enumerate(links, start=2):
        if url:
            ws.cell(row=k, column=7).hyperlink = url
    for k, url in enumerate(addendum or [], start=2):
        if url:
            ws.cell(row=k, column=8).value = "link"
            ws.cell(row=k, column=8).hyperlink = url
    wb.save(path)
    return path


ROW_KW = ["FLORIDA", "Key West Police Department", "Municipality", "Monroe County",
          "Task Force Model", dt.datetime(2025, 3, 5), "link"]
ROW_MC = ["FLORIDA", "Monroe County Sheriff's Office", "County", "Monroe County",
          "Jail Enforcement Model", dt.datetime(2020, 1, 2), "link pending"]


def test_hyperlinks_are_read_for_the_named_sheet(tmp_path):
    path = _linked_sheet(tmp_path / "participatingAgencies07102025am.xlsx", [ROW_KW, ROW_MC],
                         [MOA, None], sheet="Agencies")
    assert sheet_hyperlinks(path, "Agencies") == {("G", 2): MOA}
    assert sheet_hyperlinks(path, "No such sheet") == {}


@pytest.mark.parametrize("engine", s2_read.ENGINES)
def test_read_sheet_gives_each_row_its_links(tmp_path, engine):
    add = "https://www.ice.gov/doclib/287gMOA/addendum.pdf"
    path = _linked_sheet(tmp_path / "participatingAgencies07102025am.xlsx",
                         [ROW_KW + [""], ROW_MC + [""]], [MOA, None], addendum=[None, add])
    parsed = s2_read.read_sheet(path, "participating", engine=engine)
    assert parsed.moa_links == [MOA, ""]  # 'link pending' without a hyperlink: no link
    assert parsed.addendum_links == ["", add]
    pend = write_xlsx(tmp_path / "pendingAgencies07102025am.xlsx", PEND_HEADER, PEND_ROWS)
    assert s2_read.read_sheet(pend, "pending", engine=engine).moa_links == []


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_links_kept_per_listing_and_latest_per_agreement(tmp_path):
    """Three lists: the link appears, then ICE changes it; a run starts at each change and
    agreements.csv carries the latest list's link."""
    new = MOA.replace("030425", "030525")
    for day, link in (("0701", None), ("0702", MOA), ("0703", new)):
        _linked_sheet(tmp_path / "a" / f"participatingAgencies{day}2025am.xlsx",
                      [ROW_KW, ROW_MC], [link, None])
    write_xlsx(tmp_path / "a" / "pendingAgencies07012025am.xlsx", PEND_HEADER, PEND_ROWS)
    res = build.derive([tmp_path / "a"], cache_dir=tmp_path / "cache")
    assert not [r for r in res["qa"] if r["status"] == "fail"]
    agr = {r["agency"]: r for r in _rows(res["texts"]["agreements.csv"])}
    assert agr["Key West Police Department"]["moa_url"] == new
    assert agr["Monroe County Sheriff's Office"]["moa_url"] == ""
    runs = [r for r in _rows(res["texts"]["listings.csv"])
            if r["agreement_id"] == agr["Key West Police Department"]["agreement_id"]]
    assert [(r["first_publication"], r["last_publication"], r["moa_url"]) for r in runs] == [
        ("20250701am", "20250701am", ""), ("20250702am", "20250702am", MOA),
        ("20250703am", "20250703am", new)]
    mc = [r for r in _rows(res["texts"]["listings.csv"])
          if r["agreement_id"] == agr["Monroe County Sheriff's Office"]["agreement_id"]]
    assert [(r["first_publication"], r["n_publications"]) for r in mc] == [("20250701am", "3")]


# --------------------------------------------------------------------------- reviewed stamps

from ice287g.pipeline import SheetError, s1_find  # noqa: E402

STAMPS_HEADER = "stamp_raw,read_as,reason,evidence\n"


def test_mistyped_stamp_is_refused_unless_reviewed(tmp_path):
    name = "participatingAgencies11114025am.xlsx"
    with pytest.raises(SheetError, match="11114025"):
        s1_find.parse_name(name)
    table = tmp_path / "stamps.csv"
    table.write_text(STAMPS_HEADER + "11114025,11142025,no such date,SOURCE.md\n")
    stamps = s1_find.load_stamp_reviews(table)
    n = s1_find.parse_name(name, stamps)
    assert (n.stamp, n.stamp_raw, n.part_of_day) == (dt.datetime(2025, 11, 14), "11114025am", "am")
    assert "read as 11142025" in n.name_note
    # its pending twin is read alike; another mistyped stamp is still refused
    assert s1_find.parse_name("pendingAgencies11114025am.xlsx", stamps).stamp == n.stamp
    with pytest.raises(SheetError):
        s1_find.parse_name("participatingAgencies11114026am.xlsx", stamps)


@pytest.mark.parametrize("row, problem", [
    ("11114025,11142025,,SOURCE.md", "reason and its evidence"),
    ("11114025,11142025,no such date,", "reason and its evidence"),
    ("11114025,11312025,no such date,SOURCE.md", "not an MMDDYYYY date"),
    ("1111402,11142025,no such date,SOURCE.md", "digits"),
])
def test_malformed_stamp_review_names_the_row(tmp_path, row, problem):
    table = tmp_path / "stamps.csv"
    table.write_text(STAMPS_HEADER + row + "\n")
    with pytest.raises(SheetError, match=problem) as exc:
        s1_find.load_stamp_reviews(table)
    assert "row 2" in str(exc.value)


def test_build_reads_the_reviewed_stamp_and_reports_it_in_files(tmp_path):
    arch = tmp_path / "a"
    _linked_sheet(arch / "participatingAgencies11132025pm.xlsx", [ROW_MC], [None])
    _linked_sheet(arch / "participatingAgencies11114025am.xlsx", [ROW_KW, ROW_MC], [MOA, None])
    write_xlsx(arch / "pendingAgencies11114025am.xlsx", PEND_HEADER, PEND_ROWS)
    reviewed = tmp_path / "reviewed"
    reviewed.mkdir()
    from ice287g import config
    for f in ("fixes.csv", "file_reviews.csv"):
        (reviewed / f).write_text((config.REVIEWED_DIR / f).read_text())
    with pytest.raises(SheetError, match="11114025"):
        build.derive([arch], cache_dir=tmp_path / "cache", reviewed_dir=reviewed)
    (reviewed / "stamps.csv").write_text(STAMPS_HEADER + "11114025,11142025,no such date,SOURCE.md\n")
    res = build.derive([arch], cache_dir=tmp_path / "cache", reviewed_dir=reviewed)
    snaps = [r["publication"] for r in _rows(res["texts"]["snapshots.csv"])]
    assert snaps == ["20251113pm", "20251114am"]
    files = {r["file"]: r for r in _rows(res["texts"]["files.csv"])}
    assert files["pendingAgencies11114025am.xlsx"]["stamp_raw"] == "11114025am"
    assert files["pendingAgencies11114025am.xlsx"]["stamp"] == "2025-11-14T00:00:00"


# --------------------------------------------------------------------------- diff: edits

def test_diff_counts_a_renamed_row_with_the_same_document_as_an_edit(tmp_path):
    """Old list: Louisiana State Patrol; new list: the same agreement as Louisiana State
    Police Department, linking the same MOA file: one edited row, nobody left or joined."""
    from ice287g import diff

    doc = "https://www.ice.gov/doclib/287gMOA/LouisianaStatePolice_TFM_MOA_05202025.pdf"
    old_row = ["LOUISIANA", "Louisiana State Patrol", "State Agency", "", "Task Force Model",
               dt.datetime(2025, 5, 20), "link"]
    new_row = [old_row[0], "Louisiana State Police Department", *old_row[2:]]
    arch = tmp_path / "a"
    _linked_sheet(arch / "sheets_20250801_120000" / "participatingAgencies08012025am.xlsx",
                  [ROW_MC, old_row], [None, doc])
    write_xlsx(arch / "sheets_20250801_120000" / "pendingAgencies08012025am.xlsx", PEND_HEADER, PEND_ROWS)
    old = tmp_path / "old"
    build.run_build([arch], old, cache_dir=tmp_path / "cache")
    _linked_sheet(arch / "sheets_20250802_120000" / "participatingAgencies08022025am.xlsx",
                  [ROW_MC, new_row], [None, doc])
    new = tmp_path / "new"
    build.run_build([arch], new, cache_dir=tmp_path / "cache")
    change = diff.diff_folders(old, new)
    assert len(change.left) == 0 and len(change.joined) == 0
    assert change.edited["agency_before"].tolist() == ["Louisiana State Patrol"]
    assert change.edited["rule"].tolist() == ["same agreement document (MOA link)"]
