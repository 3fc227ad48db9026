"""The explorer: ipywidgets controls that still respond in the static book.

A static page has no kernel, so nothing can be recomputed when a reader picks an option.
Instead every view is rendered in advance (a title, an ``<img alt=...>`` chart, a source line
and a small table) and the controls only choose which one shows. :func:`build` returns one
notebook output with two forms of the same views:

- with a kernel (Binder, JupyterLab): ipywidgets, each panel a ``Dropdown`` whose ``index`` is
  ``jslink``-ed to a ``Stack`` of ``HTML`` widgets;
- in the book: :func:`static_html`, a labelled ``<select>`` per panel and its first view, with
  no widget manager (issue 22: its 869 KB script blocked the first paint). The book's build
  moves every other view into a small script beside the page (:data:`VIEWS_DIR`,
  :func:`split_views`, :func:`write_views`), loaded when a reader first chooses it (from
  ``file://`` too), and the page's script keeps the choices in the address
  (``explorer.html#state=florida``), so a link opens the same view (issue 21).

Every state and territory that ever had an agreement on a list has a view (a reader in Ohio
finds Ohio), so the views are compact (each is a file a reader may load on a phone): the chart's title and source line are HTML text beside the image
rather than pixels in it, a state's chart is one line (its total; the table splits it by
support and agency type), charts are palette PNGs of a few KB, and all the views of a panel
share one layout and one style model in the widget state.

Every word the explorer shows (captions, options, headings, chart labels and legends, titles,
alt text, table headers and cells, the source line) goes through :func:`ice287g.i18n.tr` and
its dates through :func:`ice287g.i18n.format_date`, so the same calls draw the Spanish edition
with ``lang="es"`` (every public function takes ``lang``; ``None``: the language in use); its
Spanish words are in ice287g/locale/es/LC_MESSAGES/explorer.po (support and agency types and
the axis label shared with the book's charts are in charts.po). State names
in options, legends and titles are written the language's way (:func:`ice287g.words.state_name`)
and the options are in that language's alphabetical order; views are looked up by ICE's names.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import pandas as pd

from . import charts, load, national_growth, where
from . import files, i18n, safe_html, words
from .i18n import tr

SUPPORT_TYPES = load.SUPPORT_TYPES
AGENCY_TYPES = load.AGENCY_TYPES

#: Size of the explorer's charts: 432 × 234 px at 90 dpi. On a 390 px phone the image is
#: shown at about 354 px, so its smallest text (10 pt, the legend) is about 10.2 px high.
FIGSIZE = (4.8, 2.6)
DPI = 90
#: Palette sizes: one line and grey axes need few colours; several lines need more so that
#: the Okabe-Ito line colours survive quantisation distinct.
COLORS_ONE_LINE = 6
COLORS_LINES = 24
#: Colour of a single total line.
TOTAL_COLOR = charts.PALETTE["blue"]
#: The panels (their keys in :func:`views`, English, which also name their drop-downs) and
#: their headings.
HEADINGS = {"State": "By state", "Support type": "By support type",
            "Agency type": "By agency type"}
#: The line and table row that sums the states outside the top ones.
REST = "All other states"
#: Agency types as the tables' column headers (short, so four columns fit a phone).
SHORT_AGENCY_TYPES = {"Municipality": "Municipal", "State Agency": "State agency",
                      "": "(blank)"}


def _sort_key(text: str) -> tuple[str, str]:
    """Alphabetical order as a reader expects it: accents and case ignored ("Hawái" by H)."""
    folded = unicodedata.normalize("NFD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold(), text


def _table_html(frame: pd.DataFrame, caption: str) -> str:
    # Escaped as every table of the book (safe_html); no whitespace between tags: 45 state
    # views' tables add up in the widget state. Words wrap only between words (the book wraps
    # long strings anywhere), smaller type so four count columns fit a phone; a caption names
    # the table for screen readers.
    # Counts with the language's thousands separator (1,162), as every table of the book.
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_integer_dtype(frame[col]):
            frame[col] = [i18n.format_int(v) for v in frame[col]]
    return safe_html.compact_table(frame, caption, table_class="dataframe ice287g-explorer-table",
                                   style="overflow-wrap:normal;word-break:normal;font-size:0.9em")


def _line_chart(series: pd.DataFrame, colors: dict[str, str]):
    """A compact line chart: labelled axes, legend when there are several lines. Its title
    and source line are HTML around the image (see :func:`view_html`). ``series``'s columns
    are the legend's words (already in the language in use); ``colors`` is keyed by them."""
    with charts.styled():
        fig, ax = plt.subplots(figsize=FIGSIZE)
        for col in series.columns:
            ax.plot(series.index, series[col], label=str(col), linewidth=2.0,
                    color=colors.get(col, charts.color_for(str(col))))
        top = float(series.to_numpy().max()) or 1.0
        # Head room above the lines for the legend, so it never covers data.
        n = len(series.columns)
        ax.set_ylim(0, top * (1.08 if n == 1 else 1.0 + 0.16 * n))
        charts.date_axis(ax, span_days=(series.index.max() - series.index.min()).days)
        # Whole-number ticks, only inside the axis (a tick beyond it would still be a label).
        low, high = ax.get_ylim()
        ax.set_yticks([t for t in MaxNLocator(nbins=5, integer=True).tick_values(low, high)
                       if low <= t <= high])
        if n > 1:
            ax.legend(loc="upper left", fontsize=10, frameon=False, handlelength=1.5,
                      borderaxespad=0.2, labelspacing=0.25)
        ax.set_xlabel(tr("ICE publication date"), fontsize=10.5)
        ax.set_ylabel(tr("Agreements listed"), fontsize=10.5)
        ax.tick_params(labelsize=10.5)
        fig.subplots_adjust(left=0.14, right=0.97, top=0.93, bottom=0.27)
    return fig


