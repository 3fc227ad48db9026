"""The maps (ice287g.maps): committed shapes, county matching, counts, classes and drawing."""

from __future__ import annotations

import hashlib
import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from conftest import REPO  # noqa: E402
from ice287g import charts, maps  # noqa: E402

SHAPES = REPO / "data" / "shapes" / "us-counties-albers.json"


@pytest.fixture(scope="module")
def shapes() -> maps.Shapes:
    return maps.load_shapes(SHAPES)


# ------------------------------------------------------------------------- the shapes file
def test_shapes_file_names_its_source_and_licence():
    data = json.loads(SHAPES.read_text(encoding="utf-8"))
    assert data["format"] == maps.SHAPES_FORMAT
    src = data["source"]
    assert "us-atlas 3.0.1" in src["package"] and "ISC" in src["package"]
    assert "Census" in src["data"] and "public domain" in src["data"]
    assert len(src["sha256"]) == 64
    readme = (SHAPES.parent / "README.md").read_text(encoding="utf-8")
    assert src["sha256"] in readme or "sha256" in readme
    assert "ISC" in readme and "public domain" in readme
    assert SHAPES.stat().st_size < 600_000


def test_every_state_and_county_is_there(shapes):
    assert len(shapes.states) == 51  # 50 states and DC
    assert shapes.states["fips"].is_unique and shapes.counties["fips"].is_unique
    assert len(shapes.counties) == 3142
    fl = shapes.counties[shapes.counties["state"] == "12"]
    assert len(fl) == 67
    assert shapes.counties.set_index("fips").at[maps.MONROE_FL, "name"] == "Monroe"
    assert shapes.state_fips()["Florida"] == "12" and shapes.state_fips()["Ohio"] == "39"


def test_shapes_sit_in_the_frame_and_florida_is_southeast(shapes):
    x0, y0, x1, y1 = shapes.bounds
    # us-atlas's frame is 975 x 610 px; Alaska's inset pokes about 58 px out at the left.
    assert -70 < x0 < 0 and 0 < y0 < 20 and 950 < x1 < 975 and 600 < y1 < 615
    ak = shapes.states.set_index("name").at["Alaska", "path"].get_extents()
    assert ak.x0 == pytest.approx(x0 + 4, abs=0.5)
    fl = shapes.states.set_index("name").at["Florida", "path"].get_extents()
    wa = shapes.states.set_index("name").at["Washington", "path"].get_extents()
    # Screen coordinates: Florida is right of and below Washington state.
    assert fl.x0 > wa.x1 and fl.y0 > wa.y1
    # Monroe County lies inside Florida's box, at its bottom (the Keys).
    monroe = shapes.counties.set_index("fips").at[maps.MONROE_FL, "path"].get_extents()
    assert fl.x0 <= monroe.x0 and monroe.x1 <= fl.x1 + 0.5 and monroe.y1 >= fl.y1 - 3


def test_decoding_follows_topojson_arcs():
    arcs = maps._decode_arcs([[[10, 0], [5, 0], [0, 5]], [[15, 5], [-15, -5]]], 0.5)
    assert arcs[0].tolist() == [[5.0, 0.0], [7.5, 0.0], [7.5, 2.5]]
    # ring 0 then arc 1; ~0 is arc 0 reversed
    assert maps._ring([0, 1], arcs).tolist() == [[5, 0], [7.5, 0], [7.5, 2.5], [0, 0]]
    assert maps._ring([~0], arcs).tolist() == [[7.5, 2.5], [7.5, 0], [5, 0]]


# ------------------------------------------------------------------------- matching
@pytest.mark.parametrize("raw, folded", [
    ("Monroe County", "monroe"), ("St. Lucie County", "saintlucie"), ("Saint Lucie", "saintlucie"),
    ("East Baton Rouge Parish", "eastbatonrouge"), ("Lake Conty", "lake"),
    ("Custer Countey", "custer"), ("Doña Ana County", "donaana"), ("Prince George's", "princegeorges"),
    ("Miami-Dade County", "miamidade"),
])
def test_fold_county(raw, folded):
    assert maps.fold_county(raw) == folded


def test_match_counties_by_name_typo_city_and_blank(shapes):
    rows = pd.DataFrame({
        "state": ["Florida", "Florida", "Arkansas", "Maryland", "Maryland", "Florida", "Guam",
                  "Texas", "Florida"],
        "county": ["Monroe County", "St. Luice County", "Pulaksi County", "Baltimore County",
                   "Baltimore City", "", "Kattan District", "Nowhere County", "Miami-Dade County"],
    })
    got = maps.match_counties(rows, shapes).tolist()
    assert got == ["12087", "12111", "05119", "24005", "24510", "", "", "", "12086"]
    exact = maps.match_counties(rows, shapes, fuzzy=False).tolist()
    assert exact[1] == "" and exact[2] == ""  # the typos need the fuzzy step


