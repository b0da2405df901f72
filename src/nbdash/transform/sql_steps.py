"""More step compilers of :mod:`nbdash.transform.sql`: missing data, date buckets.

Each function takes the compiler and a validated step and adds the step's common table
expression(s); :data:`STEPS` maps step kinds to them. Row order is carried by the
hidden row number :data:`~nbdash.transform.sql.ROW`; a step whose SQL does not keep
the input order (a window) marks the compiler ``reordered`` so the final ``SELECT``
orders by it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd

from nbdash.errors import EngineNotSupportedError, SpecError
from nbdash.transform.sql import (
    _AGGREGATES,
    _INTEGER_TYPES,
    ROW,
    Column,
    _check_values,
    _Compiler,
    _dtype_name,
    _is_number,
    _is_numpy_int,
    quote,
)
from nbdash.transform.steps.reshape import _BUCKET_FREQ

logger = logging.getLogger(__name__)

POSITION = "__nbdash_pos"
"""A hidden 1-based position in the current order, for interpolation."""

_BEFORE = f"ORDER BY {ROW} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
_AFTER = f"ORDER BY {ROW} ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"
_WINDOWED = ("ffill", "bfill", "interpolate")


def fill_missing(compiler: _Compiler, step: Any) -> None:
    """Fill each column's missing values by the step's strategy, as pandas does."""
    if step.strategy == "interpolate":
        compiler.add(
            f"SELECT *, row_number() OVER (ORDER BY {ROW}) AS {POSITION} "
            f"FROM {compiler.previous}"
        )
    replaced = []
    for name in dict.fromkeys(step.columns):
        column = compiler.column(name)
        filled = _filled(compiler, step, column)
        replaced.append(f"{filled} AS {quote(name)}")
    hidden = f" EXCLUDE ({POSITION})" if step.strategy == "interpolate" else ""
    compiler.add(
        f"SELECT *{hidden} REPLACE ({', '.join(replaced)}) FROM {compiler.previous}"
    )
    if step.strategy in _WINDOWED:
        compiler.reordered = True


def _filled(compiler: _Compiler, step: Any, column: Column) -> str:
    name = quote(column.name)
    if step.strategy == "ffill":
        return f"last_value({name} IGNORE NULLS) OVER ({_BEFORE})"
    if step.strategy == "bfill":
        return f"first_value({name} IGNORE NULLS) OVER ({_AFTER})"
    if step.strategy == "interpolate":
        _check_numeric(step, column)
        return _interpolated(column)
    if step.strategy == "mode":
        return f"coalesce({name}, {_mode(compiler, column)})"
    return f"coalesce({name}, {_fill_value(compiler, step, column)})"


def _mode(compiler: _Compiler, column: Column) -> str:
    """``Series.mode().iloc[0]``: the most frequent value, the smallest on a tie."""
    name = quote(column.name)
    return (
        f"(SELECT {name} FROM {compiler.previous} WHERE {name} IS NOT NULL "
        f"GROUP BY {name} ORDER BY count(*) DESC, {name} ASC LIMIT 1)"
    )


def _interpolated(column: Column) -> str:
    """``Series.interpolate()``: linear by position (``np.interp``); leading gaps
    stay missing, trailing ones take the last value."""
    if str(column.dtype) not in ("float64", "int64"):
        raise EngineNotSupportedError(
            f"interpolating column {column.name!r} ({_dtype_name(column)}) is not "
            "compiled; pandas' result dtype for it is its own. Use engine='pandas'."
        )
    name = quote(column.name)
    at = f"CASE WHEN {name} IS NOT NULL THEN {POSITION} END"
    before_value = f"last_value({name} IGNORE NULLS) OVER ({_BEFORE})"
    before_at = f"last_value({at} IGNORE NULLS) OVER ({_BEFORE})"
    after_value = f"first_value({name} IGNORE NULLS) OVER ({_AFTER})"
    after_at = f"first_value({at} IGNORE NULLS) OVER ({_AFTER})"
    slope = (
        f"(CAST({after_value} AS DOUBLE) - {before_value}) / ({after_at} - {before_at})"
    )
    return (
        f"(CASE WHEN {name} IS NOT NULL THEN CAST({name} AS DOUBLE) "
        f"WHEN {after_value} IS NULL THEN CAST({before_value} AS DOUBLE) "
        f"ELSE {slope} * ({POSITION} - {before_at}) + {before_value} END)"
    )


def _check_numeric(step: Any, column: Column) -> None:
    if not _is_number(column):
        raise SpecError(
            f"strategy {step.strategy!r} needs a numeric column; column "
            f"{column.name!r} holds {_dtype_name(column)}. Use strategy 'value', "
            "'mode' or 'ffill'."
        )


def _fill_value(compiler: _Compiler, step: Any, column: Column) -> str:
    """The constant, mean or median that fills ``column``."""
    if step.strategy == "value":
        _check_values(column, [step.value])
        if column.type in _INTEGER_TYPES and not isinstance(step.value, int):
            raise EngineNotSupportedError(
                f"filling integer column {column.name!r} with {step.value!r} would "
                "change its type; pandas decides that, so use engine='pandas'."
            )
        return f"CAST({compiler.param(step.value)} AS {column.type})"

    _check_numeric(step, column)
    if column.type in _INTEGER_TYPES and not _is_numpy_int(column):
        raise EngineNotSupportedError(
            f"filling integer column {column.name!r} by its {step.strategy} may need "
            "a fractional value; pandas decides that, so use engine='pandas'."
        )
    func = _AGGREGATES[step.strategy]
    return f"(SELECT {func}({quote(column.name)}) FROM {compiler.previous})"


def drop_missing(compiler: _Compiler, step: Any) -> None:
    """``dropna``: keep rows by their count of present values among the columns."""
    names = list(step.columns) or [column.name for column in compiler.columns]
    present = " + ".join(
        f"CAST({quote(name)} IS NOT NULL AS INTEGER)" for name in names
    )
    count = f"({present or '0'})"
    if step.min_present is not None:
        test = f"{count} >= {int(step.min_present)}"
    elif step.how == "all":
        test = f"{count} > 0"
    else:
        test = f"{count} = {len(names)}"
    compiler.add(f"SELECT * FROM {compiler.previous} WHERE {test}")


def bucket_date(compiler: _Compiler, step: Any) -> None:
    """``to_period(unit).start_time``: ``date_trunc`` (weeks start on Monday)."""
    column = compiler.column(step.column)
    if not column.type.startswith("TIMESTAMP"):
        raise SpecError(
            f"'bucket_date' needs a datetime column; column {column.name!r} holds "
            f"{_dtype_name(column)}. Convert it first with a 'cast' step to 'datetime'."
        )
    if column.dtype is None or "," in str(column.dtype):
        raise EngineNotSupportedError(
            f"bucketing column {column.name!r} ({_dtype_name(column)}) is not "
            "compiled: only naive timestamps of a known dtype are; use "
            "engine='pandas'."
        )
    freq = _BUCKET_FREQ[step.unit]
    empty = pd.Series([], dtype=column.dtype).dt.to_period(freq).dt.start_time
    bucket = f"date_trunc({compiler.param(step.unit)}, {quote(column.name)})"
    target = Column(step.target, "TIMESTAMP", empty.dtype)

    names = [old.name for old in compiler.columns]
    if step.target in names:
        select = f"* REPLACE ({bucket} AS {quote(step.target)})"
        compiler.columns = [
            target if old.name == step.target else old for old in compiler.columns
        ]
    else:
        select = f"*, {bucket} AS {quote(step.target)}"
        compiler.columns = [*compiler.columns, target]
    compiler.add(f"SELECT {select} FROM {compiler.previous}")


_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
_TRUE_WORDS = ("true", "yes", "1", "1.0")
_FALSE_WORDS = ("false", "no", "0", "0.0")


def cast(compiler: _Compiler, step: Any) -> None:
    """The casts whose pandas result SQL gives exactly; others are refused."""
    column = compiler.column(step.column)
    dtype = str(column.dtype)
    name = quote(column.name)
    converted, bad, out = _converted(compiler, step.to, dtype, name)
    if converted is None:
        raise EngineNotSupportedError(
            f"casting column {column.name!r} ({_dtype_name(column)}) to {step.to!r} "
            "is not compiled (pandas' parsing and text forms differ from DuckDB's); "
            "use engine='pandas'."
        )
    if bad is not None and step.errors == "raise":
        message = compiler.param(
            f"cannot convert column {column.name!r} to {step.to}: a value does not "
            "convert. Fix the data, or set errors='coerce' to make such values missing."
        )
        converted = f"(CASE WHEN {bad} THEN error({message}) ELSE {converted} END)"
    new = Column(column.name, out[0], out[1])
    compiler.add(f"SELECT * REPLACE ({converted} AS {name}) FROM {compiler.previous}")
    compiler.columns = [new if c.name == column.name else c for c in compiler.columns]


def _converted(
    compiler: _Compiler, to: str, dtype: str, name: str
) -> tuple[str | None, str | None, tuple[str, str]]:
    """SQL of the converted column, of its bad values (None: none), and its type."""
    same = (to, dtype)
    if same in (("number", "int64"), ("number", "float64"), ("text", "str")):
        return name, None, (_type_of(dtype), dtype)
    if to == "datetime" and dtype.startswith("datetime64[") and "," not in dtype:
        return name, None, ("TIMESTAMP", dtype)
    if to == "integer" and dtype == "int64":
        return name, None, ("BIGINT", "Int64")
    if to == "integer" and dtype == "float64":
        whole = f"(fmod({name}, 1) = 0)"
        bad = f"({name} IS NOT NULL AND NOT coalesce({whole}, false))"
        sql = f"(CASE WHEN {whole} THEN CAST({name} AS BIGINT) END)"
        return sql, bad, ("BIGINT", "Int64")
    if to == "boolean":
        words = _boolean(compiler, dtype, name)
        wrong = None if words is None else f"({name} IS NOT NULL AND {words} IS NULL)"
        return words, wrong, ("BOOLEAN", "boolean")
    return None, None, ("", "")


def _boolean(compiler: _Compiler, dtype: str, name: str) -> str | None:
    """``str(value).strip().lower()`` looked up in the true/false words."""
    if dtype == "bool":
        return name
    if dtype == "int64":
        return f"(CASE {name} WHEN 1 THEN true WHEN 0 THEN false END)"
    if dtype == "float64":
        # str(-0.0) is '-0.0', not a word: only +0.0 is false.
        return (
            f"(CASE WHEN {name} = 1 THEN true "
            f"WHEN {name} = 0 AND NOT signbit({name}) THEN false END)"
        )
    if dtype != "str":
        return None
    word = f"lower(trim({name}, {compiler.param(_WHITESPACE)}))"
    true = ", ".join(compiler.param(w) for w in _TRUE_WORDS)
    false = ", ".join(compiler.param(w) for w in _FALSE_WORDS)
    return (
        f"(CASE WHEN {word} IN ({true}) THEN true "
        f"WHEN {word} IN ({false}) THEN false END)"
    )


def _type_of(dtype: str) -> str:
    return {"int64": "BIGINT", "float64": "DOUBLE"}.get(dtype, "VARCHAR")


PART = "__nbdash_part"
AT = "__nbdash_at"


def append(compiler: _Compiler, step: Any) -> None:
    """``pd.concat(..., ignore_index=True)`` of datasets with the same columns and
    dtypes (then pandas keeps each dtype): the current rows, then each dataset's."""
    names = [column.name for column in compiler.columns]
    picks = ", ".join(quote(name) for name in names)
    parts = [f"SELECT {picks}, 0 AS {PART}, {ROW} AS {AT} FROM {compiler.previous}"]
    for number, dataset in enumerate(step.datasets, start=1):
        relation = _same_columns(compiler, dataset)
        parts.append(
            f"SELECT {picks}, {number} AS {PART}, row_number() OVER () AS {AT} "
            f"FROM {relation}"
        )
    compiler.add(" UNION ALL ".join(parts))
    compiler.has_row = False
    compiler.order_rows([PART, AT])


def _same_columns(compiler: _Compiler, dataset: str) -> str:
    if dataset not in compiler.others:
        raise EngineNotSupportedError(f"dataset {dataset!r} was not given")
    relation, columns = compiler.others[dataset]
    mine = {column.name: str(column.dtype) for column in compiler.columns}
    theirs = {column.name: str(column.dtype) for column in columns}
    if mine != theirs or "None" in mine.values() or {PART, AT} & set(mine):
        raise EngineNotSupportedError(
            f"appending dataset {dataset!r}: pandas unifies differing columns or "
            "dtypes by its own rules, so only datasets with the same columns and "
            "dtypes are compiled; use engine='pandas'."
        )
    return relation


STEPS: dict[str, Callable[[_Compiler, Any], None]] = {
    "append": append,
    "cast": cast,
    "bucket_date": bucket_date,
    "fill_missing": fill_missing,
    "drop_missing": drop_missing,
}
"""The step compilers of this module, by step kind."""
