"""Citation style for the book: (Outlet, 2025-06-30; Other outlet, 2025-07).

sphinxcontrib-bibtex's ``author_year`` style puts citations in square brackets and separates
several with commas, which blurs "Outlet, date" pairs. This registers ``author_year_round``:
the same style with round brackets and semicolons between references. ``_config.yml`` selects it
with ``bibtex_reference_style: author_year_round``. (The citations' "author" is the outlet and
their "year" the ISO publication date: see ``ice287g.story.bibtex``.) It also regenerates
``references.bib`` from ``data/curated/sources.csv`` when the book is built.
"""

from dataclasses import dataclass, field

import sphinxcontrib.bibtex.plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


@dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


sphinxcontrib.bibtex.plugin.register_plugin(
    "sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearReferenceStyle
)


def setup(app):
    # Regenerate references.bib from data/curated/sources.csv before sphinxcontrib-bibtex reads
    # it, so the bibliography always matches the CSV; invalid curated data stop the build with
    # ice287g.story's list of problems (file and row named). The file is left untouched when
    # it is already current.
    from pathlib import Path

    from ice287g import story

    story.write_bibtex(Path(app.srcdir))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
