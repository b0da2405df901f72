"""Pipeline steps: validated specs that both run on pandas and write pandas code.

Each step has :meth:`~Step.apply`, which transforms a DataFrame, and :meth:`~Step.code`,
which writes the same transformation as pandas source. The two are written side by side
from one table of operations so that they cannot drift apart; the test suite runs both
on random frames and compares the results.

Semantics, shared by the engine and the generated code:

- ``filter``: a comparison against a missing value is false, for ``!=`` and ``not in``
  too; only ``is missing`` matches missing values. ``contains`` is a case-sensitive
  substring test (``case=False`` ignores case), never a regular expression.
- ``group``: missing keys form their own group; the result is flat (keys are columns),
  sorted by the keys with missing keys last. ``count`` counts non-missing values;
  ``sum`` of a group with only missing values is 0, ``mean`` of it is missing.
- ``fill_missing``: ``mean`` and ``median`` need numeric columns.
- After ``filter``, ``sort``, ``group`` and ``drop_missing`` the index is 0..n-1.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pandas as pd
from pandas.api import types as ptypes
from pydantic import Field, model_validator

from nbdash.errors import SpecError
from nbdash.transform.base import Name, SpecModel

logger = logging.getLogger(__name__)

Scalar = bool | int | float | str
Op = Literal[
    "==", "!=", "<", "<=", ">", ">=", "between", "in", "not in", "contains",
    "is missing", "is not missing",
]  # fmt: skip
AggFunc = Literal["sum", "mean", "median", "min", "max", "count"]

# Each operation as (pandas source template, the same call on a Series). ``{s}`` is the
# column, ``{v}`` the value's repr, ``{lo}``/``{hi}`` the bounds of ``between``.
_MaskFn = Callable[[pd.Series, Any, bool], pd.Series]
_OPS: dict[str, tuple[str, _MaskFn]] = {
    "==": ("{s}.eq({v})", lambda s, v, case: s.eq(v)),
    "!=": ("{s}.ne({v})", lambda s, v, case: s.ne(v)),
    "<": ("{s}.lt({v})", lambda s, v, case: s.lt(v)),
    "<=": ("{s}.le({v})", lambda s, v, case: s.le(v)),
    ">": ("{s}.gt({v})", lambda s, v, case: s.gt(v)),
    ">=": ("{s}.ge({v})", lambda s, v, case: s.ge(v)),
    "between": ("{s}.between({lo}, {hi})", lambda s, v, case: s.between(v[0], v[1])),
    "in": ("{s}.isin({v})", lambda s, v, case: s.isin(v)),
    "not in": ("~{s}.isin({v})", lambda s, v, case: ~s.isin(v)),
    "contains": (
        "{s}.str.contains({v}, case={case}, regex=False, na=False)",
        lambda s, v, case: s.str.contains(v, case=case, regex=False, na=False),
    ),
    "is missing": ("{s}.isna()", lambda s, v, case: s.isna()),
    "is not missing": ("{s}.notna()", lambda s, v, case: s.notna()),
}
_MISSING_OPS = ("is missing", "is not missing")


class Condition(SpecModel):
    """One test on one column, e.g. ``{"column": "Region", "op": "==", "value": "EU"}``.

    ``value`` is a scalar for comparisons and ``contains`` (a string), a list of two for
    ``between`` (inclusive), a list for ``in``/``not in`` and absent for the missing
    tests. ``case`` applies to ``contains`` only.
    """

    column: Name
    op: Op
    value: Scalar | list[Scalar] | None = None
    case: bool = True

    @model_validator(mode="after")
    def _check_value(self) -> Condition:
        _check_finite(self.value)
        problem = _value_problem(self.op, self.value)
        if problem:
            raise ValueError(f"op {self.op!r} {problem}; received {self.value!r}")
        return self

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Return the boolean Series of rows of ``frame`` that pass this condition."""
        column = frame[self.column]
        if self.op == "contains" and not _is_text(column):
            raise SpecError(
                f"'contains' needs a text column; column {self.column!r} holds "
                f"{column.dtype}. Use '==' or 'in' for other types."
            )
        test = _OPS[self.op][1](column, self.value, self.case)
        return test if self.op in _MISSING_OPS else test & column.notna()

    def code(self) -> str:
        """Return the pandas expression for :meth:`mask`, on a frame named ``df``."""
        column = f"df[{self.column!r}]"
        bounds = self.value if isinstance(self.value, list) else [None, None]
        test = _OPS[self.op][0].format(
            s=column,
            v=repr(self.value),
            case=repr(self.case),
            lo=repr(bounds[0]) if bounds else "",
            hi=repr(bounds[-1]) if bounds else "",
        )
        return test if self.op in _MISSING_OPS else f"({test}) & {column}.notna()"


