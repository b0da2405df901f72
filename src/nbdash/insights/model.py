"""What an insight is: a sentence, a score, its evidence and a suggested chart.

:class:`InsightSettings` says what to look for, :class:`Insight` is one finding and
:class:`InsightReport` is the ranked result of :func:`nbdash.insights.find_insights`,
with the reasons why families of insights were skipped.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from nbdash.charts.spec import ChartSpec
from nbdash.transform.base import Name, SpecModel

logger = logging.getLogger(__name__)

InsightKind = Literal[
    "trend",
    "change",
    "driver",
    "anomaly",
    "seasonality",
    "correlation",
    "concentration",
    "outlier",
    "quality",
]

KINDS: tuple[InsightKind, ...] = (
    "trend",
    "change",
    "driver",
    "anomaly",
    "seasonality",
    "correlation",
    "concentration",
    "outlier",
    "quality",
)
"""Every kind of insight, in the order the settings list them."""


class InsightSettings(SpecModel):
    """What :func:`~nbdash.insights.find_insights` looks at and for.

    Parameters
    ----------
    time
        The time column; ``None`` detects one (the first column of dates, or of text
        that parses as dates).
    measures
        Numeric columns to analyse; ``None`` picks them (numbers that are not ids).
    categories
        Columns to split by (drivers, concentration); ``None`` picks text columns
        with between 2 and 50 distinct values.
    aggregation
        How periods aggregate a measure, ``{"price": "mean", "units": "sum"}``;
        measures not named here are guessed from their name, then their values.
    kinds
        The kinds of insight to compute.
    max_insights
        How many insights the report keeps, best first.
    sample_rows
        Row-level detectors (correlation, outliers) read a uniform random sample
        of at most this many rows (outliers at most 10,000 of them); duplicates,
        concentration and the time-series detectors read every row.
    significance
        The p-value under which a trend or change counts as real.
    seed
        Seed of the random sample and of the outlier model, so runs repeat.

    Examples
    --------
    >>> InsightSettings(measures=["revenue"], kinds=["trend"]).max_insights
    12
    """

    time: Name | None = None
    measures: list[Name] | None = None
    categories: list[Name] | None = None
    aggregation: dict[Name, Literal["sum", "mean"]] = Field(default_factory=dict)
    kinds: list[InsightKind] = Field(default_factory=lambda: list(KINDS))
    max_insights: int = Field(default=12, ge=1, le=200)
    sample_rows: int = Field(default=100_000, ge=100)
    significance: float = Field(default=0.01, gt=0, lt=0.5)
    seed: int = 0


@dataclass
class Insight:
    """One finding, told in a sentence and backed by numbers.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    sentence
        The finding in plain language, numbers and dates formatted for people.
    score
        How much it matters, 0 to 1; reports are ranked by it.
    evidence
        The numbers and dates behind the sentence (JSON-safe).
    chart
        A chart that shows it, or ``None``.
    """

    kind: InsightKind
    sentence: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)
    chart: ChartSpec | None = None

    def __post_init__(self) -> None:
        self.score = float(min(1.0, max(0.0, self.score)))
        self.evidence = {key: json_safe(value) for key, value in self.evidence.items()}

    def to_dict(self) -> dict[str, Any]:
        """Return the insight as JSON-safe values (the chart as its spec dict)."""
        return {
            "kind": self.kind,
            "sentence": self.sentence,
            "score": round(self.score, 4),
            "evidence": self.evidence,
            "chart": self.chart.model_dump() if self.chart is not None else None,
        }

    def evidence_line(self) -> str:
        """A short line of the evidence's key figures, for a list under the sentence."""
        parts = []
        for key, value in self.evidence.items():
            if isinstance(value, (list, dict)) or value is None:
                continue
            if isinstance(value, float):
                value = f"{value:.4g}"
            parts.append(f"{key.replace('_', ' ')}: {value}")
        return "; ".join(parts[:6])


@dataclass
class InsightReport:
    """The ranked insights found in one dataset, and what was not looked at.

    Attributes
    ----------
    dataset
        The dataset's name.
    insights
        The insights, best first.
    skipped
        Plain reasons why a family of insights was not computed.
    roles
        The columns used: ``{"time": ..., "measures": [...], "categories": [...]}``.
    """

    dataset: str
    insights: list[Insight] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    roles: dict[str, Any] = field(default_factory=dict)

    def to_text(self) -> str:
        """Return the ranked sentences as plain text, one numbered line each.

        Examples
        --------
        >>> item = Insight("quality", "Column a is empty.", 1)
        >>> report = InsightReport("sales", [item])
        >>> print(report.to_text())
        Insights for sales:
        1. Column a is empty.
        """
        lines = [f"Insights for {self.dataset}:"]
        lines += [f"{i}. {item.sentence}" for i, item in enumerate(self.insights, 1)]
        if not self.insights:
            lines.append("No insights found.")
        if self.skipped:
            lines.append("Not computed:")
            lines += [f"- {reason}" for reason in self.skipped]
        return "\n".join(lines)

    def to_html(self) -> str:
        """Return the ranked sentences as HTML, every piece of text escaped."""
        items = "".join(
            f"<li>{html.escape(item.sentence)}"
            f"<br><small>{html.escape(item.evidence_line())}</small></li>"
            for item in self.insights
        )
        body = f"<ol>{items}</ol>" if items else "<p>No insights found.</p>"
        if self.skipped:
            skipped = "".join(f"<li>{html.escape(text)}</li>" for text in self.skipped)
            body += f"<p>Not computed:</p><ul>{skipped}</ul>"
        title = html.escape(f"Insights for {self.dataset}")
        return f'<div class="nbdash-insights"><h4>{title}</h4>{body}</div>'

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-safe values."""
        return {
            "dataset": self.dataset,
            "insights": [item.to_dict() for item in self.insights],
            "skipped": list(self.skipped),
            "roles": json_safe(self.roles),
        }


def json_safe(value: Any) -> Any:
    """Convert numpy/pandas scalars, dates and containers to JSON-safe values.

    Examples
    --------
    >>> json_safe({"a": np.float64(1.5), "b": pd.Timestamp("2024-12-12")})
    {'a': 1.5, 'b': '2024-12-12'}
    """
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return _date_text(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _date_text(value: pd.Timestamp | dt.datetime | dt.date) -> str:
    stamp = pd.Timestamp(value)
    if stamp.tz is None and stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.isoformat()
