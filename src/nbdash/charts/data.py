"""The data a chart plots: cleaned, bucketed, aggregated and sorted.

Semantics of :func:`chart_data`:

- Infinite numbers are treated as missing; time-zone-aware dates are plotted in their
  local wall time; text-like category columns of mixed types are compared as text.
  Each of these is reported in the notes.
- Rows with a missing ``x`` (or ``color``) are left out; missing values are ignored by
  the aggregation (``count`` counts non-missing ``y``; without ``y`` it counts rows).
- ``bucket`` truncates a datetime ``x`` to the start of its day, week (weeks start on
  Monday), month, quarter or year. Periods without rows are not added.
- Line and area data are sorted by ``x``; bars and pies follow ``sort``: ``auto`` is by
  ``x`` for dates and numbers, in calendar order for weekday or month names (``Thur``,
  ``Fri``, ``Sat``; ``Jan``, ``February``), otherwise by value, largest first, "Other"
  last.
- ``top_n`` keeps the ``n`` categories with the largest values and aggregates every
  other row into one "Other" category (aggregating the rows, so a mean stays a mean).
  Categories beyond :data:`AUTO_TOP_N_ABOVE` get ``top_n`` :data:`AUTO_TOP_N`
  automatically, and a note says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nbdash.charts.spec import OTHER, is_datetime, is_number, is_ordered
from nbdash.errors import SpecError

if TYPE_CHECKING:
    from nbdash.charts.spec import ChartSpec

logger = logging.getLogger(__name__)

AUTO_TOP_N_ABOVE = 50
"""Bar, pie, box and heatmap categories beyond this count are grouped automatically."""
AUTO_TOP_N = 20
"""How many categories an automatic grouping keeps."""

# Period frequencies; "W-SUN" periods end on Sunday, so each week starts on Monday.
FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_CATEGORY_KINDS = ("bar", "pie", "donut", "box", "heatmap")


@dataclass
class ChartData:
    """The plotted frame and what was done to the rows to get it."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    top_n: int | None = None
    other: str | None = None


def chart_data(spec: ChartSpec, frame: pd.DataFrame) -> ChartData:
    """Return the data ``spec`` plots from ``frame``, with notes for the reader."""
    spec.validate_for(frame)
    notes: list[str] = []
    result = ChartData(frame=_working_frame(spec, frame, notes), notes=notes)
    _check_has_values(spec, result.frame, frame)

    from nbdash.charts import kinds

    kinds.compute(spec, result)
    logger.debug("chart %s: %d rows plotted", spec.kind, len(result.frame))
    return result


def _working_frame(
    spec: ChartSpec, frame: pd.DataFrame, notes: list[str]
) -> pd.DataFrame:
    """The used columns, cleaned; rows without x (or color) dropped."""
    columns = {name: _clean(name, frame[name], notes) for name in spec.used_columns}
    work = pd.DataFrame(columns)
    keys = [name for name in (spec.x, spec.color) if name is not None]

    dropped = int(work[keys].isna().any(axis=1).sum())
    if dropped:
        notes.append(f"{dropped:,} rows without {' or '.join(keys)} are left out.")
    return work.dropna(subset=keys)


def _clean(name: str, series: pd.Series, notes: list[str]) -> pd.Series:
    if is_datetime(series) and getattr(series.dt, "tz", None) is not None:
        notes.append(f"{name} is shown in local time ({series.dt.tz}).")
        local: pd.Series = series.dt.tz_localize(None)
        return local
    if is_number(series):
        infinite = np.isinf(series.to_numpy(dtype="float64", na_value=np.nan))
        if infinite.any():
            notes.append(f"{int(infinite.sum()):,} infinite values of {name} ignored.")
            return series.where(~infinite)
        return series
    if series.dtype == object:
        return _as_text(name, series, notes)
    return series


def _as_text(name: str, series: pd.Series, notes: list[str]) -> pd.Series:
    """Mixed objects (numbers and text) cannot be sorted together; compare as text."""
    present = series.dropna()
    types = {type(value) for value in present}
    if len(types) > 1:
        notes.append(f"{name} mixes {len(types)} types of values; shown as text.")
    text: pd.Series = series.map(str, na_action="ignore")
    return text


def _check_has_values(spec: ChartSpec, work: pd.DataFrame, frame: pd.DataFrame) -> None:
    if work.empty:
        keys = " and ".join(name for name in (spec.x, spec.color) if name)
        message = (
            f"no rows to plot: {keys} is missing in all {len(frame):,} rows. Pick "
            "another column, or fill the missing values first."
        )
        raise SpecError(spec.explain(message))
    for name in spec.used_columns:
        if work[name].notna().sum() == 0:
            message = (
                f"column {name!r} has no values (all missing or infinite), so "
                "there is nothing to plot. Pick another column."
            )
            raise SpecError(spec.explain(message))


