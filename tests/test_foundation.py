"""The book's foundation: pinned requirements, clean notebooks, an importable package, a build."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from conftest import REPO, repo_files, toc_files


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in requirement_lines(REPO / name):
            if line in (".", "-e .") or line.startswith(("-r ", "-c ")):
                continue
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.\-+!]+", line), (
                f"{name}: {line!r} is not pinned with =="
            )


def pins(path: Path) -> dict[str, str]:
    """Package name (normalised) -> pinned version, for the ``name==version`` lines."""
    out = {}
    for line in requirement_lines(path):
        if "==" in line:
            name, version = line.split("==", 1)
            out[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return out


def test_requirements_install_the_package_and_jupyter_book_1():
    lines = requirement_lines(REPO / "requirements.txt")
    assert "." in lines or "-e ." in lines, "requirements.txt must install the package (a '.' line)"
    # The book is a Jupyter Book 1 project (_config.yml + _toc.yml); 2.x is a different tool.
    assert pins(REPO / "requirements.txt")["jupyter-book"].startswith("1.")
    assert "-r requirements.txt" in requirement_lines(REPO / "requirements-dev.txt")


def test_runtime_txt_is_the_python_the_tests_run_on():
    """Binder builds from runtime.txt: the tested interpreter must be that Python."""
    import sys

    want = (REPO / "runtime.txt").read_text().strip()
    assert want == f"python-{sys.version_info.major}.{sys.version_info.minor}"


def test_constraints_pin_every_package_exactly_once():
    lines = requirement_lines(REPO / "constraints.txt")
    names = [line.split("==")[0].lower().replace("_", "-") for line in lines]
    assert all("==" in line for line in lines)
    assert len(names) == len(set(names)), "a package is pinned twice in constraints.txt"


def test_requirement_pins_agree_with_the_constraints():
    constraints = pins(REPO / "constraints.txt")
    for name in ("requirements.txt", "requirements-dev.txt"):
        for package, version in pins(REPO / name).items():
            assert constraints.get(package) == version, (
                f"{name} pins {package}=={version}, constraints.txt "
                f"{'has ' + constraints[package] if package in constraints else 'lacks it'}")


def test_notebooks_are_committed_without_outputs():
    notebooks = [p for p in repo_files() if p.suffix == ".ipynb"]
    assert notebooks, "the book has no notebooks"
    for nb_path in notebooks:
        nb = json.loads(nb_path.read_text())
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            assert cell.get("outputs") == [], f"{nb_path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{nb_path.name} cell {i} has a count"


def test_package_imports_and_finds_the_repository():
    import ice287g
    from ice287g import config

    assert re.fullmatch(r"\d+\.\d+\.\d+", ice287g.__version__)
    assert config.REPO_ROOT.resolve() == REPO.resolve()  # found from the package, not the cwd
    assert (config.PROCESSED_DIR / "datapackage.json").is_file()


def test_config_executes_notebooks_and_fails_on_errors():
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    assert cfg["execute"]["execute_notebooks"] == "cache"
    assert cfg["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    assert cfg["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", cfg["repository"]["url"])


def test_every_toc_entry_exists():
    for doc in toc_files():
        assert (REPO / f"{doc}.md").is_file() or (REPO / f"{doc}.ipynb").is_file(), doc


def test_clean_build_has_one_page_per_toc_entry(built_book):
    for doc in toc_files():
        page = built_book / f"{doc}.html"
        assert page.is_file(), f"no page for {doc}"
        assert "<h1" in page.read_text(), f"{doc}.html has no title"


def test_notebook_pages_launch_binder_with_their_path(built_book):
    cfg = yaml.safe_load((REPO / "_config.yml").read_text())
    owner_repo = cfg["repository"]["url"].removeprefix("https://github.com/")
    branch = cfg["repository"]["branch"]
    notebooks = [d for d in toc_files() if (REPO / f"{d}.ipynb").is_file()]
    assert notebooks
    for doc in notebooks:
        html = (built_book / f"{doc}.html").read_text()
        expected = (
            f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=lab/tree/{doc}.ipynb"
        )
        assert expected in html, f"{doc}.html lacks the Binder link {expected}"


#: Placeholders: the editors' marks in capitals (case-sensitive: "todo" is a Spanish word, "all"),
#: and filler phrases in either edition's language.
PLACEHOLDER = re.compile(r"\bTODO\b|\bTK\b|\bTKTK\b|\bFIXME\b|\bXXX\b"
                         r"|(?i:lorem ipsum|in preparation|en preparaci[oó]n|por traducir)")


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"(?s)<[^>]+>", " ", html)


def test_placeholder_pattern_catches_placeholders():
    for sample in ("<p>TK: add the date</p>", "<p>Lorem ipsum dolor</p>", "<p>TODO</p>",
                   "<p>This chapter is in preparation.</p>", "<p>Capítulo en preparación</p>",
                   "<p>Texto por traducir</p>"):
        assert PLACEHOLDER.search(visible_text(sample)), sample
    assert not PLACEHOLDER.search(visible_text("<p>Task Force Model, Tkachenko, todo el año</p>"
                                               "<script>var TODO = 1;</script>"))


def test_no_built_page_contains_placeholder_text(built_book):
    pages = sorted(built_book.rglob("*.html"))
    assert len(pages) >= len(toc_files())
    found = []
    for page in pages:
        for match in PLACEHOLDER.finditer(visible_text(page.read_text(encoding="utf-8"))):
            found.append(f"{page.relative_to(built_book)}: {match.group(0)!r}")
    assert not found, "placeholder text in the built book:\n" + "\n".join(found)


# ------------------------------------------------------------------------- code structure

#: Parses files in a child process and sends the trees back pickled. Python 3.11's ast module
#: keeps one recursion counter for all threads, so ast.parse in the test process fails now and
#: then ("AST constructor recursion depth mismatch") when a thread another test left running
#: touches it; the child has no other thread.
_PARSE = ("import ast, pickle, sys\n"
          "trees = [ast.parse(open(p, encoding='utf-8').read(), p) for p in sys.argv[1:]]\n"
          "sys.stdout.buffer.write(pickle.dumps(trees))")


def parse_files(paths: list[Path]) -> list:
    """The ast.Module of each file, parsed in a fresh single-threaded interpreter."""
    import pickle
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _PARSE, *map(str, paths)], capture_output=True,
                         check=True)
    return pickle.loads(out.stdout)


def test_files_are_parsed_in_a_child_process_with_line_numbers(tmp_path):
    import ast

    (tmp_path / "a.py").write_text("import os\n\n\ndef f():\n    from . import b\n")
    (tmp_path / "b.py").write_text('"""Doc."""\n')
    a, b = parse_files([tmp_path / "a.py", tmp_path / "b.py"])
    found = [(type(n).__name__, n.lineno) for n in ast.walk(a)
             if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert found == [("Import", 1), ("ImportFrom", 5)]
    assert ast.get_docstring(b) == "Doc."


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in the file, function bodies too:
    a lazy import closes a cycle as surely as a top-level one)."""
    import ast

    root = package.parent
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, is_pkg)
    trees = dict(zip(modules, parse_files([path for path, _ in modules.values()])))

    def resolve(name: str) -> str | None:
        while name and name not in modules:  # `from .x import function` -> module x
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for mod, (path, is_pkg) in modules.items():
        here = mod if is_pkg else mod.rpartition(".")[0]
        deps = set()
        for node in ast.walk(trees[mod]):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                names = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            for name in names:
                target = resolve(name)
                if target and target != mod:
                    deps.add(target)
        # `from .pipeline import run_build` names the package, `from . import s1_find` a module:
        # keep the deepest module each import statement names.
        graph[mod] = {d for d in deps if not any(o.startswith(d + ".") for o in deps)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle (as a path a -> b -> ... -> a), or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_cycle_finder_finds_the_old_build_tables_cycle(tmp_path):
    """The tree before the pipeline restructure: build imported tables inside derive(), tables
    imported build at the top (and datapackage did too)."""
    pkg = tmp_path / "ice287g"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""pkg"""\n')
    (pkg / "sheets.py").write_text("import re\n")
    (pkg / "build.py").write_text("from . import sheets\n\ndef derive():\n"
                                  "    from . import tables as t\n    return t\n")
    (pkg / "tables.py").write_text("from .build import Builder\nfrom . import sheets as s\n")
    assert find_cycle(import_graph(pkg)) == ["ice287g.build", "ice287g.tables", "ice287g.build"]
    (pkg / "build.py").write_text("from . import sheets\n")
    assert find_cycle(import_graph(pkg)) == []


def test_no_import_cycle_in_the_package():
    graph = import_graph(REPO / "ice287g")
    assert "ice287g.pipeline.s5_trend" in graph and graph["ice287g.pipeline.build"]
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_records_and_thresholds_import_nothing_of_the_pipeline():
    graph = import_graph(REPO / "ice287g")
    for bottom in ("ice287g.pipeline.records", "ice287g.pipeline.thresholds"):
        assert not {d for d in graph[bottom] if d.startswith("ice287g.")}, bottom


def test_ruff_finds_nothing():
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    paths = [p for p in ("ice287g", "tests", "benchmarks", "scripts", "tools") if (REPO / p).is_dir()]
    r = subprocess.run([str(ruff), "check", "--no-cache", *paths], cwd=REPO, capture_output=True,
                       text=True)
    assert r.returncode == 0, f"ruff ({' '.join(paths)}):\n{r.stdout}{r.stderr}"


def test_docstrings_and_readme_name_every_module():
    """The package docstring names every top-level module, the pipeline's docstring every
    stage module (in data-flow order), and the README's layout table every file of both."""
    import ast

    pkg = REPO / "ice287g"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Repository layout"):]
    layout = layout[:layout.index("\n## ", 5)]
    folders = (pkg, pkg / "pipeline")
    inits = dict(zip(folders, parse_files([folder / "__init__.py" for folder in folders])))
    for folder in folders:
        doc = ast.get_docstring(inits[folder])
        modules = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
        if folder == pkg:
            modules.append("pipeline")
        for mod in modules:
            assert f"``{mod}``" in doc, f"{folder.relative_to(REPO)}/__init__.py does not name {mod}"
            if mod != "__main__" or folder == pkg:
                assert re.search(rf"`(ice287g/)?{re.escape(mod)}(\.py|/)?`", layout) or \
                    f"{mod}.py" in layout, f"README's layout table does not name {mod}"
    stages = [line.split("``")[1] for line in ast.get_docstring(
        inits[pkg / "pipeline"]).splitlines() if re.match(r"- ``s\d_", line)]
    assert stages == sorted(stages) and stages[0] == "s1_find" and len(stages) == 8, stages