def _places(*rows):
    return pd.DataFrame([dict(zip(["state", "place", "county", "ice_county"], r),
                              source_ids="s", note="") for r in rows])


def test_placements_fall_back_on_ices_own_words(shapes):
    rows = pd.DataFrame({
        "state": ["Tennessee", "Louisiana", "Louisiana", "Texas", "Texas", "Florida"],
        "agency": ["Sparta Police Department", "St. Charles Parish Sheriff's Office",
                   "Chalmette Police Department", "Smith-Jones Police Department",
                   "Harris County Sheriff's Office", "Key West Police Department"],
        "county": ["Sparta-White County", "German Coast County", "Chalmette Parish",
                   "Nowhere-Else County", "Dallas County", ""],
    })
    got = maps.placements(rows, shapes)
    # White County, TN; St. Charles Parish from the agency's name; a city PD whose county is
    # no parish and whose name names none stays unplaced; no part of a hyphenated name is a
    # county: unplaced; ICE's county wins over the agency's name when it is a real county
    # (Dallas, however odd); a blank county is not drawn.
    assert got["county_fips"].tolist() == ["47185", "22089", "", "", "48113", ""]
    assert got["how"].tolist() == [maps.HOW_HYPHEN, maps.HOW_NAME, "", "", maps.HOW_SHEET, ""]


def test_placements_take_the_cited_table_keyed_on_what_ice_printed(shapes):
    places = _places(("Georgia", "Monroe", "Walton County", "Monroe County"),
                     ("Texas", "Yoakum", "", "Yoakum County"),
                     ("Missouri", "North County Police Cooperative", "St. Louis County",
                      "North County"),
                     ("Florida", "Key West", "Monroe County", ""))
    rows = pd.DataFrame({
        "state": ["Georgia", "Georgia", "Georgia", "Texas", "Texas", "Missouri", "Florida"],
        "agency": ["Monroe Police Department", "Monroe County Sheriff's Office",
                   "Monroe Police Department", "Yoakum Police Department",
                   "Yoakum County Sheriff's Office", "North County Police Cooperative",
                   "Key West Police Department"],
        "county": ["Monroe County", "Monroe County", "Walton County", "Yoakum County",
                   "Yoakum County", "North County", ""],
    })
    got = maps.placements(rows, shapes, places)
    # The city's police go to Walton County; the county's sheriff stays in Monroe County;
    # once ICE prints Walton County the row no longer applies (and agrees anyway); Yoakum's
    # police are drawn nowhere, its county's sheriff in Yoakum County; the cooperative by
    # its whole name; Key West's blank county is Find an agency's business, not the map's.
    assert got["county_fips"].tolist() == ["13297", "13207", "13297", "", "48501", "29189", ""]
    assert got["how"].tolist() == [maps.HOW_TABLE, maps.HOW_SHEET, maps.HOW_SHEET,
                                   maps.HOW_TABLE_NONE, maps.HOW_SHEET, maps.HOW_TABLE, ""]
    counts, unplaced = maps.county_counts(rows, shapes, places)
    assert counts.to_dict() == {"13207": 1, "13297": 2, "29189": 1, "48501": 1}
    assert unplaced["how"].tolist() == [maps.HOW_TABLE_NONE, ""]
    bad = _places(("Georgia", "Monroe", "Nowhere County", "Monroe County"))
    with pytest.raises(ValueError, match="places.csv: 'Nowhere County' is not a county of Georgia"):
        maps.placements(rows, shapes, bad)


def test_maps_page_links_every_state_page_in_both_editions(built_book):
    """The maps page holds the index of every state's page (ice287g.pages.state_index_html),
    each link resolving to a page of the same edition."""
    from bs4 import BeautifulSoup

    agreements = pd.read_csv(REPO / "data" / "processed" / "agreements.csv", dtype=str,
                             keep_default_na=False)
    n_states = len(set(agreements["state"]) - {""})
    for prefix, lang in (("", "en"), ("es/", "es")):
        path = built_book / prefix / "chapters" / "maps.html"
        doc = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        nav = doc.select_one("article nav#state-pages")
        assert nav is not None, f"{lang}: no index of the state pages on the maps page"
        hrefs = [a["href"] for a in nav.select("li a")]
        assert len(hrefs) == n_states, f"{lang}: {len(hrefs)} links, {n_states} states"
        missing = [h for h in hrefs if not (path.parent / h).resolve().is_file()]
        assert not missing, f"{lang}: links to no page: {missing[:3]}"
        assert all((path.parent / h).resolve().parent == built_book.joinpath(prefix, "states")
                   .resolve() for h in hrefs), lang
        heading = nav.find_previous(["h2"])
        for link in heading.select("a.headerlink"):
            link.decompose()
        assert heading.get_text(strip=True).replace("\u2019", "'") == \
            {"en": "Every state's page", "es": "La página de cada estado"}[lang]


