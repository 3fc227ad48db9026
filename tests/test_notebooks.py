"""The analysis notebooks and what the built book makes of them.

- every notebook in chapters/ ran top to bottom in the book's build (a fresh kernel each, as
  Jupyter Book runs them) without an error: read from the executed notebooks the build wrote
  (``jupyter_execute``), not run again here; their time against the 10 s target is printed by
  benchmarks/notebooks.py (a time, not a test);
- every {glue} key a chapter or notebook pastes is glued by the notebook it names, and glued
  values are numbers (or figures), not strings (the build's glue data, ``*.glue.json``);
- the explorer's saved widget state holds client-side links (jslink) from each Dropdown's
  ``index`` to a Stack's ``selected_index``, and every pre-rendered view has an alt-texted chart;
- in the built book: every image has real alt text and is at most 200 KB, the explorer page
  loads the self-hosted widget manager and embeds the links, and no page references a CDN.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import editions  # noqa: E402

CHAPTERS = REPO / "chapters"
NOTEBOOKS = sorted(p.name for p in CHAPTERS.glob("*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MAX_IMAGE_BYTES = 200_000
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "ajax.googleapis.com",
             "code.jquery.com", "cdn.plot.ly", "fonts.googleapis.com", "use.fontawesome.com")


class Executed:
    """The notebooks as the book's build executed them (English edition): the executed
    notebook (outputs, widget state) and its glue data, by notebook file name."""

    def __init__(self, built_book: Path, lang: str = "en"):
        # built_book is <root>/_build/html; tools/editions.py says where each edition's
        # executed notebooks are.
        self.root = built_book.parent.parent
        self.folder = editions.executed_dir(lang, self.root) / "chapters"

    def notebook(self, name: str) -> nbformat.NotebookNode:
        path = self.folder / name
        assert path.is_file(), f"the build wrote no executed {name} (looked in {self.folder})"
        return nbformat.read(path, as_version=4)

    def glued(self, name: str) -> dict[str, dict]:
        """Glue key -> mime bundle (prefix stripped) of an executed notebook."""
        self.notebook(name)  # the notebook ran (a notebook that glues nothing has no file)
        path = self.folder / (Path(name).stem + ".glue.json")
        if not path.is_file():
            return {}
        return {key: entry.get("data", {})
                for key, entry in json.loads(path.read_text(encoding="utf-8")).items()}


@pytest.fixture(scope="module")
def executed(built_book) -> Executed:
    return Executed(built_book)


# ------------------------------------------------------------------------- glue references
ROLE = re.compile(r"\{glue(?::(?:any|text|md)?)?\}`([^`]+)`")
DIRECTIVE = re.compile(r"^[`:]{3,}\{glue(?::(?:any|figure|math|md))?\}\s+(\S+)", re.M)


def glue_references(text: str) -> list[tuple[str | None, str]]:
    """(notebook path or None, key) for every glue role and directive in MyST text."""
    refs = []
    for m in ROLE.finditer(text):
        target = m.group(1).strip()
        role = m.group(0)[: m.group(0).index("}")]
        path, _, rest = target.rpartition("::") if "::" in target else (None, "", target)
        key = rest.split(":", 1)[0] if role.endswith(":text") else rest
        refs.append((path or None, key))
    for m in DIRECTIVE.finditer(text):
        target = m.group(1)
        path, _, key = target.rpartition("::") if "::" in target else (None, "", target)
        # a directive may name its notebook with a `:doc:` option instead
        for line in text[m.end():].split("\n")[1:]:
            if not line.startswith(":") or line.startswith(("```", ":::")):
                break
            opt = re.match(r":doc:\s*(\S+)", line)
            if opt:
                path = opt.group(1)
        refs.append((path or None, key))
    return refs


def documents_with_glue(root: Path = REPO) -> list[tuple[Path, str]]:
    """(path, MyST text) of every page of the book under ``root`` (the repository, or the
    copy the book was built from) that may paste glued values."""
    docs = []
    for path in [root / "index.md", *sorted((root / "chapters").glob("*.md"))]:
        docs.append((path, path.read_text()))
    for path in sorted((root / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        docs.append((path, "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))
    return docs


def test_glue_reference_parser():
    text = ("a {glue:text}`national-growth.ipynb::n_latest:,d` b {glue}`where.ipynb::x` "
            "{glue:text}`own_key:.1f`\n```{glue:figure} key-west-list.ipynb::fig_kw\n:alt: a\n```\n"
            ":::{glue} local\n:::\n```{glue:any} t\n:doc: story-tables.ipynb\n```\n")
    assert glue_references(text) == [("national-growth.ipynb", "n_latest"),
                                     ("where.ipynb", "x"), (None, "own_key"),
                                     ("key-west-list.ipynb", "fig_kw"), (None, "local"),
                                     ("story-tables.ipynb", "t")]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_ran_top_to_bottom_in_the_build_without_an_error(executed, name):
    """The build ran every code cell once, in order, in one kernel, and none failed."""
    nb = executed.notebook(name)
    # The notebook the build read (the repository's, copied by the built_book fixture).
    source = nbformat.read(executed.root / "chapters" / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code] == [c.source for c in source.cells if c.cell_type == "code"], (
        f"{name}: the executed copy is not the built notebook's code")
    counts = [c.get("execution_count") for c in code if c.source.strip()]
    assert counts and counts == list(range(1, len(counts) + 1)), (
        f"{name}: cells not run once each, top to bottom: {counts}")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{name}: {[e.get('ename') for e in errors]}"


def test_every_pasted_glue_key_is_glued_by_its_notebook(executed):
    problems, n_refs = [], 0
    for path, text in documents_with_glue(executed.root):
        for nb_path, key in glue_references(text):
            n_refs += 1
            target = (path.parent / nb_path).resolve() if nb_path else path
            if target.suffix != ".ipynb":
                problems.append(f"{path.name}: glue key {key!r} names no notebook")
                continue
            if not target.is_file():
                problems.append(f"{path.name}: {nb_path} does not exist")
                continue
            keys = executed.glued(target.name)
            if key not in keys:
                problems.append(f"{path.name}: {target.name} glues no {key!r}")
    assert n_refs > 0, "no chapter or notebook pastes any glued value"
    assert not problems, "\n".join(problems)


def test_agency_count_matches_an_independent_recount(executed):
    """Issue 11: the latest list's agreements are held by 1,551 agencies, not 1,557 (six Texas
    sheriff's offices are spelled with a straight and a curly apostrophe). Recounted here from
    agreements.csv with the csv module: distinct (state, name) once apostrophes, case and
    spacing are set aside."""
    import csv

    with open(executed.root / "data" / "processed" / "agreements.csv", newline="",
              encoding="utf-8") as fh:
        latest = [r for r in csv.DictReader(fh) if r["listed_in_latest"] == "true"]

    def key(name: str) -> str:
        return " ".join(name.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()
    agencies = {(r["state"], key(r["agency"])) for r in latest}
    florida = {a for a in agencies if a[0] == "Florida"}
    growth, where = executed.glued("national-growth.ipynb"), executed.glued("where.ipynb")
    assert int(growth["n_latest"]["text/plain"]) == len(latest)
    assert int(growth["n_agencies_latest"]["text/plain"]) == len(agencies)
    assert int(where["n_fl_agencies_latest"]["text/plain"]) == len(florida)


TEXT_S_ROLE = re.compile(r"\{glue:text\}`(?:([^`:]+\.ipynb)::)?([^`:]+):s`")


def paste_counts(nb_name: str, key: str, root: Path = REPO) -> tuple[int, int]:
    """(all pastes of ``nb_name``'s ``key`` in the book, pastes as ``{glue:text}`...:s```).
    A string's repr loses its quotes only the second way (myst-nb literal-evaluates it)."""
    total = plain = 0
    for path, text in documents_with_glue(root):
        total += sum(1 for nb_path, ref_key in glue_references(text)
                     if ref_key == key and (Path(nb_path).name if nb_path else path.name) == nb_name)
        plain += sum(1 for m in TEXT_S_ROLE.finditer(text)
                     if m.group(2) == key
                     and (Path(m.group(1)).name if m.group(1) else path.name) == nb_name)
    return total, plain


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if n != "story-tables.ipynb"])
def test_glued_values_are_numbers_or_figures(executed, name):
    """Numbers are glued as numbers. The one exception is a short string (a date, a name from
    the data) that every document pastes with the `s` format spec, which drops its quotes."""
    for key, bundle in executed.glued(name).items():
        if "image/png" in bundle or "text/html" in bundle:
            continue
        text = bundle.get("text/plain", "")
        try:
            float(text)
            continue
        except ValueError:
            pass
        is_string = len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]
        assert is_string, f"{name}: glue key {key!r} holds {text!r}, not a number or string"
        total, plain = paste_counts(name, key, executed.root)
        assert total == plain, (
            f"{name}: the string glued as {key!r} is pasted without the `:s` format spec, "
            "so it would show its quotes")


