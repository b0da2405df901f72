"""Detectors over rows: data quality, rank correlation, concentration, outliers.

Correlation, outliers and duplicates read ``Context.sample`` (a uniform random
sample); concentration and missing/constant checks read every row.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from nbdash.charts.spec import ChartSpec
from nbdash.insights import fmt
from nbdash.insights.context import Context, Skip
from nbdash.insights.model import Insight

logger = logging.getLogger(__name__)

MOSTLY_MISSING = 0.5
MIN_CORRELATION = 0.5
TOP_K = 5
# score_samples of IsolationForest lies in [-1, 0); about -0.5 is an ordinary point.
# Below -0.65 a point is isolated far faster than its neighbours (checked on
# Gaussian clouds, where fewer than 1 in 10,000 points pass it).
OUTLIER_SCORE = -0.65


def quality(context: Context) -> list[Insight]:
    """Columns mostly missing or constant, and exact duplicate rows."""
    found = []
    for column in context.frame.columns:
        found += _column_quality(context.frame[column], str(column))
    found += _duplicates(context)
    return found


def _column_quality(values: pd.Series, column: str) -> list[Insight]:
    rows = len(values)
    missing = int(values.isna().sum())
    if rows and missing == rows:
        sentence = f"Column {column} is empty: all {rows:,} values are missing."
        return [
            Insight(
                "quality",
                sentence,
                0.7,
                {"column": column, "missing": missing, "rows": rows},
            )
        ]
    if rows and missing / rows >= MOSTLY_MISSING:
        share = missing / rows
        sentence = f"Column {column} is mostly missing: {fmt.percent(share)} of values are empty."
        return [
            Insight(
                "quality",
                sentence,
                0.4 + 0.3 * share,
                {"column": column, "missing": missing, "rows": rows},
            )
        ]
    if rows > 1 and values.nunique(dropna=True) == 1:
        value = values.dropna().iloc[0]
        sentence = f"Column {column} has the same value ({value}) in every row."
        return [
            Insight(
                "quality",
                sentence,
                0.5,
                {"column": column, "value": str(value), "rows": rows},
            )
        ]
    return []


def _duplicates(context: Context) -> list[Insight]:
    frame = context.frame
    if len(frame) < 2:
        return []
    hashes = pd.util.hash_pandas_object(frame, index=False)
    count = int(hashes.duplicated().sum())
    share = count / len(frame)
    if count == 0 or (share < 0.001 and count < 3):
        return []
    rows = "row is an exact duplicate" if count == 1 else "rows are exact duplicates"
    sentence = f"{count:,} {rows} of another row ({fmt.percent(share)} of the data)."
    evidence = {"duplicate_rows": count, "rows": len(frame), "share": share}
    return [Insight("quality", sentence, 0.45 + min(0.4, share * 4), evidence)]


def correlation(context: Context) -> list[Insight]:
    """Pairs of measures whose ranks move together (Spearman), significant ones."""
    from scipy import stats  # type: ignore[import-untyped]

    measures = context.roles.measures[:12]
    if len(measures) < 2:
        raise Skip("Correlations need at least two numeric columns.")
    frame = context.sample[measures].astype("float64")
    ranks = frame.rank()
    matrix = ranks.corr()
    found = []
    for i, first in enumerate(measures):
        for second in measures[i + 1 :]:
            rho = float(matrix.at[first, second])  # type: ignore[arg-type]
            pairs = int(frame[[first, second]].dropna().shape[0])
            if not math.isfinite(rho) or abs(rho) < MIN_CORRELATION or pairs < 10:
                continue
            t = rho * math.sqrt((pairs - 2) / max(1e-12, 1 - rho * rho))
            p = float(2 * stats.t.sf(abs(t), pairs - 2))
            if p < context.settings.significance:
                found.append(
                    _correlation_insight(context, first, second, rho, p, pairs)
                )
    return found


def _correlation_insight(
    context: Context, first: str, second: str, rho: float, p: float, pairs: int
) -> Insight:
    how = "rise together" if rho > 0 else "move in opposite directions"
    strength = "strongly " if abs(rho) >= 0.8 else ""
    sentence = (
        f"{fmt.label(first)} and {second} {strength}{how} (rank correlation {rho:.2f})."
    )
    evidence = {
        "first": first,
        "second": second,
        "spearman": rho,
        "p_value": p,
        "rows": pairs,
        "sampled": context.is_sampled,
    }
    return Insight(
        "correlation", sentence, 0.3 + 0.4 * (abs(rho) - 0.5) / 0.5, evidence
    )


def concentration(context: Context) -> list[Insight]:
    """Where a few values of a column hold most of a measure ("top 5 make 62%")."""
    measures = [m for m in context.roles.measures if _non_negative(context.frame[m])]
    columns = _entity_columns(context)
    if not measures or not columns:
        raise Skip(
            "Concentration needs a non-negative measure and a column of "
            "categories or names with at least 6 values."
        )
    found = []
    for column in columns:
        for measure in measures[:4]:
            item = _concentration(context, column, measure)
            if item is not None:
                found.append(item)
    return found


def _non_negative(values: pd.Series) -> bool:
    return bool(values.min(skipna=True) >= 0) and bool(values.sum() > 0)


def _entity_columns(context: Context) -> list[str]:
    columns = list(context.roles.categories)
    sample = context.sample
    for column in context.frame.columns:
        values = sample[column]
        if column in columns or column == context.roles.time:
            continue
        if ptypes.is_string_dtype(values.dtype) or values.dtype == object:
            distinct = values.nunique()
            if 6 <= distinct < 0.5 * len(values):
                columns.append(str(column))
    return columns[:6]


def _concentration(context: Context, column: str, measure: str) -> Insight | None:
    totals = context.frame.groupby(column, observed=True, sort=False)[measure].sum()
    totals = totals[totals > 0].sort_values(ascending=False)
    groups = len(totals)
    if groups < 6:
        return None
    k = min(TOP_K, max(1, groups // 5))
    share = float(totals.iloc[:k].sum() / totals.sum())
    even = k / groups
    if share < 0.5 or share < 2 * even:
        return None
    money = fmt.is_money(measure)
    top = "top value" if k == 1 else f"top {k}"
    sentence = (
        f"The {top} of {column} ({_names(totals.index[:k])}) make "
        f"{fmt.percent(share)} of {measure} ({fmt.number(totals.iloc[:k].sum(), money=money)} "
        f"of {fmt.number(totals.sum(), money=money)}), across {groups:,} values."
    )
    evidence = {
        "column": column,
        "measure": measure,
        "top": [str(v) for v in totals.index[:k]],
        "top_share": share,
        "values": groups,
        "even_share": even,
    }
    chart = ChartSpec(kind="pie", dataset=context.dataset, x=column, y=measure, top_n=k)
    return Insight(
        "concentration", sentence, 0.3 + 0.5 * (share - even), evidence, chart
    )


def _names(values: pd.Index) -> str:
    names = [str(value) for value in values]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


def outliers(context: Context) -> list[Insight]:
    """Rows that are unusual combinations of the measures (IsolationForest)."""
    measures = context.roles.measures[:10]
    if len(measures) < 2:
        raise Skip("Multivariate outliers need at least two numeric columns.")
    frame = context.sample[measures].astype("float64").dropna()
    if len(frame) < 50:
        raise Skip("Multivariate outliers need at least 50 complete rows.")
    scores = _isolation_scores(frame, context.settings.seed)
    flagged = frame[scores < OUTLIER_SCORE]
    if flagged.empty:
        return []
    return [_outlier_insight(context, frame, flagged, scores, measures)]


def _isolation_scores(frame: pd.DataFrame, seed: int) -> np.ndarray:
    from sklearn.ensemble import IsolationForest

    centre = frame.median()
    spread = (frame - centre).abs().median() * 1.4826
    spread = spread.where(spread > 0, frame.std().where(frame.std() > 0, 1.0))
    scaled = ((frame - centre) / spread).to_numpy()
    model = IsolationForest(n_estimators=100, random_state=seed)
    model.fit(scaled)
    return np.asarray(model.score_samples(scaled))


def _outlier_insight(
    context: Context,
    frame: pd.DataFrame,
    flagged: pd.DataFrame,
    scores: np.ndarray,
    measures: list[str],
) -> Insight:
    worst = frame.index[int(np.argmin(scores))]
    row = frame.loc[worst]
    shown = ", ".join(
        f"{m} {fmt.number(float(row[m]), money=fmt.is_money(m))}" for m in measures[:4]
    )
    count = len(flagged)
    share = count / len(frame)
    rows = (
        "row is an unusual combination"
        if count == 1
        else "rows are unusual combinations"
    )
    where = " in a sample" if context.is_sampled else ""
    sentence = (
        f"{count:,} {rows} of {', '.join(measures[:4])}{where} "
        f"({fmt.percent(share)}); the most unusual has {shown}."
    )
    evidence = {
        "rows_flagged": count,
        "rows_checked": len(frame),
        "worst_row": str(worst),
        "worst_score": float(scores.min()),
        "sampled": context.is_sampled,
    }
    return Insight(
        "outlier", sentence, 0.35 + min(0.3, -float(scores.min()) - 0.6), evidence
    )
