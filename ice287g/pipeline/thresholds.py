"""Every threshold and constant of the pipeline, in one place (no pipeline imports).

Changing one changes the outputs: rebuild ``data/processed/`` and say why in the commit.
"""

from __future__ import annotations

import datetime as dt

#: Bump when the parsed form stored in the cache changes.
PARSER_VERSION = 7  # 4: ParsedSheet.row_numbers; 6: moa_links, addendum_links (5: an unreleased draft); 7: the active visible sheet, hidden_sheets, hidden_rows

#: ICE's 287(g) page, which links the current participating and pending workbooks (the
#: source named in datapackage.json and the page ``python -m ice287g fetch`` reads).
ICE_287G_URL = "https://www.ice.gov/identify-and-arrest/287g"
#: ICE's own hosts: where its lists and its agreement documents (MOA, ADDENDUM) are published.
#: fetch follows links and redirects only to these (and the page's own host); a document link
#: elsewhere is flagged by the pipeline's link_host rule and never shown as a link.
ICE_HOSTS = ("www.ice.gov", "ice.gov")

#: The two lists ICE publishes.
LISTS = ("participating", "pending")

# --------------------------------------------------------------------------- sheets

#: Canonical column order of a parsed sheet (ICE's header names, whitespace-normalised).
COLUMNS = (
    "STATE",
    "LAW ENFORCEMENT AGENCY",
    "TYPE",
    "COUNTY",
    "SUPPORT TYPE",
    "SIGNED",
    "MOA",
    "ADDENDUM",
)
#: Columns a sheet of each list must have.
REQUIRED = {
    "participating": ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED"),
    "pending": ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE"),
}
#: Columns only the participating list has: their presence in a pending-named sheet (or
#: their absence from a participating-named one) marks a sheet holding the other list.
PARTICIPATING_ONLY = frozenset({"SIGNED", "ADDENDUM"})

#: Limits on a workbook file, checked from its zip central directory before any sheet is read
#: (``s2_read.check_workbook_file``; the build and ``fetch`` both use it). ICE's workbooks
#: (1,355 files, 2005-2026) are at most 1.5 MB uncompressed in 23 zip entries, with at most a
#: 13.3:1 compression ratio; the limits leave wide margins and refuse decompression bombs.
#: Largest workbook file accepted (bytes on disk).
WORKBOOK_MAX_BYTES = 16 * 2**20
#: Most zip entries a workbook may have.
WORKBOOK_MAX_ENTRIES = 1000
#: Largest total uncompressed size of a workbook's entries (bytes).
WORKBOOK_MAX_UNCOMPRESSED = 64 * 2**20
#: Largest compression ratio (uncompressed / compressed bytes), over the whole workbook and
#: for any one entry of more than WORKBOOK_RATIO_MIN_BYTES uncompressed.
WORKBOOK_MAX_RATIO = 100
WORKBOOK_RATIO_MIN_BYTES = 2**20

#: Part of day -> the time ``published_at`` is given. ICE's stamps carry no hour: these
#: times only order publications of one day (am < mid < pm); a stamp without a part of day
#: is placed at 00:00.
PART_TIMES = {"am": dt.time(0, 0), "mid": dt.time(6, 0), "pm": dt.time(12, 0), "": dt.time(0, 0)}
#: Years a stamp in a file name may carry.
STAMP_YEARS = (2000, 2100)

# --------------------------------------------------------------------------- values

#: Canonical agency types (ICE's labels).
AGENCY_TYPES = ("County", "Municipality", "State Agency")
#: Canonical support types: the three 287(g) models, in the order of the snapshot count
#: columns and of every chart and table of the book.
SUPPORT_TYPES = ("Jail Enforcement Model", "Warrant Service Officer", "Task Force Model")
#: Cell texts that mean "no value".
MISSING = frozenset({"", "#NA", "#N/A", "N/A", "NA"})
#: 287(g) was enacted in 1996; the first agreement was signed in 2002. SIGNED years outside
#: FIRST_PLAUSIBLE_YEAR..LAST_PLAUSIBLE_YEAR are impossible.
FIRST_PLAUSIBLE_YEAR = 1996
LAST_PLAUSIBLE_YEAR = 2100

# --------------------------------------------------------------------------- stamps and trend

#: A stamp is contradicted by its content when more than this share of its rows carry a
#: SIGNED date after the stamped date (single typos stay below it).
STAMP_CONTRADICTION_SHARE = 0.02
#: After a January correction (stamp year + 1), at most this share of rows may still be
#: signed after the corrected stamp.
STAMP_CORRECTED_MAX_SHARE = 0.01
#: An ICE stamp may be at most this many days after the (UTC) date its file was downloaded
#: (ICE's dates are US dates); a later stamp is contradicted by its capture time.
STAMP_AFTER_CAPTURE_DAYS = 1
#: A publication collapses when it lists fewer than this share of the median of its
#: neighbours (``COLLAPSE_WINDOW`` trend publications before and after).
COLLAPSE_SHARE = 0.5
COLLAPSE_WINDOW = 3
#: A stale list: the exact list of a publication at least this many trend publications
#: earlier, re-published after newer lists (a toggle back to the list just before the
#: previous one is kept: the archive shows such real back-and-forth edits).
STALE_MIN_BACK = 3
