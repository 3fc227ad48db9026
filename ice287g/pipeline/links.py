"""ICE's links to its agreement documents (the MOA and ADDENDUM columns), read from a workbook.

ICE's workbooks show the word ``link`` in the MOA and ADDENDUM cells; the address of the
document is the cell's hyperlink, stored beside the sheet (``xl/worksheets/_rels/...``), which
neither reading engine returns with the cell values. ``sheet_hyperlinks`` reads those targets
straight from the workbook's XML (parsed with ``defusedxml``: the workbook is untrusted and
nothing in it is fetched or followed). The HTML tables of the Internet Archive's captures
(``ParticipatingEntities-*``) carry the link as text, wrapped in the archive's own address
(``https://web.archive.org/web/<capture time>/https://www.ice.gov/...``), and some of ICE's
own hyperlinks were pasted from an e-mail, wrapped by Outlook's *Safe Links* service
(``https://gcc02.safelinks.protection.outlook.com/?url=<ICE's address>&data=<the mailbox of
the ICE employee who received it, ...>``): ``ice_link`` keeps ICE's address and drops either
wrapper (so no mailbox name reaches the outputs). Nothing else is changed: the link is ICE's
text, spaces and all.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse
import zipfile
from pathlib import Path

from defusedxml import ElementTree as ET

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_CELL = re.compile(r"^([A-Z]{1,3})(\d+)$")
#: The Internet Archive's wrapper around an archived address (``id_``-style flags included).
_WAYBACK = re.compile(r"^https?://web\.archive\.org/web/\d{1,14}[a-z_]*/", re.IGNORECASE)
#: Outlook's Safe Links wrapper (the wrapped address is its ``url`` query parameter).
_SAFELINKS = re.compile(r"^https?://[a-z0-9.-]*safelinks\.protection\.outlook\.com/",
                        re.IGNORECASE)
#: Where ICE's relative links point (a link ``/doclib/...`` is on ICE's site).
ICE_SITE = "https://www.ice.gov/"
#: The largest XML part read (a workbook of 100,000 rows has sheet XML of ~20 MB).
MAX_PART_BYTES = 256 << 20


def ice_link(text: str) -> str:
    """ICE's address from a MOA or ADDENDUM value: an archived address without the Internet
    Archive's wrapper, a site-relative one made absolute on ice.gov; any other text that is
    not an address (``link``, ``link pending``) gives ""."""
    value = text.strip()
    m = _WAYBACK.match(value)
    if m:
        value = value[m.end():]
    if _SAFELINKS.match(value):
        wrapped = urllib.parse.parse_qs(urllib.parse.urlsplit(value).query).get("url")
        value = wrapped[0].strip() if wrapped else ""
    if value.startswith("/") and not value.startswith("//"):
        return ICE_SITE + value.lstrip("/")
    if re.match(r"^https?://", value, re.IGNORECASE):
        return value
    return ""


def read_xml(z: zipfile.ZipFile, name: str):
    """The XML part ``name`` of a workbook, parsed with ``defusedxml`` (a ``ValueError`` when
    it is larger than :data:`MAX_PART_BYTES`)."""
    info = z.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise ValueError(f"{name} is larger than {MAX_PART_BYTES} bytes")
    return ET.fromstring(z.read(name))


def relationships(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str, str]]:
    """Relationship id -> (type, target, target mode) of a part (empty when it has none)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in z.namelist():
        return {}
    return {r.get("Id"): (r.get("Type", ""), r.get("Target", ""), r.get("TargetMode", ""))
            for r in read_xml(z, rels).iter(_PKG + "Relationship")}


def part_path(target: str) -> str:
    """The path in the zip of the part a relationship of ``xl/workbook.xml`` targets (an
    absolute target from the zip's root, a relative one from ``xl/``)."""
    return (target.lstrip("/") if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target)))


def _cells(ref: str) -> list[tuple[str, int]]:
    """The cells of a reference ``G4`` or a one-column range ``G4:G6`` as (column, row)."""
    parts = ref.upper().split(":")
    ends = [_CELL.match(p) for p in parts]
    if not all(ends) or len(ends) > 2:
        return []
    col, first = ends[0][1], int(ends[0][2])
    last = int(ends[-1][2])
    if ends[-1][1] != col or last < first or last - first > 1_000_000:
        return [(col, first)]
    return [(col, n) for n in range(first, last + 1)]


def sheet_hyperlinks(path: Path | str, sheet_name: str) -> dict[tuple[str, int], str]:
    """(column letter, 1-based row) -> the external hyperlink's target, for the sheet named
    ``sheet_name`` of an xlsx workbook; {} when it has none (or no such sheet)."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        if "xl/workbook.xml" not in names:
            return {}
        book = read_xml(z, "xl/workbook.xml")
        rid = None
        for s in book.iter(_MAIN + "sheet"):
            if s.get("name") == sheet_name:
                rid = s.get(_REL + "id")
                break
        target = relationships(z, "xl/workbook.xml").get(rid, ("", "", ""))[1] if rid else ""
        if not target:
            return {}
        part = part_path(target)
        if part not in names:
            return {}
        rels = relationships(z, part)
        out: dict[tuple[str, int], str] = {}
        for h in read_xml(z, part).iter(_MAIN + "hyperlink"):
            kind, link, _mode = rels.get(h.get(_REL + "id"), ("", "", ""))
            if kind != _HYPERLINK_TYPE or not link:
                continue
            for cell in _cells(h.get("ref", "")):
                out.setdefault(cell, link)
        return out
