"""What a dashboard tile shows: its content computed from the rows it draws from.

These functions turn a tile and its (already filtered) rows into the JSON the
``Dashboard`` view draws: a plotly figure, a KPI, a table's first rows or a list of
insight sentences. :class:`nbdash.dashboard.DashboardModel` decides which tiles to
compute and when; this module only computes them.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from nbdash.dashboard.spec import Tile

if TYPE_CHECKING:
    from nbdash.charts import ChartSpec

TABLE_ROWS = 50
"""How many rows a table tile shows."""

INSIGHT_SENTENCES = 5
"""How many insights an insights tile shows."""

MAX_DECIMALS = 6
"""The most decimals a table tile shows (for columns of tiny numbers)."""

_YEAR = re.compile(r"(?i)(^|[^a-z])years?($|[^a-z])")

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

    Numbers become text as people read them: thousands separators, and the same
    decimals down a column (see :func:`format_column`); ``numeric`` flags those
    columns. Dates become ISO strings and missing values ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"region": ["N", "S"], "revenue": [12.345678901, 1234.5]})
    >>> table_content(frame)["rows"]
    [['N', '12.35'], ['S', '1,234.50']]
    """
    shown = frame.head(rows)
    head = json.loads(shown.to_json(orient="split", date_format="iso", index=False))
    cells = head["data"]
    numeric = [_is_number_column(shown.iloc[:, i]) for i in range(shown.shape[1])]
    for position, is_number in enumerate(numeric):
        if not is_number:
            continue
        name = shown.columns[position]
        texts = format_column(shown.iloc[:, position], name)
        for row, text in zip(cells, texts, strict=True):
            row[position] = text
    return {
        "columns": [str(column) for column in head["columns"]],
        "rows": cells,
        "numeric": numeric,
        "total_rows": len(frame),
    }


def format_column(values: Any, name: object = "") -> list[str | None]:
    """A numeric column as text: ``12,345.68``; missing values stay ``None``.

    Whole numbers get no decimals. Other columns get the fewest decimals (at most
    two) that show every value exactly, else two, or for columns of numbers below 1
    enough for three significant digits (at most :data:`MAX_DECIMALS`). Identifiers
    and years (``order id``, ``year``) get no thousands separator.

    Examples
    --------
    >>> import pandas as pd
    >>> format_column(pd.Series([1234567, 89]))
    ['1,234,567', '89']
    >>> format_column(pd.Series([0.012345, 0.04567, None]))
    ['0.0123', '0.0457', None]
    >>> format_column(pd.Series([2023, 2024]), "year")
    ['2023', '2024']
    """
    from pandas.api import types as ptypes

    separator = "" if _is_label_column(name) else ","
    if ptypes.is_integer_dtype(values.dtype):
        # Through int, not float: ids past 2**53 keep every digit.
        whole = values.tolist()
        return [None if _is_missing(v) else f"{int(v):{separator}d}" for v in whole]

    numbers = [None if _is_missing(v) else float(v) for v in values.tolist()]
    finite = [v for v in numbers if v is not None and math.isfinite(v)]
    decimals = _decimals(finite)
    return [
        None if value is None else _number_text(value, separator, decimals)
        for value in numbers
    ]


def _decimals(values: list[float]) -> int:
    for decimals in range(3):
        if all(abs(v - round(v, decimals)) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return decimals
    small = [abs(v) for v in values if v != 0]
    if not small or max(small) >= 1:
        return 2
    # Three significant digits of the typical (median) magnitude.
    typical = sorted(small)[len(small) // 2]
    return min(MAX_DECIMALS, max(2, 2 - math.floor(math.log10(typical))))


def _number_text(value: float, separator: str, decimals: int) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:{separator}.{decimals}f}"
    # A tiny negative value rounded to zero shows no sign.
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def _is_number_column(values: Any) -> bool:
    from pandas.api import types as ptypes

    dtype = values.dtype
    return ptypes.is_numeric_dtype(dtype) and not ptypes.is_bool_dtype(dtype)


def _is_label_column(name: object) -> bool:
    import pandas as pd

    from nbdash.insights.roles import is_id_like

    label = str(name)
    return bool(_YEAR.search(label)) or is_id_like(label, pd.Series([], dtype=float))


def _is_missing(value: Any) -> bool:
    import pandas as pd

    if isinstance(value, float):
        return math.isnan(value)
    return value is None or value is pd.NA or value is pd.NaT


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
