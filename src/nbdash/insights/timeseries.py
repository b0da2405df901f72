"""Detectors over time: trend, period change with drivers, anomalies, seasonality.

Each reads every row, aggregated per period (:mod:`nbdash.insights.series`), so a
million rows become a few thousand points before any model runs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from nbdash.charts.spec import ChartSpec
from nbdash.insights import fmt
from nbdash.insights.anomaly import (
    Anomaly,
    decompose,
    detect_anomalies,
    has_unit_root,
    seasonal_period,
)
from nbdash.insights.context import Context, Skip
from nbdash.insights.model import Insight
from nbdash.insights.series import GRAIN_FREQ, TimeSeries, change_grain, measure_series

logger = logging.getLogger(__name__)

MIN_TREND_POINTS = 8
MIN_RELATIVE_TREND = 0.05
CHANGE_Z = 2.5
MIN_SEASON_EFFECT = 0.1
_CHART_BUCKETS = {"day", "week", "month", "quarter", "year"}


def _measures(context: Context) -> list[str]:
    if not context.roles.measures:
        raise Skip("No numeric measure was found for time insights.")
    return context.roles.measures[:6]


def _chart(context: Context, series: TimeSeries, grain: str | None = None) -> ChartSpec:
    bucket = grain or series.grain
    agg = "mean" if series.how == "mean" else "sum"
    assert context.roles.time is not None
    return ChartSpec(
        kind="line",
        dataset=context.dataset,
        x=context.roles.time,
        y=series.measure,
        agg=agg,
        bucket=bucket if bucket in _CHART_BUCKETS else None,
    )


def _hac_pvalue(y: np.ndarray, x: np.ndarray | None) -> tuple[float, float]:
    """(coefficient, p-value) of OLS with Newey-West errors: slope on x, or the mean."""
    # The regression module alone: statsmodels.api imports every model family.
    from statsmodels.regression.linear_model import OLS

    ones = np.ones((len(y), 1))
    design = ones if x is None else np.column_stack([ones, x])
    lags = max(1, int(4 * (len(y) / 100) ** (2 / 9)))
    fit = OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    return float(fit.params[-1]), float(fit.pvalues[-1])


def trend(context: Context) -> list[Insight]:
    """Overall and recent trend of each measure, when distinguishable from noise."""
    found = []
    for measure in _measures(context):
        series = measure_series(context, measure)
        y = series.values.interpolate().dropna()
        if len(y) < MIN_TREND_POINTS:
            raise Skip(f"{measure}: fewer than {MIN_TREND_POINTS} periods for a trend.")
        item = _trend(context, series, y, "over the whole period")
        if item is not None:
            found.append(item)
        recent = y.iloc[-max(MIN_TREND_POINTS, len(y) // 4) :]
        if len(recent) < len(y) * 0.6:
            item = _trend(
                context,
                series,
                recent,
                f"since {fmt.date(recent.index[0], _dgrain(series))}",
            )
            if item is not None:
                item.score *= 0.9
                found.append(item)
    return found


def _cycle(y: pd.Series) -> np.ndarray:
    """The seasonal cycle of a series (zero without one), removed before trend tests."""
    period = seasonal_period(pd.DatetimeIndex(y.index))
    if period is None or len(y) < 3 * period:
        return np.zeros(len(y))
    expected, _ = decompose(y, period)
    trend_only, _ = decompose(y, None)
    cycle = (
        pd.Series(expected - trend_only)
        .groupby(np.arange(len(y)) % period)
        .transform("median")
    )
    return cycle.to_numpy()


def _dgrain(series: TimeSeries) -> str:
    return series.grain if series.grain != "hour" else "minute"


def _trend(
    context: Context, series: TimeSeries, y: pd.Series, when: str
) -> Insight | None:
    """A trend is claimed only when the OLS slope (HAC errors) and the mean of the
    first differences (HAC errors, which a random walk does not pass) both are
    significant, and the fitted change is at least 5% of the level."""
    values = y.to_numpy(dtype="float64")
    values = values - _cycle(y)
    t = np.arange(len(values), dtype="float64")
    slope, intercept = np.polyfit(t, values, 1)
    start, end = float(intercept), float(intercept + slope * t[-1])
    size = end - start
    level = max(abs(start), abs(values).mean(), 1e-12)
    # The size is checked first: most measures have no trend worth a sentence, and
    # then statsmodels and scipy.stats (about a second of imports) are not loaded.
    if abs(size) / level < MIN_RELATIVE_TREND:
        return None
    p_value = _trend_pvalue(values, t, context.settings.significance)
    if p_value is None:
        return None

    money = fmt.is_money(series.measure)
    direction = "rose" if size > 0 else "fell"
    grain = _dgrain(series)
    rel = f" by {fmt.percent(size / start)}" if start > 0 else ""
    per = (
        f" a {series.grain}"
        if series.how == "sum" and series.grain in _CHART_BUCKETS
        else ""
    )
    sentence = (
        f"{fmt.label(series.measure)} {direction} steadily {when}{rel}, from about "
        f"{fmt.number(start, money=money)} to {fmt.number(end, money=money)}{per} "
        f"({fmt.date(y.index[0], grain)} to {fmt.date(y.index[-1], grain)})."
    )
    evidence = {
        "measure": series.measure,
        "start": y.index[0],
        "end": y.index[-1],
        "fitted_start": start,
        "fitted_end": end,
        "slope_per_period": float(slope),
        "p_value": p_value,
        "periods": len(values),
        "grain": series.grain,
        "aggregation": series.how,
    }
    score = 0.45 + min(0.35, abs(size) / level / 2)
    return Insight("trend", sentence, score, evidence, _chart(context, series))


def _trend_pvalue(values: np.ndarray, t: np.ndarray, alpha: float) -> float | None:
    """The larger p-value of the slope and of the mean first difference (HAC), or
    None when either is not under ``alpha`` (the second test is skipped then)."""
    _, p_slope = _hac_pvalue(values, t)
    if p_slope >= alpha:
        return None
    _, p_diff = _hac_pvalue(np.diff(values), None)
    return None if p_diff >= alpha else max(p_slope, p_diff)


def change(context: Context) -> list[Insight]:
    """Last complete period against the previous one (and a year earlier), with drivers.

    A change is stated when it is at least 2.5 times the typical period-to-period
    difference (MAD of the differences) and at least 5% of the previous value.
    """
    found = []
    for measure in _measures(context):
        base = measure_series(context, measure)
        grain = change_grain(base)
        series = (
            base if grain == base.grain else measure_series(context, measure, grain)
        )
        found += _change(context, series)
    return found


def _change(context: Context, series: TimeSeries) -> list[Insight]:
    from nbdash.insights.anomaly import robust_scale

    daily = series.how == "sum" and series.unequal_periods
    values = (series.per_day() if daily else series.values).dropna()
    if len(values) < 4:
        return []
    last, prev = float(values.iloc[-1]), float(values.iloc[-2])
    scale = robust_scale(np.diff(values.to_numpy()[:-1]))
    z = (last - prev) / scale
    if abs(z) < CHANGE_Z or abs(last - prev) < 0.05 * abs(prev) or prev == 0:
        return []

    found = [_change_insight(context, series, values, z, daily)]
    if series.how == "sum" and "driver" in context.settings.kinds:
        at = (values.index[-2], values.index[-1])
        found += _drivers(context, series, at, last - prev, daily)
    return found


def _change_insight(
    context: Context, series: TimeSeries, values: pd.Series, z: float, daily: bool
) -> Insight:
    """The sentence of a change; sums over months (quarters, years) compared per day."""
    last, prev = float(values.iloc[-1]), float(values.iloc[-2])
    money = fmt.is_money(series.measure)
    grain = series.grain
    rel = (last - prev) / abs(prev)
    subject = f"{fmt.label(series.measure)}{' per day' if daily else ''}"
    figures = f"{fmt.number(last, money=money)} against {fmt.number(prev, money=money)}"
    if daily:
        totals = series.values
        figures += (
            f" a day; totals {fmt.number(float(totals[values.index[-1]]), money=money)}"
            f" and {fmt.number(float(totals[values.index[-2]]), money=money)}"
        )
    sentence = (
        f"{subject} {'rose' if rel > 0 else 'fell'} {fmt.percent(rel)} in "
        f"{fmt.date(values.index[-1], grain)} compared with "
        f"{fmt.date(values.index[-2], grain)} ({figures})."
    )
    evidence = {
        "measure": series.measure,
        "period": values.index[-1],
        "previous_period": values.index[-2],
        "value": float(series.values[values.index[-1]]),
        "previous": float(series.values[values.index[-2]]),
        "per_day": daily,
        "compared_value": last,
        "compared_previous": prev,
        "change": last - prev,
        "relative_change": rel,
        "z": z,
        "grain": grain,
        "aggregation": series.how,
    }
    sentence = _year_ago(values, grain, sentence, evidence)
    score = 0.5 + min(0.4, abs(rel) / 2 + abs(z) / 50)
    return Insight("change", sentence, score, evidence, _chart(context, series))


def _year_ago(
    values: pd.Series, grain: str, sentence: str, evidence: dict[str, Any]
) -> str:
    """Add the same period a year earlier to a change's sentence, when present."""
    year_ago = values.index[-1] - pd.DateOffset(years=1)
    if year_ago not in values.index or values[year_ago] == 0:
        return sentence
    last, before = float(values.iloc[-1]), float(values[year_ago])
    yoy = (last - before) / abs(before)
    evidence.update(year_ago=before, relative_change_year=yoy)
    where = "above" if yoy > 0 else "below"
    return sentence[:-1] + f"; {fmt.percent(yoy)} {where} {fmt.date(year_ago, grain)}."


