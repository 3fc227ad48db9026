"""Plane geometry of the map shapes (px of the shapes' 975 x 610 frame): the one
Douglas-Peucker simplification. tools/shapes/make_us_atlas.py simplifies the committed shapes'
arcs with it; :mod:`ice287g.timemap` the time map's outlines. It imports nothing of the
package, so the shapes tool needs no more of it than this.
"""

from __future__ import annotations

import numpy as np


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """The points of a line kept by Douglas-Peucker within ``tolerance`` of it; the first and
    last are always kept."""
    n = len(points)
    if n <= 2:
        return points
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1:b] - points[a]
        length = float(np.hypot(*seg))
        if length == 0:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / length
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            k = a + 1 + i
            keep[k] = True
            stack += [(a, k), (k, b)]
    return points[keep]
