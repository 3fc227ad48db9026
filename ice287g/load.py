"""Loaders for the processed datasets (what the notebooks use), and the frames every chapter
shares.

Each function reads one file of ``data/processed/`` (``config.PROCESSED_DIR`` unless a folder is
given) and returns a typed DataFrame, typed from the file's schema in ``datapackage.json``:
integers as ``int64`` (``Int64`` where a value may be missing), booleans as ``bool``, dates and
timestamps as ``datetime64``, text as strings with blanks as ``""``.

    from ice287g import load
    snaps = load.snapshots()          # one row per participating publication
    agr = load.agreements()           # one row per agreement
    lst = load.listings()             # (publication, agreement_id), long form
    ds = load.dataset()               # the three, and presence: what the chapters use

The chapters share three tidy frames (:class:`Dataset`): ``pubs`` (one row per ICE
publication: ``publication``, its key; ``published_at``; ``trend_excluded``, a mis-stamped or
partial list kept out of trend lines), ``agreements`` (one row per distinct agreement) and
``presence`` (one row per (``publication``, ``agreement_id``) listed on a trend publication,
with the agreement's attributes and ``published_at`` joined on: :func:`presence`). The
functions below that every chapter needs (trend order, the latest list, one list's rows, the
one agency-name key) live here; each chapter's findings live in the module named after it
(``national_growth``, ``where``, ``key_west_list``, ``churn``, ``diff`` for *What changed*).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

# The one run decoder lives beside the pipeline's encoder (its inverse); used here, not re-exported.
from .pipeline.s3_clean import normalise_agency
from .pipeline.s6_derive import expand_runs

from .pipeline.thresholds import AGENCY_TYPES as _AGENCY_TYPES
from .pipeline.thresholds import SUPPORT_TYPES as _SUPPORT_TYPES

PUB = "publication"
WHEN = "published_at"
AID = "agreement_id"
#: ICE's three support types (canonical spellings), in the order charts list them.
SUPPORT_TYPES = list(_SUPPORT_TYPES)
#: ICE's agency types (the sheets' TYPE column), canonical spellings.
AGENCY_TYPES = list(_AGENCY_TYPES)

__all__ = ["read", "snapshots", "agreements", "listings", "pending_snapshots", "pending",
           "pending_listings", "files", "qa", "PUB", "WHEN", "AID", "SUPPORT_TYPES", "AGENCY_TYPES", "Dataset", "dataset",
           "trend_publications", "latest_publication", "presence", "on_publication", "ids_on",
           "last_publication_before", "normalise_name", "normalised", "require_columns"]


def _dir(folder: Path | str | None) -> Path:
    if folder is not None:
        return Path(folder)
    from . import config

    return config.PROCESSED_DIR


@lru_cache(maxsize=8)
def _schemas(folder: Path) -> dict[str, list[dict]]:
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {r["path"]: r["schema"]["fields"] for r in package["resources"]}


def read(name: str, folder: Path | str | None = None) -> pd.DataFrame:
    """Read ``name`` (e.g. ``"snapshots.csv"``) typed by its schema."""
    folder = _dir(folder)
    fields = _schemas(folder.resolve())[name]
    frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False, na_values=[],
                        encoding="utf-8")
    for f in fields:
        col, kind = f["name"], f["type"]
        if col not in frame.columns:
            continue
        s = frame[col]
        if kind == "integer":
            blank = s == ""
            if blank.any():
                frame[col] = pd.to_numeric(s.where(~blank), errors="raise").astype("Int64")
            else:
                frame[col] = pd.to_numeric(s, errors="raise").astype("int64")
        elif kind == "number":
            frame[col] = pd.to_numeric(s.where(s != ""), errors="raise").astype("float64")
        elif kind == "boolean":
            frame[col] = s.map({"true": True, "false": False}).astype(bool)
        elif kind == "datetime":
            frame[col] = pd.to_datetime(s.where(s != ""), format="%Y-%m-%dT%H:%M:%S")
        elif kind == "date":
            frame[col] = pd.to_datetime(s.where(s != ""), format="%Y-%m-%d")
    return frame


def snapshots(folder: Path | str | None = None) -> pd.DataFrame:
    """One row per participating publication, in time order (``trend_excluded`` marks the
    lists that must stay out of trend lines)."""
    return read("snapshots.csv", folder)


def agreements(folder: Path | str | None = None) -> pd.DataFrame:
    """One row per distinct agreement, with first/last seen and cleaning flags."""
    return read("agreements.csv", folder)


def listings(folder: Path | str | None = None) -> pd.DataFrame:
    """Long form: one row per (``publication``, ``agreement_id``) listed."""
    return _listings(folder, "listings", "agreement_id")


def pending_snapshots(folder: Path | str | None = None) -> pd.DataFrame:
    """One row per pending publication."""
    return read("pending_snapshots.csv", folder)


def pending(folder: Path | str | None = None) -> pd.DataFrame:
    """One row per distinct pending request."""
    return read("pending.csv", folder)


def pending_listings(folder: Path | str | None = None) -> pd.DataFrame:
    """Long form: one row per (``publication``, ``pending_id``) listed."""
    return _listings(folder, "pending_listings", "pending_id")


def files(folder: Path | str | None = None) -> pd.DataFrame:
    """Every input file and the publication it carried."""
    return read("files.csv", folder)


def qa(folder: Path | str | None = None) -> pd.DataFrame:
    """Every check of the build: name, status (pass/fail/info), count, detail."""
    return read("qa.csv", folder)


def _listings(folder, stem: str, id_col: str) -> pd.DataFrame:
    """Listings in long form, expanded from the stored runs (snapshot order)."""
    folder = _dir(folder)
    runs = read(f"{stem}.csv", folder)
    snaps = read("snapshots.csv" if id_col == "agreement_id" else "pending_snapshots.csv", folder)
    return expand_runs(runs, snaps["publication"].tolist(), id_col)


# --------------------------------------------------------------------------- the shared frames
@dataclass
class Dataset:
    """The processed ICE data as the notebooks use it.

    ``pubs`` (all publications, with ``trend_excluded``), ``agreements``, ``listings`` (long
    form, every publication) and ``presence`` (listings of trend publications joined with
    agreement attributes and ``published_at``).
    """

    pubs: pd.DataFrame
    agreements: pd.DataFrame
    listings: pd.DataFrame
    presence: pd.DataFrame

    @property
    def trend(self) -> pd.DataFrame:
        """Trend publications in time order."""
        return trend_publications(self.pubs)

    @property
    def latest(self):
        """Key of the latest trend publication."""
        return latest_publication(self.pubs)

    def latest_rows(self) -> pd.DataFrame:
        """The agreements on the latest trend publication (presence rows)."""
        return on_publication(self.presence, self.latest)


def dataset(processed_dir: Path | None = None) -> Dataset:
    """Load the processed data into a :class:`Dataset`.

    Listings stored as runs are expanded to long form by the loader. Publications without a
    ``trend_excluded`` column are all kept in trend lines.
    """
    pubs = snapshots(processed_dir)
    agr = agreements(processed_dir)
    lst = listings(processed_dir)
    return Dataset(pubs=pubs, agreements=agr, listings=lst, presence=presence(lst, agr, pubs))


def trend_publications(pubs: pd.DataFrame) -> pd.DataFrame:
    """The publications that belong in trend lines, in time order.

    Rows flagged ``trend_excluded`` (when the column exists) are dropped; the order is by
    ``published_at``, keeping the given order among equal timestamps (the pipeline orders a
    list re-issued under the same stamp by capture time).
    """
    require_columns(pubs, [PUB, WHEN], "pubs")
    out = pubs
    if "trend_excluded" in pubs.columns:
        out = pubs[~pubs["trend_excluded"].fillna(False).astype(bool)]
    out = out.sort_values(WHEN, kind="stable").reset_index(drop=True)
    if out[PUB].duplicated().any():
        dup = out.loc[out[PUB].duplicated(), PUB].tolist()
        raise ValueError(f"publication keys repeat in pubs: {dup[:5]}")
    return out


def latest_publication(pubs: pd.DataFrame):
    """Key of the latest publication that belongs in trend lines."""
    ordered = trend_publications(pubs)
    if ordered.empty:
        raise ValueError("there is no publication to take the latest of")
    return ordered[PUB].iloc[-1]


def presence(listings: pd.DataFrame, agreements: pd.DataFrame, pubs: pd.DataFrame, *,
             trend_only: bool = True) -> pd.DataFrame:
    """Join listings (``publication``, ``agreement_id``) with agreement attributes and dates.

    With ``trend_only`` (the default) rows of trend-excluded publications are dropped. A
    listing naming an unknown publication or agreement is an error, not a silent drop.
    """
    require_columns(listings, [PUB, AID], "listings")
    require_columns(agreements, [AID], "agreements")
    keep = trend_publications(pubs) if trend_only else pubs
    unknown_pub = ~listings[PUB].isin(pubs[PUB])
    if unknown_pub.any():
        raise ValueError(f"listings name publications missing from pubs: "
                         f"{sorted(set(listings.loc[unknown_pub, PUB]))[:5]}")
    unknown_aid = ~listings[AID].isin(agreements[AID])
    if unknown_aid.any():
        raise ValueError(f"listings name agreements missing from agreements: "
                         f"{sorted(set(listings.loc[unknown_aid, AID]))[:5]}")
    rows = listings[[PUB, AID]].merge(keep[[PUB, WHEN]], on=PUB, how="inner")
    attrs = agreements.drop(columns=[c for c in (PUB, WHEN) if c in agreements.columns])
    return rows.merge(attrs, on=AID, how="left", validate="many_to_one")


def on_publication(presence_: pd.DataFrame, publication) -> pd.DataFrame:
    """The rows (agreements) of one publication."""
    return presence_[presence_[PUB] == publication]


def ids_on(presence_: pd.DataFrame, publication) -> set:
    """Agreement ids on one publication."""
    return set(presence_.loc[presence_[PUB] == publication, AID])


def last_publication_before(pubs: pd.DataFrame, date):
    """Key of the last trend publication strictly before ``date`` (error if there is none)."""
    order = trend_publications(pubs)
    before = order[order[WHEN] < pd.Timestamp(date)]
    if before.empty:
        raise ValueError(f"no publication before {pd.Timestamp(date).date()}")
    return before[PUB].iloc[-1]


def normalise_name(value: str) -> str:
    """An agency name as the pipeline compares it (case, whitespace and curly vs straight
    apostrophes ignored): the one agency-name normaliser,
    ``ice287g.pipeline.s3_clean.normalise_agency``."""
    return normalise_agency(str(value))


def normalised(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` of every value, computed once per distinct value."""
    uniq = pd.unique(values)
    return values.map(dict(zip(uniq, (normalise_name(u) for u in uniq))))


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """A ``KeyError`` naming ``what`` and the columns it lacks (and the ones it has)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")
