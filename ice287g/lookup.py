"""Data and words of the book's *Find an agency* page: every agreement ever listed, in one
compact JSON, and the page's controls in the edition's language (:func:`page_html`).

The page (chapters/find-an-agency.md) filters the agreements as a reader types, in the browser
with no kernel, with the book's own small script (assets/lookup/lookup.js, no library). Its data
is written at book build time from the committed ``data/processed/`` by :func:`write` (called
by the Sphinx hook in _ext/book_ext.py, into the build's ``_static/lookup/agreements.json``),
so it is never committed twice and always matches the processed files.

Shape (``FORMAT``)::

    {"format": "ice287g-lookup/2",
     "pubs": ["2021-01-13", ..., "2026-05-18 am"],     # trend publications, in time order
     "seen": ["2021-01-13", ..., "2026-05-18"],        # the last capture of each, a date
     "states": [...], "agency_types": [...], "support_types": [...],   # lookup tables
     "states_without": ["California", ...],   # states (and DC) with no agreement ever listed
     "columns": ["id", "agency", "state", "county", "agency_type", "support_type",
                 "signed", "spells"],
     "rows": [["A00eaa464b1f", "Autauga County Sheriff's Office", 0, "Autauga County",
               0, 0, "2025-09-22", [148, 277]], ...]}

``state``, ``agency_type`` and ``support_type`` are indexes into their tables (-1: blank).
``spells`` is a flat list of inclusive index pairs into ``pubs``: the stretches of consecutive
trend publications that listed the agreement (``[a, b, c, d]``: listed on ``pubs[a..b]`` and
``pubs[c..d]``, missing in between). The first list it appeared on is ``pubs[spells[0]]``,
the last ``pubs[spells[-1]]``; it is on the latest list when ``spells[-1] == len(pubs) - 1``.
``seen[i]`` is the date of the last capture of publication ``i`` (snapshots.csv's
``last_captured_at``, else its ``published_at``): ``seen[spells[-1]]`` is the last time the
agreement was seen listed, agreements.csv's ``last_captured`` (the archive often captured one
unchanged list for months, so it can be long after the list's own date, ``last_seen``).
Trend publications are those of :func:`ice287g.analysis.trend_publications` (mis-stamped or
partial lists are left out, as in every chart of the book).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import analysis as an

FORMAT = "ice287g-lookup/2"
COLUMNS = ["id", "agency", "state", "county", "agency_type", "support_type", "signed", "spells"]
#: The page's budget is 1 MB with its HTML and script; the data must leave room for them.
MAX_BYTES = 700_000


def publication_label(row) -> str:
    """A publication as the page shows it: the date, plus ICE's part of day (am, mid, pm)
    when the list carries ICE's stamp, plus the re-issue number of a stamp ICE used twice."""
    when = pd.Timestamp(row["published_at"])
    label = f"{when:%Y-%m-%d}"
    part = str(row.get("part_of_day") or "")
    if row.get("stamp_provenance") == "ice_stamp" and part:
        label += f" {part}"
    key = str(row["publication"])
    if "-" in key and key.rsplit("-", 1)[1].isdigit():
        label += f" ({key.rsplit('-', 1)[1]})"
    return label


def last_capture_days(order: pd.DataFrame) -> list[str]:
    """The date (``YYYY-MM-DD``) of each publication's last capture, ``last_captured_at``
    (blank or absent: its ``published_at``), in the order given."""
    when = pd.to_datetime(order[an.WHEN])
    if "last_captured_at" in order.columns:
        when = pd.to_datetime(order["last_captured_at"]).fillna(when)
    return [f"{t:%Y-%m-%d}" for t in when]


