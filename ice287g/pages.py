"""Pages of their own for every state and every agency ever on ICE's list (issue 26).

Plain HTML written beside the Sphinx pages when an edition's build finishes
(``_ext/generated_pages.py``), from ``data/processed`` and ``data/curated``, with one template
per page kind (``ice287g/templates/state.html``, ``agency.html``) shared by both editions; the
language is passed, never assumed, and every word is the catalogue's (``pages`` domain).

- ``states/<slug>.html`` (:func:`state_slug`): every state or territory that ever had an
  agreement on a counted list: its headline (agreements on ICE's latest list, on the last list
  before January 20, 2025, the change: the definitions of *National growth* and *Where*; when
  the archive has no list in the month before that day, a note naming the list the count comes
  from and the gap, :func:`gap_note`), its agreements over time (an inline SVG chart), its county map (inline SVG from the map shapes),
  every agreement with its signing date, model, status and ICE's agreement document, the pending
  requests of ICE's latest pending list, what changed on the latest list, the local actions and
  chapters of the book about it, and a link to its feed (``feeds/states/<slug>.atom``).
- ``agencies/<id>.html`` (:func:`agency_ids`): every agency, grouped as *Find an agency* groups
  it (:func:`ice287g.lookup.agency_groups`: same state and name, and a row ICE edited with the
  row that replaced it), with its agreements, their listing history on a date axis, its names
  (renames shown as such), each agreement's county as the book places it (:func:`county_text`:
  where ICE's row names none, or one the cited table of places corrects) and its state's page.

The computations that do not depend on the language are done once (:func:`load_model`); each
edition then renders its pages (:func:`write_all`). Every value from ICE's sheets is escaped by
the templates (Jinja2 with autoescape; the book's own HTML is :class:`ice287g.safe_html.Markup`).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import i18n
from .safe_html import Markup, escape, markup

#: Where the generated pages go, relative to an edition's root.
STATES_DIR = "states"
AGENCIES_DIR = "agencies"
#: The feeds the state pages link (written by ice287g.feeds): relative to an edition's root.
FEED_ALL = "feeds/all.atom"
FEED_STATE = "feeds/states/{slug}.atom"
#: The book's pages a state's page can point to (docname -> the states it concerns).
STATE_CHAPTERS = {"Florida": ("chapters/key-west", "chapters/florida", "chapters/votes")}
#: ICE's list of participating agencies in data/curated/sources.csv (the pages' citation).
ICE_LIST_SOURCE = "ice-287g-participating-agencies"
#: The executive order of January 20, 2025 (data/curated/events.csv).
EO_EVENT = "trump-eo-287g"
#: The catalogue domain of this module's words.
DOMAIN = "pages"
#: A state's page says which list its "before January 20, 2025" count comes from, and the gap
#: in the archive around it, when that list is more than this many days before the cutoff.
GAP_NOTE_DAYS = 31


def state_slug(name: str) -> str:
    """The address slug of a state: ``"New York"`` -> ``"new-york"``.

    ASCII-folded, lower-cased, every run of characters other than ASCII letters and
    digits replaced by one ``-``, stripped of ``-`` at both ends. The feeds
    (``feeds/states/<slug>.atom``) and the state pages (``states/<slug>.html``) share it.
    """
    folded = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def state_path(state: str) -> str:
    """A state's page, relative to an edition's root: ``states/florida.html``."""
    return f"{STATES_DIR}/{state_slug(state)}.html"


def agency_path(agency_id: str) -> str:
    """An agency's page, relative to an edition's root: ``agencies/a00eaa464b1f.html``."""
    return f"{AGENCIES_DIR}/{agency_id}.html"


# --------------------------------------------------------------------------- the model
@dataclass
class Agreement:
    """One agreement (a row of agreements.csv) as the pages show it."""

    aid: str
    agency: str
    state: str
    county: str
    agency_type: str
    support_type: str
    signed: str                 # YYYY-MM-DD or ""
    spells: list[int]           # flat inclusive index pairs into Model.when
    moa: str                    # a safe link to ICE's PDF, or ""
    addendum: str
    next: str                   # the agreement that replaced this edited row, or ""
    agency_id: str = ""
    #: Find an agency's county for the row (lookup.payload's ``place``): ``[county, how]``
    #: where ICE's COUNTY is blank (lookup.derived_counties), or ``[county, "corrected"]``
    #: where the cited table of places corrects it as the maps place the row
    #: (lookup.cited_counties; county "" when the agency has no one county); else empty
    place: list = field(default_factory=list)

    @property
    def corrected(self) -> bool:
        from .lookup import PLACE_CORRECTED

        return bool(self.place) and self.place[1] == PLACE_CORRECTED

    @property
    def county_name(self) -> str:
        """The county the book places the agreement in, for lists: the cited table's
        correction, else ICE's county, else the one Find an agency derives; "" when none."""
        if self.corrected:
            return str(self.place[0])
        return self.county or (str(self.place[0]) if self.place else "")


