"""Compile a derived column's expression AST to DuckDB SQL with pandas' exact result.

The pandas engine evaluates :mod:`nbdash.transform.expr` with vectorised pandas
operations; this module writes the same computation as one SQL expression. Every
column name is quoted and every constant is a bound parameter, so no text of the
expression reaches the SQL as code.

Only what gives the pandas engine's values *and dtype* on any data is compiled; the
rest raises :class:`~nbdash.errors.EngineNotSupportedError` with the reason (and
``engine='auto'`` runs pandas):

- columns must be plain ``int64``, ``float64``, ``bool``, ``str`` or ``datetime64``
  (a masked dtype changes pandas' result dtypes);
- ``%`` by an integer column, ``len`` and the date parts give int64 or float64
  depending on whether a value is missing, which SQL cannot know in advance;
- ``lower``/``upper`` follow Python's full Unicode case mapping (``'ß'.upper()`` is
  ``'SS'``), DuckDB's follow the simple one;
- ``concat`` of a number or a boolean writes Python's ``str`` of it;
- ``if`` and ``coalesce`` whose values have different types (int and float...)
  give a dtype that depends on which rows take which value.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import pandas as pd

from nbdash.errors import EngineNotSupportedError
from nbdash.transform import expr as expression
from nbdash.transform.expr import Binary, Call, ColumnRef, Constant, Expr, Unary

logger = logging.getLogger(__name__)

Bind = Callable[[Any], str]
"""Binds a constant as a query parameter and returns its SQL (``CAST($n AS ...)``)."""

_KINDS = {"int64": "int", "float64": "float", "bool": "bool", "str": "text"}
_EXPR_TYPES = {"int": "number", "float": "number", "bool": "bool", "text": "text"}
_EXPR_TYPES |= {"date": "datetime"}
_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_WHITESPACE = "".join(
    chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()
)
"""Every character Python's ``str.strip()`` removes."""


@dataclass(frozen=True)
class SqlValue:
    """A compiled node: its SQL, kind (int float bool text date null), and whether it
    varies by row (a column) or is one value for every row (a constant)."""

    sql: str
    kind: str
    series: bool
    dtype: Any = None


def expression_kind(dtype: Any) -> str | None:
    """The kind of a column of pandas ``dtype`` in expressions; None if not handled."""
    if dtype is None:
        return None
    name = str(dtype)
    if name.startswith("datetime64[") and "," not in name:
        return "date"
    return _KINDS.get(name)


def compile_expression(
    ast: Expr, dtypes: dict[str, Any], bind: Bind, text: str = ""
) -> SqlValue:
    """Compile ``ast`` over columns with pandas ``dtypes``; return its SQL and dtype.

    Raises
    ------
    ExpressionError
        The expression does not type-check (the pandas engine's message).
    EngineNotSupportedError
        Pandas' result on some data cannot be matched exactly in SQL.
    """
    kinds = {}
    for name in expression.columns_of(ast):
        if name not in dtypes:
            continue
        kind = expression_kind(dtypes[name])
        if kind is None:
            raise EngineNotSupportedError(
                f"column {name!r} holds {dtypes[name]}; the duckdb engine computes "
                "expressions on int64, float64, bool, str and datetime columns only"
            )
        kinds[name] = kind
    types = {name: _EXPR_TYPES[kind] for name, kind in kinds.items()}
    expression.check(ast, types, text, available=list(dtypes))

    value = _Writer(kinds, dtypes, bind).series(ast)
    return value


