"""Charts sized for the screen (issue 22; _ext/responsive_images.py): a half-width copy of each
chart PNG in a ``srcset``, its texts kept and its smallest text rescaled; nothing else touched."""

from __future__ import annotations

import io
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from conftest import REPO  # noqa: E402
from ice287g import charts  # noqa: E402

sys.path.insert(0, str(REPO / "_ext"))
import responsive_images as ri  # noqa: E402


def _chart_png(width_in: float = 6.7, dpi: int = 150) -> bytes:
    fig, ax = plt.subplots(figsize=(width_in, 4), dpi=dpi)
    ax.barh(["Texas", "Florida"], [387, 348])
    ax.set_title("Texas and Florida hold the most agreements")
    ax.set_xlabel("Agreements")
    try:
        return charts.png_bytes(fig, alt="Bar chart of agreements in Texas and Florida, 387 and 348.",
                                dpi=dpi)
    finally:
        plt.close(fig)


@pytest.fixture
def site(tmp_path):
    (tmp_path / "_images").mkdir()
    (tmp_path / "chapters").mkdir()
    return tmp_path


def test_a_wide_chart_gets_a_half_width_copy_with_its_texts(site):
    big = _chart_png()
    (site / "_images" / "c.png").write_bytes(big)
    page = site / "chapters" / "p.html"
    page.write_text('<p>x</p><img alt="A chart" src="../_images/c.png" loading="lazy">',
                    encoding="utf-8")
    assert ri.add_srcsets(site) == 1
    html = page.read_text(encoding="utf-8")
    width = Image.open(io.BytesIO(big)).width
    assert width >= ri.MIN_WIDTH
    assert (f'src="../_images/c.png" srcset="../_images/c.half.png {width // 2}w, '
            f'../_images/c.png {width}w" sizes="(max-width: {ri.NARROW}px) 100vw, {width}px"') in html
    copy = (site / "_images" / "c.half.png").read_bytes()
    info, original = charts.png_texts(copy), charts.png_texts(big)
    assert info["width"] == width // 2
    assert info["Title"] == original["Title"] and info["texts"] == original["texts"]
    assert info["min_text_px"] == pytest.approx(original["min_text_px"] * (width // 2) / width, abs=0.01)
    assert len(copy) < 0.7 * len(big), (len(copy), len(big))
    # A second pass changes nothing (the tag has its srcset; the copy is current).
    mtime = (site / "_images" / "c.half.png").stat().st_mtime_ns
    assert ri.add_srcsets(site) == 0
    assert (site / "_images" / "c.half.png").stat().st_mtime_ns == mtime


def test_what_does_not_qualify_is_left_as_it_is(site):
    (site / "_images" / "small.png").write_bytes(_chart_png(width_in=3, dpi=100))
    (site / "_images" / "c.png").write_bytes(_chart_png())
    (site / "elsewhere.png").write_bytes(_chart_png())
    tags = ['<img alt="a" src="../_images/small.png">',  # narrower than MIN_WIDTH
            '<img alt="b" src="data:image/png;base64,iVBORw0KGgo=">',
            '<img alt="c" src="../_images/c.png" srcset="x.png 1w">',  # has one already
            '<img alt="d" src="../elsewhere.png">',  # not in _images/
            '<img alt="e" src="../_images/../../../etc/c.png">',  # leaves the output
            '<img alt="f" src="../_images/missing.png">',
            '<img alt="g" src="../_static/logo.svg">']
    page = site / "chapters" / "p.html"
    page.write_text("".join(tags), encoding="utf-8")
    assert ri.add_srcsets(site) == 0
    assert page.read_text(encoding="utf-8") == "".join(tags)
    assert sorted(p.name for p in (site / "_images").iterdir()) == ["c.png", "small.png"]


def test_another_editions_pages_are_its_own(site):
    (site / "_images" / "c.png").write_bytes(_chart_png())
    (site / "es" / "_static").mkdir(parents=True)
    (site / "es" / "_images").mkdir()
    (site / "es" / "_images" / "c.png").write_bytes(_chart_png())
    page = site / "es" / "p.html"
    page.write_text('<img alt="x" src="_images/c.png">', encoding="utf-8")
    assert ri.add_srcsets(site) == 0
    assert ri.add_srcsets(site / "es") == 1
    assert "srcset=" in page.read_text(encoding="utf-8")


_HEAD = '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>'


def test_a_pages_first_chart_is_preloaded_after_the_viewport_meta(site):
    (site / "_images" / "c.png").write_bytes(_chart_png())
    (site / "_images" / "d.png").write_bytes(_chart_png())
    page = site / "chapters" / "p.html"
    page.write_text(f'<html>{_HEAD}<body><img alt="logo" src="../_static/logo.svg"><article>'
                    '<p>x</p><img alt="first" src="../_images/c.png">'
                    '<img alt="second" src="../_images/d.png" loading="lazy"></article>',
                    encoding="utf-8")
    assert ri.add_srcsets(site) == 1
    html = page.read_text(encoding="utf-8")
    first = re.search(r'<img alt="first"[^>]*>', html).group(0)
    srcset, sizes = (re.search(rf'\s{a}="([^"]*)"', first).group(1) for a in ("srcset", "sizes"))
    links = re.findall(r"<link [^>]*>", html)
    assert links == [f'<link rel="preload" as="image" href="../_images/c.png" imagesrcset="{srcset}"'
                     f' imagesizes="{sizes}" fetchpriority="high">'], links
    # After the viewport's meta (a phone picks the size by its own width), in the head.
    assert html.index('name="viewport"') < html.index(links[0]) < html.index("</head>")
    assert "d.half.png" in html and html.count("rel=\"preload\"") == 1
    assert ri.add_srcsets(site) == 0, "a second pass adds a second preload"


@pytest.mark.parametrize("body", [
    '<article><img alt="a" src="../_images/c.png" loading="lazy"></article>',  # first is lazy
    '<img alt="a" src="../_images/c.png"><article><p>no chart</p></article>',  # outside article
    '<article><img alt="a" src="../_images/c.png" srcset="x.png 1w"></article>',  # no sizes
])
def test_no_preload_where_the_first_chart_does_not_qualify(site, body):
    (site / "_images" / "c.png").write_bytes(_chart_png())
    page = site / "chapters" / "p.html"
    page.write_text(f"<html>{_HEAD}<body>{body}", encoding="utf-8")
    ri.add_srcsets(site)
    assert "preload" not in page.read_text(encoding="utf-8")


def test_no_preload_without_a_viewport_meta(site):
    (site / "_images" / "c.png").write_bytes(_chart_png())
    page = site / "chapters" / "p.html"
    page.write_text('<article><img alt="a" src="../_images/c.png"></article>', encoding="utf-8")
    assert ri.add_srcsets(site) == 1
    text = page.read_text(encoding="utf-8")
    assert "srcset=" in text and "preload" not in text


@pytest.mark.book
def test_every_data_page_preloads_its_first_chart(built_book):
    """Both editions: a page whose article's first image is a chart with a srcset preloads
    exactly that image, with the same srcset and sizes, after the viewport's meta."""
    preloaded = 0
    for lang_root in (built_book, built_book / "es"):
        for page in sorted((lang_root / "chapters").glob("*.html")) + [lang_root / "index.html"]:
            text = page.read_text(encoding="utf-8")
            links = re.findall(r'<link rel="preload" as="image"[^>]*>', text)
            match = re.compile(r"<img\b[^>]*>").search(text, max(text.find("<article"), 0))
            first = match.group(0) if match and "<article" in text else ""
            wanted = "srcset=" in first and 'loading="lazy"' not in first
            name = page.relative_to(built_book)
            assert len(links) == (1 if wanted else 0), f"{name}: {links} for {first[:100]}"
            if wanted:
                for attr, link_attr in (("src", "href"), ("srcset", "imagesrcset"),
                                        ("sizes", "imagesizes")):
                    value = re.search(rf'\s{attr}="([^"]*)"', first).group(1)
                    assert f' {link_attr}="{value}"' in links[0], f"{name}: {attr} differs"
                assert text.index('name="viewport"') < text.index(links[0]) < text.index("</head>")
                preloaded += 1
    assert preloaded >= 8, f"only {preloaded} pages preload their first chart"


@pytest.mark.book
def test_every_chart_of_the_built_book_has_its_half_width_copy(built_book):
    """On both editions' data pages: every PNG chart from _images/ has a srcset whose copy
    exists, half as wide, with the chart's title."""
    checked = 0
    for lang_root in (built_book, built_book / "es"):
        for page in sorted((lang_root / "chapters").glob("*.html")) + [lang_root / "index.html"]:
            text = page.read_text(encoding="utf-8")
            for tag in re.findall(r"<img\b[^>]*\bsrc=\"[^\"]*_images/[^\"]+\.png\"[^>]*>", text):
                src = re.search(r'\ssrc="([^"]+)"', tag).group(1)
                width = Image.open(page.parent / src).width
                if width < ri.MIN_WIDTH:
                    continue
                match = re.search(r'srcset="(\S+) (\d+)w, (\S+) (\d+)w"', tag)
                assert match, f"{page.relative_to(built_book)}: {tag[:120]} has no srcset"
                copy = page.parent / match.group(1)
                assert int(match.group(2)) == width // 2 == Image.open(copy).width
                assert match.group(3) == src
                assert charts.png_texts(copy.read_bytes()).get("Title") == \
                    charts.png_texts((page.parent / src).read_bytes()).get("Title")
                checked += 1
    assert checked >= 10, f"only {checked} charts with a srcset"
