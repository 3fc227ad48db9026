"""Charts legible on a phone (issue 21): no chart text under 10 CSS px on a 390 px phone, and
numbers on axes with the language's thousands separator.

The size a reader sees is computed, not guessed: a chart's smallest text, in image pixels (its
font size in points × the dpi it was rendered at / 72, recorded in the PNG by
``charts.png_bytes``), times the width the image is shown at on the phone (its display width,
at most the 358 px column the book gives a chart at 390 px) over the image's pixel width. The
same numbers are checked on the built book's own images, at their real displayed width, by
tests/test_data_pages.py.
"""

from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ice287g import load  # noqa: E402
from ice287g import charts, explorer, i18n, maps  # noqa: E402

LONG_TITLE = ("ICE's list grew from 135 agreements just before January 20, 2025 to 1,843, led "
              "by the task force model, the largest of the three")
NOTE = ("Survivorship caveat: the grey line counts only agreements still on ICE's latest list; "
        "agreements that ended earlier are missing from it.")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _dates(n=40):
    return pd.date_range("2021-01-01", periods=n, freq="MS")


def book_charts():
    """One chart of each kind the book draws, with long titles, notes and big numbers."""
    with charts.styled():
        idx = _dates()
        growth = pd.DataFrame({t: [i * k * 9 for i in range(len(idx))]
                               for k, t in enumerate(load.SUPPORT_TYPES, 1)}, index=idx)
        yield "lines", charts.lines_chart(
            growth, title=LONG_TITLE, ylabel="Agreements listed",
            colors=charts.SUPPORT_TYPE_COLORS, note=NOTE,
            marks=[(idx[30], "Jan 20, 2025: executive order", 0.55)])
        states = pd.Series([387, 348, 103, 102, 86, 77, 69, 65, 61, 49, 1496],
                           index=["Texas", "Florida", "Missouri", "Pennsylvania", "Arkansas",
                                  "Tennessee", "Oklahoma", "Georgia", "Alabama",
                                  "South Carolina", charts.REST_STATES])
        yield "barh", charts.barh_chart(states, title=LONG_TITLE, xlabel="Agreements on ICE's "
                                        "latest list", ylabel="State", highlight=["Florida"])
        # a short chart whose axis label is longer than its axis (the Spanish Florida chart)
        types = pd.Series([192, 141, 15], index=["Municipality", "County", "State Agency"])
        yield "barh_short", charts.barh_chart(
            types, title=LONG_TITLE, ylabel="Tipo de agencia",
            xlabel="Acuerdos de Florida en la lista más reciente de ICE, por tipo de agencia")
        frame = pd.DataFrame({"published_at": idx, "listed": [i > 8 for i in range(len(idx))]})
        yield "presence", charts.presence_chart(
            {"Key West Police Department": frame, "Monroe County Sheriff's Office": frame},
            title=LONG_TITLE, note="Filled dot: listed on that publication; open dot: not listed.",
            marks=[(idx[9], "Mar 4, 2025: signed", 0.98), (idx[20], "Jun 30: vote to void", 0.9)])
        churn = pd.DataFrame({"added": [i * 40 for i in range(len(idx))],
                              "removed": [i * 3 for i in range(len(idx))]}, index=idx)
        yield "churn", charts.churn_chart(churn, title=LONG_TITLE, ylabel="Agreements per month",
                                          note=NOTE)


def phone_px(data: bytes) -> float:
    info = charts.png_texts(data)
    return charts.phone_text_px(info["min_text_px"], info["width"], info.get("css_width"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_kind_of_book_chart_keeps_its_smallest_text_at_10_px_on_a_phone(lang):
    with i18n.language(lang):
        for kind, fig in book_charts():
            data = charts.png_bytes(fig)
            info = charts.png_texts(data)
            size = phone_px(data)
            assert size >= charts.MIN_TEXT_CSS_PX, (
                f"{kind} ({lang}): smallest text {size:.2f} CSS px on a 390 px phone "
                f"(image {info['width']} px, shown at {min(charts.PHONE_COLUMN_PX, info['css_width'])})")
            # drawn for the phone: the published image is about the figure's width, not a wider
            # canvas that long titles or labels pushed out (which would shrink every text)
            assert info["css_width"] <= (charts.FIG_WIDTH + 0.4) * charts.CSS_PX_PER_INCH, (
                kind, info["css_width"])
            plt.close(fig)


def test_phone_size_is_font_points_times_shown_width_over_image_width():
    # 11 pt at 200 dpi is 30.56 image px; an image 1,000 px wide shown 358 px wide: 10.94 px
    assert charts.phone_text_px(11 * 200 / 72, 1000, 480) == pytest.approx(10.94, abs=0.01)
    # an image narrower than the column keeps its width: no shrinking
    assert charts.phone_text_px(20, 300, 300) == 20
    # a chart that draws a 7 pt text somewhere fails the rule
    with charts.styled():
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 2])
        charts.finish(fig, ax, title="Counts rose from zero to two", xlabel="x", ylabel="y")
        ax.text(0.5, 1, "tiny", fontsize=7)
        assert phone_px(charts.png_bytes(fig)) < charts.MIN_TEXT_CSS_PX


