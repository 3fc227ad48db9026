"""Settings kept in one place: where things are, and where the raw data comes from."""

from __future__ import annotations

import os
from pathlib import Path


def find_repo_root() -> Path:
    """The book's repository root: the folder holding ``_config.yml`` and ``data/``.

    The package may be installed from a checkout in editable mode (the root is beside the
    package) or, as Binder does, copied into site-packages; then the root is found from
    the working directory upwards (notebooks run in ``chapters/``). ``ICE287G_ROOT``
    overrides both.
    """
    if os.environ.get("ICE287G_ROOT"):
        return Path(os.environ["ICE287G_ROOT"]).resolve()
    candidates = [Path(__file__).resolve().parent.parent]
    cwd = Path.cwd().resolve()
    candidates += [cwd, *cwd.parents]
    for folder in candidates:
        if (folder / "_config.yml").is_file() and (folder / "data").is_dir():
            return folder
    raise FileNotFoundError(
        "cannot find the book's repository (a folder with _config.yml and data/) beside the "
        f"ice287g package or above {cwd}; run from inside the repository or set ICE287G_ROOT"
    )


# Where things are is computed when asked, not when this module is imported: ``ICE287G_ROOT``
# set later (a test, a tool that builds a copy of the book) is seen. Read them as before,
# ``config.REPO_ROOT``, ``config.PROCESSED_DIR``...: each name is answered by the function of
# :data:`_PATHS` through the module's ``__getattr__`` (PEP 562).


def data_dir() -> Path:
    return find_repo_root() / "data"


def processed_dir() -> Path:
    return data_dir() / "processed"


def reviewed_dir() -> Path:
    """Reviewed decisions the pipeline reads: fixes.csv (value repairs), file_reviews.csv
    (whole files excluded)."""
    return data_dir() / "reviewed"


def shared_dir() -> Path:
    """``../shared`` beside the project: read-only material every developer and CI has, but a
    newcomer's clone does not."""
    return find_repo_root().parent / "shared"


def default_sheet_archives() -> list[Path]:
    """The archives of ICE sheets that ``python -m ice287g build`` reads when no ``--sheets``
    is given, in merge order."""
    data = shared_dir() / "data"
    return [
        data / "ice-287g-sheets",
        data / "ice-287g-history",
        # Three lists the history lacks (see its SOURCE.md); one under ICE's mistyped name
        # participatingAgencies11114025am, read by the reviewed data/reviewed/stamps.csv.
        data / "ice-287g-additions",
    ]


_PATHS = {
    "REPO_ROOT": find_repo_root,
    "DATA_DIR": data_dir,
    "PROCESSED_DIR": processed_dir,
    "REVIEWED_DIR": reviewed_dir,
    "SHARED_DIR": shared_dir,
    "DEFAULT_SHEET_ARCHIVES": default_sheet_archives,
}


def __getattr__(name: str):
    if name in _PATHS:
        return _PATHS[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PATHS])


#: ICE's 287(g) page (defined once, in the pipeline's thresholds; re-exported for the book).
from .pipeline.thresholds import ICE_287G_URL  # noqa: E402,F401
