"""A measure as a time series: aggregation grain, sum or mean, complete periods.

Every row of a measure is read once: its sum and count per day (per hour for hourly
grains) are computed with ``numpy.bincount`` and kept in ``Context.cache``; coarser
grains (week, month, quarter, year) are resampled from those daily totals, so the
detectors that each ask for a measure at some grain share one pass over the rows.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from nbdash.insights.context import Context, Skip

logger = logging.getLogger(__name__)

Aggregation = Literal["sum", "mean"]

_LEVEL = re.compile(
    r"price|rate|ratio|avg|average|mean|temp|percent|pct|score|level|index|share|"
    r"per[ _]|co2|speed|age|weight|height|volume|balance|stock|inventory|value|"
    r"margin|discount|cpu|memory|latency|duration",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"revenue|sales|amount|total|units|qty|quantity|count|orders|spend|cost|"
    r"profit|income|visits|clicks|sessions|signups|items|sold|fee|payment",
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
_UNEQUAL = {"month", "quarter", "year"}
_GUESS_SAMPLE = 20_000
MAX_POINTS = 3_000


@dataclass
class TimeSeries:
    """One measure aggregated over time: values per period start, and how."""

    values: pd.Series
    grain: str
    how: Aggregation
    measure: str

    @property
    def unequal_periods(self) -> bool:
        """Whether the periods differ in length (months, quarters, years)."""
        return self.grain in _UNEQUAL

    def per_day(self) -> pd.Series:
        """The values divided by each period's length in days (sums only).

        Sums over months of 28 to 31 days are compared per day, so a month is not
        said to fall because it is shorter.
        """
        index = pd.DatetimeIndex(self.values.index)
        offset = pd.tseries.frequencies.to_offset(GRAIN_FREQ[self.grain])
        days = (index + offset - index) / pd.Timedelta(days=1)
        per_day: pd.Series = self.values / np.asarray(days, dtype="float64")
        return per_day


GRAIN_FREQ = {name: freq for name, freq, _ in _FREQS}
"""The pandas frequency of each grain."""


@dataclass
class _Times:
    """Facts about the time column that every measure shares."""

    valid: np.ndarray
    step: pd.Timedelta
    first: pd.Timestamp
    last: pd.Timestamp
    distinct: int


def _times(context: Context) -> _Times:
    cached = context.cache.get("times")
    if isinstance(cached, _Times):
        return cached
    times = context.roles.time_values
    if times is None:
        raise Skip(
            "No time column was found, so trends, changes, anomalies and "
            "seasonality were not computed. Choose one in the settings."
        )
    stamps = times.to_numpy(dtype="datetime64[ns]")
    valid = ~np.isnat(stamps)
    distinct = np.unique(stamps[valid])
    step = pd.Timedelta(np.median(np.diff(distinct))) if len(distinct) > 1 else None
    facts = _Times(
        valid=valid,
        step=step if step is not None else pd.Timedelta(0),
        first=pd.Timestamp(distinct[0] if len(distinct) else 0),
        last=pd.Timestamp(distinct[-1] if len(distinct) else 0),
        distinct=len(distinct),
    )
    context.cache["times"] = facts
    return facts


def native_step(times: pd.Series) -> pd.Timedelta:
    """The median spacing of the distinct timestamps."""
    distinct = pd.Series(times.dropna().unique()).sort_values()
    return pd.Timedelta(distinct.diff().median())


def aggregation(context: Context, measure: str) -> Aggregation:
    """How periods aggregate a measure: "sum" for amounts, "mean" for levels.

    The settings decide first (``InsightSettings.aggregation``), then the name
    (prices, rates, temperatures are levels; revenue, units, orders are amounts),
    then the values: shares between 0 and 1 and readings that hover around their
    level (coefficient of variation under 0.25) are averaged; counts and other
    amounts are summed.
    """
    chosen = context.settings.aggregation.get(measure)
    if chosen is not None:
        return chosen
    if _LEVEL.search(measure):
        return "mean"
    if _AMOUNT.search(measure):
        return "sum"
    return _guess_from_values(context.frame[measure])


def _guess_from_values(values: pd.Series) -> Aggregation:
    sample = values.dropna()
    if len(sample) > _GUESS_SAMPLE:
        sample = sample.sample(_GUESS_SAMPLE, random_state=0)
    x = sample.to_numpy(dtype="float64")
    if len(x) == 0:
        return "sum"
    whole = bool(np.all(x == np.round(x)))
    if x.min() >= 0 and x.max() <= 1 and not whole:
        return "mean"
    if whole and x.min() >= 0:
        return "sum"
    mean = float(np.mean(x))
    spread = float(np.std(x)) / abs(mean) if mean else np.inf
    return "mean" if x.min() < 0 or spread < 0.25 else "sum"


def measure_series(
    context: Context, measure: str, grain: str | None = None
) -> TimeSeries:
    """Aggregate ``measure`` over the time column at ``grain`` (None: finest sound)."""
    key = ("series", measure, grain)
    cached = context.cache.get(key)
    if isinstance(cached, TimeSeries):
        return cached

    facts = _times(context)
    if facts.distinct < 3:
        raise Skip(
            f"{measure}: fewer than 3 distinct dates, too few for time insights."
        )
    name, freq = _grain(facts, grain)
    how = aggregation(context, measure)

    if name == "minute":
        out = _resample_rows(context, measure, freq, how)
    else:
        sums, counts = _base_totals(context, measure, "h" if name == "hour" else "D")
        out = _from_totals(sums, counts, freq, how)
    if out.count() < 3:
        raise Skip(
            f"{measure}: fewer than 3 periods with values, too few for time insights."
        )

    series = TimeSeries(_complete(out, facts, freq), name, how, measure)
    context.cache[key] = series
    return series


def _base_totals(
    context: Context, measure: str, unit: str
) -> tuple[pd.Series, pd.Series]:
    """Sum and count of a measure per day or hour, from one pass over its rows."""
    key = ("totals", measure, unit)
    if key in context.cache:
        totals: tuple[pd.Series, pd.Series] = context.cache[key]
        return totals
    codes, origin = _codes(context, unit)
    values = context.frame[measure].to_numpy(dtype="float64", na_value=np.nan)
    keep = (codes >= 0) & ~np.isnan(values)

    size = int(codes.max()) + 1 if len(codes) else 0
    sums = np.bincount(codes[keep], weights=values[keep], minlength=size)
    counts = np.bincount(codes[keep], minlength=size)
    index = pd.date_range(origin, periods=size, freq=unit)
    result = (pd.Series(sums, index), pd.Series(counts, index))
    context.cache[key] = result
    return result


def _codes(context: Context, unit: str) -> tuple[np.ndarray, pd.Timestamp]:
    """Each row's day (or hour) as a number from the first one; -1 when no time."""
    key = ("codes", unit)
    if key not in context.cache:
        facts = _times(context)
        times = context.roles.time_values
        assert times is not None
        stamps = times.to_numpy(dtype="datetime64[ns]").astype(f"datetime64[{unit}]")
        numbers = stamps.astype("int64")
        origin = int(numbers[facts.valid].min())
        codes = np.where(facts.valid, numbers - origin, -1)
        start = pd.Timestamp(np.int64(origin).astype(f"datetime64[{unit}]"))
        context.cache[key] = (codes, start)
    cached: tuple[np.ndarray, pd.Timestamp] = context.cache[key]
    return cached