@dataclass
class Agency:
    agency_id: str
    state: str
    agreements: list[Agreement]

    @property
    def name(self) -> str:
        """The name of its agreement last listed (the latest name ICE gave it)."""
        return _latest(self.agreements).agency

    @property
    def names(self) -> list[str]:
        """Every name ICE listed it under, the current one first."""
        seen = [self.name]
        for a in sorted(self.agreements, key=_first):
            if a.agency not in seen:
                seen.append(a.agency)
        return seen


@dataclass
class StateFacts:
    state: str
    series: pd.Series           # agreements on each trend list (index: published_at)
    n_now: int
    n_before: int
    agreements: list[Agreement]
    requests: pd.DataFrame      # pending requests on ICE's latest pending list
    joined: pd.DataFrame        # the latest change (diff.latest_change), this state's rows
    left: pd.DataFrame
    edited: pd.DataFrame
    churn: pd.DataFrame         # agreements added and removed on each list (recent ones)
    actions: pd.DataFrame       # data/curated/local_actions.csv rows
    county_counts: pd.Series = field(default_factory=pd.Series)
    unplaced: int = 0


@dataclass
class Model:
    """Everything the pages show, computed once for both editions."""

    when: list[pd.Timestamp]          # each trend publication's date, in order
    eo_date: pd.Timestamp
    before_when: pd.Timestamp         # the last list before eo_date
    next_when: pd.Timestamp | None    # the first list after it (None: none yet)
    pending_when: pd.Timestamp | None
    states: dict[str, StateFacts]
    agencies: dict[str, Agency]
    by_aid: dict[str, Agreement]
    sources: pd.DataFrame
    change_old: pd.Timestamp
    change_new: pd.Timestamp

    @property
    def latest_when(self) -> pd.Timestamp:
        return self.when[-1]


def _first(a: Agreement) -> tuple:
    return (a.spells[0] if a.spells else math.inf, a.aid)


def _latest(agreements: list[Agreement]) -> Agreement:
    return max(agreements, key=lambda a: (a.spells[-1] if a.spells else -1, a.aid))


def agency_ids(rows: list[Agreement], groups: dict[str, int]) -> dict[str, str]:
    """Each agreement's agency id: the lower-cased agreement id of its group's agreement first
    listed (the earliest counted list; a tie, or no counted list, by agreement id). Stable
    across rebuilds as long as the agency's first agreement stays on record: agreements that
    join later do not change it."""
    members: dict[int, list[Agreement]] = {}
    for a in rows:
        members.setdefault(groups[a.aid], []).append(a)
    out = {}
    for group in members.values():
        first = min(group, key=_first).aid.lower()
        for a in group:
            out[a.aid] = first
    return out


