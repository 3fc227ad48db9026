"""The words and labels the book derives from its data, in each language: the one place for each.

- **Publications.** ICE stamps each list it publishes with a date and a part of day ("am",
  "mid" or "pm"); the pipeline records ICE's own tag in ``snapshots.csv``'s ``part_of_day``
  (blank for an archive capture, whose time is the archive's, and for a stamp without one).
  :func:`part_of_day` reads it, :func:`publication_label` writes a publication for people
  ("May 18, 2026 (a.m.)" / "18 de mayo de 2026 (a. m.)"; ICE's "mid" lists "(mid)" /
  "(mediodía)"; an archive capture "(captured)" / "(captura)"), and
  :func:`publication_cells` writes a table column of them, each on one line. The part of day
  is never derived from the hour.
- **Dates** for people are :func:`ice287g.i18n.format_date`'s (the one long-date function);
  :func:`date_cells` writes a table column of them on one line, and :func:`partial_date_cells`
  a column of the curated tables' dates known to the day, the month or the year.
- **Lists of names**: :func:`join_names` ("a, b and c" / "a, b y c", "e" before an /i/ sound).
- **Ranks**: :func:`rank_ordinal` ("2nd" / "2.º", "1.er").
- **Counts in sentences**: a count and its noun in the form the count takes, and a sentence of
  its own for a zero that would read badly (:func:`missing_since_first_text`,
  :func:`addendum_lists_text`, :func:`unplaced_territory_text`,
  :func:`unplaced_unknown_text`, :func:`removals_text`, :func:`joined_left_text`, :func:`changes_text`, :func:`undated_text`, through
  :func:`ice287g.i18n.ntr`).
- **States**: :data:`STATES`, the one list of the states, DC and the territories ICE's sheets
  name, with their USPS codes and Spanish names (:func:`state_name`); :data:`STATE_CODES` (the
  pipeline's lookup) and :data:`STATES_AND_DC` derive from it.
- **ICE's support types, agency types and yes/no** as tables and sentences show them
  (:func:`support_type_label`, :func:`agency_type_label`, :func:`yes_no`).

Every function that writes words takes ``lang`` (``None``: the language in use, resolved by
:func:`ice287g.i18n.resolve`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import pandas as pd

from . import i18n
from .i18n import tr

# This module imports nothing of the pipeline at its top: the pipeline reads the sheets'
# state names with :data:`STATE_CODES` (the one list of states), so it imports this module.

#: Joins the words of a table cell (a date, a publication) so it stays on one line (issue 21).
NBSP = "\u00a0"


# --------------------------------------------------------------------------- states
class State(NamedTuple):
    code: str    #: USPS code
    name: str    #: as the book writes it in English (ICE's sheets, title-cased by the pipeline)
    es: str      #: as U.S. Spanish-language media write it
    state: bool  #: one of the 50 states or DC (False: a territory)


#: The 50 states, the District of Columbia and the territories ICE's sheets name.
STATES: tuple[State, ...] = tuple(State(*row) for row in (
    ("AL", "Alabama", "Alabama", True), ("AK", "Alaska", "Alaska", True),
    ("AZ", "Arizona", "Arizona", True), ("AR", "Arkansas", "Arkansas", True),
    ("CA", "California", "California", True), ("CO", "Colorado", "Colorado", True),
    ("CT", "Connecticut", "Connecticut", True), ("DE", "Delaware", "Delaware", True),
    ("DC", "District of Columbia", "Distrito de Columbia", True),
    ("FL", "Florida", "Florida", True), ("GA", "Georgia", "Georgia", True),
    ("HI", "Hawaii", "Hawái", True), ("ID", "Idaho", "Idaho", True),
    ("IL", "Illinois", "Illinois", True), ("IN", "Indiana", "Indiana", True),
    ("IA", "Iowa", "Iowa", True), ("KS", "Kansas", "Kansas", True),
    ("KY", "Kentucky", "Kentucky", True), ("LA", "Louisiana", "Luisiana", True),
    ("ME", "Maine", "Maine", True), ("MD", "Maryland", "Maryland", True),
    ("MA", "Massachusetts", "Massachusetts", True), ("MI", "Michigan", "Michigan", True),
    ("MN", "Minnesota", "Minnesota", True), ("MS", "Mississippi", "Misisipi", True),
    ("MO", "Missouri", "Missouri", True), ("MT", "Montana", "Montana", True),
    ("NE", "Nebraska", "Nebraska", True), ("NV", "Nevada", "Nevada", True),
    ("NH", "New Hampshire", "Nuevo Hampshire", True), ("NJ", "New Jersey", "Nueva Jersey", True),
    ("NM", "New Mexico", "Nuevo México", True), ("NY", "New York", "Nueva York", True),
    ("NC", "North Carolina", "Carolina del Norte", True),
    ("ND", "North Dakota", "Dakota del Norte", True), ("OH", "Ohio", "Ohio", True),
    ("OK", "Oklahoma", "Oklahoma", True), ("OR", "Oregon", "Oregon", True),
    ("PA", "Pennsylvania", "Pensilvania", True), ("RI", "Rhode Island", "Rhode Island", True),
    ("SC", "South Carolina", "Carolina del Sur", True),
    ("SD", "South Dakota", "Dakota del Sur", True), ("TN", "Tennessee", "Tennessee", True),
    ("TX", "Texas", "Texas", True), ("UT", "Utah", "Utah", True),
    ("VT", "Vermont", "Vermont", True), ("VA", "Virginia", "Virginia", True),
    ("WA", "Washington", "Washington", True),
    ("WV", "West Virginia", "Virginia Occidental", True),
    ("WI", "Wisconsin", "Wisconsin", True), ("WY", "Wyoming", "Wyoming", True),
    ("AS", "American Samoa", "Samoa Estadounidense", False), ("GU", "Guam", "Guam", False),
    ("MP", "Northern Mariana Islands", "Islas Marianas del Norte", False),
    ("PR", "Puerto Rico", "Puerto Rico", False),
    ("VI", "U.S. Virgin Islands", "Islas Vírgenes de EE. UU.", False),
))
#: ICE's state names, upper case, to their USPS codes (the pipeline reads the sheets with it).
STATE_CODES: dict[str, str] = {s.name.upper(): s.code for s in STATES}
#: The 50 states and the District of Columbia: any other state value on a list (Guam, the
#: Northern Mariana Islands...) is a territory.
STATES_AND_DC: frozenset[str] = frozenset(s.name for s in STATES if s.state)
#: Other spellings of a name on :data:`STATES` that data from elsewhere (map files) uses.
_STATE_ALIASES = {"Virgin Islands": "U.S. Virgin Islands"}
_BY_NAME = {s.name: s for s in STATES}


def state_name(name: str, lang: str | None = None) -> str:
    """A state's (or territory's) name as the language writes it in prose, charts and
    options: "North Carolina" -> "Carolina del Norte" in Spanish; unchanged in English and
    for names the same in both languages; a name not on :data:`STATES` stays as it is."""
    text = str(name)
    if i18n.resolve(lang) != "es":
        return text
    state = _BY_NAME.get(_STATE_ALIASES.get(text, text))
    return state.es if state is not None else text


# --------------------------------------------------------------------------- lists of names
#: A word starting with the sound /i/ ("Indiana", "Illinois", "Hidalgo", "Íñiguez"), before
#: which Spanish writes "e" for "y"; an i/hi followed by a vowel is a diphthong ("Iowa",
#: "hielo", "Hialeah") and keeps "y".
_I_SOUND = re.compile(r"(?i)h?[ií](?![aeiouáéíóúü])")


def join_names(items: Iterable[str], lang: str | None = None) -> str:
    """``a``, ``a and b``, ``a, b and c`` (Spanish ``a, b y c``; "e" instead of "y" before a
    word starting with the sound /i/: "Texas, Florida e Indiana", "Gómez e Ibarra", but
    "agua y hielo", "Texas y Iowa")."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    last = items[-1]
    word = tr("and", lang=lang)
    if i18n.resolve(lang) == "es" and _I_SOUND.match(last):
        word = "e"
    return f"{', '.join(items[:-1])} {word} {last}"