def test_fuzzy_match_refuses_a_close_call():
    assert maps._closest("lake", ["lake", "lee"]) == "lake"
    assert maps._closest("zzz", ["lake", "lee"]) is None
    assert maps._closest("fulton", ["fultan", "fulten"]) is None  # two equally close


def test_counts_by_state_and_county(shapes):
    rows = pd.DataFrame({"state": ["Florida", "Florida", "Texas", "Guam", "Florida"],
                         "county": ["Monroe County", "Monroe County", "Harris County", "",
                                    ""]})
    by_state, missing = maps.state_counts(rows, shapes)
    assert by_state["12"] == 3 and by_state["48"] == 1 and by_state["39"] == 0
    assert len(by_state) == 51 and missing.to_dict() == {"Guam": 1}
    by_county, unplaced = maps.county_counts(rows, shapes)
    assert by_county.to_dict() == {"12087": 2, "48201": 1}
    assert len(unplaced) == 2


def _latest() -> pd.DataFrame:
    """The agreements on ICE's latest list (agreements.csv keeps each one's latest row)."""
    from ice287g import load

    agr = load.agreements(REPO / "data" / "processed")
    return agr[agr["listed_in_latest"]]


def test_every_latest_list_agreement_that_names_a_county_is_placed(shapes):
    """The check of issue 23: each agreement on the latest list whose row names a county is
    drawn in one, unless it is in a territory (no shape) or the book's cited table of places
    says it has no one county. The failure lists every one that is not."""
    from ice287g import lookup

    latest = _latest()
    places = lookup.read_places(REPO / "data" / "curated")
    by_county, unplaced = maps.county_counts(latest, shapes, places)
    assert by_county.sum() + len(unplaced) == len(latest)
    named = unplaced["county"].str.strip() != ""
    territory = ~unplaced["state"].isin(list(shapes.state_fips()))
    left = unplaced[named & ~territory & (unplaced["how"] != maps.HOW_TABLE_NONE)]
    assert left.empty, "not placed on the county map:\n" + "\n".join(
        f"  {r.state}: {r.agency} ({r.county!r})" for r in left.itertuples())
    # Every row the table leaves without a county says why, with a source.
    none = places[(places["county"] == "") & (places["ice_county"] != "")]
    assert (none["note"].str.len() > 40).all() and (none["source_ids"] != "").all()


def test_every_correction_in_the_places_table_still_matches_an_ice_row(shapes):
    """A cited row keyed on a county ICE printed stops applying when ICE corrects it; a row
    that matches no agreement of ICE's lists is stale and must go."""
    from ice287g import load, lookup

    places = lookup.read_places(REPO / "data" / "curated")
    fixes = places[places["ice_county"] != ""]
    assert len(fixes) >= 1
    agr = load.agreements(REPO / "data" / "processed")
    for row in fixes.itertuples():
        got = maps.placements(agr[agr["state"] == row.state], shapes, places)
        used = got["how"].isin([maps.HOW_TABLE, maps.HOW_TABLE_NONE])
        hit = agr.loc[got.index[used]]
        assert (hit["county"].str.casefold() == row.ice_county.casefold()).any(), \
            f"places.csv: {row.state}, {row.place}, {row.ice_county!r} matches no ICE row"


def test_a_city_named_like_another_county_is_not_drawn_there(shapes):
    """The name trap of ICE's COUNTY cells: a city police department printed with the county
    of its own name ("Monroe County" for the City of Monroe, Georgia, in Walton County) is
    drawn where the cited table puts it, not in the namesake county."""
    from ice287g import lookup

    latest = _latest()
    places = lookup.read_places(REPO / "data" / "curated")
    got = maps.placements(latest, shapes, places)
    names = dict(zip(shapes.counties["fips"], shapes.counties["name"]))
    for row in places[places["ice_county"] != ""].itertuples():
        mine = latest[(latest["state"] == row.state)
                      & (latest["county"].str.casefold() == row.ice_county.casefold())
                      & latest["agency"].map(lambda a: row.place in (lookup.agency_place(a), a))]
        for i in mine.index:
            drawn = names.get(got.at[i, "county_fips"], "")
            assert drawn == row.county.removesuffix(" County"), (row.place, drawn)


