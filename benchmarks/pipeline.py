"""Time the data pipeline against merely reading every sheet with openpyxl.

    /work/venv0/bin/python benchmarks/pipeline.py [--sheets DIR ...] [--repeat N]

Prints:

- ``read``: wall time of ``pandas.read_excel(path, engine="openpyxl")`` over every sheet;
- ``cold``: wall time of the whole command ``python -m ice287g build`` (interpreter start
  included) with an empty parsed-sheet cache, and its ratio to ``read``
  (targets: <= 0.6x over the May-July 2025 archive, <= 0.3x over both archives);
- ``warm``: the same command after adding one new sheet to the inputs, with the cache filled by
  the previous run, so only that sheet is read (target: <= 3 s).

Outputs go to temporary folders; the repository's data/processed/ is not touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COLD_TARGET_ONE, COLD_TARGET_BOTH, WARM_TARGET = 0.6, 0.3, 3.0


def read_all(paths: list[Path]) -> float:
    import pandas as pd

    start = time.perf_counter()
    for p in paths:
        pd.read_excel(p, engine="openpyxl")
    return time.perf_counter() - start


def run_build(archives: list[Path], out: Path, cache: Path) -> float:
    cmd = [sys.executable, "-m", "ice287g", "build", "--out", str(out), "--cache-dir", str(cache)]
    for a in archives:
        cmd += ["--sheets", str(a)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True,
                   env={**os.environ, "ICE287G_ROOT": str(REPO)})
    return time.perf_counter() - start


def new_sheet(source: Path, dest: Path) -> Path:
    """A new sheet (new bytes, later stamp) made from the latest participating sheet."""
    import openpyxl

    wb = openpyxl.load_workbook(source)
    ws = wb.active
    ws.append(["FLORIDA", "Benchmark Police Department", "Municipality", "Monroe County",
               "Task Force Model", None, "link"])
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "participatingAgencies12312099pm.xlsx"
    wb.save(path)
    return path


def main() -> int:
    from ice287g import config
    from ice287g.pipeline import s1_find

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", action="append", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="repeat cold/warm runs, report the best")
    args = parser.parse_args()
    archives = args.sheets or list(config.DEFAULT_SHEET_ARCHIVES)
    missing = [a for a in archives if not a.is_dir()]
    if missing:
        print(f"the inputs are missing: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    paths = [f.path for f in s1_find.find_sheets(archives)]
    target = COLD_TARGET_ONE if len(archives) == 1 else COLD_TARGET_BOTH
    print(f"inputs: {len(paths)} sheets in {len(archives)} archive(s)")
    read = read_all(paths)
    print(f"read   (pandas.read_excel, openpyxl): {read:7.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        colds, warms = [], []
        for k in range(args.repeat):
            cache = tmp / f"cache{k}"
            colds.append(run_build(archives, tmp / "out", cache))
            latest = sorted((p for p in paths if p.name.startswith("participatingAgencies")),
                            key=lambda p: s1_find.parse_name(p.name).stamp)[-1]
            extra = tmp / f"extra{k}"
            new_sheet(latest, extra)
            warms.append(run_build(archives + [extra], tmp / "out", cache))
            shutil.rmtree(extra)
        cold, warm = min(colds), min(warms)
    print(f"cold   (python -m ice287g build, empty cache): {cold:7.2f} s = {cold / read:.3f}x read "
          f"(target <= {target}x) {'OK' if cold / read <= target else 'MISSED'}")
    print(f"warm   (one sheet added, cache filled):     {warm:7.2f} s (target <= {WARM_TARGET} s) "
          f"{'OK' if warm <= WARM_TARGET else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
