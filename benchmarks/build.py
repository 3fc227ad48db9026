"""Time the book's build as ``scripts/build-book.sh`` runs it: both editions, cold and warm.

    .venv/bin/python benchmarks/build.py [--warm-runs 3] [--concurrent] [--keep DIR]

Four measurements, each on a fresh copy of the repository's files in a temporary folder (the
working tree's ``_build`` is left alone), with the commands of ``scripts/build-book.sh``:

1. English cold: ``jupyter-book build . -W --keep-going`` with no ``_build`` (every notebook
   executed, no execution cache);
2. Spanish cold: ``python tools/editions.py build es -W --keep-going`` alone on a fresh copy;
3. both cold: ``python tools/editions.py build en es -W --keep-going`` (build-book.sh's
   command: both editions, one process each, side by side) on a fresh copy;
4. warm: the same command again on the copy of (3), nothing changed, ``--warm-runs`` times
   (the median is the figure; every run is printed).

``--concurrent`` adds both editions started at the same time on a fresh copy, cold and warm
(not what build-book.sh does: a measured option). It prints each time with the CPU time the builds used (so a busy machine shows as wall time
well above CPU time) and the load average, and the two targets of issue 14: both editions cold
within 2x the English cold build, and the warm rebuild of both within 5 s. The exit status is
1 when a build fails (its log's tail is printed), 0 otherwise: the targets are reported, not
enforced, because timings depend on the machine's load.

The copy imports its own ``ice287g`` (``PYTHONPATH`` and ``ICE287G_ROOT`` point at it), so the
figures are those of the files being measured, not of an installed package.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from conftest import repo_files  # noqa: E402

#: The English cold build's own target (the foundation's), and issue 14's two targets.
ENGLISH_COLD_TARGET = 60.0
BOTH_COLD_RATIO_TARGET = 2.0
WARM_BOTH_TARGET = 5.0


class BuildFailed(RuntimeError):
    pass


def copy_repo(dest: Path) -> Path:
    """The repository's files (tracked and untracked, not ignored) copied into ``dest``."""
    for src in repo_files():
        target = dest / src.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def commands(root: Path) -> dict[str, list[str]]:
    """The two build commands of scripts/build-book.sh, for the copy at ``root``."""
    python = Path(sys.executable)
    editions = [str(python), str(root / "tools" / "editions.py"), "build"]
    return {
        # The English book alone, as Jupyter Book's own command builds it: the reference.
        "en": [str(python.with_name("jupyter-book")), "build", str(root), "-W", "--keep-going"],
        "es": [*editions, "es", "-W", "--keep-going"],
        # What scripts/build-book.sh runs: both editions, one process each, side by side.
        "both": [*editions, "en", "es", "-W", "--keep-going"],
    }


def run(root: Path, editions: str | tuple[str, ...], log: Path) -> tuple[float, float]:
    """Build one edition of the copy at ``root`` (several: all started at once); (wall
    seconds until the last one ends, CPU seconds of the builds and their kernels)."""
    editions = (editions,) if isinstance(editions, str) else editions
    env = {**os.environ, "ICE287G_ROOT": str(root), "PYTHONPATH": str(root)}
    env.pop("ICE287G_LANG", None)  # editions.py sets it for the Spanish build
    logs = {e: log if len(editions) == 1 else log.with_suffix(f".{e}.log") for e in editions}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    procs = {}
    for edition in editions:
        with logs[edition].open("w") as out:
            procs[edition] = subprocess.Popen(commands(root)[edition], cwd=root, env=env,
                                              stdout=out, stderr=subprocess.STDOUT)
    codes = {edition: proc.wait() for edition, proc in procs.items()}
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for edition, code in codes.items():
        if code != 0:
            tail = logs[edition].read_text(errors="replace")[-4000:]
            raise BuildFailed(f"the {edition} build of {root} failed (exit {code}); "
                              f"log {logs[edition]}:\n{tail}")
    return wall, cpu


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def line(label: str, wall: float, cpu: float, extra: str = "") -> str:
    return f"{label:<34} {wall:7.1f} s  (CPU {cpu:6.1f} s){extra}"


