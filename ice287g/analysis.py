"""Derivations behind the book's charts and numbers (the analysis notebooks call these).

Everything here works on three tidy frames (the loaders in :mod:`ice287g.load` return them):

``pubs``
    one row per ICE publication: ``publication`` (its key), ``published_at`` (timestamp) and,
    when the pipeline provides it, ``trend_excluded`` (bool; a mis-stamped or partial list that
    must stay out of trend lines). Order: by ``published_at`` then the key.
``agreements``
    one row per distinct agreement: ``agreement_id`` plus its attributes (``state``,
    ``agency``, ``agency_type``, ``support_type``, ``signed``...).
``presence``
    long form, one row per (``publication``, ``agreement_id``) listed, with the agreement's
    attributes and the publication's ``published_at`` joined on (see :func:`presence`).

No function here reads files or draws; each returns a DataFrame or a number, so it can be
tested on small frames built by hand (``tests/test_analysis.py``). The display helpers (the
``*_table`` functions, :func:`day_text`, :func:`listing_status_text`, :func:`meetings`' label)
write their headers, words and dates in the language in use (:mod:`ice287g.i18n`); agency and
state names stay as ICE wrote them, ICE's support types are translated with the glossary
(:func:`support_type_label`). The computations do not depend on the language.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n
from .i18n import tr
from .pipeline import thresholds
from .pipeline.s3_clean import STATES
from .pipeline.s3_clean import normalise_agency as agency_key

PUB = "publication"
WHEN = "published_at"
AID = "agreement_id"

#: ICE's three support types (canonical spellings), in the order charts list them.
SUPPORT_TYPES = list(thresholds.SUPPORT_TYPES)
#: ICE's agency types (the sheets' TYPE column), canonical spellings.
AGENCY_TYPES = list(thresholds.AGENCY_TYPES)


# --------------------------------------------------------------------------- the data
@dataclass
class Dataset:
    """The processed ICE data as the notebooks use it.

    ``pubs`` (all publications, with ``trend_excluded``), ``agreements``, ``listings`` (long
    form, every publication) and ``presence`` (listings of trend publications joined with
    agreement attributes and ``published_at``).
    """

    pubs: pd.DataFrame
    agreements: pd.DataFrame
    listings: pd.DataFrame
    presence: pd.DataFrame

    @property
    def trend(self) -> pd.DataFrame:
        """Trend publications in time order."""
        return trend_publications(self.pubs)

    @property
    def latest(self):
        """Key of the latest trend publication."""
        return latest_publication(self.pubs)

    def latest_rows(self) -> pd.DataFrame:
        """The agreements on the latest trend publication (presence rows)."""
        return on_publication(self.presence, self.latest)


def dataset(processed_dir: Path | None = None) -> Dataset:
    """Load the processed data (through :mod:`ice287g.load`) into a :class:`Dataset`.

    Listings stored as runs are expanded to long form by the loader. Publications without a
    ``trend_excluded`` column are all kept in trend lines.
    """
    from . import load

    pubs = load.snapshots(processed_dir)
    agreements = load.agreements(processed_dir)
    listings = load.listings(processed_dir)
    pres = presence(listings, agreements, pubs)
    return Dataset(pubs=pubs, agreements=agreements, listings=listings, presence=pres)


# --------------------------------------------------------------------------- publications
def trend_publications(pubs: pd.DataFrame) -> pd.DataFrame:
    """The publications that belong in trend lines, in time order.

    Rows flagged ``trend_excluded`` (when the column exists) are dropped; the order is by
    ``published_at``, keeping the given order among equal timestamps (the pipeline orders a
    list re-issued under the same stamp by capture time).
    """
    _require(pubs, [PUB, WHEN], "pubs")
    out = pubs
    if "trend_excluded" in pubs.columns:
        out = pubs[~pubs["trend_excluded"].fillna(False).astype(bool)]
    out = out.sort_values(WHEN, kind="stable").reset_index(drop=True)
    if out[PUB].duplicated().any():
        dup = out.loc[out[PUB].duplicated(), PUB].tolist()
        raise ValueError(f"publication keys repeat in pubs: {dup[:5]}")
    return out


def latest_publication(pubs: pd.DataFrame):
    """Key of the latest publication that belongs in trend lines."""
    ordered = trend_publications(pubs)
    if ordered.empty:
        raise ValueError("there is no publication to take the latest of")
    return ordered[PUB].iloc[-1]


def presence(listings: pd.DataFrame, agreements: pd.DataFrame, pubs: pd.DataFrame, *,
             trend_only: bool = True) -> pd.DataFrame:
    """Join listings (``publication``, ``agreement_id``) with agreement attributes and dates.

    With ``trend_only`` (the default) rows of trend-excluded publications are dropped. A
    listing naming an unknown publication or agreement is an error, not a silent drop.
    """
    _require(listings, [PUB, AID], "listings")
    _require(agreements, [AID], "agreements")
    keep = trend_publications(pubs) if trend_only else pubs
    unknown_pub = ~listings[PUB].isin(pubs[PUB])
    if unknown_pub.any():
        raise ValueError(f"listings name publications missing from pubs: "
                         f"{sorted(set(listings.loc[unknown_pub, PUB]))[:5]}")
    unknown_aid = ~listings[AID].isin(agreements[AID])
    if unknown_aid.any():
        raise ValueError(f"listings name agreements missing from agreements: "
                         f"{sorted(set(listings.loc[unknown_aid, AID]))[:5]}")
    rows = listings[[PUB, AID]].merge(keep[[PUB, WHEN]], on=PUB, how="inner")
    attrs = agreements.drop(columns=[c for c in (PUB, WHEN) if c in agreements.columns])
    return rows.merge(attrs, on=AID, how="left", validate="many_to_one")


def expand_runs(runs: pd.DataFrame, pubs: pd.DataFrame, *, start: str = "first_publication",
                end: str = "last_publication") -> pd.DataFrame:
    """Turn presence stored as runs into long listings (``publication``, ``agreement_id``).

    A run says an agreement was on every publication from ``start`` to ``end`` inclusive, in
    the order of ``pubs`` (all publications, trend-excluded ones included).
    """
    from .load import expand_runs as decode

    _require(runs, [AID, start, end], "runs")
    order = pubs.sort_values(WHEN, kind="stable")[PUB].tolist()
    return decode(runs, order, AID, start=start, end=end)


# --------------------------------------------------------------------------- counts
def counts(presence_: pd.DataFrame, pubs: pd.DataFrame, by: str | None = None, *,
           categories: Iterable[str] | None = None) -> pd.DataFrame | pd.Series:
    """Agreements listed per trend publication, optionally split by a column.

    Returns a Series (``by=None``) or a DataFrame with one column per category, indexed by
    ``published_at`` in publication order; a category absent from a publication counts 0.
    """
    order = trend_publications(pubs)
    if by is None:
        n = presence_.groupby(PUB).size()
        return pd.Series(n.reindex(order[PUB]).fillna(0).astype(int).to_numpy(),
                         index=pd.DatetimeIndex(order[WHEN], name=WHEN), name="n_agreements")
    _require(presence_, [by], "presence")
    table = pd.crosstab(presence_[PUB], presence_[by].fillna("(blank)"))
    table = table.reindex(order[PUB]).fillna(0).astype(int)
    if categories is not None:
        cats = list(categories)
        table = table.reindex(columns=cats + [c for c in table.columns if c not in cats],
                              fill_value=0)
    table.index = pd.DatetimeIndex(order[WHEN], name=WHEN)
    table.columns.name = by
    return table


def on_publication(presence_: pd.DataFrame, publication) -> pd.DataFrame:
    """The rows (agreements) of one publication."""
    return presence_[presence_[PUB] == publication]


def top_with_rest(values: pd.Series, n: int, rest_label: str = "All other states") -> pd.Series:
    """Counts of the ``n`` largest categories plus one row summing the rest.

    Ties are broken by name so the result is stable. The total is unchanged.
    """
    values = values[values > 0]
    ranked = values.rename_axis("key").reset_index(name="v").sort_values(
        ["v", "key"], ascending=[False, True], kind="stable")
    top = pd.Series(ranked["v"].to_numpy()[:n], index=ranked["key"].to_numpy()[:n],
                    name=values.name)
    rest = int(ranked["v"].iloc[n:].sum())
    if rest:
        top.loc[rest_label] = rest
    return top


def share_pct(presence_: pd.DataFrame, pubs: pd.DataFrame, column: str, value) -> pd.Series:
    """Per trend publication, the percentage of listed agreements whose ``column`` is ``value``."""
    total = counts(presence_, pubs)
    part = counts(presence_[presence_[column] == value], pubs)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 100.0 * part / total.replace(0, np.nan)
    return out.rename(f"share_{value}_pct")


def value_before(series: pd.Series, date) -> float:
    """The last value of a time-indexed series strictly before ``date`` (error if none)."""
    when = pd.Timestamp(date)
    before = series[series.index < when]
    if before.empty:
        raise ValueError(f"no value before {when.date()} (series starts {series.index.min()})")
    return before.iloc[-1]


def pct_change(old: float, new: float) -> float:
    """Percentage change from ``old`` to ``new``."""
    if old == 0:
        raise ValueError("percentage change from zero is undefined")
    return 100.0 * (new - old) / old


def change_over(series: pd.Series | pd.DataFrame, years: int = 1) -> pd.Series | float:
    """How much a step series (a count per publication, indexed by date) changed over the last
    ``years``: its latest value minus its value on the last date at or before
    ``latest date - years`` (for a frame: per column).

    A series that starts after that date is shorter than the period asked for: that is a
    ``ValueError`` naming both dates, not a silent change since the first value.
    """
    if len(series) == 0:
        raise ValueError("an empty series has no change over time")
    ordered = series.sort_index(kind="stable")
    end = ordered.index[-1]
    start = end - pd.DateOffset(years=years)
    before = ordered[ordered.index <= start]
    if before.empty:
        raise ValueError(
            f"the series covers {ordered.index[0]:%Y-%m-%d} to {end:%Y-%m-%d}, less than the "
            f"{years} year(s) asked for (it would need a value on or before {start:%Y-%m-%d})")
    return ordered.iloc[-1] - before.iloc[-1]


#: The 50 states and the District of Columbia, as ICE's sheets name them; any other STATE
#: value on a list (Guam, the Northern Mariana Islands...) is a territory.
STATES_AND_DC = frozenset({
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "District of Columbia", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois",
    "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts",
    "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada",
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota",
    "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina",
    "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington",
    "West Virginia", "Wisconsin", "Wyoming"})


def count_states(rows: pd.DataFrame, *, state_col: str = "state") -> dict[str, int]:
    """How many states (the 50 and DC) and how many territories the rows' agencies are in:
    ``{"states": 38, "territories": 2}`` (a territory is not a state: a sentence about
    "states" must not count Guam)."""
    _require(rows, [state_col], "rows")
    names = set(rows[state_col].dropna().astype(str))
    states = names & STATES_AND_DC
    return {"states": len(states), "territories": len(names - states)}


def count_agencies(rows: pd.DataFrame, *, state_col: str = "state",
                   agency_col: str = "agency") -> int:
    """Distinct agencies among agreement rows: pairs of state and :func:`normalise_name` of the
    agency, so one agency spelled with a straight and a curly apostrophe counts once (as the
    pipeline's ``snapshots.n_agencies`` counts it)."""
    _require(rows, [state_col, agency_col], "rows")
    keys = pd.DataFrame({"s": rows[state_col].to_numpy(),
                         "a": _normalised(rows[agency_col]).to_numpy()})
    return int(len(keys.drop_duplicates()))


# --------------------------------------------------------------------------- signing dates
def cumulative_by_signing(agreements_: pd.DataFrame, *, date_col: str = "signed",
                          valid: pd.Series | None = None, by: str | None = None) -> pd.DataFrame:
    """Agreements by signing date, cumulative (optionally one column per category of ``by``).

    ``valid`` is a boolean mask of rows whose date may be used (e.g. not flagged impossible);
    rows with no date or an invalid one are left out and counted in ``attrs["n_undated"]``.
    Indexed by date (one row per date with a signing), sorted.
    """
    _require(agreements_, [date_col], "agreements")
    dates = pd.to_datetime(agreements_[date_col], errors="coerce")
    usable = dates.notna()
    if valid is not None:
        usable &= valid.reindex(agreements_.index).fillna(False).astype(bool)
    frame = agreements_.loc[usable].assign(_date=dates[usable])
    if by is None:
        out = frame.groupby("_date").size().sort_index().cumsum().to_frame("cumulative")
    else:
        out = pd.crosstab(frame["_date"], frame[by]).sort_index().cumsum()
    out.index.name = date_col
    out.attrs["n_undated"] = int((~usable).sum())
    out.attrs["n_dated"] = int(usable.sum())
    return out


def count_signed_before(agreements_: pd.DataFrame, date, *, date_col: str = "signed",
                        valid: pd.Series | None = None) -> int:
    """How many agreements have a usable signing date strictly before ``date``."""
    dates = pd.to_datetime(agreements_[date_col], errors="coerce")
    mask = dates < pd.Timestamp(date)
    if valid is not None:
        mask &= valid.reindex(agreements_.index).fillna(False).astype(bool)
    return int(mask.sum())


# --------------------------------------------------------------------------- churn
def presence_matrix(presence_: pd.DataFrame, pubs: pd.DataFrame) -> pd.DataFrame:
    """Boolean matrix: agreements (rows) × trend publications (columns, in order)."""
    order = trend_publications(pubs)[PUB].tolist()
    col_of = {key: i for i, key in enumerate(order)}
    rows = presence_[presence_[PUB].isin(col_of)]
    codes, ids = pd.factorize(rows[AID], sort=True)
    cols = rows[PUB].map(col_of).to_numpy(dtype="int64")
    m = np.zeros((len(ids), len(order)), dtype=bool)
    m[codes, cols] = True
    out = pd.DataFrame(m, index=pd.Index(ids, name=AID), columns=pd.Index(order, name=PUB))
    return out


def churn(presence_: pd.DataFrame, pubs: pd.DataFrame) -> pd.DataFrame:
    """Agreements added and removed between each pair of consecutive trend publications.

    One row per publication after the first: its ``published_at``, the previous one's
    (``previous_at``), agreements listed on each, ``added`` (on this list, not the previous)
    and ``removed`` (on the previous list, not this one). ``n - n_previous == added - removed``.
    """
    order = trend_publications(pubs)
    m = presence_matrix(presence_, pubs).to_numpy()
    if m.shape[1] < 2:
        return pd.DataFrame(columns=[PUB, WHEN, "previous_at", "n_previous", "n", "added",
                                     "removed"])
    prev, cur = m[:, :-1], m[:, 1:]
    return pd.DataFrame({
        PUB: order[PUB].iloc[1:].to_numpy(),
        WHEN: order[WHEN].iloc[1:].to_numpy(),
        "previous_at": order[WHEN].iloc[:-1].to_numpy(),
        "n_previous": prev.sum(axis=0),
        "n": cur.sum(axis=0),
        "added": (cur & ~prev).sum(axis=0),
        "removed": (prev & ~cur).sum(axis=0),
    })


def removals(presence_: pd.DataFrame, pubs: pd.DataFrame, agreements_: pd.DataFrame,
             attrs: Iterable[str] = ("state", "agency", "agency_type", "support_type", "signed"),
             ) -> pd.DataFrame:
    """Every removal: an agreement on one trend publication and missing from the next.

    Columns: ``agreement_id``, the chosen attributes, ``last_listed`` (published_at of the
    last list that had it), ``first_missing`` (the next list's) and ``returned`` (whether it
    appears again on a later list). Sorted by ``first_missing``, then state and agency.
    """
    order = trend_publications(pubs)
    mat = presence_matrix(presence_, pubs)
    m = mat.to_numpy()
    when = order[WHEN].to_numpy()
    rows = []
    if m.shape[1] >= 2:
        gone = m[:, :-1] & ~m[:, 1:]
        ever_after = np.flip(np.logical_or.accumulate(np.flip(m, axis=1), axis=1), axis=1)
        r, c = np.nonzero(gone)
        returned = np.zeros(len(r), dtype=bool)
        has_later = c + 2 < m.shape[1]
        returned[has_later] = ever_after[r[has_later], c[has_later] + 2]
        rows = pd.DataFrame({AID: mat.index.to_numpy()[r], "last_listed": when[c],
                             "first_missing": when[c + 1], "returned": returned})
    else:
        rows = pd.DataFrame(columns=[AID, "last_listed", "first_missing", "returned"])
    cols = [a for a in attrs if a in agreements_.columns]
    out = rows.merge(agreements_[[AID, *cols]], on=AID, how="left")
    out = out[[AID, *cols, "last_listed", "first_missing", "returned"]]
    sort = ["first_missing"] + [c for c in ("state", "agency") if c in cols]
    return out.sort_values(sort, kind="stable").reset_index(drop=True)


def additions(presence_: pd.DataFrame, pubs: pd.DataFrame, agreements_: pd.DataFrame,
              attrs: Iterable[str] = ("state", "agency", "agency_type", "county",
                                      "support_type", "signed")) -> pd.DataFrame:
    """Every addition after the first list: an agreement missing from one trend publication
    and on the next. Columns: ``agreement_id``, the attributes, ``added_at`` (published_at of
    the list that first has it again) and ``was_listed_before`` (it had been on an earlier list).
    """
    order = trend_publications(pubs)
    mat = presence_matrix(presence_, pubs)
    m = mat.to_numpy()
    when = order[WHEN].to_numpy()
    if m.shape[1] >= 2:
        new = m[:, 1:] & ~m[:, :-1]
        ever_before = np.logical_or.accumulate(m, axis=1)
        r, c = np.nonzero(new)
        rows = pd.DataFrame({AID: mat.index.to_numpy()[r], "added_at": when[c + 1],
                             "was_listed_before": ever_before[r, c]})
    else:
        rows = pd.DataFrame(columns=[AID, "added_at", "was_listed_before"])
    cols = [a for a in attrs if a in agreements_.columns]
    out = rows.merge(agreements_[[AID, *cols]], on=AID, how="left")
    out = out[[AID, *cols, "added_at", "was_listed_before"]]
    sort = ["added_at"] + [c for c in ("state", "agency") if c in cols]
    return out.sort_values(sort, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- edited rows
#: Abbreviations ICE's rows use for the same words (after punctuation is dropped).
NAME_ABBREVIATIONS = {
    "pd": "police department", "so": "sheriffs office", "dps": "department of public safety",
    "dept": "department", "dpt": "department", "doc": "department of corrections",
    "doj": "department of justice", "twp": "township", "bocc": "board of county commissioners",
    "hwy": "highway", "le": "law enforcement", "ft": "fort",
}
#: Words a name may gain or lose and still name the same agency ("City of Zephyrhills Police
#: Department" / "Zephyrhills Police Department"; "Arkansas State Police" / "... Department").
NAME_FILLER = frozenset({"city", "town", "village", "borough", "of", "the", "department"})

#: How :func:`match_changed_records` paired a removal with the row that replaced it.
MATCH_SAME_LIST_NAME = "edited name, same list"
MATCH_SAME_LIST_DETAILS = "same county, agency type and signing date, same list"
MATCH_SAME_LIST_SIMILAR = "similar name and same signing date, same list"
MATCH_OTHER_LIST_NAME = "edited name, another list"
MATCH_SAME_MOA = "same agreement document (MOA link)"
MATCH_SAME_LIST_STATE = "corrected state, same list"
MATCH_REDATED = "corrected signing date, a later list"
MATCH_RULES = (MATCH_SAME_MOA, MATCH_SAME_LIST_NAME, MATCH_SAME_LIST_STATE,
               MATCH_SAME_LIST_DETAILS, MATCH_SAME_LIST_SIMILAR, MATCH_OTHER_LIST_NAME,
               MATCH_REDATED)
#: A re-dated row (:data:`MATCH_REDATED`) first appears at most this many trend lists after
#: the list that dropped the old row (ICE's lists skip a row for a list or two while editing).
REDATED_MAX_LISTS = 3


def name_tokens(name: str, state: str | None = None) -> tuple[str, ...]:
    """An agency name as words to compare: :func:`normalise_name`, then "&" read as "and",
    apostrophes dropped, other punctuation as spaces, the abbreviations of
    :data:`NAME_ABBREVIATIONS` spelled out, and the state's USPS code (``MT`` in a Montana
    row) read as the state's name."""
    text = normalise_name(name).replace("&", " and ").replace("'", "")
    text = re.sub(r"[^\w\s]|_", " ", text)
    code = STATES.get(str(state).upper(), "").casefold() if state else ""
    words: list[str] = []
    for word in text.split():
        if code and word == code:
            words += str(state).casefold().split()
        else:
            words += NAME_ABBREVIATIONS.get(word, word).split()
    return tuple(words)


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) of two short words."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    it = iter(long)
    return all(word in it for word in short)


def _stem(word: str) -> str:
    """A word without a plural or possessive ``s`` ("Lyons" / "Lyon", "Forks" / "Fork")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _typo(x: str, y: str) -> bool:
    """Whether two different words are one small typo apart: one letter inserted, dropped or
    changed in a word of 6 or more letters (two in one of 10 or more), or two neighbouring
    letters swapped in a word of 5 or more ("Macro" / "Marco"). Short words must match, so
    "Hale" and "Hall" stay two counties."""
    longest = max(len(x), len(y))
    if len(x) == len(y) and longest >= 5:
        diff = [i for i in range(len(x)) if x[i] != y[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] \
                and x[diff[1]] == y[diff[0]]:
            return True
    return longest >= 6 and _edits(x, y) <= (2 if longest >= 10 else 1)


def same_agency_name(a: str, b: str, state: str | None = None) -> bool:
    """Whether two spellings name the same agency, as ICE's edits of a row do.

    Compares the words of :func:`name_tokens` (case, spacing, apostrophes, punctuation,
    "&"/"and", the abbreviations PD, SO, DPS, Dept... and the state's code ignored), each
    without a plural ``s``. True when they are equal; when one name is the other plus only
    filler words (:data:`NAME_FILLER`, or the state's own name: "Department of Corrections" /
    "Alaska Department of Corrections"); or when they differ in one word by a small typo
    (see :func:`_typo`). Different place names ("Marion County" / "Prairie County") do not match.
    """
    ta = tuple(_stem(w) for w in name_tokens(a, state))
    tb = tuple(_stem(w) for w in name_tokens(b, state))
    if not ta or not tb:
        return False
    if ta == tb:
        return True
    filler = NAME_FILLER | {_stem(w) for w in str(state or "").casefold().split()}
    short, long = sorted((ta, tb), key=len)
    if len(short) < len(long):
        extra = Counter(long) - Counter(short)
        return _is_subsequence(short, long) and set(extra) <= filler \
            and not set(short) <= filler
    diff = [(x, y) for x, y in zip(ta, tb) if x != y]
    return len(diff) == 1 and _typo(*diff[0])


def _known(value) -> bool:
    """A value that is there: not None, NaN, NaT or blank."""
    return not (value is None or (isinstance(value, str) and value == "") or pd.isna(value))


def match_changed_records(removed: pd.DataFrame, added: pd.DataFrame, *,
                          listed: pd.DataFrame | None = None,
                          min_similarity: float = 0.85) -> pd.DataFrame:
    """Mark removals that are really ICE editing a row (the agreement id is derived from the
    row's content, so a corrected name or date looks like one removal plus one addition).

    Candidates have the same support type, and (but for rules 0 and 1b) the same state. A
    removal is paired, in this order, with

    0. with ``listed``, an agreement listed on or after ``first_missing`` whose MOA link (ICE's
       signed document, ``moa_url``) is the removed row's, in the same state or under the same
       agency name (a renamed row, or a corrected state or date, printed with the same
       document) -- :data:`MATCH_SAME_MOA`;
    1. an addition on the same list transition (``added_at`` equals ``first_missing``) whose
       agency name is the same by :func:`same_agency_name` (the signing date may differ: ICE
       corrected it) -- :data:`MATCH_SAME_LIST_NAME`;
    1b. an addition on the same transition in another state with the same agency name and
       signing date (ICE corrected the state) -- :data:`MATCH_SAME_LIST_STATE`;
    2. an addition on the same transition with the same (non-blank) county, agency type and
       signing date, whatever its name -- :data:`MATCH_SAME_LIST_DETAILS`;
    3. an addition on the same transition with the same (non-blank) signing date whose name is
       at least ``min_similarity`` alike (difflib ratio of :func:`normalise_name`; catches
       larger slips such as "Freedom County" for "Freeborn County") --
       :data:`MATCH_SAME_LIST_SIMILAR`;
    4. with ``listed`` (presence rows: ``agreement_id``, ``published_at`` and the agreement
       attributes), any other agreement listed on or after ``first_missing`` with the same
       (non-blank) signing date and the same agency name by :func:`same_agency_name`: the edited
       row appeared on an earlier or a later list than the one that dropped the old row --
       :data:`MATCH_OTHER_LIST_NAME`;
    5. with ``listed``, an agreement of the same agency name, state and support type with
       another signing date, first listed at most ``REDATED_MAX_LISTS`` trend lists after
       the old row's last (ICE corrected the date) -- :data:`MATCH_REDATED`.

    Among several candidates of one rule the most similar name wins (then the smallest id).
    Adds ``kind`` ("record changed" or "dropped"), ``replaced_by`` (the matching agreement's
    ``agreement_id``, else empty) and ``match`` (the rule, else empty).
    """
    from difflib import SequenceMatcher

    out = removed.copy()
    by_time = {k: g for k, g in added.groupby("added_at")} if len(added) else {}
    later = None
    if listed is not None and len(listed):
        _require(listed, [AID, WHEN, "state", "agency", "support_type", "signed"], "listed")
        last = listed.groupby(AID)[WHEN].max().rename("_last_listed")
        later = (listed.drop_duplicates(AID)[[AID, "state", "agency", "support_type", "signed"]]
                 .merge(last, left_on=AID, right_index=True))
        later = {k: g for k, g in later[later["signed"].notna()].groupby(
            ["state", "support_type", "signed"])}

    def similarity(row, cand) -> float:
        return SequenceMatcher(None, normalise_name(row.agency),
                               normalise_name(cand.agency)).ratio()

    def best(row, cands) -> str:
        return min(cands, key=lambda c: (-similarity(row, c), c.agreement_id)).agreement_id

    first_of, when_pos, when_order = None, {}, []
    if later is not None:
        when_order = sorted(listed[WHEN].unique())
        when_pos = {w: k for k, w in enumerate(when_order)}
        starts = listed.groupby(AID)[WHEN].min().rename("_first_listed")
        first_of = {k: g for k, g in listed.drop_duplicates(AID)[[AID, "state", "agency",
                    "support_type"]].merge(starts, left_on=AID, right_index=True)
                    .groupby(["state", "support_type"])}
    by_moa = {}
    if later is not None and "moa_url" in listed.columns:
        last_of = listed.groupby(AID)[WHEN].max()
        firsts = listed.drop_duplicates(AID).set_index(AID)
        for moa, ids in listed[listed["moa_url"].map(_known)].groupby("moa_url")[AID]:
            by_moa[moa] = [(firsts.loc[i], last_of[i]) for i in dict.fromkeys(ids)]

    kinds, repl, rules = [], [], []
    for row in out.itertuples(index=False):
        found, rule = "", ""
        moa = getattr(row, "moa_url", None)
        if _known(moa) and moa in by_moa:
            cands = [c for c, last_at in by_moa[moa] if c.name != row.agreement_id
                     and last_at >= row.first_missing and c["support_type"] == row.support_type
                     and (c["state"] == row.state
                          or same_agency_name(row.agency, c["agency"], None))]
            if cands:
                found, rule = min(c.name for c in cands), MATCH_SAME_MOA
        same = by_time.get(row.first_missing)
        if same is not None and not found:
            moved = same[(same["state"] != row.state) & (same["support_type"] == row.support_type)
                         & (same[AID] != row.agreement_id)]
            same = same[(same["state"] == row.state) & (same["support_type"] == row.support_type)
                        & (same[AID] != row.agreement_id)]
            cands = list(same.itertuples(index=False))
            by_state = [c for c in moved.itertuples(index=False)
                        if _known(getattr(row, "signed", None)) and c.signed == row.signed
                        and same_agency_name(row.agency, c.agency, None)]
            by_name = [c for c in cands if same_agency_name(row.agency, c.agency, row.state)]
            by_details = [c for c in cands if all(
                hasattr(row, f) and hasattr(c, f) and _known(getattr(row, f))
                and getattr(row, f) == getattr(c, f) for f in ("county", "agency_type", "signed"))]
            by_similar = [c for c in cands if _known(getattr(row, "signed", None))
                          and getattr(c, "signed", None) == row.signed
                          and similarity(row, c) >= min_similarity]
            if by_name:
                found, rule = best(row, by_name), MATCH_SAME_LIST_NAME
            elif by_state:
                found, rule = best(row, by_state), MATCH_SAME_LIST_STATE
            elif by_details:
                found, rule = best(row, by_details), MATCH_SAME_LIST_DETAILS
            elif by_similar:
                found, rule = best(row, by_similar), MATCH_SAME_LIST_SIMILAR
        if not found and later is not None and _known(getattr(row, "signed", None)):
            group = later.get((row.state, row.support_type, row.signed))
            if group is not None:
                group = group[(group["_last_listed"] >= row.first_missing)
                              & (group[AID] != row.agreement_id)]
                cands = [c for c in group.itertuples(index=False)
                         if same_agency_name(row.agency, c.agency, row.state)]
                if cands:
                    found, rule = best(row, cands), MATCH_OTHER_LIST_NAME
        if not found and first_of is not None:
            k = when_pos.get(row.last_listed)
            if k is not None:
                until = when_order[min(k + REDATED_MAX_LISTS, len(when_order) - 1)]
                group = first_of.get((row.state, row.support_type))
                if group is not None:
                    group = group[(group["_first_listed"] > row.last_listed)
                                  & (group["_first_listed"] <= until)
                                  & (group[AID] != row.agreement_id)]
                    cands = [c for c in group.itertuples(index=False)
                             if same_agency_name(row.agency, c.agency, row.state)]
                    if cands:
                        found, rule = best(row, cands), MATCH_REDATED
        kinds.append("record changed" if found else "dropped")
        repl.append(found)
        rules.append(rule)
    out["kind"] = kinds
    out["replaced_by"] = repl
    out["match"] = rules
    return out


def match_counts(matched: pd.DataFrame) -> dict[str, int]:
    """How many rows of :func:`match_changed_records` output each rule paired (every rule of
    :data:`MATCH_RULES`, zeros included), and how many are ``dropped``."""
    counts = matched["match"].value_counts()
    out = {rule: int(counts.get(rule, 0)) for rule in MATCH_RULES}
    out["dropped"] = int((matched["kind"] == "dropped").sum())
    return out


def left_the_list(agreements_: pd.DataFrame, presence_: pd.DataFrame,
                  pubs: pd.DataFrame) -> pd.DataFrame:
    """Agreements listed on some trend publication but not on the latest one."""
    mat = presence_matrix(presence_, pubs)
    gone_ids = mat.index[~mat.iloc[:, -1].to_numpy()]
    last = mat.loc[gone_ids].to_numpy()
    when = trend_publications(pubs)[WHEN].to_numpy()
    last_idx = last.shape[1] - 1 - np.argmax(np.flip(last, axis=1), axis=1)
    first_idx = np.argmax(last, axis=1)
    info = pd.DataFrame({AID: gone_ids, "first_listed": when[first_idx],
                         "last_listed": when[last_idx]})
    out = info.merge(agreements_, on=AID, how="left", suffixes=("", "_agreements"))
    return out.sort_values(["last_listed", AID], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- one agency
def normalise_name(value: str) -> str:
    """An agency name as the pipeline compares it (case, whitespace and curly vs straight
    apostrophes ignored): the one agency-name normaliser,
    ``ice287g.pipeline.s3_clean.normalise_agency``."""
    return agency_key(str(value))


def _normalised(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` of every value, computed once per distinct value."""
    uniq = pd.unique(values)
    return values.map(dict(zip(uniq, (normalise_name(u) for u in uniq))))


def agency_presence(presence_: pd.DataFrame, pubs: pd.DataFrame, agency: str, *,
                    state: str | None = None, state_col: str = "state",
                    agency_col: str = "agency", detail: str = "support_type") -> pd.DataFrame:
    """Whether one agency was on each trend publication, and with which agreements.

    Matches the agency name ignoring case and spacing (and the state, when given). One row
    per trend publication: ``published_at``, ``listed`` (bool), ``n_agreements`` and the
    sorted, ``; ``-joined values of ``detail`` (e.g. support types) it was listed with.
    """
    order = trend_publications(pubs)
    mask = _normalised(presence_[agency_col]) == normalise_name(agency)
    if state is not None:
        mask &= _normalised(presence_[state_col]) == normalise_name(state)
    rows = presence_[mask]
    n = rows.groupby(PUB).size()
    kinds = rows.groupby(PUB)[detail].agg(lambda s: "; ".join(sorted(set(map(str, s)))))
    out = pd.DataFrame({PUB: order[PUB].to_numpy(), WHEN: order[WHEN].to_numpy()})
    out["n_agreements"] = out[PUB].map(n).fillna(0).astype(int)
    out["listed"] = out["n_agreements"] > 0
    out[detail] = [kinds.get(key, "") for key in out[PUB]]
    return out


def agency_agreements(agreements_: pd.DataFrame, agency: str, state: str) -> pd.DataFrame:
    """The agreements (rows of ``agreements``) of one agency in one state, the name matched as
    :func:`agency_presence` matches it (:func:`normalise_name`)."""
    _require(agreements_, ["state", "agency"], "agreements")
    mask = (_normalised(agreements_["agency"]) == normalise_name(agency)) \
        & (_normalised(agreements_["state"]) == normalise_name(state))
    return agreements_[mask]


def listing_facts(agency_rows: pd.DataFrame, *, signed=None,
                  windows: dict[str, tuple] | None = None) -> dict:
    """What :func:`agency_presence` output says about one agency's place on the lists.

    Keys: ``n_publications`` (trend publications), ``n_listed``, ``first_listed`` (published_at
    of the first list that has it, or None), ``n_before_first`` (publications before that),
    ``n_missing_since_first`` (publications from the first listing on that lack it), and,
    with ``signed`` (a date), ``days_signed_to_first_list`` (calendar days from the signing to
    the first listing's day). Each ``windows`` entry ``name: (start, end)`` adds
    ``n_publications_<name>`` and ``n_listed_<name>`` for publications with
    ``start <= published_at < end`` (``end`` None: no upper bound).
    """
    _require(agency_rows, [WHEN, "listed"], "agency_rows")
    when = pd.to_datetime(agency_rows[WHEN])
    listed = agency_rows["listed"].astype(bool)
    first = when[listed].min() if listed.any() else None
    out = {
        "n_publications": int(len(agency_rows)),
        "n_listed": int(listed.sum()),
        "first_listed": first,
        "n_before_first": int((when < first).sum()) if first is not None else int(len(when)),
        "n_missing_since_first": int((~listed[when >= first]).sum()) if first is not None else 0,
    }
    if signed is not None:
        if first is None:
            raise ValueError("the agency is on no list: there is no first listing to date")
        out["days_signed_to_first_list"] = int((first.normalize() - pd.Timestamp(signed)).days)
    for name, (start, end) in (windows or {}).items():
        inside = when >= pd.Timestamp(start)
        if end is not None:
            inside &= when < pd.Timestamp(end)
        out[f"n_publications_{name}"] = int(inside.sum())
        out[f"n_listed_{name}"] = int((inside & listed).sum())
    return out


def listing_spells(agency_rows: pd.DataFrame) -> pd.DataFrame:
    """Collapse :func:`agency_presence` output into spells of listed / not listed.

    One row per run of consecutive publications with the same ``listed`` value: ``listed``,
    ``start`` and ``end`` (published_at of the first and last publication of the run) and
    ``n_publications``.
    """
    if agency_rows.empty:
        return pd.DataFrame(columns=["listed", "start", "end", "n_publications"])
    listed = agency_rows["listed"].to_numpy()
    run = np.concatenate([[0], np.cumsum(listed[1:] != listed[:-1])])
    g = agency_rows.assign(_run=run).groupby("_run")
    return pd.DataFrame({
        "listed": g["listed"].first().to_numpy(),
        "start": g[WHEN].first().to_numpy(),
        "end": g[WHEN].last().to_numpy(),
        "n_publications": g.size().to_numpy(),
    })


def day_text(ts, lang: str | None = None) -> str:
    """A date as the chapters write it: ``March 5, 2025`` / ``5 de marzo de 2025``
    (:func:`ice287g.i18n.format_date`)."""
    return i18n.format_date(ts, lang)


def join_and(items: Iterable[str], lang: str | None = None) -> str:
    """``a and b`` / ``a y b`` (more items: ``a and b and c``)."""
    items = list(items)
    if not items:
        return ""
    text = items[0]
    for item in items[1:]:
        text = tr("{a} and {b}", lang=lang, a=text, b=item)
    return text


def support_type_label(value, lang: str | None = None, *, in_sentence: bool = False) -> str:
    """One of ICE's support types as the book shows it: ICE's English name, or its glossary
    translation ("Task Force Model" -> "Modelo de fuerza de tarea"). ``in_sentence``: the form
    for running text, where Spanish writes the common noun in lower case ("un acuerdo del
    modelo de fuerza de tarea") and English keeps ICE's capitals. A value that is not one of
    the three models (blank, or a raw value the pipeline flagged) is shown as ICE wrote it
    (:func:`ice287g.i18n.label`: in Spanish an untranslated label, which tables mark).
    """
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    if text not in SUPPORT_TYPES:
        return i18n.label(text, lang)
    label = tr(text, lang=lang)
    lang = i18n.language() if lang is None else lang
    if in_sentence and lang != i18n.DEFAULT_LANGUAGE:
        label = label[:1].lower() + label[1:]
    return label


def _yes_no(values: Iterable[bool], lang: str | None = None) -> list[str]:
    return [tr("yes" if bool(v) else "no", lang=lang) for v in values]


def listing_status(presence_: pd.DataFrame, pubs: pd.DataFrame, agreements_: pd.DataFrame,
                   agency: str, state: str) -> dict:
    """Where one agency stands on ICE's lists: ever listed, when first and last, on the latest.

    The agency's agreements are found as :func:`agency_agreements` finds them (name and state
    normalised); only trend publications count (``presence_``). Keys: ``n_agreements``
    (distinct agreements of the agency on any trend publication), ``first_listed`` and
    ``last_listed`` (``published_at`` of the first and last publication listing any of them,
    None if never listed), ``on_latest`` (bool: listed on :func:`latest_publication`),
    ``signed_latest`` (sorted signing dates ICE gives for the agreements on the latest list;
    blank or unreadable dates left out) and ``signed_all`` (the same for every listed
    agreement).
    """
    _require(presence_, [PUB, WHEN, AID], "presence")
    _require(agreements_, [AID, "signed"], "agreements")
    ids = set(agency_agreements(agreements_, agency, state)[AID])
    seen = presence_[presence_[AID].isin(ids)]
    latest = latest_publication(pubs)
    on_latest = set(seen.loc[seen[PUB] == latest, AID])
    when = pd.to_datetime(seen[WHEN])
    signed = pd.to_datetime(agreements_.set_index(AID)["signed"], errors="coerce")

    def dates(which):
        return sorted(d for d in signed.reindex(sorted(which)).dropna().unique())

    return {
        "n_agreements": int(seen[AID].nunique()),
        "first_listed": when.min() if len(when) else None,
        "last_listed": when.max() if len(when) else None,
        "on_latest": bool(on_latest),
        "signed_latest": dates(on_latest),
        "signed_all": dates(set(seen[AID])),
    }


def listing_status_text(status: dict, lang: str | None = None) -> str:
    """:func:`listing_status` as the words a chapter pastes after an agency's name.

    ``"is on none of ICE's lists in this book's archive"``;
    ``"is on ICE's lists from July 15, 2025 on, including the latest, with an agreement ICE
    dates May 16, 2025"``; ``"was on ICE's lists from April 3, 2025 to July 1, 2025, and is
    not on the latest"``.
    """
    if not status["n_agreements"]:
        return tr("is on none of ICE's lists in this book's archive", lang=lang)
    first = day_text(status["first_listed"], lang)
    if not status["on_latest"]:
        return tr("was on ICE's lists from {first} to {last}, and is not on the latest",
                  lang=lang, first=first, last=day_text(status["last_listed"], lang))
    signed = status["signed_latest"]
    text = tr("is on ICE's lists from {first} on, including the latest", lang=lang, first=first)
    if signed:
        dates = join_and((day_text(d, lang) for d in signed), lang)
        clause = (", with an agreement ICE dates {dates}" if len(signed) == 1
                  else ", with agreements ICE dates {dates}")
        text += tr(clause, lang=lang, dates=dates)
    return text


# --------------------------------------------------------------------------- helpers
def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")


# --------------------------------------------------------------------------- curated events
def event_dates(events: pd.DataFrame, ids: Iterable[str]) -> pd.Series:
    """Dates of the named events of ``data/curated/events.csv``, by ``event_id``.

    An id missing from the table is an error naming it (the notebooks rely on these ids).
    """
    ids = list(ids)
    _require(events, ["event_id", "date"], "events")
    table = events.set_index("event_id")["date"]
    missing = [i for i in ids if i not in table.index]
    if missing:
        raise KeyError(f"events.csv lacks the event id(s) {missing}")
    return pd.to_datetime(table.loc[ids], format="ISO8601")


def meetings(votes: pd.DataFrame) -> pd.DataFrame:
    """The meetings of ``data/curated/votes.csv``, one row each in date order: ``meeting_date``,
    ``jurisdiction``, ``body``, ``motion``, ``label`` ("Key West City Commission, June 30,
    2025") and ``key``, the glue key of its roll call (``roll_key_west_2025_06_30``).

    A meeting (date and jurisdiction) whose rows name more than one body or motion is an error
    naming it: the roll call would mix two votes.
    """
    _require(votes, ["meeting_date", "jurisdiction", "body", "motion"], "votes")
    rows = []
    for (date, place), group in votes.groupby(["meeting_date", "jurisdiction"], sort=True):
        for col in ("body", "motion"):
            if group[col].nunique() != 1:
                raise ValueError(f"votes.csv: the {place} meeting of {date} has more than one "
                                 f"{col}: {sorted(group[col].unique())}")
        day = pd.Timestamp(date)
        slug = re.sub(r"[^a-z0-9]+", "_", str(place).casefold()).strip("_")
        rows.append({"meeting_date": date, "jurisdiction": place, "body": group["body"].iloc[0],
                     "motion": group["motion"].iloc[0],
                     "label": f"{group['body'].iloc[0]}, {i18n.format_date(day)}",
                     "key": f"roll_{slug}_{day:%Y_%m_%d}"})
    return pd.DataFrame(rows, columns=["meeting_date", "jurisdiction", "body", "motion", "label",
                                       "key"])


# --------------------------------------------------------------------------- display tables
#: Joins the words of a date in a table cell, so the date stays on one line (issue 21).
NBSP = "\u00a0"


def _day(series: pd.Series, lang: str | None = None) -> pd.Series:
    """Dates of a table, written for people: "May 18, 2026" / "18 de mayo de 2026"
    (:func:`ice287g.i18n.format_date`), on one line; a missing date is blank."""
    return pd.Series([i18n.format_date(v, lang).replace(" ", NBSP) if pd.notna(v) else ""
                      for v in pd.to_datetime(pd.Series(series))], index=pd.Series(series).index)


def _stamp(series: pd.Series, lang: str | None = None) -> pd.Series:
    """A publication time as ICE stamps it, written for people and on one line: the date
    and am/pm, "May 18, 2026 (am)" / "18 de mayo de 2026 (a. m.)"."""
    ts = pd.to_datetime(pd.Series(series))
    return pd.Series([tr("{date} ({part})", lang=lang, date=i18n.format_date(v, lang),
                         part=tr("am" if v.hour < 12 else "pm", lang=lang)).replace(" ", NBSP)
                      if pd.notna(v) else "" for v in ts], index=ts.index, dtype=object)


def _labels(values: Iterable, lang: str | None = None) -> list[str]:
    """Support types (or other cells) of a table, as :func:`support_type_label` shows them."""
    return [support_type_label(v, lang) for v in values]


def removal_table(removed: pd.DataFrame, agreements_: pd.DataFrame,
                  lang: str | None = None) -> pd.DataFrame:
    """The removals of :func:`match_changed_records`, ready to show: readable column names,
    dates as text, the replacing row's agency and signing date, and the rule that matched it
    (headers, kinds, rules and yes/no in the language in use)."""
    info = agreements_.set_index(AID)
    def replacement(aid: str) -> str:
        if not aid:
            return ""
        signed = info.at[aid, "signed"]
        if pd.isna(signed):
            return str(info.at[aid, "agency"])
        return tr("{agency} (signed {date})", lang=lang, agency=info.at[aid, "agency"],
                  date=f"{pd.Timestamp(signed):%Y-%m-%d}")
    rules = (removed["match"] if "match" in removed.columns
             else pd.Series("", index=removed.index))
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    return pd.DataFrame({
        t("State"): removed["state"].to_numpy(),
        t("Agency"): removed["agency"].to_numpy(),
        t("Support type"): _labels(removed["support_type"], lang),
        t("Signed"): _day(removed["signed"], lang).to_numpy(),
        t("Last listed"): _stamp(removed["last_listed"], lang),
        t("First missing"): _stamp(removed["first_missing"], lang),
        t("Kind"): [t(k) for k in removed["kind"]],
        t("Replaced by"): [replacement(a) for a in removed["replaced_by"]],
        t("Matched by"): [t(r) if isinstance(r, str) and r else "" for r in rules],
        t("Back later"): _yes_no(removed["returned"], lang),
    })


def agency_table(agreements_: pd.DataFrame, agencies: Iterable[str], state: str,
                 lang: str | None = None) -> pd.DataFrame:
    """The agreements of the named agencies in one state, ready to show. "Last on a list" is
    the date of the last list carrying it (``last_seen``); "Last seen" the last time that list
    was captured with it (``last_captured``, a date), which can be months later."""
    rows = pd.concat([agency_agreements(agreements_, a, state) for a in agencies])
    rows = rows[~rows.index.duplicated()].sort_values(["agency", "support_type", "signed"],
                                                       kind="stable")
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    out = pd.DataFrame({
        t("Agency"): rows["agency"].to_numpy(),
        t("Support type"): _labels(rows["support_type"], lang),
        t("Signed (per ICE)"): _day(rows["signed"], lang).to_numpy(),
    })
    for col, label in [("first_seen", "First on a list"), ("last_seen", "Last on a list")]:
        if col in rows.columns:
            out[t(label)] = _stamp(rows[col], lang).to_numpy()  # by position: rows keeps its index
    if "last_captured" in rows.columns:  # the last sighting: the last capture of that last list
        out[t("Last seen")] = _day(rows["last_captured"], lang).to_numpy()
    if "n_snapshots" in rows.columns:
        out[t("Publications listing it")] = pd.to_numeric(rows["n_snapshots"]).to_numpy()
    return out


def spells_table(named: dict[str, pd.DataFrame], lang: str | None = None) -> pd.DataFrame:
    """:func:`listing_spells` of several agencies (``{name: agency_presence(...)}``), to show."""
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    parts = []
    for name, frame in named.items():
        sp = listing_spells(frame)
        parts.append(pd.DataFrame({
            t("Agency"): name,
            t("On the list"): _yes_no(sp["listed"], lang),
            t("From"): _stamp(sp["start"], lang),
            t("To"): _stamp(sp["end"], lang),
            t("Publications"): sp["n_publications"].to_numpy(),
        }))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- reshaping
def align_series(named: dict[str, pd.Series]) -> pd.DataFrame:
    """Put step-like time series with different dates on one index (the union of dates).

    Each series carries its last value forward to later dates and stays empty before its
    first date (a count that did not exist yet is not zero).
    """
    index = pd.DatetimeIndex(sorted(set().union(*[set(s.index) for s in named.values()])))
    out = pd.DataFrame(index=index)
    for name, series in named.items():
        s = series[~series.index.duplicated(keep="last")].sort_index()
        out[name] = s.reindex(index).ffill()
        out.loc[out.index < s.index.min(), name] = np.nan
    return out


def churn_by_period(ch: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """Sum the ``added`` and ``removed`` of :func:`churn` by calendar period (default:
    month, labelled by its first day); periods without a publication are left out."""
    if ch.empty:
        return pd.DataFrame(columns=["added", "removed", "n_publications"])
    g = ch.groupby(pd.to_datetime(ch[WHEN]).dt.to_period(freq[0]).dt.start_time)
    out = pd.DataFrame({"added": g["added"].sum(), "removed": g["removed"].sum(),
                        "n_publications": g.size()})
    out.index.name = WHEN
    return out


def last_publication_before(pubs: pd.DataFrame, date):
    """Key of the last trend publication strictly before ``date`` (error if there is none)."""
    order = trend_publications(pubs)
    before = order[order[WHEN] < pd.Timestamp(date)]
    if before.empty:
        raise ValueError(f"no publication before {pd.Timestamp(date).date()}")
    return before[PUB].iloc[-1]


def ids_listed_before(presence_: pd.DataFrame, date) -> set:
    """Agreement ids on any trend publication dated strictly before ``date``."""
    return set(presence_.loc[presence_[WHEN] < pd.Timestamp(date), AID])


def ids_on(presence_: pd.DataFrame, publication) -> set:
    """Agreement ids on one publication."""
    return set(presence_.loc[presence_[PUB] == publication, AID])


def left_with_kind(gone: pd.DataFrame, removed: pd.DataFrame) -> pd.DataFrame:
    """:func:`left_the_list` rows with the ``kind`` and ``replaced_by`` of their last removal
    (from :func:`match_changed_records`): did the agreement end, or was its row edited?"""
    last = removed[[AID, "last_listed", "kind", "replaced_by",
                    *(["match"] if "match" in removed.columns else [])]]
    out = gone.merge(last, on=[AID, "last_listed"], how="left", validate="one_to_one")
    if out["kind"].isna().any():
        missing = out.loc[out["kind"].isna(), AID].tolist()
        raise ValueError(f"no removal recorded for agreements that left the list: {missing[:5]}")
    return out


def left_table(gone: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Agreements that left the list (:func:`left_the_list` rows), ready to show. "Last
    listed" is the date of the last list carrying it; "Last seen" (when the rows carry
    agreements.csv's ``last_captured``) the last capture of that list, the last sighting."""
    rows = gone.sort_values(["last_listed", "state", "agency"], kind="stable")
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    out = pd.DataFrame({
        t("State"): rows["state"].to_numpy(),
        t("Agency"): rows["agency"].to_numpy(),
        t("Support type"): _labels(rows["support_type"], lang),
        t("Signed"): _day(rows["signed"], lang).to_numpy(),
        t("First listed"): _stamp(rows["first_listed"], lang),
        t("Last listed"): _stamp(rows["last_listed"], lang),
    })
    if "last_captured" in rows.columns:
        out[t("Last seen")] = _day(rows["last_captured"], lang).to_numpy()
    return out


# --------------------------------------------------------------------------- ICE's documents
#: The only host whose agreement documents the book links (ICE's own site).
DOCUMENT_HOSTS = ("www.ice.gov", "ice.gov")


def document_link(url, lang: str | None = None):
    """ICE's agreement document (``moa_url``) as a table cell: a link "the agreement (PDF,
    ice.gov)" when the URL is an http(s) address on ICE's site, else blank (the link is
    data from ICE's sheets: its scheme and host are checked, its text escaped)."""
    from urllib.parse import urlsplit

    from .safe_html import markup

    if not _known(url):
        return ""
    parts = urlsplit(str(url))
    if parts.scheme not in ("https", "http") or parts.hostname not in DOCUMENT_HOSTS:
        return ""
    return markup('<a href="{url}">{text}</a>', url=str(url),
                  text=tr("the agreement (PDF, ice.gov)", lang=lang))


def departures_table(gone: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The agreements that left the list without a replacement (:func:`left_with_kind` rows of
    kind "dropped"), as :func:`left_table` shows them, each with ICE's agreement document as
    printed on its last list (``moa_url``)."""
    rows = gone[gone["kind"] == "dropped"].sort_values(["last_listed", "state", "agency"],
                                                      kind="stable")
    out = left_table(rows, lang)
    if "moa_url" in rows.columns:
        out[tr("ICE's document", lang=lang)] = [document_link(u, lang) for u in rows["moa_url"]]
    return out
