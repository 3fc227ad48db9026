"""Stage 6: derive the output tables from the publications: snapshots, agreements (or pending
requests), listings stored as runs, and files. Rows are dicts keyed by the column names of
``schema.py``; the writer orders them by the schema."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .records import FileRecord, Publication
from .s3_clean import RAW_FIELDS, RowStore, normalise_agency, short_hash
from .schema import SUPPORT_COLUMNS


def fmt_ts(value: dt.datetime | None) -> str:
    """A timestamp as the outputs write it (``YYYY-MM-DDTHH:MM:SS``; blank for none)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""


def last_capture(p: Publication) -> str:
    """The last time a list was seen: the last capture (download or Internet Archive capture)
    of a file carrying publication ``p``, or its ``published_at`` when no file of it has a
    capture time (ICE-named files from folders without one)."""
    return fmt_ts(p.last_captured_at or p.published_at)


@dataclass
class ListTables:
    """The tables of one list (participating or pending)."""

    list: str
    id_col: str  # agreement_id or pending_id
    snapshots: list[dict] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)
    listings: list[tuple[str, str]] = field(default_factory=list)  # (publication, id)
    runs: list[dict] = field(default_factory=list)
    trend: list[Publication] = field(default_factory=list)
    latest: Publication | None = None
    used_rows: list[int] = field(default_factory=list)  # rows of usable publications
    id_of_key: dict[str, str] = field(default_factory=dict)
    collisions: list[str] = field(default_factory=list)  # ids two keys hash to


def assign_ids(pubs: list[Publication], store: RowStore, prefix: str) -> tuple[list[int], dict, list]:
    """(rows used, agreement key -> id, colliding ids) over the usable publications."""
    used = sorted({i for p in pubs if not p.wrong_columns for i in p.row_ids})
    keys = sorted({store.clean_rows[i].agreement_key for i in used})
    id_of_key = {k: short_hash(prefix, k) for k in keys}
    by_id = defaultdict(list)
    for k, v in id_of_key.items():
        by_id[v].append(k)
    return used, id_of_key, [v for v, ks in by_id.items() if len(ks) > 1]


