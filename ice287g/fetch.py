"""Download the current sheets linked from ICE's 287(g) page (or any page of the same form).

``fetch(url, dest)`` reads the page, finds its links to the participating-agencies and the
pending-agencies workbooks (both are required), downloads each and saves it, under ICE's own
file name carrying ICE's publication stamp (``participatingAgencies05182026am.xlsx``), into a
new capture folder ``dest/sheets_<YYYYMMDD>_<HHMMSS>/`` (UTC download time: the layout of the
archives the pipeline reads). The name is taken from the response's ``Content-Disposition``
when it gives one, else from the link's path; a name without a readable ICE stamp is refused
(it is an anomaly to review, see data/README.md) unless ``allow_unrecognised``.

The page and everything it serves are untrusted (SECURITY.md). Before anything is kept:

- only ``https`` and ``http`` URLs are fetched, for the page, its sheet links and every
  redirect (``file:``, ``ftp:``, ``javascript:``, ``data:`` ... are refused), and only on the
  page's own host or ICE's hosts (``ICE_HOSTS``); a redirect elsewhere is refused, not
  followed; at most ``MAX_REDIRECTS`` redirects per request;
- at most ``MAX_SHEETS`` sheet links per page (ICE links one participating and one pending
  workbook), and no ICE stamp later than the day after the (UTC) download day;
- every request attempt has ONE wall-clock deadline (``timeout``) covering connecting, the
  TLS handshake, the redirects, the headers and the body: a server dripping bytes is cut at
  the deadline (only the DNS lookup is outside it);
- the page is at most ``MAX_PAGE_BYTES``, a workbook at most ``WORKBOOK_MAX_BYTES``, and a
  workbook passes the build's own check (:func:`ice287g.pipeline.s2_read.check_workbook_file`:
  zip-bomb sizes and ratios from the central directory, macro-enabled content) and its CRCs;
- an HTTP error, an HTML page where a workbook was expected, a response that is not a
  complete xlsx (zip) workbook or a truncated body is an error naming the URL.

Each refusal is one line naming the URL. Downloads go to a hidden temporary folder first and
it is renamed into place only when every sheet passed, so a failure leaves nothing behind.
Transient failures (HTTP 408/429/5xx, connection errors, time-outs, truncated bodies) are
retried with exponential backoff. Proxies (``http_proxy``) are not used.

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
import select
import socket
import sys
import ssl
import time
import zipfile
import zlib
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from . import files
from .pipeline.records import SheetError
from .pipeline.s2_read import check_workbook_file
from .pipeline.thresholds import ICE_HOSTS, LISTS, STAMP_AFTER_CAPTURE_DAYS, WORKBOOK_MAX_BYTES

USER_AGENT = "ice287g (287(g) in Key West; +https://github.com/keywest287g/287g-in-key-west)"
#: Seconds for a whole request attempt: connecting, redirects, headers and body.
TIMEOUT = 60.0
#: Attempts per request (the first try included).
RETRIES = 4
#: First wait between attempts (seconds); doubled after each failure, at most BACKOFF_MAX.
BACKOFF = 2.0
BACKOFF_MAX = 60.0
#: Refuse a workbook response larger than this (ICE's workbooks are well under 1 MB).
MAX_BYTES = WORKBOOK_MAX_BYTES
#: Refuse a page larger than this (ICE's 287(g) page is about 100 KB).
MAX_PAGE_BYTES = 5 * 2**20
#: The only URL schemes fetched (page, sheet links, redirects).
SCHEMES = ("https", "http")
#: Hosts a sheet link or a redirect may lead to besides the page's own host: ICE's
#: (``ICE_HOSTS``, from the pipeline's thresholds).
#: Most sheet links a page may carry: ICE links one participating and one pending workbook;
#: two of each leaves a margin for a page in transition. More is refused, nothing fetched.
MAX_SHEETS = 4
#: Most redirects followed per request.
MAX_REDIRECTS = 5
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
    return PurePosixPath(unquote(urlsplit(url).path)).name


def sheet_links(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the ``.xlsx`` links on a page, in page order, without repeats."""
    parser = _Links()
    parser.feed(html)
    out: dict[str, None] = {}
    for href in parser.hrefs:
        try:
            url = urljoin(base_url, href)
        except ValueError:  # a malformed link (an invalid IPv6 host): not a sheet link
            continue
        if PurePosixPath(_path_name(url)).suffix.lower() == ".xlsx":
            out.setdefault(url)
    return list(out)


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
        shown = ", ".join(links[:5]) + (f" and {len(links) - 5:,} more" if len(links) > 5 else "")
        raise FetchError(f"{page}: the page links no {' and no '.join(missing)} workbook "
                         f"(links to .xlsx: {shown or 'none'}); has ICE changed the page?")
    total = sum(len(v) for v in found.values())
    if total > MAX_SHEETS:
        raise FetchError(f"{page}: refused: the page links {total:,} participating or pending "
                         f"workbooks, more than the {MAX_SHEETS} allowed (ICE links one of each); "
                         "nothing was downloaded")
    return found