def load_model(processed_dir: Path | str | None = None, curated_dir: Path | str | None = None,
               lookup_data: dict | None = None) -> Model:
    """Compute what every page shows. ``lookup_data`` is *Find an agency*'s data
    (:func:`ice287g.lookup.payload`, e.g. read back from the build's ``agreements.js`` with
    :func:`ice287g.lookup.decode`), whose agency grouping and listing spells the pages reuse;
    without it, it is computed."""
    from . import churn, diff, load, lookup, maps, national_growth, story, where

    side = diff.load_side(processed_dir)
    ds = side.ds
    # story.load reads <root>/data/curated: the repository root holding curated_dir.
    root = Path(curated_dir).parent.parent if curated_dir is not None else None
    places = lookup.read_places(curated_dir)  # the cited table of places (maps, Find an agency)
    if lookup_data is None:
        lookup_data = lookup.payload(ds, places)
    order = load.trend_publications(ds.pubs)
    when = [pd.Timestamp(t) for t in order[load.WHEN]]
    if len(when) != len(lookup_data["pubs"]):
        raise ValueError("the Find an agency data does not match data/processed "
                         f"({len(lookup_data['pubs'])} lists, not {len(when)})")
    cols = lookup_data["columns"]
    tables = {"state": lookup_data["states"], "agency_type": lookup_data["agency_types"],
              "support_type": lookup_data["support_types"]}
    prefix = lookup_data.get("link_prefix", "")

    def full(link):
        link = str(link or "")
        return lookup.safe_link(prefix + link if link and "://" not in link else link)

    agreements, groups = [], {}
    for raw in lookup_data["rows"]:
        r = dict(zip(cols, raw))
        looked_up = {k: (tables[k][r[k]] if isinstance(r[k], int) and r[k] >= 0 else "")
                     for k in tables}
        agreements.append(Agreement(
            aid=r["id"], agency=r["agency"], county=str(r.get("county") or ""),
            signed=str(r.get("signed") or ""), spells=list(r.get("spells") or []),
            moa=full(r.get("moa")), addendum=full(r.get("addendum")), next=r.get("next") or "",
            place=list(r.get("place") or []), **looked_up))
        groups[r["id"]] = r["group"]
    ids = agency_ids(agreements, groups)
    agencies: dict[str, Agency] = {}
    for a in agreements:
        a.agency_id = ids[a.aid]
        agencies.setdefault(a.agency_id, Agency(a.agency_id, a.state, [])).agreements.append(a)
    for agency in agencies.values():
        agency.agreements.sort(key=lambda a: (_first(a), a.support_type))
        agency.state = _latest(agency.agreements).state

    events = story.load("events", root)
    eo_date = story.event_dates(events, [EO_EVENT]).iloc[0]
    by_state = national_growth.counts(ds.presence, ds.pubs, "state")
    before_key = load.last_publication_before(ds.pubs, eo_date)
    before_when = pd.Timestamp(order.loc[order[load.PUB] == before_key, load.WHEN].iloc[0])
    change = diff.latest_change(side=side)
    # Pending requests on ICE's latest pending list (as What changed counts them).
    pending_pub = side.latest_pending()
    requests = side.requests.iloc[0:0]
    pending_when = None
    if pending_pub is not None:
        on = side.request_ids_on(pending_pub[load.PUB])
        requests = side.requests[side.requests[diff.PID].isin(on)]
        pending_when = pd.Timestamp(pending_pub[load.WHEN])
    actions = story.load("local_actions", root)
    shapes = maps.load_shapes()
    latest = ds.latest_rows()
    states = {}
    # Every state of agreements.csv (state_names), on a counted list or not.
    ever = state_names(ds.agreements)
    from .words import STATES

    codes = {s.name: s.code for s in STATES}
    for state in ever:
        series = by_state[state] if state in by_state else pd.Series(0, index=by_state.index)
        mine = [a for a in agreements if a.state == state]
        sp = ds.presence[ds.presence["state"] == state]
        ch = churn.churn(sp, ds.pubs)
        ch = ch[(ch["added"] > 0) | (ch["removed"] > 0)] if len(ch) else ch
        rows = latest[latest["state"] == state]
        counts, unplaced = maps.county_counts(rows, shapes, places) if len(rows) else (pd.Series(dtype=int), rows)
        states[state] = StateFacts(
            state=state, series=series, n_now=int(series.iloc[-1]),
            n_before=int(where.value_before(series, eo_date)),
            agreements=sorted(mine, key=lambda a: (a.agency.casefold(), a.support_type, a.aid)),
            requests=requests[requests["state"] == state].sort_values(["agency", "support_type"]),
            joined=change.joined[change.joined["state"] == state],
            left=change.left[change.left["state"] == state],
            edited=change.edited[change.edited["state"] == state],
            churn=ch.tail(8).iloc[::-1] if len(ch) else ch,
            actions=actions[actions["state"] == codes.get(state, "--")],
            county_counts=counts, unplaced=int(len(unplaced)))
    later = [t for t in when if t > before_when]
    return Model(when=when, eo_date=pd.Timestamp(eo_date), before_when=before_when,
                 next_when=later[0] if later else None,
                 pending_when=pending_when, states=states, agencies=agencies,
                 by_aid={a.aid: a for a in agreements}, sources=story.load("sources", root),
                 change_old=pd.Timestamp(change.old_pub[load.WHEN]),
                 change_new=pd.Timestamp(change.new_pub[load.WHEN]))


# --------------------------------------------------------------------------- words
class Words:
    """The words of one edition: ``t(text, **values)`` is :func:`ice287g.i18n.tr` in ``lang``."""

    def __init__(self, lang: str):
        self.lang = i18n.resolve(lang)
        self._fixed: dict[str, str] = {}
        self._dates: dict = {}

    def t(self, text: str, **values) -> str:
        if values:
            return i18n.tr(text, self.lang, **values)
        if text not in self._fixed:  # a page's fixed words, looked up once an edition
            self._fixed[text] = i18n.tr(text, self.lang)
        return self._fixed[text]

    def nt(self, singular: str, plural: str, count, zero: str | None = None, **values) -> str:
        """:func:`ice287g.i18n.ntr` in ``lang``: the form of a text for ``count`` ("1 agreement",
        "3 agreements"), and ``zero``'s text for none."""
        return i18n.ntr(singular, plural, int(count), self.lang, zero=zero, **values)

    def date(self, value) -> str:
        if value is None or not str(value):
            return ""
        key = str(value)
        if key not in self._dates:
            self._dates[key] = i18n.format_date(value, self.lang)
        return self._dates[key]

    def n(self, value) -> str:
        return i18n.format_int(int(value), self.lang)

    def state(self, name: str) -> str:
        from . import words

        return words.state_name(name, self.lang)

    def support(self, value: str) -> str:
        from . import words

        return words.support_type_label(value, self.lang) if value else ""

    def label(self, value: str):
        """ICE's agency type as the edition writes it (ICE's own words, marked, when the
        book has no translation for a new one)."""
        from .safe_html import untranslated_html
        from .words import agency_type_label

        # in the agency-type context: "De condado", not the county column's "Condado" (#26)
        text = agency_type_label(value, self.lang) if value else ""
        return Markup(untranslated_html(text, self.lang)) if isinstance(text, i18n.Untranslated) \
            else text


@lru_cache(maxsize=None)
def words_for(lang: str) -> Words:
    """One :class:`Words` an edition (its caches are shared by every page)."""
    return Words(lang)


