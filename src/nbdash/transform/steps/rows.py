"""Steps that choose or order rows: sort, drop duplicates, top N, random sample.

Each returns a frame with a fresh 0..n-1 index.
"""

from __future__ import annotations

import logging
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps._common import Datasets, check_unique, require

logger = logging.getLogger(__name__)


class SortKey(SpecModel):
    """One sort key: a column and its direction."""

    column: Name
    ascending: bool = True


class SortStep(SpecModel):
    """Sort rows by the keys in order; ties keep their order (a stable sort).

    ``missing`` puts missing values ``"last"`` (default) or ``"first"``, for every key.
    """

    kind: Literal["sort"] = "sort"
    keys: list[SortKey] = Field(min_length=1)
    missing: Literal["first", "last"] = "last"

    @model_validator(mode="after")
    def _check_keys(self) -> SortStep:
        check_unique(self.used_columns(), "sort key columns")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [key.column for key in self.keys]

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` sorted, with a fresh 0..n-1 index."""
        ordered = frame.sort_values(
            self.used_columns(),
            ascending=[key.ascending for key in self.keys],
            na_position=self.missing,
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
            f"    na_position={self.missing!r},",
            "    kind='stable',",
            ").reset_index(drop=True)",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"sort rows; missing values {self.missing}"


class DropDuplicatesStep(SpecModel):
    """Remove repeated rows, comparing ``columns`` (empty: all columns).

    ``keep`` says which of the repeated rows stays; missing values equal each other.
    """

    kind: Literal["drop_duplicates"] = "drop_duplicates"
    columns: list[Name] = Field(default_factory=list)
    keep: Literal["first", "last"] = "first"

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the rows of ``frame`` without repeats, with a fresh 0..n-1 index."""
        subset = list(self.columns) or None
        return frame.drop_duplicates(subset=subset, keep=self.keep).reset_index(
            drop=True
        )

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        subset = list(self.columns) or None
        return [
            f"df = df.drop_duplicates(subset={subset!r}, keep={self.keep!r})"
            ".reset_index(drop=True)"
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        on = "the chosen columns" if self.columns else "all columns"
        return f"drop repeated rows (same {on}), keeping the {self.keep}"


class TopNStep(SpecModel):
    """Keep the ``n`` rows with the largest (or, ascending, smallest) ``column``.

    Rows with a missing value never count. ``ties`` resolves a tie at the cut:
    ``"first"``/``"last"`` keep the rows that come first/last in the frame, ``"all"``
    keeps every tied row (so more than ``n`` rows may come out). The result is ordered
    by ``column``; the column must hold numbers (or timestamps).
    """

    kind: Literal["top_n"] = "top_n"
    column: Name
    n: int = Field(ge=1)
    ascending: bool = False
    ties: Literal["first", "last", "all"] = "first"

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [self.column]

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the top rows, with a fresh 0..n-1 index."""
        series = frame[self.column]
        kind_ok = series.dtype.kind in "iufmM" and series.dtype != bool
        require(
            kind_ok,
            f"'top_n' needs a numeric or datetime column; column {self.column!r} "
            f"holds {series.dtype}. Use a 'sort' step and then a 'sample' or 'filter'.",
        )
        present = frame[series.notna()]
        method = present.nsmallest if self.ascending else present.nlargest
        return method(self.n, self.column, keep=self.ties).reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        method = "nsmallest" if self.ascending else "nlargest"
        column = f"df[{self.column!r}]"
        return [
            f"df = df[{column}.notna()].{method}({self.n!r}, {self.column!r}, "
            f"keep={self.ties!r}).reset_index(drop=True)"
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        which = "smallest" if self.ascending else "largest"
        return f"keep the {self.n} rows with the {which} {self.column!r}"


class SampleStep(SpecModel):
    """Keep a random sample of rows: ``n`` rows or a ``fraction`` (one of the two).

    ``seed`` makes the sample reproducible (the same seed picks the same rows of the
    same frame). ``n`` larger than the frame keeps every row, in random order.
    """

    kind: Literal["sample"] = "sample"
    n: int | None = Field(default=None, ge=0)
    fraction: float | None = Field(default=None, ge=0, le=1)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _check_size(self) -> SampleStep:
        if (self.n is None) == (self.fraction is None):
            raise ValueError("give exactly one of 'n' (rows) and 'fraction' (0..1)")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return []

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the sampled rows, with a fresh 0..n-1 index."""
        if self.n is not None:
            picked = frame.sample(n=min(self.n, len(frame)), random_state=self.seed)
        else:
            picked = frame.sample(frac=self.fraction, random_state=self.seed)
        return picked.reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        size = (
            f"n=min({self.n!r}, len(df))"
            if self.n is not None
            else f"frac={self.fraction!r}"
        )
        return [
            f"df = df.sample({size}, random_state={self.seed!r}).reset_index(drop=True)"
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        size = (
            f"{self.n} rows" if self.n is not None else f"{self.fraction:.0%} of rows"
        )
        return f"random sample of {size} (seed {self.seed})"
