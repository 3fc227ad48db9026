"""Reader mode for the data pages: tag every code cell of the book's notebooks ``hide-input``.

    .venv/bin/python tools/reader_mode.py          # tag the notebooks in place
    .venv/bin/python tools/reader_mode.py --check  # exit 1 naming any cell left untagged

myst-nb renders a ``hide-input`` cell with its code folded behind a "Show code cell source"
control and its output (chart, table) shown, so a reader meets the charts and prose first.
The code stays in the notebook: JupyterLab and Binder open it unchanged (the tag only matters
to the book). Cells already tagged ``remove-input``, ``remove-cell`` or ``hide-cell`` are left
as they are. Only cell metadata is touched; the notebook is written back in nbformat's own
layout (one-space indent, UTF-8, trailing newline), so the diff is the added tags alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TAG = "hide-input"
ALREADY = {TAG, "remove-input", "remove-cell", "hide-cell"}


def untagged(nb: dict) -> list[int]:
    """Indexes of the code cells that carry none of the reader-mode tags."""
    return [i for i, cell in enumerate(nb.get("cells", []))
            if cell.get("cell_type") == "code"
            and not ALREADY & set(cell.get("metadata", {}).get("tags", []))]


def tag(nb: dict) -> int:
    """Add ``hide-input`` to every untagged code cell; return how many were tagged."""
    cells = untagged(nb)
    for i in cells:
        meta = nb["cells"][i].setdefault("metadata", {})
        meta["tags"] = [*meta.get("tags", []), TAG]
    return len(cells)


def notebooks(root: Path = REPO) -> list[Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report untagged cells")
    args = parser.parse_args(argv)
    missing = []
    for path in notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        if args.check:
            missing += [f"{path.relative_to(REPO)}: code cell {i}" for i in untagged(nb)]
            continue
        if tag(nb):
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"tagged {path.relative_to(REPO)}")
    if missing:
        print("code cells without hide-input (run tools/reader_mode.py):\n" + "\n".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
