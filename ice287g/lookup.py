"""Data and words of the book's *Find an agency* page: every agreement ever listed, in one
compact data script, and the page's controls in the edition's language (:func:`page_html`).

The page (chapters/find-an-agency.md) filters the agreements as a reader types, in the browser
with no kernel, with the book's own small script (assets/lookup/lookup.js, no library). Its data
is written at book build time from the committed ``data/processed/`` by :func:`write` (called
by the Sphinx hook in _ext/book_ext.py, into the build's ``_static/lookup/agreements.js``),
so it is never committed twice and always matches the processed files. It is a script assigning
the JSON to a global (:func:`encode`), loaded with ``<script src>``, so the page works opened
from ``file://`` (where a fetch of a local file is refused) as over http; every ``<``, ``>``,
``&``, U+2028 and U+2029 in it is a ``\\uXXXX`` escape (:func:`script_json`), so no text of
ICE's can end the script.

Shape (``FORMAT``)::

    {"format": "ice287g-lookup/3",
     "pubs": ["2021-01-13", ..., "2025-11-04 pm", ..., "2026-05-18"],   # trend publications
     "seen": ["2021-01-13", ..., "2026-05-18"],        # the last capture of each, a date
     "states": [...], "agency_types": [...], "support_types": [...],   # lookup tables
     "states_without": ["California", ...],   # states (and DC) with no agreement ever listed
     "columns": ["id", "agency", "state", "county", "agency_type", "support_type",
                 "signed", "spells", "place", "group", "next", "moa", "addendum"],
     "rows": [["A00eaa464b1f", "Autauga County Sheriff's Office", 0, "Autauga County",
               0, 0, "2025-09-22", [148, 277], "", 0, "", "Autauga...pdf", ""], ...],
     "link_prefix": "https://www.ice.gov/doclib/287gMOA/"}

``pubs`` are in time order, each its date plus ICE's part of day only where two counted lists
share a day (:func:`publication_labels`); the page writes the dates for people in its language.
``state``, ``agency_type`` and ``support_type`` are indexes into their tables (-1: blank).
``spells`` is a flat list of inclusive index pairs into ``pubs``: the stretches of consecutive
trend publications that listed the agreement (``[a, b, c, d]``: listed on ``pubs[a..b]`` and
``pubs[c..d]``, missing in between). The first list it appeared on is ``pubs[spells[0]]``,
the last ``pubs[spells[-1]]``; it is on the latest list when ``spells[-1] == len(pubs) - 1``.
``seen[i]`` is the date of the last capture of publication ``i`` (snapshots.csv's
``last_captured_at``, else its ``published_at``): ``seen[spells[-1]]`` is the last time the
agreement was seen listed, agreements.csv's ``last_captured`` (the archive often captured one
unchanged list for months, so it can be long after the list's own date, ``last_seen``).
``place`` is ``""`` or, for a row whose COUNTY is blank, ``[county, how]``
(:func:`derived_counties`), or, for a row whose printed county the book's cited table of
places corrects, ``[county, "corrected"]`` (:func:`cited_counties`; ``county`` ``""`` when
the agency has no one county): the page shows the book's county there, naming ICE's; ``group`` numbers the agency (:func:`agency_groups`); ``next`` is
the agreement that replaced this one when ICE edited its row (:func:`successors`), else
``""``; ``moa`` and ``addendum`` (only when agreements.csv has ``moa_url``/``addendum_url``)
are links to ICE's PDFs (:func:`safe_link`), stored after ``link_prefix`` when they start
with it.
Trend publications are those of :func:`ice287g.load.trend_publications` (mis-stamped or
partial lists are left out, as in every chart of the book).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from . import files
from . import churn, load, words

FORMAT = "ice287g-lookup/3"
COLUMNS = ["id", "agency", "state", "county", "agency_type", "support_type", "signed", "spells",
           "place", "group", "next"]
#: Links to the agreement's text that agreements.csv may carry (issue 21): shown when present.
LINK_COLUMNS = [("moa_url", "moa"), ("addendum_url", "addendum")]
#: The page's budget is 1 MB with its HTML and script; the data must leave room for them.
MAX_BYTES = 700_000
#: The global the data file assigns (see :func:`encode`) and its name in the build.
DATA_GLOBAL = "ice287gLookupData"
DATA_FILE = "agreements.js"


def publication_label(row) -> str:
    """A publication as the page's data names it (the page writes it for people): its date,
    ICE's part of day (:func:`ice287g.words.part_of_day`: am, mid, pm) when the list carries
    ICE's stamp, and the re-issue number of a stamp ICE used twice: ``"2025-07-16 pm (2)"``."""
    when = pd.Timestamp(row["published_at"])
    label = f"{when:%Y-%m-%d}"
    part = words.part_of_day(row)  # ICE's own tag (the one reading of it)
    if part:
        label += f" {part}"
    key = str(row["publication"])
    if "-" in key and key.rsplit("-", 1)[1].isdigit():
        label += f" ({key.rsplit('-', 1)[1]})"
    return label


