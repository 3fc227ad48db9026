"""Atom feeds that tell readers when ICE's 287(g) list changes (issue 26): one for the whole
list and one per state (every state or territory ever listed), in each edition.

One entry per trend list that changed the feed's scope: the agreements that joined, left and
were edited on it, each named, with a link to its agreement (MOA, on ice.gov only:
:func:`ice287g.lookup.safe_link`) and to the state's page. Joined, left and edited are
:func:`ice287g.diff.compare`'s, the "What changed" page's definitions, computed for every pair
of consecutive trend lists whose agreements differ (:func:`list_changes`), never redefined here.

Everything is a pure function of ``data/processed`` and the site's address: entry ids are
``tag:`` URIs made of the site's host, the feeds' fixed year (:data:`TAG_YEAR`), the edition,
the scope and the list's publication key, so they stay the same from build to build; an entry's
``updated`` is its list's date, a feed's is its latest entry's (no build time anywhere). Feeds
keep the latest :data:`MAX_ENTRIES` entries.

ICE's text is untrusted: the XML is written by :mod:`xml.etree.ElementTree` (which escapes it),
after removing the characters XML 1.0 cannot carry (:func:`xml_text`); links go only to ICE's
site or the book's own pages.

Paths in a built edition (``es/`` in front for the Spanish one): ``feeds/all.atom`` and
``feeds/states/<slug>.atom`` (:func:`ice287g.pages.state_slug`); the state pages are
``states/<slug>.html``.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from . import diff, files, i18n
from .i18n import tr
from .lookup import safe_link
from .pages import state_slug

ATOM = "http://www.w3.org/2005/Atom"
XHTML = "http://www.w3.org/1999/xhtml"
#: Entries per feed: the latest lists that changed it.
MAX_ENTRIES = 50
#: Agreements named per section of an entry (joined, left, edited); the rest are counted and
#: the state pages list them (ICE's May 2025 lists added hundreds at once).
MAX_NAMED = 25
#: The year in every entry id's ``tag:`` authority (the year the feeds began; fixed, so ids
#: never change with the build's date).
TAG_YEAR = 2026
#: Where the feeds and the state pages are, inside an edition.
ALL_FEED = "feeds/all.atom"
STATE_FEED = "feeds/states/{slug}.atom"
STATE_PAGE = "states/{slug}.html"
TIME_MAP_PAGE = "chapters/time-map.html"

def _w():
    """The book's words module (publication labels, state names), imported when a feed is
    written: the update's pull request section (:func:`changed_outputs_markdown`) needs none."""
    from . import words

    return words


_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str:
    """``value`` as text XML 1.0 can carry: blank for a missing value, and without the
    control characters and lone surrogates XML forbids (ElementTree would write them and the
    feed would not parse)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _NOT_XML.sub("", str(value))


# --------------------------------------------------------------------------- the changes
@dataclass
class ListChange:
    """What one trend list changed: ``pub`` is its row of snapshots.csv; ``joined``, ``left``
    (frames with state, agency, support_type, signed, moa_url) and ``edited`` (diff's edited
    table, plus ``moa_url`` and ``states``: the states before and after) as
    :func:`ice287g.diff.compare` gives them."""

    pub: dict
    joined: pd.DataFrame
    left: pd.DataFrame
    edited: pd.DataFrame

    @property
    def key(self) -> str:
        return str(self.pub[diff.PUB])

    def states(self) -> set[str]:
        out = set(self.joined["state"]) | set(self.left["state"])
        for states in self.edited["states"]:
            out |= set(states)
        return {s for s in out if isinstance(s, str) and s}

    def for_state(self, state: str) -> ListChange:
        edited = self.edited[[state in s for s in self.edited["states"]]]
        return ListChange(pub=self.pub, joined=self.joined[self.joined["state"] == state],
                          left=self.left[self.left["state"] == state], edited=edited)

    def __bool__(self) -> bool:
        return bool(len(self.joined) or len(self.left) or len(self.edited))


def _slim(side: diff.Side, keys: list, by_pub: dict) -> diff.Side:
    """``side`` holding only the publications ``keys`` (what :func:`diff.compare` reads of
    two lists), so a comparison does not scan every list's rows; no pending lists."""
    ds = side.ds
    parts = [by_pub[k] for k in keys if k in by_pub]
    ds2 = dataclasses.replace(
        ds, pubs=ds.pubs[ds.pubs[diff.PUB].isin(keys)],
        presence=pd.concat(parts) if parts else ds.presence.iloc[0:0])
    return dataclasses.replace(side, ds=ds2, pending=side.pending.iloc[0:0])


