"""Every place the book depends on a dependency's internals, in one module.

Each entry of :data:`PATCHES` names what it relies on (a function or class of an installed
package, by its source's SHA-256 and the package's version when the patch was written), why,
and the upstream issue. :func:`problems` compares them with what is installed: the book's
build warns (and fails, built with ``-W``) and ``tests/test_patches.py`` fails when the
upstream code changes, so a minor upgrade cannot break a patch silently. Everything else the
book's extensions do goes through public interfaces (Sphinx events, ``app.add_node``,
``app.add_message_catalog``, theme options, templates).

The patches:

- ``image-alt``: myst-nb takes an image's alt text only from cell metadata, which cannot change
  with the edition's language; the book's charts carry theirs in the output's metadata
  (``{"image/png": {"alt": ...}}``, written by ``ice287g.charts.show``), and
  ``NbElementRenderer.render_image`` is wrapped to use it. Upstream:
  jupyter-book/jupyter-book#436 (alt text for inline notebook figures) and
  executablebooks/MyST-NB#211 (alt for ``glue:figure`` only).
- ``toc-captions``: sphinx-external-toc inserts the toctree (with _toc.yml's part captions) at
  transform priority 100, after Sphinx's Locale transform (20) has translated the page, so the
  captions stay English in a translated edition; :class:`TranslateTocCaptions` runs at 101.
  Sphinx translates toctree captions written in a page (sphinx-doc/sphinx#1734, #6178); no
  upstream issue covers the captions sphinx-external-toc inserts.
- ``code-toggle-label``: myst-nb's hidden-input toggle is
  ``<summary aria-label="Toggle hidden content">``, which hides the words it shows from screen
  readers (axe: label-content-name-mismatch); the label is dropped from the written page.
  Related upstream: jupyter-book/jupyter-book#436 (accessibility of the book interface).

One more lives in the browser, where Python cannot apply it: Find an agency's script
(assets/lookup/lookup.js, ``quietSphinxSearch``) replaces Sphinx's ``Search.performSearch``
on its page, whose own ``?q=`` searchtools.js would otherwise run (and throw on, with no
``#search-results``); it does so only when searchtools has the shape it checks, and
``tests/test_search_guard.py`` fails when the installed Sphinx's searchtools.js no longer has it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
from dataclasses import dataclass

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Patch:
    name: str
    distribution: str  #: the package, as pip names it
    version: str  #: its version when the patch was written and checked
    target: str  #: "module:Qualified.name" of the code the patch relies on
    source_sha256: str  #: the first 16 hex digits of the SHA-256 of that code's source
    upstream: str


PATCHES = (
    Patch("image-alt", "myst-nb", "1.4.0", "myst_nb.core.render:NbElementRenderer.render_image",
          "67f75941c388d30d", "https://github.com/jupyter-book/jupyter-book/issues/436, "
          "https://github.com/executablebooks/MyST-NB/issues/211"),
    Patch("toc-captions", "sphinx-external-toc", "1.1.0", "sphinx_external_toc.events:InsertToctrees",
          "9931dcf071414d0c", "https://github.com/sphinx-doc/sphinx/issues/1734 (captions in "
          "pages; none for sphinx-external-toc's)"),
    Patch("code-toggle-label", "myst-nb", "1.4.0", "myst_nb.sphinx_:visit_HideCellInput",
          "4d979a9ab24bb340", "https://github.com/jupyter-book/jupyter-book/issues/436"),
)


def resolve(target: str):
    module, _, qualname = target.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return getattr(obj, "_book_original", obj)


def fingerprint(obj) -> str:
    return hashlib.sha256(inspect.getsource(obj).encode("utf-8")).hexdigest()[:16]


def problems() -> list[str]:
    """What changed upstream since each patch was written (empty: every patch still fits)."""
    found = []
    for patch in PATCHES:
        installed = importlib.metadata.version(patch.distribution)
        if installed != patch.version:
            found.append(f"patch {patch.name}: {patch.distribution} is {installed}, the patch was "
                         f"written for {patch.version}; check {patch.target} ({patch.upstream})")
            continue
        try:
            now = fingerprint(resolve(patch.target))
        except (ImportError, AttributeError, OSError, TypeError) as exc:
            found.append(f"patch {patch.name}: {patch.target} is gone ({exc})")
            continue
        if now != patch.source_sha256:
            found.append(f"patch {patch.name}: the source of {patch.target} changed "
                         f"({patch.source_sha256} -> {now}); check the patch ({patch.upstream})")
    # the order the toc-captions patch relies on
    from sphinx_external_toc.events import InsertToctrees

    if InsertToctrees.default_priority != TranslateTocCaptions.default_priority - 1:
        found.append(f"patch toc-captions: sphinx-external-toc inserts its toctrees at priority "
                     f"{InsertToctrees.default_priority}, not "
                     f"{TranslateTocCaptions.default_priority - 1}")
    if HIDDEN_LABEL not in inspect.getsource(resolve(PATCHES[2].target)):
        found.append(f"patch code-toggle-label: myst-nb no longer writes {HIDDEN_LABEL!r}")
    return found


# ----------------------------------------------------------------------------- image-alt
def _image_alt_from_output_metadata() -> None:
    """Let an image output's metadata carry its alt text (see the module docstring)."""
    from myst_nb.core.render import NbElementRenderer

    original = NbElementRenderer.render_image
    if getattr(original, "_book_original", None) is not None:
        return  # already wrapped (a second build in the same process)

    def render_image(self, data):
        result = original(self, data)
        alt = (data.output_metadata or {}).get(data.mime_type, {}).get("alt")
        if alt:
            for node in result:
                if isinstance(node, nodes.image):
                    node["alt"] = str(alt)
        return result

    render_image._book_original = original
    NbElementRenderer.render_image = render_image


# ----------------------------------------------------------------------------- toc-captions
class TranslateTocCaptions(SphinxTransform):
    """Translate the part captions of _toc.yml ("The story", ...) in an edition built with a
    ``language`` (see the module docstring)."""

    default_priority = 101  # just after sphinx_external_toc.events.InsertToctrees (100)

    def apply(self, **kwargs):
        if not self.config.language or self.config.language == "en":
            return
        from os import path

        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        dirs = [path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for node in self.document.findall(addnodes.toctree):
            caption = node.get("caption")
            if caption:
                translated = catalog.gettext(caption)
                if translated and translated != caption:
                    node["caption"] = translated


# ----------------------------------------------------------------------------- code-toggle-label
HIDDEN_LABEL = '<summary aria-label="Toggle hidden content">'


def _code_toggle_label(app, pagename, templatename, context, doctree):
    """Drop the label that hides the toggle's visible words (see the module docstring)."""
    body = context.get("body")
    if body and HIDDEN_LABEL in body:
        context["body"] = body.replace(HIDDEN_LABEL, "<summary>")


def _check(app):
    for problem in problems():
        logger.warning(problem)


def setup(app):
    """Called by book_ext's setup: apply the patches, and warn when one no longer fits."""
    _image_alt_from_output_metadata()
    app.add_transform(TranslateTocCaptions)
    app.connect("html-page-context", _code_toggle_label)
    app.connect("builder-inited", _check)