def publication_labels(order: pd.DataFrame) -> list[str]:
    """Each publication as the page names it: its date (``YYYY-MM-DD``, which the page writes
    for people in its language), followed by :func:`publication_label`'s part of day only
    when another publication of ``order`` has the same date (no am/pm where one list is
    enough to name the day)."""
    labels = [publication_label(r) for r in order.to_dict("records")]
    count = Counter(label[:10] for label in labels)
    shared = {d for d, n in count.items() if n > 1}
    return [label if label[:10] in shared else label[:10] for label in labels]


def last_capture_days(order: pd.DataFrame) -> list[str]:
    """The date (``YYYY-MM-DD``) of each publication's last capture, ``last_captured_at``
    (blank or absent: its ``published_at``), in the order given."""
    when = pd.to_datetime(order[load.WHEN])
    if "last_captured_at" in order.columns:
        when = pd.to_datetime(order["last_captured_at"]).fillna(when)
    return [f"{t:%Y-%m-%d}" for t in when]


def spells(presence_: pd.DataFrame, pubs: pd.DataFrame) -> dict[str, list[int]]:
    """Each agreement's runs of consecutive trend publications, as flat inclusive index pairs
    into :func:`~ice287g.load.trend_publications` order."""
    order = load.trend_publications(pubs)
    pos = pd.Series(np.arange(len(order)), index=order[load.PUB].to_numpy())
    frame = pd.DataFrame({load.AID: presence_[load.AID].to_numpy(),
                          "pos": presence_[load.PUB].map(pos).to_numpy()})
    if frame["pos"].isna().any():
        bad = sorted(set(presence_.loc[frame["pos"].isna().to_numpy(), load.PUB]))[:5]
        raise ValueError(f"presence names publications that are not trend publications: {bad}")
    frame = frame.drop_duplicates().sort_values([load.AID, "pos"], kind="stable")
    aid = frame[load.AID].to_numpy()
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
    """The 50 states and DC (:data:`ice287g.words.STATES_AND_DC`) that have no agreement in
    ``states``, so the page can say so when a reader types one."""
    return sorted(words.STATES_AND_DC - set(states))


def _index(values: pd.Series, table: list[str]) -> list[int]:
    where = {v: i for i, v in enumerate(table)}
    return [where.get(v, -1) for v in values]


# ------------------------------------------------------------------ where an agency is
_PLACE_PREFIX = re.compile(r"^(?:the\s+)?(?:city|town|village|borough|township)\s+of\s+", re.I)
_PLACE_SUFFIX = re.compile(
    r"\s+(?:police(?:\s+services)?(?:\s+department)?|department\s+of\s+public\s+safety|"
    r"public\s+safety(?:\s+department)?|marshal[’']?s?\s+office|city\s+marshal)$", re.I)
_COUNTY_NAME = re.compile(r"^((?:(?!of\b)[A-Z][\w.’'-]*\s){1,4}(?:County|Parish))\b(?!\s+of\b)")


