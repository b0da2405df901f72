"""Chart specs: what to plot, checked on creation, drawn by the other chart modules.

A :class:`ChartSpec` is plain JSON-serialisable data saved in dashboards. Its fields
are checked against each other here (:func:`field_problem`) and against a frame's
column types in :meth:`ChartSpec.validate_for`. The aggregated data lives in
:mod:`nbdash.charts.data`, figures in :mod:`nbdash.charts.figure`, the KPI number in
:mod:`nbdash.charts.kpi`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pandas.api import types as ptypes
from pydantic import Field, model_validator

from nbdash.charts.format import (
    PALETTES,
    color_problem,
    date_format_problem,
    number_format_problem,
)
from nbdash.errors import SpecError, check_columns
from nbdash.transform.base import Name, SpecModel

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nbdash.charts.downsample import XRange
    from nbdash.charts.kpi import Kpi

logger = logging.getLogger(__name__)

ChartKind = Literal[
    "line", "area", "bar", "pie", "donut", "scatter", "histogram", "box", "heatmap",
    "kpi",
]  # fmt: skip
ChartAgg = Literal["sum", "mean", "median", "min", "max", "count"]
Bucket = Literal["day", "week", "month", "quarter", "year"]
SortOrder = Literal["auto", "value_desc", "value_asc", "label_asc", "label_desc"]

KINDS: tuple[str, ...] = ChartKind.__args__  # type: ignore[attr-defined]
"""Every chart kind, in the order the picker lists them."""

OTHER = "Other"

_AGG_WORD = {
    "sum": "Sum",
    "mean": "Mean",
    "median": "Median",
    "min": "Minimum",
    "max": "Maximum",
    "count": "Count",
}
# Which kinds take which optional fields; the rest must keep their defaults.
_FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "top_n": ("bar", "pie", "donut", "box", "heatmap"),
    "measures": ("line", "area", "bar"),
    "rolling": ("line", "area"),
    "stacked": ("bar", "area"),
    "horizontal": ("bar",),
    "size": ("scatter",),
    "trend": ("scatter",),
    "bins": ("histogram",),
}
_NEEDS_Y = ("scatter", "box")
_NO_COLOR = ("pie", "donut", "kpi")


class ChartSpec(SpecModel):
    """One chart: its kind, the columns it plots, how values are aggregated and shown.

    Parameters
    ----------
    kind
        ``line``, ``area``, ``bar``, ``pie``, ``donut``, ``scatter``, ``histogram``,
        ``box``, ``heatmap`` or ``kpi``.
    dataset
        The name of the dataset the chart reads.
    x
        The column on the x axis: the slices of a pie, the measure a histogram
        counts, the categories of a box plot, the dates of a KPI.
    y
        The column that is aggregated; ``None`` counts rows.
    agg
        How ``y`` is aggregated per ``x`` (``"count"`` when ``y`` is ``None``).
    bucket
        For a datetime ``x``: truncate to ``day``, ``week``, ``month``, ``quarter``
        or ``year`` before aggregating (a KPI's period; month when unset).
    color
        A column that splits the chart into one series per value; for a scatter a
        number colours the points on a scale; for a heatmap, the category on the
        vertical axis.
    title
        The chart's title; empty means one is made from the columns.
    top_n
        Keep the largest ``top_n`` categories, the rest become "Other".
    measures
        More numeric columns plotted beside ``y`` as their own series.
    rolling
        Line and area: plot the mean of the last ``rolling`` points of each series.
    stacked, horizontal
        Stack bars (or areas); draw bars sideways.
    sort
        Bar and pie order: ``auto`` (dates and numbers by label, else largest first),
        ``value_desc``, ``value_asc``, ``label_asc``, ``label_desc``.
    size
        Scatter: a numeric column that sizes the points.
    trend
        Scatter: add a least-squares trend line.
    bins
        Histogram: the number of bins (automatic when unset).
    x_label, y_label
        Axis titles; empty means one is made from the columns.
    number_format, date_format
        d3 formats for values (``",.0f"``, ``"$,.2f"``, ``".1%"``) and dates
        (``"%b %Y"``).
    palette, colors
        A named palette (see :data:`~nbdash.charts.format.PALETTES`), and colours
        for particular series by name.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"region": ["EU", "US", "EU"], "revenue": [1, 2, 3]})
    >>> ChartSpec(kind="bar", dataset="sales", x="region", y="revenue").data(sales)
      region  revenue
    0     EU        4
    1     US        2
    """

    kind: ChartKind
    dataset: Name
    x: Name
    y: Name | None = None
    agg: ChartAgg = "sum"
    bucket: Bucket | None = None
    color: Name | None = None
    title: str = ""
    top_n: int | None = Field(default=None, ge=1, le=1000)
    measures: list[Name] = Field(default_factory=list, max_length=12)
    rolling: int | None = Field(default=None, ge=2, le=10_000)
    stacked: bool = False
    horizontal: bool = False
    sort: SortOrder = "auto"
    size: Name | None = None
    trend: bool = False
    bins: int | None = Field(default=None, ge=1, le=500)
    x_label: str = ""
    y_label: str = ""
    number_format: str = ""
    date_format: str = ""
    palette: str = ""
    colors: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _count_without_y(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("y") is None and "agg" not in data:
            return {**data, "agg": "count"}
        return data

    @model_validator(mode="after")
    def _check_fields(self) -> ChartSpec:
        problem = field_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def value_name(self) -> str:
        """The name of the aggregated column in :meth:`data`."""
        return self.y if self.y is not None else "count"

    @property
    def value_names(self) -> list[str]:
        """Every aggregated column: :attr:`value_name`, then ``measures``."""
        return [self.value_name, *self.measures]

    @property
    def used_columns(self) -> list[str]:
        """The dataset columns the chart reads."""
        named = [self.x, self.y, self.color, self.size, *self.measures]
        return [name for name in named if name is not None]

    @property
    def is_zoomable(self) -> bool:
        """Whether zooming re-samples the chart (``to_figure(..., x_range=...)``)."""
        return self.kind in ("line", "area", "scatter")

    @property
    def display_title(self) -> str:
        """The title shown: ``title``, or one made from the columns."""
        if self.title:
            return self.title
        return _made_title(self)

    @property
    def y_title(self) -> str:
        """The value axis title: ``y_label``, or e.g. ``Sum of revenue``."""
        if self.y_label:
            return self.y_label
        if self.kind in ("scatter", "box") and self.y is not None:
            return self.y
        if self.y is None or self.kind == "histogram":
            return "Rows"
        if self.measures:
            return _AGG_WORD[self.agg]
        name = human_name(self.y)
        if name.lower().endswith((f" {self.agg}", f" {_AGG_WORD[self.agg].lower()}")):
            # Already an aggregate's column (revenue_sum): "Sum of revenue_sum" says
            # it twice.
            return name[0].upper() + name[1:]
        return f"{_AGG_WORD[self.agg]} of {self.y}"

    @property
    def x_title(self) -> str:
        """The category axis title: ``x_label``, or the column (and bucket)."""
        if self.x_label:
            return self.x_label
        return f"{self.x} ({self.bucket})" if self.bucket else self.x

    def validate_for(self, frame: pd.DataFrame) -> None:
        """Check that ``frame`` has the columns and types this chart needs.

        Raises
        ------
        ColumnNotFoundError
            A column of the spec is not in ``frame``.
        SpecError
            A column's type does not fit, e.g. a text ``x`` on a line chart.
        """
        check_columns(self.used_columns, frame.columns, dataset=self.dataset)
        problem = type_problem(self, frame)
        if problem:
            raise SpecError(self.explain(problem))

    def explain(self, problem: str) -> str:
        """Prefix ``problem`` with the chart and dataset it is about."""
        return f"Chart {self.display_title!r} on {self.dataset!r}: {problem}"

    def data(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the aggregated, sorted frame that the chart plots.

        Columns by kind: ``x``, [``color``], the :attr:`value_names` (line, area,
        bar, pie, donut, heatmap); ``x``, ``y`` [, ``color``, ``size``] (scatter,
        raw rows); ``bin_start``, ``bin_end``, [``color``], ``count`` (histogram);
        ``x``, ``count``, ``min``, ``q1``, ``median``, ``q3``, ``max``, ``mean``,
        ``lower_fence``, ``upper_fence`` (box); ``period``, ``value`` (kpi).
        """
        from nbdash.charts.data import chart_data

        return chart_data(self, frame).frame

    def notes(self, frame: pd.DataFrame) -> list[str]:
        """What the chart did to draw ``frame``: rows left out, categories grouped."""
        from nbdash.charts.data import chart_data

        return chart_data(self, frame).notes

    def to_figure(
        self,
        frame: pd.DataFrame,
        *,
        x_range: XRange | None = None,
        point_budget: int = 4000,
    ) -> go.Figure:
        """Return the chart as a :class:`plotly.graph_objects.Figure`.

        Parameters
        ----------
        frame
            The dataset's rows.
        x_range
            The visible ``(low, high)`` x range after a zoom: long line, area and
            scatter series are cut to it before downsampling, so the view gets
            full detail. None draws everything.
        point_budget
            The most points per line, area or scatter series (small previews
            take fewer); longer series are downsampled keeping their shape.
        """
        from nbdash.charts.figure import build_figure

        return build_figure(self, frame, x_range=x_range, point_budget=point_budget)

    def figure_json(
        self,
        frame: pd.DataFrame,
        *,
        x_range: XRange | None = None,
        point_budget: int = 4000,
    ) -> dict[str, Any]:
        """Return the figure as the plotly JSON dict a front end draws.

        The same figure as :meth:`to_figure` (same options), built without plotly's
        validation, with numeric arrays as typed base64 arrays.
        """
        from nbdash.charts.figure import View, figure_json

        return figure_json(self, frame, View(x_range, point_budget))

    def kpi(self, frame: pd.DataFrame) -> Kpi:
        """Return the KPI: the last period's value and its change on the one before.

        Works for any spec with a datetime ``x``; ``kind="kpi"`` draws it.
        """
        from nbdash.charts.kpi import compute_kpi

        return compute_kpi(self, frame)

    def to_image(
        self, frame: pd.DataFrame, format: Literal["png", "svg"] = "png", **kwargs: Any
    ) -> bytes:
        """Render the chart as PNG or SVG bytes with kaleido (needs Chromium).

        ``kwargs`` are kaleido's image options: ``width`` (700), ``height`` (400),
        ``scale``.
        """
        from nbdash.charts.figure import figure_image

        return figure_image(self.to_figure(frame), format, **kwargs)

    def to_csv(self, frame: pd.DataFrame) -> bytes:
        """Return :meth:`data` as CSV bytes (formula-safe, see :mod:`nbdash.export`)."""
        from nbdash.export import to_csv_bytes

        return to_csv_bytes(self.data(frame))