def list_changes(side: diff.Side, *, states_limit: int | None = MAX_ENTRIES,
                 lists: int | None = None) -> list[ListChange]:
    """Every consecutive pair of trend lists whose agreements differ, as a :class:`ListChange`
    of the later one, oldest first. With ``states_limit``, only the lists among the latest
    ``states_limit`` that changed the whole list or any one state are compared (the others
    would fall outside every feed); with ``lists``, only pairs among the last ``lists`` trend
    lists."""
    trend = side.trend
    if lists is not None:
        trend = trend.tail(lists).reset_index(drop=True)
    keys = list(trend[diff.PUB])
    pres = side.ds.presence
    by_pub = {k: g for k, g in pres.groupby(diff.PUB, sort=False)}
    ids = {k: set(by_pub[k][diff.AID]) if k in by_pub else set() for k in keys}
    state_of = dict(zip(side.ds.agreements[diff.AID], side.ds.agreements["state"]))
    touched: list[tuple[int, set]] = []
    for i in range(1, len(keys)):
        moved = ids[keys[i - 1]] ^ ids[keys[i]]
        if moved:
            touched.append((i, {state_of.get(a, "") for a in moved}))
    wanted = {i for i, _ in touched}
    if states_limit is not None:
        wanted = {i for i, _ in touched[-states_limit:]}
        per_state: dict[str, list[int]] = {}
        for i, states in touched:
            for s in states:
                per_state.setdefault(s, []).append(i)
        for found in per_state.values():
            wanted |= set(found[-states_limit:])
    states_by_aid = state_of
    moa = dict(zip(side.ds.agreements[diff.AID], side.ds.agreements["moa_url"])) \
        if "moa_url" in side.ds.agreements.columns else {}
    out = []
    for i in sorted(wanted):
        old, new = keys[i - 1], keys[i]
        slim = _slim(side, [old, new], by_pub)
        change = diff.compare(slim, slim, old_key=old, new_key=new, qa=False,
                              after=trend[diff.WHEN].iloc[i - 1])
        edited = change.edited.copy()
        edited["moa_url"] = [moa.get(a, "") for a in edited.get("agreement_id_after", [])]
        edited["states"] = [
            tuple(dict.fromkeys(x for x in (states_by_aid.get(b, ""), states_by_aid.get(a, ""))
                                if x))
            for b, a in zip(edited.get("agreement_id_before", []),
                            edited.get("agreement_id_after", []))]
        out.append(ListChange(pub=trend.iloc[i].to_dict(), joined=change.joined,
                              left=change.left, edited=edited))
    return [c for c in out if c]


def ever_listed_states(side: diff.Side) -> list[str]:
    """Every state (or territory) that ever had an agreement on a trend list, sorted."""
    return sorted({s for s in side.ds.presence["state"] if isinstance(s, str) and s})


# --------------------------------------------------------------------------- the words
def _count_words(change: ListChange, lang: str) -> str:
    parts = []
    for n, one, many in ((len(change.joined), "{n} agreement joined", "{n} agreements joined"),
                         (len(change.left), "{n} agreement left", "{n} agreements left"),
                         (len(change.edited), "{n} agreement edited", "{n} agreements edited")):
        if n:
            parts.append(tr(one if n == 1 else many, lang=lang, n=i18n.format_int(n, lang)))
    return _w().join_names(parts, lang)


def entry_title(change: ListChange, lang: str, state: str | None = None) -> str:
    """"List of May 18, 2026 (a.m.): 2 agreements joined and 1 left" (with the state first in
    a state's feed)."""
    label = _w().publication_label(change.pub, lang)
    if state:
        text = tr("{state}, list of {date}: {changes}", lang=lang,
                  state=_w().state_name(state, lang), date=label,
                  changes=_count_words(change, lang))
    else:
        text = tr("List of {date}: {changes}", lang=lang, date=label,
                  changes=_count_words(change, lang))
    return xml_text(text)


def _agreement_words(row, lang: str, agency: str) -> str:
    signed = row.get("signed")
    support = _w().support_type_label(row.get("support_type"), lang)
    if signed is not None and not (not isinstance(signed, str) and pd.isna(signed)) \
            and str(signed):
        try:
            day = i18n.format_date(signed, lang)
        except ValueError:
            day = str(signed)
        return tr("{agency} ({state}), {support}, signed {date}", lang=lang, agency=agency,
                  state=_w().state_name(row.get("state") or "", lang), support=support, date=day)
    return tr("{agency} ({state}), {support}", lang=lang, agency=agency,
              state=_w().state_name(row.get("state") or "", lang), support=support)