def spells(presence_: pd.DataFrame, pubs: pd.DataFrame) -> dict[str, list[int]]:
    """Each agreement's runs of consecutive trend publications, as flat inclusive index pairs
    into :func:`~ice287g.analysis.trend_publications` order."""
    order = an.trend_publications(pubs)
    pos = pd.Series(np.arange(len(order)), index=order[an.PUB].to_numpy())
    frame = pd.DataFrame({an.AID: presence_[an.AID].to_numpy(),
                          "pos": presence_[an.PUB].map(pos).to_numpy()})
    if frame["pos"].isna().any():
        bad = sorted(set(presence_.loc[frame["pos"].isna().to_numpy(), an.PUB]))[:5]
        raise ValueError(f"presence names publications that are not trend publications: {bad}")
    frame = frame.drop_duplicates().sort_values([an.AID, "pos"], kind="stable")
    aid = frame[an.AID].to_numpy()
    p = frame["pos"].to_numpy(dtype=int)
    new = np.ones(len(frame), dtype=bool)
    new[1:] = (aid[1:] != aid[:-1]) | (p[1:] != p[:-1] + 1)
    end = np.ones(len(frame), dtype=bool)
    end[:-1] = new[1:]
    out: dict[str, list[int]] = {}
    for a, start, stop in zip(aid[new], p[new], p[end]):
        out.setdefault(a, []).extend([int(start), int(stop)])
    return out


def states_without(states: list[str]) -> list[str]:
    """The 50 states and DC (the map shapes' names) that have no agreement in ``states``, so
    the page can say so when a reader types one."""
    from . import maps

    return sorted(set(maps.load_shapes().states["name"]) - set(states))


def _index(values: pd.Series, table: list[str]) -> list[int]:
    where = {v: i for i, v in enumerate(table)}
    return [where.get(v, -1) for v in values]


def payload(ds: an.Dataset) -> dict:
    """The page's data (see the module docstring) from a :class:`~ice287g.analysis.Dataset`."""
    order = an.trend_publications(ds.pubs)
    agr = ds.agreements.sort_values(["state", "agency", "support_type", an.AID], kind="stable")
    blank = agr["agency"].astype(str).str.strip() == ""
    if blank.any():
        first = agr.loc[blank, an.AID].iloc[0]
        raise ValueError(f"agreements.csv: agreement {first} has no agency name")
    runs = spells(ds.presence, ds.pubs)
    states = sorted(s for s in agr["state"].unique() if s)
    agency_types = [t for t in an.AGENCY_TYPES if t in set(agr["agency_type"])]
    agency_types += sorted(set(agr["agency_type"]) - set(agency_types) - {""})
    support_types = [t for t in an.SUPPORT_TYPES if t in set(agr["support_type"])]
    support_types += sorted(set(agr["support_type"]) - set(support_types) - {""})
    signed = pd.to_datetime(agr["signed"]).dt.strftime("%Y-%m-%d").fillna("")
    rows = [list(r) for r in zip(
        agr[an.AID], agr["agency"], _index(agr["state"], states), agr["county"],
        _index(agr["agency_type"], agency_types), _index(agr["support_type"], support_types),
        signed, (runs.get(a, []) for a in agr[an.AID]))]
    return {
        "format": FORMAT,
        "source": "data/processed (agreements.csv, listings.csv, snapshots.csv) of 287(g) in "
                  "Key West, from ICE's published lists of participating agencies",
        "pubs": [publication_label(r) for r in order.to_dict("records")],
        "seen": last_capture_days(order),
        "states": states,
        "states_without": states_without(states),
        "agency_types": agency_types,
        "support_types": support_types,
        "columns": COLUMNS,
        "rows": rows,
    }


def encode(data: dict) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept: curly apostrophes stay one character)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write(path: Path | str, processed_dir: Path | str | None = None) -> Path:
    """Write the page's JSON from ``processed_dir`` (default: the repository's) to ``path``.

    Written to a temporary file beside it and moved into place, so a failure leaves no
    half-written file. Raises ``ValueError`` if the data outgrows :data:`MAX_BYTES`.
    """
    path = Path(path)
    ds = an.dataset(Path(processed_dir) if processed_dir is not None else None)
    body = encode(payload(ds))
    if len(body) > MAX_BYTES:
        raise ValueError(f"the lookup data would be {len(body):,} bytes, over {MAX_BYTES:,}: "
                         "make ice287g.lookup.payload more compact")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ------------------------------------------------------------------ the page, in each language
#
# Every word of the page's controls and of its script is here, in English: the key of its
# translation (ice287g/locale/<lang>/lookup.json, through i18n.tr). The book's Sphinx extension
# renders :func:`page_html` in the edition's language where chapters/find-an-agency.md has its
# ``{agency-lookup}`` directive; the page carries the script's words for that language as JSON
# (``<script type="application/json" id="lookup-texts">``), so lookup.js holds no words and
# no copy of its logic per language. agreements.json (the data) is the same in every edition.