def derive_list(pubs: list[Publication], store: RowStore, list_name: str) -> ListTables:
    """Snapshots, entities and listings of one list's publications (trend flags applied)."""
    participating = list_name == "participating"
    t = ListTables(list_name, "agreement_id" if participating else "pending_id")
    t.used_rows, t.id_of_key, t.collisions = assign_ids(pubs, store, "A" if participating else "P")
    rows = store.clean_rows
    t.trend = [p for p in pubs if not p.wrong_columns and not p.trend_excluded]
    t.latest = t.trend[-1] if t.trend else None

    first: dict[str, Publication] = {}
    last: dict[str, Publication] = {}
    count: Counter = Counter()
    rep_row: dict[str, int] = {}
    raw_ids: dict[str, set] = defaultdict(set)
    in_latest: set = set()
    stats_memo: dict[int, dict] = {}
    pairs_memo: dict[int, list] = {}
    seen_content: set[int] = set()
    every = sorted({i for p in pubs for i in p.row_ids})
    aid_of = {i: t.id_of_key.get(rows[i].agreement_key, "") for i in every}
    agency_of = {i: (rows[i].state_code or rows[i].state, normalise_agency(rows[i].agency))
                 for i in every}
    signed = store.signed_date
    n_col, nd_col = ("n_agreements", "n_distinct_agreements") if participating else \
        ("n_requests", "n_distinct_requests")

    for p in pubs:
        ids = p.row_ids
        mk = id(ids)
        if mk not in stats_memo:
            support = Counter(rows[i].support_type for i in ids)
            by_aid = dict(zip(map(aid_of.__getitem__, ids), ids))  # the last row of each id
            pairs_memo[mk] = sorted(by_aid.items())
            stats = {
                n_col: len(ids), nd_col: len(by_aid),
                "n_agencies": len({agency_of[i] for i in ids}),
                "n_florida": sum(1 for i in ids if rows[i].state_code == "FL"),
                **{col: support.get(label, 0) for label, col in SUPPORT_COLUMNS.items()},
                "n_support_type_other": len(ids) - sum(support.get(s, 0) for s in SUPPORT_COLUMNS),
                "n_flagged_rows": sum(1 for i in ids if rows[i].flags),
            }
            stats_memo[mk] = stats
        rep = p.rep
        snap = {
            "publication": p.id, "published_at": fmt_ts(p.published_at),
            "published_at_raw": fmt_ts(p.published_at_raw), "stamp_provenance": p.provenance,
            "part_of_day": p.part_of_day, "revision": p.revision,
            "captured_at": fmt_ts(p.captured_at), "last_captured_at": fmt_ts(p.last_captured_at),
            "file": rep.sf.path.name, "sha256": rep.sf.sha256, "n_files": len(p.files),
            "content_id": rep.content_id, **stats_memo[mk],
            "columns": "|".join(rep.parsed.columns), "stamp_corrected": p.stamp_corrected,
            "trend_excluded": p.trend_excluded, "qa_note": "; ".join(p.notes),
        }
        if participating:
            day = p.published_at.date()
            snap["n_signed_after_publication"] = sum(
                1 for i in ids if signed[i] is not None and signed[i] > day)
        t.snapshots.append(snap)
        if p.wrong_columns:
            continue
        if mk not in seen_content:  # every row of a sheet's content counts once
            seen_content.add(mk)
            for i in ids:
                raw_ids[aid_of[i]].add(i)
        trend_pub = not p.trend_excluded
        pairs = pairs_memo[mk]  # sorted by id: listings come out in publication, id order
        aids = [aid for aid, _ in pairs]
        rep_row.update(pairs)  # the latest usable publication wins
        pid = p.id
        t.listings.extend([(pid, aid) for aid in aids])
        if trend_pub:
            first.update({aid: p for aid in aids if aid not in first})
            last.update(dict.fromkeys(aids, p))
            count.update(aids)
        if p is t.latest:
            in_latest.update(aid for aid, _ in pairs_memo[mk])

    ts_of: dict[str, str] = {}  # publication id -> published_at as written (formatted once)
    for aid in sorted(raw_ids):
        r = rows[rep_row[aid]]
        members = raw_ids[aid]
        if len(members) == 1:  # most agreements: one raw form (the same values as below)
            c = rows[next(iter(members))]
            flags = set(c.flags.split(";")) if c.flags else set()
            raw_text = {f: getattr(c, f) for f in RAW_FIELDS}
            vary = False
        else:
            flags = set()
            raws = {f: set() for f in RAW_FIELDS}
            types, counties = set(), set()
            for i in members:
                c = rows[i]
                if c.flags:
                    flags.update(c.flags.split(";"))
                for f in RAW_FIELDS:
                    v = getattr(c, f)
                    if v:
                        raws[f].add(v)
                if c.agency_type:
                    types.add(c.agency_type)
                if c.county:
                    counties.add(c.county.casefold())
            raw_text = {f: " | ".join(sorted(raws[f])) for f in RAW_FIELDS}
            vary = len(types) > 1 or len(counties) > 1  # blanks (older sheets) do not count
        if not participating:
            flags = {f for f in flags if not f.startswith("signed_")}
        fp, lp = first.get(aid), last.get(aid)
        for p in (fp, lp):
            if p is not None and p.id not in ts_of:
                ts_of[p.id] = fmt_ts(p.published_at)
        if vary:
            flags.add("attributes_vary")
        if fp is None:
            flags.add("only_in_excluded_publications")
        if participating and r.signed and fp is not None and \
                dt.date.fromisoformat(r.signed) > fp.published_at.date():
            flags.add("signed_after_first_seen")
        t.entities.append({
            t.id_col: aid, "state": r.state, "state_code": r.state_code, "agency": r.agency,
            "agency_type": r.agency_type, "county": r.county, "support_type": r.support_type,
            "signed": r.signed, **raw_text,
            "flags": ";".join(sorted(flags)),
            "first_seen": ts_of[fp.id] if fp else "",
            "last_seen": ts_of[lp.id] if lp else "",
            "last_captured": last_capture(lp) if lp else "",
            "first_publication": fp.id if fp else "", "last_publication": lp.id if lp else "",
            "n_snapshots": count[aid], "listed_in_latest": aid in in_latest,
        })
    # Order: state, agency, support type, signed, id.
    t.entities.sort(key=lambda e: (e["state"], e["agency"].casefold(), e["support_type"],
                                   e["signed"] if participating else "", e[t.id_col]))
    t.runs = encode_runs(t.listings, [p.id for p in pubs], t.id_col)
    return t


