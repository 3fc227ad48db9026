"""Canonical values, flags, and the reviewed fixes table.

Cleaning never drops a row and never changes a value silently:

- whitespace is trimmed and collapsed everywhere (no flag; counted in ``qa.csv``);
- state names are matched case-insensitively to a canonical name and USPS code;
- agency types and support types are matched case-insensitively to ICE's canonical labels;
- SIGNED becomes an ISO date when it is one (``YYYY-MM-DD`` or ``M/D/YYYY``);
- anything else is either repaired by a row of the reviewed fixes table
  (``ice287g/data/fixes.csv``, keyed on the wrong raw value) and flagged ``<field>_fixed``, or
  left as it is and flagged (``state_unknown``, ``signed_unparsable`` ...). Where a value was
  changed beyond whitespace and letter case, the raw value is kept in a ``*_raw`` column.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

#: USPS codes of the states, DC and the territories.
STATES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "AMERICAN SAMOA": "AS", "GUAM": "GU", "NORTHERN MARIANA ISLANDS": "MP", "PUERTO RICO": "PR",
    "U.S. VIRGIN ISLANDS": "VI",
}
#: Canonical agency types (ICE's labels).
AGENCY_TYPES = ("County", "Municipality", "State Agency")
#: Canonical support types: the three 287(g) models.
SUPPORT_TYPES = ("Jail Enforcement Model", "Warrant Service Officer", "Task Force Model")
#: Cell texts that mean "no value".
MISSING = {"", "#NA", "#N/A", "N/A", "NA"}

#: 287(g) was enacted in 1996; the first agreement was signed in 2002.
FIRST_PLAUSIBLE_YEAR = 1996

_SPACE = re.compile(r"\s+")
_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def squash(text: str) -> str:
    """Trim and collapse whitespace (including non-breaking spaces)."""
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


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


@lru_cache(maxsize=1)
def load_fixes() -> dict[tuple[str, str], Fix]:
    """The reviewed fixes table, keyed on (field, whitespace-squashed casefolded raw value)."""
    text = resources.files("ice287g").joinpath("data/fixes.csv").read_text(encoding="utf-8")
    fixes = {}
    for row in csv.DictReader(text.splitlines()):
        fix = Fix(row["field"], row["raw"], row["fixed"], row["reason"])
        fixes[(fix.field, squash(fix.raw).casefold())] = fix
    return fixes


@lru_cache(maxsize=1)
def load_file_reviews() -> dict[str, dict]:
    """Reviewed decisions about whole files, keyed on the file's SHA-256."""
    text = resources.files("ice287g").joinpath("data/file_reviews.csv").read_text(encoding="utf-8")
    return {row["sha256"]: row for row in csv.DictReader(text.splitlines())}


def _fix(field: str, value: str) -> Fix | None:
    return load_fixes().get((field, squash(value).casefold()))


@lru_cache(maxsize=None)
def clean_state(raw: str) -> tuple[str, str, str, tuple[str, ...]]:
    """-> (state name, USPS code, raw kept if changed, flags)."""
    value = squash(raw)
    if value.upper() in MISSING:
        return "", "", raw if raw else "", ("state_blank",)
    flags: tuple[str, ...] = ()
    key = value.upper()
    if key not in STATES:
        fix = _fix("state", value)
        if fix is not None and squash(fix.fixed).upper() in STATES:
            key, flags = squash(fix.fixed).upper(), ("state_fixed",)
        else:
            return value, "", raw, ("state_unknown",)
    return title_state(key), STATES[key], raw if flags else "", flags


@lru_cache(maxsize=None)
def clean_label(field: str, raw: str) -> tuple[str, str, tuple[str, ...]]:
    """Agency type or support type -> (canonical label, raw kept if changed, flags)."""
    canon = AGENCY_TYPES if field == "type" else SUPPORT_TYPES
    value = squash(raw)
    if value.upper() in MISSING:
        return "", raw if raw.strip() else "", (f"{field}_blank",)
    for label in canon:
        if value.casefold() == label.casefold():
            return label, "", ()
    fix = _fix(field, value)
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
def clean_signed(raw: str) -> tuple[str, str, tuple[str, ...]]:
    """SIGNED -> (ISO date or "", raw kept if changed, flags).

    An impossible date (year before 1996 or after 2100, or unparsable text) is repaired only
    by the fixes table; otherwise the cleaned value is blank and the raw value is kept.
    """
    value = squash(raw)
    if value.upper() in MISSING:
        return "", "", ("signed_blank",)
    iso = None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$", value)
    if m:
        iso = _iso(int(m[1]), int(m[2]), int(m[3]))
    else:
        m = _MDY.match(value)
        if m:
            iso = _iso(int(m[3]), int(m[1]), int(m[2]))
    flags: list[str] = []
    if iso is None:
        flags.append("signed_unparsable")
    elif not (FIRST_PLAUSIBLE_YEAR <= int(iso[:4]) <= 2100):
        flags.append("signed_year_impossible")
    else:
        return iso, "" if iso == value else raw, ()
    fix = _fix("signed", value)
    if fix is not None:
        return fix.fixed, raw, (*flags, "signed_fixed")
    return "", raw, tuple(flags)


def agency_key(agency: str) -> str:
    """Agency name as compared across sheets: case, whitespace and apostrophes ignored."""
    return squash(agency.replace("\u2019", "'").replace("\u2018", "'")).casefold()


def short_hash(prefix: str, *parts: str, n: int = 11) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return prefix + digest[:n]


#: Field order of a raw row tuple (see ``sheets.COLUMNS``) used below.
_STATE, _AGENCY, _TYPE, _COUNTY, _SUPPORT, _SIGNED, _MOA, _ADDENDUM = range(8)

#: Columns of a cleaned row, in order.
CLEAN_FIELDS = (
    "state", "state_code", "agency", "agency_type", "county", "support_type", "signed",
    "addendum", "state_raw", "agency_raw", "agency_type_raw", "support_type_raw", "signed_raw",
    "flags", "agreement_key",
)


def clean_row(raw: tuple[str, ...]) -> tuple[str, ...]:
    """Clean one raw row (``sheets.COLUMNS`` order) into ``CLEAN_FIELDS`` order.

    ``agreement_key`` identifies the agreement across sheets: state, agency (compared as in
    ``agency_key``), support type and signed date. Agency type and county are attributes, not
    part of the key: the oldest lists have neither column, and ICE corrects their typos.
    """
    state, code, state_raw, f1 = clean_state(raw[_STATE])
    agency, agency_raw, f2 = clean_agency(raw[_AGENCY])
    typ, typ_raw, f3 = clean_label("type", raw[_TYPE]) if squash(raw[_TYPE]) else ("", "", ())
    county = clean_county(raw[_COUNTY])
    support, support_raw, f4 = clean_label("support_type", raw[_SUPPORT])
    signed, signed_raw, f5 = clean_signed(raw[_SIGNED])
    f3 = tuple(f.replace("type_", "agency_type_") for f in f3)
    flags = ";".join(sorted({*f1, *f2, *f3, *f4, *f5}))
    key = "\x1f".join([code or state.upper(), agency_key(agency), support.casefold(),
                       signed or squash(raw[_SIGNED])])
    addendum = squash(raw[_ADDENDUM])
    return (state, code, agency, typ, county, support, signed, addendum, state_raw, agency_raw,
            typ_raw, support_raw, signed_raw, flags, key)


def is_whitespace_changed(raw: str) -> bool:
    return raw != squash(raw)
