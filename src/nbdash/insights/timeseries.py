"""Detectors over time: trend, period change with drivers, anomalies, seasonality."""

from __future__ import annotations

import logging

from nbdash.insights.context import Context, Skip
from nbdash.insights.model import Insight

logger = logging.getLogger(__name__)


def trend(context: Context) -> list[Insight]:
    """Overall and recent trend of each measure, when distinguishable from noise."""
    raise Skip("Trend detection is not built yet.")


def change(context: Context) -> list[Insight]:
    """Last complete period against the previous one and a year earlier, with drivers."""
    raise Skip("Period-over-period change is not built yet.")


def anomalies(context: Context) -> list[Insight]:
    """Spikes, dips and level shifts, judged against trend and seasonality."""
    raise Skip("Anomaly detection is not built yet.")


def seasonality(context: Context) -> list[Insight]:
    """Weekly and yearly patterns ("Saturdays are 40% above average")."""
    raise Skip("Seasonality detection is not built yet.")