def _drivers(
    context: Context,
    series: TimeSeries,
    at: tuple[pd.Timestamp, pd.Timestamp],
    total: float,
    daily: bool,
) -> list[Insight]:
    """Each category's share of the change (per day when the change is per day)."""
    times = context.roles.time_values
    assert times is not None
    prev_at, last_at = at
    offset = pd.tseries.frequencies.to_offset(GRAIN_FREQ[series.grain])
    window = (times >= prev_at) & (times < last_at + offset)
    rows = context.frame.loc[window]
    period = np.where(times[window] >= last_at, "last", "prev")
    days = {"prev": 1.0, "last": 1.0}
    if daily:
        days = {
            "prev": (last_at - prev_at).days,
            "last": (last_at + offset - last_at).days,
        }

    found = []
    for column in context.roles.categories[:4]:
        table = rows.groupby([rows[column], period], observed=True)[
            series.measure
        ].sum()
        sums = table.unstack(fill_value=0).reindex(
            columns=["prev", "last"], fill_value=0.0
        )
        delta = sums["last"] / days["last"] - sums["prev"] / days["prev"]
        delta = delta.sort_values(ascending=total < 0)
        if delta.empty or np.sign(delta.iloc[0]) != np.sign(total):
            continue
        found.append(
            _driver_insight(context, series, column, delta, total, last_at, daily)
        )
    found.sort(key=lambda item: -item.score)
    return found[:2]