class FilterStep(SpecModel):
    """Keep the rows that pass all (``combine="and"``) or any of the conditions."""

    kind: Literal["filter"] = "filter"
    conditions: list[Condition] = Field(min_length=1)
    combine: Literal["and", "or"] = "and"

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [condition.column for condition in self.conditions]

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the rows of ``frame`` that pass, with a fresh 0..n-1 index."""
        masks = [condition.mask(frame) for condition in self.conditions]
        keep = masks[0]
        for mask in masks[1:]:
            keep = (keep & mask) if self.combine == "and" else (keep | mask)
        return frame[keep].reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        joiner = "&" if self.combine == "and" else "|"
        tests = [f"    ({condition.code()})" for condition in self.conditions]
        body = [tests[0], *(f"    {joiner} {test.strip()}" for test in tests[1:])]
        return ["keep = (", *body, ")", "df = df[keep].reset_index(drop=True)"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        which = "all" if self.combine == "and" else "any"
        count = len(self.conditions)
        return (
            f"keep rows matching {which} of {count} condition(s); missing never matches"
        )


class SortKey(SpecModel):
    """One sort key: a column and its direction."""

    column: Name
    ascending: bool = True


class SortStep(SpecModel):
    """Sort rows by the keys in order; missing values go last; ties keep their order."""

    kind: Literal["sort"] = "sort"
    keys: list[SortKey] = Field(min_length=1)

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [key.column for key in self.keys]

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` sorted, with a fresh 0..n-1 index."""
        ordered = frame.sort_values(
            self.used_columns(),
            ascending=[key.ascending for key in self.keys],
            na_position="last",
            kind="stable",
        )
        return ordered.reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        ascending = [key.ascending for key in self.keys]
        return [
            "df = df.sort_values(",
            f"    {self.used_columns()!r},",
            f"    ascending={ascending!r},",
            "    na_position='last',",
            "    kind='stable',",
            ").reset_index(drop=True)",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return "sort rows; missing values last"


class Aggregation(SpecModel):
    """One output column of a group step: ``func`` applied to ``column``.

    ``name`` defaults to ``"<column>_<func>"``.
    """

    column: Name
    func: AggFunc
    name: Name | None = None

    @property
    def output(self) -> str:
        """The name of the column this aggregation produces."""
        return self.name if self.name is not None else f"{self.column}_{self.func}"


class GroupStep(SpecModel):
    """Group rows by key columns and aggregate; one row per group, keys as columns."""

    kind: Literal["group"] = "group"
    by: list[Name] = Field(min_length=1)
    aggregations: list[Aggregation] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_names(self) -> GroupStep:
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
        return [*self.by, *(aggregation.column for aggregation in self.aggregations)]

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return one row per group, sorted by the keys, missing keys last."""
        for aggregation in self.aggregations:
            _check_numeric_for(aggregation, frame[aggregation.column])
        grouped = frame.groupby(self.by, dropna=False, sort=True)
        return grouped.agg(**self._named()).reset_index()

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [
            "df = (",
            f"    df.groupby({self.by!r}, dropna=False, sort=True)",
            f"    .agg(**{self._named()!r})",
            "    .reset_index()",
            ")",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return "one row per group; missing keys form their own group"

    def _named(self) -> dict[str, tuple[str, str]]:
        return {a.output: (a.column, a.func) for a in self.aggregations}


class FillMissingStep(SpecModel):
    """Replace missing values by a value or by the column's mean or median."""

    kind: Literal["fill_missing"] = "fill_missing"
    columns: list[Name] = Field(min_length=1)
    strategy: Literal["value", "mean", "median"] = "value"
    value: Scalar | None = None

    @model_validator(mode="after")
    def _check_value(self) -> FillMissingStep:
        _check_finite(self.value)
        if self.strategy == "value" and self.value is None:
            raise ValueError("strategy 'value' needs a 'value' to fill with")
        if self.strategy != "value" and self.value is not None:
            raise ValueError(f"strategy {self.strategy!r} takes no 'value'; remove it")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` with the missing values of the columns filled."""
        result = frame.copy()
        for column in self.columns:
            series = result[column]
            result[column] = series.fillna(self._fill_value(series, column))
        return result

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        lines = []
        for column in self.columns:
            name = f"df[{column!r}]"
            fill = (
                repr(self.value)
                if self.strategy == "value"
                else f"{name}.{self.strategy}()"
            )
            lines.append(f"{name} = {name}.fillna({fill})")
        return lines

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        how = "a value" if self.strategy == "value" else f"the column {self.strategy}"
        return f"fill missing values with {how}"

    def _fill_value(self, series: pd.Series, column: str) -> Any:
        if self.strategy == "value":
            return self.value
        if not _is_number(series):
            raise SpecError(
                f"strategy {self.strategy!r} needs a numeric column; column {column!r} "
                f"holds {series.dtype}. Use strategy 'value' instead."
            )
        return series.mean() if self.strategy == "mean" else series.median()


class DropMissingStep(SpecModel):
    """Drop the rows with a missing value in any of ``columns`` (empty: any column)."""

    kind: Literal["drop_missing"] = "drop_missing"
    columns: list[Name] = Field(default_factory=list)

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the complete rows of ``frame``, with a fresh 0..n-1 index."""
        subset = list(self.columns) or None
        return frame.dropna(subset=subset).reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        subset = f"subset={list(self.columns)!r}" if self.columns else ""
        return [f"df = df.dropna({subset}).reset_index(drop=True)"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        where = "the chosen columns" if self.columns else "any column"
        return f"drop rows with a missing value in {where}"


class FlagMissingStep(SpecModel):
    """Add a boolean column that is true where ``column`` is missing."""

    kind: Literal["flag_missing"] = "flag_missing"
    column: Name
    flag_column: Name

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [self.column]

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` with the flag column added."""
        if self.flag_column in frame.columns:
            raise SpecError(
                f"flag column {self.flag_column!r} already exists; choose a new name "
                "so that no data is overwritten."
            )
        result = frame.copy()
        result[self.flag_column] = result[self.column].isna()
        return result

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [f"df[{self.flag_column!r}] = df[{self.column!r}].isna()"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return "flag missing values in a new boolean column"


Step = Annotated[
    FilterStep
    | SortStep
    | GroupStep
    | FillMissingStep
    | DropMissingStep
    | FlagMissingStep,
    Field(discriminator="kind"),
]
"""Any pipeline step, told apart by its ``kind``."""


def _value_problem(op: str, value: Any) -> str:
    """Return what is wrong with ``value`` for ``op``, or an empty string."""
    if op in _MISSING_OPS:
        return "takes no value" if value is not None else ""
    if op == "between":
        ok = isinstance(value, list) and len(value) == 2
        return "" if ok else "needs a list of two values [low, high]"
    if op in ("in", "not in"):
        return "" if isinstance(value, list) else "needs a list of values"
    if op == "contains":
        return "" if isinstance(value, str) else "needs a text value"
    ok = value is not None and not isinstance(value, list)
    return "" if ok else "needs a single value"


def _check_finite(value: Any) -> None:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"values must be finite numbers; received {item!r}")


def _check_numeric_for(aggregation: Aggregation, series: pd.Series) -> None:
    if aggregation.func in ("sum", "mean", "median") and not _is_number(series):
        raise SpecError(
            f"aggregation {aggregation.func!r} needs a numeric column; column "
            f"{aggregation.column!r} holds {series.dtype}. Use 'count', 'min' or 'max'."
        )


def _is_number(series: pd.Series) -> bool:
    return ptypes.is_numeric_dtype(series) and not ptypes.is_bool_dtype(series)


def _is_text(series: pd.Series) -> bool:
    return ptypes.is_string_dtype(series) or ptypes.is_object_dtype(series)
