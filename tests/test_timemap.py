"""The map through time (issue 26): ice287g/timemap.py's numbers and page, and the built page
in chromium, both editions, at 390 px and 1366 px, over http and from file://.

A reader moves the slider with the keyboard and sees the list's date, its count and the
address change; presses Play and sees the lists step (also with reduced motion); opens a link
with ``#list=`` and gets that list; without JavaScript sees the latest map and the table.
Expected dates and counts come from snapshots.csv (the pipeline's own count of each list) and
i18n's date format, not from the page's data.
"""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from book_browser import close_page, new_tab
from ice287g import config, diff, i18n, maps, timemap

PAGE = "chapters/time-map.html"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
EDITIONS = {"en": "", "es": "es/"}


@pytest.fixture(scope="module")
def side():
    return diff.load_side()


@pytest.fixture(scope="module")
def trend():
    """The trend lists, from snapshots.csv as the pipeline wrote it."""
    snaps = pd.read_csv(config.DATA_DIR / "processed" / "snapshots.csv", dtype=str)
    snaps = snaps[snaps["trend_excluded"].str.lower() != "true"].copy()
    snaps["when"] = pd.to_datetime(snaps["published_at"])
    return snaps.sort_values("when", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- unit
def test_one_douglas_peucker_for_the_shapes_tool_and_the_time_map():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "shapes"))
    import make_us_atlas

    from ice287g import geometry

    assert make_us_atlas.douglas_peucker is geometry.douglas_peucker is timemap.douglas_peucker
    line = np.array([[0.0, 0.0], [1.0, 0.01], [2.0, 0.0], [3.0, 0.01]])
    assert (geometry.douglas_peucker(line, 0.5) == line[[0, -1]]).all()  # the ends alone
    assert (timemap.simplify(line, 0.5) == line).all()  # four points or fewer: kept whole


def test_simplify_keeps_the_ends_and_stays_within_tolerance():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2 * np.pi, 400)
    ring = np.c_[100 * np.cos(t), 60 * np.sin(t)] + rng.normal(0, 0.2, (400, 2))
    kept = timemap.simplify(ring, 1.0)
    assert 8 < len(kept) < 200
    assert (kept[0] == ring[0]).all() and (kept[-1] == ring[-1]).all()
    # every dropped point is within tolerance of the simplified outline (segment distance)
    def dist(p, a, b):
        ab, ap = b - a, p - a
        u = np.clip(np.dot(ap, ab) / max(np.dot(ab, ab), 1e-12), 0, 1)
        return np.hypot(*(ap - u * ab))
    for p in ring[::7]:
        assert min(dist(p, kept[i], kept[i + 1]) for i in range(len(kept) - 1)) <= 1.0 + 1e-9


