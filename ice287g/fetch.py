"""Download the current sheets linked from ICE's 287(g) page.

``fetch(url, dest)`` reads the page, collects every link to an ``.xlsx`` file, downloads each
into a new capture folder ``dest/sheets_<YYYYMMDD>_<HHMMSS>/`` (UTC, the layout of the
archives the pipeline reads) and returns that folder. Downloads go to a temporary folder first:
when any link fails or is not an xlsx workbook, nothing is left behind.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlparse

USER_AGENT = "ice287g (287(g) in Key West; +https://github.com/keywest287g/287g-in-key-west)"
TIMEOUT = 60


class FetchError(Exception):
    """The page or a sheet could not be downloaded; nothing was written."""


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag.lower() == "a":
            for name, value in attrs:
                if name.lower() == "href" and value:
                    self.hrefs.append(value.strip())


def sheet_links(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the ``.xlsx`` links on a page, in page order, without repeats."""
    parser = _Links()
    parser.feed(html)
    out: list[str] = []
    for href in parser.hrefs:
        url = urljoin(base_url, href)
        if PurePosixPath(unquote(urlparse(url).path)).suffix.lower() == ".xlsx" and url not in out:
            out.append(url)
    return out


def _get(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def fetch(url: str, dest: Path | str, now: dt.datetime | None = None) -> Path:
    """Download every sheet linked from ``url`` into a new capture folder under ``dest``."""
    from .sheets import SheetError, parse_name

    dest = Path(dest)
    html = _get(url).decode("utf-8", errors="replace")
    links = sheet_links(html, url)
    if not links:
        raise FetchError(f"{url}: the page links no .xlsx file (has ICE changed the page?)")
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    folder = dest / f"sheets_{now:%Y%m%d_%H%M%S}"
    if folder.exists():
        raise FetchError(f"{folder} already exists")
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-tmp-", dir=dest))
    try:
        names = set()
        for link in links:
            name = PurePosixPath(unquote(urlparse(link).path)).name
            if name in names:
                raise FetchError(f"{link}: two links share the file name {name}")
            names.add(name)
            data = _get(link)
            if not data.startswith(b"PK\x03\x04"):
                raise FetchError(f"{link}: the download is not an xlsx workbook "
                                 f"(starts with {data[:16]!r})")
            (tmp / name).write_bytes(data)
            try:
                parse_name(name)
            except SheetError as exc:
                print(f"warning: {exc}; the build will need a reviewed decision for it",
                      file=sys.stderr)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
