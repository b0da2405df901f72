"""Fuzzing read_table: whatever the bytes, only IngestError may escape.

The suite runs a bounded number of examples; set ``NBDASH_FUZZ_EXAMPLES`` (e.g.
20000) for a longer one-off run. Each test counts the inputs it tried.
"""

from __future__ import annotations

import os

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


@pytest.fixture(scope="module", autouse=True)
def _report_count() -> object:
    yield
    print(f"\nfuzzed read_table with {TRIED} inputs")
