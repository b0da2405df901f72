"""Per-step overhead of nbdash's pandas engine against the same pandas written by hand.

Run: ``PYTHONPATH=src python benchmarks/bench_transform_pandas.py [--rows N]
[--repeat K]``. A generated sales table goes through a filter, a two-key sort, a
two-key group-by with three aggregations, a join with a small region table and a
derived column, each once as a one-step nbdash pipeline (``run_frame``: spec checks,
column checks and the step) and once as the pandas calls a careful person would
write. The best of ``K`` runs of each is reported with the ratio nbdash / hand. The
result goes to ``benchmarks/results/transform_pandas.json`` and is printed.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbdash.transform import Pipeline

RESULTS = Path(__file__).parent / "results"


def sales_frame(rows: int) -> pd.DataFrame:
    """A sales table: dates, a region, a product, quantities and prices."""
    rng = np.random.default_rng(7)
    regions = np.array(["North", "South", "East", "West", "Central"])
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D"),
            "region": pd.array(regions[rng.integers(0, 5, rows)], dtype="str"),
            "product": pd.array(
                [f"P{n:03d}" for n in rng.integers(0, 500, rows)], dtype="str"
            ),
            "quantity": rng.integers(1, 50, rows),
            "price": rng.uniform(1, 500, rows).round(2),
        }
    )


def region_frame() -> pd.DataFrame:
    """The small table the join reads."""
    names = ["North", "South", "East", "West", "Central"]
    return pd.DataFrame(
        {"region": pd.array(names, dtype="str"), "manager": list("ABCDE")}
    )


def cases(
    regions: pd.DataFrame,
) -> dict[str, tuple[dict[str, Any], Callable[[Any], Any]]]:
    """Each case: (the nbdash step, the hand-written pandas)."""
    return {
        "filter": (
            {"kind": "filter", "conditions": [
                {"column": "region", "op": "in", "value": ["North", "East"]},
                {"column": "price", "op": ">", "value": 100}]},
            lambda df: df[df["region"].isin(["North", "East"]) & df["price"].gt(100)]
            .reset_index(drop=True),
        ),
        "sort": (
            {"kind": "sort", "keys": [{"column": "region"},
                                      {"column": "price", "ascending": False}]},
            lambda df: df.sort_values(["region", "price"], ascending=[True, False],
                                      kind="stable").reset_index(drop=True),
        ),
        "group": (
            {"kind": "group", "by": ["region", "product"], "aggregations": [
                {"column": "quantity", "func": "sum"},
                {"column": "price", "func": "mean"},
                {"column": "price", "func": "max"}]},
            lambda df: df.groupby(["region", "product"], dropna=False).agg(
                quantity_sum=("quantity", "sum"), price_mean=("price", "mean"),
                price_max=("price", "max")).reset_index(),
        ),
        "join": (
            {"kind": "join", "dataset": "regions", "on": ["region"], "how": "left"},
            lambda df: df.merge(regions, how="left", on="region"),
        ),
        "derive": (
            {"kind": "derive", "name": "revenue", "expression": "quantity * price"},
            lambda df: df.assign(revenue=df["quantity"] * df["price"]),
        ),
    }  # fmt: skip


def best_time(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    frame, regions = sales_frame(args.rows), region_frame()
    report: dict[str, Any] = {"rows": args.rows, "repeat": args.repeat, "steps": {}}
    others = {"regions": regions}
    for name, (step, hand) in cases(regions).items():
        pipe = Pipeline(source="sales", steps=[step])
        ours = best_time(lambda p=pipe: p.run_frame(frame, others=others), args.repeat)
        theirs = best_time(lambda h=hand: h(frame), args.repeat)
        report["steps"][name] = {
            "nbdash_s": round(ours, 4), "hand_s": round(theirs, 4),
            "ratio": round(ours / theirs, 3),
        }  # fmt: skip
        ratio = ours / theirs
        print(f"{name:8} nbdash {ours:8.4f}s  hand {theirs:8.4f}s  ratio {ratio:5.2f}")

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "transform_pandas.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
