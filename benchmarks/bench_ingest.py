"""Time and peak memory of ``read_table`` against pandas and DuckDB on a sales CSV.

Writes a deterministic sales CSV (5M rows, about 380 MB by default: order id, date,
customer, region, product, quantity, unit price with a currency sign, discount with a
percent sign, revenue), then reads it in one run with

* ``nbdash.ingest.read_table`` (typed and validated: every value is checked),
* plain ``pandas.read_csv`` (default options),
* DuckDB ``read_csv`` converted to pandas (``.df()``),
* two floors: pyarrow's multi-threaded ``read_csv`` keeping every cell as text (no
  type checked: the parse any typed read must at least do), and with Arrow's own
  types (leading zeros dropped, signs left as text),

each in its own fresh process, so that the peak RSS (``VmHWM``) is that reader's
alone, ``--runs`` times in turn (median reported). Reported per reader: seconds, peak
RSS, RSS before reading (interpreter and imports), the final frame's
``memory_usage(deep=True)``, and the ratios against pandas and of the peak growth over
the frame. Results go to ``benchmarks/results/ingest.json``.

Run from the repository root, small first::

    .venv/bin/python benchmarks/bench_ingest.py --rows 200000
    .venv/bin/python benchmarks/bench_ingest.py            # 5M rows
    .venv/bin/python benchmarks/bench_ingest.py --csv sales.csv  # an existing file
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "ingest.json"

READERS = {
    "nbdash.read_table": (
        "from nbdash.ingest import read_table",
        "frame = read_table(PATH).frame",
    ),
    "pandas.read_csv": ("import pandas as pd", "frame = pd.read_csv(PATH)"),
    "duckdb.read_csv": (
        "import duckdb, pandas",
        "frame = duckdb.read_csv(PATH).df()",
    ),
    # Floors: Arrow's multi-threaded parser with no checks at all, every cell kept
    # as text (what any typed read must at least do), and with Arrow's own types.
    "pyarrow text only": (
        "import pyarrow.csv as pacsv, pyarrow as pa",
        "frame = pacsv.read_csv(PATH, convert_options=pacsv.ConvertOptions("
        "column_types=dict.fromkeys(NAMES, pa.string()))).to_pandas()",
    ),
    "pyarrow.read_csv": (
        "import pyarrow.csv as pacsv",
        "frame = pacsv.read_csv(PATH).to_pandas(date_as_object=False)",
    ),
}

PROBE = """
import csv, sys, time, json
PATH = sys.argv[1]
NAMES = next(csv.reader(open(PATH, encoding="utf-8")))

def rss(field):
    status = open("/proc/self/status").read()
    return int(status.split(field + ":")[1].split()[0]) / 1024

{imports}
before = rss("VmRSS")
start = time.perf_counter()
{code}
elapsed = time.perf_counter() - start
# VmHWM is this process's own peak; ru_maxrss would carry the parent's over exec.
peak = rss("VmHWM")
frame_mib = int(frame.memory_usage(deep=True).sum()) / 2**20
dtypes = {{str(k): str(v) for k, v in frame.dtypes.items()}}
print(json.dumps({{"seconds": elapsed, "peak_mib": peak, "before_mib": before,
                  "frame_mib": frame_mib, "rows": len(frame), "dtypes": dtypes}}))
"""

REGIONS = ["North", "South", "East", "West", "Central"]
PRODUCTS = [f"Product {letter}{n}" for letter in "ABCDEFGH" for n in range(25)]


def write_sales_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Write the sales CSV in batches of a million rows (deterministic)."""
    rng = np.random.default_rng(seed)
    options = pacsv.WriteOptions(quoting_style="needed")
    with pacsv.CSVWriter(path, _schema(), write_options=options) as writer:
        for start in range(0, rows, 1_000_000):
            count = min(1_000_000, rows - start)
            writer.write_table(_batch(rng, start, count))


def _schema() -> pa.Schema:
    names = ["order_id", "order_date", "customer", "region", "product"]
    names += ["quantity", "unit_price", "discount", "revenue"]
    return pa.schema([(name, pa.string()) for name in names])


