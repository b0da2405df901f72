"""Reading uploaded files: CSV/TSV, Excel, Parquet and JSON into typed DataFrames.

``read_table`` detects the format, the text encoding and the delimiter, chooses each
column's type from all of its values, and reports what it did and what was wrong, with
file line numbers.
"""

from __future__ import annotations

from nbdash.ingest.reading import read_table
from nbdash.ingest.report import ColumnReport, IngestReport, IngestResult, Problem

__all__ = ["ColumnReport", "IngestReport", "IngestResult", "Problem", "read_table"]
