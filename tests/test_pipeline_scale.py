"""The pipeline's fast paths (issue 15, scale) give exactly what the plain code gives.

Each fast path written for the 100k-row benchmark (``benchmarks/pipeline.py``) is checked
against a plain reference written here: the standard library's ``csv.writer`` row by row, the
run encoder and row store as they were written before (one loop per pair / row), ``squash``
cell by cell, a Python sort for the run decoder. Timings are not tested here: the benchmark
prints them.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import random
from collections import defaultdict

import pandas as pd
import pytest

from ice287g.pipeline import build, schema, s3_clean
from ice287g.pipeline.s6_derive import encode_runs, expand_runs
from sheetfactory import small_archive

#: Characters that exercise quoting, whitespace squashing and the "|" join of the fast paths.
TRICKY = ['a', 'Z', ' ', '  ', ',', '"', '\n', '\r', '\t', '\x00', '\xa0', '\u2028', '\x1f',
          '|', "'", '\u2019', '=', '-', '+', '@', 'é', '1', '.', '/']


def random_text(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice(TRICKY) for _ in range(rng.randint(0, n)))


# --------------------------------------------------------------------------- csv_text


def reference_csv(cols: list[str], rows: list[dict]) -> str:
    """What csv_text wrote before its fast path: csv.writer, row by row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for row in rows:
        w.writerow([v if v.__class__ is str else schema._cell(v) for v in (row[c] for c in cols)])
    return buf.getvalue()


def random_value(rng: random.Random):
    kind = rng.randrange(9)
    if kind == 0:
        return rng.random() < 0.5
    if kind == 1:
        return rng.randint(-5, 10**6)
    if kind == 2:
        return rng.random() * 100
    if kind == 3:
        return None
    if kind == 4:
        return dt.datetime(2025, 1, 1, 12, 30) + dt.timedelta(hours=rng.randrange(9999))
    if kind == 5:
        return dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(999))
    return random_text(rng)


@pytest.mark.parametrize("seed", range(6))
def test_csv_text_equals_csv_writer_on_tricky_cells(seed):
    """Mixed types in one column, commas, quotes, CR, LF, NUL, empty cells, unicode."""
    rng = random.Random(seed)
    cols = schema.columns("agreements.csv")
    rows = [{c: random_value(rng) for c in cols} for _ in range(300)]
    assert schema.csv_text("agreements.csv", rows) == reference_csv(cols, rows)


def test_csv_text_equals_csv_writer_on_typed_columns():
    """Whole columns of one type (the bool and int fast paths) and plain text."""
    rng = random.Random(287)
    cols = schema.columns("agreements.csv")
    plain = str.maketrans("", "", ',"\n\r\x00')  # no cell needs csv's care: all fast path
    rows = [{c: random_text(rng).translate(plain) for c in cols} for _ in range(500)]
    for r in rows:
        r["listed_in_latest"] = rng.random() < 0.5
        r["n_snapshots"] = rng.randint(0, 300)
    text = schema.csv_text("agreements.csv", rows)
    assert text == reference_csv(cols, rows)
    k = cols.index("listed_in_latest")  # the bool fast path wrote every row's cell
    assert sorted({line.split(",")[k] for line in text.split("\n")[1:-1]}) == ["false", "true"]
    assert len(text.split("\n")[1:-1]) == 500


def test_csv_text_single_column_and_empty(monkeypatch):
    assert schema.csv_text("listings.csv", []) == ",".join(schema.columns("listings.csv")) + "\n"
    monkeypatch.setattr(schema, "columns", lambda path: ["only"])
    rows = [{"only": ""}, {"only": "a,b"}, {"only": 3}, {"only": ""}]
    assert schema.csv_text("x.csv", rows) == reference_csv(["only"], rows)
    assert schema.csv_text("x.csv", rows).splitlines()[1] == '""'


def test_csv_text_names_a_missing_column():
    cols = schema.columns("listings.csv")
    rows = [dict.fromkeys(cols, "x"), dict.fromkeys(cols[:-1], "x")]
    with pytest.raises(KeyError, match=f"listings.csv has no value for the column '{cols[-1]}'"):
        schema.csv_text("listings.csv", rows)


# --------------------------------------------------------------------------- runs


