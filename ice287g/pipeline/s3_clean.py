"""Stage 3: clean every distinct row once; the reviewed fixes table; the agency-name normaliser.

Cleaning never drops a row and never changes a value silently:

- every cell of every row is first put in Unicode NFC form with its invisible format
  characters removed (category Cf: zero-width space and joiners, byte-order mark, bidi marks,
  soft hyphen ...), so that a look-alike spelling is the same text; each changed cell is
  recorded (``RowStore.text_changes``) and named in ``qa.csv`` (``text_normalised``);
- whitespace is trimmed and collapsed everywhere (no flag; counted in ``qa.csv``);
- state names are matched case-insensitively to a canonical name and USPS code;
- agency types and support types are matched case-insensitively to ICE's canonical labels;
- SIGNED becomes an ISO date when it is one (``YYYY-MM-DD`` or ``M/D/YYYY``);
- anything else is either repaired by a row of the reviewed fixes table
  (``data/reviewed/fixes.csv``, keyed on the wrong raw value) and flagged ``<field>_fixed``, or left as it is and flagged
  (``state_unknown``, ``signed_unparsable`` ...). Where a value was changed beyond whitespace
  and letter case, the raw value is kept in a ``*_raw`` column.

Rows are interned in a ``RowStore``: each distinct raw row (MOA link left out) is stored and
cleaned once, and a file's rows are a list of indices into it. A file's *content id* is a
hash of its cleaned rows, so files that carry the same list are recognised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import operator
import re
import unicodedata
from dataclasses import dataclass, field
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from ..words import STATE_CODES
from .records import FileRecord, SheetError
from .s1_find import read_reviewed_table
from .thresholds import (AGENCY_TYPES, COLUMNS, FIRST_PLAUSIBLE_YEAR, LAST_PLAUSIBLE_YEAR,
                         MISSING, SUPPORT_TYPES)

#: USPS codes of the states, DC and the territories, by ICE's name in upper case: from the one
#: list of states (``ice287g.words.STATES``, which also holds their names in each language).
STATES = STATE_CODES

_SPACE = re.compile(r"\s+")
_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
#: An ISO date, with or without a time of day (a SIGNED cell typed as a date and time is
#: read as "2025-03-19T14:30:00": its date is the signing date, the raw value is kept).
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?$")
#: Position of each of ICE's columns in a raw row (``thresholds.COLUMNS`` order).
RAW = {name: i for i, name in enumerate(COLUMNS)}
#: The raw columns that carry a row's content (the MOA link is capture-specific: archived
#: captures hold capture-specific links there).
RAW_CONTENT = tuple(c for c in COLUMNS if c != "MOA")
_STATE, _AGENCY, _TYPE, _COUNTY, _SUPPORT, _SIGNED, _MOA, _ADDENDUM = (
    RAW[c] for c in ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE",
                     "SIGNED", "MOA", "ADDENDUM"))
#: A raw row's cells without its MOA link: the key rows are interned on.
_content_key = operator.itemgetter(*(RAW[c] for c in RAW_CONTENT))
#: The raw columns whose stray whitespace ``qa.csv``'s whitespace_trimmed row counts.
WHITESPACE_COLUMNS = tuple(RAW[c] for c in RAW_CONTENT if c != "ADDENDUM")
_whitespace_cells = operator.itemgetter(*WHITESPACE_COLUMNS)


def normalise_text(text: str) -> str:
    """``text`` in Unicode NFC form without invisible format characters (category Cf: zero-width
    space, zero-width (non-)joiner, word joiner, byte-order mark, bidi marks and isolates, soft
    hyphen ...). They are removed before composing, so a joiner between a letter and its
    accent does not keep them apart."""
    if text.isascii():  # no Cf character and nothing to compose
        return text
    if any(unicodedata.category(c) == "Cf" for c in text):
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFC", text)


def normalise_rows(rows: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]],
                                                          list[tuple[int, int, str, str]]]:
    """``normalise_text`` of every cell of every row -> (rows, changes), ``changes`` holding
    (row index, column index, before, after) of each cell that changed. A sheet of ASCII text
    (every one of ICE's so far) is returned as it is after one C-level pass."""
    if "".join(itertools.chain.from_iterable(rows)).isascii():
        return rows, []
    out, changes = [], []
    for k, row in enumerate(rows):
        if "".join(row).isascii():
            out.append(row)
            continue
        new = tuple(map(normalise_text, row))
        if new != row:
            changes.extend((k, j, a, b) for j, (a, b) in enumerate(zip(row, new)) if a != b)
        out.append(new)
    return out, changes


def visible(text: str) -> str:
    """``text`` quoted, with every character a reader could not see or tell apart escaped
    (format and control characters, combining marks, spaces other than the ASCII space:
    ``'Key\\u200bWest'``, ``'Cafe\\u0301'``), for reports."""
    out = []
    for c in text:
        cat = unicodedata.category(c)
        if c == " " or (c != "\\" and c != "'" and cat[0] not in "CMZ"):
            out.append(c)
        elif c in "\\'":
            out.append("\\" + c)
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
    return "'" + "".join(out) + "'"


def squash(text: str) -> str:
    """Trim and collapse whitespace (including non-breaking spaces)."""
    if text.isprintable() and "  " not in text:  # only single ASCII spaces: nothing to collapse
        return text.strip()
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


def normalise_agency(agency: str) -> str:
    """THE agency-name normaliser: an agency name as compared across sheets and in the book's
    lookups (case, whitespace and curly vs straight apostrophes ignored)."""
    return squash(str(agency).replace("\u2019", "'").replace("\u2018", "'")).casefold()


def title_state(name: str) -> str:
    small = {"of"}
    return " ".join(w.lower() if w.lower() in small else w.upper() if "." in w else w.capitalize()
                    for w in name.split(" "))


@dataclass(frozen=True)
class Fix:
    field: str
    raw: str
    fixed: str
    reason: str
    agency: str = ""  # blank: every row; else only the rows of this agency (normalise_agency)
    evidence: str = ""
    support_type: str = ""  # with ``agency``: only that agency's rows of this model


@dataclass(frozen=True, eq=False)  # hashed by identity: the clean_* caches key on it
class Fixes:
    """The reviewed fixes table, keyed on (field, whitespace-squashed casefolded raw value);
    a fix for one agency's rows only (``scoped``) is keyed on (field, raw, the agency as
    ``normalise_agency`` gives it) and applies even to a valid value (a wrong but existing
    state, a date printed with the wrong year)."""

    by_key: dict[tuple[str, str], Fix]
    scoped: dict[tuple[str, str, str, str], Fix] = field(default_factory=dict)

    def get(self, field: str, value: str) -> Fix | None:
        return self.by_key.get((field, squash(value).casefold()))

    def get_scoped(self, field: str, value: str, agency_norm: str, support: str = "") -> Fix | None:
        """The fix of this agency's (and model's, when the fix names one) ``value``."""
        key = (field, squash(value).casefold(), agency_norm)
        return self.scoped.get((*key, support.casefold())) or self.scoped.get((*key, ""))

    @property
    def all(self) -> list[Fix]:
        return [*self.by_key.values(), *self.scoped.values()]


#: No reviewed fixes (values are only matched to canonical labels).
NO_FIXES = Fixes({})
FIX_COLUMNS = ("field", "raw", "fixed", "agency", "support_type", "reason", "evidence")
FIX_FIELDS = ("state", "type", "support_type", "signed", "agency", "moa", "addendum")
#: The fields whose values are ICE's document links (read from the MOA and ADDENDUM cells,
#: ``links.ice_link``): a fix maps one link as a sheet printed it to ICE's right link.
LINK_FIELDS = ("moa", "addendum")
#: The fields a fix scoped to one agency may repair.
SCOPED_FIELDS = ("state", "type", "signed")


def load_fixes(path: Path) -> Fixes:
    """Read the reviewed fixes table (``data/reviewed/fixes.csv``). Raises ``SheetError``
    naming the file and row when it is malformed (unknown field, no reason, a raw value
    fixed twice, a fix to a label that is not canonical)."""
    path = Path(path)
    by_key: dict[tuple[str, str], Fix] = {}
    scoped: dict[tuple[str, str, str], Fix] = {}
    for n, row in read_reviewed_table(path, FIX_COLUMNS, "the reviewed fixes table"):
        fix = Fix(row["field"], row["raw"], row["fixed"], row["reason"], row["agency"],
                  row["evidence"], row["support_type"])
        if fix.field not in FIX_FIELDS:
            raise SheetError(path, f"unknown field {fix.field!r} (known: {', '.join(FIX_FIELDS)})", row=n)
        if not fix.reason.strip() or not fix.evidence.strip():
            raise SheetError(path, "a fix needs a reason and its evidence", row=n)
        canon = {"type": AGENCY_TYPES, "support_type": SUPPORT_TYPES}.get(fix.field)
        if canon is not None and fix.fixed not in canon:
            raise SheetError(path, f"{fix.fixed!r} is not a canonical {fix.field} ({', '.join(canon)})", row=n)
        if fix.field == "state" and squash(fix.fixed).upper() not in STATES:
            raise SheetError(path, f"{fix.fixed!r} is not a state", row=n)
        if fix.field in LINK_FIELDS and not (_ice_document(fix.raw) and _ice_document(fix.fixed)):
            raise SheetError(path, f"a {fix.field} fix maps one https link on ICE's site to "
                                   f"another (raw and fixed as links.ice_link reads them)", row=n)
        if fix.field == "signed" and (not _ISO.match(fix.fixed) or _iso(
                int(fix.fixed[:4]), int(fix.fixed[5:7]), int(fix.fixed[8:10])) is None):
            raise SheetError(path, f"{fix.fixed!r} is not an ISO date", row=n)
        if fix.agency.strip():
            if fix.field not in SCOPED_FIELDS:
                raise SheetError(path, f"a {fix.field} fix cannot be limited to one agency "
                                       f"(only {', '.join(SCOPED_FIELDS)})", row=n)
            if fix.support_type and fix.support_type not in SUPPORT_TYPES:
                raise SheetError(path, f"{fix.support_type!r} is not a support type", row=n)
            key3 = (fix.field, squash(fix.raw).casefold(), normalise_agency(fix.agency),
                    fix.support_type.casefold())
            if key3 in scoped:
                raise SheetError(path, f"the {fix.field} value {fix.raw!r} of {fix.agency!r} is "
                                       "fixed twice", row=n)
            scoped[key3] = fix
            continue
        if fix.support_type:
            raise SheetError(path, "support_type limits a fix to one agency's rows: give the agency",
                             row=n)
        key = (fix.field, squash(fix.raw).casefold())
        if key in by_key:
            raise SheetError(path, f"the {fix.field} value {fix.raw!r} is fixed twice", row=n)
        by_key[key] = fix
    return Fixes(by_key, scoped)


def _ice_document(url: str) -> bool:
    """Whether ``url`` is an https link on ICE's site, as ``links.ice_link`` gives it."""
    import urllib.parse

    from .links import ice_link
    from .thresholds import ICE_HOSTS

    parts = urllib.parse.urlsplit(url)
    return (ice_link(url) == url and parts.scheme == "https"
            and (parts.hostname or "") in ICE_HOSTS)


def fix_link(field: str, url: str, fixes: Fixes = NO_FIXES) -> str:
    """ICE's document link ``url`` (``field``: ``moa`` or ``addendum``) as the reviewed fixes
    read it: a link a sheet printed wrong (an archive's capture rewrote it) becomes ICE's."""
    fix = fixes.get(field, url) if url else None
    return fix.fixed if fix is not None else url


@lru_cache(maxsize=None)
def clean_state(raw: str, fixes: Fixes = NO_FIXES) -> tuple[str, str, str, tuple[str, ...]]:
    """-> (state name, USPS code, raw kept if changed, flags)."""
    value = squash(raw)
    if value.upper() in MISSING:
        return "", "", raw if raw else "", ("state_blank",)
    flags: tuple[str, ...] = ()
    key = value.upper()
    if key not in STATES:
        fix = fixes.get("state", value)
        if fix is not None and squash(fix.fixed).upper() in STATES:
            key, flags = squash(fix.fixed).upper(), ("state_fixed",)
        else:
            return value, "", raw, ("state_unknown",)
    return title_state(key), STATES[key], raw if flags else "", flags


@lru_cache(maxsize=None)
def clean_label(field: str, raw: str, fixes: Fixes = NO_FIXES) -> tuple[str, str, tuple[str, ...]]:
    """Agency type or support type -> (canonical label, raw kept if changed, flags)."""
    canon = AGENCY_TYPES if field == "type" else SUPPORT_TYPES
    value = squash(raw)
    if value.upper() in MISSING:
        return "", raw if raw.strip() else "", (f"{field}_blank",)
    for label in canon:
        if value.casefold() == label.casefold():
            return label, "", ()
    fix = fixes.get(field, value)
    if fix is not None and fix.fixed in canon:
        return fix.fixed, raw, (f"{field}_fixed",)
    return value, raw, (f"{field}_unknown",)


@lru_cache(maxsize=None)
def clean_agency(raw: str) -> tuple[str, str, tuple[str, ...]]:
    value = squash(raw)
    if not value:
        return "", "", ("agency_blank",)
    # Drop stray punctuation at the ends (" Florida Department of ..., Criminal Division,").
    trimmed = value.strip(" ,;")
    return trimmed, raw if trimmed != value else "", ()


@lru_cache(maxsize=None)
def clean_county(raw: str) -> str:
    value = squash(raw)
    return "" if value.upper() in MISSING else value


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=None)
def clean_signed(raw: str, fixes: Fixes = NO_FIXES) -> tuple[str, str, tuple[str, ...]]:
    """SIGNED -> (ISO date or "", raw kept if changed, flags).

    An impossible date (year before 1996 or after 2100, or unparsable text) is repaired only
    by the fixes table; otherwise the cleaned value is blank and the raw value is kept.
    """
    value = squash(raw)
    if value.upper() in MISSING:
        return "", "", ("signed_blank",)
    iso = None
    m = _ISO.match(value)
    if m:
        iso = _iso(int(m[1]), int(m[2]), int(m[3]))
    else:
        m = _MDY.match(value)
        if m:
            iso = _iso(int(m[3]), int(m[1]), int(m[2]))
    flags: list[str] = []
    if iso is None:
        flags.append("signed_unparsable")
    elif not (FIRST_PLAUSIBLE_YEAR <= int(iso[:4]) <= LAST_PLAUSIBLE_YEAR):
        flags.append("signed_year_impossible")
    else:
        return iso, "" if iso == value else raw, ()
    fix = fixes.get("signed", value)
    if fix is not None:
        return fix.fixed, raw, (*flags, "signed_fixed")
    return "", raw, tuple(flags)


