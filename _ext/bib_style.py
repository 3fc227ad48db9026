"""Citation style for the book: (Outlet, 2025-06-30; Other outlet, 2025-07), in each edition.

sphinxcontrib-bibtex's ``author_year`` style puts citations in square brackets and separates
several with commas, which blurs "Outlet, date" pairs. This registers ``author_year_round``:
the same style with round brackets and semicolons between references. ``_config.yml`` selects it
with ``bibtex_reference_style: author_year_round``. (The citations' "author" is the outlet and
their "year" the ISO publication date: see ``ice287g.story.bibtex``.) It also regenerates
``references.bib`` from ``data/curated/sources.csv`` when the book is built.

The Spanish edition (``language = "es"``, see ``tools/editions.py``) cites the same sources
with every word the book or the style writes in Spanish (titles the book wrote itself, "Report on
... (headline not captured)", included), while real headlines, outlets' names, authors'
names, addresses and the ISO date labels of the citations stay exactly as in English:

- ``references.bib`` holds English words the book writes into each entry: the note ("By A and
  B. Original report. <sources.csv note> Accessed 2026-11-26."), the ``n.d.`` label of undated
  sources and outlet labels the book composed ("Miami Herald (editorial)", "Not stated in the
  stored copy (article by ...)"). The Spanish build writes its own BibTeX file,
  ``<doctreedir>/references-es.bib`` (:func:`spanish_bibtex`), from the same English file and
  ``sources.csv``, and reads it instead: "Por A y B. Publicación original. <la nota en
  español> Consultado el 26 de noviembre de 2026.", ``s. f.`` for ``n.d.``. Each English note
  is translated in ``ice287g/locale/es/LC_MESSAGES/bibliography.po`` (keyed by the exact English text,
  like every ``i18n.tr`` text); the full ISO dates a translation carries are written the
  Spanish way by ``i18n.format_date`` ("2026-12-03" -> "3 de diciembre de 2026"). A note or
  book-written label without a Spanish entry stops the Spanish build with the row of
  ``sources.csv`` named, never showing English.
- ``plain_es`` (pybtex formatting style) is the ``plain`` style with Spanish words: "y" between
  names, "Disponible en:" before the address, "consultado el" for a visit date. It formats
  the ``@misc`` entries the book writes and refuses any other entry type or a month field
  (whose words ``plain`` would print in English) with a message saying so.
- ``author_year_round_es`` is ``author_year_round`` with "y" between names.

The English edition is built exactly as before: nothing here runs unless the language is "es".
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pybtex.plugin
import sphinxcontrib.bibtex.plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.template import field as bib_field
from pybtex.style.template import href, names, optional, sentence, words
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
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


# --------------------------------------------------------------------------- the Spanish edition
#: The Spanish BibTeX file, written into the Spanish build's doctree folder.
SPANISH_BIB = "references-es.bib"
#: Each English style and the Spanish one that the Spanish build uses instead.
SPANISH_STYLES = {"plain": "plain_es"}
SPANISH_REFERENCE_STYLES = {"author_year_round": "author_year_round_es"}
#: The fields of the entries ``ice287g.story.bibtex`` writes. Any other field could carry
#: English words this module does not translate, so the Spanish build refuses it.
KNOWN_FIELDS = {"title", "year", "url", "note"}
#: Lower-case words that occur inside outlets' own names ("Office of ...", "News in Brief",
#: "Immigration and Customs Enforcement"). Any other lower-case word in a ``publisher`` cell
#: is the book's own description ("(editorial)", "(via WKBW)", "Not stated in the stored
#: copy ..."), which must have a Spanish entry. A label made only of names but joined by the
#: book ("... and State of Florida") is translated too when the catalogue has it.
_NAME_WORDS = {"of", "for", "at", "in", "the", "and"}
_WORD = re.compile(r"[^\W\d_][\w.'’-]*")
_ISO_DAY = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def _tr(text: str, lang: str, **values) -> str:
    from ice287g.i18n import tr

    return tr(text, lang=lang, **values)


def book_written_label(publisher: str) -> bool:
    """Whether a ``publisher`` cell holds words the book wrote (a lower-case word that is not
    part of a name or an address), which the Spanish edition must translate."""
    return any(w[0].islower() and "." not in w and w not in _NAME_WORDS
               for w in _WORD.findall(publisher))


def publisher_label(publisher: str, lang: str) -> str:
    """The citation's "author" (the outlet) in ``lang``: outlets' names unchanged, the book's
    own labels translated."""
    from ice287g.i18n import catalogue

    if lang == "en" or not (book_written_label(publisher) or publisher in catalogue(lang)):
        return publisher
    return _tr(publisher, lang)


def year_label(label: str, lang: str) -> str:
    """A citation's date label in ``lang``: ``n.d.`` (no date) -> ``s. f.``, keeping the
    ``-a``/``-b`` suffix that tells one outlet's undated sources apart; dates unchanged."""
    if lang != "en" and label.startswith("n.d."):
        return _tr("n.d.", lang) + label[len("n.d."):]
    return label