# --------------------------------------------------------------------------- publications
#: ICE's parts of day, as ``snapshots.csv`` records them, and as the book writes them
#: (the English words; their Spanish is in ``ice287g/locale/es/tables.json``).
PARTS_OF_DAY = {"am": "a.m.", "mid": "mid", "pm": "p.m."}


def part_of_day(row: Mapping) -> str:
    """ICE's own part-of-day tag of a publication (a row of ``snapshots.csv``): "am", "mid" or
    "pm" when the list carries ICE's stamp with one, else "" (an archive capture's time is the
    archive's, not ICE's). Never derived from the hour: ICE's "mid" lists are stamped 06:00."""
    if row.get("stamp_provenance") != "ice_stamp":
        return ""
    part = row.get("part_of_day")
    if not isinstance(part, str) or not part:
        return ""
    if part not in PARTS_OF_DAY:
        raise ValueError(f"publication {row.get('publication')!r}: part_of_day {part!r} is not "
                         f"one of {sorted(PARTS_OF_DAY)}")
    return part


def publication_label(row: Mapping, lang: str | None = None, *, one_line: bool = False) -> str:
    """A publication (a row of ``snapshots.csv``) as a reader knows it: the day and ICE's part
    of day, "May 18, 2026 (a.m.)" / "18 de mayo de 2026 (a. m.)", "September 29, 2025 (mid)" /
    "29 de septiembre de 2025 (mediodía)"; a stamp without a part of day is the day alone; an
    archive capture is "January 13, 2021 (captured)" / "13 de enero de 2021 (captura)".
    ``one_line``: the words joined by no-break spaces (a table cell)."""
    day = i18n.format_date(row["published_at"], lang)
    part = part_of_day(row)
    if part:
        text = tr("{date} ({part})", lang=lang, date=day, part=tr(PARTS_OF_DAY[part], lang=lang))
    elif row.get("stamp_provenance") == "archive_capture":
        text = tr("{date} (captured)", lang=lang, date=day)
    else:
        text = day
    return text.replace(" ", NBSP) if one_line else text


