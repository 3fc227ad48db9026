"""Download the current sheets linked from ICE's 287(g) page (or any page of the same form).

``fetch(url, dest)`` reads the page, finds its links to the participating-agencies and the
pending-agencies workbooks (both are required), downloads each and saves it, under ICE's own
file name carrying ICE's publication stamp (``participatingAgencies05182026am.xlsx``), into a
new capture folder ``dest/sheets_<YYYYMMDD>_<HHMMSS>/`` (UTC download time: the layout of the
archives the pipeline reads). The name is taken from the response's ``Content-Disposition``
when it gives one, else from the link's path; a name without a readable ICE stamp is refused
(it is an anomaly to review, see data/README.md) unless ``allow_unrecognised``.

Every download is checked before anything is kept: an HTTP error, an HTML page where a
workbook was expected, a response that is not a complete xlsx (zip) workbook, or a truncated
body (fewer bytes than ``Content-Length``) is an error naming the URL. Downloads go to a
hidden temporary folder first and it is renamed into place only when every sheet passed, so
a failure leaves nothing behind. Transient failures (HTTP 408/429/5xx, connection errors,
time-outs, truncated bodies) are retried with exponential backoff; every request has a
time-out (per socket operation and for the whole response).

With ``known`` (``files.csv`` of the builds already made), sheets whose SHA-256 is listed are
not saved again, like the archives, where a capture keeps only files whose bytes changed;
when no sheet is new, no folder is created and :class:`NothingNew` is raised. With
``record`` the check is appended to a CSV record (``data/update-checks.csv``): its UTC time,
URL, outcome (``new`` or ``unchanged``), capture folder, file names and SHA-256s.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import http.client
import io
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlparse

from .pipeline.thresholds import LISTS

USER_AGENT = "ice287g (287(g) in Key West; +https://github.com/keywest287g/287g-in-key-west)"
#: Seconds per socket operation and (times 3) for a whole response.
TIMEOUT = 60.0
#: Attempts per request (the first try included).
RETRIES = 4
#: First wait between attempts (seconds); doubled after each failure, at most BACKOFF_MAX.
BACKOFF = 2.0
BACKOFF_MAX = 60.0
#: Refuse responses larger than this (ICE's workbooks are well under 1 MB).
MAX_BYTES = 50_000_000
CHECK_COLUMNS = ["checked_at", "url", "outcome", "capture", "files", "sha256"]


class FetchError(Exception):
    """The page or a sheet could not be downloaded or is not a workbook; nothing was written."""


class NothingNew(FetchError):
    """Every sheet linked from the page is already known (same SHA-256); no folder was made."""


class _Transient(Exception):
    """A failure worth retrying."""


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag.lower() == "a":
            for name, value in attrs:
                if name.lower() == "href" and value:
                    self.hrefs.append(value.strip())


def _path_name(url: str) -> str:
    return PurePosixPath(unquote(urlparse(url).path)).name


def sheet_links(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the ``.xlsx`` links on a page, in page order, without repeats."""
    parser = _Links()
    parser.feed(html)
    out: list[str] = []
    for href in parser.hrefs:
        url = urljoin(base_url, href)
        if PurePosixPath(_path_name(url)).suffix.lower() == ".xlsx" and url not in out:
            out.append(url)
    return out


def list_of(name: str) -> str | None:
    """``participating`` or ``pending`` from a file name (ICE's names start with either)."""
    low = name.lower()
    for which in LISTS:
        if low.startswith(which):
            return which
    return None


def classify_links(links: list[str], page: str) -> dict[str, list[str]]:
    """The page's sheet links by list; both lists must be linked."""
    found: dict[str, list[str]] = {which: [] for which in LISTS}
    for link in links:
        which = list_of(_path_name(link))
        if which:
            found[which].append(link)
    missing = [w for w in LISTS if not found[w]]
    if missing:
        raise FetchError(f"{page}: the page links no {' and no '.join(missing)} workbook "
                         f"(links to .xlsx: {', '.join(links) or 'none'}); has ICE changed the page?")
    return found