@dataclass
class _Writer:
    kinds: dict[str, str]
    dtypes: dict[str, Any]
    bind: Bind

    def series(self, node: Expr) -> SqlValue:
        """``node`` as a column, with the dtype pandas gives it."""
        value = self.node(node)
        if value.kind == "null":
            _refuse("an expression that is null for every row has pandas' object dtype")
        dtype = (
            value.dtype
            or {
                "int": "int64",
                "float": "float64",
                "bool": "bool",
                "text": "str",
            }[value.kind]
        )
        return SqlValue(value.sql, value.kind, True, dtype)

    def node(self, node: Expr) -> SqlValue:
        if isinstance(node, Constant):
            return self.constant(node.value)
        if isinstance(node, ColumnRef):
            kind = self.kinds[node.name]
            dtype = self.dtypes[node.name] if kind == "date" else None
            return SqlValue(_quote(node.name), kind, True, dtype)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def constant(self, value: Any) -> SqlValue:
        if value is None:
            return SqlValue("NULL", "null", False)
        if isinstance(value, bool):
            return SqlValue(self.bind(value), "bool", False)
        if isinstance(value, int):
            return SqlValue(self.bind(value), "int", False)
        if isinstance(value, float):
            return SqlValue(self.bind(value), "float", False)
        return SqlValue(self.bind(str(value)), "text", False)

    def condition(self, node: Expr) -> SqlValue:
        value = self.node(node)
        sql = f"coalesce({value.sql}, false)" if value.series else value.sql
        return SqlValue(sql, "bool", value.series)

    def unary(self, node: Unary) -> SqlValue:
        if node.op == "-":
            value = self.node(node.operand)
            return SqlValue(f"(-{value.sql})", value.kind, value.series)
        value = self.condition(node.operand)
        return SqlValue(f"(NOT {value.sql})", "bool", value.series)

    def binary(self, node: Binary) -> SqlValue:
        if node.op in ("and", "or"):
            left, right = self.condition(node.left), self.condition(node.right)
            sql = f"({left.sql} {node.op.upper()} {right.sql})"
            return SqlValue(sql, "bool", left.series or right.series)
        left, right = self.node(node.left), self.node(node.right)
        series = left.series or right.series
        if node.op in _COMPARE:
            sql = f"({left.sql} {_COMPARE[node.op]} {right.sql})"
            return SqlValue(
                f"coalesce({sql}, false)" if series else sql, "bool", series
            )
        if node.op == "/":
            return self.divide(node, left, right)
        if node.op == "%":
            return self.modulo(node, left, right)
        kind = "int" if left.kind == right.kind == "int" else "float"
        sql = f"({left.sql} {node.op} {right.sql})"
        return SqlValue(_no_nan(sql) if kind == "float" else sql, kind, series)

    def divide(self, node: Binary, left: SqlValue, right: SqlValue) -> SqlValue:
        divisor = self.divisor(node, right)
        sql = f"(CAST({left.sql} AS DOUBLE) / CAST({divisor} AS DOUBLE))"
        return SqlValue(_no_nan(sql), "float", left.series or right.series)

    def modulo(self, node: Binary, left: SqlValue, right: SqlValue) -> SqlValue:
        if right.series and right.kind == "int":
            _refuse(
                "'%' by an integer column gives int64 or float64 in pandas depending "
                "on whether a divisor is 0"
            )
        divisor = self.divisor(node, right)
        series = left.series or right.series
        if left.kind == right.kind == "int":
            # numpy (and Python): the remainder takes the divisor's sign.
            sql = f"((({left.sql} % {divisor}) + {divisor}) % {divisor})"
            return SqlValue(sql, "int", series)
        a, b = f"CAST({left.sql} AS DOUBLE)", f"CAST({divisor} AS DOUBLE)"
        rest = f"fmod({a}, {b})"
        sql = (
            f"(CASE WHEN {rest} <> 0 AND (({rest} < 0) <> ({b} < 0)) "
            f"THEN {rest} + {b} ELSE {rest} END)"
        )
        return SqlValue(_no_nan(sql), "float", series)

    def divisor(self, node: Binary, right: SqlValue) -> str:
        if right.series:
            return f"nullif({right.sql}, 0)"
        if not _nonzero_constant(node.right):
            _refuse(
                f"'{node.op}' by a computed constant: pandas gives inf (or an error) "
                "where SQL gives a missing value"
            )
        return right.sql

    def call(self, node: Call) -> SqlValue:
        handler = getattr(self, f"fn_{node.func}", None)
        if handler is None:
            _refuse(_REFUSED.get(node.func, f"{node.func}() is not compiled to SQL"))
        result: SqlValue = handler(node)
        return result

    def fn_trim(self, node: Call) -> SqlValue:
        text = self.series(node.args[0])
        return SqlValue(f"trim({text.sql}, {self.bind(_WHITESPACE)})", "text", True)

    def text_test(self, node: Call, func: str) -> SqlValue:
        text = self.series(node.args[0])
        needle = self.node(node.args[1])
        return SqlValue(
            f"coalesce({func}({text.sql}, {needle.sql}), false)", "bool", True
        )

    def fn_contains(self, node: Call) -> SqlValue:
        return self.text_test(node, "contains")

    def fn_starts_with(self, node: Call) -> SqlValue:
        return self.text_test(node, "starts_with")

    def fn_ends_with(self, node: Call) -> SqlValue:
        return self.text_test(node, "suffix")

    def fn_is_missing(self, node: Call) -> SqlValue:
        value = self.node(node.args[0])
        return SqlValue(f"({value.sql} IS NULL)", "bool", True)

    def fn_substring(self, node: Call) -> SqlValue:
        text = self.series(node.args[0])
        start = self.node(node.args[1])
        if len(node.args) > 2:
            length = self.node(node.args[2])
            return SqlValue(
                f"substring({text.sql}, {start.sql}, {length.sql})", "text", True
            )
        return SqlValue(f"substring({text.sql}, {start.sql})", "text", True)

    def fn_concat(self, node: Call) -> SqlValue:
        parts = []
        for arg in node.args:
            value = self.node(arg)
            if value.kind != "text":
                _refuse(
                    "concat() of a non-text value writes Python's str() of it; make "
                    "it text with a 'cast' step first"
                )
            parts.append(f"coalesce({value.sql}, '')" if value.series else value.sql)
        return SqlValue("(" + " || ".join(parts) + ")", "text", True)

    def fn_round(self, node: Call) -> SqlValue:
        value = self.node(node.args[0])
        digits = int(_constant(node.args[1])) if len(node.args) > 1 else 0
        if value.kind == "int":
            return SqlValue(value.sql, "int", value.series)
        # numpy: multiply by 10**digits, round half to even, divide back.
        scale = self.bind(float(10**digits))
        sql = f"(round_even({value.sql} * {scale}, 0) / {scale})"
        return SqlValue(sql, "float", value.series)

    def fn_abs(self, node: Call) -> SqlValue:
        value = self.node(node.args[0])
        return SqlValue(f"abs({value.sql})", value.kind, value.series)

    def fn_date(self, node: Call) -> SqlValue:
        stamp = pd.Timestamp(str(_constant(node.args[0])))
        if stamp.tzinfo is not None:
            _refuse("a date with a time zone cannot be compared with naive dates")
        dtype = pd.Series([stamp]).dtype  # pandas' unit for this constant
        sql = f"CAST({self.bind(stamp.isoformat())} AS TIMESTAMP)"
        return SqlValue(sql, "date", False, dtype)

    def fn_if(self, node: Call) -> SqlValue:
        condition = self.condition(node.args[0])
        then = self.series(node.args[1])
        otherwise = self.node(node.args[2])
        same = otherwise.kind == then.kind
        missing_ok = otherwise.kind == "null" and then.kind in ("float", "text", "date")
        if not (same or missing_ok):
            _refuse(
                f"if() of {then.kind} and {otherwise.kind}: pandas' dtype depends on "
                "which rows take which value"
            )
        sql = f"(CASE WHEN {condition.sql} THEN {then.sql} ELSE {otherwise.sql} END)"
        return SqlValue(sql, then.kind, True, then.dtype)

    def fn_coalesce(self, node: Call) -> SqlValue:
        first = self.series(node.args[0])
        if first.kind in ("int", "bool"):
            return first  # plain int64 and bool columns hold no missing value
        rest = [self.node(arg) for arg in node.args[1:]]
        if any(value.kind not in (first.kind, "null", "int") for value in rest):
            _refuse("coalesce() of values of different types")
        if first.kind != "float" and any(value.kind == "int" for value in rest):
            _refuse("coalesce() of values of different types")
        sqls = ", ".join([first.sql, *(value.sql for value in rest)])
        return SqlValue(f"coalesce({sqls})", first.kind, True, first.dtype)