def publication_cells(values: Iterable, pubs: pd.DataFrame, lang: str | None = None, *,
                      by: str = "published_at") -> list[str]:
    """A table column of publications, each as :func:`publication_label` writes it on one
    line: ``values`` are publication keys (``by="publication"``) or publication times
    (``by="published_at"``; lists re-issued under one stamp share it, and its label). A
    missing value is blank; a value ``pubs`` lacks is an error naming it."""
    keys = pubs[by] if by == "publication" else pd.to_datetime(pubs[by])
    labels: dict = {}
    for key, row in zip(keys, pubs.to_dict("records")):
        labels.setdefault(key, publication_label(row, lang, one_line=True))
    out = []
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)) or v == "":
            out.append("")
            continue
        key = v if by == "publication" else pd.Timestamp(v)
        if key not in labels:
            raise KeyError(f"no publication with {by} {v!r}")
        out.append(labels[key])
    return out


# --------------------------------------------------------------------------- dates in tables
def date_cells(values: Iterable, lang: str | None = None) -> list[str]:
    """A table column of dates written for people ("May 18, 2026" / "18 de mayo de 2026",
    :func:`ice287g.i18n.format_date`), each on one line; a missing date is blank."""
    return [i18n.format_date(v, lang).replace(" ", NBSP) if pd.notna(v) else ""
            for v in pd.to_datetime(pd.Series(list(values), dtype=object))]


