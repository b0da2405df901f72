"""How much the Table widget sends, and how fast, for a 5-million-row dataset.

Measures the kernel time and the bytes of the first ``rows`` window (unsorted, then
sorted: the first sorted window pays for the sort, later ones reuse the cached order)
and compares the bytes with the naive alternative of shipping the whole dataset as
``frame.to_json(orient="records")``.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_table.py [--rows 5000000]
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from nbdash.widgets.table import Table
from nbdash.workspace import Workspace


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """A sales-like table: id, date, region, product, quantity, price, revenue."""
    rng = np.random.default_rng(seed)
    quantity = rng.integers(1, 20, rows)
    price = rng.choice([2.5, 4.0, 7.25, 12.0], rows)
    days = pd.to_timedelta(rng.integers(0, 1_500, rows), "D")
    regions = np.array(["North", "South", "East", "West"], dtype=object)
    products = np.array(["Tea", "Coffee", "Cocoa"], dtype=object)
    return pd.DataFrame(
        {
            "order_id": np.arange(rows, dtype="int64"),
            "date": pd.Timestamp("2020-01-01") + days,
            "region": pd.array(regions[rng.integers(0, 4, rows)], dtype="str"),
            "product": pd.array(products[rng.integers(0, 3, rows)], dtype="str"),
            "quantity": quantity,
            "price": price,
            "revenue": quantity * price,
        }
    )


def naive_json_bytes(frame: pd.DataFrame, step: int = 500_000) -> int:
    """Bytes of ``frame.to_json(orient="records")``, computed in slices to save memory.

    Each slice is a JSON array; joining them into one array replaces each slice's
    brackets with a comma, so the total is the sum less one byte per extra slice.
    """
    total = 0
    for start in range(0, len(frame), step):
        part = frame.iloc[start : start + step]
        with warnings.catch_warnings():
            # pandas 3 warns that the default date format will change; the baseline
            # is the default call as people write it today.
            warnings.simplefilter("ignore")
            total += len(part.to_json(orient="records").encode())
    slices = -(-len(frame) // step)
    return total - (slices - 1)


def timed_window(
    table: Table, sent: list[Any], request: dict[str, Any]
) -> tuple[float, int]:
    began = time.perf_counter()
    table._dispatch(table, {"id": "bench", **request}, [])
    elapsed = time.perf_counter() - began

    reply, buffers = sent[-1]
    assert "result" in reply, reply
    return elapsed, sum(len(bytes(b)) for b in buffers) + len(str(reply))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--window", type=int, default=100)
    args = parser.parse_args()

    frame = make_frame(args.rows)
    workspace = Workspace()
    workspace.put("sales", frame)
    table = Table("sales", workspace=workspace, page_size=args.window)
    sent: list[Any] = []
    table.send = lambda content, buffers=None: sent.append((content, buffers or []))  # type: ignore[method-assign]

    window = {"kind": "rows", "start": 0, "stop": args.window}
    cases = {
        "first window": window,
        "next window": {**window, "start": args.window, "stop": 2 * args.window},
        "sorted (first: sorts)": {
            **window,
            "sort": {"column": "revenue", "ascending": False},
        },
        "sorted (cached order)": {
            **window,
            "start": 5 * args.window,
            "stop": 6 * args.window,
            "sort": {"column": "revenue", "ascending": False},
        },
    }
    naive = naive_json_bytes(frame)
    shape = f"{args.rows:,} rows x {len(frame.columns)} columns"
    print(f"{shape}; window of {args.window} rows")
    print(f"naive to_json(orient='records') of the whole dataset: {naive:,} bytes")
    for label, request in cases.items():
        seconds, size = timed_window(table, sent, request)
        print(
            f"{label:24s} {seconds * 1000:9.1f} ms {size:9,} bytes  "
            f"naive/window = {naive / size:,.0f}x"
        )


if __name__ == "__main__":
    main()