def _describe(series: pd.DataFrame, what: str) -> str:
    """The alt text: what the chart shows, its span and each line's first and last value."""
    first, last = series.index.min(), series.index.max()
    parts = [tr("{name}: {first} on the first list and {last} on the latest", name=col,
                first=i18n.format_int(series[col].iloc[0]),
                last=i18n.format_int(series[col].iloc[-1]))
             for col in series.columns]
    return tr("Line chart of {what} on each of ICE's {n} published lists from {first} to "
              "{last}. ", what=what, n=i18n.format_int(len(series)),
              first=i18n.format_date(first), last=i18n.format_date(last)) \
        + "; ".join(parts) + "."


#: A view's title by the latest count's direction and number (one agreement or several).
TITLES = {
    ("up", True): "{label}: {last} agreement on ICE's latest list, up from {first} on the "
                  "first ({date})",
    ("up", False): "{label}: {last} agreements on ICE's latest list, up from {first} on the "
                   "first ({date})",
    ("down", True): "{label}: {last} agreement on ICE's latest list, down from {first} on the "
                    "first ({date})",
    ("down", False): "{label}: {last} agreements on ICE's latest list, down from {first} on "
                     "the first ({date})",
    ("same", True): "{label}: {last} agreement on ICE's latest list, the same as {first} on "
                    "the first ({date})",
    ("same", False): "{label}: {last} agreements on ICE's latest list, the same as {first} on "
                     "the first ({date})",
}


def _title(label: str, total: pd.Series) -> str:
    first, last = int(total.iloc[0]), int(total.iloc[-1])
    trend = "up" if last > first else ("down" if last < first else "same")
    return tr(TITLES[trend, last == 1], label=label, last=i18n.format_int(last),
              first=i18n.format_int(first), date=i18n.format_date(total.index.min()))


def _category(value) -> str:
    """A support type or agency type (ICE's English words) as the explorer shows it; a value
    ICE started using that the book cannot translate stays as ICE wrote it (i18n.label)."""
    if str(value) in AGENCY_TYPES:  # an agency's type, in its own context ("De condado")
        return words.agency_type_label(str(value))
    return i18n.label(str(value)) if str(value).strip() else tr("(blank)")


def _crosstab_margins(index: pd.Series, columns: pd.Series, margins_name: str) -> pd.DataFrame:
    """``pd.crosstab(index, columns, margins=True, margins_name=margins_name)``, counted with
    one group-by (pandas' margins cost about ten times as much, for each of the fifty views).
    Pandas' own for anything but text without blanks (its margins treat a NaN row their own
    way, and it infers the labels' type of other data) or when a value is ``margins_name``."""
    if not (isinstance(index.dtype, pd.StringDtype) and isinstance(columns.dtype, pd.StringDtype)) \
            or index.isna().any() or columns.isna().any() \
            or (index == margins_name).any() or (columns == margins_name).any():
        return pd.crosstab(index, columns, margins=True, margins_name=margins_name)
    table = index.groupby([index, columns]).size().unstack(fill_value=0)
    table[margins_name] = table.sum(axis=1)
    table.loc[margins_name] = table.sum(axis=0)
    return table


