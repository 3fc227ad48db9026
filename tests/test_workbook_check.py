"""``s2_read.check_workbook_file``: the one size / zip / macro check that the build and
``fetch`` run on a workbook before any sheet of it is parsed (issue 20).

Each hostile file is made here the way an attacker would make it: a real zip whose central
directory promises a huge expansion (written with deflate, so the bomb is small on disk),
too many entries, a VBA project, a macro-enabled content type.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from ice287g.pipeline import thresholds
from ice287g.pipeline.records import SheetError
from ice287g.pipeline.s2_read import check_workbook_file
from sheetfactory import PART_HEADER, PART_ROWS, write_xlsx

XLSX_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
              'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
              'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
XLSM_TYPES = XLSX_TYPES.replace("spreadsheetml.sheet.main+xml",
                                "application/vnd.ms-excel.sheet.macroEnabled.main+xml")


def good_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "participatingAgencies05162025am.xlsx"
    write_xlsx(path, PART_HEADER, PART_ROWS)
    return path


def zip_bytes(entries: dict[str, bytes | str], *, stream_zeros: dict[str, int] | None = None,
              level: int = 9) -> bytes:
    """A zip of ``entries``; ``stream_zeros`` adds entries of N zero bytes written in chunks
    (so that making a bomb needs no string of its size)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in entries.items():
            z.writestr(name, data)
        for name, n in (stream_zeros or {}).items():
            chunk = b"\0" * (1 << 20)
            with z.open(name, "w", force_zip64=True) as f:
                for _ in range(n >> 20):
                    f.write(chunk)
    return buf.getvalue()


def test_a_real_workbook_passes_as_a_path_and_as_bytes(tmp_path):
    path = good_workbook(tmp_path)
    check_workbook_file(path)
    check_workbook_file(path.read_bytes(), "x.xlsx")


def test_every_ice_workbook_passes_within_the_limits():
    """The limits leave every real ICE workbook in ../shared (when present) readable."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    files = sorted(shared.rglob("*.xlsx"))
    if not files:
        pytest.skip("../shared/data is not present")
    refused = []
    for p in files:
        try:
            check_workbook_file(p)
        except SheetError as exc:
            refused.append(str(exc))
    assert refused == []


def test_a_decompression_bomb_is_refused_from_the_directory_quickly(tmp_path):
    """256 MiB of zeros in a ~1 MB file: refused without decompressing it (time and memory)."""
    bomb = tmp_path / "participatingAgencies05162025am.xlsx"
    bomb.write_bytes(zip_bytes({"[Content_Types].xml": XLSX_TYPES},
                               stream_zeros={"xl/worksheets/sheet1.xml": 256 << 20}, level=1))
    assert bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    start = time.monotonic()
    with pytest.raises(SheetError) as info:
        check_workbook_file(bomb)
    took = time.monotonic() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    msg = str(info.value)
    assert msg.startswith(str(bomb) + ":") and "\n" not in msg
    assert "would expand to 268,435," in msg and "zip bomb" in msg
    assert took < 2 and peak < 16 * 2**20, (took, peak)


def test_a_directory_claiming_a_huge_entry_is_refused(tmp_path):
    """The central directory is what the readers trust: one that claims 1 GiB is refused."""
    data = bytearray(good_workbook(tmp_path).read_bytes())
    cd = data.rindex(b"PK\x01\x02")  # the last entry's central directory record
    data[cd + 24:cd + 28] = (1 << 30).to_bytes(4, "little")  # its uncompressed size
    with pytest.raises(SheetError, match="would expand to 1,07"):
        check_workbook_file(bytes(data), "lying.xlsx")


def test_a_high_ratio_under_the_size_cap_is_refused(tmp_path):
    """32 MiB of zeros (under the 64 MiB cap) packed ~1000:1: over the ratio."""
    data = zip_bytes({"[Content_Types].xml": XLSX_TYPES},
                     stream_zeros={"xl/sharedStrings.xml": 32 << 20})
    assert 32 << 20 < thresholds.WORKBOOK_MAX_UNCOMPRESSED
    with pytest.raises(SheetError, match=r"expand .* times .* over the 100:1 limit"):
        check_workbook_file(data, "x.xlsx")


def test_too_many_entries_and_too_large_a_file_are_refused(tmp_path):
    many = zip_bytes({"[Content_Types].xml": XLSX_TYPES,
                      **{f"xl/media/{i}.bin": b"x" for i in range(thresholds.WORKBOOK_MAX_ENTRIES)}})
    with pytest.raises(SheetError, match="entries, over the 1,000 limit"):
        check_workbook_file(many, "many.xlsx")
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * thresholds.WORKBOOK_MAX_BYTES)
    with pytest.raises(SheetError, match=r"big.xlsx: the file is 16,777,220 bytes, over"):
        check_workbook_file(big)


@pytest.mark.parametrize("entries, needle", [
    ({"[Content_Types].xml": XLSX_TYPES, "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"},
     "it contains 'xl/vbaProject.bin'"),
    ({"[Content_Types].xml": XLSX_TYPES, "xl/macrosheets/sheet1.xml": "<xm/>"},
     "it contains 'xl/macrosheets/sheet1.xml'"),
    ({"[Content_Types].xml": XLSM_TYPES, "xl/workbook.xml": "<workbook/>"},
     "'macroenabled' content, as .xlsm files do"),
])
def test_macro_enabled_content_is_refused(entries, needle):
    with pytest.raises(SheetError) as info:
        check_workbook_file(zip_bytes(entries), "p.xlsx")
    assert str(info.value).startswith("p.xlsx: macro-enabled workbook")
    assert needle in str(info.value)


def test_a_real_workbook_saved_with_a_vba_project_is_refused(tmp_path):
    """A real openpyxl workbook with a vbaProject.bin added (what an .xlsm renamed .xlsx holds)."""
    data = good_workbook(tmp_path).read_bytes()
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(SheetError, match="macro-enabled"):
        check_workbook_file(buf.getvalue(), "w.xlsx")


@pytest.mark.parametrize("data, needle", [
    (b"STATE,AGENCY\n", "not an xlsx workbook (an xlsx file is a zip archive"),
    (b"\xd0\xcf\x11\xe0" + b"\0" * 60, "Excel 97-2003 .xls"),
    (zip_bytes({"xl/workbook.xml": "<workbook/>"}), "without [Content_Types].xml"),
    (b"PK\x03\x04" + b"\0" * 60, "truncated or corrupt"),
])
def test_files_that_are_no_workbook_are_refused_in_one_line(data, needle):
    with pytest.raises(SheetError) as info:
        check_workbook_file(data, "a.xlsx")
    assert needle in str(info.value) and "\n" not in str(info.value)
