"""Derive the processed datasets from archives of ICE's sheets.

One way through (``build(...)``):

1. find every workbook in the archives and hash it (``sheets.find_sheets``);
2. parse each name (``sheets.parse_name``); a name that cannot be parsed is an error unless
   the file is listed in the reviewed ``ice287g/data/file_reviews.csv``;
3. read each distinct file once (parsed-sheet cache keyed by SHA-256);
4. clean every distinct row once (``clean.clean_row``) and give each file a *content id*:
   a hash of its cleaned rows, so files that carry the same list are recognised;
5. check stamps against content and correct only by the documented January rule;
6. group files into publications: an ICE stamp with one list is one publication however many
   files carried it; a stamp re-issued with a different list is a second publication, ordered
   by capture time; consecutive archive captures of one list are one publication;
7. flag publications that must stay out of trend lines (wrong columns, collapsed counts,
   contradicted stamps);
8. derive snapshots, agreements, listings, pending, files and QA tables;
9. write them to a temporary folder and move them into place only when all passed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import clean, sheets
from .sheets import SheetError

#: Support type -> snapshot count column.
SUPPORT_COLUMNS = {
    "Jail Enforcement Model": "n_jail_enforcement_model",
    "Warrant Service Officer": "n_warrant_service_officer",
    "Task Force Model": "n_task_force_model",
}

#: A stamp is contradicted by its content when more than this share of its rows carry a
#: SIGNED date after the stamped date (single typos stay below it).
STAMP_CONTRADICTION_SHARE = 0.02
#: After a January correction (stamp year + 1), at most this share of rows may still be
#: signed after the corrected stamp.
STAMP_CORRECTED_MAX_SHARE = 0.01
#: A publication collapses when it lists fewer than this share of the median of its
#: neighbours (``COLLAPSE_WINDOW`` before and after).
COLLAPSE_SHARE = 0.5
COLLAPSE_WINDOW = 3
#: A stale list: the exact list of a publication at least this many trend publications
#: earlier, re-published after newer lists (a toggle back to the list just before the
#: previous one is kept: the archive shows such real back-and-forth edits).
STALE_MIN_BACK = 3

#: Files this module writes (and replaces) in the output folder.
OUTPUT_FILES = (
    "snapshots.csv",
    "agreements.csv",
    "listings.csv",
    "pending_snapshots.csv",
    "pending.csv",
    "pending_listings.csv",
    "files.csv",
    "qa.csv",
    "datapackage.json",
)


class BuildError(Exception):
    """The build cannot produce trustworthy outputs; nothing was written."""


# --------------------------------------------------------------------------- records


@dataclass
class FileRecord:
    sf: sheets.SheetFile
    name: sheets.SheetName | None
    captured_at: dt.datetime | None
    review: dict | None = None
    parsed: sheets.ParsedSheet | None = None
    row_ids: list[int] = field(default_factory=list)
    content_id: str = ""
    copy_of: str = ""  # relpath of an earlier byte-identical file
    stamp: dt.datetime | None = None  # corrected stamp (== name.stamp unless corrected)
    stamp_note: str = ""
    stamp_corrected: bool = False
    stamp_contradicted: bool = False
    wrong_columns: bool = False
    publication: str = ""

    @property
    def list(self) -> str:
        return self.name.list if self.name else ""

    @property
    def archive_name(self) -> str:
        return self.sf.archive.name


@dataclass
class Publication:
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


def _fmt_ts(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""


# --------------------------------------------------------------------------- the build


class Builder:
    def __init__(self, archives: list[Path], cache_dir: Path | None, progress: bool = False,
                 engine: str = "calamine"):
        self.archives = [Path(a) for a in archives]
        self.cache = sheets.SheetCache(cache_dir)
        self.progress = progress
        self.engine = engine
        self.raw_index: dict[tuple[str, ...], int] = {}
        self.raw_rows: list[tuple[str, ...]] = []
        self.qa: list[dict] = []

    # -- steps ---------------------------------------------------------------------------

    def collect(self) -> list[FileRecord]:
        for a in self.archives:
            if not a.is_dir():
                raise SheetError(a, "the sheet folder does not exist (give --sheets DIR, or "
                                    "check DEFAULT_SHEET_ARCHIVES in ice287g/config.py)")
        # Order by archive folder name and path, so outputs do not depend on the order (or
        # the spelling) of the --sheets arguments.
        files = sorted(sheets.find_sheets(self.archives),
                       key=lambda f: (f.archive.name, f.relpath, str(f.archive)))
        if not files:
            raise BuildError(f"no .xlsx sheets found in {', '.join(map(str, self.archives))}")
        reviews = clean.load_file_reviews()
        records = []
        first_by_sha: dict[str, FileRecord] = {}
        for sf in files:
            review = reviews.get(sf.sha256)
            if review is not None and review["file"] != sf.path.name:
                review = None  # a review names one file; byte-identical copies are read as usual
            if sf.path.suffix.lower() != ".xlsx":
                raise SheetError(sf.path, f"not an .xlsx workbook (a {sf.path.suffix} file "
                                          "named like an ICE list)")
            try:
                name = sheets.parse_name(sf.path.name)
            except SheetError as exc:
                if review is None:
                    raise SheetError(sf.path, str(exc).split(": ", 1)[1]) from None
                name = None
            rec = FileRecord(sf, name, sheets.captured_at_from_path(sf.path), review)
            if rec.captured_at is None and name is not None and name.provenance == "archive_capture":
                rec.captured_at = name.stamp
            if sf.sha256 in first_by_sha:
                first = first_by_sha[sf.sha256].sf
                rec.copy_of = f"{first.archive.name}/{first.relpath}"
            else:
                first_by_sha[sf.sha256] = rec
            records.append(rec)
        return records

    def read(self, records: list[FileRecord]) -> None:
        todo = [r for r in records if r.name is not None and not self._excluded(r)]
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="reading sheets", unit="sheet", file=sys.stderr)
        parsed_by: dict[tuple[str, str], sheets.ParsedSheet] = {}
        ids_by: dict[tuple[str, str], list[int]] = {}
        for rec in todo:
            key = (rec.sf.sha256, rec.list)
            if key not in parsed_by:
                parsed_by[key] = self.cache.read(rec.sf, rec.list, engine=self.engine)
                ids_by[key] = [self._intern(row) for row in parsed_by[key].rows]
            rec.parsed = parsed_by[key]
            rec.row_ids = ids_by[key]
            rec.wrong_columns = bool(rec.parsed.notes)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    def _excluded(self, rec: FileRecord) -> bool:
        return rec.review is not None and rec.review.get("action") == "exclude"

    def _intern(self, row: tuple[str, ...]) -> int:
        # The MOA cell is left out: archived captures hold capture-specific links there.
        key = row[:6] + ("",) + row[7:]
        i = self.raw_index.get(key)
        if i is None:
            i = self.raw_index[key] = len(self.raw_rows)
            self.raw_rows.append(key)
        return i

    def clean_all(self) -> None:
        self.clean_rows = [clean.clean_row(r) for r in self.raw_rows]
        f = clean.CLEAN_FIELDS
        self.i_key = f.index("agreement_key")
        self.i_flags = f.index("flags")
        # Content of a row: everything cleaned except raw values, flags and key.
        content = {}
        self.content_text = []
        for c in self.clean_rows:
            text = "\x1f".join(c[:8])
            self.content_text.append(content.setdefault(text, text))
        # Dates as ordinals for fast comparisons.
        self.signed_date = [dt.date.fromisoformat(c[6]) if c[6] else None for c in self.clean_rows]

    def content_ids(self, records: list[FileRecord]) -> None:
        memo: dict[int, str] = {}
        for rec in records:
            if rec.parsed is None:
                continue
            k = id(rec.row_ids)
            if k not in memo:
                text = "\n".join(sorted(self.content_text[i] for i in rec.row_ids))
                memo[k] = "C" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
            rec.content_id = memo[k]

    def check_stamps(self, records: list[FileRecord]) -> None:
        """Flag stamps their own rows contradict; correct only by the January rule.

        Rule (documented in data/README.md): a sheet is *contradicted* when more than 2% of
        its rows were signed after the date in its stamp. A contradicted ICE stamp in January
        is read as the following year when, with that year, at most 1% of its rows are still
        signed after it (ICE stamped January 2026 workbooks "2025"). Every other contradicted
        sheet keeps its stamp and is kept out of trend lines.
        """
        for rec in records:
            if rec.parsed is None:
                continue
            rec.stamp = rec.name.stamp
            if rec.list != "participating" or rec.wrong_columns:
                continue
            dates = [self.signed_date[i] for i in rec.row_ids]
            n = len(dates)
            day = rec.name.stamp.date()
            after = sum(1 for d in dates if d is not None and d > day)
            if after <= STAMP_CONTRADICTION_SHARE * n:
                continue
            note = f"{after} of {n} rows signed after the stamped date {day.isoformat()}"
            if rec.name.provenance == "ice_stamp" and day.month == 1:
                new = rec.name.stamp.replace(year=rec.name.stamp.year + 1)
                still = sum(1 for d in dates if d is not None and d > new.date())
                if still <= STAMP_CORRECTED_MAX_SHARE * n:
                    rec.stamp = new
                    rec.stamp_corrected = True
                    rec.stamp_note = (f"stamp year corrected {day.year} -> {new.year}: {note}; "
                                      f"with {new.year}, {still} rows are signed after it")
                    continue
            rec.stamp_contradicted = True
            rec.stamp_note = f"stamp contradicted by content: {note}"
        # A pending sheet has no SIGNED column to check: it takes the correction of the
        # participating sheet ICE published under the same stamp.
        twins = {r.name.stamp_raw: r for r in records if r.stamp_corrected}
        for rec in records:
            if rec.parsed is None or rec.list != "pending" or rec.name.provenance != "ice_stamp":
                continue
            twin = twins.get(rec.name.stamp_raw)
            if twin is not None:
                rec.stamp = twin.stamp
                rec.stamp_corrected = True
                rec.stamp_note = (f"stamp year corrected {rec.name.stamp.year} -> {twin.stamp.year} "
                                  f"like its participating twin {twin.sf.path.name}")

    def publications(self, records: list[FileRecord], list_name: str) -> list[Publication]:
        recs = [r for r in records if r.parsed is not None and r.list == list_name]
        pubs: list[Publication] = []
        # ICE stamps: one publication per (stamp, list content).
        by_stamp: dict[dt.datetime, dict[str, list[FileRecord]]] = defaultdict(lambda: defaultdict(list))
        for r in recs:
            if r.name.provenance == "ice_stamp":
                by_stamp[r.stamp][r.content_id].append(r)
        never = dt.datetime.max
        for stamp, contents in by_stamp.items():
            items = []
            for cid, rs in contents.items():
                rs.sort(key=lambda r: (r.captured_at or never, _rev_rank(r.name.revision),
                                       r.stamp_corrected, r.sf.relpath, r.archive_name))
                rank = min(_rev_rank(r.name.revision) for r in rs)
                first = min((r.captured_at for r in rs if r.captured_at), default=None)
                items.append((rank, first or never, cid, rs))
            items.sort(key=lambda t: t[:3])
            for k, (rank, first, cid, rs) in enumerate(items):
                rep = rs[0]
                part = rep.name.part_of_day
                base = stamp.strftime("%Y%m%d") + (part or "x")
                pid = base + (f"-{k + 1}" if k else "")
                caps = [r.captured_at for r in rs if r.captured_at]
                revs = sorted({r.name.revision for r in rs if r.name.revision})
                pub = Publication(
                    pid, list_name, stamp, rep.name.stamp, "ice_stamp", part, ";".join(revs), rs,
                    order=(stamp, k), captured_at=min(caps) if caps else None,
                    last_captured_at=max(caps) if caps else None,
                    stamp_corrected=rep.stamp_corrected,
                )
                pubs.append(pub)
        # Archive captures: consecutive captures carrying the same list are one publication.
        caps = sorted((r for r in recs if r.name.provenance == "archive_capture"),
                      key=lambda r: (r.name.stamp, r.sf.relpath, r.archive_name))
        # A run carrying the list of the latest ICE publication stamped at or before its first
        # capture is a re-capture of that publication: its files join it.
        ice_pubs = sorted(pubs, key=lambda p: (p.order, p.id))
        run: list[FileRecord] = []
        for r in caps + [None]:
            if run and (r is None or r.content_id != run[-1].content_id):
                rep = run[0]
                before = [p for p in ice_pubs if p.published_at <= rep.name.stamp]
                if before and before[-1].rep.content_id == rep.content_id:
                    host = before[-1]
                    host.files.extend(run)
                    caps_all = [f.captured_at for f in host.files if f.captured_at]
                    host.captured_at, host.last_captured_at = min(caps_all), max(caps_all)
                    run = []
                    if r is not None:
                        run.append(r)
                    continue
                pid = "c" + rep.name.stamp.strftime("%Y%m%dT%H%M%S")
                pubs.append(Publication(
                    pid, list_name, rep.name.stamp, rep.name.stamp, "archive_capture", "", "",
                    list(run), order=(rep.name.stamp, 0), captured_at=rep.name.stamp,
                    last_captured_at=run[-1].name.stamp,
                ))
                run = []
            if r is not None:
                run.append(r)
        pubs.sort(key=lambda p: (p.order, p.id))
        for p in pubs:
            for r in p.files:
                r.publication = p.id
            notes = []
            for r in p.files:
                note = r.stamp_note if r is p.rep else f"{r.sf.path.name}: {r.stamp_note}"
                if r.stamp_note and note not in notes:
                    notes.append(note)
            p.notes.extend(notes)
            if any(r.wrong_columns for r in p.files):
                p.trend_excluded = True
                p.notes.append(p.rep.parsed.notes[0] + "; its rows are not used")
            if any(r.stamp_contradicted for r in p.files):
                p.trend_excluded = True
        return pubs

    def check_stale(self, pubs: list[Publication]) -> None:
        """Flag a list re-published after newer ones (the exact list of a publication at least
        ``STALE_MIN_BACK`` trend publications earlier, unlike its predecessor)."""
        kept: list[Publication] = []
        last: dict[str, int] = {}
        for p in pubs:
            if p.trend_excluded:
                continue
            i, cid = len(kept), p.rep.content_id
            if i and cid != kept[-1].rep.content_id and cid in last \
                    and i - last[cid] >= STALE_MIN_BACK:
                q = kept[last[cid]]
                p.trend_excluded = True
                p.notes.append(f"stale list: the same list as {q.id} ({len(p.row_ids)} rows), "
                               f"re-published after {i - last[cid] - 1} newer lists")
                continue
            last[cid] = i
            kept.append(p)

    def note_same_lists(self, pubs: list[Publication]) -> None:
        """For every excluded publication, name the publications carrying the same list."""
        by_content = defaultdict(list)
        for p in pubs:
            by_content[p.rep.content_id].append(p.id)
        for p in pubs:
            if p.trend_excluded:
                same = [q for q in by_content[p.rep.content_id] if q != p.id]
                if same:
                    p.notes.append("same list as " + ", ".join(same[:5])
                                   + (f" (+{len(same) - 5} more)" if len(same) > 5 else ""))

    def check_collapse(self, pubs: list[Publication]) -> None:
        """Flag a list holding fewer than half the median of its neighbours (the
        ``COLLAPSE_WINDOW`` trend publications before and after it). Publications already
        excluded for another reason are measured against the same neighbours and noted too."""
        usable = [p for p in pubs if not p.trend_excluded]
        counts = [len(p.row_ids) for p in usable]
        position = {id(p): i for i, p in enumerate(usable)}
        flagged = []
        for p in pubs:
            if id(p) in position:
                i = position[id(p)]
                window = counts[max(0, i - COLLAPSE_WINDOW):i] + counts[i + 1:i + 1 + COLLAPSE_WINDOW]
            else:  # an excluded list: its neighbours among the usable ones
                i = sum(1 for q in usable if (q.order, q.id) < (p.order, p.id))
                window = counts[max(0, i - COLLAPSE_WINDOW):i] + counts[i:i + COLLAPSE_WINDOW]
            if len(window) < 2:
                continue
            med = statistics.median(window)
            if len(p.row_ids) < COLLAPSE_SHARE * med:
                flagged.append((p, med))
        for p, med in flagged:  # decided on the same neighbours, then applied
            p.trend_excluded = True
            p.notes.append(f"count collapsed: {len(p.row_ids)} rows where its neighbours hold a "
                           f"median of {med:g}")


def _rev_rank(revision: str) -> int:
    return 0 if revision in ("", "copy") else 1


def run_build(archives: list[Path], out: Path, cache_dir: Path | None = None,
              progress: bool = False, engine: str = "calamine") -> dict:
    """Build every output into ``out``; return a summary. Raise on bad input or a QA fail."""
    tables = derive(archives, cache_dir=cache_dir, progress=progress, engine=engine)
    failed = [r for r in tables["qa"] if r["status"] == "fail"]
    if failed:
        lines = "\n".join(f"  {r['name']}: {r['detail']}" for r in failed)
        raise BuildError(f"{len(failed)} QA check(s) failed; nothing was written:\n{lines}")
    write_outputs(tables, Path(out))
    return tables


def derive(archives: list[Path], cache_dir: Path | None = None, progress: bool = False,
           engine: str = "calamine") -> dict:
    from . import tables as tables_mod

    b = Builder(archives, cache_dir, progress=progress, engine=engine)
    records = b.collect()
    b.read(records)
    b.clean_all()
    b.content_ids(records)
    b.check_stamps(records)
    part = b.publications(records, "participating")
    b.check_stale(part)
    b.check_collapse(part)
    b.note_same_lists(part)
    pend = b.publications(records, "pending")
    return tables_mod.tables(b, records, part, pend)


# --------------------------------------------------------------------------- writing


def csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue()


def _cell(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, dt.datetime):
        return _fmt_ts(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def write_outputs(tables: dict, out: Path) -> None:
    """Write every output to a temporary folder beside ``out``, then move them into place."""
    from .datapackage import datapackage

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".processed-tmp-", dir=out.parent))
    try:
        texts = {name: csv_text(*tables["csv"][name]) for name in tables["csv"]}
        texts["datapackage.json"] = json.dumps(datapackage(tables), indent=2, ensure_ascii=False) + "\n"
        for name, text in texts.items():
            with open(tmp / name, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        out.mkdir(parents=True, exist_ok=True)
        for name in texts:
            os.replace(tmp / name, out / name)
        for name in OUTPUT_FILES:
            if name not in texts and (out / name).exists():
                (out / name).unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