def _state_rows(pres: pd.DataFrame):
    """A function giving ``pres[pres["state"] == state]`` for each state, with the column
    compared once (not once per state: forty-five comparisons of every presence row)."""
    codes, uniques = pd.factorize(pres["state"])
    where_ = {value: k for k, value in enumerate(uniques)}

    def rows(state):
        k = where_.get(state)
        return pres[codes == k] if k is not None else pres[pres["state"] == state]
    return rows


@i18n.speaks
def state_view(pres: pd.DataFrame, pubs: pd.DataFrame, state: str | None, *,
               rows: pd.DataFrame | None = None) -> dict:
    """All states: a line per support type; one state: its total. Table: the latest list
    by support type and agency type. ``rows``: ``pres[pres["state"] == state]`` when the
    caller has it already."""
    if rows is None:
        rows = pres if state is None else pres[pres["state"] == state]
    label = tr("All states") if state is None else words.state_name(state)
    if state is None:
        series = national_growth.counts(rows, pubs, "support_type", categories=SUPPORT_TYPES)
        series = series[[c for c in series.columns if series[c].any()]]
        colors = {_category(k): v for k, v in charts.SUPPORT_TYPE_COLORS.items()}
        series = series.rename(columns=_category)
        fig = _line_chart(series, colors)
        alt = _describe(series, tr("287(g) agreements in all states by support type"))
    else:
        total = tr("All agreements")
        series = national_growth.counts(rows, pubs).rename(total).to_frame()
        fig = _line_chart(series, {total: TOTAL_COLOR})
        alt = _describe(series, tr("287(g) agreements in {label}", label=label))
    latest = load.on_publication(rows, load.latest_publication(pubs))
    caption = tr("{label}: agreements on ICE's latest list by support type and agency type",
                 label=label)
    head, sums = tr("Support type"), tr("Total")
    if latest.empty:
        table = _table_html(pd.DataFrame({head: [tr("(none on the latest list)")], sums: [0]}),
                            caption)
    else:
        # Support types as rows and the short agency types as columns: fits a phone's width.
        # Ordered by ICE's English words in every language (the editions' tables match).
        kinds = latest["agency_type"].map(lambda v: SHORT_AGENCY_TYPES.get(v, v))
        crossed = _crosstab_margins(latest["support_type"], kinds, REST)
        crossed = crossed.rename(index=lambda v: sums if v == REST else _category(v),
                                 columns=lambda v: sums if v == REST else _category(v)
                                 if v not in SHORT_AGENCY_TYPES.values() else tr(v))
        crossed = crossed.rename_axis(head).reset_index()
        crossed.columns.name = None
        table = _table_html(crossed, caption)
    return {"label": label, "fig": fig, "alt": alt, "table": table,
            "title": _title(label, series.sum(axis=1)), "page": page_link(state),
            "colors": COLORS_LINES if state is None else COLORS_ONE_LINE}


#: Where the book's pages are, from the explorer's page (chapters/explorer.html): a state's
#: page (ice287g.pages writes ``states/<slug>.html`` at each edition's root) and the index of
#: every state's page on the maps page (:func:`ice287g.pages.state_index_html`).
STATE_PAGE_PREFIX = "../"
STATE_INDEX_PAGE = "maps.html"


@i18n.speaks
def page_link(state: str | None) -> str:
    """The link a State view carries in the book (not in a notebook, where the pages are not
    beside it): one state's view links that state's own page; "All states" links the index of
    every state's page on the maps page."""
    from . import pages

    if state is None:
        href = f"{STATE_INDEX_PAGE}#{pages.STATE_INDEX_ID}"
        text = tr("Each state and territory has a page of its own: the list is on the maps page")
    else:
        href = STATE_PAGE_PREFIX + pages.state_path(state)
        text = tr("{state}'s own page: every agreement, its county map and a feed of its changes",
                  state=words.state_name(state))
    return (f'<p class="ice287g-explorer-page" style="margin:0.2em 0 0.6em 0">'
            f'<a href="{html.escape(href)}">{html.escape(text)}</a></p>')