def short_hash(prefix: str, *parts: str, n: int = 11) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return prefix + digest[:n]


class CleanRow(NamedTuple):
    """A cleaned row. ``agreement_key`` identifies the agreement across sheets."""

    state: str
    state_code: str
    agency: str
    agency_type: str
    county: str
    support_type: str
    signed: str
    addendum: str
    state_raw: str
    agency_raw: str
    agency_type_raw: str
    support_type_raw: str
    signed_raw: str
    flags: str
    agreement_key: str


#: The cleaned values that make a row's content (raw values, flags and key left out).
CONTENT_FIELDS = ("state", "state_code", "agency", "agency_type", "county", "support_type",
                  "signed", "addendum")
#: The ``*_raw`` fields, in output order.
RAW_FIELDS = ("state_raw", "agency_raw", "agency_type_raw", "support_type_raw", "signed_raw")


@lru_cache(maxsize=None)
def _clean_type(raw: str, fixes: Fixes = NO_FIXES) -> tuple[str, str, tuple[str, ...]]:
    """The TYPE cell as ``clean_row`` treats it: blank (older sheets) is no type and no flag."""
    if not squash(raw):
        return "", "", ()
    typ, typ_raw, flags = clean_label("type", raw, fixes)
    return typ, typ_raw, tuple(f.replace("type_", "agency_type_") for f in flags)


