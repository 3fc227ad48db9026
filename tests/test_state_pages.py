"""The state pages (issue 26): ``states/<slug>.html`` and ``es/states/<slug>.html``, written by
ice287g.pages through _ext/generated_pages.py when each edition's build finishes.

Read as a reader meets them, in the built book (``built_book``; ICE287G_BUILT_HTML reuses a
build): every state ever listed has its page in both editions; the headline's counts and the
table's rows equal counts made here from data/processed with plain pandas; every local link
resolves; the feed links are there; the Spanish pages carry no English words of the page and
write dates as Spanish does; every page says which list its "before January 20, 2025" count
comes from and the gap in the archive around it; and, in chromium at 390 px, every state's page
of both editions (one visit each, every check in it: :func:`phone_problems`) does not scroll
sideways, draws its chart with text of 10 CSS px or more (and its county map), is axe-clean and
weighs less than its budget on the wire. Hostile values from ICE's sheets (tests/hostile.py's
payloads) are rendered as text by the templates. The index of every state's page
(``pages.state_index_html``, on the maps page) links each in the edition's language.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from conftest import REPO

PROCESSED = REPO / "data" / "processed"
EDITIONS = {"en": "", "es": "es/"}
SPANISH_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                  "septiembre", "octubre", "noviembre", "diciembre")
ENGLISH_DATE = re.compile(r"\b(January|February|March|April|May|June|July|August|September|"
                          r"October|November|December) \d{1,2}, \d{4}")


def slug(name: str) -> str:
    """The slug rule agreed with the feeds, written out again here (not imported)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def data():
    """Counts made here from the processed CSV files, without ice287g."""
    snaps = pd.read_csv(PROCESSED / "snapshots.csv", dtype=str, keep_default_na=False)
    snaps["when"] = pd.to_datetime(snaps["published_at"])
    order = snaps.sort_values("when", kind="stable").reset_index(drop=True)
    position = dict(zip(order["publication"], order.index))
    trend = order[order["trend_excluded"].str.lower() != "true"]
    latest = trend["publication"].iloc[-1]
    agreements = pd.read_csv(PROCESSED / "agreements.csv", dtype=str, keep_default_na=False)
    runs = pd.read_csv(PROCESSED / "listings.csv", dtype=str, keep_default_na=False)
    state_of = dict(zip(agreements["agreement_id"], agreements["state"]))

    def listed_on(pub: str) -> pd.Series:
        p = position[pub]
        on = runs[(runs["first_publication"].map(position) <= p)
                  & (runs["last_publication"].map(position) >= p)]
        return pd.Series(sorted(set(on["agreement_id"]))).map(state_of).value_counts()

    eo = pd.Timestamp("2025-01-20")
    before = trend[trend["when"] < eo]["publication"].iloc[-1]
    return {"agreements": agreements, "now": listed_on(latest), "before": listed_on(before),
            "states": sorted(set(agreements["state"]))}


def page(built_book: Path, lang: str, state: str) -> Path:
    return built_book / EDITIONS[lang] / "states" / f"{slug(state)}.html"


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("lang", EDITIONS)
def test_every_state_ever_listed_has_its_page(built_book, data, lang):
    missing = [s for s in data["states"] if not page(built_book, lang, s).is_file()]
    assert not missing, f"{lang}: no page for {missing}"
    folder = built_book / EDITIONS[lang] / "states"
    extra = {p.stem for p in folder.glob("*.html")} - {slug(s) for s in data["states"]}
    assert not extra, f"{lang}: pages of states never listed: {extra}"


HEADLINE = {
    "en": re.compile(r"has (?P<now>no|[\d,]+) 287\(g\) agreements? in .*?its last list before "
                     r"January 20, 2025 \(of [^)]*\)(?:,)? (?:which )?had (?P<before>[\d,]+)|"
                     r"has (?P<now2>[\d,]+) 287\(g\) agreements? in .*?as many as its last list"),
    "es": re.compile(r"(?:no tiene ningún acuerdo|tiene (?P<now>[\d,]+) acuerdos?) 287\(g\) en .*?"
                     r"(?:su última lista anterior al 20 de enero de 2025 \(del [^)]*\)(?:,)? "
                     r"(?:que )?tenía (?P<before>[\d,]+)|tantos como)"),
}


