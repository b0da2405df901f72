"""KPI numbers: the latest period's value and its change against the period before.

The front end's plotly bundle has no ``indicator`` trace, so a KPI is data
(:class:`Kpi`) that dashboards render as HTML; :func:`kpi_figure` draws the same
numbers as text annotations for static images and previews.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from nbdash.charts.format import escape_label, format_number
from nbdash.errors import SpecError

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nbdash.charts.spec import ChartSpec

logger = logging.getLogger(__name__)

_PERIOD_LABEL = {
    "day": "%d %b %Y",
    "week": "week of %d %b %Y",
    "month": "%b %Y",
    "quarter": "",
    "year": "%Y",
}
_UP, _DOWN = "▲", "▼"


@dataclass(frozen=True)
class Kpi:
    """A KPI: one number for the latest period, compared with the period before.

    Attributes
    ----------
    label
        What is measured, e.g. ``Sum of revenue`` (the chart's title).
    value, previous
        The latest period's value and the previous period's over the same length
        of time: when the data stops part-way through the latest period (say on
        the 15th of a month), the previous period counts up to the same point (its
        15th). None when it has no rows; for sums and counts that is 0.
    change
        ``(value - previous) / abs(previous)``; None when there is no previous
        value or it is 0.
    period, previous_period
        The periods' labels, e.g. ``Mar 2024`` and ``Feb 2024``.
    value_text, previous_text, change_text
        The numbers formatted with the chart's number format; ``change_text`` like
        ``▲ 12.5%`` or ``-``.
    """

    label: str
    value: float | None
    previous: float | None
    change: float | None
    period: str
    previous_period: str
    value_text: str
    previous_text: str
    change_text: str

    def to_dict(self) -> dict[str, Any]:
        """Return the KPI as a JSON-safe dict (the field names as keys)."""
        return asdict(self)


def compute_kpi(spec: ChartSpec, frame: pd.DataFrame) -> Kpi:
    """Return the :class:`Kpi` of ``spec`` (a datetime ``x``) over ``frame``."""
    from nbdash.charts.data import FREQ

    kpi_spec = spec.model_copy(update={"kind": "kpi", "top_n": None})
    periods = kpi_spec.data(frame)
    bucket = spec.bucket or "month"
    last = pd.Period(periods["period"].iloc[-1], freq=FREQ[bucket])
    before = last - 1

    value = _number(periods["value"].iloc[-1])
    previous = _previous_to_date(kpi_spec, frame, last, before)
    if previous is None and spec.agg in ("sum", "count"):
        previous = 0.0
    return _make_kpi(spec, value, previous, (last, before), bucket)


def _previous_to_date(
    spec: ChartSpec, frame: pd.DataFrame, last: pd.Period, before: pd.Period
) -> float | None:
    """The previous period's value over as much of it as the last period has data.

    Data ending on a Monday compares that Monday with the Monday before, not with a
    whole week: a period in progress is not reported as a fall.
    """
    dates = frame[spec.x]
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)  # periods are local calendar time
    elapsed = dates.max() - last.start_time
    end = min(before.start_time + elapsed, before.end_time)

    rows = frame[(dates >= before.start_time) & (dates <= end)]
    if rows.empty:
        return None
    try:
        return _number(spec.data(rows)["value"].iloc[-1])
    except SpecError:  # the window has rows, but no values to aggregate
        return None


def _make_kpi(
    spec: ChartSpec,
    value: float | None,
    previous: float | None,
    periods: tuple[pd.Period, pd.Period],
    bucket: str,
) -> Kpi:
    change = None
    if value is not None and previous not in (None, 0.0):
        change = (value - previous) / abs(previous)

    return Kpi(
        label=spec.display_title,
        value=value,
        previous=previous,
        change=change,
        period=_period_label(periods[0], bucket),
        previous_period=_period_label(periods[1], bucket),
        value_text=format_number(value, spec.number_format),
        previous_text=format_number(previous, spec.number_format),
        change_text=_change_text(change),
    )


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return None if math.isinf(number) else number


def _period_label(period: pd.Period, bucket: str) -> str:
    if bucket == "quarter":
        return f"Q{period.quarter} {period.year}"
    return str(period.start_time.strftime(_PERIOD_LABEL[bucket]))


def _change_text(change: float | None) -> str:
    if change is None:
        return "-"
    arrow = _UP if change > 0 else _DOWN if change < 0 else ""
    return f"{arrow} {abs(change):.1%}".strip()


def kpi_figure(spec: ChartSpec, kpi: Kpi) -> go.Figure:
    """Draw ``kpi`` as text annotations: the value, its change, the periods."""
    import plotly.graph_objects as go

    colour = "#2e7d32" if (kpi.change or 0) > 0 else "#c62828"
    lines = [
        (escape_label(kpi.value_text), 0.6, 44, "#222"),
        (f"{kpi.change_text} vs {escape_label(kpi.previous_period)}", 0.3, 16, colour),
        (escape_label(kpi.period), 0.12, 13, "#666"),
    ]
    annotations = [
        {"text": text, "x": 0.5, "y": y, "xref": "paper", "yref": "paper",
         "showarrow": False, "font": {"size": size, "color": color}}
        for text, y, size, color in lines
    ]  # fmt: skip
    figure = go.Figure()
    figure.update_layout(
        title={"text": escape_label(spec.display_title)},
        annotations=annotations,
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_white",
        margin={"l": 16, "r": 16, "t": 48, "b": 16},
    )
    return figure
