"""Dashboard filters reaching tiles drawn from pipeline outputs (nbdash.dashboard.flow).

Right values come from pandas by hand: the source filtered with boolean masks, then
the pipeline's steps written out with groupby and friends.
"""

from __future__ import annotations

import base64
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nbdash.charts import ChartSpec
from nbdash.dashboard import DashboardModel, DashboardSpec
from nbdash.transform import Pipeline
from nbdash.workspace import Workspace

warnings.filterwarnings("error", module="nbdash")

REGIONS = ["North", "South", "East", "West"]
PRODUCTS = ["Tea", "Coffee", "Cake"]

BY_DAY = {
    "source": "orders",
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

# A chain: orders -> big_orders (filter, derived column) -> by_product (group).
BIG_ORDERS = {
    "source": "orders",
    "output": "big_orders",
    "steps": [
        {"kind": "filter", "conditions": [{"column": "qty", "op": ">=", "value": 2}]},
        {"kind": "derive", "name": "margin", "expression": "revenue * 0.25"},
    ],
}
BY_PRODUCT = {
    "source": "big_orders",
    "output": "by_product",
    "steps": [
        {
            "kind": "group",
            "by": ["product"],
            "aggregations": [
                {"column": "margin", "func": "sum", "name": "margin"},
                {"column": "qty", "func": "count", "name": "orders"},
            ],
        }
    ],
}


@pytest.fixture
def orders() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = 240
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2024-03-01")
            + pd.to_timedelta(rng.integers(0, 20 * 24, rows), unit="h"),
            "region": rng.choice(REGIONS, rows),
            "product": rng.choice(PRODUCTS, rows),
            "qty": rng.integers(1, 6, rows),
            "revenue": rng.integers(100, 10_000, rows) / 100,
        }
    )


def _workspace(orders: pd.DataFrame, *pipelines: dict[str, Any]) -> Workspace:
    # The builder's way: each output stored with the pipeline that made it.
    ws = Workspace()
    ws.put("orders", orders)
    for data in pipelines:
        pipe = Pipeline.model_validate(data)
        assert pipe.output is not None
        ws.put(
            pipe.output, pipe.run(ws), meta={"pipeline": pipe.model_dump(mode="json")}
        )
    return ws


def _table(model: DashboardModel, tile_id: str) -> pd.DataFrame:
    # Numbers arrive as text ("1,234.50"): read them back as numbers.
    table = model.contents[tile_id]["table"]
    assert table["total_rows"] == len(table["rows"])  # every row shown
    frame = pd.DataFrame(table["rows"], columns=table["columns"])
    for column, numeric in zip(table["columns"], table["numeric"], strict=True):
        if numeric:
            frame[column] = frame[column].str.replace(",", "").astype(float)
    return frame


