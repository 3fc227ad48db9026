"""Stage 6: derive the output tables from the publications: snapshots, agreements (or pending
requests), listings stored as runs, and files. Rows are dicts keyed by the column names of
``schema.py``; the writer orders them by the schema."""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .records import FileRecord, Publication
from .s3_clean import (NO_FIXES, RAW_FIELDS, CleanRow, Fixes, RowStore, fix_link,
                       normalise_agency, short_hash)
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
    #: (moa_url, addendum_url) of each listing, parallel to ``listings`` (participating)
    listing_links: list[tuple[str, str]] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    trend: list[Publication] = field(default_factory=list)
    latest: Publication | None = None
    used_rows: list[int] = field(default_factory=list)  # rows of usable publications
    id_of_key: dict[str, str] = field(default_factory=dict)
    collisions: list[str] = field(default_factory=list)  # ids two keys hash to
    #: (state_code, normalise_agency(agency), support_type) of each entity, in the order
    #: derive_list leaves ``entities`` (link_pending's key)
    link_keys: list[tuple[str, str, str]] = field(default_factory=list)


def assign_ids(pubs: list[Publication], store: RowStore, prefix: str) -> tuple[list[int], dict, list]:
    """(rows used, agreement key -> id, colliding ids) over the usable publications."""
    used = sorted(set().union(*_distinct_lists(p.row_ids for p in pubs if not p.wrong_columns)))
    keys = set(map(_KEY, map(store.clean_rows.__getitem__, used)))
    id_of_key = {k: short_hash(prefix, k) for k in keys}
    if len(set(id_of_key.values())) == len(id_of_key):
        return used, id_of_key, []
    id_of_key = {k: id_of_key[k] for k in sorted(keys)}  # collisions named in key order
    return used, id_of_key, [v for v, n in Counter(id_of_key.values()).items() if n > 1]


def _distinct_lists(lists) -> list[list[int]]:
    """Each list object once (byte-identical files share one ``row_ids`` list)."""
    seen: dict[int, list[int]] = {}
    for ids in lists:
        seen.setdefault(id(ids), ids)
    return list(seen.values())


#: The order derive_list unpacks a cleaned row in (checked at import).
_ROW_ORDER = ("state", "state_code", "agency", "agency_type", "county", "support_type",
              "signed", "addendum", "state_raw", "agency_raw", "agency_type_raw",
              "support_type_raw", "signed_raw", "flags", "agreement_key")
if CleanRow._fields != _ROW_ORDER:
    raise ImportError("s3_clean.CleanRow's fields changed: update derive_list's unpacking")

_KEY = operator.attrgetter("agreement_key")
_SUPPORT = operator.attrgetter("support_type")
_CODE = operator.attrgetter("state_code")
_FLAGS = operator.attrgetter("flags")


