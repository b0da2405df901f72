"""Every csv-spectrum edge case loads to exactly its JSON records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbdash.ingest import read_table

SPECTRUM = Path(__file__).resolve().parents[2] / "shared" / "data" / "csv-spectrum"
FILES = sorted((SPECTRUM / "csvs").glob("*.csv")) if SPECTRUM.is_dir() else []


@pytest.mark.skipif(not FILES, reason=f"csv-spectrum data not found at {SPECTRUM}")
@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_file_loads_to_its_records(path: Path) -> None:
    expected = json.loads((SPECTRUM / "json" / f"{path.stem}.json").read_text("utf-8"))

    frame = read_table(path, infer_types=False).frame

    records = [
        {name: ("" if value is None else str(value)) for name, value in row.items()}
        for row in frame.to_dict("records")
    ]
    assert records == expected


def test_all_eleven_files_are_present() -> None:
    if not FILES:
        pytest.skip(f"csv-spectrum data not found at {SPECTRUM}")
    assert len(FILES) == 11