def partial_date_cells(values: Iterable[str], lang: str | None = None) -> list[str]:
    """A table column of the curated tables' dates, recorded to the day, the month or the year
    ("2025-07-08", "2025-07", "1996"), written for people ("July 8, 2025" / "8 de julio de
    2025", "July 2025" / "julio de 2025", "1996"; :func:`ice287g.i18n.format_partial_date`),
    each on one line; a blank date is blank."""
    return ["" if v is None or (not isinstance(v, str) and pd.isna(v)) or not str(v).strip()
            else i18n.format_partial_date(v, lang).replace(" ", NBSP) for v in values]


# --------------------------------------------------------------------------- counts in sentences
# A count glued into a sentence is written with its noun in the form the count takes
# (i18n.ntr: "1 removal", "3 removals", "1 retiro", "3 retiros"), and a zero that would read
# badly ("missing from 0 lists") is a sentence of its own ("has been on every list").
def sentence_start(text: str) -> str:
    """``text`` with its first letter capitalised (a glued phrase that opens a sentence)."""
    return text[:1].upper() + text[1:]


def rank_ordinal(n: int, lang: str | None = None) -> str:
    """A rank as an ordinal numeral before a (masculine) noun: "1st", "2nd", "3rd", "11th",
    "22nd" / "1.er", "2.º", "3.er", "11.º", "21.er" ("el 1.er lugar": *primer* and *tercer*
    drop their final o before a masculine noun, and so do the compounds that end in them,
    *vigésimo primer*, *decimotercer*; *undécimo* does not)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"a rank starts at 1, not {n}")
    if i18n.resolve(lang) == "es":
        return f"{n}.er" if n % 10 in (1, 3) and n % 100 != 11 else f"{n}.º"
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def missing_since_first_text(n: int, lang: str | None = None) -> str:
    """How many lists an agency has been missing from since it first appeared: "has been on
    every list" / "ha figurado en todas las listas" (none), "has been missing from 1 list",
    "has been missing from 3 lists" / "ha faltado en 3 listas"."""
    return i18n.ntr("has been missing from {n} list", "has been missing from {n} lists", n,
                    lang, zero="has been on every list")


def addendum_lists_text(n: int, lang: str | None = None) -> str:
    """Of some lists, those that also link an addendum: "none of them also links an addendum"
    / "ninguna de ellas enlaza además una adenda", "1 of them also links an addendum", "3 of
    them also link an addendum" / "3 de ellas enlazan además una adenda"."""
    return i18n.ntr("{n} of them also links an addendum", "{n} of them also link an addendum",
                    n, lang, zero="none of them also links an addendum")


def unplaced_territory_text(n: int, lang: str | None = None) -> str:
    """Agreements off the county map because they are in a territory: "1 is in a territory the
    map cannot show" / "1 está en un territorio que el mapa no puede mostrar", "3 are ...",
    and "none is in a territory the map cannot show" / "ninguno está ..."."""
    return i18n.ntr("{n} is in a territory the map cannot show",
                    "{n} are in a territory the map cannot show", n, lang,
                    zero="none is in a territory the map cannot show")


def unplaced_unknown_text(n: int, lang: str | None = None) -> str:
    """Agreements off the county map because ICE names a county the map does not have: "none
    names a county the map does not have" / "ninguno indica un condado que el mapa no tiene",
    "1 names ...", "3 name ..."."""
    return i18n.ntr("{n} names a county the map does not have",
                    "{n} name a county the map does not have", n, lang,
                    zero="none names a county the map does not have")


def removals_text(n_removed: int, n_left: int, lang: str | None = None) -> str:
    """A churn rule's count, as the rules of *Rotación* give it: "3 removals; 2 of the
    agreements that left" / "3 retiros; 2 de los acuerdos que salieron de la lista", "1 removal;
    none of the agreements that left", and "no removal so far" / "ningún retiro hasta ahora"."""
    if not n_removed:
        return i18n.tr("no removal so far", lang)
    return i18n.tr("{removals}; {left}", lang,
                   removals=i18n.ntr("{n} removal", "{n} removals", n_removed, lang),
                   left=i18n.ntr("{n} of the agreements that left",
                                 "{n} of the agreements that left", n_left, lang,
                                 zero="none of the agreements that left"))


