"""Dashboard filters: a date range, a set of categories or a number range on a column.

A :class:`Filter` belongs to a dashboard and names a dataset and a column. Every tile
that draws from that dataset sees only the rows the active filters keep, before its
chart aggregates them. A filter made by clicking a bar or a pie slice (a cross-filter)
records the tile it came from, which keeps showing all of its rows.
"""

from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pandas.api import types as ptypes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nbdash.errors import SpecError, check_columns

if TYPE_CHECKING:
    from nbdash.charts import ChartSpec

logger = logging.getLogger(__name__)

FilterKind = Literal["date_range", "categories", "number_range"]

FILTER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

MAX_OPTIONS = 200
"""How many distinct values a category filter offers (the most frequent first)."""


class Filter(BaseModel):
    """A filter on one column of one dataset, and its current selection.

    Parameters
    ----------
    id
        1-64 letters, digits, ``_`` or ``-``; unique in the dashboard.
    dataset, column
        What is filtered.
    kind
        ``date_range`` (``low``/``high`` as ISO dates, inclusive), ``categories``
        (``values``: the categories kept, compared as text) or ``number_range``
        (``low``/``high`` numbers, inclusive).
    values, low, high
        The selection. A filter with no selection (``values`` None, both bounds None)
        is inactive and keeps every row.
    origin
        The tile a cross-filter came from; None for a filter set with its controls.

    Examples
    --------
    >>> f = Filter(id="region", dataset="sales", column="region", kind="categories",
    ...            values=["North"])
    >>> f.is_active()
    True
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    dataset: str = Field(min_length=1)
    column: str = Field(min_length=1)
    kind: FilterKind
    label: str = ""
    values: list[str] | None = None
    low: float | str | None = None
    high: float | str | None = None
    origin: str | None = None

    @model_validator(mode="after")
    def _selection_fits_kind(self) -> Filter:
        if not FILTER_ID.match(self.id):
            message = (
                f"Filter id {self.id!r} is not valid. "
                "Use 1-64 letters, digits, '_' or '-'."
            )
            raise ValueError(message)
        if self.kind == "categories" and (self.low, self.high) != (None, None):
            raise ValueError("A categories filter takes 'values', not 'low'/'high'.")
        if self.kind != "categories" and self.values is not None:
            raise ValueError(f"A {self.kind} filter takes 'low'/'high', not 'values'.")
        for bound in (self.low, self.high):
            _check_bound(self.kind, bound)
        return self

    @property
    def display_label(self) -> str:
        """The label shown beside the control: ``label``, else the column's name."""
        return self.label or self.column

    def is_active(self) -> bool:
        """Whether the filter removes anything (it has a selection)."""
        if self.kind == "categories":
            return self.values is not None
        return self.low is not None or self.high is not None

    def cleared(self) -> Filter:
        """This filter with no selection."""
        return self.model_copy(update={"values": None, "low": None, "high": None})

    def describe(self) -> str:
        """The selection in words, e.g. ``region: North, South``."""
        if self.kind == "categories":
            shown = ", ".join((self.values or [])[:5])
            more = len(self.values or []) - 5
            return f"{self.display_label}: {shown}" + (
                f" (+{more})" if more > 0 else ""
            )
        low = "…" if self.low is None else str(self.low)
        high = "…" if self.high is None else str(self.high)
        return f"{self.display_label}: {low} to {high}"

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """The rows of ``frame`` this filter keeps (missing values are dropped).

        Raises
        ------
        ColumnNotFoundError
            When the column is not in ``frame``.
        SpecError
            When the column's type does not fit the filter's kind.
        """
        check_columns([self.column], frame.columns, dataset=self.dataset)
        column = frame[self.column]
        if not self.is_active():
            return pd.Series(True, index=frame.index)
        if self.kind == "categories":
            return _as_text(column).isin(self.values or []).fillna(False).astype(bool)
        if self.kind == "date_range":
            return self._date_mask(column)
        return self._number_mask(column)

    def _date_mask(self, column: pd.Series) -> pd.Series:
        if not ptypes.is_datetime64_any_dtype(column):
            message = (
                f"Filter {self.id!r}: a date range needs a date column; "
                f"{self.column!r} in {self.dataset!r} is {column.dtype}. "
                "Use a categories or number_range filter."
            )
            raise SpecError(message)
        keep = column.notna()
        if self.low is not None:
            keep &= column >= _timestamp(self.low, column)
        if self.high is not None:
            # A bare date as the upper bound includes that whole day.
            high = _timestamp(self.high, column)
            if _is_bare_date(self.high):
                keep &= column < high + pd.Timedelta(days=1)
            else:
                keep &= column <= high
        return keep.fillna(False).astype(bool)

    def _number_mask(self, column: pd.Series) -> pd.Series:
        if not ptypes.is_numeric_dtype(column) or ptypes.is_bool_dtype(column):
            message = (
                f"Filter {self.id!r}: a number range needs a numeric column; "
                f"{self.column!r} in {self.dataset!r} is {column.dtype}. "
                "Use a categories filter."
            )
            raise SpecError(message)
        keep = column.notna()
        if self.low is not None:
            keep &= column >= float(self.low)
        if self.high is not None:
            keep &= column <= float(self.high)
        return keep.fillna(False).astype(bool)


def apply_filters(
    frame: pd.DataFrame, filters: list[Filter], *, tile_id: str | None = None
) -> pd.DataFrame:
    """The rows of ``frame`` that every active filter keeps.

    A cross-filter whose ``origin`` is ``tile_id`` is skipped: the tile clicked keeps
    showing everything, so the user can click another bar.
    """
    active = [
        f for f in filters if f.is_active() and (tile_id is None or f.origin != tile_id)
    ]
    if not active:
        return frame
    keep = pd.Series(True, index=frame.index)
    for item in active:
        keep &= item.mask(frame)
    return frame.loc[keep]