def allowed_hosts(page_url: str) -> tuple[str, ...]:
    """The hosts links and redirects from ``page_url`` may lead to: its own and ICE's."""
    host = (urlsplit(page_url).hostname or "").lower()
    return tuple(dict.fromkeys([host, *ICE_HOSTS]))


def check_url(url: str, hosts: tuple[str, ...] | None, what: str = "link") -> None:
    """Refuse a URL that is not ``https``/``http`` or (when ``hosts`` is given) leads
    elsewhere than ``hosts``; the error names the URL."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 -- raises ValueError on a port that is no number
    except ValueError as exc:
        raise FetchError(f"{url!r}: refused: a malformed {what} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise FetchError(f"{url[:200]!r}: refused: a {what} with the scheme "
                         f"{scheme + ':' if scheme else '(none)'} (only "
                         f"{' and '.join(s + ':' for s in SCHEMES)} are fetched)")
    if not host:
        raise FetchError(f"{url[:200]!r}: refused: a {what} without a host")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise FetchError(f"{url[:200]!r}: refused: a {what} with spaces or control characters")
    if hosts is not None and host not in hosts:
        raise FetchError(f"{url}: refused: a {what} to {host}, which is neither the page's host "
                         f"nor ICE's ({', '.join(hosts)})")


# --------------------------------------------------------------------------- HTTP
class _Deadline(TimeoutError):
    """The request attempt's wall-clock deadline passed."""


class _DeadlineReader(io.RawIOBase):
    """Reads from a socket, each read waiting at most until the attempt's deadline (so a
    server dripping one byte at a time, in the headers or the body, is cut at the deadline)."""

    def __init__(self, sock, deadline: float):
        super().__init__()
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _Deadline()
        self._sock.settimeout(left)
        try:
            return self._sock.recv_into(buf)
        except (TimeoutError, socket.timeout):
            raise _Deadline() from None