@pytest.mark.parametrize("lang", EDITIONS)
def test_headline_counts_equal_an_independent_count(built_book, data, lang):
    for state in data["states"]:
        lead = soup(page(built_book, lang, state)).select_one("p.pg-lead").get_text(" ", strip=True)
        found = HEADLINE[lang].search(lead)
        assert found, f"{lang} {state}: the headline does not read as expected: {lead!r}"
        now = found.groupdict().get("now") or found.groupdict().get("now2")
        now = 0 if now in (None, "no") else number(now)
        assert now == int(data["now"].get(state, 0)), f"{lang} {state}: {lead!r}"
        if found.group("before"):
            assert number(found.group("before")) == int(data["before"].get(state, 0)), \
                f"{lang} {state}: {lead!r}"
        else:  # "as many as"
            assert now == int(data["before"].get(state, 0)), f"{lang} {state}: {lead!r}"


@pytest.mark.parametrize("lang", EDITIONS)
def test_list_shows_every_agreement_of_the_state(built_book, data, lang):
    agreements = data["agreements"]
    for state in ("Florida", "Texas", "Guam", "Maine"):
        doc = soup(page(built_book, lang, state))
        items = doc.select("li.pg-agreement")
        mine = agreements[agreements["state"] == state]
        assert sorted(i["id"] for i in items) == sorted(mine["agreement_id"]), \
            f"{lang} {state}: the listed agreements are not agreements.csv's"
        text = doc.select_one("ul.pg-agencies").get_text(" ", strip=True)
        missing = [name for name in set(mine["agency"]) if name not in text]
        assert not missing, f"{lang} {state}: agency names not shown: {missing[:3]}"
        moa = [a["href"] for i in items for a in i.select("a[href^='https://']")]
        expected = [u for u in mine["moa_url"] if u]
        assert len(moa) == len(expected), f"{lang} {state}: {len(moa)} MOA links, {len(expected)}"
        assert all(urlsplit(u).hostname in ("www.ice.gov", "ice.gov") for u in moa)
        signed = mine[mine["signed"] != ""].iloc[0]
        item = doc.select_one(f'li.pg-agreement[id="{signed["agreement_id"]}"]').get_text()
        when = pd.Timestamp(signed["signed"])
        expected_date = (f"{when:%B} {when.day}, {when.year}" if lang == "en" else
                         f"{when.day} de {SPANISH_MONTHS[when.month - 1]} de {when.year}")
        assert expected_date in item, f"{lang} {state}: {item!r} lacks {expected_date!r}"


def generated_pages(built_book: Path) -> list[Path]:
    return [p for lang in EDITIONS for folder in ("states", "agencies")
            for p in sorted((built_book / EDITIONS[lang] / folder).glob("*.html"))]


def test_every_local_link_of_the_generated_pages_resolves(built_book):
    pages = generated_pages(built_book)
    assert len(pages) > 2 * 44, f"only {len(pages)} generated pages"
    ids: dict[Path, set[str]] = {}
    broken = []
    for path in pages:
        text = path.read_text(encoding="utf-8")
        for href in set(re.findall(r'(?:href|src)="([^"]*)"', text)):
            parts = urlsplit(href)
            if parts.scheme in ("http", "https"):
                continue
            assert not parts.scheme, f"{path}: a link with scheme {parts.scheme!r}: {href}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append(f"{path.relative_to(built_book)} -> {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text(encoding="utf-8")))
                if parts.fragment not in ids[target]:
                    broken.append(f"{path.relative_to(built_book)} -> {href} (no such id)")
        if len(broken) > 20:
            break
    assert not broken, "broken links:\n" + "\n".join(broken[:20])


@pytest.mark.parametrize("lang", EDITIONS)
def test_state_pages_link_their_feed(built_book, data, lang):
    follow = {"en": "Follow this state", "es": "Seguir este estado"}[lang]
    for state in data["states"]:
        doc = soup(page(built_book, lang, state))
        feed = f"../feeds/states/{slug(state)}.atom"
        heads = [link["href"] for link in doc.select('head link[rel="alternate"]')
                 if link.get("type") == "application/atom+xml"]
        assert feed in heads and "../feeds/all.atom" in heads, f"{lang} {state}: {heads}"
        visible = [a for a in doc.select("main a") if a.get("href") == feed]
        assert visible and visible[0].get_text(strip=True) == follow, f"{lang} {state}"


