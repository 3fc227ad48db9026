"""The orchestration: each stage's function, in the order data flows (see ``__init__``)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
from pathlib import Path

from . import s1_find, s2_read, s3_clean, s4_group, s5_trend, s6_derive, s7_qa, s7_rules, schema
from .cache import SheetCache
from .records import BuildError, SheetError
from .s8_write import write_outputs
from .thresholds import LISTS


@contextlib.contextmanager
def no_cyclic_gc():
    """Pause Python's cyclic garbage collector (reference counting still frees everything).

    A build allocates millions of small, long-lived objects (rows, tuples, dicts) and almost
    no reference cycles; with the collector on, its full passes over that growing heap took
    about 1.4 s of a 6.9 s warm build at 100,000 rows (benchmarks/pipeline.py). It is
    switched back on (if it was on) however the block ends, after moving what the block
    allocated straight to the oldest generation (``freeze`` + ``unfreeze``): else the first
    young-generation pass after it would walk every one of those objects (0.12 s at 100k
    rows). They stay collectable: a later full collection still examines them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def derive(archives: list[Path], cache_dir: Path | None = None, progress: bool = False,
           engine: str = "calamine", reviewed_dir: Path | None = None) -> dict:
    """Run stages 1-7 on the archives, with the reviewed decisions of ``reviewed_dir``
    (default ``config.REVIEWED_DIR``, i.e. ``data/reviewed/``). Returns ``{"texts": {file
    name: file text}, "tables": {file name: rows}, "qa": qa rows, "cache": SheetCache}``;
    raises ``SheetError`` on bad input."""
    with no_cyclic_gc():
        return _derive(archives, cache_dir, progress, engine, reviewed_dir)


def _derive(archives, cache_dir, progress, engine, reviewed_dir) -> dict:
    if reviewed_dir is None:
        from .. import config

        reviewed_dir = config.REVIEWED_DIR
    reviewed_dir = Path(reviewed_dir)
    reviews = s1_find.load_file_reviews(reviewed_dir / "file_reviews.csv")
    fixes = s3_clean.load_fixes(reviewed_dir / "fixes.csv")
    decisions = s7_rules.load_decisions(reviewed_dir / "rule_decisions.csv")
    cache = SheetCache(cache_dir)
    stamps = s1_find.load_stamp_reviews(reviewed_dir / "stamps.csv")
    records = s1_find.find_files(archives, reviews, stamps)
    s2_read.read_all(records, cache, engine=engine, progress=progress)
    store = s3_clean.clean_records(records, fixes)
    s4_group.check_stamps(records, store)
    pubs, exclusions = {}, {}
    for list_name in LISTS:
        pubs[list_name] = s4_group.group(records, list_name)
        exclusions[list_name] = s5_trend.decide(pubs[list_name], list_name)
        s5_trend.apply(pubs[list_name], exclusions[list_name],
                       name_same_lists=list_name == "participating")
    part_t = s6_derive.derive_list(pubs["participating"], store, "participating")
    pend_t = s6_derive.derive_list(pubs["pending"], store, "pending")
    s6_derive.link_pending(part_t, pend_t)
    qa = s7_qa.run_checks(records, store, pubs["participating"], pubs["pending"], part_t,
                          pend_t, exclusions)
    qa += s7_rules.qa_rows(part_t, pubs["participating"], store, fixes, decisions)
    tables = {
        "snapshots.csv": part_t.snapshots,
        "agreements.csv": part_t.entities,
        "listings.csv": part_t.runs,
        "pending_snapshots.csv": pend_t.snapshots,
        "pending.csv": pend_t.entities,
        "pending_listings.csv": pend_t.runs,
        "files.csv": s6_derive.files_table(records),
        "qa.csv": qa,
    }
    texts = {name: schema.csv_text(name, rows) for name, rows in tables.items()}
    texts["datapackage.json"] = json.dumps(schema.datapackage(), indent=2, ensure_ascii=False) + "\n"
    return {"texts": texts, "tables": tables, "qa": qa, "cache": cache}


def check_out(out: Path, archives: list[Path]) -> None:
    """Refuse an ``out`` that is a sheet folder, inside one or above one (paths resolved,
    symbolic links followed): the build would write its outputs into the archive it reads,
    or replace a folder holding the archive (``SheetError`` naming ``out``)."""
    real_out = Path(os.path.realpath(out))
    for a in archives:
        real = Path(os.path.realpath(a))
        where = ("is the sheet folder" if real_out == real else
                 "is inside the sheet folder" if real_out.is_relative_to(real) else
                 "holds the sheet folder" if real.is_relative_to(real_out) else "")
        if where:
            raise SheetError(out, f"--out {where} {a}" + (f" ({real})" if str(real) != str(a) else "")
                             + ": the outputs would be written into the archive the build reads; "
                             "give an --out outside every --sheets folder")


def run_build(archives: list[Path], out: Path, cache_dir: Path | None = None,
              progress: bool = False, engine: str = "calamine",
              reviewed_dir: Path | None = None) -> dict:
    """Build every output into ``out``; return ``derive``'s result. Raise ``SheetError`` on
    bad input and ``BuildError`` when a QA check failed (then nothing is written)."""
    check_out(out, archives)
    result = derive(archives, cache_dir=cache_dir, progress=progress, engine=engine,
                    reviewed_dir=reviewed_dir)
    failed = [r for r in result["qa"] if r["status"] == "fail"]
    if failed:
        lines = "\n".join(f"  {r['name']}: {r['detail']}" for r in failed)
        raise BuildError(f"{len(failed)} QA check(s) failed; nothing was written:\n{lines}")
    write_outputs(result["texts"], Path(out), managed=schema.OUTPUT_FILES)
    return result