#: The table's columns: the key the script sorts by, and the header.
TABLE_COLUMNS = [("agency", "Agency"), ("state", "State"), ("county", "County"),
                 ("type", "Agency type"), ("support", "Support type"),
                 ("signed", "Signed (per ICE)"), ("first", "First on a list"),
                 ("last", "Last seen"), ("status", "Status")]
#: The "Show" filter's options.
STATUS_OPTIONS = [("all", "All agreements"), ("listed", "Still listed"),
                  ("left", "Left the list")]
#: The "Sort by" options (``-desc``: newest first).
SORT_OPTIONS = [("state", "State, then agency"), ("agency", "Agency"), ("county", "County"),
                ("type", "Agency type"), ("support", "Support type"),
                ("signed", "Signed, oldest first"), ("signed-desc", "Signed, newest first"),
                ("first", "First on a list, oldest first"),
                ("first-desc", "First on a list, newest first"),
                ("last", "Last seen, oldest first"), ("status", "Still listed first")]
#: The page's fixed texts.
PAGE_TEXTS = {
    "search": "Agency, county or state",
    "show": "Show",
    "sort": "Sort by",
    "hint": ("Letter case, accents and apostrophes do not matter (\"sheriffs\" finds "
             "\"Sheriff’s\"); every word you type must appear. The address of the page keeps "
             "what you typed, so you can share it."),
    "loading": "Loading the agreements…",
    "caption": ("Agreements matching the search; choose an agency's name for its listing "
                "history"),
    "more": "Show all",
    "noscript": "This search needs JavaScript. The same data is in {file} on the {page} page.",
    "downloads": "Downloads",
}
#: The script's texts (``{name}``: filled in by the script).
SCRIPT_TEXTS = {
    "listed": "Still listed",
    "uncounted": "Not on a counted list",
    "left": "Left: last seen {seen}, not on the list of {next}",
    "seenOnList": "{seen} (list of {list})",
    "pickHint": ": show its listing history",
    "countOne": "1 agreement",
    "countMany": "{n} agreements",
    "matchOne": "1 agreement matches “{q}”",
    "matchMany": "{n} agreements match “{q}”",
    "split": "{what} ({listed} still listed, {left} left the list)",
    "showing": "; showing the first {n}",
    "noneMatch": "No agreement matches “{q}”.",
    "none": "No agreement.",
    "stateWithout": "ICE's lists in this book's archive show no agreement in {state}.",
    "more": "Show all {n} matching agreements",
    "error": ("The agreements could not be loaded ({error}); download agreements.csv from the "
              "Downloads page instead."),
    "yes": "yes",
    "no": "no",
    "historyTitle": "Listing history: {agency}",
    "signed": "signed {date} (per ICE)",
    "history": ("On {n} of the {total} lists of the archive, from {first} to {last}; first on "
                "{firstOn}, last seen {seen}"),
    "gapsOne": "; missing from 1 stretch of lists in between",
    "gapsMany": "; missing from {n} stretches of lists in between",
    "spellsCaption": "Stretches of consecutive ICE lists with and without this agreement",
    "onList": "On the list",
    "from": "From",
    "to": "To",
    "lists": "Lists",
    "link": "Link to this agreement",
    "close": "Close the history",
}


def _words(values) -> list[str]:
    return sorted({str(v) for v in values if str(v).strip()})


def texts(lang: str | None = None, *, agency_types=(), support_types=(), states=()) -> dict:
    """The script's words in ``lang`` (default: the language in use), as the page carries them:

    - ``texts``: :data:`SCRIPT_TEXTS` translated, and ``columns``: each column's header (the
      phone layout's labels);
    - ``labels``: each agency type and support type (ICE's English words, the data's values)
      as the table shows it;
    - ``states``: the state names written otherwise in the language (i18n.state_name), for
      the "no agreement in ..." sentence and for searching by them; the table cells keep
      ICE's names;
    - ``thousands``: the language's thousands separator (i18n.FORMATS).

    A text without a translation raises :class:`~ice287g.i18n.TranslationError`.
    """
    from . import i18n

    lang = i18n.language() if lang is None else lang
    labels = {v: i18n.tr(v, lang) for v in _words([*agency_types, *support_types])}
    names = {s: i18n.state_name(s, lang) for s in _words(states)}
    return {
        "lang": lang,
        "texts": {key: i18n.tr(text, lang) for key, text in SCRIPT_TEXTS.items()},
        "columns": {key: i18n.tr(text, lang) for key, text in TABLE_COLUMNS},
        "labels": labels,
        "states": {s: n for s, n in names.items() if n != s},
        "thousands": i18n.FORMATS[lang]["thousands"],
    }


