"""The map through time (issue 26): ICE's lists from January 2021 to the latest, by state and
Florida by county, one step per trend list, with a slider and a play button.

The page (chapters/time-map.md, directive ``{time-map}`` in _ext/feeds.py) is written whole
at build time by :func:`page_html` from ``data/processed`` and the map shapes of
:mod:`ice287g.maps`: two SVG maps drawn for the latest list (the page's picture for a reader
without JavaScript, with alt text stating its numbers), a table of the counts on every list,
and the steps' numbers and words as JSON inside the page (``<script type="application/json">``,
escaped by :func:`ice287g.lookup.script_json`) that the book's small script
(assets/timemap/timemap.js) reads to recolour the maps: no request for data, so the page works
opened from ``file://`` as over http, with no kernel.

Counts follow the maps chapter: an agreement is a distinct ``agreement_id`` on a trend list
(:func:`ice287g.diff.load_side`'s presence), states by :func:`ice287g.maps.state_counts`,
Florida's counties by :func:`ice287g.maps.placements` with the cited table of places; the
colours are the maps' classes (:data:`ice287g.maps.STATE_EDGES`, :data:`~ice287g.maps.COUNTY_EDGES`,
one-hue blues, colour-blind safe). The state outlines are simplified here (Douglas-Peucker,
:data:`STATE_TOLERANCE` px of the shapes' 975 px frame) so the page stays small.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from . import diff, i18n, maps, words
from .geometry import douglas_peucker
from .i18n import tr
from .lookup import read_places, script_json

FORMAT = "ice287g-timemap/1"
#: Simplification of the outlines, in px of the shapes' frame (975 x 610).
STATE_TOLERANCE = 0.7
COUNTY_TOLERANCE = 0.25
#: Names shown in an alt text's "the most" list.
TOP = 3


# --------------------------------------------------------------------------- outlines
def simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """A ring's points kept within ``tolerance`` of the original
    (:func:`ice287g.geometry.douglas_peucker`); a ring of four points or fewer is kept whole."""
    return points if len(points) <= 4 else douglas_peucker(points, tolerance)


def svg_path(path, tolerance: float, digits: int = 1, min_area: float = 0.0) -> str:
    """A matplotlib Path of closed rings as an SVG path ``d`` (each ring simplified; rings
    smaller than ``min_area`` px² dropped: specks of islands)."""
    verts, codes = path.vertices, path.codes
    starts = np.flatnonzero(codes == 1)  # MOVETO
    ends = list(starts[1:]) + [len(verts)]
    parts = []
    for s, e in zip(starts, ends):
        ring = verts[s:e]
        if len(ring) < 3:
            continue
        x, y = ring[:, 0], ring[:, 1]
        area = 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
        if area < min_area:
            continue
        pts = np.round(simplify(ring, tolerance), digits)
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
        pts = pts[keep]
        if len(pts) < 3:
            continue
        fmt = (lambda v: f"{v:.{digits}f}".rstrip("0").rstrip(".")) if digits else \
            (lambda v: str(int(v)))
        first = f"M{fmt(pts[0, 0])} {fmt(pts[0, 1])}"
        rest = "L" + " ".join(f"{fmt(px)} {fmt(py)}" for px, py in pts[1:])
        parts.append(first + rest + "Z")
    return "".join(parts)


def _box(paths) -> tuple[float, float, float, float]:
    ext = [p.get_extents() for p in paths]
    x0 = min(e.x0 for e in ext)
    y0 = min(e.y0 for e in ext)
    x1 = max(e.x1 for e in ext)
    y1 = max(e.y1 for e in ext)
    return x0, y0, x1, y1


# --------------------------------------------------------------------------- the numbers
def steps(side: diff.Side, shapes: maps.Shapes, places: pd.DataFrame | None = None) -> dict:
    """The numbers of every trend list, oldest first: ``pubs`` (rows of snapshots.csv),
    ``total``, ``by_state`` (lists x drawn states, in ``shapes.states`` order), ``elsewhere``
    (agreements in places with no shape: territories), ``florida`` (all of Florida's),
    ``by_county`` (lists x Florida's counties, in ``counties`` order) and ``unplaced``
    (Florida agreements on no county)."""
    trend = side.trend
    keys = list(trend[diff.PUB])
    pres = side.ds.presence.drop_duplicates([diff.PUB, diff.AID])
    names = list(shapes.states["name"])
    by_state = pd.crosstab(pres[diff.PUB], pres["state"]).reindex(index=keys, fill_value=0)
    drawn = by_state.reindex(columns=names, fill_value=0)
    other = [c for c in by_state.columns if c not in set(names)]
    elsewhere = by_state[other].sum(axis=1) if other else pd.Series(0, index=keys)
    total = pres.groupby(diff.PUB)[diff.AID].nunique().reindex(keys, fill_value=0)

    fl_rows = side.ds.agreements[side.ds.agreements["state"] == "Florida"]
    placed = maps.placements(fl_rows, shapes, places)["county_fips"]
    fips_of = dict(zip(fl_rows[diff.AID], placed))
    counties = shapes.counties[shapes.counties["state"] == maps.FLORIDA].sort_values("name")
    fl = pres[pres["state"] == "Florida"]
    fl = fl.assign(fips=fl[diff.AID].map(fips_of).fillna(""))
    florida = fl.groupby(diff.PUB)[diff.AID].nunique().reindex(keys, fill_value=0)
    by_county = pd.crosstab(fl[diff.PUB], fl["fips"]).reindex(index=keys, fill_value=0)
    unplaced = by_county[""] if "" in by_county.columns else pd.Series(0, index=keys)
    by_county = by_county.reindex(columns=list(counties["fips"]), fill_value=0)
    return {"pubs": trend.to_dict("records"), "total": total.to_numpy(),
            "by_state": drawn.to_numpy(), "states": names, "elsewhere": elsewhere.to_numpy(),
            "florida": florida.to_numpy(), "by_county": by_county.to_numpy(),
            "counties": counties, "unplaced": unplaced.to_numpy()}


def _top(names: list[str], values, lang: str) -> str:
    order = sorted(((int(v), n) for n, v in zip(names, values) if v), key=lambda t: (-t[0], t[1]))
    return words.join_names([tr("{name} ({n})", lang=lang, name=n, n=i18n.format_int(v, lang))
                             for v, n in order[:TOP]], lang)


def step_words(data: dict, lang: str) -> dict[str, list[str]]:
    """Each step's words in ``lang``: ``label`` (the list for people), ``ids`` (its name in
    the address), ``status`` (the line under the slider), ``alt`` (the national map's text)
    and ``fl_alt`` (Florida's)."""
    from .feeds import list_id

    state_names = [words.state_name(n, lang) for n in data["states"]]
    county_names = list(data["counties"]["name"])
    n_counties = len(county_names)
    out: dict[str, list[str]] = {"label": [], "ids": [], "status": [], "alt": [], "fl_alt": []}
    seen: dict[str, int] = {}
    for i, pub in enumerate(data["pubs"]):
        label = words.publication_label(pub, lang)
        ident = list_id(pub)
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:
            ident = f"{ident}-{seen[ident]}"
        row = data["by_state"][i]
        n, fl = int(data["total"][i]), int(data["florida"][i])
        k = int((row > 0).sum())
        status = tr("ICE's list of {date}: {n} agreements in {k} states; {fl} in Florida.",
                    lang=lang, date=label, n=i18n.format_int(n, lang),
                    k=i18n.format_int(k, lang), fl=i18n.format_int(fl, lang))
        alt = tr("Map of the United States by state, ICE's list of {date}: {n} agreements in "
                 "{k} states; the most in {top}.", lang=lang, date=label,
                 n=i18n.format_int(n, lang), k=i18n.format_int(k, lang),
                 top=_top(state_names, row, lang) or tr("none", lang=lang))
        if data["elsewhere"][i]:
            alt += " " + tr("{n} more in territories the map does not draw.", lang=lang,
                            n=i18n.format_int(int(data["elsewhere"][i]), lang))
        crow = data["by_county"][i]
        fl_alt = tr("Map of Florida by county, ICE's list of {date}: {n} agreements in Florida, "
                    "in {k} of its {total} counties; the most in {top}.", lang=lang, date=label,
                    n=i18n.format_int(fl, lang), k=i18n.format_int(int((crow > 0).sum()), lang),
                    total=i18n.format_int(n_counties, lang),
                    top=_top(county_names, crow, lang) or tr("none", lang=lang))
        if data["unplaced"][i]:
            fl_alt += " " + tr("{n} not drawn: ICE's list gives no county the map can place.",
                               lang=lang, n=i18n.format_int(int(data["unplaced"][i]), lang))
        for key, value in (("label", label), ("ids", ident), ("status", status), ("alt", alt),
                           ("fl_alt", fl_alt)):
            out[key].append(value)
    return out


# --------------------------------------------------------------------------- the page
def _legend(edges: list[int], colors: list[str], title: str, lang: str) -> str:
    with i18n.language(lang):
        labels = maps.class_labels(edges)
    items = [f'<li><span class="timemap-swatch" style="background:{maps.NONE_COLOR}"></span>'
             f'{escape(tr("None", lang=lang))}</li>']
    items += [f'<li><span class="timemap-swatch" style="background:{c}"></span>{escape(t)}</li>'
              for c, t in zip(colors, labels)]
    return (f'<div class="timemap-legend"><p>{escape(title)}</p><ul>{"".join(items)}</ul></div>')


def _colors(values, edges: list[int]) -> list[str]:
    return maps.colors_for(np.asarray(values), edges)


def _svg(ident: str, shapes_rows, d_list, colors, box, alt: str, label: str) -> str:
    x0, y0, x1, y1 = box
    paths = "".join(
        f'<path d="{d}" fill="{c}" data-i="{i}"><title>{escape(str(name))}</title></path>'
        for i, (name, d, c) in enumerate(zip(shapes_rows, d_list, colors)) if d)
    return (f'<svg id="{ident}" class="timemap-svg" viewBox="{x0:.0f} {y0:.0f} '
            f'{x1 - x0:.0f} {y1 - y0:.0f}" role="img" aria-labelledby="{ident}-alt" '
            f'preserveAspectRatio="xMidYMid meet" focusable="false">'
            f'<title id="{ident}-alt">{escape(alt)}</title>{paths}</svg>')


CSS = """
.timemap-controls{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;margin:.5rem 0}
.timemap-controls label{font-weight:600}
.timemap-controls input[type=range]{flex:1 1 14rem;min-height:44px;accent-color:#08519c}
.timemap-controls button{min-height:44px;min-width:5.5rem;padding:.25rem 1rem;border:1px solid #08519c;border-radius:.3rem;background:#fff;color:#08306b;font-weight:600;cursor:pointer}
.timemap-controls button:focus-visible,.timemap-controls input:focus-visible{outline:3px solid #d55e00;outline-offset:2px}
.timemap-status{font-size:1.05rem;font-weight:600;margin:.25rem 0 .5rem}
.timemap-svg{width:100%;height:auto;display:block}
.timemap-svg path{stroke:#fff;stroke-width:.5;transition:fill .25s}
#timemap-us path{stroke:#4d4d4d;stroke-width:.6}
.timemap-fl .timemap-svg{max-width:32rem}
.timemap-legend p{margin:.25rem 0;font-size:.9rem}
.timemap-legend ul{display:flex;flex-wrap:wrap;gap:.25rem .9rem;list-style:none;padding:0;margin:0 0 .5rem;font-size:.9rem}
.timemap-swatch{display:inline-block;width:1rem;height:1rem;margin-right:.3rem;vertical-align:-.15rem;border:1px solid #999}
.timemap-note{font-size:.9rem}
.timemap figure{margin:.5rem 0 1rem}
.timemap figcaption{font-size:.85rem}
@media (prefers-reduced-motion: reduce){.timemap-svg path{transition:none}}
html[data-theme=dark] .timemap-controls button{background:#1b1b1b;color:#c6dbef;border-color:#6baed6}
"""


def page_html(lang: str, processed: Path | str | None = None,
              side: diff.Side | None = None) -> str:
    """The time map's HTML in ``lang``: controls (hidden until the script runs), the two maps
    drawn for the latest list, legends, a note for readers without JavaScript, the table of
    every list's counts and the steps' data."""
    side = side if side is not None else diff.load_side(processed)
    shapes = maps.load_shapes()
    places = read_places()
    data = steps(side, shapes, places)
    text = step_words(data, lang)
    last = len(data["pubs"]) - 1
    state_d = [svg_path(p, STATE_TOLERANCE, 0, min_area=4) for p in shapes.states["path"]]
    counties = data["counties"]
    county_d = [svg_path(p, COUNTY_TOLERANCE, 1, min_area=0.05) for p in counties["path"]]
    state_colors = maps.class_colors(len(maps.STATE_EDGES))
    county_colors = maps.class_colors(len(maps.COUNTY_EDGES))
    us_names = [words.state_name(n, lang) for n in data["states"]]
    us_svg = _svg("timemap-us", us_names, state_d,
                  _colors(data["by_state"][last], maps.STATE_EDGES), _box(shapes.states["path"]),
                  text["alt"][last], text["label"][last])
    fl_svg = _svg("timemap-fl", list(counties["name"]), county_d,
                  _colors(data["by_county"][last], maps.COUNTY_EDGES), _box(counties["path"]),
                  text["fl_alt"][last], text["label"][last])
    with i18n.language(lang):
        source = maps.footer()
    payload = {
        "format": FORMAT, "lang": lang, **text,
        "total": [int(v) for v in data["total"]],
        "by_state": [[int(v) for v in row] for row in data["by_state"]],
        "by_county": [[int(v) for v in row] for row in data["by_county"]],
        "state_edges": maps.STATE_EDGES, "state_colors": state_colors,
        "county_edges": maps.COUNTY_EDGES, "county_colors": county_colors,
        "none_color": maps.NONE_COLOR,
        "words": {"play": tr("Play", lang=lang), "pause": tr("Pause", lang=lang),
                  "step": tr("List {i} of {n}", lang=lang)},
    }
    rows = "".join(
        f"<tr><td>{escape(lbl)}</td><td>{escape(i18n.format_int(int(n), lang))}</td>"
        f"<td>{escape(i18n.format_int(int(f), lang))}</td></tr>"
        for lbl, n, f in reversed(list(zip(text["label"], data["total"], data["florida"]))))
    first, latest = text["label"][0], text["label"][last]
    return f"""<style>{CSS}</style>
<div class="timemap" id="timemap">
<div class="timemap-controls" id="timemap-controls" hidden>
<button type="button" id="timemap-play" aria-pressed="false">{escape(tr("Play", lang=lang))}</button>
<label for="timemap-slider">{escape(tr("ICE's list", lang=lang))}</label>
<input type="range" id="timemap-slider" min="0" max="{last}" step="1" value="{last}" aria-valuetext="{escape(latest, quote=True)}" aria-describedby="timemap-status">
</div>
<p class="timemap-note" id="timemap-motion-note" hidden>{escape(tr("Your device asks for less motion: Play steps through the lists without fading the colours.", lang=lang))}</p>
<p class="timemap-note"><a href="../feeds/all.atom" type="application/atom+xml">{escape(tr("Follow the changes", lang=lang))}</a>: {escape(tr("the Atom feed of every list that changed", lang=lang))}</p>
<p class="timemap-status" id="timemap-status" aria-live="polite">{escape(text["status"][last])}</p>
<noscript><p class="timemap-note">{escape(tr("Without JavaScript the maps show the latest list, {date}; the table below gives the counts on every list.", lang=lang, date=latest))}</p></noscript>
<figure class="timemap-us">{us_svg}
<figcaption>{_legend(maps.STATE_EDGES, state_colors, tr("Agreements per state", lang=lang), lang)}</figcaption></figure>
<figure class="timemap-fl"><p class="timemap-note"><strong>{escape(tr("Florida by county", lang=lang))}</strong></p>{fl_svg}
<figcaption>{_legend(maps.COUNTY_EDGES, county_colors, tr("Agreements per county", lang=lang), lang)}<p>{escape(source)}</p></figcaption></figure>
<details class="timemap-table"><summary>{escape(tr("Counts on every list, {first} to {latest}", lang=lang, first=first, latest=latest))}</summary>
<table><caption>{escape(tr("Agreements on each of ICE's lists, newest first", lang=lang))}</caption>
<thead><tr><th scope="col">{escape(tr("List", lang=lang))}</th><th scope="col">{escape(tr("Agreements", lang=lang))}</th><th scope="col">{escape(tr("In Florida", lang=lang))}</th></tr></thead>
<tbody>{rows}</tbody></table></details>
<script type="application/json" id="timemap-data">{script_json(payload)}</script>
</div>
"""


def page_dependencies(processed: Path | str) -> list[Path]:
    """The files the page is made from (the build re-reads the page when one changes)."""
    processed = Path(processed)
    return [*sorted(processed.glob("*.csv")), maps.default_path()]
