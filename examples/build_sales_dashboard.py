"""Write examples/sales_dashboard.ipynb: the cells and the saved dashboard.

The notebook is committed without outputs but with its dashboard in
``metadata["nbdash"]``, so Voila and papermill show it without anyone arranging tiles
first. Run this script again after changing the example; it replaces the notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from nbdash.charts import ChartSpec
from nbdash.dashboard import DashboardSpec, Filter, Tile, TileLayout
from nbdash.transform import Pipeline

HERE = Path(__file__).resolve().parent

INTRO = """\
# Restaurant sales dashboard

The bills one waiter recorded over a few months (plotly's `tips` data) and a monthly
euro-area turnover index for electrical equipment (statsmodels' `elec_equip`): real
data that ships with nbdash's dependencies. Run all cells, then drop your own export
on the upload widget, reshape it in the builder, pick charts, and drag the tiles.
The dashboard is saved in this notebook when you save it."""

PARAMETERS = """\
# Parameters: `nbdash run ... -p sales_csv new.csv` or papermill replaces these.
# A CSV of bills (total_bill, tip, day, time, size, ...); "" means the built-in data.
sales_csv = ""
# A CSV with date and turnover_index columns; "" means the built-in data.
turnover_csv = \"\""""

LOAD = """\
import nbdash
from nbdash import examples

data_dir = ".nbdash/example-data"
sales_report = nbdash.load(sales_csv or examples.sales_csv(data_dir), name="sales")
turnover_report = nbdash.load(
    turnover_csv or examples.turnover_csv(data_dir), name="turnover"
)
display(sales_report, turnover_report)"""

# The "About" tile is written from the data on every run, so it stays true when the
# notebook runs on another CSV: the same tile id replaces the saved text in place.
ABOUT = """\
sales = nbdash.workspace().get("sales")
turnover = nbdash.workspace().get("turnover")
days = ", ".join(sales["day"].dropna().unique()) if "day" in sales else "no days"
about = (
    f"Revenue from {len(sales):,} restaurant bills "
    f"(${sales['total_bill'].sum():,.2f}; days: {days}), by day and sitting. "
    f"Turnover index from {turnover['date'].min():%b %Y} "
    f"to {turnover['date'].max():%b %Y}.\\n\\n"
    "Replace the data with the upload widget or `nbdash run -p sales_csv ...`."
)
dashboard = nbdash.Dashboard("Sales")
dashboard.add_text(about, title="About", tile_id="intro")
dashboard"""

CELLS = [
    ("markdown", INTRO),
    ("code", PARAMETERS),
    ("code", LOAD),
    (
        "markdown",
        "Drop a CSV of bills here to replace the `sales` dataset: every tile "
        "built on it redraws.",
    ),
    ("code", 'nbdash.Upload(dataset="sales")'),
    ("code", 'nbdash.Table("sales")'),
    (
        "markdown",
        "Reshape the data point-and-click; **Apply** saves the result as a "
        "new dataset, and the **Code** panel shows the pandas code.",
    ),
    ("code", 'nbdash.TransformBuilder("sales", output="sales_by_day")'),
    ("code", 'nbdash.ChartPicker("sales", dashboard="Sales")'),
    ("code", ABOUT),
]


def dashboard_spec() -> DashboardSpec:
    """The saved dashboard: four charts, a KPI, a day filter, a table and text."""
    by_day = Pipeline.model_validate(
        {
            "source": "sales",
            "output": "sales_by_day",
            "steps": [
                {
                    "kind": "group",
                    "by": ["day", "time"],
                    "aggregations": [
                        {"column": "total_bill", "func": "sum", "name": "revenue"},
                        {"column": "total_bill", "func": "count", "name": "bills"},
                        {"column": "tip", "func": "mean", "name": "average_tip"},
                    ],
                },
                {"kind": "sort", "keys": [{"column": "revenue", "ascending": False}]},
            ],
        }
    )
    charts = {
        "revenue-by-day": ChartSpec(
            kind="bar",
            dataset="sales_by_day",
            x="day",
            y="revenue",
            agg="sum",
            color="time",
            title="Revenue by day",
        ),
        "lunch-dinner": ChartSpec(
            kind="pie",
            dataset="sales",
            x="time",
            y="total_bill",
            agg="sum",
            title="Revenue: lunch and dinner",
        ),
        "party-size": ChartSpec(
            kind="bar",
            dataset="sales",
            x="size",
            y=None,
            agg="count",
            title="Bills by party size",
        ),
        "turnover": ChartSpec(
            kind="line",
            dataset="turnover",
            x="date",
            y="turnover_index",
            agg="mean",
            bucket="quarter",
            title="Electrical equipment turnover (quarterly mean)",
        ),
    }
    tiles = [
        Tile(
            id="intro",
            kind="text",
            title="About",
            text=(
                # The notebook rewrites this text from the loaded data on every
                # run (same tile id), so it never states a stale row count.
                "Restaurant revenue by day and sitting.\n\n"
                "Replace the data with the upload widget or "
                "`nbdash run -p sales_csv ...`."
            ),
        ),
        *(
            Tile(id=key, kind="chart", title=spec.title, chart=spec)
            for key, spec in charts.items()
        ),
        Tile(
            id="by-day-table",
            kind="table",
            title="Sales by day",
            dataset="sales_by_day",
        ),
        Tile(id="day-filter", kind="filter", title="Day", filter="day-filter"),
        Tile(
            id="turnover-kpi",
            kind="kpi",
            title="Turnover index, latest quarter",
            chart=ChartSpec(
                kind="kpi",
                dataset="turnover",
                x="date",
                y="turnover_index",
                agg="mean",
                bucket="quarter",
            ),
        ),
    ]
    # Picking days filters the tiles drawn from `sales` (the pie and the party sizes).
    filters = [
        Filter(id="day-filter", dataset="sales", column="day", kind="categories")
    ]
    layout = {
        "intro": TileLayout(x=0, y=0, w=4, h=4),
        "revenue-by-day": TileLayout(x=4, y=0, w=8, h=4),
        "lunch-dinner": TileLayout(x=0, y=4, w=4, h=4),
        "party-size": TileLayout(x=4, y=4, w=4, h=4),
        "by-day-table": TileLayout(x=8, y=4, w=4, h=4),
        "turnover": TileLayout(x=0, y=8, w=12, h=4),
        "day-filter": TileLayout(x=0, y=12, w=6, h=2),
        "turnover-kpi": TileLayout(x=6, y=12, w=6, h=2),
    }
    return DashboardSpec(
        name="Sales",
        tiles=tiles,
        layout=layout,
        pipelines={"sales_by_day": by_day},
        filters=filters,
    )


def build() -> nbformat.NotebookNode:
    """The example notebook, without outputs, with its saved dashboard."""
    notebook = nbformat.v4.new_notebook()
    for kind, source in CELLS:
        make = (
            nbformat.v4.new_markdown_cell
            if kind == "markdown"
            else nbformat.v4.new_code_cell
        )
        notebook.cells.append(make(source))
    notebook.cells[1].metadata["tags"] = ["parameters"]

    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["voila"] = {"template": "nbdash"}
    notebook.metadata["nbdash"] = dashboard_spec().to_metadata()
    return notebook


if __name__ == "__main__":
    nbformat.write(build(), HERE / "sales_dashboard.ipynb")
