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


def write_pages(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from ice287g import lookup, pages, story

    started, cpu = time.perf_counter(), time.process_time()
    import book_ext

    lang = _edition(app)
    outdir = Path(app.outdir)
    data_file = outdir / "_static" / "lookup" / lookup.DATA_FILE
    data = lookup.decode(data_file.read_bytes()) if data_file.is_file() else None
    root = Path(app.srcdir)
    try:
        model = pages.load_model(root / "data" / "processed", root / "data" / "curated", data)
    except (OSError, ValueError, KeyError) as err:
        logger.warning("the state and agency pages could not be made: %s", err)
        return
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
    try:
        written = pages.write_all(model, outdir, site)
    except KeyError as err:  # a missing translation (i18n.TranslationError)
        logger.warning("the state and agency pages (%s): %s", lang, err)
        return
    logger.info("state and agency pages (%s): %d states, %d agencies in %.1f s (%.1f s CPU)",
                lang, written[pages.STATES_DIR], written[pages.AGENCIES_DIR],
                time.perf_counter() - started, time.process_time() - cpu)


def setup(app):
    app.connect("build-finished", write_pages, priority=PRIORITY)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
