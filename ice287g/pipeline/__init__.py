"""The data pipeline: ICE's spreadsheets -> ``data/processed/``. Stages, in the order data flows:

- ``records``    record types (SheetFile, SheetName, ParsedSheet, FileRecord, Publication) and
  errors (SheetError, BuildError); imports nothing of the pipeline.
- ``thresholds`` every threshold and constant (parser version, ICE's URL, columns, stamp and
  trend thresholds, support types); imports nothing of the pipeline.
- ``s1_find``    find and hash the workbooks, parse their names and stamps, capture times, reviews.
- ``s2_read``    read each workbook's first sheet into a ParsedSheet (calamine or openpyxl).
- ``cache``      the parse cache used by s2_read (keyed by file hash, list and engine).
- ``links``      ICE's links to its agreement documents (the MOA and ADDENDUM cells'
  hyperlinks), read from a workbook for s2_read.
- ``s3_clean``   clean each distinct row once (the fixes table, the one agency-name normaliser),
  content ids.
- ``s4_group``   check stamps against content, group files into publications.
- ``s5_trend``   the trend rules: which publications stay out of trend lines, and why.
- ``s6_derive``  snapshots, agreements, pending requests, listings (as runs), files.
- ``s7_qa``      every check of qa.csv (with ``s7_rules``: consistency rules from ICE's own
  record, each proposing a reviewed fix, never applying one).
- ``schema``     one definition of every output's columns (the Table Schema of datapackage.json).
- ``s8_write``   serialise and write the outputs.
- ``build``      the orchestration: ``derive`` (stages 1-7) and ``run_build`` (derive + write).
"""

from .build import derive, run_build
from .records import BuildError, SheetError

__all__ = ["BuildError", "SheetError", "derive", "run_build"]