def page_values(processed_dir: Path | str | None = None) -> dict[str, list[str]]:
    """The agency types, support types and state names the page can show: those of
    agreements.csv, and every state of the map shapes (a state without agreements is named)."""
    from . import load, maps

    agr = load.agreements(processed_dir)
    return {"agency_types": _words(agr["agency_type"]),
            "support_types": _words(agr["support_type"]),
            "states": _words([*agr["state"], *maps.load_shapes().states["name"]])}


def page_html(lang: str | None = None, processed_dir: Path | str | None = None) -> str:
    """The page's controls, table and texts in ``lang`` (the ``{agency-lookup}`` directive)."""
    import html

    from . import i18n

    lang = i18n.language() if lang is None else lang

    def t(text: str) -> str:
        return html.escape(i18n.tr(text, lang), quote=False)

    def options(items) -> str:
        return "".join(f'<option value="{value}">{t(text)}</option>' for value, text in items)

    heads = "".join(f'<th scope="col" data-sort="{key}"><button type="button">{t(text)}'
                    "</button></th>" for key, text in TABLE_COLUMNS)
    words = json.dumps(texts(lang, **page_values(processed_dir)), ensure_ascii=False,
                       separators=(",", ":"), sort_keys=True)
    # Inside <script>, "</" would end the element: JSON allows "<\/".
    words = words.replace("</", "<\\/")
    downloads = f'<a href="downloads.html">{t(PAGE_TEXTS["downloads"])}</a>'
    noscript = t(PAGE_TEXTS["noscript"]).format(file="<code>agreements.csv</code>",
                                                page=downloads)
    return "\n".join([
        '<div id="agency-lookup" class="agency-lookup">',
        '<div class="lookup-controls">',
        '<div class="lookup-field lookup-q"><label for="lookup-q">'
        f'{t(PAGE_TEXTS["search"])}</label><input id="lookup-q" type="search" name="q" '
        'autocomplete="off" spellcheck="false" aria-describedby="lookup-hint" '
        'aria-controls="lookup-table"></div>',
        f'<div class="lookup-field"><label for="lookup-status">{t(PAGE_TEXTS["show"])}</label>'
        f'<select id="lookup-status">{options(STATUS_OPTIONS)}</select></div>',
        f'<div class="lookup-field"><label for="lookup-sort">{t(PAGE_TEXTS["sort"])}</label>'
        f'<select id="lookup-sort">{options(SORT_OPTIONS)}</select></div>',
        "</div>",
        f'<p id="lookup-hint" class="lookup-hint">{t(PAGE_TEXTS["hint"])}</p>',
        f'<p id="lookup-count" role="status" aria-live="polite">{t(PAGE_TEXTS["loading"])}</p>',
        '<section id="lookup-history" aria-labelledby="lookup-history-title" hidden></section>',
        '<table id="lookup-table" class="lookup-table">',
        f'<caption class="visually-hidden">{t(PAGE_TEXTS["caption"])}</caption>',
        f"<thead><tr>{heads}</tr></thead>",
        '<tbody id="lookup-body"></tbody>',
        "</table>",
        f'<button type="button" id="lookup-more" hidden>{t(PAGE_TEXTS["more"])}</button>',
        f'<script type="application/json" id="lookup-texts">{words}</script>',
        "</div>",
        f"<noscript><p>{noscript}</p></noscript>",
    ]) + "\n"


def page_dependencies(processed_dir: Path | str | None = None) -> list[Path]:
    """Files whose change must re-render the page (the Sphinx directive notes them): this
    module, i18n, the catalogues, and the agreements.csv :func:`page_values` reads."""
    from importlib import resources

    from . import config

    root = Path(str(resources.files("ice287g")))
    processed = Path(processed_dir) if processed_dir is not None else config.PROCESSED_DIR
    return [Path(__file__), root / "i18n.py", *sorted((root / "locale").glob("*/*.json")),
            processed / "agreements.csv"]