def agency_place(agency: str) -> str:
    """The city or town a municipal agency's name gives: "Key West Police Department" ->
    "Key West", "City of Miami Police Department" -> "Miami"; ``""`` when the name is not
    a place's police (a sheriff, a state agency, a jail)."""
    name = " ".join(str(agency).split())
    stem = _PLACE_SUFFIX.sub("", name)
    if stem == name or not stem:
        return ""
    return _PLACE_PREFIX.sub("", stem).strip()


def county_in_name(agency: str) -> str:
    """The county an agency's own name gives ("Etowah County Sheriff's Office" -> "Etowah
    County"), else ``""``."""
    found = _COUNTY_NAME.match(" ".join(str(agency).split()))
    return found.group(1) if found else ""


def read_places(curated_dir: Path | str | None = None) -> pd.DataFrame:
    """data/curated/places.csv (state, place, county, ice_county, source_ids, note): the
    county of a city (or of one agency, by its whole name) whose rows name none (``ice_county``
    blank) or name one that is not its own (``ice_county``: the county ICE printed, which the
    row corrects; read by :func:`ice287g.maps.placements`; ``county`` blank there when the
    agency has no one county), with the sources that say so. Every row must name a known
    source of sources.csv; a bad row is a ``ValueError`` naming the file and row."""
    from . import config

    folder = Path(curated_dir) if curated_dir is not None else config.DATA_DIR / "curated"
    path = folder / "places.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["state", "place", "county", "ice_county", "source_ids",
                                     "note"])
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if "ice_county" not in frame:
        frame["ice_county"] = ""
    with (folder / "sources.csv").open(newline="", encoding="utf-8") as fh:
        known = {r["source_id"] for r in csv.DictReader(fh)}
    for n, row in enumerate(frame.to_dict("records"), start=1):
        ids = [i.strip() for i in row.get("source_ids", "").split(";") if i.strip()]
        if not (row.get("state") and row.get("place")
                and (row.get("county") or row.get("ice_county"))) or not ids:
            raise ValueError(f"{path}: row {n} needs a state, place, county (or the ice_county "
                             f"it corrects) and source_ids")
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(f"{path}: row {n} cites unknown source {unknown[0]!r}")
    key = ["state", "place", "ice_county"]
    if frame.duplicated(key).any():
        n = int(np.argmax(frame.duplicated(key).to_numpy())) + 1
        raise ValueError(f"{path}: row {n} repeats a state, place and ice_county")
    return frame


#: How a county that ICE's row leaves blank was found (the page says which).
PLACE_FROM_SHEET, PLACE_FROM_NAME, PLACE_FROM_TABLE = "sheet", "name", "table"


def derived_counties(agreements_: pd.DataFrame, places_: pd.DataFrame | None = None
                     ) -> dict[str, list[str]]:
    """For each agreement whose COUNTY is blank, the county found without guessing, and how:
    ``[county, "sheet"]`` when every other row of ICE's for the same agency (same state, same
    name as :func:`~ice287g.load.normalise_name` compares them) that names a county names
    the same one; ``[county, "name"]`` when the agency's own name gives it; ``[county,
    "table"]`` from the cited table (:func:`read_places`) by the place of
    :func:`agency_place`. Agreements with a county, or none found, are left out."""
    agr = agreements_
    key = agr["state"].astype(str) + "\u0000" + agr["agency"].map(load.normalise_name)
    named = {}
    for k, county in zip(key, agr["county"].astype(str)):
        if county.strip():
            named.setdefault(k, set()).add(county)
    table = {}
    if places_ is not None:
        table = {(r["state"], r["place"].casefold()): r["county"]
                 for r in places_.to_dict("records") if not r.get("ice_county", "")}
    out: dict[str, list[str]] = {}
    for aid, k, agency, state, county in zip(agr[load.AID], key, agr["agency"], agr["state"],
                                             agr["county"].astype(str)):
        if county.strip():
            continue
        if len(named.get(k, ())) == 1:
            out[aid] = [next(iter(named[k])), PLACE_FROM_SHEET]
        elif county_in_name(agency):
            out[aid] = [county_in_name(agency), PLACE_FROM_NAME]
        elif (state, agency_place(agency).casefold()) in table:
            out[aid] = [table[(state, agency_place(agency).casefold())], PLACE_FROM_TABLE]
    return out