#: ``squash`` memoised, for the columns with few distinct values (SIGNED, ADDENDUM).
_squash_few = lru_cache(maxsize=1 << 16)(squash)


def clean_row(raw: tuple[str, ...], fixes: Fixes = NO_FIXES) -> CleanRow:
    """Clean one raw row (``thresholds.COLUMNS`` order).

    ``agreement_key`` identifies the agreement across sheets: state, agency (compared as in
    ``normalise_agency``), support type and signed date. Agency type and county are
    attributes, not part of the key: the oldest lists have neither column, and ICE corrects
    their typos.
    """
    return _clean_rows([raw], fixes)[0][0]


_new_tuple = tuple.__new__  # CleanRow from a tuple of its 15 fields, without NamedTuple's __new__


def _clean_rows(raws: list[tuple[str, ...]], fixes: Fixes) -> list[tuple[CleanRow, str]]:
    """``clean_row`` of each raw row, with the row's agency as ``normalise_agency`` gives it.

    Column by column: each cell goes through its (memoised) cleaner in one ``map``, so the
    Python-level work per row is only putting the row together."""
    col = [list(map(operator.itemgetter(k), raws)) for k in range(len(COLUMNS))]
    fx = itertools.repeat(fixes)
    agencies = list(map(clean_agency, col[_AGENCY]))
    if any(f.field == "agency" for f in fixes.by_key.values()):
        agencies = [_fix_agency(a, raw, fixes) for a, raw in zip(agencies, col[_AGENCY])]
    norms = list(map(normalise_agency, map(_FIRST, agencies)))
    out = []
    for ((state, code, state_raw, f1), (agency, agency_raw, f2), (typ, typ_raw, f3), county,
         (support, support_raw, f4), (signed, signed_raw, f5), raw_signed, addendum,
         norm) in zip(map(clean_state, col[_STATE], fx), agencies,
                      map(_clean_type, col[_TYPE], fx), map(clean_county, col[_COUNTY]),
                      map(clean_label, itertools.repeat("support_type"), col[_SUPPORT], fx),
                      map(clean_signed, col[_SIGNED], fx), col[_SIGNED],
                      map(_squash_few, col[_ADDENDUM]), norms):
        if fixes.scoped:
            (state, code, state_raw, f1), (typ, typ_raw, f3), (signed, signed_raw, f5) = \
                _fix_scoped(norm, support, fixes, raws[len(out)], (state, code, state_raw, f1),
                            (typ, typ_raw, f3), (signed, signed_raw, f5))
        flags = ";".join(sorted({*f1, *f2, *f3, *f4, *f5})) if f1 or f2 or f3 or f4 or f5 else ""
        key = "\x1f".join([code or state.upper(), norm, support.casefold(),
                           signed or _squash_few(raw_signed)])
        out.append((_new_tuple(CleanRow, (state, code, agency, typ, county, support, signed,
                                          addendum, state_raw, agency_raw, typ_raw,
                                          support_raw, signed_raw, flags, key)), norm))
    return out