class _DeadlineSocket:
    """A connected socket whose sends and ``makefile`` reads keep to a deadline. http.client
    closes the connection's socket as soon as a response that ends the connection begins;
    the response still reads from it, so ``close`` waits for ``real_close`` (in ``_close``)."""

    def __init__(self, sock, deadline: float):
        self._sock, self._deadline = sock, deadline

    def close(self) -> None:
        pass

    def real_close(self) -> None:
        self._sock.close()

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def sendall(self, data) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _Deadline()
        self._sock.settimeout(left)
        self._sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _HTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection whose TLS handshake, however many round trips it takes, ends by
    the deadline (a server dripping its handshake is cut like one dripping its body)."""

    def __init__(self, host, port, deadline: float):
        super().__init__(host, port, timeout=max(0.001, deadline - time.monotonic()),
                         context=ssl.create_default_context())
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            tls = self._context.wrap_socket(sock, server_hostname=self.host,
                                            do_handshake_on_connect=False)
            tls.setblocking(False)
            while True:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    raise _Deadline()
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    select.select([tls], [], [], left)
                except ssl.SSLWantWriteError:
                    select.select([], [tls], [], left)
        except BaseException:
            sock.close()
            raise
        tls.settimeout(max(0.001, self._deadline - time.monotonic()))
        self.sock = tls


def _request(url: str, deadline: float) -> http.client.HTTPResponse:
    """One GET of ``url`` (already checked), its connection bounded by ``deadline``."""
    parts = urlsplit(url)
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Deadline()
    if parts.scheme.lower() == "https":
        conn = _HTTPSConnection(parts.hostname, parts.port, deadline)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=left)
    try:
        conn.connect()  # TCP within the time left, TLS by the deadline
        conn.sock = wrapped = _DeadlineSocket(conn.sock, deadline)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept": "*/*",
                                             "Accept-Encoding": "identity"})
        resp = conn.getresponse()
    except BaseException:
        if isinstance(conn.sock, _DeadlineSocket):
            conn.sock.real_close()
        conn.close()
        raise
    resp._ice287g_close = (wrapped, conn)  # closed with the response (see _close)
    return resp


def _close(resp) -> None:
    wrapped, conn = resp._ice287g_close
    try:
        resp.close()
    finally:
        wrapped.real_close()
        conn.close()


def _read_body(resp, url: str, limit: int) -> bytes:
    length = resp.headers.get("Content-Length")
    expected = int(length) if length and length.strip().isdigit() else None
    if expected is not None and expected > limit:
        raise FetchError(f"{url}: refused: the response is {expected:,} bytes, over the "
                         f"{limit:,}-byte limit")
    chunks, got = [], 0
    while True:
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
        if got > limit:
            raise FetchError(f"{url}: refused: the response is over the {limit:,}-byte limit")
    if expected is not None and got < expected:
        raise _Transient(f"{url}: truncated download ({got:,} of {expected:,} bytes)")
    return b"".join(chunks)


def _attempt(url: str, timeout: float, hosts: tuple[str, ...] | None,
             limit: int) -> tuple[bytes, Message]:
    """One attempt: GET ``url`` following at most MAX_REDIRECTS redirects, each checked
    against ``hosts``, all within one deadline of ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            resp = _request(current, deadline)
            try:
                if resp.status in (301, 302, 303, 307, 308):
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(f"{url}: HTTP {resp.status} redirect without a Location")
                    target = urljoin(current, location.strip())
                    check_url(target, hosts, f"redirect from {current}")
                    current = target
                    continue
                if resp.status >= 400:
                    msg = f"{url}: HTTP {resp.status} {resp.reason}"
                    if resp.status in (408, 429) or resp.status >= 500:
                        raise _Transient(msg)
                    raise FetchError(msg)
                if resp.status != 200:
                    raise FetchError(f"{url}: unexpected HTTP {resp.status} {resp.reason}")
                return _read_body(resp, url, limit), resp.headers
            finally:
                _close(resp)
        raise FetchError(f"{url}: refused: more than {MAX_REDIRECTS} redirects")
    except (_Deadline, TimeoutError, socket.timeout):
        raise _Transient(f"{url}: timed out after {timeout:g} s (the whole response must "
                         "arrive within --timeout)") from None
    except ssl.SSLCertVerificationError as exc:
        raise FetchError(f"{url}: refused: the TLS certificate does not verify "
                         f"({exc.verify_message})") from None
    except (http.client.HTTPException, ConnectionError, OSError) as exc:
        raise _Transient(f"{url}: {exc.__class__.__name__}: {exc}") from None


