"""The book's own counts held against every count of 287(g) agreements published elsewhere.

``data/curated/published_counts.csv`` lists the figures DHS, ICE, the press and trackers
published (who counted, the day or month the figure counts, what was counted, the source, and
the *documented* reason it differs from the book, if it does). :func:`compare` finds, for each
figure, the book's count from ``data/processed/snapshots.csv`` and works out from the data
alone why the two agree or differ; :func:`table` shapes the result for the page.

**The book's count for a day** is the count on the list *in force* that day: the last list
ICE published on or before it (publications kept in trend lines only; a list stamped that day
counts, whatever its time of day). For a figure dated to a month, the lists in force during the
month are the list in force on its first day and every list published in it; the figure matches
if any of them gives it. What is counted follows the figure's ``measure``: agreements (the rows
of a list), agencies (distinct agencies), agreements in Florida, of one support type, or signed
in a given year.

**Reasons**, tried in this order; the first that the data bear out is the reason:

``before_archive``
    the day is before the first list in the archive: the book has no count to hold it against;
``exact``
    a list in force gives the figure;
``within_qualifier``
    the figure is qualified ("about", "almost", "more than") and a list in force is within 2%
    of it on the side the qualifier allows;
``header_row``
    the figure is one more than a list in force: the count of a spreadsheet's rows with its
    header row counted;
``agreements_as_agencies``
    a count of agencies (or departments) equals the *agreements* of a list in force;
``other_list``
    a list published within :data:`WINDOW_DAYS` days before or after gives the figure: the
    counter used another day's list;
``other_list_header_row``
    the same, plus the header row;
``archive_gap``
    the figure lies strictly between the count of the list in force and that of the next list
    in the archive: ICE probably published a list in between that the archive lacks;
``not_explained``
    none of the above.

The curated table documents each reason; ``tests/test_published_counts.py`` fails when the
data no longer bear out a documented reason, or when a figure is ``not_explained`` without
being documented so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from . import i18n, story
from .i18n import tr
from .pipeline.s6_derive import expand_runs

#: How far (days) another list may lie from the figure's day or month to explain it.
WINDOW_DAYS = 14
#: How far (fraction of the figure) a qualified figure ("about 1,000") may lie from the count.
QUALIFIER_TOLERANCE = 0.02
#: The reasons, in the order they are tried (see the module's docstring).
REASONS = ("before_archive", "exact", "within_qualifier", "header_row", "agreements_as_agencies",
           "other_list", "other_list_header_row", "archive_gap", "not_explained")
#: snapshots.csv column behind each measure that the publication table itself counts.
MEASURE_COLUMNS = {"agreements": "n_agreements", "agencies": "n_agencies", "florida": "n_florida",
                   "jem": "n_jail_enforcement_model", "wso": "n_warrant_service_officer",
                   "tfm": "n_task_force_model"}


class PublishedCountError(ValueError):
    """A row of published_counts.csv that cannot be compared (names the row)."""


@dataclass(frozen=True)
class Lists:
    """The processed lists a comparison reads: publications (trend-kept ones are used), and,
    for ``signed_YYYY`` measures, listings and agreements."""

    pubs: pd.DataFrame
    listings: pd.DataFrame | None = None
    agreements: pd.DataFrame | None = None

    @classmethod
    def load(cls, folder=None) -> "Lists":
        from . import load
        return cls(load.snapshots(folder), load.listings(folder), load.agreements(folder))


def _kept(pubs: pd.DataFrame) -> pd.DataFrame:
    kept = pubs[~pubs["trend_excluded"].astype(bool)].copy()
    kept["day"] = pd.to_datetime(kept["published_at"]).dt.normalize()
    return kept.sort_values(["published_at", "publication"], kind="stable").reset_index(drop=True)


def period(as_of: str, precision: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day a figure dated ``as_of`` (``YYYY-MM-DD`` or ``YYYY-MM``) counts."""
    start = pd.Timestamp(as_of)
    if precision == "day":
        return start, start
    if precision == "month":
        return start, start + pd.offsets.MonthEnd(0)
    raise PublishedCountError(f"as_of_precision {precision!r}: expected 'day' or 'month'")


