"""Stage 5: the trend rules -- which publications stay out of trend lines, and why.

Each rule is ONE function that decides and explains: given the publications of a list (in
time order) and the keys already excluded by the rules before it, it returns
``{publication key: note}`` for the publications it excludes. It never modifies a
publication. ``decide`` runs the rules of a list in order; ``apply`` writes the decision onto
the publications (``trend_excluded``, ``notes``). The QA stage runs ``decide`` again on the
same publications and checks that the outputs carry exactly that decision, so QA can never
contradict the build.

Rules, in order (participating lists; pending lists have only the first two):

1. ``wrong_columns``      the sheet holds the other list's columns; its rows are not used.
2. ``contradicted_stamp`` its rows contradict its stamp and no documented correction applies
   (``s4_group.check_stamps``).
3. ``collapsed_count``    fewer rows than ``COLLAPSE_SHARE`` of the median of its neighbours
   (``COLLAPSE_WINDOW`` publications before and after it among those rules 1-2 kept). Every
   publication is judged once, against the same neighbours, and the decision is applied
   afterwards: two adjacent collapses are both caught, and a list is never re-judged after
   its neighbours were excluded (see data/README.md, "Trend rules", for the consequence).
4. ``stale_list``         the exact list of a publication at least ``STALE_MIN_BACK``
   publications earlier (among those rules 1-3 kept), re-published after newer lists. It runs
   after the collapse rule so that a list coming back unchanged after a collapse is not
   called stale because of the collapsed lists between.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from .records import Publication
from .thresholds import COLLAPSE_SHARE, COLLAPSE_WINDOW, STALE_MIN_BACK

#: A rule: (publications in order, keys excluded by earlier rules) -> {key: note}.
Rule = Callable[[list[Publication], frozenset[str]], dict[str, str]]


@dataclass(frozen=True)
class Exclusion:
    """One rule's decision about one publication."""

    publication: str
    rule: str
    note: str


def wrong_columns(pubs: list[Publication], excluded: frozenset[str]) -> dict[str, str]:
    """A sheet holding the other list's columns: kept in the snapshot table, rows not used."""
    out = {}
    for p in pubs:
        wrong = [r for r in p.files if r.wrong_columns]
        if wrong:
            out[p.id] = wrong[0].parsed.notes[0] + "; its rows are not used"
    return out


def contradicted_stamp(pubs: list[Publication], excluded: frozenset[str]) -> dict[str, str]:
    """A stamp its rows contradict, with no documented correction (the stamp is kept)."""
    out = {}
    for p in pubs:
        bad = [r for r in p.files if r.stamp_contradicted]
        if bad:
            r = bad[0]
            out[p.id] = r.stamp_note if r is p.rep else f"{r.sf.path.name}: {r.stamp_note}"
    return out


def stale_list(pubs: list[Publication], excluded: frozenset[str]) -> dict[str, str]:
    """A list re-published after newer ones: the exact list of a publication at least
    ``STALE_MIN_BACK`` kept publications earlier, unlike its predecessor (a toggle back to
    the list just before the previous one is kept: the archive shows real back-and-forth)."""
    out = {}
    kept: list[Publication] = []
    last: dict[str, int] = {}
    for p in pubs:
        if p.id in excluded:
            continue
        i, cid = len(kept), p.rep.content_id
        if i and cid != kept[-1].rep.content_id and cid in last \
                and i - last[cid] >= STALE_MIN_BACK:
            q = kept[last[cid]]
            out[p.id] = (f"stale list: the same list as {q.id} ({len(p.row_ids)} rows), "
                         f"re-published after {i - last[cid] - 1} newer lists")
            continue
        last[cid] = i
        kept.append(p)
    return out


def _neighbour_median(pubs: list[Publication], excluded: frozenset[str]) -> dict[str, float]:
    """Median row count of each publication's neighbours among the kept ones (up to
    ``COLLAPSE_WINDOW`` before and after; an excluded publication gets the kept ones around
    its place). Publications with fewer than two neighbours get none."""
    usable = [p for p in pubs if p.id not in excluded]
    counts = [len(p.row_ids) for p in usable]
    position = {p.id: i for i, p in enumerate(usable)}
    out = {}
    before = 0  # kept publications before the current one
    for p in pubs:
        if p.id in position:
            i = position[p.id]
            window = counts[max(0, i - COLLAPSE_WINDOW):i] + counts[i + 1:i + 1 + COLLAPSE_WINDOW]
            before = i + 1
        else:
            i = before
            window = counts[max(0, i - COLLAPSE_WINDOW):i] + counts[i:i + COLLAPSE_WINDOW]
        if len(window) >= 2:
            out[p.id] = statistics.median(window)
    return out


def collapsed_count(pubs: list[Publication], excluded: frozenset[str]) -> dict[str, str]:
    """A list holding fewer than ``COLLAPSE_SHARE`` of the median of its neighbours.

    Every publication is measured against its neighbours among those the earlier rules kept,
    all in one pass; already-excluded publications are measured (and noted) too."""
    med = _neighbour_median(pubs, excluded)
    return {p.id: f"count collapsed: {len(p.row_ids)} rows where its neighbours hold a "
                  f"median of {med[p.id]:g}"
            for p in pubs if p.id in med and len(p.row_ids) < COLLAPSE_SHARE * med[p.id]}


#: The rules of each list, in the order they run.
RULES: dict[str, tuple[Rule, ...]] = {
    "participating": (wrong_columns, contradicted_stamp, collapsed_count, stale_list),
    "pending": (wrong_columns, contradicted_stamp),
}


def decide(pubs: list[Publication], list_name: str) -> list[Exclusion]:
    """Every rule's exclusions, rule by rule, each rule seeing what the earlier ones excluded.
    Pure: reads the publications, never changes them."""
    excluded: set[str] = set()
    out: list[Exclusion] = []
    for rule in RULES[list_name]:
        found = rule(pubs, frozenset(excluded))
        out += [Exclusion(p.id, rule.__name__, found[p.id]) for p in pubs if p.id in found]
        excluded.update(found)
    return out


def kept_dips(pubs: list[Publication], exclusions: list[Exclusion]) -> dict[str, str]:
    """Trend publications that the collapse rule, re-run on the trend series alone, would
    call collapsed: kept by design (each list is judged once), reported in qa.csv."""
    excluded = frozenset(e.publication for e in exclusions)
    trend = [p for p in pubs if p.id not in excluded]
    return collapsed_count(trend, frozenset())


def apply(pubs: list[Publication], exclusions: list[Exclusion], name_same_lists: bool) -> None:
    """Mark the excluded publications and add each rule's note (once) to their notes; with
    ``name_same_lists``, also name the publications carrying the same list."""
    by_pub = defaultdict(list)
    for e in exclusions:
        by_pub[e.publication].append(e)
    for p in pubs:
        for e in by_pub.get(p.id, ()):
            p.trend_excluded = True
            if e.note and e.note not in p.notes:
                p.notes.append(e.note)
    if not name_same_lists:
        return
    by_content = defaultdict(list)
    for p in pubs:
        by_content[p.rep.content_id].append(p.id)
    for p in pubs:
        if p.trend_excluded:
            same = [q for q in by_content[p.rep.content_id] if q != p.id]
            if same:
                p.notes.append("same list as " + ", ".join(same[:5])
                               + (f" (+{len(same) - 5} more)" if len(same) > 5 else ""))
