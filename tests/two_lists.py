"""Two processed folders one list apart, built by the pipeline from small synthetic sheets
(tests/sheetfactory.py): the scenario tests/test_diff.py and tests/test_feeds.py share.

The first capture carries sheetfactory's participating list (May 16, 2025, a.m.) and pending
list; on the second list (May 19, 2025, p.m.) Etowah County (Alabama) left, Cobb County
(Georgia) and Collier County (Florida) joined, and ICE corrected Harris County's (Texas)
signing date (2019-06-01 -> 2019-06-11): one row edited. Cobb County's request left the
pending list (it was signed: it joined the list above).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sheetfactory import PART_HEADER, PART_ROWS, PEND_HEADER, PEND_ROWS, run_cli, write_xlsx

#: The second list's participating rows.
NEW_ROWS = [r for r in PART_ROWS if not r[1].startswith(("Etowah", "Harris"))] + [
    ["TEXAS", "Harris County Sheriff's Office", "County", "Harris County",
     "Warrant Service Officer", dt.datetime(2019, 6, 11), "link"],
    ["GEORGIA", "Cobb County Sheriff's Office", "County", "Cobb County",
     "Warrant Service Officer", dt.datetime(2025, 5, 18), "link"],
    ["FLORIDA", "Collier County Sheriff's Office", "County", "Collier County",
     "Jail Enforcement Model", dt.datetime(2025, 5, 17), "link"],
]


def build(archive: Path, out: Path, cache: Path) -> Path:
    """``python -m ice287g build`` of ``archive`` into ``out``; fails the test if it fails."""
    r = run_cli("build", "--sheets", str(archive), "--out", str(out), cache=cache)
    assert r.returncode == 0, r.stderr
    return out


def two_folders(root: Path) -> tuple[Path, Path]:
    """``root/old`` (the first capture) and ``root/new`` (both captures), built from the
    sheets written under ``root/archive`` (one parse cache, ``root/cache``)."""
    archive = root / "archive"
    cap1 = archive / "sheets_20250519_024922"
    write_xlsx(cap1 / "participatingAgencies05162025am.xlsx", PART_HEADER, PART_ROWS)
    write_xlsx(cap1 / "pendingAgencies05152025am.xlsx", PEND_HEADER, PEND_ROWS)
    old = build(archive, root / "old", root / "cache")
    cap2 = archive / "sheets_20250520_151813"
    write_xlsx(cap2 / "participatingAgencies05192025pm.xlsx", PART_HEADER, NEW_ROWS)
    write_xlsx(cap2 / "pendingAgencies05192025pm.xlsx", PEND_HEADER, PEND_ROWS[:1])
    new = build(archive, root / "new", root / "cache")
    return old, new
