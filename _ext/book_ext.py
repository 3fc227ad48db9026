"""The book's own Sphinx extension (loaded through `sphinx.local_extensions` in _config.yml).

- adds the book stylesheet (assets/book/custom.css; `assets` is the static path);
- gives every page's footer the URL of the corrections policy (the `corrections` label);
- fails the build (a warning, and the book builds with -W) when a page would load a script from
  another site: nothing may come from a public CDN (e.g. MathJax, if math ever slips in);
- writes bibliography lists without the ARIA roles docutils gives them (``_citation_html``,
  through ``app.add_node``); the patches of dependencies' internals the book still needs (an
  image's alt text from its output's metadata, the translated _toc.yml captions, myst-nb's code
  toggle label) are all in ``_ext/patches.py``, each naming its upstream issue and checked
  against the installed code;
- writes the *Find an agency* page's data (``_static/lookup/agreements.js``) from
  data/processed/ with ice287g.lookup when an HTML build finishes, and adds that page's own
  script and stylesheet (assets/lookup/) to it alone; its ``{agency-lookup}`` directive
  renders the page's controls and the script's words in the edition's language
  (``ice287g.lookup.page_html``);
- the editions (issue 14): every page of each edition links to the same page of the other
  (a visible switch in the article header, ``edition_switch`` in the template context, and
  ``<link rel="alternate" hreflang>`` in the head); English is built at the root of
  ``_build/html``, Spanish under ``es/`` (tools/editions.py);
- the ``tq`` role (translated quotation) that the Spanish catalogues use for a quotation
  translated from English: it adds the quotation marks and a visible "trad." mark;
- provides the ``data-downloads`` directive used by chapters/downloads.md, which links every file
  of data/processed/ and data/curated/ with Sphinx download links, so the files are copied into
  the build and the links work offline and on GitHub Pages.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import patches

logger = logging.getLogger(__name__)

DATA_FOLDERS = ("data/processed", "data/curated")
CORRECTIONS_LABEL = "corrections"
CORRECTIONS_FALLBACK_DOC = "chapters/methods"


def _descriptions(folder: Path) -> dict[str, str]:
    """File name -> description (or title) from a Frictionless datapackage.json in ``folder``."""
    found: dict[str, str] = {}
    for package in (folder / "datapackage.json", folder.parent / "datapackage.json"):
        if not package.is_file():
            continue
        try:
            meta = json.loads(package.read_text(encoding="utf-8"))
        except ValueError:
            continue
        for resource in meta.get("resources", []):
            path = resource.get("path")
            if not isinstance(path, str):
                continue
            target = (package.parent / path).resolve()
            if target.parent == folder.resolve():
                text = resource.get("description") or resource.get("title") or ""
                found.setdefault(target.name, " ".join(str(text).split()))
    return found


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1024:,.0f} KB" if n >= 1024 else f"{n:,d} bytes"


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return max(sum(1 for _ in csv.reader(fh)) - 1, 0)


class DataDownloads(SphinxDirective):
    """List every file of one data folder as download links, with its description and size."""

    required_arguments = 1  # the folder, relative to the book root: data/processed or data/curated
    option_spec = {"class": directives.class_option}

    def run(self):
        folder_name = self.arguments[0].strip("/")
        folder = Path(self.env.srcdir) / folder_name
        if not folder.is_dir():
            raise self.error(f"data-downloads: {folder_name} is not a folder of the book")
        descriptions = _descriptions(folder)
        # The words are the edition's (ice287g/locale/<lang>/LC_MESSAGES/downloads.po); English as before.
        from ice287g import i18n

        lang = self.config.language if self.config.language in i18n.LANGUAGES else "en"

        def t(text, **values):
            try:
                return i18n.tr(text, lang, **values)
            except i18n.TranslationError as err:  # a new description with no Spanish yet
                raise self.error(f"data-downloads: {err}") from None
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        # A new or removed file re-reads the page (see _downloads_outdated; Sphinx treats a
        # folder given as a dependency as missing, which re-read the page on every build),
        # and so does a change to any listed file (its own dependency, below).
        listings = getattr(self.env, "book_download_listings", {})
        listings.setdefault(self.env.docname, {})[folder_name] = [p.name for p in files]
        self.env.book_download_listings = listings
        # datapackage.json first: it describes all the others.
        files.sort(key=lambda p: p.name != "datapackage.json")
        listing = nodes.bullet_list(classes=["data-downloads"])
        for path in files:
            target = f"/{folder_name}/{path.name}"
            self.env.note_dependency(str(path))
            link = addnodes.download_reference(
                "", "", refdoc=self.env.docname, reftarget=target, refexplicit=True,
                refwarn=False, classes=["data-download"],
            )
            link += nodes.literal(path.name, path.name)
            para = nodes.paragraph()
            para += link
            facts = [_size(path)]
            if path.suffix == ".csv":
                rows = _rows(path)
                facts.insert(0, t("1 row") if rows == 1
                             else t("{n} rows", n=i18n.format_int(rows, lang)))
            para += nodes.Text(f" ({', '.join(facts)})")
            description = descriptions.get(path.name)
            if description:
                description = t(description)
            if path.name == "datapackage.json" and not description:
                description = t(
                    "Frictionless data package: every file and column of this folder, "
                    "with types, constraints and descriptions."
                )
            if path.name.lower() == "readme.md" and not description:
                description = t("Data card for this folder: where the files come from and what each column means.")
            if description:
                para += nodes.Text(f": {description}")
            item = nodes.list_item()
            item += para
            listing += item
        if not files:
            listing += nodes.list_item("", nodes.paragraph(text=t("({folder} is empty)", folder=folder_name)))
        return [listing]


def _page_context(app, pagename, templatename, context, doctree):
    """Expose the corrections policy's URL (relative to the page) to the footer template."""
    labels = app.env.domaindata.get("std", {}).get("labels", {})
    if CORRECTIONS_LABEL in labels:
        docname, anchor, _title = labels[CORRECTIONS_LABEL]
        url = app.builder.get_relative_uri(pagename, docname)
        context["corrections_url"] = f"{url}#{anchor}" if anchor else url
    else:
        url = app.builder.get_relative_uri(pagename, CORRECTIONS_FALLBACK_DOC)
        context["corrections_url"] = url


