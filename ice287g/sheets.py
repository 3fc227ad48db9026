"""Find ICE's 287(g) workbooks, parse their names and stamps, and read them.

Three naming forms occur (see ``data/README.md``):

1. ``ParticipatingEntities-<YYYYMMDDhhmmss>.xlsx`` -- ICE's HTML table extracted from an
   Internet Archive capture taken at that UTC time (``form="archive_table"``).
2. ``participatingAgencies-<YYYYMMDDhhmmss>.xlsx`` -- ICE's workbook as the Internet Archive
   captured it at that UTC time (``form="archive_workbook"``).
3. ``participatingAgencies<MMDDYYYY>[am|mid|pm][suffix].xlsx`` -- ICE's own file name; the date
   and part of day are ICE's publication stamp (``form="ice_file"``).

Pending lists use the same forms with ``pending``. A capture folder
``sheets_<YYYYMMDD>_<HHMMSS>/`` around a file gives the UTC time it was downloaded.

Reading normalises every cell to text (dates as ISO ``YYYY-MM-DD``) so that the result does
not depend on the engine (calamine or openpyxl); the tests check that both agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

#: Bump when the parsed form stored in the cache changes.
PARSER_VERSION = 3

#: Canonical column order of a parsed sheet (ICE's header names, whitespace-normalised).
COLUMNS = (
    "STATE",
    "LAW ENFORCEMENT AGENCY",
    "TYPE",
    "COUNTY",
    "SUPPORT TYPE",
    "SIGNED",
    "MOA",
    "ADDENDUM",
)
KNOWN_COLUMNS = frozenset(COLUMNS)

#: Columns a sheet of each list must have.
REQUIRED = {
    "participating": ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED"),
    "pending": ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE"),
}
#: Columns only the participating list has: their presence in a pending-named sheet (or
#: their absence from a participating-named one) marks a sheet holding the other list.
PARTICIPATING_ONLY = frozenset({"SIGNED", "ADDENDUM"})

LISTS = ("participating", "pending")

#: Part of day -> the time ``published_at`` is given. ICE's stamps carry no hour: these
#: times only order publications of one day (am < mid < pm); a stamp without a part of day
#: is placed at 00:00.
PART_TIMES = {"am": dt.time(0, 0), "mid": dt.time(6, 0), "pm": dt.time(12, 0), "": dt.time(0, 0)}

_CAPTURE_NAME = re.compile(
    r"^(?P<list>participating|pending)(?P<kind>Entities|Agencies)-(?P<ts>\d{14})\.xlsx$",
    re.IGNORECASE,
)
_ICE_NAME = re.compile(
    r"^(?P<list>participating|pending)Agencies(?P<date>\d{8,9})(?P<part>am|mid|pm)?"
    r"(?P<suffix>[ _]?[A-Za-z0-9]{0,4}|\scopy)\.xlsx$",
    re.IGNORECASE,
)
_CAPTURE_FOLDER = re.compile(r"^sheets_(?P<d>\d{8})_(?P<t>\d{6})$")
_SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".ods", ".tsv"}


class SheetError(Exception):
    """Bad input: names the file (and the row where it applies)."""

    def __init__(self, path: Path | str, message: str, row: int | None = None):
        self.path = Path(path)
        self.row = row
        where = f"{self.path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SheetName:
    """What a file name says about the sheet."""

    list: str  # "participating" or "pending"
    form: str  # "archive_table", "archive_workbook" or "ice_file"
    provenance: str  # "archive_capture" (time of an archive capture) or "ice_stamp"
    stamp_raw: str  # the date part of the name exactly as written
    stamp: dt.datetime  # the name's timestamp (ICE stamp: date + ordering time of its part)
    part_of_day: str  # "am", "mid", "pm", or "" (capture times and stamps without one)
    revision: str  # "" or the normalised suffix: "b", "2", "copy", ...
    name_note: str = ""  # how an irregular name was read


def _date_from_mmddyyyy(digits: str) -> dt.date | None:
    try:
        return dt.date(int(digits[4:8]), int(digits[0:2]), int(digits[2:4]))
    except ValueError:
        return None


def parse_name(name: str) -> SheetName:
    """Parse a sheet's file name; raise ``SheetError`` when it carries no usable date."""
    m = _CAPTURE_NAME.match(name)
    if m:
        ts = m["ts"]
        try:
            stamp = dt.datetime.strptime(ts, "%Y%m%d%H%M%S")
        except ValueError:
            raise SheetError(name, f"the capture timestamp {ts!r} in the file name is not a valid time")
        kind = "archive_table" if m["kind"].lower() == "entities" else "archive_workbook"
        return SheetName(m["list"].lower(), kind, "archive_capture", ts, stamp, "", "")
    m = _ICE_NAME.match(name)
    if m:
        digits, note = m["date"], ""
        if len(digits) == 8:
            day = _date_from_mmddyyyy(digits)
        else:
            # A 9-digit date: accept it only when dropping one digit yields exactly one valid
            # MMDDYYYY date (participatingAgencies090022025am -> 09/02/2025).
            candidates = {
                d for i in range(9) if (d := _date_from_mmddyyyy(digits[:i] + digits[i + 1:]))
            }
            day = candidates.pop() if len(candidates) == 1 else None
            if day is not None:
                note = f"9-digit date {digits} read as {day.isoformat()} (one digit too many)"
        if day is None or not (2000 <= day.year <= 2100):
            raise SheetError(name, f"the date {digits!r} in the file name is not a valid MMDDYYYY date")
        part = (m["part"] or "").lower()
        suffix = m["suffix"].strip().lstrip("_").lower()
        if not part:
            note = "; ".join(filter(None, [note, "no am/pm in the name: placed at 00:00"]))
        return SheetName(
            m["list"].lower(), "ice_file", "ice_stamp", digits + part,
            dt.datetime.combine(day, PART_TIMES[part]), part, suffix, note,
        )
    raise SheetError(
        name,
        "cannot read a list and date from the file name (expected participatingAgencies<MMDDYYYY>"
        "<am|mid|pm>.xlsx, pendingAgencies..., or <list>Entities/Agencies-<YYYYMMDDhhmmss>.xlsx)",
    )