# ------------------------------------------------------------------------- classes
def test_classes_and_labels():
    assert maps.class_labels([1, 10, 25]) == ["1–9", "10–24", "25 or more"]
    assert maps.class_labels([1, 2, 3, 5]) == ["1", "2", "3–4", "5 or more"]
    assert maps.classify([0, 1, 9, 10, 24, 25, 1000], [1, 10, 25]).tolist() == [-1, 0, 0, 1, 1, 2, 2]
    colors = maps.colors_for([0, 1, 300], maps.STATE_EDGES)
    assert colors[0] == maps.NONE_COLOR and colors[1] == maps.BLUES[0] and colors[2] == maps.BLUES[-1]


def test_palette_is_sequential_light_to_dark():
    def luminance(hex_):
        r, g, b = (int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    lum = [luminance(c) for c in maps.class_colors(6)]
    assert lum == sorted(lum, reverse=True) and len(set(lum)) == 6
    assert luminance(maps.NONE_COLOR) > lum[0]


def test_words_come_from_the_numbers(shapes):
    counts = pd.Series({"48": 5, "12": 7, "39": 5})
    named = maps.named_counts(shapes, counts)
    assert maps.top_text(named) == "Florida (7), Ohio (5) and Texas (5)"
    assert maps.missing_text(pd.Series({"Guam": 1})) == "Not drawn (no shape): Guam (1)."
    alt = maps.describe("states", shapes, counts, when="May 18, 2026")
    assert "3 have at least one, 48 have none" in alt and "Florida (7)" in alt


# ------------------------------------------------------------------------- drawing
def _texts(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def test_maps_draw_with_title_legend_source_and_stay_in_the_image(shapes):
    counts = pd.Series({"12": 300, "48": 40})
    by_county = pd.Series({maps.MONROE_FL: 2, "12086": 12})
    figs = [maps.state_map(shapes, counts, title="Florida leads", note="Not drawn: Guam (1)."),
            maps.county_map(shapes, by_county, title="Counties"),
            maps.county_map(shapes, by_county, title="Florida's counties", state=maps.FLORIDA,
                            highlight=maps.MONROE_FL, highlight_label="Monroe County"),
            maps.before_after_map(shapes, counts, counts, title="Before and after",
                                  labels=("Before", "After"))]
    for fig in figs:
        texts = _texts(fig)
        assert any("Source: ICE" in t.replace("\n", " ") for t in texts)
        assert "None" in texts  # the legend's no-agreement class
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for text in fig.findobj(matplotlib.text.Text):
            if not (text.get_visible() and text.get_text()):
                continue
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= fig.bbox.width + 1 \
                and box.y1 <= fig.bbox.height + 1, f"{text.get_text()!r} leaves the image"
        assert_parts_do_not_overlap(fig, renderer)
        data = charts.png_bytes(fig, dpi=100, colors=128)
        assert len(data) < charts.MAX_IMAGE_BYTES
        plt.close(fig)


def assert_parts_do_not_overlap(fig, renderer, source: str = "Source: ICE"):
    """Title, maps (with their own titles), legend and source line each keep their own band:
    a legend drawn over the source line (as at 390 px with a three-line footer) fails."""
    texts = [t for t in fig.texts if t.get_text()]
    title = max(texts, key=lambda t: t.get_position()[1])
    footer = min(texts, key=lambda t: t.get_position()[1])
    assert source in footer.get_text().replace("\n", " ")
    parts = {"title": title.get_window_extent(renderer),
             "source line": footer.get_window_extent(renderer),
             "legend": fig.legends[0].get_window_extent(renderer)}
    for k, ax in enumerate(fig.axes):
        parts[f"map {k}"] = ax.get_window_extent(renderer)
        if ax.get_title(loc="left"):
            parts[f"map {k} label"] = ax._left_title.get_window_extent(renderer)
    names = list(parts)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a.split(" label")[0] == b.split(" label")[0]:
                continue  # a map and its own label
            assert not parts[a].overlaps(parts[b]), f"the {a} overlaps the {b}"


def test_spanish_maps_keep_title_legend_source_and_labels_apart_and_in_the_image(shapes):
    """The Spanish words are longer (a before/after label takes two lines): the layout still
    holds, with the texts the maps notebook draws."""
    from ice287g import i18n
    from ice287g.i18n import tr

    with i18n.language("es"):
        counts = pd.Series({"12": 300, "48": 40, "37": 15})
        fl = pd.Series(1, index=shapes.counties.loc[shapes.counties["state"] == maps.FLORIDA,
                                                    "fips"])
        cutoff, when = i18n.format_date("2025-01-20"), i18n.format_date("2024-12-18")
        figs = [
            maps.state_map(shapes, counts, note=maps.missing_text(
                pd.Series({"Northern Mariana Islands": 2, "Guam": 1})),
                title=tr("{top} lead ICE's list of {when}; {n_none} states have no agreement",
                         top=maps.top_text(maps.named_counts(shapes, counts), 2), when=when,
                         n_none=48)),
            maps.county_map(shapes, fl, state=maps.FLORIDA, highlight=maps.MONROE_FL,
                            highlight_label=maps.monroe_label(fl), title=maps.florida_title(fl)),
            maps.before_after_map(
                shapes, counts, counts, title=tr(
                    "From {n_before} states with an agreement before {cutoff} to {n_after} on "
                    "the latest list", n_before=21, cutoff=cutoff, n_after=38),
                labels=(tr("Last list before {cutoff} ({when}): {n}", cutoff=cutoff, when=when,
                           n="135"), tr("Latest list ({when}): {n}", when=when, n="1,843")),
                note=maps.missing_text(pd.Series({"Guam": 1}), list_name=tr("latest list"))),
        ]
        assert "\n" in figs[2].axes[0].get_title(loc="left")  # the two-line Spanish label
        for fig in figs:
            assert "Ninguno" in _texts(fig)
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            for text in fig.findobj(matplotlib.text.Text):
                if not (text.get_visible() and text.get_text()):
                    continue
                box = text.get_window_extent(renderer)
                assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= fig.bbox.width + 1 \
                    and box.y1 <= fig.bbox.height + 1, f"{text.get_text()!r} leaves the image"
            assert_parts_do_not_overlap(fig, renderer, source="Fuente: listas")
            plt.close(fig)


def test_a_long_source_line_pushes_the_legend_up_instead_of_under_it(shapes):
    note = "Not drawn (no shape): Northern Mariana Islands (2), Guam (1). " * 3
    fig = maps.state_map(shapes, pd.Series({"12": 300}), title="Florida leads", note=note)
    fig.canvas.draw()
    assert_parts_do_not_overlap(fig, fig.canvas.get_renderer())
    plt.close(fig)


def test_florida_map_outlines_monroe_in_the_highlight_colour(shapes):
    fig = maps.county_map(shapes, pd.Series({maps.MONROE_FL: 1}), title="Florida",
                          state=maps.FLORIDA, highlight=maps.MONROE_FL)
    ax = fig.axes[0]
    edges = [tuple(np.round(c.get_edgecolor()[0], 3)) for c in ax.collections]
    assert tuple(np.round(matplotlib.colors.to_rgba(maps.HIGHLIGHT), 3)) in edges
    # Zoomed to Florida: the view spans far less than the national 975 px frame.
    assert abs(ax.get_xlim()[1] - ax.get_xlim()[0]) < 300
    plt.close(fig)
    with pytest.raises(ValueError, match="no county 99999"):
        maps.county_map(shapes, pd.Series(dtype=int), title="x", state=maps.FLORIDA,
                        highlight="99999")


def test_a_missing_shapes_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="map shapes are missing"):
        maps.load_shapes(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not an ice287g-shapes/1 file"):
        maps.load_shapes(bad)


def test_shapes_tool_reproduces_the_committed_file_when_the_source_is_at_hand():
    """tools/shapes/make_us_atlas.py turns us-atlas's file into the committed one, byte for
    byte. us-atlas is pinned in package.json, so ``npm ci`` (scripts/setup.sh --dev, hence every
    test run) puts the source at node_modules/us-atlas/; ICE287G_US_ATLAS names another copy."""
    import sys
    from pathlib import Path

    import os

    src = Path(os.environ.get("ICE287G_US_ATLAS",
                              REPO / "node_modules" / "us-atlas" / "counties-albers-10m.json"))
    committed = json.loads(SHAPES.read_text(encoding="utf-8"))
    if not src.is_file():
        pytest.skip(f"us-atlas is not installed at {src} (run npm ci, as scripts/setup.sh --dev does)")
    assert hashlib.sha256(src.read_bytes()).hexdigest() == committed["source"]["sha256"], \
        f"{src} is not the us-atlas 3.0.1 file the committed shapes were made from"
    sys.path.insert(0, str(REPO / "tools" / "shapes"))
    import make_us_atlas

    made = make_us_atlas.make(src)
    assert json.dumps(made, separators=(",", ":"), ensure_ascii=False) + "\n" == SHAPES.read_text(encoding="utf-8")