def join_names(people: list[str], lang: str) -> str:
    """Authors' names as the note lists them: the book's one way of joining names
    (:func:`ice287g.words.join_names`: "A and B", "A, B and C"; "A, B y C", "Gómez e Ibarra")."""
    from ice287g.words import join_names as join

    return join(people, lang)


def spanish_dates(text: str, lang: str) -> str:
    """Every full ISO date (2026-12-03) in a translated note written the ``lang`` way."""
    from ice287g.i18n import format_date

    def one(m: re.Match) -> str:
        try:
            return format_date(m.group(0), lang)
        except ValueError:  # not a calendar date (e.g. part of a document number)
            return m.group(0)

    return _ISO_DAY.sub(one, text)


#: The words that mark a title the book wrote because the stored copy shows no headline.
_BOOK_TITLE = re.compile(r"\((?:headline not captured|untitled in the stored copy)")
#: A source's note saying its title is the book's description, not a headline.
_DESCRIPTIVE_NOTE = re.compile(r"\bTitle descriptive\b")


def book_title(title: str, note: str = "") -> bool:
    """Whether ``title`` is the book's own words (no headline captured, or a note saying the
    title is descriptive), which the Spanish edition translates; a real headline is not."""
    return bool(_BOOK_TITLE.search(title) or _DESCRIPTIVE_NOTE.search(note or ""))


def title_field(title: str, bibtex_title: str, lang: str, note: str = "") -> str:
    """An entry's title in ``lang``: a real headline exactly as published (``bibtex_title``,
    byte for byte); a title the book wrote itself ("Report on ... (headline not captured)",
    or one its ``note`` calls descriptive) in ``lang``, from the catalogue like the notes (a
    missing one is a ``TranslationError``)."""
    from ice287g.story import latex_escape

    if lang == "en" or not book_title(title, note):
        return bibtex_title
    return "{" + latex_escape(_tr(title, lang)) + "}"


def note_text(row: dict, lang: str) -> str:
    """The note of a source's entry, unescaped: who wrote it, what kind of source it is, the
    book's note from ``sources.csv`` and when it was read. In English this is exactly what
    ``ice287g.story.bibtex`` writes (a test compares them)."""
    parts = []
    if row["author"]:
        people = join_names(row["author"].split("; "), lang)
        parts.append(f"By {people}." if lang == "en" else _tr("By {authors}.", lang,
                                                              authors=people))
    kind = f"{row['kind'].capitalize()}."
    parts.append(kind if lang == "en" else _tr(kind, lang))
    if row["note"]:
        parts.append(row["note"] if lang == "en" else spanish_dates(_tr(row["note"], lang), lang))
    if lang == "en":
        parts.append(f"Accessed {row['accessed']}.")
    else:
        from ice287g.i18n import format_date

        parts.append(_tr("Accessed {date}.", lang, date=format_date(row["accessed"], lang)))
    return " ".join(parts)


