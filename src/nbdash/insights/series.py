"""A measure as a time series: aggregation grain, sum or mean, complete periods."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pandas as pd

from nbdash.insights.context import Context, Skip

logger = logging.getLogger(__name__)

_LEVEL = re.compile(
    r"price|rate|ratio|avg|average|mean|temp|percent|pct|score|level|index|share|"
    r"per[ _]|co2|speed|age|weight|height|volume|balance|stock|inventory|value",
    re.IGNORECASE,
)
_FREQS = (
    ("hour", "h", pd.Timedelta(hours=1)),
    ("day", "D", pd.Timedelta(days=1)),
    ("week", "W-MON", pd.Timedelta(days=7)),
    ("month", "MS", pd.Timedelta(days=31)),
    ("quarter", "QS", pd.Timedelta(days=92)),
    ("year", "YS", pd.Timedelta(days=366)),
)
MAX_POINTS = 3_000


@dataclass
class TimeSeries:
    """One measure aggregated over time: values per period start, and how."""

    values: pd.Series
    grain: str
    how: str
    measure: str


def native_step(times: pd.Series) -> pd.Timedelta:
    """The median spacing of the distinct timestamps."""
    distinct = pd.Series(times.dropna().unique()).sort_values()
    return pd.Timedelta(distinct.diff().median())


def aggregation(context: Context, measure: str) -> str:
    """"mean" for levels (prices, rates, readings), "sum" for amounts."""
    times = context.roles.time_values
    assert times is not None
    if _LEVEL.search(measure):
        return "mean"
    return "sum"


def measure_series(context: Context, measure: str, grain: str | None = None) -> TimeSeries:
    """Aggregate ``measure`` over the time column at ``grain`` (None: finest sound)."""
    times = context.roles.time_values
    if times is None:
        raise Skip("No time column was found, so trends, changes, anomalies and "
                   "seasonality were not computed. Choose one in the settings.")
    values = context.frame[measure]
    keep = times.notna() & values.notna()
    if times[keep].nunique() < 3:
        raise Skip(f"{measure}: fewer than 3 distinct dates, too few for time insights.")

    step = native_step(times[keep])
    grain, freq = _grain(times[keep], step, grain)
    how = aggregation(context, measure)
    series = pd.Series(values[keep].to_numpy(dtype="float64"), index=times[keep])
    resampled = series.resample(freq, label="left", closed="left")
    out = resampled.sum(min_count=1) if how == "sum" else resampled.mean()
    out = _complete(out, times[keep], step, freq)
    return TimeSeries(out, grain, how, measure)


def _grain(times: pd.Series, step: pd.Timedelta, grain: str | None) -> tuple[str, str]:
    if grain is not None:
        return grain, dict((g, f) for g, f, _ in _FREQS)[grain]
    span = times.max() - times.min()
    if step < pd.Timedelta(hours=1) and span / step <= MAX_POINTS:
        return "minute", pd.tseries.frequencies.to_offset(step).freqstr
    for name, freq, size in _FREQS:
        if size >= step * 0.9 and span / size <= MAX_POINTS:
            return name, freq
    return "year", "YS"


def _complete(out: pd.Series, times: pd.Series, step: pd.Timedelta, freq: str) -> pd.Series:
    """Drop a first or last period the data covers only in part."""
    if len(out) < 3:
        return out
    offset = pd.tseries.frequencies.to_offset(freq)
    last_start = out.index[-1]
    last_end = last_start + offset
    if times.max() + step < last_end - step * 0.5:
        out = out.iloc[:-1]
    if times.min() - step > out.index[0] + step * 0.5:
        out = out.iloc[1:]
    return out


def change_grain(series: TimeSeries) -> str:
    """The grain of period-over-period comparisons for a series' span and spacing."""
    index = series.values.index
    span = index[-1] - index[0]
    order = [name for name, _, _ in _FREQS]
    by_span = ("day" if span < pd.Timedelta(days=21) else "week"
               if span < pd.Timedelta(days=120) else "month"
               if span < pd.Timedelta(days=4 * 366) else "quarter")
    native = series.grain if series.grain in order else "hour"
    return max(by_span, native, key=order.index)
