"""The filter step: conditions on columns, combined in nestable AND/OR groups.

Semantics, shared by :meth:`FilterStep.apply` and :meth:`FilterStep.code`:

- A comparison against a missing value is false, for ``!=`` and ``not in`` too; only
  ``is missing`` matches missing values.
- ``contains``, ``starts with`` and ``ends with`` test text literally (never a regular
  expression); ``case=False`` ignores case.
- ``in period`` keeps timestamps inside a calendar period relative to the step's
  ``as_of`` date (today when ``as_of`` is absent, so pin ``as_of`` for a reproducible
  pipeline). Time zones are ignored: a tz-aware column is compared by its wall time.
  See :class:`Period` for the exact bounds.
- The result has a fresh 0..n-1 index.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import Discriminator, Field, Tag, model_validator

from nbdash.errors import SpecError
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps._common import (
    Datasets,
    Scalar,
    check_finite,
    is_datetime,
    is_text,
)

logger = logging.getLogger(__name__)

Op = Literal[
    "==", "!=", "<", "<=", ">", ">=", "between", "in", "not in", "contains",
    "starts with", "ends with", "is missing", "is not missing", "in period",
]  # fmt: skip
PeriodUnit = Literal["day", "week", "month", "quarter", "year"]

MAX_DEPTH = 8
"""How deeply condition groups may nest; deeper specs are rejected as malformed."""

# Each comparison as (pandas source template, the same call on a Series). ``{s}`` is
# the column, ``{v}`` the value's repr, ``{lo}``/``{hi}`` the bounds of ``between``.
_MaskFn = Callable[[pd.Series, Any], pd.Series]
_OPS: dict[str, tuple[str, _MaskFn]] = {
    "==": ("{s}.eq({v})", lambda s, v: s.eq(v)),
    "!=": ("{s}.ne({v})", lambda s, v: s.ne(v)),
    "<": ("{s}.lt({v})", lambda s, v: s.lt(v)),
    "<=": ("{s}.le({v})", lambda s, v: s.le(v)),
    ">": ("{s}.gt({v})", lambda s, v: s.gt(v)),
    ">=": ("{s}.ge({v})", lambda s, v: s.ge(v)),
    "between": ("{s}.between({lo}, {hi})", lambda s, v: s.between(v[0], v[1])),
    "in": ("{s}.isin({v})", lambda s, v: s.isin(v)),
    "not in": ("~{s}.isin({v})", lambda s, v: ~s.isin(v)),
    "is missing": ("{s}.isna()", lambda s, v: s.isna()),
    "is not missing": ("{s}.notna()", lambda s, v: s.notna()),
}
_TEXT_OPS = ("contains", "starts with", "ends with")
_MISSING_OPS = ("is missing", "is not missing")
_PERIOD_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
_OFFSET_ARGS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


class Period(SpecModel):
    """A calendar period relative to a reference date ``as_of`` (day granularity).

    Bounds are ``[start, end)`` at midnight; weeks start on Monday.

    - ``last``: the ``n`` units ending with ``as_of`` (``as_of`` included), e.g.
      ``last 30 days`` is ``[as_of - 29 days, as_of + 1 day)``.
    - ``this``: the calendar unit holding ``as_of`` ("this quarter").
    - ``previous``: the ``n`` whole units before the one holding ``as_of``
      ("last month" as people say it is ``previous`` with ``n=1``).
    - ``to_date``: from the start of the unit holding ``as_of`` to ``as_of``
      included ("year to date").
    """

    which: Literal["last", "this", "previous", "to_date"]
    unit: PeriodUnit
    n: int = Field(default=1, ge=1, le=10_000)

    @model_validator(mode="after")
    def _check_n(self) -> Period:
        if self.which in ("this", "to_date") and self.n != 1:
            raise ValueError(f"period {self.which!r} takes no 'n'; received {self.n}")
        return self

    def bounds(self, as_of: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Return ``(start, end)`` of the period for the reference day ``as_of``."""
        start, end = self._shape()
        return self._bound_value(*start, as_of), self._bound_value(*end, as_of)

    def bounds_code(self) -> tuple[str, str]:
        """Return pandas source for ``(start, end)``, written with a variable as_of."""
        start, end = self._shape()
        return self._bound_code(*start), self._bound_code(*end)

    def _shape(self) -> tuple[tuple[str, bool], tuple[str, bool]]:
        """Return each bound as (base, whether ``n`` units are subtracted)."""
        shapes = {
            "last": (("next_day", True), ("next_day", False)),
            "this": (("this_start", False), ("next_start", False)),
            "previous": (("this_start", True), ("this_start", False)),
            "to_date": (("this_start", False), ("next_day", False)),
        }
        return shapes[self.which]

    def _bound_value(self, base: str, minus: bool, as_of: pd.Timestamp) -> pd.Timestamp:
        period = as_of.to_period(_PERIOD_FREQ[self.unit])
        bases = {
            "next_day": as_of + pd.Timedelta(days=1),
            "this_start": period.start_time,
            "next_start": (period + 1).start_time,
        }
        value = bases[base]
        offset: Any = pd.DateOffset(**self._offset_args())  # type: ignore[arg-type]
        return value - offset if minus else value

    def _bound_code(self, base: str, minus: bool) -> str:
        freq = repr(_PERIOD_FREQ[self.unit])
        bases = {
            "next_day": "as_of + pd.Timedelta(days=1)",
            "this_start": f"as_of.to_period({freq}).start_time",
            "next_start": f"(as_of.to_period({freq}) + 1).start_time",
        }
        ((name, amount),) = self._offset_args().items()
        offset = f" - pd.DateOffset({name}={amount})" if minus else ""
        return bases[base] + offset

    def _offset_args(self) -> dict[str, int]:
        if self.unit == "quarter":
            return {"months": 3 * self.n}
        return {_OFFSET_ARGS[self.unit]: self.n}


