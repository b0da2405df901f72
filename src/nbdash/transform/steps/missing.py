"""Steps about missing values: fill, drop rows, drop columns, flag.

``fill_missing`` semantics: ``value`` fills with a constant of the column's kind (a
number for numbers, text for text, true/false for booleans); ``mean``, ``median`` and
``interpolate`` (linear, by position; leading gaps stay) need numbers; ``mode`` fills
with the most common value (the smallest when several tie; nothing when the column
has no values); ``ffill``/``bfill`` copy the previous/next value.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import pandas as pd
from pandas.api import types as ptypes
from pydantic import Field, model_validator

from nbdash.errors import SpecError
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps._common import (
    Datasets,
    Scalar,
    check_finite,
    is_number,
    is_text,
    require,
)

logger = logging.getLogger(__name__)

FillStrategy = Literal[
    "value", "mean", "median", "mode", "ffill", "bfill", "interpolate"
]
_NUMERIC_STRATEGIES = ("mean", "median", "interpolate")


class FillMissingStep(SpecModel):
    """Replace the missing values of ``columns`` (see the module for each strategy)."""

    kind: Literal["fill_missing"] = "fill_missing"
    columns: list[Name] = Field(min_length=1)
    strategy: FillStrategy = "value"
    value: Scalar | None = None

    @model_validator(mode="after")
    def _check_value(self) -> FillMissingStep:
        check_finite(self.value)
        if self.strategy == "value" and self.value is None:
            raise ValueError("strategy 'value' needs a 'value' to fill with")
        if self.strategy != "value" and self.value is not None:
            raise ValueError(f"strategy {self.strategy!r} takes no 'value'; remove it")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with the missing values of the columns filled."""
        result = frame.copy(deep=False)  # copy-on-write: the input stays as it is
        for column in self.columns:
            series = result[column]
            self._check(series, column)
            result[column] = self._filled(series)
        return result

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        lines = []
        for column in self.columns:
            name = f"df[{column!r}]"
            if self.strategy == "mode":
                lines += [
                    f"mode = {name}.mode()",
                    "if len(mode):",
                    f"    {name} = {name}.fillna(mode.iloc[0])",
                ]
            elif self.strategy in ("ffill", "bfill", "interpolate"):
                lines.append(f"{name} = {name}.{self.strategy}()")
            else:
                fill = (
                    repr(self.value)
                    if self.strategy == "value"
                    else f"{name}.{self.strategy}()"
                )
                lines.append(f"{name} = {name}.fillna({fill})")
        return lines

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        how = "a value" if self.strategy == "value" else f"strategy {self.strategy!r}"
        return f"fill missing values with {how}"

    def _filled(self, series: pd.Series) -> pd.Series:
        if self.strategy == "mode":
            mode = series.mode()
            return series.fillna(mode.iloc[0]) if len(mode) else series
        if self.strategy in ("ffill", "bfill", "interpolate"):
            filled: pd.Series = getattr(series, self.strategy)()
            return filled
        if self.strategy == "value":
            return series.fillna(self.value)
        return series.fillna(
            series.mean() if self.strategy == "mean" else series.median()
        )

    def _check(self, series: pd.Series, column: str) -> None:
        if self.strategy in _NUMERIC_STRATEGIES:
            require(
                is_number(series),
                f"strategy {self.strategy!r} needs a numeric column; column {column!r} "
                f"holds {series.dtype}. Use strategy 'value', 'mode' or 'ffill'.",
            )
        if self.strategy == "value" and not _fits(self.value, series):
            raise SpecError(
                f"fill value {self.value!r} does not suit column {column!r}, which "
                f"holds {series.dtype}. Give a value of the column's type, or convert "
                "the column with a 'cast' step first."
            )


def _fits(value: Any, series: pd.Series) -> bool:
    """Return whether ``value`` can fill ``series`` without changing its kind."""
    if ptypes.is_bool_dtype(series):
        return isinstance(value, bool)
    if is_number(series):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if is_text(series):
        return isinstance(value, str)
    # TODO: datetime and category columns have no fill value yet; a date string would
    # need converting to a Timestamp in both the engine and the generated code.
    return False


class DropMissingStep(SpecModel):
    """Drop rows with missing values among ``columns`` (empty: all columns).

    ``how="any"`` drops a row with any missing value, ``"all"`` only a row where all
    are missing; ``min_present`` (instead of ``how``) keeps the rows with at least that
    many values present.
    """

    kind: Literal["drop_missing"] = "drop_missing"
    columns: list[Name] = Field(default_factory=list)
    how: Literal["any", "all"] = "any"
    min_present: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check_how(self) -> DropMissingStep:
        if self.min_present is not None and self.how != "any":
            raise ValueError("give either 'how' or 'min_present', not both")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the kept rows of ``frame``, with a fresh 0..n-1 index."""
        subset = list(self.columns) or None
        if self.min_present is not None:
            kept = frame.dropna(subset=subset, thresh=self.min_present)
        else:
            kept = frame.dropna(subset=subset, how=self.how)
        return kept.reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        args = [f"subset={list(self.columns)!r}"] if self.columns else []
        if self.min_present is not None:
            args.append(f"thresh={self.min_present!r}")
        elif self.how != "any":
            args.append(f"how={self.how!r}")
        return [f"df = df.dropna({', '.join(args)}).reset_index(drop=True)"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        where = "the chosen columns" if self.columns else "any column"
        return f"drop rows with a missing value in {where}"


class DropMissingColumnsStep(SpecModel):
    """Drop the columns whose share of missing values is above ``max_missing``.

    ``columns`` limits the candidates (empty: all columns). ``max_missing=0`` drops
    every column with a missing value; a frame with no rows drops nothing.
    """

    kind: Literal["drop_missing_columns"] = "drop_missing_columns"
    max_missing: float = Field(ge=0, le=1)
    columns: list[Name] = Field(default_factory=list)

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def output_columns(self, columns: list[str]) -> list[str] | None:
        """Return ``None``: which columns go depends on the data."""
        return None

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` without the sparse columns."""
        candidates = frame[list(self.columns)] if self.columns else frame
        share = candidates.isna().mean()
        return frame.drop(columns=share[share.gt(self.max_missing)].index.tolist())

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        candidates = f"df[{list(self.columns)!r}]" if self.columns else "df"
        return [
            f"share = {candidates}.isna().mean()",
            f"sparse = share[share.gt({self.max_missing!r})].index.tolist()",
            "df = df.drop(columns=sparse)",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"drop columns with more than {self.max_missing:.0%} missing"


class FlagMissingStep(SpecModel):
    """Add a boolean column that is true where ``column`` is missing."""

    kind: Literal["flag_missing"] = "flag_missing"
    column: Name
    flag_column: Name

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [self.column]

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step; :class:`SpecError` if the flag exists."""
        self._check_new(columns)
        return [*columns, self.flag_column]

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with the flag column added."""
        self._check_new(list(frame.columns))
        result = frame.copy(deep=False)  # copy-on-write: the input stays as it is
        result[self.flag_column] = result[self.column].isna()
        return result

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [f"df[{self.flag_column!r}] = df[{self.column!r}].isna()"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return "flag missing values in a new boolean column"

    def _check_new(self, columns: list[str]) -> None:
        if self.flag_column in columns:
            raise SpecError(
                f"flag column {self.flag_column!r} already exists; choose a new name "
                "so that no data is overwritten."
            )
