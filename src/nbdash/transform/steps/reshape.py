"""Steps that reshape a frame: pivot, unpivot, date bucketing."""

from __future__ import annotations

import logging
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from nbdash.errors import SpecError
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps._common import Datasets, check_unique, is_datetime, require
from nbdash.transform.steps.group import NUMERIC_FUNCS, Aggregation

logger = logging.getLogger(__name__)

PivotAgg = Literal[
    "sum", "mean", "median", "min", "max", "count", "count_distinct", "std", "first",
    "last",
]  # fmt: skip
BucketUnit = Literal["day", "week", "month", "quarter", "year"]

_BUCKET_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


class PivotStep(SpecModel):
    """Spread the values of ``columns`` into new columns, aggregating ``values``.

    One row per combination of ``index`` values (missing ones form a row, sorted last),
    one column per distinct non-missing value of ``columns`` (its text, sorted by
    value); rows whose ``columns`` value is missing are left out. A cell with no rows
    is missing. The output columns depend on the data, so they are known after a run.
    """

    kind: Literal["pivot"] = "pivot"
    index: list[Name] = Field(min_length=1)
    columns: Name
    values: Name
    agg: PivotAgg = "sum"

    @model_validator(mode="after")
    def _check_names(self) -> PivotStep:
        check_unique([*self.index, self.columns, self.values], "pivot columns")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [*self.index, self.columns, self.values]

    def output_columns(self, columns: list[str]) -> list[str] | None:
        """Return ``None``: the new columns are the values found in the data."""
        return None

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the pivoted frame, with a 0..n-1 index."""
        Aggregation(column=self.values, func=self.agg).check(frame[self.values])
        data = frame[frame[self.columns].notna()]
        grouped = data.groupby([*self.index, self.columns], dropna=False, sort=True)
        table = grouped[self.values].agg(self._func()).unstack(self.columns)
        table.columns = [str(column) for column in table.columns]
        self._check_clash(list(table.columns))
        return table.reset_index()

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        keys = [*self.index, self.columns]
        return [
            "table = (",
            f"    df[df[{self.columns!r}].notna()]",
            f"    .groupby({keys!r}, dropna=False, sort=True)[{self.values!r}]",
            f"    .agg({self._func()!r})",
            f"    .unstack({self.columns!r})",
            ")",
            "table.columns = [str(column) for column in table.columns]",
            "df = table.reset_index()",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        what = f"{self.agg} of {self.values!r}"
        return f"one column per value of {self.columns!r}, holding {what}"

    def _func(self) -> str:
        return "nunique" if self.agg == "count_distinct" else self.agg

    def _check_clash(self, new: list[str]) -> None:
        clashes = sorted(set(new) & set(self.index))
        if clashes:
            raise SpecError(
                f"pivoted column names {clashes!r} are also index columns. Rename the "
                "index columns first."
            )


class UnpivotStep(SpecModel):
    """Turn columns into rows: one row per (row, value column), ``melt`` style.

    ``value_columns`` empty means every column that is not an id column. The output
    holds the id columns, ``name_column`` (the former column name) and
    ``value_column`` (its value).
    """

    kind: Literal["unpivot"] = "unpivot"
    id_columns: list[Name] = Field(default_factory=list)
    value_columns: list[Name] = Field(default_factory=list)
    name_column: Name = "variable"
    value_column: Name = "value"

    @model_validator(mode="after")
    def _check_names(self) -> UnpivotStep:
        check_unique([*self.id_columns, *self.value_columns], "unpivot input columns")
        check_unique(
            [*self.id_columns, self.name_column, self.value_column], "output columns"
        )
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [*self.id_columns, *self.value_columns]

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return [*self.id_columns, self.name_column, self.value_column]

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the long frame."""
        clash = (
            self.value_column in frame.columns
            and self.value_column not in self.id_columns
        )
        require(
            not clash,
            f"value column name {self.value_column!r} is already a column; choose "
            "another 'value_column'.",
        )
        return frame.melt(
            id_vars=list(self.id_columns),
            value_vars=list(self.value_columns) or None,
            var_name=self.name_column,
            value_name=self.value_column,
        )

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [
            "df = df.melt(",
            f"    id_vars={list(self.id_columns)!r},",
            f"    value_vars={list(self.value_columns) or None!r},",
            f"    var_name={self.name_column!r},",
            f"    value_name={self.value_column!r},",
            ")",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return "turn columns into rows (unpivot)"


class BucketDateStep(SpecModel):
    """Round timestamps down to the start of their day/week/month/quarter/year.

    Weeks start on Monday. The bucket goes to column ``name`` (default: replace
    ``column``). A tz-aware column is bucketed by its wall time and the result has no
    time zone.
    """

    kind: Literal["bucket_date"] = "bucket_date"
    column: Name
    unit: BucketUnit
    name: Name | None = None

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [self.column]

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        target = self.target
        return list(columns) if target in columns else [*columns, target]

    @property
    def target(self) -> str:
        """The column the buckets are written to."""
        return self.name if self.name is not None else self.column

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with the bucket column set."""
        series = frame[self.column]
        require(
            is_datetime(series),
            f"'bucket_date' needs a datetime column; column {self.column!r} holds "
            f"{series.dtype}. Convert it first with a 'cast' step to 'datetime'.",
        )
        wall = series.dt.tz_localize(None)
        result = frame.copy(deep=False)  # copy-on-write: the input stays as it is
        result[self.target] = wall.dt.to_period(_BUCKET_FREQ[self.unit]).dt.start_time
        return result

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        freq = _BUCKET_FREQ[self.unit]
        return [
            f"df[{self.target!r}] = (",
            f"    df[{self.column!r}].dt.tz_localize(None)",
            f"    .dt.to_period({freq!r}).dt.start_time",
            ")",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"start of the {self.unit} of {self.column!r}"


__all__ = ["NUMERIC_FUNCS", "BucketDateStep", "PivotStep", "UnpivotStep"]
