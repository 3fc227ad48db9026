"""The findings of *Churn* (``chapters/churn.ipynb``): agreements added and removed between
ICE's consecutive lists, removals that are ICE editing a row (:func:`match_changed_records`),
the agreements that left the list, and the tables that show them.

Computations work on the frames of :class:`ice287g.load.Dataset` and do not depend on the
language; the ``*_table`` functions write their headers, words and dates in ``lang``
(``None``: the language in use), publications as :func:`ice287g.words.publication_label`
writes them (ICE's own part of day). *What changed* (:mod:`ice287g.diff`) and Find an agency
(:mod:`ice287g.lookup`) pair edited rows with :func:`match_changed_records` too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import i18n, words
from .i18n import tr
from .load import AID, PUB, WHEN, normalise_name, require_columns, trend_publications


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
    code = words.STATE_CODES.get(str(state).upper(), "").casefold() if state else ""
    tokens: list[str] = []
    for word in text.split():
        if code and word == code:
            tokens += str(state).casefold().split()
        else:
            tokens += NAME_ABBREVIATIONS.get(word, word).split()
    return tuple(tokens)


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


def _comparable(value) -> bool:
    """Whether pandas' ``==`` can find ``value`` equal to something: not None, NaN or NaT."""
    return not (value is None or pd.isna(value))


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
        require_columns(listed, [AID, WHEN, "state", "agency", "support_type", "signed"], "listed")
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
    if later is not None and "moa_url" in listed.columns and "moa_url" in out.columns:
        last_of = listed.groupby(AID)[WHEN].max()
        firsts = listed.drop_duplicates(AID).set_index(AID)
        # Only the links the removals carry are looked up (a removal without a known link
        # never reaches by_moa): the rows of those links, in their order, grouped as before.
        wanted = {m for m in out["moa_url"] if _known(m)}
        # (a value equal to a known link is known: isin needs no _known of its own)
        for moa, ids in listed[listed["moa_url"].isin(wanted)].groupby("moa_url")[AID]:
            by_moa[moa] = [(firsts.loc[i], last_of[i]) for i in dict.fromkeys(ids)]

    # Each group's rows as tuples, made once (not per removal): filtering a group's frame and
    # iterating it again for every removal was most of this function's time.
    tuples: dict = {}

    def _group_rows(groups: dict, key, col: str) -> list:
        """The rows of ``groups[key]`` as (itertuples row, value of ``col``) pairs, in order."""
        if (id(groups), key) not in tuples:
            g = groups[key]
            tuples[id(groups), key] = list(zip(g.itertuples(index=False), g[col].tolist()))
        return tuples[id(groups), key]

    def _additions_at(when) -> tuple:
        """The additions of one transition as tuples, with the positions of each support
        type's and each (state, support type)'s rows among them (a blank never matches, as
        pandas' ``==`` has it)."""
        if ("added", when) not in tuples:
            rows_at = list(by_time[when].itertuples(index=False))
            by_support: dict = {}
            by_state_support: dict = {}
            for i, c in enumerate(rows_at):
                if _comparable(c.support_type):
                    by_support.setdefault(c.support_type, []).append(i)
                    if _comparable(c.state):
                        by_state_support.setdefault((c.state, c.support_type), []).append(i)
            tuples["added", when] = (rows_at, by_support, by_state_support)
        return tuples["added", when]

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
        same = _additions_at(row.first_missing) if row.first_missing in by_time else None
        if same is not None and not found:
            # The additions of the same transition with the row's support type: in its state
            # (``cands``) and in another (``moved``), in the order of ``added``.
            rows_at, by_support, by_state_support = same
            in_state = by_state_support.get((row.state, row.support_type), []) \
                if _comparable(row.state) and _comparable(row.support_type) else []
            in_support = by_support.get(row.support_type, []) \
                if _comparable(row.support_type) else []
            cands = [rows_at[i] for i in in_state if rows_at[i].agreement_id != row.agreement_id]
            elsewhere = set(in_state)
            moved = [rows_at[i] for i in in_support
                     if i not in elsewhere and rows_at[i].agreement_id != row.agreement_id]
            by_state = [c for c in moved
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
            key = (row.state, row.support_type, row.signed)
            if key in later:
                cands = [c for c, last_at in _group_rows(later, key, "_last_listed")
                         if last_at >= row.first_missing and c.agreement_id != row.agreement_id
                         and same_agency_name(row.agency, c.agency, row.state)]
                if cands:
                    found, rule = best(row, cands), MATCH_OTHER_LIST_NAME
        if not found and first_of is not None:
            k = when_pos.get(row.last_listed)
            if k is not None:
                until = when_order[min(k + REDATED_MAX_LISTS, len(when_order) - 1)]
                key = (row.state, row.support_type)
                if key in first_of:
                    cands = [c for c, first_at in _group_rows(first_of, key, "_first_listed")
                             if first_at > row.last_listed and first_at <= until
                             and c.agreement_id != row.agreement_id
                             and same_agency_name(row.agency, c.agency, row.state)]
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


def _agreement_columns(rows: pd.DataFrame, lang: str | None) -> dict[str, list]:
    """The columns that name an agreement in churn's tables, in order: its state (in the
    language), agency, support type and signing date (for people)."""
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    return {
        t("State"): [words.state_name(v, lang) for v in rows["state"]],
        t("Agency"): rows["agency"].to_numpy(),
        t("Support type"): words.support_type_cells(rows["support_type"], lang),
        t("Signed"): words.date_cells(rows["signed"], lang),
    }


def removal_table(removed: pd.DataFrame, agreements_: pd.DataFrame,
                  lang: str | None = None, *, pubs: pd.DataFrame) -> pd.DataFrame:
    """The removals of :func:`match_changed_records`, ready to show: readable column names,
    dates for people, publications with ICE's part of day (from ``pubs``), the replacing
    row's agency and signing date, and the rule that matched it (headers, kinds, rules and
    yes/no in ``lang``)."""
    info = agreements_.set_index(AID)
    def replacement(aid: str) -> str:
        if not aid:
            return ""
        signed = info.at[aid, "signed"]
        if pd.isna(signed):
            return str(info.at[aid, "agency"])
        return tr("{agency} (signed {date})", lang=lang, agency=info.at[aid, "agency"],
                  date=i18n.format_date(signed, lang))
    rules = (removed["match"] if "match" in removed.columns
             else pd.Series("", index=removed.index))
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    return pd.DataFrame({
        **_agreement_columns(removed, lang),
        t("Last listed"): words.publication_cells(removed["last_listed"], pubs, lang),
        t("First missing"): words.publication_cells(removed["first_missing"], pubs, lang),
        t("Kind"): [t(k) for k in removed["kind"]],
        t("Replaced by"): [replacement(a) for a in removed["replaced_by"]],
        t("Matched by"): [t(r) if isinstance(r, str) and r else "" for r in rules],
        t("Back later"): words.yes_no(removed["returned"], lang),
    })


def left_table(gone: pd.DataFrame, lang: str | None = None, *,
               pubs: pd.DataFrame) -> pd.DataFrame:
    """Agreements that left the list (:func:`left_the_list` rows), ready to show. "Last
    listed" is the date of the last list carrying it; "Last seen" (when the rows carry
    agreements.csv's ``last_captured``) the last capture of that list, the last sighting."""
    rows = gone.sort_values(["last_listed", "state", "agency"], kind="stable")
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    out = pd.DataFrame({
        **_agreement_columns(rows, lang),
        t("First listed"): words.publication_cells(rows["first_listed"], pubs, lang),
        t("Last listed"): words.publication_cells(rows["last_listed"], pubs, lang),
    })
    if "last_captured" in rows.columns:
        out[t("Last seen")] = words.date_cells(rows["last_captured"], lang)
    return out


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


def departures_table(gone: pd.DataFrame, lang: str | None = None, *,
                     pubs: pd.DataFrame) -> pd.DataFrame:
    """The agreements that left the list without a replacement (:func:`left_with_kind` rows of
    kind "dropped"), as :func:`left_table` shows them, each with ICE's agreement document as
    printed on its last list (``moa_url``)."""
    rows = gone[gone["kind"] == "dropped"].sort_values(["last_listed", "state", "agency"],
                                                      kind="stable")
    out = left_table(rows, lang, pubs=pubs)
    if "moa_url" in rows.columns:
        out[tr("ICE's document", lang=lang)] = [document_link(u, lang) for u in rows["moa_url"]]
    return out
