r"""A small, safe expression language for derived columns.

The text is parsed by a ``lark`` LALR grammar into the frozen dataclasses below (the
AST, which other engines, e.g. SQL, compile on their own), type-checked against the
frame's column types, and compiled to vectorised pandas operations *and* to the same
operations as pandas source. Nothing is ever passed to ``eval``, ``exec``,
``DataFrame.query`` or ``DataFrame.eval``: every name is a dict key and every literal
is written with ``repr``.

Syntax
------
- Numbers ``12``, ``1.5``, ``2e3``; text ``'it''s'`` or ``"a ""b"" c"`` (a quote is
  doubled); ``true``, ``false``, ``null``.
- Columns: a plain name (``revenue``), or any name in brackets or backticks:
  ``[Order Date]``, ```unit price```; ``]]`` and ````` ```` stand for ``]`` and ````
  inside.
- Operators, loosest first: ``or``; ``and``; ``not``; comparisons ``==`` (or ``=``),
  ``!=`` (or ``<>``), ``<``, ``<=``, ``>``, ``>=``; ``+``, ``-``; ``*``, ``/``, ``%``;
  unary ``-``. Keywords are lower case.
- Functions (see :data:`FUNCTIONS`): ``lower upper trim len contains starts_with
  ends_with concat substring year quarter month day weekday date_diff date if coalesce
  round abs is_missing``.

Semantics (engine and generated code alike)
-------------------------------------------
- A comparison with a missing value is false (``!=`` too); test with ``is_missing``.
- ``/`` and ``%`` by zero give a missing value; ``/`` always gives a float.
- ``and``/``or``/``not`` and ``if`` treat a missing condition as false.
- ``concat`` writes each argument as text and treats missing as empty text.
- ``substring(text, start, length)`` counts from 1; ``weekday`` is 0 for Monday;
  ``date_diff(end, start)`` counts calendar days; ``date('2024-05-01')`` is a date.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import operator
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

import pandas as pd
from pandas.api import types as ptypes

from nbdash.errors import ExpressionError

logger = logging.getLogger(__name__)

ExprType = Literal["number", "text", "bool", "datetime", "null"]
"""The type of a value in an expression; ``null`` is the type of ``null`` alone."""

MAX_LENGTH = 10_000
"""The longest expression text accepted."""

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr | or_expr "or" and_expr -> or_
?and_expr: not_expr | and_expr "and" not_expr -> and_
?not_expr: comparison | "not" not_expr -> not_
?comparison: sum | sum COMPARE sum -> compare
?sum: product | sum ADDOP product -> arith
?product: unary | product MULOP unary -> arith
?unary: atom | "-" unary -> neg
?atom: NUMBER -> number
     | STRING -> string
     | "true" -> true
     | "false" -> false
     | "null" -> null
     | NAME "(" [arguments] ")" -> call
     | NAME -> name
     | QUOTED_NAME -> quoted_name
     | "(" or_expr ")"
arguments: or_expr ("," or_expr)*
COMPARE: "==" | "!=" | "<>" | "<=" | ">=" | "<" | ">" | "="
ADDOP: "+" | "-"
MULOP: "*" | "/" | "%"
NUMBER: /(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/
STRING: /'(?:[^']|'')*'/ | /"(?:[^"]|"")*"/
QUOTED_NAME: /\[(?:[^\]]|\]\])*\]/ | /`(?:[^`]|``)*`/
NAME: /[^\W\d]\w*/
%ignore /\s+/
"""


# The AST ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Position:
    """Where a node starts in the text: 0-based ``offset``, 1-based line and column."""

    offset: int
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


@dataclasses.dataclass(frozen=True)
class Constant:
    """A literal: a number, text, ``true``/``false`` or ``null`` (``None``)."""

    value: int | float | str | bool | None
    pos: Position


@dataclasses.dataclass(frozen=True)
class ColumnRef:
    """A reference to the column called ``name``."""

    name: str
    pos: Position


