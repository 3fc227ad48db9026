"""``python -m ice287g fetch`` against a local HTTP server on 127.0.0.1 (never the internet).

The server plays ICE's page and its two workbooks, and misbehaves on request: 404, an HTML
page where a workbook should be, a truncated body, a slow response, 503 twice then success,
a download named only by its Content-Disposition. As an attacker's page (issue 20) it links
local files and other schemes, other hosts, thousands of sheets, stamps years ahead; it
redirects elsewhere, drips headers or a body a byte at a time, and serves a zip bomb and a
macro-enabled workbook. Every test leaves no server thread behind (the fixture checks).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import http.server
import io
import threading
import time
import zipfile
from pathlib import Path

import pytest

from ice287g import config
from ice287g.fetch import sheet_links
from sheetfactory import PART_HEADER, PART_ROWS, PEND_HEADER, PEND_ROWS, run_cli, snapshot_dir, write_xlsx

PAGE = """<!doctype html><html><body>
<h1>287(g)</h1>
<p><a href="/doclib/about-ice/ero/287g/participatingAgencies05162025am.xlsx">Participating</a>
<a href="doclib/pendingAgencies05152025am.xlsx">Pending</a>
<a href="/doclib/factsheet.pdf">Fact sheet</a>
<a href="/doclib/about-ice/ero/287g/participatingAgencies05162025am.xlsx">again</a></p>
</body></html>"""
PART = "doclib/about-ice/ero/287g/participatingAgencies05162025am.xlsx"
#: How long the slow route takes to answer (the time-out tests use 0.5 s).
SLOW_S = 8
PEND = "doclib/pendingAgencies05152025am.xlsx"


def page(*hrefs: str) -> str:
    return "<html><body>" + "".join(f'<a href="{h}">x</a>' for h in hrefs) + "</body></html>"


class Site:
    """A page and workbooks under ``root``, plus misbehaving routes; counts requests.
    ``stop`` ends every slow or dripping response (set when the test ends)."""

    def __init__(self, root: Path):
        self.root = root
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def hit(self, path: str) -> int:
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]


#: A dripping server sends one byte every DRIP_S seconds (for at most DRIP_MAX bytes).
DRIP_S = 0.5
#: How often a test server looks for shutdown() (the standard library waits 0.5 s): a test
#: that stops its server does not sit idle for it.
POLL_S = 0.05
DRIP_MAX = 120


def bomb_bytes() -> bytes:
    """A workbook-shaped zip whose sheet part is 8 MiB of zeros (about 8 KB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 << 20))
    return buf.getvalue()


def with_vba(workbook: bytes) -> bytes:
    """A real workbook with a VBA project added (what an .xlsm renamed .xlsx carries)."""
    buf = io.BytesIO(workbook)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 512)
    return buf.getvalue()


