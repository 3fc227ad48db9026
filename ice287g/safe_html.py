"""The one way a table (and any other text from data) reaches the book's HTML: escaped.

Text from ICE's sheets (agency, state, county, type, support type, addendum, MOA links) and
from fetched pages is untrusted: an agency named ``<img src=x onerror=alert(1)>`` must show
as those characters, never as an element. pandas' ``Styler`` (what a notebook shows for
``df.style``) writes cells, headers and captions into the page as raw HTML, so no notebook
displays a ``DataFrame``, a ``Styler`` or hand-made HTML itself: every table goes through
:func:`table` (display it, or glue it with ``display=True``), which escapes

- every cell (``str()`` of the value, HTML-escaped, quotes included), except cells our own
  code built as HTML and marked :class:`Markup` (the story tables' source links), whose parts
  were escaped when they were put together (:func:`markup`);
- every column header;
- the caption.

A label ICE uses that the book has no translation for (``i18n.label``, an
:class:`~ice287g.i18n.Untranslated` string) is shown as ICE wrote it, marked as English and as
untranslated (:func:`untranslated_html`), in the language in use.

Escaping is :func:`escape` (``html.escape`` with quotes): ``&``, ``<``, ``>``, ``"`` and
``'`` become character references, which leaves no way out of element text or a quoted
attribute value. The line and paragraph separators U+2028/U+2029 are harmless in HTML text
(they matter inside ``<script>`` JSON, which :mod:`ice287g.lookup` escapes itself).
"""

from __future__ import annotations

import html
import math
from typing import Any, Iterable

import pandas as pd

from . import i18n

__all__ = ["Markup", "escape", "markup", "table", "compact_table", "untranslated_html", "cell_html"]


class Markup(str):
    """A string of HTML made by the book's own code from escaped parts (see :func:`markup`):
    :func:`table` writes it as it is. Never wrap text from data in it directly."""

    __slots__ = ()

    def __html__(self) -> str:  # the protocol Jinja2 and MarkupSafe know
        return str(self)


def escape(text: Any) -> str:
    """``str(text)`` with ``& < > " '`` as character references (safe in element text and in
    a quoted attribute value); :class:`Markup` is returned unchanged."""
    if isinstance(text, Markup):
        return str(text)
    return html.escape(str(text), quote=True)


def markup(template: str, /, **values: Any) -> Markup:
    """Fill a ``str.format`` HTML ``template`` written by the book with ``values``, each
    escaped (a :class:`Markup` value is inserted as it is)::

        markup('<a href="{url}">{text}</a>', url=row.url, text=label)
    """
    return Markup(template.format(**{k: escape(v) for k, v in values.items()}))


def untranslated_html(text: Any, lang: str | None = None) -> str:
    """ICE's own words where the language in use has no translation for them: the text
    marked as English (``lang="en"``, so a screen reader reads it as English) and followed by
    a small visible mark, in the style of the book's "trad." mark, whose ``title`` says what
    it means. In English the text alone (escaped)."""
    lang = i18n.language() if lang is None else lang
    if lang == i18n.DEFAULT_LANGUAGE:
        return escape(text)
    mark = escape(i18n.tr("untransl.", lang=lang))
    why = escape(i18n.tr("ICE's own words, not translated by this book", lang=lang))
    return (f'<span class="untranslated" lang="en">{escape(text)}</span>'
            f'<sup class="untranslated-mark"><abbr title="{why}">{mark}</abbr></sup>')


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_html(value: Any, precision: int | None = None) -> str:
    """One table cell as HTML: :class:`Markup` as it is, an untranslated label marked, a
    missing value empty, a float with the table's precision, anything else ``str()`` escaped."""
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, i18n.Untranslated):
        return untranslated_html(value)
    if _is_missing(value):
        return ""
    if isinstance(value, float) and not isinstance(value, bool):
        digits = pd.get_option("styler.format.precision") if precision is None else precision
        return f"{value:.{digits}f}"
    return escape(value)


def table(frame: pd.DataFrame, caption: str | None = None, *,
          table_class: str | None = None, styles: Iterable[dict] | None = None,
          precision: int | None = None):
    """A pandas ``Styler`` of ``frame`` for the book, with every cell, column header and the
    caption escaped (see the module docstring); no index column.

    ``table_class``: the ``<table>``'s class attribute (the book's CSS hooks); ``styles``:
    ``Styler.set_table_styles`` rules (selectors and properties written by the book's code,
    never from data). Display the result, or glue it with ``display=True``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"table() needs a DataFrame, got {type(frame).__name__}")
    styler = frame.style.hide(axis="index")
    styler = styler.format(lambda v: cell_html(v, precision))
    styler = styler.format_index(lambda v: cell_html(v), axis="columns")
    if table_class:
        styler = styler.set_table_attributes(f'class="{escape(table_class)}"')
    if styles:
        styler = styler.set_table_styles(list(styles))
    if caption:
        styler = styler.set_caption(cell_html(caption))
    return styler


def compact_table(frame: pd.DataFrame, caption: str | None = None, *,
                  table_class: str = "dataframe", style: str | None = None) -> str:
    """``frame`` as a compact HTML ``<table>`` string (no whitespace between tags, no index,
    no Styler ids), for HTML that is stored rather than displayed, such as the explorer's
    widget views: the same escaping as :func:`table` (:func:`cell_html` for every cell and
    header, the caption escaped). ``table_class`` and ``style`` are the book's own
    attributes, never data."""
    attrs = f' class="{escape(table_class)}"' + (f' style="{escape(style)}"' if style else "")
    head = "".join(f"<th>{cell_html(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell_html(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
    cap = f"<caption>{cell_html(caption)}</caption>" if caption else ""
    return (f'<table{attrs}>{cap}<thead><tr style="text-align: right;">{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")
