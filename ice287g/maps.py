"""Maps of the agreements: states and counties of the latest list, Florida, before and after.

Shapes: data/shapes/us-counties-albers.json, made by tools/shapes/make_us_atlas.py from the npm
package us-atlas 3.0.1 (ISC), itself the U.S. Census Bureau's 2017 cartographic boundaries
(public domain), already projected (Albers equal-area, Alaska and Hawaii as insets) to a
975 x 610 px frame with y pointing down. Nothing is fetched when the book builds or is read.
The territories with agreements (Guam, the Northern Mariana Islands...) have no shape there;
every map says in its footer which agreements it could not draw.

Counts come from the presence rows of one publication (:func:`ice287g.load.on_publication`):
by state, or by county where ICE's COUNTY column (on lists from 2025 on) names one that matches
a Census county of the same state (:func:`match_counties`, which folds "County"/"Parish"
suffixes, ICE's typos such as "Conty", "St."/"Saint", case, accents and punctuation, and
places a misspelt name on the one county of its state spelt almost alike). Where ICE's county
is not a county of the state, ICE's own words may still name one: one part of a hyphenated
name ("Sparta-White County": White County) or the agency's name ("St. Charles Parish Sheriff's
Office" printed with "German Coast County"). Where ICE's county is not the agency's at all (a
city that shares its name with a county elsewhere: ICE writes "Monroe County" for the City of
Monroe, Georgia), the book's cited table of places (``data/curated/places.csv``, keyed on the
county ICE printed) gives the county, or says that the agency has no one county to draw.

Drawing goes through the book's chart style (:mod:`ice287g.charts`): a sequential, colour-blind
safe palette (ColorBrewer Blues, one hue light to dark) in classes with a legend, a title that
states the finding, a source line, and alt text built from the same numbers (:func:`describe`).

Every word a map carries (legend, source line, footer notes, alt text, dates, state names) goes
through :mod:`ice287g.i18n`, so the same calls draw the English or the Spanish map
(every public function that writes words takes ``lang``; ``None``: the language in use);
the Spanish words are in ``ice287g/locale/es/LC_MESSAGES/maps.po``.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath

from . import charts, i18n, words
from .i18n import tr

SHAPES_FORMAT = "ice287g-shapes/1"
#: ColorBrewer "Blues" (sequential, single hue: readable with every colour-vision deficiency
#: and in greyscale), lightest to darkest; "none" is a neutral light grey.
BLUES = ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
NONE_COLOR = "#f0f0f0"
EDGE_COLOR = "#ffffff"
STATE_EDGE = "#4d4d4d"
HIGHLIGHT = charts.PALETTE["vermillion"]
#: Class edges: a value v falls in the class of the largest edge <= v (0 is "none").
STATE_EDGES = [1, 10, 25, 50, 100, 200]
COUNTY_EDGES = [1, 2, 3, 5, 10]
#: Resolution the maps are published at (``charts.show(fig, alt=..., dpi=maps.DPI)``, the book's
#: one way to publish a figure: a PNG file with its alt text, glued when named): a map is
#: drawn to be read at its own width, so the style's print resolution would only add bytes.
DPI = 100
MONROE_FL = "12087"
FLORIDA = "12"
#: The maps' source line in English (the key of its translation; :func:`footer` writes it in
#: the language in use).
SOURCE = ("Source: ICE 287(g) participating-agency lists; shapes: U.S. Census Bureau "
          "cartographic boundaries (2017) via us-atlas; analysis: 287(g) in Key West.")


# --------------------------------------------------------------------------- shapes
@dataclass
class Shapes:
    """Decoded shapes: ``states`` and ``counties`` are frames with ``fips``, ``name`` and
    ``path`` (a matplotlib compound Path of all the shape's rings); counties also ``state``
    (the state's two-digit FIPS code)."""

    states: pd.DataFrame
    counties: pd.DataFrame
    frame: tuple[float, float]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) around every state (Alaska's inset reaches left of x = 0)."""
        return _bounds(self.states["path"])

    def state_fips(self) -> dict[str, str]:
        return dict(zip(self.states["name"], self.states["fips"]))


def default_path() -> Path:
    from . import config

    return config.DATA_DIR / "shapes" / "us-counties-albers.json"


def _decode_arcs(arcs: list, grid: float) -> list[np.ndarray]:
    return [np.cumsum(np.asarray(a, dtype=np.float64), axis=0) * grid for a in arcs]


def _ring(indexes: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    parts = []
    for k, i in enumerate(indexes):
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(pts if k == 0 else pts[1:])
    return np.vstack(parts)


def _path(polygons: list, arcs: list[np.ndarray]) -> MplPath:
    verts, codes = [], []
    for polygon in polygons:
        for ring in polygon:
            pts = _ring(ring, arcs)
            verts.append(pts)
            c = np.full(len(pts), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            codes.append(c)
    return MplPath(np.vstack(verts), np.concatenate(codes))


@lru_cache(maxsize=4)
def load_shapes(path: Path | str | None = None) -> Shapes:
    """Read and decode the committed shapes (cached)."""
    path = Path(path) if path is not None else default_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: the map shapes are missing (see data/shapes/README.md)")
    if data.get("format") != SHAPES_FORMAT:
        raise ValueError(f"{path}: not an {SHAPES_FORMAT} file (tools/shapes/make_us_atlas.py)")
    arcs = _decode_arcs(data["arcs"], float(data["grid"]))

    def frame(rows, county: bool):
        out = pd.DataFrame({"fips": [r[0] for r in rows], "name": [r[1] for r in rows],
                            "path": [_path(r[2], arcs) for r in rows]})
        if county:
            out["state"] = out["fips"].str[:2]
        return out

    return Shapes(states=frame(data["states"], False), counties=frame(data["counties"], True),
                  frame=tuple(data["frame"]))


# --------------------------------------------------------------------------- matching
_SUFFIX = re.compile(r"\s+(county|conty|countey|cnty|parish|borough|census area|"
                     r"city and borough|municipality|municipio)$")


def fold_county(name: str) -> str:
    """A county name folded for matching: no accents, case, punctuation or type suffix;
    "St."/"Ste." and "Saint"/"Sainte" written alike. ``"St. Lucie County"`` -> ``"saint lucie"``."""
    return _fold_county(str(name))


@lru_cache(maxsize=16384)
def _fold_county(name: str) -> str:
    # Cached: match_counties folds every Census county's name again for each lookup (about
    # 3,200 names, twenty times in the maps chapter).
    text = unicodedata.normalize("NFD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"[’'`.]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = _SUFFIX.sub("", text)
    text = re.sub(r"^ste\b", "sainte", text)
    text = re.sub(r"^st\b", "saint", text)
    return text.replace(" ", "")


#: How :func:`placements` placed a row: ICE's COUNTY as printed (or misspelt), one part of
#: ICE's hyphenated county, the county the agency's own name gives, the book's cited table of
#: places; ``TABLE_NONE``: the table says the agency has no one county to draw; ``""``: not
#: placed (no county on ICE's row, a territory, or a county the book cannot place).
HOW_SHEET, HOW_HYPHEN, HOW_NAME, HOW_TABLE, HOW_TABLE_NONE = (
    "sheet", "hyphen", "name", "table", "table-none")


def placements(rows: pd.DataFrame, shapes: Shapes, places: pd.DataFrame | None = None, *,
               fuzzy: bool = True) -> pd.DataFrame:
    """For each row (``state``, ``county`` and, for the fallbacks, ``agency``), the Census
    county FIPS code it is drawn in (``county_fips``, "" when none) and how it was placed
    (``how``: one of :data:`HOW_SHEET`... or ""), in this order:

    1. a row of the cited table of places (``places``, :func:`ice287g.lookup.read_places`)
       whose ``ice_county`` is the county ICE printed and whose ``place`` is the agency's city
       (:func:`ice287g.lookup.agency_place`) or its whole name: the table's county, or none
       when the table leaves it blank (a city on two counties' line, a statewide agency);
    2. ICE's county, when it matches a Census county of the row's state (:func:`match_counties`,
       with ``fuzzy`` for misspellings);
    3. when it matches none, one part of a hyphenated name ("Sparta-White County"), if exactly
       one part is a county of the state;
    4. then the county the agency's own name gives ("St. Bernard Parish Sheriff's Office").

    A row with no county on ICE's list is not placed: the map draws the counties ICE names."""
    from .lookup import correction, correction_index, county_in_name

    sheet = match_counties(rows, shapes, fuzzy=fuzzy)
    table = correction_index(places)
    agencies = rows["agency"] if "agency" in rows else pd.Series("", index=rows.index)
    fips_out, how_out = [], []
    for state, county, agency, found in zip(rows["state"], rows["county"], agencies, sheet):
        raw = str(county or "").strip()
        fips, how = "", ""
        hit = correction(table, state, agency, raw)
        if hit is not None:
            county_name = str(hit.get("county", "")).strip()
            fips = _one(state, county_name, shapes) if county_name else ""
            if county_name and not fips:
                raise ValueError(f"data/curated/places.csv: {county_name!r} is not a county "
                                 f"of {state}")
            how = HOW_TABLE if fips else HOW_TABLE_NONE
        elif found:
            fips, how = found, HOW_SHEET
        elif raw and shapes.state_fips().get(state):
            parts = [p for p in re.split(r"\s*[-\u2013]\s*", raw) if p]
            if len(parts) > 1:
                suffix = _SUFFIX.search(raw)
                tail = suffix.group(0) if suffix else ""
                hits = {f for p in parts
                        for f in [_one(state, p if _SUFFIX.search(p) else p + tail, shapes,
                                       fuzzy=False)] if f}
                if len(hits) == 1:
                    fips, how = hits.pop(), HOW_HYPHEN
            if not fips and county_in_name(agency):
                fips = _one(state, county_in_name(agency), shapes, fuzzy=False)
                how = HOW_NAME if fips else ""
        fips_out.append(fips)
        how_out.append(how)
    return pd.DataFrame({"county_fips": fips_out, "how": how_out}, index=rows.index)


def _one(state: str, county: str, shapes: Shapes, *, fuzzy: bool = True) -> str:
    """The FIPS code of one (state, county name), "" when it matches none."""
    return match_counties(pd.DataFrame({"state": [state], "county": [county]}), shapes,
                          fuzzy=fuzzy).iloc[0]


def match_counties(rows: pd.DataFrame, shapes: Shapes, *, fuzzy: bool = True) -> pd.Series:
    """The Census county FIPS code of each row's (``state``, ``county``) as ICE printed it,
    or "" when the row names no county or one that matches no Census county of its state
    (:func:`placements` adds the fallbacks and the cited corrections).

    When a state has a county and an independent city of the same name (Baltimore, St. Louis,
    Richmond in Virginia...), ICE's "X City" goes to the city (FIPS 5xx) and anything else to
    the county. With ``fuzzy``, a name that matches no county exactly goes to the one county of
    its state spelt almost alike (ICE's "Pulaksi County" is Pulaski), see :func:`_closest`.
    """
    state_fips = shapes.state_fips()
    index = _county_index(shapes)
    out = []
    for state, county in zip(rows["state"], rows["county"]):
        st = state_fips.get(state, "")
        raw = str(county or "").strip()
        if not st or not raw:
            out.append("")
            continue
        is_city = bool(re.search(r"\bcity$", raw, re.I)) and not raw.lower().endswith("county")
        key = fold_county(raw)
        found = index.get((st, key)) or (index.get((st, key.removesuffix("city")))
                                         if is_city else None) or []
        if len(found) > 1:
            cities = [f for f in found if int(f[2:]) >= 500]
            others = [f for f in found if int(f[2:]) < 500]
            found = (cities if is_city else others) or found
        if not found and fuzzy:
            found = _closest(key, [k for (s_, k) in index if s_ == st])
            found = index[(st, found)] if found else []
        out.append(sorted(found)[0] if found else "")
    return pd.Series(out, index=rows.index, name="county_fips", dtype=object)


def _county_index(shapes: Shapes) -> dict[tuple[str, str], list[str]]:
    index: dict[tuple[str, str], list[str]] = {}
    for fips, name, st in zip(shapes.counties["fips"], shapes.counties["name"],
                              shapes.counties["state"]):
        index.setdefault((st, fold_county(name)), []).append(fips)
    return index


#: How alike (difflib ratio) a misspelt county must be to a Census county of its state.
FUZZY_RATIO = 0.85


def _closest(key: str, candidates: list[str]) -> str | None:
    """The one candidate at least FUZZY_RATIO alike to ``key`` and clearly the best (a tie
    between two names leaves the row unplaced rather than guess)."""
    import difflib

    scored = sorted(((difflib.SequenceMatcher(None, key, c).ratio(), c) for c in candidates),
                    reverse=True)
    if not scored or scored[0][0] < FUZZY_RATIO:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.02:
        return None
    return scored[0][1]


# --------------------------------------------------------------------------- counts
def state_counts(rows: pd.DataFrame, shapes: Shapes) -> tuple[pd.Series, pd.Series]:
    """Agreements per state FIPS code (every state of the shapes, 0 when none), and the counts
    of the rows' states that have no shape (territories), by name."""
    fips = shapes.state_fips()
    by_name = rows.groupby("state").size()
    drawn = pd.Series({f: int(by_name.get(n, 0)) for n, f in fips.items()}, name="n").sort_index()
    missing = by_name[~by_name.index.isin(list(fips))].sort_values(ascending=False)
    return drawn, missing


def county_counts(rows: pd.DataFrame, shapes: Shapes, places: pd.DataFrame | None = None
                  ) -> tuple[pd.Series, pd.DataFrame]:
    """Agreements per county FIPS code (counties with at least one), and the rows that could
    not be placed on a county (blank or unplaceable county, or a territory), with the column
    ``how`` (:func:`placements`; ``places``: the cited table of places)."""
    placed_rows = placements(rows, shapes, places)
    fips = placed_rows["county_fips"]
    placed = fips[fips != ""]
    counts = placed.groupby(placed).size().rename("n").sort_index()
    return counts, rows[fips == ""].assign(how=placed_rows["how"][fips == ""])


# --------------------------------------------------------------------------- classes
@i18n.speaks
def class_labels(edges: list[int]) -> list[str]:
    """``[1, 10, 25]`` -> ``["1–9", "10–24", "25 or more"]`` (a class of one value: ``"1"``);
    in the language in use ("25 o más")."""
    labels = []
    fmt = i18n.format_int
    for i, lo in enumerate(edges):
        if i == len(edges) - 1:
            labels.append(tr("{n} or more", n=fmt(lo)))
        else:
            hi = edges[i + 1] - 1
            labels.append(fmt(lo) if hi == lo else f"{fmt(lo)}–{fmt(hi)}")
    return labels


def classify(values, edges: list[int]) -> np.ndarray:
    """Class index of each value: -1 for 0 (none), else the index of the largest edge <= v."""
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(edges, dtype=float), v, side="right") - 1
    return np.where(v <= 0, -1, idx)


def class_colors(n: int) -> list[str]:
    """``n`` colours of :data:`BLUES`, spread from light to dark."""
    if n > len(BLUES):
        raise ValueError(f"at most {len(BLUES)} classes")
    picks = np.round(np.linspace(0, len(BLUES) - 1, n)).astype(int)
    return [BLUES[i] for i in picks]


def colors_for(values, edges: list[int]) -> list[str]:
    palette = class_colors(len(edges))
    return [NONE_COLOR if c < 0 else palette[c] for c in classify(values, edges)]


# --------------------------------------------------------------------------- drawing
def _draw(ax, paths, colors, *, edge=EDGE_COLOR, lw=0.3, zorder=1):
    coll = PathCollection(list(paths), facecolors=colors, edgecolors=edge, linewidths=lw,
                          zorder=zorder)
    ax.add_collection(coll)
    return coll


def _frame(ax, bounds):
    x0, y0, x1, y1 = bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)  # screen coordinates: y grows downwards
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_axis_off()


def _bounds(paths, pad: float = 4.0):
    ext = np.array([p.get_extents().bounds for p in paths])  # x, y, w, h
    return (ext[:, 0].min() - pad, ext[:, 1].min() - pad,
            (ext[:, 0] + ext[:, 2]).max() + pad, (ext[:, 1] + ext[:, 3]).max() + pad)


#: Figure-height gap kept between the stacked parts of a map (footer, legend, map, title).
_GAP = 0.012


def _top(artist, fig, renderer) -> float:
    """The top of an artist's drawn box, in figure-height fractions."""
    return artist.get_window_extent(renderer).y1 / fig.bbox.height


def _layout(fig, axes, edges, legend_title: str, title: str, footer: str, *, ncol: int = 4,
            wrap: int = 48) -> None:
    """Title at the top; from the bottom up the footer (source line), then the legend, then
    the map(s). Measured, not guessed: a longer footer pushes the legend and the maps up
    instead of drawing over them. ``axes`` are the maps, top to bottom; the lowest one is
    shortened when the legend needs the room (the others keep their place)."""
    fig.text(0.02, 0.985, "\n".join(textwrap.wrap(title, wrap)), ha="left", va="top",
             fontsize=14, fontweight="bold")
    charts.set_title_text(fig, title)
    # 12 pt and up: at least 10 CSS px when the map shrinks to a 390 px phone's column
    # (issue 21; tests/test_charts_phone.py measures it).
    foot = fig.text(0.02, _GAP, "\n".join(textwrap.wrap(footer, 58)), ha="left", va="bottom",
                    fontsize=12, color="#444444")
    renderer = fig.canvas.get_renderer()
    palette = class_colors(len(edges))
    handles = [Patch(facecolor=NONE_COLOR, edgecolor="#999999", label=tr("None"))]
    handles += [Patch(facecolor=c, edgecolor="none", label=lab)
                for c, lab in zip(palette, class_labels(edges))]
    legend = fig.legend(handles=handles, loc="lower center",
                        bbox_to_anchor=(0.5, _top(foot, fig, renderer) + _GAP / 2), ncol=ncol,
                        fontsize=12, title=legend_title, title_fontsize=12, frameon=False,
                        handlelength=1.4, columnspacing=1.0, borderaxespad=0.0)
    floor = _top(legend, fig, renderer) + _GAP
    lowest = axes[-1]
    x0, y0, w, h = lowest.get_position().bounds
    if y0 < floor:
        lowest.set_position([x0, floor, w, y0 + h - floor])


@i18n.speaks
def footer(missing: str = "") -> str:
    """A map's footer: a note (e.g. :func:`missing_text`), then the source line, in the
    language in use."""
    return f"{missing} {tr(SOURCE)}".strip()


@i18n.speaks
def state_map(shapes: Shapes, counts: pd.Series, *, title: str, note: str = "",
              edges: list[int] = STATE_EDGES, legend_title: str | None = None):
    """Choropleth of the states (``counts`` by state FIPS code); the legend's title defaults to
    "Agreements" in the language in use."""
    legend_title = tr("Agreements") if legend_title is None else legend_title
    with charts.styled():
        fig = plt.figure(figsize=(5.6, 4.9))
        ax = fig.add_axes([0.01, 0.26, 0.98, 0.58])
        values = shapes.states["fips"].map(counts).fillna(0)
        _draw(ax, shapes.states["path"], colors_for(values, edges), edge=STATE_EDGE, lw=0.4)
        _frame(ax, shapes.bounds)
        _layout(fig, [ax], edges, legend_title, title, footer(note))
    return fig


@i18n.speaks
def county_map(shapes: Shapes, counts: pd.Series, *, title: str, note: str = "",
               edges: list[int] = COUNTY_EDGES, state: str | None = None,
               highlight: str | None = None, highlight_label: str = "",
               legend_title: str | None = None):
    """Choropleth of counties (``counts`` by county FIPS code) with state borders on top; one
    state only when ``state`` (a FIPS code) is given; ``highlight`` outlines one county. The
    legend's title defaults to "Agreements in the county" in the language in use."""
    legend_title = tr("Agreements in the county") if legend_title is None else legend_title
    counties = shapes.counties if state is None else shapes.counties[shapes.counties["state"] == state]
    states = shapes.states if state is None else shapes.states[shapes.states["fips"] == state]
    with charts.styled():
        fig = plt.figure(figsize=(5.6, 5.2 if state else 4.9))
        ax = fig.add_axes([0.01, 0.27, 0.98, 0.57])
        values = counties["fips"].map(counts).fillna(0)
        _draw(ax, counties["path"], colors_for(values, edges),
              edge="#ffffff" if state is None else "#bdbdbd", lw=0.15 if state is None else 0.5)
        _draw(ax, states["path"], ["none"] * len(states), edge=STATE_EDGE,
              lw=0.5 if state is None else 0.9, zorder=2)
        if highlight is not None:
            target = counties[counties["fips"] == highlight]
            if target.empty:
                raise ValueError(f"no county {highlight} to highlight")
            _draw(ax, target["path"], ["none"], edge=HIGHLIGHT, lw=2.2, zorder=3)
            if highlight_label:
                x0, y0, w, h = target["path"].iloc[0].get_extents().bounds
                ax.annotate(highlight_label, xy=(x0 + w * 0.55, y0 + h * 0.4),
                            xytext=(x0 - 0.02 * (shapes.frame[0]), y0 + h * 0.1),
                            textcoords="data", ha="right", va="center", fontsize=12,
                            color=HIGHLIGHT, fontweight="bold",
                            arrowprops=dict(arrowstyle="-", color=HIGHLIGHT, lw=1.2))
        _frame(ax, shapes.bounds if state is None else _bounds(states["path"]))
        _layout(fig, [ax], edges, legend_title, title, footer(note), ncol=3 if state else 4)
    return fig


#: Characters per line of a before/after panel's label (12 pt bold on a 5.6 in figure).
PANEL_WRAP = 52


@i18n.speaks
def before_after_map(shapes: Shapes, before: pd.Series, after: pd.Series, *, title: str,
                     labels: tuple[str, str], note: str = "", edges: list[int] = STATE_EDGES):
    """Two state maps, one above the other (a phone's column), with the same classes. A
    label longer than the figure's width (:data:`PANEL_WRAP` characters), or with a line
    break of its own, takes two lines and its map is shortened by the extra line."""
    with charts.styled():
        fig = plt.figure(figsize=(5.6, 9.2))
        for k, (counts, label) in enumerate([(before, labels[0]), (after, labels[1])]):
            lines = [line for part in label.split("\n") for line in textwrap.wrap(part, PANEL_WRAP)]
            label = "\n".join(lines)
            ax = fig.add_axes([0.01, 0.555 - 0.375 * k, 0.98, 0.342 - 0.022 * (len(lines) - 1)])
            values = shapes.states["fips"].map(counts).fillna(0)
            _draw(ax, shapes.states["path"], colors_for(values, edges), edge=STATE_EDGE, lw=0.4)
            _frame(ax, shapes.bounds)
            ax.set_title(label, loc="left", fontsize=12, fontweight="bold", pad=2)
        _layout(fig, fig.axes, edges, tr("Agreements in the state"), title, footer(note))
    return fig


# --------------------------------------------------------------------------- words
@i18n.speaks
def named_counts(shapes: Shapes, counts: pd.Series, level: str = "states") -> pd.Series:
    """``counts`` by FIPS code re-keyed by state (or county) name (county names repeat across
    states: re-key the counties of one state only). State names are written as the language
    in use writes them (:func:`ice287g.words.state_name`: "Luisiana" in Spanish); these are for
    titles and alt text, not data tables."""
    table = shapes.states if level == "states" else shapes.counties
    names = dict(zip(table["fips"], table["name"]))
    if level == "states":
        names = {f: words.state_name(n) for f, n in names.items()}
    return pd.Series({names.get(f, f): int(v) for f, v in counts.items()})


@i18n.speaks
def top_text(named: pd.Series, n: int = 3) -> str:
    """``"Texas (403), Florida (352) and Louisiana (100)"`` (ties by name)."""
    top = named[named > 0].rename_axis("k").reset_index(name="v").sort_values(
        ["v", "k"], ascending=[False, True]).head(n)
    return words.join_names([f"{k} ({i18n.format_int(v)})" for k, v in zip(top["k"], top["v"])])


@i18n.speaks
def missing_text(missing: pd.Series, *, list_name: str | None = None) -> str:
    """Footer note naming the agreements a state map cannot draw (territories), "" when none;
    ``list_name`` names the list they are on, for a map of two lists (e.g. "latest list",
    already in the language in use)."""
    if missing.empty:
        return ""
    places = ", ".join(f"{words.state_name(name)} ({i18n.format_int(int(n))})"
                       for name, n in missing.items())
    if list_name:
        return tr("Not drawn (no shape), {list_name}: {places}.", list_name=list_name,
                  places=places)
    return tr("Not drawn (no shape): {places}.", places=places)


@i18n.speaks
def describe(kind: str, shapes: Shapes, counts: pd.Series, *, when: str, extra: str = "") -> str:
    """Alt text stating what a map shows, from the numbers it draws."""
    if kind == "states":
        named = named_counts(shapes, counts.reindex(shapes.states["fips"], fill_value=0))
        n_with = int((named > 0).sum())
        text = tr("Map of the 50 states and the District of Columbia shaded by the number of "
                  "287(g) agreements on ICE's list of {when}: {n_with} have at least one, "
                  "{n_none} have none. Most: {top}.", when=when, n_with=n_with,
                  n_none=len(named) - n_with, top=top_text(named))
    else:
        n_with = int((counts > 0).sum())
        text = tr("Map of U.S. counties shaded by the number of 287(g) agreements on ICE's "
                  "list of {when} that name the county: {n_with} counties have at least one.",
                  when=when, n_with=i18n.format_int(n_with))
    return f"{text} {extra}".strip()


@i18n.speaks
def describe_florida(shapes: Shapes, fl_counts: pd.Series, *, when: str) -> str:
    """Alt text of the map of Florida's counties (``fl_counts``: every Florida county's
    count by FIPS code) with Monroe County outlined."""
    n_with = int((fl_counts > 0).sum())
    return tr("Map of Florida's {n_all} counties shaded by the number of 287(g) agreements on "
              "ICE's list of {when} that name the county: {n_with} have at least one; most: "
              "{top}. Monroe County, at the southern tip with the Florida Keys and Key West, "
              "is outlined and has {n_monroe}.", n_all=len(fl_counts), when=when,
              n_with=n_with, top=top_text(named_counts(shapes, fl_counts, level="counties")),
              n_monroe=int(fl_counts.get(MONROE_FL, 0)))


@i18n.speaks
def florida_title(fl_counts: pd.Series) -> str:
    """Title of the map of Florida's counties, from the counts it draws."""
    n_with, n_all = int((fl_counts > 0).sum()), len(fl_counts)
    if n_with == n_all:
        return tr("Every Florida county has an agreement on ICE's latest list")
    return tr("{n_with} of Florida's {n_all} counties have an agreement on ICE's latest list",
              n_with=n_with, n_all=n_all)


@i18n.speaks
def monroe_label(fl_counts: pd.Series) -> str:
    """The label beside Monroe County's outline: its name, Key West and its count."""
    return tr("Monroe County\n(Key West): {n}", n=int(fl_counts.get(MONROE_FL, 0)))


@i18n.speaks
def describe_before_after(shapes: Shapes, before: pd.Series, after: pd.Series, *,
                          before_when: str, after_when: str, cutoff: str) -> str:
    """Alt text of :func:`before_after_map` (``cutoff``: the date the first map is before)."""
    return tr("Two maps of the states, one above the other, shaded by the number of 287(g) "
              "agreements. On ICE's last list before {cutoff} ({before_when}) {n_before} "
              "states have at least one, most in {top_before}; on the latest ({after_when}) "
              "{n_after} do, most in {top_after}.", cutoff=cutoff, before_when=before_when,
              n_before=int((before > 0).sum()), top_before=top_text(named_counts(shapes, before)),
              after_when=after_when, n_after=int((after > 0).sum()),
              top_after=top_text(named_counts(shapes, after)))


@i18n.speaks
def counties_by_state(shapes: Shapes, by_county: pd.Series) -> pd.Series:
    """How many counties of each state (by name, as :func:`named_counts` writes it) have at
    least one agreement."""
    names = {f: words.state_name(n) for f, n in zip(shapes.states["fips"], shapes.states["name"])}
    with_one = by_county[by_county > 0]
    return with_one.groupby(with_one.index.str[:2]).size().rename(index=names)
