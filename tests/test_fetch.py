"""``python -m ice287g fetch`` against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import functools
import http.server
import threading

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


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "site"
    (root / "doclib" / "about-ice" / "ero" / "287g").mkdir(parents=True)
    write_xlsx(root / "doclib" / "about-ice" / "ero" / "287g" / "participatingAgencies05162025am.xlsx",
               PART_HEADER, PART_ROWS)
    write_xlsx(root / "doclib" / "pendingAgencies05152025am.xlsx", PEND_HEADER, PEND_ROWS)
    (root / "doclib" / "factsheet.pdf").write_bytes(b"%PDF-1.4")
    (root / "287g").write_text(PAGE)
    (root / "broken.html").write_text('<a href="/doclib/missing.xlsx">x</a>')
    (root / "html-as-xlsx.html").write_text('<a href="/doclib/fake.xlsx">x</a>')
    (root / "doclib" / "fake.xlsx").write_text("<html>Access denied</html>")
    (root / "nolinks.html").write_text("<p>nothing here</p>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def guess_type(self, path):
            return "text/html" if path.endswith("287g") else super().guess_type(path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_config_points_at_ices_page():
    assert config.ICE_287G_URL == "https://www.ice.gov/identify-and-arrest/287g"


def test_sheet_links_resolves_relative_links_and_skips_others():
    links = sheet_links(PAGE, "https://www.ice.gov/identify-and-arrest/287g")
    assert links == [
        "https://www.ice.gov/doclib/about-ice/ero/287g/participatingAgencies05162025am.xlsx",
        "https://www.ice.gov/identify-and-arrest/doclib/pendingAgencies05152025am.xlsx",
    ]


def test_fetch_downloads_every_linked_sheet(server, tmp_path):
    base, root = server
    dest = tmp_path / "downloads"
    r = run_cli("fetch", "--dest", str(dest), "--url", f"{base}/287g")
    assert r.returncode == 0, r.stderr
    (capture,) = dest.iterdir()
    assert capture.name.startswith("sheets_") and len(capture.name) == len("sheets_20250519_024922")
    got = {p.name: p.read_bytes() for p in capture.iterdir()}
    assert got == {
        "participatingAgencies05162025am.xlsx":
            (root / "doclib/about-ice/ero/287g/participatingAgencies05162025am.xlsx").read_bytes(),
        "pendingAgencies05152025am.xlsx": (root / "doclib/pendingAgencies05152025am.xlsx").read_bytes(),
    }
    # The capture folder is a valid archive for the build.
    out = tmp_path / "out"
    b = run_cli("build", "--sheets", str(dest), "--out", str(out), cache=tmp_path / "c")
    assert b.returncode == 0, b.stderr
    assert (out / "snapshots.csv").read_text().count("\n") == 2


@pytest.mark.parametrize("page, needle", [
    ("broken.html", "HTTP 404"),
    ("html-as-xlsx.html", "not an xlsx workbook"),
    ("nolinks.html", "links no .xlsx file"),
    ("missing-page.html", "HTTP 404"),
])
def test_fetch_failures_write_nothing(server, tmp_path, page, needle):
    base, _ = server
    dest = tmp_path / "downloads"
    dest.mkdir()
    r = run_cli("fetch", "--dest", str(dest), "--url", f"{base}/{page}")
    assert r.returncode != 0 and needle in r.stderr, r.stderr
    assert snapshot_dir(dest) == {} and list(dest.iterdir()) == []
