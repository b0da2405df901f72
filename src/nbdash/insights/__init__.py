"""Automated insights in plain language: trends, changes, drivers, anomalies and more.

>>> from nbdash.insights import find_insights
>>> report = find_insights(frame, name="sales")   # doctest: +SKIP
>>> print(report.to_text())                       # doctest: +SKIP

See :func:`find_insights`; the detectors live in :mod:`nbdash.insights.timeseries`
(trend, change, drivers, anomalies, seasonality) and :mod:`nbdash.insights.tabular`
(correlation, concentration, outliers, data quality).
"""

from __future__ import annotations

from nbdash.insights.engine import find_insights
from nbdash.insights.model import KINDS, Insight, InsightReport, InsightSettings

__all__ = ["KINDS", "Insight", "InsightReport", "InsightSettings", "find_insights"]
