"""Re-run a notebook when what it reads changes, not only when its code does.

myst-nb's execution cache (jupyter-cache) keys a notebook on its own code cells, and Sphinx
re-reads a page only when its source changed. A change to ``data/`` or to the ``ice287g``
modules a notebook imports therefore left the old outputs on the page (issue 25). This
extension, through Sphinx's public ``env-get-outdated`` event and jupyter-cache's public API:

- computes each notebook's *inputs*: the ``ice287g`` modules it imports, followed through
  their own imports; the package's data files (``ice287g/locale/``, the chart style); and
  every file under ``data/``;
- keeps a fingerprint of them per notebook in the build environment;
- when the fingerprint changed, marks the page outdated and removes the notebook's record
  from the execution cache, so it is executed again.

A notebook the environment has no fingerprint for (a first build, or an environment made
before this extension) is executed afresh too, so no output of unknown provenance is kept.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

PACKAGE = "ice287g"
#: Folders (relative to the source folder) whose every file is an input of every notebook
#: that imports the package: the data, and the package's own non-code files.
DATA_FOLDERS = ("data", f"{PACKAGE}/locale")
#: Package data files read by code (beside DATA_FOLDERS).
PACKAGE_DATA_SUFFIXES = (".mplstyle", ".json")


def _module_file(srcdir: Path, dotted: str) -> Path | None:
    """``ice287g.x.y`` -> its file under ``srcdir`` (a module or a package's __init__)."""
    parts = dotted.split(".")
    base = srcdir.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, current: str | None, is_package: bool) -> set[str]:
    """The package's modules named by the imports in ``tree`` (dotted names; a name imported
    from a package may be a submodule, so both are returned and the missing one dropped later).
    ``current`` is the dotted name of the module being read (None for a notebook)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level and current:
                package = current if is_package else current.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            elif node.module and node.module.split(".")[0] == PACKAGE:
                base = node.module
            else:
                continue
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _notebook_tree(path: Path) -> ast.AST:
    """The code cells of a notebook as one module (IPython magics and shell lines dropped)."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    lines: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines += [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        lines.append("")
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return ast.parse("")


class _Package:
    """The package's modules and data files under ``srcdir``, each read once."""

    def __init__(self, srcdir: Path):
        self.srcdir = srcdir
        self._files: dict[str, Path | None] = {}
        self._imports: dict[str, set[str]] = {}
        data = {p for p in (srcdir / PACKAGE).iterdir() if p.suffix in PACKAGE_DATA_SUFFIXES} \
            if (srcdir / PACKAGE).is_dir() else set()
        for folder in DATA_FOLDERS:
            root = srcdir / folder
            if root.is_dir():
                data |= {p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        self.data = data

    def file(self, name: str) -> Path | None:
        if name not in self._files:
            self._files[name] = _module_file(self.srcdir, name)
        return self._files[name]

    def imports(self, name: str) -> set[str]:
        if name not in self._imports:
            path = self.file(name)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            self._imports[name] = _imports(tree, name, path.name == "__init__.py")
        return self._imports[name]

    def inputs(self, notebook: Path) -> list[Path]:
        pending = _imports(_notebook_tree(notebook), None, False)
        if not pending:
            return []
        pending.add(PACKAGE)
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen or self.file(name) is None:
                continue
            seen.add(name)
            pending |= self.imports(name) - seen
        return sorted({self.file(name) for name in seen} | self.data)


def notebook_inputs(srcdir: Path | str, notebook: Path | str) -> list[Path]:
    """Every file whose change should re-run ``notebook`` (sorted, under ``srcdir``)."""
    return _Package(Path(srcdir)).inputs(Path(notebook))


class _Hasher:
    """File digests, each file read once per build."""

    def __init__(self):
        self._digests: dict[Path, str] = {}

    def digest(self, path: Path) -> str:
        if path not in self._digests:
            self._digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self._digests[path]

    def fingerprint(self, srcdir: Path, files: list[Path]) -> str:
        h = hashlib.sha256()
        for path in files:
            h.update(path.relative_to(srcdir).as_posix().encode() + b"\0")
            h.update(self.digest(path).encode() + b"\n")
        return h.hexdigest()


def _forget_executions(cache_path: str, notebook: Path) -> None:
    """Remove ``notebook``'s records from the jupyter-cache at ``cache_path`` (if any)."""
    if not cache_path or not Path(cache_path).is_dir():
        return
    from jupyter_cache import get_cache

    cache = get_cache(cache_path)
    target = str(notebook.resolve())
    for record in cache.list_cache_records():
        if str(Path(record.uri).resolve()) == target:
            cache.remove_cache(record.pk)


def execution_cache_path(app) -> Path:
    """The jupyter-cache folder myst-nb uses: ``nb_execution_cache_path``, else (its default,
    which Jupyter Book leaves in place) ``.jupyter_cache`` beside the build's output folder."""
    configured = getattr(app.config, "nb_execution_cache_path", "") or ""
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _outdated(app, env, added, changed, removed):
    srcdir = Path(app.srcdir)
    stored: dict[str, str] = getattr(env, "ice287g_nb_inputs", {})
    current: dict[str, str] = {}
    hasher = _Hasher()
    package = _Package(srcdir)
    outdated = []
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        if path.suffix != ".ipynb":
            continue
        files = package.inputs(path)
        if not files:
            continue
        current[docname] = hasher.fingerprint(srcdir, files)
        if stored.get(docname) != current[docname]:
            # Changed inputs, or an unknown fingerprint: execute afresh.
            _forget_executions(str(execution_cache_path(app)), path)
            if docname not in added and docname not in changed:
                outdated.append(docname)
    env.ice287g_nb_inputs = current
    return outdated


def setup(app):
    app.connect("env-get-outdated", _outdated)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}
