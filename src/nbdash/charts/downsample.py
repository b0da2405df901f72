"""Fewer points, same shape: downsampling of long series before they are plotted.

A browser draws a few thousand points per trace smoothly; millions of points make a
figure of hundreds of megabytes. Series longer than :data:`POINT_BUDGET` are reduced
with tsdownsample's MinMaxLTTB: a min/max pre-selection keeps every spike, then
largest-triangle-three-buckets picks the points that keep the line's shape. When the
user zooms, the visible x range is cut out first and downsampled again, so detail
appears as the range narrows.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

POINT_BUDGET = 4000
"""The most points one trace sends to the browser."""

XRange = tuple[Any, Any]
"""A visible x range ``(low, high)``: numbers, dates or plotly's date strings."""


def clip_to_range(x: pd.Series, x_range: XRange | None) -> np.ndarray:
    """Return the positions of ``x`` (sorted) within ``x_range``, one more each side.

    The extra point on each side lets a line run to the edges of the view.
    """
    positions = np.arange(len(x))
    if x_range is None or len(x) == 0:
        return positions
    low, high = (_as_x_value(bound, x) for bound in x_range)
    if low > high:
        low, high = high, low

    values = x.to_numpy()
    start = max(int(np.searchsorted(values, low, side="left")) - 1, 0)
    stop = min(int(np.searchsorted(values, high, side="right")) + 1, len(values))
    return positions[start:stop]


def downsample(x: pd.Series, y: pd.Series, budget: int = POINT_BUDGET) -> np.ndarray:
    """Return the positions of at most ``budget`` points that keep the series' shape.

    ``x`` must be sorted ascending (numbers or datetimes); ``y`` numeric without
    missing values. Short series come back whole.

    Examples
    --------
    >>> x = pd.Series(range(100_000))
    >>> y = pd.Series(np.zeros(100_000))
    >>> y[70_123] = 50.0
    >>> kept = downsample(x, y, budget=500)
    >>> len(kept) <= 500, 70_123 in kept
    (True, True)
    """
    if len(x) <= budget:
        return np.arange(len(x))
    from tsdownsample import MinMaxLTTBDownsampler

    x_values = _numeric_x(x)
    y_values = np.ascontiguousarray(y.to_numpy(dtype="float64"))
    sampler = MinMaxLTTBDownsampler()  # type: ignore[no-untyped-call]
    kept = np.asarray(
        sampler.downsample(x_values, y_values, n_out=budget), dtype=np.int64
    )
    kept = _with_extremes(kept, y_values)
    logger.debug("downsampled %d points to %d", len(x), len(kept))
    return kept


def _with_extremes(kept: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``kept`` with the series' highest and lowest points in it.

    tsdownsample 0.1's MinMaxLTTB drops a spike on the last point but one (its
    preselection stops short of it); each missing extreme takes the place of the
    kept point nearest to it, never the first or the last, so the count stays.
    """
    for extreme in (int(np.argmax(y)), int(np.argmin(y))):
        if extreme in kept or len(kept) < 3:
            continue
        inner = kept[1:-1]
        inner[np.argmin(np.abs(inner - extreme))] = extreme
        kept = np.unique(kept)
    return kept


def _numeric_x(x: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(x):
        naive = x.dt.tz_localize(None) if getattr(x.dt, "tz", None) else x
        return np.ascontiguousarray(
            naive.to_numpy().astype("datetime64[ns]").view("i8")
        )
    return np.ascontiguousarray(x.to_numpy(dtype="float64"))


def _as_x_value(bound: Any, x: pd.Series) -> Any:
    """Read a range bound as a value comparable with ``x``."""
    if pd.api.types.is_datetime64_any_dtype(x):
        stamp = pd.Timestamp(bound)
        tz = getattr(x.dt, "tz", None)
        if tz is not None and stamp.tzinfo is None:
            stamp = stamp.tz_localize(tz)
        return stamp.to_datetime64() if tz is None else stamp
    return float(bound)