@dataclasses.dataclass(frozen=True)
class Unary:
    """``-operand`` or ``not operand``."""

    op: Literal["-", "not"]
    operand: Expr
    pos: Position


@dataclasses.dataclass(frozen=True)
class Binary:
    """``left op right``; ``op`` is one of ``+ - * / % == != < <= > >= and or``."""

    op: str
    left: Expr
    right: Expr
    pos: Position


@dataclasses.dataclass(frozen=True)
class Call:
    """``func(args...)``; ``func`` is a name from :data:`FUNCTIONS`."""

    func: str
    args: tuple[Expr, ...]
    pos: Position


Expr: TypeAlias = Constant | ColumnRef | Unary | Binary | Call
"""Any node of the AST."""


def columns_of(expr: Expr) -> list[str]:
    """Return the column names ``expr`` reads, in order of first use."""
    names: dict[str, None] = {}
    for node in walk(expr):
        if isinstance(node, ColumnRef):
            names[node.name] = None
    return list(names)


def walk(expr: Expr) -> list[Expr]:
    """Return every node of ``expr``, parents before children."""
    nodes: list[Expr] = []
    pending = [expr]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, Unary):
            pending.append(node.operand)
        elif isinstance(node, Binary):
            pending += [node.right, node.left]
        elif isinstance(node, Call):
            pending += reversed(node.args)
    return nodes


# Parsing ---------------------------------------------------------------------------


@functools.cache
def _parser() -> Any:
    import lark

    return lark.Lark(_GRAMMAR, parser="lalr", propagate_positions=True)


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Expr:
    """Parse ``text`` into an AST; :class:`~nbdash.errors.ExpressionError` if invalid.

    Examples
    --------
    >>> parse("[Unit Price] * 2")
    ... # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
    Binary(op='*', left=ColumnRef(name='Unit Price', ...), right=Constant(value=2, ...
    """
    import lark

    if not text.strip() or len(text) > MAX_LENGTH:
        problem = "is empty" if not text.strip() else f"is over {MAX_LENGTH} characters"
        raise ExpressionError(f"The expression {problem}.", expression=text)
    try:
        tree = _parser().parse(text)
        expr = _Builder(text).build(tree)
        _check_calls(expr, text)
        return expr
    except lark.exceptions.UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except RecursionError:
        message = "The expression nests too deeply; split it into several steps."
        raise ExpressionError(message, expression=text) from None


def _check_calls(expr: Expr, text: str) -> None:
    # Function names and argument counts need no column types, so they are checked
    # when the expression is parsed: a spec naming an unknown function is refused
    # before anything (code generation included) relies on it.
    checker = _Checker({}, text, [])
    for node in walk(expr):
        if isinstance(node, Call):
            checker._signature(node)


def _syntax_error(text: str, exc: Any) -> ExpressionError:
    offset = getattr(exc, "pos_in_stream", None)
    where = f"line {exc.line}, column {exc.column}"
    found = getattr(exc, "token", None)
    if _is_power(text, offset):
        return ExpressionError(
            f"Cannot read the expression at {where}: powers ('**' or '^') are not "
            "supported. Multiply instead, e.g. [a] * [a] for the square of [a].",
            expression=text,
            offset=offset,
        )
    if found is not None and found.type == "$END":
        return ExpressionError(
            f"Cannot read the expression at {where}: it ends too early. Add what is "
            "missing at the end: a value after an operator (e.g. [a] + 1), a closing "
            "parenthesis or a closing quote.",
            expression=text,
            offset=offset,
        )
    if found is not None:
        received = repr(str(found))
    else:
        received = (
            repr(text[offset]) if offset is not None else "an unexpected character"
        )
    message = (
        f"Cannot read the expression at {where}: unexpected {received}. "
        "Check for a missing operator, parenthesis or quote; column names with "
        "spaces go in brackets, e.g. [Order Date]."
    )
    return ExpressionError(message, expression=text, offset=offset)


