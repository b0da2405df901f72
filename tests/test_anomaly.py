"""Anomaly detector: returns of a level, records among equal bursts, weak echoes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nbdash.insights.anomaly import detect_anomalies

HOURS = 24 * 30
START, END = 24 * 12, 24 * 16


@pytest.fixture(autouse=True)
def nbdash_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", module="nbdash")
        yield


def hourly(levels: dict[tuple[int, int], float], seed: int = 3) -> pd.Series:
    """Level 50 with noise of sigma 1, plus ``levels`` added over ranges."""
    rng = np.random.default_rng(seed)
    hours = np.arange(HOURS)
    x = 50 + rng.normal(0, 1, len(hours))
    for (first, last), level in levels.items():
        x[first:last] += level
    index = pd.date_range("2024-01-01", periods=HOURS, freq="h")
    return pd.Series(x, index=index)


def test_plateau_is_one_shift_dated_at_its_start():
    found = detect_anomalies(hourly({(START, END): 12.0}))
    shifts = [item for item in found if item.kind.startswith("shift")]
    assert [item.kind for item in shifts] == ["shift up"]
    assert abs(shifts[0].position - START) <= 6
    # The return comes at END; the old code reported it as a shift down there.
    after = [item for item in found if item.position >= END - 6]
    assert after == [], f"the return at hour {END} was reported: {after}"


def test_dip_that_recovers_is_one_shift_down():
    found = detect_anomalies(hourly({(START, END): -12.0}))
    kinds = [(item.kind, item.position) for item in found]
    assert [k for k, _ in kinds if k.startswith("shift")] == ["shift down"]
    assert not [p for _, p in kinds if p >= END - 6]


def test_second_shift_to_a_new_level_is_kept():
    # Up 12 at START, then down 24 at END: the level ends 12 below where it began,
    # which is a new level, not a return.
    found = detect_anomalies(hourly({(START, END): 12.0, (END, HOURS): -12.0}))
    shifts = sorted(
        (item.position, item.kind) for item in found if item.kind.startswith("shift")
    )
    assert [kind for _, kind in shifts] == ["shift up", "shift down"]
    assert abs(shifts[0][0] - START) <= 6 and abs(shifts[1][0] - END) <= 6


def bursts(tall_from: int) -> pd.Series:
    """A flat level with a burst every 40 hours: +100 until ``tall_from``, +250
    after it, so the first tall burst is the only one of a new size. No noise, so
    equal bursts score exactly alike."""
    x = np.full(HOURS, 50.0)
    for hour in range(20, HOURS, 40):
        x[hour] += 100.0 if hour < tall_from else 250.0
    index = pd.date_range("2024-01-01", periods=HOURS, freq="h")
    return pd.Series(x, index=index)


def test_first_burst_of_a_new_size_is_a_record():
    found = detect_anomalies(bursts(tall_from=300))
    # Eleven tall bursts: none stands out from the others, but the first goes past
    # every earlier value by far.
    assert [(item.position, item.kind, item.reason) for item in found] == [
        (300, "spike", "record")
    ]


def test_no_record_while_the_usual_extremes_are_still_unseen():
    # Tall bursts from hour 60, inside the warm-up (the first 15%): none is a
    # record, and seventeen equal ones are not news.
    assert detect_anomalies(bursts(tall_from=60)) == []


def test_weak_echoes_of_a_huge_spike_are_not_reported():
    x = hourly({})
    x.iloc[300] += 500.0
    for hour in (100, 500, 600):
        x.iloc[hour] += 9.0
    found = detect_anomalies(x)
    assert [(item.position, item.kind) for item in found] == [(300, "spike")]


def test_record_is_said_in_the_insight():
    from nbdash.insights import find_insights

    series = bursts(tall_from=300)
    frame = pd.DataFrame({"time": series.index, "load": series.to_numpy()})
    report = find_insights(frame, {"kinds": ["anomaly"]}, name="servers")
    [item] = report.insights
    assert item.evidence["reason"] == "record"
    assert item.evidence["at"] == "2024-01-13T12:00:00"
    assert item.sentence.endswith("; never this far above the usual before.")


def spike_train(positions: list[int]) -> pd.Series:
    """A flat level with equal spikes of +100 at ``positions`` (hours)."""
    x = np.full(HOURS, 50.0)
    x[positions] += 100.0
    index = pd.date_range("2024-01-01", periods=HOURS, freq="h")
    return pd.Series(x, index=index)


def test_extra_beat_in_a_regular_rhythm_is_reported():
    # Every 30 hours (out of step with the day, so the daily cycle cannot hold
    # them), plus one 15 hours after the beat at hour 350.
    beats = list(range(20, HOURS, 30))
    found = detect_anomalies(spike_train([*beats, 365]))
    assert [(item.position, item.kind, item.reason) for item in found] == [
        (365, "spike", "off rhythm")
    ]


def test_irregular_spikes_have_no_rhythm_to_break():
    rng = np.random.default_rng(8)
    gaps = rng.integers(5, 60, 40)
    positions = [int(p) for p in np.cumsum(gaps) if p < HOURS]
    found = detect_anomalies(spike_train(positions))
    assert not [item for item in found if item.reason == "off rhythm"]


def test_extra_beat_is_said_in_the_insight():
    from nbdash.insights import find_insights

    series = spike_train([*range(20, HOURS, 30), 365])
    frame = pd.DataFrame({"time": series.index, "load": series.to_numpy()})
    report = find_insights(frame, {"kinds": ["anomaly"]}, name="servers")
    [item] = report.insights
    assert item.evidence["reason"] == "off rhythm"
    assert item.sentence.endswith(
        "; an extra one, out of step with its regular rhythm."
    )


def smooth_cycle(bump: float) -> pd.Series:
    """A daily swing of +-30 around 50 with noise of sigma 0.01, plus ``bump`` at
    hour 400. The middle half of a sine's values spans 2 * 30 * sin(pi / 4) = 42.4,
    so 2% of it is 0.85."""
    rng = np.random.default_rng(5)
    hours = np.arange(HOURS)
    x = 50 + 30 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 0.01, HOURS)
    x[400] += bump
    index = pd.date_range("2024-01-01", periods=HOURS, freq="h")
    return pd.Series(x, index=index)


def test_departure_too_small_to_matter_is_not_reported():
    # 0.5 is 50 noise sigmas but 1.2% of the middle half's spread (under 2%).
    assert detect_anomalies(smooth_cycle(0.5)) == []


def test_material_spike_in_a_clean_cycle_is_reported():
    [item] = detect_anomalies(smooth_cycle(8.0))
    assert (item.position, item.kind) == (400, "spike")
    assert item.value - item.expected == pytest.approx(8.0, abs=0.1)


def busy_days(seed: int) -> pd.Series:
    """Level 80 with noise of sigma 2 from 9:00 to 18:00, level 20 with sigma 1
    otherwise: nothing but noise, twice as wide in busy hours."""
    rng = np.random.default_rng(seed)
    hours = np.arange(HOURS)
    busy = (hours % 24 >= 9) & (hours % 24 < 18)
    x = np.where(busy, 80 + rng.normal(0, 2, HOURS), 20 + rng.normal(0, 1, HOURS))
    index = pd.date_range("2024-01-01", periods=HOURS, freq="h")
    return pd.Series(x, index=index)


def test_spread_usual_at_each_time_of_day():
    from nbdash.insights.anomaly import _phase_spread

    rng = np.random.default_rng(2)
    hours = np.arange(HOURS)
    busy = (hours % 24 >= 9) & (hours % 24 < 18)
    residual = rng.normal(0, 1, HOURS) * np.where(busy, 4.0, 0.5)
    spread = _phase_spread(residual, 24)
    inner = busy & (hours % 24 >= 10) & (hours % 24 < 17)
    quiet = (hours % 24 < 8) | (hours % 24 >= 19)
    assert np.median(spread[inner]) == pytest.approx(4.0, rel=0.15)
    assert np.median(spread[quiet]) == pytest.approx(0.5, rel=0.15)
    assert _phase_spread(residual, None) == 0.0


def test_busy_hour_noise_is_not_new_after_quiet_hours():
    # Seed 5: 73.4 at 12:00 on 24 Jan is 7.3 sigmas of the last 300 hours'
    # spread (mostly quiet hours) below their median, but only 3.3 busy-hour
    # sigmas (-6.6 against a noise of 2) below the busy level of 80: noise.
    assert detect_anomalies(busy_days(5)) == []


def test_spike_in_busy_hours_is_still_reported():
    x = busy_days(5)
    x.iloc[400] += 30.0  # 16:00, 15 busy-hour sigmas
    assert [(item.position, item.kind) for item in detect_anomalies(x)] == [
        (400, "spike")
    ]