class Condition(SpecModel):
    """One test on one column, e.g. ``{"column": "Region", "op": "==", "value": "EU"}``.

    ``value`` is a scalar for comparisons, text for ``contains``/``starts with``/
    ``ends with``, a list of two for ``between`` (inclusive), a list for ``in``/
    ``not in``, and absent for the missing tests and ``in period`` (which takes
    ``period``). ``case`` applies to the text tests only. Dates are ISO strings, which
    pandas compares with datetime columns.
    """

    column: Name
    op: Op
    value: Scalar | list[Scalar] | None = None
    case: bool = True
    period: Period | None = None

    @model_validator(mode="after")
    def _check_value(self) -> Condition:
        check_finite(self.value)
        problem = _value_problem(self.op, self.value)
        if problem:
            raise ValueError(f"op {self.op!r} {problem}; received {self.value!r}")
        if (self.op == "in period") != (self.period is not None):
            raise ValueError(
                "'period' is required by op 'in period' and by no other op"
            )
        return self

    def used_columns(self) -> list[str]:
        """Return the column this condition reads."""
        return [self.column]

    def mask(self, frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        """Return the boolean Series of rows of ``frame`` that pass this condition."""
        column = frame[self.column]
        self._check_dtype(column)
        if self.op in _TEXT_OPS:
            test = _text_test(self.op, column, str(self.value), self.case)
        elif self.period is not None:
            start, end = self.period.bounds(as_of)
            wall = column.dt.tz_localize(None)
            test = wall.ge(start) & wall.lt(end)
        else:
            test = _OPS[self.op][1](column, self.value)
        return test if self.op in _MISSING_OPS else test & column.notna()

    def code(self) -> str:
        """Return the pandas expression for :meth:`mask`, on a frame named ``df``."""
        column = f"df[{self.column!r}]"
        if self.op in _TEXT_OPS:
            test = _text_code(self.op, column, str(self.value), self.case)
        elif self.period is not None:
            start, end = self.period.bounds_code()
            wall = f"{column}.dt.tz_localize(None)"
            test = f"{wall}.ge({start}) & {wall}.lt({end})"
        else:
            bounds: list[Any] = self.value if isinstance(self.value, list) else []
            bounds = bounds if self.op == "between" else [None]
            test = _OPS[self.op][0].format(
                s=column, v=repr(self.value), lo=repr(bounds[0]), hi=repr(bounds[-1])
            )
        return test if self.op in _MISSING_OPS else f"({test}) & {column}.notna()"

    def _check_dtype(self, column: pd.Series) -> None:
        if self.op in _TEXT_OPS and not is_text(column):
            raise SpecError(
                f"{self.op!r} needs a text column; column {self.column!r} holds "
                f"{column.dtype}. Use '==' or 'in' for other types."
            )
        if self.op == "in period" and not is_datetime(column):
            raise SpecError(
                f"'in period' needs a datetime column; column {self.column!r} holds "
                f"{column.dtype}. Convert it first with a 'cast' step to 'datetime'."
            )


class ConditionGroup(SpecModel):
    """Conditions (or further groups) combined with AND (all) or OR (any)."""

    combine: Literal["and", "or"] = "and"
    conditions: list[ConditionItem] = Field(min_length=1)

    def used_columns(self) -> list[str]:
        """Return the columns the conditions read."""
        return [name for item in self.conditions for name in item.used_columns()]

    def mask(self, frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        """Return the rows of ``frame`` that pass the group."""
        masks = [item.mask(frame, as_of) for item in self.conditions]
        keep = masks[0]
        for mask in masks[1:]:
            keep = (keep & mask) if self.combine == "and" else (keep | mask)
        return keep

    def code(self) -> str:
        """Return the pandas expression for :meth:`mask`."""
        joiner = " & " if self.combine == "and" else " | "
        return joiner.join(f"({item.code()})" for item in self.conditions)

    def depth(self) -> int:
        """Return how deeply groups nest inside this one (1 for a flat group)."""
        inner = [
            item.depth() for item in self.conditions if isinstance(item, ConditionGroup)
        ]
        return 1 + max(inner, default=0)

    def leaves(self) -> list[Condition]:
        """Return every condition inside this group, however deep."""
        found: list[Condition] = []
        for item in self.conditions:
            found += item.leaves() if isinstance(item, ConditionGroup) else [item]
        return found


def _item_tag(value: Any) -> str:
    is_group = isinstance(value, ConditionGroup) or (
        isinstance(value, dict) and "column" not in value and "conditions" in value
    )
    return "group" if is_group else "condition"


ConditionItem = Annotated[
    Annotated[Condition, Tag("condition")] | Annotated[ConditionGroup, Tag("group")],
    Discriminator(_item_tag),
]
"""A condition, or a group of them (a dict with ``conditions`` and no ``column``)."""

ConditionGroup.model_rebuild()


class FilterStep(SpecModel):
    """Keep the rows that pass all (``combine="and"``) or any of the conditions.

    ``conditions`` holds conditions and nested :class:`ConditionGroup` s, so
    ``A and (B or C)`` is ``{"combine": "and", "conditions": [A, {"combine": "or",
    "conditions": [B, C]}]}``. ``as_of`` pins the reference day of ``in period``
    conditions (default: the day the pipeline runs).
    """

    kind: Literal["filter"] = "filter"
    conditions: list[ConditionItem] = Field(min_length=1)
    combine: Literal["and", "or"] = "and"
    as_of: dt.date | None = None

    @model_validator(mode="after")
    def _check_depth(self) -> FilterStep:
        if self._group().depth() > MAX_DEPTH:
            raise ValueError(f"condition groups nest at most {MAX_DEPTH} deep")
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads."""
        return list(dict.fromkeys(self._group().used_columns()))

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns)

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the rows of ``frame`` that pass, with a fresh 0..n-1 index."""
        keep = self._group().mask(frame, self.reference_day())
        return frame[keep].reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        lines = []
        if self._uses_period():
            lines.append(f"as_of = {self._as_of_code()}")
        joiner = "&" if self.combine == "and" else "|"
        tests = [f"({item.code()})" for item in self.conditions]
        body = [f"    {tests[0]}", *(f"    {joiner} {test}" for test in tests[1:])]
        return [*lines, "keep = (", *body, ")", "df = df[keep].reset_index(drop=True)"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        which = "all" if self.combine == "and" else "any"
        count = len(self.conditions)
        return (
            f"keep rows matching {which} of {count} condition(s); missing never matches"
        )

    def reference_day(self) -> pd.Timestamp:
        """Return ``as_of`` as a midnight timestamp, or today when it is not pinned."""
        if self.as_of is None:
            return pd.Timestamp.today().normalize()
        return pd.Timestamp(self.as_of)

    def _as_of_code(self) -> str:
        if self.as_of is None:
            return "pd.Timestamp.today().normalize()"
        return f"pd.Timestamp({self.as_of.isoformat()!r})"

    def _uses_period(self) -> bool:
        return any(leaf.period is not None for leaf in self._group().leaves())

    def _group(self) -> ConditionGroup:
        return ConditionGroup.model_construct(
            combine=self.combine, conditions=self.conditions
        )


def _text_test(op: str, column: pd.Series, value: str, case: bool) -> pd.Series:
    if op == "contains":
        return column.str.contains(value, case=case, regex=False, na=False)
    text = column if case else column.str.lower()
    needle = value if case else value.lower()
    if op == "starts with":
        return text.str.startswith(needle, na=False)
    return text.str.endswith(needle, na=False)


def _text_code(op: str, column: str, value: str, case: bool) -> str:
    if op == "contains":
        return f"{column}.str.contains({value!r}, case={case!r}, regex=False, na=False)"
    text = column if case else f"{column}.str.lower()"
    needle = value if case else value.lower()
    method = "startswith" if op == "starts with" else "endswith"
    return f"{text}.str.{method}({needle!r}, na=False)"


def _value_problem(op: str, value: Any) -> str:
    """Return what is wrong with ``value`` for ``op``, or an empty string."""
    if op in (*_MISSING_OPS, "in period"):
        return "takes no value" if value is not None else ""
    if op == "between":
        ok = isinstance(value, list) and len(value) == 2
        return "" if ok else "needs a list of two values [low, high]"
    if op in ("in", "not in"):
        return "" if isinstance(value, list) else "needs a list of values"
    if op in _TEXT_OPS:
        return "" if isinstance(value, str) else "needs a text value"
    ok = value is not None and not isinstance(value, list)
    return "" if ok else "needs a single value"