def _is_power(text: str, offset: int | None) -> bool:
    """Whether the parser stopped at a ``**`` or ``^`` (Python's and Excel's power)."""
    if offset is None or offset >= len(text):
        return False
    if text[offset] == "^":
        return True
    after = text[offset : offset + 2] == "**"
    return text[offset] == "*" and (after or text[offset - 1 : offset + 1] == "**")


class _Builder:
    """Turns lark's parse tree into the AST dataclasses."""

    def __init__(self, text: str) -> None:
        self.text = text

    def build(self, tree: Any) -> Expr:
        import lark

        if isinstance(tree, lark.Token):
            return self._token(tree)
        handler: Callable[[Any, Position], Expr] = getattr(self, "_" + tree.data)
        return handler(tree.children, self._pos(tree.meta))

    def _pos(self, meta: Any) -> Position:
        return Position(meta.start_pos, meta.line, meta.column)

    def _token(self, token: Any) -> Expr:
        raise ExpressionError(f"Unexpected {token!r}", expression=self.text)

    def _number(self, children: list[Any], pos: Position) -> Expr:
        text = str(children[0])
        is_int = text.isdigit()
        value = int(text) if is_int else float(text)
        if not is_int and value in (float("inf"), float("-inf")):
            raise ExpressionError(
                f"The number {text} at {pos} is too large.", expression=self.text
            )
        return Constant(value, pos)

    def _string(self, children: list[Any], pos: Position) -> Expr:
        raw = str(children[0])
        quote = raw[0]
        return Constant(raw[1:-1].replace(quote * 2, quote), pos)

    def _true(self, children: list[Any], pos: Position) -> Expr:
        return Constant(True, pos)

    def _false(self, children: list[Any], pos: Position) -> Expr:
        return Constant(False, pos)

    def _null(self, children: list[Any], pos: Position) -> Expr:
        return Constant(None, pos)

    def _name(self, children: list[Any], pos: Position) -> Expr:
        return ColumnRef(str(children[0]), pos)

    def _quoted_name(self, children: list[Any], pos: Position) -> Expr:
        raw = str(children[0])
        closing = "]" if raw[0] == "[" else "`"
        return ColumnRef(raw[1:-1].replace(closing * 2, closing), pos)

    def _call(self, children: list[Any], pos: Position) -> Expr:
        arguments = children[1].children if children[1] is not None else []
        args = tuple(self.build(child) for child in arguments)
        return Call(str(children[0]).lower(), args, pos)

    def _neg(self, children: list[Any], pos: Position) -> Expr:
        return Unary("-", self.build(children[0]), pos)

    def _not_(self, children: list[Any], pos: Position) -> Expr:
        return Unary("not", self.build(children[0]), pos)

    def _and_(self, children: list[Any], pos: Position) -> Expr:
        return Binary("and", self.build(children[0]), self.build(children[1]), pos)

    def _or_(self, children: list[Any], pos: Position) -> Expr:
        return Binary("or", self.build(children[0]), self.build(children[1]), pos)

    def _compare(self, children: list[Any], pos: Position) -> Expr:
        op = {"=": "==", "<>": "!="}.get(str(children[1]), str(children[1]))
        return Binary(op, self.build(children[0]), self.build(children[2]), pos)

    def _arith(self, children: list[Any], pos: Position) -> Expr:
        return Binary(
            str(children[1]), self.build(children[0]), self.build(children[2]), pos
        )


# Types -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Signature:
    """What a function takes and gives.

    ``params`` are types (``number``, ``text``, ``bool``, ``datetime``, ``any``); a
    trailing ``!`` asks for a literal (a constant written in the text), a trailing
    ``?`` makes the parameter optional. ``result`` is a type, or ``same`` for the
    common type of the arguments (``if``, ``coalesce``).
    """

    params: tuple[str, ...]
    result: str
    variadic: bool = False
    help: str = ""