def test_language_switch_goes_to_the_same_state(built_book):
    en = soup(page(built_book, "en", "Florida")).select_one("a.pg-switch")["href"]
    es = soup(page(built_book, "es", "Florida")).select_one("a.pg-switch")["href"]
    here = page(built_book, "en", "Florida")
    assert (here.parent / en).resolve() == page(built_book, "es", "Florida").resolve()
    there = page(built_book, "es", "Florida")
    assert (there.parent / es).resolve() == here.resolve()


def test_florida_links_key_west_and_its_local_actions(built_book):
    doc = soup(page(built_book, "en", "Florida"))
    hrefs = [a["href"] for a in doc.select("section[aria-labelledby=in-book] a")]
    assert "../chapters/key-west.html" in hrefs
    actions = pd.read_csv(REPO / "data" / "curated" / "local_actions.csv", dtype=str)
    table = doc.select("section[aria-labelledby=in-book] table tbody tr")
    assert len(table) == int((actions["state"] == "FL").sum())


def page_words(doc: BeautifulSoup) -> str:
    """The page's own words: its text without ICE's values (agency names and counties), which
    stay as ICE wrote them."""
    for cell in doc.select("a[href*='agencies/'], .pg-muted"):
        cell.decompose()
    return doc.get_text(" ", strip=True)


def test_spanish_pages_have_no_english_words_of_the_page(built_book, data):
    from ice287g import i18n

    catalogue = i18n.catalogue("es")
    pages_po = (REPO / "ice287g" / "locale" / "es" / "LC_MESSAGES" / "pages.po").read_text()
    english = set(re.findall(r'^msgid "(.+)"$', pages_po, re.M))
    # The fixed parts of each English text (between its placeholders) that Spanish changes.
    fragments = {part.strip() for text in english if catalogue.get(text, text) != text
                 for part in re.split(r"\{[^}]*\}", text) if len(part.strip()) >= 8}
    for state in ("Florida", "Texas", "Guam", "Maine", "New York"):
        doc = soup(page(built_book, "es", state))
        assert doc.html["lang"] == "es"
        text = page_words(doc)
        leaks = sorted(f for f in fragments if f in text)
        assert not leaks, f"es {state}: English words of the page: {leaks[:5]}"
        assert not ENGLISH_DATE.search(text), f"es {state}: an English date {ENGLISH_DATE.search(text)}"
        dates = re.findall(r"\b\d{1,2} de ([a-z]+) de \d{4}", text)
        assert dates and set(dates) <= set(SPANISH_MONTHS), f"es {state}: dates {set(dates)}"
        assert re.search(r"\b(January|February|March|April|June|July|August|September|October|"
                         r"November|December)\b", text) is None, f"es {state}: an English month"


def test_page_carries_a_title_description_and_preview_card(built_book):
    for lang, title in (("en", "287(g) agreements in Florida"), ("es", "Acuerdos 287(g) en Florida")):
        doc = soup(page(built_book, lang, "Florida"))
        assert doc.select_one("h1").get_text() == title
        assert doc.title.get_text().startswith(title)
        meta = {m.get("property") or m.get("name"): m.get("content") for m in doc.select("head meta")}
        assert meta["og:title"] == title
        assert meta["description"] == meta["og:description"]
        assert meta["description"] == doc.select_one("p.pg-lead").get_text()
        assert meta["og:locale"] == {"en": "en_US", "es": "es_US"}[lang]


def test_chart_alt_text_is_computed_from_the_numbers(built_book, data):
    doc = soup(page(built_book, "en", "Florida"))
    svg = doc.select_one("svg.pg-chart")
    assert svg["role"] == "img"
    alt = svg.select_one("title").get_text()
    now, before = int(data["now"]["Florida"]), int(data["before"]["Florida"])
    assert f"{before:,d} on the last list before January 20, 2025" in alt
    assert alt.endswith(f"and {now:,d} on the latest."), alt
    axis_labels = doc.select("figure .pg-axis")
    assert len(axis_labels) == 2 and all(a.get_text(strip=True) for a in axis_labels)
    assert doc.select_one("p.pg-source a[href*='references.html#']")


