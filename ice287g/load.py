"""Loaders for the processed datasets (what the notebooks use).

Each function reads one file of ``data/processed/`` (``config.PROCESSED_DIR`` unless a folder is
given) and returns a typed DataFrame, typed from the file's schema in ``datapackage.json``:
integers as ``int64`` (``Int64`` where a value may be missing), booleans as ``bool``, dates and
timestamps as ``datetime64``, text as strings with blanks as ``""``.

    from ice287g import load
    snaps = load.snapshots()          # one row per participating publication
    agr = load.agreements()           # one row per agreement
    lst = load.listings()             # (publication, agreement_id), long form
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

# THE run decoder (the inverse of the pipeline's encoder, beside it): re-exported here.
from .pipeline.s6_derive import expand_runs

__all__ = ["expand_runs", "read", "snapshots", "agreements", "listings", "pending_snapshots",
           "pending", "pending_listings", "files", "qa"]


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