FUNCTIONS: dict[str, Signature] = {
    "lower": Signature(("text",), "text", help="lower(text)"),
    "upper": Signature(("text",), "text", help="upper(text)"),
    "trim": Signature(("text",), "text", help="trim(text): no outer spaces"),
    "len": Signature(("text",), "number", help="len(text): number of characters"),
    "contains": Signature(("text", "text!"), "bool", help="contains(text, 'part')"),
    "starts_with": Signature(("text", "text!"), "bool", help="starts_with(text, 'a')"),
    "ends_with": Signature(("text", "text!"), "bool", help="ends_with(text, 'z')"),
    "concat": Signature(("any",), "text", variadic=True, help="concat(a, b, ...)"),
    "substring": Signature(
        ("text", "number!", "number!?"), "text", help="substring(text, start, length)"
    ),
    "year": Signature(("datetime",), "number", help="year(date)"),
    "quarter": Signature(("datetime",), "number", help="quarter(date): 1 to 4"),
    "month": Signature(("datetime",), "number", help="month(date): 1 to 12"),
    "day": Signature(("datetime",), "number", help="day(date): 1 to 31"),
    "weekday": Signature(("datetime",), "number", help="weekday(date): 0 is Monday"),
    "date_diff": Signature(
        ("datetime", "datetime"), "number", help="date_diff(end, start): days"
    ),
    "date": Signature(("text!",), "datetime", help="date('2024-05-01')"),
    "if": Signature(("bool", "any", "any"), "same", help="if(condition, then, else)"),
    "coalesce": Signature(
        ("any",), "same", variadic=True, help="coalesce(a, b, ...): first not missing"
    ),
    "round": Signature(("number", "number!?"), "number", help="round(x, digits)"),
    "abs": Signature(("number",), "number", help="abs(x)"),
    "is_missing": Signature(("any",), "bool", help="is_missing(x)"),
}
"""Every function of the language, by name."""

_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_DIVISION = {"/": operator.truediv, "%": operator.mod}
_COMPARISONS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_SCALAR_COMPARE = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}  # fmt: skip
_DATE_PARTS = {
    "year": "year", "quarter": "quarter", "month": "month", "day": "day",
    "weekday": "day_of_week",
}  # fmt: skip


def column_types(frame: pd.DataFrame, names: list[str] | None = None) -> dict[str, str]:
    """Return each column's (or each of ``names``') expression type.

    A dtype expressions do not handle (category, timedelta...) is ``other``.
    """
    chosen = list(frame.columns) if names is None else names
    return {str(name): _dtype_kind(frame[name]) for name in chosen}


def _dtype_kind(series: pd.Series) -> str:
    if ptypes.is_bool_dtype(series):
        return "bool"
    if ptypes.is_numeric_dtype(series):
        return "number"
    if ptypes.is_datetime64_any_dtype(series):
        return "datetime"
    if ptypes.is_object_dtype(series) and ptypes.infer_dtype(series) == "boolean":
        return "bool"
    if ptypes.is_string_dtype(series) or ptypes.is_object_dtype(series):
        return "text"
    return "other"


def check(
    expr: Expr,
    types: Mapping[str, str],
    text: str = "",
    available: list[str] | None = None,
) -> str:
    """Return the type of ``expr`` given the column ``types``; raise when it is wrong.

    ``types`` maps column names to ``number``/``text``/``bool``/``datetime`` (see
    :func:`column_types`); ``text`` is the expression's source, quoted in errors;
    ``available`` lists the columns an unknown-column error offers (default: the
    keys of ``types``).

    Raises
    ------
    ExpressionError
        An unknown column or function (with the closest names), a wrong number or
        type of arguments, with the position in ``text``.
    """
    try:
        return _Checker(types, text, available).type_of(expr)
    except RecursionError:
        message = "The expression nests too deeply; split it into several steps."
        raise ExpressionError(message, expression=text) from None


