"""The book's one stylesheet, trimmed to what its pages use (issue 22; used by book_ext.py).

The themes ship about 550 kB of CSS (92 kB gzipped), of which the book's pages use a few per
cent: Bootstrap's utilities and components, Font Awesome's 2,000 icon classes, styles for
directives the book never writes. When the HTML build finishes, :func:`write_site_css` joins
the stylesheets a page would load (in their order) and keeps only

- rules with at least one selector whose classes and ids all occur in the build: in a page's
  ``class``/``id`` attributes or as a word in a script the pages load (the themes' scripts add
  classes such as ``show`` or ``pst-sidebar-hidden``); a class inside ``:not()``, ``:has()``,
  ``:is()`` or ``:where()`` is not required; element and attribute selectors always count as
  used (so the dark mode's ``html[data-theme=dark]`` rules stay);
- custom properties (``--name: ...``) that a kept declaration uses, directly or through
  another property;
- no ``@font-face``: the book uses the reader's system fonts and draws its few icons as SVG
  (assets/book/icons.css), so no web font is downloaded.

The parser is a small scanner for the minified CSS the themes ship (strings, comments, nested
``@media``/``@supports``/``@layer`` blocks); other at-rules are kept as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

_TOKEN = re.compile(r'[{};"\']|/\*')
_NESTED = ("@media", "@supports", "@layer", "@container", "@document")
_ATTR = re.compile(r"\[[^\]]*\]")
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_ID = re.compile(r"#(-?[_a-zA-Z][\w-]*)")
_VAR = re.compile(r"var\(\s*(--[\w-]+)")
_WORD = re.compile(r"[A-Za-z_][\w-]*")
_CLASS_ATTR = re.compile(r'\b(?:class|id)="([^"]*)"')


def _skip_string(css: str, i: int) -> int:
    quote = css[i]
    i += 1
    while i < len(css):
        c = css[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        i += 1
    return i


def _next_token(css: str, i: int, end: int | None = None) -> re.Match | None:
    """The next ``{``, ``}`` or ``;`` of ``css[i:end]`` outside strings and comments."""
    end = len(css) if end is None else end
    while True:
        m = _TOKEN.search(css, i, end)
        if not m:
            return None
        c = m.group(0)
        if c in "\"'":
            i = _skip_string(css, m.start())
        elif c == "/*":
            comment_end = css.find("*/", m.end())
            if comment_end < 0:
                return None
            i = comment_end + 2
        else:
            return m


def _block_end(css: str, i: int) -> int:
    """Index just after the ``}`` closing the block whose ``{`` is before ``i``."""
    depth = 1
    while depth:
        m = _next_token(css, i)
        if not m:
            return len(css)
        i = m.end()
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
    return i


def parse(css: str, i: int = 0, end: int | None = None) -> list:
    """``[(prelude, body-or-children), ...]``: ``body`` a string of declarations, children a
    list for nested at-rules, ``None`` for statements such as ``@charset``. Comments are
    dropped from preludes."""
    end = len(css) if end is None else end
    nodes = []
    start = i
    while i < end:
        m = _next_token(css, i, end)
        if not m:
            break
        c = m.group(0)
        prelude = re.sub(r"/\*.*?\*/", "", css[start:m.start()], flags=re.S).strip()
        if c == ";":
            if prelude and not prelude.lower().startswith("@charset"):
                nodes.append((prelude, None))
            i = start = m.end()
        elif c == "{":
            close = _block_end(css, m.end())
            if prelude.lower().startswith(_NESTED):
                nodes.append((prelude, parse(css, m.end(), close - 1)))
            else:
                nodes.append((prelude, css[m.end():close - 1].strip()))
            i = start = close
        else:  # a stray "}"
            i = start = m.end()
    return nodes


def split_top(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside parentheses, brackets and strings."""
    parts, depth, quote, current = [], 0, "", []
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            current.append(c)
            if c == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
            current.append(c)
        elif c in "([":
            depth += 1
            current.append(c)
        elif c in ")]":
            depth -= 1
            current.append(c)
        elif c == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def _strip_functional(selector: str) -> str:
    """The selector without the arguments of :not() :has() :is() :where() (not required)."""
    out, i = [], 0
    while True:
        m = re.search(r":(?:not|has|is|where|-webkit-any|-moz-any)\(", selector[i:])
        if not m:
            out.append(selector[i:])
            return "".join(out)
        out.append(selector[i:i + m.start()])
        j, depth = i + m.end(), 1
        while j < len(selector) and depth:
            if selector[j] == "(":
                depth += 1
            elif selector[j] == ")":
                depth -= 1
            j += 1
        i = j


def selector_used(selector: str, used: set[str]) -> bool:
    bare = _strip_functional(_ATTR.sub("", selector))
    needed = _CLASS.findall(bare) + _ID.findall(bare)
    return all(name in used for name in needed)


def _declarations(body: str) -> list[str]:
    return [d.strip() for d in split_top(body, ";") if d.strip()]


#: Font Awesome's own rules (its icon classes draw glyphs of its web fonts): left out of the
#: themes' stylesheets; assets/book/icons.css draws the same classes as SVG.
FONT_AWESOME = re.compile(r"\.fa[srlb]?(?![\w-])|\.fa-")


def trim(nodes: list, used: set[str], drop: re.Pattern | None = None) -> list:
    """The rules of ``nodes`` whose selectors are used, with unused selectors (and selectors
    matching ``drop``) left out."""
    kept = []
    for prelude, content in nodes:
        if isinstance(content, list):
            children = trim(content, used, drop)
            if children:
                kept.append((prelude, children))
        elif prelude.startswith("@"):
            if prelude.lower().startswith("@font-face"):
                continue
            kept.append((prelude, content))
        else:
            selectors = [s.strip() for s in split_top(prelude, ",")]
            live = [s for s in selectors if selector_used(s, used)
                    and not (drop and drop.search(s))]
            if live and content:
                kept.append((",".join(live), content))
    return kept


def _walk_bodies(nodes):
    for prelude, content in nodes:
        if isinstance(content, list):
            yield from _walk_bodies(content)
        elif isinstance(content, str) and not prelude.startswith("@keyframes"):
            yield prelude, content


def prune_custom_properties(nodes: list) -> list:
    """Drop ``--name: ...`` declarations no kept declaration uses (directly or indirectly)."""
    defined: dict[str, list[str]] = {}
    needed: set[str] = set()
    for _prelude, body in _walk_bodies(nodes):
        for decl in _declarations(body):
            name, _, value = decl.partition(":")
            name = name.strip()
            refs = _VAR.findall(value)
            if name.startswith("--"):
                defined.setdefault(name, []).extend(refs)
            else:
                needed.update(refs)
    todo = list(needed)
    while todo:
        for ref in defined.get(todo.pop(), []):
            if ref not in needed:
                needed.add(ref)
                todo.append(ref)

    def prune(nodes):
        out = []
        for prelude, content in nodes:
            if isinstance(content, list):
                children = prune(content)
                if children:
                    out.append((prelude, children))
            elif isinstance(content, str) and not prelude.startswith("@"):
                decls = [d for d in _declarations(content)
                         if not d.startswith("--") or d.partition(":")[0].strip() in needed]
                if decls:
                    out.append((prelude, ";".join(decls)))
            else:
                out.append((prelude, content))
        return out

    return prune(nodes)


def serialize(nodes: list) -> str:
    out = []
    for prelude, content in nodes:
        if content is None:
            out.append(prelude + ";")
        elif isinstance(content, list):
            out.append(prelude + "{" + serialize(content) + "}")
        else:
            out.append(prelude + "{" + content + "}")
    return "\n".join(out)


_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)["']?\s*\)?\s*([^;]*);""")


