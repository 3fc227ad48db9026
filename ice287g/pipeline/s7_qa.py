"""Stage 7: every check of the build, as the rows of ``qa.csv`` (pass / fail / info).

A ``fail`` stops the build (nothing is written). ``info`` rows report each anomaly found in
ICE's sheets and how it was handled.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections import Counter, defaultdict

from .records import FileRecord, Publication, SheetError
from .s2_read import read_sheet
from .s3_clean import RAW_CONTENT, RAW, RowStore, normalise_rows, squash, visible
from . import s5_trend
from .s5_trend import Exclusion
from .s6_derive import ListTables, expand_runs, fmt_ts
from .thresholds import STALE_MIN_BACK, STAMP_AFTER_CAPTURE_DAYS, STAMP_CONTRADICTION_SHARE


def _ranges(numbers: list[int]) -> str:
    """Sorted row numbers as ranges: [2, 3, 4, 9] -> '2-4, 9'."""
    out: list[str] = []
    for _, run in itertools.groupby(enumerate(sorted(numbers)), lambda kn: kn[1] - kn[0]):
        run = [n for _, n in run]
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else f"{run[0]}")
    return ", ".join(out)


def _examples(items, n: int = 8) -> str:
    items = list(items)
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return "; ".join(map(str, items[:n])) + more


class QA:
    """The rows of qa.csv, in the order the checks ran."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, name: str, status: str, count: int, detail: str) -> None:
        if status not in ("pass", "fail", "info"):
            raise ValueError(f"QA status {status!r} of {name} is not pass, fail or info")
        self.rows.append({"name": name, "status": status, "count": int(count), "detail": detail})

    def check(self, name: str, ok_count: int, bad: list, what: str) -> None:
        """A pass/fail invariant: ``bad`` lists the violations."""
        if bad:
            self.add(name, "fail", len(bad), f"{what}: violated by {_examples(bad)}")
        else:
            self.add(name, "pass", ok_count, what)


def run_checks(records: list[FileRecord], store: RowStore, part: list[Publication],
               pend: list[Publication], part_t: ListTables, pend_t: ListTables,
               exclusions: dict[str, list[Exclusion]]) -> list[dict]:
    """Every check, in qa.csv order."""
    qa = QA()
    qa.check("agreement_ids_unique", len(part_t.id_of_key), part_t.collisions,
             "every distinct agreement (state, agency, support type, signed date) has its own "
             "agreement_id (no hash collision)")
    qa.check("pending_ids_unique", len(pend_t.id_of_key), pend_t.collisions,
             "every distinct pending request (state, agency, support type) has its own pending_id")
    qa_inputs(records, store, part, pend, qa)
    qa_trend_info(part, exclusions["participating"], qa)
    qa_values(store, part, qa)
    qa_values(store, pend, qa, prefix="pending_")
    qa_formula_like(records, store, qa)
    qa_text_normalised(store, qa)
    qa_outputs(part_t, part, qa, "agreements")
    qa_outputs(pend_t, pend, qa, "pending")
    qa_trend(part, part_t, exclusions["participating"], qa, "agreements")
    qa_trend(pend, pend_t, exclusions["pending"], qa, "pending")
    qa.check("every_file_accounted", len(records),
             [r.sf.relpath for r in records if not r.publication and not r.excluded],
             "every input file is part of a publication or excluded by a reviewed decision")
    for label, t, pubs in (("agreements", part_t, part), ("pending", pend_t, pend)):
        qa_runs(t, pubs, qa, label)
    return qa.rows


def qa_runs(t: ListTables, pubs: list[Publication], qa: QA, label: str) -> None:
    """The stored runs, expanded by the one decoder (``s6_derive.expand_runs``), give back
    exactly the long-form listings."""
    import pandas as pd

    order = [p.id for p in pubs]
    cols = [t.id_col, "first_publication", "last_publication", "n_publications"]
    runs = pd.DataFrame({c: [r[c] for r in t.runs] for c in cols}, columns=cols)
    bad = []
    try:
        long = expand_runs(runs, order, t.id_col)
        expanded = list(zip(long["publication"].tolist(), long[t.id_col].tolist()))
        # Both come in publication, then id order: equal lists need no set comparison.
        if expanded != t.listings and (len(expanded) != len(t.listings)
                                       or set(expanded) != set(t.listings)):
            bad.append("runs differ from listings")
    except ValueError as exc:
        bad.append(str(exc))
    qa.check(f"listing_runs_expand_exactly_{label}", len(t.runs), bad,
             "the stored runs expand back to exactly the long-form listings")