def make_handler(site: Site):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def guess_type(self, path):
            return "text/html" if path.endswith("287g") else super().guess_type(path)

        def _send(self, code: int, body: bytes, ctype: str, extra: dict | None = None,
                  length: int | None = None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, data: bytes) -> None:
            """Write ``data`` one byte every DRIP_S s until the client leaves or the test ends."""
            try:
                for i in range(min(len(data), DRIP_MAX)):
                    if site.stop.wait(DRIP_S):
                        return
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
            except OSError:  # the client hung up: what a deadline does
                pass
            self.close_connection = True

        def _redirect(self, location: str) -> None:
            self._send(302, b"", "text/html", {"Location": location})

        def do_GET(self):
            path = self.path.split("?")[0]
            n = site.hit(path)
            part = (site.root / PART).read_bytes()
            xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            port = self.server.server_address[1]
            if path == "/slow/participatingAgencies05162025am.xlsx":
                if site.stop.wait(SLOW_S):
                    return None
                return self._send(200, part, xlsx)
            if path == "/drip-body/participatingAgencies05162025am.xlsx":
                self.send_response(200)
                self.send_header("Content-Type", xlsx)
                self.send_header("Content-Length", str(len(part)))
                self.end_headers()
                self.wfile.flush()
                return self._drip(part)
            if path == "/drip-headers/participatingAgencies05162025am.xlsx":
                self.wfile.write(b"HTTP/1.0 200 OK\r\n")
                self.wfile.flush()
                return self._drip(b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")
            if path == "/bomb/participatingAgencies05162025am.xlsx":
                return self._send(200, bomb_bytes(), xlsx)
            if path == "/macro/participatingAgencies05162025am.xlsx":
                return self._send(200, with_vba(part), xlsx)
            if path.startswith("/dated/"):  # any ICE-named workbook: the participating bytes
                return self._send(200, part, xlsx)
            if path == "/redirect-same/participatingAgencies05162025am.xlsx":
                return self._redirect("/" + PART)
            if path == "/redirect-other/participatingAgencies05162025am.xlsx":
                return self._redirect(f"http://localhost:{port}/{PART}")
            if path == "/redirect-file/participatingAgencies05162025am.xlsx":
                return self._redirect(f"file://{site.root / PART}")
            if path == "/redirect-loop/participatingAgencies05162025am.xlsx":
                return self._redirect(path)
            if path == "/moved-page":
                return self._redirect(f"http://localhost:{port}/287g")
            if path == "/flaky/participatingAgencies05162025am.xlsx" and n <= 2:
                return self._send(503, b"<html>busy</html>", "text/html")
            if path == "/flaky-ctl/participatingAgencies05162025am.xlsx" and n <= 2:
                self.send_response(503, "Busy\x1b[2J\r::warning::x")
                self.send_header("Content-Length", "0")
                return self.end_headers()
            if path == "/flaky-ctl/participatingAgencies05162025am.xlsx":
                return self._send(200, part, xlsx)
            if path == "/flaky/participatingAgencies05162025am.xlsx":
                return self._send(200, part, xlsx)
            if path == "/truncated/participatingAgencies05162025am.xlsx":
                self._send(200, part[: len(part) // 2], xlsx, length=len(part))
                self.close_connection = True
                return None
            if path == "/error-page/participatingAgencies05162025am.xlsx":
                return self._send(200, b"<!DOCTYPE html><html><body>Access Denied</body></html>",
                                  "text/html; charset=utf-8")
            if path == "/mislabelled/participatingAgencies05162025am.xlsx":
                return self._send(200, b"STATE,AGENCY\nFLORIDA,x\n", xlsx)
            if path == "/current/participatingAgencies.xlsx":
                return self._send(200, part, xlsx, {
                    "Content-Disposition": 'attachment; filename="participatingAgencies06012026pm.xlsx"'})
            if path == "/current/participatingAgenciesLatest.xlsx":
                return self._send(200, part, xlsx)
            if path == "/sneaky/participatingAgencies.xlsx":
                return self._send(200, part, xlsx, {
                    "Content-Disposition": 'attachment; filename="../../participatingAgencies06022026am.xlsx"'})
            return super().do_GET()
    return Handler


def serve(root: Path, site: Site):
    """Start a server on 127.0.0.1; returns (base URL, stop): ``stop()`` ends every response,
    shuts the server down and joins all its threads."""
    before = set(threading.enumerate())
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(make_handler(site), directory=str(root)))
    httpd.daemon_threads = False  # handler threads are tracked and joined by server_close
    thread = threading.Thread(target=httpd.serve_forever, name="test-fetch-server",
                              kwargs={"poll_interval": POLL_S})
    thread.start()

    def stop():
        site.stop.set()
        httpd.shutdown()
        httpd.server_close()  # joins the handler threads
        thread.join(10)
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        assert left == [], f"server threads left running: {left}"

    return f"http://127.0.0.1:{httpd.server_address[1]}", stop


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "site"
    write_xlsx(root / PART, PART_HEADER, PART_ROWS)
    write_xlsx(root / PEND, PEND_HEADER, PEND_ROWS)
    (root / "doclib" / "factsheet.pdf").write_bytes(b"%PDF-1.4")
    (root / "287g").write_text(PAGE)
    pend = "/" + PEND
    pages = {
        "broken.html": page("/doclib/missing/participatingAgencies05162025am.xlsx", pend),
        "html-as-xlsx.html": page("/error-page/participatingAgencies05162025am.xlsx", pend),
        "mislabelled.html": page("/mislabelled/participatingAgencies05162025am.xlsx", pend),
        "truncated.html": page("/truncated/participatingAgencies05162025am.xlsx", pend),
        "slow.html": page("/slow/participatingAgencies05162025am.xlsx", pend),
        "flaky.html": page("/flaky/participatingAgencies05162025am.xlsx", pend),
        "disposition.html": page("/current/participatingAgencies.xlsx", pend),
        "unstamped.html": page("/current/participatingAgenciesLatest.xlsx", pend),
        "sneaky.html": page("/sneaky/participatingAgencies.xlsx", pend),
        "only-participating.html": page("/" + PART),
        "nolinks.html": "<p>nothing here</p>",
        # the participating sheet is fine, the pending one fails: nothing may be kept
        "half.html": page("/" + PART, "/doclib/gone/pendingAgencies05152025am.xlsx"),
    }
    for name, text in pages.items():
        (root / name).write_text(text)
    site = Site(root)
    base, stop = serve(root, site)
    try:
        yield base, root, site
    finally:
        stop()


#: Quick retries; a generous time-out, so a loaded machine does not fail the other tests.
FAST = ("--retries", "3", "--backoff", "0.05", "--timeout", "5")


def fetch_cli(base: str, page_name: str, dest: Path, *extra: str):
    return run_cli("fetch", "--dest", str(dest), "--url", f"{base}/{page_name}", *FAST, *extra)


def test_config_points_at_ices_page():
    assert config.ICE_287G_URL == "https://www.ice.gov/identify-and-arrest/287g"


def test_sheet_links_resolves_relative_links_and_skips_others():
    links = sheet_links(PAGE, "https://www.ice.gov/identify-and-arrest/287g")
    assert links == [
        "https://www.ice.gov/doclib/about-ice/ero/287g/participatingAgencies05162025am.xlsx",
        "https://www.ice.gov/identify-and-arrest/doclib/pendingAgencies05152025am.xlsx",
    ]


def test_fetch_downloads_both_sheets_under_ices_names(server, tmp_path):
    base, root, _ = server
    dest = tmp_path / "downloads"
    r = fetch_cli(base, "287g", dest)
    assert r.returncode == 0, r.stderr
    (capture,) = dest.iterdir()
    assert capture.name.startswith("sheets_") and len(capture.name) == len("sheets_20250519_024922")
    assert r.stdout.strip() == str(capture)
    got = {p.name: p.read_bytes() for p in capture.iterdir()}
    assert got == {
        "participatingAgencies05162025am.xlsx": (root / PART).read_bytes(),
        "pendingAgencies05152025am.xlsx": (root / PEND).read_bytes(),
    }
    # The capture folder is a valid archive for the build.
    out = tmp_path / "out"
    b = run_cli("build", "--sheets", str(dest), "--out", str(out), cache=tmp_path / "c")
    assert b.returncode == 0, b.stderr
    assert (out / "snapshots.csv").read_text().count("\n") == 2


def test_download_is_named_by_content_disposition(server, tmp_path):
    """ICE's stamp may be only in the response's file name, not in the link."""
    base, root, _ = server
    dest = tmp_path / "downloads"
    r = fetch_cli(base, "disposition.html", dest)
    assert r.returncode == 0, r.stderr
    (capture,) = dest.iterdir()
    assert sorted(p.name for p in capture.iterdir()) == [
        "participatingAgencies06012026pm.xlsx", "pendingAgencies05152025am.xlsx"]


@pytest.mark.parametrize("page_name, needle", [
    ("broken.html", "HTTP 404"),
    ("html-as-xlsx.html", "got an HTML page"),
    ("mislabelled.html", "not an xlsx workbook"),
    ("truncated.html", "truncated download"),
    ("slow.html", "timed out after 0.5 s"),
    ("unstamped.html", "carries no stamp the pipeline can read"),
    ("only-participating.html", "links no pending workbook"),
    ("nolinks.html", "links no .xlsx file"),
    ("missing-page.html", "HTTP 404"),
    ("half.html", "HTTP 404"),
])
def test_fetch_failures_are_clear_and_write_nothing(server, tmp_path, page_name, needle):
    base, _, _ = server
    dest = tmp_path / "downloads"
    dest.mkdir()
    record = tmp_path / "checks.csv"
    extra = ("--timeout", "0.5", "--retries", "1") if page_name == "slow.html" else ()
    r = fetch_cli(base, page_name, dest, "--record", str(record), *extra)
    assert r.returncode == 1 and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot_dir(dest) == {} and list(dest.iterdir()) == []
    assert not record.exists(), "a failed check must not be recorded as a check"


def test_404_is_not_retried_but_503_is(server, tmp_path):
    base, _, site = server
    r = fetch_cli(base, "broken.html", tmp_path / "d1")
    assert r.returncode == 1
    assert site.hits["/doclib/missing/participatingAgencies05162025am.xlsx"] == 1
    assert "retrying" not in r.stderr


def test_transient_503_then_success(server, tmp_path):
    base, root, site = server
    dest = tmp_path / "downloads"
    r = fetch_cli(base, "flaky.html", dest)
    assert r.returncode == 0, r.stderr
    assert site.hits["/flaky/participatingAgencies05162025am.xlsx"] == 3
    assert r.stderr.count("HTTP 503") == 2 and "retrying in" in r.stderr
    (capture,) = dest.iterdir()
    assert (capture / "participatingAgencies05162025am.xlsx").read_bytes() == (root / PART).read_bytes()


def test_retries_back_off_and_give_up(server, tmp_path):
    """Truncated every time: 3 attempts, waits of 0.5 s then 1 s, then a clear error."""
    base, _, site = server
    start = time.monotonic()
    r = run_cli("fetch", "--dest", str(tmp_path / "d"), "--url", f"{base}/truncated.html",
                "--retries", "3", "--backoff", "0.5", "--timeout", "2")
    took = time.monotonic() - start
    assert r.returncode == 1
    assert site.hits["/truncated/participatingAgencies05162025am.xlsx"] == 3
    assert "gave up after 3 attempts" in r.stderr
    assert "retrying in 0.5 s" in r.stderr and "retrying in 1 s" in r.stderr
    assert took >= 1.5


def test_slow_server_times_out_within_the_limit(server, tmp_path):
    base, _, site = server
    start = time.monotonic()
    r = run_cli("fetch", "--dest", str(tmp_path / "d"), "--url", f"{base}/slow.html",
                "--retries", "1", "--timeout", "0.5")
    took = time.monotonic() - start
    assert r.returncode == 1 and "timed out after 0.5 s" in r.stderr, r.stderr
    assert took < SLOW_S - 2, f"the time-out did not cut the {SLOW_S} s response short ({took:.1f} s)"


def test_known_sheets_are_not_saved_again_and_checks_are_recorded(server, tmp_path):
    base, root, _ = server
    dest = tmp_path / "downloads"
    record = tmp_path / "update-checks.csv"
    r = fetch_cli(base, "287g", dest, "--record", str(record))
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    b = run_cli("build", "--sheets", str(dest), "--out", str(out), cache=tmp_path / "c")
    assert b.returncode == 0, b.stderr

    # Same sheets again: nothing new, no folder, exit 3, the check is recorded.
    r2 = fetch_cli(base, "287g", dest, "--record", str(record), "--known", str(out / "files.csv"))
    assert r2.returncode == 3 and "nothing new" in r2.stderr, r2.stderr
    assert len(list(dest.iterdir())) == 1

    # ICE publishes a new participating sheet: only that one is kept.
    write_xlsx(root / "doclib/participatingAgencies05202025pm.xlsx", PART_HEADER, PART_ROWS[:-1])
    (root / "287g").write_text(page("/doclib/participatingAgencies05202025pm.xlsx", "/" + PEND))
    time.sleep(1.1)  # a new capture folder needs a new second
    r3 = fetch_cli(base, "287g", dest, "--record", str(record), "--known", str(out / "files.csv"))
    assert r3.returncode == 0, r3.stderr
    newest = max(dest.iterdir())
    assert [p.name for p in newest.iterdir()] == ["participatingAgencies05202025pm.xlsx"]

    rows = list(csv.DictReader(record.open()))
    assert [r["outcome"] for r in rows] == ["new", "unchanged", "new"]
    assert rows[2]["capture"] == newest.name and rows[1]["capture"] == ""
    assert rows[0]["files"] == "participatingAgencies05162025am.xlsx;pendingAgencies05152025am.xlsx"
    assert all(r["checked_at"].endswith("Z") and r["url"] == f"{base}/287g" for r in rows)
    first = min(dest.iterdir()).name  # sheets_YYYYMMDD_HHMMSS
    d, t = first[7:15], first[16:22]
    assert rows[0]["checked_at"] == f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:4]}:{t[4:]}Z"
    assert rows[0]["capture"] == first


