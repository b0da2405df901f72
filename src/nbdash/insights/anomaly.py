"""Anomalies in one time series: spikes, dips and level shifts, dated and scored.

Candidates come from three views of the series, each scored as a robust z-score
(median and MAD):

- the residual after removing a rolling-median trend and the median cycle per phase
  (a day for sub-daily data, a week for daily, a year for weekly or monthly);
- the distance of each point from the median of the :data:`LOCAL_WINDOW` points
  before it, in units of their own spread (what is new given recent history), but
  never of less than the spread usual at that time of the cycle: busy hours often
  vary more than quiet ones;
- level shifts: the median of the next ``w`` points against the previous ``w``.

A shift that takes the level back to where an earlier shift left it (within
half the earlier jump, :data:`RETURN_TOLERANCE`) is not a new event: the episode is
dated at its start, and spikes or dips in the return's direction within one shift
window of it are dropped too.

Candidates closer than a merge gap are one event (the strongest is kept). An event
is reported when its z-score is at least :data:`MIN_Z` (:data:`SHIFT_Z` for a
shift) and it stands out from the series' own events of the same view: at least
:data:`MIN_RELATIVE` times the median score of that view's ten strongest events, and
at least :data:`MIN_SHARE_OF_TOP` of the strongest one. So a series full of equal
spikes reports none of them, and a single spike in a calm series is reported.

A spike or dip that goes past every earlier residual by a wide margin (a record:
:data:`RECORD_MARGIN` times the previous record's distance from the centre, after a
warm-up of :data:`RECORD_WARMUP` of the series) is reported even among equal ones:
the first burst of a new size is news, the ones after it are not. So is an extra
beat in a regular rhythm of similar spikes (:func:`_rhythm_breaks`): a nightly job
that ran twice.

Whatever its z-score, a spike or dip smaller than :data:`MATERIAL` of the spread
of the middle half of the values is not reported: in a series with almost no noise
a rounding step scores a huge z but is not news.

One parameter set serves every series (chosen on the whole NAB corpus,
``benchmarks/bench_nab.py``, so its figures there are not out-of-sample; the return
rule, the record and rhythm rules, :data:`MIN_SHARE_OF_TOP`, :data:`MATERIAL` and
the time-of-cycle spread were designed and tuned looking at the series of half A
only, half B held out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

CANDIDATE_Z = 4.0
MIN_Z = 7.0
MIN_RELATIVE = 1.05
SHIFT_Z = 5.0
SHIFT_EFFECT = 2.0
LOCAL_WINDOW = 300
MAX_ANOMALIES = 6
RETURN_TOLERANCE = 0.5
MIN_SHARE_OF_TOP = 0.05
RECORD_MARGIN = 0.5
RECORD_WARMUP = 0.15
RHYTHM_BEATS = 8
RHYTHM_SHARE = 0.5
RHYTHM_SPREAD = 0.15
RHYTHM_EARLY = 0.5
MATERIAL = 0.02
PHASE_POOL = 1 / 24
PHASE_CYCLES = 8
_REFERENCE_EVENTS = 10
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
    reason: Literal["outstanding", "record", "off rhythm"] = "outstanding"
    """Why it is news: it stands out from the series' other events, it went past
    every earlier value by far (trend and cycle removed), or it broke a regular
    rhythm of equal spikes."""


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
        period = round(day / step)
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
    return period if period >= 2 and len(index) >= 2 * period + 1 else None


def decompose(values: pd.Series, period: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Return (expected, residual): a robust trend plus cycle, and what is left.

    The trend is a centred rolling median over one cycle (or a twentieth of the
    series without one); the cycle is the median detrended value at each phase.
    Medians keep a spike out of both, so it stays in the residual.
    """
    x = values.to_numpy(dtype="float64")
    expected = _rolling_trend(x, period)
    if period:
        expected = expected + _cycle(x - expected, period)
    return expected, x - expected