def get(url: str, *, timeout: float = TIMEOUT, retries: int = RETRIES,
        backoff: float = BACKOFF, log=None, hosts: tuple[str, ...] | None = None,
        limit: int = MAX_BYTES) -> tuple[bytes, Message]:
    """GET ``url``: (body, headers). ``url`` and every redirect must be ``https``/``http``
    (and on ``hosts`` when given); each attempt must end within ``timeout`` seconds and
    ``limit`` bytes. Transient failures are retried ``retries`` times in all, waiting
    ``backoff`` seconds, then twice as long each time; the last failure is raised as a
    :class:`FetchError` saying how many attempts were made."""
    check_url(url, hosts)
    wait = backoff
    for attempt in range(1, max(1, retries) + 1):
        try:
            return _attempt(url, timeout, hosts, limit)
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
    """Raise :class:`FetchError` unless ``data`` is a complete xlsx workbook that the build
    would read: not HTML, a zip within the build's size, ratio and macro limits
    (``check_workbook_file``), every entry's CRC correct."""
    ctype = (headers.get_content_type() if headers is not None else "") or ""
    head = data[:512].lstrip().lower()
    if ctype in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype", b"<html")) \
            or b"<html" in head:
        raise FetchError(f"{url}: got an HTML page ({ctype or 'no content type'}, "
                         f"starts {data[:60]!r}) where an xlsx workbook was expected")
    if not data.startswith(b"PK\x03\x04"):
        raise FetchError(f"{url}: the download is not an xlsx workbook "
                         f"(content type {ctype or 'none'}, starts with {data[:16]!r})")
    try:  # the build's own check: sizes and ratios from the zip directory, macros
        check_workbook_file(data, "download")
    except SheetError as exc:
        raise FetchError(f"{url}: refused: {exc.message}") from None
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


def check_stamp(name: str, url: str, now: dt.datetime) -> None:
    """Refuse an ICE stamp later than ``STAMP_AFTER_CAPTURE_DAYS`` after the UTC day ``now``
    (ICE's dates are US dates: at most one day ahead of UTC's); a name without a stamp the
    pipeline reads passes here (``check_name`` judges it)."""
    try:
        parsed = _parse_name(name)
    except Exception:  # SheetError: no readable stamp
        return
    latest = now.date() + dt.timedelta(days=STAMP_AFTER_CAPTURE_DAYS)
    if parsed.stamp.date() > latest:
        raise FetchError(f"{url}: refused: the file name {name!r} carries the stamp "
                         f"{parsed.stamp.date().isoformat()}, later than {latest.isoformat()} "
                         f"(the day after today, UTC)")


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
    files.write_text(path, old + buf.getvalue(), newline="")


# --------------------------------------------------------------------------- fetch
def fetch(url: str, dest: Path | str, now: dt.datetime | None = None, *,
          known=(), record: Path | str | None = None, timeout: float = TIMEOUT,
          retries: int = RETRIES, backoff: float = BACKOFF,
          allow_unrecognised: bool = False, log=None) -> Path:
    """Download both sheets linked from ``url`` into a new capture folder under ``dest``.

    Returns the folder. Raises :class:`NothingNew` (no folder made) when ``known`` lists
    every sheet's SHA-256, :class:`FetchError` on any failure (nothing written). ``log``
    receives each retry's warning (default: printed to stderr).
    """
    if log is None:
        def log(msg):
            print(f"warning: {msg}", file=sys.stderr)

    opts = dict(timeout=timeout, retries=retries, backoff=backoff, log=log)
    dest = Path(dest)
    seen = known_hashes(known) if known else set()
    hosts = allowed_hosts(url)
    check_url(url, None, "page URL")
    body, _ = get(url, hosts=hosts, limit=MAX_PAGE_BYTES, **opts)
    html = body.decode("utf-8", errors="replace")
    links = sheet_links(html, url)
    if not links:
        raise FetchError(f"{url}: the page links no .xlsx file (has ICE changed the page?)")
    by_list = classify_links(links, url)
    for which in LISTS:  # every sheet link is checked before any is downloaded
        for link in by_list[which]:
            check_url(link, hosts, f"sheet link on {url}")
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    folder = dest / f"sheets_{now:%Y%m%d_%H%M%S}"

    downloads: list[tuple[str, bytes, str]] = []  # (name, bytes, sha256)
    names: set[str] = set()
    for which in LISTS:
        for link in by_list[which]:
            data, headers = get(link, hosts=hosts, limit=MAX_BYTES, **opts)
            check_workbook(data, headers, link)
            name = download_name(link, headers)
            if PurePosixPath(name).suffix.lower() != ".xlsx":
                raise FetchError(f"{link}: the server names the download {name!r}, not .xlsx")
            check_stamp(name, link, now)
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
    with files.atomic_folder(folder) as tmp:
        for name, data, _ in new:
            (tmp / name).write_bytes(data)
    if record:
        record_check(record, {**row, "outcome": "new", "capture": folder.name})
    return folder
