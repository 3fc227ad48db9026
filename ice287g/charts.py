"""The book's chart style and helpers: one look for every figure.

Every chart in the book states its finding in the title, labels its axes with units and
carries a source line (:func:`finish` refuses a chart without them). Colours come from Okabe &
Ito's colour-blind-safe palette, with one fixed colour per support type so a reader learns them
once. Figures leave a notebook in one of two ways, both with real alt text:

- in the book, through :func:`show` (which displays and glues a compact PNG carrying its alt
  text in the output's metadata, ``{"image/png": {"alt": ...}}``, so the alt text comes from
  code and can be Spanish), and
- inside widgets, through :func:`img_tag`, an ``<img alt="..." src="data:image/png;base64,...">``
  string for an ``ipywidgets.HTML`` (widget images cannot otherwise carry alt text).

Every PNG goes through :func:`png_bytes`, which shrinks it to a 256-colour palette, refuses
anything over :data:`MAX_IMAGE_BYTES` and writes the chart's words into the file (text chunks
``Title``, ``Description`` = alt text, and ``ice287g:texts``, a JSON list of every text drawn),
so a test can prove that no Spanish chart carries English text (:func:`png_texts` reads them).

Charts are drawn for a phone (issue 21): :data:`FIG_WIDTH` inches wide, published at
:data:`CSS_PX_PER_INCH` CSS px per inch (:func:`show` gives the image that display width) and
shrunk to the :data:`PHONE_COLUMN_PX` column of a 390 px phone, where no text may be smaller
than :data:`MIN_TEXT_CSS_PX`. Each PNG records its smallest text in image pixels and its display
width (chunks ``ice287g:min_text_px`` and ``ice287g:css_width``), so a test can compute the size
a phone shows (:func:`phone_text_px`). Numbers on axes carry the language's thousands separator.

Every word the helpers write themselves (source line, default axis labels, legends, date tick
labels) goes through :func:`ice287g.i18n.tr` and the i18n date formats, so the same call makes
the English or the Spanish chart (each helper takes ``lang``; ``None``: the language in use,
decided when the chart is made, not when it is drawn); the Spanish words are in
``ice287g/locale/es/LC_MESSAGES/charts.po``.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import textwrap
from collections.abc import Iterable
from contextlib import contextmanager
from importlib import resources

import matplotlib.dates as mdates
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd

from . import i18n, words
from .i18n import tr

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

#: The source line of charts drawn from ICE's lists, in English (the key of its translation:
#: :func:`source_ice` gives it in the language in use, and the helpers' default ``source``).
SOURCE_ICE = "Source: ICE 287(g) participating-agency lists; analysis: 287(g) in Key West."


def source_ice(lang: str | None = None) -> str:
    """:data:`SOURCE_ICE` in the language in use."""
    return tr(SOURCE_ICE, lang)


def _source(source: str | None, lang: str | None = None) -> str:
    """A chart's source line: the default (``None``) or :data:`SOURCE_ICE` passed as is come
    out in ``lang``; any other text is the caller's (already translated)."""
    return source_ice(lang) if source is None or source == SOURCE_ICE else source

#: Largest PNG the book publishes, in bytes (issue 5: each image at most 200 KB).
MAX_IMAGE_BYTES = 200_000

#: Width of the book's charts, in inches (the style's ``figure.figsize``): drawn for a phone.
FIG_WIDTH = 4.8
#: CSS pixels per inch of a published chart: its display width on a wide screen is its width in
#: inches times this (12 pt text shows as 16 px, as in the page's own type).
CSS_PX_PER_INCH = 96
#: Width of the column a chart gets on a 390 px phone (measured in the built book).
PHONE_COLUMN_PX = 358
#: No chart text smaller than this many CSS px on that phone (issue 21).
MIN_TEXT_CSS_PX = 10.0

#: Characters per line of a wrapped title and source line at the default figure width.
TITLE_WRAP = 40
SOURCE_WRAP = 56
#: Font size of the source line and notes under a chart (the smallest text of a chart).
FOOTER_SIZE = 11


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


#: The name of the rest row of :func:`ice287g.where.top_with_rest` (translated in charts).
REST_STATES = "All other states"


