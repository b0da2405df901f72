"""Plotly figures from chart data: one trace builder per kind, one shared layout.

Only trace types in the front end's ``plotly.js-cartesian-dist-min`` bundle are used
(scatter, bar, pie, box, heatmap). Histograms and box plots are drawn from
precomputed bins and quartiles, so the figure stays small for any number of rows.
Every user string (title, labels, categories, series names, notes) is escaped with
:func:`~nbdash.charts.format.escape_label`.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nbdash.charts.data import WEEKDAYS, ChartData, chart_data
from nbdash.charts.downsample import POINT_BUDGET, XRange, clip_to_range, downsample
from nbdash.charts.format import FONT_FAMILY, PALETTES, escape_label
from nbdash.charts.spec import is_datetime, is_number

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nbdash.charts.spec import ChartSpec

logger = logging.getLogger(__name__)

_HOVER_DATE = {
    "day": "%a %d %b %Y",
    "week": "week of %d %b %Y",
    "month": "%b %Y",
    "quarter": "%b %Y",
    "year": "%Y",
}
Trace = dict[str, Any]


@dataclass(frozen=True)
class View:
    """What part of a long series is visible, and how many points it may take."""

    x_range: XRange | None = None
    budget: int = POINT_BUDGET


def build_figure(
    spec: ChartSpec,
    frame: pd.DataFrame,
    *,
    x_range: XRange | None = None,
    point_budget: int = POINT_BUDGET,
) -> go.Figure:
    """Return the plotly figure of ``spec`` drawn from ``frame``."""
    import plotly.graph_objects as go

    if spec.kind == "kpi":
        from nbdash.charts.kpi import kpi_figure

        return kpi_figure(spec, spec.kpi(frame))
    return go.Figure(figure_dict(spec, frame, View(x_range, point_budget)))


def figure_json(spec: ChartSpec, frame: pd.DataFrame, view: View) -> dict[str, Any]:
    """The figure as plotly JSON, built without plotly's (slow) validation.

    Numeric arrays travel as plotly's typed arrays (``{"dtype", "bdata"}``), which
    take about half the bytes of numbers written as text.
    """
    from plotly.io.json import to_json_plotly

    if spec.kind == "kpi":
        text = build_figure(spec, frame).to_json()
    else:
        figure = figure_dict(spec, frame, view)
        figure["data"] = [_typed_arrays(trace) for trace in figure["data"]]
        text = to_json_plotly(figure)
    result: dict[str, Any] = json.loads(text)
    return result


def figure_dict(spec: ChartSpec, frame: pd.DataFrame, view: View) -> dict[str, Any]:
    """The figure of a (non-KPI) spec as plain ``{"data", "layout"}`` dicts."""
    result = chart_data(spec, frame)
    traces = _TRACES[spec.kind](spec, result, view)
    layout = {**_layout(spec, result), "template": _template()}
    return {"data": [_with_colour(spec, trace) for trace in traces], "layout": layout}


@functools.cache
def _template() -> dict[str, Any]:
    import plotly.io as pio

    template: dict[str, Any] = pio.templates["plotly_white"].to_plotly_json()
    return template


def _typed_arrays(trace: Trace) -> Trace:
    return {key: _typed(value) for key, value in trace.items()}


def _typed(value: Any) -> Any:
    """A numeric numpy array as plotly's base64 typed array; anything else as is."""
    if (
        not isinstance(value, np.ndarray)
        or value.ndim != 1
        or value.dtype.kind not in "iuf"
    ):
        return value
    if value.dtype.kind in "iu" and len(value) and np.abs(value).max() < 2**31:
        data, dtype = value.astype("<i4"), "i4"
    else:
        data, dtype = value.astype("<f8"), "f8"
    return {"dtype": dtype, "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


def plain_values(value: Any) -> Any:
    """A trace's array as a list: plotly's typed arrays (:func:`_typed`) decoded,
    lists as they are; anything else (a scalar, a colour) unchanged."""
    if isinstance(value, dict) and {"dtype", "bdata"} <= value.keys():
        raw = base64.b64decode(value["bdata"])
        return np.frombuffer(
            raw, np.dtype(str(value["dtype"])).newbyteorder("<")
        ).tolist()
    return value


def figure_image(figure: go.Figure, format: str, **kwargs: Any) -> bytes:
    """Render ``figure`` as PNG or SVG bytes with kaleido."""
    from nbdash.errors import SpecError

    if format not in ("png", "svg"):
        message = f"Chart images are 'png' or 'svg'; received {format!r}."
        raise SpecError(message)
    options = {"format": format, "width": 700, "height": 400, **kwargs}
    images: list[bytes] = []
    # A kernel's thread already runs an event loop: kaleido gets a thread of its own.
    worker = threading.Thread(target=lambda: images.append(_render(figure, options)))
    worker.start()
    worker.join()
    if not images:
        message = "kaleido could not render the chart; see the log for the reason."
        raise SpecError(message)
    return images[0]


def _render(figure: go.Figure, options: dict[str, Any]) -> bytes:
    import asyncio

    import kaleido  # type: ignore[import-untyped]  # kaleido ships no types

    async def render() -> bytes:
        # mathjax=False: the default loads MathJax from a CDN, which hangs offline.
        async with kaleido.Kaleido(n=1, mathjax=False, timeout=120) as session:
            image: bytes = await session.calc_fig(figure.to_dict(), opts=options)
            return image

    try:
        return asyncio.run(render())
    except Exception:
        logger.exception("kaleido failed to render a chart")
        raise


def _labels(values: pd.Series) -> Any:
    """Values for a figure: text escaped, dates and numbers as they are."""
    if is_number(values) or is_datetime(values):
        return values.to_numpy()
    return np.array([escape_label(value) for value in values], dtype=object)


def _series_groups(
    spec: ChartSpec, data: pd.DataFrame
) -> Iterator[tuple[str, pd.DataFrame, str]]:
    """(series name, rows, value column) for each series of a line, area or bar."""
    if spec.color is not None:
        for name, part in data.groupby(spec.color, sort=False, observed=True):
            yield str(name), part, spec.value_name
        return
    for value in spec.value_names:
        yield value, data, value


def _line_traces(spec: ChartSpec, result: ChartData, view: View) -> list[Trace]:
    traces = []
    for number, (name, part, value) in enumerate(_series_groups(spec, result.frame)):
        x, y = _visible_points(part[spec.x], part[value], view)
        trace: Trace = {"type": "scatter", "x": x, "y": y, "name": escape_label(name)}
        trace["mode"] = (
            "lines" if len(x) > 60 or spec.kind == "area" else "lines+markers"
        )
        if spec.kind == "area":
            trace["fill"] = "tonexty" if spec.stacked or number else "tozeroy"
            if spec.stacked:
                trace["stackgroup"] = "one"
        traces.append(trace)
    return traces


def _visible_points(x: pd.Series, y: pd.Series, view: View) -> tuple[Any, Any]:
    """The points of one series in the view's range, downsampled to its budget."""
    keep = y.notna().to_numpy()
    x, y = x[keep], y[keep]
    inside = clip_to_range(x, view.x_range)
    x, y = x.iloc[inside], y.iloc[inside]
    if len(x) > view.budget:
        kept = downsample(x, y, view.budget)
        x, y = x.iloc[kept], y.iloc[kept]
    return x.to_numpy(), y.to_numpy()


def _bar_traces(spec: ChartSpec, result: ChartData, _: View) -> list[Trace]:
    traces = []
    for name, part, value in _series_groups(spec, result.frame):
        x, y = _labels(part[spec.x]), part[value].to_numpy()
        trace: Trace = {"type": "bar", "name": escape_label(name)}
        trace.update(
            {"x": y, "y": x, "orientation": "h"}
            if spec.horizontal
            else {"x": x, "y": y}
        )
        traces.append(trace)
    return traces


def _pie_traces(spec: ChartSpec, result: ChartData, _: View) -> list[Trace]:
    data = result.frame
    fmt = spec.number_format or ",.4~g"
    return [
        {
            "type": "pie",
            "labels": _labels(data[spec.x]),
            "values": data[spec.value_name].to_numpy(),
            "sort": False,
            "textinfo": "percent",
            "hole": 0.5 if spec.kind == "donut" else 0,
            "hovertemplate": f"%{{label}}<br>%{{value:{fmt}}} (%{{percent}})"
            "<extra></extra>",
        }
    ]


def _scatter_traces(spec: ChartSpec, result: ChartData, view: View) -> list[Trace]:
    data = result.frame
    if spec.size is not None:
        # One scale for every series, so equal values get equal sizes.
        data = data.assign(_size=_marker_sizes(data[spec.size]))
    y = spec.value_name
    if spec.color is not None and not is_number(data[spec.color]):
        groups = [(str(k), part) for k, part in data.groupby(spec.color, sort=True)]
    else:
        groups = [(y, data)]

    traces = [_scatter_points(spec, part, name, view) for name, part in groups]
    if spec.trend:
        traces.append(_trend_line(spec, data))
    return traces


def _scatter_points(
    spec: ChartSpec, part: pd.DataFrame, name: str, view: View
) -> Trace:
    inside = clip_to_range(part[spec.x], view.x_range)
    part = part.iloc[inside]
    if len(part) > view.budget:
        part = part.iloc[downsample(part[spec.x], part[spec.value_name], view.budget)]

    marker: dict[str, Any] = {}
    if spec.color is not None and is_number(part[spec.color]):
        marker.update(
            color=part[spec.color].to_numpy(),
            colorscale="Viridis",
            showscale=True,
            colorbar={"title": {"text": escape_label(spec.color)}},
        )
    if spec.size is not None:
        marker.update(size=part["_size"].to_numpy(), sizemode="diameter")
    return {"type": "scatter", "mode": "markers", "name": escape_label(name),
            "x": part[spec.x].to_numpy(), "y": part[spec.value_name].to_numpy(),
            "marker": marker}  # fmt: skip


def _marker_sizes(values: pd.Series) -> np.ndarray:
    """Diameters from 6 to 30 pixels, by area in proportion to the value."""
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    low, high = np.nanmin(numbers), np.nanmax(numbers)
    scaled = (
        (numbers - low) / (high - low) if high > low else np.full_like(numbers, 0.5)
    )
    sizes: np.ndarray = np.nan_to_num(6 + 24 * np.sqrt(scaled), nan=6.0)
    return sizes


def _trend_line(spec: ChartSpec, data: pd.DataFrame) -> Trace:
    """Ordinary least squares of y on x, drawn between the smallest and largest x."""
    x = data[spec.x]
    numeric_x = (
        x.astype("int64").to_numpy(float) if is_datetime(x) else x.to_numpy(float)
    )
    y = data[spec.value_name].to_numpy(dtype="float64")
    slope, intercept = np.polyfit(numeric_x, y, 1) if len(data) > 1 else (0.0, y[0])

    ends = np.array([numeric_x.min(), numeric_x.max()])
    shown_x = pd.to_datetime(ends).to_numpy() if is_datetime(x) else ends
    return {"type": "scatter", "mode": "lines", "name": "trend (least squares)",
            "x": shown_x, "y": slope * ends + intercept,
            "line": {"dash": "dash", "color": "#444"}}  # fmt: skip


def _histogram_traces(spec: ChartSpec, result: ChartData, _: View) -> list[Trace]:
    data = result.frame
    parts = (
        [(spec.x, data)]
        if spec.color is None
        else [(str(k), p) for k, p in data.groupby(spec.color, sort=False)]
    )
    return [
        {"type": "bar", "name": escape_label(name),
         "x": ((part["bin_start"] + part["bin_end"]) / 2).to_numpy(),
         "width": (part["bin_end"] - part["bin_start"]).to_numpy(),
         "y": part["count"].to_numpy(),
         "customdata": part[["bin_start", "bin_end"]].to_numpy(),
         "hovertemplate": "%{customdata[0]:,.4~g} to %{customdata[1]:,.4~g}: "
                          "%{y:,} rows<extra></extra>",
         "opacity": 0.75 if spec.color else 1.0}
        for name, part in parts
    ]  # fmt: skip


def _box_traces(spec: ChartSpec, result: ChartData, _: View) -> list[Trace]:
    data = result.frame
    return [
        {"type": "box", "name": escape_label(spec.value_name),
         "x": _labels(data[spec.x]), "q1": data["q1"].to_numpy(),
         "median": data["median"].to_numpy(), "q3": data["q3"].to_numpy(),
         "lowerfence": data["lower_fence"].to_numpy(),
         "upperfence": data["upper_fence"].to_numpy(),
         "mean": data["mean"].to_numpy(), "boxpoints": False}
    ]  # fmt: skip


def _heatmap_traces(spec: ChartSpec, result: ChartData, _: View) -> list[Trace]:
    data = result.frame
    columns, rows = (spec.x, spec.color) if spec.color else ("hour", "weekday")
    table = data.pivot_table(
        index=rows, columns=columns, values=spec.value_name, aggfunc="first",
        observed=True, sort=False,
    )  # fmt: skip
    if spec.color is None:
        table = table.reindex(index=WEEKDAYS, columns=range(24))
    z = table.to_numpy(dtype="float64", na_value=np.nan)
    cells = [[None if np.isnan(v) else float(v) for v in row] for row in z]
    return [
        {"type": "heatmap", "z": cells,
         "x": _labels(pd.Series(table.columns)), "y": _labels(pd.Series(table.index)),
         "colorscale": "Blues", "hoverongaps": False,
         "colorbar": {"title": {"text": escape_label(spec.y_title)}}}
    ]  # fmt: skip


_TRACES = {
    "line": _line_traces,
    "area": _line_traces,
    "bar": _bar_traces,
    "pie": _pie_traces,
    "donut": _pie_traces,
    "scatter": _scatter_traces,
    "histogram": _histogram_traces,
    "box": _box_traces,
    "heatmap": _heatmap_traces,
}


def _with_colour(spec: ChartSpec, trace: Trace) -> Trace:
    """Apply a per-series colour from ``spec.colors`` (keys are series names)."""
    name = trace.get("name")
    colours = {escape_label(key): value for key, value in spec.colors.items()}
    if name in colours and trace["type"] in ("scatter", "bar", "box"):
        key = (
            "line"
            if trace["type"] == "scatter" and "lines" in trace.get("mode", "")
            else "marker"
        )
        trace[key] = {**trace.get(key, {}), "color": colours[name]}
        if trace.get("fill"):
            trace["fillcolor"] = colours[name]
    return trace


def _layout(spec: ChartSpec, result: ChartData) -> dict[str, Any]:
    title: dict[str, Any] = {"text": escape_label(spec.display_title)}
    if result.notes:
        title["subtitle"] = {"text": escape_label(" ".join(result.notes))}
    layout: dict[str, Any] = {
        "title": title,
        "font": {"family": FONT_FAMILY},
        "margin": {"l": 56, "r": 24, "t": 72 if result.notes else 56, "b": 48},
        "hovermode": "x unified" if spec.kind in ("line", "area") else "closest",
        "barmode": _barmode(spec),
        "legend": {"title": {"text": escape_label(spec.color or "")}},
        "showlegend": _shows_legend(spec),
    }
    if spec.palette:
        layout["colorway"] = PALETTES[spec.palette]
    if spec.kind not in ("pie", "donut"):
        layout.update(_axes(spec, result.frame))
    return layout


def _barmode(spec: ChartSpec) -> str:
    if spec.kind == "histogram":
        return "overlay"
    return "stack" if spec.stacked else "group"


def _shows_legend(spec: ChartSpec) -> bool:
    several = spec.color is not None or bool(spec.measures)
    return (
        spec.kind in ("pie", "donut")
        or several
        or (spec.kind == "scatter" and spec.trend)
    )


def _axes(spec: ChartSpec, data: pd.DataFrame) -> dict[str, Any]:
    category_axis: dict[str, Any] = {
        "title": {"text": escape_label(spec.x_title)},
        "automargin": True,
    }
    value_axis: dict[str, Any] = {
        "title": {"text": escape_label(spec.y_title)},
        "automargin": True,
    }
    value_axis["hoverformat"] = spec.number_format or ",.4~g"
    if spec.number_format:
        value_axis["tickformat"] = spec.number_format
    _date_axis(spec, data, category_axis)

    if spec.kind == "heatmap":
        rows = spec.color or "weekday"
        value_axis = {"title": {"text": escape_label(rows)}, "automargin": True,
                      "autorange": "reversed"}  # fmt: skip
        if spec.color is None:
            category_axis["title"] = {"text": "hour of day"}
    if spec.kind == "bar" and spec.horizontal:
        value_axis, category_axis = category_axis, value_axis
        value_axis["autorange"] = "reversed"  # largest first, at the top
    return {"xaxis": category_axis, "yaxis": value_axis}


def _date_axis(spec: ChartSpec, data: pd.DataFrame, axis: dict[str, Any]) -> None:
    if spec.x not in data.columns or not is_datetime(data[spec.x]):
        return
    if spec.date_format:
        axis["tickformat"] = spec.date_format
        axis["hoverformat"] = spec.date_format
    elif spec.bucket:
        axis["hoverformat"] = _HOVER_DATE[spec.bucket]
