"""Chart specs: what to plot, the aggregated data behind it, and its Plotly figure.

Semantics of :meth:`ChartSpec.data`:

- Rows with a missing ``x`` (or ``color``) are left out; missing ``y`` values are
  ignored by the aggregation (``count`` counts non-missing ``y``; without ``y`` it
  counts rows).
- ``bucket`` truncates a datetime ``x`` to the start of its day, week (weeks start on
  Monday), month, quarter or year. Time zones are dropped after converting to wall
  time, so a bucket is a local calendar period. Periods without rows are not added.
- Line charts are sorted by ``x``. Bar and pie charts are sorted by ``x`` when it is a
  date or number, otherwise by value, largest first, with "Other" last.
- ``top_n`` keeps the ``n`` categories with the largest values and aggregates every
  other row into one "Other" category (aggregating the rows, so a mean stays a mean).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pandas.api import types as ptypes
from pydantic import Field, model_validator

from nbdash.errors import SpecError, check_columns
from nbdash.transform.base import Name, SpecModel

if TYPE_CHECKING:
    import plotly.graph_objects as go

logger = logging.getLogger(__name__)

ChartKind = Literal["line", "bar", "pie"]
ChartAgg = Literal["sum", "mean", "median", "min", "max", "count"]
Bucket = Literal["day", "week", "month", "quarter", "year"]

# Period frequencies; "W-SUN" periods end on Sunday, so each week starts on Monday.
_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
_HOVER_DATE = {
    "day": "%a %d %b %Y",
    "week": "week of %d %b %Y",
    "month": "%b %Y",
    "quarter": "%b %Y",
    "year": "%Y",
}
_AGG_WORD = {
    "sum": "Sum",
    "mean": "Mean",
    "median": "Median",
    "min": "Minimum",
    "max": "Maximum",
    "count": "Count",
}
OTHER = "Other"


class ChartSpec(SpecModel):
    """One chart: its kind, the columns it plots and how values are aggregated.

    Parameters
    ----------
    kind
        ``"line"``, ``"bar"`` or ``"pie"``.
    dataset
        The name of the dataset the chart reads.
    x
        The column on the x axis (the slices of a pie).
    y
        The column that is aggregated; ``None`` counts rows.
    agg
        How ``y`` is aggregated per ``x`` (``"count"`` when ``y`` is ``None``).
    bucket
        For a datetime ``x``: truncate to ``day``, ``week``, ``month``, ``quarter``
        or ``year`` before aggregating.
    color
        A column that splits a line or bar chart into one series per value.
    title
        The chart's title; empty means one is made from the columns.
    top_n
        For bar and pie charts: keep the largest ``top_n`` categories, the rest
        become "Other".

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
    top_n: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _count_without_y(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("y") is None and "agg" not in data:
            return {**data, "agg": "count"}
        return data

    @model_validator(mode="after")
    def _check_fields(self) -> ChartSpec:
        problem = _field_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def value_name(self) -> str:
        """The name of the aggregated column in :meth:`data`."""
        return self.y if self.y is not None else "count"

    @property
    def display_title(self) -> str:
        """The title shown: ``title``, or one made from the columns."""
        if self.title:
            return self.title
        what = self.y if self.y is not None else "Rows"
        by = self.bucket if self.bucket else self.x
        share = "Share of " if self.kind == "pie" else ""
        split = f" and {self.color}" if self.color else ""
        text = f"{share}{what} by {by}{split}"
        return text[0].upper() + text[1:]

    def validate_for(self, frame: pd.DataFrame) -> None:
        """Check that ``frame`` has the columns and types this chart needs.

        Raises
        ------
        ColumnNotFoundError
            A column of the spec is not in ``frame``.
        SpecError
            A column's type does not fit, e.g. a text ``x`` on a line chart.
        """
        used = [name for name in (self.x, self.y, self.color) if name is not None]
        check_columns(used, frame.columns, dataset=self.dataset)

        problem = _type_problem(self, frame)
        if problem:
            raise SpecError(
                f"Chart {self.display_title!r} on {self.dataset!r}: {problem}"
            )

    def data(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the aggregated, sorted frame that the chart plots.

        Its columns are ``x``, then ``color`` when set, then :attr:`value_name`.
        """
        self.validate_for(frame)
        work, other = self._collapse_rest(self._working_frame(frame))

        keys = [self.x] if self.color is None else [self.x, self.color]
        result = self._aggregate(work, keys)
        return self._sort(result, work, other).reset_index(drop=True)

    def to_figure(self, frame: pd.DataFrame) -> go.Figure:
        """Return the chart as a :class:`plotly.graph_objects.Figure`."""
        import plotly.graph_objects as go

        data = self.data(frame)
        figure = go.Figure()
        for trace in self._traces(data):
            figure.add_trace(trace)
        figure.update_layout(**self._layout(data))
        return figure

    def _working_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        columns: dict[str, pd.Series] = {self.x: _bucketed(frame[self.x], self.bucket)}
        if self.color is not None:
            columns[self.color] = frame[self.color]
        if self.y is not None:
            columns[self.y] = frame[self.y]

        work = pd.DataFrame(columns)
        return work.dropna(subset=[name for name in (self.x, self.color) if name])

    def _aggregate(self, work: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        grouped = work.groupby(keys, sort=True, observed=True)
        if self.y is None:
            return grouped.size().rename(self.value_name).reset_index()
        return grouped[self.y].agg(self.agg).reset_index()

    def _collapse_rest(self, work: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
        """Relabel the rows outside the top ``top_n`` categories; return the label."""
        totals = self._aggregate(work, [self.x])
        if self.top_n is None or len(totals) <= self.top_n:
            return work, None
        largest = totals.nlargest(self.top_n, self.value_name, keep="first")
        kept = set(largest[self.x])

        # Labels become text so that "Other" can sit beside numbers or dates.
        label = OTHER if OTHER not in kept else f"{OTHER} (rest)"
        x = work[self.x].astype(str).where(work[self.x].isin(kept), label)
        return work.assign(**{self.x: x}), label

    def _sort(
        self, result: pd.DataFrame, work: pd.DataFrame, other: str | None
    ) -> pd.DataFrame:
        ordered_x = self.kind == "line" or _is_ordered(work[self.x])
        if ordered_x:
            return result  # groupby(sort=True) already sorted by x, then color

        totals = self._aggregate(work, [self.x])
        is_other = totals[self.x].eq(other) if other is not None else False
        totals = totals.assign(_other=is_other)
        totals = totals.sort_values(
            ["_other", self.value_name], ascending=[True, False], kind="stable"
        )
        rank = {value: number for number, value in enumerate(totals[self.x])}
        return result.sort_values(self.x, key=lambda s: s.map(rank), kind="stable")

    def _traces(self, data: pd.DataFrame) -> list[Any]:
        import plotly.graph_objects as go

        values = self.value_name
        if self.kind == "pie":
            return [
                go.Pie(
                    labels=data[self.x].to_numpy(),
                    values=data[values].to_numpy(),
                    sort=False,
                    textinfo="percent",
                    hoverinfo="label+value+percent",
                )
            ]

        groups = (
            [(None, data)]
            if self.color is None
            else data.groupby(self.color, sort=False)
        )
        traces = []
        for series_name, part in groups:
            name = values if series_name is None else str(series_name)
            x, y = part[self.x].to_numpy(), part[values].to_numpy()
            if self.kind == "line":
                traces.append(go.Scatter(x=x, y=y, name=name, mode="lines+markers"))
            else:
                traces.append(go.Bar(x=x, y=y, name=name))
        return traces

    def _layout(self, data: pd.DataFrame) -> dict[str, Any]:
        y_title = "Rows" if self.y is None else f"{_AGG_WORD[self.agg]} of {self.y}"
        x_title = f"{self.x} ({self.bucket})" if self.bucket else self.x
        xaxis: dict[str, Any] = {"title": {"text": x_title}}
        if self.bucket and self.kind != "pie":
            xaxis["hoverformat"] = _HOVER_DATE[self.bucket]

        return {
            "title": {"text": self.display_title},
            "template": "plotly_white",
            "margin": {"l": 56, "r": 24, "t": 56, "b": 48},
            "xaxis": xaxis,
            "yaxis": {"title": {"text": y_title}, "hoverformat": ",.4~g"},
            "hovermode": "x unified" if self.kind == "line" else "closest",
            "barmode": "group",
            "legend": {"title": {"text": self.color or ""}},
            "showlegend": self.kind == "pie" or self.color is not None,
        }


def _field_problem(spec: ChartSpec) -> str:
    """Return what is inconsistent between the spec's fields, or an empty string."""
    if spec.y is None and spec.agg != "count":
        return (
            f"without 'y' the chart counts rows; set agg to 'count' (got {spec.agg!r})"
        )
    if spec.kind == "pie" and spec.color is not None:
        return "a pie chart has no 'color' series; remove 'color' or use a bar chart"
    if spec.kind == "line" and spec.top_n is not None:
        return "'top_n' applies to bar and pie charts; remove it for a line chart"
    names = [name for name in (spec.x, spec.y, spec.color) if name is not None]
    if len(set(names)) < len(names):
        return f"'x', 'y' and 'color' must be different columns; got {names!r}"
    return ""


def _type_problem(spec: ChartSpec, frame: pd.DataFrame) -> str:
    """Return what does not fit between the spec and the column types, or ''."""
    x = frame[spec.x]
    if spec.kind == "line" and not (_is_datetime(x) or _is_number(x)):
        return (
            f"a line chart needs dates or numbers on x; column {spec.x!r} holds "
            f"{x.dtype}. Use a bar chart, or convert the column to dates first."
        )
    if spec.bucket is not None and not _is_datetime(x):
        return (
            f"bucket {spec.bucket!r} needs a datetime x; column {spec.x!r} holds "
            f"{x.dtype}. Remove the bucket or convert the column to dates."
        )
    if spec.y is not None and spec.agg in ("sum", "mean", "median"):
        y = frame[spec.y]
        if not _is_number(y):
            return (
                f"agg {spec.agg!r} needs a numeric y; column {spec.y!r} holds "
                f"{y.dtype}. Use agg 'count', or pick a numeric column."
            )
    return ""


def _bucketed(series: pd.Series, bucket: str | None) -> pd.Series:
    if bucket is None:
        return series
    if getattr(series.dt, "tz", None) is not None:
        # Periods have no time zone; bucket by local wall time instead of warning.
        series = series.dt.tz_localize(None)
    starts: pd.Series = series.dt.to_period(_FREQ[bucket]).dt.start_time
    return starts


def _is_datetime(series: pd.Series) -> bool:
    return ptypes.is_datetime64_any_dtype(series)


def _is_number(series: pd.Series) -> bool:
    return ptypes.is_numeric_dtype(series) and not ptypes.is_bool_dtype(series)


def _is_ordered(series: pd.Series) -> bool:
    return _is_datetime(series) or _is_number(series)