# --------------------------------------------------------------------------- the XML
@dataclass
class Site:
    """Where the edition is published: ``base`` is the edition's root address, ending in "/"
    (``https://o.github.io/r/`` or ``.../r/es/``); ``lang`` its language."""

    base: str
    lang: str
    title: str = "287(g) in Key West"
    author: str = "the 287(g) in Key West data desk"
    _host: str = field(init=False, default="")

    def __post_init__(self):
        if not self.base.endswith("/"):
            self.base += "/"
        self._host = urlsplit(self.base).hostname or "localhost"

    def url(self, path: str) -> str:
        return self.base + path

    def tag(self, scope: str, key: str = "") -> str:
        """A ``tag:`` URI (RFC 4151) for a feed (``key`` blank) or one of its entries."""
        path = urlsplit(self.base).path.strip("/")
        if path == self.lang or path.endswith("/" + self.lang):  # the edition's folder (es/)
            path = path[:-len(self.lang)].rstrip("/")
        path = path.replace("/", ".") or "book"
        tail = f"/{key}" if key else ""
        return f"tag:{self._host},{TAG_YEAR}:{path}/{self.lang}/{scope}{tail}"


def _sub(parent, tag: str, text: str | None = None, ns: str = ATOM, **attrs) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ns}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _date(value) -> str:
    """An RFC 3339 time (the list's own time, as UTC: ICE's stamps carry no zone)."""
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(entry, change: ListChange, site: Site) -> None:
    lang = site.lang
    content = _sub(entry, "content", type="xhtml")
    div = _sub(content, "div", ns=XHTML)
    sections = (
        (change.joined, "Agreements that joined", "agency"),
        (change.left, "Agreements that left", "agency"),
        (change.edited, "Agreements ICE edited", "agency_after"),
    )
    for frame, heading, name_col in sections:
        if frame.empty:
            continue
        _sub(div, "h3", tr(heading, lang=lang), ns=XHTML)
        ul = _sub(div, "ul", ns=XHTML)
        if len(frame) > MAX_NAMED:
            _sub(div, "p", tr("And {n} more, listed on their states' pages.", lang=lang,
                              n=i18n.format_int(len(frame) - MAX_NAMED, lang)), ns=XHTML)
        for row in frame.head(MAX_NAMED).to_dict("records"):
            li = _sub(ul, "li", ns=XHTML)
            agency = xml_text(row.get(name_col))
            text = _agreement_words(row, lang, agency)
            if name_col == "agency_after":
                before = xml_text(row.get("agency_before"))
                # diff's own wording of an edit ("agency: A → B"), in the edition's language
                what = diff.what_changed(row.get("changes") or [], lang)
                text = tr("{agreement}: {what}", lang=lang, agreement=text,
                          what=what or before)
            li.text = xml_text(text) + " "
            state = row.get("state") or ""
            links = []
            moa = safe_link(row.get("moa_url") or "")
            if moa:
                links.append((moa, tr("the agreement (PDF, ice.gov)", lang=lang)))
            if state:
                links.append((site.url(STATE_PAGE.format(slug=state_slug(state))),
                              tr("{state}'s page", lang=lang,
                                 state=_w().state_name(state, lang))))
            for k, (href, label) in enumerate(links):
                a = _sub(li, "a", label, ns=XHTML, href=href)
                a.tail = " · " if k < len(links) - 1 else ""


def _entry(feed, change: ListChange, site: Site, scope: str, state: str | None) -> None:
    entry = _sub(feed, "entry")
    _sub(entry, "id", site.tag(scope, change.key))
    _sub(entry, "title", entry_title(change, site.lang, state))
    _sub(entry, "updated", _date(change.pub[diff.WHEN]))
    if state:
        _sub(entry, "link", rel="alternate", type="text/html",
             href=site.url(STATE_PAGE.format(slug=state_slug(state))))
    else:
        _sub(entry, "link", rel="alternate", type="text/html",
             href=site.url(TIME_MAP_PAGE) + "#list=" + list_id(change.pub))
        for s in sorted(change.states()):
            _sub(entry, "link", rel="related", type="text/html", title=_w().state_name(s, site.lang),
                 href=site.url(STATE_PAGE.format(slug=state_slug(s))))
    _content(entry, change, site)


def list_id(pub) -> str:
    """A list's name in a time-map address (``#list=2025-07-08``): its date, and ICE's part
    of day when it has one (``2025-11-04-pm``); the time map accepts a bare date too."""
    day = f"{pd.Timestamp(pub[diff.WHEN]):%Y-%m-%d}"
    part = _w().part_of_day(pub)
    return f"{day}-{part}" if part else day