def _state_label(state: str) -> str:
    """A state (or the rest) as legends and tables show it."""
    return tr(REST) if state == REST else words.state_name(state)


def _states_table(latest: pd.DataFrame, label: str, n: int = 10) -> str:
    top = where.top_with_rest(latest.groupby("state").size(), n, rest_label=REST)
    top.index = [_state_label(s) for s in top.index]
    table = top.rename_axis(tr("State")).reset_index(name=tr("Agreements"))
    return _table_html(table, tr("{label}: agreements on ICE's latest list by state",
                                 label=label))


@i18n.speaks
def category_view(pres: pd.DataFrame, pubs: pd.DataFrame, column: str, value: str | None,
                  noun: str) -> dict:
    """For one support type or agency type: its top states over time and a state table.
    ``noun`` ("support type" or "agency type") names the dimension."""
    rows = pres if value is None else pres[pres[column] == value]
    label = tr(f"All {noun}s") if value is None else _category(value)
    latest_key = load.latest_publication(pubs)
    latest = load.on_publication(rows, latest_key)
    top_states = where.top_with_rest(latest.groupby("state").size(), 3, rest_label=REST).index
    top_states = [s for s in top_states if s != REST]
    lumped = rows.assign(group=rows["state"].where(rows["state"].isin(top_states), REST))
    by_state = national_growth.counts(lumped, pubs, "group", categories=top_states + [REST])
    by_state = by_state[[c for c in by_state.columns if by_state[c].any()]]
    colors = dict(zip(top_states, [charts.PALETTE["vermillion"], charts.PALETTE["blue"],
                                   charts.PALETTE["orange"]]))
    colors[REST] = charts.CONTEXT_COLOR
    colors = {_state_label(k): v for k, v in colors.items()}
    by_state = by_state.rename(columns=_state_label)
    fig = _line_chart(by_state, colors)
    if value is None:
        what = tr(f"287(g) agreements of all {noun}s in the states with most of them")
    else:
        what = tr(f"287(g) agreements of {noun} {{label}} in the states with most of them",
                  label=label)
    alt = _describe(by_state, what)
    return {"label": label, "fig": fig, "alt": alt, "table": _states_table(latest, label),
            "title": _title(label, by_state.sum(axis=1)), "colors": COLORS_LINES}


@i18n.speaks
def states(pres: pd.DataFrame) -> list[str]:
    """Every state or territory with an agreement on any (trend) list (ICE's names), in the
    alphabetical order of their names in the language in use (North Carolina is "Carolina
    del Norte" in Spanish, among the C's)."""
    names = {s for s in pres["state"].dropna().unique() if str(s).strip()}
    return sorted(names, key=lambda s: _sort_key(words.state_name(s)))


@i18n.speaks
def view_html(view: dict, *, book: bool = False) -> str:
    """A view's title, chart image (with its alt text), source line and table; in the book
    (``book``), a State view also links the state's page (:func:`page_link`)."""
    return ('<div class="ice287g-explorer-view">'
            f'<p style="font-weight:bold;margin:0.4em 0 0.3em 0">{html.escape(view["title"])}</p>'
            f'{view["img"]}'
            f'<p style="font-size:0.8em;margin:0.2em 0 0.6em 0">{html.escape(charts.source_ice())}</p>'
            f'{view.get("page", "") if book else ""}'
            f'{view["table"]}</div>')


