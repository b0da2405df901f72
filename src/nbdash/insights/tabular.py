"""Detectors over rows: data quality, rank correlation, concentration, outliers.

Correlation reads a uniform random sample of ``settings.sample_rows`` rows, outliers
one of at most :data:`OUTLIER_ROWS`; concentration, duplicates and missing/constant
checks read every row.
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
OUTLIER_ROWS = 10_000
ENTITY_SAMPLE = 20_000
FIT_ROWS = 2_000
TREES = 50
OUTLIER_Z = 5.0
OUTLIER_GAP = 1.5


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
        sentence = (
            f"Column {column} is mostly missing: {fmt.percent(share)} of values "
            "are empty."
        )
        return [
            Insight(
                "quality",
                sentence,
                0.4 + 0.3 * share,
                {"column": column, "missing": missing, "rows": rows},
            )
        ]
    if rows > 1 and _is_constant(values):
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


def _is_constant(values: pd.Series) -> bool:
    """Whether every present value is the same; a few rows usually tell it is not."""
    present = values.dropna()
    if present.empty or present.head(1_000).nunique() > 1:
        return False
    return bool(present.nunique() == 1)


def _duplicates(context: Context) -> list[Insight]:
    frame = context.frame
    if len(frame) < 2:
        return []
    count = duplicate_rows(frame)
    share = count / len(frame)
    if count == 0 or (share < 0.001 and count < 3):
        return []
    rows = "row is an exact duplicate" if count == 1 else "rows are exact duplicates"
    sentence = f"{count:,} {rows} of another row ({fmt.percent(share)} of the data)."
    evidence = {"duplicate_rows": count, "rows": len(frame), "share": share}
    return [Insight("quality", sentence, 0.45 + min(0.4, share * 4), evidence)]


def duplicate_rows(frame: pd.DataFrame) -> int:
    """How many rows repeat an earlier row exactly (every column equal).

    Two equal rows share the value of every column, so only rows whose most varied
    number column repeats a value can be duplicates; those few are hashed in full,
    text included, which is where the time would go.
    """
    candidates = frame
    key = _most_varied_number(frame)
    if key is not None:
        candidates = frame[frame[key].duplicated(keep=False).to_numpy()]
    if len(candidates) < 2:
        return 0
    full = pd.util.hash_pandas_object(candidates, index=False)
    return int(full.duplicated().sum())


def _most_varied_number(frame: pd.DataFrame) -> str | None:
    """The number column with the most distinct values in the first 10,000 rows."""
    head = frame.head(10_000)
    numbers = [c for c in frame.columns if ptypes.is_numeric_dtype(frame[c].dtype)]
    if not numbers:
        return None
    return str(max(numbers, key=lambda c: head[c].nunique()))


def _is_text(values: pd.Series) -> bool:
    return ptypes.is_string_dtype(values.dtype) or values.dtype == object


def correlation(context: Context) -> list[Insight]:
    """Pairs of measures whose ranks move together (Spearman), significant ones."""
    # The t distribution from scipy.special: scipy.stats costs a second to import.
    from scipy.special import stdtr  # type: ignore[import-untyped]

    measures = context.roles.measures[:12]
    if len(measures) < 2:
        raise Skip("Correlations need at least two numeric columns.")
    frame = context.sample_of(context.settings.sample_rows, measures).astype("float64")
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
            p = float(2 * stdtr(pairs - 2, -abs(t)))
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
        # One pass over the rows per column sums every measure at once.
        sums = context.frame.groupby(column, observed=True, sort=False)[
            measures[:4]
        ].sum()
        for measure in measures[:4]:
            item = _concentration(context, column, measure, sums[measure])
            if item is not None:
                found.append(item)
    return found


def _non_negative(values: pd.Series) -> bool:
    return bool(values.min(skipna=True) >= 0) and bool(values.sum() > 0)


def _entity_columns(context: Context) -> list[str]:
    """The categories, then text columns whose values repeat (names, products)."""
    columns = list(context.roles.categories)
    text = [
        str(c)
        for c in context.frame.columns
        if c not in columns and c != context.roles.time and _is_text(context.frame[c])
    ]
    sample = context.sample_of(ENTITY_SAMPLE, text)
    for column in text:
        distinct = sample[column].nunique()
        if 6 <= distinct < 0.5 * len(sample):
            columns.append(column)
    return columns[:6]


def _concentration(
    context: Context, column: str, measure: str, totals: pd.Series
) -> Insight | None:
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
        f"{fmt.percent(share)} of {measure} "
        f"({fmt.number(totals.iloc[:k].sum(), money=money)} "
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
    """Rows that are unusual combinations of the measures (IsolationForest).

    The forest reads a sample of at most :data:`OUTLIER_ROWS` rows, with skewed
    non-negative measures on a log scale. Rows are reported only when their
    anomaly scores stand apart from the rest (:func:`separated`), so long tails
    and ordinary clouds give no insight.
    """
    measures = context.roles.measures[:10]
    if len(measures) < 2:
        raise Skip("Multivariate outliers need at least two numeric columns.")
    limit = min(OUTLIER_ROWS, context.settings.sample_rows)
    frame = context.sample_of(limit, measures).astype("float64").dropna()
    if len(frame) < 50:
        raise Skip("Multivariate outliers need at least 50 complete rows.")

    scores = _isolation_scores(frame, context.settings.seed)
    flagged = separated(scores)
    if not flagged.any():
        return []
    sampled = len(context.frame) > limit
    return [_outlier_insight(frame, frame[flagged], scores, measures, sampled)]


def separated(scores: np.ndarray) -> np.ndarray:
    """Which rows' scores stand apart: a gap in the lowest scores (as robust z).

    Scores become robust z-scores (median and MAD, lower is more unusual). Among
    the most unusual 1% (at most 200), the widest gap between neighbours that
    starts at z >= :data:`OUTLIER_Z` splits the outliers from the rest when it is
    at least :data:`OUTLIER_GAP` wide. On Gaussian and log-normal clouds of 20,000
    rows no such gap appears; planted outliers leave one of 2 or more.
    """
    centre = float(np.median(scores))
    scale = float(np.median(np.abs(scores - centre))) * 1.4826 or 1e-12
    z = (centre - scores) / scale
    order = np.argsort(-z)
    top = z[order[: max(2, min(200, len(z) // 100))]]
    gaps = np.where(top[:-1] >= OUTLIER_Z, top[:-1] - top[1:], 0.0)
    flagged = np.zeros(len(z), dtype=bool)
    if len(gaps) and gaps.max() >= OUTLIER_GAP:
        flagged[order[: int(np.argmax(gaps)) + 1]] = True
    return flagged


def _isolation_scores(frame: pd.DataFrame, seed: int) -> np.ndarray:
    from sklearn.ensemble import IsolationForest

    scaled = np.column_stack([_robust_scaled(frame[c]) for c in frame.columns])
    # Each tree reads 256 rows whatever the data size, so the forest is fitted on
    # a tenth of the rows (drawing per-tree indices from all of them costs more
    # than the trees) and then scores every row.
    fit_rows = np.random.default_rng(seed).permutation(len(scaled))[:FIT_ROWS]
    model = IsolationForest(n_estimators=TREES, random_state=seed)
    model.fit(scaled[fit_rows])
    return np.asarray(model.score_samples(scaled))


def _robust_scaled(values: pd.Series) -> np.ndarray:
    """A column as robust z-scores, on a log scale when it is skewed and >= 0."""
    x = values.to_numpy(dtype="float64")
    skew = pd.Series(x).skew()
    if x.min() >= 0 and float(skew) > 1:  # type: ignore[arg-type]
        positive = x[x > 0]
        x = np.log1p(x / (np.median(positive) if len(positive) else 1.0))
    centre = float(np.median(x))
    spread = float(np.median(np.abs(x - centre))) * 1.4826
    if spread == 0:
        spread = float(x.std()) or 1.0
    return (x - centre) / spread


def _outlier_insight(
    frame: pd.DataFrame,
    flagged: pd.DataFrame,
    scores: np.ndarray,
    measures: list[str],
    sampled: bool,
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
    where = " in a sample" if sampled else ""
    sentence = (
        f"{count:,} {rows} of {', '.join(measures[:4])}{where} "
        f"({fmt.percent(share)}); the most unusual has {shown}."
    )
    evidence = {
        "rows_flagged": count,
        "rows_checked": len(frame),
        "worst_row": str(worst),
        "worst_score": float(scores.min()),
        "sampled": sampled,
    }
    return Insight(
        "outlier", sentence, 0.35 + min(0.3, -float(scores.min()) - 0.6), evidence
    )
