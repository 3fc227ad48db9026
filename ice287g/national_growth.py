"""The findings of *National growth* (``chapters/national-growth.ipynb``): agreements counted on
each of ICE's lists, by support type, state and agency, and by signing date.

Each function takes the frames of :class:`ice287g.load.Dataset` (``pubs``, ``agreements``,
``presence``) or rows of them, returns a DataFrame or a number, reads no file and draws
nothing; the computations do not depend on the language. ``where`` and the explorer use
:func:`counts` too.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .load import AID, PUB, WHEN, normalised, require_columns, trend_publications
from .words import STATES_AND_DC


def _crosstab(index: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """``pd.crosstab(index, columns)`` (rows with a blank key left out, both axes sorted), each
    side factorised once and the pairs counted with numpy: a fifth of pandas' time on the
    276,000 presence rows (the explorer counts them fourteen times)."""
    if not len(index) or not (isinstance(index.dtype, pd.StringDtype)
                              and isinstance(columns.dtype, pd.StringDtype)):
        return pd.crosstab(index, columns)  # (pandas infers the labels' type of other data)
    rows, row_keys = pd.factorize(index, sort=True)
    cols, col_keys = pd.factorize(columns, sort=True)
    kept = (rows >= 0) & (cols >= 0)
    flat = np.bincount(rows[kept] * len(col_keys) + cols[kept],
                       minlength=len(row_keys) * len(col_keys))
    table = pd.DataFrame(flat.reshape(len(row_keys), len(col_keys)).astype("int64"),
                         index=pd.Index(row_keys, name=index.name),
                         columns=pd.Index(col_keys, name=columns.name))
    # pandas' crosstab has no row or column without a count
    return table.loc[table.any(axis=1), table.any(axis=0)]


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
    require_columns(presence_, [by], "presence")
    table = _crosstab(presence_[PUB], presence_[by].fillna("(blank)"))
    table = table.reindex(order[PUB]).fillna(0).astype(int)
    if categories is not None:
        cats = list(categories)
        table = table.reindex(columns=cats + [c for c in table.columns if c not in cats],
                              fill_value=0)
    table.index = pd.DatetimeIndex(order[WHEN], name=WHEN)
    table.columns.name = by
    return table


def count_states(rows: pd.DataFrame, *, state_col: str = "state") -> dict[str, int]:
    """How many states (the 50 and DC) and how many territories the rows' agencies are in:
    ``{"states": 38, "territories": 2}`` (a territory is not a state: a sentence about
    "states" must not count Guam)."""
    require_columns(rows, [state_col], "rows")
    names = set(rows[state_col].dropna().astype(str))
    states = names & STATES_AND_DC
    return {"states": len(states), "territories": len(names - states)}


def count_agencies(rows: pd.DataFrame, *, state_col: str = "state",
                   agency_col: str = "agency") -> int:
    """Distinct agencies among agreement rows: pairs of state and :func:`normalise_name` of the
    agency, so one agency spelled with a straight and a curly apostrophe counts once (as the
    pipeline's ``snapshots.n_agencies`` counts it)."""
    require_columns(rows, [state_col, agency_col], "rows")
    keys = pd.DataFrame({"s": rows[state_col].to_numpy(),
                         "a": normalised(rows[agency_col]).to_numpy()})
    return int(len(keys.drop_duplicates()))


def cumulative_by_signing(agreements_: pd.DataFrame, *, date_col: str = "signed",
                          valid: pd.Series | None = None, by: str | None = None) -> pd.DataFrame:
    """Agreements by signing date, cumulative (optionally one column per category of ``by``).

    ``valid`` is a boolean mask of rows whose date may be used (e.g. not flagged impossible);
    rows with no date or an invalid one are left out and counted in ``attrs["n_undated"]``.
    Indexed by date (one row per date with a signing), sorted.
    """
    require_columns(agreements_, [date_col], "agreements")
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


def ids_listed_before(presence_: pd.DataFrame, date) -> set:
    """Agreement ids on any trend publication dated strictly before ``date``."""
    return set(presence_.loc[presence_[WHEN] < pd.Timestamp(date), AID])


def pct_change(old: float, new: float) -> float:
    """Percentage change from ``old`` to ``new``."""
    if old == 0:
        raise ValueError("percentage change from zero is undefined")
    return 100.0 * (new - old) / old