def link_pending(part: ListTables, pend: ListTables) -> None:
    """Pending requests later signed: ``agreement_id`` of the agreement with the same state,
    agency and support type, first seen earliest (blank when none)."""
    by_prefix = defaultdict(list)
    for a in part.entities:
        by_prefix[(a["state_code"], normalise_agency(a["agency"]), a["support_type"])].append(a)
    for e in pend.entities:
        cands = by_prefix.get((e["state_code"], normalise_agency(e["agency"]), e["support_type"]), [])
        cands = sorted(cands, key=lambda a: (a["first_seen"] or "9999", a["agreement_id"]))
        e["agreement_id"] = cands[0]["agreement_id"] if cands else ""


def encode_runs(listings: list[tuple[str, str]], order: list[str], id_col: str) -> list[dict]:
    """THE run encoder: long-form (publication, id) pairs as runs of consecutive publications
    of ``order`` (its inverse is ``expand_runs``)."""
    pos = {pid: k for k, pid in enumerate(order)}
    by_id = defaultdict(list)
    for pid, eid in listings:
        by_id[eid].append(pos[pid])
    out = []
    for eid in sorted(by_id):
        ks = sorted(set(by_id[eid]))
        start = prev = ks[0]
        for k in ks[1:] + [None]:
            if k is None or k != prev + 1:
                out.append({id_col: eid, "first_publication": order[start],
                            "last_publication": order[prev], "n_publications": prev - start + 1})
                start = k
            prev = k
    return out


def expand_runs(runs, order: list[str], id_col: str = "agreement_id", *,
                start: str = "first_publication", end: str = "last_publication"):
    """THE run decoder: presence stored as runs -> long form (``publication``, ``id_col``).

    A run says an id was on every publication from ``start`` to ``end`` inclusive, in the
    order ``order`` (every publication, trend-excluded ones included). The inverse of
    ``encode_runs``. Rows come out in publication order, then id.
    Raises ``ValueError`` naming the ids when a run names an unknown publication, ends before
    it starts, or disagrees with its ``n_publications``.
    """
    import numpy as np
    import pandas as pd

    missing = [c for c in (id_col, start, end) if c not in runs.columns]
    if missing:
        raise ValueError(f"runs lack the column(s) {', '.join(missing)}")
    pos = {key: i for i, key in enumerate(order)}
    unknown = (set(runs[start]) | set(runs[end])) - set(pos)
    if unknown:
        raise ValueError(f"runs name publications missing from the order: {sorted(unknown)[:5]}")
    first = runs[start].map(pos).to_numpy(dtype="int64")
    last = runs[end].map(pos).to_numpy(dtype="int64")
    if (last < first).any():
        bad = runs.loc[last < first, id_col].tolist()
        raise ValueError(f"runs end before they start for {id_col} {bad[:5]}")
    lengths = last - first + 1
    if "n_publications" in runs.columns:
        wrong = runs["n_publications"].to_numpy(dtype="int64") != lengths
        if wrong.any():
            raise ValueError(f"n_publications disagrees with the run for {id_col} "
                             f"{runs.loc[wrong, id_col].tolist()[:5]}")
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    index = np.repeat(first, lengths) + offsets
    out = pd.DataFrame({"publication": np.asarray(order, dtype=object)[index],
                        id_col: np.repeat(runs[id_col].to_numpy(dtype=object), lengths)})
    out["_o"] = index
    out = out.sort_values(["_o", id_col], kind="stable").drop(columns="_o").reset_index(drop=True)
    return out.astype({"publication": "str", id_col: "str"})


def files_table(records: list[FileRecord]) -> list[dict]:
    """One row per input file, ordered by archive and path."""
    out = []
    for r in records:
        n = r.name
        note = []
        if r.review:
            note.append(f"reviewed: {r.review['action']}: {r.review['reason']}")
        if r.stamp_note:
            note.append(r.stamp_note)
        if r.wrong_columns:
            note.append(r.parsed.notes[0])
        out.append({
            "archive": r.archive_name, "path": r.sf.relpath, "file": r.sf.path.name,
            "sha256": r.sf.sha256, "list": n.list if n else "", "form": n.form if n else "",
            "stamp_provenance": n.provenance if n else "", "stamp_raw": n.stamp_raw if n else "",
            "stamp": fmt_ts(r.stamp), "part_of_day": n.part_of_day if n else "",
            "revision": n.revision if n else "", "name_note": n.name_note if n else "",
            "captured_at": fmt_ts(r.captured_at), "publication": r.publication,
            "content_id": r.content_id, "n_rows": len(r.row_ids) if r.parsed else "",
            "copy_of": r.copy_of, "status": "excluded" if r.excluded else "read",
            "note": "; ".join(note),
        })
    out.sort(key=lambda row: (row["archive"], row["path"]))
    return out