def qa_inputs(records: list[FileRecord], store: RowStore, part: list[Publication],
              pend: list[Publication], qa: QA) -> None:
    by = Counter((r.archive_name, r.list or ("not read" if r.review and r.review.get("rule")
                                             else "unnamed")) for r in records)
    qa.add("input_files", "info", len(records),
           "files read per archive and list: " + "; ".join(f"{a}/{lst}: {n}" for (a, lst), n in sorted(by.items())))
    copies = [r for r in records if r.copy_of]
    qa.add("byte_identical_copies", "info", len(copies),
           "files byte-identical to an earlier file are read once and recorded in files.csv "
           "(copy_of); " + _examples(f"{r.sf.relpath} = {r.copy_of}" for r in copies))
    excl = [r for r in records if r.excluded and not r.review.get("rule")]
    content_of = {}
    for p in pend + part:
        content_of.setdefault(p.rep.content_id, p.id)
    qa.add("excluded_files", "info", len(excl),
           "files excluded by a reviewed decision (data/reviewed/file_reviews.csv), never silently: "
           + _examples([f"{r.sf.relpath}: {r.review['reason']}" for r in excl], 4))
    not_read = [r for r in records if r.excluded and r.review.get("rule")]
    qa.add("files_not_read", "info", len(not_read),
           "files in the archives the build does not read by rule (hidden, Excel lock files, not "
           "named .xlsx), each listed in files.csv with the reason: "
           + _examples([f"{r.archive_name}/{r.sf.relpath}: {r.review['reason']}" for r in not_read], 10))
    # Reviewed undated files: does each one's list equal a dated publication?
    found = []
    for r in excl:
        kind = "pending" if "pending" in r.sf.path.name.lower() else "participating"
        try:
            parsed = read_sheet(r.sf.path, kind)
        except SheetError as exc:  # unreadable by design: reported, not fatal
            found.append(f"{r.sf.relpath}: unreadable ({exc.message})")
            continue
        ids = store.add(normalise_rows(parsed.rows)[0])
        match = content_of.get(store.content_id(ids))
        found.append(f"{r.sf.relpath}: {len(ids)} rows; its list "
                     + (f"equals publication {match}" if match else "equals no dated publication"))
    qa.add("excluded_files_content", "info", len(excl),
           "what the excluded files hold: " + _examples(found, 10))
    irregular = [r for r in records if r.name and (r.name.name_note or r.name.revision)]
    qa.add("irregular_names", "info", len(irregular),
           "names read by a documented rule (9-digit date, no am/pm, revision suffix B/_b/2/copy): "
           + _examples(f"{r.sf.path.name}" + (f" ({r.name.name_note})" if r.name.name_note else "")
                       for r in irregular))
    for label, pubs in (("participating", part), ("pending", pend)):
        multi = [p for p in pubs if len(p.files) > 1]
        qa.add(f"same_list_many_files_{label}", "info", sum(len(p.files) for p in multi),
               f"{len(multi)} {label} publications were carried by more than one file (same "
               "content id), counted once; every carrier is in files.csv: "
               + _examples(f"{p.id}: {len(p.files)} files" for p in multi))
        stamps = defaultdict(list)
        for p in pubs:
            if p.provenance == "ice_stamp":
                stamps[(p.published_at, p.part_of_day)].append(p)
        reissued = {k: v for k, v in stamps.items() if len(v) > 1}
        qa.add(f"reissued_stamps_{label}", "info", len(reissued),
               "a stamp carrying different lists is kept as separate publications, ordered by "
               "capture time: " + _examples(
                   f"{v[0].rep.sf.path.name}: " + ", ".join(
                       f"{p.id} ({len(p.row_ids)} rows, captured {fmt_ts(p.captured_at) or 'unknown'})"
                       for p in v) for v in reissued.values()))
        bad_order = []
        for v in reissued.values():
            caps = [p.captured_at for p in v if p.captured_at]
            if caps != sorted(caps):
                bad_order.append(v[0].id)
        qa.check(f"reissues_ordered_by_capture_{label}", len(reissued), bad_order,
                 "re-issued stamps are ordered by capture time")
        recaps = [p for p in pubs if p.provenance == "ice_stamp"
                  and any(r.name.provenance == "archive_capture" for r in p.files)]
        qa.add(f"recaptures_merged_{label}", "info", len(recaps),
               "archive captures carrying the list of the latest ICE publication stamped before "
               "them are re-captures of it, merged into it (captured_at from the capture): "
               + _examples(f"{p.id}: {sum(1 for r in p.files if r.name.provenance == 'archive_capture')}"
                           " capture file(s)" for p in recaps))
        both = [p.id for p in pubs if len({r.archive_name for r in p.files}) > 1]
        qa.add(f"archives_overlap_{label}", "info", len(both),
               f"{label} publications found in more than one archive, merged by content id")
        wrong = [p for p in pubs if p.wrong_columns]
        qa.add(f"wrong_columns_{label}", "info", len(wrong),
               "sheets holding the other list's columns: kept in the snapshot table, flagged "
               "trend_excluded, their rows not used: " + _examples(
                   f"{p.rep.sf.path.name} ({len(p.row_ids)} rows; same list as "
                   f"{_same_as(p, pubs + part + pend)})" for p in wrong))
        dupe = [(p.id, n) for p in pubs if (n := len(p.row_ids) - len(set(
            store.clean_rows[i].agreement_key for i in p.row_ids)))]
        qa.add(f"duplicate_rows_{label}", "info", sum(n for _, n in dupe),
               "rows repeating another row's identity (state, agency, support type, signed) in "
               "the same sheet: counted in n_agreements (rows), once in listings: "
               + _examples(f"{pid}: {n}" for pid, n in dupe))
    blank = sum(r.parsed.blank_rows for r in records if r.parsed and not r.copy_of)
    qa.add("blank_rows_skipped", "info", blank, "fully blank rows inside sheets, skipped")
    extra = [r for r in records if r.parsed and r.parsed.extra_sheets]
    qa.add("extra_sheets_ignored", "info", len(extra),
           "workbooks with further non-empty sheets (summaries); only the list sheet (the active visible one) is read: "
           + _examples(f"{r.sf.path.name}: {', '.join(r.parsed.extra_sheets)}" for r in extra))
    hidden = [r for r in records if r.parsed and r.parsed.hidden_sheets and not r.copy_of]
    qa.add("hidden_sheets", "info", len(hidden),
           "workbooks with hidden sheets, never read (the list is the active sheet when it is "
           "visible, else the first visible one): " + _examples(
               f"{r.sf.relpath}: hidden {', '.join(map(repr, r.parsed.hidden_sheets))}, read "
               f"{r.parsed.sheet_name!r}" for r in hidden))
    rows_hidden = [r for r in records if r.parsed and r.parsed.hidden_rows and not r.copy_of]
    qa.add("hidden_rows", "info", sum(len(r.parsed.hidden_rows) for r in rows_hidden),
           "data rows a sheet marks hidden (by hand or by a filter): kept, since they are part of "
           "the list ICE published, and named here by file and sheet row"
           + (": " + "; ".join(f"{r.sf.relpath} rows {_ranges(r.parsed.hidden_rows)}"
                               for r in rows_hidden) if rows_hidden else ""))
    corrected = [(r, p) for p in part + pend for r in p.files if r.stamp_corrected]
    qa.add("stamps_corrected", "info", len(corrected),
           "files whose stamp their own rows contradict, corrected by the January rule (raw stamp "
           "kept in files.csv stamp_raw and, where the file represents the publication, in "
           "snapshots.published_at_raw): " + _examples(
               f"{r.sf.path.name} -> {p.id}" + (f" (also carried by {p.rep.sf.path.name})"
                                                  if r is not p.rep else "") for r, p in corrected))


