"""A hostile archive of ICE-like sheets and the book built from it (issue 20).

The base lists are rebuilt from the committed ``data/processed/`` tables (so the real story
holds and every notebook's checks on it pass): a few dozen of the real publications, one row
per agreement listed on each. Payload rows are added, with markup and script in every text
field an attacker controls in a sheet (STATE, LAW ENFORCEMENT AGENCY, TYPE, COUNTY, SUPPORT
TYPE, MOA and ADDENDUM links), a TYPE and a SUPPORT TYPE ICE never used, an agreement that
leaves the list on the latest publication, one that joins, one whose name is edited, and
pending requests. :func:`build_hostile_book` runs the real pipeline
(``python -m ice287g build --sheets ... --out ...``) and then builds both editions with
``-W`` from a temporary copy of the repository whose ``data/processed`` is its output.
No raw sheet from ``../shared`` is needed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd

from conftest import REPO, repo_files

PART_HEADER = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED",
               "MOA", "ADDENDUM"]
PEND_HEADER = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE"]

#: Script that, if it ever ran, would open a dialog the browser test listens for; each payload
#: calls alert() with its own number, so a failure names the payload that ran.
IMG = "<img src=x onerror=alert(1)> Sheriff's Office"
SCRIPT = "<script>alert(2)</script> County"
CLOSE_SCRIPT = "</script><script>alert(3)</script> Police Department"
SVG_STATE = "\"'><svg onload=alert(4)>"
JS_URL = "javascript:alert(5)"
MD_LINK = "[x](javascript:alert(6)) {{glue}} **bold** `code` <b>b</b> &amp;"
COMMENT = "<!--<script>alert(7)//"
SEPARATORS = "Line\u2028Separator\u2029Police Department <svg/onload=alert(8)>"
EDIT_BEFORE = "<img src=x onerror=alert(9)> PD"
EDIT_AFTER = "<img src=x onerror=alert(9)> Police Department"
UNKNOWN_TYPE = "Sheriff"
UNKNOWN_SUPPORT = "Sheriff <i>Model</i>"

#: Texts the built pages must show as characters (escaped, not dropped).
VISIBLE = {"what-changed": [IMG, CLOSE_SCRIPT], "churn": [IMG]}


def _payload_rows() -> dict[str, list]:
    """The payload agreements (participating-list rows), by role."""
    return {
        # On every hostile publication but the latest: it leaves the list (churn, What changed).
        "leaves": ["FLORIDA", IMG, UNKNOWN_TYPE, SCRIPT, "Task Force Model",
                   dt.datetime(2025, 6, 2), ("link", JS_URL), ("link", MD_LINK)],
        # Only on the latest: it joins.
        "joins": [SVG_STATE, CLOSE_SCRIPT, "County", COMMENT, UNKNOWN_SUPPORT,
                  dt.datetime(2025, 5, 1), ("link", 'https://www.ice.gov/x"><img src=x onerror=alert(10)>'),
                  ("link", JS_URL)],
        # On every hostile publication.
        "stays": ["TEXAS", SEPARATORS, "Municipality", MD_LINK, "Warrant Service Officer",
                  dt.datetime(2025, 4, 3), ("link", JS_URL), ""],
        # Renamed on the latest (an edited row).
        "edited_before": ["GEORGIA", EDIT_BEFORE, UNKNOWN_TYPE, "Cobb County", "Task Force Model",
                          dt.datetime(2025, 3, 4), ("link", "https://www.ice.gov/doclib/a.pdf"), ""],
        "edited_after": ["GEORGIA", EDIT_AFTER, UNKNOWN_TYPE, "Cobb County", "Task Force Model",
                         dt.datetime(2025, 3, 4), ("link", "https://www.ice.gov/doclib/a.pdf"), ""],
    }


PENDING_PAYLOADS = [
    ["FLORIDA", IMG, UNKNOWN_TYPE, SCRIPT, UNKNOWN_SUPPORT],
    [SVG_STATE, CLOSE_SCRIPT, "County", COMMENT, "Task Force Model"],
]


def choose_publications(snaps: pd.DataFrame, n_recent: int = 4) -> pd.DataFrame:
    """Few real publications that keep the story's facts: the first, one a year before 2025,
    the last before January 20, 2025, the first of each month since, the ones around Key
    West's votes (June 30 and July 8, 2025) and the latest ``n_recent``."""
    trend = snaps[~snaps["trend_excluded"].astype(str).str.lower().eq("true")].copy()
    trend["when"] = pd.to_datetime(trend["published_at"])
    trend = trend.sort_values("when", kind="stable")
    keep = {trend.index[0]}
    early = trend[trend["when"] < "2025-01-20"]
    keep |= set(early.groupby(early["when"].dt.year).head(1).index) | {early.index[-1]}
    late = trend[trend["when"] >= "2025-01-20"]
    keep |= set(late.groupby(late["when"].dt.to_period("M")).head(1).index)
    for day in ("2025-06-27", "2025-07-02", "2025-07-10"):
        keep.add((late["when"] - pd.Timestamp(day)).abs().idxmin())
    keep |= set(trend.index[-n_recent:])
    return trend.loc[sorted(keep, key=lambda i: trend.at[i, "when"])]


