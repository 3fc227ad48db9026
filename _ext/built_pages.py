"""The HTML pages of one built edition: the one walk of the build-finished steps that read or
rewrite every page (book_ext's site stylesheet, inline_css, responsive_images).

An edition's output folder holds its pages and its asset folders (``_static``, ``_images``,
...), and, for English, the Spanish edition mirrored into ``es/`` (tools/editions.py). Those
pages are the Spanish build's: it trims, inlines and rewrites them in its own output folder
before they are mirrored, so a step of the English build leaves them alone (it would otherwise
put English's stylesheet into Spanish pages a later mirror does not copy again).
"""

from __future__ import annotations

from pathlib import Path

#: Folders of an output that hold no pages.
NOT_PAGES = frozenset({"_static", "_sources", "_images", "_downloads"})


def pages_of(outdir: Path) -> list[Path]:
    """The pages of the edition built into ``outdir``, in a stable order: every ``*.html`` but
    those in asset folders and in another edition's folder (a subfolder with its own
    ``_static``)."""
    outdir = Path(outdir)
    others = {d.name for d in outdir.iterdir() if d.is_dir() and (d / "_static").is_dir()}
    pages = []
    for page in sorted(outdir.rglob("*.html")):
        parts = page.relative_to(outdir).parts
        if NOT_PAGES & set(parts[:-1]) or (len(parts) > 1 and parts[0] in others):
            continue
        pages.append(page)
    return pages


def rewrite_pages(outdir: Path, change) -> int:
    """Apply ``change(page, text) -> text`` to every page of the edition (:func:`pages_of`),
    writing back only the pages it changed; the number of pages written."""
    written = 0
    for page in pages_of(outdir):
        text = page.read_text(encoding="utf-8")
        new = change(page, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            written += 1
    return written
