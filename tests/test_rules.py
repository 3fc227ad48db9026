"""The consistency rules from ICE's own record (ice287g/pipeline/s7_rules.py): each catches its
case and leaves the ordinary one alone; reviewed fixes limited to one agency (and model)
repair a valid but wrong value; fixes that match no row are reported."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from ice287g.pipeline import SheetError, s3_clean
from ice287g.pipeline.s7_rules import (Printing, moa_file_date, moa_file_state, rule_moa_date,
                                       rule_moa_state, rule_printed_differently, rule_same_moa,
                                       rule_signed_year, unused_fixes)

DOC = "https://www.ice.gov/doclib/287gMOA/"


@pytest.mark.parametrize("name, state, day", [
    ("CassCoSheriffsOfficeMN_TFM_MOA_05062025.pdf", "MN", dt.date(2025, 5, 6)),
    ("KeyWestPDFL_TFM_MOA_030425.pdf", "FL", dt.date(2025, 3, 4)),
    ("LevelPlainsPD-AL-TFM-MOA-07302025.pdf", "AL", dt.date(2025, 7, 30)),
    ("287gJEM_EtowahCoAl2016-06-18.pdf", "AL", dt.date(2016, 6, 18)),
    ("287gWSO_DeptOfCorrectionsAK_07-24-2020.pdf", "AK", dt.date(2020, 7, 24)),
    ("Marlboro_SC_WSO_MOA_6_11_25.pdf", "SC", dt.date(2025, 6, 11)),
    ("FortWaltonBeachPoliceDeptFL_TFM_MOA_02.27.2025.pdf", "FL", dt.date(2025, 2, 27)),
    # no state that is sure (SO is no state; a lower-case ending is a word), no date
    ("CowleyCountySO_WSO_MOA_030425.pdf", "", dt.date(2025, 3, 4)),
    ("jacksonCountyCorrectional_WSO_MOA_03122025.pdf", "", dt.date(2025, 3, 12)),
    ("OrangeCountySO_TFM_MOA.pdf", "", None),
    ("WestVirginiaNatGuard_TFM_MOA_0611025.pdf", "", None),
])
def test_moa_file_names_give_state_and_date(name, state, day):
    assert moa_file_state(DOC + name) == state
    assert moa_file_date(DOC + name) == day


def printing(aid="A1", state="Minnesota", code="MN", agency="Cass County Sheriff's Office",
             support="Task Force Model", signed="2025-02-28", first=0, last=5,
             first_day=dt.date(2025, 3, 6), urls=()):
    return Printing(aid, state, code, agency, support, signed, first, last, first_day,
                    f"p{first}", f"p{last}", tuple(urls))


def test_moa_state_catches_a_wrong_state_and_leaves_a_matching_one():
    ok = printing(urls=[DOC + "CassCoSheriffsOfficeMN_TFM_MOA_02282025.pdf"])
    assert rule_moa_state(ok) == []
    bad = printing(state="Montana", code="MT", urls=ok.moa_urls)
    [f] = rule_moa_state(bad)
    assert "names MN" in f.explanation
    assert (f.proposal["field"], f.proposal["raw"], f.proposal["fixed"], f.proposal["agency"]) == (
        "state", "MONTANA", "MINNESOTA", "Cass County Sheriff's Office")


def test_moa_date_proposes_the_files_year_only_when_month_and_day_agree():
    url = DOC + "TenahaPoliceDeptTX_TFM_MOA_01072026.pdf"
    assert rule_moa_date(printing(signed="2026-01-07", urls=[url])) == []
    assert rule_moa_date(printing(signed="2026-01-06", urls=[url])) == []  # a day apart: fine
    [f] = rule_moa_date(printing(signed="2025-01-07", urls=[url]))
    assert f.proposal["fixed"] == "2026-01-07"
    [f] = rule_moa_date(printing(signed="2025-06-18", urls=[DOC + "X-AL-TFM-MOA-07302025.pdf"]))
    assert f.proposal == {} and "reported only" in f.explanation


def test_signed_year_catches_an_early_year_and_a_date_after_the_first_list():
    days = [dt.date(2025, 1, 10) + dt.timedelta(days=7 * k) for k in range(60)]
    first = 52  # about a year after the printed date
    early = printing(signed="2025-01-07", first=first, last=59, first_day=days[first])
    [f] = rule_signed_year(early, days)
    assert f.proposal["fixed"] == "2026-01-07"
    normal = printing(signed=days[first].isoformat(), first=first, last=59, first_day=days[first])
    assert rule_signed_year(normal, days) == []
    late = printing(signed=(days[first] + dt.timedelta(days=3)).isoformat(), first=first,
                    last=59, first_day=days[first])
    [f] = rule_signed_year(late, days)
    assert "after the first list" in f.explanation and f.proposal == {}


def test_printed_differently_pairs_successive_printings_only():
    mt = printing("A1", "Montana", "MT", first=0, last=1)
    mn = printing("A2", "Minnesota", "MN", first=2, last=9)
    [f] = rule_printed_differently([mt, mn])
    assert f.agreement_ids == ("A1", "A2")
    assert (f.proposal["raw"], f.proposal["fixed"]) == ("MONTANA", "MINNESOTA")
    far = printing("A2", "Minnesota", "MN", first=9, last=12)  # 8 lists later: not an edit
    assert rule_printed_differently([mt, far]) == []
    other_model = printing("A2", "Minnesota", "MN", support="Warrant Service Officer", first=2)
    assert rule_printed_differently([mt, other_model]) == []
    redated = printing("A2", signed="2025-03-01", first=2, last=9)
    [f] = rule_printed_differently([printing("A1", first=0, last=1), redated])
    assert f.proposal == {} and "2025-03-01" in f.explanation


def test_same_moa_reports_one_link_under_two_rows():
    url = DOC + "LouisianaStatePolice_TFM_MOA_02252025.pdf"
    a = printing("A1", "Louisiana", "LA", agency="Louisiana State Police", urls=[url])
    b = printing("A2", "Louisiana", "LA", agency="Louisiana State Patrol", first=6, urls=[url])
    c = printing("A3", urls=[DOC + "other.pdf"])
    [f] = rule_same_moa([a, b, c])
    assert f.agreement_ids == ("A1", "A2")
    assert rule_same_moa([a, c]) == []


FIXES_HEADER = "field,raw,fixed,agency,support_type,reason,evidence\n"


def _fixes(tmp_path, body):
    path = tmp_path / "fixes.csv"
    path.write_text(FIXES_HEADER + body)
    return s3_clean.load_fixes(path)


def test_a_fix_limited_to_one_agency_and_model_repairs_a_valid_value(tmp_path):
    fixes = _fixes(tmp_path, "state,Texas,Kansas,Ellis County Sheriff's Office,"
                             "Warrant Service Officer,corrected by ICE,lists\n"
                             "signed,2025-01-07,2026-01-07,Tenaha Police Department,,early,MOA\n")

    def row(state, agency, support, signed="2025-07-07"):
        return (state, agency, "County", "", support, signed, "", "")

    wso = s3_clean.clean_row(row("TEXAS", "Ellis County Sheriff's Office", "Warrant Service Officer"), fixes)
    assert (wso.state, wso.state_code, wso.state_raw, wso.flags) == ("Kansas", "KS", "TEXAS", "state_fixed")
    jem = s3_clean.clean_row(row("TEXAS", "Ellis County Sheriff's Office", "Jail Enforcement Model"), fixes)
    assert (jem.state, jem.flags) == ("Texas", "")  # the other model is not touched
    other = s3_clean.clean_row(row("TEXAS", "Ellis County Constable", "Warrant Service Officer"), fixes)
    assert other.state == "Texas"
    tenaha = s3_clean.clean_row(row("TEXAS", "Tenaha Police Department", "Task Force Model",
                                    "2025-01-07"), fixes)
    assert (tenaha.signed, tenaha.signed_raw, tenaha.flags) == ("2026-01-07", "2025-01-07", "signed_fixed")
    assert tenaha.agreement_key.endswith("2026-01-07")  # the fixed date makes the id


def test_an_agency_fix_renames_an_archive_artefact(tmp_path):
    fixes = _fixes(tmp_path, "agency,Waria-labelon County Sheriff's Office,Walton County Sheriff's "
                             "Office,,,capture artefact,ParticipatingEntities-20241211140551.xlsx\n")
    raw = ("FLORIDA", "Waria-labelon County Sheriff's Office", "", "", "Warrant Service Officer",
           "2019-05-06", "", "")
    fixed = s3_clean.clean_row(raw, fixes)
    plain = s3_clean.clean_row(("FLORIDA", "Walton County Sheriff's Office", *raw[2:]), fixes)
    assert fixed.agency == "Walton County Sheriff's Office" and "agency_fixed" in fixed.flags
    assert fixed.agreement_key == plain.agreement_key


@pytest.mark.parametrize("body, problem", [
    ("state,Texas,Kansas,Ellis County Sheriff's Office,,corrected,\n", "evidence"),
    ("state,Texas,Narnia,Ellis County Sheriff's Office,,corrected,lists\n", "not a state"),
    ("signed,2025-01-07,2026-02-30,Tenaha Police Department,,early,MOA\n", "not an ISO date"),
    ("support_type,Task Force Officer,Task Force Model,Some PD,,r,e\n", "cannot be limited"),
    ("state,UTAHJ,UTAH,,Task Force Model,typo,row\n", "give the agency"),
    ("state,Texas,Kansas,X,Task Force Thing,r,e\n", "not a support type"),
])
def test_malformed_fixes_name_the_row(tmp_path, body, problem):
    with pytest.raises(SheetError, match=problem) as exc:
        _fixes(tmp_path, body)
    assert "row 2" in str(exc.value)


def test_unused_fixes_are_reported(tmp_path):
    fixes = _fixes(tmp_path, "state,UTAHJ,UTAH,,,typo,row\n"
                             "state,MONTANA,MINNESOTA,Cass County Sheriff's Office,,wrong,lists\n"
                             "state,MONTANA,MINNESOTA,Nowhere Police Department,,wrong,lists\n")
    store = s3_clean.RowStore(fixes)
    store.add([("UTAHJ", "Weber County Sheriff's Office", "", "", "Task Force Model", "2025-05-02", "", ""),
               ("MONTANA", "Cass County Sheriff's Office", "", "", "Task Force Model", "2025-02-28", "", "")])
    assert [f.agency for f in unused_fixes(fixes, store)] == ["Nowhere Police Department"]


def test_duplicate_rows_names_a_row_printed_twice_and_leaves_single_rows():
    from ice287g.pipeline.s7_rules import rule_duplicate_rows

    west_york = "PA\x1fWest York Borough Police Department\x1fTask Force Model\x1f2025-08-04"
    other = "FL\x1fKey West Police Department\x1fTask Force Model\x1f2025-03-05"
    lists = [("p1", [other, west_york]), ("p2", [other, west_york, west_york]),
             ("p3", [west_york, other, west_york]), ("p4", [other, west_york])]
    [f] = rule_duplicate_rows(lists)
    assert "West York Borough Police Department" in f.explanation
    assert "twice on 2 list(s), p2 to p3" in f.explanation
    assert rule_duplicate_rows([("p1", [other, west_york])]) == []


def test_link_host_reports_document_links_off_ices_site_and_leaves_ices_alone():
    from ice287g.pipeline.s7_rules import rule_link_host

    ok = printing(urls=[DOC + "CassCoSheriffsOfficeMN_TFM_MOA_02282025.pdf",
                        "http://ice.gov/doclib/287gMOA/x.pdf"])
    assert rule_link_host(ok) == []
    import dataclasses

    bad = dataclasses.replace(printing(urls=["https://evil.example/moa.pdf", "javascript:alert(1)"]),
                              addendum_urls=("https://www.ice.gov.evil.example/add.pdf",))
    found = rule_link_host(bad)
    assert [f.rule for f in found] == ["link_host"] * 3
    assert "evil.example/moa.pdf" in found[0].explanation and "ADDENDUM" in found[2].explanation
    assert all(f.proposal == {} for f in found)  # reported, never "fixed" by a proposal


WARIA = DOC + "287gWSO_Waria-labelonCoFl2019-05-06.pdf"
WALTON = DOC + "287gWSO_WaltonCoFl2019-05-06.pdf"


def test_a_link_fix_reads_an_archive_artefact_link_as_icess_and_leaves_others(tmp_path):
    from types import SimpleNamespace

    from ice287g.pipeline.s6_derive import publication_links

    fixes = _fixes(tmp_path, f"moa,{WARIA},{WALTON},,,capture artefact,the capture's MOA cell\n")
    assert s3_clean.fix_link("moa", WARIA, fixes) == WALTON
    assert s3_clean.fix_link("moa", WARIA.upper().replace("HTTPS://WWW.ICE.GOV", "https://www.ice.gov"),
                             fixes) == WALTON  # matched ignoring letter case, as every fix
    assert s3_clean.fix_link("moa", WALTON, fixes) == WALTON  # ICE's own link: untouched
    assert s3_clean.fix_link("addendum", WARIA, fixes) == WARIA  # another column: untouched
    assert s3_clean.fix_link("moa", "", fixes) == ""
    other = DOC + "KeyWestPDFL_TFM_MOA_030425.pdf"
    rep = SimpleNamespace(parsed=SimpleNamespace(moa_links=[WARIA, other], addendum_links=[]))
    assert publication_links(rep, ["A1", "A2"], fixes) == {"A1": (WALTON, ""), "A2": (other, "")}
    assert publication_links(rep, ["A1", "A2"]) == {"A1": (WARIA, ""), "A2": (other, "")}


def test_a_link_fix_is_used_where_a_sheet_prints_the_link_and_unused_elsewhere(tmp_path):
    from types import SimpleNamespace

    fixes = _fixes(tmp_path, f"moa,{WARIA},{WALTON},,,capture artefact,the capture's MOA cell\n")
    row_ = ("FLORIDA", "Walton County Sheriff's Office", "", "", "Warrant Service Officer",
            "2019-05-06", "", "")

    def record(links):
        parsed = SimpleNamespace(rows=[row_], row_numbers=[2], moa_links=links, addendum_links=[])
        return SimpleNamespace(parsed=parsed, sf=SimpleNamespace(relpath="x.xlsx"))

    store = s3_clean.clean_records([record([WALTON])], fixes)
    assert [f.raw for f in unused_fixes(fixes, store)] == [WARIA]
    store = s3_clean.clean_records([record([WARIA]), record([WALTON])], fixes)
    assert unused_fixes(fixes, store) == [] and store.link_fix_files[("moa", WARIA.casefold())] == 1


@pytest.mark.parametrize("body", [
    f"moa,{WARIA},http://www.ice.gov/doclib/287gMOA/x.pdf,,,r,e\n",  # not https
    f"moa,{WARIA},https://example.com/doclib/287gMOA/x.pdf,,,r,e\n",  # not ICE's site
    f"addendum,{WARIA},287gWSO_WaltonCoFl2019-05-06.pdf,,,r,e\n",  # not a link
    f"moa,https://web.archive.org/web/2024/{WARIA},{WALTON},,,r,e\n",  # the wrapper left on
])
def test_a_link_fix_maps_one_ice_link_to_another(tmp_path, body):
    with pytest.raises(SheetError, match="maps one https link on ICE's site") as exc:
        _fixes(tmp_path, body)
    assert "row 2" in str(exc.value)


# --------------------------------------------------------------------------- reviewed decisions
DECISIONS_HEADER = "rule,field,raw,proposed,agency,support_type,decision,reason,evidence\n"
REJECT_MISSISSIPPI = ("moa_state,state,Arkansas,MISSISSIPPI,Mississippi County Sheriff's Office,"
                      "Jail Enforcement Model,reject,Mississippi has no Mississippi County,"
                      "the lists print Arkansas\n")


def _decisions(tmp_path, body):
    from ice287g.pipeline.s7_rules import load_decisions

    path = tmp_path / "rule_decisions.csv"
    path.write_text(DECISIONS_HEADER + body, encoding="utf-8")
    return load_decisions(path)


def test_a_decision_answers_its_proposal_only_and_a_stale_one_is_reported(tmp_path):
    from ice287g.pipeline.s7_rules import decide

    mississippi = printing("A1", "Arkansas", "AR", agency="Mississippi County Sheriff’s Office",
                           support="Jail Enforcement Model", signed="2026-03-31", urls=[
                               DOC + "MississippiCoSheriffsOfficeMS_JEM_MOA_03312026.pdf"])
    schuylkill = printing("A2", "Pennsylvania", "PA",
                          agency="Schuylkill Haven Borough Police Department", signed="2026-04-05",
                          urls=[DOC + "SchuylkillHavenBoroughPoliceDeptTX_TFM_MOA_04052026.pdf"])
    found = {"moa_state": rule_moa_state(mississippi) + rule_moa_state(schuylkill)}
    assert len(found["moa_state"]) == 2
    stale = ("moa_state,state,Montana,MINNESOTA,Cass County Sheriff's Office,Task Force Model,"
             "reject,r,e\n")
    # the curly apostrophe of ICE's name and the letter case of the values do not matter
    decisions = _decisions(tmp_path, REJECT_MISSISSIPPI.replace("MISSISSIPPI", "Mississippi") + stale)
    decided, open_, unused = decide(found, decisions)
    assert [(rule, k) for rule, k in decided] == [("moa_state", 0)]
    assert decided[("moa_state", 0)].reason == "Mississippi has no Mississippi County"
    assert [f.agreement_ids for _, f in open_] == [("A2",)]  # left for a reviewer
    assert [d.agency for d in unused] == ["Cass County Sheriff's Office"]
    # a decision on another proposed value (or another rule) does not answer it
    other = _decisions(tmp_path, REJECT_MISSISSIPPI.replace("MISSISSIPPI", "MISSOURI"))
    assert decide(found, other)[0] == {}
    other = _decisions(tmp_path, REJECT_MISSISSIPPI.replace("moa_state,", "printed_differently,", 1))
    assert decide(found, other)[0] == {}
    assert decide(found, {})[1] == [("moa_state", f) for f in found["moa_state"]]


@pytest.mark.parametrize("body, problem", [
    (REJECT_MISSISSIPPI.replace("moa_state,", "same_moa,", 1), "unknown rule 'same_moa'"),
    (REJECT_MISSISSIPPI.replace("state,Arkansas", "type,Arkansas", 1), "unknown field 'type'"),
    (REJECT_MISSISSIPPI.replace(",reject,", ",accept,"), "must be 'reject'"),
    (REJECT_MISSISSIPPI.replace(",Mississippi has no Mississippi County,", ",,"), "reason and its evidence"),
    (REJECT_MISSISSIPPI.replace("the lists print Arkansas", ""), "reason and its evidence"),
    (REJECT_MISSISSIPPI.replace("Mississippi County Sheriff's Office", ""), "raw, proposed and agency"),
    (REJECT_MISSISSIPPI + REJECT_MISSISSIPPI.replace("Arkansas\n", "again\n"), "decided twice"),
])
def test_malformed_decisions_name_the_row(tmp_path, body, problem):
    with pytest.raises(SheetError, match=problem) as exc:
        _decisions(tmp_path, body)
    assert f"row {body.count(chr(10)) + 1}" in str(exc.value)


def test_no_decisions_table_is_no_decisions_and_a_bad_header_stops(tmp_path):
    from ice287g.pipeline.s7_rules import load_decisions

    assert load_decisions(tmp_path / "rule_decisions.csv") == {}
    (tmp_path / "rule_decisions.csv").write_text("rule,field,raw\n", encoding="utf-8")
    with pytest.raises(SheetError, match="row 1: the header must be rule,field"):
        load_decisions(tmp_path / "rule_decisions.csv")


def test_the_build_reports_a_rejected_proposal_with_its_decision_not_as_a_proposal(tmp_path):
    """End to end: a list whose MOA files name other states; the reviewed decision rejects one
    proposal, the other stays proposed (and open), a decision matching nothing is reported."""
    import shutil

    import openpyxl

    from ice287g import config
    from ice287g.pipeline import build
    from sheetfactory import PART_HEADER, PEND_HEADER, PEND_ROWS, write_xlsx

    rows = [["ARKANSAS", "Mississippi County Sheriff's Office", "County", "Mississippi County",
             "Jail Enforcement Model", dt.datetime(2026, 3, 31), "link"],
            ["PENNSYLVANIA", "Schuylkill Haven Borough Police Department", "Municipality",
             "Schuylkill County", "Task Force Model", dt.datetime(2026, 4, 5), "link"],
            ["FLORIDA", "Key West Police Department", "Municipality", "Monroe County",
             "Task Force Model", dt.datetime(2025, 3, 5), "link"]]
    links = ["MississippiCoSheriffsOfficeMS_JEM_MOA_03312026.pdf",
             "SchuylkillHavenBoroughPoliceDeptTX_TFM_MOA_04052026.pdf",
             "KeyWestPDFL_TFM_MOA_030425.pdf"]
    arch = tmp_path / "a"
    path = write_xlsx(arch / "participatingAgencies04132026am.xlsx", PART_HEADER, rows)
    wb = openpyxl.load_workbook(path)
    for k, name in enumerate(links, start=2):
        wb.active.cell(row=k, column=7).hyperlink = DOC + name
    wb.save(path)
    write_xlsx(arch / "pendingAgencies04132026am.xlsx", PEND_HEADER, PEND_ROWS)
    reviewed = tmp_path / "reviewed"
    shutil.copytree(config.REVIEWED_DIR, reviewed)
    (reviewed / "rule_decisions.csv").unlink()

    def qa():
        res = build.derive([arch], cache_dir=tmp_path / "cache", reviewed_dir=reviewed)
        return {r["name"]: r for r in res["qa"]}

    before = qa()  # no decisions table: both proposed, both open
    assert before["rule_moa_state"]["count"] == 2
    assert before["rule_moa_state"]["detail"].count("-> proposed fix: ") == 2
    assert before["rule_proposals_open"]["count"] == 2
    assert before["rule_decisions_unused"]["count"] == 0
    (reviewed / "rule_decisions.csv").write_text(
        DECISIONS_HEADER + REJECT_MISSISSIPPI + "signed_year,signed,2019-10-15,2020-10-15,"
        "St. Johns County Sheriff's Office,Warrant Service Officer,reject,renamed,lists\n",
        encoding="utf-8")
    after = qa()
    found = after["rule_moa_state"]["detail"].split(" || ")
    assert after["rule_moa_state"]["count"] == 2  # still found, and explained
    [miss] = [f for f in found if "Mississippi County" in f]
    assert "proposed fix" not in miss
    assert ("rejected (data/reviewed/rule_decisions.csv): Mississippi has no Mississippi County"
            in miss)
    [schuylkill] = [f for f in found if "Schuylkill Haven" in f]
    assert "-> proposed fix: state,Pennsylvania,TEXAS,Schuylkill Haven" in schuylkill
    assert "Key West" not in after["rule_moa_state"]["detail"]
    assert after["rule_proposals_open"]["count"] == 1
    assert "Schuylkill Haven" in after["rule_proposals_open"]["detail"]
    assert "Mississippi" not in after["rule_proposals_open"]["detail"]
    assert after["rule_decisions_unused"]["count"] == 1
    assert "St. Johns County Sheriff's Office" in after["rule_decisions_unused"]["detail"]


def test_the_committed_decisions_answer_every_proposal_of_the_committed_data():
    """Every proposal the rules make on the default archives has a reviewed decision (a fix
    or a rejection), and no rejection is stale."""
    from conftest import REPO
    from ice287g.pipeline.s7_rules import load_decisions

    decisions = load_decisions(REPO / "data" / "reviewed" / "rule_decisions.csv")
    assert decisions and all(d.decision == "reject" for d in decisions.values())
    with (REPO / "data" / "processed" / "qa.csv").open(newline="", encoding="utf-8") as fh:
        qa = {r["name"]: r for r in csv.DictReader(fh)}
    assert qa["rule_proposals_open"]["count"] == "0", qa["rule_proposals_open"]["detail"]
    assert qa["rule_decisions_unused"]["count"] == "0", qa["rule_decisions_unused"]["detail"]
    rejected = sum(qa[f"rule_{r}"]["detail"].count("rejected (data/reviewed/rule_decisions.csv)")
                   for r in ("moa_state", "moa_date", "signed_year", "printed_differently"))
    assert rejected == len(decisions)
