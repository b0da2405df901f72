"""Fuzzing read_table: whatever the bytes, only IngestError may escape.

The suite runs a bounded number of examples; set ``NBDASH_FUZZ_EXAMPLES`` (e.g.
20000) for a longer one-off run. Each test counts the inputs it tried.
"""

from __future__ import annotations

import datetime
import io
import os

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbdash.errors import IngestError
from nbdash.ingest import read_table

EXAMPLES = int(os.environ.get("NBDASH_FUZZ_EXAMPLES", "100"))
TRIED: dict[str, int] = {}

_cells = st.text(
    alphabet=st.sampled_from(list("ab1 2.,;|\t\"'\\\r\n-$%éZ€\x00")), max_size=12
)
_rows = st.lists(st.lists(_cells, min_size=1, max_size=6), min_size=1, max_size=12)
_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _read(data: bytes, filename: str, name: str) -> None:
    TRIED[name] = TRIED.get(name, 0) + 1
    try:
        read_table(data, filename=filename)
    except IngestError as exc:
        assert str(exc)


@_settings
@given(data=st.binary(max_size=2048), name=st.sampled_from(["f.csv", "f.json", "f"]))
def test_random_bytes(data: bytes, name: str) -> None:
    _read(data, name, "bytes")


@_settings
@given(
    rows=_rows,
    delimiter=st.sampled_from([",", ";", "\t", "|", " "]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
)
def test_csv_like_text(
    rows: list[list[str]], delimiter: str, newline: str, encoding: str
) -> None:
    text = newline.join(delimiter.join(row) for row in rows)
    data = text.encode(encoding, errors="replace")
    _read(data, "f.csv", "csv")


_values = st.one_of(
    st.none(),
    _cells,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.datetimes(datetime.datetime(1900, 3, 1), datetime.datetime(2100, 1, 1)),
    st.sampled_from(["=1+1", "#N/A", "007", "$1,200.50", "12%", "NA"]),
)
_grids = st.lists(st.lists(_values, min_size=0, max_size=7), min_size=0, max_size=10)
_merges = st.lists(
    st.tuples(
        st.integers(1, 10), st.integers(1, 7), st.integers(0, 2), st.integers(0, 2)
    ),
    max_size=3,
)


def _workbook(grid: list[list[object]], merges: list[tuple[int, ...]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in grid:
        sheet.append([_storable(value) for value in row])
    for row, column, down, across in merges:
        # Ranges may overlap: openpyxl writes them, as a careless tool would.
        sheet.merge_cells(
            start_row=row,
            start_column=column,
            end_row=row + down,
            end_column=column + across,
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _storable(value: object) -> object:
    # openpyxl refuses control characters other than tab and newlines in cells.
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " or ch in "\t\n")
    return value


@_settings
@given(grid=_grids, merges=_merges)
def test_excel_grids(grid: list[list[object]], merges: list[tuple[int, ...]]) -> None:
    _read(_workbook(grid, merges), "f.xlsx", "xlsx")


@_settings
@given(
    grid=_grids,
    cuts=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    keep=st.floats(0.0, 1.0),
)
def test_damaged_workbooks(
    grid: list[list[object]], cuts: list[tuple[int, int]], keep: float
) -> None:
    data = bytearray(_workbook(grid, []))
    for at, value in cuts:
        data[at % len(data)] = value
    _read(bytes(data[: max(1, int(len(data) * keep))]), "f.xlsx", "damaged xlsx")


@pytest.fixture(scope="module", autouse=True)
def _report_count() -> object:
    yield
    print(f"\nfuzzed read_table with {TRIED} inputs")
