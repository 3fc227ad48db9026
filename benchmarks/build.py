"""Time a cold build (fresh _build and execution cache) and a warm no-change rebuild.

    .venv/bin/python benchmarks/build.py

Targets for the finished book on a 2-core machine: cold <= 60 s, warm <= 5 s.
The book is copied to a temporary folder so the working tree's _build is left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from conftest import repo_files  # noqa: E402

COLD_TARGET, WARM_TARGET = 60.0, 5.0


def build(root: Path) -> float:
    jb = Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    subprocess.run([str(jb), "build", str(root), "-W", "--keep-going", "-q"], check=True,
                   capture_output=True, env={**os.environ, "ICE287G_ROOT": str(root)})
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for src in repo_files():
            dest = root / src.relative_to(REPO)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        cold = build(root)
        warm = build(root)
    print(f"cold build: {cold:6.1f} s  (target <= {COLD_TARGET:.0f} s, {cold / COLD_TARGET:.2f}x target)")
    print(f"warm build: {warm:6.1f} s  (target <= {WARM_TARGET:.0f} s, {warm / WARM_TARGET:.2f}x target)")
    print(f"warm/cold ratio: {warm / cold:.2f}")


if __name__ == "__main__":
    main()
