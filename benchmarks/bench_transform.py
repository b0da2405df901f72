"""Time nbdash's transform engines against hand-written pandas and DuckDB SQL.

Generates a deterministic sales table (5M rows by default: order id, date, region,
product id, quantity, price, revenue with 2% missing) and a 1000-row products table,
then times, in one run and one process, four operations

* filter: ``region == "North" and revenue > 100``,
* sort: region ascending, revenue descending (missing last),
* group: by region and product id; sum of revenue, mean of price, count of orders,
* join: inner join with the products on product id,

each done five ways: nbdash's pandas engine, its duckdb engine, ``auto``, hand-written
pandas and hand-written DuckDB SQL (on a connection opened once, result as a pandas
frame). Each time is the best of ``--repeat`` runs, the five ways taking turns.
Every nbdash result is checked against hand-written pandas (floats to 1e-9) before
timing. Reported ratios: auto
against the faster hand-written version (target at most 1.3) and the pandas engine
against hand-written pandas (target at most 1.1). Results go to
``benchmarks/results/transform.json``.

Run from the repository root, small first::

    .venv/bin/python benchmarks/bench_transform.py --rows 200000
    .venv/bin/python benchmarks/bench_transform.py            # 5M rows
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from nbdash.transform import Pipeline
from nbdash.transform.engines import AUTO_MIN_CELLS, run_frame

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "transform.json"
REGIONS = ["North", "South", "East", "West", "Central"]


def make_sales(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the sales table and the products table, the same for the same size."""
    rng = np.random.default_rng(2024)
    quantity = rng.integers(1, 20, rows)
    price = np.round(rng.gamma(2.0, 15.0, rows), 2)
    revenue = quantity * price
    revenue[rng.random(rows) < 0.02] = np.nan
    sales = pd.DataFrame(
        {
            "order_id": np.arange(rows, dtype="int64"),
            "date": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 730, rows), unit="D"),
            "region": pd.Series(rng.choice(REGIONS, rows), dtype="str"),
            "product_id": rng.integers(0, 1000, rows),
            "quantity": quantity,
            "price": price,
            "revenue": revenue,
        }
    )
    products = pd.DataFrame(
        {
            "product_id": np.arange(1000, dtype="int64"),
            "category": pd.Series([f"cat {i % 17}" for i in range(1000)], dtype="str"),
            "cost": np.round(rng.gamma(2.0, 5.0, 1000), 2),
        }
    )
    return sales, products


PIPELINES: dict[str, list[dict[str, Any]]] = {
    "filter": [
        {
            "kind": "filter",
            "conditions": [
                {"column": "region", "op": "==", "value": "North"},
                {"column": "revenue", "op": ">", "value": 100},
            ],
        }
    ],
    "sort": [
        {
            "kind": "sort",
            "keys": [
                {"column": "region"},
                {"column": "revenue", "ascending": False},
            ],
        }
    ],
    "group": [
        {
            "kind": "group",
            "by": ["region", "product_id"],
            "aggregations": [
                {"column": "revenue", "func": "sum"},
                {"column": "price", "func": "mean"},
                {"column": "order_id", "func": "count", "name": "orders"},
            ],
        }
    ],
    "join": [{"kind": "join", "dataset": "products", "on": ["product_id"]}],
}


def hand_pandas(
    sales: pd.DataFrame, products: pd.DataFrame
) -> dict[str, Callable[[], pd.DataFrame]]:
    """The same operations as a pandas user writes them."""
    return {
        "filter": lambda: sales[
            (sales["region"] == "North") & (sales["revenue"] > 100)
        ].reset_index(drop=True),
        "sort": lambda: sales.sort_values(
            ["region", "revenue"], ascending=[True, False], kind="stable"
        ).reset_index(drop=True),
        "group": lambda: (
            sales.groupby(["region", "product_id"])
            .agg(
                revenue_sum=("revenue", "sum"),
                price_mean=("price", "mean"),
                orders=("order_id", "count"),
            )
            .reset_index()
        ),
        "join": lambda: sales.merge(products, on="product_id"),
    }