# --------------------------------------------------------------------------- HTTP
def _read_body(resp, url: str, deadline: float) -> bytes:
    length = resp.headers.get("Content-Length")
    expected = int(length) if length and length.isdigit() else None
    if expected is not None and expected > MAX_BYTES:
        raise FetchError(f"{url}: the response is {expected:,} bytes, over the {MAX_BYTES:,} limit")
    chunks, got = [], 0
    while True:
        if time.monotonic() > deadline:
            raise _Transient(f"{url}: timed out (the whole response took too long)")
        try:
            chunk = resp.read(64 * 1024)
        except http.client.IncompleteRead as exc:
            chunks.append(exc.partial)
            got += len(exc.partial)
            break
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
        if got > MAX_BYTES:
            raise FetchError(f"{url}: the response is over the {MAX_BYTES:,}-byte limit")
    if expected is not None and got < expected:
        raise _Transient(f"{url}: truncated download ({got:,} of {expected:,} bytes)")
    return b"".join(chunks)


def _attempt(url: str, timeout: float) -> tuple[bytes, Message]:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    deadline = time.monotonic() + 3 * timeout
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return _read_body(resp, url, deadline), resp.headers
    except urllib.error.HTTPError as exc:
        msg = f"{url}: HTTP {exc.code} {exc.reason}"
        if exc.code in (408, 429) or exc.code >= 500:
            raise _Transient(msg) from None
        raise FetchError(msg) from None
    except (TimeoutError, socket.timeout):
        raise _Transient(f"{url}: timed out after {timeout:g} s") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise _Transient(f"{url}: timed out after {timeout:g} s") from None
        raise _Transient(f"{url}: {reason}") from None
    except (http.client.HTTPException, ConnectionError, OSError) as exc:
        raise _Transient(f"{url}: {exc.__class__.__name__}: {exc}") from None


def get(url: str, *, timeout: float = TIMEOUT, retries: int = RETRIES,
        backoff: float = BACKOFF, log=None) -> tuple[bytes, Message]:
    """GET ``url``: (body, headers). Transient failures are retried ``retries`` times in all,
    waiting ``backoff`` seconds, then twice as long each time; the last failure is raised as
    a :class:`FetchError` saying how many attempts were made."""
    wait = backoff
    for attempt in range(1, max(1, retries) + 1):
        try:
            return _attempt(url, timeout)
        except _Transient as exc:
            if attempt >= retries:
                raise FetchError(f"{exc} (gave up after {attempt} attempt"
                                 f"{'s' if attempt > 1 else ''})") from None
            if log:
                log(f"{exc}; retrying in {wait:g} s (attempt {attempt + 1} of {retries})")
            time.sleep(wait)
            wait = min(wait * 2, BACKOFF_MAX)
    raise AssertionError("unreachable")