def _visit_citation(self, node):
    """A bibliography entry as docutils writes it, without its ARIA roles: docutils marks the
    list ``role="list"`` while its entries are ``doc-biblioentry``, not ``listitem`` (axe:
    aria-required-children, critical), and doc-biblioentry is deprecated in ARIA 1.3 and not
    allowed on a div. The entries stay plain divs with their ids; the layout is unchanged."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname]))


def _depart_citation(self, node):
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


#: Every table of an article, as the page is written (issue 21): in a labelled, focusable
#: region that scrolls sideways with a visible cue when it must (assets/book/custom.css), each
#: cell labelled with its column's heading (``data-label``: on a phone a table of four or more
#: columns becomes one card a row), numeric columns marked ``num`` (right-aligned). Tables
#: that lay themselves out (Sphinx's index, Find an agency's) are left alone.
TABLE_RE = re.compile(r"<table\b[^>]*>.*?</table>", re.S)
NUMBER_RE = re.compile(r"^[-+\u2212]?[$]?\d[\d.,\u00a0\u202f ]*(%|\u00a0%)?$")
CARD_COLUMNS = 4
SKIP_TABLE_CLASSES = {"indextable", "lookup-table", "genindextable"}


_TABLE_OPEN_RE = re.compile(r"<table\b([^>]*)>", re.S)
_SECTION_RE = re.compile(r"<(thead|tbody|tfoot)\b[^>]*>(.*?)</\1>", re.S)
_ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)
_CELL_RE = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.S)
_CLASS_ATTR_RE = re.compile(r'\bclass="([^"]*)"')
_CAPTION_RE = re.compile(r"<caption\b[^>]*>(.*?)</caption>", re.S)
_TAG_RE = re.compile(r"<[^>]+>")


def _text(html_fragment: str) -> str:
    from html import unescape

    return " ".join(unescape(_TAG_RE.sub(" ", html_fragment)).split())


def _add_class(attrs: str, name: str) -> str:
    if _CLASS_ATTR_RE.search(attrs):
        return _CLASS_ATTR_RE.sub(lambda m: f'class="{m.group(1)} {name}"', attrs, count=1)
    return f'{attrs} class="{name}"'


def _table_for_readers(fragment: str, lang: str) -> str:
    """One table's HTML, as written by docutils or pandas, made readable on any screen (see
    TABLE_RE). Works on the markup with regular expressions (no nested tables): parsing every
    table of the book with an HTML parser took seconds a build."""
    from html import escape

    opening = _TABLE_OPEN_RE.match(fragment)
    if not opening:
        return fragment
    classes = set((_CLASS_ATTR_RE.search(opening.group(1)) or [None, ""])[1].split())
    if classes & SKIP_TABLE_CLASSES or any(c.startswith("lookup") for c in classes) \
            or "data-label=" in fragment:
        return fragment
    head = next((m for m in _SECTION_RE.finditer(fragment) if m.group(1) == "thead"), None)
    head_rows = _ROW_RE.findall(head.group(2)) if head else []
    headers = [_text(c[2]) for c in _CELL_RE.findall(head_rows[-1])] if head_rows else []
    # Which columns hold numbers only (every non-empty body cell).
    numeric = [True] * len(headers)
    seen = [False] * len(headers)
    bodies = [m for m in _SECTION_RE.finditer(fragment) if m.group(1) != "thead"]
    for body in bodies:
        for row in _ROW_RE.findall(body.group(2)):
            for i, cell in enumerate(_CELL_RE.findall(row)[:len(headers)]):
                text = _text(cell[2])
                if text:
                    seen[i] = True
                    numeric[i] = numeric[i] and bool(NUMBER_RE.match(text))
    num = {i for i in range(len(headers)) if numeric[i] and seen[i]}

    def row_cells(row_html: str, label: bool) -> str:
        index = iter(range(10_000))

        def cell(m):
            i = next(index)
            attrs = m.group(2)
            if i in num:
                attrs = _add_class(attrs, "num")
            if label and i < len(headers) and headers[i]:
                attrs += f' data-label="{escape(headers[i], quote=True)}"'
            return f"<{m.group(1)}{attrs}>{m.group(3)}</{m.group(1)}>"

        return _CELL_RE.sub(cell, row_html)

    def section(m):
        label = m.group(1) != "thead"
        if not label and not num:
            return m.group(0)
        return _ROW_RE.sub(lambda r: row_cells(r.group(0), label), m.group(0))

    body = _SECTION_RE.sub(section, fragment[opening.end():])
    table_classes = "book-table" + (" book-table--cards" if len(headers) >= CARD_COLUMNS else "")
    table_open = f"<table{_add_class(opening.group(1), table_classes)}>"
    caption = _CAPTION_RE.search(fragment)
    name = _text(caption.group(1)) if caption else ""
    if not name:
        from ice287g import i18n

        name = i18n.tr("Table: {columns}", lang, columns=", ".join(h for h in headers if h))
    return (f'<div class="book-table-scroll" role="region" tabindex="0" '
            f'aria-label="{escape(name, quote=True)}">{table_open}{body}</div>')


def _tables_for_readers(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if not body or "<table" not in body:
        return
    lang = edition_of(app)
    context["body"] = TABLE_RE.sub(lambda m: _table_for_readers(m.group(0), lang), body)


# ---------------------------------------------------------------------------------------------
# Page weight (issue 22): one trimmed stylesheet, icons as SVG, scripts that do not block.

#: The stylesheet every page loads instead of the themes' and extensions' own (built from them
#: when the build finishes, see _ext/book_css.py), and the book's icons, drawn last.
SITE_CSS = "book/site.css"
ICONS_CSS = "book/icons.css"
#: pydata-sphinx-theme's two stylesheets, which its layout links before all others (the book's
#: _templates/layout.html no longer does).
THEME_HEAD_CSS = ("styles/theme.css", "styles/pydata-sphinx-theme.css")
#: Stylesheets and scripts that belong to one page and stay as they are.
OWN_ASSETS = ("lookup/", "widgets/")
#: Scripts a page needs only when its article has one of these (else they are left out).
SCRIPT_NEEDS = {
    "design-tabs.js": ("sd-tab",),
    "togglebutton.js": ("toggle", "dropdown"),
    "clipboard.min.js": ("<pre",),
    "copybutton.js": ("<pre",),
}


def _filename(asset) -> str:
    """The asset's path under _static/ (Sphinx keeps it as "_static/<path>")."""
    name = str(getattr(asset, "filename", asset) or "")
    return name.removeprefix("_static/")


