"""The book's chart style and helpers: one look for every figure.

Every chart in the book states its finding in the title, labels its axes with units and
carries a source line (:func:`finish` refuses a chart without them). Colours come from Okabe &
Ito's colour-blind-safe palette, with one fixed colour per support type so a reader learns them
once. Figures leave a notebook in one of two ways, both with real alt text:

- in the book, through :func:`show` (which displays and glues a compact PNG; the alt text is
  written in the cell's ``mystnb.image.alt`` metadata or in the ``{glue:figure}`` directive's
  ``:alt:`` option that pastes it), and
- inside widgets, through :func:`img_tag`, an ``<img alt="..." src="data:image/png;base64,...">``
  string for an ``ipywidgets.HTML`` (widget images cannot otherwise carry alt text).

Every PNG goes through :func:`png_bytes`, which shrinks it to a 256-colour palette and refuses
anything over :data:`MAX_IMAGE_BYTES`.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Iterable
from contextlib import contextmanager
from importlib import resources

import matplotlib.dates as mdates
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd

#: Okabe & Ito's colour-blind-safe palette, by name.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#999999",
}

#: One colour per ICE support type, used by every chart that splits by it.
SUPPORT_TYPE_COLORS = {
    "Jail Enforcement Model": PALETTE["blue"],
    "Task Force Model": PALETTE["orange"],
    "Warrant Service Officer": PALETTE["green"],
}

#: One colour per ICE agency type (the sheets' TYPE column).
AGENCY_TYPE_COLORS = {
    "County": PALETTE["blue"],
    "Municipality": PALETTE["vermillion"],
    "State Agency": PALETTE["purple"],
}

#: Colour of event markers (votes, letters, orders) drawn on time axes.
EVENT_COLOR = "#444444"
#: Colour of a highlighted series (Florida, Key West) against grey context.
HIGHLIGHT_COLOR = PALETTE["vermillion"]
CONTEXT_COLOR = "#8c8c8c"

SOURCE_ICE = "Source: ICE 287(g) participating-agency lists; analysis: 287(g) in Key West."

#: Largest PNG the book publishes, in bytes (issue 5: each image at most 200 KB).
MAX_IMAGE_BYTES = 200_000

#: Characters per line of a wrapped title and source line at the default figure width.
TITLE_WRAP = 48
SOURCE_WRAP = 80


def style_path() -> str:
    """Path of the book's ``.mplstyle`` file."""
    return str(resources.files("ice287g") / "ice287g.mplstyle")


def use_style() -> None:
    """Apply the book's style to every later figure."""
    plt.style.use(style_path())


@contextmanager
def styled():
    """Context manager applying the book's style to the figures made inside it."""
    with plt.style.context(style_path()):
        yield


def color_for(category: str, mapping: dict[str, str] | None = None) -> str:
    """The fixed colour of a support type or agency type (grey for anything else)."""
    for table in ([mapping] if mapping else []) + [SUPPORT_TYPE_COLORS, AGENCY_TYPE_COLORS]:
        if category in table:
            return table[category]
    return CONTEXT_COLOR


