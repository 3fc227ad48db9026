"""Command line: ``python -m ice287g --help``.

    python -m ice287g build [--sheets DIR ...] [--out DIR] [--no-cache]
    python -m ice287g fetch --dest DIR [--url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ice287g", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the package version")
    b = sub.add_parser("build", help="derive data/processed/ from archives of ICE's sheets")
    b.add_argument("--sheets", action="append", type=Path, metavar="DIR",
                   help="a folder of ICE sheets, flat or nested (repeat to merge archives); "
                        "default: config.DEFAULT_SHEET_ARCHIVES")
    b.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: data/processed in the repository)")
    b.add_argument("--no-cache", action="store_true",
                   help="do not read or write the parsed-sheet cache")
    b.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="parsed-sheet cache (default: $ICE287G_CACHE_DIR or the user cache dir)")
    f = sub.add_parser("fetch", help="download the current sheets linked from ICE's 287(g) page")
    f.add_argument("--dest", type=Path, required=True, metavar="DIR",
                   help="folder to create a sheets_<YYYYMMDD>_<HHMMSS>/ capture folder in")
    f.add_argument("--url", help="page to read the links from (default: config.ICE_287G_URL)")
    args = parser.parse_args(argv)
    if args.command == "version":
        from . import __version__

        print(__version__)
        return 0
    if args.command == "build":
        return _build(args)
    if args.command == "fetch":
        return _fetch(args)
    return 2


def _build(args) -> int:
    from . import config, sheets
    from .build import BuildError, run_build

    archives = args.sheets or list(config.DEFAULT_SHEET_ARCHIVES)
    missing = [a for a in archives if not Path(a).is_dir()]
    if missing:
        which = "given with --sheets" if args.sheets else \
            "default (config.DEFAULT_SHEET_ARCHIVES; a fresh clone has no ../shared)"
        for m in missing:
            print(f"error: the sheet folder {m} ({which}) does not exist; nothing was written",
                  file=sys.stderr)
        return 2
    out = args.out or config.PROCESSED_DIR
    cache = None if args.no_cache else (args.cache_dir or sheets.default_cache_dir())
    start = time.perf_counter()
    try:
        tables = run_build(archives, out, cache_dir=cache, progress=sys.stderr.isatty())
    except (sheets.SheetError, BuildError) as exc:
        print(f"error: {exc}\nnothing was written", file=sys.stderr)
        return 1
    qa = tables["qa"]
    counts = {s: sum(1 for r in qa if r["status"] == s) for s in ("pass", "fail", "info")}
    b = tables["builder"]
    print(f"wrote {out} in {time.perf_counter() - start:.1f} s: "
          f"{len(tables['csv']['snapshots.csv'][1])} participating and "
          f"{len(tables['csv']['pending_snapshots.csv'][1])} pending publications, "
          f"{len(tables['csv']['agreements.csv'][1])} agreements; QA {counts['pass']} pass, "
          f"{counts['fail']} fail, {counts['info']} info; cache {b.cache.hits} hits, "
          f"{b.cache.misses} reads", file=sys.stderr)
    return 0


def _fetch(args) -> int:
    from . import config
    from .fetch import FetchError, fetch

    try:
        folder = fetch(args.url or config.ICE_287G_URL, args.dest)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"saved {', '.join(p.name for p in sorted(folder.iterdir()))} in {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