def _batch(rng: np.random.Generator, start: int, count: int) -> pa.Table:
    days = rng.integers(0, 1800, count)
    dates = (np.datetime64("2020-01-01") + days).astype(str)
    quantity = rng.integers(1, 50, count)
    cents = rng.integers(100, 50_000, count)
    discount = rng.choice([0, 5, 10, 15], count)
    revenue = quantity * cents * (100 - discount) // 100
    columns = {
        "order_id": np.arange(start + 1, start + count + 1).astype(str),
        "order_date": dates,
        "customer": np.char.add("C", rng.integers(0, 200_000, count).astype(str)),
        "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), count)],
        "product": np.array(PRODUCTS)[rng.integers(0, len(PRODUCTS), count)],
        "quantity": quantity.astype(str),
        "unit_price": [f"${c // 100}.{c % 100:02d}" for c in cents.tolist()],
        "discount": np.char.add(discount.astype(str), "%"),
        "revenue": [f"{r // 100}.{r % 100:02d}" for r in revenue.tolist()],
    }
    return pa.table(
        {name: pa.array(values, pa.string()) for name, values in columns.items()}
    )


def measure(imports: str, code: str, path: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports, code=code), str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    measured: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def measure_all(path: Path, runs: int) -> dict[str, dict[str, object]]:
    """Each reader ``runs`` times, in turn, so that a busy spell hits them alike.

    Per reader: the median run's figures, plus every run's seconds and peak.
    """
    taken: dict[str, list[dict[str, object]]] = {name: [] for name in READERS}
    for _ in range(runs):
        for name, reader in READERS.items():
            taken[name].append(measure(*reader, path))
    results = {}
    for name, measured in taken.items():
        ordered = sorted(measured, key=lambda row: float(row["seconds"]))  # type: ignore[arg-type]
        median = dict(ordered[len(ordered) // 2])
        median["runs_seconds"] = [row["seconds"] for row in measured]
        median["runs_peak_mib"] = [row["peak_mib"] for row in measured]
        results[name] = median
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument(
        "--csv",
        type=Path,
        help="read this file (written by an earlier run) instead of writing one",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="runs per reader, taken in turn (the medians are reported)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = args.csv or Path(folder) / "sales.csv"
        if args.csv is None:
            began = time.perf_counter()
            write_sales_csv(path, args.rows)
            took = time.perf_counter() - began
            print(f"wrote {args.rows} rows in {took:.0f} s")
        size_mb = path.stat().st_size / 1e6
        load_before = os.getloadavg()
        print(f"{path}: {size_mb:.0f} MB; load average before reading: {load_before}")
        results = measure_all(path, args.runs)

    rows = int(results["pandas.read_csv"]["rows"])  # type: ignore[call-overload]
    report(results, rows, size_mb, load_before)


def report(
    results: dict[str, dict[str, object]],
    rows: int,
    size_mb: float,
    load_before: tuple[float, float, float],
) -> None:
    base = results["pandas.read_csv"]
    print(
        f"{'reader':20} {'s':>6} {'x pandas':>8} {'peak MiB':>9} {'before':>7} "
        f"{'frame MiB':>9} {'peak/frame':>10} {'growth/frame':>12}"
    )
    for name, row in results.items():
        seconds, peak = float(row["seconds"]), float(row["peak_mib"])  # type: ignore[arg-type]
        before, frame = float(row["before_mib"]), float(row["frame_mib"])  # type: ignore[arg-type]
        row["time_vs_pandas"] = seconds / float(base["seconds"])  # type: ignore[arg-type]
        row["peak_vs_frame"] = peak / frame
        row["growth_vs_frame"] = (peak - before) / frame
        print(
            f"{name:20} {seconds:6.2f} {row['time_vs_pandas']:8.2f} {peak:9.0f} "
            f"{before:7.0f} {frame:9.0f} {row['peak_vs_frame']:10.2f} "
            f"{row['growth_vs_frame']:12.2f}"
        )
    for name, row in results.items():
        print(f"  {name}: {row['dtypes']}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "rows": rows,
                "size_mb": size_mb,
                "cpus": os.cpu_count(),
                "load_avg_before": load_before,
                "load_avg_after": os.getloadavg(),
                "python": platform.python_version(),
                "results": results,
            },
            indent=2,
        )
    )
    print(f"load average after: {os.getloadavg()}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