def hand_duckdb(
    sales: pd.DataFrame, products: pd.DataFrame
) -> dict[str, Callable[[], pd.DataFrame]]:
    """The same operations as a DuckDB user writes them, result as a frame."""
    connection = duckdb.connect()
    connection.register("sales", sales)
    connection.register("products", products)
    queries = {
        "filter": "SELECT * FROM sales WHERE region = 'North' AND revenue > 100",
        "sort": "SELECT * FROM sales ORDER BY region, revenue DESC NULLS LAST",
        "group": "SELECT region, product_id, sum(revenue) AS revenue_sum, "
        "avg(price) AS price_mean, count(order_id) AS orders FROM sales "
        "GROUP BY region, product_id ORDER BY region, product_id",
        "join": "SELECT * FROM sales JOIN products USING (product_id)",
    }
    return {
        name: (lambda sql=sql: connection.execute(sql).df())
        for name, sql in queries.items()
    }


def nbdash_runs(
    sales: pd.DataFrame, products: pd.DataFrame, engine: str
) -> dict[str, Callable[[], pd.DataFrame]]:
    others = {"products": products}
    runs = {}
    for name, steps in PIPELINES.items():
        pipeline = Pipeline(source="sales", steps=steps)
        runs[name] = lambda p=pipeline: run_frame(p, sales, engine, others)  # type: ignore[misc]
    return runs


def best_of(
    ways: dict[str, dict[str, Callable[[], pd.DataFrame]]], op: str, repeat: int
) -> dict[str, float]:
    """The best time of each way; the ways take turns, so load spikes hit all alike."""
    times: dict[str, list[float]] = {way: [] for way in ways}
    for _ in range(repeat):
        for way, runs in ways.items():
            start = time.perf_counter()
            runs[op]()
            times[way].append(time.perf_counter() - start)
    return {way: min(values) for way, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--ops", default=",".join(PIPELINES), help="comma-separated operations"
    )
    args = parser.parse_args()
    ops = args.ops.split(",")

    sales, products = make_sales(args.rows)
    ways = {
        "nbdash pandas": nbdash_runs(sales, products, "pandas"),
        "nbdash duckdb": nbdash_runs(sales, products, "duckdb"),
        "nbdash auto": nbdash_runs(sales, products, "auto"),
        "hand pandas": hand_pandas(sales, products),
        "hand duckdb": hand_duckdb(sales, products),
    }
    check(ways, ops)

    seconds = {op: best_of(ways, op, args.repeat) for op in ops}
    report(seconds, args)


def check(
    ways: dict[str, dict[str, Callable[[], pd.DataFrame]]], ops: list[str]
) -> None:
    """Every nbdash engine gives hand-written pandas' result."""
    for op in ops:
        expected = ways["hand pandas"][op]()
        for way in ("nbdash pandas", "nbdash duckdb", "nbdash auto"):
            got = ways[way][op]()
            assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
        print(f"checked {op}: {len(expected)} rows, same result from every engine")


def report(seconds: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    rows = []
    for op, times in seconds.items():
        fastest_hand = min(times["hand pandas"], times["hand duckdb"])
        rows.append(
            {
                "operation": op,
                **{way: round(value, 4) for way, value in times.items()},
                "auto / faster hand-written": round(
                    times["nbdash auto"] / fastest_hand, 2
                ),
                "pandas engine / hand pandas": round(
                    times["nbdash pandas"] / times["hand pandas"], 2
                ),
            }
        )
    table = pd.DataFrame(rows).set_index("operation")
    print(table.T.to_string())

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "rows": args.rows,
        "repeat": args.repeat,
        "auto_min_cells": AUTO_MIN_CELLS,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "duckdb": duckdb.__version__,
        },
        "results": rows,
    }
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
