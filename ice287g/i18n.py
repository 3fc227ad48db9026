"""The book's languages: which one is in use, how it writes dates and numbers, and its words.

This is the one place that decides how each edition formats a date or a number and where every
reader-facing string produced by code (chart titles, axis labels, legends, source lines, alt
text, table headers, widget captions, glued sentences) is translated. The analysis is never
copied per language: notebooks call the same functions, and the words come from here.

- Every function that writes words takes ``lang`` (``None``: the language in use, through
  :func:`resolve`). The language in use is a context, not a process global: ``with
  i18n.language("es"): ...`` sets it for a block (a :class:`contextvars.ContextVar`, so threads
  and async tasks each keep their own); outside any block it is the edition's, which a build
  kernel learns from ``ICE287G_LANG`` (``en`` or ``es``; ``tools/editions.py`` sets it for the
  Spanish edition's kernels; read in :func:`edition_language` only). :func:`current` (or
  ``language()`` with no argument) tells which one is in use.
- :func:`tr` translates an English text (a ``str.format`` template) into the language in use;
  :func:`ntr` chooses the form of a text for a count (gettext plural entries, with an
  optional text for zero: "missing from no list", "1 removal", "3 removals"), and :func:`ptr`
  translates a word in a gettext context ("County" as an agency's type: "De condado").
  The Spanish words are gettext catalogues, ``ice287g/locale/es/LC_MESSAGES/<domain>.po`` (one
  domain per area of the book), the same toolchain as the prose's ``locales/es/LC_MESSAGES``:
  ``python tools/editions.py extract`` extracts both with Babel. English is the msgid, so the
  English edition needs no catalogue, and a missing (or empty, or fuzzy) Spanish entry is an
  error, never a silent fallback to English. The ``.po`` files are read as they are (Babel's
  ``read_po``), not compiled to ``.mo``: one source of truth, nothing generated to go stale,
  nothing to compile before a student's editable install, Binder or a wheel can use them.
- :func:`format_date`, :func:`format_month`, :func:`format_partial_date`, :func:`format_int`, :func:`format_number` and
  :func:`format_percent` format values the way each edition's readers expect ("July 8, 2025" /
  "8 de julio de 2025"). Spanish numbers follow the ``es_US`` convention of U.S.
  Spanish-language newsrooms (comma for thousands, point for decimals: "1,551", "12.5"), so a
  glued number reads the same in both editions.
"""

from __future__ import annotations

import contextlib
import os
import string
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

#: The book's languages, English first (the source language).
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

#: How each language writes dates and numbers: the only place these are decided.
FORMATS: dict[str, dict[str, Any]] = {
    "en": {
        "months": ["January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December"],
        "months_short": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                         "Nov", "Dec"],
        "date": "{month} {day}, {year}",          # July 8, 2025
        "date_no_year": "{month} {day}",          # July 8
        "month_year": "{month} {year}",           # July 2025
        "thousands": ",",
        "decimal": ".",
        "percent": "{number}%",                  # 12.5%
    },
    "es": {
        "months": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                   "septiembre", "octubre", "noviembre", "diciembre"],
        "months_short": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct",
                         "nov", "dic"],
        "date": "{day} de {month} de {year}",     # 8 de julio de 2025
        "date_no_year": "{day} de {month}",       # 8 de julio
        "month_year": "{month} de {year}",        # julio de 2025
        "thousands": ",",
        "decimal": ".",
        "percent": "{number}%",                  # 12.5% (es_US, as U.S. newsrooms write it)
    },
}

#: The language set by the innermost ``with language(...)`` block of this context, if any.
_CURRENT: ContextVar[str | None] = ContextVar("ice287g_language", default=None)


class TranslationError(KeyError):
    """A text has no translation in the language in use (names the text and the catalogue)."""

    def __str__(self) -> str:  # KeyError's str() adds quotes around the message
        return str(self.args[0])


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: the book's languages are "
                         f"{', '.join(LANGUAGES)} (ice287g.i18n.LANGUAGES)")
    return lang


def edition_language() -> str:
    """The edition's language, outside any :func:`language` block: ``ICE287G_LANG`` (how a
    build kernel learns its edition's; the one place it is read), else English."""
    return _check(os.environ.get("ICE287G_LANG", "").strip() or DEFAULT_LANGUAGE)


def current() -> str:
    """The language in use: the innermost ``with language(...)`` block's, else the edition's."""
    lang = _CURRENT.get()
    return edition_language() if lang is None else lang


@contextlib.contextmanager
def _block(lang: str):
    token = _CURRENT.set(lang)
    try:
        yield lang
    finally:
        _CURRENT.reset(token)