def bucketed(series: pd.Series, bucket: str | None) -> pd.Series:
    """Truncate datetimes to the start of their ``bucket`` (None: unchanged)."""
    if bucket is None:
        return series
    starts: pd.Series = series.dt.to_period(FREQ[bucket]).dt.start_time
    return starts


def aggregate(
    spec: ChartSpec, work: pd.DataFrame, keys: list[str], values: list[str]
) -> pd.DataFrame:
    """Aggregate ``values`` of ``work`` per ``keys`` (rows counted without ``y``)."""
    grouped = work.groupby(keys, sort=True, observed=True)
    if spec.y is None:
        return grouped.size().rename(spec.value_name).reset_index()
    return grouped[values].agg(spec.agg).reset_index()


def collapse_rest(
    spec: ChartSpec, work: pd.DataFrame, result: ChartData
) -> pd.DataFrame:
    """Relabel the rows outside the top categories of ``x`` as "Other"."""
    totals = aggregate(spec, work, [spec.x], [spec.value_name])
    top_n = _top_n(spec, len(totals), result)
    if top_n is None or len(totals) <= top_n:
        return work
    kept = set(totals.nlargest(top_n, spec.value_name, keep="first")[spec.x])

    # Labels become text so that "Other" can sit beside numbers or dates.
    label = OTHER if OTHER not in kept else f"{OTHER} (rest)"
    result.top_n, result.other = top_n, label
    x = work[spec.x].astype(str).where(work[spec.x].isin(kept), label)
    return work.assign(**{spec.x: x})


def _top_n(spec: ChartSpec, categories: int, result: ChartData) -> int | None:
    if spec.top_n is not None or spec.kind not in _CATEGORY_KINDS:
        return spec.top_n
    if categories <= AUTO_TOP_N_ABOVE or is_ordered_kind(spec):
        return None
    result.notes.append(
        f"{spec.x} has {categories:,} values: the {AUTO_TOP_N} largest are shown, "
        f"the rest are grouped as {OTHER}."
    )
    logger.info("chart on %r: %d categories grouped", spec.dataset, categories)
    return AUTO_TOP_N


def is_ordered_kind(spec: ChartSpec) -> bool:
    """A bucketed date axis is a time line, not categories to group."""
    return spec.bucket is not None


def sort_categories(
    spec: ChartSpec, plotted: pd.DataFrame, work: pd.DataFrame, other: str | None
) -> pd.DataFrame:
    """Order bar and pie data by ``spec.sort``; "Other" always last."""
    order = spec.sort
    totals = aggregate(spec, work, [spec.x], [spec.value_name])
    calendar = calendar_ranks(value for value in totals[spec.x] if value != other)
    if order == "auto" and calendar is not None:
        return _in_calendar_order(spec, plotted, calendar)
    if order == "auto":
        order = "label_asc" if is_ordered(work[spec.x]) else "value_desc"

    by_label = order.startswith("label")
    column = spec.x if by_label else spec.value_name
    ascending = order.endswith("asc")
    is_other = totals[spec.x].eq(other) if other is not None else False
    totals = totals.assign(_other=is_other).sort_values(
        ["_other", column], ascending=[True, ascending], kind="stable"
    )
    rank = {value: number for number, value in enumerate(totals[spec.x])}
    return plotted.sort_values(spec.x, key=lambda s: s.map(rank), kind="stable")


_WEEKDAYS = (
    ("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "weds", "wednesday"),
    ("thu", "thur", "thurs", "thursday"), ("fri", "friday"), ("sat", "saturday"),
    ("sun", "sunday"),
)  # fmt: skip
_MONTHS = (
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
    ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
    ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december"),
)  # fmt: skip
_CALENDARS = [
    {name: number for number, names in enumerate(calendar) for name in names}
    for calendar in (_WEEKDAYS, _MONTHS)
]


def calendar_ranks(values: Iterable[object]) -> dict[object, int] | None:
    """Each value's place in the week or the year, when all are day or month names.

    Full names and the usual abbreviations count ("Thur", "Sept", "mon."), in any
    case; None when a value is neither, or when there are no values.

    Examples
    --------
    >>> calendar_ranks(["Sun", "Thur", "Sat"])
    {'Sun': 6, 'Thur': 3, 'Sat': 5}
    >>> calendar_ranks(["Sun", "Lunch"]) is None
    True
    """
    labels = list(values)
    keys = [str(label).strip().rstrip(".").lower() for label in labels]
    if not labels:
        return None
    for calendar in _CALENDARS:
        if all(key in calendar for key in keys):
            return {
                label: calendar[key] for label, key in zip(labels, keys, strict=True)
            }
    return None


def _in_calendar_order(
    spec: ChartSpec, plotted: pd.DataFrame, ranks: dict[object, int]
) -> pd.DataFrame:
    """Weekdays Monday first, months January first; "Other" after them."""
    last = len(ranks) + 12
    return plotted.sort_values(
        spec.x, key=lambda s: s.map(lambda v: ranks.get(v, last)), kind="stable"
    )