@i18n.speaks
def views(pres: pd.DataFrame, pubs: pd.DataFrame, *,
          states_: list[str] | None = None) -> dict[str, list[dict]]:
    """Every pre-rendered view, by panel: ``{"State": [...], "Support type": [...], ...}``
    (the keys are English whatever the language: see :data:`HEADINGS`).

    The State panel has "All states" then every state in ``states_`` (ICE's names; default:
    every state with an agreement on any list, alphabetically, see :func:`states`). Each view is a dict with ``label`` (the
    dropdown option), ``title`` (stating the finding), ``alt``, ``table`` and ``html`` (the
    title, chart ``<img>`` with alt text, source line and table), ``book_html`` (the same with,
    in a State view, the link to the state's page: :func:`page_link`) and ``key`` (the view's
    name in a link and in its file: :func:`view_key`).
    """
    known = states(pres)
    chosen = known if states_ is None else list(states_)
    unknown = [s for s in chosen if s not in known]
    if unknown:
        spanish = {words.state_name(k, "es"): k for k in known}
        hints = [f"{s!r} (ICE's name: {spanish[s]!r})" if s in spanish else repr(s)
                 for s in unknown]
        raise ValueError(f"explorer.views: no agreement of {', '.join(hints)} is on any list; "
                         "states are named as ICE's lists name them (e.g. 'North Carolina')")

    def done(view: dict) -> dict:
        # Rendered and closed at once: fifty open figures would hold all their memory.
        view["img"] = charts.img_tag(view.pop("fig"), view["alt"], dpi=DPI,
                                     colors=view.pop("colors"), tight=False)
        view["html"] = view_html(view)
        view["book_html"] = view_html(view, book=True)
        return view

    def keyed(panel: str, value, view: dict) -> dict:
        view["key"] = view_key(panel, value)
        return done(view)

    state_rows = _state_rows(pres)
    out = {
        "State": [keyed("State", s, state_view(pres, pubs, s,
                                               rows=pres if s is None else state_rows(s)))
                  for s in [None, *chosen]],
        "Support type": [keyed("Support type", v,
                               category_view(pres, pubs, "support_type", v, "support type"))
                         for v in [None, *SUPPORT_TYPES]],
        "Agency type": [keyed("Agency type", v,
                              category_view(pres, pubs, "agency_type", v, "agency type"))
                        for v in [None, *AGENCY_TYPES]],
    }
    keys = [v["key"] for entries in out.values() for v in entries]
    if len(set(keys)) != len(keys):
        raise ValueError("explorer.views: two views share a key: "
                         f"{sorted(k for k in keys if keys.count(k) > 1)}")
    return out


@i18n.speaks
def panel(name: str, entries: list[dict]):
    """A Dropdown jslink-ed to a Stack of the pre-rendered views; returns (box, dropdown, stack)."""
    import ipywidgets as widgets

    options = [v["label"] for v in entries]
    dropdown = widgets.Dropdown(options=options, index=0, description=tr(name),
                                style={"description_width": "initial"},
                                layout=widgets.Layout(width="max-content", max_width="100%"))
    # One layout and one style for every view: each would otherwise add two models
    # (about 1.5 KB) to the page's widget state.
    from ipywidgets.widgets.widget_string import HTMLStyle

    layout, style = widgets.Layout(), HTMLStyle()
    stack = widgets.Stack([widgets.HTML(v["html"], layout=layout, style=style) for v in entries],
                          selected_index=0)
    widgets.jslink((dropdown, "index"), (stack, "selected_index"))
    heading = widgets.HTML(f"<h2>{html.escape(tr(HEADINGS.get(name, f'By {name.lower()}')))}</h2>")
    box = widgets.VBox([heading, dropdown, stack],
                       layout=widgets.Layout(margin="0 0 1.5em 0", max_width="100%"))
    return box, dropdown, stack


@i18n.speaks
def build(pres: pd.DataFrame, pubs: pd.DataFrame, *, states_: list[str] | None = None):
    """The whole explorer: one panel per dimension, stacked vertically.

    Returns an :class:`Explorer`, which a notebook shows as the ipywidgets panels (with a
    kernel, in JupyterLab) and the book as :func:`static_html` (the page sets myst-nb's
    ``mime_priority_overrides`` so its HTML build takes the ``text/html`` of the output)."""
    import ipywidgets as widgets

    every = views(pres, pubs, states_=states_)
    boxes = [panel(name, entries)[0] for name, entries in every.items()]
    box = widgets.VBox(boxes, layout=widgets.Layout(max_width="100%"))
    return Explorer(box, static_html(every))