_FIRST = operator.itemgetter(0)


def _fix_agency(cleaned: tuple[str, str, tuple[str, ...]], raw: str,
                fixes: Fixes) -> tuple[str, str, tuple[str, ...]]:
    """A name repaired by an ``agency`` fix (an artefact of the Internet Archive's capture,
    not ICE's text): (ICE's name, raw kept, ``agency_fixed``)."""
    fix = fixes.get("agency", raw)
    if fix is None:
        return cleaned
    return squash(fix.fixed), raw, (*cleaned[2], "agency_fixed")


def _fix_scoped(norm, support, fixes, raw_row, state_t, type_t, signed_t):
    """Apply the fixes limited to this row's agency (``norm``): a wrong but valid state,
    TYPE or SIGNED value, keyed on ICE's raw value; each repaired cell is flagged
    ``<field>_fixed`` and keeps its raw value."""
    fix = fixes.get_scoped("state", raw_row[_STATE], norm, support)
    if fix is not None:
        key = squash(fix.fixed).upper()
        state_t = (title_state(key), STATES[key], raw_row[_STATE],
                   (*[f for f in state_t[3] if f != "state_unknown"], "state_fixed"))
    fix = fixes.get_scoped("type", raw_row[_TYPE], norm, support)
    if fix is not None:
        type_t = (fix.fixed, raw_row[_TYPE],
                  (*[f for f in type_t[2] if not f.startswith("agency_type_")], "agency_type_fixed"))
    fix = fixes.get_scoped("signed", raw_row[_SIGNED], norm, support)
    if fix is not None:
        signed_t = (fix.fixed, raw_row[_SIGNED], (*signed_t[2], "signed_fixed"))
    return state_t, type_t, signed_t


