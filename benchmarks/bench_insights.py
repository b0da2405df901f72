"""Benchmark a full insight pass over a synthetic sales table (default 1M rows x 10).

Columns: date (3 years), region, channel, product, customer (2,000 names), revenue,
units, discount, cost, note (mostly missing). Time-series detectors aggregate every
row per period; correlation, outliers and duplicate checks read a uniform sample of
``InsightSettings.sample_rows`` (100,000) rows, outliers one of 10,000. The pass runs
twice: the first includes importing statsmodels, scipy and scikit-learn, the second
does not. Writes benchmarks/results/insights.json with both times and the machine's
load average.

Run: ``.venv/bin/python benchmarks/bench_insights.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nbdash.insights import InsightReport, find_insights

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


def timed(frame: pd.DataFrame) -> tuple[float, float, InsightReport]:
    """Wall seconds and CPU seconds (all threads) of one full pass, and its report.

    On a shared machine the wall time includes waiting for a core; the CPU time is
    what the pass itself used.
    """
    started, cpu = time.perf_counter(), time.process_time()
    report = find_insights(frame, name="sales")
    return time.perf_counter() - started, time.process_time() - cpu, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    frame = sales(args.rows)
    load = os.getloadavg()[0]
    cold = timed(frame)
    warm = timed(frame)
    report = warm[2]
    result = {
        "rows": len(frame),
        "columns": frame.shape[1],
        "seconds_first_pass": round(cold[0], 2),
        "seconds_second_pass": round(warm[0], 2),
        "cpu_seconds_first_pass": round(cold[1], 2),
        "cpu_seconds_second_pass": round(warm[1], 2),
        "load_average_1min": round(load, 1),
        "cpus": os.cpu_count(),
        "insights": len(report.insights),
        "skipped": report.skipped,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "insights.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    print(report.to_text())


if __name__ == "__main__":
    main()
