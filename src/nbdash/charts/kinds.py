"""Per-kind data computation: each function turns the cleaned rows into plotted data.

:func:`compute` picks the function for a spec's kind and replaces ``result.frame``
(the cleaned rows from :func:`nbdash.charts.data.chart_data`) with what is plotted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nbdash.charts.data import (
    WEEKDAYS,
    ChartData,
    aggregate,
    bucketed,
    collapse_rest,
    sort_categories,
)

if TYPE_CHECKING:
    from nbdash.charts.spec import ChartSpec

logger = logging.getLogger(__name__)

BOX_COLUMNS = ["count", "min", "q1", "median", "q3", "max", "mean"]


def compute(spec: ChartSpec, result: ChartData) -> None:
    """Replace ``result.frame`` by the data ``spec`` plots."""
    compute_kind: dict[str, Callable[[ChartSpec, ChartData], pd.DataFrame]] = {
        "line": _series,
        "area": _series,
        "bar": _categories,
        "pie": _categories,
        "donut": _categories,
        "scatter": _scatter,
        "histogram": _histogram,
        "box": _box,
        "heatmap": _heatmap,
        "kpi": _kpi_periods,
    }
    result.frame = compute_kind[spec.kind](spec, result).reset_index(drop=True)


def _series(spec: ChartSpec, result: ChartData) -> pd.DataFrame:
    work = result.frame.assign(**{spec.x: bucketed(result.frame[spec.x], spec.bucket)})
    keys = [spec.x] if spec.color is None else [spec.x, spec.color]
    values = spec.value_names

    if spec.color is None and spec.y is not None and _is_unique_sorted(work[spec.x]):
        # One row per x already: aggregating would give the same values, slowly.
        plotted = work[[spec.x, *values]]
    else:
        plotted = aggregate(spec, work, keys, values)
    if spec.rolling is not None:
        plotted = _rolling(spec, plotted, values)
    return plotted


def _is_unique_sorted(x: pd.Series) -> bool:
    """Whether x only increases: sorted with no two neighbours equal.

    Comparing neighbours is linear and vectorised; ``Series.is_unique`` hashes every
    value and took 2 of 2.5 seconds on a 2M-point series.
    """
    if not x.is_monotonic_increasing:
        return False
    values = x.to_numpy()
    return bool(len(values) < 2 or (values[1:] != values[:-1]).all())


def _rolling(spec: ChartSpec, plotted: pd.DataFrame, values: list[str]) -> pd.DataFrame:
    window = spec.rolling or 1
    if spec.color is None:
        smooth = plotted[values].rolling(window, min_periods=1).mean()
    else:
        groups = plotted.groupby(spec.color, sort=False, observed=True)[values]
        smooth = groups.transform(lambda s: s.rolling(window, min_periods=1).mean())
    return plotted.assign(**{name: smooth[name] for name in values})


def _categories(spec: ChartSpec, result: ChartData) -> pd.DataFrame:
    work = result.frame.assign(**{spec.x: bucketed(result.frame[spec.x], spec.bucket)})
    work = collapse_rest(spec, work, result)
    keys = [spec.x] if spec.color is None else [spec.x, spec.color]

    plotted = aggregate(spec, work, keys, spec.value_names)
    return sort_categories(spec, plotted, work, result.other)


def _scatter(spec: ChartSpec, result: ChartData) -> pd.DataFrame:
    work = result.frame.dropna(subset=[spec.x, spec.value_name])
    columns = [spec.x, spec.value_name, *(c for c in (spec.color, spec.size) if c)]
    return work[columns].sort_values(spec.x, kind="stable")


def _histogram(spec: ChartSpec, result: ChartData) -> pd.DataFrame:
    values = result.frame[spec.x].dropna().to_numpy(dtype="float64")
    edges = np.histogram_bin_edges(values, bins=spec.bins or _auto_bins(values))
    if spec.color is None:
        counts, _ = np.histogram(values, bins=edges)
        return _bins_frame(edges, counts)

    parts = []
    for name, group in result.frame.groupby(spec.color, sort=True, observed=True):
        counts, _ = np.histogram(group[spec.x].dropna().to_numpy(float), bins=edges)
        parts.append(_bins_frame(edges, counts).assign(**{spec.color: name}))
    frame = pd.concat(parts, ignore_index=True)
    return frame[["bin_start", "bin_end", spec.color, "count"]]


def _auto_bins(values: np.ndarray) -> int:
    """Sturges-like bin count from the data, between 5 and 60 bins."""
    if len(values) < 2 or np.ptp(values) == 0:
        return 1
    edges = np.histogram_bin_edges(values, bins="auto")
    return int(min(max(len(edges) - 1, 5), 60))


def _bins_frame(edges: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"bin_start": edges[:-1], "bin_end": edges[1:], "count": counts}
    )


def _box(spec: ChartSpec, result: ChartData) -> pd.DataFrame:
    work = result.frame.assign(**{spec.x: bucketed(result.frame[spec.x], spec.bucket)})
    work = collapse_rest(spec, work, result)
    grouped = work.groupby(spec.x, sort=True, observed=True)[spec.value_name]

    stats = grouped.describe().rename(
        columns={"25%": "q1", "50%": "median", "75%": "q3"}
    )
    stats = stats[stats["count"] > 0].reset_index()
    return _with_fences(stats[[spec.x, *BOX_COLUMNS]], work, spec)


def _with_fences(
    stats: pd.DataFrame, work: pd.DataFrame, spec: ChartSpec
) -> pd.DataFrame:
    """Whiskers end at the furthest value within 1.5 IQR of the box (Tukey)."""
    spread = stats["q3"] - stats["q1"]
    low_limit = (stats["q1"] - 1.5 * spread).to_numpy()
    high_limit = (stats["q3"] + 1.5 * spread).to_numpy()

    lows, highs = [], []
    for number, key in enumerate(stats[spec.x]):
        values = work.loc[work[spec.x] == key, spec.value_name].dropna()
        inside = values[(values >= low_limit[number]) & (values <= high_limit[number])]
        lows.append(inside.min())
        highs.append(inside.max())
    return stats.assign(lower_fence=lows, upper_fence=highs)


def _heatmap(spec: ChartSpec, result: ChartData) -> pd.DataFrame:
    if spec.color is None:
        return _weekday_hour(spec, result.frame)
    work = result.frame.assign(**{spec.x: bucketed(result.frame[spec.x], spec.bucket)})
    work = collapse_rest(spec, work, result)
    return aggregate(spec, work, [spec.x, spec.color], [spec.value_name])


def _weekday_hour(spec: ChartSpec, work: pd.DataFrame) -> pd.DataFrame:
    stamps = work[spec.x]
    labelled = work.assign(
        weekday=pd.Categorical.from_codes(
            stamps.dt.day_of_week.to_numpy(dtype="int64"), categories=pd.Index(WEEKDAYS)
        ),
        hour=stamps.dt.hour,
    )
    grouped = labelled.groupby(["weekday", "hour"], sort=True, observed=True)
    if spec.y is None:
        return grouped.size().rename(spec.value_name).reset_index()
    return grouped[spec.value_name].agg(spec.agg).reset_index()


def _kpi_periods(spec: ChartSpec, result: ChartData) -> pd.DataFrame:
    bucket = spec.bucket or "month"
    work = result.frame.assign(period=bucketed(result.frame[spec.x], bucket))
    grouped = work.groupby("period", sort=True)
    if spec.y is None:
        return grouped.size().rename("value").reset_index()
    return grouped[spec.value_name].agg(spec.agg).rename("value").reset_index()