def is_whitespace_changed(raw: str) -> bool:
    return raw != squash(raw)


def _row_whitespace_changed(row: tuple[str, ...]) -> bool:
    """Whether ``squash`` changes any ``WHITESPACE_COLUMNS`` cell of a raw row.

    Fast path: when the cells joined by "|" (a character none of them holds) are printable
    with no double space, so is each cell, and as printable text's only whitespace is the ASCII
    space, ``squash`` changes a cell only by stripping a space at its start or end; otherwise
    every cell is checked."""
    cells = _whitespace_cells(row)
    text = "|".join(cells)
    if text.isprintable() and "  " not in text and text.count("|") == len(cells) - 1:
        return text[:1] == " " or text[-1:] == " " or " |" in text or "| " in text
    return any(c != squash(c) for c in cells)


@lru_cache(maxsize=1 << 16)
def _signed_date(text: str) -> dt.date | None:
    """A cleaned SIGNED value as a date (None when blank)."""
    return dt.date.fromisoformat(text) if text else None


_SIGNED_OF = operator.attrgetter("signed")


#: Number of leading CleanRow fields that make its content (``CONTENT_FIELDS``).
_N_CONTENT = len(CONTENT_FIELDS)
if CleanRow._fields[:_N_CONTENT] != CONTENT_FIELDS:  # content_text slices the row
    raise ImportError("CleanRow must start with CONTENT_FIELDS")