def _rolling_trend(x: np.ndarray, period: int | None) -> np.ndarray:
    window = period if period else max(5, len(x) // 20)
    width = min(window | 1, len(x))
    # Full windows only, the ends carried outwards: a half window at either end
    # would take part of the cycle for trend and invent spikes there.
    rolling = pd.Series(x).rolling(width, center=True, min_periods=width).median()
    return np.asarray(rolling.bfill().ffill().to_numpy())


def _cycle(detrended: np.ndarray, period: int) -> np.ndarray:
    """The median of the detrended values at each phase of the cycle, per point."""
    phase = np.arange(len(detrended)) % period
    cycle = pd.Series(detrended).groupby(phase).median()
    return np.asarray(cycle.to_numpy()[phase])


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
        At most this many anomalies are returned, the most outstanding first.
    shifts
        Whether level shifts are looked for too.

    Returns
    -------
    list of Anomaly
        The events that stand out from the series' own events (see the module).
    """
    if len(values) < 10 or values.nunique() <= 1:
        return []
    if period is None:
        period = seasonal_period(pd.DatetimeIndex(values.index))
    gap = max(3, (period or 0) // 2, len(values) // 100)

    expected, residual = decompose(values, period)
    residual_view = _spikes(values, expected, residual)
    returns: list[Anomaly] = []
    width = 0
    if shifts:
        found, returns, width = _shifts(values, period)
        residual_view += found
    # What is new given recent history is judged without the cycle, so a busy
    # Saturday is not news after a quiet week.
    cycle = expected - _rolling_trend(values.to_numpy(dtype="float64"), period)
    local_view = _local(values, cycle, _phase_spread(residual, period))
    # A level going back where it was is part of the earlier shift.
    views = [
        _strongest(_away_from(view, returns, width), gap)
        for view in (residual_view, local_view)
    ]

    records = _records(residual, period)
    chosen = [item for view in views for item in _outstanding(view, records, gap)]
    chosen += [
        (MIN_RELATIVE, item)
        for item in _rhythm_breaks(values, expected, residual, period)
    ]
    chosen.sort(key=lambda pair: -pair[0])
    kept = _strongest([item for _, item in chosen], gap, ordered=True)
    return kept[:limit]


def _outstanding(
    view: list[Anomaly], records: np.ndarray, gap: int
) -> list[tuple[float, Anomaly]]:
    """(relative score, event) of the events that stand out from their view.

    ``records`` holds the signed positions of record points (+ highs, - lows); a
    spike or dip within ``gap`` of one is kept whatever its relative score.
    """
    scores = [item.score for item in view[:_REFERENCE_EVENTS]]
    scores += [CANDIDATE_Z] * (_REFERENCE_EVENTS - len(scores))
    reference = float(np.median(scores))
    # A far weaker echo of a huge event is not news beside it.
    least = MIN_SHARE_OF_TOP * view[0].score if view else 0.0
    found = []
    for item in view:
        relative = item.score / reference
        if item.score < max(_least_z(item), least):
            continue
        if _is_record(item, records, gap):
            item.reason = "record"
        if relative >= MIN_RELATIVE or item.reason == "record":
            found.append((max(relative, MIN_RELATIVE), item))
    return found


def _records(residual: np.ndarray, period: int | None) -> np.ndarray:
    """Signed positions (+ for highs, - for lows) where the residual passes its
    earlier extreme by :data:`RECORD_MARGIN` times that extreme's distance from the
    median. None before the warm-up: :data:`RECORD_WARMUP` of the series and two
    cycles, so the usual extremes have been seen once."""
    start = max(int(len(residual) * RECORD_WARMUP), 2 * (period or 0), 10)
    if len(residual) <= start:
        return np.array([], dtype=int)
    found = []
    for sign in (1, -1):
        x = sign * (residual - np.median(residual))
        before = np.maximum.accumulate(x)[start - 1 : -1]
        ahead = x[start:] - before
        passed = (before > 0) & (ahead >= RECORD_MARGIN * np.maximum(before, 0))
        found.append(sign * (start + np.flatnonzero(passed)))
    return np.concatenate(found)


def _is_record(item: Anomaly, records: np.ndarray, gap: int) -> bool:
    if item.kind not in ("spike", "dip") or len(records) == 0:
        return False
    sign = 1 if item.kind == "spike" else -1
    near = records[np.sign(records) == sign] * sign
    return bool(np.any(np.abs(near - item.position) <= gap))


def _least_z(item: Anomaly) -> float:
    # A shift's z already measures a difference of two medians of many points
    # against its standard error, so it needs less than a single point.
    return SHIFT_Z if item.kind.startswith("shift") else MIN_Z


def _strongest(
    found: list[Anomaly], gap: int, *, ordered: bool = False
) -> list[Anomaly]:
    """Strongest first, dropping events within ``gap`` points of a stronger one."""
    order = found if ordered else sorted(found, key=lambda item: -item.score)
    kept: list[Anomaly] = []
    for item in order:
        if all(abs(item.position - other.position) > gap for other in kept):
            kept.append(item)
    return kept


def _spikes(
    values: pd.Series, expected: np.ndarray, residual: np.ndarray
) -> list[Anomaly]:
    scale = robust_scale(residual)
    z = (residual - np.median(residual)) / scale
    return _events(values, expected, z)


def _local(
    values: pd.Series, cycle: np.ndarray, usual: np.ndarray | float
) -> list[Anomaly]:
    """Points far from the median of the points just before them (cycle removed),
    in units of their spread, never less than ``usual``: the spread usual at each
    point's time of the cycle (:func:`_phase_spread`)."""
    x = pd.Series(values.to_numpy(dtype="float64") - cycle)
    width = max(10, min(LOCAL_WINDOW, len(x) // 4))
    before = x.shift(1)
    centre = before.rolling(width, min_periods=width // 2).median()
    spread = (before - centre).abs().rolling(width, min_periods=width // 2).median()
    overall = robust_scale((x - centre).to_numpy())
    # A calm stretch (spread near 0) must not make every wiggle after it huge.
    scale = np.maximum(spread.to_numpy() * MAD_TO_SIGMA, 0.1 * overall)
    # Recent history mixes quiet and busy hours: a swing usual at the busy peak
    # of the day is not new there.
    scale = np.maximum(scale, usual)
    z = np.nan_to_num((x - centre).to_numpy() / scale)
    return _events(values, centre.to_numpy() + cycle, z)


def _phase_spread(residual: np.ndarray, period: int | None) -> np.ndarray | float:
    """Per point, the residual's spread (MAD as a sigma) usual at its phase of the
    cycle, pooled with the phases within :data:`PHASE_POOL` of a cycle either side
    (an hour for sub-daily data); 0 without a cycle or with fewer than
    :data:`PHASE_CYCLES` cycles to judge from."""
    if not period or len(residual) < PHASE_CYCLES * period:
        return 0.0
    deviation = np.abs(residual - np.median(residual))
    phase = np.arange(len(residual)) % period
    per_phase = pd.Series(deviation).groupby(phase).median().to_numpy()
    side = max(1, round(PHASE_POOL * period))
    circular = np.concatenate([per_phase[-side:], per_phase, per_phase[:side]])
    pooled = pd.Series(circular).rolling(2 * side + 1, center=True).median()
    return np.asarray(pooled.to_numpy()[side:-side][phase] * MAD_TO_SIGMA)


def _material(values: pd.Series, expected: np.ndarray) -> np.ndarray:
    """Per point, whether it departs from the expected value by a size that matters:
    at least :data:`MATERIAL` of the spread of the middle half of the values.

    In a series with almost no noise a rounding step scores a huge z; a reader
    would not call 0.4 on a daily swing from 20 to 80 a spike.
    """
    x = values.to_numpy(dtype="float64")
    low, high = np.percentile(x, [25, 75])
    with np.errstate(invalid="ignore"):
        return np.asarray(np.abs(x - expected) >= MATERIAL * (high - low))


def _events(values: pd.Series, expected: np.ndarray, z: np.ndarray) -> list[Anomaly]:
    strong = (np.abs(z) > CANDIDATE_Z) & _material(values, expected)
    found: list[Anomaly] = []
    for position in np.flatnonzero(strong):
        kind: Literal["spike", "dip"] = "spike" if z[position] > 0 else "dip"
        found.append(
            Anomaly(
                pd.Timestamp(values.index[int(position)]),
                int(position),
                kind,
                float(values.iloc[position]),
                float(expected[position]),
                float(abs(z[position])),
            )
        )
    return found


def _away_from(
    found: list[Anomaly], returns: list[Anomaly], width: int
) -> list[Anomaly]:
    """The events that are not a return of a level seen point by point.

    A dip within ``width`` points of a level falling back (a spike near one
    rising back) is that return, already accounted for by the earlier shift.
    """
    return [
        item
        for item in found
        if not any(_part_of(item, back, width) for back in returns)
    ]


def _part_of(item: Anomaly, back: Anomaly, width: int) -> bool:
    same_way = (item.kind in ("dip", "shift down")) == (back.kind == "shift down")
    return same_way and abs(item.position - back.position) <= width


def _shifts(
    values: pd.Series, period: int | None
) -> tuple[list[Anomaly], list[Anomaly], int]:
    """(level shifts, returns of a level to where a shift left it, window)."""
    x = values.to_numpy(dtype="float64")
    width = max(10, period or 0, len(x) // 50)
    if len(x) < 3 * width:
        return [], [], width
    before = pd.Series(x).rolling(width).median().to_numpy()
    after = pd.Series(x[::-1]).rolling(width).median().to_numpy()[::-1]
    jump = np.full(len(x), np.nan)
    jump[width : len(x) - width + 1] = (
        after[width : len(x) - width + 1] - before[width - 1 : len(x) - width]
    )
    local = pd.Series(x).rolling(width, center=True, min_periods=1).median().to_numpy()
    noise = robust_scale(x - local)
    effect = jump / noise
    # A difference of two medians of `width` points has a standard error of about
    # 1.25 * sqrt(2 / width) noise sigmas; demand both significance and size.
    z = effect / (1.25 * np.sqrt(2 / width))
    z[np.abs(effect) < SHIFT_EFFECT] = 0
    shifts, returns = _split_returns(_peaks(values, x, z, width))
    return shifts, returns, width


def _split_returns(shifts: list[Anomaly]) -> tuple[list[Anomaly], list[Anomaly]]:
    """(shifts, returns): a return takes the level back where an earlier shift
    left it.

    A level that rises and later falls back (or falls and recovers) is one
    episode, dated at its start; the return is not a second anomaly.
    """
    kept: list[Anomaly] = []
    returns: list[Anomaly] = []
    for item in sorted(shifts, key=lambda shift: shift.position):
        undoes = any(_returns(item, earlier) for earlier in kept)
        (returns if undoes else kept).append(item)
    return sorted(kept, key=lambda shift: -shift.score), returns


def _returns(later: Anomaly, earlier: Anomaly) -> bool:
    """Whether ``later`` undoes ``earlier``: opposite, ending near its old level."""
    jump = earlier.value - earlier.expected
    back = later.value - later.expected
    if jump * back >= 0:
        return False
    return abs(later.value - earlier.expected) <= RETURN_TOLERANCE * abs(jump)


def _peaks(
    values: pd.Series, x: np.ndarray, z: np.ndarray, width: int
) -> list[Anomaly]:
    found: list[Anomaly] = []
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
            Anomaly(
                pd.Timestamp(values.index[position]),
                position,
                kind,
                level_after,
                level_before,
                float(strength[position]),
            )
        )
        strength[max(0, position - width) : position + width] = 0
    return found


def _rhythm_breaks(
    values: pd.Series, expected: np.ndarray, residual: np.ndarray, period: int | None
) -> list[Anomaly]:
    """Spikes (or dips) that come early in a regular rhythm of similar ones.

    Beats are the residual's runs past :data:`MIN_Z` that reach at least
    :data:`RHYTHM_SHARE` of the typical strong one (flags within a fiftieth of a
    cycle are one beat). With at least :data:`RHYTHM_BEATS` beats whose spacing
    varies by at most :data:`RHYTHM_SPREAD` of its median (MAD), a beat at most
    :data:`RHYTHM_EARLY` of that spacing after the previous one is an extra beat: a
    nightly job that ran twice, spikes that came twice as often.
    """
    z = (residual - np.median(residual)) / robust_scale(residual)
    material = _material(values, expected)
    found: list[Anomaly] = []
    for sign in (1.0, -1.0):
        beats = _beats(sign * z, max(2, (period or 0) // 48))
        if len(beats) < RHYTHM_BEATS:
            continue
        spacing = np.diff(beats)
        usual = float(np.median(spacing))
        if np.median(np.abs(spacing - usual)) > RHYTHM_SPREAD * usual:
            continue
        kind: Literal["spike", "dip"] = "spike" if sign > 0 else "dip"
        extra = _extra_beats(beats, RHYTHM_EARLY * usual)
        for position in [p for p in extra if material[p]]:
            found.append(
                Anomaly(
                    pd.Timestamp(values.index[position]),
                    int(position),
                    kind,
                    float(values.iloc[position]),
                    float(expected[position]),
                    float(abs(z[position])),
                    "off rhythm",
                )
            )
    return found


def _extra_beats(beats: np.ndarray, early: float) -> list[int]:
    """Beats at most ``early`` after the last regular beat; the beat after an
    extra one is measured from the regular beat before it, so it is on time."""
    # TODO: an extra beat more than half a spacing after the last regular one
    # counts as regular, and the on-time beat after it is the one reported (NAB
    # ec2_cpu_utilization_24ae8d: 3614 instead of 3547). Judging beats against the
    # rhythm's grid (off it, between two regular beats one spacing apart) names
    # the right one, but on NAB it moved flags onto other beats of jittery
    # rhythms (held-out false alarms +1), so it waits for a better jitter model.
    extra, last = [], int(beats[0])
    for position in beats[1:]:
        if position - last <= early:
            extra.append(int(position))
        else:
            last = int(position)
    return extra


def _beats(z: np.ndarray, within: int) -> np.ndarray:
    """Positions of the strong runs of ``z`` past MIN_Z (the peak of each); a run
    spans at most ``within`` points after its first flag."""
    flagged = np.flatnonzero(z >= MIN_Z)
    runs: list[list[int]] = []
    for position in flagged:
        if not runs or position - runs[-1][0] > within:
            runs.append([])
        runs[-1].append(int(position))
    peaks = np.array([run[int(np.argmax(z[run]))] for run in runs], dtype=int)
    if len(peaks) == 0:
        return peaks
    typical = float(np.median(np.sort(z[peaks])[::-1][:_REFERENCE_EVENTS]))
    strong: np.ndarray = peaks[z[peaks] >= RHYTHM_SHARE * typical]
    return strong
