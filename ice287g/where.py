"""The findings of *Where the agreements are* (``chapters/where.ipynb``): the states that hold
the agreements, Florida's count and share over time, and how a count changed over a period.

Counting per list is :func:`ice287g.national_growth.counts` (imported here, as the chapter
uses it). No function here reads files or draws; none depends on the language.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .national_growth import count_agencies, counts, pct_change  # noqa: F401  (the chapter's)


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