# --------------------------------------------------------------------------- hostile values
@pytest.fixture(scope="module")
def model():
    from ice287g import pages

    return pages.load_model()


def test_hostile_values_are_rendered_as_text(model):
    """Every untrusted field of an agreement (agency, county, agency type, support type, MOA
    link) carries one of tests/hostile.py's payloads: the rendered pages hold them as text,
    never as an element, an attribute or a javascript: link."""
    import copy

    sys.path.insert(0, str(REPO / "tests"))
    import hostile
    from ice287g import pages

    payloads = [hostile.IMG, hostile.SCRIPT, hostile.CLOSE_SCRIPT, hostile.SVG_STATE,
                hostile.MD_LINK, hostile.COMMENT, hostile.SEPARATORS, hostile.UNKNOWN_SUPPORT]
    m = copy.deepcopy(model)
    facts = m.states["Florida"]
    for i, a in enumerate(facts.agreements[:len(payloads)]):
        a.agency = payloads[i]
        a.county = payloads[-1 - i]
        a.agency_type = hostile.UNKNOWN_TYPE
        a.support_type = hostile.UNKNOWN_SUPPORT if i % 2 else a.support_type
        a.moa = hostile.JS_URL
    # and the counties the book adds: one Find an agency derives, one the table corrects
    facts.agreements[0].county, facts.agreements[0].place = "", [hostile.CLOSE_SCRIPT, "table"]
    facts.agreements[1].place = [hostile.SCRIPT, "corrected"]
    facts.joined = facts.joined.head(0)
    for lang, other in (("en", "es"), ("es", "en")):
        site = pages.Site(lang=lang, book_title="<b>t</b>", other_lang=other, other_label="x",
                          other_root="../")
        html = pages.render_state(m, "Florida", site)
        agency_ids = {a.agency_id for a in facts.agreements[:len(payloads)]}
        html += "".join(pages.render_agency(m, aid, site) for aid in agency_ids)
        doc = BeautifulSoup(html, "html.parser")
        assert not doc.select("img, script, svg[onload], b, i"), f"{lang}: an element from a payload"
        assert not [t for t in doc.find_all(True) for k in t.attrs if k.startswith("on")]
        assert "javascript:" not in " ".join(a.get("href", "") for a in doc.select("a"))
        text = doc.get_text()
        for p in (hostile.IMG, hostile.SCRIPT, hostile.CLOSE_SCRIPT):
            assert p in text, f"{lang}: {p!r} is not shown as text"


def test_slug_rule():
    from ice287g.pages import state_slug

    for name, expected in (("New York", "new-york"), ("District of Columbia",
                                                      "district-of-columbia"),
                           ("Puerto Rico", "puerto-rico"), ("Northern Mariana Islands",
                                                            "northern-mariana-islands"),
                           ("  Añasco -- Co. ", "anasco-co")):
        assert state_slug(name) == expected


#: Places with agreements that the Census map shapes (50 states and DC) do not draw.
TERRITORIES = {"Guam", "Northern Mariana Islands", "Puerto Rico", "U.S. Virgin Islands",
               "Virgin Islands", "American Samoa"}


def people_date(when: pd.Timestamp, lang: str) -> str:
    return (f"{when:%B} {when.day}, {when.year}" if lang == "en" else
            f"{when.day} de {SPANISH_MONTHS[when.month - 1]} de {when.year}")