def category_label(category, *, in_sentence: bool = False, lang: str | None = None) -> str:
    """A category as a chart shows it, in the language in use: ICE's support types and agency
    types (the English keys of the colours) and "All other states" translated, a U.S. state's
    name as the language writes it (:func:`ice287g.words.state_name`), anything else as it is
    (a name). ``in_sentence``: the form inside a sentence ("the modelo de fuerza de tarea":
    Spanish writes the translated common noun in lower case; English keeps ICE's capitals)."""
    lang = i18n.resolve(lang)
    text = str(category)
    if text in SUPPORT_TYPE_COLORS or text in AGENCY_TYPE_COLORS or text == REST_STATES:
        # an agency type in its gettext context ("De condado", review #26)
        label = words.agency_type_label(text, lang) if text in AGENCY_TYPE_COLORS \
            else tr(text, lang)
        if in_sentence and label != text and lang != i18n.DEFAULT_LANGUAGE:
            label = label[:1].lower() + label[1:]
        return label
    return words.state_name(text, lang)


def short_date(value, lang: str | None = None) -> str:
    """A date with a short month, for chart marks: "Jan 20, 2025" / "20 ene 2025"."""
    ts = pd.Timestamp(value)
    return tr("{month} {day}, {year}", lang, month=i18n.format_month(ts, lang, short=True),
              day=ts.day, year=ts.year)


def color_for(category: str, mapping: dict[str, str] | None = None) -> str:
    """The fixed colour of a support type or agency type (grey for anything else)."""
    for table in ([mapping] if mapping else []) + [SUPPORT_TYPE_COLORS, AGENCY_TYPE_COLORS]:
        if category in table:
            return table[category]
    return CONTEXT_COLOR


