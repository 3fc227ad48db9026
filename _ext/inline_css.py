"""The book's one stylesheet inlined into every page (issue 22).

A linked stylesheet blocks the first paint for one more round trip: on a slow phone (150 ms
latency) the page's first paragraph waited for ``site.css`` after the HTML had arrived. The
stylesheet is small once trimmed (about 23 kB gzipped, see book_css.py) and the budgets are for a
first visit, so every page carries it in a ``<style>`` in its ``<head>`` instead, and paints as
soon as its HTML is in.

``site.css`` is only known when the build has finished (it is trimmed to the classes the
written pages use), so this runs on ``build-finished``, after book_ext.py has written it: in
every HTML page of the output it replaces the page's ``<link>`` to ``_static/book/site.css``, or
the ``<style id="book-site-css">`` a previous build inlined (a warm build does not write
unchanged pages again), by the current stylesheet. ``_static/book/site.css`` stays for
pages made outside Sphinx. A page with neither is left alone; Sphinx's own pages all have one.

A page's own stylesheet under ``_static/`` (Find an agency's ``lookup/lookup.css``) is inlined
the same way, in a ``<style data-inlined="lookup/lookup.css">`` that a warm build replaces by
the file's current text: no page links a stylesheet.
"""

from __future__ import annotations

import re
from pathlib import Path

SITE_CSS = "_static/book/site.css"
STYLE_ID = "book-site-css"
#: The page's link to the site stylesheet (any relative prefix, a ``?v=`` query) or the style
#: element a previous build inlined.
_PLACE = re.compile(
    r'<link\b[^>]*\bhref="(?:\.\./)*' + re.escape(SITE_CSS) + r'(?:\?[^"]*)?"[^>]*>'
    r'|<style id="' + STYLE_ID + r'">.*?</style>', re.S)


#: A link to another stylesheet of the book under _static/ (a page's own), or the style element
#: a previous build inlined for it.
_OWN = re.compile(
    r'<link\b(?=[^>]*\brel="stylesheet")[^>]*\bhref="(?:\.\./)*_static/([\w./-]+\.css)(?:\?[^"]*)?"[^>]*>'
    r'|<style data-inlined="([\w./-]+\.css)">.*?</style>', re.S)


#: A CSS comment, or a string (kept: a "/*" inside one is no comment).
_COMMENT = re.compile(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')|/\*.*?\*/", re.S)


def without_comments(css: str) -> str:
    """``css`` without its comments: inlined, they would be bytes on every visit and text in
    the page (a comment naming the theme's "Back to top" read as English on a Spanish page)."""
    return _COMMENT.sub(lambda m: m.group(1) or "", css)


def _checked(css: str, name: str) -> str:
    if re.search(r"</style", css, re.I):
        raise ValueError(f"{name} contains '</style', which would end the inlined style early")
    if re.search(r"@import", css, re.I):
        # A chained request, and inlined it would resolve against the page: book_css expands
        # the themes' imports into the site stylesheet.
        raise ValueError(f"{name} imports another stylesheet (@import), which would "
                         "resolve against each page once inlined")
    return css


def style_element(css: str) -> str:
    return f'<style id="{STYLE_ID}">{_checked(css, SITE_CSS)}</style>'


def inline_pages(outdir: Path, css: str) -> int:
    """Inline ``css`` into every page of ``outdir`` in place of its site-stylesheet link or
    earlier inlined copy; the number of pages changed."""
    import book_css

    style_element(css)  # refuses what cannot be inlined, before any page is written
    css_dir = outdir / SITE_CSS.rsplit("/", 1)[0]
    elements: dict[Path, str] = {}
    own: dict[tuple[Path, str], str | None] = {}
    from built_pages import rewrite_pages

    def own_element(match: re.Match, folder: Path) -> str:
        name = match.group(1) or match.group(2)
        if name == SITE_CSS.removeprefix("_static/"):
            return match.group(0)
        if (folder, name) not in own:
            path = outdir / "_static" / name
            own[folder, name] = None if not path.is_file() else (
                f'<style data-inlined="{name}">'
                + _checked(book_css.rebase_urls(without_comments(path.read_text(encoding="utf-8")),
                                                path.parent, folder), f"_static/{name}")
                + "</style>")
        return own[folder, name] or match.group(0)

    def change(page: Path, text: str) -> str:
        if page.parent not in elements:
            # The stylesheet's relative url()s, written for _static/book/, rebased to the page.
            elements[page.parent] = style_element(book_css.rebase_urls(css, css_dir, page.parent))
        element = elements[page.parent]
        text = _PLACE.sub(lambda _m: element, text, count=1)
        return _OWN.sub(lambda m: own_element(m, page.parent), text)

    return rewrite_pages(outdir, change)


def _inline(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    path = outdir / SITE_CSS
    if path.is_file():
        inline_pages(outdir, path.read_text(encoding="utf-8"))


def setup(app):
    # After book_ext.py's build-finished handler (default priority 500) has written site.css.
    app.connect("build-finished", _inline, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
