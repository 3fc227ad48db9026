"""ONE definition of every output: its Table Schema fields (types, constraints, descriptions).

``datapackage.json`` is written from ``datapackage()``; the CSV column lists are derived from
the same fields (``columns(path)``), so a column cannot be added to one and not the other.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import re

from .s3_clean import STATES
from .thresholds import AGENCY_TYPES, ICE_287G_URL, SUPPORT_TYPES

#: Support type -> its snapshot count column (``n_jail_enforcement_model`` ...).
SUPPORT_COLUMNS = {label: "n_" + label.lower().replace(" ", "_") for label in SUPPORT_TYPES}

_ID_PUB = {"name": "publication", "type": "string", "constraints": {"required": True},
           "description": "Key of a publication: YYYYMMDD + part of day (am/mid/pm, x when the "
                          "name has none) for an ICE stamp, with -2, -3 for a stamp re-issued "
                          "with a different list; c + capture time (YYYYMMDDTHHMMSS, UTC) for an "
                          "archive capture."}


def _f(name, type_, description, required=False, **constraints):
    field = {"name": name, "type": type_, "description": description}
    if type_ == "datetime":
        field["format"] = "%Y-%m-%dT%H:%M:%S"
    if required:
        constraints["required"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def _snapshot_fields(participating: bool) -> list[dict]:
    what = "agreements" if participating else "pending requests"
    fields = [
        {**_ID_PUB, "constraints": {"required": True, "unique": True}},
        _f("published_at", "datetime", "When the list was published: ICE's stamp (am -> 00:00, "
           "mid -> 06:00, pm -> 12:00 of the stamped date, an ordering convention since ICE gives "
           "no hour; a stamp without part of day -> 00:00), after the documented stamp correction; "
           "for an archive capture, the capture time (UTC).", True),
        _f("published_at_raw", "datetime", "The timestamp as the file name has it, before any "
           "stamp correction.", True),
        _f("stamp_provenance", "string", "ice_stamp: ICE's own file name stamp; archive_capture: "
           "the time the Internet Archive captured the page or workbook.", True,
           enum=["ice_stamp", "archive_capture"]),
        _f("part_of_day", "string", "am, mid or pm from ICE's stamp; blank for captures and "
           "stamps without one.", enum=["am", "mid", "pm"]),
        _f("revision", "string", "Revision suffixes of the file names carrying this list "
           "(b, 2, copy; several joined by ;)."),
        _f("captured_at", "datetime", "First time (UTC) a file carrying this list was "
           "downloaded (from the capture folder or the archive capture time)."),
        _f("last_captured_at", "datetime", "Last such time (UTC)."),
        _f("file", "string", "Name of the representative file (the first captured).", True),
        _f("sha256", "string", "SHA-256 of the representative file.", True,
           pattern="[0-9a-f]{64}"),
        _f("n_files", "integer", "How many input files carried this list (see files.csv).", True,
           minimum=1),
        _f("content_id", "string", "Hash of the sheet's cleaned rows (MOA links left out): "
           "files with the same content id carry the same list.", True, pattern="C[0-9a-f]{12}"),
    ]
    if participating:
        fields += [
            _f("n_agreements", "integer", "Rows on the sheet (agreements as ICE lists them).",
               True, minimum=1),
            _f("n_distinct_agreements", "integer", "Distinct agreement_ids on the sheet.", True,
               minimum=0),
        ]
    else:
        fields += [
            _f("n_requests", "integer", "Rows on the sheet (pending requests; 0 for the header-only "
               "pending sheets ICE published).", True, minimum=0),
            _f("n_distinct_requests", "integer", "Distinct pending_ids on the sheet.", True,
               minimum=0),
        ]
    fields += [
        _f("n_agencies", "integer", f"Distinct agencies (state + agency name) among the {what}.",
           True, minimum=0),
        _f("n_florida", "integer", "Rows in Florida.", True, minimum=0),
    ]
    for label, col in SUPPORT_COLUMNS.items():
        fields.append(_f(col, "integer", f"Rows with support type {label}.", True, minimum=0))
    fields.append(_f("n_support_type_other", "integer", "Rows whose support type is blank or "
                     "not one of the three models.", True, minimum=0))
    if participating:
        fields.append(_f("n_signed_after_publication", "integer", "Rows whose SIGNED date is "
                         "after the publication date (an impossible value, flagged).", True,
                         minimum=0))
    fields += [
        _f("n_flagged_rows", "integer", "Rows carrying at least one cleaning flag.", True,
           minimum=0),
        _f("columns", "string", "The sheet's header, | separated.", True),
        _f("stamp_corrected", "boolean", "True when published_at was corrected from the raw "
           "stamp by the documented January rule.", True),
        _f("trend_excluded", "boolean", "True when this list must stay out of trend lines "
           "(wrong columns, collapsed count, contradicted stamp); the reason is in qa_note.", True),
        _f("qa_note", "string", "Why the publication is flagged or corrected."),
    ]
    return fields


def _entity_fields(participating: bool) -> list[dict]:
    if participating:
        id_col, pattern = "agreement_id", "A[0-9a-f]{11}"
        id_text = ("Stable id of an agreement: A + 11 hex digits of a SHA-256 of the normalised "
                   "state code, agency name (case, spacing and apostrophes ignored), support type "
                   "and signed date.")
    else:
        id_col, pattern = "pending_id", "P[0-9a-f]{11}"
        id_text = ("Stable id of a pending request: P + 11 hex digits of a SHA-256 of the "
                   "normalised state code, agency name and support type.")
    fields = [
        _f(id_col, "string", id_text, True, unique=True, pattern=pattern),
        _f("state", "string", "State or territory name (canonical; ICE writes capitals)."),
        _f("state_code", "string", "USPS code; blank when the state is unknown (flag "
           "state_unknown).", enum=sorted(set(STATES.values()))),
        _f("agency", "string", "Law enforcement agency, whitespace trimmed, as on the latest "
           "sheet listing it."),
        _f("agency_type", "string", "County, Municipality or State Agency (blank on sheets "
           "before 2025, which have no TYPE column).", enum=list(AGENCY_TYPES)),
        _f("county", "string", "County as ICE writes it (from May 2025 sheets)."),
        _f("support_type", "string", "The 287(g) model; other values are flagged.",
           ),
    ]
    if participating:
        fields.append(_f("signed", "date", "SIGNED date (blank when missing or impossible and "
                         "not fixed; see flags)."))
    fields += [
        _f("state_raw", "string", "Raw STATE values (| separated) where cleaning changed more "
           "than spacing and letter case."),
        _f("agency_raw", "string", "Raw agency names where cleaning changed more than spacing."),
        _f("agency_type_raw", "string", "Raw TYPE values where changed (#NA, typos)."),
        _f("support_type_raw", "string", "Raw SUPPORT TYPE values where changed."),
    ]
    if participating:
        fields.append(_f("signed_raw", "string", "Raw SIGNED values where they were not a "
                         "plain date (text, impossible year)."))
    fields += [
        _f("flags", "string", "Cleaning flags, ; separated (see data/README.md)."),
        _f("first_seen", "datetime", "published_at of the first trend publication listing it."),
        _f("last_seen", "datetime", "published_at of the last trend publication listing it "
           "(that list's date: ICE's stamp or the first capture of it), not the last time it was "
           "seen; see last_captured."),
        _f("last_captured", "datetime", "The last time it was seen on a list: last_captured_at "
           "of that last trend publication (the last download or capture of a file carrying "
           "it), or its published_at when none of its files has a capture time. Never more "
           "than a day before last_seen (ICE's stamps are US dates)."),
        _f("first_publication", "string", "Key of that first publication."),
        _f("last_publication", "string", "Key of that last publication."),
        _f("n_snapshots", "integer", "Trend publications listing it.", True, minimum=0),
        _f("listed_in_latest", "boolean", "Listed in the latest trend publication.", True),
    ]
    if participating:
        fields += [
            _f("moa_url", "string", MOA_TEXT + " As on the latest sheet listing the agreement "
               "(its history is in listings.csv)."),
            _f("addendum_url", "string", ADDENDUM_TEXT + " As on the latest sheet listing the "
               "agreement."),
        ]
    if not participating:
        fields.append(_f("agreement_id", "string", "The signed agreement with the same state, "
                         "agency and support type, when one exists (earliest first seen).",
                         pattern="A[0-9a-f]{11}"))
    return fields


def _resource(name: str, fields: list[dict], description: str, primary_key=None,
              foreign_keys=None) -> dict:
    schema = {"fields": fields, "missingValues": [""]}
    if primary_key:
        schema["primaryKey"] = primary_key
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": name.replace(".csv", "").replace("_", "-"),
        "path": name,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "quoteChar": "\"", "doubleQuote": True,
                    "lineTerminator": "\n", "header": True},
        "description": description,
        "schema": schema,
    }


#: What ICE's document links are (agreements.csv and listings.csv).
MOA_TEXT = ("ICE's link to the signed agreement (memorandum of agreement, a PDF on ice.gov): the "
            "MOA cell's hyperlink as ICE wrote it (the Internet Archive's and Outlook Safe Links' "
            "wrappers around it removed; never fetched); blank when the cell has no link "
            "(\"link pending\").")
ADDENDUM_TEXT = ("ICE's link to the agreement's addendum (the ADDENDUM column, from mid-2025), "
                 "as ICE wrote it; blank when none.")


def _runs_resource(path, id_col, pattern, entities, snaps, label):
    ref = {"resource": snaps, "fields": "publication"}
    participating = label == "participating"
    fields = [
        _f(id_col, "string", f"An id of {entities}.csv.", True, pattern=pattern),
        _f("first_publication", "string", "First publication of a run of consecutive "
           f"publications (in {snaps.replace('-', '_')}.csv order) listing it"
           + (" with the same document links." if participating else "."), True),
        _f("last_publication", "string", "Last publication of that run.", True),
        _f("n_publications", "integer", "Publications in the run.", True, minimum=1),
    ]
    if participating:
        fields += [
            _f("moa_url", "string", MOA_TEXT + " As printed on every list of the run."),
            _f("addendum_url", "string", ADDENDUM_TEXT + " As printed on every list of the run."),
        ]
    return _resource(path, fields,
       f"Which {label} list carried which id, stored compactly as runs of consecutive "
       f"publications{' (a new run starts where ICE changed the links)' if participating else ''}; "
       f"ice287g.load.{'listings' if participating else 'pending_listings'}() "
       "expands it to long form (publication, id).",
       [id_col, "first_publication"],
       [{"fields": "first_publication", "reference": ref},
        {"fields": "last_publication", "reference": ref},
        {"fields": id_col, "reference": {"resource": entities, "fields": id_col}}])


def datapackage() -> dict:
    """The Frictionless data package descriptor of every processed file."""
    sources = [{"title": "U.S. Immigration and Customs Enforcement, 287(g) participating and "
                         "pending agency lists", "path": ICE_287G_URL}]
    res = [
        _resource("snapshots.csv", _snapshot_fields(True),
                  "One row per published participating-agencies list (ICE stamp or archive "
                  "capture).", ["publication"]),
        _resource("agreements.csv", _entity_fields(True),
                  "One row per distinct 287(g) agreement seen on any participating list.",
                  ["agreement_id"]),
        _runs_resource("listings.csv", "agreement_id", "A[0-9a-f]{11}", "agreements",
                       "snapshots", "participating"),
        _resource("pending_snapshots.csv", _snapshot_fields(False),
                  "One row per published pending-agencies list.", ["publication"]),
        _resource("pending.csv", _entity_fields(False),
                  "One row per distinct pending request seen on any pending list.",
                  ["pending_id"]),
        _runs_resource("pending_listings.csv", "pending_id", "P[0-9a-f]{11}", "pending",
                       "pending-snapshots", "pending"),
        _resource("files.csv", [
            _f("archive", "string", "Archive folder the file came from.", True),
            _f("path", "string", "Path inside the archive.", True),
            _f("file", "string", "File name.", True),
            _f("sha256", "string", "SHA-256 of the file.", True, pattern="[0-9a-f]{64}"),
            _f("list", "string", "participating or pending (from the name); blank when the "
               "name is unparsable.", enum=["participating", "pending"]),
            _f("form", "string", "Naming form.", enum=["archive_table", "archive_workbook", "ice_file"]),
            _f("stamp_provenance", "string", "ice_stamp or archive_capture.",
               enum=["ice_stamp", "archive_capture"]),
            _f("stamp_raw", "string", "The date part of the name as written."),
            _f("stamp", "datetime", "The name's timestamp after any correction."),
            _f("part_of_day", "string", "am, mid, pm or blank.", enum=["am", "mid", "pm"]),
            _f("revision", "string", "Revision suffix (b, 2, copy) or blank."),
            _f("name_note", "string", "How an irregular name was read."),
            _f("captured_at", "datetime", "Download or capture time (UTC), when known."),
            _f("publication", "string", "The publication this file carried (blank if excluded)."),
            _f("content_id", "string", "Content id of its list.", pattern="C[0-9a-f]{12}"),
            _f("n_rows", "integer", "Data rows read.", minimum=0),
            _f("copy_of", "string", "archive/path of the first byte-identical file (files ordered "
               "by archive and path)."),
            _f("status", "string", "read, or excluded: by a reviewed decision, or not read by "
               "rule (a hidden file, an Excel lock file, a name not ending .xlsx); the reason "
               "is in note.", True,
               enum=["read", "excluded"]),
            _f("note", "string", "Reviewed decision, stamp or column note."),
        ], "Every input file: where it came from and which list it carried.", ["archive", "path"]),
        _resource("qa.csv", [
            _f("name", "string", "Check name.", True, unique=True),
            _f("status", "string", "pass or fail for invariants, info for reported anomalies "
               "and how they were handled.", True, enum=["pass", "fail", "info"]),
            _f("count", "integer", "Items checked or found.", True, minimum=0),
            _f("detail", "string", "What was checked and what was found.", True),
        ], "Every check the build ran. A fail stops the build.", ["name"]),
    ]
    return {
        "profile": "tabular-data-package",
        "name": "ice-287g-processed",
        "title": "ICE 287(g) lists: processed datasets of the book '287(g) in Key West'",
        "description": "Tidy, validated tables derived by `python -m ice287g build` from archived "
                       "copies of the participating and pending agency spreadsheets ICE publishes "
                       "on its 287(g) page. See data/README.md.",
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 for "
                      "our processing and documentation (see LICENSE-content.md); ICE's "
                      "underlying lists are U.S. federal government works (public domain)",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": sources,
        "resources": res,
    }


#: The processed files, in the order they are written and listed.
OUTPUT_FILES = tuple(r["path"] for r in datapackage()["resources"]) + ("datapackage.json",)


def fields(path: str) -> list[dict]:
    """The Table Schema fields of one output file (e.g. ``"snapshots.csv"``)."""
    for r in datapackage()["resources"]:
        if r["path"] == path:
            return r["schema"]["fields"]
    raise KeyError(f"no output file {path!r} in the schema (known: {', '.join(OUTPUT_FILES)})")


def columns(path: str) -> list[str]:
    """The column names of one output file, in order."""
    return [f["name"] for f in fields(path)]


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


#: Characters that can make the csv module quote a cell or otherwise not write it as it is
#: (delimiter, quote, line breaks, NUL): a row with any of them is written by csv.writer.
_BOOL_TEXT = {True: "true", False: "false"}
_CSV_SPECIAL_CHARS = ',"\n\r\x00'
_CSV_SPECIAL = re.compile(f"[{_CSV_SPECIAL_CHARS}]")


def csv_text(path: str, rows: list[dict]) -> str:
    """The text of output file ``path``: the schema's header, then each row's values in the
    schema's column order (a row lacking a column is an error, not a blank).

    The same text as ``csv.writer(lineterminator="\\n")`` writing every row (a test compares
    them), made column by column: each column's cells are converted once (text as it is, the
    rest through ``_cell``), rows whose cells hold no character the csv module treats
    specially are joined with commas, and only the others go through ``csv.writer``."""
    cols = columns(path)
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(cols)
    if not rows:
        return head.getvalue()
    if len(cols) == 1:  # a lone empty cell is written as "" by csv: leave it all to csv
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for row in rows:
            try:
                v = row[cols[0]]
            except KeyError:
                raise KeyError(f"a row of {path} has no value for the column {cols[0]!r}") from None
            w.writerow([v if v.__class__ is str else _cell(v)])
        return buf.getvalue()
    get = operator.itemgetter(*cols)
    try:
        table = list(map(get, rows))  # one pass over the rows (a pass per column is slower)
    except KeyError as exc:
        raise KeyError(f"a row of {path} has no value for the column {exc.args[0]!r}") from None
    cells = []
    special: set[int] = set()  # rows to leave to csv.writer
    for values in zip(*table):
        kinds = set(map(type, values))
        if kinds == {bool}:  # as _cell writes them
            values = list(map(_BOOL_TEXT.__getitem__, values))
        elif kinds == {int}:
            values = list(map(str, values))
        elif kinds != {str}:
            values = [v if v.__class__ is str else _cell(v) for v in values]
        text = "".join(values)
        if any(ch in text for ch in _CSV_SPECIAL_CHARS):
            special.update(i for i, m in enumerate(map(_CSV_SPECIAL.search, values)) if m)
        cells.append(values)
    lines = list(map(",".join, zip(*cells)))
    for i in special:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([col[i] for col in cells])
        lines[i] = buf.getvalue()[:-1]
    return head.getvalue() + "\n".join(lines) + "\n"
