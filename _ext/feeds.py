"""The map through time and the Atom feeds (issue 26), for both editions.

- the ``{time-map}`` directive (chapters/time-map.md): the page's maps, controls, table and
  data in the edition's language, written by :func:`ice287g.timemap.page_html` from
  data/processed; its script (assets/timemap/timemap.js) is added, deferred, to that page
  alone, with a ``<link rel="alternate">`` to the whole list's feed;
- when an HTML build finishes, the edition's feeds (``feeds/all.atom`` and
  ``feeds/states/<slug>.atom``, under ``es/`` for the Spanish edition) are written by
  :func:`ice287g.feeds.write`, with absolute links to the published book
  (``book_ext.site_url``); rewritten only when an input changed (a stamp beside the doctrees).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

TIME_MAP_DOC = "chapters/time-map"


def _lang(config) -> str:
    from ice287g import i18n

    return (config.language or i18n.DEFAULT_LANGUAGE).split("_")[0]


class TimeMap(SphinxDirective):
    """``{time-map}``: the map through time, in the edition's language."""

    def run(self):
        from ice287g import timemap

        processed = Path(self.env.srcdir) / "data" / "processed"
        for path in timemap.page_dependencies(processed):
            self.env.note_dependency(str(path))
        try:
            body = timemap.page_html(_lang(self.config), processed)
        except (OSError, ValueError, KeyError) as err:  # TranslationError is a KeyError
            raise self.error(f"time-map: {err}") from None
        return [nodes.raw("", body, format="html")]


def _time_map_assets(app, pagename, templatename, context, doctree):
    if pagename != TIME_MAP_DOC:
        return
    from html import escape

    from ice287g import feeds
    from ice287g.i18n import tr

    app.add_js_file("timemap/timemap.js", loading_method="defer")
    title = tr("Changes to ICE's 287(g) list", lang=_lang(app.config))
    context["metatags"] = (context.get("metatags") or "") + (
        f'\n<link rel="alternate" type="application/atom+xml" '
        f'title="{escape(title, quote=True)}" href="../{feeds.ALL_FEED}">')


def _inputs(app) -> list[Path]:
    root = Path(app.srcdir)
    package = Path(__file__).resolve().parent.parent / "ice287g"
    return sorted([*(root / "data" / "processed").glob("*.csv"), *package.glob("*.py"),
                   *package.glob("locale/*/LC_MESSAGES/*.po"), root / "_config.yml"])


def _changes(app, side, inputs_text: str):
    """:func:`ice287g.feeds.list_changes` (about a minute of comparisons), kept in
    ``_build/feeds-changes.pickle`` for the other edition and later builds while the inputs
    are the same (the changes hold no words, only data)."""
    import pickle

    from ice287g import feeds

    cache = Path(app.srcdir) / "_build" / "feeds-changes.pickle"
    try:
        saved_inputs, changes = pickle.loads(cache.read_bytes())
        if saved_inputs == inputs_text:
            return changes
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        pass
    changes = feeds.list_changes(side)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps((inputs_text, changes)))
        tmp.replace(cache)
    except OSError:
        pass
    return changes


def _write_feeds(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import book_ext
    from ice287g import diff, feeds

    lang = book_ext.edition_of(app)
    site = feeds.Site(book_ext.site_url(app) + book_ext.EDITIONS[lang][0], lang)
    outdir = Path(app.outdir)
    stamp = Path(app.doctreedir) / "feeds.stamp"
    stamp_text = site.base + "\n" + "\n".join(
        f"{p}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}" for p in _inputs(app) if p.exists())
    if (outdir / feeds.ALL_FEED).is_file() and stamp.is_file() \
            and stamp.read_text() == stamp_text:
        return
    try:
        side = diff.load_side(Path(app.srcdir) / "data" / "processed")
        feeds.write(outdir, site, side, _changes(app, side, stamp_text.split("\n", 1)[1]))
    except (OSError, ValueError, KeyError, diff.DiffError) as err:
        logger.warning("the feeds could not be written: %s", err)
        return
    stamp.write_text(stamp_text)


def setup(app):
    app.add_directive("time-map", TimeMap)
    app.connect("html-page-context", _time_map_assets)
    app.connect("build-finished", _write_feeds)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
