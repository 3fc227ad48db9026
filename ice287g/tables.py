"""Derive the output tables (and the QA checks) from a ``build.Builder``'s publications."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict

from . import clean
from .build import SUPPORT_COLUMNS, Builder, FileRecord, Publication, _fmt_ts

F = {name: i for i, name in enumerate(clean.CLEAN_FIELDS)}
RAW_FIELDS = ("state_raw", "agency_raw", "agency_type_raw", "support_type_raw", "signed_raw")

SNAPSHOT_COLUMNS = [
    "publication", "published_at", "published_at_raw", "stamp_provenance", "part_of_day",
    "revision", "captured_at", "last_captured_at", "file", "sha256", "n_files", "content_id",
    "n_agreements", "n_distinct_agreements", "n_agencies", "n_florida",
    *SUPPORT_COLUMNS.values(), "n_support_type_other", "n_signed_after_publication",
    "n_flagged_rows", "columns", "stamp_corrected", "trend_excluded", "qa_note",
]
PENDING_SNAPSHOT_COLUMNS = [
    c for c in SNAPSHOT_COLUMNS if c not in ("n_agreements", "n_distinct_agreements",
                                             "n_signed_after_publication")
]
PENDING_SNAPSHOT_COLUMNS[PENDING_SNAPSHOT_COLUMNS.index("content_id") + 1:
                         PENDING_SNAPSHOT_COLUMNS.index("content_id") + 1] = ["n_requests", "n_distinct_requests"]
AGREEMENT_COLUMNS = [
    "agreement_id", "state", "state_code", "agency", "agency_type", "county", "support_type",
    "signed", *RAW_FIELDS, "flags", "first_seen", "last_seen", "first_publication",
    "last_publication", "n_snapshots", "listed_in_latest",
]
PENDING_COLUMNS = [
    "pending_id", "state", "state_code", "agency", "agency_type", "county", "support_type",
    "state_raw", "agency_raw", "agency_type_raw", "support_type_raw", "flags", "first_seen",
    "last_seen", "first_publication", "last_publication", "n_snapshots", "listed_in_latest",
    "agreement_id",
]
FILE_COLUMNS = [
    "archive", "path", "file", "sha256", "list", "form", "stamp_provenance", "stamp_raw",
    "stamp", "part_of_day", "revision", "name_note", "captured_at", "publication",
    "content_id", "n_rows", "copy_of", "status", "note",
]
QA_COLUMNS = ["name", "status", "count", "detail"]


def _examples(items, n: int = 8) -> str:
    items = list(items)
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return "; ".join(map(str, items[:n])) + more


class QA:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, name: str, status: str, count: int, detail: str) -> None:
        assert status in ("pass", "fail", "info")
        self.rows.append({"name": name, "status": status, "count": int(count), "detail": detail})

    def check(self, name: str, ok_count: int, bad: list, what: str) -> None:
        """A pass/fail invariant: ``bad`` lists the violations."""
        if bad:
            self.add(name, "fail", len(bad), f"{what}: violated by {_examples(bad)}")
        else:
            self.add(name, "pass", ok_count, what)


def tables(b: Builder, records: list[FileRecord], part: list[Publication],
           pend: list[Publication]) -> dict:
    qa = QA()
    rows = b.clean_rows
    key_i = F["agreement_key"]

    # ---- ids ---------------------------------------------------------------------------
    def ids_for(prefix: str, pubs: list[Publication]):
        used = sorted({i for p in pubs if not _wrong(p) for i in p.row_ids})
        keys = sorted({rows[i][key_i] for i in used})
        id_of_key = {k: clean.short_hash(prefix, k) for k in keys}
        by_id = defaultdict(list)
        for k, v in id_of_key.items():
            by_id[v].append(k)
        collisions = [v for v, ks in by_id.items() if len(ks) > 1]
        return used, id_of_key, collisions

    a_used, a_id_of_key, a_coll = ids_for("A", part)
    p_used, p_id_of_key, p_coll = ids_for("P", pend)
    qa.check("agreement_ids_unique", len(a_id_of_key), a_coll,
             "every distinct agreement (state, agency, support type, signed date) has its own "
             "agreement_id (no hash collision)")
    qa.check("pending_ids_unique", len(p_id_of_key), p_coll,
             "every distinct pending request (state, agency, support type) has its own pending_id")

    part_tables = _list_tables(b, part, a_id_of_key, "agreement_id", qa, participating=True)
    pend_tables = _list_tables(b, pend, p_id_of_key, "pending_id", qa, participating=False)

    files_rows = _files_table(records)
    _qa_inputs(b, records, part, pend, qa)
    _qa_values(b, part, a_used, qa)
    _qa_values(b, pend, p_used, qa, prefix="pending_")
    _qa_outputs(part_tables, part, qa, "agreements")
    _qa_outputs(pend_tables, pend, qa, "pending")
    qa.check("every_file_accounted", len(records),
             [r.sf.relpath for r in records if not r.publication and not _excluded(r)],
             "every input file is part of a publication or excluded by a reviewed decision")

    # Pending requests later signed: the agreement with the same state, agency and support type
    # first seen earliest.
    fs = AGREEMENT_COLUMNS.index("first_seen")
    agr_by_prefix = defaultdict(list)
    for row in part_tables["entities"]:
        agr_by_prefix[(row[2], clean.agency_key(row[3]), row[6])].append(row)
    for row in pend_tables["entities"]:
        cands = agr_by_prefix.get((row[2], clean.agency_key(row[3]), row[6]), [])
        cands = sorted(cands, key=lambda r: (r[fs] or "9999", r[0]))
        row.append(cands[0][0] if cands else "")

    for label, t, pubs in (("agreements", part_tables, part), ("pending", pend_tables, pend)):
        runs = t["runs"] = _runs(t["listings"], pubs)
        pos = {p.id: k for k, p in enumerate(pubs)}
        expanded = [(pubs[k].id, r[0]) for r in runs for k in range(pos[r[1]], pos[r[2]] + 1)]
        same = len(expanded) == len(t["listings"]) and set(expanded) == set(map(tuple, t["listings"]))
        bad = [] if same else ["runs differ from listings"]
        bad += [r[0] for r in runs if pos[r[2]] - pos[r[1]] + 1 != r[3]][:5]
        qa.check(f"listing_runs_expand_exactly_{label}", len(runs), bad,
                 "the stored runs expand back to exactly the long-form listings")

    csvs = {
        "snapshots.csv": (SNAPSHOT_COLUMNS, part_tables["snapshots"]),
        "agreements.csv": (AGREEMENT_COLUMNS, part_tables["entities"]),
        "listings.csv": (["agreement_id", "first_publication", "last_publication", "n_publications"],
                         part_tables["runs"]),
        "pending_snapshots.csv": (PENDING_SNAPSHOT_COLUMNS, pend_tables["snapshots"]),
        "pending.csv": (PENDING_COLUMNS, pend_tables["entities"]),
        "pending_listings.csv": (["pending_id", "first_publication", "last_publication", "n_publications"],
                                 pend_tables["runs"]),
        "files.csv": (FILE_COLUMNS, files_rows),
        "qa.csv": (QA_COLUMNS, [[r[c] for c in QA_COLUMNS] for r in qa.rows]),
    }
    return {"csv": csvs, "qa": qa.rows, "builder": b}


def _runs(listings: list[list], pubs: list[Publication]) -> list[list]:
    """Long-form listings as runs of consecutive publications (in snapshot order)."""
    pos = {p.id: k for k, p in enumerate(pubs)}
    by_id = defaultdict(list)
    for pid, eid in listings:
        by_id[eid].append(pos[pid])
    out = []
    for eid in sorted(by_id):
        ks = sorted(by_id[eid])
        start = prev = ks[0]
        for k in ks[1:] + [None]:
            if k is None or k != prev + 1:
                out.append([eid, pubs[start].id, pubs[prev].id, prev - start + 1])
                start = k
            prev = k
    return out


def _wrong(p: Publication) -> bool:
    return any(r.wrong_columns for r in p.files)


def _excluded(r: FileRecord) -> bool:
    return r.review is not None and r.review.get("action") == "exclude"


def _list_tables(b: Builder, pubs: list[Publication], id_of_key: dict, id_col: str, qa: QA,
                 participating: bool) -> dict:
    rows = b.clean_rows
    key_i = F["agreement_key"]
    usable = [p for p in pubs if not _wrong(p)]
    trend = [p for p in usable if not p.trend_excluded]
    latest = trend[-1] if trend else None

    snapshots = []
    listings = []
    first: dict[str, Publication] = {}
    last: dict[str, Publication] = {}
    count: Counter = Counter()
    rep_row: dict[str, int] = {}
    raw_ids: dict[str, set] = defaultdict(set)
    in_latest: set = set()
    stats_memo: dict[int, tuple] = {}
    after_memo: dict[tuple, int] = {}
    # Per distinct row: its id, agency identity, Florida, support type, flagged.
    used = sorted({i for p in pubs for i in p.row_ids})
    aid_of = {i: id_of_key.get(rows[i][key_i], "") for i in used}
    agency_of = {i: (rows[i][F["state_code"]] or rows[i][F["state"]],
                     clean.agency_key(rows[i][F["agency"]])) for i in used}
    support_i, code_i, flags_i = F["support_type"], F["state_code"], F["flags"]
    signed = b.signed_date

    for p in pubs:
        ids = p.row_ids
        day = p.published_at.date()
        mk = id(ids)
        if mk not in stats_memo:
            aids = [aid_of[i] for i in ids]
            support = Counter(rows[i][support_i] for i in ids)
            by_aid: dict[str, int] = {}
            for i, aid in zip(ids, aids):
                by_aid[aid] = i  # the last row of each id on the sheet
            stats_memo[mk] = (
                sorted(by_aid.items()),
                len(ids), len(by_aid), len({agency_of[i] for i in ids}),
                sum(1 for i in ids if rows[i][code_i] == "FL"),
                [support.get(s, 0) for s in SUPPORT_COLUMNS],
                len(ids) - sum(support.get(s, 0) for s in SUPPORT_COLUMNS),
                sum(1 for i in ids if rows[i][flags_i]),
            )
        pairs, n, n_distinct, n_agencies, n_fl, per_support, other, n_flagged = stats_memo[mk]
        if (mk, day) not in after_memo:
            after_memo[(mk, day)] = sum(1 for i in ids if signed[i] is not None and signed[i] > day)
        n_after = after_memo[(mk, day)]
        rep = p.rep
        base = [
            p.id, _fmt_ts(p.published_at), _fmt_ts(p.published_at_raw), p.provenance,
            p.part_of_day, p.revision, _fmt_ts(p.captured_at), _fmt_ts(p.last_captured_at),
            rep.sf.path.name, rep.sf.sha256, len(p.files), rep.content_id,
        ]
        tail = ["|".join(rep.parsed.columns), p.stamp_corrected, p.trend_excluded,
                "; ".join(p.notes)]
        if participating:
            snapshots.append(base + [n, n_distinct, n_agencies, n_fl, *per_support, other,
                                     n_after, n_flagged] + tail)
        else:
            snapshots.append(base + [n, n_distinct, n_agencies, n_fl, *per_support, other,
                                     n_flagged] + tail)
        if _wrong(p):
            continue
        if ("raw", mk) not in after_memo:  # every row of a sheet's content counts once
            after_memo[("raw", mk)] = 1
            for i in ids:
                raw_ids[aid_of[i]].add(i)
        trend_pub = not p.trend_excluded
        pid = p.id
        for aid, i in pairs:  # sorted by id: listings come out in publication, id order
            rep_row[aid] = i  # the latest usable publication wins
            listings.append([pid, aid])
            if trend_pub:
                if aid not in first:
                    first[aid] = p
                last[aid] = p
                count[aid] += 1
        if p is latest:
            in_latest.update(aid for aid, _ in pairs)

    entities = []
    for aid in sorted(raw_ids):
        r = rows[rep_row[aid]]
        flags = set()
        raws = {f: set() for f in RAW_FIELDS}
        types, counties = set(), set()
        for i in raw_ids[aid]:
            c = rows[i]
            if c[F["flags"]]:
                flags.update(c[F["flags"]].split(";"))
            for f in RAW_FIELDS:
                if c[F[f]]:
                    raws[f].add(c[F[f]])
            if c[F["agency_type"]]:
                types.add(c[F["agency_type"]])
            if c[F["county"]]:
                counties.add(c[F["county"]].casefold())
        if not participating:
            flags = {f for f in flags if not f.startswith("signed_")}
        fp, lp = first.get(aid), last.get(aid)
        if len(types) > 1 or len(counties) > 1:  # blanks (older sheets) do not count
            flags.add("attributes_vary")
        if fp is None:
            flags.add("only_in_excluded_publications")
        if participating and r[F["signed"]] and fp is not None and \
                dt.date.fromisoformat(r[F["signed"]]) > fp.published_at.date():
            flags.add("signed_after_first_seen")
        raw_vals = [" | ".join(sorted(raws[f])) for f in RAW_FIELDS]
        common = [aid, r[F["state"]], r[F["state_code"]], r[F["agency"]], r[F["agency_type"]],
                  r[F["county"]], r[F["support_type"]]]
        seen = [_fmt_ts(fp.published_at) if fp else "", _fmt_ts(lp.published_at) if lp else "",
                fp.id if fp else "", lp.id if lp else "", count[aid], aid in in_latest]
        if participating:
            entities.append(common + [r[F["signed"]]] + raw_vals + [";".join(sorted(flags))] + seen)
        else:
            entities.append(common + raw_vals[:4] + [";".join(sorted(flags))] + seen)
    # Order: state, agency, support type, signed, id.
    entities.sort(key=lambda e: (e[1], e[3].casefold(), e[6], e[7] if participating else "", e[0]))
    return {"snapshots": snapshots, "listings": listings, "entities": entities,
            "latest": latest, "trend": trend, "in_latest": in_latest, "count": count}


def _files_table(records: list[FileRecord]) -> list[list]:
    out = []
    for r in records:
        n = r.name
        status = "excluded" if _excluded(r) else "read"
        note = []
        if r.review:
            note.append(f"reviewed: {r.review['action']}: {r.review['reason']}")
        if r.stamp_note:
            note.append(r.stamp_note)
        if r.wrong_columns:
            note.append(r.parsed.notes[0])
        out.append([
            r.archive_name, r.sf.relpath, r.sf.path.name, r.sf.sha256, n.list if n else "",
            n.form if n else "", n.provenance if n else "", n.stamp_raw if n else "",
            _fmt_ts(r.stamp) if r.stamp else "", n.part_of_day if n else "",
            n.revision if n else "", n.name_note if n else "", _fmt_ts(r.captured_at),
            r.publication, r.content_id, len(r.row_ids) if r.parsed else "", r.copy_of, status,
            "; ".join(note),
        ])
    out.sort(key=lambda row: (row[0], row[1]))
    return out


def _qa_inputs(b: Builder, records, part, pend, qa: QA) -> None:
    by = Counter((r.archive_name, r.list or "unnamed") for r in records)
    qa.add("input_files", "info", len(records),
           "files read per archive and list: " + "; ".join(f"{a}/{l}: {n}" for (a, l), n in sorted(by.items())))
    copies = [r for r in records if r.copy_of]
    qa.add("byte_identical_copies", "info", len(copies),
           "files byte-identical to an earlier file are read once and recorded in files.csv "
           "(copy_of); " + _examples(f"{r.sf.relpath} = {r.copy_of}" for r in copies))
    excl = [r for r in records if _excluded(r)]
    detail = []
    content_of = {}
    for p in pend + part:
        content_of.setdefault(p.rep.content_id, p.id)
    for r in excl:
        detail.append(f"{r.sf.relpath}: {r.review['reason']}")
    qa.add("excluded_files", "info", len(excl),
           "files excluded by a reviewed decision (ice287g/data/file_reviews.csv), never silently: "
           + _examples(detail, 4))
    # Reviewed undated files: does each one's list equal a dated publication?
    from . import sheets as sheets_mod

    found = []
    for r in excl:
        kind = "pending" if "pending" in r.sf.path.name.lower() else "participating"
        try:
            parsed = sheets_mod.read_sheet(r.sf.path, kind)
        except sheets_mod.SheetError as exc:  # unreadable by design: reported, not fatal
            found.append(f"{r.sf.relpath}: unreadable ({str(exc).split(': ', 1)[1]})")
            continue
        ids = [b._intern(row) for row in parsed.rows]
        while len(b.clean_rows) < len(b.raw_rows):
            c = clean.clean_row(b.raw_rows[len(b.clean_rows)])
            b.clean_rows.append(c)
            b.content_text.append("\x1f".join(c[:8]))
            b.signed_date.append(dt.date.fromisoformat(c[6]) if c[6] else None)
        text = "\n".join(sorted(b.content_text[i] for i in ids))
        cid = "C" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        match = content_of.get(cid)
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
                       f"{p.id} ({len(p.row_ids)} rows, captured {_fmt_ts(p.captured_at) or 'unknown'})"
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
        archives = defaultdict(set)
        for p in pubs:
            archives[p.id] = {r.archive_name for r in p.files}
        both = [pid for pid, a in archives.items() if len(a) > 1]
        qa.add(f"archives_overlap_{label}", "info", len(both),
               f"{label} publications found in more than one archive, merged by content id")
        wrong = [p for p in pubs if _wrong(p)]
        qa.add(f"wrong_columns_{label}", "info", len(wrong),
               "sheets holding the other list's columns: kept in the snapshot table, flagged "
               "trend_excluded, their rows not used: " + _examples(
                   f"{p.rep.sf.path.name} ({len(p.row_ids)} rows; same list as "
                   f"{_same_as(p, pubs + part + pend)})" for p in wrong))
        dupe = [(p.id, n) for p in pubs if (n := len(p.row_ids) - len(set(
            b.clean_rows[i][F['agreement_key']] for i in p.row_ids)))]
        qa.add(f"duplicate_rows_{label}", "info", sum(n for _, n in dupe),
               "rows repeating another row's identity (state, agency, support type, signed) in "
               "the same sheet: counted in n_agreements (rows), once in listings: "
               + _examples(f"{pid}: {n}" for pid, n in dupe))
    blank = sum(r.parsed.blank_rows for r in records if r.parsed and not r.copy_of)
    qa.add("blank_rows_skipped", "info", blank, "fully blank rows inside sheets, skipped")
    extra = [r for r in records if r.parsed and r.parsed.extra_sheets]
    qa.add("extra_sheets_ignored", "info", len(extra),
           "workbooks with further non-empty sheets (summaries); only the first sheet is the list: "
           + _examples(f"{r.sf.path.name}: {', '.join(r.parsed.extra_sheets)}" for r in extra))
    corrected = [(r, p) for p in part + pend for r in p.files if r.stamp_corrected]
    qa.add("stamps_corrected", "info", len(corrected),
           "files whose stamp their own rows contradict, corrected by the January rule (raw stamp "
           "kept in files.csv stamp_raw and, where the file represents the publication, in "
           "snapshots.published_at_raw): " + _examples(
               f"{r.sf.path.name} -> {p.id}" + (f" (also carried by {p.rep.sf.path.name})"
                                                  if r is not p.rep else "") for r, p in corrected))
    contradicted = [p for p in part if any(r.stamp_contradicted for r in p.files)]
    qa.add("stamps_contradicted", "info", len(contradicted),
           "stamps contradicted by their rows with no documented correction: kept, trend_excluded: "
           + _examples(f"{p.rep.sf.path.name}: {'; '.join(p.notes)}" for p in contradicted))
    stale = [p for p in part if any(n.startswith("stale list") for n in p.notes)]
    qa.add("stale_lists", "info", len(stale),
           "a list re-published after newer lists (the exact list of a publication at least 3 "
           "trend publications earlier): kept, trend_excluded: "
           + _examples(f"{p.rep.sf.path.name}: {'; '.join(p.notes)}" for p in stale))
    collapsed = [p for p in part if any(n.startswith("count collapsed") for n in p.notes)]
    qa.add("counts_collapsed", "info", len(collapsed),
           "publications whose count collapses against their neighbours: kept, trend_excluded: "
           + _examples(f"{p.rep.sf.path.name}: {'; '.join(p.notes)}" for p in collapsed))


def _same_as(p: Publication, pubs: list[Publication]) -> str:
    others = sorted({q.list + " " + q.id for q in pubs if q is not p and q.rep.content_id == p.rep.content_id})
    return ", ".join(others) if others else "no other publication"


def _qa_values(b: Builder, part: list[Publication], used: list[int], qa: QA,
               prefix: str = "") -> None:
    rows = b.clean_rows
    occurrences = Counter(i for p in part if not _wrong(p) for i in p.row_ids)
    flag_rows = defaultdict(Counter)
    for i, n in occurrences.items():
        for f in rows[i][F["flags"]].split(";") if rows[i][F["flags"]] else ():
            flag_rows[f][i] += n
    how = {
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
    if prefix:  # pending lists: no SIGNED column
        how = {k: v for k, v in how.items() if not k.startswith("signed")}
        flag_rows = {k: v for k, v in flag_rows.items() if not k.startswith("signed")}
    for flag in sorted(set(how) | set(flag_rows)):
        c = flag_rows.get(flag, Counter())
        examples = sorted({_describe(rows[i], flag) for i in c})
        qa.add(f"{prefix}flag_{flag}", "info", sum(c.values()),
               f"{prefix.replace('_', ' ')}rows (summed over publications) flagged {flag}; "
               f"{how.get(flag, 'flagged')}"
               + (": " + _examples(examples, 10) if examples else ""))
    if prefix:
        return
    ws = sum(n for i, n in occurrences.items() if any(
        clean.is_whitespace_changed(v) for v in b.raw_rows[i][:6]))
    qa.add("whitespace_trimmed", "info", ws,
           "rows (summed over publications) with at least one cell trimmed of stray whitespace")
    after = [(p.id, sum(1 for i in p.row_ids if b.signed_date[i] and b.signed_date[i] > p.published_at.date()))
             for p in part if not _wrong(p)]
    after = [(pid, n) for pid, n in after if n]
    qa.add("signed_after_publication", "info", sum(n for _, n in after),
           "rows whose SIGNED date is after their sheet's publication date: kept, counted in "
           "snapshots.n_signed_after_publication (and agreements flagged signed_after_first_seen): "
           + _examples(f"{pid}: {n}" for pid, n in after))
    # A fix must agree with the rest of the series: the fixed signed date is never after the
    # first publication listing the row.
    bad = []
    for p in part:
        for i in p.row_ids:
            if "signed_fixed" in rows[i][F["flags"]] and b.signed_date[i] and \
                    b.signed_date[i] > p.published_at.date():
                bad.append(f"{p.id}: {rows[i][F['agency']]} {rows[i][F['signed']]}")
    qa.check("fixed_dates_plausible", len(flag_rows.get("signed_fixed", ())), sorted(set(bad)),
             "every signed date repaired by the fixes table is on or before the publication listing it")


def _describe(row, flag: str) -> str:
    field = flag.rsplit("_", 1)[0]
    raw = row[F[field + "_raw"]] if field + "_raw" in F else ""
    val = row[F[field]] if field in F else ""
    who = f"{row[F['agency']]} ({row[F['state_code']] or row[F['state']]})"
    if raw and raw != val:
        if flag.endswith(("_fixed", "_unknown")) and not field.startswith("signed"):
            return f"{clean.squash(raw)!r} -> {val!r}"  # one example per distinct correction
        return f"{raw!r} -> {val!r} [{who}]"
    return f"{who}"


def _qa_outputs(t: dict, pubs: list[Publication], qa: QA, label: str) -> None:
    ids = {p.id for p in pubs}
    qa.check(f"publication_ids_unique_{label}", len(pubs),
             [pid for pid, n in Counter(p.id for p in pubs).items() if n > 1],
             "publication keys are unique")
    entity_ids = {e[0] for e in t["entities"]}
    bad = [r for r in t["listings"] if r[0] not in ids or r[1] not in entity_ids]
    qa.check(f"listings_reference_known_ids_{label}", len(t["listings"]), bad[:10],
             "every listing names a known publication and a known id")
    per_pub = Counter(r[0] for r in t["listings"])
    n_col = 13  # n_distinct_* column
    bad = [s[0] for s in t["snapshots"] if not any(r.wrong_columns for r in next(
        p for p in pubs if p.id == s[0]).files) and per_pub.get(s[0], 0) != s[n_col]]
    qa.check(f"snapshot_counts_match_listings_{label}", len(t["snapshots"]), bad,
             "each publication's distinct count equals its rows in the listings table")
    bad = [e[0] for e in t["entities"] if e[-6] and e[-5] and e[-6] > e[-5]]
    qa.check(f"first_seen_not_after_last_seen_{label}", len(t["entities"]), bad,
             "first_seen <= last_seen for every id")
    latest = t["latest"]
    n_latest = sum(1 for e in t["entities"] if e[-1])
    expect = len(set(r[1] for r in t["listings"] if latest and r[0] == latest.id))
    qa.check(f"latest_listing_consistent_{label}", n_latest,
             [] if n_latest == expect else [f"{n_latest} flagged vs {expect} listed"],
             f"listed_in_latest marks exactly the ids on the latest trend publication "
             f"({latest.id if latest else 'none'})")
    trend = t["trend"]
    bad = [p.id for p in trend if _wrong(p) or any(r.stamp_contradicted for r in p.files)]
    qa.check(f"trend_has_no_excluded_list_{label}", len(trend), bad,
             "no wrong-column or contradicted-stamp publication is in the trend series")
    if label == "agreements":
        from .build import COLLAPSE_SHARE, COLLAPSE_WINDOW, STAMP_CONTRADICTION_SHARE
        import statistics

        bad = []
        counts = [len(p.row_ids) for p in trend]
        for i, p in enumerate(trend):
            w = counts[max(0, i - COLLAPSE_WINDOW):i] + counts[i + 1:i + 1 + COLLAPSE_WINDOW]
            if len(w) >= 2 and counts[i] < COLLAPSE_SHARE * statistics.median(w):
                bad.append(p.id)
        qa.check("trend_has_no_collapsed_list", len(trend), bad,
                 "no publication in the trend series lists fewer than half the median of its neighbours")
        from .build import STALE_MIN_BACK

        bad, last = [], {}
        for i, p in enumerate(trend):
            cid = p.rep.content_id
            if i and cid != trend[i - 1].rep.content_id and cid in last and i - last[cid] >= STALE_MIN_BACK:
                bad.append(p.id)
            last[cid] = i
        qa.check("trend_has_no_stale_list", len(trend), bad,
                 "no publication in the trend series re-publishes a list 3 or more publications old")
        bad = []
        for p, s in zip(pubs, t["snapshots"]):
            if not p.trend_excluded and s[SNAPSHOT_COLUMNS.index("n_signed_after_publication")] > \
                    STAMP_CONTRADICTION_SHARE * len(p.row_ids):
                bad.append(p.id)
        qa.check("trend_stamps_consistent", len(trend), bad,
                 f"no publication in the trend series has more than {STAMP_CONTRADICTION_SHARE:.0%} "
                 "of rows signed after its (corrected) publication date")