def status(a: Agreement, model: Model, w: Words) -> str:
    """An agreement's status on ICE's lists, for people."""
    last = len(model.when) - 1
    if not a.spells:
        return w.t("Not on a counted list")
    if a.spells[-1] == last:
        return w.t("On the latest list")
    seen = w.date(model.when[a.spells[-1]])
    if a.next:
        return w.t("Row edited by ICE after the list of {date}", date=seen)
    return w.t("Left the list: last on the list of {date}", date=seen)


#: How Find an agency found the county of a row whose COUNTY ICE left blank
#: (lookup.derived_counties), in its words (the catalogue's lookup domain).
PLACE_TEXTS = {"sheet": "{county} (from ICE's other rows for this agency)",
               "name": "{county} (from the agency's name)",
               "table": "{county} (from the book's table of places; ICE's row names no county)"}


def county_text(a: Agreement, w: Words) -> str:
    """An agreement's county as its agency's page writes it: ICE's county as printed; the
    county of the cited table of places where it corrects ICE's (as the maps place the row),
    saying what ICE printed; where ICE's row names none, the county Find an agency derives,
    saying how; ``""`` when none is known."""
    if a.corrected:
        if a.place[0]:
            return w.t("{county} (from the book's table of places; ICE's row names “{ice}”)",
                       county=str(a.place[0]), ice=a.county)
        return w.t("No one county (from the book's table of places; ICE's row names “{ice}”)",
                   ice=a.county)
    if a.county:
        return a.county
    if a.place and str(a.place[1]) in PLACE_TEXTS:
        return w.t(PLACE_TEXTS[str(a.place[1])], county=str(a.place[0]))
    return ""


def gap_note(model: Model, w: Words) -> str:
    """The list a state's "before January 20, 2025" count comes from, when the archive has no
    list in the :data:`GAP_NOTE_DAYS` before the cutoff: its date, the next list's, and the
    days between the list and the cutoff; ``""`` otherwise."""
    days = (model.eo_date.normalize() - model.before_when.normalize()).days
    if days <= GAP_NOTE_DAYS:
        return ""
    values = {"before_date": w.date(model.before_when), "cutoff": w.date(model.eo_date),
              "days": w.n(days)}
    if model.next_when is None:
        return w.t("The book's archive has no list of ICE's from the {days} days before "
                   "{cutoff}: the count before {cutoff} is that of the list of {before_date}.",
                   **values)
    return w.t("A gap in the archive: no list of ICE's was captured between {before_date} and "
               "{next_date}, so the count before {cutoff} is that of the list of "
               "{before_date}, {days} days earlier.", next_date=w.date(model.next_when),
               **values)


def moa_link(url: str, w: Words, text: str = "the agreement (PDF, ice.gov)") -> Markup:
    """A link to ICE's PDF, only to an address on ICE's site (:func:`ice287g.lookup.safe_link`)."""
    from .lookup import safe_link

    url = safe_link(url)
    if not url:
        return Markup("")
    return markup('<a href="{url}">{text}</a>', url=url, text=w.t(text))


# --------------------------------------------------------------------------- charts
def _nice_max(value: int) -> int:
    if value <= 4:
        return max(value, 1)
    step = 10 ** int(math.floor(math.log10(value)))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * step:
            return int(m * step)
    return int(10 * step)