@pytest.mark.parametrize("lang", EDITIONS)
def test_pages_say_which_list_the_before_count_comes_from(built_book, lang):
    """The archive has no list between the last one before January 20, 2025 and the next:
    every state's page says so, with both lists' dates and the days to the cutoff, as
    snapshots.csv has them (counted here, without ice287g)."""
    snaps = pd.read_csv(PROCESSED / "snapshots.csv", dtype=str, keep_default_na=False)
    snaps = snaps[snaps["trend_excluded"].str.lower() != "true"]
    when = sorted(pd.to_datetime(snaps["published_at"]))
    eo = pd.Timestamp("2025-01-20")
    before = max(t for t in when if t < eo)
    after = min(t for t in when if t > before)
    days = (eo - before.normalize()).days
    assert days > 31, "the archive has a list within a month of the cutoff: no gap to explain"
    expected = {"en": (f"no list of ICE's was captured between {people_date(before, 'en')} and "
                       f"{people_date(after, 'en')}", f"the list of {people_date(before, 'en')}, "
                       f"{days} days earlier"),
                "es": (f"no se capturó ninguna lista de ICE entre el {people_date(before, 'es')} "
                       f"y el {people_date(after, 'es')}", f"la lista del "
                       f"{people_date(before, 'es')}, {days} días antes")}[lang]
    folder = built_book / EDITIONS[lang] / "states"
    pages = sorted(folder.glob("*.html"))
    assert len(pages) >= 40
    for path in pages:
        doc = soup(path)
        note = doc.select_one("main p.pg-gap")
        assert note is not None, f"{lang} {path.name}: no note on the gap"
        text = note.get_text(" ", strip=True)
        assert all(part in text for part in expected), f"{lang} {path.name}: {text!r}"
        # it follows the headline, whose "before" list is the same one
        lead = doc.select_one("p.pg-lead")
        assert lead.find_next_sibling("p") is note
        assert people_date(before, lang) in lead.get_text()


def test_key_west_police_is_placed_in_monroe_county_on_florida_s_page(built_book):
    """ICE's row for the Key West Police Department names no county; the cited table of
    places (data/curated/places.csv) puts Key West in Monroe County: Florida's page says so
    beside the agency, in both editions."""
    places = pd.read_csv(REPO / "data" / "curated" / "places.csv", dtype=str,
                         keep_default_na=False)
    county = places[(places["state"] == "Florida") & (places["place"] == "Key West")
                    & (places["ice_county"] == "")]["county"].iloc[0]
    for lang in EDITIONS:
        doc = soup(page(built_book, lang, "Florida"))
        item = next(li for li in doc.select("li.pg-agency")
                    if li.a.get_text() == "Key West Police Department")
        assert item.select_one(".pg-muted").get_text(strip=True) == f"· {county}", lang


def test_state_index_links_every_state_page_in_the_language():
    from ice287g import pages
    from ice287g.words import state_name

    agreements = pd.read_csv(PROCESSED / "agreements.csv", dtype=str, keep_default_na=False)
    states = sorted(set(agreements["state"]) - {""})
    for lang in EDITIONS:
        doc = BeautifulSoup(str(pages.state_index_html(lang=lang)), "html.parser")
        nav = doc.select_one("nav#state-pages")
        assert nav is not None and nav["aria-label"]
        links = [(a.get_text(), a["href"]) for a in nav.select("li a")]
        assert sorted(h for _, h in links) == sorted(f"../states/{slug(s)}.html" for s in states)
        names = {f"../states/{slug(s)}.html": state_name(s, lang) for s in states}
        assert all(text == names[href] for text, href in links), lang
        import unicodedata
        plain = [unicodedata.normalize("NFD", t).encode("ascii", "ignore").decode().casefold()
                 for t, _ in links]
        assert plain == sorted(plain), f"{lang}: not in alphabetical order"
    spanish = BeautifulSoup(str(pages.state_index_html(lang="es")), "html.parser").get_text()
    assert "Carolina del Norte" in spanish and "North Carolina" not in spanish


# --------------------------------------------------------------------------- in chromium
#: In one visit of a generated page: its widths, the text of its charts as drawn (font size
#: times the SVG's scale on screen, in CSS px) and its chart's box.
PHONE_JS = """
() => {
  const doc = document.documentElement;
  const sizes = [...document.querySelectorAll('svg text')].filter(t => t.getClientRects().length)
    .map(t => parseFloat(getComputedStyle(t).fontSize) * Math.abs(t.getScreenCTM().a));
  const chart = document.querySelector('svg.pg-chart, svg.pg-history');
  const box = chart ? chart.getBoundingClientRect() : null;
  const line = document.querySelector('svg.pg-chart polyline, svg.pg-history rect.bar');
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, sizes,
          chart: box && [box.width, box.height],
          drawn: !!line && line.getClientRects().length > 0 && line.getBoundingClientRect().width > 0,
          map: !!document.querySelector('svg.pg-map') &&
               document.querySelector('svg.pg-map').getBoundingClientRect().width > 0};
}
"""


