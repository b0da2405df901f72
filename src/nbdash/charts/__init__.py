"""Charts: specs, the aggregated data they plot, Plotly figures and suggestions.

See :mod:`nbdash.charts.spec` for how data is bucketed, aggregated and sorted.
"""

from __future__ import annotations

from nbdash.charts.spec import OTHER, ChartSpec
from nbdash.charts.suggest import choose_bucket, suggest_charts

__all__ = ["OTHER", "ChartSpec", "choose_bucket", "suggest_charts"]