def measure(base: Path, warm_runs: int, concurrent: bool = False) -> dict[str, float]:
    figures: dict[str, float] = {}
    logs = base / "logs"
    logs.mkdir()
    print(f"start: {load()}", flush=True)

    en_root = copy_repo(base / "english-cold")
    wall, cpu = run(en_root, "en", logs / "english-cold.log")
    figures["english_cold"], figures["english_cold_cpu"] = wall, cpu
    print(line("English cold", wall, cpu, f"  [{load()}]"), flush=True)
    shutil.rmtree(en_root)

    es_root = copy_repo(base / "spanish-cold")
    wall, cpu = run(es_root, "es", logs / "spanish-cold.log")
    figures["spanish_cold"] = wall
    print(line("Spanish cold", wall, cpu, f"  [{load()}]"), flush=True)
    shutil.rmtree(es_root)

    both = copy_repo(base / "both")
    wall, cpu = run(both, "both", logs / "both-cold.log")
    figures["both_cold"], figures["both_cold_cpu"] = wall, cpu
    print(line("both cold (build-book.sh's command)", wall, cpu, f"  [{load()}]"), flush=True)

    warm = []
    for n in range(1, warm_runs + 1):
        wall, cpu = run(both, "both", logs / f"warm-{n}.log")
        warm.append(wall)
        print(line(f"warm both, run {n}", wall, cpu, f"  [{load()}]"), flush=True)
    figures["warm_both"] = statistics.median(warm)

    if concurrent:
        # Not what build-book.sh does today: both editions started at once (they share no
        # output, doctree or cache folder), measured as a possible change.
        root = copy_repo(base / "concurrent")
        wall, cpu = run(root, ("en", "es"), logs / "concurrent-cold.log")
        figures["concurrent_cold"] = wall
        print(line("both cold, started together", wall, cpu, f"  [{load()}]"), flush=True)
        warm = [run(root, ("en", "es"), logs / f"concurrent-warm-{n}.log")
                for n in range(1, warm_runs + 1)]
        figures["concurrent_warm"] = statistics.median(w for w, _ in warm)
        for n, (wall, cpu) in enumerate(warm, start=1):
            print(line(f"warm both together, run {n}", wall, cpu, f"  [{load()}]"), flush=True)
    return figures


def report(figures: dict[str, float], warm_runs: int) -> None:
    ratio = figures["both_cold"] / figures["english_cold"]
    warm = figures["warm_both"]
    print()
    print(f"English cold: {figures['english_cold']:.1f} s (target <= {ENGLISH_COLD_TARGET:.0f} s)")
    print(f"Spanish cold: {figures['spanish_cold']:.1f} s")
    print(f"both cold / English cold: {ratio:.2f} (target <= {BOTH_COLD_RATIO_TARGET:.1f}): "
          + ("met" if ratio <= BOTH_COLD_RATIO_TARGET else "NOT met")
          + f"; in CPU time {figures['both_cold_cpu'] / figures['english_cold_cpu']:.2f}"
          " (what the ratio would be on an idle machine)")
    print(f"warm both (median of {warm_runs}): {warm:.1f} s (target <= {WARM_BOTH_TARGET:.0f} s): "
          + ("met" if warm <= WARM_BOTH_TARGET else "NOT met"))
    if "concurrent_cold" in figures:
        print(f"both started together: cold {figures['concurrent_cold']:.1f} s "
              f"({figures['concurrent_cold'] / figures['english_cold']:.2f}x English cold), "
              f"warm {figures['concurrent_warm']:.1f} s (median)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-runs", type=int, default=3, help="warm rebuilds (default 3)")
    parser.add_argument("--concurrent", action="store_true",
                        help="also time both editions started at the same time (cold, warm)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build in DIR (must not exist) and keep it, with the logs")
    args = parser.parse_args(argv)
    if args.warm_runs < 1:
        parser.error("--warm-runs must be at least 1")
    if args.keep and args.keep.exists():
        parser.error(f"{args.keep} exists; give a new folder")
    try:
        if args.keep:
            args.keep.mkdir(parents=True)
            figures = measure(args.keep, args.warm_runs, args.concurrent)
        else:
            with tempfile.TemporaryDirectory(prefix="ice287g-build-bench-") as tmp:
                figures = measure(Path(tmp), args.warm_runs, args.concurrent)
    except BuildFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report(figures, args.warm_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
