"""The parse cache (ice287g/pipeline/cache.py): safe format, checksum, key, damage handling."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import stat

import pytest

from sheetfactory import PART_HEADER, PART_ROWS, PEND_HEADER, PEND_ROWS, write_xlsx

from ice287g import files
from ice287g.pipeline import cache as cache_mod
from ice287g.pipeline import s2_read, thresholds
from ice287g.pipeline.cache import SheetCache
from ice287g.pipeline.records import ParsedSheet, SheetFile
from ice287g.pipeline.s1_find import sha256_file


def sheet_file(path) -> SheetFile:
    return SheetFile(path, path.parent, sha256_file(path), path.stat().st_size)


@pytest.fixture()
def sheets(tmp_path):
    """Three workbooks: two participating (one with odd values) and one pending."""
    a = write_xlsx(tmp_path / "in" / "participatingAgencies05162025am.xlsx", PART_HEADER, PART_ROWS)
    b = write_xlsx(tmp_path / "in" / "participatingAgencies05192025pm.xlsx", PART_HEADER,
                   PART_ROWS + [["GEORGIA", "Café \"Quoted\" Office\n2nd line", "County", "",
                                 "Task Force Model", "not a date", "=HYPERLINK(\"x\")"]])
    c = write_xlsx(tmp_path / "in" / "pendingAgencies05192025pm.xlsx", PEND_HEADER, PEND_ROWS)
    return [(sheet_file(a), "participating"), (sheet_file(b), "participating"), (sheet_file(c), "pending")]


def uncached(sheets):
    return [s2_read.read_sheet(sf.path, lst) for sf, lst in sheets]


def fill(folder, sheets):
    c = SheetCache(folder, warn=lambda m: None)
    got = [c.read(sf, lst) for sf, lst in sheets]
    assert (c.hits, c.misses, c.damaged) == (0, len(sheets), 0)
    return got


def entries(folder):
    return sorted(p for p in folder.rglob("*.json.gz"))


def test_round_trip_equals_an_uncached_read(tmp_path, sheets):
    expected = uncached(sheets)
    assert fill(tmp_path / "c", sheets) == expected
    warnings = []
    c = SheetCache(tmp_path / "c", warn=warnings.append)
    assert [c.read(sf, lst) for sf, lst in sheets] == expected
    assert (c.hits, c.misses, c.damaged, warnings) == (3, 0, 0, [])
    # Types survive (tuples, not lists): equality with dataclasses would not catch that.
    got = c.read(*sheets[1])
    assert type(got.columns) is tuple and type(got.rows[0]) is tuple
    assert any("\n" in cell for row in got.rows for cell in row)


def test_no_pickle_entries_are_checksummed_gzip_json(tmp_path, sheets):
    fill(tmp_path / "c", sheets)
    found = entries(tmp_path / "c")
    assert len(found) == 3
    assert not list((tmp_path / "c").rglob("*.pickle"))
    for p in found:
        data = p.read_bytes()
        head, body = data.split(b"\n", 1)
        assert head == b"ice287g-sheet-cache/1 sha256=%s bytes=%d" % (
            hashlib.sha256(body).hexdigest().encode(), len(body))
        doc = json.loads(gzip.decompress(body))
        assert set(doc) == {"key", "sheet"} and doc["key"]["sha256"] in p.name


def test_every_parsed_sheet_field_is_stored():
    """A new ParsedSheet field must get a decoder (else the cache would drop it)."""
    import dataclasses

    assert set(cache_mod.sheet_fields()) == {f.name for f in dataclasses.fields(ParsedSheet)}


@pytest.mark.parametrize("seed", range(60))
def test_random_byte_damage_is_detected_reported_once_and_reread(tmp_path, sheets, seed):
    expected = uncached(sheets)
    folder = tmp_path / "c"
    fill(folder, sheets)
    rng = random.Random(seed)
    found = entries(folder)
    damaged = rng.sample(found, rng.randint(1, len(found)))
    for p in damaged:
        data = bytearray(p.read_bytes())
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(data))
            data[i] ^= rng.randint(1, 255)  # always a change
        p.write_bytes(bytes(data))
    warnings = []
    c = SheetCache(folder, warn=warnings.append)
    got = [c.read(sf, lst) for sf, lst in sheets] + [c.read(sf, lst) for sf, lst in sheets]
    assert got == expected + expected
    assert c.damaged == len(damaged) and len(warnings) == len(damaged)
    for p in damaged:
        [line] = [w for w in warnings if str(p) in w]
        assert line.startswith("warning: parse-cache entry") and "re-read the sheet" in line
        source = next(sf.path for sf, _ in sheets if sf.sha256 in p.name)
        assert str(source) in line
    # The entries were replaced: the next build finds them whole.
    c2 = SheetCache(folder, warn=warnings.append)
    assert [c2.read(sf, lst) for sf, lst in sheets] == expected
    assert (c2.hits, c2.damaged, len(warnings)) == (3, 0, len(damaged))


@pytest.mark.parametrize("keep", [0, 1, 40, 41, 42, 100, -1])
def test_truncated_entry(tmp_path, sheets, keep):
    expected = uncached(sheets)
    fill(tmp_path / "c", sheets)
    p = entries(tmp_path / "c")[0]
    data = p.read_bytes()
    p.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    warnings = []
    c = SheetCache(tmp_path / "c", warn=warnings.append)
    assert [c.read(sf, lst) for sf, lst in sheets] == expected
    assert c.damaged == 1 and len(warnings) == 1 and str(p) in warnings[0]


def _rewrite(p, edit, fix_checksum: bool):
    head, body = p.read_bytes().split(b"\n", 1)
    doc = json.loads(gzip.decompress(body))
    edit(doc)
    body2 = gzip.compress(json.dumps(doc).encode(), mtime=0)
    if fix_checksum:
        head = b"ice287g-sheet-cache/1 sha256=%s bytes=%d" % (hashlib.sha256(body2).hexdigest().encode(), len(body2))
    else:  # a forger who keeps the old line but matches the length
        head = head.rsplit(b" bytes=", 1)[0] + b" bytes=%d" % len(body2)
    p.write_bytes(head + b"\n" + body2)


def _entry_for(folder, sf, lst):
    return SheetCache(folder).path(sf.sha256, lst, "calamine")


def test_forged_entry_with_a_valid_structure_but_wrong_checksum(tmp_path, sheets):
    expected = uncached(sheets)
    fill(tmp_path / "c", sheets)
    p = _entry_for(tmp_path / "c", *sheets[0])

    def move_signed(doc):  # the silent change the pickle cache let through: a date moved
        row = doc["sheet"]["rows"][0]
        row[5] = "2019-01-01"

    _rewrite(p, move_signed, fix_checksum=False)
    warnings = []
    c = SheetCache(tmp_path / "c", warn=warnings.append)
    assert c.read(*sheets[0]) == expected[0]
    assert c.damaged == 1 and "checksum" in warnings[0]


@pytest.mark.parametrize("edit, why", [
    (lambda d: d["sheet"]["rows"][0].append("extra"), "row 0"),
    (lambda d: d["sheet"].__setitem__("rows", [[1, 2, 3, 4, 5, 6, 7, 8]]), "row 0"),
    (lambda d: d["sheet"].__setitem__("blank_rows", "0"), "blank_rows"),
    (lambda d: d["sheet"].__setitem__("blank_rows", True), "blank_rows"),
    (lambda d: d["sheet"].pop("notes"), "fields"),
    (lambda d: d["sheet"].__setitem__("__reduce__", "os.system"), "fields"),
    (lambda d: d["key"].__setitem__("engine", "openpyxl"), "holds"),
    (lambda d: d["key"].__setitem__("sha256", "0" * 64), "holds"),
])
def test_an_entry_with_a_valid_checksum_but_wrong_shape_or_key_is_refused(tmp_path, sheets, edit, why):
    """Structure and key are checked too: a copied or hand-made entry is not trusted."""
    expected = uncached(sheets)
    fill(tmp_path / "c", sheets)
    p = _entry_for(tmp_path / "c", *sheets[0])
    _rewrite(p, edit, fix_checksum=True)
    warnings = []
    c = SheetCache(tmp_path / "c", warn=warnings.append)
    assert c.read(*sheets[0]) == expected[0]
    assert c.damaged == 1 and why in warnings[0], warnings


def test_an_entry_copied_under_another_files_name_is_refused(tmp_path, sheets):
    expected = uncached(sheets)
    fill(tmp_path / "c", sheets)
    a = _entry_for(tmp_path / "c", *sheets[0])
    b = _entry_for(tmp_path / "c", *sheets[1])
    b.write_bytes(a.read_bytes())  # valid checksum, wrong file
    c = SheetCache(tmp_path / "c", warn=lambda m: None)
    assert c.read(*sheets[1]) == expected[1] and c.damaged == 1


def test_engine_is_part_of_the_key(tmp_path, sheets):
    folder = tmp_path / "c"
    c = SheetCache(folder, warn=lambda m: None)
    sf, lst = sheets[0]
    a = c.read(sf, lst, engine="calamine")
    b = c.read(sf, lst, engine="openpyxl")
    assert (c.hits, c.misses) == (0, 2)
    assert c.read(sf, lst, engine="openpyxl") == b and c.read(sf, lst, engine="calamine") == a
    assert (c.hits, c.misses) == (2, 2)
    names = sorted(p.name for p in entries(folder))
    assert names == [f"{sf.sha256}-{lst}-calamine.json.gz", f"{sf.sha256}-{lst}-openpyxl.json.gz"]


def test_list_is_part_of_the_key(tmp_path, sheets):
    c = SheetCache(tmp_path / "c", warn=lambda m: None)
    sf, _ = sheets[2]  # a pending sheet read as both lists
    as_pending = c.read(sf, "pending")
    as_participating = c.read(sf, "participating")  # read as the other list: a note
    assert (c.hits, c.misses) == (0, 2)
    assert as_participating.notes and not as_pending.notes
    assert c.read(sf, "participating") == as_participating and c.read(sf, "pending") == as_pending
    assert (c.hits, c.misses) == (2, 2)


def test_parser_version_bump_invalidates(tmp_path, sheets, monkeypatch):
    folder = tmp_path / "c"
    fill(folder, sheets)
    monkeypatch.setattr(thresholds, "PARSER_VERSION", thresholds.PARSER_VERSION + 1)
    c = SheetCache(folder, warn=lambda m: None)
    [c.read(sf, lst) for sf, lst in sheets]
    assert (c.hits, c.misses, c.damaged) == (0, 3, 0)
    assert len({p.parent.parent.name for p in entries(folder)}) == 2  # old and new versions


def test_an_old_version_entry_moved_into_the_new_folder_is_refused(tmp_path, sheets, monkeypatch):
    folder = tmp_path / "c"
    fill(folder, sheets)
    old = _entry_for(folder, *sheets[0])
    monkeypatch.setattr(thresholds, "PARSER_VERSION", thresholds.PARSER_VERSION + 1)
    new = _entry_for(folder, *sheets[0])
    new.parent.mkdir(parents=True)
    new.write_bytes(old.read_bytes())
    c = SheetCache(folder, warn=lambda m: None)
    c.read(*sheets[0])
    assert (c.hits, c.damaged) == (0, 1)


def test_loading_never_unpickles(tmp_path, sheets):
    """A pickle placed where an entry belongs is refused, and never loaded."""
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    fill(tmp_path / "c", sheets)
    p = _entry_for(tmp_path / "c", *sheets[0])
    p.write_bytes(pickle.dumps(Boom()))
    c = SheetCache(tmp_path / "c", warn=lambda m: None)
    c.read(*sheets[0])
    assert c.damaged == 1 and not (tmp_path / "pwned").exists()


def test_a_read_only_cache_is_not_an_error(tmp_path, sheets, monkeypatch):
    expected = uncached(sheets)
    folder = tmp_path / "c"
    fill(folder, sheets)
    p = entries(folder)[0]
    p.write_bytes(b"garbage")

    real_mkstemp = files.tempfile.mkstemp  # the one atomic-write helper (ice287g.files)

    def read_only(*a, **k):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    warnings = []
    c = SheetCache(folder, warn=warnings.append)
    assert [c.read(sf, lst) for sf, lst in sheets] == expected
    assert c.damaged == 1 and c.write_errors == 1 and "could not replace it" in warnings[0]
    monkeypatch.setattr(files.tempfile, "mkstemp", real_mkstemp)


def test_a_cache_folder_that_is_a_file_is_not_an_error(tmp_path, sheets):
    (tmp_path / "c").write_text("not a folder")
    c = SheetCache(tmp_path / "c", warn=lambda m: None)
    assert [c.read(sf, lst) for sf, lst in sheets] == uncached(sheets)
    assert c.write_errors == 3 and c.damaged == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_cache_folder_on_disk(tmp_path, sheets):
    folder = tmp_path / "c"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        c = SheetCache(folder, warn=lambda m: None)
        assert [c.read(sf, lst) for sf, lst in sheets] == uncached(sheets)
        assert c.write_errors == 3
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_failed_write_leaves_no_temporary_file(tmp_path, sheets, monkeypatch):
    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_mod.os, "replace", full)
    c = SheetCache(tmp_path / "c", warn=lambda m: None)
    c.read(*sheets[0])
    assert c.write_errors == 1
    assert [p for p in (tmp_path / "c").rglob("*") if p.is_file()] == []


def test_no_cache_folder_reads_every_time(sheets):
    c = SheetCache(None)
    assert [c.read(sf, lst) for sf, lst in sheets] == uncached(sheets)
    assert (c.hits, c.misses) == (0, 3)