def finish(fig, ax, *, title: str, xlabel: str, ylabel: str, source: str = SOURCE_ICE,
           note: str | None = None, footer_y: float | None = None,
           title_wrap: int = TITLE_WRAP):
    """Give a chart its finding-stating title, axis labels and source line.

    ``note`` is an optional caveat printed above the source line (e.g. the survivorship
    caveat of a by-signing-date chart). Long titles and source lines are wrapped so that
    they fit the figure width on a phone. The footer goes just below the axes' tick labels
    and axis label, or, for a figure with a fixed layout, at figure height ``footer_y``
    (anchored at its bottom; skipping the measurement makes many small charts faster).
    """
    if not (title and title.strip()) or not (xlabel and xlabel.strip()) \
            or not (ylabel and ylabel.strip()) or not (source and source.strip()):
        raise ValueError("every chart needs a title, both axis labels and a source line")
    ax.set_title("\n".join(textwrap.wrap(title, title_wrap)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    footer = "\n".join(textwrap.wrap(source, SOURCE_WRAP))
    if note:
        footer = "\n".join(textwrap.wrap(note, SOURCE_WRAP)) + "\n" + footer
    if footer_y is not None:
        fig.text(0.01, footer_y, footer, ha="left", va="bottom", fontsize=10.5,
                 color="#444444", transform=fig.transFigure)
        return fig
    # Place the footer below the axes' tick labels and axis label (measured, not drawn).
    renderer = fig.canvas.get_renderer()
    bottom = ax.get_tightbbox(renderer).transformed(fig.transFigure.inverted()).y0
    fig.text(0.0, bottom - 0.03, footer, ha="left", va="top", fontsize=10.5,
             color="#444444", transform=fig.transFigure)
    return fig


def date_axis(ax, *, span_days: int | None = None) -> None:
    """Readable date ticks: months (``Jun 2025``) for short spans, years for long ones."""
    if span_days is None:
        lo, hi = ax.get_xlim()
        span_days = int(hi - lo)
    if span_days > 800:
        ax.xaxis.set_major_locator(mdates.YearLocator(2 if span_days > 3300 else 1))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    elif span_days > 120:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_minor_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %-d\n%Y"))


def mark_date(ax, date, label: str, *, y: float = 0.97, ha: str = "left",
              color: str = EVENT_COLOR, linestyle: str = "--") -> None:
    """Mark an event on a time axis: a vertical line and a short label beside it.

    ``y`` is the label's height as a fraction of the axes; ``ha`` puts the label to the
    right (``"left"``) or the left (``"right"``) of the line.
    """
    when = pd.Timestamp(date)
    ax.axvline(when, color=color, linestyle=linestyle, linewidth=1.3, zorder=1)
    pad = " " if ha == "left" else ""
    ax.text(when, y, f"{pad}{label}{'' if ha == 'left' else ' '}", transform=ax.get_xaxis_transform(),
            ha=ha, va="top", fontsize=11, color=color,
            bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=1.0))


def png_bytes(fig, *, dpi: float | None = None, colors: int = 256,
              max_bytes: int = MAX_IMAGE_BYTES, tight: bool = True) -> bytes:
    """Render ``fig`` to a compact PNG (palette-quantised) and check its size.

    ``tight`` crops to the drawn content (an extra layout pass; pass ``False`` for figures
    laid out with fixed margins). Raises ``ValueError`` when the PNG would exceed
    ``max_bytes``: shrink the figure or its dpi rather than publish a heavy image.
    """
    from PIL import Image

    if tight:
        raw = io.BytesIO()
        fig.savefig(raw, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15,
                    facecolor="white")
        raw.seek(0)
        image = Image.open(raw).convert("RGB")
    else:  # fixed layout: take the rendered pixels directly (one PNG encode, not two)
        if dpi:
            fig.set_dpi(dpi)
        fig.set_facecolor("white")
        fig.canvas.draw()
        image = Image.frombuffer("RGBA", fig.canvas.get_width_height(physical=True),
                                 fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    if colors:
        image = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    if len(data) > max_bytes:
        raise ValueError(
            f"the chart's PNG is {len(data):,} bytes, over the {max_bytes:,}-byte limit; "
            "make the figure smaller or lower its dpi"
        )
    return data


def check_alt(alt: str) -> str:
    """Return ``alt`` stripped, or raise if it is not a real description."""
    text = (alt or "").strip()
    if len(text) < 15 or text.lower().endswith((".png", ".svg", ".jpg")):
        raise ValueError(f"alt text must describe the chart in words, got {alt!r}")
    return text


def img_tag(fig, alt: str, *, dpi: float | None = 100, colors: int = 128,
            max_bytes: int = MAX_IMAGE_BYTES, close: bool = True, tight: bool = True) -> str:
    """An ``<img>`` element holding ``fig`` as an inline PNG, with alt text.

    For ``ipywidgets.HTML`` children of the explorer: a widget ``Image`` cannot carry alt
    text, an HTML ``<img>`` can. The figure is closed afterwards unless ``close=False``.
    """
    text = check_alt(alt)
    data = png_bytes(fig, dpi=dpi, colors=colors, max_bytes=max_bytes, tight=tight)
    if close:
        plt.close(fig)
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<img alt="{html.escape(text, quote=True)}" '
            f'src="data:image/png;base64,{b64}" '
            'style="max-width:100%;height:auto;display:block">')


def show(fig, *, name: str | None = None, display: bool = True,
         dpi: float | None = None) -> None:
    """Publish a finished chart from a notebook: display it and/or glue it under ``name``.

    The figure is rendered once through :func:`png_bytes` (so the size limit applies) and
    closed, so the notebook's inline backend does not show it a second time. Give the cell
    ``mystnb: image: alt:`` metadata when ``display`` is true; paste a glued figure with
    ``{glue:figure}`` and its ``:alt:`` option. Returns nothing (so a cell ending with it
    shows no stray value).
    """
    from IPython.display import Image
    from IPython.display import display as ipy_display

    data = png_bytes(fig, dpi=dpi)
    plt.close(fig)
    image = Image(data=data, format="png")
    if name:
        from .glue import glue

        glue(name, image, display=False)
    if display:
        ipy_display(image)


# --------------------------------------------------------------------------- the book's charts
def _span_days(index) -> int:
    return int((pd.Timestamp(max(index)) - pd.Timestamp(min(index))).days)


def lines_chart(frame: pd.DataFrame, *, title: str, ylabel: str,
                xlabel: str = "ICE publication date", colors: dict[str, str] | None = None,
                marks: list[tuple] | None = None, note: str | None = None,
                source: str = SOURCE_ICE, stacked: bool = False, step: bool = False,
                ylim_bottom: float | None = 0, legend_loc: str = "upper left",
                dashed: Iterable[str] = ()):
    """One line (or stacked band) per column of a time-indexed frame, with date marks.

    ``marks`` is a list of ``(date, label)`` or ``(date, label, y)`` drawn with
    :func:`mark_date` when the date falls inside the plotted range (with a little margin).
    Columns named in ``dashed`` are drawn thinner and dashed, on top of the others (for a
    series that would otherwise hide behind one it runs close to).
    """
    dashed = set(dashed)
    fig, ax = plt.subplots()
    cols = list(frame.columns)
    many = len(frame) > 45
    if stacked:
        ax.stackplot(frame.index, *[frame[c].to_numpy() for c in cols], labels=cols,
                     colors=[color_for(c, colors) for c in cols], alpha=0.9,
                     step="post" if step else None)
    else:
        for col in cols:
            kw = dict(label=str(col), color=color_for(col, colors))
            if col in dashed:
                kw.update(linestyle=(0, (4, 2)), linewidth=1.6, zorder=3)
            if step:
                ax.step(frame.index, frame[col], where="post", **kw)
            else:
                ax.plot(frame.index, frame[col], marker=None if many else "o",
                        markersize=4, **kw)
    if ylim_bottom is not None:
        ax.set_ylim(bottom=ylim_bottom)
    lo, hi = pd.Timestamp(frame.index.min()), pd.Timestamp(frame.index.max())
    margin = (hi - lo) * 0.04 + pd.Timedelta(days=1)
    ax.set_xlim(lo - margin, hi + margin)
    date_axis(ax, span_days=_span_days(frame.index))
    top = ax.get_ylim()[1]
    ax.set_ylim(top=top * (1.0 + 0.09 * (len(cols) if len(cols) > 1 else 0) + 0.12 * bool(marks)))
    for mark in marks or []:
        when, label = pd.Timestamp(mark[0]), mark[1]
        y = mark[2] if len(mark) > 2 else 0.97
        if lo - margin <= when <= hi + margin:
            ha = "right" if when > lo + (hi - lo) * 0.6 else "left"
            mark_date(ax, when, label, y=y, ha=ha)
    if len(cols) > 1:
        ax.legend(loc=legend_loc, ncol=1)
    finish(fig, ax, title=title, xlabel=xlabel, ylabel=ylabel, note=note, source=source)
    return fig


def barh_chart(values: pd.Series, *, title: str, xlabel: str, ylabel: str,
               highlight: Iterable[str] = (), source: str = SOURCE_ICE, note: str | None = None,
               fmt: str = "{:,.0f}"):
    """Horizontal bars, largest on top, values written at the bar ends; ``highlight``ed
    categories in the highlight colour, the rest in blue (a rest/other row in grey)."""
    values = values.iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.4, 0.42 * len(values) + 1.6))
    hl = set(highlight)
    colors = [HIGHLIGHT_COLOR if k in hl else
              (CONTEXT_COLOR if str(k).lower().startswith("all other") else PALETTE["blue"])
              for k in values.index]
    ax.barh([str(k) for k in values.index], values.to_numpy(), color=colors)
    for i, v in enumerate(values.to_numpy()):
        ax.text(v, i, " " + fmt.format(v), va="center", ha="left", fontsize=11.5)
    ax.set_xlim(0, float(values.max()) * 1.15)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    finish(fig, ax, title=title, xlabel=xlabel, ylabel=ylabel, source=source, note=note)
    return fig