def finish(fig, ax, *, title: str, xlabel: str, ylabel: str, source: str | None = None,
           note: str | None = None, footer_y: float | None = None,
           title_wrap: int = TITLE_WRAP, lang: str | None = None):
    """Give a chart its finding-stating title, axis labels and source line.

    ``note`` is an optional caveat printed above the source line (e.g. the survivorship
    caveat of a by-signing-date chart). Long titles and source lines are wrapped so that
    they fit the figure width on a phone. The footer goes just below the axes' tick labels
    and axis label, or, for a figure with a fixed layout, at figure height ``footer_y``
    (anchored at its bottom; skipping the measurement makes many small charts faster).
    ``source`` defaults to :data:`SOURCE_ICE` in ``lang``, whose number format the axes take.
    """
    source = _source(source, lang)
    if not (title and title.strip()) or not (xlabel and xlabel.strip()) \
            or not (ylabel and ylabel.strip()) or not (source and source.strip()):
        raise ValueError("every chart needs a title, both axis labels and a source line")
    set_title_text(fig, title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    number_axis(ax, lang)
    if footer_y is None:
        _fit_width(fig, ax, title, title_wrap)
    else:
        ax.set_title("\n".join(textwrap.wrap(title, title_wrap)))
    footer = "\n".join(textwrap.wrap(source, SOURCE_WRAP))
    if note:
        footer = "\n".join(textwrap.wrap(note, SOURCE_WRAP)) + "\n" + footer
    if footer_y is not None:
        fig.text(0.01, footer_y, footer, ha="left", va="bottom", fontsize=FOOTER_SIZE,
                 color="#444444", transform=fig.transFigure)
        return fig
    # Place the footer below the axes' tick labels and axis label (measured, not drawn).
    renderer = fig.canvas.get_renderer()
    bottom = ax.get_tightbbox(renderer).transformed(fig.transFigure.inverted()).y0
    text = fig.text(0.0, bottom - 0.03, footer, ha="left", va="top", fontsize=FOOTER_SIZE,
                    color="#444444", transform=fig.transFigure)
    # Narrower lines where the words are wider (Spanish): the footer ends inside the figure.
    for width in range(SOURCE_WRAP - 2, 30, -2):
        if text.get_window_extent(renderer).x1 <= fig.bbox.width:
            break
        lines = textwrap.wrap(note, width) if note else []
        text.set_text("\n".join(lines + textwrap.wrap(source, width)))
    return fig


def _fit_width(fig, ax, title: str, wrap: int) -> None:
    """Lay ``ax`` out inside the figure's width (tick labels and axis label included) and wrap
    the title, which starts at the axes' left edge, so that it ends inside the figure too: the
    published image is then :data:`FIG_WIDTH` wide, not wider, and its text keeps its size on
    a phone."""
    ax.set_title("")
    fig.tight_layout(pad=0.4)
    renderer = fig.canvas.get_renderer()
    # an axis label longer than its axis (a Spanish one, on a short chart) takes two lines
    for label, side in ((ax.xaxis.label, "width"), (ax.yaxis.label, "height")):
        words = " ".join(label.get_text().split())
        for width in range(len(words) - 4, 12, -4):
            extent = label.get_window_extent(renderer)
            long_side = extent.width if side == "width" else extent.height
            if long_side <= getattr(ax.get_window_extent(renderer), side):
                break
            label.set_text("\n".join(textwrap.wrap(words, width)))
    fig.tight_layout(pad=0.4)
    room = fig.bbox.width - ax.get_window_extent(renderer).x0 - 4
    for width in range(wrap, 14, -2):
        text = ax.set_title("\n".join(textwrap.wrap(title, width)))
        if text.get_window_extent(renderer).width <= room:
            break
    fig.tight_layout(pad=0.4)


def number_tick(value, _pos=None, lang: str | None = None) -> str:
    """A number on an axis as the language writes it: "1,500", "12.5" (:mod:`ice287g.i18n`)."""
    value = float(value)
    decimals = next((d for d in (0, 1) if abs(value * 10 ** d - round(value * 10 ** d)) < 1e-6), 2)
    return i18n.format_number(value, decimals, lang)


def number_axis(ax, lang: str | None = None) -> None:
    """Give ``ax``'s numeric axes (those still on matplotlib's plain number formatter; date
    axes and custom formatters are left alone) ``lang``'s thousands separator (decided now, not
    when the figure is drawn)."""
    from matplotlib.ticker import ScalarFormatter

    lang = i18n.resolve(lang)
    for axis in (ax.xaxis, ax.yaxis):
        if type(axis.get_major_formatter()) is ScalarFormatter:
            axis.set_major_formatter(plt.FuncFormatter(lambda v, pos: number_tick(v, pos, lang)))


class _Months:
    """Month names written by i18n, not by ``strftime`` (which prints English ones).

    Date formats here use ``%b`` as usual; :meth:`wrap` turns it into a marked month number
    that :meth:`names` replaces with the language's short month name (``Jun`` / ``jun``).
    """

    MARK = re.compile("\x01(\\d\\d)\x02")

    @staticmethod
    def wrap(fmt: str) -> str:
        return fmt.replace("%b", "\x01%m\x02")

    @classmethod
    def names(cls, text: str, lang: str) -> str:
        return cls.MARK.sub(lambda m: i18n.format_month(pd.Timestamp(2000, int(m.group(1)), 1),
                                                        lang, short=True), text)


class ConciseDateFormatter(mdates.ConciseDateFormatter):
    """matplotlib's concise date ticks with the month names of ``lang`` (``None``: the language
    in use when the formatter is made, not when the figure is drawn)."""

    def __init__(self, locator, *, lang: str | None = None, **kwargs):
        super().__init__(locator, **kwargs)
        self.lang = i18n.resolve(lang)
        self.formats = [_Months.wrap(f) for f in self.formats]
        self.zero_formats = [_Months.wrap(f) for f in self.zero_formats]
        self.offset_formats = [_Months.wrap(f) for f in self.offset_formats]

    def format_ticks(self, values):
        labels = [_Months.names(t, self.lang) for t in super().format_ticks(values)]
        self._offset_string = _Months.names(self._offset_string, self.lang)
        return labels

    def __call__(self, x, pos=None):
        return _Months.names(super().__call__(x, pos), self.lang)


def _day_tick(x, _pos=None, lang: str | None = None) -> str:
    ts = pd.Timestamp(mdates.num2date(x).replace(tzinfo=None))
    return tr("{month} {day}\n{year}", lang, month=i18n.format_month(ts, lang, short=True),
              day=ts.day, year=ts.year)


def date_axis(ax, *, span_days: int | None = None, lang: str | None = None) -> None:
    """Readable date ticks: months (``Jun 2025``) for short spans, years for long ones; month
    names in ``lang`` (:mod:`ice287g.i18n`), decided now, not when the figure is drawn."""
    lang = i18n.resolve(lang)
    if span_days is None:
        lo, hi = ax.get_xlim()
        span_days = int(hi - lo)
    if span_days > 800:
        ax.xaxis.set_major_locator(mdates.YearLocator(2 if span_days > 3300 else 1))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    elif span_days > 120:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, lang=lang))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_minor_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, pos: _day_tick(x, pos, lang)))


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