def lists_in_force(kept: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The lists in force from ``start`` to ``end``: the last list published on or before
    ``start`` and every list published after it up to ``end`` (days, inclusive)."""
    before = kept[kept["day"] <= start]
    during = kept[(kept["day"] > start) & (kept["day"] <= end)]
    return pd.concat([before.tail(1), during])


def counts(lists: Lists, kept: pd.DataFrame, measure: str) -> pd.Series:
    """The book's count of ``measure`` on each list of ``kept`` (indexed like ``kept``)."""
    if measure in MEASURE_COLUMNS:
        return kept[MEASURE_COLUMNS[measure]].astype(int)
    if measure.startswith("signed_") and measure[7:].isdigit():
        if lists.listings is None or lists.agreements is None:
            raise PublishedCountError(f"measure {measure!r} needs listings and agreements")
        year = int(measure[7:])
        signed = lists.agreements.set_index("agreement_id")["signed"]
        in_year = set(signed.index[pd.to_datetime(signed).dt.year == year])
        on = lists.listings[lists.listings["agreement_id"].isin(in_year)]
        per_pub = on.groupby("publication").size()
        return kept["publication"].map(per_pub).fillna(0).astype(int)
    raise PublishedCountError(f"unknown measure {measure!r}")


def _qualified(figure: int, count: int, qualifier: str) -> bool:
    slack = QUALIFIER_TOLERANCE * figure
    if qualifier == "about":
        return abs(count - figure) <= slack
    if qualifier == "almost":
        return figure - slack <= count <= figure
    if qualifier == "more than":
        return figure < count <= figure + slack
    return False


def explain(figure: int, qualifier: str, measure: str, as_of: str, precision: str,
            lists: Lists) -> dict:
    """The book's count for one published figure and the reason they agree or differ.

    Returns ``reason`` (one of :data:`REASONS`), ``matched_publication`` / ``matched_count``
    (the list that bears the reason out; empty when none does), and ``book_publication`` /
    ``book_count``: the book's count for the figure's day, i.e. the matched list when it is in
    force during the figure's period (for a month, the latest such list), otherwise the list in
    force on the period's last day.
    """
    kept = _kept(lists.pubs)
    start, end = period(as_of, precision)
    n = counts(lists, kept, measure)
    out = {"book_publication": "", "book_count": pd.NA, "reason": "not_explained",
           "matched_publication": "", "matched_count": pd.NA}
    if kept.empty or end < kept["day"].iloc[0]:
        out["reason"] = "before_archive"
        return out
    in_force = lists_in_force(kept, start, end)
    last = in_force.index[-1]
    out.update(book_publication=kept.at[last, "publication"], book_count=int(n[last]))

    def found(reason, index, value):
        out.update(reason=reason, matched_publication=kept.at[index, "publication"],
                   matched_count=int(value))
        if index in in_force.index:  # the book's count for the day is the matched list's
            out.update(book_publication=kept.at[index, "publication"], book_count=int(n[index]))
        return out

    exact = qualifier == "exact"
    latest_first = in_force.index[::-1]
    for i in latest_first:
        if int(n[i]) == figure:
            return found("exact", i, n[i])
    if not exact:
        for i in latest_first:
            if _qualified(figure, int(n[i]), qualifier):
                return found("within_qualifier", i, n[i])
    if exact:
        for i in latest_first:
            if int(n[i]) + 1 == figure:
                return found("header_row", i, n[i])
    if measure == "agencies":
        agreements = counts(lists, kept, "agreements")
        for i in latest_first:
            if int(agreements[i]) == figure or (not exact and _qualified(figure, int(agreements[i]), qualifier)):
                return found("agreements_as_agencies", i, agreements[i])
    window = pd.Timedelta(days=WINDOW_DAYS)
    near = kept[(kept["day"] >= start - window) & (kept["day"] <= end + window)
                & ~kept.index.isin(in_force.index)]
    # nearest first, so the list named is the closest that explains the figure
    distance = (near["day"] - start).abs().where(near["day"] < start, (near["day"] - end).abs())
    near = near.assign(distance=distance).sort_values(["distance", "published_at"], kind="stable")
    for reason, extra in (("other_list", 0), ("other_list_header_row", 1)):
        if extra and not exact:
            continue
        for i in near.index:
            if int(n[i]) + extra == figure:
                return found(reason, i, n[i])
    following = kept[kept["day"] > end]
    if len(following):
        j = following.index[0]
        low, high = sorted((int(n[last]), int(n[j])))
        if low < figure < high:
            return found("archive_gap", j, n[j])
    return out


def compare(published: pd.DataFrame | None = None, lists: Lists | None = None) -> pd.DataFrame:
    """Every published figure beside the book's count: ``published_counts.csv``'s columns plus
    ``book_publication``, ``book_count``, ``difference`` (figure minus book count),
    ``found_reason`` (what the data bear out), ``matched_publication``, ``matched_count`` and
    ``as_documented`` (the documented ``reason`` is the one found)."""
    published = story.load("published_counts") if published is None else published
    lists = Lists.load() if lists is None else lists
    rows = []
    for i, row in enumerate(published.to_dict("records"), start=1):
        try:
            figure = int(row["figure"])
            res = explain(figure, row["qualifier"], row["measure"], row["as_of"],
                          row["as_of_precision"], lists)
        except (ValueError, PublishedCountError) as exc:
            raise PublishedCountError(f"data/curated/published_counts.csv row {i} "
                                      f"(count_id={row.get('count_id')!r}): {exc}") from exc
        book = res.pop("book_count")
        rows.append({**row, "figure": figure, "book_count": book,
                     "difference": pd.NA if pd.isna(book) else figure - int(book),
                     "found_reason": res.pop("reason"), **res})
    out = pd.DataFrame(rows)
    out["as_documented"] = out["found_reason"] == out["reason"]
    for col in ("book_count", "difference", "matched_count"):
        out[col] = out[col].astype("Int64")
    return out


# --------------------------------------------------------------------------- the page's table
_QUALIFIERS = {"about": "about {n}", "almost": "almost {n}", "more than": "more than {n}"}
_MEASURES = {"agreements": "agreements", "agencies": "agencies", "florida": "agreements in Florida",
             "jem": "Jail Enforcement Model agreements", "wso": "Warrant Service Officer agreements",
             "tfm": "Task Force Model agreements"}
_WHY = {
    "before_archive": "Before the first list in the archive: no count to compare",
    "exact": "Same count",
    "within_qualifier": "Consistent with the qualified figure",
    "header_row": "One more than the list: the spreadsheet's header row counted",
    "agreements_as_agencies": "Agreements counted as agencies (the list has {agencies} agencies)",
    "other_list": "Another day's list: {list} has {n}",
    "other_list_header_row": "Another day's list, plus its header row: {list} has {n}",
    "archive_gap": "No archived list that day: the figure lies between this list and {list} ({n})",
    "not_explained": "Not explained by the lists",
}


def measure_label(measure: str, lang: str | None = None) -> str:
    """What a measure counts, in words ("agreements in Florida", "agreements signed in 2019")."""
    if measure in _MEASURES:
        return tr(_MEASURES[measure], lang=lang)
    if measure.startswith("signed_") and measure[7:].isdigit():
        return tr("agreements signed in {year}", lang=lang, year=measure[7:])
    raise PublishedCountError(f"unknown measure {measure!r}")


def _list_label(publication: str, lists: Lists, lang: str | None) -> str:
    """"the list of <date>"; for a list the Internet Archive captured on several days (one
    publication), "the list captured from <first> to <last>"."""
    pub = lists.pubs.set_index("publication").loc[publication]
    first, last = pub.get("captured_at"), pub.get("last_captured_at")
    if pub.get("stamp_provenance") == "archive_capture" and pd.notna(first) and pd.notna(last) \
            and pd.Timestamp(last).normalize() > pd.Timestamp(first).normalize():
        return tr("the list captured from {first} to {last}", lang=lang,
                  first=i18n.format_date(first, lang=lang), last=i18n.format_date(last, lang=lang))
    return tr("the list of {date}", lang=lang, date=i18n.format_date(pub["published_at"], lang=lang))


def why(row: dict, lists: Lists, lang: str | None = None) -> str:
    """The reason of one compared row (a :func:`compare` row), as a sentence."""
    reason = row["found_reason"]
    values = {}
    if reason in ("other_list", "other_list_header_row", "archive_gap"):
        values = {"list": _list_label(row["matched_publication"], lists, lang),
                  "n": i18n.format_int(int(row["matched_count"]), lang=lang)}
    elif reason == "agreements_as_agencies":
        pubs = lists.pubs.set_index("publication")
        values = {"agencies": i18n.format_int(int(pubs.at[row["matched_publication"], "n_agencies"]),
                                              lang=lang)}
    return tr(_WHY[reason], lang=lang, **values)


def table(comparison: pd.DataFrame, lists: Lists, lang: str | None = None) -> pd.DataFrame:
    """The comparison as the page shows it, in the language in use: date, who counted, the
    published figure and what it counts, the book's count (of the same measure) and its list,
    the difference, and why. Cells are plain text; the caller escapes them for HTML."""
    lang = i18n.language() if lang is None else lang
    df = comparison.reset_index(drop=True)
    counted_by = story.text_column(df, "published_counts", "counted_by", lang)
    what = story.text_column(df, "published_counts", "what", lang)
    rows = []
    for k, row in enumerate(df.to_dict("records")):
        start, _ = period(row["as_of"], row["as_of_precision"])
        day = (i18n.format_date(start, lang=lang) if row["as_of_precision"] == "day"
               else i18n.format_month(start, lang=lang))
        figure = i18n.format_int(row["figure"], lang=lang)
        if row["qualifier"] != "exact":
            figure = tr(_QUALIFIERS[row["qualifier"]], lang=lang, n=figure)
        if pd.isna(row["book_count"]):
            book, diff = "–", "–"
        else:
            book = tr("{n} {measure} ({list})", lang=lang,
                      n=i18n.format_int(int(row["book_count"]), lang=lang),
                      measure=measure_label(row["measure"], lang),
                      list=_list_label(row["book_publication"], lists, lang))
            d = int(row["difference"])
            diff = "0" if d == 0 else ("+" if d > 0 else "−") + i18n.format_int(abs(d), lang=lang)
        rows.append({tr("Date", lang=lang): day,
                     tr("Counted by", lang=lang): counted_by.iat[k],
                     tr("Published figure", lang=lang): figure,
                     tr("What was counted", lang=lang): what.iat[k],
                     tr("The book's count", lang=lang): book,
                     tr("Difference", lang=lang): diff,
                     tr("Why", lang=lang): why(row, lists, lang)})
    return pd.DataFrame(rows)


def html_table(comparison: pd.DataFrame, lists: Lists, sources: pd.DataFrame | None = None,
               lang: str | None = None) -> pd.DataFrame:
    """:func:`table` with a Sources column of links to each figure's sources
    (:func:`ice287g.story.source_links`, :class:`~ice287g.safe_html.Markup`), for
    :func:`ice287g.story.style` like the book's other curated tables: the text cells stay plain
    text, which the page's table escapes."""
    lang = i18n.language() if lang is None else lang
    sources = story.load("sources") if sources is None else sources
    out = table(comparison, lists, lang)
    out[tr("Sources", lang=lang)] = [story.source_links(c, sources, lang)
                                     for c in comparison["source_ids"]]
    return out


def summary(comparison: pd.DataFrame) -> dict[str, int]:
    """How many figures were compared, matched exactly, and are explained by each reason."""
    found = comparison["found_reason"].value_counts()
    return {"n_published": len(comparison), **{f"n_{r}": int(found.get(r, 0)) for r in REASONS}}


# --------------------------------------------------------------------------- ICE's documents
#: The date in an MOA file name: six digits, month day year, before ``.pdf`` at the end
#: (``KeyWestPDFL_TFM_MOA_030425.pdf`` -> March 4, 2025).
_FILE_DATE = re.compile(r"_(\d{2})(\d{2})(\d{2})\.pdf$", re.I)


def file_name(url: str) -> str:
    """The file name of a document link (``""`` for none)."""
    return url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) and url else ""