def presence_chart(rows: dict[str, pd.DataFrame], *, title: str, marks: list[tuple] | None = None,
                   source: str = SOURCE_ICE, note: str | None = None):
    """One row of dots per agency: a filled dot on each ICE publication that listed it, an
    open one where it was missing. ``rows`` maps a label to :func:`analysis.agency_presence`
    output (``published_at``, ``listed``)."""
    labels = list(rows)
    fig, ax = plt.subplots(figsize=(6.4, 1.0 * len(labels) + 2.6))
    colors = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
    all_dates = []
    for i, label in enumerate(labels):
        y = len(labels) - 1 - i
        frame = rows[label]
        all_dates += list(frame["published_at"])
        on = frame[frame["listed"]]
        off = frame[~frame["listed"]]
        ax.scatter(on["published_at"], [y] * len(on), s=46, color=colors[i % 4], zorder=3,
                   label=f"{label}: listed")
        if len(off):
            ax.scatter(off["published_at"], [y] * len(off), s=46, facecolors="white",
                       edgecolors=colors[i % 4], linewidths=1.6, zorder=3)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(["\n".join(textwrap.wrap(lab, 18)) for lab in labels[::-1]])
    ax.set_ylim(-0.7, len(labels) - 0.3 + 0.45 * max(len(marks or []), 2))
    lo, hi = min(all_dates), max(all_dates)
    margin = (hi - lo) * 0.04 + pd.Timedelta(days=1)
    ax.set_xlim(lo - margin, hi + margin)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    date_axis(ax, span_days=_span_days(all_dates))
    for k, mark in enumerate(marks or []):
        when, label = pd.Timestamp(mark[0]), mark[1]
        y = mark[2] if len(mark) > 2 else 0.98 - 0.1 * k
        if lo - margin <= when <= hi + margin:
            mark_date(ax, when, label, y=y, ha="right" if when > lo + (hi - lo) * 0.5 else "left")
    finish(fig, ax, title=title, xlabel="ICE publication date", ylabel="Agency on ICE's list",
           source=source, note=note)
    return fig