def _light_assets(app, pagename, templatename, context, doctree):
    """Link the one trimmed stylesheet; defer every script, and leave out the ones the page
    does not use (its body decides); the search scripts are left out by _templates/layout.html
    except on the search page."""
    css = context.get("css_files") or []
    merged = [_filename(c) for c in css if not _filename(c).startswith(OWN_ASSETS)
              and not _filename(c).startswith(("http:", "https:", "//"))]
    if merged:
        # Every page's stylesheets, in order (the same on every page today; a page with one
        # more adds it to the site stylesheet, before the icons).
        known = getattr(app, "book_css_sources", None) or [*THEME_HEAD_CSS, ICONS_CSS]
        for name in merged:
            if name not in known and name != SITE_CSS:
                known.insert(len(known) - 1, name)
        app.book_css_sources = known
        first = next(c for c in css if _filename(c) in merged)
        site = type(first)(f"_static/{SITE_CSS}", priority=getattr(first, "priority", 500))
        context["css_files"] = [site, *[c for c in css if _filename(c) not in merged]]
    # The search page too: its own scripts (searchtools.js, language_data.js and the index, in
    # _templates/search.html) are deferred as well, so all run in document order once the page
    # is parsed, and its heading and box paint before they arrive (they blocked the first paint
    # for 0.6 s on a slow phone).
    body = context.get("body") or ""
    scripts = []
    for script in context.get("script_files") or []:
        name = _filename(script)
        attributes = dict(getattr(script, "attributes", {}) or {})
        if not name or name.startswith(("widgets/", "http:", "https:", "//")):
            inline = attributes.get("body", "")
            if inline.startswith("DOCUMENTATION_OPTIONS."):
                # Runs once the deferred documentation_options.js has defined the object.
                attributes["body"] = f"document.addEventListener('DOMContentLoaded', () => {{ {inline} }});"
                script = type(script)(script.filename, priority=script.priority, **attributes)
            scripts.append(script)
            continue
        needs = SCRIPT_NEEDS.get(name.rsplit("/", 1)[-1])
        if needs and not any(word in body for word in needs):
            continue
        if not ({"defer", "async"} & set(attributes)) and attributes.get("type") != "module":
            attributes["defer"] = "defer"
            script = type(script)(script.filename, priority=script.priority, **attributes)
        scripts.append(script)
    context["script_files"] = scripts


