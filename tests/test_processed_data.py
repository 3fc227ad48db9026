"""The committed data/processed/: valid, consistent, documented, and reproducible byte for byte."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from conftest import REPO
from ice287g import config, load
from sheetfactory import run_cli, snapshot_dir

PROCESSED = REPO / "data" / "processed"


def test_datapackage_validates_with_frictionless():
    import frictionless

    report = frictionless.validate(str(PROCESSED / "datapackage.json"))
    errors = [(t.name, e.message) for t in report.tasks for e in t.errors][:10]
    assert report.valid, errors
    names = {t.name for t in report.tasks}
    assert {"snapshots", "agreements", "listings", "pending", "qa"} <= names


def test_datapackage_describes_every_file_and_column():
    package = json.loads((PROCESSED / "datapackage.json").read_text())
    paths = {r["path"] for r in package["resources"]}
    on_disk = {p.name for p in PROCESSED.glob("*.csv")}
    assert paths == on_disk
    for r in package["resources"]:
        header = (PROCESSED / r["path"]).read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        assert header == [f["name"] for f in r["schema"]["fields"]], r["path"]
        for f in r["schema"]["fields"]:
            assert f.get("description", "").strip(), f"{r['path']}:{f['name']} has no description"


def test_qa_has_no_fail():
    qa = load.qa()
    assert set(qa["status"]) <= {"pass", "fail", "info"}
    assert (qa["status"] == "pass").sum() >= 10
    failed = qa[qa["status"] == "fail"]
    assert failed.empty, failed.to_dict("records")


def test_qa_reports_the_known_anomalies():
    qa = load.qa().set_index("name")
    # Each quirk SOURCE.md documents is reported with how it was handled.
    assert qa.loc["flag_state_fixed", "count"] > 0 and "UTAHJ" in qa.loc["flag_state_fixed", "detail"]
    assert qa.loc["flag_signed_year_impossible", "count"] > 0
    assert "5025" in qa.loc["flag_signed_fixed", "detail"]
    assert qa.loc["reissued_stamps_participating", "count"] >= 1
    assert "participatingAgencies07032025pm.xlsx" in qa.loc["reissued_stamps_participating", "detail"]
    assert qa.loc["whitespace_trimmed", "count"] > 0


def test_history_anomalies_from_source_md_are_handled():
    """The quirks ../shared/data/ice-287g-history/SOURCE.md documents, as the committed data
    must show them (a fresh clone checks them too)."""
    snaps = load.snapshots().set_index("file")
    qa = load.qa().set_index("name")
    # January 2026 workbooks stamped 2025: corrected, raw stamp kept, in the trend series.
    row = snaps.loc["participatingAgencies01062025pm.xlsx"]
    assert row["stamp_corrected"] and not row["trend_excluded"]
    assert row["published_at"].year == 2026 and row["published_at_raw"].year == 2025
    files = load.files().set_index("file")
    for name in ("participatingAgencies01052025pm.xlsx", "participatingAgencies01062025pm.xlsx",
                 "participatingAgencies01092025pm.xlsx"):
        assert files.loc[name, "stamp"].year == 2026 and files.loc[name, "stamp_raw"].endswith("2025pm")
        assert name in qa.loc["stamps_corrected", "detail"]
        assert not snaps.loc[snaps.index[snaps["publication"] == files.loc[name, "publication"]][0],
                             "trend_excluded"]
    # The 42-row file with the pending columns under a participating name.
    wrong = snaps.loc["participatingAgencies09222025pm.xlsx"]
    assert wrong["trend_excluded"] and wrong["n_agreements"] == 42 and "wrong columns" in wrong["qa_note"]
    assert "SIGNED" not in wrong["columns"].split("|")
    # Every naming form, with provenance.
    files = load.files()
    assert set(files["form"]) >= {"archive_table", "archive_workbook", "ice_file"}
    nine = files[files["file"] == "participatingAgencies090022025am.xlsx"].iloc[0]
    assert nine["stamp"] == pd.Timestamp("2025-09-02") and "9-digit" in nine["name_note"]
    assert set(snaps["stamp_provenance"]) == {"ice_stamp", "archive_capture"}
    # Byte-identical copies and lists carried by many files are counted once.
    assert qa.loc["byte_identical_copies", "count"] >= 53
    read = files[files["status"] == "read"]
    assert snaps["n_files"].sum() == (read["list"] == "participating").sum()
    assert load.pending_snapshots()["n_files"].sum() == (read["list"] == "pending").sum()
    assert snaps.index.min().startswith("ParticipatingEntities-2021")
    # The series spans January 2021 to 2026 and the trend lines hold no excluded list.
    trend = load.snapshots()
    trend = trend[~trend["trend_excluded"]]
    assert trend["published_at"].min().year == 2021 and trend["published_at"].max().year == 2026
    assert all(qa.loc[n, "status"] == "pass" for n in qa.index if n.startswith("trend_"))


def test_loaders_return_typed_frames():
    snaps = load.snapshots()
    assert str(snaps["published_at"].dtype).startswith("datetime64")
    assert snaps["n_agreements"].dtype == "int64" and snaps["trend_excluded"].dtype == bool
    assert snaps["published_at"].is_monotonic_increasing
    agr = load.agreements()
    assert str(agr["signed"].dtype).startswith("datetime64")
    assert agr["agreement_id"].is_unique and agr["listed_in_latest"].dtype == bool
    assert set(agr["support_type"]) <= {"Jail Enforcement Model", "Warrant Service Officer",
                                        "Task Force Model", ""} | set(
        agr.loc[agr["flags"].str.contains("support_type_unknown"), "support_type"])
    lst = load.listings()
    assert list(lst.columns) == ["publication", "agreement_id"]
    assert set(lst["publication"]) <= set(snaps["publication"])
    assert set(lst["agreement_id"]) == set(agr["agreement_id"])


def test_tables_agree_with_each_other():
    snaps = load.snapshots().set_index("publication")
    lst = load.listings()
    per_pub = lst.groupby("publication").size()
    usable = snaps[~snaps["qa_note"].str.contains("wrong columns")]
    assert (per_pub.reindex(usable.index).fillna(0) == usable["n_distinct_agreements"]).all()
    support = ["n_jail_enforcement_model", "n_warrant_service_officer", "n_task_force_model",
               "n_support_type_other"]
    assert (snaps[support].sum(axis=1) == snaps["n_agreements"]).all()
    assert (snaps["n_florida"] <= snaps["n_agreements"]).all()
    agr = load.agreements().set_index("agreement_id")
    trend = snaps[~snaps["trend_excluded"]]
    counts = lst[lst["publication"].isin(trend.index)].groupby("agreement_id").size()
    assert (counts.reindex(agr.index).fillna(0).astype(int) == agr["n_snapshots"]).all()
    latest = trend.index[-1]
    on_latest = set(lst.loc[lst["publication"] == latest, "agreement_id"])
    assert set(agr.index[agr["listed_in_latest"]]) == on_latest
    seen = agr.dropna(subset=["first_seen"])
    assert (seen["first_seen"] <= seen["last_seen"]).all()


def test_last_captured_is_the_last_capture_of_the_last_publication():
    """issue 11: last_seen is the date of the last list carrying an agreement; last_captured
    the last capture of that list (snapshots' last_captured_at, else published_at)."""
    snaps = load.snapshots().set_index("publication")
    for entities, snapshots in ((load.agreements(), snaps),
                                (load.pending(), load.pending_snapshots().set_index("publication"))):
        seen = entities[entities["last_publication"] != ""]
        last = snapshots.loc[seen["last_publication"]]
        want = last["last_captured_at"].fillna(last["published_at"]).to_numpy()
        assert (seen["last_captured"].to_numpy() == want).all()
        assert (seen["last_seen"].to_numpy() == last["published_at"].to_numpy()).all()
        assert (seen["last_captured"] >= seen["last_seen"] - pd.Timedelta(days=1)).all()
    # The finding: Ouachita Parish's Jail Enforcement agreement was last on the list first
    # captured 2022-03-05, and still on it when that list was last captured, 2022-08-08.
    agr = load.agreements()
    row = agr[(agr["agency"] == "Ouachita Parish Sheriff's Office")
              & (agr["support_type"] == "Jail Enforcement Model")].squeeze()
    assert row["last_publication"] == "c20220305T091122"
    assert row["last_seen"] == pd.Timestamp("2022-03-05T09:11:22")
    assert row["last_captured"].date().isoformat() == "2022-08-08"
    assert not row["listed_in_latest"]


def test_trend_exclusions_follow_the_documented_rules():
    """The documented trend rules (data/README.md, "Trend rules"), re-implemented here from
    snapshots.csv alone (counts, content ids, notes), give exactly the trend_excluded lists."""
    snaps = load.snapshots()
    notes = snaps["qa_note"]
    first = (notes.str.contains("wrong columns") | notes.str.contains("stamp contradicted"))
    kept = snaps[~first].reset_index(drop=True)
    counts = kept["n_agreements"].tolist()
    collapsed = set()
    for i, n in enumerate(counts):
        window = counts[max(0, i - 3):i] + counts[i + 1:i + 4]
        if len(window) >= 2 and n < 0.5 * float(pd.Series(window).median()):
            collapsed.add(kept.loc[i, "publication"])
    stale, seen, last = set(), [], {}
    for pub, cid in zip(kept["publication"], kept["content_id"]):
        if pub in collapsed:
            continue
        i = len(seen)
        if i and cid != seen[-1] and cid in last and i - last[cid] >= 3:
            stale.add(pub)
            continue
        last[cid] = i
        seen.append(cid)
    expected = set(snaps.loc[first, "publication"]) | collapsed | stale
    assert set(snaps.loc[snaps["trend_excluded"], "publication"]) == expected
    assert all("count collapsed" in notes[snaps["publication"] == p].iloc[0] for p in collapsed)
    assert all("stale list" in notes[snaps["publication"] == p].iloc[0] for p in stale)
    assert stale, "the archive's known stale list (04212025am) is no longer found"


def test_processed_data_is_compact_and_unix_text():
    total = sum(p.stat().st_size for p in PROCESSED.iterdir() if p.is_file())
    assert total < 10_000_000, f"data/processed is {total / 1e6:.1f} MB"
    for p in PROCESSED.iterdir():
        data = p.read_bytes()
        assert b"\r" not in data and data.endswith(b"\n"), p.name
        data.decode("utf-8")


def test_data_card_documents_every_column():
    card = (REPO / "data" / "README.md").read_text()
    package = json.loads((PROCESSED / "datapackage.json").read_text())
    for r in package["resources"]:
        assert f"`{r['path']}`" in card, r["path"]
        for f in r["schema"]["fields"]:
            assert re.search(rf"`{re.escape(f['name'])}`", card), f"{r['path']}:{f['name']} undocumented"
    assert "curated/README.md" in card
    assert config.ICE_287G_URL in card


@pytest.mark.slow
def test_default_build_reproduces_committed_data(tmp_path):
    missing = [a for a in config.DEFAULT_SHEET_ARCHIVES if not a.is_dir()]
    if missing:
        pytest.skip(f"the default inputs are missing ({', '.join(map(str, missing))}; a fresh "
                    "clone has no ../shared): the committed data cannot be rebuilt here")
    out = tmp_path / "processed"
    r = run_cli("build", "--out", str(out), cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    committed = snapshot_dir(PROCESSED)
    rebuilt = snapshot_dir(out)
    assert sorted(rebuilt) == sorted(committed)
    differ = [name for name in committed if committed[name] != rebuilt[name]]
    assert not differ, f"rebuilt files differ from the committed ones: {differ}"