#: A county ICE printed that the cited table of places corrects (the page names both).
PLACE_CORRECTED = "corrected"


def _fold_text(text) -> str:
    return " ".join(str(text or "").split()).casefold()


def correction_index(places_: pd.DataFrame | None) -> dict[tuple[str, str, str], dict]:
    """The rows of the cited table of places (:func:`read_places`) that correct a county ICE
    printed, by (state, place or agency, the county ICE printed), folded (white space and
    case); rows for a blank COUNTY (``ice_county`` blank: ICE names none) are left out, they
    are :func:`derived_counties`'. Read with :func:`correction`."""
    if places_ is None or places_.empty:
        return {}
    out = {}
    for row in places_.to_dict("records"):
        ice = _fold_text(row.get("ice_county", ""))
        if ice:
            out[(row["state"], _fold_text(row["place"]), ice)] = row
    return out


def correction(index: dict[tuple[str, str, str], dict], state: str, agency: str,
               county) -> dict | None:
    """The row of :func:`correction_index` that corrects an agreement's printed ``county``:
    the one whose ``place`` is the agency's city (:func:`agency_place`), else its whole name;
    ``None`` when none does (or ICE printed no county)."""
    printed = _fold_text(county)
    if not printed or not index:
        return None
    for place in (agency_place(agency), agency):
        hit = index.get((state, _fold_text(place), printed))
        if hit is not None:
            return hit
    return None


def cited_counties(agreements_: pd.DataFrame, places_: pd.DataFrame | None = None
                   ) -> dict[str, list[str]]:
    """For each agreement whose printed county the cited table of places (:func:`read_places`)
    corrects, as :func:`ice287g.maps.placements` draws it (:func:`correction`):
    ``[the table's county, "corrected"]``, the county ``""`` when the table gives the agency
    no one county. Other agreements are left out."""
    index = correction_index(places_)
    if not index:
        return {}
    out: dict[str, list[str]] = {}
    for aid, agency, state, county in zip(agreements_[load.AID], agreements_["agency"],
                                          agreements_["state"], agreements_["county"].astype(str)):
        hit = correction(index, state, agency, county)
        if hit is not None:
            out[aid] = [str(hit.get("county", "") or "").strip(), PLACE_CORRECTED]
    return out


# ------------------------------------------------------------------ edits and agencies
def successors(ds: load.Dataset) -> dict[str, str]:
    """For each agreement that left the list because ICE edited its row (a changed name,
    signing date, county or type makes a new row; :func:`~ice287g.churn.match_changed_records`
    pairs them, as the churn chapter does), the agreement that replaced it."""
    attrs = ("state", "agency", "agency_type", "county", "support_type", "signed")
    removed = churn.removals(ds.presence, ds.pubs, ds.agreements, attrs)
    # The removal that made it leave: its last one, not followed by a return (only those
    # are matched: the matching is slow per row).
    removed = removed[~removed["returned"].astype(bool)]
    if not len(removed):
        return {}
    matched = churn.match_changed_records(
        removed, churn.additions(ds.presence, ds.pubs, ds.agreements, attrs), listed=ds.presence)
    final = matched[matched["kind"] == "record changed"]
    return dict(zip(final[load.AID], final["replaced_by"]))