def qa_trend(pubs: list[Publication], t: ListTables, applied: list[Exclusion], qa: QA,
             label: str) -> None:
    """The trend rules, checked by the rules themselves (``s5_trend``): the rules run again on
    the same publications must give exactly the exclusions the build applied, and the output
    must carry them (trend_excluded, the rule's note in qa_note, nothing else excluded)."""
    again = s5_trend.decide(pubs, t.list)
    bad = [] if again == applied else ["the rules, re-run on the same publications, decide "
                                       "differently from what the build applied"]
    snap = {s["publication"]: s for s in t.snapshots}
    decided = {e.publication for e in again}
    bad += [f"{pid}: trend_excluded={str(s['trend_excluded']).lower()}" for pid, s in snap.items()
            if s["trend_excluded"] != (pid in decided)]
    bad += [f"{e.publication}: no {e.rule} note" for e in again
            if e.note and e.note not in snap[e.publication]["qa_note"]]
    bad += [p.id for p in t.trend if p.id in decided]
    rules = ", ".join(r.__name__ for r in s5_trend.RULES[t.list])
    qa.check(f"trend_exclusions_match_rules_{label}", len(decided), bad,
             f"the publications flagged trend_excluded are exactly those the trend rules ({rules}; "
             "ice287g/pipeline/s5_trend.py) exclude, each with the rule's note in qa_note, and "
             "none of them is in the trend series")