def _write_site_css(app, exception):
    """Write _static/book/site.css from the stylesheets the pages would have loaded, trimmed to
    the classes and ids the built pages and their scripts use (rewritten only when those or
    the stylesheets change)."""
    if exception is not None or app.builder.format != "html":
        return
    import pickle

    target = Path(app.outdir) / "_static" / SITE_CSS
    # The stylesheets the pages link, as the pages written in this build listed them (or, when
    # none was written, as the last build did: a changed stylesheet alone still rebuilds it).
    sources_path = Path(app.doctreedir) / "book-css-sources.json"
    sources = getattr(app, "book_css_sources", None)
    if sources:
        sources_path.write_text(json.dumps(sources))
    elif sources_path.is_file():
        sources = json.loads(sources_path.read_text())
    else:
        logger.warning("no page was written, and %s has never been built", target)
        return

    import book_css

    static = Path(app.outdir) / "_static"
    outdir = Path(app.outdir)
    from built_pages import pages_of

    pages = pages_of(outdir)
    scripts = [p for p in static.rglob("*.js") if p.name not in ("fontawesome.js",)
               and "widgets" not in p.relative_to(static).parts]
    cache_path = Path(app.doctreedir) / "book-css-names.pickle"
    try:
        cache = pickle.loads(cache_path.read_bytes())
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        cache = {}
    used: set[str] = set()
    fresh = {}
    for path in [*pages, *scripts]:
        st = path.stat()
        key = str(path)
        hit = cache.get(key)
        if hit and hit[0] == (st.st_mtime_ns, st.st_size):
            names = hit[1]
        else:
            names = book_css.used_names([path], []) if path.suffix == ".html" \
                else book_css.used_names([], [path])
        fresh[key] = ((st.st_mtime_ns, st.st_size), names)
        used |= names
    texts = []
    for name in sources:
        # The book's own stylesheets from their source folder (a warm build does not copy a
        # changed static file again), the themes' from the build's _static/.
        path = next((Path(app.confdir) / folder / name for folder in app.config.html_static_path
                     if (Path(app.confdir) / folder / name).is_file()), static / name)
        if not path.is_file():
            logger.warning("the site stylesheet's source %s is missing", name)
            continue
        try:
            texts.append((name, book_css.expand_imports(path.read_text(encoding="utf-8"), path)))
        except ValueError as error:
            logger.warning("site stylesheet: %s", error)
            texts.append((name, path.read_text(encoding="utf-8")))
    import hashlib

    stamp = hashlib.sha256("\0".join([*sorted(used), *(t for _, t in texts)]).encode()).hexdigest()
    stamp_path = Path(app.doctreedir) / "book-css.stamp"
    if target.is_file() and stamp_path.is_file() and stamp_path.read_text() == stamp:
        cache_path.write_bytes(pickle.dumps(fresh))
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(book_css.site_css(texts, used), encoding="utf-8")
    stamp_path.write_text(stamp)
    cache_path.write_bytes(pickle.dumps(fresh))


# ---------------------------------------------------------------------------------------------
# Sharing (issue 21): a description and Open Graph tags on every page, in its language.

