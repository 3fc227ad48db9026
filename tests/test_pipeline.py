"""The data pipeline on sheets the tests generate: outputs, cleaning, ids, stability, caching."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import shutil

import pytest

from ice287g import load
from ice287g.pipeline import SheetError, build, s1_find, s2_read, s3_clean
from ice287g.pipeline.cache import default_cache_dir
from sheetfactory import (PART_HEADER, PART_ROWS, PEND_HEADER, PEND_ROWS, run_cli,
                          series_archive, small_archive, snapshot_dir, write_xlsx)


def rows_of(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture()
def archive(tmp_path):
    return small_archive(tmp_path / "archive")


@pytest.fixture()
def built(archive, tmp_path):
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(archive), "--out", str(out), cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    return out


# ------------------------------------------------------------------------- names


@pytest.mark.parametrize("name, expect", [
    ("participatingAgencies05162025am.xlsx", ("participating", "ice_stamp", "2025-05-16T00:00:00", "am", "")),
    ("participatingAgencies07032025pm.xlsx", ("participating", "ice_stamp", "2025-07-03T12:00:00", "pm", "")),
    ("pendingAgencies07112025am_b.xlsx", ("pending", "ice_stamp", "2025-07-11T00:00:00", "am", "b")),
    ("participatingAgencies10152025mid.xlsx", ("participating", "ice_stamp", "2025-10-15T06:00:00", "mid", "")),
    ("participatingAgencies05122025amB.xlsx", ("participating", "ice_stamp", "2025-05-12T00:00:00", "am", "b")),
    ("participatingAgencies12042025pm2.xlsx", ("participating", "ice_stamp", "2025-12-04T12:00:00", "pm", "2")),
    ("participatingAgencies06112025pm copy.xlsx", ("participating", "ice_stamp", "2025-06-11T12:00:00", "pm", "copy")),
    ("participatingAgencies04232026.xlsx", ("participating", "ice_stamp", "2026-04-23T00:00:00", "", "")),
    ("participatingAgencies090022025am.xlsx", ("participating", "ice_stamp", "2025-09-02T00:00:00", "am", "")),
    ("ParticipatingEntities-20250601002027.xlsx", ("participating", "archive_capture", "2025-06-01T00:20:27", "", "")),
    ("pendingAgencies-20250221214937.xlsx", ("pending", "archive_capture", "2025-02-21T21:49:37", "", "")),
])
def test_every_naming_form_parses(name, expect):
    n = s1_find.parse_name(name)
    assert (n.list, n.provenance, n.stamp.isoformat(), n.part_of_day, n.revision) == expect


def test_nine_digit_date_is_noted():
    assert "9-digit" in s1_find.parse_name("participatingAgencies090022025am.xlsx").name_note


@pytest.mark.parametrize("name", [
    "participatingAgencies.xlsx", "participatingAgencies13452025am.xlsx",
    "leftover_pending_agencies.xlsx", "participatingAgencies2025-05-16.xlsx",
    "ParticipatingEntities-20211399000000.xlsx",
])
def test_unparsable_names_raise_naming_the_file(name):
    with pytest.raises(SheetError, match=name.split(".")[0]):
        s1_find.parse_name(name)


# ------------------------------------------------------------------------- outputs


def test_build_outputs_and_counts(built):
    snaps = rows_of(built / "snapshots.csv")
    assert [s["publication"] for s in snaps] == ["20250516am", "20250519pm"]
    assert [s["published_at"] for s in snaps] == ["2025-05-16T00:00:00", "2025-05-19T12:00:00"]
    assert snaps[0]["captured_at"] == "2025-05-19T02:49:22"
    assert [int(s["n_agreements"]) for s in snaps] == [len(PART_ROWS), len(PART_ROWS) + 1]
    first = snaps[0]
    assert int(first["n_florida"]) == 3
    assert int(first["n_agencies"]) == 6  # Monroe County SO holds two agreements
    assert int(first["n_task_force_model"]) == 3
    assert int(first["n_jail_enforcement_model"]) == 2  # one written with a trailing space
    assert int(first["n_warrant_service_officer"]) == 2
    qa = rows_of(built / "qa.csv")
    assert {r["status"] for r in qa} <= {"pass", "info"}
    listings = load.listings(built)
    assert len(listings) == len(PART_ROWS) * 2 + 1
    assert list(listings.loc[listings["agreement_id"] == listings["agreement_id"].iloc[-1],
                             "publication"])[-1] == "20250519pm"
    agr = {a["agreement_id"]: a for a in rows_of(built / "agreements.csv")}
    assert len(agr) == len(PART_ROWS) + 1
    cobb = [a for a in agr.values() if a["agency"].startswith("Cobb")][0]
    assert (cobb["first_seen"], cobb["n_snapshots"], cobb["listed_in_latest"]) == \
        ("2025-05-19T12:00:00", "1", "true")
    pend = rows_of(built / "pending.csv")
    assert {p["agency"]: p["listed_in_latest"] for p in pend} == {
        "Miami Police Department": "false", "Cobb County Sheriff's Office": "true"}
    assert [p for p in pend if p["agency"].startswith("Cobb")][0]["agreement_id"] == cobb["agreement_id"]


def test_fixture_build_validates_with_frictionless(built):
    import frictionless

    report = frictionless.validate(str(built / "datapackage.json"))
    assert report.valid, [(t.name, e.message) for t in report.tasks for e in t.errors][:10]


def test_cleaning_keeps_raw_values_and_flags(built):
    agr = rows_of(built / "agreements.csv")
    weber = [a for a in agr if a["agency"].startswith("Weber")][0]
    assert (weber["state"], weber["state_code"], weber["state_raw"]) == ("Utah", "UT", "UTAHJ")
    assert "state_fixed" in weber["flags"].split(";")
    grundy = [a for a in agr if a["agency"].startswith("Grundy")][0]
    assert grundy["signed_raw"] == "5025-05-07"
    assert "signed_year_impossible" in grundy["flags"]
    etowah = [a for a in agr if a["agency"].startswith("Etowah")][0]
    assert etowah["signed"] == "" and "signed_blank" in etowah["flags"]
    monroe = [a for a in agr if a["agency"] == "Monroe County Sheriff's Office"]
    assert {m["support_type"] for m in monroe} == {"Jail Enforcement Model", "Task Force Model"}
    assert all(m["agency_type"] == "County" for m in monroe)
    qa = {r["name"]: r for r in rows_of(built / "qa.csv")}
    assert int(qa["flag_state_fixed"]["count"]) == 2  # one row on each of two sheets
    assert "UTAHJ" in qa["flag_state_fixed"]["detail"]
    assert int(qa["flag_signed_blank"]["count"]) == 2
    assert int(qa["flag_signed_year_impossible"]["count"]) == 2


@pytest.mark.parametrize("raw, expect", [
    ("FLORIDA", ("Florida", "FL")), ("  texas ", ("Texas", "TX")), ("UTAh", ("Utah", "UT")),
    ("DISTRICT OF COLUMBIA", ("District of Columbia", "DC")),
    ("U.S. VIRGIN ISLANDS", ("U.S. Virgin Islands", "VI")),
    ("NORTHERN MARIANA ISLANDS", ("Northern Mariana Islands", "MP")),
])
def test_state_names_and_codes(raw, expect):
    state, code, _, flags = s3_clean.clean_state(raw)
    assert (state, code) == expect and flags == ()


def test_fixes_table_is_keyed_on_raw_values():
    from conftest import REPO

    fixes = s3_clean.load_fixes(REPO / "data" / "reviewed" / "fixes.csv")
    assert fixes.get("state", "  utahJ ").fixed == "UTAH"  # spacing and case of the raw ignored
    for fix in fixes.all:
        field, raw = fix.field, fix.raw
        assert field in {"state", "type", "support_type", "signed", "agency", "moa", "addendum"}
        assert fix.reason.strip(), f"fix {field}={raw!r} has no reason"
        assert fix.evidence.strip(), f"fix {field}={raw!r} has no evidence"
        if field == "support_type":
            assert fix.fixed in s3_clean.SUPPORT_TYPES


def test_unknown_state_and_support_type_are_flagged_not_dropped(tmp_path):
    archive = tmp_path / "a"
    rows = PART_ROWS + [["XANADU", "Nowhere Police Department", "Municipality", "X County",
                         "Jail Enforcment Modelz", dt.datetime(2025, 1, 5), "link"]]
    write_xlsx(archive / "participatingAgencies05162025am.xlsx", PART_HEADER, rows)
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(archive), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    row = [a for a in rows_of(out / "agreements.csv") if a["agency"].startswith("Nowhere")][0]
    assert row["state_code"] == "" and "state_unknown" in row["flags"]
    assert row["support_type"] == "Jail Enforcment Modelz" and "support_type_unknown" in row["flags"]
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    assert qa["flag_state_unknown"]["count"] == "1" and "XANADU" in qa["flag_state_unknown"]["detail"]
    assert int(rows_of(out / "snapshots.csv")[0]["n_support_type_other"]) == 1


def test_signed_after_publication_is_counted(tmp_path):
    archive = tmp_path / "a"
    late = ["OHIO", "Late Police Department", "Municipality", "Franklin County",
            "Task Force Model", dt.datetime(2025, 6, 1), "link"]
    filler = [["OHIO", f"Agency {i}", "County", "C", "Task Force Model", dt.datetime(2024, 1, 1), "l"]
              for i in range(60)]  # one late row in 68 stays under the 2% contradiction share
    write_xlsx(archive / "participatingAgencies05162025am.xlsx", PART_HEADER, PART_ROWS + filler + [late])
    out = tmp_path / "out"
    assert run_cli("build", "--sheets", str(archive), "--out", str(out), cache=tmp_path / "c").returncode == 0
    snap = rows_of(out / "snapshots.csv")[0]
    assert (snap["n_signed_after_publication"], snap["trend_excluded"]) == ("1", "false")
    row = [a for a in rows_of(out / "agreements.csv") if a["agency"].startswith("Late")][0]
    assert "signed_after_first_seen" in row["flags"]
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    assert qa["signed_after_publication"]["count"] == "1"


# ------------------------------------------------------------------------- identity


def test_agreement_ids_are_content_derived_and_stable(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_xlsx(a / "participatingAgencies05162025am.xlsx", PART_HEADER, PART_ROWS)
    # Same agreements, shuffled, with case and spacing changes, and one more row first.
    shuffled = [list(r) for r in reversed(PART_ROWS)]
    shuffled[0][1] = "  " + shuffled[0][1].upper() + " "
    extra = ["OHIO", "Butler County Sheriff's Office", "County", "Butler County",
             "Jail Enforcement Model", dt.datetime(2019, 3, 3), "link"]
    write_xlsx(b / "participatingAgencies05162025am.xlsx", PART_HEADER, [extra] + shuffled)
    ids = []
    for folder in (a, b):
        out = tmp_path / f"out-{folder.name}"
        assert run_cli("build", "--sheets", str(folder), "--out", str(out), cache=tmp_path / "c").returncode == 0
        ids.append({r["agreement_id"] for r in rows_of(out / "agreements.csv")})
    assert ids[0] < ids[1] and len(ids[1] - ids[0]) == 1
    # The documented id: A + 11 hex digits of SHA-256 over state code, normalised agency,
    # support type and signed date, joined by the unit separator.
    key = "\x1f".join(["FL", "key west police department", "task force model", "2025-03-19"])
    assert "A" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:11] in ids[0]


def test_reissued_name_is_two_publications_and_copies_are_one(tmp_path):
    arch = tmp_path / "a"
    name = "participatingAgencies07032025pm.xlsx"
    write_xlsx(arch / "sheets_20250703_151805" / name, PART_HEADER, PART_ROWS[:5])
    write_xlsx(arch / "sheets_20250704_151659" / name, PART_HEADER, PART_ROWS)
    # A byte-identical copy of the second file in a later capture folder: the same publication.
    later = arch / "sheets_20250705_151659"
    later.mkdir()
    shutil.copy2(arch / "sheets_20250704_151659" / name, later / name)
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = rows_of(out / "snapshots.csv")
    assert [(s["publication"], s["n_agreements"], s["n_files"]) for s in snaps] == [
        ("20250703pm", "5", "1"), ("20250703pm-2", str(len(PART_ROWS)), "2")]
    assert snaps[0]["captured_at"] < snaps[1]["captured_at"]
    files = rows_of(out / "files.csv")
    assert [f["copy_of"] for f in files] == ["", "", f"a/sheets_20250704_151659/{name}"]
    assert {f["publication"] for f in files} == {"20250703pm", "20250703pm-2"}


def test_outputs_do_not_depend_on_the_order_of_archives(tmp_path):
    a = small_archive(tmp_path / "one")
    b = tmp_path / "two"
    write_xlsx(b / "participatingAgencies05162025am.xlsx", PART_HEADER, PART_ROWS)
    shutil.copy2(next(a.rglob("pendingAgencies05152025am.xlsx")), b / "pendingAgencies05152025am.xlsx")
    outs = []
    for order in ((a, b), (b, a)):
        out = tmp_path / f"out{len(outs)}"
        args = [x for arch in order for x in ("--sheets", str(arch))]
        assert run_cli("build", *args, "--out", str(out), cache=tmp_path / "c").returncode == 0
        outs.append(snapshot_dir(out))
    assert outs[0] == outs[1]


def test_archives_merge_and_same_list_is_counted_once(tmp_path):
    a = small_archive(tmp_path / "one")
    b = tmp_path / "two"
    # The other archive holds the same list (different bytes: other order, trailing spaces).
    rows = [list(r) for r in reversed(PART_ROWS)]
    rows[0][4] = rows[0][4] + "  "
    write_xlsx(b / "participatingAgencies05162025am.xlsx", PART_HEADER, rows)
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(a), "--sheets", str(b), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = rows_of(out / "snapshots.csv")
    assert [(s["publication"], s["n_files"]) for s in snaps] == [("20250516am", "2"), ("20250519pm", "1")]
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    assert qa["archives_overlap_participating"]["count"] == "1"


def test_archive_capture_of_an_ice_publication_is_the_same_publication(tmp_path):
    arch = tmp_path / "a"
    write_xlsx(arch / "participatingAgencies03062025am.xlsx", PART_HEADER, PART_ROWS)
    # The Internet Archive captured ICE's workbook twice that afternoon (same list), then a new one.
    for ts in ("20250306174937", "20250307090000"):
        write_xlsx(arch / f"participatingAgencies-{ts}.xlsx", PART_HEADER, list(reversed(PART_ROWS)))
    write_xlsx(arch / "participatingAgencies-20250308090000.xlsx", PART_HEADER, PART_ROWS[:-1])
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = rows_of(out / "snapshots.csv")
    assert [(s["publication"], s["n_files"], s["captured_at"], s["last_captured_at"]) for s in snaps] == [
        ("20250306am", "3", "2025-03-06T17:49:37", "2025-03-07T09:00:00"),
        ("c20250308T090000", "1", "2025-03-08T09:00:00", "2025-03-08T09:00:00")]
    assert {f["form"] for f in rows_of(out / "files.csv")} == {"ice_file", "archive_workbook"}


def test_last_captured_is_the_last_capture_of_the_last_list_listing_it(tmp_path):
    """issue 11: last_seen is the date of the last list that carried an agreement (its first
    capture); last_captured is the last capture of that list, the last time it was seen."""
    arch = tmp_path / "a"
    # The archive captured one unchanged list three times, then a list without the last row.
    for ts in ("20250601002027", "20250701120000", "20250808132105"):
        write_xlsx(arch / f"ParticipatingEntities-{ts}.xlsx", PART_HEADER, PART_ROWS)
    write_xlsx(arch / "ParticipatingEntities-20250915080000.xlsx", PART_HEADER, PART_ROWS[:-1])
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = rows_of(out / "snapshots.csv")
    assert [(s["publication"], s["n_files"], s["trend_excluded"]) for s in snaps] == [
        ("c20250601T002027", "3", "false"), ("c20250915T080000", "1", "false")]
    agr = rows_of(out / "agreements.csv")
    header = list(agr[0])
    assert header[header.index("last_seen") + 1] == "last_captured"
    gone = [a for a in agr if a["listed_in_latest"] == "false"]
    assert [a["agency"] for a in gone] == ["Etowah County Sheriff's Office"]
    assert (gone[0]["last_publication"], gone[0]["last_seen"], gone[0]["last_captured"]) == (
        "c20250601T002027", "2025-06-01T00:20:27", "2025-08-08T13:21:05")
    kept = [a for a in agr if a["listed_in_latest"] == "true"]
    assert len(kept) == len(agr) - 1
    assert {(a["last_seen"], a["last_captured"]) for a in kept} == {
        ("2025-09-15T08:00:00", "2025-09-15T08:00:00")}
    qa = {q["name"]: q["status"] for q in rows_of(out / "qa.csv")}
    assert qa["last_captured_is_last_publications_last_capture_agreements"] == "pass"
    assert qa["last_captured_not_before_last_seen_agreements"] == "pass"
    assert str(load.agreements(out)["last_captured"].dtype).startswith("datetime64")


def test_last_captured_falls_back_to_published_at_without_a_capture_time(tmp_path):
    """An ICE-named file outside a capture folder has no capture time: last_captured is the
    list's published_at (ICE's stamp), for agreements and pending requests alike."""
    arch = tmp_path / "a"
    write_xlsx(arch / "participatingAgencies05162025am.xlsx", PART_HEADER, PART_ROWS)
    write_xlsx(arch / "pendingAgencies05162025am.xlsx", PEND_HEADER, PEND_ROWS)
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    assert [s["last_captured_at"] for s in rows_of(out / "snapshots.csv")] == [""]
    for name in ("agreements.csv", "pending.csv"):
        rows = rows_of(out / name)
        assert rows and {(a["last_seen"], a["last_captured"]) for a in rows} == {
            ("2025-05-16T00:00:00", "2025-05-16T00:00:00")}, name


# ------------------------------------------------------------------------- stamps and trend


def test_january_stamp_a_year_early_is_corrected_and_raw_kept(tmp_path):
    arch = tmp_path / "a"
    def rows(n, signed_year):
        return [["TEXAS", f"Agency {i} Police Department", "Municipality", "X County",
                 "Task Force Model", dt.datetime(signed_year, 1 + i % 12, 1 + i % 27), "link"]
                for i in range(n)]
    write_xlsx(arch / "participatingAgencies12302025pm.xlsx", PART_HEADER, rows(40, 2025))
    write_xlsx(arch / "participatingAgencies01052025pm.xlsx", PART_HEADER, rows(41, 2025))
    write_xlsx(arch / "participatingAgencies01082026am.xlsx", PART_HEADER, rows(42, 2025))
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = rows_of(out / "snapshots.csv")
    assert [s["publication"] for s in snaps] == ["20251230pm", "20260105pm", "20260108am"]
    fixed = snaps[1]
    assert (fixed["published_at"], fixed["published_at_raw"], fixed["stamp_corrected"]) == \
        ("2026-01-05T12:00:00", "2025-01-05T12:00:00", "true")
    assert "corrected 2025 -> 2026" in fixed["qa_note"] and fixed["trend_excluded"] == "false"
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    assert qa["stamps_corrected"]["count"] == "1"


def test_contradicted_stamp_outside_january_is_excluded_not_corrected(tmp_path):
    arch = tmp_path / "a"
    good = [["TEXAS", f"A{i}", "County", "C", "Task Force Model", dt.datetime(2025, 1, 2), "l"] for i in range(20)]
    late = [["TEXAS", f"B{i}", "County", "C", "Task Force Model", dt.datetime(2025, 9, 2), "l"] for i in range(5)]
    write_xlsx(arch / "participatingAgencies03012025am.xlsx", PART_HEADER, good + late)
    out = tmp_path / "out"
    assert run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c").returncode == 0
    s = rows_of(out / "snapshots.csv")[0]
    assert (s["published_at"], s["stamp_corrected"], s["trend_excluded"]) == ("2025-03-01T00:00:00", "false", "true")
    assert "contradicted" in s["qa_note"]


def test_stale_list_is_kept_out_of_trends(tmp_path):
    arch = tmp_path / "a"
    base = [["TEXAS", f"Agency {i}", "County", "C", "Task Force Model", dt.datetime(2024, 1, 1), "l"] for i in range(30)]
    for k, day in enumerate((1, 2, 3, 4, 6)):
        write_xlsx(arch / f"participatingAgencies08{day:02d}2025am.xlsx", PART_HEADER, base[:26 + k])
    write_xlsx(arch / "participatingAgencies08052025am.xlsx", PART_HEADER, base[:26])  # = 0801am
    write_xlsx(arch / "participatingAgencies08062025pm.xlsx", PART_HEADER, base[:29])  # a toggle back
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = {s["publication"]: s for s in rows_of(out / "snapshots.csv")}
    assert [p for p, s in snaps.items() if s["trend_excluded"] == "true"] == ["20250805am"]
    assert "stale list: the same list as 20250801am" in snaps["20250805am"]["qa_note"]
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    assert qa["stale_lists"]["count"] == "1"
    assert qa["trend_exclusions_match_rules_agreements"]["status"] == "pass"


def test_collapsed_and_wrong_column_sheets_are_kept_out_of_trends(tmp_path):
    arch = tmp_path / "a"
    base = [["TEXAS", f"Agency {i}", "County", "C", "Task Force Model", dt.datetime(2024, 1, 1), "l"] for i in range(30)]
    for day in (1, 2, 4, 5):
        write_xlsx(arch / f"participatingAgencies08{day:02d}2025am.xlsx", PART_HEADER, base)
    write_xlsx(arch / "participatingAgencies08032025am.xlsx", PART_HEADER, base[:5])  # collapsed
    write_xlsx(arch / "participatingAgencies08032025pm.xlsx", PEND_HEADER, [r[:5] for r in base[:4]])
    write_xlsx(arch / "pendingAgencies08032025pm.xlsx", PART_HEADER, base)  # the swap
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = {s["publication"]: s for s in rows_of(out / "snapshots.csv")}
    assert snaps["20250803am"]["trend_excluded"] == "true"
    assert "collapsed" in snaps["20250803am"]["qa_note"]
    assert snaps["20250803pm"]["trend_excluded"] == "true"
    assert "wrong columns" in snaps["20250803pm"]["qa_note"]
    assert [s for s in snaps.values() if s["trend_excluded"] == "true"].__len__() == 2
    pend = rows_of(out / "pending_snapshots.csv")
    assert pend[0]["trend_excluded"] == "true" and rows_of(out / "pending.csv") == []
    # Wrong-column rows do not become agreements; the collapsed sheet's rows still exist.
    assert len(rows_of(out / "agreements.csv")) == 30
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    assert qa["counts_collapsed"]["count"] == "2"  # the 4-row wrong-column sheet collapses too
    assert "count collapsed: 4 rows" in snaps["20250803pm"]["qa_note"]
    assert qa["wrong_columns_participating"]["count"] == "1"
    assert qa["wrong_columns_pending"]["count"] == "1"
    assert "participating 20250801am" in qa["wrong_columns_pending"]["detail"]


@pytest.mark.parametrize("counts, excluded", [
    # The series: the build used to refuse its own output (QA re-judged the 40
    # against 100, 100 after the 10s were excluded). The 40 is judged once, against its
    # neighbours 10, 10, 100, 100 (median 55), and stays.
    ([10, 40, 10, 100, 100], {"20250801am": 40, "20250803am": 70}),
    ([100, 100, 10, 10, 100, 100], {"20250803am": 100, "20250804am": 100}),  # two adjacent
    ([10, 100, 100, 100, 10], {"20250801am": 100, "20250805am": 100}),  # first and last
    ([100, 100, 100, 100, 100], {}),  # steady
    ([100, 104, 109, 111, 120, 125], {}),  # steady growth
], ids=["dip-and-recover", "two-adjacent-collapses", "first-and-last", "steady", "growth"])
def test_trend_series_build_with_the_dipped_lists_excluded(tmp_path, counts, excluded):
    arch = series_archive(tmp_path / "a", counts)
    out = tmp_path / "out"
    r = run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c")
    assert r.returncode == 0, r.stderr
    snaps = rows_of(out / "snapshots.csv")
    assert [int(s["n_agreements"]) for s in snaps] == counts
    flagged = {s["publication"]: s for s in snaps if s["trend_excluded"] == "true"}
    assert set(flagged) == set(excluded)
    for pid, median in excluded.items():
        n = counts[int(pid[6:8]) - 1]
        note = flagged[pid]["qa_note"].split("; ")  # then "same list as ..." where one repeats
        assert note[0] == f"count collapsed: {n} rows where its neighbours hold a median of {median}"
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    assert qa["counts_collapsed"]["count"] == str(len(excluded))
    assert qa["trend_exclusions_match_rules_agreements"]["status"] == "pass"
    # The trend series (first/last seen) skips the excluded lists.
    agr = rows_of(out / "agreements.csv")
    kept = [s["published_at"] for s in snaps if s["trend_excluded"] == "false"]
    assert {a["first_seen"] for a in agr} <= set(kept) | {""}


def test_a_kept_dip_is_reported_in_qa(tmp_path):
    arch = series_archive(tmp_path / "a", [10, 40, 10, 100, 100])
    out = tmp_path / "out"
    assert run_cli("build", "--sheets", str(arch), "--out", str(out), cache=tmp_path / "c").returncode == 0
    qa = {q["name"]: q for q in rows_of(out / "qa.csv")}
    dips = qa["dips_kept"]
    assert (dips["status"], dips["count"]) == ("info", "1")
    assert "20250802am: 40 rows where its neighbours hold a median of 100" in dips["detail"]
    snaps = {s["publication"]: s for s in rows_of(out / "snapshots.csv")}
    assert snaps["20250802am"]["trend_excluded"] == "false"


def test_qa_fails_when_the_outputs_lose_a_rule_decision(tmp_path, monkeypatch):
    """If the build applied less than the rules decide, its own QA stops it."""
    from ice287g.pipeline import BuildError, run_build, s5_trend

    arch = series_archive(tmp_path / "a", [100, 100, 10, 100, 100])
    real = s5_trend.apply

    def drop_collapses(pubs, exclusions, name_same_lists):
        real(pubs, [e for e in exclusions if e.rule != "collapsed_count"], name_same_lists)

    monkeypatch.setattr(s5_trend, "apply", drop_collapses)
    with pytest.raises(BuildError, match="trend_exclusions_match_rules_agreements.*20250803am"):
        run_build([arch], tmp_path / "out", cache_dir=None)
    assert not (tmp_path / "out").exists()


def test_each_rule_decides_without_changing_the_publications(tmp_path):
    """decide() is pure: running it twice on the same publications gives the same result,
    and a rule sees only what the rules before it excluded."""
    from ice287g.pipeline import s1_find, s2_read, s3_clean, s4_group, s5_trend
    from ice287g.pipeline.cache import SheetCache

    arch = series_archive(tmp_path / "a", [100, 100, 10, 100, 100, 100])
    records = s1_find.find_files([arch], reviews={})
    s2_read.read_all(records, SheetCache(None))
    store = s3_clean.clean_records(records, s3_clean.NO_FIXES)
    s4_group.check_stamps(records, store)
    pubs = s4_group.group(records, "participating")
    first = s5_trend.decide(pubs, "participating")
    assert [(e.publication, e.rule) for e in first] == [("20250803am", "collapsed_count")]
    assert not any(p.trend_excluded or p.notes for p in pubs)
    assert s5_trend.decide(pubs, "participating") == first
    # With the collapsed list already excluded, the collapse rule finds nothing more.
    assert s5_trend.collapsed_count(pubs, frozenset({"20250803am"})) == {
        "20250803am": "count collapsed: 10 rows where its neighbours hold a median of 100"}


# ------------------------------------------------------------------------- reproducibility, cache, speed


def test_rerun_is_byte_identical_with_and_without_cache(archive, tmp_path):
    outs = []
    for k, extra in enumerate((["--no-cache"], [], [])):  # cold, cache fill, cache hit
        out = tmp_path / f"out{k}"
        r = run_cli("build", "--sheets", str(archive), "--out", str(out), *extra, cache=tmp_path / "cache")
        assert r.returncode == 0, r.stderr
        outs.append(snapshot_dir(out))
    assert outs[0] == outs[1] == outs[2]
    for name, data in outs[0].items():
        assert b"\r\n" not in data, f"{name} has CRLF line endings"


def test_cache_rereads_only_a_new_sheet(archive, tmp_path):
    cache = tmp_path / "cache"
    b1 = build.derive([archive], cache_dir=cache)
    assert (b1["cache"].hits, b1["cache"].misses) == (0, 4)
    write_xlsx(archive / "sheets_20250521_151835" / "participatingAgencies05202025pm.xlsx",
               PART_HEADER, PART_ROWS[:3])
    b2 = build.derive([archive], cache_dir=cache)
    assert (b2["cache"].hits, b2["cache"].misses) == (4, 1)


def test_cache_dir_env_var_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("ICE287G_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"


def test_calamine_and_openpyxl_read_generated_sheets_identically(archive):
    for path in sorted(archive.rglob("*.xlsx")):
        kind = "pending" if path.name.startswith("pending") else "participating"
        a = s2_read.read_sheet(path, kind, engine="calamine")
        b = s2_read.read_sheet(path, kind, engine="openpyxl")
        assert (a.columns, a.rows, a.blank_rows) == (b.columns, b.rows, b.blank_rows), path.name


@pytest.mark.slow
@pytest.mark.needs_raw
def test_calamine_and_openpyxl_read_every_raw_sheet_identically(raw_sheets):
    paths = sorted(raw_sheets.rglob("*.xlsx"))
    kinds = {p.name.startswith("pending") for p in paths}
    assert kinds == {True, False}, "the capture archive should hold both lists"
    for path in paths:
        kind = "pending" if path.name.startswith("pending") else "participating"
        a = s2_read.read_sheet(path, kind, engine="calamine")
        b = s2_read.read_sheet(path, kind, engine="openpyxl")
        assert (a.columns, a.rows, a.blank_rows, a.extra_sheets) == \
            (b.columns, b.rows, b.blank_rows, b.extra_sheets), path


@pytest.mark.slow
@pytest.mark.needs_raw
def test_calamine_and_openpyxl_agree_on_a_sample_of_the_history_archive():
    from conftest import RAW_HISTORY

    if not RAW_HISTORY.is_dir():
        pytest.skip(f"the history archive is not at {RAW_HISTORY} (a fresh clone has no ../shared)")
    paths = sorted(RAW_HISTORY.rglob("*.xlsx"))
    sample = paths[::25] + [p for p in paths if p.name in (
        "participatingAgencies09222025pm.xlsx", "participatingAgencies03022026am.xlsx",
        "pendingAgencies11062025pm.xlsx", "participatingAgencies01052025pm.xlsx")]
    forms = set()
    for path in sample:
        try:
            name = s1_find.parse_name(path.name)
        except SheetError:
            continue  # the two reviewed undated files
        forms.add(name.form)
        a = s2_read.read_sheet(path, name.list, engine="calamine")
        b = s2_read.read_sheet(path, name.list, engine="openpyxl")
        assert (a.columns, a.rows, a.blank_rows, a.extra_sheets) == \
            (b.columns, b.rows, b.blank_rows, b.extra_sheets), path
    assert forms == {"archive_table", "archive_workbook", "ice_file"}


@pytest.mark.slow
@pytest.mark.needs_raw
def test_build_outputs_identical_with_either_engine(raw_sheets, tmp_path):
    fast = build.derive([raw_sheets], engine="calamine")
    slow = build.derive([raw_sheets], engine="openpyxl")
    assert fast["texts"] == slow["texts"]


def test_no_progress_bar_when_not_a_terminal(archive, tmp_path):
    r = run_cli("build", "--sheets", str(archive), "--out", str(tmp_path / "o"), cache=tmp_path / "c")
    assert r.returncode == 0
    assert "reading sheets" not in r.stderr and "it/s" not in r.stderr and "sheet/s" not in r.stderr


def test_progress_bar_on_a_terminal(archive, tmp_path):
    import os
    import pty
    import subprocess
    import sys

    from conftest import REPO

    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    # A terminal of 24 x 100 characters (a fresh pty is 0 x 0, where tqdm draws nothing).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {**os.environ, "ICE287G_CACHE_DIR": str(tmp_path / "c")}
    proc = subprocess.run([sys.executable, "-m", "ice287g", "build", "--sheets", str(archive),
                           "--out", str(tmp_path / "o")], stderr=follower, stdout=subprocess.DEVNULL,
                          env=env, cwd=REPO, timeout=120)
    os.close(follower)
    text = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        text += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"reading sheets" in text and b"4/4" in text


# ------------------------------------------------------------------------- one of each thing


def test_run_encoder_and_decoder_are_inverse():
    """encode_runs (the build) and expand_runs (the one decoder: load and QA use it) on random presence."""
    import random

    from ice287g.pipeline.s6_derive import encode_runs, expand_runs

    rng = random.Random(287)
    for trial in range(50):
        order = [f"p{k}" for k in range(rng.randint(1, 12))]
        ids = [f"A{k:02d}" for k in range(rng.randint(1, 6))]
        listings = [(p, a) for p in order for a in ids if rng.random() < 0.6]
        runs = encode_runs(listings, order, "agreement_id")
        # A run is never followed by one of the same id that starts right after it ends.
        ends = {(r["agreement_id"], order.index(r["last_publication"])) for r in runs}
        assert not any((r["agreement_id"], order.index(r["first_publication"]) - 1) in ends
                       for r in runs), trial
        import pandas as pd

        frame = pd.DataFrame(runs, columns=["agreement_id", "first_publication",
                                            "last_publication", "n_publications"])
        long = expand_runs(frame, order, "agreement_id")
        expected = sorted(listings, key=lambda pa: (order.index(pa[0]), pa[1]))
        assert list(zip(long["publication"], long["agreement_id"])) == expected, trial


def test_run_decoder_refuses_inconsistent_runs():
    import pandas as pd

    from ice287g.pipeline.s6_derive import expand_runs

    runs = pd.DataFrame({"agreement_id": ["A1"], "first_publication": ["p1"],
                         "last_publication": ["p2"], "n_publications": [3]})
    with pytest.raises(ValueError, match="n_publications disagrees.*A1"):
        expand_runs(runs, ["p1", "p2", "p3"])
    with pytest.raises(ValueError, match="p9"):
        expand_runs(runs.assign(last_publication="p9"), ["p1", "p2"])


@pytest.mark.parametrize("a, b", [
    ("Monroe County Sheriff\u2019s Office", "monroe county sheriff's office"),
    ("  Key West  Police\u00a0Department ", "KEY WEST POLICE DEPARTMENT"),
    ("Prince George\u2018s County", "Prince George's County"),
])
def test_one_agency_normaliser_for_pipeline_and_book(a, b):
    from ice287g import load

    assert s3_clean.normalise_agency(a) == s3_clean.normalise_agency(b)
    assert load.normalise_name(a) == load.normalise_name(b)  # the same rule
    assert s3_clean.normalise_agency("Sheriff's Office") != s3_clean.normalise_agency("Sheriffs Office")


def test_book_lists_support_types_in_the_pipelines_order():
    from ice287g import load
    from ice287g.pipeline import thresholds

    # the book once had its own order (Task Force before Warrant): charts and the snapshot
    # count columns disagreed.
    assert tuple(load.SUPPORT_TYPES) == thresholds.SUPPORT_TYPES
    assert tuple(load.AGENCY_TYPES) == thresholds.AGENCY_TYPES


# ------------------------------------------------------------------------- the reviewed tables


def test_reviewed_tables_validate_and_are_what_the_build_reads():
    import frictionless

    from conftest import REPO
    from ice287g import config

    assert config.REVIEWED_DIR == REPO / "data" / "reviewed"
    report = frictionless.validate(str(REPO / "data" / "reviewed" / "datapackage.json"))
    assert report.valid, [(t.name, e.message) for t in report.tasks for e in t.errors][:10]
    assert not (REPO / "ice287g" / "data").exists(), "the reviewed tables live in data/reviewed/"


@pytest.mark.parametrize("name, text, needle", [
    ("fixes.csv", "field,raw,fixed,agency,support_type,reason,evidence\ncolour,UTAHJ,UTAH,,,typo,row 2\n", "fixes.csv, row 2: unknown field 'colour'"),
    ("fixes.csv", "field,raw,fixed,agency,support_type,reason,evidence\nstate,UTAHJ,UTAH,,,,row 2\n", "fixes.csv, row 2: a fix needs a reason"),
    ("fixes.csv", "field,raw,fixed,agency,support_type,reason,evidence\nstate,UTAHJ,UTAH,,,typo,\n", "fixes.csv, row 2: a fix needs a reason and its evidence"),
    ("fixes.csv", "field,raw,fixed,agency,support_type,reason,evidence\nstate,UTAHJ,UTAH,,,typo,r\nstate,utahj ,UTAH,,,again,r\n",
     "fixes.csv, row 3: the state value 'utahj ' is fixed twice"),
    ("fixes.csv", "field,raw,fixed,agency,support_type,reason,evidence\nsupport_type,TFM,Task Force,,,short,r\n",
     "fixes.csv, row 2: 'Task Force' is not a canonical support_type"),
    ("fixes.csv", "field;raw;fixed;reason\n", "fixes.csv, row 1: the header must be field,raw,fixed,agency,support_type,reason,evidence"),
    ("file_reviews.csv", "sha256,file,action,reason\n" + "a" * 64 + ",x.xlsx,keep,looks fine\n",
     "file_reviews.csv, row 2: each decision needs a file, the action 'exclude' and a reason"),
    ("rule_decisions.csv", "rule,field,raw,proposed,agency,support_type,decision,reason,evidence\n"
     "moa_state,state,Arkansas,MISSISSIPPI,Mississippi County Sheriff's Office,,accept,r,e\n",
     "rule_decisions.csv, row 2: the decision must be 'reject'"),
])
def test_a_malformed_reviewed_table_stops_the_build_naming_file_and_row(archive, tmp_path, name, text, needle):
    from conftest import REPO
    from ice287g.pipeline import run_build

    reviewed = tmp_path / "reviewed"
    shutil.copytree(REPO / "data" / "reviewed", reviewed)
    (reviewed / name).write_text(text, encoding="utf-8")
    with pytest.raises(SheetError) as err:
        run_build([archive], tmp_path / "out", reviewed_dir=reviewed)
    assert needle in str(err.value)
    assert not (tmp_path / "out").exists()


def test_a_reviewed_fix_is_applied_and_reported(archive, tmp_path):
    from conftest import REPO
    from ice287g.pipeline import derive

    reviewed = tmp_path / "reviewed"
    shutil.copytree(REPO / "data" / "reviewed", reviewed)
    without = derive([archive], reviewed_dir=reviewed)
    weber = [a for a in without["tables"]["agreements.csv"] if a["agency"].startswith("Weber")]
    assert weber[0]["state_code"] == "UT"  # UTAHJ, fixed by the committed table
    (reviewed / "fixes.csv").write_text("field,raw,fixed,agency,support_type,reason,evidence\n", encoding="utf-8")
    bare = derive([archive], reviewed_dir=reviewed)
    weber = [a for a in bare["tables"]["agreements.csv"] if a["agency"].startswith("Weber")]
    assert (weber[0]["state_code"], weber[0]["state"]) == ("", "UTAHJ")
    assert "state_unknown" in weber[0]["flags"]