def _ticks(top: int) -> list[int]:
    if top <= 4:
        return list(range(0, top + 1))
    return [0, top // 2, top] if top % 2 == 0 else [0, top]


def _x(ts, first, last, x0, x1) -> float:
    span = (last.value - first.value) or 1
    return x0 + (pd.Timestamp(ts).value - first.value) / span * (x1 - x0)


def series_svg(facts: StateFacts, model: Model, w: Words) -> dict:
    """The state's agreements on each of ICE's lists as a small inline SVG line chart: its
    title states the finding, its alt text is computed from the numbers."""
    s = facts.series
    W, H, left, right, top, bottom = 360, 200, 40, 12, 10, 30
    first, last = model.when[0], model.when[-1]
    ymax = _nice_max(int(s.max()))
    pts = []
    for ts, v in zip(s.index, s.to_numpy()):
        x = _x(pd.Timestamp(ts), first, last, left, W - right)
        y = H - bottom - (v / ymax) * (H - top - bottom)
        pts.append(f"{x:.1f},{y:.1f}")
    parts = [f'<svg class="pg-chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-alt"'
             ' xmlns="http://www.w3.org/2000/svg">']
    alt_peak = int(s.max())
    peak_at = pd.Timestamp(s.idxmax())
    alt = w.t("Line chart of the agreements in {state} on each of ICE's {n} lists from {first} "
              "to {last}: {n_first} on the first, {n_before} on the last list before {cutoff}, "
              "a peak of {peak} on the list of {peak_date}, and {n_now} on the latest.",
              state=w.state(facts.state), n=w.n(len(s)), first=w.date(first), last=w.date(last),
              n_first=w.n(s.iloc[0]), n_before=w.n(facts.n_before), cutoff=w.date(model.eo_date),
              peak=w.n(alt_peak), peak_date=w.date(peak_at), n_now=w.n(facts.n_now))
    parts.append(f'<title id="chart-alt">{escape(alt)}</title>')
    for tick in _ticks(ymax):
        y = H - bottom - tick / ymax * (H - top - bottom)
        parts.append(f'<line class="grid" x1="{left}" x2="{W - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(w.n(tick))}</text>')
    for year in range(first.year + 1, last.year + 1):
        x = _x(pd.Timestamp(year=year, month=1, day=1), first, last, left, W - right)
        parts.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{H - bottom}" '
                     f'y2="{H - bottom + 4}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{H - bottom + 16}" '
                     f'text-anchor="middle">{year}</text>')
    xe = _x(model.eo_date, first, last, left, W - right)
    parts.append(f'<line class="mark" x1="{xe:.1f}" x2="{xe:.1f}" y1="{top}" y2="{H - bottom}"/>')
    parts.append(f'<line class="axis" x1="{left}" x2="{W - right}" y1="{H - bottom}" '
                 f'y2="{H - bottom}"/>')
    parts.append(f'<polyline class="line" points="{" ".join(pts)}"/>')
    parts.append("</svg>")
    if facts.n_now > facts.n_before:
        title = w.t("{state}'s agreements on ICE's list went from {before} before {cutoff} to "
                    "{now}", state=w.state(facts.state), before=w.n(facts.n_before),
                    cutoff=w.date(model.eo_date), now=w.n(facts.n_now))
    elif facts.n_now < facts.n_before:
        title = w.t("{state}'s agreements on ICE's list fell from {before} before {cutoff} to "
                    "{now}", state=w.state(facts.state), before=w.n(facts.n_before),
                    cutoff=w.date(model.eo_date), now=w.n(facts.n_now))
    else:
        title = w.nt("{state} has {n} agreement on ICE's list, as many as before {cutoff}",
                     "{state} has {n} agreements on ICE's list, as many as before {cutoff}",
                     facts.n_now, zero="{state} has no agreement on ICE's list, as before {cutoff}",
                     state=w.state(facts.state), cutoff=w.date(model.eo_date))
    return {"svg": Markup("".join(parts)), "title": title, "alt": alt,
            "xlabel": w.t("Date of ICE's list (dashed line: {cutoff})",
                          cutoff=w.date(model.eo_date)),
            "ylabel": w.t("Agreements listed")}


def _svg_path(path, transform) -> str:
    """A matplotlib Path as SVG path data, in whole units of the map's box (points that
    round to the same place as the one before dropped)."""
    import numpy as np

    pts = np.rint(transform(path.vertices)).astype(int)
    codes = np.asarray(path.codes)
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = (pts[1:] != pts[:-1]).any(axis=1) | (codes[1:] != 2)
    out = []
    for (x, y), code in zip(pts[keep].tolist(), codes[keep].tolist()):
        out.append("Z" if code == 79 else f"{'M' if code == 1 else 'L'}{x} {y}")
    return "".join(out)


def county_map_svg(facts: StateFacts, w: Words) -> dict | None:
    """The state's counties shaded by the agreements on ICE's latest list (the maps page's
    classes and colours, :mod:`ice287g.maps`), as an inline SVG; ``None`` for a place the map
    shapes do not draw (a territory)."""
    import numpy as np

    from . import maps

    shapes = maps.load_shapes()
    fips = shapes.state_fips().get(facts.state)
    if not fips:
        return None
    counties = shapes.counties[shapes.counties["state"] == fips]
    verts = np.vstack([p.vertices for p in counties["path"]])
    (x0, y0), (x1, y1) = verts.min(axis=0), verts.max(axis=0)
    width = 360.0
    scale = width / max(x1 - x0, 1e-9)
    height = max((y1 - y0) * scale, 40.0)
    if height > 420:  # a tall state: fit its height instead
        scale *= 420 / height
        height = 420.0
        width = (x1 - x0) * scale

    def transform(v):
        # the shapes are in screen coordinates already (y grows downwards, as maps.py draws)
        return np.column_stack([(v[:, 0] - x0) * scale, (v[:, 1] - y0) * scale])

    counts = facts.county_counts
    values = [int(counts.get(f, 0)) for f in counties["fips"]]
    colors = maps.colors_for(values, maps.COUNTY_EDGES)
    with i18n.language(w.lang):
        labels = maps.class_labels(maps.COUNTY_EDGES)
    legend_colors = maps.class_colors(len(maps.COUNTY_EDGES))
    n_counties = sum(v > 0 for v in values)
    alt = w.nt("Map of {state}'s {total} counties: {n} has at least one agreement on ICE's "
               "latest list{most}.",
               "Map of {state}'s {total} counties: {n} have at least one agreement on ICE's "
               "latest list{most}.", n_counties,
               zero="Map of {state}'s {total} counties: none has an agreement on ICE's latest list.",
               state=w.state(facts.state), total=w.n(len(values)),
               most=(w.t(", the most in {county} ({m})",
                         county=counties["name"].iloc[int(np.argmax(values))],
                         m=w.n(max(values))) if max(values, default=0) else ""))
    paths = [f'<path d="{_svg_path(p, transform)}" fill="{c}"><title>{escape(name)}: '
             f'{escape(w.n(v))}</title></path>'
             for p, c, name, v in zip(counties["path"], colors, counties["name"], values)]
    svg = (f'<svg class="pg-map" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
           f'aria-labelledby="map-alt" xmlns="http://www.w3.org/2000/svg">'
           f'<title id="map-alt">{escape(alt)}</title><g stroke="#fff" stroke-width="0.5">'
           + "".join(paths) + "</g></svg>")
    legend = [{"color": maps.NONE_COLOR, "label": w.t("None")}] + [
        {"color": c, "label": lab} for c, lab in zip(legend_colors, labels)]
    return {"svg": Markup(svg), "alt": alt, "legend": legend,
            "title": w.nt("{n} of {state}'s {total} counties has an agreement on ICE's latest list",
                          "{n} of {state}'s {total} counties have an agreement on ICE's latest "
                          "list", n_counties, zero="None of {state}'s {total} counties has an "
                          "agreement on ICE's latest list", state=w.state(facts.state),
                          total=w.n(len(values))),
            "unplaced": facts.unplaced}


