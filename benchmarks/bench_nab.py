"""Benchmark the insight anomaly detector on the Numenta Anomaly Benchmark series.

For every CSV under ``/work/shared/data/nab/data`` the detector and a rolling z-score
baseline flag anomalies; a labelled window (``combined_windows.json``) is found when at
least one flag falls inside it, and every flag outside all windows is a false alarm.
Both methods merge flags closer than the same gap into one event. Reports recall per
category and overall, and false alarms per series (median and mean), to stdout and
``benchmarks/results/nab.json``. The detector never sees the labels.

Run: ``.venv/bin/python benchmarks/bench_nab.py [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nbdash.insights.anomaly import detect_anomalies

logger = logging.getLogger(__name__)

NAB = Path("/work/shared/data/nab")
RESULTS = Path(__file__).resolve().parent / "results"
BASELINE_WINDOW = 100
BASELINE_Z = 3.0


def baseline_flags(values: pd.Series) -> list[pd.Timestamp]:
    """Rolling z-score: a point over 3 sigmas from the previous 100 points' mean."""
    x = values.astype("float64")
    mean = x.shift(1).rolling(BASELINE_WINDOW, min_periods=20).mean()
    std = x.shift(1).rolling(BASELINE_WINDOW, min_periods=20).std()
    z = ((x - mean) / std.where(std > 0)).abs()
    positions = np.flatnonzero(z.to_numpy() > BASELINE_Z)
    return [values.index[p] for p in merge_positions(positions, gap=gap_for(values))]


def gap_for(values: pd.Series) -> int:
    """The merge gap the detector uses for a series of this length (1% of it)."""
    return max(3, len(values) // 100)


def merge_positions(positions: np.ndarray, gap: int) -> list[int]:
    """Keep the first of each run of positions closer than ``gap``."""
    kept: list[int] = []
    for position in positions:
        if not kept or position - kept[-1] > gap:
            kept.append(int(position))
    return kept


def score(
    flags: list[pd.Timestamp], windows: list[tuple[pd.Timestamp, pd.Timestamp]]
) -> tuple[int, int]:
    """(windows found, false alarms) for one series."""
    found = sum(any(start <= f <= end for f in flags) for start, end in windows)
    false = sum(not any(start <= f <= end for start, end in windows) for f in flags)
    return found, false


def load(path: Path) -> pd.Series:
    frame = pd.read_csv(path, parse_dates=["timestamp"])
    series = frame.set_index("timestamp")["value"].astype("float64")
    return series[~series.index.duplicated()].sort_index().interpolate()


def run(limit: int | None) -> dict[str, object]:
    labels = json.loads((NAB / "combined_windows.json").read_text())
    rows = []
    started = time.perf_counter()
    for name in sorted(labels)[:limit]:
        series = load(NAB / "data" / name)
        windows = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in labels[name]]
        ours = [item.at for item in detect_anomalies(series)]
        base = baseline_flags(series)
        rows.append(
            {
                "series": name,
                "category": name.split("/")[0],
                "windows": len(windows),
                "points": len(series),
                "detector": score(ours, windows),
                "baseline": score(base, windows),
            }
        )
    return summarise(rows, time.perf_counter() - started)


def summarise(rows: list[dict], seconds: float) -> dict[str, object]:
    report: dict[str, object] = {"series": len(rows), "seconds": round(seconds, 1)}
    groups = {"overall": rows}
    for row in rows:
        groups.setdefault(row["category"], []).append(row)
    for group, members in groups.items():
        entry = {}
        for method in ("detector", "baseline"):
            windows = sum(r["windows"] for r in members)
            found = sum(r[method][0] for r in members)
            false = [r[method][1] for r in members]
            entry[method] = {
                "recall": round(found / windows, 3) if windows else None,
                "windows": windows,
                "false_alarms_median": statistics.median(false),
                "false_alarms_mean": round(statistics.mean(false), 2),
            }
        report[group] = entry
    report["per_series"] = rows
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N series only")
    args = parser.parse_args()
    report = run(args.limit)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nab.json").write_text(json.dumps(report, indent=2, default=str))
    for key, value in report.items():
        if key != "per_series":
            print(key, json.dumps(value))


if __name__ == "__main__":
    main()