def test_steps_count_every_list_as_the_pipeline_does(side, trend):
    data = timemap.steps(side, maps.load_shapes(), timemap.read_places())
    assert [p["publication"] for p in data["pubs"]] == list(trend["publication"])
    assert list(data["total"]) == [int(v) for v in trend["n_distinct_agreements"]]
    # every agreement is in a drawn state or counted as elsewhere; Florida's on a county or not
    assert (data["by_state"].sum(axis=1) + data["elsewhere"] == data["total"]).all()
    assert (data["by_county"].sum(axis=1) + data["unplaced"] == data["florida"]).all()
    fl = data["states"].index("Florida")
    assert (data["by_state"][:, fl] == data["florida"]).all()
    # Monroe County (Key West) has an agreement on the latest list
    monroe = list(data["counties"]["fips"]).index(maps.MONROE_FL)
    assert data["by_county"][-1, monroe] >= 1


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_step_is_named_by_its_date_and_states_its_numbers(side, trend, lang):
    data = timemap.steps(side, maps.load_shapes(), timemap.read_places())
    words = timemap.step_words(data, lang)
    n = len(trend)
    assert all(len(v) == n for v in words.values())
    assert len(set(words["ids"])) == n
    for i in (0, n // 2, n - 1):
        day = i18n.format_date(trend["when"].iloc[i], lang)
        assert words["label"][i].startswith(day)
        assert day in words["status"][i] and day in words["alt"][i]
        total = i18n.format_int(int(trend["n_distinct_agreements"].iloc[i]), lang)
        assert total in words["status"][i] and total in words["alt"][i]
        assert words["ids"][i].startswith(f"{trend['when'].iloc[i]:%Y-%m-%d}")


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.data = None
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script" and dict(attrs).get("id") == "timemap-data":
            self._in = []

    def handle_data(self, data):
        if self._in is not None:
            self._in.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in is not None:
            self.data = json.loads("".join(self._in))
            self._in = None


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_page_has_a_labelled_slider_two_maps_a_table_and_stays_small(side, lang):
    html = timemap.page_html(lang, side=side)
    p = _Collect()
    p.feed(html)
    tags = p.tags
    slider = [a for t, a in tags if t == "input" and a.get("type") == "range"]
    assert len(slider) == 1
    assert any(t == "label" and a.get("for") == slider[0]["id"] for t, a in tags)
    assert int(slider[0]["max"]) == len(p.data["ids"]) - 1 == int(slider[0]["value"])
    svgs = [a for t, a in tags if t == "svg"]
    assert [s["id"] for s in svgs] == ["timemap-us", "timemap-fl"]
    assert all(s["role"] == "img" and s["aria-labelledby"] for s in svgs)
    assert sum(1 for t, a in tags if t == "path" and "data-i" in a) > 51 + 60
    assert any(t == "noscript" for t, _ in tags) and any(t == "table" for t, _ in tags)
    assert any(t == "a" and a.get("href") == "../feeds/all.atom" for t, a in tags)
    # the page's own bytes, gzipped, leave most of the 200 KB budget to the book's theme
    assert len(gzip.compress(html.encode("utf-8"))) < 60_000
    assert not re.search(r"https?://(?!www\.w3\.org)", html)


# --------------------------------------------------------------------------- in chromium
def _open(browser, url, viewport, **context_options):
    """Open ``url`` in a fresh page: of the view's shared context (book_browser.new_tab), or of
    a context of its own with ``context_options`` (reduced motion); close it with close_page."""
    if context_options:
        phone = viewport["width"] < 600
        page = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=phone,
                                   has_touch=phone, **context_options).new_page()
    else:
        page = new_tab(browser, viewport)
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))

    def route(route_):
        u = route_.request.url
        if u.startswith("file://") or u.startswith("http://127.0.0.1"):
            route_.continue_()
        else:
            problems.append("outside: " + u)
            route_.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    return page, problems


def _hash(page) -> str:
    return page.evaluate("location.hash")


def _fills(page) -> list[str]:
    return page.locator("#timemap-us path").evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390", "1366"])
