"""The explorer: ipywidgets controls that still respond in the static book.

A static page has no kernel, so nothing can be recomputed when a reader picks an option.
Instead every view is rendered in advance and the controls only choose which one shows:
each panel is a ``Dropdown`` whose ``index`` is ``jslink``-ed (a link that lives in the
browser, saved in the notebook's widget state) to a ``Stack``'s ``selected_index``; the
``Stack``'s children are ``HTML`` widgets holding an ``<img alt=...>`` chart and a small table.
With a kernel (Binder, JupyterLab) the same widgets work the same way.

One panel per dimension (state, support type, agency type) rather than one view per
combination keeps the page light: views = 1 + top states + 1 + support types + 1 + agency
types, each chart a palette PNG of about 20 KB.
"""

from __future__ import annotations

import html
import re
import textwrap

import matplotlib.pyplot as plt
import pandas as pd

from . import analysis as an
from . import charts

ALL = "All"
SUPPORT_TYPES = an.SUPPORT_TYPES
AGENCY_TYPES = an.AGENCY_TYPES

#: Size of the explorer's charts: 540 × 342 px at 90 dpi (small bytes, text still legible
#: when a phone shrinks the image to its width).
FIGSIZE = (6.0, 3.8)
DPI = 90
#: Characters per title line: two lines of 13.5 pt bold fit the chart's width.
TITLE_WRAP = 48


