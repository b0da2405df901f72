"""Chart suggestions from column types: the charts a person most likely wants first."""

from __future__ import annotations

import logging

import pandas as pd
from pandas.api import types as ptypes

from nbdash.charts.spec import Bucket, ChartSpec

logger = logging.getLogger(__name__)

MAX_BAR_CATEGORIES = 30
"""Above this many distinct values a column is not offered as bar categories."""
MAX_PIE_SLICES = 8
"""A pie is offered only for columns with at most this many distinct values."""
BAR_TOP_N = 10
"""Bars beyond this many categories are collapsed into "Other"."""
MAX_COLOR_SERIES = 5
"""A line chart is split by a category only when it has at most this many values."""

# (most days spanned, bucket): aims at roughly 30 to 80 points on a line.
_BUCKET_SPANS: list[tuple[float, Bucket]] = [
    (62, "day"),
    (366, "week"),
    (5 * 366, "month"),
    (20 * 366, "quarter"),
]


def suggest_charts(
    frame: pd.DataFrame, dataset: str, limit: int = 8
) -> list[ChartSpec]:
    """Return up to ``limit`` charts for ``frame``, the most useful first.

    A date and a number give a line over time (bucketed to fit the span); a category
    with few values and a number give a bar chart and, with at most eight values, a
    pie; a date and a category give a line per category; without numbers, rows are
    counted. ID-like columns (all values distinct) and constant columns are skipped.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"region": ["EU", "US", "EU"], "revenue": [1.0, 2.0, 3.0]})
    >>> [spec.display_title for spec in suggest_charts(frame, "sales")]
    ['Revenue by region', 'Share of revenue by region']
    """
    dates, numbers, categories = _classify(frame)
    candidates = _candidates(frame, dataset, dates, numbers, categories)

    unique: list[ChartSpec] = []
    for spec in candidates:
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


def _classify(frame: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    dates, numbers, categories = [], [], []
    for name in frame.columns:
        series = frame[name]
        distinct = series.nunique(dropna=True)
        if distinct < 2:
            continue
        if ptypes.is_datetime64_any_dtype(series):
            dates.append(str(name))
        elif ptypes.is_numeric_dtype(series) and not ptypes.is_bool_dtype(series):
            if not _is_identifier(series, distinct):
                numbers.append(str(name))
        elif distinct <= MAX_BAR_CATEGORIES:
            categories.append(str(name))
    return dates, numbers, categories


def _is_identifier(series: pd.Series, distinct: int) -> bool:
    """Whole numbers that are all different (1, 2, 3...) are labels, not measures."""
    return ptypes.is_integer_dtype(series) and distinct == series.notna().sum() > 2


def _candidates(
    frame: pd.DataFrame,
    dataset: str,
    dates: list[str],
    numbers: list[str],
    categories: list[str],
) -> list[ChartSpec]:
    specs: list[ChartSpec] = []
    date = dates[0] if dates else None
    bucket = choose_bucket(frame[date]) if date else None
    measures: list[str | None] = [*numbers] or [None]

    if date:
        specs.append(_line(dataset, date, measures[0], bucket))
    for category in categories[:1]:
        specs += _bar_and_pie(frame, dataset, category, measures[0])
    if date and categories:
        split = [c for c in categories if frame[c].nunique() <= MAX_COLOR_SERIES]
        for category in split[:1]:
            specs.append(_line(dataset, date, measures[0], bucket, color=category))
    if date:
        specs += [_line(dataset, date, y, bucket) for y in measures[1:]]
    for category in categories[1:]:
        specs += _bar_and_pie(frame, dataset, category, measures[0])[:1]
    for category in categories[:1]:
        specs += [_bar(frame, dataset, category, y) for y in measures[1:]]
    return specs


def _line(
    dataset: str, x: str, y: str | None, bucket: Bucket | None, color: str | None = None
) -> ChartSpec:
    agg = "sum" if y is not None else "count"
    return ChartSpec(
        kind="line", dataset=dataset, x=x, y=y, agg=agg, bucket=bucket, color=color
    )


def _bar(frame: pd.DataFrame, dataset: str, x: str, y: str | None) -> ChartSpec:
    top_n = BAR_TOP_N if frame[x].nunique() > BAR_TOP_N else None
    agg = "sum" if y is not None else "count"
    return ChartSpec(kind="bar", dataset=dataset, x=x, y=y, agg=agg, top_n=top_n)


def _bar_and_pie(
    frame: pd.DataFrame, dataset: str, x: str, y: str | None
) -> list[ChartSpec]:
    specs = [_bar(frame, dataset, x, y)]
    if frame[x].nunique() <= MAX_PIE_SLICES and _is_positive(frame, y):
        agg = "sum" if y is not None else "count"
        specs.append(ChartSpec(kind="pie", dataset=dataset, x=x, y=y, agg=agg))
    return specs


def _is_positive(frame: pd.DataFrame, y: str | None) -> bool:
    """Pies of negative values mislead; offer them only for non-negative measures."""
    return y is None or bool((frame[y].dropna() >= 0).all())
