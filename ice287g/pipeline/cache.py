"""The parse cache: a ``ParsedSheet`` stored per (file SHA-256, list, engine, parser version).

Safe and versioned: no pickle (loading an entry never runs code). An entry is one file::

    ice287g-sheet-cache/1 sha256=<64 hex digits> bytes=<n>\\n
    <n bytes: gzip-compressed UTF-8 JSON {"key": {...}, "sheet": {...}}>

The first line carries a SHA-256 of the n bytes that follow. Reading an entry checks, in
order: the format line, the byte count, the checksum, that the gzip and JSON decode, that the
stored key equals the key asked for (file hash, list, engine, parser version and format), and
that every field of the sheet has its declared type (every row a list of
``len(thresholds.COLUMNS)`` strings). Any failure makes the entry *damaged*: it is reported
once (a ``warning:`` line on stderr naming the entry and the source file), counted in
``SheetCache.damaged``, and the sheet is read again from the workbook, so the build's output is
identical to an uncached build; the entry is then rewritten. The checksum detects damage (bit
rot, truncation, a half-copied cache), not a deliberate forger, who could recompute it; a
forged entry can at worst hold wrong text values of the right shape, and never runs code.

Entries are written atomically (``ice287g.files``: a temporary file, then ``os.replace``); a
cache folder that cannot be written (read-only, full, a file in the way) is not an error: the
build goes on without storing (counted in ``SheetCache.write_errors``).

Where: ``folder/f<FORMAT>-p<PARSER_VERSION>/<sha[:2]>/<sha>-<list>-<engine>.json.gz``, so a
bump of ``thresholds.PARSER_VERSION`` (or of ``FORMAT``) invalidates every older entry.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import itertools
import json
import os
import re
import sys
import zlib
from pathlib import Path
from typing import Callable

from .. import files
from . import thresholds
from .records import ParsedSheet, SheetFile

#: Version of the entry layout above (bump when it changes).
FORMAT = 1
MAGIC = b"ice287g-sheet-cache/%d" % FORMAT
#: gzip level: 1 is about 4x faster to write than 6 for 10% more bytes (measured on a
#: 100k-row sheet, see benchmarks/pipeline.py).
COMPRESSLEVEL = 1

_HEADER = re.compile(rb"^ice287g-sheet-cache/(\d+) sha256=([0-9a-f]{64}) bytes=(\d+)$")
_SAFE_NAME = re.compile(r"^[a-z0-9_]+$")


class DamagedEntry(Exception):
    """A cache entry that fails a check (the message says which)."""


def default_cache_dir() -> Path:
    """Parsed-sheet cache: ``$ICE287G_CACHE_DIR`` or the user cache directory."""
    env = os.environ.get("ICE287G_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("ice287g")) / "sheets"


# --------------------------------------------------------------------------- (de)serialising


def _is_str_list(v) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _decode_str_tuple(v):
    if not _is_str_list(v):
        raise DamagedEntry("expected a list of strings")
    return tuple(v)


def _decode_str_list(v):
    if not _is_str_list(v):
        raise DamagedEntry("expected a list of strings")
    return v


def _decode_rows(v):
    width = len(thresholds.COLUMNS)
    if type(v) is not list:
        raise DamagedEntry("rows: expected a list")
    # Checked with C-level passes (a 100k-row sheet in ~50 ms); the slow loop only names the row.
    if not (set(map(type, v)) <= {list} and set(map(len, v)) <= {width}
            and set(map(type, itertools.chain.from_iterable(v))) <= {str}):
        for n, row in enumerate(v):
            if type(row) is not list or len(row) != width or not all(type(x) is str for x in row):
                raise DamagedEntry(f"row {n}: expected a list of {width} strings")
    return list(map(tuple, v))


def _decode_int_list(v):
    if type(v) is not list or not set(map(type, v)) <= {int}:  # bool is not int here either
        raise DamagedEntry("expected a list of integers")
    return v


def _decode_int(v):
    if type(v) is not int:
        raise DamagedEntry("expected an integer")
    return v


def _decode_str(v):
    if type(v) is not str:
        raise DamagedEntry("expected a string")
    return v


#: How each annotated field type of ParsedSheet is checked and rebuilt. A ParsedSheet field
#: of another type makes the cache refuse to work (a test checks every field is covered).
DECODERS: dict[str, Callable] = {
    "tuple[str, ...]": _decode_str_tuple,
    "list[tuple[str, ...]]": _decode_rows,
    "list[str]": _decode_str_list,
    "list[int]": _decode_int_list,
    "int": _decode_int,
    "str": _decode_str,
}


def sheet_fields() -> dict[str, Callable]:
    """ParsedSheet field name -> decoder; raise TypeError for a field type not covered."""
    out = {}
    for f in dataclasses.fields(ParsedSheet):
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", repr(f.type))
        if kind not in DECODERS:
            raise TypeError(f"ParsedSheet.{f.name} has type {kind!r}, which the parse cache "
                            "cannot store: add a decoder to cache.DECODERS and bump FORMAT")
        out[f.name] = DECODERS[kind]
    return out


def encode(key: dict, parsed: ParsedSheet) -> bytes:
    """The bytes of a cache entry for ``parsed``."""
    sheet = {name: getattr(parsed, name) for name in sheet_fields()}
    doc = json.dumps({"key": key, "sheet": sheet}, ensure_ascii=False, separators=(",", ":"))
    body = gzip.compress(doc.encode("utf-8"), compresslevel=COMPRESSLEVEL, mtime=0)
    head = b"%s sha256=%s bytes=%d\n" % (MAGIC, hashlib.sha256(body).hexdigest().encode(), len(body))
    return head + body


def decode(data: bytes, key: dict) -> ParsedSheet:
    """The ParsedSheet of an entry's bytes; raise ``DamagedEntry`` saying what is wrong."""
    nl = data.find(b"\n", 0, 200)
    if nl < 0:
        raise DamagedEntry("no format line")
    m = _HEADER.match(data[:nl])
    if not m:
        raise DamagedEntry("the format line is not 'ice287g-sheet-cache/N sha256=... bytes=...'")
    if int(m[1]) != FORMAT:
        raise DamagedEntry(f"format {int(m[1])}, expected {FORMAT}")
    body = data[nl + 1:]
    if len(body) != int(m[3]):
        raise DamagedEntry(f"{len(body)} bytes after the format line, the line says {int(m[3])} "
                           "(truncated or extended)")
    if hashlib.sha256(body).hexdigest() != m[2].decode():
        raise DamagedEntry("the SHA-256 checksum does not match the content")
    try:
        doc = json.loads(gzip.decompress(body).decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        raise DamagedEntry(f"the content does not decode ({type(exc).__name__})") from None
    if type(doc) is not dict or set(doc) != {"key", "sheet"}:
        raise DamagedEntry("the content is not {key, sheet}")
    if doc["key"] != key:
        raise DamagedEntry(f"the entry holds {doc['key']!r}, not {key!r}")
    fields = sheet_fields()
    sheet = doc["sheet"]
    if type(sheet) is not dict or set(sheet) != set(fields):
        raise DamagedEntry("the sheet does not have the fields of ParsedSheet")
    values = {}
    for name, dec in fields.items():
        try:
            values[name] = dec(sheet[name])
        except DamagedEntry as exc:
            raise DamagedEntry(f"sheet.{name}: {exc}") from None
    return ParsedSheet(**values)


# --------------------------------------------------------------------------- the cache


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class SheetCache:
    """Parsed sheets by (file SHA-256, list, engine, parser version); ``folder=None``: no cache.

    ``hits``: entries used; ``misses``: sheets read from their workbook; ``damaged``: entries
    found damaged (each reported once through ``warn``); ``write_errors``: entries that could
    not be stored.
    """

    def __init__(self, folder: Path | None, warn: Callable[[str], None] = _warn):
        self.folder = Path(folder) if folder is not None else None
        self.warn = warn
        self.hits = 0
        self.misses = 0
        self.damaged = 0
        self.write_errors = 0
        self.reports: list[str] = []
        self._reported: set[Path] = set()

    @staticmethod
    def key(sha256: str, list_name: str, engine: str) -> dict:
        return {"format": FORMAT, "parser_version": thresholds.PARSER_VERSION,
                "sha256": sha256, "list": list_name, "engine": engine}

    def path(self, sha256: str, list_name: str, engine: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        for part in (list_name, engine):
            if not _SAFE_NAME.match(part):
                raise ValueError(f"unsafe cache key part {part!r}")
        return (self.folder / f"f{FORMAT}-p{thresholds.PARSER_VERSION}" / sha256[:2]
                / f"{sha256}-{list_name}-{engine}.json.gz")

    def read(self, sf: SheetFile, list_name: str, engine: str = "calamine") -> ParsedSheet:
        """The parsed sheet of ``sf`` read as ``list_name``: from the cache or the workbook."""
        from . import s2_read

        entry = key = None
        problem = ""
        if self.folder is not None:
            key = self.key(sf.sha256, list_name, engine)
            entry = self.path(sf.sha256, list_name, engine)
            try:
                data = entry.read_bytes()
            except FileNotFoundError:
                data = None
            except OSError as exc:  # unreadable (permissions, a folder in the way): re-read
                data, problem = None, f"cannot be read ({exc.strerror or exc})"
            if data is not None:
                try:
                    parsed = decode(data, key)
                except DamagedEntry as exc:
                    problem = f"is damaged ({exc})"
                else:
                    self.hits += 1
                    return parsed
        parsed = s2_read.read_sheet(sf.path, list_name, engine=engine)
        self.misses += 1
        if entry is not None:
            stored = self._store(entry, encode(key, parsed))
            if problem:
                self._report(entry, sf, problem, stored)
        return parsed

    def _report(self, entry: Path, sf: SheetFile, problem: str, stored: bool) -> None:
        if problem.startswith("is damaged"):
            self.damaged += 1
        if entry in self._reported:
            return
        self._reported.add(entry)
        then = "replaced it" if stored else "could not replace it (the cache is not writable)"
        msg = (f"warning: parse-cache entry {entry} (for {sf.path}) {problem}; "
               f"re-read the sheet and {then}")
        self.reports.append(msg)
        self.warn(msg)

    def _store(self, entry: Path, data: bytes) -> bool:
        try:
            files.write_bytes(entry, data)
            return True
        except OSError:  # a read-only or full cache is not an error
            self.write_errors += 1
            return False
