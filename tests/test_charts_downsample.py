"""Long series: downsampled to the budget with their spikes, re-sampled on zoom."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbdash.charts import POINT_BUDGET, ChartSpec, downsample

SPIKES = {12_345: 80.0, 150_000: -60.0, 299_000: 95.0}


@pytest.fixture(scope="module")
def long_frame() -> pd.DataFrame:
    """300,000 seconds of a noisy sine with three known spikes."""
    rng = np.random.default_rng(3)
    n = 300_000
    values = np.sin(np.arange(n) / 5000) + rng.normal(scale=0.05, size=n)
    for position, spike in SPIKES.items():
        values[position] = spike
    when = pd.date_range("2024-01-01", periods=n, freq="s")
    return pd.DataFrame({"when": when, "value": values})


def line_of(frame: pd.DataFrame) -> ChartSpec:
    return ChartSpec(kind="line", dataset="d", x="when", y="value")


def test_long_line_keeps_budget_and_spikes(long_frame: pd.DataFrame) -> None:
    figure = line_of(long_frame).to_figure(long_frame)

    trace = figure.data[0]
    assert len(trace.y) <= POINT_BUDGET
    kept = set(np.asarray(trace.y).tolist())
    assert set(SPIKES.values()) <= kept
    assert len(figure.to_json()) < 1_000_000
    times = pd.to_datetime(np.asarray(trace.x))
    assert times[0] == long_frame["when"].iloc[0]
    assert times[-1] == long_frame["when"].iloc[-1]


def test_zoom_resamples_the_visible_range(long_frame: pd.DataFrame) -> None:
    low, high = "2024-01-02 00:00:00", "2024-01-02 00:20:00"  # 1,201 seconds

    figure = line_of(long_frame).to_figure(long_frame, x_range=(low, high))

    times = pd.to_datetime(np.asarray(figure.data[0].x))
    inside = (long_frame["when"] >= low) & (long_frame["when"] <= high)
    # Every point of the view, plus one neighbour each side.
    assert len(times) == int(inside.sum()) + 2
    assert times[1] == pd.Timestamp(low) and times[-2] == pd.Timestamp(high)
    expected = long_frame.loc[inside, "value"].tolist()
    assert list(figure.data[0].y)[1:-1] == expected


def test_zoom_on_a_wide_range_is_downsampled_again(long_frame: pd.DataFrame) -> None:
    spec = line_of(long_frame)

    figure = spec.to_figure(long_frame, x_range=("2024-01-02", "2024-01-04"))

    times = pd.to_datetime(np.asarray(figure.data[0].x))
    assert len(times) <= POINT_BUDGET
    assert times.min() >= pd.Timestamp("2024-01-02") - pd.Timedelta(seconds=1)
    assert 150_000 in long_frame.index[long_frame["value"] == -60.0]
    assert -60.0 in set(np.asarray(figure.data[0].y).tolist())


def test_scatter_of_many_points_is_downsampled() -> None:
    n = 50_000
    frame = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.zeros(n)})
    frame.loc[777, "y"] = 9.0

    spec = ChartSpec(kind="scatter", dataset="d", x="x", y="y")
    trace = spec.to_figure(frame).data[0]

    assert len(trace.x) <= POINT_BUDGET
    assert 777.0 in set(np.asarray(trace.x).tolist())


@pytest.mark.parametrize("position", [0, 1, 2, 4997, 4998, 4999])
def test_a_spike_at_either_end_is_kept(position: int) -> None:
    # tsdownsample's MinMaxLTTB alone loses a spike on the last point but one.
    y = pd.Series(np.sin(np.arange(5000) / 300.0))
    y[position] = 42.0
    y[(position + 2500) % 5000] = -42.0

    kept = downsample(pd.Series(np.arange(5000)), y, budget=156)

    assert len(kept) <= 156 and len(set(kept.tolist())) == len(kept)
    assert position in kept and (position + 2500) % 5000 in kept
    assert kept[0] == 0 and kept[-1] == 4999 and (np.diff(kept) > 0).all()


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(min_value=5_000, max_value=40_000),
    spike_at=st.floats(min_value=0.0, max_value=1.0),
    budget=st.integers(min_value=100, max_value=2_000),
)
def test_downsample_keeps_the_extremes(n: int, spike_at: float, budget: int) -> None:
    y = pd.Series(np.sin(np.arange(n) / 300.0))
    position = int(spike_at * (n - 1))
    y[position] = 42.0

    kept = downsample(pd.Series(np.arange(n)), y, budget=budget)

    assert len(kept) <= budget
    assert position in set(kept.tolist())
    # The troughs of the wave stay: LTTB picks the point of largest triangle area per
    # bucket, which with 100+ points per bucket can sit a little off the very bottom
    # (1.1% of the wave's height was seen); 2.5% of the height is allowed.
    assert y.iloc[kept].min() <= y.min() + 0.05
    assert list(kept) == sorted(kept)