def set_title_text(fig, title: str) -> None:
    """Record ``fig``'s title (unwrapped) for the PNG's ``Title`` chunk; :func:`finish` does
    it, a figure titled another way (the maps' ``fig.text``) calls it."""
    fig._ice287g_title = " ".join(str(title).split())


def title_text(fig) -> str:
    """The title recorded by :func:`set_title_text`, else the suptitle, else the first axes
    title (line breaks of wrapping undone); "" when the figure has none."""
    recorded = getattr(fig, "_ice287g_title", None)
    if recorded:
        return recorded
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text().strip():
        return " ".join(fig._suptitle.get_text().split())
    for ax in fig.axes:
        for loc in ("center", "left", "right"):
            text = ax.get_title(loc=loc)
            if text.strip():
                return " ".join(text.split())
    return ""


def drawn_texts(fig) -> list:
    """The Text artists drawn on ``fig`` (call after it is drawn): visible, non-empty, and not
    among the texts matplotlib keeps but does not draw."""
    from matplotlib.text import Text

    hidden = _undrawn_texts(fig)
    return [artist for artist in fig.findobj(Text)
            if artist.get_visible() and artist.get_text().strip() and id(artist) not in hidden]


def figure_texts(fig) -> list[str]:
    """Every text drawn on ``fig`` (call after it is drawn, so tick labels are set): title,
    suptitle, axis labels, tick labels, offset texts, legend entries and title, annotations,
    figure texts; visible and non-empty, in drawing-tree order, each once, with the line
    breaks of wrapping undone ("Monroe County\nSheriff's Office" is recorded as the name it
    is: the words, not the layout)."""
    return _texts_of(drawn_texts(fig))


def _texts_of(artists: list) -> list[str]:
    seen: dict[str, None] = {}
    for artist in artists:
        seen.setdefault(" ".join(artist.get_text().split()), None)
    return list(seen)


def smallest_text_pt(fig) -> float:
    """Font size, in points, of the smallest text drawn on ``fig``."""
    return _smallest_pt(drawn_texts(fig))


def _smallest_pt(artists: list) -> float:
    sizes = [artist.get_fontsize() for artist in artists]
    return min(sizes) if sizes else float("inf")


def phone_text_px(min_text_px: float, image_width_px: float, css_width: float | None = None,
                  column_px: float = PHONE_COLUMN_PX) -> float:
    """The CSS px size on a phone of a text ``min_text_px`` image pixels high, in an image
    ``image_width_px`` wide shown ``css_width`` CSS px wide where there is room (else its
    natural width), shrunk to fit ``column_px``."""
    shown = min(column_px, css_width if css_width else image_width_px)
    return min_text_px * shown / image_width_px