def _driver_insight(
    context: Context,
    series: TimeSeries,
    column: str,
    delta: pd.Series,
    total: float,
    last_at: pd.Timestamp,
    daily: bool,
) -> Insight:
    top, amount = str(delta.index[0]), float(delta.iloc[0])
    share = amount / total
    money = fmt.is_money(series.measure)
    word = "rise" if total > 0 else "fall"
    lead = "Most" if share >= 0.5 else "The largest part"
    sentence = (
        f"{lead} of the {word} in {series.measure} in "
        f"{fmt.date(last_at, series.grain)} came from {column} {top} "
        f"({fmt.signed(amount, money=money)}{' a day' if daily else ''}, "
        f"{fmt.percent(share)} of the change)."
    )
    evidence = {
        "measure": series.measure,
        "column": column,
        "value": top,
        "contribution": amount,
        "total_change": total,
        "share": share,
        "per_day": daily,
        "period": last_at,
        "contributions": {str(k): float(v) for k, v in delta.head(5).items()},
    }
    chart = ChartSpec(
        kind="bar", dataset=context.dataset, x=column, y=series.measure, top_n=10
    )
    return Insight("driver", sentence, 0.45 + min(0.4, abs(share) / 3), evidence, chart)


def anomalies(context: Context) -> list[Insight]:
    """Spikes, dips and level shifts, judged against trend and seasonality."""
    found = []
    for measure in _measures(context):
        series = measure_series(context, measure)
        values = series.values.interpolate().dropna()
        if len(values) < 10:
            raise Skip(f"{measure}: fewer than 10 periods, too few to judge anomalies.")
        items = detect_anomalies(values)
        # The unit-root test runs only on a measure with candidates: with none, its
        # answer would change nothing (and statsmodels need not be loaded).
        if items and has_unit_root(values):
            # A random walk leaves its usual range by itself: nothing in it is unusual
            # enough to call an anomaly with confidence. The other measures go on.
            context.note(
                f"{measure} wanders like a random walk (unit root not "
                "rejected), so no anomalies are claimed for it."
            )
            continue
        found += [_anomaly_insight(context, series, item) for item in items]
    return found


