"""The group step: one row per combination of key values, several aggregations.

Missing keys form their own group; the result is flat (keys are columns), sorted by
the keys with missing keys last, with a 0..n-1 index. ``count`` counts non-missing
values and ``count_distinct`` distinct non-missing ones; ``first``/``last`` are the
first/last non-missing value of the group; ``sum`` of a group with only missing values
is 0 and ``mean`` of it is missing; ``std`` is the sample standard deviation (n - 1);
``percentile`` interpolates linearly (``Series.quantile``).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from nbdash.errors import SpecError
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps._common import Datasets, check_unique, is_number

logger = logging.getLogger(__name__)

AggFunc = Literal[
    "sum", "mean", "median", "min", "max", "count", "count_distinct", "std", "first",
    "last", "percentile",
]  # fmt: skip
NUMERIC_FUNCS = ("sum", "mean", "median", "std", "percentile")
"""The aggregations that need a numeric column."""

_PANDAS_NAMES = {"count_distinct": "nunique"}


class Aggregation(SpecModel):
    """One output column of a group step: ``func`` applied to ``column``.

    ``p`` (0 to 100) is required by ``percentile`` and refused by the others. ``name``
    defaults to ``"<column>_<func>"`` (``"<column>_p<p>"`` for a percentile, e.g.
    ``revenue_p90``).
    """

    column: Name
    func: AggFunc
    name: Name | None = None
    p: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _check_p(self) -> Aggregation:
        if (self.func == "percentile") != (self.p is not None):
            raise ValueError(
                "'p' (0 to 100) is required by func 'percentile' and by no other func; "
                f"received func {self.func!r} with p={self.p!r}"
            )
        return self

    @property
    def output(self) -> str:
        """The name of the column this aggregation produces."""
        if self.name is not None:
            return self.name
        if self.p is not None:
            return f"{self.column}_p{self.p:g}"
        return f"{self.column}_{self.func}"

    def pandas_func(self) -> Any:
        """Return what ``DataFrameGroupBy.agg`` takes for this aggregation."""
        if self.p is not None:
            q = self.p / 100
            return lambda series: series.quantile(q)
        return _PANDAS_NAMES.get(self.func, self.func)

    def pandas_func_code(self) -> str:
        """Return the source of :meth:`pandas_func`."""
        if self.p is not None:
            return f"lambda s: s.quantile({self.p / 100!r})"
        return repr(_PANDAS_NAMES.get(self.func, self.func))

    def check(self, series: pd.Series) -> None:
        """Raise :class:`SpecError` when ``series`` does not suit ``func``."""
        if self.func in NUMERIC_FUNCS and not is_number(series):
            raise SpecError(
                f"aggregation {self.func!r} needs a numeric column; column "
                f"{self.column!r} holds {series.dtype}. Use 'count', 'min' or 'max', "
                "or convert the column with a 'cast' step."
            )


class GroupStep(SpecModel):
    """Group rows by key columns and aggregate; one row per group, keys as columns."""

    kind: Literal["group"] = "group"
    by: list[Name] = Field(min_length=1)
    aggregations: list[Aggregation] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_names(self) -> GroupStep:
        check_unique(list(self.by), "group keys")
        names = [*self.by, *(aggregation.output for aggregation in self.aggregations)]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"output column names must be unique; repeated: {repeated!r}. "
                "Give the aggregations distinct 'name's that differ from the keys."
            )
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        columns = [*self.by, *(aggregation.column for aggregation in self.aggregations)]
        return list(dict.fromkeys(columns))

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return [*self.by, *(aggregation.output for aggregation in self.aggregations)]

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return one row per group, sorted by the keys, missing keys last."""
        for aggregation in self.aggregations:
            aggregation.check(frame[aggregation.column])
        named = {
            a.output: pd.NamedAgg(a.column, a.pandas_func()) for a in self.aggregations
        }
        grouped = frame.groupby(list(self.by), dropna=False, sort=True)
        return grouped.agg(**named).reset_index()

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        named = [
            f"        {a.output!r}: ({a.column!r}, {a.pandas_func_code()}),"
            for a in self.aggregations
        ]
        return [
            "df = (",
            f"    df.groupby({list(self.by)!r}, dropna=False, sort=True)",
            "    .agg(**{",
            *named,
            "    })",
            "    .reset_index()",
            ")",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return "one row per group; missing keys form their own group"
