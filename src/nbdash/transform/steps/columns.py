"""Steps that choose, name, order or convert columns.

``cast`` decides unparseable values by its ``errors`` field: ``"raise"`` (default)
stops with an error that names the first bad value and its row; ``"coerce"`` turns
every bad value into a missing value and logs how many there were.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from nbdash.errors import SpecError
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps._common import Datasets, check_unique

logger = logging.getLogger(__name__)

CastTarget = Literal["number", "integer", "text", "boolean", "datetime", "category"]

_BOOLEAN_WORDS = {
    "true": True, "yes": True, "1": True, "1.0": True,
    "false": False, "no": False, "0": False, "0.0": False,
}  # fmt: skip


class SelectStep(SpecModel):
    """Keep only ``columns``, in the order given."""

    kind: Literal["select"] = "select"
    columns: list[Name] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_columns(self) -> SelectStep:
        check_unique(self.columns, "selected columns")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(self.columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the chosen columns of ``frame``."""
        return frame[list(self.columns)]

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [f"df = df[{list(self.columns)!r}]"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"keep {len(self.columns)} column(s)"


class DropColumnsStep(SpecModel):
    """Remove ``columns``."""

    kind: Literal["drop_columns"] = "drop_columns"
    columns: list[Name] = Field(min_length=1)

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return [column for column in columns if column not in self.columns]

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` without the columns."""
        return frame.drop(columns=list(self.columns))

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [f"df = df.drop(columns={list(self.columns)!r})"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"drop {len(self.columns)} column(s)"


class RenameStep(SpecModel):
    """Rename columns: ``mapping`` goes from old name to new name."""

    kind: Literal["rename"] = "rename"
    mapping: dict[Name, Name] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_mapping(self) -> RenameStep:
        check_unique(list(self.mapping.values()), "new column names")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.mapping)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step; :class:`SpecError` if names collide."""
        renamed = [self.mapping.get(column, column) for column in columns]
        clashes = sorted({name for name in renamed if renamed.count(name) > 1})
        if clashes:
            raise SpecError(
                f"renaming would give two columns the same name: {clashes!r}. "
                "Rename or drop the existing column first."
            )
        return renamed

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with the columns renamed."""
        self.output_columns([str(column) for column in frame.columns])
        return frame.rename(columns=dict(self.mapping))

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [f"df = df.rename(columns={dict(self.mapping)!r})"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"rename {len(self.mapping)} column(s)"


class ReorderStep(SpecModel):
    """Move ``columns`` to the front, in the order given; the rest keep their order."""

    kind: Literal["reorder"] = "reorder"
    columns: list[Name] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_columns(self) -> ReorderStep:
        check_unique(self.columns, "reordered columns")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(self.columns)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        rest = [column for column in columns if column not in self.columns]
        return [*self.columns, *rest]

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with the columns reordered."""
        first = list(self.columns)
        return frame[first + [c for c in frame.columns if c not in first]]

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [
            f"first = {list(self.columns)!r}",
            "df = df[first + [c for c in df.columns if c not in first]]",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"move {len(self.columns)} column(s) to the front"


class CastStep(SpecModel):
    """Convert ``column`` to another type, in place.

    Targets: ``number`` (int64 or float64, as ``pd.to_numeric`` decides), ``integer``
    (nullable ``Int64``; a fractional number is a bad value), ``text`` (pandas' string
    dtype), ``boolean`` (nullable; true/yes/1 and false/no/0, any case), ``datetime``
    (``pd.to_datetime`` with ``format="mixed"``: each value parsed on its own, month
    before day when ambiguous) and ``category``.
    Missing values stay missing. With ``errors="raise"`` a value that does not convert
    stops the run with an error naming it and its row; ``"coerce"`` makes it missing.
    """

    kind: Literal["cast"] = "cast"
    column: Name
    to: CastTarget
    errors: Literal["raise", "coerce"] = "raise"

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return [self.column]

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with the column converted."""
        original = frame[self.column]
        converted = _convert(original, self.to)
        bad = converted.isna() & original.notna()
        self._report(original, bad)

        result = frame.copy(deep=False)  # copy-on-write: the input stays as it is
        result[self.column] = converted
        return result

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        column = f"df[{self.column!r}]"
        lines = [f"converted = {_convert_code(column, self.to)}"]
        if self.errors == "raise":
            lines += [
                f"bad = converted.isna() & {column}.notna()",
                "if bad.any():",
                f"    first = {column}[bad].iloc[0]",
                "    raise ValueError("
                f"'cannot convert ' + repr(first) + {' to ' + self.to!r})",
            ]
        return [*lines, f"{column} = converted"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        how = (
            "unconvertible values become missing"
            if self.errors == "coerce"
            else ("stop at an unconvertible value")
        )
        return f"convert column {self.column!r} to {self.to}; {how}"

    def _report(self, original: pd.Series, bad: pd.Series) -> None:
        count = int(bad.sum())
        if count == 0:
            return
        first = original[bad].iloc[0]
        row = int(bad.to_numpy().nonzero()[0][0])
        if self.errors == "raise":
            raise SpecError(
                f"cannot convert column {self.column!r} to {self.to}: value {first!r} "
                f"in row {row} (0-based) does not convert, nor do {count - 1} "
                "other(s). "
                "Fix the data, or set errors='coerce' to make such values missing."
            )
        logger.info(
            "cast %r to %s: %d value(s) became missing", self.column, self.to, count
        )


def _convert(series: pd.Series, to: str) -> pd.Series:
    """Convert ``series``; values that do not convert become missing."""
    if to == "number":
        return pd.to_numeric(series, errors="coerce")
    if to == "integer":
        numbers = pd.to_numeric(series, errors="coerce")
        return numbers.where(numbers.mod(1).eq(0)).astype("Int64")
    if to == "text":
        return series.astype("str")
    if to == "boolean":
        words = series.astype("str").str.strip().str.lower()
        return words.map(_BOOLEAN_WORDS).astype("boolean")
    if to == "datetime":
        return pd.to_datetime(series, errors="coerce", format="mixed")
    return series.astype("category")


def _convert_code(column: str, to: str) -> str:
    """Return the pandas source of :func:`_convert` for ``column``."""
    templates: dict[str, Any] = {
        "number": "pd.to_numeric({c}, errors='coerce')",
        "integer": (
            "pd.to_numeric({c}, errors='coerce')"
            ".pipe(lambda x: x.where(x.mod(1).eq(0))).astype('Int64')"
        ),
        "text": "{c}.astype('str')",
        "boolean": (
            "{c}.astype('str').str.strip().str.lower()"
            f".map({_BOOLEAN_WORDS!r}).astype('boolean')"
        ),
        "datetime": "pd.to_datetime({c}, errors='coerce', format='mixed')",
        "category": "{c}.astype('category')",
    }
    return str(templates[to]).replace("{c}", column)