def file_date(url: str) -> pd.Timestamp | None:
    """The date a document's file name carries (``_MMDDYY.pdf`` at its end), or None when it
    carries none or the six digits are not a real date."""
    m = _FILE_DATE.search(file_name(url))
    if not m:
        return None
    month, day, year = (int(g) for g in m.groups())
    try:
        return pd.Timestamp(2000 + year, month, day)
    except ValueError:
        return None


def file_dates_agree(agreements: pd.DataFrame) -> dict[str, int]:
    """How far the dates in MOA file names bear out reading them as month, day, year: of the
    agreements on the latest list (``listed_in_latest``) whose MOA file name ends in six digits
    that make a date, how many equal the signing date ICE lists (``n_dated``, ``n_same``)."""
    latest = agreements[agreements["listed_in_latest"].astype(str).str.lower() == "true"]
    dates = latest["moa_url"].map(file_date)
    dated = dates.notna()
    same = dated & (pd.to_datetime(dates.where(dated)) == pd.to_datetime(latest["signed"]))
    return {"n_latest": len(latest), "n_dated": int(dated.sum()), "n_same": int(same.sum())}


def documents_after(runs: pd.DataFrame, pubs: pd.DataFrame, agreement_ids, after) -> dict:
    """What ICE's lists published after the day ``after`` link as the documents of the given
    agreements: ``runs`` is ``listings.csv`` as stored (one row per run of publications with
    ``moa_url`` and ``addendum_url``), ``pubs`` is ``snapshots.csv`` (its row order is the
    publications' order; lists kept out of trend lines are not counted).

    Returns ``n_lists`` (lists carrying one of the agreements), ``moa_files`` (distinct MOA
    file names on them, sorted), ``n_lists_moa`` (lists whose row links an MOA),
    ``n_lists_addendum`` (lists whose row links an addendum) and ``first_list`` /
    ``last_list`` (publication ids; empty when none)."""
    mine = runs[runs["agreement_id"].isin(set(agreement_ids))].reset_index(drop=True)
    # The one run decoder: a row per (publication, run), in publication order; each run's links.
    on = expand_runs(mine.assign(run=range(len(mine))), list(pubs["publication"]), "run")
    run = on["run"].to_numpy(dtype="int64")
    on["moa_url"] = mine["moa_url"].to_numpy(dtype=object)[run]
    on["addendum_url"] = mine["addendum_url"].to_numpy(dtype=object)[run]
    when = pubs.set_index("publication")
    after_day = ~when["trend_excluded"].astype(bool) & \
        (pd.to_datetime(when["published_at"]).dt.normalize() > pd.Timestamp(after).normalize())
    on = on[on["publication"].map(after_day).astype(bool)]
    carried: dict[str, tuple[set, set]] = {}
    for p, moa_url, addendum_url in on[["publication", "moa_url", "addendum_url"]].itertuples(
            index=False):
        moa, add = carried.setdefault(p, (set(), set()))
        if isinstance(moa_url, str) and moa_url:
            moa.add(file_name(moa_url))
        if isinstance(addendum_url, str) and addendum_url:
            add.add(file_name(addendum_url))
    lists = list(carried)
    return {"n_lists": len(lists),
            "moa_files": tuple(sorted(set().union(*(carried[p][0] for p in lists)))) if lists else (),
            "n_lists_moa": sum(bool(carried[p][0]) for p in lists),
            "n_lists_addendum": sum(bool(carried[p][1]) for p in lists),
            "first_list": lists[0] if lists else "", "last_list": lists[-1] if lists else ""}
