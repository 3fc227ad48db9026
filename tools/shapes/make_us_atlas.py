"""Make the book's compact map shapes from the npm package us-atlas (ISC licence; the shapes are
the U.S. Census Bureau's 2017 cartographic boundary files, public domain).

    npm ci    # us-atlas 3.0.1 is pinned in package.json / package-lock.json
    .venv/bin/python tools/shapes/make_us_atlas.py node_modules/us-atlas/counties-albers-10m.json

writes data/shapes/us-counties-albers.json. The input is a TopoJSON topology of the counties,
states and nation, already projected (d3.geoAlbersUsa, Alaska and Hawaii as insets) to a
975 x 610 px frame. This script keeps the topology (shared borders stay shared) and makes it
smaller: every arc is decoded, simplified with Douglas-Peucker at TOLERANCE px (the package's
one implementation, ice287g.geometry.douglas_peucker; endpoints are kept, so neighbouring
shapes still meet), re-quantised to a grid of GRID px and delta-encoded again; the
geometries become plain lists (the nation, which the states cover, is dropped):

    {"source": {...}, "grid": 0.1, "arcs": [[[x, y], [dx, dy], ...], ...],
     "states": [["12", "Florida", polygons], ...],
     "counties": [["12087", "Monroe", polygons], ...]}

with ``polygons`` a list of polygons, each a list of rings, each a list of arc indexes
(TopoJSON's convention: ``~i`` is arc ``i`` reversed; the first ring is the outer one).
The book reads it with ice287g.maps; nothing is fetched at build or read time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the package of this checkout (python tools/shapes/...)
    sys.path.insert(0, str(REPO))
from ice287g.geometry import douglas_peucker  # noqa: E402

OUT = REPO / "data" / "shapes" / "us-counties-albers.json"
#: Simplification tolerance and output grid, in px of the 975 x 610 frame (the Florida map
#: enlarges Florida about five times, so 0.3 px becomes about 1.5 px there).
TOLERANCE = 0.3
GRID = 0.1


def decode(topology: dict) -> list[np.ndarray]:
    """Absolute coordinates (px) of every arc of a quantised TopoJSON topology."""
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
        out.append(np.column_stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty]))
    return out


def encode(arcs: list[np.ndarray], grid: float) -> tuple[list, dict]:
    """Quantise to ``grid`` px and delta-encode; drop repeated points (an arc keeps two)."""
    out = []
    for pts in arcs:
        q = np.round(pts / grid).astype(np.int64)
        same = np.zeros(len(q), dtype=bool)
        same[1:] = (q[1:] == q[:-1]).all(axis=1)
        same[-1] = False
        q = q[~same]
        if len(q) == 1:
            q = np.vstack([q, q])
        deltas = np.vstack([q[:1], np.diff(q, axis=0)])
        out.append(deltas.tolist())
    return out, {"scale": [grid, grid], "translate": [0, 0]}


def make(source: Path, tolerance: float = TOLERANCE, grid: float = GRID) -> dict:
    raw = source.read_bytes()
    topology = json.loads(raw)
    if topology.get("type") != "Topology" or "counties" not in topology.get("objects", {}):
        raise ValueError(f"{source}: not the us-atlas counties topology")
    arcs = [douglas_peucker(a, tolerance) for a in decode(topology)]
    encoded, transform = encode(arcs, grid)
    return {
        "format": "ice287g-shapes/1",
        "source": {
            "package": "us-atlas 3.0.1 (npm, ISC licence, Copyright 2013-2019 Michael Bostock)",
            "file": source.name,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "data": "U.S. Census Bureau, cartographic boundary files 2017, 1:10,000,000 "
                    "(public domain), projected with d3.geoAlbersUsa to 975 x 610 px",
            "made_by": "tools/shapes/make_us_atlas.py",
            "tolerance_px": tolerance,
            "grid_px": grid,
        },
        "frame": [975, 610],
        "grid": transform["scale"][0],
        "arcs": encoded,
        "states": _geometries(topology["objects"]["states"]),
        "counties": _geometries(topology["objects"]["counties"]),
    }


def _geometries(collection: dict) -> list:
    """[[id, name, polygons], ...] of a TopoJSON GeometryCollection (sorted by id)."""
    out = []
    for geom in collection["geometries"]:
        if geom["type"] == "Polygon":
            polygons = [geom["arcs"]]
        elif geom["type"] == "MultiPolygon":
            polygons = geom["arcs"]
        else:
            raise ValueError(f"unexpected geometry type {geom['type']} for {geom.get('id')}")
        out.append([str(geom["id"]), geom["properties"]["name"], polygons])
    return sorted(out, key=lambda g: g[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="us-atlas counties-albers-10m.json")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    data = make(args.source)
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(body, encoding="utf-8")
    print(f"{args.out.relative_to(REPO)}: {len(body):,} bytes "
          f"({args.source.stat().st_size:,} in the source)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