def phone_problems(browser, base: str, paths: list[str]) -> tuple[list[str], dict]:
    """Visit each generated page once at 390 px, served gzipped as GitHub Pages serves it, and
    check in that visit: nothing failed or left 127.0.0.1, no console or page error; no
    sideways scroll; axe-core finds no serious or critical violation; every chart text is at
    least 10 CSS px as drawn; the chart (and a state's map) drawn; the bytes on the wire
    (cache disabled: as a first visit) within the page budget. Returns the problems found
    and, per page, what was measured.

    The pages have no script and load nothing later, so one tab goes from page to page (the
    load event, no wait for an idle network) with axe-core injected into every document once
    for the whole run: about a third of the CPU and wall time of a fresh context per page
    (book_browser.open_page), which the book's pages need for their widgets and lazy images."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from urllib.parse import urlsplit as split

    import page_weight
    from book_browser import AXE_RUN_JS, LOCAL_HOST, OVERFLOW_JS, PHONE, Visit, WireCount, axe_source

    axe = axe_source()
    assert axe is not None, "node_modules lacks axe-core (npm ci)"
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
    context.add_init_script(axe)
    visit = Visit(base)

    def route(route_):
        if split(route_.request.url).hostname != LOCAL_HOST:
            visit.external_requests.append(route_.request.url)
            route_.abort()
        else:
            route_.continue_()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda err: visit.page_errors.append(str(err)))
    tab.on("response", lambda r: visit.failed_requests.append(f"HTTP {r.status} {r.url}")
           if r.status >= 400 else None)
    tab.on("requestfailed", lambda r: visit.failed_requests.append(f"{r.failure} {r.url}"))
    problems, seen = [], {}
    try:
        for path in paths:
            visit = Visit(base + path)
            count = WireCount()
            cdp = count.attach(context, tab)
            tab.goto(base + path, wait_until="load")
            found = tab.evaluate(PHONE_JS)
            # The protocol's last loadingFinished events may come after the load event: wait
            # until the count holds still (a few ms; two seconds at most).
            for _ in range(40):
                before = count.wire
                tab.wait_for_timeout(50)
                if before and count.wire == before:
                    break
            wire = count.snapshot().wire
            cdp.detach()
            wide = tab.evaluate(OVERFLOW_JS)["wide"] if found["scrollWidth"] > found["clientWidth"] else []
            violations = tab.evaluate(AXE_RUN_JS)["violations"]
            seen[path] = {"wire": wire, **found}
            mine = list(visit.problems())
            if found["scrollWidth"] > found["clientWidth"]:
                mine.append(f"scrolls sideways ({found['scrollWidth']} > {found['clientWidth']}): {wide}")
            serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
            if serious:
                mine.append(f"axe: {serious}")
            if not found["sizes"] or min(found["sizes"]) < 10:
                mine.append(f"chart text under 10 px: {sorted(found['sizes'])[:3]}")
            if not found["drawn"] or not found["chart"] or found["chart"][0] < 300:
                mine.append(f"chart not drawn full width: {found['chart']}")
            if not 0 < wire <= page_weight.PAGE_BUDGET:
                mine.append(f"{wire:,d} bytes on the wire, budget {page_weight.PAGE_BUDGET:,d}")
            problems += [f"{path}: {m}" for m in mine]
    finally:
        context.close()
    return problems, seen


@pytest.mark.parametrize("lang", EDITIONS)
def test_every_state_page_on_a_phone(built_book, wire_server, chromium_browser, data, lang):
    """Every state's page of the edition, each visited once at 390 px (phone_problems)."""
    paths = [page(built_book, lang, s).relative_to(built_book).as_posix() for s in data["states"]]
    problems, seen = phone_problems(chromium_browser, wire_server.base, paths)
    assert len(seen) == len(data["states"]) >= 40
    assert not problems, "\n".join(problems[:20])
    # Every state but the territories (which the map shapes do not draw) shows its county map.
    no_map = {s for s in data["states"]
              if not seen[page(built_book, lang, s).relative_to(built_book).as_posix()]["map"]}
    assert no_map <= TERRITORIES, f"{lang}: no county map drawn for {sorted(no_map - TERRITORIES)}"