class SpanishBibliographyError(ValueError):
    """The Spanish bibliography cannot be written (the message names each row and text)."""


def _parse(bibtex_text: str):
    from pybtex.database.input.bibtex import Parser

    return Parser().parse_string(bibtex_text)


def spanish_bibtex(sources, english_bibtex: str, lang: str = "es") -> str:
    """The Spanish BibTeX text: the English file's entries (``english_bibtex``, as
    ``ice287g.story.bibtex`` wrote it from ``sources``) with the outlet label, the ``n.d.``
    label, the note and the titles the book wrote in ``lang``; real headlines and addresses
    copied byte for byte.

    Every missing translation is reported at once, each with its ``sources.csv`` row.
    """
    from ice287g.i18n import TranslationError
    from ice287g.story import latex_escape

    data = _parse(english_bibtex)
    rows = {row["source_id"]: (i, row)
            for i, row in enumerate(sources.to_dict("records"), start=1)}
    problems: list[str] = []
    entries = []
    for key, entry in data.entries.items():
        where = (f"data/curated/sources.csv row {rows[key][0]} (source_id={key!r})"
                 if key in rows else f"references.bib entry {key!r}")
        unknown = set(entry.fields) - KNOWN_FIELDS
        if entry.type != "misc" or unknown or set(entry.persons) - {"author"}:
            problems.append(
                f"{where}: the Spanish bibliography translates @misc entries with the fields "
                f"author, {', '.join(sorted(KNOWN_FIELDS))}; this one is @{entry.type}"
                + (f" with {', '.join(sorted(unknown))}" if unknown else "")
                + ": teach _ext/bib_style.py its words")
            continue
        if key not in rows:
            problems.append(f"{where}: no row of data/curated/sources.csv has this source_id")
            continue
        row = rows[key][1]
        try:
            author = publisher_label(row["publisher"], lang)
            note = note_text(row, lang)
            year = year_label(entry.fields["year"], lang)
            title = title_field(row["title"], entry.fields["title"], lang, row.get("note", ""))
        except TranslationError as exc:
            problems.append(f"{where}: {exc} (ice287g/locale/{lang}/LC_MESSAGES/bibliography.po holds "
                            "the Spanish of the notes and labels of sources.csv)")
            continue
        fields = [
            ("author", "{" + latex_escape(author) + "}"),
            ("title", title),
            ("year", year),
            ("url", entry.fields["url"]),
            ("note", latex_escape(note)),
        ]
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        entries.append(f"@misc{{{key},\n{body}\n}}\n")
    if problems:
        raise SpanishBibliographyError(
            f"{len(problems)} problem(s) in the {lang} bibliography:\n"
            + "\n".join(f"- {p}" for p in problems))
    header = (f"% The {lang} edition's bibliography, generated by _ext/bib_style.py from "
              "references.bib and data/curated/sources.csv at build time.\n\n")
    return header + "\n".join(entries)


def write_spanish_bibtex(srcdir: Path, outdir: Path, lang: str = "es") -> Path:
    """Write ``outdir/references-es.bib`` (only if its text changed, so a warm build stays
    warm) and return its path."""
    from ice287g import story

    sources = story.load("sources", srcdir)
    text = spanish_bibtex(sources, story.bib_path(srcdir).read_text(encoding="utf-8"), lang)
    path = Path(outdir) / SPANISH_BIB
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        from ice287g import files

        files.write_text(path, text)
    return path