def listed_rows(root: Path) -> tuple[pd.DataFrame, dict[str, list[str]], pd.DataFrame]:
    """(snapshots, {publication: [agreement ids listed on it, with the run's links]}, agreements)
    from ``root``'s data/processed."""
    proc = root / "data" / "processed"
    snaps = pd.read_csv(proc / "snapshots.csv", dtype=str, keep_default_na=False)
    order = {p: i for i, p in enumerate(snaps["publication"])}
    runs = pd.read_csv(proc / "listings.csv", dtype=str, keep_default_na=False)
    for column in ("moa_url", "addendum_url"):  # older processed data had no links
        if column not in runs.columns:
            runs[column] = ""
    agreements = pd.read_csv(proc / "agreements.csv", dtype=str, keep_default_na=False)
    runs["a"] = runs["first_publication"].map(order)
    runs["b"] = runs["last_publication"].map(order)
    return snaps, runs, agreements.set_index("agreement_id")


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, tuple):  # ("link", target): ICE's word, the address a hyperlink
                cell.value, cell.hyperlink = value
            else:
                cell.value = value
    wb.save(path)


def _signed(text: str):
    return dt.datetime.fromisoformat(text) if text else None


def write_hostile_archive(dest: Path, root: Path = REPO) -> dict:
    """Write the hostile archive under ``dest``; return what it holds (for the report)."""
    snaps, runs, agr = listed_rows(root)
    chosen = choose_publications(snaps)
    payload = _payload_rows()
    hostile = list(chosen.index[-3:])  # the payload rows sit on the last three publications
    for k, (i, pub) in enumerate(chosen.iterrows()):
        pos = snaps.index.get_loc(i)
        on = runs[(runs["a"] <= pos) & (runs["b"] >= pos)]
        rows = []
        for aid, moa, addendum in zip(on["agreement_id"], on["moa_url"], on["addendum_url"]):
            a = agr.loc[aid]
            rows.append([a["state"].upper(), a["agency"], a["agency_type"], a["county"],
                         a["support_type"], _signed(a["signed"]),
                         ("link", moa) if moa else "", ("link", addendum) if addendum else ""])
        latest = k == len(chosen) - 1
        if i in hostile:
            rows += [payload["stays"], payload["edited_after" if latest else "edited_before"]]
            rows.append(payload["joins" if latest else "leaves"])
        when = pd.Timestamp(pub["published_at"])
        _write(dest / f"participatingAgencies-{when:%Y%m%d%H%M%S}.xlsx", PART_HEADER, rows)
        if i in hostile[-2:]:
            pending = PENDING_PAYLOADS[: 2 if latest else 1]
            _write(dest / f"pendingAgencies-{when:%Y%m%d%H%M%S}.xlsx", PEND_HEADER, pending)
    (dest / "SOURCE.md").write_text("A hostile archive generated by tests/hostile.py.\n")
    return {"publications": len(chosen), "hostile": len(hostile)}


def _copy_repo(dest: Path, source: Path = REPO) -> None:
    for src in repo_files(source):
        target = dest / src.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def build_hostile_book(work: Path, source: Path = REPO, langs=("en", "es")) -> Path:
    """Archive -> pipeline -> both editions (``langs``); return the html dir (English; Spanish
    in es/). ``source``: the repository to copy (another checkout, to try older code); the
    copy's own ``ice287g`` runs the pipeline and the notebooks."""
    copy, sheets, cache = work / "repo", work / "sheets", work / "cache"
    _copy_repo(copy, source)
    write_hostile_archive(sheets, root=copy)
    processed = copy / "data" / "processed"
    shutil.rmtree(processed)
    env = {**os.environ, "ICE287G_ROOT": str(copy), "ICE287G_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH")]))}
    built = subprocess.run(
        [sys.executable, "-m", "ice287g", "build", "--sheets", str(sheets), "--out",
         str(processed)], capture_output=True, text=True, env=env, cwd=copy)
    assert built.returncode == 0, \
        f"the pipeline refused the hostile archive:\n{built.stdout[-4000:]}\n{built.stderr[-4000:]}"
    result = subprocess.run(
        [sys.executable, str(copy / "tools" / "editions.py"), "build", *langs, "-W",
         "--keep-going"], capture_output=True, text=True, env=env, cwd=copy)
    log = result.stdout[-8000:] + result.stderr[-8000:]
    assert result.returncode == 0, f"the hostile book did not build (both editions, -W):\n{log}"
    return copy / "_build" / "html"