def agency_groups(agreements_: pd.DataFrame, next_: dict[str, str]) -> dict[str, int]:
    """One number per agency: agreements of the same state and agency name (as
    :func:`~ice287g.load.normalise_name` compares them), and an edited row with the row that
    replaced it, share a group (numbered in the order of ``agreements_``)."""
    ids = list(agreements_[load.AID])
    parent = {a: a for a in ids}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    first = {}
    for aid, state, agency in zip(ids, agreements_["state"], agreements_["agency"]):
        k = (state, load.normalise_name(agency))
        if k in first:
            parent[find(aid)] = find(first[k])
        else:
            first[k] = aid
    for old, new in next_.items():
        if old in parent and new in parent:
            parent[find(old)] = find(new)
    number: dict[str, int] = {}
    return {a: number.setdefault(find(a), len(number)) for a in ids}


def payload(ds: load.Dataset, places_: pd.DataFrame | None = None) -> dict:
    """The page's data (see the module docstring) from a :class:`~ice287g.load.Dataset`
    and the cited places table (:func:`read_places`)."""
    order = load.trend_publications(ds.pubs)
    agr = ds.agreements.sort_values(["state", "agency", "support_type", load.AID], kind="stable")
    blank = agr["agency"].astype(str).str.strip() == ""
    if blank.any():
        first = agr.loc[blank, load.AID].iloc[0]
        raise ValueError(f"agreements.csv: agreement {first} has no agency name")
    runs = spells(ds.presence, ds.pubs)
    states = sorted(s for s in agr["state"].unique() if s)
    agency_types = [t for t in load.AGENCY_TYPES if t in set(agr["agency_type"])]
    agency_types += sorted(set(agr["agency_type"]) - set(agency_types) - {""})
    support_types = [t for t in load.SUPPORT_TYPES if t in set(agr["support_type"])]
    support_types += sorted(set(agr["support_type"]) - set(support_types) - {""})
    signed = pd.to_datetime(agr["signed"]).dt.strftime("%Y-%m-%d").fillna("")
    place = derived_counties(agr, places_)
    place.update(cited_counties(agr, places_))
    nxt = successors(ds)
    group = agency_groups(agr, nxt)
    columns = list(COLUMNS)
    links = [(col, key) for col, key in LINK_COLUMNS if col in agr.columns]
    columns += [key for _, key in links]
    rows = [list(r) for r in zip(
        agr[load.AID], agr["agency"], _index(agr["state"], states), agr["county"],
        _index(agr["agency_type"], agency_types), _index(agr["support_type"], support_types),
        signed, (runs.get(a, []) for a in agr[load.AID]),
        (place.get(a, "") for a in agr[load.AID]), (group[a] for a in agr[load.AID]),
        (nxt.get(a, "") for a in agr[load.AID]),
        *(agr[col].fillna("").astype(str).map(safe_link).map(_short_link) for col, _ in links))]
    return {
        "format": FORMAT,
        "source": "data/processed (agreements.csv, listings.csv, snapshots.csv) of 287(g) in "
                  "Key West, from ICE's published lists of participating agencies",
        "pubs": publication_labels(order),
        "seen": last_capture_days(order),
        "states": states,
        "states_without": states_without(states),
        "agency_types": agency_types,
        "support_types": support_types,
        "columns": columns,
        "rows": rows,
        "link_prefix": LINK_PREFIX,
    }


#: Where ICE keeps the agreements' PDFs: a link there is stored without it (the page adds it
#: back), a third of the data's bytes otherwise.
LINK_PREFIX = "https://www.ice.gov/doclib/287gMOA/"


def _short_link(url: str) -> str:
    return url[len(LINK_PREFIX):] if url.startswith(LINK_PREFIX) else url