def history_svg(agency: Agency, model: Model, w: Words) -> dict:
    """When ICE's lists carried each of the agency's agreements, on a date axis (one bar a
    stretch of consecutive lists), as an inline SVG with alt text from the dates."""
    W, left, right, row, top = 360, 8, 8, 26, 6
    first, last = model.when[0], model.when[-1]
    rows = agency.agreements
    H = top + row * len(rows) + 22
    parts = [f'<svg class="pg-history" viewBox="0 0 {W} {H}" role="img" '
             'aria-labelledby="history-alt" xmlns="http://www.w3.org/2000/svg">']
    sentences = []
    for i, a in enumerate(rows):
        y = top + i * row
        parts.append(f'<line class="grid" x1="{left}" x2="{W - right}" y1="{y + 9}" y2="{y + 9}"/>')
        stretches = []
        for s, e in zip(a.spells[::2], a.spells[1::2]):
            xa = _x(model.when[s], first, last, left, W - right)
            xb = _x(model.when[e], first, last, left, W - right)
            parts.append(f'<rect class="bar" x="{xa:.1f}" y="{y + 3}" width="{max(xb - xa, 2):.1f}" '
                         'height="12"/>')
            stretches.append(w.t("{start} to {end}", start=w.date(model.when[s]),
                                 end=w.date(model.when[e])))
        parts.append(f'<text class="tick" x="{left}" y="{y + row - 1}">'
                     f'{escape(w.support(a.support_type) or a.aid)}</text>')
        sentences.append(w.t("{model}: {stretches}", model=w.support(a.support_type) or a.aid,
                             stretches="; ".join(stretches) or w.t("Not on a counted list")))
    for year in range(first.year + 1, last.year + 1):
        x = _x(pd.Timestamp(year=year, month=1, day=1), first, last, left, W - right)
        parts.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{H - 16}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{H - 4}" text-anchor="middle">{year}</text>')
    alt = w.t("Bars of the stretches of ICE's lists, from {first} to {last}, that carried each "
              "agreement. {rows}", first=w.date(first), last=w.date(last),
              rows=". ".join(sentences) + ".")
    parts.insert(1, f'<title id="history-alt">{escape(alt)}</title>')
    parts.append("</svg>")
    return {"svg": Markup("".join(parts)), "alt": alt}


# --------------------------------------------------------------------------- rendering
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.globals["page_css"] = page_css()
    return env


def page_css():
    """The pages' stylesheet (``templates/pages.css``), for the ``<style>`` in each page's head:
    inline, it costs no request before the first paint (issue 22; linked, the stylesheet held
    the paint of a state page's long table until it arrived). The book's own file, marked safe;
    a ``</style`` in it would end the element early and is refused."""
    css = (Path(__file__).parent / "templates" / "pages.css").read_text(encoding="utf-8")
    if "</style" in css.lower():
        raise ValueError("templates/pages.css contains '</style', which would end the page's <style> early")
    return Markup(css)


@dataclass
class Site:
    """What a page needs to know of the edition it is written into."""

    lang: str
    book_title: str
    other_lang: str
    other_label: str
    other_root: str               # the other edition's root, from this edition's root
    site_url: str = ""            # the published edition's address ending in "/", or ""
    og_image: str = ""            # relative to the edition's root
    references: str = "chapters/references.html"   # with the ICE list's anchor
    chapters: dict[str, str] = field(default_factory=dict)   # docname -> title


def _page_common(site: Site, path: str, w: Words, title: str, description: str) -> dict:
    up = "../" * path.count("/")
    url = site.site_url + path if site.site_url else ""
    return {
        "lang": site.lang, "t": w.t, "nt": w.nt, "up": up, "book_title": site.book_title,
        "title": title, "description": description, "url": url,
        "og_image": (site.site_url + site.og_image) if site.site_url and site.og_image else "",
        "og_locale": {"en": "en_US", "es": "es_US"}.get(site.lang, "en_US"),
        "other": {"lang": site.other_lang, "label": site.other_label,
                  "href": up + site.other_root + path},
        "references": up + site.references,
    }


