"""Time and peak memory of ``read_table`` against ``pandas.read_csv`` on a sales CSV.

Run: ``PYTHONPATH=src python benchmarks/bench_ingest.py [rows]``. Each reader runs in
its own process so that peak RSS belongs to it alone.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

READERS = {
    "pandas.read_csv": "import pandas as pd; frame = pd.read_csv(PATH)",
    "nbdash.read_table": (
        "from nbdash.ingest import read_table; frame = read_table(PATH).frame"
    ),
}

PROBE = """
import sys, time
PATH = sys.argv[1]
start = time.perf_counter()
{code}
elapsed = time.perf_counter() - start
# VmHWM is this process's own peak; ru_maxrss would carry the parent's over exec.
status = open("/proc/self/status").read().split("VmHWM:")[1]
peak_mib = int(status.split()[0]) / 1024
print(elapsed, peak_mib, len(frame), dict(frame.dtypes.astype(str)))
"""


def write_sales_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    products = np.array(
        [
            f"Product {name} Deluxe Edition, Extended Warranty Plan"
            for name in "ABCDEFGHIJ"
        ]
    )
    regions = np.array(["North", "South", "East", "West", "Central"])
    quantity = rng.integers(1, 50, rows)
    price = rng.uniform(1, 500, rows).round(2)
    frame = pd.DataFrame(
        {
            "date": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1800, rows), "D"),
            "region": regions[rng.integers(0, len(regions), rows)],
            "product": products[rng.integers(0, len(products), rows)],
            "quantity": quantity,
            "price": price,
            "revenue": (quantity * price).round(2),
        }
    )
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def measure(code: str, path: Path) -> tuple[float, float, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code), str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed, peak, rows, dtypes = done.stdout.strip().split(" ", 3)
    return float(elapsed), float(peak), f"{rows} rows {dtypes}"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_200_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sales.csv"
        write_sales_csv(path, rows)
        print(f"{path.stat().st_size / 2**20:.1f} MiB, {rows} rows")

        results = {name: measure(code, path) for name, code in READERS.items()}
    for name, (elapsed, peak, shape) in results.items():
        print(f"{name:18} {elapsed:6.2f} s  peak RSS {peak:7.1f} MiB  {shape}")

    base_time, base_peak, _ = results["pandas.read_csv"]
    ours_time, ours_peak, _ = results["nbdash.read_table"]
    time_ratio, peak_ratio = ours_time / base_time, ours_peak / base_peak
    print(f"ratio nbdash/pandas: time {time_ratio:.2f}, peak RSS {peak_ratio:.2f}")


if __name__ == "__main__":
    main()