def human_name(name: object) -> str:
    """A column name as a title words it: underscores and line breaks become spaces.

    The user's own capitals stay as they are.

    Examples
    --------
    >>> human_name("total_bill")
    'total bill'
    >>> human_name("Order_ID")
    'Order ID'
    """
    return " ".join(str(name).replace("_", " ").split())


def _made_title(spec: ChartSpec) -> str:
    x, y = human_name(spec.x), human_name(spec.y)
    by = spec.bucket if spec.bucket else x
    split = f" and {human_name(spec.color)}" if spec.color else ""
    what = y if spec.y is not None else "rows"
    if spec.measures:
        what = ", ".join([what, *map(human_name, spec.measures)])
    texts = {
        "pie": f"Share of {what} by {by}",
        "donut": f"Share of {what} by {by}",
        "scatter": f"{y} against {x}{split}",
        "histogram": f"Distribution of {x}{split}",
        "box": f"Spread of {y} by {x}",
        "heatmap": f"{what} by {x} and {human_name(spec.color or 'weekday and hour')}",
        "kpi": f"{_AGG_WORD[spec.agg]} of {y}" if spec.y else "Rows",
    }
    text = texts.get(spec.kind, f"{what} by {by}{split}")
    return text[0].upper() + text[1:]


def field_problem(spec: ChartSpec) -> str:
    """Return what is inconsistent between the spec's fields, or an empty string."""
    checks = (_agg_problem, _kind_field_problem, _column_problem, _format_problem)
    for check in checks:
        problem = check(spec)
        if problem:
            return problem
    return ""