def _anomaly_insight(context: Context, series: TimeSeries, item: Anomaly) -> Insight:
    money = fmt.is_money(series.measure)
    when = fmt.date(item.at, _dgrain(series))
    name = fmt.label(series.measure)
    value, expected = (
        fmt.number(item.value, money=money),
        fmt.number(item.expected, money=money),
    )
    if item.kind in ("spike", "dip"):
        verb = "spiked" if item.kind == "spike" else "dipped"
        usual = (
            "the usual for a " + f"{item.at:%A}"
            if series.grain == "day"
            else "expected"
        )
        times = (
            f"{fmt.ratio(item.value / item.expected)} "
            if item.expected > 0 and item.value > 0
            else ""
        )
        sentence = (
            f"{name} {verb} on {when} ({value}, {times}against {expected} {usual})."
        )
        if not times:
            sentence = f"{name} {verb} on {when} ({value} against {expected} {usual})."
        sentence = sentence[:-1] + _why(item)
    else:
        verb = "rose" if item.kind == "shift up" else "dropped"
        sentence = (
            f"{name} {verb} to a new level from {when}: about {value}, "
            f"against {expected} before."
        )
    evidence = {
        "measure": series.measure,
        "at": item.at,
        "type": item.kind,
        "value": item.value,
        "expected": item.expected,
        "robust_z": item.score,
        "reason": item.reason,
        "grain": series.grain,
    }
    score = 0.5 + min(0.4, item.score / 40)
    return Insight("anomaly", sentence, score, evidence, _chart(context, series))


def _why(item: Anomaly) -> str:
    """The end of a spike's sentence: what makes it news beyond its size."""
    if item.reason == "record":
        side = "above" if item.kind == "spike" else "below"
        return f"; never this far {side} the usual before."
    if item.reason == "off rhythm":
        return "; an extra one, out of step with its regular rhythm."
    return "."


