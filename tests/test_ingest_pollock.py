"""The Pollock scorer on a handful of files; benchmarks/pollock_score.py runs all."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "pollock"
FILES = [
    "source.csv",
    "file_preamble.csv",
    "file_no_header.csv",
    "file_header_multirow_2.csv",
    "file_multitable_less.csv",
    "file_field_delimiter_0x3B.csv",
    # A doubled delimiter in a row, and in the header.
    "row_more_sep_row9_col3.csv",
    "row_more_sep_row3_col2.csv",
    "row_more_sep_row0_col3.csv",
    # A lost delimiter between a time and a quantity.
    "row_less_sep_row3_col2.csv",
    # A lost delimiter before a quoted field, and between two quoted fields.
    "row_less_sep_row36_col6.csv",
    "row_less_sep_row5_col7.csv",
    # A stray quote in the header, at the start of a row, inside a row.
    "row_extra_quote0_col8.csv",
    "row_extra_quote1_col0.csv",
    "row_extra_quote16_col3.csv",
]

pytestmark = pytest.mark.skipif(
    not (DATA / "polluted_files" / "csv").is_dir(),
    reason=f"Pollock data not found at {DATA}",
)


@pytest.fixture(scope="module")
def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pollock_score", ROOT / "benchmarks" / "pollock_score.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pollock_score"] = module
    spec.loader.exec_module(module)
    return module


def test_measures_follow_the_paper(scorer: ModuleType) -> None:
    # 2 of 3 clean cells found among 4 loaded: precision 2/3, recall 2/4.
    precision, recall, f1 = scorer.measures(["a", "b", "c"], ["a", "b", "x", "y"])

    assert (precision, recall) == (2 / 3, 0.5)
    assert f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert scorer.measures([], ["a"]) == (1.0, 1.0, 1.0)
    assert scorer.measures(["a"], ["b"]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("name", FILES)
def test_structural_pollutions_score_full_marks(scorer: ModuleType, name: str) -> None:
    folder = DATA / "polluted_files"

    result = scorer.score_file(folder / "csv" / name, folder / "clean" / name, "drop")

    assert result["total"] == pytest.approx(10.0)