def _undrawn_texts(fig) -> set[int]:
    """Ids of the Text artists matplotlib keeps but does not draw: tick labels of ticks
    outside the view, and the axis texts of axes switched off or hidden."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            off = not ax.axison or not axis.get_visible()
            lo, hi = sorted(axis.get_view_interval())
            tol = (hi - lo) * 1e-9
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if off or loc is None or not (lo - tol <= loc <= hi + tol):
                    hidden.update((id(tick.label1), id(tick.label2)))
            if off:
                hidden.update((id(axis.label), id(axis.offsetText)))
    return hidden


def png_bytes(fig, *, alt: str | None = None, dpi: float | None = None, colors: int = 256,
              max_bytes: int = MAX_IMAGE_BYTES, tight: bool = True) -> bytes:
    """Render ``fig`` to a compact PNG (palette-quantised) and check its size.

    ``tight`` crops to the drawn content (an extra layout pass; pass ``False`` for figures
    laid out with fixed margins). Raises ``ValueError`` when the PNG would exceed
    ``max_bytes``: shrink the figure or its dpi rather than publish a heavy image.

    The PNG carries the chart's words as text chunks: ``Title`` (:func:`title_text`),
    ``Description`` (``alt``, when given) and ``ice287g:texts`` (:func:`figure_texts` as a
    JSON list); read them back with :func:`png_texts`.
    """
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    if tight:
        raw = io.BytesIO()
        fig.savefig(raw, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15,
                    facecolor="white")
        raw.seek(0)
        image = Image.open(raw).convert("RGB")
        saved = plt.rcParams["savefig.dpi"]
        used_dpi = dpi or (fig.dpi if saved == "figure" else float(saved))
    else:  # fixed layout: take the rendered pixels directly (one PNG encode, not two)
        if dpi:
            fig.set_dpi(dpi)
        used_dpi = fig.dpi
        fig.set_facecolor("white")
        fig.canvas.draw()
        image = Image.frombuffer("RGBA", fig.canvas.get_width_height(physical=True),
                                 fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    if colors:
        image = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    info = PngInfo()
    title = title_text(fig)
    if title:
        info.add_text("Title", title)
    if alt is not None:
        info.add_text("Description", check_alt(alt))
    # ASCII JSON: a plain tEXt chunk whatever the language (PIL writes iTXt for the others
    # when they are not Latin-1)
    # The drawn texts are found once for both chunks (figure_texts and smallest_text_pt each
    # walk every tick of every axis).
    texts = drawn_texts(fig)
    info.add_text("ice287g:texts", json.dumps(_texts_of(texts), ensure_ascii=True))
    # For the phone-legibility checks: the smallest text's height in image pixels, and the
    # image's display width in CSS px at CSS_PX_PER_INCH.
    info.add_text("ice287g:min_text_px", f"{_smallest_pt(texts) * used_dpi / 72:.3f}")
    info.add_text("ice287g:css_width", str(css_width(image.width, used_dpi)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, pnginfo=info)
    data = out.getvalue()
    if len(data) > max_bytes:
        raise ValueError(
            f"the chart's PNG is {len(data):,} bytes, over the {max_bytes:,}-byte limit; "
            "make the figure smaller or lower its dpi"
        )
    return data


def png_texts(data: bytes) -> dict:
    """The text chunks :func:`png_bytes` wrote: ``{"Title": ..., "Description": ...,
    "texts": [...]}`` (keys absent when the PNG has none)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    chunks = dict(image.text)
    out = {k: chunks[k] for k in ("Title", "Description") if k in chunks}
    if "ice287g:texts" in chunks:
        out["texts"] = json.loads(chunks["ice287g:texts"])
    for key in ("min_text_px", "css_width"):
        if f"ice287g:{key}" in chunks:
            out[key] = float(chunks[f"ice287g:{key}"])
    out["width"] = image.width
    return out


def css_width(image_width_px: int, dpi: float) -> int:
    """The display width, in CSS px, of an image ``image_width_px`` wide rendered at ``dpi``
    (:data:`CSS_PX_PER_INCH` per inch)."""
    return round(image_width_px * CSS_PX_PER_INCH / float(dpi))


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
    data = png_bytes(fig, alt=text, dpi=dpi, colors=colors, max_bytes=max_bytes, tight=tight)
    if close:
        plt.close(fig)
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<img alt="{html.escape(text, quote=True)}" '
            f'src="data:image/png;base64,{b64}" '
            'style="max-width:100%;height:auto;display:block">')


