"""Charts: specs, the aggregated data they plot, Plotly figures, KPIs and suggestions.

Modules: :mod:`~nbdash.charts.spec` (the spec and its checks),
:mod:`~nbdash.charts.data` and :mod:`~nbdash.charts.kinds` (what is plotted),
:mod:`~nbdash.charts.figure` (plotly figures), :mod:`~nbdash.charts.kpi`,
:mod:`~nbdash.charts.downsample` (long series), :mod:`~nbdash.charts.format`
(escaping, number/date formats, palettes), :mod:`~nbdash.charts.suggest`.
"""

from __future__ import annotations

from nbdash.charts.downsample import POINT_BUDGET, downsample
from nbdash.charts.format import escape_label, format_number, unescape_label
from nbdash.charts.kpi import Kpi
from nbdash.charts.spec import KINDS, OTHER, ChartSpec
from nbdash.charts.suggest import choose_bucket, suggest_charts

__all__ = [
    "KINDS",
    "OTHER",
    "POINT_BUDGET",
    "ChartSpec",
    "Kpi",
    "choose_bucket",
    "downsample",
    "escape_label",
    "format_number",
    "suggest_charts",
    "unescape_label",
]
