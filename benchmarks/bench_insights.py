"""Benchmark a full insight pass over a synthetic sales table (default 1M rows x 10).

Columns: date (3 years), region, channel, product, customer (2,000 names), revenue,
units, discount, cost, note (mostly missing). Time-series detectors aggregate every
row per period; correlation reads a uniform sample of ``InsightSettings.sample_rows``
(100,000) rows, outliers one of 10,000.

The table is written to a Parquet file once; each cold run is a fresh Python process
that reads it and then times ``import nbdash.insights`` plus a first pass (so the
imports of scipy, scikit-learn and, when a detector needs it, statsmodels count), then
a second, warm pass in the same process. Cold runs repeat ``--runs`` times (median
reported). Wall and CPU seconds are both given: on a shared machine the wall time
includes waiting for a core, the CPU time is what the pass itself used. Writes
benchmarks/results/insights.json with the load average before and after.

Run: ``.venv/bin/python benchmarks/bench_insights.py [--rows N] [--runs K]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def sales(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2022-01-01", periods=3 * 365)
    frame = pd.DataFrame(
        {
            "date": days[rng.integers(0, len(days), rows)],
            "region": rng.choice(["North", "South", "East", "West"], rows),
            "channel": rng.choice(["web", "store", "phone"], rows),
            "product": rng.choice([f"P{i}" for i in range(30)], rows),
            "customer": rng.choice([f"C{i}" for i in range(2000)], rows),
            "units": rng.poisson(3, rows).astype(float),
            "discount": rng.uniform(0, 0.3, rows),
        }
    )
    frame["revenue"] = frame["units"] * rng.gamma(5, 10, rows) * (1 - frame["discount"])
    frame["cost"] = frame["revenue"] * 0.6 + rng.normal(0, 2, rows)
    frame["note"] = np.where(rng.random(rows) < 0.95, None, "check")
    return frame


def child(path: str) -> None:
    """One fresh process: read the table, then time import + first pass, and a second.

    Prints one JSON line. ``process_cpu`` is the CPU time of the whole process so far
    (interpreter start, pandas and the Parquet read included).
    """
    frame = pd.read_parquet(path)
    started, cpu = time.perf_counter(), time.process_time()
    from nbdash.insights import find_insights

    imported = time.perf_counter() - started
    report = find_insights(frame, name="sales")
    cold = (time.perf_counter() - started, time.process_time() - cpu)

    started, cpu = time.perf_counter(), time.process_time()
    find_insights(frame, name="sales")
    warm = (time.perf_counter() - started, time.process_time() - cpu)
    heavy = ("scipy.stats", "sklearn", "statsmodels")
    result = {
        "cold_wall": cold[0],
        "cold_cpu": cold[1],
        "import_nbdash_wall": imported,
        "warm_wall": warm[0],
        "warm_cpu": warm[1],
        "process_cpu": time.process_time(),
        "loaded": [name for name in heavy if name in sys.modules],
        "insights": [item.sentence for item in report.insights],
        "skipped": report.skipped,
    }
    print(json.dumps(result))


def cold_run(path: Path) -> dict[str, object]:
    """Run :func:`child` in a fresh interpreter, with its wall time spawn to exit."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall"] = time.perf_counter() - started
    return result


def median_of(runs: list[dict[str, object]], key: str) -> float:
    return round(statistics.median(float(run[key]) for run in runs), 2)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="cold processes to run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    frame = sales(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sales.parquet"
        frame.to_parquet(path)
        load_before = os.getloadavg()[0]
        runs = [cold_run(path) for _ in range(args.runs)]
        load_after = os.getloadavg()[0]

    keys = ("cold_wall", "cold_cpu", "warm_wall", "warm_cpu", "import_nbdash_wall")
    result = {
        "rows": len(frame),
        "columns": frame.shape[1],
        "runs": args.runs,
        **{f"{key}_median": median_of(runs, key) for key in keys},
        "process_wall_median": median_of(runs, "process_wall"),
        "process_cpu_median": median_of(runs, "process_cpu"),
        "load_average_1min_before": round(load_before, 1),
        "load_average_1min_after": round(load_after, 1),
        "cpus": os.cpu_count(),
        "heavy_modules_loaded": runs[0]["loaded"],
        "per_run": [{k: v for k, v in r.items() if k != "insights"} for r in runs],
        "insights": runs[0]["insights"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "insights.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "per_run"}, indent=1))


if __name__ == "__main__":
    main()