def qa_trend_info(part: list[Publication], applied: list[Exclusion], qa: QA) -> None:
    """One info row per participating trend rule, listing what it excluded and why."""
    by_rule = defaultdict(list)
    for e in applied:
        by_rule[e.rule].append(e)
    pub = {p.id: p for p in part}

    def listed(rule):
        return _examples(f"{pub[e.publication].rep.sf.path.name}: {'; '.join(pub[e.publication].notes)}"
                         for e in by_rule[rule])

    qa.add("stamps_contradicted", "info", len(by_rule["contradicted_stamp"]),
           "stamps contradicted by their rows with no documented correction: kept, trend_excluded: "
           + listed("contradicted_stamp"))
    qa.add("stale_lists", "info", len(by_rule["stale_list"]),
           f"a list re-published after newer lists (the exact list of a publication at least "
           f"{STALE_MIN_BACK} trend publications earlier): kept, trend_excluded: "
           + listed("stale_list"))
    qa.add("counts_collapsed", "info", len(by_rule["collapsed_count"]),
           "publications whose count collapses against their neighbours: kept, trend_excluded: "
           + listed("collapsed_count"))
    dips = s5_trend.kept_dips(part, applied)
    qa.add("dips_kept", "info", len(dips),
           "trend publications holding fewer than half the median of their neighbours in the "
           "trend series (after the exclusions) but not where the collapse rule judged them "
           "(among the lists before exclusions): kept, as each list is judged once: "
           + _examples(f"{pid}: {note.replace('count collapsed: ', '')}" for pid, note in dips.items()))


def _same_as(p: Publication, pubs: list[Publication]) -> str:
    others = sorted({q.list + " " + q.id for q in pubs if q is not p and q.rep.content_id == p.rep.content_id})
    return ", ".join(others) if others else "no other publication"


#: How each cleaning flag is handled (the detail of its qa.csv row).
FLAG_HANDLING = {
    "state_fixed": "fixed by the reviewed fixes table; raw value in state_raw",
    "state_unknown": "no such state: kept as written, no state_code, raw in state_raw",
    "state_blank": "kept, state blank",
    "agency_blank": "kept, agency blank",
    "agency_type_fixed": "fixed by the reviewed fixes table; raw in agency_type_raw",
    "agency_type_blank": "blank or #NA: kept blank; raw in agency_type_raw",
    "agency_type_unknown": "not a canonical type: kept as written; raw in agency_type_raw",
    "support_type_fixed": "fixed by the reviewed fixes table; raw in support_type_raw",
    "support_type_blank": "kept, support type blank",
    "support_type_unknown": "not one of the three models: kept as written",
    "signed_blank": "kept, signed blank",
    "signed_unparsable": "text that is no date: signed blank unless fixed; raw in signed_raw",
    "signed_year_impossible": "year before 1996 or after 2100: signed blank unless fixed; raw in signed_raw",
    "signed_fixed": "fixed by the reviewed fixes table; raw in signed_raw",
}