def safe_link(url: str) -> str:
    """A link to an agreement's text as the page may use it: only an address on ICE's site
    (``www.ice.gov`` or ``ice.gov``), over https (an ``http://`` one, as ICE's sheet has a few,
    is given as ``https://``); anything else (another host, ``javascript:``, credentials,
    spaces, blank) is ``""``."""
    from urllib.parse import urlsplit

    url = str(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    ok = parts.scheme in ("https", "http") and (parts.hostname or "") in ("www.ice.gov", "ice.gov") \
        and not parts.username and not parts.password and not parts.port \
        and not any(c.isspace() or ord(c) < 32 for c in url)
    if not ok:
        return ""
    return "https" + url[len(parts.scheme):] if parts.scheme == "http" else url


#: Characters a JSON text must not carry raw inside an HTML ``<script>`` element (``<`` could
#: open ``<!--``, ``<script`` or ``</script>`` and swallow or end the element; ``>`` and ``&``
#: for good measure) or into JavaScript source (U+2028/U+2029 end a line in older engines).
#: Each appears only inside a JSON string, where ``\uXXXX`` means the same character.
_SCRIPT_UNSAFE = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def script_json(data, *, sort_keys: bool = False) -> str:
    """``data`` as compact JSON that is safe inside an HTML ``<script>`` element and as
    JavaScript source, whatever its strings hold (ICE's text is untrusted): ``<``, ``>``,
    ``&``, U+2028 and U+2029 are written as ``\\uXXXX`` escapes, so ``</script>`` or
    ``<!--<script>`` in an agency name stays text. ``json.loads`` gives back ``data``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return text.translate(_SCRIPT_UNSAFE)


def encode(data: dict) -> bytes:
    """The data file the page loads with ``<script src>`` (it works from ``file://``, where a
    fetch of a local file is refused): one statement assigning the compact JSON of
    :func:`script_json` (non-ASCII kept: curly apostrophes stay one character) to
    ``window.ice287gLookupData``."""
    return f"window.{DATA_GLOBAL}={script_json(data)};\n".encode("utf-8")


def decode(body: bytes) -> dict:
    """The data of a file :func:`encode` wrote."""
    text = body.decode("utf-8")
    head = f"window.{DATA_GLOBAL}="
    if not (text.startswith(head) and text.endswith(";\n")):
        raise ValueError(f"not a lookup data file (it must start {head!r})")
    return json.loads(text[len(head):-2])


def write(path: Path | str, processed_dir: Path | str | None = None) -> Path:
    """Write the page's data script (:func:`encode`) from ``processed_dir`` (default: the repository's) to ``path``.

    Written to a temporary file beside it and moved into place, so a failure leaves no
    half-written file. Raises ``ValueError`` if the data outgrows :data:`MAX_BYTES`.
    """
    path = Path(path)
    ds = load.dataset(Path(processed_dir) if processed_dir is not None else None)
    curated = Path(processed_dir).parent / "curated" if processed_dir is not None else None
    body = encode(payload(ds, read_places(curated)))
    if len(body) > MAX_BYTES:
        raise ValueError(f"the lookup data would be {len(body):,} bytes, over {MAX_BYTES:,}: "
                         "make ice287g.lookup.payload more compact")
    return files.write_bytes(path, body)


# ------------------------------------------------------------------ the page, in each language
#
# Every word of the page's controls and of its script is here, in English: the key of its
# translation (ice287g/locale/<lang>/LC_MESSAGES/lookup.po, through i18n.tr). The book's Sphinx extension
# renders :func:`page_html` in the edition's language where chapters/find-an-agency.md has its
# ``{agency-lookup}`` directive; the page carries the script's words for that language as JSON
# (``<script type="application/json" id="lookup-texts">``), so lookup.js holds no words and
# no copy of its logic per language. agreements.js (the data) is the same in every edition.

#: The table's columns: the key the script sorts by, and the header.
TABLE_COLUMNS = [("agency", "Agency"), ("state", "State"), ("county", "County"),
                 ("type", "Agency type"), ("support", "Support type"),
                 ("signed", "Signed (per ICE)"), ("first", "First on a list"),
                 ("last", "Last seen"), ("status", "Status")]
#: The "Show" filter's options.
STATUS_OPTIONS = [("all", "All agreements"), ("listed", "Still listed"),
                  ("left", "Left the list")]
#: The "Sort by" options (``-desc``: newest first).
SORT_OPTIONS = [("relevance", "Best match"), ("state", "State, then agency"), ("agency", "Agency"), ("county", "County"),
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
    "hint": ("Type an agency, a city, a county or a state (in English or Spanish). Letter "
             "case, accents and apostrophes do not matter (\"sheriffs\" finds \"Sheriff’s\"); "
             "every word you type must appear, and for a word with a typo or two the page "
             "offers the closest word of the data. "
             "The address of the page keeps what you typed, so you can share it."),
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
    "edited": "Row edited by ICE ({change}) from the list of {next}: not a departure",
    "changeName": "renamed “{to}”",
    "changeSigned": "signing date changed from {from} to {to}",
    "changeOther": "details changed",
    "before": "Until the list of {date}, ICE listed this agreement as “{agency}” ({change}).",
    "seenOnList": "{seen} (list of {list})",
    "pubPart": "{date} ({part})",
    "placeSheet": "{county} (from ICE's other rows for this agency)",
    "placeName": "{county} (from the agency's name)",
    "placeTable": "{county} (from the book's table of places; ICE's row names no county)",
    "placeCorrected": "{county} (from the book's table of places; ICE's row names “{ice}”)",
    "placeNoOne": "No one county (from the book's table of places; ICE's row names “{ice}”)",
    "pickHint": ": show its listing history",
    "countOne": "1 agreement",
    "countMany": "{n} agreements",
    "matchOne": "1 agreement matches “{q}”",
    "matchMany": "{n} agreements match “{q}”",
    "split": "{what} ({listed} still listed, {left} left the list)",
    "editedOne": "; 1 row ICE edited",
    "editedMany": "; {n} rows ICE edited",
    "showing": "; showing the first {n}",
    "noneMatch": "No agreement matches “{q}”.",
    "didYouMean": "Did you mean “{q}”?",
    "none": "No agreement.",
    "stateWithout": "ICE's lists in this book's archive show no agreement in {state}.",
    "more": "Show all {n} matching agreements",
    "error": ("The agreements could not be loaded ({error}); download agreements.csv from the "
              "Downloads page instead."),
    "unknownId": ("No agreement of this book's data has the id “{id}”: the link may be "
                  "mistyped or cut short. Search for the agency by name instead."),
    "yes": "yes",
    "no": "no",
    "historyTitle": "Listing history: {agency}",
    "signed": "signed {date}, per ICE",
    "history": ("On {n} of the {total} lists of the archive, from {first} to {last}; first on "
                "{firstOn}, last seen {seen}"),
    "gapsOne": "; missing from 1 stretch of lists in between",
    "gapsMany": "; missing from {n} stretches of lists in between",
    "agencyAgreements": "This agency's {n} agreements on ICE's lists:",
    "timelineCaption": "When ICE's lists carried each agreement, by date ({first} to {last})",
    "spellsCaption": "Stretches of consecutive ICE lists with and without this agreement",
    "onList": "On the list",
    "from": "From",
    "to": "To",
    "lists": "Lists",
    "link": "Link to this agreement",
    "copy": "Copy the link",
    "copied": "Link copied.",
    "moa": "the agreement (PDF, ice.gov)",
    "addendum": "its addendum (PDF, ice.gov)",
    "close": "Close the history",
    "agencyPage": "This agency's page",
}


def _words(values) -> list[str]:
    return sorted({str(v) for v in values if str(v).strip()})


def texts(lang: str | None = None, *, agency_types=(), support_types=(), states=()) -> dict:
    """The script's words in ``lang`` (default: the language in use), as the page carries them:

    - ``texts``: :data:`SCRIPT_TEXTS` translated, and ``columns``: each column's header (the
      phone layout's labels);
    - ``labels``: each agency type and support type (ICE's English words, the data's values)
      as the table shows it (ICE's own text where the language has no translation for it);
    - ``states``: the state names written otherwise in the language (words.state_name), for
      the "no agreement in ..." sentence and for searching by them; the table cells keep
      ICE's names;
    - ``thousands``: the language's thousands separator (i18n.FORMATS);
    - ``dates``: the language's date pattern and month names (i18n.FORMATS, as
      :func:`~ice287g.i18n.format_date` writes a date) and ``parts``: ICE's parts of day;
    - ``stateAliases``: every state's names in the book's languages that differ from ICE's,
      so a reader finds a state by its English or Spanish name in either edition.

    A text of the book's own without a translation raises
    :class:`~ice287g.i18n.TranslationError`.
    """
    from . import i18n

    lang = i18n.resolve(lang)
    # ICE's labels are data: one ICE starts using without a translation is shown as ICE wrote
    # it (i18n.label), never an error that stops the Spanish build (issue 20).
    # In Spanish it carries the book's visible "sin trad." mark, as the tables do.
    def shown(value):
        # an agency's type in its own context ("De condado", not the County column's "Condado")
        text = words.agency_type_label(value, lang) if value in agency_types \
            else i18n.label(value, lang)
        if isinstance(text, i18n.Untranslated):
            return f"{text} ({i18n.tr('untransl.', lang)})"
        return str(text)

    labels = {v: shown(v) for v in _words([*agency_types, *support_types])}
    names = {s: words.state_name(s, lang) for s in _words(states)}
    fmt = i18n.FORMATS[lang]
    aliases = {}
    for state in _words(states):
        others = {words.state_name(state, other) for other in i18n.FORMATS} - {state}
        if others:
            aliases[state] = sorted(others)
    return {
        "lang": lang,
        "dates": {"date": fmt["date"], "months": list(fmt["months"])},
        "parts": {part: i18n.tr(word, lang) for part, word in words.PARTS_OF_DAY.items()},
        "stateAliases": aliases,
        "texts": {key: i18n.tr(text, lang) for key, text in SCRIPT_TEXTS.items()},
        "columns": {key: i18n.tr(text, lang) for key, text in TABLE_COLUMNS},
        "labels": labels,
        "states": {s: n for s, n in names.items() if n != s},
        "thousands": i18n.FORMATS[lang]["thousands"],
    }


def page_values(processed_dir: Path | str | None = None) -> dict[str, list[str]]:
    """The agency types, support types and state names the page can show: those of
    agreements.csv, and every state and DC (:data:`ice287g.words.STATES_AND_DC`: a state
    without agreements is named)."""
    agr = load.agreements(processed_dir)
    return {"agency_types": _words(agr["agency_type"]),
            "support_types": _words(agr["support_type"]),
            "states": _words([*agr["state"], *words.STATES_AND_DC])}


def page_html(lang: str | None = None, processed_dir: Path | str | None = None) -> str:
    """The page's controls, table and texts in ``lang`` (the ``{agency-lookup}`` directive)."""
    import html

    from . import i18n

    lang = i18n.resolve(lang)

    def t(text: str) -> str:
        return html.escape(i18n.tr(text, lang), quote=False)

    def options(items) -> str:
        return "".join(f'<option value="{value}">{t(text)}</option>' for value, text in items)

    heads = "".join(f'<th scope="col" data-sort="{key}"><button type="button">{t(text)}'
                    "</button></th>" for key, text in TABLE_COLUMNS)
    # ICE's labels are in it: escaped so that no text can end or swallow the element.
    words = script_json(texts(lang, **page_values(processed_dir)), sort_keys=True)
    downloads = f'<a href="downloads.html">{t(PAGE_TEXTS["downloads"])}</a>'
    noscript = t(PAGE_TEXTS["noscript"]).format(file="<code>agreements.csv</code>",
                                                page=downloads)
    return "\n".join([
        '<div id="agency-lookup" class="agency-lookup">',
        f'<p id="lookup-hint" class="lookup-hint">{t(PAGE_TEXTS["hint"])}</p>',
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
        f'<p id="lookup-count" role="status" aria-live="polite">{t(PAGE_TEXTS["loading"])}</p>',
        '<button type="button" id="lookup-suggest" class="lookup-suggest" hidden></button>',
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
    return [Path(__file__), root / "i18n.py", *sorted((root / "locale").glob("*/LC_MESSAGES/*.po")),
            processed / "agreements.csv"]