def derive_list(pubs: list[Publication], store: RowStore, list_name: str) -> ListTables:
    """Snapshots, entities and listings of one list's publications (trend flags applied).

    Linear in the rows: each distinct sheet content (``row_ids`` list) is counted once, with
    C-level passes (``map``, ``Counter``, ``dict.fromkeys``) wherever a loop would be per row.
    """
    participating = list_name == "participating"
    t = ListTables(list_name, "agreement_id" if participating else "pending_id")
    t.used_rows, t.id_of_key, t.collisions = assign_ids(pubs, store, "A" if participating else "P")
    rows = store.clean_rows
    t.trend = [p for p in pubs if not p.wrong_columns and not p.trend_excluded]
    t.latest = t.trend[-1] if t.trend else None

    # Per publication, as the entities write it: (id, published_at, last capture, day).
    info = {id(p): (p.id, fmt_ts(p.published_at), last_capture(p), p.published_at.date())
            for p in pubs}
    last: dict[str, tuple] = {}  # id -> info of the last trend publication listing it
    count: Counter = Counter()
    rep_row: dict[str, int] = {}  # id -> its row on the latest usable publication listing it
    one_row: dict[str, int] = {}  # id -> the first raw form seen (usable publications) ...
    more_rows: dict[str, set] = {}  # ... and every form, for the ids with more than one
    in_latest: set = set()
    link_at: dict[str, Publication] = {}  # id -> the latest usable publication listing it
    pub_links: dict[int, dict] = {}  # id(publication) -> {id: (moa_url, addendum_url)}
    memo: dict[int, tuple] = {}  # id(row_ids) -> (stats, id per row, last row per id, ids)
    seen_content: set[int] = set()
    trend_ids: list[tuple[tuple, list[str]]] = []
    every = set().union(*_distinct_lists(p.row_ids for p in pubs))
    id_of_key, norm = t.id_of_key, store.agency_norm
    aid_of = {i: id_of_key.get(rows[i].agreement_key, "") for i in every}
    agency_of = {i: (rows[i].state_code or rows[i].state, norm[i]) for i in every}
    signed = store.signed_date
    n_col, nd_col = ("n_agreements", "n_distinct_agreements") if participating else \
        ("n_requests", "n_distinct_requests")

    for p in pubs:
        ids = p.row_ids
        mk = id(ids)
        if mk not in memo:
            sel = list(map(rows.__getitem__, ids))
            row_aids = list(map(aid_of.__getitem__, ids))
            by_aid = dict(zip(row_aids, ids))  # the last row of each id
            support = Counter(map(_SUPPORT, sel))
            stats = {
                # a wrong-columns sheet's rows have no id (""): it lists no agreement
                n_col: len(ids), nd_col: len(by_aid) - ("" in by_aid),
                "n_agencies": len(set(map(agency_of.__getitem__, ids))),
                "n_florida": list(map(_CODE, sel)).count("FL"),
                **{col: support.get(label, 0) for label, col in SUPPORT_COLUMNS.items()},
                "n_support_type_other": len(ids) - sum(support.get(s, 0) for s in SUPPORT_COLUMNS),
                "n_flagged_rows": len(ids) - list(map(_FLAGS, sel)).count(""),
            }
            # sorted by id: listings come out in publication, id order
            memo[mk] = (stats, row_aids, by_aid, sorted(by_aid))
        stats, row_aids, by_aid, aids = memo[mk]
        rep = p.rep
        if participating and not p.wrong_columns:
            # ICE's document links of each id on this list (its last row, as by_aid)
            links = publication_links(rep, row_aids, store.fixes)
            link_at.update(dict.fromkeys(aids, p))  # the latest usable publication wins
            t.listing_links.extend(map(links.__getitem__, aids))
            pub_links[id(p)] = links
        snap = {
            "publication": p.id, "published_at": fmt_ts(p.published_at),
            "published_at_raw": fmt_ts(p.published_at_raw), "stamp_provenance": p.provenance,
            "part_of_day": p.part_of_day, "revision": p.revision,
            "captured_at": fmt_ts(p.captured_at), "last_captured_at": fmt_ts(p.last_captured_at),
            "file": rep.sf.path.name, "sha256": rep.sf.sha256, "n_files": len(p.files),
            "content_id": rep.content_id, **stats,
            "columns": "|".join(rep.parsed.columns), "stamp_corrected": p.stamp_corrected,
            "trend_excluded": p.trend_excluded, "qa_note": "; ".join(p.notes),
        }
        if participating:
            day = p.published_at.date()
            snap["n_signed_after_publication"] = sum(
                1 for d in map(signed.__getitem__, ids) if d is not None and d > day)
        t.snapshots.append(snap)
        if p.wrong_columns:
            continue
        if mk not in seen_content:  # every row of a sheet's content counts once
            seen_content.add(mk)
            setdefault = one_row.setdefault
            for aid, i in zip(row_aids, ids):
                j = setdefault(aid, i)
                if j != i:
                    more_rows.setdefault(aid, {j}).add(i)
        rep_row.update(by_aid)  # the latest usable publication wins
        t.listings.extend(zip(itertools.repeat(p.id), aids))
        if not p.trend_excluded:
            trend_ids.append((info[id(p)], aids))
            last.update(dict.fromkeys(aids, info[id(p)]))
            count.update(aids)
        if p is t.latest:
            in_latest.update(aids)
    first: dict[str, tuple] = {}  # id -> info of the earliest trend publication listing it
    for pinfo, aids in reversed(trend_ids):
        first.update(dict.fromkeys(aids, pinfo))

    none = ("", "", "", None)  # no trend publication
    keyed = []  # (sort key, entity)
    for aid, k in rep_row.items():
        (state, code, agency, typ, county, support, signed_on, _addendum, state_raw,
         agency_raw, typ_raw, support_raw, signed_raw, row_flags, _key) = rows[k]
        members = more_rows.get(aid)
        raw_text = None
        if members is None:  # most agreements: one raw form (the same values as below)
            flags = row_flags.split(";") if row_flags else []
            vary = False
        else:
            flags = []
            raws = {f: set() for f in RAW_FIELDS}
            types, counties = set(), set()
            for i in members:
                c = rows[i]
                if c.flags:
                    flags.extend(c.flags.split(";"))
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
        if not participating and flags:
            flags = [f for f in flags if not f.startswith("signed_")]
        fp, lp = first.get(aid, none), last.get(aid, none)
        if vary:
            flags.append("attributes_vary")
        if fp is none:
            flags.append("only_in_excluded_publications")
        elif participating and signed_on and signed[k] > fp[3]:
            flags.append("signed_after_first_seen")
        e = {
            t.id_col: aid, "state": state, "state_code": code, "agency": agency,
            "agency_type": typ, "county": county, "support_type": support,
            "signed": signed_on, "state_raw": state_raw, "agency_raw": agency_raw,
            "agency_type_raw": typ_raw, "support_type_raw": support_raw,
            "signed_raw": signed_raw,
            "flags": ";".join(sorted(set(flags))) if flags else "",
            "first_seen": fp[1], "last_seen": lp[1], "last_captured": lp[2],
            "first_publication": fp[0], "last_publication": lp[0],
            "n_snapshots": count[aid], "listed_in_latest": aid in in_latest,
        }
        if participating:
            e["moa_url"], e["addendum_url"] = pub_links[id(link_at[aid])][aid]
        if raw_text is not None:
            e.update(raw_text)
        keyed.append(((state, agency.casefold(), support, signed_on if participating else "",
                       aid), e, (code, norm[k], support)))
    # Order: state, agency, support type, signed, id (unique: a total order).
    keyed.sort(key=_FIRST)
    t.entities = [e for _, e, _ in keyed]
    t.link_keys = [lk for _, _, lk in keyed]
    if participating:
        t.runs = encode_link_runs(t.listings, t.listing_links, [p.id for p in pubs])
    else:
        t.runs = encode_runs(t.listings, [p.id for p in pubs], t.id_col)
    return t