def qa_values(store: RowStore, pubs: list[Publication], qa: QA, prefix: str = "") -> None:
    rows = store.clean_rows
    occurrences = Counter(itertools.chain.from_iterable(
        p.row_ids for p in pubs if not p.wrong_columns))
    flag_rows = defaultdict(Counter)
    for i, n in occurrences.items():
        if rows[i].flags:
            for f in rows[i].flags.split(";"):
                flag_rows[f][i] += n
    how = FLAG_HANDLING
    if prefix:  # pending lists: no SIGNED column
        how = {k: v for k, v in how.items() if not k.startswith("signed")}
        flag_rows = {k: v for k, v in flag_rows.items() if not k.startswith("signed")}
    where = first_locations(pubs) if flag_rows else {}
    for flag in sorted(set(how) | set(flag_rows)):
        c = flag_rows.get(flag, Counter())
        first: dict[str, str] = {}  # description -> where it was first seen
        for i in sorted(c, key=lambda i: where.get(i, (len(where), ""))[0]):
            first.setdefault(_describe(rows[i], flag), where.get(i, (0, ""))[1])
        examples = sorted(f"{d} at {w}" if w else d for d, w in first.items())
        qa.add(f"{prefix}flag_{flag}", "info", sum(c.values()),
               f"{prefix.replace('_', ' ')}rows (summed over publications) flagged {flag}; "
               f"{how.get(flag, 'flagged')}"
               + (": " + _examples(examples, 10) if examples else ""))
    if prefix:
        return
    # store.whitespace_changed: some STATE ... SIGNED cell (ADDENDUM left out) of the row is
    # changed by squash (worked out once per distinct row when it was interned)
    ws = sum(map(occurrences.__getitem__, filter(store.whitespace_changed.__getitem__, occurrences)))
    qa.add("whitespace_trimmed", "info", ws,
           "rows (summed over publications) with at least one cell trimmed of stray whitespace")
    signed = store.signed_date
    after = [(p.id, sum(1 for d in map(signed.__getitem__, p.row_ids)
                        if d and d > p.published_at.date()))
             for p in pubs if not p.wrong_columns]
    after = [(pid, n) for pid, n in after if n]
    qa.add("signed_after_publication", "info", sum(n for _, n in after),
           "rows whose SIGNED date is after their sheet's publication date: kept, counted in "
           "snapshots.n_signed_after_publication (and agreements flagged signed_after_first_seen): "
           + _examples(f"{pid}: {n}" for pid, n in after))
    # A fix must agree with the rest of the series: the fixed signed date is never after the
    # first publication listing the row.
    bad = []
    fixed = {i for i, c in enumerate(rows) if "signed_fixed" in c.flags}  # any publication
    for p in pubs:
        for i in fixed.intersection(p.row_ids) if fixed else ():
            if signed[i] and signed[i] > p.published_at.date():
                bad.append(f"{p.id}: {rows[i].agency} {rows[i].signed}")
    qa.check("fixed_dates_plausible", len(flag_rows.get("signed_fixed", ())), sorted(set(bad)),
             "every signed date repaired by the fixes table is on or before the publication listing it")


def first_locations(pubs: list[Publication]) -> dict[int, tuple[int, str]]:
    """Row id -> (order, "<file> row <n>") of its first appearance (publication order)."""
    where: dict[int, tuple[int, str]] = {}
    done: set[int] = set()
    for p in pubs:
        for r in p.files:
            if r.parsed is None or id(r.row_ids) in done:
                continue
            done.add(id(r.row_ids))
            nums, path = r.parsed.row_numbers, r.sf.relpath
            for k, i in enumerate(r.row_ids):
                if i not in where:
                    where[i] = (len(where), f"{path} row {nums[k]}" if k < len(nums) else path)
    return where


#: A cell a spreadsheet program could run as a formula when the CSV is opened (OWASP CSV
#: injection: a leading =, +, -, @, tab or carriage return), unless it is a plain number.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: First characters of a cell whose cleaned value may start like a formula: a formula
#: character, whitespace (every character ``str.strip`` removes) or "," and ";".
_CANDIDATE_START = frozenset(FORMULA_START) | frozenset(",;") | frozenset(
    c for c in map(chr, range(0x3001)) if c.isspace())


def is_formula_like(text: str) -> bool:
    if not text.startswith(FORMULA_START):
        return False
    try:
        float(text)
        return False  # -3 or +1.5: a number, not a formula
    except ValueError:
        return True


