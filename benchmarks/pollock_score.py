"""Pollock score of nbdash's reader: every polluted file loaded with ``read_table``.

Run: ``.venv/bin/python benchmarks/pollock_score.py [--limit N] [--step K]
[--ragged extra_column|drop] [--loader nbdash|duckdb|clevercsv] [--data DIR]``.

The loader sees only the polluted file (``polluted_files/csv/<name>``): it detects
encoding, dialect, preamble, header and table end itself. ``parameters/`` is never
opened by this script. nbdash runs with the options a user gets by default, except
``infer_types=False`` (cells as written, so the comparison is of the table's
structure, not of nbdash's type conversions): in particular the default
``ragged="extra_column"`` (surplus fields that no repair explains are kept in an
``_extra`` column); ``--ragged drop`` scores the other choice. For comparison,
``--loader duckdb`` scores DuckDB's ``read_csv`` with its sniffer (every column as
text) and ``--loader clevercsv`` CleverCSV's ``read_table`` (its dialect detection,
first row as header); neither is given the parameters either.

Ground truth is the clean table ``polluted_files/clean/<name>``, parsed as standard CSV
(comma, double quote). Its first row is the header, except for ``file_no_header.csv``
whose clean table has no header row. The loaded table's header is its column names
(names nbdash made up for a file without a header count as loaded header cells).

For each file, as in the Pollock paper (Vitagliano et al., PVLDB 16(8) 2023) and
``../shared/data/README.md``, ten numbers in [0, 1] are summed:

- success: 1 when ``read_table`` returned a table, 0 when it raised (then all else 0);
- header precision, recall, F1: the multiset of normalised header cells of the clean
  table against the loaded column names;
- record precision, recall, F1: each data row becomes one string (its normalised
  cells joined, an empty cell written ``null``); multisets of rows are compared;
- cell precision, recall, F1: the multiset of every normalised data cell.

Precision = |intersection| / |clean|, recall = |intersection| / |loaded| (the paper's
code names them this way round), F1 their harmonic mean; when the clean side is empty
all three are 1, when nothing matches all three are 0. A cell is normalised by
stripping surrounding spaces, reading a plain number (``2``, ``2.50``, ``-3``) as its
float value, and lower-casing any other text; the paper's code also parses dates and
prices, which matters only when a loader changes their spelling, and this one keeps
cells as written.

The simple score is the mean of the ten-number sum over all files (0-10); the weighted
score weighs each file by ``pollock_weights.json`` (files missing from it weigh 1).
Results go to ``benchmarks/results/pollock_score.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from nbdash.errors import IngestError
from nbdash.ingest import read_table

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pollock"
RESULTS = Path(__file__).resolve().parent / "results"
MEASURES = ("header", "record", "cell")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def normalise(cell: object) -> str:
    """One cell as comparable text: stripped, numbers as floats, text lower-cased."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    text = str(cell).strip()
    if _NUMBER.match(text):
        return repr(float(text))
    return text.lower()