_content_fields = operator.itemgetter(slice(0, _N_CONTENT))


@dataclass
class RowStore:
    """Every distinct raw row (MOA left out) once, with its cleaned form (by ``fixes``).

    Beside each cleaned row: its content text (``CONTENT_FIELDS`` joined), SIGNED as a date,
    its agency as ``normalise_agency`` compares it, and whether a content cell carries stray
    whitespace."""

    fixes: Fixes = NO_FIXES
    raw_rows: list[tuple[str, ...]] = field(default_factory=list)
    clean_rows: list[CleanRow] = field(default_factory=list)
    content_text: list[str] = field(default_factory=list)  # the row's CONTENT_FIELDS joined
    signed_date: list[dt.date | None] = field(default_factory=list)
    agency_norm: list[str] = field(default_factory=list)  # normalise_agency(clean agency)
    whitespace_changed: list[bool] = field(default_factory=list)
    index: dict[tuple[str, ...], int] = field(default_factory=dict)
    #: Each cell ``normalise_rows`` changed: (file's path in its archive, sheet row, column, before,
    #: after), where the sheet carrying it was first cleaned (``clean_records``).
    text_changes: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    #: How many files print each document link a reviewed fix maps, by (field, the fix's key).
    link_fix_files: Counter = field(default_factory=Counter)

    def add(self, rows: list[tuple[str, ...]]) -> list[int]:
        """Intern (and clean, when new) each row; return their indices."""
        index = self.index
        keys = list(map(_content_key, rows))  # each row with its MOA cell blanked
        out = list(map(index.get, keys))
        if None in out:  # new rows: clean each once (a row repeated in ``rows`` included)
            first = len(self.raw_rows)
            new: list[tuple[str, ...]] = []
            blank = ("",)
            for k in [k for k, i in enumerate(out) if i is None]:
                i = index.get(keys[k])
                if i is None:
                    i = index[keys[k]] = first + len(new)
                    row = rows[k]
                    new.append(row[:_MOA] + blank + row[_MOA + 1:])
                out[k] = i
            cleaned = _clean_rows(new, self.fixes)
            clean = list(map(_FIRST, cleaned))
            self.raw_rows.extend(new)
            self.clean_rows.extend(clean)
            self.content_text.extend(map("\x1f".join, map(_content_fields, clean)))
            self.signed_date.extend(map(_signed_date, map(_SIGNED_OF, clean)))
            self.agency_norm.extend(map(operator.itemgetter(1), cleaned))
            self.whitespace_changed.extend(map(_row_whitespace_changed, new))
        return out

    def content_id(self, ids: list[int]) -> str:
        """Hash of a sheet's cleaned rows (order-independent)."""
        text = "\n".join(sorted(map(self.content_text.__getitem__, ids)))
        return "C" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def clean_records(records: list[FileRecord], fixes: Fixes) -> RowStore:
    """Fill ``row_ids`` and ``content_id`` of every read record (cleaned with the reviewed
    ``fixes``); return the row store.

    Records sharing one ``ParsedSheet`` (byte-identical files) share one ``row_ids`` list.
    Every cell is put through ``normalise_text`` first; the cells it changed are recorded in
    ``store.text_changes``.
    """
    store = RowStore(fixes)
    ids_of: dict[int, list[int]] = {}
    cid_of: dict[int, str] = {}
    for rec in records:
        if rec.parsed is None:
            continue
        k = id(rec.parsed)
        if k not in ids_of:
            rows, changes = normalise_rows(rec.parsed.rows)
            nums = rec.parsed.row_numbers
            store.text_changes.extend(
                (rec.sf.relpath, nums[i] if i < len(nums) else 0,
                 COLUMNS[j], before, after) for i, j, before, after in changes)
            ids_of[k] = store.add(rows)
            cid_of[k] = store.content_id(ids_of[k])
        rec.row_ids = ids_of[k]
        rec.content_id = cid_of[k]
        for f, urls in (("moa", rec.parsed.moa_links), ("addendum", rec.parsed.addendum_links)):
            for url in set(urls):
                if url and fixes.get(f, url) is not None:
                    store.link_fix_files[(f, squash(url).casefold())] += 1
    return store
