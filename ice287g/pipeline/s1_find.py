"""Stage 1: find every workbook in the archives, hash it, parse its name, note its capture time.

Three naming forms occur (see ``data/README.md``):

1. ``ParticipatingEntities-<YYYYMMDDhhmmss>.xlsx`` -- ICE's HTML table extracted from an
   Internet Archive capture taken at that UTC time (``form="archive_table"``).
2. ``participatingAgencies-<YYYYMMDDhhmmss>.xlsx`` -- ICE's workbook as the Internet Archive
   captured it at that UTC time (``form="archive_workbook"``).
3. ``participatingAgencies<MMDDYYYY>[am|mid|pm][suffix].xlsx`` -- ICE's own file name; the date
   and part of day are ICE's publication stamp (``form="ice_file"``).

Pending lists use the same forms with ``pending``. A capture folder
``sheets_<YYYYMMDD>_<HHMMSS>/`` around a file gives the UTC time it was downloaded.
A file whose name cannot be parsed is an error unless the reviewed
``file_reviews.csv`` lists it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
from pathlib import Path

from .records import BuildError, FileRecord, SheetError, SheetFile, SheetName
from .thresholds import PART_TIMES, STAMP_YEARS

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


def _date_from_mmddyyyy(digits: str) -> dt.date | None:
    try:
        return dt.date(int(digits[4:8]), int(digits[0:2]), int(digits[2:4]))
    except ValueError:
        return None


def parse_name(name: str, stamps: dict[str, dict] | None = None) -> SheetName:
    """Parse a sheet's file name; raise ``SheetError`` when it carries no usable date.

    ``stamps`` (``load_stamp_reviews``): ICE's mistyped date stamps, each read as a reviewed
    date (the name's ``stamp_raw`` stays as written; ``name_note`` says how it was read)."""
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
        review = (stamps or {}).get(digits)
        if review is not None:
            note = (f"ICE's mistyped stamp {digits} read as {review['read_as']} by the reviewed "
                    f"table stamps.csv: {review['reason']}")
            digits = review["read_as"]
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
        if day is None or not (STAMP_YEARS[0] <= day.year <= STAMP_YEARS[1]):
            raise SheetError(name, f"the date {digits!r} in the file name is not a valid MMDDYYYY date")
        part = (m["part"] or "").lower()
        suffix = m["suffix"].strip().lstrip("_").lower()
        if not part:
            note = "; ".join(filter(None, [note, "no am/pm in the name: placed at 00:00"]))
        return SheetName(
            m["list"].lower(), "ice_file", "ice_stamp", m["date"] + part,
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


LOCK_FILE_REASON = ("an Excel lock file (~$...: the marker Excel leaves beside a workbook that is "
                    "open), not a sheet; skipped by rule, not read")


def is_lock_file(path: Path) -> bool:
    """Excel's owner file ``~$<name>.xlsx``, left beside a workbook someone has open."""
    return path.name.startswith("~$")


def not_read_reason(path: Path, archive: Path) -> str:
    """Why the build does not read a file of an archive ("" when it reads it): it is hidden
    (its name or a folder's starts with "."), an Excel lock file, or not named ``.xlsx``.
    Such files are listed in files.csv with the reason, never skipped in silence."""
    if any(part.startswith(".") for part in path.relative_to(archive).parts):
        return ("a hidden file (its name, or a folder's, starts with '.'): not read; a sheet must "
                "not be hidden")
    if is_lock_file(path):
        return LOCK_FILE_REASON
    if is_sheet_candidate(path):
        return ""
    name = path.name
    stripped = name.rstrip(" .\t\u00a0")
    if stripped != name and stripped.lower().endswith(".xlsx"):
        return (f"the name ends in {name[len(stripped) - 5:]!r}, not '.xlsx' (trailing "
                f"{'spaces or dots' if len(name) - len(stripped) > 1 else 'space or dot'}): not "
                "read as a workbook; rename it to read it")
    return "not an .xlsx file (the build reads workbooks only): not read"


def _walk(archive: Path) -> list[Path]:
    """Every file under ``archive`` (hidden ones too), in path order. Symbolic links to files
    and folders are followed; a folder that cannot be read, a dangling link and a link loop
    are errors (a file is never dropped in silence)."""
    found: list[Path] = []

    def visit(folder: Path, ancestors: frozenset[str]) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise SheetError(folder, f"cannot read the folder ({exc.strerror or exc}); the "
                                     "files in it would be missed") from None
        for e in entries:
            p = Path(e.path)
            if e.is_symlink() and not p.exists():
                raise SheetError(p, f"a dangling symbolic link (to {os.readlink(p)!r}): restore "
                                    "its target or remove it")
            if e.is_dir():
                real = os.path.realpath(p)
                if real in ancestors:
                    raise SheetError(p, "a symbolic link loop (it points to a folder that "
                                        "contains it)")
                visit(p, ancestors | {real})
            elif e.is_file():
                found.append(p)
            else:
                raise SheetError(p, "neither a file nor a folder (a socket, pipe or device)")

    visit(archive, frozenset({os.path.realpath(archive)}))
    return found


def archive_labels(archives: list[Path]) -> list[str]:
    """Each archive's name in files.csv: its folder name, or, when two archives share a name,
    the shortest trailing part of their paths that tells them apart (``a/sheets``, ``b/sheets``)."""
    parts = [Path(os.path.abspath(a)).parts for a in archives]
    labels = []
    for i, p in enumerate(parts):
        n = 1
        while n < len(p) and any(q[-n:] == p[-n:] for j, q in enumerate(parts) if j != i):
            n += 1
        labels.append("/".join(p[-n:]))
    return labels


def check_archives(archives: list[Path]) -> None:
    """Refuse a folder given twice, or one inside another (their files would count twice)."""
    real = [Path(os.path.realpath(a)) for a in archives]
    for i, a in enumerate(real):
        for j, b in enumerate(real):
            if i < j and a == b:
                raise SheetError(archives[j], f"the same sheet folder is given twice (as "
                                              f"{archives[i]} and {archives[j]})")
            if i != j and a != b and a.is_relative_to(b):
                raise SheetError(archives[i], f"this sheet folder is inside another one given "
                                              f"too ({archives[j]}): its files would count twice")


def find_sheets(archives: list[Path],
                skipped: list[tuple[SheetFile, str]] | None = None) -> list[SheetFile]:
    """Every sheet under the given archive folders (flat or nested), in a stable order.

    Every other file (``not_read_reason``: hidden, an Excel lock file, not named .xlsx) is
    appended to ``skipped`` with the reason, for files.csv and QA."""
    archives = [Path(a) for a in archives]
    check_archives(archives)
    labels = archive_labels(archives)
    found: list[SheetFile] = []
    for archive, label in zip(archives, labels):
        if not archive.is_dir():
            raise SheetError(archive, "the sheet folder does not exist")
        for p in _walk(archive):
            reason = not_read_reason(p, archive)
            try:
                sha, size = sha256_file(p), p.stat().st_size
            except OSError as exc:
                raise SheetError(p, f"cannot read the file ({exc.strerror or exc})") from None
            sf = SheetFile(p, archive, sha, size, label if label != archive.name else "")
            if reason:
                if skipped is not None:
                    skipped.append((sf, reason))
                continue
            found.append(sf)
    return found


def read_reviewed_table(path: Path, columns: tuple[str, ...], what: str):
    """The rows of a reviewed table of ``data/reviewed/`` (``what`` names it in the error), as
    ``(row number, row)`` pairs (the header is row 1). Raises ``SheetError`` naming the file
    when it cannot be read or its header is not ``columns``. The one reader of the reviewed
    tables: file decisions and stamps here, the fixes table in ``s3_clean``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SheetError(path, f"cannot read {what} ({exc.strerror or exc})") from None
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != columns:
        raise SheetError(path, f"the header must be {','.join(columns)}", row=1)
    return enumerate(reader, start=2)


REVIEW_COLUMNS = ("sha256", "file", "action", "reason")


def load_file_reviews(path: Path) -> dict[str, dict]:
    """Reviewed decisions about whole files (``data/reviewed/file_reviews.csv``), keyed on the
    file's SHA-256. Raises ``SheetError`` naming the file (and row) when it is malformed."""
    path = Path(path)
    out = {}
    for n, row in read_reviewed_table(path, REVIEW_COLUMNS, "the reviewed file decisions"):
        if row["action"] != "exclude" or not row["reason"].strip() or not row["file"].strip():
            raise SheetError(path, "each decision needs a file, the action 'exclude' and a reason", row=n)
        if row["sha256"] in out:
            raise SheetError(path, f"SHA-256 {row['sha256']} is reviewed twice", row=n)
        out[row["sha256"]] = row
    return out


STAMP_REVIEW_COLUMNS = ("stamp_raw", "read_as", "reason", "evidence")


def load_stamp_reviews(path: Path) -> dict[str, dict]:
    """Reviewed readings of ICE's mistyped date stamps (``data/reviewed/stamps.csv``), keyed
    on the stamp's digits as ICE wrote them; each is read as an ``MMDDYYYY`` date. Raises
    ``SheetError`` naming the file and row when it is malformed (a stamp reviewed twice, a
    reading that is no date, no reason or no evidence). A missing table is no reviews."""
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[str, dict] = {}
    for n, row in read_reviewed_table(path, STAMP_REVIEW_COLUMNS, "the reviewed stamps"):
        if not re.fullmatch(r"\d{8,9}", row["stamp_raw"]) or row["stamp_raw"] in out:
            raise SheetError(path, f"stamp_raw {row['stamp_raw']!r} must be the digits of a "
                                   "name's stamp, reviewed once", row=n)
        if len(row["read_as"]) != 8 or _date_from_mmddyyyy(row["read_as"]) is None:
            raise SheetError(path, f"read_as {row['read_as']!r} is not an MMDDYYYY date", row=n)
        if not row["reason"].strip() or not row["evidence"].strip():
            raise SheetError(path, "each reviewed stamp needs a reason and its evidence", row=n)
        out[row["stamp_raw"]] = row
    return out


def find_files(archives: list[Path], reviews: dict[str, dict],
               stamps: dict[str, dict] | None = None) -> list[FileRecord]:
    """One ``FileRecord`` per file of the archives: hashed, named, reviewed (``reviews``:
    ``load_file_reviews``), copies marked.

    Files are ordered by archive folder name and path, so outputs do not depend on the
    order (or the spelling) of the ``--sheets`` arguments.
    """
    archives = [Path(a) for a in archives]
    for a in archives:
        if not a.is_dir():
            raise SheetError(a, "the sheet folder does not exist (give --sheets DIR, or "
                                "check DEFAULT_SHEET_ARCHIVES in ice287g/config.py)")
    skipped: list[tuple[SheetFile, str]] = []
    files = find_sheets(archives, skipped)
    if not files:
        raise BuildError(f"no .xlsx sheets found in {', '.join(map(str, archives))}")
    # The files not read are listed too (excluded by rule, with the reason), so files.csv and
    # QA show them.
    not_read = {id(sf): reason for sf, reason in skipped}
    files = sorted(files + [sf for sf, _ in skipped],
                   key=lambda f: (f.label or f.archive.name, f.relpath, str(f.archive)))
    records = []
    first_by_sha: dict[str, FileRecord] = {}
    for sf in files:
        review = reviews.get(sf.sha256)
        if review is not None and review["file"] != sf.path.name:
            review = None  # a review names one file; byte-identical copies are read as usual
        if id(sf) in not_read:  # "rule": excluded by rule, not by a reviewed decision
            review = {"file": sf.path.name, "action": "exclude", "reason": not_read[id(sf)],
                      "rule": True}
        elif sf.path.suffix.lower() != ".xlsx":
            raise SheetError(sf.path, f"not an .xlsx workbook (a {sf.path.suffix} file "
                                      "named like an ICE list)")
        try:
            name = parse_name(sf.path.name, stamps) if id(sf) not in not_read else None
        except SheetError as exc:
            if review is None:
                raise SheetError(sf.path, exc.message) from None
            name = None
        rec = FileRecord(sf, name, captured_at_from_path(sf.path), review)
        if rec.captured_at is None and name is not None and name.provenance == "archive_capture":
            rec.captured_at = name.stamp
        if id(sf) in not_read:
            pass  # a file not read is never the original of a sheet's copy_of
        elif sf.sha256 in first_by_sha:
            first = first_by_sha[sf.sha256].sf
            rec.copy_of = f"{first.label or first.archive.name}/{first.relpath}"
        else:
            first_by_sha[sf.sha256] = rec
        records.append(rec)
    if not any(r.list == "participating" and not r.excluded for r in records):
        n = sum(1 for r in records if r.list == "pending" and not r.excluded)
        raise BuildError(f"no participating-agencies sheet in {', '.join(map(str, archives))} "
                         f"({n} pending sheet(s) and nothing else): is --sheets the right folder?; "
                         "nothing was written")
    return records