def _agg_problem(spec: ChartSpec) -> str:
    if spec.y is None and spec.agg != "count":
        return (
            f"without 'y' the chart counts rows; set agg to 'count' (got {spec.agg!r})"
        )
    if spec.kind in _NEEDS_Y and spec.y is None:
        return f"a {spec.kind} chart needs a numeric 'y' column"
    if spec.kind == "histogram" and spec.y is not None:
        return "a histogram counts the values of 'x'; remove 'y'"
    if spec.measures and spec.y is None:
        return "'measures' add series beside 'y'; set 'y' first"
    return ""


def _kind_field_problem(spec: ChartSpec) -> str:
    if spec.kind in _NO_COLOR and spec.color is not None:
        return f"a {spec.kind} chart has no 'color' series; remove 'color'"
    if spec.measures and spec.color is not None:
        return "use either 'measures' or 'color' to make several series, not both"
    defaults = ChartSpec.model_fields
    for field, kinds in _FIELD_KINDS.items():
        if spec.kind not in kinds and getattr(spec, field) != defaults[field].default:
            if field == "measures" and not spec.measures:
                continue
            return (
                f"{field!r} applies to {_listing(kinds)} charts; remove it for a "
                f"{spec.kind} chart"
            )
    return ""


def _column_problem(spec: ChartSpec) -> str:
    names = spec.used_columns
    if len(set(names)) < len(names):
        return (
            f"'x', 'y', 'color', 'size' and 'measures' must be different columns; "
            f"got {names!r}"
        )
    return ""