def test_known_must_be_a_files_csv(server, tmp_path):
    base, _, _ = server
    r = fetch_cli(base, "287g", tmp_path / "d", "--known", str(tmp_path / "nope.csv"))
    assert r.returncode == 1 and "nope.csv: no such files.csv" in r.stderr
    assert not (tmp_path / "d").exists()


def test_a_server_file_name_cannot_leave_the_capture_folder(server, tmp_path):
    base, _, _ = server
    dest = tmp_path / "downloads"
    r = fetch_cli(base, "sneaky.html", dest)
    assert r.returncode == 0, r.stderr
    (capture,) = dest.iterdir()
    assert sorted(p.name for p in capture.iterdir()) == [
        "participatingAgencies06022026am.xlsx", "pendingAgencies05152025am.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads", "site"]
    assert not (tmp_path.parent / "participatingAgencies06022026am.xlsx").exists()


def test_an_unrecognised_name_is_kept_only_when_asked(server, tmp_path):
    """For a reviewer inspecting a new naming form (data/README.md, 'Reviewing an anomaly')."""
    base, _, _ = server
    dest = tmp_path / "downloads"
    r = fetch_cli(base, "unstamped.html", dest, "--allow-unrecognised-names")
    assert r.returncode == 0, r.stderr
    (capture,) = dest.iterdir()
    assert "participatingAgenciesLatest.xlsx" in {p.name for p in capture.iterdir()}