def joined_left_text(n_joined: int, n_left: int, lang: str | None = None) -> str:
    """Agreements that joined and left a list: "13 joined and 2 left" / "entraron 13 y salieron
    2"; "1 joined and none left" / "entró 1 y no salió ninguno"."""
    return join_names([i18n.ntr("{n} joined", "{n} joined", n_joined, lang, zero="none joined"),
                       i18n.ntr("{n} left", "{n} left", n_left, lang, zero="none left")], lang)


def changes_text(n_joined: int, n_left: int, n_edited: int, lang: str | None = None) -> str:
    """What changed between two lists, as a sentence's start: "13 agreements joined, 2 left
    and no row was edited by ICE" / "Entraron 13 acuerdos, salieron 2 e ICE no modificó ninguna
    fila"; "1 agreement joined", "none left" / "no salió ninguno"..."""
    parts = [
        i18n.ntr("{n} agreement joined", "{n} agreements joined", n_joined, lang,
                 zero="no agreement joined"),
        i18n.ntr("{n} left", "{n} left", n_left, lang, zero="none left"),
        i18n.ntr("{n} row was edited by ICE", "{n} rows were edited by ICE", n_edited, lang,
                 zero="no row was edited by ICE"),
    ]
    return sentence_start(join_names(parts, lang))


def undated_text(n: int, lang: str | None = None) -> str:
    """Agreements of the latest list without a usable signing date, as a sentence's start:
    "Every agreement of the latest list has a usable signing date", "1 agreement of the latest
    list has no usable signing date", "12 agreements ... have no ..."."""
    return sentence_start(i18n.ntr(
        "{n} agreement of the latest list has no usable signing date",
        "{n} agreements of the latest list have no usable signing date", n, lang,
        zero="every agreement of the latest list has a usable signing date"))


# --------------------------------------------------------------------------- ICE's words
def support_type_label(value, lang: str | None = None, *, in_sentence: bool = False) -> str:
    """One of ICE's support types as the book shows it: ICE's English name, or its glossary
    translation ("Task Force Model" -> "Modelo de fuerza de tarea"). ``in_sentence``: the form
    for running text, where Spanish writes the common noun in lower case ("un acuerdo del
    modelo de fuerza de tarea") and English keeps ICE's capitals. A value that is not one of
    the three models (blank, or a raw value the pipeline flagged) is shown as ICE wrote it
    (:func:`ice287g.i18n.label`: in Spanish an untranslated label, which tables mark).
    """
    from .pipeline.thresholds import SUPPORT_TYPES

    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    if text not in SUPPORT_TYPES:
        return i18n.label(text, lang)
    label = tr(text, lang=lang)
    if in_sentence and i18n.resolve(lang) != i18n.DEFAULT_LANGUAGE:
        label = label[:1].lower() + label[1:]
    return label


#: The gettext context of ICE's agency types (``msgctxt "agency type"``): as an agency's type
#: "County" is "De condado" in Spanish, while the county column's header "County" is "Condado".
AGENCY_TYPE = "agency type"


def agency_type_label(value, lang: str | None = None) -> str:
    """One of ICE's agency types (its TYPE column) as the book shows it: ICE's English
    ("County", "Municipality", "State Agency") or its translation in the agency-type context
    ("De condado", "Municipal", "Agencia estatal"), the same label in charts, the explorer, the
    lookup and the pages. A value with no translation is shown as ICE wrote it
    (:func:`ice287g.i18n.label`)."""
    return i18n.label(value, lang, context=AGENCY_TYPE)


def support_type_cells(values: Iterable, lang: str | None = None) -> list[str]:
    """A table column of support types, as :func:`support_type_label` shows them."""
    return [support_type_label(v, lang) for v in values]


def yes_no(values: Iterable, lang: str | None = None) -> list[str]:
    """A table column of booleans: "yes" / "no" ("sí" / "no")."""
    return [tr("yes" if bool(v) else "no", lang=lang) for v in values]