def measures(clean: list[str], loaded: list[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of two multisets, as Pollock defines them."""
    if not clean:
        return 1.0, 1.0, 1.0
    common = sum((Counter(clean) & Counter(loaded)).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision = common / len(clean)
    recall = common / len(loaded)
    return precision, recall, 2 * precision * recall / (precision + recall)


def clean_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """The clean header cells and data rows, normalised."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row]
    rows = [[normalise(cell) for cell in row] for row in rows]
    if path.name == "file_no_header.csv":
        return [], rows
    return (rows[0] if rows else []), rows[1:]


def loaded_table(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The loaded column names and rows, normalised."""
    header = [normalise(name) for name in frame.columns]
    rows = [[normalise(cell) for cell in row] for row in frame.itertuples(index=False)]
    return header, rows


def load_nbdash(path: Path, ragged: str) -> pd.DataFrame:
    """nbdash's table, every cell as text."""
    return read_table(path, infer_types=False, ragged=ragged).frame  # type: ignore[arg-type]


def load_duckdb(path: Path, ragged: str) -> pd.DataFrame:
    """DuckDB's auto-detected table, every column as text."""
    import duckdb

    with duckdb.connect() as connection:
        relation = connection.read_csv(str(path), all_varchar=True)
        return relation.df()


def load_clevercsv(path: Path, ragged: str) -> pd.DataFrame:
    """CleverCSV's detected dialect; the first row names the columns."""
    import clevercsv

    rows = clevercsv.read_table(str(path), num_chars=256 * 1024)
    if not rows:
        raise ValueError("no rows")
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    names = [
        str(index) if index >= len(rows[0]) else rows[0][index]
        for index in range(width)
    ]
    return pd.DataFrame(rows[1:], columns=pd.Index(names))


LOADERS = {"nbdash": load_nbdash, "duckdb": load_duckdb, "clevercsv": load_clevercsv}


def score_file(
    polluted: Path, clean: Path, ragged: str, loader: str = "nbdash"
) -> dict[str, Any]:
    """The ten Pollock numbers for one file, and their sum."""
    result: dict[str, Any] = {"file": polluted.name}
    try:
        frame = LOADERS[loader](polluted, ragged)
    except IngestError as exc:
        result.update({"success": 0.0, "error": str(exc), "total": 0.0})
        return result
    except Exception as exc:  # another loader's failure scores 0
        if loader == "nbdash":
            raise
        result.update({"success": 0.0, "error": repr(exc)[:200], "total": 0.0})
        return result

    clean_header, clean_rows = clean_table(clean)
    header, rows = loaded_table(frame)
    result["success"] = 1.0
    joined_clean = ["".join(cell or "null" for cell in row) for row in clean_rows]
    joined = ["".join(cell or "null" for cell in row) for row in rows]
    parts = {
        "header": measures(clean_header, header),
        "record": measures(joined_clean, joined),
        "cell": measures(
            [c for row in clean_rows for c in row], [c for row in rows for c in row]
        ),
    }
    for name, (precision, recall, f1) in parts.items():
        result.update(
            {f"{name}_precision": precision, f"{name}_recall": recall, f"{name}_f1": f1}
        )
    result["total"] = result["success"] + sum(sum(value) for value in parts.values())
    return result


def family(name: str) -> str:
    """The pollution family of a file (``row_more_sep_row9_col3``: ``row_more_sep``)."""
    stem = name.removesuffix(".csv")
    if stem.startswith("file_") or stem == "source":
        return stem
    stem = re.sub(r"_col\d+$", "", stem)
    stem = re.sub(r"_row\d+$|_\d+_0x20$", "", stem)
    return re.sub(r"(?<=quote)\d+$", "", stem)


def run(
    data: Path, limit: int | None, ragged: str, loader: str = "nbdash", step: int = 1
) -> dict[str, Any]:
    """Score every file (or the first ``limit``, or every ``step``-th) and sum up."""
    folder = data / "polluted_files"
    weights = json.loads((data / "pollock_weights.json").read_text())
    files = sorted((folder / "csv").glob("*.csv"))[:limit][::step]
    started = time.perf_counter()
    scores = [
        score_file(path, folder / "clean" / path.name, ragged, loader) for path in files
    ]
    seconds = time.perf_counter() - started

    total_weight = sum(float(weights.get(one["file"], 1.0)) for one in scores)
    weighted = sum(
        one["total"] * float(weights.get(one["file"], 1.0)) for one in scores
    )
    families: dict[str, list[float]] = {}
    for one in scores:
        families.setdefault(family(one["file"]), []).append(one["total"])
    worst = sorted((sum(v) / len(v), name, len(v)) for name, v in families.items())
    return {
        "loader": loader,
        "ragged": ragged if loader == "nbdash" else None,
        "files": len(scores),
        "simple": sum(one["total"] for one in scores) / max(len(scores), 1),
        "weighted": weighted / max(total_weight, 1e-12),
        "failures": [one["file"] for one in scores if not one["success"]],
        "worst_families": [
            {"family": name, "mean": mean, "files": count}
            for mean, name, count in worst[:12]
        ],
        "seconds": seconds,
        "per_file": scores,
    }


def main(argv: list[str] | None = None) -> int:
    """Score, print the two figures and the worst families, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--step", type=int, default=1, help="every K-th file")
    parser.add_argument(
        "--ragged", choices=("extra_column", "drop"), default="extra_column"
    )
    parser.add_argument("--loader", choices=sorted(LOADERS), default="nbdash")
    args = parser.parse_args(argv)
    if not (args.data / "polluted_files" / "csv").is_dir():
        print(f"Pollock data not found at {args.data}", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)

    summary = run(args.data, args.limit, args.ragged, args.loader, args.step)
    how = f"ragged={args.ragged!r}" if args.loader == "nbdash" else "auto-detected"
    print(f"loader: {args.loader} ({how})")
    print(f"files: {summary['files']} in {summary['seconds']:.1f} s")
    print(f"Pollock simple score:   {summary['simple']:.3f} / 10")
    print(f"Pollock weighted score: {summary['weighted']:.3f} / 10")
    print(f"failures: {summary['failures'][:20]}")
    print("worst families (mean of the ten-number sum):")
    for row in summary["worst_families"]:
        print(f"  {row['family']:<40} {row['mean']:.3f}  ({row['files']} files)")

    RESULTS.mkdir(exist_ok=True)
    suffix = (
        ""
        if args.loader == "nbdash" and args.ragged == "extra_column"
        else (f"_{args.loader}" if args.loader != "nbdash" else f"_{args.ragged}")
    )
    out = RESULTS / f"pollock_score{suffix}.json"
    out.write_text(json.dumps(summary, indent=1))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
