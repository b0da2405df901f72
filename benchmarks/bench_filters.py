"""Time a dashboard filter reaching tiles on a pipeline output, cached and not.

Builds a deterministic sales table (2M rows by default: date, region, product,
revenue), a pipeline ``sales -> by_day`` (day buckets, sum of revenue) stored the way
the builder's apply stores it, and a dashboard with a bar chart and a table on
``by_day``, a table on an unrelated dataset and a region filter on ``sales``. Then,
in one process with the ways taking turns (best of ``--repeat``), it times

* ``miss``: ``set_filter`` to a region selection not seen before (the pipeline runs
  again on the filtered rows, both tiles redrawn),
* ``hit``: ``set_filter`` back to a selection seen before (from the cache),
* ``other``: a filter on the unrelated dataset (the ``by_day`` tiles are not redrawn),
* ``hand``: the least work a miss needs, written by hand in pandas: mask the region,
  bucket the days, group and sum,

once for the pandas engine and once for ``duckdb`` as the pipeline's engine. The
``by_day`` tile's values are checked against the hand-written result first. Reported:
seconds and CPU seconds of each, the ratio miss / hand, hit / miss, and the load
average before and after. Results go to ``benchmarks/results/filters.json``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_filters.py --rows 200000
    .venv/bin/python benchmarks/bench_filters.py            # 2M rows
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbdash.charts import ChartSpec
from nbdash.dashboard import DashboardModel, DashboardSpec
from nbdash.transform import Pipeline
from nbdash.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "filters.json"
REGIONS = ["North", "South", "East", "West", "Central"]
BY_DAY = {
    "source": "sales",
    "output": "by_day",
    "steps": [
        {"kind": "bucket_date", "column": "date", "unit": "day", "name": "day"},
        {
            "kind": "group",
            "by": ["day"],
            "aggregations": [{"column": "revenue", "func": "sum", "name": "revenue"}],
        },
    ],
}


def make_sales(rows: int) -> pd.DataFrame:
    """The sales table, the same for the same size."""
    rng = np.random.default_rng(2024)
    start = pd.Timestamp("2024-01-01")
    return pd.DataFrame(
        {
            "date": start + pd.to_timedelta(rng.integers(0, 365 * 24, rows), unit="h"),
            "region": pd.Series(rng.choice(REGIONS, rows), dtype="str"),
            "product": pd.Series(rng.choice(["Tea", "Coffee", "Cake"], rows)),
            "revenue": np.round(rng.gamma(2.0, 15.0, rows), 2),
        }
    )


def build_model(sales: pd.DataFrame, engine: str) -> DashboardModel:
    """A dashboard whose by_day tiles come from a pipeline run with ``engine``."""
    ws = Workspace()
    ws.put("sales", sales)
    ws.put("stock", pd.DataFrame({"item": ["a", "b", "c"], "count": [1, 2, 3]}))
    pipe = Pipeline.model_validate(BY_DAY)
    meta = {"pipeline": pipe.model_dump(mode="json"), "engine": engine}
    ws.put("by_day", pipe.run(ws, engine=engine), meta=meta)

    model = DashboardModel(DashboardSpec(name="bench"), ws)
    bars = ChartSpec(kind="bar", dataset="by_day", x="day", y="revenue")
    model.add_chart(bars, tile_id="bars")
    model.add_table("by_day", tile_id="days")
    model.add_table("stock", tile_id="stock")
    model.add_filter("sales", "region", tile_id="region")
    model.add_filter("stock", "item", tile_id="item")
    return model


def by_hand(sales: pd.DataFrame, regions: list[str]) -> pd.Series:
    kept = sales[sales["region"].isin(regions)]
    return kept.groupby(kept["date"].dt.floor("D"))["revenue"].sum()


def check(model: DashboardModel, sales: pd.DataFrame) -> None:
    """The by_day rows the tiles draw equal the hand-written result."""
    model.set_filter("region", values=["North", "East"])
    shown = model._flow.rows(model.spec, "by_day", "days").frame
    expected = by_hand(sales, ["North", "East"])
    assert shown["day"].tolist() == expected.index.tolist()
    assert np.allclose(shown["revenue"].to_numpy(), expected.to_numpy(), rtol=1e-9)
    model.set_filter("region", values=None)


def timed(action: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(model: DashboardModel, sales: pd.DataFrame, repeat: int) -> dict[str, Any]:
    # Each miss uses a selection never seen, so the cache cannot answer it.
    selections = (
        list(c) for n in (1, 2, 3) for c in itertools.combinations(REGIONS, n)
    )
    redrawn: dict[str, set[str]] = {}
    model.on_content_change(lambda ids: redrawn.update(last=set(ids)))
    best: dict[str, tuple[float, float]] = {}

    def keep(name: str, result: tuple[float, float]) -> None:
        if name not in best or result[0] < best[name][0]:
            best[name] = result

    for round_number in range(repeat):
        fresh = next(selections)
        keep("miss", timed(partial(model.set_filter, "region", values=fresh)))
        model.set_filter("region", values=["North"] if round_number else ["South"])
        keep("hit", timed(partial(model.set_filter, "region", values=fresh)))
        item = ["a"] if round_number % 2 else ["b"]
        keep("other", timed(partial(model.set_filter, "item", values=item)))
        other_redrawn = sorted(redrawn["last"])
        keep("hand", timed(partial(by_hand, sales, fresh)))

    result: dict[str, Any] = {
        name: {"seconds": round(w, 4), "cpu_seconds": round(c, 4)}
        for name, (w, c) in best.items()
    }
    result["miss_over_hand"] = round(best["miss"][0] / best["hand"][0], 2)
    result["hit_over_miss"] = round(best["hit"][0] / best["miss"][0], 3)
    result["redrawn_by_other_filter"] = other_redrawn
    result["pipeline_runs"] = model._flow.runs
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    load_before = os.getloadavg()
    sales = make_sales(args.rows)
    report: dict[str, Any] = {
        "rows": args.rows,
        "repeat": args.repeat,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }
    for engine in ("pandas", "duckdb"):
        model = build_model(sales, engine)
        check(model, sales)
        report[engine] = measure(model, sales, args.repeat)
        model.close()
    report["load_before"] = [round(x, 2) for x in load_before]
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
