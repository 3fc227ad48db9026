"""End to end, without ../shared or the internet: a small synthetic archive is built into a
"committed" processed folder; ICE's page, served from 127.0.0.1, then links a new list on
which one agreement left and one joined. The very commands of the update workflow
(.github/workflows/update-data.yml: fetch, build, diff; paths mapped to temporary folders)
fetch it, build it with the archives, and the diff names both agreements. A second run,
with nothing new on the page, ends with no capture and no change.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import http.server
import threading
from pathlib import Path

import pytest

from sheetfactory import PART_HEADER, PART_ROWS, PEND_HEADER, PEND_ROWS, run_cli, write_xlsx
from test_update_workflow import commands

#: The older archive: one Internet Archive capture of the workbook (archive_workbook form).
HISTORY_ROWS = PART_ROWS[:5]
#: ICE's new list: Etowah County (Alabama) left, Cobb County (Georgia) joined.
NEW_ROWS = [r for r in PART_ROWS if not r[1].startswith("Etowah")] + [
    ["GEORGIA", "Cobb County Sheriff's Office", "County", "Cobb County",
     "Warrant Service Officer", dt.datetime(2025, 5, 18), "link"]]


@pytest.fixture()
def world(tmp_path):
    """Archives, a committed processed folder, and ICE's page on 127.0.0.1."""
    shared = tmp_path / "shared" / "data"
    sheets = shared / "ice-287g-sheets" / "sheets_20250519_024922"
    write_xlsx(sheets / "participatingAgencies05162025am.xlsx", PART_HEADER, PART_ROWS)
    write_xlsx(sheets / "pendingAgencies05152025am.xlsx", PEND_HEADER, PEND_ROWS)
    write_xlsx(shared / "ice-287g-history" / "participating" /
               "participatingAgencies-20250401120000.xlsx", PART_HEADER, HISTORY_ROWS)
    (shared / "ice-287g-updates").mkdir()

    site = tmp_path / "site"
    write_xlsx(site / "doclib" / "participatingAgencies05192025pm.xlsx", PART_HEADER, NEW_ROWS)
    # ICE still links the same pending workbook (same bytes as the archived one)
    (site / "doclib" / "pendingAgencies05152025am.xlsx").write_bytes(
        (sheets / "pendingAgencies05152025am.xlsx").read_bytes())
    (site / "287g.html").write_text(
        '<html><body><a href="/doclib/participatingAgencies05192025pm.xlsx">Participating</a>'
        '<a href="/doclib/pendingAgencies05152025am.xlsx">Pending</a></body></html>')

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    before = set(threading.enumerate())
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=str(site)))
    httpd.daemon_threads = False  # handler threads are tracked and joined by server_close
    thread = threading.Thread(target=httpd.serve_forever, name="test-e2e-server",
                              kwargs={"poll_interval": 0.05})
    thread.start()

    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    try:
        yield {"shared": shared, "repo": repo, "tmp": tmp_path,
               "url": f"http://127.0.0.1:{httpd.server_address[1]}/287g.html"}
    finally:
        httpd.shutdown()
        httpd.server_close()  # joins the handler threads
        thread.join(10)
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        assert left == [], f"server threads left running: {left}"


def mapped(args: list[str], w: dict) -> list[str]:
    """A workflow command with its paths mapped into the test's folders."""
    paths = {
        "$UPDATES": str(w["shared"] / "ice-287g-updates"),
        "../shared/data/ice-287g-sheets": str(w["shared"] / "ice-287g-sheets"),
        "../shared/data/ice-287g-history": str(w["shared"] / "ice-287g-history"),
        "../shared/data/ice-287g-updates": str(w["shared"] / "ice-287g-updates"),
        "data/processed/files.csv": str(w["repo"] / "data" / "processed" / "files.csv"),
        "data/processed": str(w["repo"] / "data" / "processed"),
        "data/update-checks.csv": str(w["repo"] / "data" / "update-checks.csv"),
        "/tmp/processed-new": str(w["tmp"] / "processed-new"),
        "/tmp/diff.md": str(w["tmp"] / "diff.md"),
    }
    assert args[:3] == [".venv/bin/python", "-m", "ice287g"], args
    out = [paths.get(a, a) for a in args[3:]]
    unmapped = [a for a in args[3:]
                if a not in paths and a.startswith(("../", "data/", "/tmp/", "$"))]
    assert not unmapped, f"the workflow uses paths this test does not map: {unmapped}"
    return out