def reference_encode_runs(listings, order, id_col):
    """The run encoder as it was (a loop per pair, then per id)."""
    pos = {pid: k for k, pid in enumerate(order)}
    by_id = defaultdict(list)
    for pid, eid in listings:
        by_id[eid].append(pos[pid])
    out = []
    for eid in sorted(by_id):
        ks = sorted(set(by_id[eid]))
        start = prev = ks[0]
        for k in ks[1:] + [None]:
            if k is None or k != prev + 1:
                out.append({id_col: eid, "first_publication": order[start],
                            "last_publication": order[prev], "n_publications": prev - start + 1})
                start = k
            prev = k
    return out


@pytest.mark.parametrize("seed", range(40))
def test_encode_runs_equals_the_plain_encoder(seed):
    """Gaps, publications without listings, ids on one publication, shuffled and repeated
    pairs (the encoder is general, not only for derive_list's ordered listings)."""
    rng = random.Random(seed)
    order = [f"p{k:02d}" for k in range(rng.randint(1, 15))]
    ids = [f"A{k:03d}" for k in range(rng.randint(1, 30))]
    density = rng.random()
    listings = [(p, a) for p in order for a in ids if rng.random() < density]
    if seed % 3 == 1:
        listings += rng.sample(listings, len(listings) // 4)  # repeated pairs
    if seed % 3 == 2:
        rng.shuffle(listings)
    assert encode_runs(listings, order, "agreement_id") == \
        reference_encode_runs(listings, order, "agreement_id")


def test_encode_runs_refuses_an_unknown_publication():
    with pytest.raises(KeyError):
        encode_runs([("p9", "A1")], ["p1", "p2"], "agreement_id")


@pytest.mark.parametrize("shuffle", [False, True])
def test_expand_runs_sorted_and_unsorted_runs_give_the_same_long_form(shuffle):
    """Runs sorted by id take the fast path (stable sort on the position); shuffled runs the
    general one; both must equal a Python sort on (position, id)."""
    rng = random.Random(7)
    order = [f"p{k}" for k in range(12)]
    listings = [(p, f"A{a:02d}") for p in order for a in range(25) if rng.random() < 0.55]
    runs = encode_runs(listings, order, "agreement_id")
    if shuffle:
        rng.shuffle(runs)
    frame = pd.DataFrame(runs, columns=["agreement_id", "first_publication", "last_publication",
                                        "n_publications"])
    long = expand_runs(frame, order, "agreement_id")
    expected = sorted(set(listings), key=lambda pa: (order.index(pa[0]), pa[1]))
    assert list(zip(long["publication"], long["agreement_id"])) == expected
    assert str(long["publication"].dtype) == str(long["agreement_id"].dtype) == "str"


# --------------------------------------------------------------------------- row store


@pytest.mark.parametrize("seed", range(5))
def test_row_whitespace_flag_equals_squash_cell_by_cell(seed):
    rng = random.Random(seed)
    cols = s3_clean.WHITESPACE_COLUMNS
    for _ in range(3000):
        row = tuple(random_text(rng, 5) for _ in range(8))
        want = any(row[k] != s3_clean.squash(row[k]) for k in cols)
        assert s3_clean._row_whitespace_changed(row) == want, row


def reference_store(rows):
    """The row store as it was: one loop per row, clean_row on each new one."""
    index, raw_rows, clean_rows, out = {}, [], [], []
    moa = s3_clean.RAW["MOA"]
    for row in rows:
        key = row[:moa] + ("",) + row[moa + 1:]
        i = index.get(key)
        if i is None:
            i = index[key] = len(raw_rows)
            raw_rows.append(key)
            clean_rows.append(s3_clean.clean_row(key))
        out.append(i)
    return out, raw_rows, clean_rows


def test_row_store_equals_the_plain_store():
    """Repeats inside one batch and across batches, rows differing only in MOA, dirty cells."""
    rng = random.Random(11)
    states = ["FLORIDA", " florida", "Texas", "TEXAS ", "Nowhere", "", "#N/A"]
    base = [(rng.choice(states), random_text(rng) + " Sheriff's Office",
             rng.choice(["County", "municipality", "", "#NA", "Other"]), random_text(rng, 3),
             rng.choice(["Jail Enforcement Model", "task force model", "X"]),
             rng.choice(["2020-01-02", "1/2/2021", "", "soon", "1990-01-01"]),
             f"link{rng.randrange(3)}", rng.choice(["", " yes "]))
            for _ in range(400)]
    batches = [[rng.choice(base) for _ in range(300)] for _ in range(3)]
    store = s3_clean.RowStore()
    got = [store.add(b) for b in batches]
    want, raw_rows, clean_rows = reference_store([r for b in batches for r in b])
    assert [i for ids in got for i in ids] == want
    assert store.raw_rows == raw_rows
    assert store.clean_rows == clean_rows
    assert store.agency_norm == [s3_clean.normalise_agency(c.agency) for c in clean_rows]
    assert store.content_text == ["\x1f".join(getattr(c, f) for f in s3_clean.CONTENT_FIELDS)
                                  for c in clean_rows]
    assert store.whitespace_changed == [
        any(r[k] != s3_clean.squash(r[k]) for k in s3_clean.WHITESPACE_COLUMNS) for r in raw_rows]
    assert any(store.whitespace_changed) and not all(store.whitespace_changed)


# --------------------------------------------------------------------------- the build


def test_derive_pauses_the_cyclic_gc_and_restores_it(tmp_path, monkeypatch):
    archive = small_archive(tmp_path / "archive")
    seen = []
    real = build.s3_clean.clean_records

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(build.s3_clean, "clean_records", spy)
    assert gc.isenabled()
    build.derive([archive], cache_dir=tmp_path / "cache")
    assert seen == [False] and gc.isenabled()
    assert gc.get_freeze_count() == 0  # promoted to the oldest generation, not left frozen

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(build.s3_clean, "clean_records", boom)
    with pytest.raises(RuntimeError, match="boom"):
        build.derive([archive], cache_dir=tmp_path / "cache")
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that had it off keeps it off
        monkeypatch.setattr(build.s3_clean, "clean_records", real)
        build.derive([archive], cache_dir=tmp_path / "cache")
        assert not gc.isenabled()
    finally:
        gc.enable()


# --------------------------------------------------------------------------- QA on violations


@pytest.fixture()
def derived(tmp_path):
    """A derived build of the small archive: publications, tables and the QA of its outputs."""
    from ice287g.pipeline import s1_find, s2_read, s4_group, s5_trend, s6_derive
    from ice287g.pipeline.cache import SheetCache

    archive = small_archive(tmp_path / "archive")
    records = s1_find.find_files([archive], {})
    s2_read.read_all(records, SheetCache(None))
    store = s3_clean.clean_records(records, s3_clean.NO_FIXES)
    s4_group.check_stamps(records, store)
    pubs = s4_group.group(records, "participating")
    s5_trend.apply(pubs, s5_trend.decide(pubs, "participating"), name_same_lists=True)
    return pubs, s6_derive.derive_list(pubs, store, "participating")


def qa_outputs_rows(pubs, t) -> dict:
    from ice287g.pipeline import s7_qa

    qa = s7_qa.QA()
    s7_qa.qa_outputs(t, pubs, qa, "agreements")
    return {r["name"].removesuffix("_agreements"): r for r in qa.rows}


def test_qa_outputs_passes_the_build_and_fails_each_violation(derived):
    """The set and list comparisons that gate each check must still catch (and name) a
    violation: one entity or listing broken at a time."""
    pubs, t = derived
    assert len(t.entities) >= 3 and len(pubs) >= 2
    ok = qa_outputs_rows(pubs, t)
    assert {r["status"] for r in ok.values()} == {"pass"}, ok
    e = t.entities[1]
    aid = e["agreement_id"]

    def broken(edit):
        saved = (dict(e), list(t.listings))
        edit()
        try:
            return qa_outputs_rows(pubs, t)
        finally:
            e.clear()
            e.update(saved[0])
            t.listings[:] = saved[1]

    rows = broken(lambda: t.listings.append((pubs[0].id, "A-unknown")))
    assert rows["listings_reference_known_ids"]["status"] == "fail"
    assert "A-unknown" in rows["listings_reference_known_ids"]["detail"]
    rows = broken(lambda: e.update(first_seen="2099-01-01T00:00:00"))
    assert rows["first_seen_not_after_last_seen"]["status"] == "fail"
    assert aid in rows["first_seen_not_after_last_seen"]["detail"]
    rows = broken(lambda: e.update(last_captured="2001-01-01T00:00:00"))
    assert rows["last_captured_is_last_publications_last_capture"]["status"] == "fail"
    assert f"{aid} (2001-01-01T00:00:00 vs " in rows["last_captured_is_last_publications_last_capture"]["detail"]
    assert rows["last_captured_not_before_last_seen"]["status"] == "fail"
    assert aid in rows["last_captured_not_before_last_seen"]["detail"]
    rows = broken(lambda: e.update(listed_in_latest=not e["listed_in_latest"]))
    assert rows["latest_listing_consistent"]["status"] == "fail"
    assert qa_outputs_rows(pubs, t) == ok  # restored