def feed_xml(changes: list[ListChange], site: Site, state: str | None = None) -> bytes:
    """One Atom 1.0 feed: the whole list's (``state`` None) or one state's, with the latest
    :data:`MAX_ENTRIES` lists that changed it, newest first."""
    lang = site.lang
    if state:
        changes = [c.for_state(state) for c in changes]
        changes = [c for c in changes if c]
        scope = "states/" + state_slug(state)
        path = STATE_FEED.format(slug=state_slug(state))
        title = tr("{state}: changes to ICE's 287(g) list", lang=lang,
                   state=_w().state_name(state, lang))
        page = site.url(STATE_PAGE.format(slug=state_slug(state)))
    else:
        scope, path = "all", ALL_FEED
        title = tr("Changes to ICE's 287(g) list", lang=lang)
        page = site.url(TIME_MAP_PAGE)
    changes = changes[-MAX_ENTRIES:][::-1]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _sub(feed, "id", site.tag(scope))
    _sub(feed, "title", f"{title} — {tr(site.title, lang=lang)}")
    _sub(feed, "subtitle", tr("One entry per ICE list that changed it: the agreements that "
                              "joined, left or were edited, each named.", lang=lang))
    updated = changes[0].pub[diff.WHEN] if changes else "2021-01-01"
    _sub(feed, "updated", _date(updated))
    author = _sub(feed, "author")
    _sub(author, "name", tr(site.author, lang=lang))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=site.url(path))
    _sub(feed, "link", rel="alternate", type="text/html", href=page)
    for change in changes:
        _entry(feed, change, site, scope, state)
    ET.indent(feed, space=" ")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def write(outdir: Path | str, site: Site, side: diff.Side | None = None,
          changes: list[ListChange] | None = None) -> list[Path]:
    """Write the edition's feeds under ``outdir`` (its HTML root): ``feeds/all.atom`` and one
    ``feeds/states/<slug>.atom`` per state ever listed. Each file is written whole
    (:func:`ice287g.files.write_bytes`). Returns the paths written."""
    side = side if side is not None else diff.load_side()
    changes = changes if changes is not None else list_changes(side)
    outdir = Path(outdir)
    written = []
    targets = [(ALL_FEED, None)] + [(STATE_FEED.format(slug=state_slug(s)), s)
                                    for s in ever_listed_states(side)]
    for rel, state in targets:
        written.append(files.write_bytes(outdir / rel, feed_xml(changes, site, state)))
    return written


# --------------------------------------------------------------------------- the update PR
def changed_outputs(change: diff.Change, states: list[str] | None = None) -> dict[str, list[str]]:
    """The state pages and feeds an update changes (for its pull request): every state with
    an agreement that joined, left or was edited between the two latest lists, plus the whole
    list's feed when any did. ``{"pages": [...], "feeds": [...]}``, paths in the English
    edition (the Spanish edition's are the same under ``es/``)."""
    found = set(change.joined.get("state", [])) | set(change.left.get("state", []))
    edited = change.edited
    if len(edited):
        found |= set(edited["state"])
        for changes in edited.get("changes", []):
            for f, before, after in changes or []:
                if f == "state":
                    found |= {before, after}
    found = sorted(s for s in found if isinstance(s, str) and s)
    pages = [STATE_PAGE.format(slug=state_slug(s)) for s in found]
    feeds = ([ALL_FEED] if found else []) + [STATE_FEED.format(slug=state_slug(s)) for s in found]
    return {"states": found, "pages": pages, "feeds": feeds}


def changed_outputs_markdown(change: diff.Change, *, heading: str = "##") -> str:
    """The pull request's section naming the state pages and feeds the update changes
    (English; ICE's state names escaped as the rest of the summary is)."""
    out = changed_outputs(change)
    lines = [f"{heading} State pages and feeds that change ({len(out['states']):,})", ""]
    if not out["states"]:
        return "\n".join(lines + ["None: no agreement joined, left or was edited.", ""])
    lines += ["Each in both editions (the Spanish under `es/`).", "",
              "| State | Page | Feed |", "|---|---|---|"]
    for state, page, feed in zip(out["states"], out["pages"], out["feeds"][1:]):
        lines.append(f"| {diff.md_escape(state)} | {diff.md_code(page)} | {diff.md_code(feed)} |")
    lines += ["", f"And the whole list's feed, {diff.md_code(ALL_FEED)}.", ""]
    return "\n".join(lines)