#: Where each edition's Open Graph locale is, and its fallback picture (assets/book/).
OG_LOCALES = {"en": "en_US", "es": "es_US"}
SITE_IMAGE = "book/og-image-{lang}.png"
DESCRIPTION_MAX = 200
#: Text in these (classes or node types) is not the page's description.
_NOT_PROSE = (nodes.admonition, nodes.footnote, nodes.citation, nodes.table, nodes.caption,
              nodes.field_list, nodes.sidebar, nodes.topic, nodes.title, addnodes.toctree)
_NOT_PROSE_CLASSES = {"cell_output", "output", "sidebar", "margin", "tag_remove-input"}
_IMG_RE = re.compile(r"<img\b[^>]*>", re.S)
_ATTR_RE = re.compile(r'\b(src|alt)="([^"]*)"')


def site_url(app) -> str:
    """The published book's address, ending in "/": ``html_baseurl`` if set, else the GitHub
    Pages address of ``repository.url`` (https://github.com/o/r -> https://o.github.io/r/)."""
    base = str(app.config.html_baseurl or "").strip()
    if not base:
        repo = str((app.config.html_theme_options or {}).get("repository_url", "")).rstrip("/")
        m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", repo)
        if not m:
            return ""
        owner, name = m.groups()
        base = f"https://{owner.lower()}.github.io/" + ("" if name.lower() == f"{owner.lower()}.github.io" else f"{name}/")
    return base if base.endswith("/") else base + "/"


def page_description(doctree) -> str:
    """The page's first paragraph of prose (at least 40 characters), cut at a word near
    DESCRIPTION_MAX characters."""
    if doctree is None:
        return ""
    for para in doctree.findall(nodes.paragraph):
        node, prose = para.parent, True
        while node is not None:
            if isinstance(node, _NOT_PROSE) or _NOT_PROSE_CLASSES & set(node.get("classes", [])):
                prose = False
                break
            node = node.parent
        text = " ".join(para.astext().split())
        if not prose or len(text) < 40:
            continue
        if len(text) > DESCRIPTION_MAX:
            cut = text[:DESCRIPTION_MAX]
            # Whole sentences when they are long enough (a full stop after a lower-case letter,
            # a digit or a bracket: not the one of "U.S.").
            ends = [m.end() for m in re.finditer(r"(?<=[a-z\u00e0-\u00ff0-9)])[.!?](?=\s|$)", cut)]
            if ends and ends[-1] >= 80:
                text = cut[:ends[-1]]
            else:
                text = cut[:cut.rfind(" ")].rstrip(",;:") + "\u2026"
        return text
    return ""


def _share_meta(app, pagename, templatename, context, doctree):
    """``book_share`` for _templates/layout.html: title, description, address, picture."""
    from html import unescape

    lang = edition_of(app)
    base = site_url(app)
    edition_root = base + EDITIONS[lang][0]
    page_url = edition_root + ("" if pagename == "index" else f"{pagename}.html")
    title = unescape(re.sub(r"<[^>]+>", "", str(context.get("title") or ""))).strip()
    docstitle = unescape(re.sub(r"<[^>]+>", "", str(context.get("docstitle") or ""))).strip()
    meta = context.get("meta") or {}
    description = str(meta.get("description") or "") or page_description(doctree) or docstitle
    image, image_alt = "", ""
    for tag in _IMG_RE.findall(context.get("body") or ""):
        attrs = dict(_ATTR_RE.findall(tag))
        src = unescape(attrs.get("src", ""))
        if src and not src.startswith("data:") and src.lower().endswith((".png", ".jpg", ".jpeg")):
            from urllib.parse import urljoin

            image, image_alt = urljoin(edition_root + pagename, src), unescape(attrs.get("alt", ""))
            break
    if not image:
        image = edition_root + "_static/" + SITE_IMAGE.format(lang=lang)
        image_alt = docstitle
    context["book_share"] = {
        "title": title or docstitle, "description": description, "url": page_url,
        "image": image, "image_alt": image_alt or title or docstitle,
        "type": "website" if pagename == "index" else "article",
        "locale": OG_LOCALES.get(lang, "en_US"),
        "other_locales": [v for k, v in OG_LOCALES.items() if k != lang],
    }


def _no_third_party_scripts(app, pagename, templatename, context, doctree):
    """Warn about, and drop, any script a page would load from another site."""
    scripts = context.get("script_files")
    if not scripts:
        return
    kept = []
    for script in scripts:
        src = str(getattr(script, "filename", None) or "")
        body = str(getattr(script, "attributes", {}).get("body", ""))
        if src.startswith(("http://", "https://", "//")):
            logger.warning(
                "%s would load a script from another site (%s); self-host it or remove what "
                "needs it (math needs MathJax: the book has `dollarmath` off)", pagename, src,
                location=pagename,
            )
            continue
        if body.startswith("window.MathJax"):
            continue
        kept.append(script)
    context["script_files"] = kept