def captured_at_from_path(path: Path) -> dt.datetime | None:
    """The UTC download time from an enclosing ``sheets_<YYYYMMDD>_<HHMMSS>`` folder."""
    for folder in path.parents:
        m = _CAPTURE_FOLDER.match(folder.name)
        if m:
            try:
                return dt.datetime.strptime(m["d"] + m["t"], "%Y%m%d%H%M%S")
            except ValueError:
                raise SheetError(path, f"the capture folder {folder.name!r} is not a valid time")
    return None


@dataclass
class SheetFile:
    """One workbook found in an archive."""

    path: Path
    archive: Path
    sha256: str
    size: int

    @property
    def relpath(self) -> str:
        return self.path.relative_to(self.archive).as_posix()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_sheet_candidate(path: Path) -> bool:
    """An input: any ``.xlsx`` file, or a spreadsheet-like file named after ICE's lists."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return True
    lower = path.name.lower()
    return suffix in _SPREADSHEET_SUFFIXES and (
        lower.startswith("participating") or lower.startswith("pending")
    )


def find_sheets(archives: list[Path]) -> list[SheetFile]:
    """Every sheet under the given archive folders (flat or nested), in a stable order."""
    found: list[SheetFile] = []
    for archive in archives:
        archive = Path(archive)
        if not archive.is_dir():
            raise SheetError(archive, "the sheet folder does not exist")
        paths = sorted(
            (p for p in archive.rglob("*") if p.is_file() and is_sheet_candidate(p)
             and not any(part.startswith(".") for part in p.relative_to(archive).parts)),
            key=lambda p: p.relative_to(archive).as_posix(),
        )
        for p in paths:
            found.append(SheetFile(p, archive, sha256_file(p), p.stat().st_size))
    return found


# --- reading ---------------------------------------------------------------------------


@dataclass
class ParsedSheet:
    """A workbook's first sheet, cells normalised to text, in ``COLUMNS`` order."""

    columns: tuple[str, ...]  # the header as found (normalised names), in file order
    rows: list[tuple[str, ...]]  # one tuple per non-blank data row, in COLUMNS order
    blank_rows: int = 0  # fully blank rows skipped
    extra_sheets: tuple[str, ...] = ()  # further non-empty sheets (not read)
    sheet_name: str = ""
    version: int = PARSER_VERSION
    notes: list[str] = field(default_factory=list)