# ------------------------------------------------------------------------- the explorer
def widget_state(nb) -> dict:
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert state, "the executed explorer saved no widget state"
    return state


def check_links(state: dict) -> int:
    """Assert Dropdown.index -> Stack.selected_index jslinks with matching sizes; count them."""
    links = [m for m in state.values() if m["model_name"] in ("LinkModel", "DirectionalLinkModel")]
    n_ok = 0
    for link in links:
        (src_ref, src_attr), (dst_ref, dst_attr) = link["state"]["source"], link["state"]["target"]
        src = state[src_ref.removeprefix("IPY_MODEL_")]
        dst = state[dst_ref.removeprefix("IPY_MODEL_")]
        if (src["model_name"], src_attr, dst["model_name"], dst_attr) == (
                "DropdownModel", "index", "StackModel", "selected_index"):
            assert len(src["state"]["_options_labels"]) == len(dst["state"]["children"])
            n_ok += 1
    return n_ok


def check_views(state: dict) -> int:
    """Every Stack child is an HTML widget holding an <img> with real alt text, <= 200 KB."""
    n = 0
    for model in state.values():
        if model["model_name"] != "StackModel":
            continue
        for ref in model["state"]["children"]:
            child = state[ref.removeprefix("IPY_MODEL_")]
            assert child["model_name"] == "HTMLModel"
            imgs = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"',
                              child["state"]["value"])
            assert imgs, "a pre-rendered view has no chart image"
            assert "<caption>" in child["state"]["value"], "a view's table has no caption"
            for alt, b64 in imgs:
                assert len(alt.strip()) >= 15 and not alt.endswith(".png"), alt
                assert len(base64.b64decode(b64)) <= MAX_IMAGE_BYTES
                n += 1
    return n