def _repository_substitutions(app, config):
    """Offer ``{{ issues_link }}`` to the chapters: the issue tracker of ``repository.url`` in
    _config.yml (Jupyter Book passes it on as ``html_theme_options["repository_url"]``), so the
    corrections policy follows the repository when it moves."""
    url = str((config.html_theme_options or {}).get("repository_url", "")).rstrip("/")
    if not url:
        logger.warning("repository.url is not set in _config.yml: no {{ issues_link }}")
        return
    substitutions = dict(config.myst_substitutions or {})
    substitutions.setdefault("issues_link", f"<{url}/issues>")
    config.myst_substitutions = substitutions


LOOKUP_DOC = "chapters/find-an-agency"
LOOKUP_DATA = ("_static", "lookup", "agreements.js")  # ice287g.lookup.DATA_FILE


class AgencyLookup(SphinxDirective):
    """``{agency-lookup}``: the Find an agency page's controls and table in the edition's
    language (``ice287g.lookup.page_html``; the page's words are in ice287g/locale/)."""

    def run(self):
        from ice287g import i18n, lookup

        lang = (self.config.language or i18n.DEFAULT_LANGUAGE).split("_")[0]
        processed = Path(self.env.srcdir) / "data" / "processed"
        for path in lookup.page_dependencies(processed):
            self.env.note_dependency(str(path))
        try:
            body = lookup.page_html(lang, processed)
        except (OSError, ValueError, KeyError) as err:  # TranslationError is a KeyError
            raise self.error(f"agency-lookup: {err}") from None
        return [nodes.raw("", body, format="html")]


def _current_listing(srcdir: str, folder_name: str) -> list[str]:
    folder = Path(srcdir) / folder_name
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return [p.name for p in files]


def _downloads_outdated(app, env, added, changed, removed):
    """Pages with a data-downloads list whose folder gained or lost a file."""
    listings = getattr(env, "book_download_listings", {})
    return [docname for docname, folders in listings.items()
            if docname in env.found_docs and any(
                _current_listing(env.srcdir, name) != names for name, names in folders.items())]


def _downloads_purge(app, env, docname):
    getattr(env, "book_download_listings", {}).pop(docname, None)


def _lookup_assets(app, pagename, templatename, context, doctree):
    """The lookup page's script and stylesheet, on that page only (Sphinx >= 3.5 adds a file
    given during html-page-context to the current page)."""
    if pagename == LOOKUP_DOC:
        app.add_css_file("lookup/lookup.css")
        app.add_js_file("lookup/lookup.js", loading_method="defer")


def _write_lookup_data(app, exception):
    """Write the lookup page's data script from the book's data/processed/ into the HTML output.

    Runs after Sphinx has copied the static files, so the data always matches the committed
    processed files and is never committed twice."""
    if exception is not None or app.builder.format != "html":
        return
    if LOOKUP_DOC not in app.env.all_docs:
        return
    target = Path(app.outdir).joinpath(*LOOKUP_DATA)
    processed = Path(app.srcdir) / "data" / "processed"
    # Rewritten only when an input changed (a warm build then skips about a second of work):
    # the stamp, kept with the doctrees, records every input file's size and mtime.
    package = Path(__file__).resolve().parent.parent / "ice287g"
    inputs = sorted([*processed.glob("*.csv"), *package.glob("*.py"),
                     *package.glob("locale/*/LC_MESSAGES/*.po"),
                     *(Path(app.srcdir) / "data" / "curated").glob("*.csv")])  # places.csv
    stamp_text = "\n".join(f"{p}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}" for p in inputs)
    stamp = Path(app.doctreedir) / "lookup-data.stamp"
    if target.is_file() and stamp.is_file() and stamp.read_text() == stamp_text:
        return
    from ice287g import lookup

    try:
        lookup.write(target, processed)
    except (OSError, ValueError, KeyError) as err:
        logger.warning("the Find an agency data could not be written: %s", err)
        return
    stamp.write_text(stamp_text)



# ---------------------------------------------------------------------------------------------
# The explorer (issue 22): its page carries the first view of each panel; every other view is a
# small script beside the page (ice287g.explorer.VIEWS_DIR), loaded when a reader chooses it.
def _explorer_views(app, doctree, docname):
    """Move the explorer's views out of its page into one file each (doctree-resolved)."""
    if app.builder.format != "html":
        return
    from ice287g import explorer

    for node in doctree.findall(nodes.raw):
        if node.get("format") != "html" or explorer.VIEWS_ID not in node.astext():
            continue
        shell, views = explorer.split_views(node.astext())
        node[:] = [nodes.Text(shell)]
        node["rawsource"] = shell
        folder = Path(app.outdir) / Path(docname).parent / explorer.VIEWS_DIR
        explorer.write_views(folder, views)