# --------------------------------------------------------------------------- the static book
#: How a panel is named in a link (``#state=florida&support=task-force-model``) and in the
#: names of its views' files.
URL_KEYS = {"State": "state", "Support type": "support", "Agency type": "agency"}
#: The folder, beside the page, that holds one script per view (``<key>.js``), loaded when a
#: reader chooses the view (a script, not a fetch of JSON: it loads from ``file://`` too).
VIEWS_DIR = "explorer-views"
#: The element of :func:`static_html` that carries every view until the book's build moves
#: them into files (:func:`split_views`); in a notebook the page's script reads them from it.
VIEWS_ID = "ice287g-explorer-views"
_VIEWS_RE = re.compile(r'<script type="application/json" id="' + VIEWS_ID + r'">(.*?)</script>',
                       re.S)
#: The function each view's script calls with its key and HTML.
CALLBACK = "ice287gExplorerView"


def view_key(panel: str, value) -> str:
    """``state-florida``, ``support-task-force-model``, ``agency-all``: the panel's
    :data:`URL_KEYS` and ICE's English name folded to ``[a-z0-9-]`` (the same in both
    editions, so a link opens the same view in either)."""
    if value is None:
        return f"{URL_KEYS[panel]}-all"
    folded = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "blank"
    return f"{URL_KEYS[panel]}-{slug}"