def language(lang: str | None = None):
    """``with language("es"):`` writes in Spanish for the block (and back after it, also on an
    error); ``language()`` with no argument is :func:`current`. An unknown language is a
    ``ValueError`` at once."""
    if lang is None:
        return current()
    return _block(_check(lang))


def resolve(lang: str | None = None) -> str:
    """The language a function that takes ``lang`` writes in: ``lang`` if given, else the one in use."""
    return current() if lang is None else _check(lang)


def speaks(func):
    """Give ``func`` a keyword argument ``lang`` (``None``: the language in use, see
    :func:`resolve`), the same way as every function that writes words: ``func`` and every
    helper it calls then write in that language (a :func:`language` block around the call).
    Only for functions whose words are all written before they return, not for callbacks
    that run later."""
    import functools
    import inspect

    @functools.wraps(func)
    def wrapper(*args, lang: str | None = None, **kwargs):
        with language(resolve(lang)):
            return func(*args, **kwargs)

    sig = inspect.signature(func)
    wrapper.__signature__ = sig.replace(parameters=[
        *sig.parameters.values(),
        inspect.Parameter("lang", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation="str | None")])
    return wrapper


#: Where the code's catalogues are, inside the package: ``locale/<lang>/LC_MESSAGES/*.po``.
LOCALE_DIR = "locale"


#: How a catalogue key joins a text's gettext context to it ("agency type" + "County"), and a
#: plural entry's English forms ("{n} list" + "{n} lists") and translated forms: gettext's own
#: separators (a compiled ``.mo`` joins them the same way), so the merged catalogue stays one
#: ``dict[str, str]``.
CONTEXT_SEP = "\x04"
PLURAL_SEP = "\x00"


def context_key(context: str, text: str) -> str:
    """The catalogue key of ``text`` in gettext context ``context`` (``msgctxt``)."""
    return f"{context}{CONTEXT_SEP}{text}"


