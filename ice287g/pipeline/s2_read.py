"""Stage 2: read each workbook's first sheet into a ``ParsedSheet`` (calamine or openpyxl).

Reading normalises every cell to text (dates as ISO ``YYYY-MM-DD``) so that the result does
not depend on the engine; the tests check that both agree. Each distinct file is read once
(through the parse cache, keyed by its SHA-256, the list it is read as and the engine).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

from .links import ice_link, part_path, read_xml, relationships, sheet_hyperlinks
from .records import FileRecord, ParsedSheet, SheetError
from .thresholds import (
    COLUMNS,
    PARSER_VERSION,
    PARTICIPATING_ONLY,
    REQUIRED,
    WORKBOOK_MAX_BYTES,
    WORKBOOK_MAX_ENTRIES,
    WORKBOOK_MAX_RATIO,
    WORKBOOK_MAX_UNCOMPRESSED,
    WORKBOOK_RATIO_MIN_BYTES,
)

KNOWN_COLUMNS = frozenset(COLUMNS)
#: Columns whose presence makes a participating-named sheet a participating sheet.
PARTICIPATING_SHAPE = ("SIGNED", "ADDENDUM", "MOA")
#: An OLE2 compound file: what Excel writes for a password-protected (encrypted) workbook, and
#: for the old .xls format.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"


def _ole2_kind(path: Path | bytes) -> str:
    """Why an OLE2 file named .xlsx cannot be read (encrypted, or an old .xls)."""
    data = (path if isinstance(path, bytes) else Path(path).read_bytes())[: 4 << 20]
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return ("the workbook is password-protected (encrypted); ICE's sheets are not: open it "
                "with its password and save an unprotected .xlsx copy")
    return ("not an xlsx workbook: an Excel 97-2003 .xls file (OLE2 compound file) named .xlsx; "
            "save it as .xlsx")
ENGINES = ("calamine", "openpyxl")
#: Zip entries and content types that mark macro-enabled content (VBA projects, Excel 4.0
#: macro sheets, the .xlsm/.xltm/.xlam main parts): never read, never kept.
MACRO_ENTRY_NAMES = ("vbaproject.bin", "vbaprojectsignature.bin", "vbaprojectsignatureagile.bin")
MACRO_CONTENT_MARKERS = (b"macroenabled", b"vbaproject", b"macrosheet", b"addin.macro")
#: The largest [Content_Types].xml read (ICE's are under 2 KB).
CONTENT_TYPES_MAX_BYTES = 1 << 20


def check_workbook_file(source: Path | str | bytes, name: Path | str | None = None) -> None:
    """Refuse a workbook that must not be parsed, from its zip directory, before reading it.

    ``source`` is a path or the file's bytes (``fetch`` checks a download before saving it);
    ``name`` names it in the error (default: the path). Raises ``SheetError`` (one line naming
    the file) when the file is larger than ``WORKBOOK_MAX_BYTES``, is not a zip archive (an
    OLE2 file: encrypted workbook or .xls), has no ``[Content_Types].xml``, has more than
    ``WORKBOOK_MAX_ENTRIES`` entries, entries that would expand past
    ``WORKBOOK_MAX_UNCOMPRESSED`` in all or past ``WORKBOOK_MAX_RATIO`` (a decompression
    bomb: sizes are read from the central directory, nothing is decompressed except the
    small content-types part), or macro-enabled content (a VBA project, a macro sheet, a
    macro-enabled content type). The thresholds are in ``thresholds.py``.
    """
    label = name if name is not None else (
        "<workbook bytes>" if isinstance(source, (bytes, bytearray)) else source)
    if isinstance(source, (bytes, bytearray)):
        size, head, opener = len(source), bytes(source[:4]), lambda: io.BytesIO(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            with open(path, "rb") as f:
                head = f.read(4)
        except OSError as exc:
            raise SheetError(label, f"cannot read the file ({exc.strerror or exc})") from None
        opener = lambda: open(path, "rb")  # noqa: E731
    if size > WORKBOOK_MAX_BYTES:
        raise SheetError(label, f"the file is {size:,} bytes, over the {WORKBOOK_MAX_BYTES:,}-byte "
                                "limit for a workbook (ICE's are under 1 MB)")
    if head == OLE2_MAGIC:
        raise SheetError(label, _ole2_kind(bytes(source) if isinstance(source, (bytes, bytearray))
                                           else Path(source)))
    if head != b"PK\x03\x04":
        raise SheetError(label, f"not an xlsx workbook (an xlsx file is a zip archive; this file "
                                f"starts with {head!r})")
    try:
        with opener() as fh, zipfile.ZipFile(fh) as z:
            infos = z.infolist()
            if len(infos) > WORKBOOK_MAX_ENTRIES:
                raise SheetError(label, f"the zip archive has {len(infos):,} entries, over the "
                                        f"{WORKBOOK_MAX_ENTRIES:,} limit for a workbook")
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos)
            if total > WORKBOOK_MAX_UNCOMPRESSED:
                raise SheetError(label, f"the workbook would expand to {total:,} bytes, over the "
                                        f"{WORKBOOK_MAX_UNCOMPRESSED:,}-byte limit (a zip bomb?)")
            if total > WORKBOOK_MAX_RATIO * max(packed, 1):
                raise SheetError(label, f"the workbook would expand {total / max(packed, 1):,.0f} "
                                        f"times ({packed:,} to {total:,} bytes), over the "
                                        f"{WORKBOOK_MAX_RATIO}:1 limit (a zip bomb?)")
            for i in infos:
                if i.file_size > WORKBOOK_RATIO_MIN_BYTES and \
                        i.file_size > WORKBOOK_MAX_RATIO * max(i.compress_size, 1):
                    raise SheetError(label, f"the zip entry {i.filename!r} would expand "
                                            f"{i.file_size / max(i.compress_size, 1):,.0f} times, "
                                            f"over the {WORKBOOK_MAX_RATIO}:1 limit (a zip bomb?)")
                base = i.filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
                if base in MACRO_ENTRY_NAMES or "/macrosheets/" in "/" + i.filename.lower():
                    raise SheetError(label, f"macro-enabled workbook (it contains {i.filename!r}); "
                                            "ICE's sheets carry no macros, and this one is not read")
            try:
                types = z.getinfo("[Content_Types].xml")
            except KeyError:
                raise SheetError(label, "not an xlsx workbook (a zip archive without "
                                        "[Content_Types].xml)") from None
            if types.file_size > CONTENT_TYPES_MAX_BYTES:
                raise SheetError(label, f"[Content_Types].xml is {types.file_size:,} bytes, over "
                                        f"the {CONTENT_TYPES_MAX_BYTES:,}-byte limit")
            with z.open(types) as f:
                content_types = f.read(CONTENT_TYPES_MAX_BYTES + 1).lower()
    except SheetError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error,
            NotImplementedError, RuntimeError, ValueError) as exc:
        raise SheetError(label, f"truncated or corrupt xlsx workbook ({exc})") from None
    for marker in MACRO_CONTENT_MARKERS:
        if marker in content_types:
            raise SheetError(label, f"macro-enabled workbook (its content types declare "
                                    f"{marker.decode()!r} content, as .xlsm files do); ICE's "
                                    "sheets carry no macros, and this one is not read")


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


class SheetLayout(NamedTuple):
    """Which sheet of a workbook is the list, from its ``xl/workbook.xml``."""

    name: str  # the list sheet: the active sheet when it is visible, else the first visible
    part: str  # its XML part in the zip ("" when the workbook does not say)
    hidden: tuple[str, ...]  # the names of hidden (and very hidden) sheets, never read
    others: tuple[str, ...]  # the other visible sheets


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sheet_layout(path: Path) -> SheetLayout | None:
    """The list sheet of a workbook (``SheetLayout``), read from ``xl/workbook.xml`` (its
    sheets in tab order, each one's state, and the active tab); None when the workbook has no
    ``xl/workbook.xml`` (the engine then reports what is wrong). Excel opens a workbook on its
    active sheet, and a hidden sheet is never what a reader sees: a hidden first sheet is not
    the list. Raises ``SheetError`` when every sheet is hidden."""
    with zipfile.ZipFile(path) as z:
        if "xl/workbook.xml" not in z.namelist():
            return None
        book = read_xml(z, "xl/workbook.xml")
        rels = relationships(z, "xl/workbook.xml")
    sheets, active = [], 0
    for el in book.iter():
        tag = _local(el.tag)
        if tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
            target = rels.get(rid, ("", "", ""))[1]
            part = part_path(target) if target else ""
            sheets.append((el.get("name", ""), el.get("state", "visible"), part))
        elif tag == "workbookView" and active == 0:
            try:
                active = int(el.get("activeTab", "0"))
            except ValueError:
                active = 0
    visible = [k for k, (_n, state, _p) in enumerate(sheets) if state == "visible"]
    if not sheets:
        return None
    if not visible:
        raise SheetError(path, "every sheet of the workbook is hidden: no list a reader sees")
    k = active if active in visible else visible[0]
    return SheetLayout(sheets[k][0], sheets[k][2],
                       tuple(n for n, state, _p in sheets if state != "visible"),
                       tuple(sheets[j][0] for j in visible if j != k))


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")
_ROW_HIDDEN = re.compile(rb"\bhidden=\"(?:1|true)\"")


def hidden_rows(path: Path, part: str) -> set[int]:
    """The 1-based numbers of the rows a sheet's XML part marks hidden (``<row hidden="1">``:
    hidden by hand or by a filter); a row without ``r`` follows the one before it."""
    if not part:
        return set()
    with zipfile.ZipFile(path) as z:
        if part not in z.namelist():
            return set()
        data = z.read(part)  # its size was checked by check_workbook_file
    out, n = set(), 0
    for m in _ROW_TAG.finditer(data):
        attrs = m[1]
        r = _ROW_NUMBER.search(attrs)
        n = int(r[1]) if r else n + 1
        if b"hidden" in attrs and _ROW_HIDDEN.search(attrs):
            out.add(n)
    return out


def _raw_rows_calamine(path: Path, layout: SheetLayout | None) -> tuple[list[list], list[str], str]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    names = list(wb.sheet_names)
    if not names:
        return [], [], ""
    name = layout.name if layout else names[0]
    first = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    extra = []
    for other in (layout.others if layout else names[1:]):
        if any(any(cell_text(c).strip() for c in r) for r in wb.get_sheet_by_name(other).to_python()):
            extra.append(other)
    return first, extra, name


def _raw_rows_openpyxl(path: Path, layout: SheetLayout | None) -> tuple[list[list], list[str], str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = list(wb.sheetnames)
        if not names:
            return [], [], ""
        name = layout.name if layout else names[0]
        # Formula error cells (#N/A) read as blank, as calamine reads them.
        first = [[None if c.data_type == "e" else c.value for c in r]
                 for r in wb[name].iter_rows()]
        extra = []
        for other in (layout.others if layout else names[1:]):
            if any(any(cell_text(c).strip() for c in r) for r in wb[other].iter_rows(values_only=True)):
                extra.append(other)
        return first, extra, name
    finally:
        wb.close()


def read_sheet(path: Path, list_name: str, engine: str = "calamine") -> ParsedSheet:
    """Read and validate a workbook's list sheet (``sheet_layout``: the active sheet when
    it is visible, else the first visible one). Raise ``SheetError`` on bad input."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise SheetError(path, f"not an .xlsx workbook (a {path.suffix or 'suffix-less'} file)")
    check_workbook_file(path)  # size, zip directory and macros, before any parsing
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == OLE2_MAGIC:
        raise SheetError(path, _ole2_kind(path))
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
        layout = sheet_layout(path)
        if engine == "calamine":
            raw, extra, sheet_name = _raw_rows_calamine(path, layout)
        elif engine == "openpyxl":
            raw, extra, sheet_name = _raw_rows_openpyxl(path, layout)
        else:
            raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
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
    # A participating-named sheet holds the pending list only in the pending list's shape:
    # no SIGNED, no ADDENDUM and no MOA (the one such file ICE published). Without SIGNED but
    # with MOA or ADDENDUM, it is a participating sheet that lost a column: refused below.
    holds_other = (
        (list_name == "participating" and not any(c in seen for c in PARTICIPATING_SHAPE)
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
    numbers: list[int] = []
    blank = gap = 0  # blank rows between data rows (trailing ones differ between engines)
    for n, r in enumerate(rows[start + 1:], start=header_row + 1):
        if not any(c.strip() for c in r):
            gap += 1
            continue
        blank, gap = blank + gap, 0
        if r[0].strip().upper() in KNOWN_COLUMNS and _repeats_header(r, header):
            raise SheetError(path, f"the header row is repeated here (a second table pasted "
                                   f"below the first?); the header is row {header_row}", row=n)
        for j in range(width, len(r)):
            if r[j].strip():
                raise SheetError(path, f"a value ({r[j]!r}) in column {_excel_col(j)}, which has "
                                       "no header", row=n)
        if len(r) < width:
            r = r + [""] * (width - len(r))
        out.append(tuple(r[i] if i is not None else "" for i in index))
        numbers.append(n)
    if not out and list_name == "participating":
        # A pending list may be empty (ICE published header-only pending sheets in November
        # 2025); a participating list never is.
        raise SheetError(path, f"the sheet {sheet_name!r} has a header but no data rows",
                         row=header_row)
    moa_links, addendum_links = _document_links(path, sheet_name, seen, out, numbers)
    hidden = hidden_rows(path, layout.part) if layout else set()
    return ParsedSheet(tuple(header), out, blank, tuple(extra), sheet_name, PARSER_VERSION, notes,
                       row_numbers=numbers, moa_links=moa_links, addendum_links=addendum_links,
                       hidden_sheets=layout.hidden if layout else (),
                       hidden_rows=[n for n in numbers if n in hidden] if hidden else [])


def _document_links(path: Path, sheet_name: str, seen: dict[str, int],
                    rows: list[tuple[str, ...]], numbers: list[int]) -> tuple[list[str], list[str]]:
    """ICE's MOA and ADDENDUM links of each data row (``links.ice_link`` of the cell's
    hyperlink, else of its text), parallel to the rows; [] for a column the sheet lacks."""
    cols = [seen.get("MOA"), seen.get("ADDENDUM")]  # the sheet's column of each
    if all(c is None for c in cols):
        return [], []
    try:
        targets = sheet_hyperlinks(path, sheet_name)
    except Exception as exc:  # a damaged relationship part is a damaged workbook
        raise SheetError(path, f"cannot read the sheet's hyperlinks ({type(exc).__name__}: "
                               f"{exc})") from None
    out = []
    for c, k in zip(cols, (_MOA_AT, _ADDENDUM_AT)):  # k: the column's place in a parsed row
        if c is None:
            out.append([])
            continue
        letter = _excel_col(c)
        out.append([ice_link(targets.get((letter, n)) or row[k]) for row, n in zip(rows, numbers)])
    return out[0], out[1]


_MOA_AT, _ADDENDUM_AT = COLUMNS.index("MOA"), COLUMNS.index("ADDENDUM")


def _repeats_header(row: list[str], header: list[str]) -> bool:
    """A data row that repeats at least two of the header's names in their own columns."""
    return sum(1 for k, name in enumerate(header) if k < len(row) and _header_name(row[k]) == name) >= 2


def _excel_col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name


def read_all(records: list[FileRecord], cache, engine: str = "calamine",
             progress: bool = False) -> None:
    """Fill ``parsed`` (and ``wrong_columns``) of every named, not excluded record.

    ``cache`` is a ``cache.SheetCache``; byte-identical files share one ``ParsedSheet``.
    Every file is first checked by ``check_workbook_file`` (size, zip directory, macros),
    before any sheet is parsed or taken from the cache: a decompression bomb or a
    macro-enabled workbook ends the build with one line naming it.
    """
    todo = [r for r in records if r.name is not None and not r.excluded]
    checked: set[str] = set()
    for rec in todo:
        if rec.sf.sha256 not in checked:
            check_workbook_file(rec.sf.path)
            checked.add(rec.sf.sha256)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="reading sheets", unit="sheet", file=sys.stderr)
    parsed_by: dict[tuple[str, str], ParsedSheet] = {}
    for rec in todo:
        key = (rec.sf.sha256, rec.list)
        if key not in parsed_by:
            parsed_by[key] = cache.read(rec.sf, rec.list, engine=engine)
        rec.parsed = parsed_by[key]
        rec.wrong_columns = bool(rec.parsed.notes)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