def render_state(model: Model, state: str, site: Site, env=None) -> str:
    env = env or _environment()
    w = words_for(site.lang)
    facts = model.states[state]
    path = state_path(state)
    name = w.state(state)
    change = facts.n_now - facts.n_before
    common = {"state": name, "now": w.n(facts.n_now), "before": w.n(facts.n_before),
              "date": w.date(model.latest_when), "cutoff": w.date(model.eo_date),
              "before_date": w.date(model.before_when), "change": w.n(abs(change)),
              "agreements": w.nt("{n} 287(g) agreement", "{n} 287(g) agreements", facts.n_now)}
    if facts.n_now == 0:
        lead = w.t("ICE's latest list, of {date}, has no 287(g) agreement in {state}; its last "
                   "list before {cutoff} (of {before_date}) had {before}.", **common)
    elif change > 0:
        lead = w.t("ICE's latest list, of {date}, has {agreements} in {state}, "
                   "{change} more than its last list before {cutoff} (of {before_date}), "
                   "which had {before}.", **common)
    elif change < 0:
        lead = w.t("ICE's latest list, of {date}, has {agreements} in {state}, "
                   "{change} fewer than its last list before {cutoff} (of {before_date}), "
                   "which had {before}.", **common)
    else:
        lead = w.t("ICE's latest list, of {date}, has {agreements} in {state}, as "
                   "many as its last list before {cutoff} (of {before_date}).", **common)
    title = w.t("287(g) agreements in {state}", state=name)
    agencies = {}
    for a in facts.agreements:
        agencies.setdefault(a.agency_id, []).append(a)
    table = []
    for agency_id, mine in agencies.items():
        agency = model.agencies[agency_id]
        table.append({
            "agency": agency.name, "href": "../" + agency_path(agency_id),
            "county": next((a.county_name for a in mine if a.county_name), ""),
            "listed": any(a.spells and a.spells[-1] == len(model.when) - 1 for a in mine),
            "agreements": [{
                "aid": a.aid, "model": w.support(a.support_type) or w.t("(no model)"),
                "as": a.agency if a.agency != agency.name else "",
                "signed": w.t("signed {date}", date=w.date(a.signed)) if a.signed
                else w.t("no signing date"),
                "status": status(a, model, w), "moa": moa_link(a.moa, w)} for a in mine]})
    table.sort(key=lambda row: row["agency"].casefold())
    requests = [{"agency": r["agency"], "model": w.support(r["support_type"]),
                 "county": str(r.get("county") or "")} for _, r in facts.requests.iterrows()]

    def named(frame, col="agency"):
        return [{"agency": r[col], "model": w.support(r["support_type"]),
                 "signed": w.date(r["signed"]) if str(r.get("signed") or "") else ""}
                for _, r in frame.iterrows()]

    from . import story

    actions = None
    if len(facts.actions):
        from .safe_html import compact_table

        shown = story.local_actions_table(facts.actions, model.sources, lang=site.lang)
        # Dates for people, to the precision the table records (day, month or year).
        when = {r["date"]: (w.date(r["date"]) if r["date_precision"] == "day" else
                            i18n.format_month(r["date"], site.lang)
                            if r["date_precision"] == "month" else str(r["date"]))
                for _, r in facts.actions.iterrows()}
        date_col = w.t("Date")
        shown[date_col] = [when.get(d, d) for d in shown[date_col]]
        actions = Markup(compact_table(shown,
                                       w.t("Local actions about 287(g) in {state} in this book",
                                           state=name), table_class="pg-table pg-narrow"))
    chapters = [{"href": "../" + doc + ".html", "title": site.chapters.get(doc, doc)}
                for doc in STATE_CHAPTERS.get(state, ())]
    churn_rows = [{"date": w.date(r["published_at"]), "added": w.n(r["added"]),
                   "removed": w.n(r["removed"])} for _, r in facts.churn.iterrows()]
    slug = state_slug(state)
    context = _page_common(site, path, w, title, lead)
    context.update(
        kind="state", state=name, lead=lead, gap_note=gap_note(model, w), facts=facts, n_agreements=w.n(len(facts.agreements)),
        n_agencies=w.n(len(agencies)),
        agreements_count=w.nt("{n} agreement", "{n} agreements", len(facts.agreements)),
        agencies_count=w.nt("{n} agency", "{n} agencies", len(agencies)),
        chart=series_svg(facts, model, w),
        map=county_map_svg(facts, w), agreements=table, requests=requests,
        pending_date=w.date(model.pending_when) if model.pending_when is not None else "",
        joined=named(facts.joined), left=named(facts.left),
        edited=[{"before": r["agency_before"], "after": r["agency_after"],
                 "model": w.support(r["support_type"])} for _, r in facts.edited.iterrows()],
        change_old=w.date(model.change_old), change_new=w.date(model.change_new),
        churn=churn_rows, actions=actions, chapters=chapters,
        feed=FEED_STATE.format(slug=slug), feed_all=FEED_ALL,
        source_date=w.date(model.latest_when))
    return env.get_template("state.html").render(**context)


