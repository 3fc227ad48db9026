"""Command line: ``python -m ice287g --help``.

    python -m ice287g build [--sheets DIR ...] [--out DIR] [--no-cache]
    python -m ice287g fetch --dest DIR [--url URL] [--known FILES_CSV] [--record CHECKS_CSV]
    python -m ice287g diff OLD_PROCESSED_DIR NEW_PROCESSED_DIR [--output FILE] [--exit-code]
    python -m ice287g get-archives [--dest DIR] [--url BASE_URL]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def one_line(message) -> str:
    """``message`` as one line of plain text: control characters (newlines, escape
    sequences) shown as escapes, so untrusted text (a URL from a fetched page, a file name)
    cannot add a line to the log (a line of its own can be read as a CI workflow command)."""
    text = str(message)
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


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
    f.add_argument("--known", type=Path, action="append", metavar="FILES_CSV",
                   help="files.csv of a build (repeatable): sheets with a SHA-256 listed there "
                        "are not saved again; exit 3 and create no folder when nothing is new")
    f.add_argument("--record", type=Path, metavar="CHECKS_CSV",
                   help="append this check (UTC time, outcome, files) to a CSV record, "
                        "e.g. data/update-checks.csv")
    f.add_argument("--timeout", type=float,
                   help="seconds for each request attempt as a whole: connecting, redirects, "
                        "headers and body (default: 60)")
    f.add_argument("--retries", type=int, help="attempts per request (default: 4)")
    f.add_argument("--backoff", type=float,
                   help="seconds before the first retry, doubled each time (default: 2)")
    f.add_argument("--allow-unrecognised-names", action="store_true",
                   help="keep a sheet whose name carries no ICE stamp the pipeline reads "
                        "(only after reviewing it; see data/README.md)")
    g = sub.add_parser("get-archives", help="download the raw archives of ICE's sheets (the "
                                            "repository's release assets) for the build")
    g.add_argument("--dest", type=Path, metavar="DIR",
                   help="folder to unpack them into (default: ../shared/data, where the build "
                        "looks)")
    g.add_argument("--url", metavar="BASE_URL",
                   help="where SHA256SUMS and the archives are (default: the archive-base "
                        "release of repository.url in _config.yml)")
    d = sub.add_parser("diff", help="Markdown summary of what changed between the latest "
                                    "lists of two processed folders")
    d.add_argument("old", type=Path, metavar="OLD_PROCESSED_DIR")
    d.add_argument("new", type=Path, metavar="NEW_PROCESSED_DIR")
    d.add_argument("--output", type=Path, metavar="FILE", help="also write the summary to FILE")
    d.add_argument("--exit-code", action="store_true",
                   help="exit 1 when something changed (0 for 'no change')")
    args = parser.parse_args(argv)
    if args.command == "version":
        from . import __version__

        print(__version__)
        return 0
    if args.command == "build":
        return _build(args)
    if args.command == "fetch":
        return _fetch(args)
    if args.command == "diff":
        return _diff(args)
    if args.command == "get-archives":
        return _get_archives(args)
    return 2


def _get_archives(args) -> int:
    from .archives import ArchiveError, download

    try:
        download(args.dest, args.url, log=lambda msg: print(one_line(msg)))
    except ArchiveError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    return 0


def _build(args) -> int:
    from . import config
    from .pipeline import BuildError, SheetError, run_build
    from .pipeline.cache import default_cache_dir

    archives = args.sheets or list(config.DEFAULT_SHEET_ARCHIVES)
    missing = [a for a in archives if not Path(a).is_dir()]
    if missing:
        from .archives import missing_hint

        for m in missing:
            if args.sheets:
                print(f"error: the sheet folder {m} (given with --sheets) does not exist; "
                      "nothing was written", file=sys.stderr)
            else:
                print(f"error: the raw archive {m} (config.DEFAULT_SHEET_ARCHIVES) is not there "
                      f"(a fresh clone has no ../shared); {missing_hint()}; nothing was written",
                      file=sys.stderr)
        return 2
    out = args.out or config.PROCESSED_DIR
    cache = None if args.no_cache else (args.cache_dir or default_cache_dir())
    start = time.perf_counter()
    from .pipeline.s8_write import WriteError

    try:
        result = run_build(archives, out, cache_dir=cache, progress=sys.stderr.isatty())
    except SheetError as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 1
    except BuildError as exc:
        print(f"error: {exc}" + ("" if "nothing was written" in str(exc) else "\nnothing was written"),
              file=sys.stderr)
        return 1
    except WriteError as exc:  # one line: error: <what> (<path>); nothing was written
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 1
    qa, tables, cache = result["qa"], result["tables"], result["cache"]
    counts = {s: sum(1 for r in qa if r["status"] == s) for s in ("pass", "fail", "info")}
    print(f"wrote {out} in {time.perf_counter() - start:.1f} s: "
          f"{len(tables['snapshots.csv'])} participating and "
          f"{len(tables['pending_snapshots.csv'])} pending publications, "
          f"{len(tables['agreements.csv'])} agreements; QA {counts['pass']} pass, "
          f"{counts['fail']} fail, {counts['info']} info; cache {cache.hits} hits, "
          f"{cache.misses} reads", file=sys.stderr)
    return 0


def _fetch(args) -> int:
    from . import config
    from .fetch import FetchError, NothingNew, fetch

    options = {k: v for k, v in (("timeout", args.timeout), ("retries", args.retries),
                                 ("backoff", args.backoff)) if v is not None}
    try:
        folder = fetch(args.url or config.ICE_287G_URL, args.dest, known=args.known or (),
                       record=args.record, allow_unrecognised=args.allow_unrecognised_names,
                       log=lambda msg: print(f"warning: {one_line(msg)}", file=sys.stderr),
                       **options)
    except NothingNew as exc:
        print(f"nothing new: {one_line(exc)}", file=sys.stderr)
        return 3
    except FetchError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    print(f"saved {one_line(', '.join(p.name for p in sorted(folder.iterdir())))} in {folder}",
          file=sys.stderr)
    print(folder)
    return 0


def _diff(args) -> int:
    """Exit 0: no change; 1: changed (with --exit-code); 2: any error, as one line (the
    update workflow reads 1 as 'changed', so no failure may end with 1)."""
    from .diff import NO_CHANGE, DiffError, diff_folders

    if args.output is not None and not args.output.parent.is_dir():
        print(f"error: {args.output.parent}: no such folder (for --output {args.output})",
              file=sys.stderr)
        return 2
    try:
        change = diff_folders(args.old, args.new)
        text = change.to_markdown()
        if text.strip() != NO_CHANGE:
            # the update's pull request names the state pages and feeds it changes (issue 26)
            from .feeds import changed_outputs_markdown

            text = text.rstrip("\n") + "\n\n" + changed_outputs_markdown(change)
    except DiffError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 -- a crash must not exit 1 ("changed")
        print(f"error: cannot compare {args.old} and {args.new}: "
              f"{type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
        return 2
    if not text.endswith("\n"):
        text += "\n"
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"error: {args.output}: cannot write --output ({exc.strerror or exc})",
                  file=sys.stderr)
            return 2
    if change.changed and not change.substantive:
        print(f"note: only input files differ ({', '.join(change.qa_changes['check'])}): the new "
              "files carry lists the data already has", file=sys.stderr)
    print(text, end="")
    return 1 if args.exit_code and text != NO_CHANGE + "\n" else 0


if __name__ == "__main__":
    sys.exit(main())