def test_check_workbook_refuses_a_zip_that_is_no_workbook_and_a_corrupt_one(tmp_path):
    import io
    import zipfile
    from email.message import Message

    from ice287g.fetch import FetchError, check_workbook

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    with pytest.raises(FetchError, match=r"a zip archive without \[Content_Types\].xml"):
        check_workbook(buf.getvalue(), Message(), "http://127.0.0.1/x.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(FetchError, match="no xl/ part"):
        check_workbook(buf.getvalue(), Message(), "http://127.0.0.1/x.xlsx")

    good = (tmp_path / "w.xlsx")
    write_xlsx(good, PART_HEADER, PART_ROWS)
    data = bytearray(good.read_bytes())
    check_workbook(bytes(data), Message(), "http://127.0.0.1/w.xlsx")  # a real workbook passes
    # flip bytes inside the first member's compressed data: its CRC no longer matches
    start = 30 + int.from_bytes(data[26:28], "little") + int.from_bytes(data[28:30], "little")
    for i in range(start, start + 8):
        data[i] ^= 0xFF
    with pytest.raises(FetchError, match="corrupt"):
        check_workbook(bytes(data), Message(), "http://127.0.0.1/w.xlsx")


# --------------------------------------------------------------------------- issue 20: hostile pages
def mmddyyyy(day: dt.date) -> str:
    return f"{day:%m%d%Y}"


def refused(r, *needles: str) -> None:
    """A refusal: exit 1, one line (no traceback) that names what was refused."""
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def nothing_kept(dest: Path) -> None:
    assert not dest.exists() or list(dest.iterdir()) == [], list(dest.iterdir())


@pytest.mark.parametrize("href, scheme", [
    ("file://{root}/" + PART, "file:"),
    ("ftp://127.0.0.1/participatingAgencies05162025am.xlsx", "ftp:"),
    ("javascript:open(1)//participatingAgencies05162025am.xlsx", "javascript:"),
    ("data:application/octet-stream;base64,UEsDBA==;/participatingAgencies05162025am.xlsx", "data:"),
])
def test_a_link_that_is_not_https_or_http_is_refused(server, tmp_path, href, scheme):
    """A page linking a local file must not make fetch save it as ICE's capture."""
    base, root, site = server
    (root / "evil.html").write_text(page(href.format(root=root), "/" + PEND))
    dest = tmp_path / "downloads"
    r = fetch_cli(base, "evil.html", dest)
    refused(r, "refused", f"the scheme {scheme}", "only https: and http: are fetched",
            href.format(root=root)[:30])
    nothing_kept(dest)
    assert set(site.hits) == {"/evil.html"}, "no sheet is downloaded once one link is refused"


def test_a_page_url_that_is_not_https_or_http_is_refused(server, tmp_path):
    base, root, _ = server
    r = run_cli("fetch", "--dest", str(tmp_path / "d"), "--url", f"file://{root}/287g", *FAST)
    refused(r, f"file://{root}/287g", "the scheme file:")
    nothing_kept(tmp_path / "d")


def test_a_link_to_another_host_is_refused_before_any_download(server, tmp_path):
    base, root, site = server
    port = base.rsplit(":", 1)[1]
    other = f"http://localhost:{port}/{PART}"
    (root / "elsewhere.html").write_text(page(other, "/" + PEND))
    r = fetch_cli(base, "elsewhere.html", tmp_path / "d")
    refused(r, other, "a sheet link on", "to localhost", "www.ice.gov")
    assert set(site.hits) == {"/elsewhere.html"}
    nothing_kept(tmp_path / "d")


@pytest.mark.parametrize("route, needles", [
    ("redirect-other", ["to localhost", "redirect from"]),
    ("redirect-file", ["the scheme file:", "redirect from"]),
    ("redirect-loop", ["more than 5 redirects"]),
])
def test_a_redirect_elsewhere_is_refused_not_followed(server, tmp_path, route, needles):
    base, root, site = server
    (root / "r.html").write_text(page(f"/{route}/participatingAgencies05162025am.xlsx", "/" + PEND))
    r = fetch_cli(base, "r.html", tmp_path / "d")
    refused(r, "refused", *needles)
    assert site.hits.get("/" + PART) is None, "the redirect was followed"
    nothing_kept(tmp_path / "d")


def test_a_redirect_on_the_pages_host_is_followed(server, tmp_path):
    base, root, site = server
    (root / "r.html").write_text(page("/redirect-same/participatingAgencies05162025am.xlsx", "/" + PEND))
    r = fetch_cli(base, "r.html", tmp_path / "d")
    assert r.returncode == 0, r.stderr
    (capture,) = (tmp_path / "d").iterdir()
    assert (capture / "participatingAgencies05162025am.xlsx").read_bytes() == (root / PART).read_bytes()
    assert site.hits["/" + PART] == 1


def test_a_page_redirecting_to_another_host_is_refused(server, tmp_path):
    base, _, site = server
    r = fetch_cli(base, "moved-page", tmp_path / "d")
    refused(r, "/moved-page", "to localhost")
    assert "/287g" not in site.hits


def test_a_page_linking_thousands_of_sheets_is_refused_without_downloading(server, tmp_path):
    base, root, site = server
    start = dt.date(2020, 1, 1)
    hrefs = [f"/dated/participatingAgencies{mmddyyyy(start + dt.timedelta(days=i))}am.xlsx"
             for i in range(10_000)]
    (root / "many.html").write_text(page(*hrefs, "/" + PEND))
    r = fetch_cli(base, "many.html", tmp_path / "d")
    refused(r, "many.html", "links 10,001 participating or pending workbooks",
            "more than the 4 allowed")
    assert set(site.hits) == {"/many.html"}
    nothing_kept(tmp_path / "d")


def test_up_to_four_sheets_are_fetched(server, tmp_path):
    """The cap's margin: two of each list (a page in transition) is still fetched."""
    base, root, _ = server
    today = dt.datetime.now(dt.timezone.utc).date()
    hrefs = [f"/dated/participatingAgencies{mmddyyyy(today - dt.timedelta(days=d))}am.xlsx"
             for d in (1, 2)] + ["/" + PEND, "/dated/pendingAgencies05142025am.xlsx"]
    (root / "four.html").write_text(page(*hrefs))
    r = fetch_cli(base, "four.html", tmp_path / "d")
    assert r.returncode == 0, r.stderr
    (capture,) = (tmp_path / "d").iterdir()
    assert len(list(capture.iterdir())) == 4


def test_a_stamp_after_tomorrow_is_refused(server, tmp_path):
    base, root, _ = server
    today = dt.datetime.now(dt.timezone.utc).date()
    tomorrow, later = today + dt.timedelta(days=1), today + dt.timedelta(days=2)
    (root / "tomorrow.html").write_text(
        page(f"/dated/participatingAgencies{mmddyyyy(tomorrow)}am.xlsx", "/" + PEND))
    r = fetch_cli(base, "tomorrow.html", tmp_path / "ok")
    assert r.returncode == 0, r.stderr  # ICE's US date may be a day ahead of UTC
    for day in (later, dt.date(2028, 5, 16)):
        name = f"participatingAgencies{mmddyyyy(day)}am.xlsx"
        (root / "future.html").write_text(page(f"/dated/{name}", "/" + PEND))
        r = fetch_cli(base, "future.html", tmp_path / "d")
        refused(r, f"/dated/{name}", f"carries the stamp {day.isoformat()}",
                f"later than {tomorrow.isoformat()}")
        nothing_kept(tmp_path / "d")


@pytest.mark.parametrize("route", ["drip-body", "drip-headers"])
def test_a_dripping_server_is_cut_at_the_timeout(server, tmp_path, route):
    """One byte every 0.5 s keeps each socket read alive: only a whole-response deadline
    ends it. --timeout 2 must end the run in about 2 s (the body would take minutes)."""
    base, root, _ = server
    (root / "drip.html").write_text(page(f"/{route}/participatingAgencies05162025am.xlsx", "/" + PEND))
    start = time.monotonic()
    r = run_cli("fetch", "--dest", str(tmp_path / "d"), "--url", f"{base}/drip.html",
                "--retries", "1", "--timeout", "2")
    took = time.monotonic() - start
    refused(r, f"/{route}/participatingAgencies05162025am.xlsx", "timed out after 2 s")
    assert took < 6, f"fetch --timeout 2 took {took:.1f} s against a dripping server"
    nothing_kept(tmp_path / "d")


def test_a_server_dripping_its_tls_handshake_is_cut_at_the_timeout(tmp_path):
    """The deadline covers connecting too: a TLS server that answers the client's hello one
    byte every 0.5 s (a handshake record that never completes) is cut at --timeout."""
    import socket

    stop = threading.Event()
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(10)

    def serve():
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        with conn:
            try:
                conn.sendall(b"\x16\x03\x03\x40\x00")  # a 16 KiB handshake record...
                for _ in range(DRIP_MAX):  # ...dripped
                    if stop.wait(DRIP_S):
                        return
                    conn.sendall(b"\x02")
            except OSError:
                return

    thread = threading.Thread(target=serve, name="test-fetch-tls-drip")
    thread.start()
    try:
        url = f"https://127.0.0.1:{srv.getsockname()[1]}/287g"
        start = time.monotonic()
        r = run_cli("fetch", "--dest", str(tmp_path / "d"), "--url", url,
                    "--retries", "1", "--timeout", "2")
        took = time.monotonic() - start
        refused(r, url, "timed out after 2 s")
        assert took < 6, f"fetch --timeout 2 took {took:.1f} s against a dripped TLS handshake"
        nothing_kept(tmp_path / "d")
    finally:
        stop.set()
        thread.join(10)
        srv.close()
    assert not thread.is_alive()


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, and its key (PEM files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem, key_pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert_pem, key_pem


@pytest.fixture()
def https_server(server, tmp_path):
    """The same site over TLS on 127.0.0.1, with a self-signed certificate."""
    import ssl

    _, root, site = server
    cert, key = self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    before = set(threading.enumerate())
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(make_handler(site), directory=str(root)))
    httpd.daemon_threads = False
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, name="test-fetch-https",
                              kwargs={"poll_interval": POLL_S})
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", root, cert
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
        assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []


