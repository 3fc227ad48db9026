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


#: The repository root (the folder holding ``_config.yml``).
REPO_ROOT = find_repo_root()

DATA_DIR = REPO_ROOT / "data"
PROCESSED_DIR = DATA_DIR / "processed"
#: Reviewed decisions the pipeline reads: fixes.csv (value repairs), file_reviews.csv
#: (whole files excluded).
REVIEWED_DIR = DATA_DIR / "reviewed"

#: ``../shared`` beside the project: read-only material every developer and CI has,
#: but a newcomer's clone does not.
SHARED_DIR = REPO_ROOT.parent / "shared"

#: The archives of ICE sheets that ``python -m ice287g build`` reads when no ``--sheets``
#: is given, in merge order.
DEFAULT_SHEET_ARCHIVES: list[Path] = [
    SHARED_DIR / "data" / "ice-287g-sheets",
    SHARED_DIR / "data" / "ice-287g-history",
    # Three lists the history lacks (see its SOURCE.md); one under ICE's mistyped name
    # participatingAgencies11114025am, read by the reviewed data/reviewed/stamps.csv.
    SHARED_DIR / "data" / "ice-287g-additions",
]

#: ICE's 287(g) page (defined once, in the pipeline's thresholds; re-exported for the book).
from .pipeline.thresholds import ICE_287G_URL  # noqa: E402,F401