def cell_text(value) -> str:
    """Normalise a cell from either engine to text (dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _header_name(value: str) -> str:
    return " ".join(value.replace("\xa0", " ").split()).upper()


def _raw_rows_calamine(path: Path) -> tuple[list[list], list[str], str]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    names = list(wb.sheet_names)
    if not names:
        return [], [], ""
    first = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    extra = []
    for i, name in enumerate(names[1:], start=1):
        if any(any(cell_text(c).strip() for c in r) for r in wb.get_sheet_by_index(i).to_python()):
            extra.append(name)
    return first, extra, names[0]


def _raw_rows_openpyxl(path: Path) -> tuple[list[list], list[str], str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = list(wb.sheetnames)
        if not names:
            return [], [], ""
        # Formula error cells (#N/A) read as blank, as calamine reads them.
        first = [[None if c.data_type == "e" else c.value for c in r]
                 for r in wb[names[0]].iter_rows()]
        extra = []
        for name in names[1:]:
            if any(any(cell_text(c).strip() for c in r) for r in wb[name].iter_rows(values_only=True)):
                extra.append(name)
        return first, extra, names[0]
    finally:
        wb.close()


def read_sheet(path: Path, list_name: str, engine: str = "calamine") -> ParsedSheet:
    """Read and validate a workbook's first sheet. Raise ``SheetError`` on bad input."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise SheetError(path, f"not an .xlsx workbook (a {path.suffix or 'suffix-less'} file)")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":
        raise SheetError(path, f"not an xlsx workbook (an xlsx file is a zip archive; this file "
                               f"starts with {magic!r})")
    try:
        with zipfile.ZipFile(path) as z:  # a truncated file has no central directory
            if "[Content_Types].xml" not in z.namelist():
                raise SheetError(path, "not an xlsx workbook (a zip archive without "
                                       "[Content_Types].xml)")
    except zipfile.BadZipFile as exc:
        raise SheetError(path, f"truncated or corrupt xlsx workbook ({exc})") from None
    try:
        if engine == "calamine":
            raw, extra, sheet_name = _raw_rows_calamine(path)
        elif engine == "openpyxl":
            raw, extra, sheet_name = _raw_rows_openpyxl(path)
        else:
            raise ValueError(f"unknown engine {engine!r}")
    except SheetError:
        raise
    except Exception as exc:  # any engine failure is a corrupt workbook
        raise SheetError(path, f"cannot read the workbook ({type(exc).__name__}: {exc})") from None

    rows = [[cell_text(c) for c in r] for r in raw]
    # Leading blank rows before the header are tolerated.
    start = 0
    while start < len(rows) and not any(c.strip() for c in rows[start]):
        start += 1
    if start >= len(rows):
        raise SheetError(path, f"the sheet {sheet_name!r} is empty (no header, no rows)")
    header_row = start + 1  # 1-based spreadsheet row number
    header = [_header_name(c) for c in rows[start]]
    while header and header[-1] == "":
        header.pop()
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        col = _excel_col(i)
        if name == "":
            raise SheetError(path, f"column {col} has no header", row=header_row)
        if name not in KNOWN_COLUMNS:
            raise SheetError(path, f"unknown column header {rows[start][i]!r} in column {col} "
                                   f"(known: {', '.join(COLUMNS)})", row=header_row)
        if name in seen:
            raise SheetError(path, f"column header {name!r} appears twice (columns "
                                   f"{_excel_col(seen[name])} and {col})", row=header_row)
        seen[name] = i
    missing = [c for c in REQUIRED[list_name] if c not in seen]
    other = "pending" if list_name == "participating" else "participating"
    holds_other = (
        (list_name == "participating" and "SIGNED" not in seen
         and all(c in seen for c in REQUIRED["pending"]))
        or (list_name == "pending" and any(c in seen for c in PARTICIPATING_ONLY))
    )
    notes = []
    if holds_other:
        notes.append(f"wrong columns: the header ({', '.join(header)}) is the {other} list's")
    elif missing:
        raise SheetError(path, f"missing required column(s) {', '.join(missing)} for a "
                               f"{list_name} sheet (found: {', '.join(header)})", row=header_row)
    index = [seen.get(c) for c in COLUMNS]
    width = len(header)
    out: list[tuple[str, ...]] = []
    blank = gap = 0  # blank rows between data rows (trailing ones differ between engines)
    for n, r in enumerate(rows[start + 1:], start=header_row + 1):
        if not any(c.strip() for c in r):
            gap += 1
            continue
        blank, gap = blank + gap, 0
        for j in range(width, len(r)):
            if r[j].strip():
                raise SheetError(path, f"a value ({r[j]!r}) in column {_excel_col(j)}, which has "
                                       "no header", row=n)
        if len(r) < width:
            r = r + [""] * (width - len(r))
        out.append(tuple(r[i] if i is not None else "" for i in index))
    if not out and list_name == "participating":
        # A pending list may be empty (ICE published header-only pending sheets in November
        # 2025); a participating list never is.
        raise SheetError(path, f"the sheet {sheet_name!r} has a header but no data rows",
                         row=header_row)
    return ParsedSheet(tuple(header), out, blank, tuple(extra), sheet_name, PARSER_VERSION, notes)


def _excel_col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name


# --- cache -----------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Parsed-sheet cache: ``$ICE287G_CACHE_DIR`` or the user cache directory."""
    env = os.environ.get("ICE287G_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("ice287g")) / "sheets"


class SheetCache:
    """Parsed sheets stored by the file's SHA-256 (and the list it is read as)."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder is not None else None
        self.hits = 0
        self.misses = 0

    def _path(self, sha: str, list_name: str) -> Path:
        return self.folder / f"v{PARSER_VERSION}" / sha[:2] / f"{sha}-{list_name}.pickle"

    def read(self, sf: SheetFile, list_name: str, engine: str = "calamine") -> ParsedSheet:
        if self.folder is not None:
            p = self._path(sf.sha256, list_name)
            try:
                with open(p, "rb") as f:
                    parsed = pickle.load(f)
                if isinstance(parsed, ParsedSheet) and parsed.version == PARSER_VERSION:
                    self.hits += 1
                    return parsed
            except (OSError, pickle.PickleError, EOFError, AttributeError, TypeError):
                pass
        parsed = read_sheet(sf.path, list_name, engine=engine)
        self.misses += 1
        if self.folder is not None:
            p = self._path(sf.sha256, list_name)
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
                tmp = p.with_suffix(f".tmp{os.getpid()}")
                with open(tmp, "wb") as f:
                    pickle.dump(parsed, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, p)
            except OSError:
                pass  # a read-only cache is not an error
        return parsed