def _lazy_images(app, doctree, docname):
    """Every image of a page but its first loads lazily (``loading="lazy"``): a chart below
    the first screen costs nothing until the reader scrolls near it (issue 22)."""
    for i, node in enumerate(doctree.findall(nodes.image)):
        if i and "loading" not in node:
            node["loading"] = "lazy"


def _explorer_without_widget_manager(app, pagename, templatename, context, doctree):
    """The explorer's page draws its views without ipywidgets: leave out the widget manager
    and the widget state myst-nb adds for the notebook's (kernel-side) widgets."""
    if 'id="ice287g-explorer"' not in (context.get("body") or ""):
        return
    widget_state = "application/vnd.jupyter.widget-state+json"
    context["script_files"] = [
        s for s in context.get("script_files") or []
        if not str(getattr(s, "filename", s) or "").removeprefix("_static/").startswith("widgets/")
        and (getattr(s, "attributes", {}) or {}).get("type") != widget_state]

#: Where each edition's pages are, relative to the English root; its name in its own language.
EDITIONS = {"en": ("", "English"), "es": ("es/", "Español")}
DEFAULT_EDITION = "en"


def edition_of(app) -> str:
    lang = (app.config.language or DEFAULT_EDITION).split("_")[0]
    return lang if lang in EDITIONS else DEFAULT_EDITION


def counterpart_href(pagename: str, from_lang: str, to_lang: str) -> str:
    """Relative URL from ``pagename`` of edition ``from_lang`` to the same page of ``to_lang``."""
    up = "../" * pagename.count("/") + "../" * EDITIONS[from_lang][0].count("/")
    return f"{up}{EDITIONS[to_lang][0]}{pagename}.html"


def _edition_links(app, pagename, templatename, context, doctree):
    """The language switch and the hreflang links of every page."""
    lang = edition_of(app)
    links = []
    for other, (_, label) in EDITIONS.items():
        links.append({"lang": other, "label": label, "current": other == lang,
                      "href": counterpart_href(pagename, lang, other)})
    context["edition_switch"] = [link for link in links if not link["current"]]
    tags = [f'<link rel="alternate" hreflang="{link["lang"]}" href="{link["href"]}">'
            for link in links]
    tags.append(f'<link rel="alternate" hreflang="x-default" '
                f'href="{counterpart_href(pagename, lang, DEFAULT_EDITION)}">')
    context["metatags"] = context.get("metatags", "") + "\n".join(tags) + "\n"


#: The translated-quotation mark, in the edition's language (the role is used in Spanish).
TQ_MARK = {"es": ("trad.", "Traducción de este libro; el original, en inglés, está en la "
                  "edición en inglés"),
           "en": ("trans.", "Translated by this book; the original is in the other edition")}