def publication_links(rep: FileRecord, row_aids: list[str], fixes: Fixes = NO_FIXES
                      ) -> dict[str, tuple[str, str]]:
    """id -> (moa_url, addendum_url) on the sheet of ``rep`` (the file representing a
    publication): ICE's links of the id's last row (the row ``derive_list`` takes), "" where
    the sheet has no such column or the cell no link; a link the reviewed ``fixes`` map is
    read as ICE's (``s3_clean.fix_link``)."""
    parsed = rep.parsed
    n = len(row_aids)
    moa = parsed.moa_links if len(parsed.moa_links) == n else [""] * n
    add = parsed.addendum_links if len(parsed.addendum_links) == n else [""] * n
    moa = [fix_link("moa", u, fixes) for u in moa]
    add = [fix_link("addendum", u, fixes) for u in add]
    return dict(zip(row_aids, zip(moa, add)))


_SEP = "\x1f"


def encode_link_runs(listings: list[tuple[str, str]], links: list[tuple[str, str]],
                     order: list[str]) -> list[dict]:
    """Runs of an agreement's consecutive publications that carry the same document links:
    ``encode_runs`` of (id, moa_url, addendum_url), so a run ends where ICE changed the link.
    Rows come out by id, then run start, each with its ``moa_url`` and ``addendum_url``."""
    keyed = [(pid, _SEP.join((aid, moa, add))) for (pid, aid), (moa, add) in zip(listings, links)]
    pos = {pid: k for k, pid in enumerate(order)}
    out = []
    for r in encode_runs(keyed, order, "key"):
        aid, moa, add = r.pop("key").split(_SEP)
        out.append({"agreement_id": aid, **r, "moa_url": moa, "addendum_url": add})
    out.sort(key=lambda r: (r["agreement_id"], pos[r["first_publication"]]))
    return out


