"""The site stylesheet is inlined into every page, so the first paint waits for no second
request (_ext/inline_css.py, issue 22)."""

from __future__ import annotations

import re
import sys

import pytest

from conftest import EDITION_PREFIXES, REPO, edition_pages

sys.path.insert(0, str(REPO / "_ext"))
import inline_css  # noqa: E402

CSS = ".a{color:red}"


def _page(head: str) -> str:
    return f"<!DOCTYPE html><html><head>{head}<link rel=\"stylesheet\" href=\"own.css\"></head><body><p>x</p></body></html>"


def test_each_page_gets_the_stylesheet_in_place_of_its_link(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_static" / "book").mkdir(parents=True)
    pages = {
        "index.html": '<link rel="stylesheet" type="text/css" href="_static/book/site.css" />',
        "chapters/a.html": '<link rel="stylesheet" type="text/css" href="../_static/book/site.css?v=1" />',
        "chapters/b.html": "",  # no link: left as it is
    }
    for name, head in pages.items():
        (tmp_path / name).write_text(_page(head))
    decoy = tmp_path / "_static" / "book" / "copy.html"
    decoy.write_text(_page(pages["index.html"]))
    assert inline_css.inline_pages(tmp_path, CSS) == 2
    for name in ("index.html", "chapters/a.html"):
        text = (tmp_path / name).read_text()
        assert f'<style id="book-site-css">{CSS}</style><link rel="stylesheet" href="own.css">' in text
        assert "site.css" not in text
    assert (tmp_path / "chapters/b.html").read_text() == _page("")
    assert "site.css" in decoy.read_text()  # not a page


def test_a_warm_build_replaces_the_stylesheet_a_previous_build_inlined(tmp_path):
    page = tmp_path / "index.html"
    page.write_text(_page('<link rel="stylesheet" href="_static/book/site.css" />'))
    inline_css.inline_pages(tmp_path, ".old{}")
    assert inline_css.inline_pages(tmp_path, ".new{}") == 1
    text = page.read_text()
    assert ".new{}" in text and ".old{}" not in text and text.count("book-site-css") == 1
    assert inline_css.inline_pages(tmp_path, ".new{}") == 0  # nothing to do: nothing written


def test_a_stylesheet_that_would_close_the_style_element_is_refused(tmp_path):
    (tmp_path / "index.html").write_text(_page('<link rel="stylesheet" href="_static/book/site.css" />'))
    with pytest.raises(ValueError, match="</style"):
        inline_css.inline_pages(tmp_path, "a{content:'</style><script>x()</script>'}")
    assert "site.css" in (tmp_path / "index.html").read_text()


def test_every_built_page_carries_the_site_stylesheet_inline(built_book):
    """Each edition inlines its own site.css (each is trimmed to its own pages)."""
    css = {}
    for prefix in EDITION_PREFIXES.values():
        css[prefix] = (built_book / prefix / inline_css.SITE_CSS).read_text(encoding="utf-8")
        assert len(css[prefix]) > 1000
    missing, linked = [], []
    for page in edition_pages():
        prefix = next(p for p in sorted(css, key=len, reverse=True) if page.startswith(p))
        text = (built_book / page).read_text(encoding="utf-8")
        head = text.split("</head>", 1)[0]
        if f'<style id="{inline_css.STYLE_ID}">' not in head:
            missing.append(page)
        assert "@import" not in head, page
        for target in re.findall(r"""url\(\s*["']?(?!data:|#)([^"')]+)""", head):
            assert ((built_book / page).parent / target).is_file(), \
                f"{page}: the inlined stylesheet's url({target}) points at no file"
        if "site.css" in head:
            linked.append(page)
    assert not missing, f"pages without the inlined site stylesheet: {missing}"
    assert not linked, f"pages still linking site.css: {linked}"


def test_a_stylesheet_that_imports_another_is_refused(tmp_path):
    with pytest.raises(ValueError, match="resolve against each page"):
        inline_css.style_element('@import "../basic.css";a{}')
    inline_css.style_element("a{background:url(\"data:image/svg+xml,%3Csvg%3E\")}")


def test_relative_addresses_resolve_from_each_page_as_they_did_from_the_stylesheet(tmp_path):
    (tmp_path / "chapters").mkdir()
    for name in ("index.html", "chapters/a.html"):
        (tmp_path / name).write_text(_page('<link rel="stylesheet" href="_static/book/site.css" />'))
    inline_css.inline_pages(tmp_path, 'a{background:url(../file.png)}b{background:url("data:x")}')
    assert 'url(_static/file.png)' in (tmp_path / "index.html").read_text()
    assert 'url(../_static/file.png)' in (tmp_path / "chapters/a.html").read_text()
    assert 'url("data:x")' in (tmp_path / "chapters/a.html").read_text()


def test_the_site_stylesheet_takes_in_what_it_imports(tmp_path):
    """The theme's stylesheet starts with @import "../basic.css": the site stylesheet carries
    that file's rules itself (no chained request, and nothing relative once inlined)."""
    import book_css

    (tmp_path / "styles").mkdir()
    (tmp_path / "basic.css").write_text('@import url("more.css") print;\n.basic{margin:0}')
    (tmp_path / "more.css").write_text(".more{color:red}")
    theme = tmp_path / "styles" / "theme.css"
    theme.write_text('@import "../basic.css";\n.theme{padding:0}')
    out = book_css.expand_imports(theme.read_text(), theme)
    assert "@import" not in out
    assert "@media print{.more{color:red}}" in out and ".basic{margin:0}" in out and ".theme" in out
    # An imported file's url() is rebased to the importing stylesheet's folder.
    (tmp_path / "basic.css").write_text(".search{background:url(file.png)}")
    theme.write_text('@import "../basic.css";')
    assert "url(../file.png)" in book_css.expand_imports(theme.read_text(), theme)
    for bad, why in (('@import "missing.css";', "no such file"),
                     ('@import url("https://fonts.example/x.css");', "not a file of the book"),
                     ('@import "theme.css";', "a cycle")):
        theme.write_text(bad)
        with pytest.raises(ValueError, match=why):
            book_css.expand_imports(bad, theme, frozenset({theme.resolve()}))


def test_an_edition_rewrites_its_own_pages_only(tmp_path):
    """The walk of every build-finished step (_ext/built_pages.py): the edition's pages, not
    its asset folders', nor those of the edition mirrored into a subfolder with its own
    _static (the Spanish edition in es/, which its own build rewrites)."""
    import built_pages

    for rel in ["index.html", "chapters/a.html", "states/florida.html", "_static/x.html",
                "_sources/a.html", "es/index.html", "es/chapters/a.html", "es/_static/y.css"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in built_pages.pages_of(tmp_path)]
    assert found == ["chapters/a.html", "index.html", "states/florida.html"]
    found_es = [p.relative_to(tmp_path / "es").as_posix()
                for p in built_pages.pages_of(tmp_path / "es")]
    assert found_es == ["chapters/a.html", "index.html"]
    # without its _static, es/ is a folder of this edition's pages
    (tmp_path / "es" / "_static" / "y.css").unlink()
    (tmp_path / "es" / "_static").rmdir()
    assert "es/index.html" in [p.relative_to(tmp_path).as_posix()
                               for p in built_pages.pages_of(tmp_path)]


def test_a_pages_own_stylesheet_is_inlined_too_and_replaced_on_a_warm_build(tmp_path):
    """Find an agency's lookup/lookup.css held its first paint for a round trip: it is inlined
    like the site stylesheet, its url()s rebased to the page; a missing file's link stays."""
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_static" / "lookup").mkdir(parents=True)
    own = tmp_path / "_static" / "lookup" / "lookup.css"
    own.write_text('/* The theme\'s "Back to top" */.lk{background:url(icon.svg)}'
                   '.q::before{content:"/* kept */"}', encoding="utf-8")
    page = tmp_path / "chapters" / "find.html"
    page.write_text(_page('<link rel="stylesheet" type="text/css" href="../_static/book/site.css" />'
                          '<link rel="stylesheet" type="text/css" href="../_static/lookup/lookup.css?v=9" />'
                          '<link rel="stylesheet" href="../_static/gone/gone.css" />'),
                    encoding="utf-8")
    assert inline_css.inline_pages(tmp_path, CSS) == 1
    text = page.read_text(encoding="utf-8")
    assert ('<style data-inlined="lookup/lookup.css">.lk{background:url(../_static/lookup/icon.svg)}'
            '.q::before{content:"/* kept */"}</style>') in text  # comments out, strings kept
    assert "lookup.css?v=9" not in text and 'href="../_static/gone/gone.css"' in text
    own.write_text(".lk{color:red}", encoding="utf-8")  # a warm build: the page is not rewritten
    assert inline_css.inline_pages(tmp_path, CSS) == 1
    text = page.read_text(encoding="utf-8")
    assert '<style data-inlined="lookup/lookup.css">.lk{color:red}</style>' in text
    assert text.count("data-inlined=") == 1
    own.write_text(".lk{}</style><script>alert(1)</script>", encoding="utf-8")
    with pytest.raises(ValueError, match="lookup.css"):
        inline_css.inline_pages(tmp_path, CSS)
