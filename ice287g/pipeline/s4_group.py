"""Stage 4: check each stamp against its rows, then group files into publications.

- A sheet is *contradicted* when more than ``STAMP_CONTRADICTION_SHARE`` of its rows were
  signed after the date in its stamp. A contradicted ICE stamp in January is read as the
  following year when, with that year, at most ``STAMP_CORRECTED_MAX_SHARE`` of its rows are
  still signed after it (ICE stamped January 2026 workbooks "2025"). Every other contradicted
  sheet keeps its stamp (``s5_trend`` keeps it out of trend lines). A pending sheet has no
  SIGNED column: it takes the correction of the participating sheet with the same stamp.
- An ICE stamp with one list is one publication however many files carried it; a stamp
  re-issued with a different list is a second publication (``-2``), ordered by capture time;
  consecutive archive captures of one list are one publication, and a run of captures
  carrying the list of the latest ICE publication stamped before it joins that publication.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from .records import FileRecord, Publication
from .s3_clean import RowStore
from .thresholds import (STAMP_AFTER_CAPTURE_DAYS, STAMP_CONTRADICTION_SHARE,
                         STAMP_CORRECTED_MAX_SHARE)


def check_stamps(records: list[FileRecord], store: RowStore) -> None:
    """Fill ``stamp`` (and the stamp flags and note) of every read record."""
    for rec in records:
        if rec.parsed is None:
            continue
        rec.stamp = rec.name.stamp
        if rec.list != "participating" or rec.wrong_columns:
            continue
        dates = [store.signed_date[i] for i in rec.row_ids]
        n = len(dates)
        day = rec.name.stamp.date()
        after = sum(1 for d in dates if d is not None and d > day)
        if after <= STAMP_CONTRADICTION_SHARE * n:
            continue
        note = f"{after} of {n} rows signed after the stamped date {day.isoformat()}"
        if rec.name.provenance == "ice_stamp" and day.month == 1:
            new = rec.name.stamp.replace(year=rec.name.stamp.year + 1)
            still = sum(1 for d in dates if d is not None and d > new.date())
            if still <= STAMP_CORRECTED_MAX_SHARE * n:
                rec.stamp = new
                rec.stamp_corrected = True
                rec.stamp_note = (f"stamp year corrected {day.year} -> {new.year}: {note}; "
                                  f"with {new.year}, {still} rows are signed after it")
                continue
        rec.stamp_contradicted = True
        rec.stamp_note = f"stamp contradicted by content: {note}"
    twins = {r.name.stamp_raw: r for r in records if r.stamp_corrected}
    for rec in records:
        if rec.parsed is None or rec.list != "pending" or rec.name.provenance != "ice_stamp":
            continue
        twin = twins.get(rec.name.stamp_raw)
        if twin is not None:
            rec.stamp = twin.stamp
            rec.stamp_corrected = True
            rec.stamp_note = (f"stamp year corrected {rec.name.stamp.year} -> {twin.stamp.year} "
                              f"like its participating twin {twin.sf.path.name}")
    check_capture_times(records)


def check_capture_times(records: list[FileRecord]) -> None:
    """An ICE stamp (after any correction) must not be later than the day after the file was
    downloaded (ICE's dates are US dates, capture times UTC): a list cannot be published after
    it was captured. Such a stamp is *contradicted*: kept as written (published_at and
    published_at_raw), noted, and kept out of trend lines by ``s5_trend``."""
    for rec in records:
        if rec.parsed is None or rec.captured_at is None or rec.name.provenance != "ice_stamp":
            continue
        latest = rec.captured_at.date() + dt.timedelta(days=STAMP_AFTER_CAPTURE_DAYS)
        if rec.stamp.date() > latest:
            rec.stamp_contradicted = True
            rec.stamp_note = "; ".join(filter(None, [rec.stamp_note, (
                f"stamp contradicted by capture time: stamped {rec.stamp.date().isoformat()}, "
                f"after the file was downloaded at {rec.captured_at.isoformat()} UTC")]))


def _rev_rank(revision: str) -> int:
    return 0 if revision in ("", "copy") else 1


def group(records: list[FileRecord], list_name: str) -> list[Publication]:
    """The publications of one list, in time order; fills each record's ``publication``.

    Each publication's notes start with its files' stamp notes; ``s5_trend`` adds the rest.
    """
    recs = [r for r in records if r.parsed is not None and r.list == list_name]
    pubs: list[Publication] = []
    # ICE stamps: one publication per (stamp, list content).
    by_stamp: dict[dt.datetime, dict[str, list[FileRecord]]] = defaultdict(lambda: defaultdict(list))
    for r in recs:
        if r.name.provenance == "ice_stamp":
            by_stamp[r.stamp][r.content_id].append(r)
    never = dt.datetime.max
    for stamp, contents in by_stamp.items():
        items = []
        for cid, rs in contents.items():
            rs.sort(key=lambda r: (r.captured_at or never, _rev_rank(r.name.revision),
                                   r.stamp_corrected, r.sf.relpath, r.archive_name))
            rank = min(_rev_rank(r.name.revision) for r in rs)
            first = min((r.captured_at for r in rs if r.captured_at), default=None)
            items.append({"rank": rank, "first": first or never, "cid": cid, "files": rs})
        # Original (unrevised) names first, then by first capture, then by content.
        items.sort(key=lambda it: (it["rank"], it["first"], it["cid"]))
        for k, rs in enumerate(it["files"] for it in items):
            rep = rs[0]
            part = rep.name.part_of_day
            pid = stamp.strftime("%Y%m%d") + (part or "x") + (f"-{k + 1}" if k else "")
            caps = [r.captured_at for r in rs if r.captured_at]
            revs = sorted({r.name.revision for r in rs if r.name.revision})
            pubs.append(Publication(
                pid, list_name, stamp, rep.name.stamp, "ice_stamp", part, ";".join(revs), rs,
                order=(stamp, k), captured_at=min(caps) if caps else None,
                last_captured_at=max(caps) if caps else None,
                stamp_corrected=rep.stamp_corrected,
            ))
    # Archive captures: consecutive captures carrying the same list are one publication.
    caps = sorted((r for r in recs if r.name.provenance == "archive_capture"),
                  key=lambda r: (r.name.stamp, r.sf.relpath, r.archive_name))
    ice_pubs = sorted(pubs, key=lambda p: (p.order, p.id))
    run: list[FileRecord] = []
    for r in caps + [None]:
        if run and (r is None or r.content_id != run[-1].content_id):
            rep = run[0]
            before = [p for p in ice_pubs if p.published_at <= rep.name.stamp]
            if before and before[-1].rep.content_id == rep.content_id:
                # A re-capture of that ICE publication: its files join it.
                host = before[-1]
                host.files.extend(run)
                caps_all = [f.captured_at for f in host.files if f.captured_at]
                host.captured_at, host.last_captured_at = min(caps_all), max(caps_all)
            else:
                pubs.append(Publication(
                    "c" + rep.name.stamp.strftime("%Y%m%dT%H%M%S"), list_name, rep.name.stamp,
                    rep.name.stamp, "archive_capture", "", "", list(run),
                    order=(rep.name.stamp, 0), captured_at=rep.name.stamp,
                    last_captured_at=run[-1].name.stamp,
                ))
            run = []
        if r is not None:
            run.append(r)
    pubs.sort(key=lambda p: (p.order, p.id))
    for p in pubs:
        for r in p.files:
            r.publication = p.id
        for r in p.files:
            note = r.stamp_note if r is p.rep else f"{r.sf.path.name}: {r.stamp_note}"
            if r.stamp_note and note not in p.notes:
                p.notes.append(note)
    return pubs