def churn_chart(frame: pd.DataFrame, *, title: str, ylabel: str, source: str = SOURCE_ICE,
                note: str | None = None, marks: list[tuple] | None = None):
    """Agreements added (bars up) and removed (bars down), one pair per row of ``frame``
    (a time index with ``added`` and ``removed`` columns, e.g. per month)."""
    fig, ax = plt.subplots()
    dates = pd.DatetimeIndex(frame.index)
    gaps = (np.diff(dates.values).astype("timedelta64[s]").astype(float) / 86_400.0
            if len(dates) > 1 else np.array([30.0]))
    width = max(0.8, float(np.median(gaps)) * 0.8)
    ax.bar(dates, frame["added"], width=width, color=PALETTE["blue"], align="edge",
           label="Added (above zero)")
    ax.bar(dates, -frame["removed"], width=width, color=PALETTE["vermillion"], align="edge",
           label="Removed (below zero)")
    ax.axhline(0, color="#555555", linewidth=1)
    hi = max(float(frame["added"].max() or 1), 1.0)
    lo = max(float(frame["removed"].max() or 1), 1.0)
    ax.set_ylim(-lo * 1.3, hi * 1.45)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{abs(v):,.0f}"))
    span = _span_days(dates)
    date_axis(ax, span_days=span)
    for mark in marks or []:
        when, label = pd.Timestamp(mark[0]), mark[1]
        y = mark[2] if len(mark) > 2 else 0.6
        if dates.min() <= when <= dates.max():
            mark_date(ax, when, label, y=y,
                      ha="right" if when > dates.min() + (dates.max() - dates.min()) * 0.6
                      else "left")
    ax.legend(loc="upper left")
    finish(fig, ax, title=title, xlabel="ICE publication date", ylabel=ylabel, source=source,
           note=note)
    return fig