#: The cleaned fields (what the CSVs hold) that come from each of ICE's content columns.
OUTPUT_FIELDS = {"STATE": ("state", "state_raw"), "LAW ENFORCEMENT AGENCY": ("agency", "agency_raw"),
                 "TYPE": ("agency_type", "agency_type_raw"), "COUNTY": ("county",),
                 "SUPPORT TYPE": ("support_type", "support_type_raw"),
                 "SIGNED": ("signed", "signed_raw"), "ADDENDUM": ("addendum",)}


def qa_formula_like(records: list[FileRecord], store: RowStore, qa: QA) -> None:
    """Cells that would start a formula in a spreadsheet program, by file, row and column.
    Judged on the values written to the CSVs (trimmed ``' =1+1'`` is ``'=1+1'``), and on the
    cell as read. They are kept as ICE wrote them (never silently changed): the CSVs are data,
    to be opened as text (see data/README.md)."""
    cols = [(c, RAW[c], OUTPUT_FIELDS.get(c, ())) for c in RAW_CONTENT]
    raws, cleans = store.raw_rows, store.clean_rows
    # A cleaned value starts with a formula character only when its raw cell does, or starts
    # with whitespace or the punctuation cleaning strips (fixed values come from the reviewed
    # table): only those cells are looked at closely.
    starts = _CANDIDATE_START
    flagged: dict[int, list[tuple[str, str]]] = {}  # distinct row -> (column, value) flagged
    for i, raw in enumerate(raws):
        for col, k, fields in cols:
            v = raw[k]
            if v and v[0] in starts:
                clean = cleans[i]
                for w in (*(getattr(clean, f) for f in fields), v):
                    if is_formula_like(w):
                        flagged.setdefault(i, []).append((col, w))
                        break
    found = []
    for r in records:  # each flagged row where it first appears
        if not flagged or r.parsed is None or r.copy_of:
            continue
        nums, path = r.parsed.row_numbers, r.sf.relpath
        for k, i in enumerate(r.row_ids):
            if i in flagged:
                row = nums[k] if k < len(nums) else "?"
                found.extend(f"{path} row {row} {col}: {v[:40]!r}"
                             + ("" if v == store.raw_rows[i][RAW[col]] else
                                f" (as written {store.raw_rows[i][RAW[col]][:40]!r})")
                             for col, v in flagged.pop(i))
    qa.add("formula_like_text", "info", len(found),
           "cells starting with =, +, -, @, tab or CR (a spreadsheet program could run them as a "
           "formula): kept as ICE wrote them, never changed; open the CSVs as text"
           + (": " + _examples(found, 10) if found else ""))


def qa_text_normalised(store: RowStore, qa: QA) -> None:
    """Every cell whose text ``s3_clean.normalise_text`` changed (NFC form, invisible format
    characters removed), by file, row and column, before and after in a visible form."""
    found = [f"{path} row {row} {col}: {visible(before)} -> {visible(after)}"
             for path, row, col, before, after in store.text_changes]
    qa.add("text_normalised", "info", len(found),
           "cells put in Unicode NFC form with invisible format characters (zero-width spaces and "
           "joiners, byte-order marks, bidi marks, soft hyphens) removed, so that a look-alike "
           "spelling is the same name; the cleaned text is in the CSVs"
           + (": " + "; ".join(found) if found else ""))


def _describe(row, flag: str) -> str:
    field = flag.rsplit("_", 1)[0]
    raw = getattr(row, field + "_raw", "")
    val = getattr(row, field, "")
    who = f"{row.agency} ({row.state_code or row.state})"
    if raw and raw != val:
        if flag.endswith(("_fixed", "_unknown")) and not field.startswith("signed"):
            return f"{squash(raw)!r} -> {val!r}"  # one example per distinct correction
        return f"{raw!r} -> {val!r} [{who}]"
    return f"{who}"


_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)