def test_show_gives_the_image_its_display_width(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append(a[0]))
    with charts.styled():
        fig, ax = plt.subplots()
        ax.plot(_dates(5), [1, 2, 3, 5, 8])
        charts.finish(fig, ax, title="Counts rose from one to eight", xlabel="Week",
                      ylabel="Count")
        charts.show(fig, alt="Line chart rising from one to eight")
    _, md = shown[0]._repr_png_()
    b64, _ = shown[0]._repr_png_()
    data = base64.b64decode(b64) if isinstance(b64, str) else b64
    info = charts.png_texts(data)
    # 96 CSS px per inch of chart, whatever the dpi: 12 pt text shows as 16 px on a laptop
    assert md["width"] == round(info["width"] * 96 / 200) == info["css_width"]
    assert abs(md["width"] - charts.FIG_WIDTH * 96) < 0.4 * 96


@pytest.mark.parametrize("lang", ["en", "es"])
def test_axis_numbers_carry_thousands_separators(lang):
    with i18n.language(lang):
        for kind, fig in book_charts():
            fig.canvas.draw()
            # the value axis (the other is dates, whose years take no separator, or names)
            ticks = [t.get_text() for ax in fig.axes
                     for t in (ax.xaxis if kind.startswith("barh") else ax.yaxis).get_ticklabels()
                     if t.get_text()]
            big = [t for t in ticks if re.fullmatch(r"[\d,.\u2212-]+", t)
                   and abs(float(t.replace(",", "").replace("\u2212", "-"))) >= 1000]
            if kind in ("lines", "barh", "churn"):
                assert big, f"{kind}: no tick of 1,000 or more to check: {ticks}"
            assert all(re.fullmatch(r"[\u2212-]?\d{1,3}(,\d{3})+(\.\d+)?", t) for t in big), (kind, big)
            plt.close(fig)


def test_number_ticks_as_each_language_writes_them():
    assert charts.number_tick(1500.0) == "1,500"
    assert charts.number_tick(12.5) == "12.5"
    assert charts.number_tick(0) == "0"
    with i18n.language("es"):
        assert charts.number_tick(2000) == "2,000"  # es_US, as i18n decides


@pytest.mark.parametrize("lang", ["en", "es"])
def test_maps_keep_their_smallest_text_at_10_px_on_a_phone(lang):
    with i18n.language(lang):
        shapes = maps.load_shapes()
        counts = pd.Series({fips: (i * 37) % 260 for i, fips in enumerate(shapes.states["fips"])})
        county_counts = pd.Series({fips: (i * 7) % 12
                                   for i, fips in enumerate(shapes.counties["fips"])})
        figs = {
            "states": maps.state_map(shapes, counts, title=LONG_TITLE,
                                     note="Not drawn (no shape): Guam (1)."),
            "florida": maps.county_map(shapes, county_counts, state=maps.FLORIDA,
                                       highlight=maps.MONROE_FL, highlight_label="Monroe County: 1",
                                       title=LONG_TITLE, edges=[1, 2, 3, 5, 10]),
            "before_after": maps.before_after_map(
                shapes, counts // 3, counts, title=LONG_TITLE,
                labels=("Last list before January 20, 2025 (December 18, 2024): 135",
                        "Latest list (May 18, 2026): 1,843"), note="Not drawn (no shape): Guam (1)."),
        }
        for kind, fig in figs.items():
            data = charts.png_bytes(fig, dpi=100, colors=128)  # as maps.show renders them
            size = phone_px(data)
            assert size >= charts.MIN_TEXT_CSS_PX, f"map {kind} ({lang}): {size:.2f} CSS px"
            plt.close(fig)


def test_explorer_charts_keep_their_smallest_text_at_10_px_on_a_phone():
    series = pd.DataFrame({"Texas": range(0, 400, 10), "Florida": range(0, 40)}, index=_dates())
    fig = explorer._line_chart(series, {})
    tag = charts.img_tag(fig, "Line chart of two states' agreements", dpi=explorer.DPI,
                         colors=explorer.COLORS_LINES, tight=False)
    data = base64.b64decode(re.search(r"base64,([^\"]+)", tag).group(1))
    size = phone_px(data)
    # the explorer's column is 354 px (4 px narrower than a chart's): checked at that width
    info = charts.png_texts(data)
    at_354 = charts.phone_text_px(info["min_text_px"], info["width"], None, column_px=354)
    assert min(size, at_354) >= charts.MIN_TEXT_CSS_PX, (size, at_354)