class _Checker:
    def __init__(
        self, types: Mapping[str, str], text: str, available: list[str] | None
    ) -> None:
        self.types = types
        self.text = text
        self.available = list(types) if available is None else available

    def fail(self, message: str, pos: Position) -> ExpressionError:
        caret = ""
        if self.text and "\n" not in self.text and len(self.text) <= 120:
            caret = f"\n    {self.text}\n    {' ' * pos.offset}^"
        full = f"{message} (at {pos}){caret}"
        return ExpressionError(full, expression=self.text, offset=pos.offset)

    def type_of(self, node: Expr) -> str:
        if isinstance(node, Constant):
            return _constant_type(node.value)
        if isinstance(node, ColumnRef):
            return self._column(node)
        if isinstance(node, Unary):
            wanted = "number" if node.op == "-" else "bool"
            self.expect(node.operand, wanted, f"'{node.op}'")
            return wanted
        if isinstance(node, Binary):
            return self._binary(node)
        return self._call(node)

    def expect(self, node: Expr, wanted: str, where: str) -> str:
        found = self.type_of(node)
        if wanted != "any" and found != wanted:
            raise self.fail(
                f"{where} needs {wanted}, received {_describe(node, found)}", node.pos
            )
        if wanted == "any" and found == "null" and where.startswith("'"):
            raise self.fail(f"{where} cannot take null", node.pos)
        return found

    def _column(self, node: ColumnRef) -> str:
        if node.name not in self.types:
            names = self.available
            close = difflib.get_close_matches(node.name, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(names) if names else "(no columns)"
            message = f"Unknown column {node.name!r}.{hint} Available: {listed}"
            raise self.fail(message, node.pos)
        kind = self.types[node.name]
        if kind == "other":
            message = (
                f"Column {node.name!r} has a type expressions do not handle; convert "
                "it with a 'cast' step first"
            )
            raise self.fail(message, node.pos)
        return kind

    def _binary(self, node: Binary) -> str:
        if node.op in ("and", "or"):
            self.expect(node.left, "bool", f"'{node.op}'")
            self.expect(node.right, "bool", f"'{node.op}'")
            return "bool"
        if node.op in _COMPARISONS:
            return self._comparison(node)
        self.expect(node.left, "number", f"'{node.op}'")
        self.expect(node.right, "number", f"'{node.op}'")
        if node.op in _DIVISION and _is_zero(node.right):
            raise self.fail(f"'{node.op}' by the constant 0", node.right.pos)
        return "number"

    def _comparison(self, node: Binary) -> str:
        left, right = self.type_of(node.left), self.type_of(node.right)
        if "null" in (left, right):
            message = (
                f"'{node.op}' with null is never true; use is_missing(...) instead"
            )
            raise self.fail(message, node.pos)
        if left != right:
            message = (
                f"'{node.op}' compares {_describe(node.left, left)} with "
                f"{_describe(node.right, right)}; both sides need the same type"
            )
            raise self.fail(message, node.pos)
        if left == "bool" and node.op not in ("==", "!="):
            raise self.fail(f"'{node.op}' does not order true/false", node.pos)
        return "bool"

    def _call(self, node: Call) -> str:
        signature = self._signature(node)
        params = _expand(signature, len(node.args))
        found = []
        for number, (arg, param) in enumerate(zip(node.args, params, strict=True), 1):
            where = f"argument {number} of {node.func}()"
            found.append(self.expect(arg, param.rstrip("!?"), where))
            if param.rstrip("?").endswith("!"):
                self._literal(arg, where, node.func)
        return self._result(node, signature, found)

    def _signature(self, node: Call) -> Signature:
        signature = FUNCTIONS.get(node.func)
        if signature is None:
            close = difflib.get_close_matches(node.func, list(FUNCTIONS), n=1)
            hint = f" Did you mean {close[0]}()?" if close else ""
            listed = ", ".join(FUNCTIONS)
            message = f"Unknown function {node.func}().{hint} Functions: {listed}"
            raise self.fail(message, node.pos)
        required = len([p for p in signature.params if not p.endswith("?")])
        most = None if signature.variadic else len(signature.params)
        count = len(node.args)
        if count < required or (most is not None and count > most):
            wanted = (
                f"{required} or more"
                if most is None
                else (str(required) if required == most else f"{required} to {most}")
            )
            message = (
                f"{node.func}() takes {wanted} argument(s), received {count}; "
                f"use {signature.help}"
            )
            raise self.fail(message, node.pos)
        return signature

    def _literal(self, arg: Expr, where: str, func: str) -> None:
        if not isinstance(arg, Constant):
            raise self.fail(
                f"{where} must be a constant written in the expression", arg.pos
            )
        if func == "date":
            try:
                pd.Timestamp(str(arg.value))
            except ValueError:
                raise self.fail(
                    f"{arg.value!r} is not a date like '2024-05-01'", arg.pos
                ) from None
        elif func in ("substring", "round") and not _is_whole(arg.value, func, where):
            raise self.fail(
                f"{where} must be a whole number{_minimum(func, where)}", arg.pos
            )

    def _result(self, node: Call, signature: Signature, found: list[str]) -> str:
        if signature.result != "same":
            if node.func != "is_missing" and "null" in found:
                raise self.fail(f"{node.func}() cannot take null", node.pos)
            return signature.result
        values = found[1:] if node.func == "if" else found
        kinds = sorted(set(values) - {"null"})
        if len(kinds) > 1:
            mixed = ", ".join(kinds)
            message = f"{node.func}() mixes types {mixed}; give all values one type"
            raise self.fail(message, node.pos)
        return kinds[0] if kinds else "null"


def _expand(signature: Signature, count: int) -> list[str]:
    if signature.variadic:
        return [
            *signature.params,
            *[signature.params[-1]] * (count - len(signature.params)),
        ]
    return list(signature.params[:count])


def _constant_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return "text" if isinstance(value, str) else "number"


def _describe(node: Expr, kind: str) -> str:
    if isinstance(node, ColumnRef):
        return f"{kind} (column {node.name!r})"
    return kind


def _is_zero(node: Expr) -> bool:
    return (
        isinstance(node, Constant)
        and not isinstance(node.value, bool | str)
        and node.value == 0
    )


def _is_whole(value: object, func: str, where: str) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    start = func == "substring" and where.startswith("argument 2")
    return value >= (1 if start else 0)


def _minimum(func: str, where: str) -> str:
    return (
        " from 1"
        if func == "substring" and where.startswith("argument 2")
        else " from 0"
    )


# Compilation to pandas -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Out:
    """A compiled node: its pandas source, its value (None without a frame), and
    whether it is a Series (else a Python scalar) and a clean bool (no missing)."""

    code: str
    value: Any
    series: bool
    clean: bool = False


def evaluate(expr: Expr, frame: pd.DataFrame, text: str = "") -> pd.Series:
    """Check ``expr`` against ``frame`` and return its value as a Series.

    Raises
    ------
    ExpressionError
        The expression does not fit the frame's columns, or fails on the data.
    """
    # Typing only the columns used keeps a wide frame's text columns unscanned.
    used = [name for name in columns_of(expr) if name in frame.columns]
    names = [str(name) for name in frame.columns]
    check(expr, column_types(frame, used), text, available=names)
    try:
        out = _Compiler(frame).series(expr)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
        message = (
            f"The expression failed on the data: {exc}. Check the types of its columns."
        )
        raise ExpressionError(message, expression=text) from exc
    result: pd.Series = out.value
    return result


def to_pandas(expr: Expr) -> str:
    """Return pandas source computing ``expr`` as a Series, on a frame named ``df``."""
    return _Compiler(None).series(expr).code


class _Compiler:
    """Writes each node as pandas source and, given a frame, computes it likewise."""

    def __init__(self, frame: pd.DataFrame | None) -> None:
        self.frame = frame

    def run(self, fn: Callable[..., Any], *args: _Out) -> Any:
        """Return ``fn`` of the arguments' values, or None when only writing code."""
        return None if self.frame is None else fn(*(arg.value for arg in args))

    def series(self, node: Expr) -> _Out:
        return self.broadcast(self.node(node))

    def broadcast(self, out: _Out) -> _Out:
        if out.series:
            return out
        frame = self.frame
        value = None if frame is None else pd.Series(out.value, index=frame.index)
        return _Out(f"pd.Series({out.code}, index=df.index)", value, True, out.clean)

    def condition(self, node: Expr) -> _Out:
        out = self.node(node)
        if out.clean or not out.series:
            return out
        fixed = self.run(lambda v: v.fillna(False).astype(bool), out)
        return _Out(f"{out.code}.fillna(False).astype(bool)", fixed, True, True)

    def node(self, node: Expr) -> _Out:
        if isinstance(node, Constant):
            return _Out(
                repr(node.value), node.value, False, isinstance(node.value, bool)
            )
        if isinstance(node, ColumnRef):
            value = None if self.frame is None else self.frame[node.name]
            return _Out(f"df[{node.name!r}]", value, True)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def unary(self, node: Unary) -> _Out:
        if node.op == "-":
            out = self.node(node.operand)
            return _Out(f"(-{out.code})", self.run(operator.neg, out), out.series)
        out = self.condition(node.operand)
        if out.series:
            return _Out(f"(~{out.code})", self.run(operator.invert, out), True, True)
        return _Out(f"(not {out.code})", self.run(operator.not_, out), False, True)

    def binary(self, node: Binary) -> _Out:
        if node.op in ("and", "or"):
            left, right = self.condition(node.left), self.condition(node.right)
            symbol, fn = (
                ("&", operator.and_) if node.op == "and" else ("|", operator.or_)
            )
            code = f"({left.code} {symbol} {right.code})"
            return _Out(
                code, self.run(fn, left, right), left.series or right.series, True
            )
        if node.op in _COMPARISONS:
            return self.comparison(node)
        return self.arithmetic(node)

    def arithmetic(self, node: Binary) -> _Out:
        left, right = self.node(node.left), self.node(node.right)
        fn = _ARITHMETIC.get(node.op) or _DIVISION[node.op]
        if not (left.series or right.series):
            return _Out(
                f"({left.code} {node.op} {right.code})",
                self.run(fn, left, right),
                False,
            )
        left = self.broadcast(left)
        if node.op in _DIVISION and right.series:
            # A zero divisor gives a missing value, as in SQL, rather than inf.
            nonzero = self.run(lambda v: v.where(v.ne(0)), right)
            right = _Out(f"{right.code}.where(lambda d: d.ne(0))", nonzero, True)
        return _Out(
            f"({left.code} {node.op} {right.code})", self.run(fn, left, right), True
        )

    def comparison(self, node: Binary) -> _Out:
        left, right = self.node(node.left), self.node(node.right)
        if not (left.series or right.series):
            fn = _SCALAR_COMPARE[node.op]
            code = f"({left.code} {node.op} {right.code})"
            return _Out(code, self.run(fn, left, right), False, True)
        left = self.broadcast(left)
        method = _COMPARISONS[node.op]
        present = f"{left.code}.notna()"
        if right.series:
            present += f" & {right.code}.notna()"

        def compare(a: pd.Series, b: Any) -> pd.Series:
            known = a.notna() & b.notna() if isinstance(b, pd.Series) else a.notna()
            result: pd.Series = getattr(a, method)(b).where(known, False)
            return result

        code = f"{left.code}.{method}({right.code}).where({present}, False)"
        return _Out(code, self.run(compare, left, right), True, True)

    def call(self, node: Call) -> _Out:
        handler = getattr(self, f"fn_{node.func}", None)
        if handler is not None:
            result: _Out = handler(node)
            return result
        if node.func in _DATE_PARTS:
            return self.method(
                node,
                f".dt.{_DATE_PARTS[node.func]}",
                lambda s: getattr(s.dt, _DATE_PARTS[node.func]),
            )
        simple = {
            "lower": (".str.lower()", lambda s: s.str.lower()),
            "upper": (".str.upper()", lambda s: s.str.upper()),
            "trim": (".str.strip()", lambda s: s.str.strip()),
            "len": (".str.len()", lambda s: s.str.len()),
            "abs": (".abs()", lambda s: s.abs()),
        }
        suffix, fn = simple[node.func]
        return self.method(node, suffix, fn)

    def method(
        self, node: Call, suffix: str, fn: Callable[[Any], Any], clean: bool = False
    ) -> _Out:
        arg = self.series(node.args[0])
        return _Out(arg.code + suffix, self.run(fn, arg), True, clean)

    def text_test(self, node: Call, method: str) -> _Out:
        needle = _constant(node.args[1])
        arg = self.series(node.args[0])
        if method == "contains":
            suffix = f".str.contains({needle!r}, regex=False, na=False)"
            value = self.run(
                lambda s: s.str.contains(needle, regex=False, na=False), arg
            )
        else:
            suffix = f".str.{method}({needle!r}, na=False)"
            value = self.run(lambda s: getattr(s.str, method)(needle, na=False), arg)
        return _Out(arg.code + suffix, value, True, True)

    def fn_contains(self, node: Call) -> _Out:
        return self.text_test(node, "contains")

    def fn_starts_with(self, node: Call) -> _Out:
        return self.text_test(node, "startswith")

    def fn_ends_with(self, node: Call) -> _Out:
        return self.text_test(node, "endswith")

    def fn_is_missing(self, node: Call) -> _Out:
        return self.method(node, ".isna()", lambda s: s.isna(), clean=True)

    def fn_substring(self, node: Call) -> _Out:
        start = int(_constant(node.args[1])) - 1
        length = _constant(node.args[2]) if len(node.args) > 2 else None
        stop = None if length is None else start + int(length)
        suffix = f".str.slice({start!r}, {stop!r})"
        return self.method(node, suffix, lambda s: s.str.slice(start, stop))

    def fn_round(self, node: Call) -> _Out:
        digits = int(_constant(node.args[1])) if len(node.args) > 1 else 0
        return self.method(node, f".round({digits!r})", lambda s: s.round(digits))

    def fn_date(self, node: Call) -> _Out:
        text = str(_constant(node.args[0]))
        value = None if self.frame is None else pd.Timestamp(text)
        return _Out(f"pd.Timestamp({text!r})", value, False)

    def fn_date_diff(self, node: Call) -> _Out:
        end, start = self.series(node.args[0]), self.series(node.args[1])
        code = f"({end.code}.dt.normalize() - {start.code}.dt.normalize()).dt.days"
        value = self.run(
            lambda a, b: (a.dt.normalize() - b.dt.normalize()).dt.days, end, start
        )
        return _Out(code, value, True)

    def fn_concat(self, node: Call) -> _Out:
        parts = []
        for arg in node.args:
            out = self.node(arg)
            if isinstance(arg, Constant) and isinstance(arg.value, str):
                parts.append(out)
            elif out.series:
                fixed = self.run(lambda s: s.astype("str").fillna(""), out)
                parts.append(_Out(f"{out.code}.astype('str').fillna('')", fixed, True))
            else:
                parts.append(_Out(f"str({out.code})", self.run(str, out), False))
        if not any(part.series for part in parts):
            parts[0] = self.broadcast(parts[0])
        code = "(" + " + ".join(part.code for part in parts) + ")"
        value = self.run(lambda *values: functools.reduce(operator.add, values), *parts)
        return _Out(code, value, True)

    def fn_if(self, node: Call) -> _Out:
        condition = self.broadcast(self.condition(node.args[0]))
        then, otherwise = self.series(node.args[1]), self.node(node.args[2])
        code = f"{then.code}.where({condition.code}, {otherwise.code})"
        value = self.run(lambda t, c, o: t.where(c, o), then, condition, otherwise)
        return _Out(code, value, True)

    def fn_coalesce(self, node: Call) -> _Out:
        result = self.series(node.args[0])
        for arg in node.args[1:]:
            fallback = self.node(arg)
            value = self.run(lambda r, f: r.fillna(f), result, fallback)
            result = _Out(f"{result.code}.fillna({fallback.code})", value, True)
        return result


def _constant(node: Expr) -> Any:
    assert isinstance(node, Constant), "the checker lets only constants through here"
    return node.value