def filter_options(item: Filter, frame: pd.DataFrame) -> dict[str, Any]:
    """What the filter's control offers, JSON-safe.

    ``{"options": [...], "more": n}`` for categories (the most frequent first, at most
    :data:`MAX_OPTIONS`), ``{"min": ..., "max": ...}`` for ranges (ISO dates or
    numbers; None for an empty column).
    """
    check_columns([item.column], frame.columns, dataset=item.dataset)
    column = frame[item.column]
    if item.kind == "categories":
        counts = _as_text(column).value_counts(dropna=True)
        options = [str(value) for value in counts.index[:MAX_OPTIONS]]
        return {"options": options, "more": max(0, len(counts) - MAX_OPTIONS)}
    values = column.dropna()
    if item.kind == "date_range":
        if not ptypes.is_datetime64_any_dtype(column) or values.empty:
            return {"min": None, "max": None}
        return {"min": _iso_day(values.min()), "max": _iso_day(values.max())}
    numbers = pd.to_numeric(values, errors="coerce")
    numbers = numbers[numbers.map(lambda v: math.isfinite(float(v)))]
    if numbers.empty:
        return {"min": None, "max": None}
    return {"min": float(numbers.min()), "max": float(numbers.max())}


def _as_text(column: pd.Series) -> pd.Series:
    # Categories compare as the text a chart shows: 3 and "3" are the same bar.
    text = column.astype("string")
    if ptypes.is_float_dtype(column):
        whole = column.notna() & (column % 1 == 0)
        text = text.where(~whole, column[whole].astype("Int64").astype("string"))
    return text


def _check_bound(kind: str, bound: float | str | None) -> None:
    if bound is None:
        return
    if kind == "number_range":
        if isinstance(bound, str) or not math.isfinite(float(bound)):
            raise ValueError(
                f"A number_range bound must be a finite number; got {bound!r}."
            )
        return
    if kind == "date_range":
        try:
            pd.Timestamp(str(bound))
        except (ValueError, TypeError) as exc:
            message = "A date_range bound must be an ISO date like 2024-03-31; "
            message += f"got {bound!r}."
            raise ValueError(message) from exc


def _timestamp(bound: float | str, column: pd.Series) -> pd.Timestamp:
    stamp = pd.Timestamp(str(bound))
    zone = getattr(column.dt, "tz", None)
    if zone is not None and stamp.tzinfo is None:
        return stamp.tz_localize(zone)
    if zone is None and stamp.tzinfo is not None:
        return stamp.tz_convert(None)
    return stamp


def _is_bare_date(bound: float | str) -> bool:
    return (
        isinstance(bound, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", bound) is not None
    )


def _iso_day(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


# --- making filters -----------------------------------------------------------

CLICKABLE_KINDS = ("bar", "pie", "donut")
"""The chart kinds whose bars or slices can be clicked to cross-filter."""


def cross_filter_for(
    tile_id: str, chart: ChartSpec, point: dict[str, Any], frame: Any
) -> Filter:
    """The cross-filter made by clicking ``point`` (plotly's click) on a chart tile.

    Bars filter by their category (a date bar by its whole bucket), pie slices by
    their label. Raises SpecError when the point names no category.
    """
    from nbdash.charts import unescape_label

    if chart.kind in ("pie", "donut"):
        value = point.get("label")
    else:
        value = point.get("y") if chart.horizontal else point.get("x")
    if value is not None:
        # Figures escape "<", ">" and "&" in labels; the click names the escaped text.
        value = unescape_label(str(value))
    if value is None or (chart.top_n and str(value).startswith("Other")):
        message = (
            f"The point clicked has no category to filter by (got {point!r}); "
            "click a bar or slice of a named category."
        )
        raise SpecError(message)

    common = {"id": f"cross-{tile_id}", "dataset": chart.dataset, "origin": tile_id}
    if chart.x in frame.columns and ptypes.is_datetime64_any_dtype(frame[chart.x]):
        low, high = _bucket_range(str(value), chart.bucket)
        return Filter(column=chart.x, kind="date_range", low=low, high=high, **common)
    return Filter(column=chart.x, kind="categories", values=[str(value)], **common)


def _bucket_range(value: str, bucket: str | None) -> tuple[str, str]:
    # A clicked date bar stands for its whole bucket: filter to that period.
    import pandas as pd

    start = pd.Timestamp(value)
    if start.tzinfo is not None:
        start = start.tz_localize(None)
    frequency = {"week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
    if bucket in frequency:
        end = start + pd.tseries.frequencies.to_offset(frequency[bucket])
        return start.strftime("%Y-%m-%d"), (end - pd.Timedelta(days=1)).strftime(
            "%Y-%m-%d"
        )
    day = start.strftime("%Y-%m-%d")
    return day, day


def filter_kind_of(frame: Any, column: str, dataset: str) -> str:
    """The filter kind that suits ``column``: by date, by number, or by category."""
    check_columns([column], frame.columns, dataset=dataset)
    values = frame[column]
    if ptypes.is_datetime64_any_dtype(values):
        return "date_range"
    if ptypes.is_numeric_dtype(values) and not ptypes.is_bool_dtype(values):
        return "number_range"
    return "categories"


def new_filter(
    filter_id: str, dataset: str, column: str, kind: str, label: str
) -> Filter:
    """A new, inactive filter; SpecError when a field is not valid."""
    try:
        return Filter(
            id=filter_id, dataset=dataset, column=column, kind=kind, label=label
        )
    except ValidationError as exc:
        raise SpecError(f"Cannot add filter on {column!r}: {exc}") from exc
