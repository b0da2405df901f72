"""Chart suggestions from column types and the data: the charts most likely wanted.

Each candidate gets a score from the kind of question it answers and from the data
(how many categories, how strongly two measures move together, whether dates carry
hours); the highest scores come first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from nbdash.charts.spec import Bucket, ChartSpec
from nbdash.insights.roles import NEARLY_UNIQUE, is_id_like

logger = logging.getLogger(__name__)

MAX_BAR_CATEGORIES = 50
"""Above this many distinct values a text column is not offered as categories."""
MAX_PIE_SLICES = 6
"""A pie is offered only for columns with at most this many distinct values."""
BAR_TOP_N = 10
"""Bars beyond this many categories are collapsed into "Other"."""
MAX_COLOR_SERIES = 5
"""A line chart is split by a category only when it has at most this many values."""
MOSTLY_MISSING = 0.5
"""Columns with a larger share of missing values are not suggested."""

# (most days spanned, bucket): aims at roughly 30 to 80 points on a line.
_BUCKET_SPANS: list[tuple[float, Bucket]] = [
    (62, "day"),
    (366, "week"),
    (5 * 366, "month"),
    (20 * 366, "quarter"),
]


@dataclass
class Columns:
    """The usable columns of a frame, by role."""

    dates: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    distinct: dict[str, int] = field(default_factory=dict)


def suggest_charts(
    frame: pd.DataFrame, dataset: str, limit: int = 8
) -> list[ChartSpec]:
    """Return up to ``limit`` charts for ``frame``, the most useful first.

    A date and a measure give a line over time (bucketed to fit the span) and a KPI;
    a category and a measure a bar chart, and a pie when there are few categories;
    two measures a scatter (with a trend line when they correlate); one measure a
    histogram; a category with several rows per value a box plot of the spread;
    dates with times of day a weekday by hour heatmap. ID-like, constant and mostly
    missing columns are skipped; without measures, rows are counted.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"region": ["EU", "US", "EU"], "revenue": [1.0, 2.0, 3.0]})
    >>> [spec.kind for spec in suggest_charts(frame, "sales")]
    ['bar', 'pie', 'histogram']
    """
    columns = classify(frame)
    scored = [
        *_time_candidates(frame, dataset, columns),
        *_category_candidates(frame, dataset, columns),
        *_measure_candidates(frame, dataset, columns),
    ]
    scored.sort(key=lambda pair: -pair[0])  # stable: ties keep their order

    unique: list[ChartSpec] = []
    for _, spec in scored:
        if spec not in unique:
            unique.append(spec)
    logger.debug("suggested %d charts for %r", min(len(unique), limit), dataset)
    return unique[:limit]


def choose_bucket(dates: pd.Series) -> Bucket:
    """Return the bucket that gives a readable number of points over the date span."""
    span = dates.max() - dates.min()
    days = span.total_seconds() / 86400 if pd.notna(span) else 0.0
    for most_days, bucket in _BUCKET_SPANS:
        if days <= most_days:
            return bucket
    return "year"


def classify(frame: pd.DataFrame) -> Columns:
    """Sort the columns worth charting into dates, measures and categories."""
    columns = Columns()
    for name in frame.columns:
        series = frame[name]
        distinct = series.nunique(dropna=True)
        if distinct < 2 or series.isna().mean() > MOSTLY_MISSING:
            continue
        columns.distinct[str(name)] = distinct
        _place(columns, str(name), series, distinct)
    return columns


def _place(columns: Columns, name: str, series: pd.Series, distinct: int) -> None:
    if ptypes.is_datetime64_any_dtype(series):
        columns.dates.append(name)
    elif ptypes.is_bool_dtype(series):
        columns.categories.append(name)
    elif ptypes.is_numeric_dtype(series):
        if _has_finite_values(series) and not is_id_like(name, series):
            columns.measures.append(name)
    elif _is_label_per_row(name, series, distinct):
        return
    elif distinct <= MAX_BAR_CATEGORIES or distinct < 0.5 * series.notna().sum():
        columns.categories.append(name)


def _is_label_per_row(name: str, series: pd.Series, distinct: int) -> bool:
    """Text ids (a code per row) make one bar per row: no use as categories."""
    nearly_all = distinct >= NEARLY_UNIQUE * series.notna().sum()
    return nearly_all and is_id_like(name, series)


def _has_finite_values(series: pd.Series) -> bool:
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    return bool(np.isfinite(values).sum() >= 2)


Scored = list[tuple[float, ChartSpec]]


def _time_candidates(frame: pd.DataFrame, dataset: str, columns: Columns) -> Scored:
    if not columns.dates:
        return []
    date = columns.dates[0]
    bucket = choose_bucket(frame[date])
    measures: list[str | None] = [*columns.measures] or [None]
    line = _spec(dataset, "line", date, measures[0], bucket=bucket)

    period = bucket if bucket in ("day", "week") else "month"
    kpi = _spec(dataset, "kpi", date, measures[0], bucket=period)
    scored: Scored = [(100, line), (90, kpi)]
    scored += [(70 - n, _spec(dataset, "line", date, y, bucket=bucket))
               for n, y in enumerate(measures[1:3])]  # fmt: skip
    split = [c for c in columns.categories if columns.distinct[c] <= MAX_COLOR_SERIES]
    if split:
        spec = _spec(dataset, "line", date, measures[0], bucket=bucket, color=split[0])
        scored.append((78, spec))
    if _has_times_of_day(frame[date]):
        scored.append((66, _spec(dataset, "heatmap", date, measures[0])))
    return scored


def _has_times_of_day(dates: pd.Series) -> bool:
    present = dates.dropna()
    return bool(len(present) >= 24 and (present.dt.hour != 0).mean() > 0.2)


def _category_candidates(frame: pd.DataFrame, dataset: str, columns: Columns) -> Scored:
    scored: Scored = []
    measure = columns.measures[0] if columns.measures else None
    for rank, category in enumerate(columns.categories[:3]):
        distinct = columns.distinct[category]
        top_n = BAR_TOP_N if distinct > BAR_TOP_N else None
        bar = _spec(dataset, "bar", category, measure, top_n=top_n)
        # Fewer categories read better; the first category column is usually key.
        scored.append((85 - 5 * rank - min(distinct, 30) / 10, bar))
        if distinct <= MAX_PIE_SLICES and _is_positive(frame, measure):
            scored.append((72 - 5 * rank, _spec(dataset, "donut" if rank else "pie",
                                                  category, measure)))  # fmt: skip
        if measure is not None and _has_spread(frame, category, distinct):
            box = _spec(dataset, "box", category, measure)
            scored.append((50 - 5 * rank, box))
    for extra in columns.measures[1:2] if columns.categories else []:
        scored.append((60, _spec(dataset, "bar", columns.categories[0], extra)))
    return scored


def _has_spread(frame: pd.DataFrame, category: str, distinct: int) -> bool:
    """A box plot needs several rows per category, say five on average."""
    return (
        distinct <= MAX_BAR_CATEGORIES and frame[category].notna().sum() >= 5 * distinct
    )


def _measure_candidates(frame: pd.DataFrame, dataset: str, columns: Columns) -> Scored:
    measures = columns.measures
    scored: Scored = []
    if measures:
        scored.append((55, _spec(dataset, "histogram", measures[0], None)))
    if len(measures) >= 2:
        x, y = measures[0], measures[1]
        strength = _correlation(frame, x, y)
        scatter = _spec(dataset, "scatter", x, y, trend=strength > 0.3)
        scored.append((58 + 20 * strength, scatter))
    if len(columns.categories) >= 2:
        first, second = columns.categories[:2]
        if columns.distinct[first] <= 30 and columns.distinct[second] <= 30:
            heatmap = _spec(dataset, "heatmap", first, None, color=second)
            scored.append((45, heatmap))
    return scored


def _correlation(frame: pd.DataFrame, x: str, y: str) -> float:
    pair = frame[[x, y]].astype("float64").replace([np.inf, -np.inf], np.nan).dropna()
    if len(pair) < 3 or pair[x].std() == 0 or pair[y].std() == 0:
        return 0.0
    return float(abs(np.corrcoef(pair[x], pair[y])[0, 1]))


def _spec(dataset: str, kind: str, x: str, y: str | None, **fields: Any) -> ChartSpec:
    agg = fields.pop("agg", "sum") if y is not None else "count"
    return ChartSpec.model_validate(
        {"kind": kind, "dataset": dataset, "x": x, "y": y, "agg": agg, **fields}
    )


def _is_positive(frame: pd.DataFrame, y: str | None) -> bool:
    """Pies of negative values mislead; offer them only for non-negative measures."""
    return y is None or bool((frame[y].dropna() >= 0).all())