# ------------------------------------------------------------ a warm build skips unchanged pages
def _generated_pages():
    sys.path.insert(0, str(REPO / "_ext"))
    import generated_pages

    return generated_pages


def test_the_pages_are_made_again_only_when_an_input_changes(tmp_path):
    """_ext/generated_pages.py skips making the 3,300 pages when the digest of their inputs
    (the edition's settings, Find an agency's data, data/processed, data/curated, the package)
    matches the last build's and every page it wrote is there (issue 22: warm build <= 5 s)."""
    from ice287g import pages

    gp = _generated_pages()
    root = tmp_path / "repo"
    for folder in ("processed", "curated"):
        (root / "data" / folder).mkdir(parents=True)
        (root / "data" / folder / "x.csv").write_text("a\n1\n", encoding="utf-8")
    data_file = tmp_path / "agreements.js"
    data_file.write_bytes(b"data")
    site = pages.Site(lang="es", book_title="B", other_lang="en", other_label="English",
                      other_root="../")
    digest = gp.inputs_digest(root, site, data_file)
    assert digest == gp.inputs_digest(root, site, data_file)
    # Each input moves it.
    (root / "data" / "curated" / "x.csv").write_text("a\n2\n", encoding="utf-8")
    assert gp.inputs_digest(root, site, data_file) != digest
    digest = gp.inputs_digest(root, site, data_file)
    data_file.write_bytes(b"data2")
    assert gp.inputs_digest(root, site, data_file) != digest
    digest = gp.inputs_digest(root, site, data_file)
    other = pages.Site(lang="en", book_title="B", other_lang="es", other_label="Español",
                       other_root="es/")
    assert gp.inputs_digest(root, other, data_file) != digest
    # The stamp: the same digest and every written page present.
    out = tmp_path / "html"
    for folder, n in ((pages.STATES_DIR, 2), (pages.AGENCIES_DIR, 3)):
        (out / folder).mkdir(parents=True)
        for i in range(n):
            (out / folder / f"{i}.html").write_text("x", encoding="utf-8")
    stamp = tmp_path / gp.STAMP
    assert not gp._unchanged(stamp, digest, out)  # no stamp yet
    stamp.write_text(f'{{"digest": "{digest}", "written": {{"{pages.STATES_DIR}": 2, '
                     f'"{pages.AGENCIES_DIR}": 3}}}}', encoding="utf-8")
    assert gp._unchanged(stamp, digest, out)
    assert not gp._unchanged(stamp, "other", out)
    (out / pages.AGENCIES_DIR / "1.html").unlink()  # a page removed by hand is made again
    assert not gp._unchanged(stamp, digest, out)


def test_the_package_is_part_of_the_pages_inputs(tmp_path, monkeypatch):
    """A change to the package's code, templates or catalogues makes the pages again."""
    from ice287g import pages

    gp = _generated_pages()
    package = tmp_path / "ice287g"
    for rel in ("pages.py", "templates/state.html", "templates/pages.css",
                "locale/es/LC_MESSAGES/pages.po", "notes.txt"):
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text("v1", encoding="utf-8")
    monkeypatch.setattr(pages, "__file__", str(package / "pages.py"))
    site = pages.Site(lang="en", book_title="B", other_lang="es", other_label="Español",
                      other_root="es/")
    before = gp.inputs_digest(tmp_path, site, tmp_path / "none.js")
    for rel in ("pages.py", "templates/state.html", "templates/pages.css",
                "locale/es/LC_MESSAGES/pages.po"):
        (package / rel).write_text("v2", encoding="utf-8")
        after = gp.inputs_digest(tmp_path, site, tmp_path / "none.js")
        assert after != before, rel
        before = after
    (package / "notes.txt").write_text("v2", encoding="utf-8")  # not an input
    assert gp.inputs_digest(tmp_path, site, tmp_path / "none.js") == before