_REFUSED = {
    "len": "len() gives int64 or float64 in pandas depending on missing values",
    "lower": "lower() follows Python's full Unicode case mapping, DuckDB's differs",
    "upper": "upper() follows Python's full Unicode case mapping, DuckDB's differs",
    "date_diff": "date_diff() gives int64 or float64 depending on missing dates",
}
for _part in ("year", "quarter", "month", "day", "weekday"):
    _REFUSED[_part] = f"{_part}() gives int32 or float64 depending on missing dates"


def _refuse(reason: str) -> NoReturn:
    raise EngineNotSupportedError(f"{reason}; use engine='pandas'.")


def _no_nan(sql: str) -> str:
    """pandas treats NaN (e.g. inf - inf) as missing; DuckDB as a value."""
    return f"nullif({sql}, 'NaN'::DOUBLE)"


def _quote(name: str) -> str:
    from nbdash.transform.sql import quote

    return quote(name)


def _nonzero_constant(node: Expr) -> bool:
    """A number written in the text (``3``, ``-3``), not 0."""
    while isinstance(node, Unary) and node.op == "-":
        node = node.operand
    return isinstance(node, Constant) and node.value not in (0, None, False)


def _constant(node: Expr) -> Any:
    if not isinstance(node, Constant):
        raise EngineNotSupportedError("expected a constant; use engine='pandas'.")
    return node.value