def check_workbook(data: bytes, headers: Message, url: str) -> None:
    """Raise :class:`FetchError` unless ``data`` is a complete xlsx workbook."""
    ctype = (headers.get_content_type() if headers is not None else "") or ""
    head = data[:512].lstrip().lower()
    if ctype in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype", b"<html")) \
            or b"<html" in head:
        raise FetchError(f"{url}: got an HTML page ({ctype or 'no content type'}, "
                         f"starts {data[:60]!r}) where an xlsx workbook was expected")
    if not data.startswith(b"PK\x03\x04"):
        raise FetchError(f"{url}: the download is not an xlsx workbook "
                         f"(content type {ctype or 'none'}, starts with {data[:16]!r})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            bad = zf.testzip()
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise FetchError(f"{url}: the workbook is truncated or corrupt ({exc})") from None
    if bad is not None:
        raise FetchError(f"{url}: the workbook is corrupt (member {bad} fails its CRC)")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FetchError(f"{url}: the zip file is not an xlsx workbook (no xl/ part)")


def download_name(link: str, headers: Message | None) -> str:
    """The file name ICE gives the download: ``Content-Disposition``'s, else the link's."""
    if headers is not None:
        name = headers.get_filename()
        if name:
            name = PurePosixPath(name.replace("\\", "/")).name.strip()
            if name:
                return name
    return _path_name(link)


def _parse_name(name: str):
    """The pipeline's reading of a file name (``SheetName``), or raise its ``SheetError``."""
    try:
        from .pipeline import parse_name  # after the pipeline restructure
    except ImportError:
        try:
            from .pipeline.s1_find import parse_name
        except ImportError:
            from .pipeline.s1_find import parse_name
    return parse_name(name)


def check_name(name: str, expected_list: str, url: str) -> None:
    """Refuse a name the build could not place by ICE's stamp (an anomaly to review)."""
    try:
        parsed = _parse_name(name)
    except Exception as exc:  # SheetError, whichever module defines it
        raise FetchError(f"{url}: ICE named the file {name!r}, which carries no stamp the "
                         f"pipeline can read ({exc}); review it before it lands "
                         "(data/README.md, 'Reviewing an anomaly')") from None
    if parsed.provenance != "ice_stamp" or parsed.list != expected_list:
        raise FetchError(f"{url}: {name!r} is not an ICE-stamped {expected_list} file name "
                         f"(read as {parsed.list}, {parsed.provenance}); review it before it lands")


# --------------------------------------------------------------------------- known files
def known_hashes(files_csvs) -> set[str]:
    """SHA-256s listed in ``files.csv`` files (a missing file is an error naming it)."""
    out: set[str] = set()
    for path in files_csvs:
        path = Path(path)
        if not path.is_file():
            raise FetchError(f"{path}: no such files.csv (given with --known)")
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if "sha256" not in (reader.fieldnames or []):
                raise FetchError(f"{path}: has no sha256 column; is it a build's files.csv?")
            out |= {row["sha256"] for row in reader if row["sha256"]}
    return out


def record_check(path: Path | str, row: dict) -> None:
    """Append one row to the check record (created with its header), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if old and old.splitlines()[0] != ",".join(CHECK_COLUMNS):
        raise FetchError(f"{path}: unexpected header {old.splitlines()[0]!r} "
                         f"(expected {','.join(CHECK_COLUMNS)})")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CHECK_COLUMNS, lineterminator="\n")
    if not old:
        writer.writeheader()
    writer.writerow({c: row.get(c, "") for c in CHECK_COLUMNS})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(old + buf.getvalue())
    os.replace(tmp, path)


# --------------------------------------------------------------------------- fetch
def fetch(url: str, dest: Path | str, now: dt.datetime | None = None, *,
          known=(), record: Path | str | None = None, timeout: float = TIMEOUT,
          retries: int = RETRIES, backoff: float = BACKOFF,
          allow_unrecognised: bool = False) -> Path:
    """Download both sheets linked from ``url`` into a new capture folder under ``dest``.

    Returns the folder. Raises :class:`NothingNew` (no folder made) when ``known`` lists
    every sheet's SHA-256, :class:`FetchError` on any failure (nothing written).
    """
    def log(msg):
        print(f"warning: {msg}", file=sys.stderr)

    opts = dict(timeout=timeout, retries=retries, backoff=backoff, log=log)
    dest = Path(dest)
    seen = known_hashes(known) if known else set()
    body, _ = get(url, **opts)
    html = body.decode("utf-8", errors="replace")
    links = sheet_links(html, url)
    if not links:
        raise FetchError(f"{url}: the page links no .xlsx file (has ICE changed the page?)")
    by_list = classify_links(links, url)
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    folder = dest / f"sheets_{now:%Y%m%d_%H%M%S}"

    downloads: list[tuple[str, bytes, str]] = []  # (name, bytes, sha256)
    names: set[str] = set()
    for which in LISTS:
        for link in by_list[which]:
            data, headers = get(link, **opts)
            check_workbook(data, headers, link)
            name = download_name(link, headers)
            if PurePosixPath(name).suffix.lower() != ".xlsx":
                raise FetchError(f"{link}: the server names the download {name!r}, not .xlsx")
            if not allow_unrecognised:
                check_name(name, which, link)
            if name in names:
                raise FetchError(f"{link}: two links give the file name {name}")
            names.add(name)
            downloads.append((name, data, hashlib.sha256(data).hexdigest()))

    new = [d for d in downloads if d[2] not in seen]
    row = {"checked_at": f"{now:%Y-%m-%dT%H:%M:%SZ}", "url": url,
           "files": ";".join(d[0] for d in downloads),
           "sha256": ";".join(d[2] for d in downloads)}
    if not new:
        if record:
            record_check(record, {**row, "outcome": "unchanged"})
        raise NothingNew(f"{url}: every linked sheet is already known "
                         f"({', '.join(d[0] for d in downloads)}); no folder created")

    if folder.exists():
        raise FetchError(f"{folder} already exists")
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-tmp-", dir=dest))
    try:
        for name, data, _ in new:
            (tmp / name).write_bytes(data)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if record:
        record_check(record, {**row, "outcome": "new", "capture": folder.name})
    return folder