def _from_totals(sums: pd.Series, counts: pd.Series, freq: str, how: str) -> pd.Series:
    total = sums.resample(freq, label="left", closed="left").sum()
    count = counts.resample(freq, label="left", closed="left").sum()
    empty = count.to_numpy() == 0
    out = total if how == "sum" else total / count.where(~empty)
    return out.mask(empty)


def _resample_rows(context: Context, measure: str, freq: str, how: str) -> pd.Series:
    times = context.roles.time_values
    assert times is not None
    values = context.frame[measure]
    keep = times.notna() & values.notna()
    series = pd.Series(values[keep].to_numpy(dtype="float64"), index=times[keep])
    resampled = series.sort_index().resample(freq, label="left", closed="left")
    return resampled.sum(min_count=1) if how == "sum" else resampled.mean()


def _grain(facts: _Times, grain: str | None) -> tuple[str, str]:
    if grain is not None:
        return grain, GRAIN_FREQ[grain]
    step = facts.step
    span = facts.last - facts.first
    if step < pd.Timedelta(hours=1) and span / step <= MAX_POINTS:
        return "minute", pd.tseries.frequencies.to_offset(step).freqstr
    for name, freq, size in _FREQS:
        if size >= step * 0.9 and span / size <= MAX_POINTS:
            return name, freq
    return "year", "YS"


def _complete(out: pd.Series, facts: _Times, freq: str) -> pd.Series:
    """Drop a first or last period the data covers only in part."""
    if len(out) < 3:
        return out
    step = facts.step
    offset = pd.tseries.frequencies.to_offset(freq)
    last_end = out.index[-1] + offset
    if facts.last + step < last_end - step * 0.5:
        out = out.iloc[:-1]
    if facts.first - step > out.index[0] + step * 0.5:
        out = out.iloc[1:]
    return out


def change_grain(series: TimeSeries) -> str:
    """The grain of period-over-period comparisons for a series' span and spacing."""
    index = series.values.index
    span = index[-1] - index[0]
    order = [name for name, _, _ in _FREQS]
    if span < pd.Timedelta(days=21):
        by_span = "day"
    elif span < pd.Timedelta(days=120):
        by_span = "week"
    elif span < pd.Timedelta(days=4 * 366):
        by_span = "month"
    else:
        by_span = "quarter"
    native = series.grain if series.grain in order else "hour"
    return max(by_span, native, key=order.index)
