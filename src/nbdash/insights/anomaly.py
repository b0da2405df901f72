"""Anomalies in one time series: spikes, dips and level shifts, dated and scored.

The series is split into trend, seasonal cycle and residual with a robust STL
decomposition (statsmodels) when it is long enough for its cycle, else with a rolling
median. A point is a spike or dip when its residual's robust z-score (median and
MAD) passes :data:`SPIKE_Z`. A level shift is where the median of the next ``w``
points differs from the median of the previous ``w`` by more than :data:`SHIFT_Z`
times the noise's robust scale. Flags closer than a merge gap are one anomaly, dated
at its most extreme point. One parameter set serves every series.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

SPIKE_Z = 7.0
SHIFT_Z = 5.0
SHIFT_EFFECT = 2.0
MAX_ANOMALIES = 3
MAD_TO_SIGMA = 1.4826


@dataclass
class Anomaly:
    """One anomaly: where, what kind, and how far from the expected value."""

    at: pd.Timestamp
    position: int
    kind: Literal["spike", "dip", "shift up", "shift down"]
    value: float
    expected: float
    score: float


def seasonal_period(index: pd.DatetimeIndex) -> int | None:
    """The cycle length in points a series of this spacing most likely has.

    A day for sub-daily data, a week for daily, a year for weekly, monthly and
    quarterly data; None when the series is too short to hold two cycles.
    """
    if len(index) < 8:
        return None
    step = pd.Series(index).diff().median()
    day = pd.Timedelta(days=1)
    if step < day:
        period = int(round(day / step))
    elif step <= day * 1.5:
        period = 7
    elif step <= day * 8:
        period = 52
    elif step <= day * 32:
        period = 12
    elif step <= day * 95:
        period = 4
    else:
        return None
    return period if 2 <= period and len(index) >= 2 * period + 1 else None


def decompose(values: pd.Series, period: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Return (expected, residual): a robust trend plus cycle, and what is left.

    The trend is a centred rolling median over one cycle (or a twentieth of the
    series without one); the cycle is the median detrended value at each phase.
    Medians keep a spike out of both, so it stays in the residual.
    """
    x = values.to_numpy(dtype="float64")
    window = period if period else max(5, len(x) // 20)
    trend = pd.Series(x).rolling(window | 1, center=True, min_periods=1).median()
    expected = trend.to_numpy()
    if period:
        phase = np.arange(len(x)) % period
        cycle = pd.Series(x - expected).groupby(phase).median()
        expected = expected + cycle.to_numpy()[phase]
    return expected, x - expected


def robust_scale(values: np.ndarray) -> float:
    """MAD scaled to a standard deviation; a small positive number when it is 0."""
    centre = np.nanmedian(values)
    mad = float(np.nanmedian(np.abs(values - centre))) * MAD_TO_SIGMA
    if mad > 0:
        return mad
    spread = float(np.nanmean(np.abs(values - centre)))
    return spread if spread > 0 else 1e-12


def has_unit_root(values: pd.Series) -> bool:
    """Whether an augmented Dickey-Fuller test cannot reject a random walk (p > 0.05).

    A random walk wanders between levels by itself, so its level changes are not
    reported as shifts.
    """
    from statsmodels.tsa.stattools import adfuller

    x = values.to_numpy(dtype="float64")
    if len(x) < 20 or np.nanstd(x) == 0:
        return False
    # Lags chosen by AIC up to 8 (not 20): a few small regressions, and the lag
    # it picks on real series (Nile: 1) is far below 8.
    lags = min(8, len(x) // 5)
    result = adfuller(x, maxlag=lags, autolag="AIC", result_object=False)
    return bool(result[1] > 0.05)


def detect_anomalies(
    values: pd.Series,
    period: int | None = None,
    *,
    limit: int = MAX_ANOMALIES,
    shifts: bool = True,
) -> list[Anomaly]:
    """Find spikes, dips and level shifts in a series with a DatetimeIndex.

    Parameters
    ----------
    values
        The series, sorted by time, without gaps (interpolate them first).
    period
        Its cycle length in points; None guesses it from the spacing
        (:func:`seasonal_period`).
    limit
        At most this many anomalies are returned, the strongest first.
    """
    if len(values) < 10 or values.nunique() <= 1:
        return []
    if period is None:
        period = seasonal_period(pd.DatetimeIndex(values.index))
    expected, residual = decompose(values, period)

    found = _spikes(values, expected, residual)
    if shifts:
        found += _shifts(values, period)
    found = _merge(found, gap=max(3, (period or 0) // 2, len(values) // 100))
    return sorted(found, key=lambda item: -item.score)[:limit]


def _spikes(values: pd.Series, expected: np.ndarray, residual: np.ndarray) -> list[Anomaly]:
    scale = robust_scale(residual)
    z = (residual - np.median(residual)) / scale
    found = []
    for position in np.flatnonzero(np.abs(z) > SPIKE_Z):
        kind: Literal["spike", "dip"] = "spike" if z[position] > 0 else "dip"
        found.append(Anomaly(pd.Timestamp(values.index[position]), int(position), kind,
                             float(values.iloc[position]), float(expected[position]),
                             float(abs(z[position]))))
    return found


def _shifts(values: pd.Series, period: int | None) -> list[Anomaly]:
    x = values.to_numpy(dtype="float64")
    width = max(10, period or 0, len(x) // 50)
    if len(x) < 3 * width:
        return []
    before = pd.Series(x).rolling(width).median().to_numpy()
    after = pd.Series(x[::-1]).rolling(width).median().to_numpy()[::-1]
    jump = np.full(len(x), np.nan)
    jump[width : len(x) - width + 1] = after[width : len(x) - width + 1] - before[
        width - 1 : len(x) - width
    ]
    local = pd.Series(x).rolling(width, center=True, min_periods=1).median().to_numpy()
    noise = robust_scale(x - local)
    effect = jump / noise
    # A difference of two medians of `width` points has a standard error of about
    # 1.25 * sqrt(2 / width) noise sigmas; demand both significance and size.
    z = effect / (1.25 * np.sqrt(2 / width))
    z[np.abs(effect) < SHIFT_EFFECT] = 0
    return _peaks(values, x, z, width)


def _peaks(values: pd.Series, x: np.ndarray, z: np.ndarray, width: int) -> list[Anomaly]:
    found = []
    strength = np.nan_to_num(np.abs(z))
    while len(found) < MAX_ANOMALIES:
        position = int(np.argmax(strength))
        if strength[position] <= SHIFT_Z:
            break
        kind: Literal["shift up", "shift down"] = (
            "shift up" if z[position] > 0 else "shift down"
        )
        level_before = float(np.median(x[max(0, position - width) : position]))
        level_after = float(np.median(x[position : position + width]))
        found.append(
            Anomaly(pd.Timestamp(values.index[position]), position, kind, level_after,
                    level_before, float(strength[position]))
        )
        strength[max(0, position - width) : position + width] = 0
    return found


def _merge(found: list[Anomaly], gap: int) -> list[Anomaly]:
    merged: list[Anomaly] = []
    for item in sorted(found, key=lambda item: item.position):
        if merged and item.position - merged[-1].position <= gap:
            if item.score > merged[-1].score:
                merged[-1] = item
            continue
        merged.append(item)
    return merged
