"""What changed between two states of ICE's 287(g) list.

``python -m ice287g diff OLD_PROCESSED_DIR NEW_PROCESSED_DIR`` compares the latest trend
publication of two processed folders (``data/processed/`` before and after an update) and
prints a Markdown summary: agreements and Florida agreements before and after, every agreement
that joined and left (agency, state, support type, signing date), rows ICE edited (a removal
and an addition that :func:`ice287g.churn.match_changed_records` pairs as the same
agreement edited), publications added or gone, and QA checks that are new or changed. When
nothing changed it prints ``no change``.

The book's "What changed" page calls :func:`latest_change` on one folder (the last two trend
publications), the same computation without the QA comparison. :func:`freshness` gives the
date of the latest list and when the data was last checked against ICE's page (the latest
row of ``data/update-checks.csv``, written by ``python -m ice287g fetch --record``).

Counts follow the book: an agreement is a distinct ``agreement_id`` on a list (a row ICE
repeats counts once), Florida is ``state_code`` FL.

Language: the tables and sentences the book shows (:func:`display_tables`, :func:`recent_table`,
:class:`Freshness`; publications as :func:`ice287g.words.publication_label` writes them, dates
as :func:`ice287g.i18n.format_date` does) are written in the ``lang`` given (None: the language
in use, :func:`ice287g.i18n.resolve`); the CLI summary (:func:`to_markdown`) and the update
procedure's messages are always English.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import churn, i18n, load, words
from .fetch import CHECK_COLUMNS  # the columns of data/update-checks.csv, as fetch writes it
from .i18n import tr
from .load import AID, PUB, WHEN

#: Agreement attributes carried into the tables (and compared for edited rows).
ATTRS = ("state", "state_code", "agency", "agency_type", "county", "support_type", "signed",
         "flags", "moa_url")
#: Attributes an edit can change (shown in "what changed").
EDITABLE = ("state", "agency", "agency_type", "county", "support_type", "signed")
#: Files a processed folder must hold for a comparison.
REQUIRED = ("datapackage.json", "snapshots.csv", "agreements.csv", "listings.csv",
            "pending_snapshots.csv", "pending.csv", "pending_listings.csv", "qa.csv")
PID = "pending_id"
NO_CHANGE = "no change"
#: QA checks that only count input files: when nothing but their counts differ, the new files
#: carry lists the data already has (ICE re-saving an unchanged workbook), which is no change.
FILE_ONLY_CHECKS = frozenset({
    "input_files", "byte_identical_copies", "every_file_accounted",
    "same_list_many_files_participating", "same_list_many_files_pending",
    "archives_overlap_participating", "archives_overlap_pending",
})


class DiffError(Exception):
    """A folder cannot be compared (missing file, no publication); the message names it."""


# --------------------------------------------------------------------------- one folder
@dataclass
class Side:
    """One processed folder, loaded once."""

    folder: Path | None
    ds: load.Dataset
    pending: pd.DataFrame           # pending_snapshots.csv
    qa: pd.DataFrame
    requests: pd.DataFrame = field(default_factory=pd.DataFrame)          # pending.csv
    request_listings: pd.DataFrame = field(default_factory=pd.DataFrame)  # long form

    def request_ids_on(self, key) -> set:
        rows = self.request_listings
        return set(rows.loc[rows[PUB] == key, PID]) if len(rows) else set()

    @property
    def trend(self) -> pd.DataFrame:
        return self.ds.trend

    def pub_row(self, key) -> pd.Series:
        rows = self.ds.pubs[self.ds.pubs[PUB] == key]
        return rows.iloc[0]

    def ids_on(self, key) -> set:
        return load.ids_on(self.ds.presence, key)

    def latest_pending(self, upto=None) -> pd.Series | None:
        """The row of the latest trend pending publication (published at or before ``upto``,
        if given); ``None`` when there is none."""
        trend = load.trend_publications(self.pending) if len(self.pending) else self.pending
        if upto is not None and len(trend):
            trend = trend[trend[WHEN] <= pd.Timestamp(upto)]
        return None if trend.empty else trend.iloc[-1]


def _check_folder(path: Path) -> None:
    """A :class:`DiffError` naming ``path`` when it is not a folder or lacks a file of
    :data:`REQUIRED`."""
    if not path.is_dir():
        raise DiffError(f"{path}: no such folder (expected a processed data folder)")
    missing = [n for n in REQUIRED if not (path / n).is_file()]
    if missing:
        raise DiffError(f"{path}: not a processed data folder, it lacks {', '.join(missing)}")


def load_side(folder: Path | str | None = None) -> Side:
    """Load a processed folder (default ``data/processed``); a missing file is a
    :class:`DiffError` naming it."""
    path = Path(folder) if folder is not None else None
    if path is not None:
        _check_folder(path)
    try:
        ds = load.dataset(path)
        pending = load.pending_snapshots(path)
        qa = load.qa(path)
        requests = load.pending(path)
        request_listings = load.pending_listings(path)
    except (KeyError, ValueError, OSError) as exc:
        raise DiffError(f"{path or 'data/processed'}: cannot be read: {exc}") from None
    if load.trend_publications(ds.pubs).empty:
        raise DiffError(f"{path or 'data/processed'}: snapshots.csv has no trend publication")
    return Side(folder=path, ds=ds, pending=pending, qa=qa, requests=requests,
                request_listings=request_listings)


# --------------------------------------------------------------------------- the result
@dataclass
class Change:
    """The difference between an old and a new latest list (see :func:`compare`)."""

    old_pub: pd.Series
    new_pub: pd.Series
    counts: pd.DataFrame          # rows: measure; columns: before, after
    joined: pd.DataFrame          # agreements on the new list only, not an edited row
    left: pd.DataFrame            # agreements on the old list only, not an edited row
    edited: pd.DataFrame          # old row -> new row that ICE edited
    publications_added: pd.DataFrame
    publications_gone: pd.DataFrame
    requests_joined: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REQ_COLS))
    requests_left: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REQ_COLS))
    qa_changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["check", "status_before", "status_after", "count_before", "count_after",
                 "detail"]))

    def _lists_changed(self) -> bool:
        """Whether the latest list, any agreement, request or publication differs."""
        return bool(
            self.old_pub[PUB] != self.new_pub[PUB]
            or self.old_pub["content_id"] != self.new_pub["content_id"]
            or len(self.joined) or len(self.left) or len(self.edited)
            or len(self.publications_added) or len(self.publications_gone)
            or len(self.requests_joined) or len(self.requests_left))

    @property
    def changed(self) -> bool:
        """Whether anything differs at all."""
        return self._lists_changed() or bool(len(self.qa_changes))

    @property
    def substantive(self) -> bool:
        """Whether a list, a publication or a QA finding changed: not merely new input files
        carrying lists the data already has (only :data:`FILE_ONLY_CHECKS` counts differ)."""
        qa = self.qa_changes
        qa_findings = qa[~(qa["check"].isin(FILE_ONLY_CHECKS)
                           & (qa["status_before"] == qa["status_after"]))]
        return self._lists_changed() or bool(len(qa_findings))

    @property
    def n_before(self) -> int:
        return int(self.counts.at["Agreements on the latest list", "before"])

    @property
    def n_after(self) -> int:
        return int(self.counts.at["Agreements on the latest list", "after"])

    def to_markdown(self, *, heading: str = "#") -> str:
        return to_markdown(self, heading=heading)


def _attrs(ids, *tables: pd.DataFrame) -> pd.DataFrame:
    """Attributes of ``ids`` from the first table that has each id."""
    parts, seen = [], set()
    for table in tables:
        cols = [c for c in ATTRS if c in table.columns]
        rows = table[table[AID].isin(set(ids) - seen)][[AID, *cols]]
        seen |= set(rows[AID])
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[AID])
    for c in ATTRS:
        if c not in out.columns:
            out[c] = ""
    return out.sort_values(["state", "agency", "support_type", AID], kind="stable") \
        .reset_index(drop=True)


def compare(old: Side, new: Side, *, old_key=None, new_key=None, qa: bool = True,
            after=None) -> Change:
    """Compare publication ``old_key`` of ``old`` with ``new_key`` of ``new`` (default: each
    side's latest trend publication).

    Publications added are those of ``new`` missing from ``old`` (by key); with ``after`` (a
    timestamp, used when both sides are one folder) those published after it instead. ``qa``
    compares the two folders' ``qa.csv``.
    """
    old_key = old_key if old_key is not None else old.ds.latest
    new_key = new_key if new_key is not None else new.ds.latest
    old_pub, new_pub = old.pub_row(old_key), new.pub_row(new_key)
    old_ids, new_ids = old.ids_on(old_key), new.ids_on(new_key)
    agreements = (new.ds.agreements, old.ds.agreements)
    when = pd.Timestamp(new_pub[WHEN])

    removed = _attrs(old_ids - new_ids, *agreements).assign(first_missing=when,
                                                            last_listed=old_pub[WHEN])
    added = _attrs(new_ids - old_ids, *agreements).assign(added_at=when)
    # the new list's rows as listings: a removed row whose agreement document (MOA link) an
    # added row carries is an edit (renamed, or its state or date corrected), not a departure
    matched = churn.match_changed_records(removed, added, listed=added.assign(**{WHEN: when})) \
        if len(removed) else \
        removed.assign(kind=pd.Series(dtype=str), replaced_by=pd.Series(dtype=str))
    is_edit = matched["kind"] == "record changed"
    left = matched[~is_edit].drop(columns=["kind", "replaced_by"]).reset_index(drop=True)
    replacing = set(matched.loc[is_edit, "replaced_by"])
    joined = added[~added[AID].isin(replacing)].reset_index(drop=True)
    edited = _edits(matched[is_edit], added)

    counts = pd.DataFrame({
        "before": [len(old_ids), _florida(old, old_key, old_ids)],
        "after": [len(new_ids), _florida(new, new_key, new_ids)],
    }, index=["Agreements on the latest list", "In Florida"])
    p_old = old.latest_pending(upto=after)
    p_new = new.latest_pending()
    req_joined = req_left = pd.DataFrame(columns=REQ_COLS)
    if p_old is not None and p_new is not None:
        counts.loc["Pending requests on the latest pending list"] = [
            int(p_old["n_requests"]), int(p_new["n_requests"])]
        r_old, r_new = old.request_ids_on(p_old[PUB]), new.request_ids_on(p_new[PUB])
        req_joined = _requests(r_new - r_old, new, old, new_ids)
        req_left = _requests(r_old - r_new, new, old, new_ids)

    if after is None:
        pubs_added = _pubs_not_in(new, old)
        pubs_gone = _pubs_not_in(old, new)
    else:
        pubs_added = _pubs_after(new, pd.Timestamp(after), old_key)
        pubs_gone = _pubs_not_in(old, old)  # empty: one folder
    return Change(old_pub=old_pub, new_pub=new_pub, counts=counts, joined=joined, left=left,
                  edited=edited, publications_added=pubs_added, publications_gone=pubs_gone,
                  requests_joined=req_joined, requests_left=req_left,
                  qa_changes=_qa_changes(old.qa, new.qa) if qa else Change.__dataclass_fields__[
                      "qa_changes"].default_factory())


REQ_COLS = [PID, "state", "agency", "support_type", "signed_agreement_listed"]


def _requests(ids: set, *sides_and_listed) -> pd.DataFrame:
    """Pending requests ``ids`` (from the first side that has each), with whether the signed
    agreement of the same state, agency and support type is on the new latest list."""
    *sides, listed = sides_and_listed
    parts, seen = [], set()
    for side in sides:
        table = side.requests
        if table.empty:
            continue
        rows = table[table[PID].isin(set(ids) - seen)]
        seen |= set(rows[PID])
        parts.append(rows)
    if not parts:
        return pd.DataFrame(columns=REQ_COLS)
    out = pd.concat(parts, ignore_index=True)
    aid = out["agreement_id"] if "agreement_id" in out.columns else pd.Series("", index=out.index)
    out = out.assign(signed_agreement_listed=aid.isin(listed) & (aid != ""))
    return out[REQ_COLS].sort_values(["state", "agency", "support_type"], kind="stable") \
        .reset_index(drop=True)


def _florida(side: Side, key, ids: set) -> int:
    rows = side.ds.presence[side.ds.presence[PUB] == key]
    col = "state_code" if "state_code" in rows.columns else "state"
    value = "FL" if col == "state_code" else "Florida"
    return int(rows.loc[rows[col] == value, AID].nunique())


def _edits(pairs: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    cols = ["state", "agency_before", "agency_after", "support_type", "what_changed", "rule",
            "agreement_id_before", "agreement_id_after", "changes"]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    new = added.set_index(AID)
    rows = []
    for row in pairs.itertuples(index=False):
        after = new.loc[row.replaced_by]
        changes = [(f, _text(getattr(row, f)), _text(after[f])) for f in EDITABLE
                   if _text(getattr(row, f)) != _text(after[f])]
        rows.append({"state": row.state, "agency_before": row.agency,
                     "agency_after": after["agency"], "support_type": row.support_type,
                     "what_changed": what_changed(changes, "en"),
                     "rule": _text(getattr(row, "match", "")),
                     "agreement_id_before": row.agreement_id,
                     "agreement_id_after": row.replaced_by,
                     "changes": changes})
    return pd.DataFrame(rows, columns=cols).sort_values(["state", "agency_before"],
                                                         kind="stable").reset_index(drop=True)


#: How the edited attributes are named in "what changed" (English: the column, spaced).
FIELD_NAMES = {"state": "state", "agency": "agency", "agency_type": "agency type",
               "county": "county", "support_type": "support type", "signed": "signed"}


def _field_value(field_name: str, value: str, lang: str | None) -> str:
    if not value:
        return tr("(blank)", lang=lang)
    if field_name == "support_type":
        return words.support_type_label(value, lang)
    if field_name == "agency_type" and value in load.AGENCY_TYPES:
        return words.agency_type_label(value, lang)
    if field_name == "signed" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return i18n.format_date(value, lang)  # a date for people (issue 21)
        except ValueError:  # not a calendar day: as ICE wrote it
            return value
    return value


def what_changed(changes, lang: str | None = None) -> str:
    """The words for an edited row's ``changes`` (``[(field, before, after), ...]``, as
    :class:`Change`'s ``edited`` rows carry them), in ``lang``: ``agency: A → B; signed:
    (blank) → May 1, 2025``. What changed's tables and the feeds' entries both write it."""
    parts = [tr("{field}: {before} → {after}", lang=lang, field=tr(FIELD_NAMES[f], lang=lang),
                before=_field_value(f, a, lang), after=_field_value(f, b, lang))
             for f, a, b in changes]
    return "; ".join(parts) or tr("(no visible difference)", lang=lang)


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (pd.Timestamp, dt.date)):
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    return str(value)


PUB_COLUMNS = ["list", PUB, "published", "file", "rows", "in_trend_lines", "note",
               WHEN, "stamp_provenance", "part_of_day"]


def _pub_table(frame: pd.DataFrame, list_name: str) -> pd.DataFrame:
    rows_col = "n_agreements" if list_name == "participating" else "n_requests"
    return pd.DataFrame({
        "list": list_name,
        PUB: frame[PUB].to_numpy(),
        "published": [words.publication_label(r) for _, r in frame.iterrows()],
        "file": frame["file"].to_numpy(),
        "rows": frame[rows_col].to_numpy(),
        "in_trend_lines": (~frame["trend_excluded"].astype(bool)).to_numpy()
        if "trend_excluded" in frame.columns else True,
        "note": frame["qa_note"].to_numpy() if "qa_note" in frame.columns else "",
        "_when": frame[WHEN].to_numpy(),
        WHEN: frame[WHEN].to_numpy(),
        "stamp_provenance": frame["stamp_provenance"].to_numpy()
        if "stamp_provenance" in frame.columns else "",
        "part_of_day": frame["part_of_day"].fillna("").to_numpy()
        if "part_of_day" in frame.columns else "",
    })


def _finish_pubs(parts: list[pd.DataFrame]) -> pd.DataFrame:
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["_when", "list", PUB], kind="stable").drop(columns="_when") \
        .reset_index(drop=True)[PUB_COLUMNS]


def _pubs_not_in(a: Side, b: Side) -> pd.DataFrame:
    """Publications of ``a`` (both lists) whose key ``b`` lacks."""
    return _finish_pubs([
        _pub_table(a.ds.pubs[~a.ds.pubs[PUB].isin(b.ds.pubs[PUB])], "participating"),
        _pub_table(a.pending[~a.pending[PUB].isin(b.pending[PUB])], "pending"),
    ])


def _pubs_after(side: Side, when: pd.Timestamp, old_key) -> pd.DataFrame:
    """Publications of ``side`` (both lists) after ``old_key``, published at or after ``when``."""
    order = side.ds.pubs.sort_values(WHEN, kind="stable").reset_index(drop=True)
    pos = order.index[order[PUB] == old_key][0]
    part = order.iloc[pos + 1:]
    part = part[part[WHEN] >= when]
    pend = side.pending[side.pending[WHEN] > when]
    return _finish_pubs([_pub_table(part, "participating"), _pub_table(pend, "pending")])


def _qa_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """QA checks new in ``new``, gone from it, or with another status or count."""
    m = old[["name", "status", "count", "detail"]].merge(
        new[["name", "status", "count", "detail"]], on="name", how="outer",
        suffixes=("_before", "_after"), indicator=True)
    differs = (m["_merge"] != "both") | (m["status_before"] != m["status_after"]) \
        | (m["count_before"] != m["count_after"])
    m = m[differs].copy()
    m["order"] = m["_merge"].map({"right_only": 0, "both": 1, "left_only": 2})
    m = m.sort_values(["order", "name"], kind="stable")
    detail = m["detail_after"].where(m["_merge"] != "left_only", m["detail_before"])
    return pd.DataFrame({
        "check": m["name"].to_numpy(),
        "status_before": m["status_before"].fillna("(none)").to_numpy(),
        "status_after": m["status_after"].fillna("(none)").to_numpy(),
        "count_before": m["count_before"].astype("Int64").to_numpy(),
        "count_after": m["count_after"].astype("Int64").to_numpy(),
        "detail": detail.fillna("").to_numpy(),
    })


# --------------------------------------------------------------------------- entry points
def check_columns(folder: Path | str) -> None:
    """Raise :class:`DiffError` naming the file and column when a CSV of ``folder`` lacks a
    column of the current schema (``ice287g.pipeline.schema``): a folder built by an older
    version cannot be compared column by column, and must be rebuilt. Also a missing folder
    or file, or a header that is not UTF-8 CSV, is an error naming it."""
    import csv

    from .pipeline import schema

    path = Path(folder)
    _check_folder(path)
    for name in REQUIRED:
        if not name.endswith(".csv"):
            continue
        try:
            with (path / name).open(newline="", encoding="utf-8") as fh:
                header = next(csv.reader(fh), [])
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DiffError(f"{path / name}: cannot be read ({exc})") from None
        lacking = [c for c in schema.columns(name) if c not in header]
        if lacking:
            raise DiffError(f"{path / name}: lacks the column{'s' if len(lacking) > 1 else ''} "
                            f"{', '.join(lacking)} of the current schema (built by an older "
                            "version? rebuild it with python -m ice287g build)")


def diff_folders(old_dir: Path | str, new_dir: Path | str) -> Change:
    """The change between the latest trend publications of two processed folders (each
    checked against the current schema first: :func:`check_columns`)."""
    check_columns(old_dir)
    check_columns(new_dir)
    return compare(load_side(old_dir), load_side(new_dir))


def latest_change(folder: Path | str | None = None, side: Side | None = None) -> Change:
    """The change between the last two trend publications of one processed folder (the
    "What changed" page); publications added are those after the previous trend list."""
    side = side or load_side(folder)
    trend = side.trend
    if len(trend) < 2:
        raise DiffError(f"{folder or 'data/processed'}: fewer than two trend publications")
    prev, last = trend.iloc[-2], trend.iloc[-1]
    return compare(side, side, old_key=prev[PUB], new_key=last[PUB], qa=False,
                   after=prev[WHEN])


def series(side: Side, lang: str | None = None) -> pd.DataFrame:
    """Agreements added and removed on each trend publication (:func:`ice287g.churn.churn`), with
    each publication's label (:func:`ice287g.words.publication_label`, in ``lang``)."""
    ch = churn.churn(side.ds.presence, side.ds.pubs)
    labels = {r[PUB]: words.publication_label(r, lang) for _, r in side.ds.pubs.iterrows()}
    return ch.assign(label=ch[PUB].map(labels))


def recent(series_: pd.DataFrame, days: int | None = 365, lists: int | None = None) -> pd.DataFrame:
    """The rows of :func:`series` published within ``days`` days of the latest list, and of
    those at most the last ``lists``."""
    if series_.empty:
        return series_
    out = series_.sort_values(WHEN, kind="stable")
    if days is not None:
        end = pd.Timestamp(out[WHEN].max())
        out = out[out[WHEN] > end - pd.Timedelta(days=days)]
    if lists is not None:
        out = out.tail(lists)
    return out.reset_index(drop=True)


def describe_series(series_: pd.DataFrame) -> dict:
    """Totals of a run of :func:`series` rows, for a chart's title and alt text: lists,
    agreements added and removed, lists with more removals than additions, and the list with
    the most additions (its label and count)."""
    if series_.empty:
        raise DiffError("no list to describe (fewer than two trend publications)")
    top = series_.sort_values(["added", WHEN], ascending=[False, True], kind="stable").iloc[0]
    return {
        "n_lists": int(len(series_)),
        "added": int(series_["added"].sum()),
        "removed": int(series_["removed"].sum()),
        "n_net_loss": int((series_["removed"] > series_["added"]).sum()),
        "n_no_change": int(((series_["added"] == 0) & (series_["removed"] == 0)).sum()),
        "max_added": int(top["added"]),
        "max_added_label": str(top["label"]),
        "first_label": str(series_["label"].iloc[0]),
        "last_label": str(series_["label"].iloc[-1]),
    }


# --------------------------------------------------------------------------- display tables
def display_tables(change: Change, lang: str | None = None) -> dict[str, pd.DataFrame]:
    """The change as reader-facing tables (the Markdown summary and the book show these), in
    the language in use or ``lang``: headers, measures, support types, yes/no, publication
    labels. State names in the language (as every table writes them); agency names stay as
    ICE wrote them; file names, flags and the
    pipeline's notes are data and stay as they are."""
    t = lambda text: tr(text, lang=lang)  # noqa: E731

    def agreements(frame, when_col=None):
        return pd.DataFrame({
            t("State"): [words.state_name(v, lang) for v in frame["state"]],
            t("Agency"): frame["agency"].to_numpy(),
            t("Support type"): [words.support_type_label(v, lang) for v in frame["support_type"]],
            t("Signed"): [d or t("(blank)") for d in words.date_cells(
                pd.to_datetime(frame["signed"].map(_text), errors="coerce"), lang)],
            t("Flags"): [(_text(v) or "").replace(";", "; ") for v in frame["flags"]],
        })

    counts = change.counts.copy()
    counts["change"] = counts["after"] - counts["before"]
    edited = change.edited
    changes = edited["changes"] if "changes" in edited.columns else [None] * len(edited)
    return {
        "counts": pd.DataFrame({
            "": [t(m) for m in counts.index],
            t("Before"): [i18n.format_int(v, lang) for v in counts["before"]],
            t("After"): [i18n.format_int(v, lang) for v in counts["after"]],
            t("Change"): [("+" if v > 0 else "-") + i18n.format_int(abs(v), lang) if v else "0"
                          for v in counts["change"]],
        }),
        "joined": agreements(change.joined),
        "left": agreements(change.left),
        "edited": pd.DataFrame({
            t("State"): [words.state_name(v, lang) for v in edited["state"]],
            t("Before"): edited["agency_before"].to_numpy(),
            t("After"): edited["agency_after"].to_numpy(),
            t("Support type"): [words.support_type_label(v, lang) for v in edited["support_type"]],
            t("What changed"): [w if c is None else what_changed(c, lang)
                                for w, c in zip(edited["what_changed"], changes)],
            t("Rule"): [t(r) if r else "" for r in edited["rule"]],
        }),
        "requests_joined": _requests_display(change.requests_joined, lang=lang),
        "requests_left": _requests_display(change.requests_left, with_signed=True, lang=lang),
        "publications_added": _pubs_display(change.publications_added, lang),
        "publications_gone": _pubs_display(change.publications_gone, lang),
        "qa_changes": _qa_display(qa_findings(change.qa_changes), lang),
    }


def recent_table(series_: pd.DataFrame, n: int = 20, lang: str | None = None) -> pd.DataFrame:
    """The last ``n`` lists of a run of :func:`series` rows, newest first, as the page shows
    them: each list's label (:func:`ice287g.words.publication_label`) on one line, the
    counts with the language's thousands separator (the page right-aligns them)."""
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    last = series_.sort_values(WHEN, ascending=False, kind="stable").head(n)
    numbers = {"n_previous": "Agreements on the list before", "n": "Agreements",
               "added": "Added", "removed": "Removed"}
    out = pd.DataFrame({t("List"): [str(v).replace(" ", words.NBSP) for v in last["label"]]})
    for col, header in numbers.items():
        out[t(header)] = [i18n.format_int(int(v), lang) for v in last[col]]
    return out


def qa_findings(qa: pd.DataFrame) -> pd.DataFrame:
    """QA changes a reviewer must read: new or gone checks, a changed status, and changed
    counts of ``info`` checks (anomalies and how they were handled). Passing checks that
    merely counted more items are left to :func:`qa_passes_recounted`."""
    recount = (qa["status_before"] == "pass") & (qa["status_after"] == "pass")
    return qa[~recount].reset_index(drop=True)


def qa_passes_recounted(qa: pd.DataFrame) -> list[str]:
    """Checks that passed before and after, with another count (more items checked)."""
    recount = (qa["status_before"] == "pass") & (qa["status_after"] == "pass")
    return qa.loc[recount, "check"].tolist()


def _qa_display(qa: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """QA changes (the CLI summary shows them; check names, statuses and details are the
    pipeline's own identifiers and text, kept as they are)."""
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    return pd.DataFrame({
        t("Check"): qa["check"].to_numpy(),
        t("Status"): [a if a == b else f"{a} → {b}" for a, b in
                      zip(qa["status_before"], qa["status_after"])],
        t("Count before"): [_count(v, lang) for v in qa["count_before"]],
        t("Count after"): [_count(v, lang) for v in qa["count_after"]],
        t("Detail"): [_short(d) for d in qa["detail"]],
    })


def _requests_display(frame: pd.DataFrame, with_signed: bool = False,
                      lang: str | None = None) -> pd.DataFrame:
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    out = pd.DataFrame({
        t("State"): [words.state_name(v, lang) for v in frame["state"]],
        t("Agency"): frame["agency"].to_numpy(),
        t("Support type"): [words.support_type_label(v, lang) for v in frame["support_type"]],
    })
    if with_signed:
        out[t("Signed agreement on the latest list")] = [
            t("yes") if v else t("no") for v in frame["signed_agreement_listed"]]
    return out


def _count(v, lang: str | None = None) -> str:
    return "" if pd.isna(v) else i18n.format_int(int(v), lang)


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pubs_display(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    t = lambda text: tr(text, lang=lang)  # noqa: E731
    labels = ([words.publication_label(r, lang, one_line=True) for _, r in frame.iterrows()]
              if WHEN in frame.columns else frame["published"].tolist())
    return pd.DataFrame({
        t("List"): [t(v) for v in frame["list"]],
        t("Publication"): labels,
        t("File"): frame["file"].to_numpy(),
        t("Rows"): [i18n.format_int(int(v), lang) for v in frame["rows"]],
        t("In trend lines"): [t("yes") if v else t("no") for v in frame["in_trend_lines"]],
        t("Note"): [_short(v) for v in frame["note"]],
    })


#: Markdown characters backslash-escaped in untrusted text (ASCII punctuation that can start
#: emphasis, code, links, images, HTML, entities, tables, strikethrough or math on GitHub);
#: ``_`` only where it can open or close emphasis (not inside a word: ``signed_blank``),
#: parentheses not at all (with ``[`` and ``]`` escaped they make no link).
_MD_SPECIAL = re.compile(r"([\\`*{}\[\]<>!|~&#$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_ZWSP = "\u200b"


def md_escape(text) -> str:
    """Untrusted text (an agency name, a file name from ICE) as literal Markdown text for
    GitHub (the update PR's body): no link, image, HTML tag (``<details>``, ``<img>``),
    entity, emphasis, code, table cell break or math; no @-mention, #-reference, e-mail or
    bare-URL autolink (zero-width spaces around ``@``, after ``#``, inside ``://`` and
    ``www.``); one
    line (newlines and other control characters become spaces). Tested in tests/test_diff.py
    against a GitHub-flavoured renderer."""
    s = "".join(" " if (ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or ch in "\u2028\u2029") else ch
                for ch in str(text))
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = s.replace("@", _ZWSP + "@" + _ZWSP).replace("#", "#" + _ZWSP)
    s = s.replace("://", ":" + _ZWSP + "//")
    return re.sub(r"(?i)\b(www)\.", lambda m: m.group(1) + _ZWSP + ".", s)


def md_code(text) -> str:
    """Untrusted text as a one-line Markdown code span (literal: no link, HTML or mention),
    fenced by more backticks than the text holds."""
    s = " ".join(str(text).split()).replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _md_table(frame: pd.DataFrame) -> str:
    def cell(v) -> str:  # a Markdown table has no line to keep: no-break spaces as spaces
        return md_escape(v).replace(words.NBSP, " ")
    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


#: (key of display_tables, section title, text when empty; None: leave the section out).
SECTIONS = [
    ("joined", "Agreements that joined", "None."),
    ("left", "Agreements that left", "None."),
    ("edited", "Rows ICE edited", "None."),
    ("requests_joined", "Pending requests that joined the pending list", None),
    ("requests_left", "Pending requests that left the pending list", None),
    ("publications_added", "Publications added", "None."),
    ("publications_gone", "Publications no longer in the data", None),
    ("qa_changes", "QA checks new or changed", None),
]
SECTION_NOTES = {
    "edited": "An agreement removed and one added on the same list that "
              "`ice287g.churn.match_changed_records` pairs as the same row edited by ICE "
              "(same state and support type; *Rule* names the rule that matched).",
    "requests_left": "A request that left the pending list was either signed (its agreement, "
                     "same state, agency and support type, is on the latest list) or is no "
                     "longer listed at all.",
    "publications_gone": "Publications of the old folder that the new build no longer has "
                         "(review before merging).",
    "qa_changes": "Checks of `qa.csv` that are new or gone, have another status, or report "
                  "another count of an anomaly (info).",
}


def to_markdown(change: Change, *, heading: str = "#") -> str:
    """The Markdown change summary (``no change`` when nothing changed, or only input files
    carrying lists the data already has were added: see :attr:`Change.substantive`)."""
    if not change.substantive:
        return NO_CHANGE
    t = display_tables(change, lang="en")  # the update procedure's summary is English
    h2 = heading + "#"
    old_l = words.publication_label(change.old_pub, "en")
    new_l = words.publication_label(change.new_pub, "en")
    out = [f"{heading} ICE's 287(g) list: {old_l} → {new_l}", "",
           f"Latest list before: {md_code(change.old_pub['file'])} ({old_l}); after: "
           f"{md_code(change.new_pub['file'])} ({new_l}).", "", _md_table(t["counts"]), ""]
    for key, title, empty in SECTIONS:
        frame = t[key]
        if frame.empty and empty is None:
            continue
        out += [f"{h2} {title} ({len(frame):,})", ""]
        if key in SECTION_NOTES:
            out += [SECTION_NOTES[key], ""]
        out += [_md_table(frame) if len(frame) else empty, ""]
    passes = qa_passes_recounted(change.qa_changes)
    if passes:
        out += [f"{len(passes):,} passing QA checks counted other numbers of items and still "
                f"pass: {', '.join(f'`{c}`' for c in passes)}.", ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- freshness


@dataclass
class Freshness:
    """How fresh the data is: ICE's latest list and the last recorded check of ICE's page."""

    latest_list: pd.Timestamp        # published_at of the latest trend publication
    latest_label: str                # as publication_label
    latest_provenance: str           # ice_stamp or archive_capture
    last_checked: pd.Timestamp | None  # latest checked_at of update-checks.csv (UTC)
    last_outcome: str | None
    #: The language its sentences are written in (None: the one in use when they are read).
    lang: str | None = None

    @property
    def latest_list_text(self) -> str:
        """The latest list's date, "May 18, 2026" / "18 de mayo de 2026"."""
        return i18n.format_date(self.latest_list, self.lang)

    @property
    def checked_clause(self) -> str:
        """Completes "the data ..." / "los datos ...": when it was last checked against ICE's
        page (in :attr:`lang`)."""
        if self.last_checked is None:
            return tr("has not yet been checked against ICE's page by the book's weekly update",
                      lang=self.lang)
        return tr("was last checked against ICE's page on {date} at {time} UTC", lang=self.lang,
                  date=i18n.format_date(self.last_checked, self.lang),
                  time=f"{self.last_checked:%H:%M}")

    @property
    def status_line(self) -> str:
        """The data pages' quiet status line: "ICE list of May 18, 2026 · checked June 1,
        2026" / "Lista de ICE del 18 de mayo de 2026 · consultada el 1 de junio de 2026"
        (in :attr:`lang`; issue 21)."""
        if self.last_checked is None:
            return tr("ICE list of {date} · not yet checked for a newer list", lang=self.lang,
                      date=self.latest_list_text)
        return tr("ICE list of {date} · checked {checked}", lang=self.lang,
                  date=self.latest_list_text, checked=i18n.format_date(self.last_checked, self.lang))

    @property
    def last_checked_text(self) -> str:
        if self.last_checked is None:
            return tr("not yet recorded by the update procedure", lang=self.lang)
        return tr("{date} ({time} UTC)", lang=self.lang,
                  date=i18n.format_date(self.last_checked, self.lang),
                  time=f"{self.last_checked:%H:%M}")


def read_checks(path: Path | str) -> pd.DataFrame:
    """The update procedure's record of checks of ICE's page (``data/update-checks.csv``);
    a malformed row is a :class:`DiffError` naming the file and row."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=CHECK_COLUMNS)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CHECK_COLUMNS if c not in frame.columns]
    if missing:
        raise DiffError(f"{path}: lacks column(s) {', '.join(missing)}")
    when = pd.to_datetime(frame["checked_at"], format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
    bad = when.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DiffError(f"{path}, row {i + 2}: checked_at {frame['checked_at'].iloc[i]!r} is not "
                        "a UTC time like 2026-06-01T06:00:00Z")
    return frame.assign(checked_at=when)


def freshness(folder: Path | str | None = None, checks: Path | str | None = None,
              side: Side | None = None, lang: str | None = None) -> Freshness:
    """Date of the latest list in ``folder`` and the last check recorded in ``checks``
    (default ``data/update-checks.csv``), its sentences in ``lang`` (None: the language in
    use when they are read)."""
    from . import config

    side = side or load_side(folder)
    last = side.trend.iloc[-1]
    log = read_checks(checks if checks is not None else config.DATA_DIR / "update-checks.csv")
    if log.empty:
        checked, outcome = None, None
    else:
        row = log.sort_values("checked_at", kind="stable").iloc[-1]
        checked, outcome = pd.Timestamp(row["checked_at"]), row["outcome"]
    return Freshness(latest_list=pd.Timestamp(last[WHEN]),
                     latest_label=words.publication_label(last, lang),
                     latest_provenance=str(last.get("stamp_provenance", "")),
                     last_checked=checked, last_outcome=outcome, lang=lang)
