"""Record types and errors of the pipeline: the bottom of its import graph (no pipeline imports).

- ``SheetFile``   a workbook found in an archive (path, archive, hash, size);
- ``SheetName``   what its file name says (list, naming form, stamp, part of day, revision);
- ``ParsedSheet`` its first sheet read into text cells, in ``thresholds.COLUMNS`` order;
- ``FileRecord``  one input file as it moves through the stages (filled stage by stage);
- ``Publication`` one list ICE published (all the files that carried it);
- ``SheetError``  bad input, naming the file (and row); ``BuildError`` untrustworthy outputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


class SheetError(Exception):
    """Bad input: names the file (and the row where it applies)."""

    def __init__(self, path: Path | str, message: str, row: int | None = None):
        self.path = Path(path)
        self.row = row
        self.message = message
        where = f"{self.path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {message}")


class BuildError(Exception):
    """The build cannot produce trustworthy outputs; nothing was written."""


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


@dataclass
class SheetFile:
    """One workbook found in an archive."""

    path: Path
    archive: Path
    sha256: str
    size: int
    label: str = ""  # the archive's name in files.csv (set when two archives share a name)

    @property
    def relpath(self) -> str:
        return self.path.relative_to(self.archive).as_posix()


@dataclass
class ParsedSheet:
    """A workbook's list sheet (the active visible one), cells normalised to text, in
    ``thresholds.COLUMNS`` order."""

    columns: tuple[str, ...]  # the header as found (normalised names), in file order
    rows: list[tuple[str, ...]]  # one tuple per non-blank data row, in COLUMNS order
    blank_rows: int = 0  # fully blank rows skipped
    extra_sheets: tuple[str, ...] = ()  # further non-empty sheets (not read)
    sheet_name: str = ""
    version: int = 0  # thresholds.PARSER_VERSION of the reader that made it
    notes: list[str] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)  # spreadsheet row (1-based) of each row
    #: ICE's link to each row's agreement document (MOA) and addendum (``links.ice_link``:
    #: the cell's hyperlink, or an address written as text; "" for none), parallel to
    #: ``rows``; empty lists for a sheet without those columns.
    moa_links: list[str] = field(default_factory=list)
    addendum_links: list[str] = field(default_factory=list)
    hidden_sheets: tuple[str, ...] = ()  # hidden sheets of the workbook (never read)
    hidden_rows: list[int] = field(default_factory=list)  # sheet rows of data rows marked hidden


@dataclass
class FileRecord:
    """One input file; each stage fills its part (find, read, clean, group)."""

    sf: SheetFile
    name: SheetName | None  # None: unparsable name of a reviewed file
    captured_at: dt.datetime | None
    review: dict | None = None  # its row of data/reviewed/file_reviews.csv
    parsed: ParsedSheet | None = None  # s2_read
    row_ids: list[int] = field(default_factory=list)  # s3_clean: rows in the RowStore
    content_id: str = ""  # s3_clean
    copy_of: str = ""  # archive/relpath of an earlier byte-identical file
    stamp: dt.datetime | None = None  # s4_group: corrected stamp (== name.stamp unless corrected)
    stamp_note: str = ""
    stamp_corrected: bool = False
    stamp_contradicted: bool = False
    wrong_columns: bool = False
    publication: str = ""  # s4_group

    @property
    def list(self) -> str:
        return self.name.list if self.name else ""

    @property
    def archive_name(self) -> str:
        return self.sf.label or self.sf.archive.name

    @property
    def excluded(self) -> bool:
        """Excluded from the build by a reviewed decision."""
        return self.review is not None and self.review.get("action") == "exclude"


@dataclass
class Publication:
    """One list ICE published, with every file that carried it (``files[0]`` represents it)."""

    id: str
    list: str
    published_at: dt.datetime
    published_at_raw: dt.datetime
    provenance: str
    part_of_day: str
    revision: str
    files: list[FileRecord]
    order: tuple = ()
    captured_at: dt.datetime | None = None
    last_captured_at: dt.datetime | None = None
    trend_excluded: bool = False
    notes: list[str] = field(default_factory=list)
    stamp_corrected: bool = False

    @property
    def rep(self) -> FileRecord:
        return self.files[0]

    @property
    def row_ids(self) -> list[int]:
        return self.rep.row_ids

    @property
    def wrong_columns(self) -> bool:
        return any(r.wrong_columns for r in self.files)

    @property
    def stamp_contradicted(self) -> bool:
        return any(r.stamp_contradicted for r in self.files)