def _fmt_date(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"{ts:%B} {ts.day}, {ts.year}"


def _table_html(frame: pd.DataFrame, caption: str) -> str:
    body = frame.to_html(index=False, border=0, escape=True, na_rep="")
    # Words wrap only between words (the book wraps long strings anywhere), smaller type so
    # four count columns fit a phone; a caption names the table for screen readers.
    table_tag = ('<table class="dataframe ice287g-explorer-table" '
                 'style="overflow-wrap:normal;word-break:normal;font-size:0.9em">'
                 f"<caption>{html.escape(caption)}</caption>")
    out, n = re.subn(r"<table[^>]*>", lambda _: table_tag, body, count=1)
    if n != 1:
        raise ValueError("pandas wrote no <table> tag")
    return out


def _line_chart(series: pd.DataFrame, title: str, ylabel: str, colors: dict[str, str]):
    with charts.styled():
        fig, ax = plt.subplots(figsize=FIGSIZE)
        for col in series.columns:
            ax.plot(series.index, series[col], label=str(col),
                    color=colors.get(col, charts.color_for(str(col))),
                    marker="o" if len(series) <= 40 else None, markersize=3.5)
        top = float(series.to_numpy().max()) or 1.0
        # Head room above the lines for the legend, so it never covers data.
        ax.set_ylim(0, top * (1.0 + 0.13 * max(len(series.columns), 1)))
        charts.date_axis(ax, span_days=(series.index.max() - series.index.min()).days)
        if len(series.columns) > 1:
            ax.legend(loc="upper left", fontsize=10.5, ncol=2)
        fig.subplots_adjust(left=0.13, right=0.97, top=0.80, bottom=0.30)
        charts.finish(fig, ax, title=title, xlabel="ICE publication date", ylabel=ylabel,
                      footer_y=0.015)
        # The title spans the figure's width, not just the axes', so two lines always fit
        # (an axes title on this fixed layout ran off the right edge or the top).
        ax.set_title("", loc="left")
        fig.text(0.015, 0.985, "\n".join(textwrap.wrap(title, TITLE_WRAP)), ha="left",
                 va="top", fontsize=13.5, fontweight="bold", transform=fig.transFigure)
    return fig


def _describe(series: pd.DataFrame, what: str) -> str:
    first, last = series.index.min(), series.index.max()
    parts = []
    for col in series.columns:
        parts.append(f"{col}: {int(series[col].iloc[0])} on the first list and "
                     f"{int(series[col].iloc[-1])} on the latest")
    return (f"Line chart of {what} on each of ICE's {len(series)} published lists from "
            f"{_fmt_date(first)} to {_fmt_date(last)}. " + "; ".join(parts) + ".")


def _title(label: str, total: pd.Series) -> str:
    first, last = int(total.iloc[0]), int(total.iloc[-1])
    trend = "up from" if last > first else ("down from" if last < first else "the same as")
    return (f"{label}: {last:,} agreements on ICE's latest list, {trend} {first:,} on the "
            "first")


def state_view(pres: pd.DataFrame, pubs: pd.DataFrame, state: str | None) -> dict:
    """Chart (by support type, per publication) and table (latest list by agency type)."""
    rows = pres if state is None else pres[pres["state"] == state]
    label = "All states" if state is None else state
    by_type = an.counts(rows, pubs, "support_type", categories=SUPPORT_TYPES)
    by_type = by_type[[c for c in by_type.columns if by_type[c].any()]]
    fig = _line_chart(by_type, _title(label, by_type.sum(axis=1)), "Agreements listed",
                      charts.SUPPORT_TYPE_COLORS)
    alt = _describe(by_type, f"287(g) agreements in {label} by support type")
    latest = an.on_publication(rows, an.latest_publication(pubs))
    # Support types as rows and the short agency types as columns: fits a phone's width.
    table = pd.crosstab(latest["support_type"], latest["agency_type"], margins=True,
                        margins_name="Total").rename(
        columns={"Municipality": "Municipal", "State Agency": "State agency"})
    table = table.rename_axis("Support type").reset_index()
    table.columns.name = None
    caption = f"{label}: agreements on ICE's latest list by support type and agency type"
    return {"label": label, "fig": fig, "alt": alt, "table": _table_html(table, caption)}


def _states_table(latest: pd.DataFrame, label: str, n: int = 10) -> str:
    top = an.top_with_rest(latest.groupby("state").size(), n)
    table = top.rename_axis("State").reset_index(name="Agreements")
    return _table_html(table, f"{label}: agreements on ICE's latest list by state")


def category_view(pres: pd.DataFrame, pubs: pd.DataFrame, column: str, value: str | None,
                  noun: str) -> dict:
    """For one support type or agency type: its top states over time and a state table."""
    rows = pres if value is None else pres[pres[column] == value]
    label = f"All {noun}s" if value is None else value
    latest_key = an.latest_publication(pubs)
    latest = an.on_publication(rows, latest_key)
    top_states = an.top_with_rest(latest.groupby("state").size(), 3).index
    top_states = [s for s in top_states if s != "All other states"]
    lumped = rows.assign(group=rows["state"].where(rows["state"].isin(top_states),
                                                   "All other states"))
    by_state = an.counts(lumped, pubs, "group", categories=top_states + ["All other states"])
    by_state = by_state[[c for c in by_state.columns if by_state[c].any()]]
    colors = dict(zip(top_states, [charts.PALETTE["vermillion"], charts.PALETTE["blue"],
                                   charts.PALETTE["orange"]]))
    colors["All other states"] = charts.CONTEXT_COLOR
    fig = _line_chart(by_state, _title(label, by_state.sum(axis=1)), "Agreements listed", colors)
    alt = _describe(by_state, f"287(g) agreements of {noun} {label} in the states with most "
                              "of them")
    return {"label": label, "fig": fig, "alt": alt, "table": _states_table(latest, label)}


def top_states(pres: pd.DataFrame, pubs: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` states with most agreements on the latest list (ties by name)."""
    latest = an.on_publication(pres, an.latest_publication(pubs))
    top = an.top_with_rest(latest.groupby("state").size(), n)
    return [s for s in top.index if s != "All other states"]


def views(pres: pd.DataFrame, pubs: pd.DataFrame, *, n_states: int = 10) -> dict[str, list[dict]]:
    """Every pre-rendered view, by panel: ``{"State": [...], "Support type": [...], ...}``.

    Each view is a dict with ``label`` (the dropdown option), ``html`` (chart ``<img>`` with
    alt text, then the table) and ``alt``.
    """
    panels = {
        "State": [state_view(pres, pubs, None)]
        + [state_view(pres, pubs, s) for s in top_states(pres, pubs, n_states)],
        "Support type": [category_view(pres, pubs, "support_type", v, "support type")
                         for v in [None, *SUPPORT_TYPES]],
        "Agency type": [category_view(pres, pubs, "agency_type", v, "agency type")
                        for v in [None, *AGENCY_TYPES]],
    }
    for entries in panels.values():
        for view in entries:
            img = charts.img_tag(view.pop("fig"), view["alt"], dpi=DPI, colors=64,
                                 tight=False)
            view["html"] = f'<div class="ice287g-explorer-view">{img}{view["table"]}</div>'
    return panels


def panel(name: str, entries: list[dict]):
    """A Dropdown jslink-ed to a Stack of the pre-rendered views; returns (box, dropdown, stack)."""
    import ipywidgets as widgets

    options = [v["label"] for v in entries]
    dropdown = widgets.Dropdown(options=options, index=0, description=name,
                                style={"description_width": "initial"},
                                layout=widgets.Layout(width="max-content", max_width="100%"))
    stack = widgets.Stack([widgets.HTML(v["html"]) for v in entries], selected_index=0)
    widgets.jslink((dropdown, "index"), (stack, "selected_index"))
    heading = widgets.HTML(f"<h2>By {html.escape(name.lower())}</h2>")
    box = widgets.VBox([heading, dropdown, stack],
                       layout=widgets.Layout(margin="0 0 1.5em 0", max_width="100%"))
    return box, dropdown, stack


def build(pres: pd.DataFrame, pubs: pd.DataFrame, *, n_states: int = 10):
    """The whole explorer: one panel per dimension, stacked vertically."""
    import ipywidgets as widgets

    boxes = [panel(name, entries)[0] for name, entries in views(pres, pubs,
                                                                  n_states=n_states).items()]
    return widgets.VBox(boxes, layout=widgets.Layout(max_width="100%"))