def plural_key(singular: str, plural: str) -> str:
    """The catalogue key of a plural entry (``msgid`` / ``msgid_plural``)."""
    return f"{singular}{PLURAL_SEP}{plural}"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Every Spanish (or other) text, merged from ``ice287g/locale/<lang>/LC_MESSAGES/*.po``.

    Keys are the English texts; a text with a gettext context (``msgctxt``) is keyed
    :func:`context_key`, a plural entry (``msgid_plural``) :func:`plural_key`, its value the
    translated forms joined by :data:`PLURAL_SEP`. A translation whose ``{placeholders}``
    differ from its English text, a plural entry with the wrong number of forms for the
    language, or a text translated differently in two domains, is an error naming the file
    and the text; an empty or fuzzy entry (or a plural one with an empty form) is no
    translation (the text stays missing).
    """
    _check(lang)
    if lang == DEFAULT_LANGUAGE:
        return {}
    return load_catalogue(resources.files("ice287g") / LOCALE_DIR / lang / "LC_MESSAGES", lang)


def load_catalogue(folder, lang: str) -> dict[str, str]:
    """The merged catalogue of the ``*.po`` files in ``folder`` (see :func:`catalogue`)."""
    from babel.messages.pofile import PoFileError, read_po

    merged: dict[str, str] = {}
    where: dict[str, str] = {}
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".po")),
                   key=lambda p: p.name) if folder.is_dir() else []
    n_forms = plural_forms(lang)[0]
    for path in files:
        name = f"ice287g/{LOCALE_DIR}/{lang}/LC_MESSAGES/{path.name}"
        try:
            with path.open("rb") as f:
                entries = read_po(f, locale=lang, abort_invalid=True)
        except (PoFileError, ValueError) as exc:
            raise ValueError(f"{name}: not a valid .po catalogue ({exc})") from None
        for message in entries:
            english, translated = message.id, message.string
            if not english or message.fuzzy:
                continue  # the header, a fuzzy entry
            if isinstance(english, (list, tuple)):  # a plural entry: msgid, msgid_plural
                forms = list(translated) if isinstance(translated, (list, tuple)) else []
                if not forms or not all(isinstance(f, str) and f.strip() for f in forms):
                    continue  # untranslated (a form missing)
                if len(forms) != n_forms:
                    raise ValueError(f"{name}: the plural entry {english[0]!r} has "
                                     f"{len(forms)} forms; {lang} has {n_forms}")
                key, text, shown = plural_key(*english[:2]), PLURAL_SEP.join(forms), english[0]
                wanted = placeholders(english[0]) | placeholders(english[1])
                have = set().union(*(placeholders(f) for f in forms))
            else:
                if not isinstance(translated, str) or not translated.strip():
                    continue  # an untranslated text
                key, text, shown = english, translated, english
                wanted, have = placeholders(english), placeholders(translated)
            if message.context:
                key = context_key(message.context, key)
            if wanted != have:
                raise ValueError(
                    f"{name}: the translation of {shown!r} has placeholders "
                    f"{sorted(have)}, the English has {sorted(wanted)}")
            if key in merged and merged[key] != text:
                raise ValueError(f"{name}: {shown!r} is translated differently in "
                                 f"{where[key]}")
            merged[key] = text
            where[key] = name
    return merged


@lru_cache(maxsize=None)
def plural_forms(lang: str):
    """``(number of forms, index of the form for a count)`` of the language's plural rule, as
    gettext's ``Plural-Forms`` header writes it (Babel's data for the language: English and
    Spanish ``nplurals=2; plural=(n != 1)``)."""
    import gettext

    from babel.messages.plurals import get_plural

    rule = get_plural(_check(lang))
    return rule.num_plurals, gettext.c2py(rule.plural_expr)


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a ``str.format`` template."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Untranslated(str):
    """A label from ICE's data (a TYPE or SUPPORT TYPE value...) that the language in use has
    no translation for, kept as ICE wrote it (see :func:`label`). It is a plain ``str`` with
    ICE's text; the book's table renderer (:mod:`ice287g.safe_html`) marks it as English and
    untranslated."""

    __slots__ = ()


#: Every data label :func:`label` could not translate in this process, by language: the
#: book's build shows them as ICE wrote them (the pipeline's qa.csv counts the rows, flagged
#: ``agency_type_unknown`` / ``support_type_unknown``).
UNTRANSLATED: dict[str, set[str]] = {}


def label(value: Any, lang: str | None = None, *, context: str | None = None) -> str:
    """A label from ICE's data (an agency type, a support type, any value ICE may invent) in
    the language in use: its translation when the catalogue has one, else ICE's own text as
    an :class:`Untranslated` string (never an error: a value ICE starts using must not stop
    the Spanish build). Blank stays blank. The book's own words use :func:`tr`, which stays
    strict. ``context``: the use the label is put to (a gettext ``msgctxt``, e.g. "agency
    type": "County" is "De condado" as an agency's type, "Condado" as a column header); its
    entry in that context first, else the text's plain entry."""
    lang = resolve(lang)
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    if lang == DEFAULT_LANGUAGE or not text.strip():
        return text
    found = catalogue(lang)
    translated = found.get(context_key(context, text)) if context else None
    if translated is None:
        translated = found.get(text)
    if translated is not None:
        return translated
    UNTRANSLATED.setdefault(lang, set()).add(text)
    return Untranslated(text)


def tr(text: str, /, lang: str | None = None, **values: Any) -> str:
    """``text`` (an English ``str.format`` template) in the language in use, filled in.

    In Spanish a text with no entry in the catalogue raises :class:`TranslationError` (the
    Spanish build then fails on that cell), so no English string reaches a Spanish page.
    """
    lang = resolve(lang)
    template = text
    if lang != DEFAULT_LANGUAGE:
        try:
            template = catalogue(lang)[text]
        except KeyError:
            raise TranslationError(
                f"no {lang} translation for {text!r}: add it to a file in "
                f"ice287g/{LOCALE_DIR}/{lang}/LC_MESSAGES/ (python tools/editions.py extract "
                "adds the texts the code writes literally, untranslated)") from None
    return template.format(**values) if values else template


def ptr(context: str, text: str, /, lang: str | None = None, **values: Any) -> str:
    """:func:`tr` of ``text`` in a gettext context (``pgettext``): the same English word put
    to two uses ("County" as an agency's type, "County" as a column) can have two
    translations. The catalogue entry carries ``msgctxt "<context>"``; in Spanish a text with
    no entry in that context raises :class:`TranslationError` (no fall-back to the plain one)."""
    lang = resolve(lang)
    template = text
    if lang != DEFAULT_LANGUAGE:
        try:
            template = catalogue(lang)[context_key(context, text)]
        except KeyError:
            raise TranslationError(
                f"no {lang} translation for {text!r} in context {context!r}: add it, with "
                f'msgctxt "{context}", to a file in ice287g/{LOCALE_DIR}/{lang}/LC_MESSAGES/') \
                from None
    return template.format(**values) if values else template


def ntr(singular: str, plural: str, count: int, /, lang: str | None = None, *,
        zero: str | None = None, **values: Any) -> str:
    """The form of a text for ``count`` (``ngettext``): ``singular`` / ``plural`` are the
    English ``str.format`` templates, and the language's forms come from a plural entry of
    the catalogue (``msgid`` / ``msgid_plural`` / ``msgstr[0]``, ``msgstr[1]``), chosen by the
    language's plural rule (:func:`plural_forms`). ``zero``: a text for a count of 0, when
    a sentence reads better without the number ("is missing from no list", not "from 0
    lists"); it is translated as :func:`tr` translates. ``{n}`` is filled in with the count
    written for people (:func:`format_int`) unless ``values`` gives it. In Spanish a missing
    entry raises :class:`TranslationError`."""
    lang = resolve(lang)
    count = int(count)
    values.setdefault("n", format_int(count, lang))
    if count == 0 and zero is not None:
        return tr(zero, lang, **values)
    number, index = plural_forms(lang)
    if lang == DEFAULT_LANGUAGE:
        template = singular if count == 1 else plural
    else:
        try:
            forms = catalogue(lang)[plural_key(singular, plural)].split(PLURAL_SEP)
        except KeyError:
            raise TranslationError(
                f"no {lang} translation for {singular!r} / {plural!r}: add a plural entry "
                f"(msgid, msgid_plural) to a file in ice287g/{LOCALE_DIR}/{lang}/LC_MESSAGES/ "
                "(python tools/editions.py extract adds it untranslated)") from None
        template = forms[min(int(index(count)), number - 1)]
    return template.format(**values)


def _ts(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"cannot format a missing date ({value!r})")
    return ts


def format_date(value, lang: str | None = None, *, year: bool = True) -> str:
    """"July 8, 2025" / "8 de julio de 2025" (``year=False``: "July 8" / "8 de julio")."""
    fmt = FORMATS[resolve(lang)]
    ts = _ts(value)
    pattern = fmt["date"] if year else fmt["date_no_year"]
    return pattern.format(month=fmt["months"][ts.month - 1], day=ts.day, year=ts.year)


def format_month(value, lang: str | None = None, *, short: bool = False,
                 year: bool = True) -> str:
    """"July 2025" / "julio de 2025"; ``short``: "Jul" / "jul" (no year)."""
    fmt = FORMATS[resolve(lang)]
    ts = _ts(value)
    if short:
        return fmt["months_short"][ts.month - 1]
    name = fmt["months"][ts.month - 1]
    return fmt["month_year"].format(month=name, year=ts.year) if year else name


def format_partial_date(text: str, lang: str | None = None) -> str:
    """A date the curated tables record to the day, the month or the year (``2025-07-08``,
    ``2025-07``, ``1996``) as people read it: "July 8, 2025" / "8 de julio de 2025", "July 2025"
    / "julio de 2025", "1996". Anything else is a ``ValueError`` naming it."""
    value = str(text).strip()
    parts = value.split("-")
    if not all(p.isdigit() for p in parts) or len(parts[0]) != 4 or len(parts) > 3 \
            or any(len(p) != 2 for p in parts[1:]):
        raise ValueError(f"not a date written YYYY-MM-DD, YYYY-MM or YYYY: {text!r}")
    if len(parts) == 1:
        return value
    if len(parts) == 2:
        return format_month(f"{value}-01", lang)
    return format_date(value, lang)


def format_number(value: float, decimals: int = 0, lang: str | None = None) -> str:
    """A number with the language's thousands separator and decimal mark."""
    fmt = FORMATS[resolve(lang)]
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans({",": fmt["thousands"], ".": fmt["decimal"]}))


def format_int(value: int, lang: str | None = None) -> str:
    """An integer with the language's thousands separator: "1,551"."""
    return format_number(int(value), 0, lang)


def format_percent(value: float, decimals: int = 0, lang: str | None = None) -> str:
    """``value`` (already a percentage, e.g. 12.5) as "12.5%"."""
    fmt = FORMATS[resolve(lang)]
    return fmt["percent"].format(number=format_number(value, decimals, lang))


def format_times(after: float, before: float, lang: str | None = None) -> str:
    """How ``after`` compares with ``before``, as people picture it (issue 21: "1,265% more"
    is hard to picture): "about 14 times as many" / "unas 14 veces más" from 2.5 times up,
    "about twice as many" / "aproximadamente el doble" near 2, else "35% more" / "35% más"
    (and "35% fewer" / "35% menos" for a fall). Completes "... and 1,843 on the latest list, ..."."""
    if not before or before < 0 or after < 0:
        raise ValueError(f"cannot compare {after!r} with {before!r}")
    ratio = after / before
    if ratio >= 2.5:
        return tr("about {n} times as many", lang, n=format_int(round(ratio), lang))
    if ratio >= 1.85:
        return tr("about twice as many", lang)
    pct = format_percent(abs(ratio - 1) * 100, 0, lang)
    return tr("{pct} more", lang, pct=pct) if ratio >= 1 else tr("{pct} fewer", lang, pct=pct)