def test_explorer_state_links_dropdowns_to_stacks_client_side(executed):
    state = widget_state(executed.notebook("explorer.ipynb"))
    assert check_links(state) >= 3, "expected a jslink per panel (state, support type, agency)"
    assert check_views(state) >= 3 + 3 + 3


# ------------------------------------------------------------------------- the built book
class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.scripts, self.links, self.state_json = [], [], [], []
        self._in_state = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag == "script":
            self.scripts.append(a)
            self._in_state = a.get("type") == WIDGET_STATE
        elif tag == "link":
            self.links.append(a)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_state = False

    def handle_data(self, data):
        if self._in_state:
            self.state_json.append(data)


def parse(page: Path) -> _Tags:
    tags = _Tags()
    tags.feed(page.read_text(encoding="utf-8"))
    return tags


def book_pages(html_dir: Path) -> list[Path]:
    pages = [p for p in html_dir.rglob("*.html") if "_static" not in p.parts]
    assert pages, f"no HTML pages under {html_dir}"
    return pages


def test_every_image_in_the_book_has_alt_text_and_is_small(built_book):
    n_images = 0
    for page in book_pages(built_book):
        for img in parse(page).imgs:
            src = img.get("src", "")
            alt = (img.get("alt") or "").strip()
            n_images += 1
            name = Path(src.split("?")[0]).name
            assert alt and alt != name and not re.search(r"\.(png|svg|jpe?g)$", alt), (
                f"{page.relative_to(built_book)}: <img src={src[:60]!r}> has alt {alt!r}")
            if src.startswith("data:image/"):
                size = len(base64.b64decode(src.split(",", 1)[1]))
            else:
                target = (page.parent / src.split("?")[0]).resolve()
                assert target.is_file(), f"{page.name}: image {src} is missing"
                size = target.stat().st_size
            assert size <= MAX_IMAGE_BYTES, f"{page.name}: {src[:60]} is {size:,} bytes"
    assert n_images >= 8, "the book should show the analysis charts"


def test_explorer_page_draws_its_views_without_the_widget_manager(built_book):
    """The book's explorer is static HTML with its views in small files beside it (issue 22;
    tests/test_explorer_page.py): no widget manager, no widget state, nothing from a CDN."""
    page = built_book / "chapters" / "explorer.html"
    tags = parse(page)
    srcs = [s.get("src", "") for s in tags.scripts]
    assert not [s for s in srcs if "widgets/embed.js" in s], srcs
    assert not any("embed-amd" in s or "require.js" in s or "require.min.js" in s for s in srcs)
    assert not tags.state_json, "explorer.html embeds the widget state"
    assert 'id="ice287g-explorer"' in page.read_text(encoding="utf-8")


def test_no_page_prints_raw_image_bytes(built_book):
    for page in book_pages(built_book):
        text = page.read_text(encoding="utf-8")
        assert "\\x89PNG" not in text, f"{page.name} prints a PNG as bytes"


def test_no_page_references_a_cdn(built_book):
    offenders = []
    for page in book_pages(built_book):
        text = page.read_text(encoding="utf-8")
        for host in CDN_HOSTS:
            if host in text:
                offenders.append(f"{page.relative_to(built_book)}: {host}")
        tags = parse(page)
        for attrs in tags.scripts + tags.links:
            url = attrs.get("src") or attrs.get("href") or ""
            if (attrs in tags.scripts or attrs.get("rel") in ("stylesheet", "preload")) \
                    and re.match(r"(https?:)?//", url):
                offenders.append(f"{page.relative_to(built_book)}: loads {url}")
    assert not offenders, "\n".join(offenders)
