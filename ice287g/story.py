"""The curated, cited tables behind the story chapters, and the bibliography made from them.

``data/curated/`` holds six hand-researched CSV files described by ``datapackage.json``
(a Frictionless data package): ``sources``, ``events``, ``votes``, ``local_actions``,
``claims`` and ``evidence``. Every row of events, votes, local_actions and claims names its
sources in ``source_ids`` (ids of ``sources.csv`` joined by ``;``); every row of ``evidence``
records the passage of one source that supports one fact. This module

- loads the tables (:func:`load`, :func:`load_all`),
- validates them (:func:`problems`, :func:`check`): the schema of ``datapackage.json`` is
  applied by Frictionless, and this module adds only what a Table Schema cannot express: the
  citation rules across tables (every source id known, every source cited by some row or by a
  ``{cite}`` role in ``chapters/*.md``), real calendar days, ``date`` agreeing with
  ``date_precision``, and the evidence cross-checks (every evidence source known and openable,
  every key a claim, event, action, roll-call vote or chapter section, every roll-call
  row backed by a passage naming the member, or reporting a unanimous vote),
- writes the BibTeX file the book's bibliography is built from (:func:`bibtex`,
  :func:`write_bibtex`), and
- shapes the tables the story notebook glues into the chapters (:func:`roll_call`,
  :func:`timeline`, :func:`claims_table`, :func:`local_actions_table`, :func:`style`), in the
  language in use (:mod:`ice287g.i18n`): headers, verdicts and vote words through ``tr()``,
  dates for people to the precision recorded (:func:`ice287g.words.partial_date_cells`:
  "8 de julio de 2025", "julio de 2025", "1996"), and the curated prose from each English column's Spanish twin
  (:data:`TRANSLATED`: ``what`` / ``what_es`` ...), a translation of the same cell.

Run ``python -m ice287g.story`` after editing ``sources.csv``: it validates everything and
rewrites ``references.bib`` (a test fails while the committed file is stale).

Errors name the file and the row (data rows are counted from 1, after the header line) and,
where there is one, the row's id.
"""

from __future__ import annotations

import calendar
import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from . import config, files, i18n, safe_html, words
from .i18n import tr
from .safe_html import Markup

TABLES = ("sources", "events", "votes", "local_actions", "claims", "evidence", "published_counts")
#: Every file of data/curated/ (its datapackage.json): the story tables, the glossary of
#: the Spanish edition's terms (checked by tests/test_translations.py, not a story table) and
#: the cited places of agencies whose rows name no county (read by ice287g.lookup).
PACKAGE_TABLES = TABLES + ("glossary", "places")
ID_COLUMN = {"sources": "source_id", "events": "event_id", "local_actions": "action_id",
             "claims": "claim_id", "published_counts": "count_id"}
BIB_NAME = "references.bib"
#: The curated columns of the book's own English prose that the story tables show, by table.
#: Each has a Spanish twin ``<column>_es`` right after it: a translation of the same cell (same
#: facts; names, numbers and statute numbers exact), filled exactly where the English is.
#: ``claims.quote`` is the article's English wording; its twin is a translation, shown marked
#: as one beside the original.
TRANSLATED = {"events": ("place", "what", "numbers"), "votes": ("body", "motion", "role"),
              "local_actions": ("description", "outcome"), "claims": ("quote", "evidence"),
              "published_counts": ("counted_by", "what")}

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/\S*)?$")
#: ``{cite}`key```, ``{cite:p}`a,b```, ``{cite:t}``, ``{cite:ps}``... in MyST Markdown.
_CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
#: ``:cite:p:`key``` (reST-style roles inside MyST ``eval-rst`` blocks).
_CITE_RST = re.compile(r":cite(?::[a-z]+)?:`([^`]+)`")


class CuratedDataError(ValueError):
    """The curated tables break a rule; the message lists every problem found."""


# --------------------------------------------------------------------------- locations
def curated_dir(root: Path | None = None) -> Path:
    """``data/curated`` under ``root`` (default: the repository root)."""
    return (Path(root) if root is not None else config.REPO_ROOT) / "data" / "curated"


def bib_path(root: Path | None = None) -> Path:
    """Where the generated BibTeX file lives (``_config.yml`` names it ``references.bib``)."""
    return (Path(root) if root is not None else config.REPO_ROOT) / BIB_NAME


def schema(root: Path | None = None) -> dict:
    """The data package descriptor (``datapackage.json``) as a dict."""
    return json.loads((curated_dir(root) / "datapackage.json").read_text(encoding="utf-8"))


def _resource(descriptor: dict, name: str) -> dict:
    for res in descriptor["resources"]:
        if res["name"] == name:
            return res
    raise KeyError(f"datapackage.json has no resource named {name!r}")


