"""The findings of *Key West on ICE's list* (``chapters/key-west-list.ipynb``): one agency's
place on ICE's lists, publication by publication, and the tables and sentences that show it.

The agency is matched by name and state as :func:`ice287g.load.normalise_name` compares names.
The ``*_table`` and ``*_text`` functions write their headers, words and dates in ``lang``
(``None``: the language in use); agency and state names stay as ICE wrote them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import i18n, words
from .i18n import tr
from .load import (AID, PUB, WHEN, latest_publication, normalise_name, normalised,
                   require_columns, trend_publications)


def agency_presence(presence_: pd.DataFrame, pubs: pd.DataFrame, agency: str, *,
                    state: str | None = None, state_col: str = "state",
                    agency_col: str = "agency", detail: str = "support_type") -> pd.DataFrame:
    """Whether one agency was on each trend publication, and with which agreements.

    Matches the agency name ignoring case and spacing (and the state, when given). One row
    per trend publication: ``published_at``, ``listed`` (bool), ``n_agreements`` and the
    sorted, ``; ``-joined values of ``detail`` (e.g. support types) it was listed with.
    """
    order = trend_publications(pubs)
    mask = normalised(presence_[agency_col]) == normalise_name(agency)
    if state is not None:
        mask &= normalised(presence_[state_col]) == normalise_name(state)
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
    require_columns(agreements_, ["state", "agency"], "agreements")
    mask = (normalised(agreements_["agency"]) == normalise_name(agency)) \
        & (normalised(agreements_["state"]) == normalise_name(state))
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
    require_columns(agency_rows, [WHEN, "listed"], "agency_rows")
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
    require_columns(presence_, [PUB, WHEN, AID], "presence")
    require_columns(agreements_, [AID, "signed"], "agreements")
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
    first = i18n.format_date(status["first_listed"], lang)
    if not status["on_latest"]:
        return tr("was on ICE's lists from {first} to {last}, and is not on the latest",
                  lang=lang, first=first, last=i18n.format_date(status["last_listed"], lang))
    signed = status["signed_latest"]
    text = tr("is on ICE's lists from {first} on, including the latest", lang=lang, first=first)
    if signed:
        dates = words.join_names((i18n.format_date(d, lang) for d in signed), lang)
        clause = (", with an agreement ICE dates {dates}" if len(signed) == 1
                  else ", with agreements ICE dates {dates}")
        text += tr(clause, lang=lang, dates=dates)
    return text


def agency_table(agreements_: pd.DataFrame, agencies: Iterable[str], state: str,
                 lang: str | None = None, *, pubs: pd.DataFrame) -> pd.DataFrame:
    """The agreements of the named agencies in one state, ready to show. "First/Last on a
    list" are the first and last lists carrying it (``first_publication``,
    ``last_publication``, named from ``pubs`` with ICE's part of day); "Last seen" the last
    time that list was captured with it (``last_captured``, a date), which can be months later."""
    rows = pd.concat([agency_agreements(agreements_, a, state) for a in agencies])
    rows = rows[~rows.index.duplicated()].sort_values(["agency", "support_type", "signed"],
                                                       kind="stable")
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    out = pd.DataFrame({
        t("Agency"): rows["agency"].to_numpy(),
        t("Support type"): words.support_type_cells(rows["support_type"], lang),
        t("Signed (per ICE)"): words.date_cells(rows["signed"], lang),
    })
    for col, label in [("first_publication", "First on a list"),
                       ("last_publication", "Last on a list")]:
        if col in rows.columns:
            out[t(label)] = words.publication_cells(rows[col], pubs, lang, by=PUB)
    if "last_captured" in rows.columns:  # the last sighting: the last capture of that last list
        out[t("Last seen")] = words.date_cells(rows["last_captured"], lang)
    if "n_snapshots" in rows.columns:
        out[t("Publications listing it")] = pd.to_numeric(rows["n_snapshots"]).to_numpy()
    return out


def spells_table(named: dict[str, pd.DataFrame], lang: str | None = None, *,
                 pubs: pd.DataFrame) -> pd.DataFrame:
    """:func:`listing_spells` of several agencies (``{name: agency_presence(...)}``), to show;
    ``pubs`` (``snapshots.csv``) names each publication with ICE's part of day."""
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    parts = []
    for name, frame in named.items():
        sp = listing_spells(frame)
        parts.append(pd.DataFrame({
            t("Agency"): name,
            t("On the list"): words.yes_no(sp["listed"], lang),
            t("From"): words.publication_cells(sp["start"], pubs, lang),
            t("To"): words.publication_cells(sp["end"], pubs, lang),
            t("Publications"): sp["n_publications"].to_numpy(),
        }))
    return pd.concat(parts, ignore_index=True)