def test_the_slider_moves_with_the_keyboard(built_book, book_server, chromium_browser, trend,
                                            lang, viewport):
    page, problems = _open(chromium_browser, book_server.base + EDITIONS[lang] + PAGE, viewport)
    try:
        slider = page.locator("#timemap-slider")
        assert slider.is_visible() and page.locator("#timemap-play").is_visible()
        label = page.locator("label[for=timemap-slider]")
        assert label.is_visible()
        latest = trend.iloc[-1]
        status = page.locator("#timemap-status")
        assert i18n.format_date(latest["when"], lang) in status.inner_text()
        last_fills = _fills(page)
        slider.focus()
        page.keyboard.press("Home")
        first = trend.iloc[0]
        assert slider.input_value() == "0"
        text = status.inner_text()
        assert i18n.format_date(first["when"], lang) in text
        assert i18n.format_int(int(first["n_distinct_agreements"]), lang) in text
        assert _hash(page) == f"#list={first['when']:%Y-%m-%d}"
        assert slider.get_attribute("aria-valuetext").startswith(
            i18n.format_date(first["when"], lang))
        assert _fills(page) != last_fills
        alt = page.locator("#timemap-us-alt").text_content()
        assert i18n.format_date(first["when"], lang) in alt
        page.keyboard.press("ArrowRight")
        second = trend.iloc[1]
        assert slider.input_value() == "1"
        assert i18n.format_date(second["when"], lang) in status.inner_text()
        assert _hash(page) == f"#list={second['when']:%Y-%m-%d}"
        page.keyboard.press("End")
        assert slider.input_value() == str(len(trend) - 1)
        assert _fills(page) == last_fills
        # nothing past the phone's width
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], width
        assert not problems, problems
    finally:
        close_page(page)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_play_steps_through_the_lists(built_book, book_server, chromium_browser, lang, motion):
    page, problems = _open(chromium_browser, book_server.base + EDITIONS[lang] + PAGE, PHONE,
                           reduced_motion=motion)
    try:
        slider = page.locator("#timemap-slider")
        play = page.locator("#timemap-play")
        assert slider.input_value() != "0"  # nothing plays by itself
        page.wait_for_timeout(600)
        assert slider.input_value() == slider.get_attribute("max")
        note = page.locator("#timemap-motion-note")
        assert note.is_visible() == (motion == "reduce")
        transition = page.locator("#timemap-us path").first.evaluate(
            "p => getComputedStyle(p).transitionDuration")
        assert (transition == "0s") == (motion == "reduce"), transition
        play.click()  # from the latest list it starts again at the first
        assert play.get_attribute("aria-pressed") == "true"
        page.wait_for_function("+document.getElementById('timemap-slider').value >= 2",
                               timeout=5_000)
        play.click()
        assert play.get_attribute("aria-pressed") == "false"
        stopped = slider.input_value()
        page.wait_for_timeout(900)
        assert slider.input_value() == stopped
        assert _hash(page) != ""
        assert not problems, problems
    finally:
        close_page(page)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_link_with_a_list_opens_that_list(built_book, book_server, chromium_browser, trend,
                                            lang):
    # a list alone on its day, in the middle of the series
    days = trend["when"].dt.strftime("%Y-%m-%d")
    alone = [i for i in range(len(trend) // 3, len(trend)) if (days == days[i]).sum() == 1]
    i = alone[0]
    url = book_server.base + EDITIONS[lang] + PAGE + f"#list={days[i]}"
    page, problems = _open(chromium_browser, url, LAPTOP)
    try:
        assert page.locator("#timemap-slider").input_value() == str(i)
        text = page.locator("#timemap-status").inner_text()
        assert i18n.format_date(trend["when"].iloc[i], lang) in text
        assert i18n.format_int(int(trend["n_distinct_agreements"].iloc[i]), lang) in text
        assert not problems, problems
    finally:
        close_page(page)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
def test_without_javascript_the_latest_map_and_the_table_show(built_book, book_server,
                                                              chromium_browser, trend, lang):
    page, problems = _open(chromium_browser, book_server.base + EDITIONS[lang] + PAGE, PHONE,
                           java_script_enabled=False)
    try:
        assert not page.locator("#timemap-controls").is_visible()
        assert page.locator("#timemap-us").is_visible()
        day = i18n.format_date(trend["when"].iloc[-1], lang)
        assert day in page.locator("#timemap-status").inner_text()
        assert day in page.locator("#timemap-us-alt").text_content()
        assert page.locator("#timemap noscript").count() == 1
        assert page.locator(".timemap-note", has_text=day).first.is_visible()
        page.locator("details.timemap-table summary").click()
        rows = page.locator("details.timemap-table tbody tr")
        assert rows.count() == len(trend)
        assert day in rows.first.inner_text()
    finally:
        close_page(page)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_page_works_opened_from_file(built_book, chromium_browser, trend, lang):
    i = len(trend) // 2
    target = built_book / EDITIONS[lang] / PAGE
    url = target.resolve().as_uri() + f"#list={trend['when'].iloc[i]:%Y-%m-%d}"
    page, problems = _open(chromium_browser, url, PHONE)
    try:
        slider = page.locator("#timemap-slider")
        day = trend["when"].iloc[i].strftime("%Y-%m-%d")
        # the last list of that day
        expect = max(j for j in range(len(trend)) if f"{trend['when'].iloc[j]:%Y-%m-%d}" == day)
        assert slider.input_value() == str(expect)
        slider.focus()
        page.keyboard.press("ArrowLeft")
        assert slider.input_value() == str(expect - 1)
        assert i18n.format_date(trend["when"].iloc[expect - 1], lang) in \
            page.locator("#timemap-status").inner_text()
        assert not problems, problems
    finally:
        close_page(page)


@pytest.mark.browser
def test_the_time_map_page_links_the_feed_in_its_head(built_book):
    for prefix in EDITIONS.values():
        html = (built_book / prefix / PAGE).read_text(encoding="utf-8")
        assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*'
                         r'href="\.\./feeds/all\.atom"', html)
        assert (built_book / prefix / "feeds" / "all.atom").is_file()