def translated_quote_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{tq}`texto``: “texto” with a "trad." mark (a quotation translated from English)."""
    env = getattr(inliner.document.settings, "env", None)
    lang = edition_of(env.app) if env is not None else DEFAULT_EDITION
    mark, explanation = TQ_MARK.get(lang, TQ_MARK["en"])
    quote = nodes.inline(rawtext, "", classes=["translated-quote"])
    quote += nodes.Text(f"“{text}”")
    sup = nodes.superscript("", "", classes=["tq-mark"])
    sup += nodes.abbreviation(mark, mark, explanation=explanation)
    quote += sup
    return [quote], []


#: Words of sphinx-book-theme that its own Spanish catalogue lacks, and Jupyter Book's search
#: placeholder (a theme option): their Spanish is in ice287g/locale/es/LC_MESSAGES/theme.po.
THEME_WORDS = ("Repository", "Open issue", "Source repositories", "Launch interactive content")


#: The gettext domain of sphinx-book-theme's words (``sphinx_book_theme.MESSAGE_CATALOG_NAME``).
THEME_DOMAIN = "booktheme"


def _theme_words(app, config):
    """In an edition other than English, the theme's missing words and the search box's
    placeholder in the edition's language. The words are added to the theme's gettext domain
    the documented way, ``app.add_message_catalog`` (Sphinx merges every catalogue given for a
    domain), from a ``.mo`` compiled with Babel into the build's doctrees folder from
    ice287g's ``theme.po``."""
    lang = (config.language or DEFAULT_EDITION).split("_")[0]
    if lang == DEFAULT_EDITION or lang not in EDITIONS:
        return
    from importlib import resources

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from ice287g import files, i18n

    options = dict(config.html_theme_options or {})
    options["search_bar_text"] = i18n.tr("Search this book...", lang)
    config.html_theme_options = options
    source = resources.files("ice287g") / i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "theme.po"
    with source.open("rb") as f:
        catalogue = read_po(f, locale=lang)
    folder = Path(app.doctreedir) / "book-locale"
    with files.atomic_write(folder / lang / "LC_MESSAGES" / f"{THEME_DOMAIN}.mo", "wb") as f:
        write_mo(f, catalogue)
    app.add_message_catalog(THEME_DOMAIN, str(folder))


#: Theme options the book sets (issue 21). ``navbar_persistent: []``: pydata-sphinx-theme 0.17.1
#: otherwise fills its top navbar with a search field, and the navbar then carries a second, hidden
#: pair of ``.primary-toggle``/``.secondary-toggle`` buttons ahead of the article header's; the
#: themes' scripts bind ``document.querySelector(".primary-toggle")``, the hidden one, so the
#: visible menu and contents buttons did nothing at any width. Without navbar items the navbar
#: is not rendered. The header keeps only the buttons a reader uses: no download or full-screen.
BOOK_THEME_OPTIONS = {"navbar_persistent": [], "use_download_button": False,
                      "use_fullscreen_button": False}


def _book_theme_options(app, config):
    options = dict(config.html_theme_options or {})
    options.update(BOOK_THEME_OPTIONS)
    config.html_theme_options = options


def _check_theme_words(app):
    """Every word of THEME_WORDS has its translation (a missing one would show English)."""
    lang = edition_of(app)
    if lang == DEFAULT_EDITION:
        return
    from ice287g import i18n

    for word in THEME_WORDS:
        i18n.tr(word, lang)  # raises TranslationError naming the word


def _glued_image_alt(app, doctree, docname):
    """An image a page pastes from a notebook (``{glue}`` with ``:doc:``, e.g. the landing
    page's chart) gets the alt text its glued output carries: myst-nb's cross-document paste
    makes the image node without it (myst_nb/ext/glue/crossref.py, ``generate_any_nodes``),
    while the same output shown in its own notebook has it. Matched by file name, which
    myst-nb makes from the image bytes' SHA-256."""
    import base64
    import hashlib

    images = [n for n in doctree.findall(nodes.image) if not n.get("alt")]
    if not images:
        return
    env_config = getattr(app.env, "mystnb_config", None)
    folder = Path(getattr(env_config, "output_folder", "") or Path(app.outdir).parent / "jupyter_execute")
    alts = {}
    for cache in folder.rglob("*.glue.json"):
        for output in json.loads(cache.read_text(encoding="utf-8")).values():
            for mime, data in (output.get("data") or {}).items():
                alt = ((output.get("metadata") or {}).get(mime) or {}).get("alt")
                if alt and mime.startswith("image/") and isinstance(data, str):
                    digest = hashlib.sha256(base64.b64decode(data)).hexdigest()
                    alts[digest] = alt
    for node in images:
        alt = alts.get(Path(node["uri"]).stem)
        if alt:
            node["alt"] = str(alt)


def setup(app):
    patches.setup(app)
    app.connect("config-inited", _theme_words, priority=900)
    app.connect("config-inited", _book_theme_options, priority=900)
    app.connect("builder-inited", _check_theme_words)
    app.add_role("tq", translated_quote_role)
    app.connect("html-page-context", _edition_links)
    app.connect("config-inited", _repository_substitutions)
    app.add_css_file("book/custom.css")
    app.add_directive("data-downloads", DataDownloads)
    app.add_directive("agency-lookup", AgencyLookup)
    app.connect("html-page-context", _page_context)
    app.add_node(nodes.citation, override=True, html=(_visit_citation, _depart_citation))
    app.connect("html-page-context", _tables_for_readers)
    app.connect("html-page-context", _share_meta, priority=600)
    app.connect("html-page-context", _lookup_assets)
    app.connect("build-finished", _write_lookup_data)
    app.connect("doctree-resolved", _explorer_views)
    app.connect("doctree-resolved", _glued_image_alt)
    app.connect("doctree-resolved", _lazy_images)
    app.connect("html-page-context", _explorer_without_widget_manager, priority=940)
    app.connect("build-finished", _write_site_css)
    # Last: after every extension (and _lookup_assets) has added its stylesheets and scripts.
    app.connect("html-page-context", _light_assets, priority=950)
    app.connect("env-get-outdated", _downloads_outdated)
    app.connect("env-purge-doc", _downloads_purge)
    # After sphinx.ext.mathjax (priority 500) has added its script.
    app.connect("html-page-context", _no_third_party_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