def expand_imports(css: str, path: Path, _seen: frozenset = frozenset()) -> str:
    """``css`` (the text of the file at ``path``) with each ``@import`` of a local file
    replaced by that file's text, recursively, so the site stylesheet needs no chained request
    (an ``@import`` is one more round trip before the first paint) and still works when
    inlined into a page, where a relative ``@import`` would resolve against the page.

    An import with media conditions is wrapped in ``@media``; an import of another host, or
    of a missing file, raises ValueError (the book loads nothing from third-party hosts)."""
    def replace(match: re.Match) -> str:
        target, media = match.group(1), match.group(2).strip()
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", target, re.I):
            raise ValueError(f"{path}: @import of {target} (not a file of the book)")
        imported = (path.parent / target).resolve()
        if imported in _seen or not imported.is_file():
            raise ValueError(f"{path}: @import of {target}: "
                             + ("a cycle" if imported in _seen else "no such file"))
        text = expand_imports(imported.read_text(encoding="utf-8"), imported, _seen | {imported})
        text = rebase_urls(text, imported.parent, path.parent)
        return f"@media {media}{{{text}}}" if media else text

    return _IMPORT.sub(replace, css)


_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")


def rebase_urls(css: str, from_dir: Path, to_dir: Path) -> str:
    """``css``'s relative ``url()`` addresses, written for a file in ``from_dir``, rewritten
    for one in ``to_dir`` (``data:``, absolute and fragment-only addresses stay)."""
    import os.path
    import posixpath

    def replace(match: re.Match) -> str:
        quote, target = match.group(1), match.group(2).strip()
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/|^#", target, re.I):
            return match.group(0)
        moved = Path(os.path.relpath(Path(from_dir) / target, Path(to_dir))).as_posix()
        return f"url({quote}{posixpath.normpath(moved)}{quote})"

    return _URL.sub(replace, css)


def used_names(pages: list[Path], scripts: list[Path]) -> set[str]:
    """Every class and id of the pages, and every word of the scripts they load."""
    used: set[str] = set()
    for page in pages:
        for value in _CLASS_ATTR.findall(page.read_text(encoding="utf-8", errors="replace")):
            used.update(value.split())
    for script in scripts:
        used.update(_WORD.findall(script.read_text(encoding="utf-8", errors="replace")))
    return used


def site_css(sources: list[tuple[str, str]], used: set[str]) -> str:
    """The stylesheets ``sources`` ((name, CSS text), in cascade order) joined and trimmed;
    Font Awesome's rules are left out of all but the book's own (``book/...``)."""
    nodes = []
    for name, css in sources:
        nodes.extend(trim(parse(css), used, None if name.startswith("book/") else FONT_AWESOME))
    nodes = prune_custom_properties(nodes)
    return serialize(_used_keyframes(nodes)) + "\n"


def _used_keyframes(nodes: list) -> list:
    """``@keyframes`` whose name no kept declaration mentions are left out."""
    rest = serialize([n for n in nodes if not n[0].lower().startswith(("@keyframes", "@-webkit-keyframes"))])
    words = set(_WORD.findall(rest))

    def keep(nodes):
        out = []
        for prelude, content in nodes:
            if prelude.lower().startswith(("@keyframes", "@-webkit-keyframes")):
                if prelude.split()[-1] not in words:
                    continue
            elif isinstance(content, list):
                content = keep(content)
                if not content:
                    continue
            out.append((prelude, content))
        return out

    return keep(nodes)