class SpanishPlainStyle(PlainStyle):
    """pybtex's ``plain`` style with its words in Spanish (for the book's ``@misc`` entries)."""

    lang = "es"

    def format_names(self, role, as_sentence=True):
        word = _tr("and", self.lang)
        formatted = names(role, sep=", ", sep2=f" {word} ", last_sep=f" {word} ")
        return sentence[formatted] if as_sentence else formatted

    def format_url(self, e):
        url = bib_field("url", raw=True)
        return words[_tr("Available at:", self.lang), href(url)[url]]

    def format_web_refs(self, e):
        visited = _tr("visited on", self.lang)
        return sentence[
            optional[self.format_url(e), optional[f" ({visited} ", bib_field("urldate"), ")"]],
            optional[self.format_eprint(e)],
            optional[self.format_pubmed(e)],
            optional[self.format_doi(e)],
        ]

    def format_entry(self, label, entry, bib_data=None):
        if entry.type not in ("misc", "online") or "month" in entry.fields:
            raise SpanishBibliographyError(
                f"bibliography entry {entry.key!r} is @{entry.type}"
                + (" with a month" if "month" in entry.fields else "")
                + f": the {self.lang} style (_ext/bib_style.py) translates only the words of "
                "@misc entries without months, which is what ice287g.story writes")
        return super().format_entry(label, entry, bib_data=bib_data)


def _spanish_person() -> PersonStyle:
    word = _tr("and", "es")
    return PersonStyle(sep2=f" {word} ", last_sep=f" {word} ")


@dataclass
class SpanishRoundAuthorYearReferenceStyle(RoundAuthorYearReferenceStyle):
    person: PersonStyle = field(default_factory=_spanish_person)


pybtex.plugin.register_plugin("pybtex.style.formatting", "plain_es", SpanishPlainStyle)
sphinxcontrib.bibtex.plugin.register_plugin(
    "sphinxcontrib.bibtex.style.referencing", "author_year_round_es",
    SpanishRoundAuthorYearReferenceStyle)


def _spanish_edition(app, config) -> None:
    """In the Spanish build: write its BibTeX file and use the Spanish styles."""
    if (config.language or "en").split("_")[0] != "es":
        return
    from sphinx.errors import ExtensionError

    for name, table in (("bibtex_default_style", SPANISH_STYLES),
                        ("bibtex_reference_style", SPANISH_REFERENCE_STYLES)):
        value = getattr(config, name)
        if value not in table:
            raise ExtensionError(f"{name} is {value!r}, which has no Spanish version in "
                                 "_ext/bib_style.py (it has: " + ", ".join(table) + ")")
        setattr(config, name, table[value])
    try:
        path = write_spanish_bibtex(Path(app.srcdir), Path(app.doctreedir))
    except SpanishBibliographyError as exc:
        raise ExtensionError(str(exc)) from None
    config.bibtex_bibfiles = [str(path)]


def _citations_depend_on_the_bibliography(app, doctree) -> None:
    """A page that cites (a ``{cite}`` role: sphinxcontrib-bibtex's ``pending_xref`` of the
    ``cite`` domain) depends on the BibTeX file its citations' labels and tooltips come from,
    so a warm build writes it again when a source's entry changes (it kept the old tooltip
    text: the page itself had not changed). The files are rewritten only when their text
    changes (:func:`write_spanish_bibtex`, ``ice287g.story.write_bibtex``), so an unchanged
    bibliography re-reads nothing."""
    from sphinx import addnodes

    if any(node.get("refdomain") == "cite" for node in doctree.findall(addnodes.pending_xref)):
        for name in app.config.bibtex_bibfiles:
            app.env.note_dependency(str(Path(app.srcdir) / name))


def setup(app):
    # Regenerate references.bib from data/curated/sources.csv before sphinxcontrib-bibtex reads
    # it, so the bibliography always matches the CSV; invalid curated data stop the build with
    # ice287g.story's list of problems (file and row named). The file is left untouched when
    # it is already current.
    from ice287g import story

    story.write_bibtex(Path(app.srcdir))
    # Before sphinxcontrib-bibtex reads the configuration at builder-inited. (A test of
    # tests/test_curated.py calls setup() with an object holding only srcdir.)
    if hasattr(app, "connect"):
        app.connect("config-inited", _spanish_edition)
        app.connect("doctree-read", _citations_depend_on_the_bibliography)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