def _values(data: Any) -> list[Any]:
    if isinstance(data, dict) and "bdata" in data:
        raw = base64.b64decode(data["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).tolist()
    return list(data)


def _bars(content: dict[str, Any]) -> dict[str, float]:
    trace = content["figure"]["data"][0]
    pairs = zip(_values(trace["x"]), _values(trace["y"]), strict=True)
    return {str(k): float(v) for k, v in pairs}


def _by_day(frame: pd.DataFrame) -> dict[str, float]:
    day = frame["date"].dt.floor("D").dt.strftime("%Y-%m-%dT%H:%M:%S.000")
    return frame.groupby(day)["revenue"].sum().round(9).to_dict()


def _day_table(model: DashboardModel, tile_id: str) -> dict[str, float]:
    table = _table(model, tile_id)
    return dict(zip(table["day"], table["revenue"].round(9), strict=True))


@pytest.fixture
def by_day_model(orders: pd.DataFrame) -> DashboardModel:
    model = DashboardModel(DashboardSpec(name="shop"), _workspace(orders, BY_DAY))
    model.add_table("by_day", tile_id="days")
    model.add_filter("orders", "region", tile_id="region")
    return model


def test_region_filter_on_source_narrows_a_tile_on_its_output(
    by_day_model: DashboardModel, orders: pd.DataFrame
) -> None:
    model = by_day_model
    assert _day_table(model, "days") == _by_day(orders)

    model.set_filter("region", values=["North", "West"])

    kept = orders[orders["region"].isin(["North", "West"])]
    assert _day_table(model, "days") == _by_day(kept)
    assert "note" not in model.contents["days"]
    assert "note" not in model.contents["region"]["filter"]

    model.set_filter("region", values=None)
    assert _day_table(model, "days") == _by_day(orders)


def test_date_and_number_ranges_flow_through_a_chain(orders: pd.DataFrame) -> None:
    ws = _workspace(orders, BIG_ORDERS, BY_PRODUCT)
    model = DashboardModel(DashboardSpec(name="shop"), ws)
    model.add_table("by_product", tile_id="products")
    assert set(model.spec.pipelines) == {"big_orders", "by_product"}
    model.add_filter("orders", "date", tile_id="when")
    model.add_filter("big_orders", "revenue", tile_id="size")

    model.set_filter("when", low="2024-03-05", high="2024-03-12")
    model.set_filter("size", low=20, high=80)

    # By hand: the date range (last day whole), the chain's filter and column, the
    # filter on the middle dataset, then the group.
    dates = orders["date"]
    step_a = orders[(dates >= "2024-03-05") & (dates < "2024-03-13")]
    step_b = step_a[step_a["qty"] >= 2].assign(margin=lambda f: f["revenue"] * 0.25)
    step_b = step_b[step_b["revenue"].between(20, 80)]
    expected = step_b.groupby("product").agg(
        margin=("margin", "sum"), orders=("qty", "count")
    )

    shown = _table(model, "products").set_index("product")
    assert shown.index.tolist() == expected.index.tolist()
    assert shown["orders"].tolist() == expected["orders"].tolist()
    # Shown with two decimals.
    margins = expected["margin"].to_numpy()
    assert shown["margin"].to_numpy() == pytest.approx(margins, abs=0.005)


def test_chart_on_output_follows_a_cross_filter_clicked_on_the_source(
    orders: pd.DataFrame,
) -> None:
    ws = _workspace(orders, BIG_ORDERS, BY_PRODUCT)
    model = DashboardModel(DashboardSpec(name="shop"), ws)
    regions = ChartSpec(kind="bar", dataset="orders", x="region", y="revenue")
    margins = ChartSpec(kind="bar", dataset="by_product", x="product", y="margin")
    model.add_chart(regions, tile_id="regions")
    model.add_chart(margins, tile_id="margins")

    model.cross_filter("regions", {"x": "East", "y": 1.0})

    east = orders[(orders["region"] == "East") & (orders["qty"] >= 2)]
    expected = (east["revenue"] * 0.25).groupby(east["product"]).sum()
    assert _bars(model.contents["margins"]) == pytest.approx(expected.to_dict())
    assert len(_bars(model.contents["regions"])) == len(REGIONS)  # clicked: all

    model.cross_filter("regions", {"x": "East", "y": 1.0})  # again: cleared
    everything = orders[orders["qty"] >= 2]
    expected = (everything["revenue"] * 0.25).groupby(everything["product"]).sum()
    assert _bars(model.contents["margins"]) == pytest.approx(expected.to_dict())


def test_pipelines_rerun_only_for_a_filter_state_not_seen(
    orders: pd.DataFrame,
) -> None:
    ws = _workspace(orders, BY_DAY)
    ws.put("stock", pd.DataFrame({"item": ["a", "b"], "count": [3, 4]}))
    model = DashboardModel(DashboardSpec(name="shop"), ws)
    model.add_table("by_day", tile_id="days")
    model.add_chart(ChartSpec(kind="bar", dataset="by_day", x="day", y="revenue"))
    model.add_table("stock", tile_id="stock")
    model.add_filter("orders", "region", tile_id="region")
    model.add_filter("stock", "item", tile_id="item")
    recomputed: list[set[str]] = []
    model.on_content_change(recomputed.append)

    model.set_filter("region", values=["South"])
    assert model._flow.runs == 1  # two tiles on by_day, one run
    first = _day_table(model, "days")

    model.set_filter("item", values=["a"])  # another dataset: by_day tiles kept
    assert recomputed[-1] == {"stock", "item"}
    model.set_filter("region", values=["North"])
    model.set_filter("region", values=["South"])  # seen before: from the cache
    assert model._flow.runs == 2
    assert (
        _day_table(model, "days")
        == first
        == _by_day(orders[orders["region"] == "South"])
    )


def test_unchanged_rows_leave_a_tile_as_drawn(by_day_model: DashboardModel) -> None:
    model = by_day_model
    model.add_chart(
        ChartSpec(kind="bar", dataset="orders", x="region", y="revenue"), tile_id="bar"
    )
    recomputed: list[set[str]] = []
    model.on_content_change(recomputed.append)

    # The clicked chart keeps its rows: only the others are drawn again.
    model.cross_filter("bar", {"x": "North"})
    assert recomputed == [{"days", "region"}]


def test_source_without_the_filter_column_leaves_tiles_unfiltered_and_says_so(
    by_day_model: DashboardModel, orders: pd.DataFrame
) -> None:
    model = by_day_model
    model.add_table("orders", tile_id="rows")
    model.set_filter("region", values=["North"])

    # Next month's export has no region column; the pipeline still runs.
    model.workspace.put("orders", orders.drop(columns="region"))

    assert _day_table(model, "days") == _by_day(orders)
    assert model.contents["rows"]["table"]["total_rows"] == len(orders)
    note = "Not filtered by region ('orders' has no column 'region')."
    assert model.contents["days"]["note"] == note
    assert model.contents["rows"]["note"] == note
    filter_note = model.contents["region"]["filter"]["note"]
    assert filter_note.startswith("Column 'region' not found in dataset 'orders'.")
    assert filter_note.endswith("This filter narrows no tile until it is back.")


def test_filter_on_a_joined_dataset_says_which_tiles_it_does_not_reach(
    orders: pd.DataFrame,
) -> None:
    managers = pd.DataFrame({"region": REGIONS, "manager": ["Ann", "Bo", "Cy", "Di"]})
    enriched = {
        "source": "orders",
        "output": "enriched",
        "steps": [{"kind": "join", "dataset": "managers", "on": ["region"]}],
    }
    ws = _workspace(orders)
    ws.put("managers", managers)
    pipe = Pipeline.model_validate(enriched)
    ws.put("enriched", pipe.run(ws), meta={"pipeline": pipe.model_dump(mode="json")})

    model = DashboardModel(DashboardSpec(name="shop"), ws)
    model.add_table("enriched", tile_id="rows")
    model.add_filter("managers", "manager", tile_id="manager")
    model.set_filter("manager", values=["Ann"])

    assert len(model._flow.rows(model.spec, "enriched").frame) == len(orders)
    assert model.contents["manager"]["filter"]["note"] == (
        "Tiles on 'enriched' show all rows of 'managers': they read it through a "
        "join or append, which filters do not pass."
    )


def test_pipeline_engine_choice_runs_filtered_rows_with_duckdb(
    orders: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbdash.transform import engines

    ws = _workspace(orders)
    pipe = Pipeline.model_validate(BY_DAY)
    meta = {"pipeline": pipe.model_dump(mode="json"), "engine": "duckdb"}
    ws.put("by_day", pipe.run(ws, engine="duckdb"), meta=meta)
    ran: list[str] = []
    original = engines._duckdb_frame

    def spy(pipeline: Pipeline, frame: pd.DataFrame, others: Any) -> pd.DataFrame:
        ran.append(pipeline.source)
        return original(pipeline, frame, others)

    monkeypatch.setattr(engines, "_duckdb_frame", spy)
    model = DashboardModel(DashboardSpec(name="shop"), ws)
    model.add_table("by_day", tile_id="days")
    model.add_filter("orders", "region", tile_id="region")
    assert model.spec.engines == {"by_day": "duckdb"}

    model.set_filter("region", values=["East"])

    assert ran == ["orders"]
    assert _day_table(model, "days") == _by_day(orders[orders["region"] == "East"])
    saved = model.spec.to_metadata()["dashboards"]["shop"]
    assert saved["engines"] == {"by_day": "duckdb"}
    assert "engines" not in DashboardSpec(name="x").to_metadata()["dashboards"]["x"]


def test_fresh_kernel_rebuilds_a_chain_and_filters_it(orders: pd.DataFrame) -> None:
    built = DashboardModel(
        DashboardSpec(name="shop"), _workspace(orders, BIG_ORDERS, BY_PRODUCT)
    )
    built.add_table("by_product", tile_id="products")
    built.add_filter("orders", "product", tile_id="product")
    built.set_filter("product", values=["Tea"])
    saved = built.spec.to_metadata()

    # Only the source exists; the saved spec holds both pipelines of the chain.
    fresh = Workspace()
    fresh.put("orders", orders)
    spec = DashboardSpec.from_metadata(saved, "shop")
    assert spec is not None
    model = DashboardModel(spec, fresh)

    tea = orders[(orders["product"] == "Tea") & (orders["qty"] >= 2)]
    shown = _table(model, "products")
    assert shown["product"].tolist() == ["Tea"]
    margin = tea["revenue"].sum() * 0.25
    assert shown["margin"].tolist() == pytest.approx([margin], abs=0.005)
    assert set(fresh.names()) == {"orders", "big_orders", "by_product"}


@pytest.mark.slow
def test_headless_run_draws_the_saved_source_filter_on_a_derived_tile(
    orders: pd.DataFrame, tmp_path: Any
) -> None:
    import json

    import nbformat

    from nbdash.publish import run_notebook

    saved = DashboardModel(DashboardSpec(name="shop"), _workspace(orders, BY_DAY))
    saved.add_table("by_day", tile_id="days")
    saved.add_filter("orders", "region", tile_id="region")
    saved.set_filter("region", values=["South"])
    orders.to_parquet(tmp_path / "orders.parquet")

    # A fresh kernel: the source is loaded, the saved spec rebuilds and filters.
    cells = [
        "path = 'orders.parquet'",
        "import nbdash, pandas as pd\n"
        "nbdash.workspace().put('orders', pd.read_parquet(path))\n"
        "dash = nbdash.Dashboard('shop')\ndash",
        "import json\nprint(json.dumps(dash.model.contents['days']['table']['rows']))",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    notebook.metadata["nbdash"] = saved.spec.to_metadata()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(notebook, tmp_path / "shop.ipynb")

    output = run_notebook(tmp_path / "shop.ipynb", tmp_path / "shop.out.ipynb")

    printed = nbformat.read(output, as_version=4).cells[-1].outputs[0]["text"]
    rows = json.loads(printed)
    shown = {day: float(text.replace(",", "")) for day, text in rows}
    assert shown == _by_day(orders[orders["region"] == "South"])


def test_results_over_the_memory_budget_are_not_kept(orders: pd.DataFrame) -> None:
    from nbdash.dashboard.flow import FilterFlow

    model = DashboardModel(DashboardSpec(name="shop"), _workspace(orders, BY_DAY))
    model.add_table("by_day", tile_id="days")
    model.add_filter("orders", "region", tile_id="region")
    model.set_filter("region", values=["East"])
    spec = model.spec

    roomy, tight = FilterFlow(model.workspace), FilterFlow(model.workspace, budget=1)
    for flow in (roomy, tight):
        first = flow.rows(spec, "by_day").frame
        again = flow.rows(spec, "by_day").frame
        pd.testing.assert_frame_equal(first, again)
    assert (roomy.runs, tight.runs) == (1, 2)