def test_a_new_list_is_fetched_built_and_its_changes_named(world):
    w, cmd = world, commands()
    # The committed data: what the build made from the archives before the update.
    build_args = mapped(cmd["build"], w)
    committed = w["repo"] / "data" / "processed"
    before = build_args[: build_args.index("--out")] + ["--out", str(committed)]
    r = run_cli(*before)
    assert r.returncode == 0, r.stderr

    # 1. fetch (the workflow reads ICE's page; here the same page form from 127.0.0.1)
    r = run_cli(*mapped(cmd["fetch"], w), "--url", w["url"], "--retries", "1")
    assert r.returncode == 0, r.stderr
    capture = Path(r.stdout.strip())
    assert capture.parent == w["shared"] / "ice-287g-updates"
    # only the new participating sheet is kept; the pending one is already archived
    assert [p.name for p in capture.iterdir()] == ["participatingAgencies05192025pm.xlsx"]
    (check,) = csv.DictReader((w["repo"] / "data" / "update-checks.csv").open())
    assert check["outcome"] == "new" and check["capture"] == capture.name

    # 2. build with the archives and the capture
    r = run_cli(*build_args)
    assert r.returncode == 0, r.stderr
    new = w["tmp"] / "processed-new"
    files = list(csv.DictReader((new / "files.csv").open()))
    assert {f["archive"] for f in files} == {"ice-287g-sheets", "ice-287g-history", "ice-287g-updates"}

    # 3. diff: exit 1 (changed), the summary names the agreement that left and the one that joined
    r = run_cli(*mapped(cmd["diff"], w))
    assert r.returncode == 1, r.stderr
    md = (w["tmp"] / "diff.md").read_text()
    assert md == r.stdout
    joined = md.split("## Agreements that joined (1)")[1].split("## ")[0]
    left = md.split("## Agreements that left (1)")[1].split("## ")[0]
    assert "| Georgia | Cobb County Sheriff's Office | Warrant Service Officer | May 18, 2025 |" in joined
    assert "| Alabama | Etowah County Sheriff's Office | Jail Enforcement Model | (blank) |" in left
    assert "| Agreements on the latest list | 7 | 7 | 0 |" in md
    # The file's list, with its date for people (words.publication_label).
    assert "| participating | May 19, 2025 (p.m.) | participatingAgencies05192025pm.xlsx | 7 | yes |" in md, \
        [line for line in md.splitlines() if "05192025pm" in line]

    # The update lands (the pull request is merged): the new build becomes the committed data.
    for f in new.iterdir():
        (committed / f.name).write_bytes(f.read_bytes())

    # A week later nothing new is linked: fetch exits 3, makes no folder, records the check.
    r = run_cli(*mapped(cmd["fetch"], w), "--url", w["url"], "--retries", "1")
    assert r.returncode == 3 and "nothing new" in r.stderr, r.stderr
    assert len(list((w["shared"] / "ice-287g-updates").iterdir())) == 1
    outcomes = [c["outcome"] for c in csv.DictReader((w["repo"] / "data" / "update-checks.csv").open())]
    assert outcomes == ["new", "unchanged"]
    # and a rebuild from the same inputs shows no change
    r = run_cli(*mapped(cmd["build"], w)[:-3], "--out", str(w["tmp"] / "again"), "--no-cache")
    assert r.returncode == 0, r.stderr
    r = run_cli("diff", str(committed), str(w["tmp"] / "again"), "--exit-code")
    assert (r.returncode, r.stdout) == (0, "no change\n")
