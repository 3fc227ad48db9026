"""Charts sized for the screen (issue 22): each chart image of a page gets a half-width copy and a
``srcset``, so a phone that needs no more pixels downloads about a third of the bytes.

The notebooks' charts are PNGs about 1,000 px wide (sharp on a phone of two device pixels per
CSS px, or a desktop column). A phone of one device pixel per CSS px shows them 360 CSS px wide:
the half-width copy is enough there, and it is what delays a data page's largest paint (its
first chart) on a slow network. When the HTML build finishes, every ``<img>`` of a page whose
``src`` is a PNG in ``_images/`` at least :data:`MIN_WIDTH` px wide gets

- ``_images/<name>.half.png``: the image at half its width (Lanczos), in a palette of
  :data:`COLOURS` colours when the original has a palette, with the original's text chunks
  (the chart's title, description and texts; ``ice287g:min_text_px`` scaled to the new width,
  so the phone-text test reads the copy as it reads the original);
- ``srcset="<half> <w/2>w, <src> <w>w"`` and ``sizes`` that say the chart is as wide as the phone
  on a narrow screen and at most its own width elsewhere.

The copy is made again only when the original is newer (a warm build leaves both). An image
with a ``srcset`` already, a data: URI or another format is left as it is.

A page's first chart (the one image of its article that is not ``loading="lazy"``, see
``book_ext._lazy_images``) is also preloaded from the ``<head>``: a
``<link rel="preload" as="image">`` with the same ``srcset`` and ``sizes``, right after the
viewport's ``<meta>`` (before it a phone would choose by a 980 px layout and fetch the wrong
size). Without it the browser found the chart only when the parser reached it, after the
site's inlined stylesheet, and fetched it after the first paint: on where.html, under the page
benchmark's slow-phone emulation, the chart was the largest paint at about 1.0-1.3 s against
0.8-0.86 s with the preload.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Images narrower than this keep one size (a copy at half would be blurry on a phone).
MIN_WIDTH = 800
#: The viewport width up to which a chart is shown as wide as the screen (the theme's narrow
#: layout); above it at most its own width in CSS px.
NARROW = 600
HALF_SUFFIX = ".half.png"
#: The copy's palette: the charts' flat colours and their anti-aliased edges fit in 64 (the
#: copy of the 1,006 px bar chart of where.html: 46 kB -> 25 kB; text as legible as at 256).
COLOURS = 64

_IMG = re.compile(r"<img\b[^>]*>", re.I)
_SRC = re.compile(r'\ssrc="([^"]+)"')
_ATTR = r'\s{}="([^"]*)"'
_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
PRELOAD = '<link rel="preload" as="image"'


def half_copy(src: Path, dest: Path) -> tuple[int, int]:
    """Write ``dest``, ``src`` at half its width; return the two widths (original, copy)."""
    from PIL import Image, PngImagePlugin

    with Image.open(src) as image:
        image.load()
        width, height = image.size
        half = (width // 2, max(1, round(height * (width // 2) / width)))
        small = image.convert("RGBA").resize(half, Image.LANCZOS)
        if image.mode == "P":
            small = small.convert("RGB").quantize(colors=COLOURS, method=Image.MEDIANCUT,
                                                    dither=Image.Dither.NONE)
        info = PngImagePlugin.PngInfo()
        for key, value in (getattr(image, "text", None) or {}).items():
            if key == "ice287g:min_text_px":
                value = f"{float(value) * half[0] / width:.3f}"
            info.add_text(key, value)
    tmp = dest.with_name(dest.name + ".part")
    small.save(tmp, format="PNG", optimize=True, pnginfo=info)
    tmp.replace(dest)
    return width, half[0]


def with_srcset(tag: str, page_dir: Path, outdir: Path) -> str:
    """``tag`` (one ``<img>``) with a ``srcset`` of its half-width copy, made if needed; the
    tag as it is when it does not qualify."""
    if " srcset=" in tag:
        return tag
    match = _SRC.search(tag)
    if not match or not match.group(1).endswith(".png") or ":" in match.group(1):
        return tag
    src = match.group(1)
    path = (page_dir / src).resolve()
    images = (outdir / "_images").resolve()
    if path.parent != images or not path.is_file() or path.name.endswith(HALF_SUFFIX):
        return tag
    from PIL import Image

    with Image.open(path) as image:
        width = image.width
    if width < MIN_WIDTH:
        return tag
    copy = path.with_name(path.name[: -len(".png")] + HALF_SUFFIX)
    if not copy.is_file() or copy.stat().st_mtime_ns < path.stat().st_mtime_ns:
        half_copy(path, copy)
    half_src = src[: -len(".png")] + HALF_SUFFIX
    attrs = (f' srcset="{half_src} {width // 2}w, {src} {width}w"'
             f' sizes="(max-width: {NARROW}px) 100vw, {width}px"')
    return tag[: match.end()] + attrs + tag[match.end():]


def with_first_chart_preloaded(text: str) -> str:
    """``text`` (a page) with its first chart preloaded after the viewport's ``<meta>``: the
    first ``<img>`` of the ``<article>``, when it has a ``srcset`` and is not lazy. The page as
    it is when it has no such image, no viewport ``<meta>``, or a preload already (a warm
    build's page that Sphinx did not write again)."""
    start = text.find("<article")
    first = _IMG.search(text, start) if start >= 0 else None
    viewport = _VIEWPORT.search(text)
    if not first or not viewport or PRELOAD in text:
        return text
    tag = first.group(0)
    if ' loading="lazy"' in tag:
        return text
    values = [re.search(_ATTR.format(name), tag) for name in ("src", "srcset", "sizes")]
    if not all(values):
        return text
    src, srcset, sizes = (v.group(1) for v in values)
    link = (f'{PRELOAD} href="{src}" imagesrcset="{srcset}" imagesizes="{sizes}"'
            ' fetchpriority="high">')
    return text[: viewport.end()] + link + text[viewport.end():]


def add_srcsets(outdir: Path) -> int:
    """Give every qualifying chart of every page in ``outdir`` its ``srcset``, and each page's
    first chart its preload; the number of pages changed."""
    from built_pages import rewrite_pages

    def change(page: Path, text: str) -> str:
        if "_images/" not in text:
            return text
        text = _IMG.sub(lambda m: with_srcset(m.group(0), page.parent, outdir), text)
        return with_first_chart_preloaded(text)

    return rewrite_pages(outdir, change)


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    add_srcsets(Path(app.outdir))


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