def qa_outputs(t: ListTables, pubs: list[Publication], qa: QA, label: str) -> None:
    ids = {p.id for p in pubs}
    qa.check(f"publication_ids_unique_{label}", len(pubs),
             [pid for pid, n in Counter(p.id for p in pubs).items() if n > 1],
             "publication keys are unique")
    entity_ids = set(map(operator.itemgetter(t.id_col), t.entities))
    bad = []
    if not (ids.issuperset(map(_FIRST, t.listings))
            and entity_ids.issuperset(map(_SECOND, t.listings))):  # then name them
        bad = [[pid, eid] for pid, eid in t.listings if pid not in ids or eid not in entity_ids]
    qa.check(f"listings_reference_known_ids_{label}", len(t.listings), bad[:10],
             "every listing names a known publication and a known id")
    per_pub = Counter(map(_FIRST, t.listings))
    nd_col = "n_distinct_agreements" if t.list == "participating" else "n_distinct_requests"
    wrong = {p.id for p in pubs if p.wrong_columns}
    bad = [s["publication"] for s in t.snapshots
           if s["publication"] not in wrong and per_pub.get(s["publication"], 0) != s[nd_col]]
    qa.check(f"snapshot_counts_match_listings_{label}", len(t.snapshots), bad,
             "each publication's distinct count equals its rows in the listings table")
    # The entity columns the checks below read, in one pass over the entities.
    cols = ("first_seen", "last_seen", "last_captured", "last_publication", "listed_in_latest")
    first_seen, last_seen, last_captured, last_pub, listed = (
        zip(*map(operator.itemgetter(*cols), t.entities)) if t.entities else ((),) * len(cols))
    bad = []
    if any(map(operator.gt, first_seen, last_seen)):  # then name them
        bad = [e[t.id_col] for e in t.entities
               if e["first_seen"] and e["last_seen"] and e["first_seen"] > e["last_seen"]]
    qa.check(f"first_seen_not_after_last_seen_{label}", len(t.entities), bad,
             "first_seen <= last_seen for every id")
    snap_of = {s["publication"]: s for s in t.snapshots}
    want_of = {pid: s["last_captured_at"] or s["published_at"] for pid, s in snap_of.items()}
    bad = []
    if list(last_captured) != [want_of.get(pid, "") for pid in last_pub]:  # then name them
        for e in t.entities:
            snap = snap_of.get(e["last_publication"])
            want = (snap["last_captured_at"] or snap["published_at"]) if snap else ""
            if e["last_captured"] != want:
                bad.append(f"{e[t.id_col]} ({e['last_captured'] or 'blank'} vs {want or 'blank'})")
    qa.check(f"last_captured_is_last_publications_last_capture_{label}", len(t.entities), bad,
             "last_captured is the last_captured_at (else published_at) of the snapshot row "
             "of last_publication")
    slack = dt.timedelta(days=STAMP_AFTER_CAPTURE_DAYS)
    late = {(seen, cap) for seen, cap in set(zip(last_seen, last_captured)) if seen and cap and
            dt.datetime.fromisoformat(cap).date() + slack < dt.datetime.fromisoformat(seen).date()}
    bad = [e[t.id_col] for e in t.entities if (e["last_seen"], e["last_captured"]) in late] \
        if late else []
    qa.check(f"last_captured_not_before_last_seen_{label}", len(t.entities), bad,
             f"last_captured is at most {STAMP_AFTER_CAPTURE_DAYS} day(s) before last_seen's "
             "date for every id (ICE's stamps are US dates; a later stamp is contradicted and "
             "out of the trend)")
    latest = t.latest
    n_latest = sum(map(bool, listed))
    expect = len(set(itertools.compress(map(_SECOND, t.listings), map(
        latest.id.__eq__, map(_FIRST, t.listings))))) if latest else 0
    qa.check(f"latest_listing_consistent_{label}", n_latest,
             [] if n_latest == expect else [f"{n_latest} flagged vs {expect} listed"],
             f"listed_in_latest marks exactly the ids on the latest trend publication "
             f"({latest.id if latest else 'none'})")
    trend = t.trend
    bad = [p.id for p in trend if p.wrong_columns or p.stamp_contradicted]
    qa.check(f"trend_has_no_excluded_list_{label}", len(trend), bad,
             "no wrong-column or contradicted-stamp publication is in the trend series")
    if label == "agreements":
        bad = [s["publication"] for p, s in zip(pubs, t.snapshots)
               if not p.trend_excluded and s["n_signed_after_publication"] >
               STAMP_CONTRADICTION_SHARE * len(p.row_ids)]
        qa.check("trend_stamps_consistent", len(trend), bad,
                 f"no publication in the trend series has more than {STAMP_CONTRADICTION_SHARE:.0%} "
                 "of rows signed after its (corrected) publication date")
