"""A page for every state and every agency ever on ICE's list (issue 26), written beside the
Sphinx pages when an edition's HTML build finishes (``build-finished``).

The pages are plain HTML from one template per kind (``ice287g/templates/``), rendered by
:mod:`ice287g.pages` in the edition's language (``app.config.language``; each edition is built
in its own process by tools/editions.py). They reuse *Find an agency*'s data, which
_ext/book_ext.py writes to ``_static/lookup/agreements.js`` just before (its agency grouping
and listing spells), and link the references page's entry for ICE's list. Their stylesheet,
``ice287g/templates/pages.css``, is in each page's ``<style>`` (no request before the first paint).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: After book_ext's writers of the lookup data and the site stylesheet (priority 500).
PRIORITY = 600


def _edition(app) -> str:
    from ice287g import i18n

    lang = (app.config.language or i18n.DEFAULT_LANGUAGE).split("_")[0]
    return lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def _citation_anchor(outdir: Path, url: str) -> str:
    """``chapters/references.html#<id>``: the references page's entry whose text links ``url``
    (sphinxcontrib-bibtex numbers its entries' ids, so the id is read from the built page)."""
    page = outdir / "chapters" / "references.html"
    if not page.is_file() or not url:
        return "chapters/references.html"
    text = page.read_text(encoding="utf-8")
    at = text.find(f'href="{url}"')
    if at < 0:
        return "chapters/references.html"
    ids = list(re.finditer(r'<div class="citation" id="([^"]+)"', text[:at]))
    return f"chapters/references.html#{ids[-1].group(1)}" if ids else "chapters/references.html"


#: The digest of the last pages' inputs and their counts, in the edition's doctree folder.
STAMP = "generated-pages.json"


def inputs_digest(root: Path, site, data_file: Path) -> str:
    """A digest of everything the pages are made from: the edition's settings (``site``, its
    language included), Find an agency's data, data/processed and data/curated, and the
    ``ice287g`` package (its code, templates and catalogues)."""
    from ice287g import pages

    package = Path(pages.__file__).parent
    digest = hashlib.sha256(repr(site).encode("utf-8"))
    files = [data_file, *sorted((root / "data" / "processed").glob("*")),
             *sorted((root / "data" / "curated").glob("*")),
             *sorted(p for p in package.rglob("*") if p.suffix in {".py", ".html", ".css", ".po"})]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _unchanged(stamp: Path, digest: str, outdir: Path) -> bool:
    """The pages written last time are all there and were made from these same inputs (a
    warm build skips the six seconds of making them again; issue 22's warm-build target)."""
    from ice287g import pages

    try:
        last = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if last.get("digest") != digest:
        return False
    counts = last.get("written") or {}
    return all(len(list((outdir / folder).glob("*.html"))) == counts.get(folder, -1)
               for folder in (pages.STATES_DIR, pages.AGENCIES_DIR))


def write_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from ice287g import lookup, pages, story

    started, cpu = time.perf_counter(), time.process_time()
    import book_ext

    lang = _edition(app)
    outdir = Path(app.outdir)
    data_file = outdir / "_static" / "lookup" / lookup.DATA_FILE
    root = Path(app.srcdir)
    other = next(code for code in book_ext.EDITIONS if code != lang)
    up = "../" * book_ext.EDITIONS[lang][0].count("/")
    sources = story.load("sources", root)
    url = sources.set_index("source_id").at[pages.ICE_LIST_SOURCE, "url"]
    base = book_ext.site_url(app)
    site = pages.Site(
        lang=lang, book_title=str(app.config.html_title or app.config.project),
        other_lang=other, other_label=book_ext.EDITIONS[other][1],
        other_root=up + book_ext.EDITIONS[other][0],
        site_url=(base + book_ext.EDITIONS[lang][0]) if base else "",
        og_image="_static/" + book_ext.SITE_IMAGE.format(lang=lang),
        references=_citation_anchor(outdir, str(url)),
        chapters={doc: app.env.titles[doc].astext()
                  for docs in pages.STATE_CHAPTERS.values() for doc in docs
                  if doc in app.env.titles})
    digest = inputs_digest(root, site, data_file)
    stamp = Path(app.doctreedir) / STAMP
    if _unchanged(stamp, digest, outdir):
        logger.info("state and agency pages (%s): unchanged (their inputs are)", lang)
        return
    data = lookup.decode(data_file.read_bytes()) if data_file.is_file() else None
    try:
        model = pages.load_model(root / "data" / "processed", root / "data" / "curated", data)
    except (OSError, ValueError, KeyError) as err:
        logger.warning("the state and agency pages could not be made: %s", err)
        return
    try:
        written = pages.write_all(model, outdir, site)
    except KeyError as err:  # a missing translation (i18n.TranslationError)
        logger.warning("the state and agency pages (%s): %s", lang, err)
        return
    stamp.write_text(json.dumps({"digest": digest, "written": written}), encoding="utf-8")
    logger.info("state and agency pages (%s): %d states, %d agencies in %.1f s (%.1f s CPU)",
                lang, written[pages.STATES_DIR], written[pages.AGENCIES_DIR],
                time.perf_counter() - started, time.process_time() - cpu)


def setup(app):
    app.connect("build-finished", write_pages, priority=PRIORITY)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