def render_agency(model: Model, agency_id: str, site: Site, env=None) -> str:
    env = env or _environment()
    w = words_for(site.lang)
    agency = model.agencies[agency_id]
    path = agency_path(agency_id)
    last = len(model.when) - 1
    n_now = sum(1 for a in agency.agreements if a.spells and a.spells[-1] == last)
    state = w.state(agency.state) if agency.state else ""
    if len(agency.agreements) == 1:
        lead = w.t("{agency} ({state}): 1 agreement on ICE's lists. {status}.",
                   agency=agency.name, state=state, status=status(agency.agreements[0], model, w))
    else:
        lead = w.nt("{agency} ({state}): {total} agreements on ICE's lists, {n} of them on the "
                    "latest list, of {date}.",
                    "{agency} ({state}): {total} agreements on ICE's lists, {n} of them on the "
                    "latest list, of {date}.", n_now,
                    zero="{agency} ({state}): {total} agreements on ICE's lists, none of them on "
                    "the latest list, of {date}.", agency=agency.name, state=state,
                    total=w.n(len(agency.agreements)), date=w.date(model.latest_when))
    rows = []
    for a in agency.agreements:
        replaced = model.by_aid.get(a.next)
        rows.append({
            "aid": a.aid, "name": a.agency, "model": w.support(a.support_type),
            "type": w.label(a.agency_type), "county": county_text(a, w),
            "signed": w.date(a.signed) if a.signed else "",
            "first": w.date(model.when[a.spells[0]]) if a.spells else "",
            "last": w.date(model.when[a.spells[-1]]) if a.spells else "",
            "status": status(a, model, w), "moa": moa_link(a.moa, w),
            "addendum": moa_link(a.addendum, w, "its addendum (PDF, ice.gov)"),
            "edit": (w.t("ICE then listed it as “{agency}”, signed {signed}",
                         agency=replaced.agency, signed=w.date(replaced.signed) if replaced.signed
                         else w.t("(no date)")) if replaced else ""),
        })
    title = agency.name
    description = lead
    context = _page_common(site, path, w, title, description)
    context.update(
        kind="agency", lead=lead, agency=agency, rows=rows, names=agency.names[1:],
        state_name=state, state_href="../" + state_path(agency.state) if agency.state in model.states else "",
        history=history_svg(agency, model, w), source_date=w.date(model.latest_when))
    return env.get_template("agency.html").render(**context)


def write_all(model: Model, outdir: Path | str, site: Site) -> dict[str, int]:
    """Write every state's and agency's page of one edition into ``outdir`` (the edition's
    root). Pages of states or agencies no longer in the data are removed. Returns the counts."""
    outdir = Path(outdir)
    env = _environment()
    written = {}
    for folder, keys, render, name in (
            (STATES_DIR, model.states, render_state, state_path),
            (AGENCIES_DIR, model.agencies, render_agency, agency_path)):
        target = outdir / folder
        target.mkdir(parents=True, exist_ok=True)
        wanted = set()
        for key in keys:
            rel = name(key)
            wanted.add(Path(rel).name)
            text = render(model, key, site, env)
            path = outdir / rel
            # Rewritten only when it changed (a warm build then writes almost nothing).
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
        for old in target.glob("*.html"):
            if old.name not in wanted:
                old.unlink()
        written[folder] = len(wanted)
    return written


def state_names(agreements: pd.DataFrame) -> list[str]:
    """The states (and territories) that have a page: every state of agreements.csv, i.e.
    every state any list of ICE's in the archive named (ICE's spelling, sorted)."""
    return sorted({str(s) for s in agreements["state"] if str(s).strip()})


#: The id of the index of state pages on the page that holds it (the explorer links it).
STATE_INDEX_ID = "state-pages"


def state_index_html(processed_dir: Path | str | None = None, lang: str | None = None,
                     prefix: str = "../") -> Markup:
    """Links to every state's page, for a chapter (the maps page): each state ever listed,
    by its name in ``lang`` (default: the language in use), alphabetically as the language
    writes it. ``prefix`` leads from the chapter to the edition's root."""
    from . import load

    lang = i18n.resolve(lang)
    w = words_for(lang)
    states = state_names(load.agreements(processed_dir))
    named = sorted(((w.state(s), s) for s in states),
                   key=lambda pair: unicodedata.normalize("NFKD", pair[0]).casefold())
    links = [markup('<li><a href="{href}">{name}</a></li>', href=prefix + state_path(s), name=n)
             for n, s in named]
    # Short names in columns, so the index stays a few screens on a phone.
    return Markup(markup('<nav class="state-pages" id="{id}" aria-label="{label}"><p>{intro}</p>',
                         id=STATE_INDEX_ID, label=w.t("Each state's page"),
                         intro=w.t("Each state or territory ICE has listed has a page of its "
                                   "own: its agreements over time, its county map, every "
                                   "agreement with ICE's document, and a feed of changes."))
                  + '<ul class="state-pages-list" style="columns:9rem;column-gap:1.5rem;'
                  'margin:0 0 1rem;padding-left:1.2rem">' + "".join(links) + "</ul></nav>")