# --------------------------------------------------------------------------- loading
def load(name: str, root: Path | None = None) -> pd.DataFrame:
    """One curated table as strings (empty cells are ``""``), columns as in the schema.

    Raises :class:`CuratedDataError` if the header differs from the schema's field list.
    """
    if name not in TABLES:
        raise KeyError(f"unknown curated table {name!r}; expected one of {', '.join(TABLES)}")
    res = _resource(schema(root), name)
    path = curated_dir(root) / res["path"]
    where = _rel(path, root)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, strict=True)
            rows = [(reader.line_num, row) for row in reader]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CuratedDataError(f"{where}: not readable as UTF-8 CSV ({exc})") from exc
    if not rows:
        raise CuratedDataError(f"{where}: the file is empty (it needs at least the header line)")
    header = rows[0][1]
    expected = [f["name"] for f in res["schema"]["fields"]]
    if header != expected:
        raise CuratedDataError(f"{where}: header is {header}, the schema expects {expected}")
    bad = [f"{where} row {i} (line {line}): {len(row)} fields where the header has {len(header)}"
           " (quote cells that contain commas)"
           for i, (line, row) in enumerate(rows[1:], start=1) if len(row) != len(header)]
    if bad:
        raise CuratedDataError("\n".join(bad))
    return pd.DataFrame([row for _, row in rows[1:]], columns=header, dtype=str)