_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)


def link_pending(part: ListTables, pend: ListTables) -> None:
    """Pending requests later signed: ``agreement_id`` of the agreement with the same state,
    agency and support type, first seen earliest (blank when none)."""
    part_keys, pend_keys = _link_keys(part), _link_keys(pend)
    wanted = set(pend_keys)
    by_prefix = defaultdict(list)  # only the agreements some pending request may match
    for k in itertools.compress(range(len(part_keys)), map(wanted.__contains__, part_keys)):
        by_prefix[part_keys[k]].append(part.entities[k])
    for e, key in zip(pend.entities, pend_keys):
        cands = by_prefix.get(key)
        if not cands:
            e["agreement_id"] = ""
            continue
        if len(cands) > 1:
            cands = sorted(cands, key=lambda a: (a["first_seen"] or "9999", a["agreement_id"]))
        e["agreement_id"] = cands[0]["agreement_id"]


def _link_keys(t: ListTables) -> list[tuple[str, str, str]]:
    """``t.link_keys``, or (a table not made by derive_list) the same keys worked out."""
    if len(t.link_keys) == len(t.entities):
        return t.link_keys
    return [(e["state_code"], normalise_agency(e["agency"]), e["support_type"])
            for e in t.entities]


def encode_runs(listings: list[tuple[str, str]], order: list[str], id_col: str) -> list[dict]:
    """THE run encoder: long-form (publication, id) pairs as runs of consecutive publications
    of ``order`` (its inverse is ``expand_runs``). Rows come out by id, then run start.

    Walks ``order`` once with set operations: at each publication the ids not on it close
    their run and the ids new on it open one, so the Python-level work is per run, not per
    pair (a list of 100,000 ids on many consecutive publications is one set difference each).
    """
    pos = {pid: k for k, pid in enumerate(order)}
    on: dict[str, set] = {}  # publication -> the ids listed on it
    for pid, pairs in itertools.groupby(listings, key=_FIRST):
        if pid not in pos:
            raise KeyError(pid)
        on.setdefault(pid, set()).update(map(_SECOND, pairs))
    runs: list[tuple[str, int, int]] = []  # (id, first position, last position)
    open_: dict[str, int] = {}  # id -> position its current run started at
    for k, pid in enumerate(order):
        ids = on.get(pid, ())
        if open_:
            ended = open_.keys() - ids
            if ended:
                runs.extend((eid, open_.pop(eid), k - 1) for eid in ended)
        if ids:
            new = ids - open_.keys()
            if new:
                open_.update(dict.fromkeys(new, k))
    end = len(order) - 1
    runs.extend((eid, start, end) for eid, start in open_.items())
    # Each id's runs were added in the order they start: a stable sort on the id is enough.
    runs.sort(key=_FIRST)
    return [{id_col: eid, "first_publication": order[a], "last_publication": order[b],
             "n_publications": b - a + 1} for eid, a, b in runs]


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
    # As object arrays: iterating a pandas string column element by element is slow.
    starts = runs[start].to_numpy(dtype=object)
    ends = runs[end].to_numpy(dtype=object)
    unknown = (set(starts) | set(ends)) - pos.keys()
    if unknown:
        raise ValueError(f"runs name publications missing from the order: {sorted(unknown)[:5]}")
    first = np.fromiter(map(pos.__getitem__, starts), dtype="int64", count=len(starts))
    last = np.fromiter(map(pos.__getitem__, ends), dtype="int64", count=len(ends))
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
    ids = runs[id_col].to_numpy(dtype=object)
    out = pd.DataFrame({"publication": np.asarray(order, dtype=object)[index],
                        id_col: np.repeat(ids, lengths)})
    if runs[id_col].is_monotonic_increasing:
        # Runs by id (as encode_runs writes them): a stable sort on the position alone keeps
        # each position's rows in id order, the order sorting on (position, id) gives.
        out = out.take(np.argsort(index, kind="stable")).reset_index(drop=True)
    else:
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
            note.append(f"not read: {r.review['reason']}" if r.review.get("rule") else
                        f"reviewed: {r.review['action']}: {r.review['reason']}")
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