def _json_in_script(value) -> str:
    """JSON that can sit inside a ``<script>`` element (no ``<``, ``>`` or ``&`` as such)."""
    return (json.dumps(value, ensure_ascii=True, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _book_html(view: dict) -> str:
    return view.get("book_html", view["html"])


@i18n.speaks
def static_html(every: dict[str, list[dict]]) -> str:
    """The explorer without ipywidgets: per panel a heading, a labelled ``<select>`` and the
    first view drawn as HTML; every view in one JSON element (:data:`VIEWS_ID`) that the
    book's build moves into one small script per view (:func:`split_views`); and the script
    that shows the chosen view (loading its file when it is first chosen) and keeps the
    choices in the address (``#state=florida``), so a link opens the same view. The views are
    their ``book_html``: a state's view links the state's page (:func:`page_link`)."""
    panels, payload = [], {}
    for name, entries in every.items():
        key = URL_KEYS[name]
        options = "".join(
            f'<option value="{html.escape(v["key"][len(key) + 1:])}"'
            f'{" selected" if i == 0 else ""}>{html.escape(v["label"])}</option>'
            for i, v in enumerate(entries))
        heading = html.escape(tr(HEADINGS.get(name, f"By {name.lower()}")))
        panels.append(
            f'<section class="ice287g-explorer-panel" aria-labelledby="ice287g-explorer-{key}-h">'
            f'<h2 id="ice287g-explorer-{key}-h">{heading}</h2>'
            f'<p class="ice287g-explorer-control"><label for="ice287g-explorer-{key}">'
            f'{html.escape(tr(name))}</label> '
            # A tap target of 44 px, in the page's type size (issue 21).
            f'<select id="ice287g-explorer-{key}" data-panel="{key}" '
            f'style="min-height:44px;font-size:1rem;max-width:100%" '
            f'aria-controls="ice287g-explorer-{key}-view">{options}</select></p>'
            f'<div id="ice287g-explorer-{key}-view" class="ice287g-explorer-stage" '
            f'aria-live="polite">{_book_html(entries[0])}</div></section>')
        payload.update({v["key"]: _book_html(v) for v in entries[1:]})
    error = html.escape(tr("This view could not be loaded; reload the page to try again."))
    return (f'<div id="ice287g-explorer" class="ice287g-explorer" data-views="{VIEWS_DIR}/" '
            f'data-error="{error}">{"".join(panels)}</div>'
            f'<script type="application/json" id="{VIEWS_ID}">{_json_in_script(payload)}</script>'
            f"<script>{_SCRIPT}</script>")


def split_views(page_html: str) -> tuple[str, dict[str, str]]:
    """``page_html`` without the JSON element of every view, and those views by key (for the
    book's build, which writes each into a file with :func:`view_script`)."""
    found = _VIEWS_RE.search(page_html)
    if not found:
        return page_html, {}
    views_ = json.loads(found.group(1))
    bad = [k for k in views_ if not re.fullmatch(r"[a-z0-9-]+", k)]
    if bad:
        raise ValueError(f"explorer views with keys that cannot name a file: {bad}")
    return page_html[:found.start()] + page_html[found.end():], views_


def view_script(key: str, view_html: str) -> str:
    """The file of one view: a call of :data:`CALLBACK` with its key and HTML."""
    return f"{CALLBACK}({_json_in_script(key)},{_json_in_script(view_html)});\n"


def write_views(folder, views_: dict[str, str]) -> list:
    """Write one ``<key>.js`` per view into ``folder`` (made if needed); files of views that no
    longer exist are removed. Returns the paths written."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, text in views_.items():
        path = folder / f"{key}.js"
        content = view_script(key, text)
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            files.write_text(path, content, newline=None)
        written.append(path)
    for old in folder.glob("*.js"):
        if old.stem not in views_:
            old.unlink()
    return written


class Explorer:
    """The explorer as a notebook output: the ipywidgets box where a widget manager draws it
    (JupyterLab with a kernel), the static HTML everywhere else (the book)."""

    def __init__(self, box, static: str):
        self.box, self.static = box, static

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        return {**bundle, "text/html": self.static}


#: The page's script (plain ES5-level JavaScript, no library): a chosen option shows its view,
#: from the page's JSON element if it is there (a notebook), else from its file, loaded once
#: with a <script> element (works from file:// as over http); the choices are kept in the
#: address's fragment and restored from it (on load and when the fragment changes).
_SCRIPT = r"""
(function () {
  var root = document.getElementById("ice287g-explorer");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var dir = root.getAttribute("data-views"), inline = null, cache = {}, waiting = {};
  var data = document.getElementById("%(views_id)s");
  if (data) { try { inline = JSON.parse(data.textContent); } catch (e) { inline = null; } }
  window.%(callback)s = function (key, html) {
    cache[key] = html;
    var done = waiting[key]; delete waiting[key];
    if (done) done();
  };
  var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-panel]"));
  function stageOf(select) { return document.getElementById(select.getAttribute("aria-controls")); }
  selects.forEach(function (select) {
    cache[select.getAttribute("data-panel") + "-" + select.options[0].value] = stageOf(select).innerHTML;
  });
  function load(key, done, fail) {
    if (key in cache) { done(); return; }
    if (inline && key in inline) { cache[key] = inline[key]; done(); return; }
    if (waiting[key]) { var first = waiting[key]; waiting[key] = function () { first(); done(); }; return; }
    waiting[key] = done;
    var script = document.createElement("script");
    script.src = dir + key + ".js";
    script.onerror = function () { delete waiting[key]; script.remove(); fail(); };
    script.onload = function () { script.remove(); };
    document.head.appendChild(script);
  }
  function show(select) {
    var value = select.value, key = select.getAttribute("data-panel") + "-" + value;
    var stage = stageOf(select);
    stage.setAttribute("aria-busy", "true");
    load(key, function () {
      if (select.value === value) stage.innerHTML = cache[key];
      stage.removeAttribute("aria-busy");
    }, function () {
      stage.removeAttribute("aria-busy");
      var p = document.createElement("p");
      p.setAttribute("role", "alert");
      p.textContent = root.getAttribute("data-error");
      stage.innerHTML = "";
      stage.appendChild(p);
    });
  }
  function writeAddress() {
    var parts = [];
    selects.forEach(function (select) {
      if (select.selectedIndex > 0)
        parts.push(select.getAttribute("data-panel") + "=" + encodeURIComponent(select.value));
    });
    var url = location.href.split("#")[0] + (parts.length ? "#" + parts.join("&") : "");
    try { history.replaceState(history.state, "", url); }
    catch (e) { if (parts.length) location.hash = parts.join("&"); }
  }
  function readAddress() {
    var wanted = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i > 0) {
        try { wanted[part.slice(0, i)] = decodeURIComponent(part.slice(i + 1)); } catch (e) {}
      }
    });
    var known = selects.some(function (s) { return s.getAttribute("data-panel") in wanted; });
    if (!known) return;
    selects.forEach(function (select) {
      var want = wanted[select.getAttribute("data-panel")];
      var option = Array.prototype.filter.call(select.options, function (o) { return o.value === want; })[0];
      var index = option ? option.index : 0;
      if (select.selectedIndex !== index) { select.selectedIndex = index; show(select); }
    });
  }
  selects.forEach(function (select) {
    select.addEventListener("change", function () { show(select); writeAddress(); });
  });
  window.addEventListener("hashchange", readAddress);
  readAddress();
})();
""" % {"views_id": VIEWS_ID, "callback": CALLBACK}