def show(fig, *, alt: str, name: str | None = None, display: bool = True,
         dpi: float | None = None) -> None:
    """Publish a finished chart from a notebook: display it and/or glue it under ``name``.

    ``alt`` (required, checked by :func:`check_alt`) is the chart's alt text, written in the
    output's metadata (``{"image/png": {"alt": alt}}``, which the book's extension hands to
    myst-nb) and in the PNG (``Description``), so it comes from code and follows the language.
    The figure is rendered once through :func:`png_bytes` (so the size limit applies) and
    closed, so the notebook's inline backend does not show it a second time. Returns nothing
    (so a cell ending with it shows no stray value).
    """
    from IPython.display import Image
    from IPython.display import display as ipy_display

    text = check_alt(alt)
    data = png_bytes(fig, alt=text, dpi=dpi)
    plt.close(fig)
    # The display width (myst-nb writes it on the <img>; the page's max-width shrinks it on a
    # phone): the chart's inches at CSS_PX_PER_INCH, whatever its dpi.
    width = int(png_texts(data)["css_width"])
    image = Image(data=data, format="png", metadata={"alt": text, "width": width})
    if name:
        from .glue import glue

        glue(name, image, display=False)
    if display:
        ipy_display(image)


# --------------------------------------------------------------------------- the book's charts
def _span_days(index) -> int:
    return int((pd.Timestamp(max(index)) - pd.Timestamp(min(index))).days)


def lines_chart(frame: pd.DataFrame, *, title: str, ylabel: str,
                xlabel: str | None = None, colors: dict[str, str] | None = None,
                marks: list[tuple] | None = None, note: str | None = None,
                source: str | None = None, stacked: bool = False, step: bool = False,
                ylim_bottom: float | None = 0, legend_loc: str = "upper left",
                dashed: Iterable[str] = (), lang: str | None = None):
    """One line (or stacked band) per column of a time-indexed frame, with date marks.

    ``marks`` is a list of ``(date, label)`` or ``(date, label, y)`` drawn with
    :func:`mark_date` when the date falls inside the plotted range (with a little margin).
    Columns named in ``dashed`` are drawn thinner and dashed, on top of the others (for a
    series that would otherwise hide behind one it runs close to). Every word the chart
    writes itself is in ``lang`` (``None``: the language in use).
    """
    lang = i18n.resolve(lang)
    dashed = set(dashed)
    xlabel = tr("ICE publication date", lang) if xlabel is None else xlabel
    fig, ax = plt.subplots()
    cols = list(frame.columns)
    many = len(frame) > 45
    if stacked:
        ax.stackplot(frame.index, *[frame[c].to_numpy() for c in cols],
                     labels=[category_label(c, lang=lang) for c in cols],
                     colors=[color_for(c, colors) for c in cols], alpha=0.9,
                     step="post" if step else None)
    else:
        for col in cols:
            kw = dict(label=category_label(col, lang=lang), color=color_for(col, colors))
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
    date_axis(ax, span_days=_span_days(frame.index), lang=lang)
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
    finish(fig, ax, title=title, xlabel=xlabel, ylabel=ylabel, note=note, source=source,
           lang=lang)
    return fig


def barh_chart(values: pd.Series, *, title: str, xlabel: str, ylabel: str,
               highlight: Iterable[str] = (), source: str | None = None, note: str | None = None,
               fmt: str | None = None, labels: dict | None = None, lang: str | None = None):
    """Horizontal bars, largest on top, values written at the bar ends; ``highlight``ed
    categories in the highlight colour, the rest in blue (a rest/other row in grey).

    Bars are labelled ``labels[key]`` when given, else :func:`category_label` (state names,
    support and agency types in the language in use); ``highlight`` and the rest row are
    told by the index's own values. Values are written with :func:`ice287g.i18n.format_number`
    unless ``fmt`` (a ``str.format`` template) is given. Its own words are in ``lang``."""
    lang = i18n.resolve(lang)
    values = values.iloc[::-1]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 0.42 * len(values) + 1.8))
    hl = set(highlight)
    colors = [HIGHLIGHT_COLOR if k in hl else
              (CONTEXT_COLOR if str(k).lower().startswith("all other") else PALETTE["blue"])
              for k in values.index]
    names = [labels[k] if labels and k in labels else category_label(k, lang=lang)
             for k in values.index]
    ax.barh(names, values.to_numpy(), color=colors)
    for i, v in enumerate(values.to_numpy()):
        text = i18n.format_number(v, lang=lang) if fmt is None else fmt.format(v)
        ax.text(v, i, " " + text, va="center", ha="left", fontsize=11.5)
    ax.set_xlim(0, float(values.max()) * 1.15)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    finish(fig, ax, title=title, xlabel=xlabel, ylabel=ylabel, source=source, note=note,
           lang=lang)
    return fig