def load_all(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every curated table, by name."""
    return {name: load(name, root) for name in TABLES}


def _rel(path: Path, root: Path | None) -> str:
    base = Path(root) if root is not None else config.REPO_ROOT
    try:
        return str(Path(path).relative_to(base))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- checks
def valid_iso_date(text: str) -> bool:
    """True for a real calendar date written ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``."""
    m = _ISO.match(text)
    if not m:
        return False
    year, month, day = m.groups()
    if month is None:
        return 1000 <= int(year) <= 2999
    if not 1 <= int(month) <= 12:
        return False
    if day is None:
        return True
    return 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]


def valid_url(text: str) -> bool:
    """True for an absolute ``http``/``https`` URL with a dotted host and no spaces."""
    return bool(_URL.match(text))


def _precision(text: str) -> str:
    return {1: "year", 2: "month", 3: "day"}[len(text.split("-"))]


def split_ids(cell: str) -> list[str]:
    """The ids in a ``source_ids`` cell (``a;b`` -> ``["a", "b"]``), blanks dropped."""
    return [part.strip() for part in str(cell).split(";") if part.strip()]


def chapter_citations(root: Path | None = None) -> dict[str, set[str]]:
    """Every key cited with a ``{cite...}`` role in ``chapters/*.md``, mapped to its pages."""
    base = Path(root) if root is not None else config.REPO_ROOT
    found: dict[str, set[str]] = defaultdict(set)
    for md in sorted((base / "chapters").glob("*.md")):
        text = md.read_text(encoding="utf-8")
        for match in list(_CITE_ROLE.finditer(text)) + list(_CITE_RST.finditer(text)):
            for key in match.group(1).split(","):
                if key.strip():
                    found[key.strip()].add(md.name)
    return dict(found)


#: Heading lines of a MyST Markdown chapter (``# Title`` ... ``###### Title``).
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)
#: A roll-call key in evidence.csv: ``votes:<meeting_date>:<member slug>``.
_VOTE_KEY = re.compile(r"^votes:(\d{4}-\d{2}-\d{2}):([a-z-]+)$")


def slug(text: str) -> str:
    """The key form of a heading or name: lower case, punctuation dropped, spaces as hyphens.

    ``"June 30: the vote to void"`` -> ``"june-30-the-vote-to-void"``;
    ``"Donald Lee"`` -> ``"donald-lee"``; accents are kept out (``"CALÓ"`` -> ``"cal"``).
    """
    text = re.sub(r"[^a-z0-9\s-]", "", text.lower())
    return re.sub(r"[\s-]+", "-", text).strip("-")


def chapter_sections(root: Path | None = None) -> set[str]:
    """Every ``<chapter>#<section slug>`` of ``chapters/*.md`` and of the landing page
    ``index.md`` (as ``index#<slug>``), and each ``<chapter>`` alone."""
    base = Path(root) if root is not None else config.REPO_ROOT
    keys: set[str] = set()
    pages = sorted((base / "chapters").glob("*.md")) + [p for p in [base / "index.md"] if p.is_file()]
    for md in pages:
        keys.add(md.stem)
        text = re.sub(r"^(```|~~~).*?^\1", "", md.read_text(encoding="utf-8"), flags=re.M | re.S)
        keys.update(f"{md.stem}#{slug(h)}" for h in _HEADING.findall(text))
    return keys


def _schema_problems(root: Path | None) -> list[str]:
    """What Frictionless finds against ``datapackage.json`` (types, required, enum, pattern,
    unique, primary keys), as messages naming the file and the data row.

    Frictionless is a dev requirement (the tests and the book build have it); where it is not
    installed (a bare Binder kernel) the schema is not re-checked here and only the
    cross-table rules of :func:`problems` apply.
    """
    try:
        import frictionless
    except ImportError:  # pragma: no cover - exercised only without the dev requirements
        return []
    descriptor = curated_dir(root) / "datapackage.json"
    report = frictionless.validate(str(descriptor))
    out = []
    for task in report.tasks:
        where = f"data/curated/{Path(task.place).name}"
        for err in task.errors:
            row = getattr(err, "row_number", None)
            field_name = getattr(err, "field_name", None)
            label = where + (f" row {row - 1}" if row else "")
            cell = getattr(err, "cell", None)
            what = f"{field_name} {cell!r}: " if field_name and cell not in (None, "") else \
                (f"{field_name} is empty: " if field_name else "")
            out.append(f"{label}: {what}{err.message}")
    out += [f"data/curated/datapackage.json: {err.message}" for err in report.errors]
    return out


def _value_problems(name: str, df: pd.DataFrame, res: dict, where: str) -> list[str]:
    """The few value rules a Table Schema cannot express: real calendar days in the text date
    columns (the ISO pattern accepts June 31), ``date`` agreeing with ``date_precision``, and
    no leading or trailing spaces."""
    out = []
    idcol = ID_COLUMN.get(name)
    fields = [f["name"] for f in res["schema"]["fields"]]
    for i, row in enumerate(df.to_dict("records"), start=1):
        label = f"{where} row {i}" + (f" ({idcol}={row[idcol]!r})" if idcol and row.get(idcol) else "")
        for col in fields:
            value = row[col]
            if value != value.strip():
                out.append(f"{label}: {col} has leading or trailing spaces: {value!r}")
            if col in ("date", "published") and value and _ISO.match(value) and not valid_iso_date(value):
                out.append(f"{label}: {col} {value!r} is not a real ISO date "
                           "(YYYY-MM-DD, YYYY-MM or YYYY)")
        for col in TRANSLATED.get(name, ()):
            twin = f"{col}_es"
            if twin not in row:
                continue  # a missing column is a header problem, reported by load()
            if row[col].strip() and not row[twin].strip():
                out.append(f"{label}: {twin} is empty; it must hold the Spanish of {col} "
                           f"({row[col][:60]!r})")
            elif row[twin].strip() and not row[col].strip():
                out.append(f"{label}: {twin} is filled but {col} is empty (the Spanish "
                           "translates the English cell)")
        if "date_precision" in row and row["date"] and valid_iso_date(row["date"]) \
                and row["date_precision"] in ("day", "month", "year") \
                and _precision(row["date"]) != row["date_precision"]:
            out.append(f"{label}: date {row['date']!r} does not match date_precision "
                       f"{row['date_precision']!r}")
    return out


def _evidence_problems(tables: dict[str, pd.DataFrame], root: Path | None) -> list[str]:
    """Cross-checks of evidence.csv: every source id known and openable, every key resolving
    to a claim, event, action, roll-call vote or chapter section, and every roll-call
    row (Key West, Fort Myers, Miami) backed, for each source it cites, by a passage of that
    source naming the member (or, at an all-yes meeting, reporting a unanimous vote)."""
    ev = tables["evidence"]
    where = "data/curated/evidence.csv"
    sources = tables["sources"].set_index("source_id")
    keys = set(tables["claims"]["claim_id"]) | set(tables["events"]["event_id"]) \
        | set(tables["local_actions"]["action_id"]) | chapter_sections(root) \
        | set(tables["published_counts"]["count_id"] if "published_counts" in tables else ())
    votes = tables["votes"]
    vote_keys = {f"votes:{d}:{slug(m)}" for d, m in zip(votes["meeting_date"], votes["member"])}
    out = []
    for i, row in enumerate(ev.to_dict("records"), start=1):
        label = f"{where} row {i} (key={row['key']!r})"
        sid = row["source_id"]
        if sid not in sources.index:
            out.append(f"{label}: unknown source id {sid!r} (not in data/curated/sources.csv)")
        elif sources.loc[sid, "access"] == "not available":
            out.append(f"{label}: source {sid!r} is marked 'not available' in sources.csv, "
                       "so no passage can have been read from it")
        key = row["key"]
        if _VOTE_KEY.match(key):
            if key not in vote_keys:
                out.append(f"{label}: no row of votes.csv has that meeting date and member")
        elif key not in keys:
            out.append(f"{label}: key {key!r} is not a claim_id, event_id, action_id, count_id or "
                       "chapter section (chapters/<chapter>.md#<heading slug>)")
    # Roll calls: a member's vote is only as good as a passage that names the member, or, for
    # a meeting at which every listed member voted yes, a passage reporting a unanimous vote
    # ("unanimously", "7-0", "7 to 0") by at least as many members as the rows list.
    named = defaultdict(list)
    for row in ev.to_dict("records"):
        named[(row["key"], row["source_id"])].append(row["passage"])
    meetings = defaultdict(list)
    for row in votes.to_dict("records"):
        meetings[(row["meeting_date"], row["jurisdiction"])].append(row["vote"])
    for i, row in enumerate(votes.to_dict("records"), start=1):
        key = f"votes:{row['meeting_date']}:{slug(row['member'])}"
        surname = row["member"].split()[-1]
        cast = meetings[(row["meeting_date"], row["jurisdiction"])]
        all_yes = all(v == "yes" for v in cast)
        for sid in split_ids(row["source_ids"]):
            passages = named.get((key, sid), [])
            if any(surname in p for p in passages):
                continue
            if all_yes and any(_reports_unanimous(p, len(cast)) for p in passages):
                continue
            out.append(f"data/curated/votes.csv row {i} ({row['member']}, {row['meeting_date']}): "
                       f"cites {sid!r}, but evidence.csv has no passage of it for key {key!r} "
                       f"that names {surname}" + (" or reports a unanimous vote" if all_yes else ""))
    return out


_UNANIMOUS_COUNT = re.compile(r"\b(\d+)(?:-| to )0\b")


def _reports_unanimous(passage: str, n_members: int) -> bool:
    """True if the passage reports a unanimous vote: the word, or a count ``N-0`` / ``N to 0``
    with N at least ``n_members`` (a 5-0 report cannot back six yes votes)."""
    if "unanimous" in passage.lower():
        return True
    return any(int(m.group(1)) >= n_members for m in _UNANIMOUS_COUNT.finditer(passage))


def problems(root: Path | None = None, tables: dict[str, pd.DataFrame] | None = None) -> list[str]:
    """Every rule the curated tables break, as messages naming file and row (empty if none).

    Checks: the schema of ``datapackage.json``, validated by Frictionless (header, required,
    type, enum, pattern, unique); real calendar dates and ``date`` agreeing with
    ``date_precision``; every ``source_ids`` id known to ``sources.csv``; every ``{cite}`` key in
    the chapters known; every source cited by some row or chapter; no brace or backslash in
    source text; and the evidence cross-checks (:func:`_evidence_problems`).
    """
    descriptor = schema(root)
    out: list[str] = []
    if tables is None:
        tables = {}
        for name in TABLES:
            try:
                tables[name] = load(name, root)
            except CuratedDataError as exc:
                out.append(str(exc))
    if len(tables) == len(TABLES):  # headers read fine: let Frictionless check the files
        out += _schema_problems(root)
    for name, df in tables.items():
        res = _resource(descriptor, name)
        out += _value_problems(name, df, res, f"data/curated/{res['path']}")
    if "sources" not in tables:
        return out
    for i, row in enumerate(tables["sources"].to_dict("records"), start=1):
        for col in ("publisher", "title", "author", "note"):
            if _NOT_IN_BIBTEX.search(row[col]):
                out.append(f"data/curated/sources.csv row {i} (source_id={row['source_id']!r}): "
                           f"{col} contains a brace or backslash, which the bibliography cannot show")
    known = set(tables["sources"]["source_id"])
    cited: set[str] = set()
    for name, df in tables.items():
        if name in ("sources", "evidence"):
            continue
        where = f"data/curated/{_resource(descriptor, name)['path']}"
        idcol = ID_COLUMN.get(name)
        for i, row in enumerate(df.to_dict("records"), start=1):
            label = f"{where} row {i}" + (f" ({idcol}={row[idcol]!r})" if idcol else "")
            for sid in split_ids(row["source_ids"]):
                if sid not in known:
                    out.append(f"{label}: unknown source id {sid!r} (not in data/curated/sources.csv)")
                cited.add(sid)
    # The cited places (read by ice287g.lookup and ice287g.maps, checked by lookup.read_places)
    # cite sources too.
    places = curated_dir(root) / "places.csv"
    if places.is_file():
        with places.open(newline="", encoding="utf-8") as fh:
            cited.update(sid for row in csv.DictReader(fh) for sid in split_ids(row["source_ids"]))
    by_chapter = chapter_citations(root)
    for key, pages in sorted(by_chapter.items()):
        if key not in known:
            out.append(f"chapters/{sorted(pages)[0]}: cites unknown source id {key!r} "
                       "(not in data/curated/sources.csv)")
    cited.update(by_chapter)
    for i, sid in enumerate(tables["sources"]["source_id"], start=1):
        if sid and sid not in cited:
            out.append(f"data/curated/sources.csv row {i} (source_id={sid!r}): never cited by a "
                       "curated row or a {cite} role in chapters/*.md")
    if "votes" in tables and "motion_es" in tables["votes"].columns:
        # one meeting, one motion: its translation must be one too (roll_call_caption shows it)
        for (date, place), group in tables["votes"].groupby(["meeting_date", "jurisdiction"]):
            if group["motion"].nunique() == 1 and group["motion_es"].nunique() > 1:
                out.append(f"data/curated/votes.csv: the {place} meeting of {date} translates its "
                           f"motion in {group['motion_es'].nunique()} different ways in motion_es")
    if all(name in tables for name in TABLES):
        out += _evidence_problems(tables, root)
    return out


def check(root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Load and validate every table; return them, or raise :class:`CuratedDataError`."""
    tables = load_all(root)
    found = problems(root, tables)
    if found:
        raise CuratedDataError(
            f"{len(found)} problem(s) in the curated data:\n" + "\n".join(f"- {p}" for p in found)
        )
    return tables


# --------------------------------------------------------------------------- BibTeX
#: How each character that LaTeX treats specially is written so that pybtex (and so the
#: book's bibliography) shows it unchanged. ``$`` and ``^`` need no escape for pybtex; braces
#: and backslashes cannot be shown at all, so :func:`problems` rejects them in sources.csv.
_LATEX_SPECIALS = {"%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}"}
_NOT_IN_BIBTEX = re.compile(r"[{}\\]")


def latex_escape(text: str) -> str:
    """Escape the characters BibTeX/LaTeX treat specially (``% & # _ ~``)."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def _authors(publisher: str) -> str:
    # The outlet is the citation's "author": citations read (WLRN, 2025-06-30). Double braces
    # keep it one corporate name, never split into first/last names or re-cased.
    return "{" + latex_escape(publisher) + "}"


def _year_labels(sources: pd.DataFrame) -> dict[str, str]:
    """The date shown in each citation: the ISO publication date, with a/b/c suffixes when
    one outlet has several sources under the same date (``2025-06-30a``), ``n.d.`` if none
    (``n.d.-a``, ``n.d.-b`` when one outlet has several undated sources)."""
    labels = {}
    groups = defaultdict(list)
    for row in sources.itertuples():
        groups[(row.publisher, row.published or "n.d.")].append(row.source_id)
    for (_, date), ids in groups.items():
        if len(ids) == 1:
            labels[ids[0]] = date
        else:
            for n, sid in enumerate(sorted(ids)):
                letter = chr(ord("a") + n)
                labels[sid] = f"n.d.-{letter}" if date == "n.d." else f"{date}{letter}"
    return labels


def bibtex(sources: pd.DataFrame) -> str:
    """The BibTeX text for ``sources`` (one ``@misc`` entry per row, in ``source_id`` order).

    Titles and outlets are wrapped in an extra pair of braces so bibliography styles keep
    their capitalisation; LaTeX special characters are escaped; URLs are written raw.
    """
    labels = _year_labels(sources)
    entries = []
    for row in sources.sort_values("source_id").itertuples():
        note = []
        if row.author:
            note.append("By " + words.join_names(row.author.split("; "), "en") + ".")
        note.append(f"{row.kind.capitalize()}.")
        if row.note:
            note.append(row.note)
        note.append(f"Accessed {row.accessed}.")
        fields = [
            ("author", _authors(row.publisher)),
            ("title", "{" + latex_escape(row.title) + "}"),
            ("year", labels[row.source_id]),
            ("url", row.url),
            ("note", " ".join(latex_escape(n) for n in note)),
        ]
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        entries.append(f"@misc{{{row.source_id},\n{body}\n}}\n")
    header = ("% Generated by ice287g.story from data/curated/sources.csv -- do not edit by hand.\n"
              "% Regenerate with: python -m ice287g.story\n\n")
    return header + "\n".join(entries)


def write_bibtex(root: Path | None = None) -> Path:
    """Validate the curated data, then write ``references.bib`` atomically; return its path.

    Nothing is written when validation fails (the error lists every problem), nor when the
    file already holds exactly the generated text (its timestamp then stays as it was).
    """
    tables = check(root)
    path = bib_path(root)
    text = bibtex(tables["sources"])
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path
    return files.write_text(path, text)


# --------------------------------------------------------------------------- tables for the book
#: Vote words and verdicts in the order the tables list them (English: the data's values).
VOTES = ("yes", "no", "absent", "recused")
VERDICTS = ("supported", "partly supported", "contradicted", "unverified")


def text_column(df: pd.DataFrame, table: str, column: str, lang: str | None = None) -> pd.Series:
    """``column`` of a curated table in the language in use: the English cells, or their
    translation in ``<column>_<lang>`` (see :data:`TRANSLATED`).

    A translated table without the twin column, or a row whose English cell has no
    translation, is a :class:`CuratedDataError` naming the file and the data row (the
    table's index is load()'s row order), never a silent fallback to English.
    """
    lang = i18n.resolve(lang)
    if lang == i18n.DEFAULT_LANGUAGE:
        return df[column]
    twin = f"{column}_{lang}"
    where = f"data/curated/{table}.csv"
    if twin not in df.columns:
        raise CuratedDataError(f"{where} has no {twin} column: the {lang} edition needs the "
                               f"translation of {column}")
    missing = df.index[(df[column].str.strip() != "") & (df[twin].str.strip() == "")]
    if len(missing):
        rows = ", ".join(str(i + 1) for i in missing[:5])
        raise CuratedDataError(f"{where} row {rows}: {twin} is empty (no {lang} text for "
                               f"{column} {df.at[missing[0], column][:60]!r})")
    return df[twin]


def vote_word(vote: str, lang: str | None = None) -> str:
    """A ``votes.csv`` vote (yes, no, absent, recused) as the tables write it."""
    if vote not in VOTES:
        raise ValueError(f"unknown vote {vote!r}; expected one of {', '.join(VOTES)}")
    return tr(vote, lang=lang)


def verdict_word(verdict: str, lang: str | None = None) -> str:
    """A ``claims.csv`` verdict as the tables write it (Spanish: confirmado, parcialmente
    confirmado, desmentido, no verificado)."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; expected one of {', '.join(VERDICTS)}")
    return tr(verdict, lang=lang)


def _date_label(label: str, lang: str | None = None) -> str:
    """A citation's date label in the tables: ``n.d.`` (no date) in the language in use."""
    if label.startswith("n.d."):
        return tr("n.d.", lang=lang) + label[len("n.d."):]
    return label


def _publisher_label(publisher: str, lang: str | None = None) -> str:
    """An outlet as a citation names it: outlets' names as they are; a label the book wrote
    ("Zach Rausnitz (outlet not stated)") in the language in use when the
    bibliography's catalogue translates it (as the Spanish bibliography does, _ext/bib_style)."""
    lang = i18n.resolve(lang)
    if lang != i18n.DEFAULT_LANGUAGE and publisher in i18n.catalogue(lang):
        return tr(publisher, lang=lang)
    return publisher


def source_links(cell: str, sources: pd.DataFrame, lang: str | None = None) -> Markup:
    """HTML links for a ``source_ids`` cell: ``<a href=url>Outlet, date</a>; ...``
    (:class:`~ice287g.safe_html.Markup`: URL and label escaped here, so tables show it as is)."""
    by_id = sources.set_index("source_id")
    labels = _year_labels(sources)
    parts = []
    for sid in split_ids(cell):
        row = by_id.loc[sid]
        parts.append(safe_html.markup(
            '<a href="{url}">{text}</a>', url=row["url"],
            text=f"{_publisher_label(row['publisher'], lang)}, {_date_label(labels[sid], lang)}"))
    return Markup("; ".join(parts))


def _html_column(values) -> pd.Series:
    """A column of :class:`~ice287g.safe_html.Markup` cells, kept as objects (a ``str``
    column would turn them back into plain text, which tables escape)."""
    return pd.Series(list(values), dtype=object)


def roll_call(votes: pd.DataFrame, meeting_date: str, jurisdiction: str,
              lang: str | None = None) -> pd.DataFrame:
    """The roll call of one meeting: Member, Role, Vote (yes first, then no, absent, recused),
    headers, roles and vote words in the language in use."""
    sel = votes[(votes["meeting_date"] == meeting_date) & (votes["jurisdiction"] == jurisdiction)]
    if sel.empty:
        raise KeyError(f"votes.csv has no roll call for {jurisdiction} on {meeting_date}")
    if sel["motion"].nunique() != 1:
        raise ValueError(f"{jurisdiction} {meeting_date}: more than one motion; pass one meeting's rows")
    order = {v: i for i, v in enumerate(VOTES)}
    out = sel.assign(_o=sel["vote"].map(order)).sort_values(["_o", "member"], kind="stable")
    return pd.DataFrame({
        tr("Member", lang=lang): out["member"].to_numpy(),
        tr("Role", lang=lang): text_column(out, "votes", "role", lang).to_numpy(),
        tr("Vote", lang=lang): [vote_word(v, lang) for v in out["vote"]],
    })


def tally(votes: pd.DataFrame, meeting_date: str, jurisdiction: str) -> dict[str, int]:
    """Counts of yes/no/absent/recused at one meeting (zeros included)."""
    sel = votes[(votes["meeting_date"] == meeting_date) & (votes["jurisdiction"] == jurisdiction)]
    counts = sel["vote"].value_counts()
    return {k: int(counts.get(k, 0)) for k in VOTES}


# --------------------------------------------------------------------------- meetings and events
def event_dates(events: pd.DataFrame, ids: Iterable[str]) -> pd.Series:
    """Dates of the named events of ``data/curated/events.csv``, by ``event_id``.

    An id missing from the table is an error naming it (the notebooks rely on these ids).
    """
    ids = list(ids)
    _require(events, ["event_id", "date"], "events")
    table = events.set_index("event_id")["date"]
    missing = [i for i in ids if i not in table.index]
    if missing:
        raise KeyError(f"events.csv lacks the event id(s) {missing}")
    return pd.to_datetime(table.loc[ids], format="ISO8601")


def meetings(votes: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The meetings of ``data/curated/votes.csv``, one row each in date order: ``meeting_date``,
    ``jurisdiction``, ``body``, ``motion``, ``label`` (:func:`meeting_label`: "Key West City
    Commission, June 30, 2025", in ``lang``) and ``key``, the glue key of its roll call (``roll_key_west_2025_06_30``).

    A meeting (date and jurisdiction) whose rows name more than one body or motion is an error
    naming it: the roll call would mix two votes.
    """
    _require(votes, ["meeting_date", "jurisdiction", "body", "motion"], "votes")
    rows = []
    for (date, place), group in votes.groupby(["meeting_date", "jurisdiction"], sort=True):
        for col in ("body", "motion"):
            if group[col].nunique() != 1:
                raise ValueError(f"votes.csv: the {place} meeting of {date} has more than one "
                                 f"{col}: {sorted(group[col].unique())}")
        day = pd.Timestamp(date)
        slug = re.sub(r"[^a-z0-9]+", "_", str(place).casefold()).strip("_")
        rows.append({"meeting_date": date, "jurisdiction": place, "body": group["body"].iloc[0],
                     "motion": group["motion"].iloc[0],
                     "label": meeting_label(group, lang),
                     "key": f"roll_{slug}_{day:%Y_%m_%d}"})
    return pd.DataFrame(rows, columns=["meeting_date", "jurisdiction", "body", "motion", "label",
                                       "key"])


def meeting_label(rows: pd.DataFrame, lang: str | None = None) -> str:
    """A meeting (rows of ``votes.csv`` of one meeting) as captions name it: its body in
    ``lang`` (``body_es``: "Comisión Municipal de Key West") and its date for people,
    "Key West City Commission, June 30, 2025"."""
    body = text_column(rows, "votes", "body", lang).iloc[0]
    return f"{body}, {i18n.format_date(pd.Timestamp(rows['meeting_date'].iloc[0]), lang)}"


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    from .load import require_columns

    require_columns(frame, columns, what)


def roll_call_caption(votes: pd.DataFrame, meeting, lang: str | None = None) -> str:
    """The caption of a roll call: the meeting (:func:`meeting_label`), its
    motion in the language in use, and the votes recorded."""
    sel = votes[(votes["meeting_date"] == meeting.meeting_date)
                & (votes["jurisdiction"] == meeting.jurisdiction)]
    motion = text_column(sel, "votes", "motion", lang).iloc[0]
    counts = tally(votes, meeting.meeting_date, meeting.jurisdiction)
    label = meeting_label(sel, lang)
    return tr("{label}: {motion}. Recorded here: {yes} yes, {no} no, {absent} absent.",
              lang=lang, label=label, motion=motion, yes=counts["yes"],
              no=counts["no"], absent=counts["absent"])


def _shown_date(df: pd.DataFrame, lang: str | None) -> list[str]:
    """The date column for people, in the language in use (:func:`ice287g.words.partial_date_cells`:
    "July 8, 2025" / "8 de julio de 2025"; a date known only to the month or the year is
    written as such, "July 2025" / "julio de 2025", "1996")."""
    return words.partial_date_cells(df["date"], lang)


def _by_date(df: pd.DataFrame, id_column: str) -> pd.DataFrame:
    sort = df["date"].map(lambda d: d + "-00" * (2 - d.count("-")))
    return df.assign(_sort=sort).sort_values(["_sort", id_column], kind="stable")


def timeline(events: pd.DataFrame, sources: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Events in date order: Date, Place, What happened, Numbers, Sources (HTML links)."""
    df = _by_date(events, "event_id")
    text = lambda col: text_column(df, "events", col, lang).to_numpy()  # noqa: E731
    return pd.DataFrame({
        tr("Date", lang=lang): _shown_date(df, lang),
        tr("Place", lang=lang): text("place"),
        tr("What happened", lang=lang): text("what"),
        tr("Numbers", lang=lang): text("numbers"),
        tr("Sources", lang=lang): _html_column(source_links(c, sources, lang)
                                               for c in df["source_ids"]),
    })


def events_table(events: pd.DataFrame, ids, lang: str | None = None,
                 sources: pd.DataFrame | None = None) -> pd.DataFrame:
    """The named events (``event_id`` order as given): Date, What happened (in the language in
    use), Sources (with ``sources``, links labelled as the citations are, as :func:`timeline`
    shows them; without, the ``source_ids`` as recorded). An unknown id is a KeyError naming
    it."""
    ids = list(ids)
    missing = [i for i in ids if i not in set(events["event_id"])]
    if missing:
        raise KeyError(f"events.csv lacks the event id(s) {missing}")
    rows = events.set_index("event_id", drop=False).loc[ids]
    rows.index = events.index[[list(events["event_id"]).index(i) for i in ids]]  # load()'s rows
    return pd.DataFrame({
        tr("Date", lang=lang): _shown_date(rows, lang),
        tr("What happened", lang=lang): text_column(rows, "events", "what", lang).to_numpy(),
        tr("Sources", lang=lang): rows["source_ids"].to_numpy() if sources is None else
        _html_column(source_links(c, sources, lang) for c in rows["source_ids"]),
    })


def _claim_cell(quote: str, translation: str, lang: str | None) -> Markup:
    """The article's words: in English as they are; in another language the translation,
    marked as one, above the English original (``lang="en"`` for screen readers)."""
    original = safe_html.markup("“{quote}”", quote=quote)
    if i18n.resolve(lang) == i18n.DEFAULT_LANGUAGE:
        return original
    # marked as the {tq} role marks a translated quotation in the prose (_ext/book_ext.py)
    return safe_html.markup(
        '<span class="translated-quote">“{translation}”<sup class="tq-mark"><abbr title="{why}">'
        '{mark}</abbr></sup></span><br>{original_label} <span lang="en">{original}</span>',
        translation=translation, mark=tr("trans.", lang=lang),
        why=tr("Translated by this book; the original, in English, is below", lang=lang),
        original_label=tr("Original:", lang=lang), original=original)


def claims_table(claims: pd.DataFrame, sources: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """Claims of the article: Claim (quoted), Verdict, Evidence, Sources (HTML links).

    The quotation is the article's English wording; another language shows its translation,
    marked as one, with the English original beneath it."""
    quotes = text_column(claims, "claims", "quote", lang)
    return pd.DataFrame({
        tr("Claim", lang=lang): _html_column(_claim_cell(q, t, lang)
                                             for q, t in zip(claims["quote"], quotes)),
        tr("Verdict", lang=lang): [verdict_word(v, lang) for v in claims["verdict"]],
        tr("Evidence", lang=lang): text_column(claims, "claims", "evidence", lang).to_numpy(),
        tr("Sources", lang=lang): _html_column(source_links(c, sources, lang)
                                               for c in claims["source_ids"]),
    })


def local_actions_table(actions: pd.DataFrame, sources: pd.DataFrame,
                        lang: str | None = None) -> pd.DataFrame:
    """Local actions in date order: Date, Place, Kind, What, Amount (USD), Outcome, Sources."""
    df = _by_date(actions, "action_id")
    amount = df["amount_usd"].map(lambda a: "$" + i18n.format_int(int(a), lang) if a else "")
    return pd.DataFrame({
        tr("Date", lang=lang): _shown_date(df, lang),
        tr("Place", lang=lang): (df["jurisdiction"] + ", " + df["state"]).to_numpy(),
        tr("Kind", lang=lang): [tr(k, lang=lang) for k in df["kind"]],
        tr("What", lang=lang): text_column(df, "local_actions", "description", lang).to_numpy(),
        tr("Amount (USD)", lang=lang): amount.to_numpy(),
        tr("Outcome", lang=lang): text_column(df, "local_actions", "outcome", lang).to_numpy(),
        tr("Sources", lang=lang): _html_column(source_links(c, sources, lang)
                                               for c in df["source_ids"]),
    })


def verdict_counts(claims: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """How many claims got each verdict (all four verdicts listed, zeros included)."""
    counts = claims["verdict"].value_counts()
    return pd.DataFrame({tr("Verdict", lang=lang): [verdict_word(v, lang) for v in VERDICTS],
                         tr("Claims", lang=lang): [int(counts.get(v, 0)) for v in VERDICTS]})


def style(df: pd.DataFrame, caption: str | None = None, min_widths: dict[str, float] | None = None):
    """A story table as the book shows it (:func:`ice287g.safe_html.table`: every cell, header
    and the caption escaped, except the links the builders above made as
    :class:`~ice287g.safe_html.Markup`): no index column, a caption, light rules between rows.

    On a phone a wide table scrolls sideways inside its box instead of squeezing its columns:
    every column keeps at least 6em, or the width given in ``min_widths`` (column name -> em;
    the English header may be given for a translated table: it is looked up through ``tr()``).
    """
    cell = [("text-align", "left"), ("vertical-align", "top"), ("padding", "0.3em 0.6em"),
            ("min-width", "6em")]
    rules = [{"selector": "th", "props": cell + [("border-bottom", "2px solid #767676")]},
             {"selector": "td", "props": cell + [("border-bottom", "1px solid #d0d0d0")]},
             {"selector": "caption", "props": [("caption-side", "top"), ("text-align", "left"),
                                               ("font-weight", "bold"), ("padding", "0.3em 0")]}]
    for name, width in (min_widths or {}).items():
        j = list(df.columns).index(name if name in df.columns else tr(name))
        rules.append({"selector": f"td.col{j}, th.col{j}", "props": [("min-width", f"{width}em")]})
    return safe_html.table(df, caption, table_class="story-table", styles=rules)


def main() -> None:
    """Validate the curated data and rewrite ``references.bib`` (``python -m ice287g.story``)."""
    path = write_bibtex()
    tables = load_all()
    print(f"curated data valid: {', '.join(f'{n} {len(t)} rows' for n, t in tables.items())}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
