"""What a dashboard tile shows: its content computed from the rows it draws from.

These functions turn a tile and its (already filtered) rows into the JSON the
``Dashboard`` view draws: a plotly figure, a KPI, a table's first rows or a list of
insight sentences. :class:`nbdash.dashboard.DashboardModel` decides which tiles to
compute and when; this module only computes them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nbdash.dashboard.spec import Tile

if TYPE_CHECKING:
    from nbdash.charts import ChartSpec

TABLE_ROWS = 50
"""How many rows a table tile shows."""

INSIGHT_SENTENCES = 5
"""How many insights an insights tile shows."""

TileContent = dict[str, Any]
"""A tile's content: ``{"figure"}``, ``{"kpi"}``, ``{"table"}``, ``{"insights"}``,
``{"text"}``, ``{"filter"}`` or ``{"error"}``."""


def data_tile_content(tile: Tile, frame: Any) -> TileContent:
    """The content of a chart, KPI, insights or table tile drawn from ``frame``.

    ``frame`` holds the rows of the tile's dataset that its filters keep.
    """
    chart = tile.chart
    if chart is not None and (tile.kind == "kpi" or chart.kind == "kpi"):
        return {"kpi": chart.kpi(frame).to_dict()}
    if chart is not None:
        return {"figure": chart_figure(chart, frame)}
    if tile.kind == "insights":
        dataset = tile.source_dataset() or ""
        return {"insights": insights_content(frame, dataset, tile.insights)}
    return {"table": table_content(frame)}


def chart_figure(chart: ChartSpec, frame: Any) -> dict[str, Any]:
    """The chart's plotly JSON for a tile, without ``layout.template``.

    Built as plain dicts (:func:`nbdash.charts.figure.figure_json`): validating a
    ``go.Figure`` took most of a dashboard's start-up CPU time, mostly on the
    template, which is dropped anyway. The views theme figures themselves, and the
    template would add ~7 KB a chart to the widget state saved in the notebook.
    """
    from nbdash.charts.figure import View, figure_json

    figure = figure_json(chart, frame, View())
    layout = figure.get("layout")
    if isinstance(layout, dict):
        layout.pop("template", None)
    return figure


def table_content(frame: Any, rows: int = TABLE_ROWS) -> dict[str, Any]:
    """The first ``rows`` rows of ``frame``, JSON-safe: columns, rows, total_rows.

    Dates become ISO strings and missing values ``None``.
    """
    head = json.loads(
        frame.head(rows).to_json(orient="split", date_format="iso", index=False)
    )
    return {
        "columns": [str(column) for column in head["columns"]],
        "rows": head["data"],
        "total_rows": len(frame),
    }


def insights_content(
    frame: Any, dataset: str, settings: dict[str, Any] | None
) -> dict[str, Any]:
    """The top insights of ``frame`` as ``{"sentences": [...], "skipped": [...]}``."""
    try:
        from nbdash.insights import find_insights
    except ImportError:
        message = "Insights are not available in this nbdash (nbdash.insights)."
        return {"sentences": [], "skipped": [message]}

    report = find_insights(frame, settings or None, name=dataset)
    top = report.insights[:INSIGHT_SENTENCES]
    return {
        "sentences": [insight.sentence for insight in top],
        "kinds": [insight.kind for insight in top],
        "skipped": [str(reason) for reason in report.skipped][:5],
    }