def test_https_downloads_with_a_trusted_certificate_and_refuses_an_untrusted_one(
        https_server, tmp_path, monkeypatch):
    import ssl

    base, root, cert = https_server
    r = fetch_cli(base, "287g", tmp_path / "untrusted")
    refused(r, f"{base}/287g", "refused: the TLS certificate does not verify")
    nothing_kept(tmp_path / "untrusted")

    trusting = ssl.create_default_context

    def create_default_context(*args, **kwargs):
        ctx = trusting(*args, **kwargs)
        ctx.load_verify_locations(cert)
        return ctx

    monkeypatch.setattr(ssl, "create_default_context", create_default_context)
    r = fetch_cli(base, "287g", tmp_path / "d")
    assert r.returncode == 0, r.stderr
    (capture,) = (tmp_path / "d").iterdir()
    assert (capture / "participatingAgencies05162025am.xlsx").read_bytes() == (root / PART).read_bytes()


@pytest.mark.parametrize("route, needles", [
    ("bomb", ["over the 100:1 limit", "zip bomb"]),
    ("macro", ["macro-enabled workbook", "xl/vbaProject.bin"]),
])
def test_a_bomb_or_a_macro_workbook_is_refused(server, tmp_path, route, needles):
    """The build's own check (s2_read.check_workbook_file) runs on every download."""
    base, root, _ = server
    (root / "w.html").write_text(page(f"/{route}/participatingAgencies05162025am.xlsx", "/" + PEND))
    r = fetch_cli(base, "w.html", tmp_path / "d")
    refused(r, f"/{route}/participatingAgencies05162025am.xlsx: refused", *needles)
    nothing_kept(tmp_path / "d")


