"""Reader mode for the data pages: setup cells off the page, the code behind a chart one click away.

    .venv/bin/python tools/reader_mode.py          # tag the notebooks' untagged code cells
    .venv/bin/python tools/reader_mode.py --check  # exit 1 naming every cell that breaks a rule

Each data page leads with its finding and its chart (issue 21). Every code cell of the book's
notebooks carries one reader-mode tag, myst-nb's:

- ``remove-cell``: a setup or computing cell (imports, loading, glue) that shows nothing: it
  does not appear on the page at all. A cell that shows a table may be removed too, when the
  page pastes it elsewhere.
- ``hide-input``: a cell that shows a chart, a table or a widget: its output is on the page and
  its code is folded behind a "Show code cell source" control, one click away.
- ``remove-input``: a cell of checks (``assert``) that shows nothing; kept for old notebooks.

``--check`` fails on a code cell with no tag, a ``hide-input`` cell that shows nothing (a code
toggle with nothing under it, the "Show code cell source" bars that opened the data pages), a
setup cell left on the page, and a chart cell whose code is taken off the page (``remove-cell``
or ``remove-input`` on a cell that calls ``charts.show``, ``maps.show`` or ``explorer.build``).
Whether a cell shows something is read from its code (notebooks are committed without
outputs): it calls ``display``, a ``show``/``show_table``/``table``/``build`` function, glue
with ``display=True``, or ends with an expression (which Jupyter displays). Untagged cells are
tagged by that reading. Only cell metadata is touched; a notebook is written back in nbformat's
layout (one-space indent, UTF-8, trailing newline), so the diff is the tags alone. The code
stays in the notebook: JupyterLab and Binder open it unchanged (the tags only matter to the
book).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHOWN = "hide-input"
REMOVED = "remove-cell"
TAGS = {SHOWN, REMOVED, "remove-input"}
#: Functions whose call puts something on the page.
DISPLAY_CALLS = {"display", "show", "show_table", "table", "build"}
#: Functions whose call puts a chart on the page: its code must stay one click away.
CHART_CALLS = {("charts", "show"), ("maps", "show"), ("explorer", "build")}


def _called(node: ast.Call) -> tuple[str, str]:
    """``(module, name)`` of a call: ``charts.show(...)`` -> ("charts", "show")."""
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return owner, func.attr
    if isinstance(func, ast.Name):
        return "", func.id
    return "", ""


def reading(source: str) -> tuple[bool, bool]:
    """``(shows, chart)``: whether a cell's code puts something on the page, and a chart."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: treat as showing, so a person decides
        return True, False
    shows = chart = False
    # calls inside a function the cell defines count where the function is called, not here
    top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    for node in (sub for stmt in top for sub in ast.walk(stmt)):
        if isinstance(node, ast.Call):
            owner, name = _called(node)
            if name in DISPLAY_CALLS:
                shows = True
            if (owner, name) in CHART_CALLS:
                chart = True
            if name == "glue" and any(k.arg == "display" and isinstance(k.value, ast.Constant)
                                      and k.value.value is True for k in node.keywords):
                shows = True
    body = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.Import,
                                                       ast.ImportFrom))]
    if body and isinstance(body[-1], ast.Expr):
        last = body[-1].value
        if not (isinstance(last, ast.Call) and _called(last)[1] in {"glue", "print"}):
            shows = True
    return shows or chart, chart


def cell_tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def untagged(nb: dict) -> list[int]:
    """Indexes of the code cells that carry no reader-mode tag."""
    return [i for i, cell in enumerate(nb.get("cells", []))
            if cell.get("cell_type") == "code" and not cell_tags(cell) & TAGS]


def problems(nb: dict) -> list[tuple[int, str]]:
    """``(index, what is wrong)`` for every code cell that breaks a reader-mode rule."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        tags = cell_tags(cell) & TAGS
        shows, chart = reading("".join(cell.get("source", "")))
        if not tags:
            found.append((i, "has no reader-mode tag (remove-cell or hide-input)"))
        elif len(tags) > 1:
            found.append((i, f"has more than one reader-mode tag: {sorted(tags)}"))
        elif SHOWN in tags and not shows:
            found.append((i, "is hide-input but shows nothing: a setup cell stays off the page "
                             "(remove-cell)"))
        elif chart and SHOWN not in tags:
            found.append((i, "shows a chart but its code is removed: the code behind a chart "
                             "stays one click away (hide-input)"))
    return found


def tag(nb: dict) -> int:
    """Tag every code cell without a reader-mode tag (``hide-input`` if it shows something,
    else ``remove-cell``); return how many were tagged."""
    n = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and not cell_tags(cell) & TAGS:
            shows, _ = reading("".join(cell.get("source", "")))
            meta = cell.setdefault("metadata", {})
            meta["tags"] = [*meta.get("tags", []), SHOWN if shows else REMOVED]
            n += 1
    return n


def notebooks(root: Path = REPO) -> list[Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report cells breaking a rule")
    args = parser.parse_args(argv)
    missing = []
    for path in notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        if args.check:
            missing += [f"{path.relative_to(REPO)}: code cell {i} {what}"
                        for i, what in problems(nb)]
            continue
        if tag(nb):
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"tagged {path.relative_to(REPO)}")
    if missing:
        print("reader mode (tools/reader_mode.py):\n" + "\n".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