def _format_problem(spec: ChartSpec) -> str:
    problems = [
        number_format_problem(spec.number_format),
        date_format_problem(spec.date_format),
        *(color_problem(color) for color in spec.colors.values()),
    ]
    if spec.palette and spec.palette not in PALETTES:
        problems.append(
            f"palette {spec.palette!r} is unknown; choose one of {_listing(PALETTES)}"
        )
    return next((problem for problem in problems if problem), "")


def type_problem(spec: ChartSpec, frame: pd.DataFrame) -> str:
    """Return what does not fit between the spec and the column types, or ''."""
    x = frame[spec.x]
    if spec.kind in ("line", "area", "scatter") and not is_ordered(x):
        return (
            f"a {spec.kind} chart needs dates or numbers on x; column {spec.x!r} "
            f"holds {x.dtype}. Use a bar chart, or convert the column first."
        )
    if spec.kind == "kpi" and not is_datetime(x):
        return (
            f"a KPI compares periods, so x must hold dates; column {spec.x!r} holds "
            f"{x.dtype}. Pick a date column."
        )
    if spec.kind == "histogram" and not is_number(x):
        return (
            f"a histogram needs numbers on x; column {spec.x!r} holds {x.dtype}. "
            "Use a bar chart to count categories."
        )
    if spec.bucket is not None and not is_datetime(x):
        return (
            f"bucket {spec.bucket!r} needs a datetime x; column {spec.x!r} holds "
            f"{x.dtype}. Remove the bucket or convert the column to dates."
        )
    return _value_type_problem(spec, frame)


def _value_type_problem(spec: ChartSpec, frame: pd.DataFrame) -> str:
    numeric_needed = list(spec.measures)
    if spec.y is not None and (
        spec.agg in ("sum", "mean", "median") or spec.kind in _NEEDS_Y
    ):
        numeric_needed.insert(0, spec.y)
    if spec.size is not None:
        numeric_needed.append(spec.size)

    for name in numeric_needed:
        if not is_number(frame[name]):
            return (
                f"column {name!r} holds {frame[name].dtype}, not numbers, so it "
                f"cannot be summed, averaged or plotted as a value. Pick a numeric "
                "column, or use agg 'count'."
            )
    if spec.kind == "heatmap" and spec.color is None and not is_datetime(frame[spec.x]):
        return (
            "a heatmap needs a second category in 'color', or a datetime x for a "
            "weekday by hour map"
        )
    return ""


def _listing(names: Any) -> str:
    return ", ".join(str(name) for name in names)


def is_datetime(series: pd.Series) -> bool:
    """Whether ``series`` holds datetimes (with or without a time zone)."""
    return ptypes.is_datetime64_any_dtype(series)


def is_number(series: pd.Series) -> bool:
    """Whether ``series`` holds numbers (booleans are not)."""
    return ptypes.is_numeric_dtype(series) and not ptypes.is_bool_dtype(series)


def is_ordered(series: pd.Series) -> bool:
    """Whether ``series`` holds dates or numbers, which have a natural order."""
    return is_datetime(series) or is_number(series)