def presence_chart(rows: dict[str, pd.DataFrame], *, title: str, marks: list[tuple] | None = None,
                   source: str | None = None, note: str | None = None,
                   lang: str | None = None):
    """One row of dots per agency: a filled dot on each ICE publication that listed it, an
    open one where it was missing. ``rows`` maps a label to :func:`ice287g.key_west_list.agency_presence`
    output (``published_at``, ``listed``). Its own words are in ``lang``."""
    lang = i18n.resolve(lang)
    labels = list(rows)
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 1.0 * len(labels) + 2.8))
    colors = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
    all_dates = []
    for i, label in enumerate(labels):
        y = len(labels) - 1 - i
        frame = rows[label]
        all_dates += list(frame["published_at"])
        on = frame[frame["listed"]]
        off = frame[~frame["listed"]]
        ax.scatter(on["published_at"], [y] * len(on), s=46, color=colors[i % 4], zorder=3,
                   label=tr("{label}: listed", lang, label=label))
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
    date_axis(ax, span_days=_span_days(all_dates), lang=lang)
    for k, mark in enumerate(marks or []):
        when, label = pd.Timestamp(mark[0]), mark[1]
        y = mark[2] if len(mark) > 2 else 0.98 - 0.1 * k
        if lo - margin <= when <= hi + margin:
            mark_date(ax, when, label, y=y, ha="right" if when > lo + (hi - lo) * 0.5 else "left")
    finish(fig, ax, title=title, xlabel=tr("ICE publication date", lang),
           ylabel=tr("Agency on ICE's list", lang), source=source, note=note, lang=lang)
    return fig


def churn_chart(frame: pd.DataFrame, *, title: str, ylabel: str, source: str | None = None,
                note: str | None = None, marks: list[tuple] | None = None,
                lang: str | None = None):
    """Agreements added (bars up) and removed (bars down), one pair per row of ``frame``
    (a time index with ``added`` and ``removed`` columns, e.g. per month); its own words in
    ``lang``."""
    lang = i18n.resolve(lang)
    fig, ax = plt.subplots()
    dates = pd.DatetimeIndex(frame.index)
    gaps = (np.diff(dates.values).astype("timedelta64[s]").astype(float) / 86_400.0
            if len(dates) > 1 else np.array([30.0]))
    width = max(0.8, float(np.median(gaps)) * 0.8)
    ax.bar(dates, frame["added"], width=width, color=PALETTE["blue"], align="edge",
           label=tr("Added (above zero)", lang))
    ax.bar(dates, -frame["removed"], width=width, color=PALETTE["vermillion"], align="edge",
           label=tr("Removed (below zero)", lang))
    ax.axhline(0, color="#555555", linewidth=1)
    hi = max(float(frame["added"].max() or 1), 1.0)
    lo = max(float(frame["removed"].max() or 1), 1.0)
    ax.set_ylim(-lo * 1.3, hi * 1.45)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: i18n.format_number(abs(v), lang=lang)))
    span = _span_days(dates)
    date_axis(ax, span_days=span, lang=lang)
    for mark in marks or []:
        when, label = pd.Timestamp(mark[0]), mark[1]
        y = mark[2] if len(mark) > 2 else 0.6
        if dates.min() <= when <= dates.max():
            mark_date(ax, when, label, y=y,
                      ha="right" if when > dates.min() + (dates.max() - dates.min()) * 0.6
                      else "left")
    ax.legend(loc="upper left")
    finish(fig, ax, title=title, xlabel=tr("ICE publication date", lang), ylabel=ylabel,
           source=source, note=note, lang=lang)
    return fig
