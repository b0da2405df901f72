"""One insight pass: detect roles, run each detector, rank what they found."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from nbdash.errors import SpecError
from nbdash.insights.context import Context, Skip
from nbdash.insights.model import Insight, InsightReport, InsightSettings
from nbdash.insights.roles import detect_roles

logger = logging.getLogger(__name__)

Detector = Callable[[Context], list[Insight]]


def _detectors() -> dict[str, Detector]:
    from nbdash.insights import tabular, timeseries

    return {
        "quality": tabular.quality,
        "trend": timeseries.trend,
        "change": timeseries.change,
        "anomaly": timeseries.anomalies,
        "seasonality": timeseries.seasonality,
        "correlation": tabular.correlation,
        "concentration": tabular.concentration,
        "outlier": tabular.outliers,
    }


def find_insights(
    frame: pd.DataFrame,
    settings: InsightSettings | Mapping[str, Any] | None = None,
    *,
    name: str = "data",
) -> InsightReport:
    """Find trends, changes, drivers, anomalies and more in a dataset, ranked.

    Parameters
    ----------
    frame
        The dataset.
    settings
        An :class:`InsightSettings`, a dict of its fields, or ``None`` for defaults
        (roles detected, every kind).
    name
        The dataset's name, used in sentences' charts and the report's title.

    Returns
    -------
    InsightReport
        The insights best first (at most ``settings.max_insights``), and in
        ``skipped`` the reasons why a family of insights was not computed.

    Raises
    ------
    SpecError
        When ``settings`` is malformed.
    ColumnNotFoundError
        When a column named in ``settings`` is not in ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"region": list("ABCDEF"), "note": [None] * 6})
    >>> report = find_insights(frame, {"kinds": ["quality"]}, name="sales")
    >>> report.insights[0].sentence
    'Column note is empty: all 6 values are missing.'
    """
    settings = _settings(settings)
    if not isinstance(frame, pd.DataFrame):
        message = (
            "find_insights expects a pandas DataFrame; "
            f"received {type(frame).__name__}. Pass the dataset as a DataFrame."
        )
        raise TypeError(message)

    roles = detect_roles(
        frame, settings.time, settings.measures, settings.categories, dataset=name
    )
    context = Context(frame=frame, roles=roles, settings=settings, dataset=name)
    report = InsightReport(
        dataset=name, skipped=list(roles.notes), roles=_roles(context)
    )
    if frame.empty:
        report.skipped.append(
            "The dataset has no rows, so there is nothing to analyse."
        )
        return report

    found = _run_detectors(context, report.skipped)
    report.skipped += [note for note in context.notes if note not in report.skipped]
    report.insights = rank(found, settings.max_insights)
    logger.info("found %d insights in %s", len(report.insights), name)
    return report


def rank(insights: list[Insight], limit: int) -> list[Insight]:
    """Order insights by score, keep at most ``limit``, no repeated sentences."""
    seen: set[str] = set()
    ranked = []
    for item in sorted(insights, key=lambda item: -item.score):
        if item.sentence not in seen:
            seen.add(item.sentence)
            ranked.append(item)
    return ranked[:limit]


def _run_detectors(context: Context, skipped: list[str]) -> list[Insight]:
    found: list[Insight] = []
    for kind, detector in _detectors().items():
        if kind not in context.settings.kinds and not (
            kind == "change" and "driver" in context.settings.kinds
        ):
            continue
        try:
            found += detector(context)
        except Skip as reason:
            if str(reason) not in skipped:
                skipped.append(str(reason))
        except Exception as exc:  # one failing detector must not lose the others
            logger.warning("insight detector %s failed", kind, exc_info=True)
            skipped.append(
                f"{kind.capitalize()} insights failed: {type(exc).__name__}: {exc}"
            )
    return [item for item in found if item.kind in context.settings.kinds]


def _settings(settings: InsightSettings | Mapping[str, Any] | None) -> InsightSettings:
    if settings is None:
        return InsightSettings()
    if isinstance(settings, InsightSettings):
        return settings
    if isinstance(settings, Mapping):
        return InsightSettings.model_validate(dict(settings))
    message = (
        "Insight settings must be an InsightSettings, a dict of its fields or None; "
        f"received {type(settings).__name__}."
    )
    raise SpecError(message)


def _roles(context: Context) -> dict[str, Any]:
    roles = context.roles
    return {
        "time": roles.time,
        "measures": roles.measures,
        "categories": roles.categories,
    }
