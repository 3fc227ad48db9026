"""Unit tests of ice287g.analysis on small frames built here (not on the project's data).

Expected values are worked out by hand from the toy lists below, or checked against a
brute-force set computation on random lists, never copied from the code's own output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ice287g import analysis as an

# Three toy agreements lists. a1..a5 are agreements; p3 is a mis-stamped list to exclude.
#   p1 (May 1): a1 a2 a3
#   p2 (May 8): a1    a3 a4        (a2 removed, a4 added)
#   p3 (May 9): a1                 (trend-excluded partial list)
#   p4 (May 15): a1 a2    a4 a5    (a3 removed; a2 back, a5 added)
PUBS = pd.DataFrame({
    "publication": ["p1", "p2", "p3", "p4"],
    "published_at": pd.to_datetime(["2025-05-01", "2025-05-08", "2025-05-09", "2025-05-15"]),
    "trend_excluded": [False, False, True, False],
})
LISTS = {"p1": ["a1", "a2", "a3"], "p2": ["a1", "a3", "a4"], "p3": ["a1"],
         "p4": ["a1", "a2", "a4", "a5"]}
LISTINGS = pd.DataFrame([(p, a) for p, ids in LISTS.items() for a in ids],
                        columns=["publication", "agreement_id"])
AGREEMENTS = pd.DataFrame({
    "agreement_id": ["a1", "a2", "a3", "a4", "a5"],
    "state": ["Florida", "Florida", "Texas", "Florida", "Georgia"],
    "agency": ["Key West Police Department", "Monroe County Sheriff's Office",
               "Harris County Sheriff's Office", "Monroe County Sheriff's Office",
               "Cobb County Sheriff's Office"],
    "agency_type": ["Municipality", "County", "County", "County", "County"],
    "support_type": ["Task Force Model", "Jail Enforcement Model", "Warrant Service Officer",
                     "Task Force Model", "Task Force Model"],
    "signed": ["2025-03-01", "2019-06-01", "", "2025-02-20", "5025-01-01"],
})


@pytest.fixture
def pres():
    return an.presence(LISTINGS, AGREEMENTS, PUBS)


def test_trend_publications_drop_excluded_and_sort():
    shuffled = PUBS.iloc[[3, 0, 2, 1]]
    assert an.trend_publications(shuffled)["publication"].tolist() == ["p1", "p2", "p4"]
    assert an.latest_publication(shuffled) == "p4"
    no_flag = PUBS.drop(columns="trend_excluded")
    assert an.trend_publications(no_flag)["publication"].tolist() == ["p1", "p2", "p3", "p4"]


def test_presence_joins_and_rejects_unknown_keys(pres):
    assert len(pres) == 3 + 3 + 4  # p3 dropped
    assert set(pres.columns) >= {"published_at", "state", "support_type"}
    bad = pd.concat([LISTINGS, pd.DataFrame({"publication": ["p9"], "agreement_id": ["a1"]})])
    with pytest.raises(ValueError, match="p9"):
        an.presence(bad, AGREEMENTS, PUBS)
    bad = pd.concat([LISTINGS, pd.DataFrame({"publication": ["p1"], "agreement_id": ["zz"]})])
    with pytest.raises(ValueError, match="zz"):
        an.presence(bad, AGREEMENTS, PUBS)
    with pytest.raises(KeyError, match="agreement_id"):
        an.presence(LISTINGS.rename(columns={"agreement_id": "id"}), AGREEMENTS, PUBS)


def test_counts_total_and_by_support_type(pres):
    total = an.counts(pres, PUBS)
    assert total.tolist() == [3, 3, 4]
    assert list(total.index) == list(pd.to_datetime(["2025-05-01", "2025-05-08", "2025-05-15"]))
    by = an.counts(pres, PUBS, "support_type",
                   categories=["Jail Enforcement Model", "Task Force Model",
                               "Warrant Service Officer"])
    assert list(by.columns) == ["Jail Enforcement Model", "Task Force Model",
                                "Warrant Service Officer"]
    # p1: a1 TFM, a2 JEM, a3 WSO; p2: a1 TFM, a3 WSO, a4 TFM; p4: a1 TFM, a2 JEM, a4 TFM, a5 TFM
    assert by.to_numpy().tolist() == [[1, 1, 1], [0, 2, 1], [1, 3, 0]]
    assert (by.sum(axis=1) == total).all()


def test_share_pct(pres):
    fl = an.share_pct(pres, PUBS, "state", "Florida")
    # p1: a1 a2 Florida of 3; p2: a1 a4 of 3; p4: a1 a2 a4 of 4
    assert fl.round(6).tolist() == [round(200 / 3, 6), round(200 / 3, 6), 75.0]


def test_top_with_rest_keeps_the_total_and_breaks_ties_by_name():
    s = pd.Series({"Texas": 5, "Florida": 9, "Georgia": 5, "Utah": 1, "Ohio": 0})
    top = an.top_with_rest(s, 2, rest_label="Rest")
    assert top.to_dict() == {"Florida": 9, "Georgia": 5, "Rest": 6}
    assert top.sum() == s.sum()
    assert an.top_with_rest(s, 10).sum() == s.sum()
    assert "All other states" not in an.top_with_rest(s, 10).index


def test_value_before_and_pct_change():
    s = pd.Series([10, 20, 30], index=pd.to_datetime(["2025-01-01", "2025-01-19", "2025-01-20"]))
    assert an.value_before(s, "2025-01-20") == 20
    with pytest.raises(ValueError):
        an.value_before(s, "2024-12-31")
    assert an.pct_change(20, 30) == 50.0
    with pytest.raises(ValueError):
        an.pct_change(0, 3)


def test_cumulative_by_signing_skips_blank_and_invalid_dates():
    valid = pd.Series([True, True, True, True, False])  # a5's year 5025 is flagged
    cum = an.cumulative_by_signing(AGREEMENTS, valid=valid)
    assert cum["cumulative"].tolist() == [1, 2, 3]
    assert list(cum.index) == list(pd.to_datetime(["2019-06-01", "2025-02-20", "2025-03-01"]))
    assert cum.attrs == {"n_undated": 2, "n_dated": 3}
    by = an.cumulative_by_signing(AGREEMENTS, valid=valid, by="state")
    assert by.loc["2025-03-01"].to_dict() == {"Florida": 3}
    assert an.count_signed_before(AGREEMENTS, "2025-01-20", valid=valid) == 1
    assert an.count_signed_before(AGREEMENTS, "2025-03-01") == 2


def test_churn_by_hand(pres):
    ch = an.churn(pres, PUBS)
    # p1 -> p2: +a4 -a2; p2 -> p4 (p3 excluded): +a2 +a5, -a3
    assert ch[["publication", "n_previous", "n", "added", "removed"]].to_numpy().tolist() == [
        ["p2", 3, 3, 1, 1], ["p4", 3, 4, 2, 1]]
    assert (ch["n"] - ch["n_previous"] == ch["added"] - ch["removed"]).all()


def test_removals_table_by_hand(pres):
    rem = an.removals(pres, PUBS, AGREEMENTS)
    assert rem["agreement_id"].tolist() == ["a2", "a3"]
    assert rem["returned"].tolist() == [True, False]
    assert rem["last_listed"].tolist() == list(pd.to_datetime(["2025-05-01", "2025-05-08"]))
    assert rem["first_missing"].tolist() == list(pd.to_datetime(["2025-05-08", "2025-05-15"]))
    assert rem.loc[1, "state"] == "Texas"


def test_left_the_list(pres):
    gone = an.left_the_list(AGREEMENTS, pres, PUBS)
    assert gone["agreement_id"].tolist() == ["a3"]
    assert gone.loc[0, "first_listed"] == pd.Timestamp("2025-05-01")
    assert gone.loc[0, "last_listed"] == pd.Timestamp("2025-05-08")


def test_churn_matches_brute_force_sets_on_random_lists():
    rng = np.random.default_rng(7)
    n_pubs, ids = 12, [f"x{i}" for i in range(40)]
    pubs = pd.DataFrame({"publication": [f"q{i}" for i in range(n_pubs)],
                         "published_at": pd.date_range("2025-01-01", periods=n_pubs, freq="W")})
    lists = {p: sorted(rng.choice(ids, size=rng.integers(5, 30), replace=False))
             for p in pubs["publication"]}
    listings = pd.DataFrame([(p, a) for p, xs in lists.items() for a in xs],
                            columns=["publication", "agreement_id"])
    agreements = pd.DataFrame({"agreement_id": ids, "state": "Ohio", "agency": ids})
    pres = an.presence(listings, agreements, pubs)
    ch = an.churn(pres, pubs)
    keys = list(pubs["publication"])
    for i in range(1, n_pubs):
        before, after = set(lists[keys[i - 1]]), set(lists[keys[i]])
        row = ch.iloc[i - 1]
        assert row["added"] == len(after - before)
        assert row["removed"] == len(before - after)
    rem = an.removals(pres, pubs, agreements)
    assert len(rem) == ch["removed"].sum()
    for _, r in rem.iterrows():
        j = list(pubs["published_at"]).index(r["first_missing"])
        later = set().union(*[set(lists[k]) for k in keys[j + 1:]]) if j + 1 < n_pubs else set()
        assert r["returned"] == (r["agreement_id"] in later)


def test_expand_runs_round_trip():
    runs = pd.DataFrame({"agreement_id": ["a1", "a2", "a2"],
                         "first_publication": ["p1", "p1", "p4"],
                         "last_publication": ["p4", "p1", "p4"]})
    long = an.expand_runs(runs, PUBS)
    got = sorted(map(tuple, long[["publication", "agreement_id"]].to_numpy().tolist()))
    assert got == sorted([("p1", "a1"), ("p2", "a1"), ("p3", "a1"), ("p4", "a1"),
                          ("p1", "a2"), ("p4", "a2")])
    with pytest.raises(ValueError, match="end before"):
        an.expand_runs(runs.assign(first_publication=["p4", "p1", "p4"],
                                   last_publication=["p1", "p1", "p4"]), PUBS)
    with pytest.raises(ValueError, match="p7"):
        an.expand_runs(runs.assign(last_publication=["p7", "p1", "p4"]), PUBS)


def test_agency_presence_and_spells(pres):
    kw = an.agency_presence(pres, PUBS, "  key west police   department", state="FLORIDA")
    assert kw["listed"].tolist() == [True, True, True]
    mc = an.agency_presence(pres, PUBS, "Monroe County Sheriff's Office", state="Florida")
    # p1: a2 (JEM); p2: a4 (TFM); p4: a2 + a4
    assert mc["n_agreements"].tolist() == [1, 1, 2]
    assert mc["support_type"].tolist() == ["Jail Enforcement Model", "Task Force Model",
                                           "Jail Enforcement Model; Task Force Model"]
    harris = an.agency_presence(pres, PUBS, "Harris County Sheriff's Office")
    assert harris["listed"].tolist() == [True, True, False]
    spells = an.listing_spells(harris)
    assert spells[["listed", "n_publications"]].to_numpy().tolist() == [[True, 2], [False, 1]]
    assert spells.loc[1, "start"] == pd.Timestamp("2025-05-15")
    table = an.spells_table({"Harris": harris, "Key West": kw})
    assert table[["Agency", "On the list", "Publications"]].to_numpy().tolist() == [
        ["Harris", "yes", 2], ["Harris", "no", 1], ["Key West", "yes", 3]]
    assert table.loc[1, "From"] == "2025-05-15 am"
    nobody = an.agency_presence(pres, PUBS, "Nowhere Police")
    assert not nobody["listed"].any()


def test_additions_by_hand(pres):
    add = an.additions(pres, PUBS, AGREEMENTS)
    # p1 -> p2 adds a4; p2 -> p4 adds a2 (back) and a5
    assert add[["agreement_id", "was_listed_before"]].to_numpy().tolist() == [
        ["a4", False], ["a2", True], ["a5", False]]
    assert add["added_at"].tolist() == list(pd.to_datetime(["2025-05-08", "2025-05-15",
                                                            "2025-05-15"]))


def test_match_changed_records_pairs_edits_not_real_drops():
    t = pd.Timestamp("2025-06-01")
    removed = pd.DataFrame({
        "agreement_id": ["r1", "r2", "r3", "r4"],
        "state": ["Michigan", "Florida", "Texas", "Florida"],
        "agency": ["Berrian County Sheriff's Offic", "Fellsmere Police Department",
                   "Kerr County Sheriff's Office", "Okaloosa County Sheriff's Office"],
        "agency_type": ["County", "Municipality", "County", "County"],
        "county": ["Berrian County", "", "Kerr County", "Okaloosa County"],
        "support_type": ["Warrant Service Officer", "Task Force Model", "Jail Enforcement Model",
                         "Task Force Model"],
        "signed": ["2025-05-06", "2025-04-24", "2025-05-06", "2025-02-26"],
        "first_missing": [t, t, t, t],
    })
    added = pd.DataFrame({
        "agreement_id": ["n1", "n2", "n3", "n4"],
        "state": ["Michigan", "Florida", "Texas", "Florida"],
        # n1: typo fixed; n2: same agency, other support type (not an edit of r2);
        # n3: same agency and model but a week later (different transition);
        # n4: renamed, but same county, type and date
        "agency": ["Berrian County Sheriff's Office", "Fellsmere Police Department",
                   "Kerr County Sheriff's Office", "Okaloosa County Board of County Commissioners"],
        "agency_type": ["County", "Municipality", "County", "County"],
        "county": ["Berrian County", "", "Kerr County", "Okaloosa County"],
        "support_type": ["Warrant Service Officer", "Warrant Service Officer",
                         "Jail Enforcement Model", "Task Force Model"],
        "signed": ["2025-05-06", "2025-04-24", "2025-05-02", "2025-02-26"],
        "added_at": [t, t, t + pd.Timedelta(days=7), t],
    })
    out = an.match_changed_records(removed, added)
    assert out["kind"].tolist() == ["record changed", "dropped", "dropped", "record changed"]
    assert out["replaced_by"].tolist() == ["n1", "", "", "n4"]


def test_align_series_carries_forward_but_not_backward():
    a = pd.Series([1, 3], index=pd.to_datetime(["2025-01-01", "2025-01-10"]))
    b = pd.Series([5], index=pd.to_datetime(["2025-01-05"]))
    out = an.align_series({"a": a, "b": b})
    assert list(out.index) == list(pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-10"]))
    assert out["a"].tolist() == [1, 1, 3]
    assert out["b"].isna().tolist() == [True, False, False]
    assert out["b"].iloc[1:].tolist() == [5, 5]


def test_churn_by_period_sums_months(pres):
    ch = an.churn(pres, PUBS)
    monthly = an.churn_by_period(ch)
    # both transitions (May 8 and May 15) fall in May 2025
    assert monthly.index.tolist() == [pd.Timestamp("2025-05-01")]
    assert monthly.iloc[0].tolist() == [3, 2, 2]


def test_before_helpers_and_left_with_kind(pres):
    assert an.last_publication_before(PUBS, "2025-05-15") == "p2"  # p3 is trend-excluded
    with pytest.raises(ValueError):
        an.last_publication_before(PUBS, "2025-05-01")
    assert an.ids_listed_before(pres, "2025-05-09") == {"a1", "a2", "a3", "a4"}
    assert an.ids_on(pres, "p4") == {"a1", "a2", "a4", "a5"}
    gone = an.left_the_list(AGREEMENTS, pres, PUBS)
    removed = an.match_changed_records(an.removals(pres, PUBS, AGREEMENTS),
                                       an.additions(pres, PUBS, AGREEMENTS))
    out = an.left_with_kind(gone, removed)
    # a3 (Harris County, WSO) left at p4, where only a2 (Monroe, JEM) and a5 (Cobb, TFM) came
    assert out[["agreement_id", "kind"]].to_numpy().tolist() == [["a3", "dropped"]]