def seasonality(context: Context) -> list[Insight]:
    """Weekly and yearly patterns ("Saturdays are 40% above average")."""
    found = []
    for measure in _measures(context):
        base = measure_series(context, measure)
        step = pd.Timedelta(base.values.index.to_series().diff().median())
        if step <= pd.Timedelta(days=1) and len(base.values) >= 8:
            daily = (
                base if base.grain == "day" else measure_series(context, measure, "day")
            )
            found += _season(context, daily, 7, lambda i: i.day_of_week, "week")
        if step <= pd.Timedelta(days=32):
            monthly = (
                base
                if base.grain == "month"
                else measure_series(context, measure, "month")
            )
            found += _season(context, monthly, 12, lambda i: i.month, "year")
    return found


_DAYS = [
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
]
_MONTHS = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _season(
    context: Context,
    series: TimeSeries,
    period: int,
    key: Callable[[pd.DatetimeIndex], Any],
    cycle: str,
) -> list[Insight]:
    """A weekly or yearly pattern, when it is significant and large against noise.

    Monthly sums are compared per day, so February is not low for being short.
    """
    raw = (
        series.per_day()
        if series.how == "sum" and series.unequal_periods
        else series.values
    )
    values = raw.interpolate().dropna()
    if len(values) < 3 * period:
        return []
    level = values.rolling(period, center=True, min_periods=period // 2 + 1).mean()
    detrended = values - level
    phases = key(pd.DatetimeIndex(values.index))
    groups = detrended.groupby(phases)
    if groups.ngroups < period or groups.size().min() < 2:
        return []

    profile = groups.median()
    mean_level = float(level.mean())
    # Size first: a cycle too small to mention needs no test (nor scipy.stats).
    if not _season_is_large(series, detrended, profile, phases, mean_level):
        return []
    from scipy import stats  # type: ignore[import-untyped]

    _, p = stats.kruskal(*[g.dropna().to_numpy() for _, g in groups])
    if p >= context.settings.significance:
        return []
    return [_season_insight(context, series, profile, mean_level, cycle, float(p))]


def _season_is_large(
    series: TimeSeries,
    detrended: pd.Series,
    profile: pd.Series,
    phases: Any,
    mean_level: float,
) -> bool:
    """The cycle's range is at least the noise left after removing it (one sigma) and
    (for amounts) at least 10% of the level."""
    from nbdash.insights.anomaly import robust_scale

    amplitude = float(profile.max() - profile.min())
    left = detrended.to_numpy() - profile.reindex(phases).to_numpy()
    if amplitude < robust_scale(left[np.isfinite(left)]):
        return False
    effect = float(profile.abs().max()) / abs(mean_level) if mean_level else math.inf
    return not (series.how == "sum" and effect < MIN_SEASON_EFFECT)


def _season_insight(
    context: Context,
    series: TimeSeries,
    profile: pd.Series,
    mean_level: float,
    cycle: str,
    p: float,
) -> Insight:
    names = _DAYS if cycle == "week" else _MONTHS
    high, low = int(profile.idxmax()), int(profile.idxmin())  # type: ignore[call-overload]
    money = fmt.is_money(series.measure)
    name = fmt.label(series.measure)
    if cycle == "week":
        sentence = (
            f"{name}: {names[high]} are {fmt.percent(abs(profile[high] / mean_level))} "
            f"above average and {names[low]} "
            f"{fmt.percent(abs(profile[low] / mean_level))} below."
        )
    else:
        sentence = (
            f"{name} follows a yearly cycle: highest in {names[high]} "
            f"({fmt.signed(profile[high], money=money)} against the trend), lowest in "
            f"{names[low]} ({fmt.signed(profile[low], money=money)})."
        )
    evidence = {
        "measure": series.measure,
        "cycle": cycle,
        "peak": names[high],
        "trough": names[low],
        "peak_effect": float(profile[high]),
        "trough_effect": float(profile[low]),
        "average_level": mean_level,
        "p_value": p,
        "profile": {names[int(k)]: float(v) for k, v in profile.items()},  # type: ignore[call-overload]
    }
    score = 0.4 + min(0.4, float(profile.max() - profile.min()) / abs(mean_level))
    return Insight("seasonality", sentence, score, evidence, _chart(context, series))