def test_a_refused_name_cannot_write_control_characters_to_the_log(server, tmp_path):
    """A link with a newline and an escape sequence: the error stays one plain line (a
    line of its own could be read by the CI runner as a workflow command)."""
    base, root, _ = server
    (root / "ctl.html").write_text(page("ftp://x/\n::error::boom\x1b[31m/participatingAgencies05162025am.xlsx",
                                        "/" + PEND))
    r = fetch_cli(base, "ctl.html", tmp_path / "d")
    refused(r, "the scheme ftp:")
    assert "\x1b" not in r.stderr and "\n::error::" not in r.stderr


def test_a_link_with_control_characters_is_refused(server, tmp_path):
    base, root, _ = server
    (root / "ctl.html").write_text(page("/doclib/participatingAgencies05162025am.xlsx?\x1b[2J",
                                        "/" + PEND))
    r = fetch_cli(base, "ctl.html", tmp_path / "d")
    refused(r, "with spaces or control characters")
    assert "\x1b" not in r.stderr


def test_retry_warnings_cannot_write_control_characters_to_the_log(server, tmp_path):
    """A transient failure's warning carries the server's reason phrase: escaped like the
    error line."""
    base, root, _ = server
    (root / "ctl.html").write_text(page("/flaky-ctl/participatingAgencies05162025am.xlsx", "/" + PEND))
    r = fetch_cli(base, "ctl.html", tmp_path / "d")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("retrying in") == 2 and "\x1b" not in r.stderr and "\\x1b" in r.stderr
