"""Compile a pipeline to one DuckDB SQL statement with the pandas engine's semantics.

Each step becomes one common table expression (``step1``, ``step2``, ...) over the one
before it; the statement ends with a ``SELECT`` of the output columns. Safety: every
identifier is double-quoted with inner quotes doubled (:func:`quote`) and every value is
a numbered parameter (``$1``) cast to its type, so no user string is ever spliced into
the SQL text.

Row order follows the pandas engine: filters and column steps keep the input order
(DuckDB preserves insertion order); a sort is stable because it breaks ties by a hidden
row number (``__nbdash_row``); a group's rows are ordered by its keys, missing last.

Where DuckDB cannot give the pandas result exactly (a value of another type than its
column, an unknown step kind), compilation raises
:class:`~nbdash.errors.EngineNotSupportedError` rather than guessing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
from pandas.api import types as ptypes

from nbdash.errors import (
    ColumnNotFoundError,
    EngineNotSupportedError,
    SpecError,
    column_not_found,
)
from nbdash.transform.sql_expr import compile_expression

logger = logging.getLogger(__name__)

_ESCAPE = "\U0010fffe"

ROW = "__nbdash_row"
"""The hidden column that carries the row order through sorts and groups."""

_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
_FLOAT_TYPES = {"FLOAT", "DOUBLE"}
_COMPARISONS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_AGGREGATES = {"mean": "avg", "median": "median", "std": "stddev_samp"}
_AGGREGATE_FUNCS = {"sum", "min", "max", "count", "count_distinct", *_AGGREGATES}
_AGGREGATE_FUNCS |= {"first", "last", "percentile"}
_TEXT_TESTS = {"contains": "contains", "starts with": "starts_with"}
_TEXT_TESTS |= {"ends with": "suffix"}
_ROW_KINDS = {"sort", "join", "drop_duplicates", "top_n", "append"}
"""Steps that need the hidden row number (:data:`ROW`) from the start."""
_MASKED = ("Int64", "Int32", "Int16", "Int8", "Float64", "Float32")


class _Pipeline(Protocol):
    """What the compiler reads from a :class:`~nbdash.transform.Pipeline`."""

    source: str
    steps: list[Any]


@dataclass(frozen=True)
class Column:
    """One column of a relation as the compiler tracks it.

    Parameters
    ----------
    name
        The column's name, any string.
    type
        Its DuckDB type, e.g. ``"BIGINT"`` or ``"VARCHAR"``.
    dtype
        The pandas dtype the pandas engine would give it, when known; the duckdb
        engine casts its result back to it.
    """

    name: str
    type: str
    dtype: Any = None


@dataclass(frozen=True)
class SqlQuery:
    """A compiled pipeline: SQL text with ``$n`` parameters, and its output columns.

    Examples
    --------
    >>> import duckdb
    >>> query = SqlQuery('SELECT "x" FROM t WHERE "x" > $1', [1], [])
    >>> con = duckdb.connect()
    >>> con.execute("CREATE TABLE t AS SELECT 2 AS x")  # doctest: +ELLIPSIS
    <...>
    >>> con.execute(query.sql, query.params).fetchall()
    [(2,)]
    """

    sql: str
    params: list[Any]
    columns: list[Column]

    def __str__(self) -> str:
        return self.sql


def quote(name: str) -> str:
    """Return ``name`` as a DuckDB identifier: double-quoted, inner quotes doubled.

    A NUL character is escaped by :func:`sql_name`.

    Examples
    --------
    >>> print(quote('a" ; select 1; --'))
    "a"" ; select 1; --"
    """
    return '"' + sql_name(name).replace('"', '""') + '"'


def sql_name(name: str) -> str:
    """Return ``name`` as DuckDB holds it: a NUL character escaped, reversibly.

    DuckDB's parser reads SQL text as a C string, so a NUL would end it; a frame's
    columns are registered under these names (see ``engines``) and every quoted name
    uses them. ``U+10FFFE`` (a noncharacter) is the escape: it stands doubled for
    itself, and followed by ``0`` for NUL.

    Examples
    --------
    >>> sql_name("a" + chr(0) + "b") == "a" + chr(0x10FFFE) + "0b"
    True
    """
    return name.replace(_ESCAPE, _ESCAPE * 2).replace("\x00", _ESCAPE + "0")


def columns_of_frame(frame: pd.DataFrame, types: list[str]) -> list[Column]:
    """Pair a frame's columns with their DuckDB ``types`` and pandas dtypes."""
    names = [str(name) for name in frame.columns]
    return [
        Column(name, kind, dtype)
        for name, kind, dtype in zip(names, types, frame.dtypes, strict=True)
    ]


def compile_pipeline(
    pipeline: _Pipeline,
    columns: list[Column],
    source: str,
    source_params: list[Any] | None = None,
    *,
    file_source: bool = False,
    others: dict[str, tuple[str, list[Column]]] | None = None,
) -> SqlQuery:
    """Compile ``pipeline`` to one DuckDB statement over the relation ``source``.

    Parameters
    ----------
    pipeline
        The pipeline whose steps to compile.
    columns
        The source relation's columns, in order, with their types.
    source
        SQL for the source relation, e.g. a registered view's quoted name or
        ``read_parquet($1)``; it may use ``$1``.. for ``source_params``.
    source_params
        Values of the parameters ``source`` uses.
    file_source
        True when ``source`` reads a file: float NaN is then read as missing, as
        pandas does.
    others
        The datasets ``join`` steps read: name -> (SQL relation, its columns).

    Raises
    ------
    ColumnNotFoundError
        A step names a column that the relation at that step does not have.
    SpecError
        A step does not fit the data (the pandas engine's message).
    EngineNotSupportedError
        A step that SQL cannot run with the pandas engine's exact result.
    """
    compiler = _Compiler(pipeline, columns, list(source_params or []), others or {})
    compiler.start(source, file_source=file_source)
    for number, step in compiler.active:
        compiler.step(number, step)
    query = compiler.finish()
    logger.debug("compiled pipeline to SQL: %s", query.sql)
    return query


@dataclass
class _Compiler:
    """Builds the CTEs of one statement, tracking columns, parameters and order."""

    pipeline: _Pipeline
    columns: list[Column]
    params: list[Any]
    others: dict[str, tuple[str, list[Column]]]
    ctes: list[str] = field(default_factory=list)
    has_row: bool = False
    reordered: bool = False
    final_order: list[str] | None = None
    as_of: Any = None
    number: int = 0

    @property
    def active(self) -> list[tuple[int, Any]]:
        """The enabled steps with their 1-based numbers in the whole pipeline."""
        disabled = set(getattr(self.pipeline, "disabled", []))
        steps = enumerate(self.pipeline.steps, start=1)
        return [(number, step) for number, step in steps if number - 1 not in disabled]

    @property
    def previous(self) -> str:
        return f"step{len(self.ctes) - 1}" if self.ctes else "source"

    def param(self, value: Any) -> str:
        """Bind ``value`` as the next parameter, cast to its own type."""
        self.params.append(value)
        return f"CAST(${len(self.params)} AS {_value_type(value)})"

    def add(self, select: str) -> None:
        self.ctes.append(f"step{len(self.ctes)} AS ({select})")

    def start(self, source: str, *, file_source: bool) -> None:
        names = [column.name for column in self.columns]
        if file_source and any("\x00" in name for name in names):
            raise EngineNotSupportedError(
                "The duckdb engine cannot read a file whose column names hold a NUL "
                "character; use engine='pandas'."
            )
        if ROW in names:
            raise EngineNotSupportedError(
                f"The duckdb engine uses the column name {ROW!r} itself; rename that "
                "column or run with engine='pandas'."
            )
        replaced = [
            f"nullif({quote(c.name)}, 'NaN'::{c.type}) AS {quote(c.name)}"
            for c in self.columns
            if file_source and c.type in _FLOAT_TYPES
        ]
        star = f"* REPLACE ({', '.join(replaced)})" if replaced else "*"
        self.has_row = any(_needs_row(step) for _, step in self.active)
        row = f", row_number() OVER () - 1 AS {ROW}" if self.has_row else ""
        self.add(f"SELECT {star}{row} FROM {source}")

    def step(self, number: int, step: Any) -> None:
        self.number = number
        compile_step = _STEPS.get(step.kind)
        if compile_step is None:
            raise EngineNotSupportedError(
                f"Step {number} ({step.kind}) is not supported by the duckdb engine. "
                "Run the pipeline with engine='pandas' (engine='auto' does this "
                "by itself)."
            )
        self.check_columns(step)
        try:
            _check_known_fields(step)
            compile_step(self, step)
        except EngineNotSupportedError as exc:
            raise EngineNotSupportedError(
                f"Step {number} ({step.kind}): {exc}"
            ) from None
        except SpecError as exc:
            raise SpecError(f"Step {number} ({step.kind}): {exc}") from None

    def check_columns(self, step: Any) -> None:
        available = [column.name for column in self.columns]
        for name in step.used_columns():
            if name in available:
                continue
            first = self.number == 1
            error = column_not_found(
                name, available, dataset=self.pipeline.source if first else None
            )
            after = (
                ""
                if first
                else f" The frame here is the result of step {self.number - 1}."
            )
            raise ColumnNotFoundError(
                f"Step {self.number} ({step.kind}): {error}{after}"
            )

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def is_last(self) -> bool:
        return self.number == self.active[-1][0]

    def order_rows(self, terms: list[str]) -> None:
        """Make ``terms`` the row order: at the end, or in the hidden row number."""
        if self.is_last():
            self.final_order = terms
            return
        window = f"row_number() OVER (ORDER BY {', '.join(terms)}) - 1"
        star = f"* REPLACE ({window} AS {ROW})" if self.has_row else "*"
        extra = "" if self.has_row else f", {window} AS {ROW}"
        self.add(f"SELECT {star}{extra} FROM {self.previous}")
        self.has_row = True
        self.reordered = True

    def finish(self) -> SqlQuery:
        names = ", ".join(quote(column.name) for column in self.columns)
        order = self.final_order
        if order is None and self.reordered:
            order = [ROW]
        tail = f" ORDER BY {', '.join(order)}" if order else ""
        sql = (
            "WITH "
            + ",\n".join(self.ctes)
            + f"\nSELECT {names} FROM {self.previous}{tail}"
        )
        return SqlQuery(sql, self.params, list(self.columns))


# Steps -------------------------------------------------------------------------------


def _filter(compiler: _Compiler, step: Any) -> None:
    # The pandas engine's own resolution of the reference day of 'in period'.
    reference_day = getattr(step, "reference_day", None)
    compiler.as_of = reference_day() if reference_day is not None else None
    test = _conditions(compiler, step.conditions, step.combine)
    compiler.add(f"SELECT * FROM {compiler.previous} WHERE {test}")


def _conditions(compiler: _Compiler, items: list[Any], combine: str) -> str:
    """Join conditions and nested groups (items with their own ``conditions``)."""
    tests = []
    for item in items:
        _check_known_fields(item)
        nested = getattr(item, "conditions", None)
        if nested is not None:
            tests.append(_conditions(compiler, nested, item.combine))
        else:
            tests.append(_condition(compiler, item))
    joiner = " AND " if combine == "and" else " OR "
    return f"({joiner.join(tests)})"


def _condition(compiler: _Compiler, condition: Any) -> str:
    column = compiler.column(condition.column)
    name = quote(column.name)
    op = condition.op
    if op in ("is missing", "is not missing"):
        return f"({name} IS {'NOT ' if op == 'is not missing' else ''}NULL)"

    if op in _TEXT_TESTS:
        _check_text(column, op)
        _check_values(column, [condition.value])
        value = compiler.param(condition.value)
        text, needle = (
            (name, value) if condition.case else (f"lower({name})", f"lower({value})")
        )
        return f"coalesce({_TEXT_TESTS[op]}({text}, {needle}), false)"

    if column.type.startswith("TIMESTAMP"):
        return _date_condition(compiler, column, condition)

    if op not in _COMPARISONS and op not in ("between", "in", "not in"):
        raise EngineNotSupportedError(
            f"filter op {op!r} is not supported by the duckdb engine; use "
            "engine='pandas'."
        )

    values = condition.value if isinstance(condition.value, list) else [condition.value]
    _check_values(column, values)
    return f"coalesce({_comparison(compiler, name, op, values)}, false)"


def _date_condition(compiler: _Compiler, column: Column, condition: Any) -> str:
    """``in period`` (bounds from the spec, as pandas takes them) and comparisons
    with date text, which pandas parses as timestamps."""
    if column.dtype is None or "," in str(column.dtype):
        raise EngineNotSupportedError(
            f"column {column.name!r} ({_dtype_name(column)}) is compared as pandas "
            "does only when it holds naive timestamps; use engine='pandas'."
        )
    name = quote(column.name)
    if condition.op == "in period":
        start, end = condition.period.bounds(compiler.as_of)
        low, high = _timestamp(compiler, start), _timestamp(compiler, end)
        return f"coalesce(({name} >= {low} AND {name} < {high}), false)"
    values = condition.value if isinstance(condition.value, list) else [condition.value]
    if condition.op not in (*_COMPARISONS, "between") or not all(
        isinstance(value, str) for value in values
    ):
        raise EngineNotSupportedError(
            f"filter op {condition.op!r} with {condition.value!r} on date column "
            f"{column.name!r} is not compiled; use engine='pandas'."
        )
    stamps = []
    for value in values:
        try:
            stamps.append(_timestamp(compiler, pd.Timestamp(value)))
        except ValueError:
            raise EngineNotSupportedError(
                f"{value!r} is not a date pandas reads the same way; use "
                "engine='pandas'."
            ) from None
    if condition.op == "between":
        test = f"({name} BETWEEN {stamps[0]} AND {stamps[1]})"
    else:
        test = f"({name} {_COMPARISONS[condition.op]} {stamps[0]})"
    return f"coalesce({test}, false)"


def _timestamp(compiler: _Compiler, stamp: pd.Timestamp) -> str:
    if stamp.tzinfo is not None or pd.isna(stamp):
        raise ValueError(f"not a naive timestamp: {stamp!r}")
    return f"CAST({compiler.param(stamp.isoformat())} AS TIMESTAMP)"


def _comparison(compiler: _Compiler, name: str, op: str, values: list[Any]) -> str:
    bound = [compiler.param(value) for value in values]
    if op == "between":
        return f"({name} BETWEEN {bound[0]} AND {bound[1]})"
    if op in ("in", "not in"):
        if not bound:
            return "false" if op == "in" else f"({name} IS NOT NULL)"
        return f"({name} {op.upper()} ({', '.join(bound)}))"
    return f"({name} {_COMPARISONS[op]} {bound[0]})"


def _sort(compiler: _Compiler, step: Any) -> None:
    missing = "FIRST" if getattr(step, "missing", "last") == "first" else "LAST"
    for key in step.keys:
        _check_known_fields(key)
    terms = [
        f"{quote(key.column)} {'ASC' if key.ascending else 'DESC'} NULLS {missing}"
        for key in step.keys
    ]
    compiler.order_rows([*terms, ROW])


def _group(compiler: _Compiler, step: Any) -> None:
    keys = [quote(name) for name in step.by]
    for aggregation in step.aggregations:
        _check_known_fields(aggregation)
    outputs = [_aggregate(compiler, aggregation) for aggregation in step.aggregations]
    selected = ", ".join([*keys, *(sql for sql, _ in outputs)])
    compiler.add(
        f"SELECT {selected} FROM {compiler.previous} GROUP BY {', '.join(keys)}"
    )

    key_columns = [compiler.column(name) for name in step.by]
    compiler.columns = [*key_columns, *(column for _, column in outputs)]
    compiler.has_row = False
    compiler.order_rows([f"{key} ASC NULLS LAST" for key in keys])


def _aggregate(compiler: _Compiler, aggregation: Any) -> tuple[str, Column]:
    column = compiler.column(aggregation.column)
    func = aggregation.func
    if func not in _AGGREGATE_FUNCS:
        raise EngineNotSupportedError(
            f"aggregation {func!r} is not supported by the duckdb engine; use "
            "engine='pandas'."
        )
    if func in ("sum", "mean", "median", "std", "percentile") and not _is_number(
        column
    ):
        raise SpecError(
            f"aggregation {func!r} needs a numeric column; column "
            f"{column.name!r} holds {_dtype_name(column)}. Use 'count', 'min' or 'max'."
        )
    name = quote(column.name)
    output = quote(aggregation.output)
    if func in ("count", "count_distinct"):
        # pandas: count of a masked column is Int64, nunique is always int64.
        masked = str(column.dtype) in _MASKED and func == "count"
        dtype = "Int64" if masked else "int64"
        distinct = "DISTINCT " if func == "count_distinct" else ""
        sql = f"count({distinct}{name}) AS {output}"
        return sql, Column(aggregation.output, "BIGINT", dtype)
    if func in ("first", "last"):
        # The first/last non-missing value in row order.
        pick = "arg_min" if func == "first" else "arg_max"
        sql = f"{pick}({name}, {ROW}) FILTER (WHERE {name} IS NOT NULL) AS {output}"
        return sql, Column(aggregation.output, column.type, column.dtype)
    if func == "percentile":
        if column.type not in _FLOAT_TYPES:
            raise EngineNotSupportedError(
                f"the percentile of integer column {column.name!r} is int64 or "
                "float64 in pandas depending on the values; use engine='pandas'."
            )
        q = compiler.param(float(aggregation.p) / 100)
        sql = f"CAST(quantile_cont({name}, {q}) AS DOUBLE) AS {output}"
        return sql, Column(aggregation.output, "DOUBLE", _mean_dtype(column))
    if func in ("min", "max"):
        return f"{func}({name}) AS {output}", Column(
            aggregation.output, column.type, column.dtype
        )
    if func == "sum":
        kind = "BIGINT" if column.type in _INTEGER_TYPES else "DOUBLE"
        sql = f"CAST(coalesce(sum({name}), 0) AS {kind}) AS {output}"
        return sql, Column(aggregation.output, kind, _sum_dtype(column))
    sql = f"{_AGGREGATES[func]}({name}) AS {output}"
    return sql, Column(aggregation.output, "DOUBLE", _mean_dtype(column))


def _flag_missing(compiler: _Compiler, step: Any) -> None:
    if any(column.name == step.flag_column for column in compiler.columns):
        raise SpecError(
            f"flag column {step.flag_column!r} already exists; choose a new name "
            "so that no data is overwritten."
        )
    flag = f"({quote(step.column)} IS NULL) AS {quote(step.flag_column)}"
    compiler.add(f"SELECT *, {flag} FROM {compiler.previous}")
    compiler.columns = [*compiler.columns, Column(step.flag_column, "BOOLEAN", "bool")]


def _join(compiler: _Compiler, step: Any) -> None:
    """An inner or left join in ``pandas.merge`` order: left rows in order, each
    followed by its matching right rows in their order."""
    if step.how not in ("inner", "left"):
        raise EngineNotSupportedError(
            f"a {step.how} join gives int and bool columns a dtype that depends on "
            "the data (and outer joins sort keys as pandas does); only inner and "
            "left joins are compiled, use engine='pandas'."
        )
    if step.dataset not in compiler.others:
        raise EngineNotSupportedError(f"dataset {step.dataset!r} was not given")
    relation, right = compiler.others[step.dataset]
    pairs = list(zip(step.on, step.right_on or step.on, strict=True))
    columns = _joined_columns(compiler.columns, right, pairs, step.suffixes)
    if step.how == "left":
        _check_fillable([old for old, _ in columns["right"]])

    on = " AND ".join(
        f"l.{quote(left)} IS NOT DISTINCT FROM r.{quote(right)}"
        for left, right in pairs
    )
    picks = [f"l.{quote(c.name)} AS {quote(n.name)}" for c, n in columns["left"]]
    picks += [f"r.{quote(c.name)} AS {quote(n.name)}" for c, n in columns["right"]]
    numbered = f"(SELECT *, row_number() OVER () AS {ROW} FROM {relation})"
    join = "LEFT JOIN" if step.how == "left" else "JOIN"
    compiler.add(
        f"SELECT {', '.join(picks)}, l.{ROW} AS {ROW}, r.{ROW} AS __nbdash_right "
        f"FROM {compiler.previous} AS l {join} {numbered} AS r ON {on}"
    )

    compiler.columns = [new for _, new in [*columns["left"], *columns["right"]]]
    compiler.order_rows([ROW, "__nbdash_right"])
    if not compiler.is_last():
        compiler.add(f"SELECT * EXCLUDE (__nbdash_right) FROM {compiler.previous}")


_FILLABLE = ("float64", "str", "Float64", "Int64", "boolean", "string")


def _check_fillable(columns: list[Column]) -> None:
    """Refuse columns whose dtype pandas changes when an unmatched row fills them."""
    for column in columns:
        name = str(column.dtype)
        if name in _FILLABLE or name.startswith("datetime64["):
            continue
        raise EngineNotSupportedError(
            f"column {column.name!r} ({_dtype_name(column)}) of the joined dataset "
            "changes dtype in pandas when a row has no match; use engine='pandas'."
        )


def _joined_columns(
    left: list[Column],
    right: list[Column],
    pairs: list[tuple[str, str]],
    suffixes: Any,
) -> dict[str, list[tuple[Column, Column]]]:
    """Pair each source column with its output column, named as pandas names them."""
    right_by_name = {column.name: column for column in right}
    missing = [key for _, key in pairs if key not in right_by_name]
    if missing:
        raise ColumnNotFoundError(
            str(column_not_found(missing[0], list(right_by_name)))
        )
    for left_key, right_key in pairs:
        left_type = next(c.type for c in left if c.name == left_key)
        if left_type != right_by_name[right_key].type:
            raise EngineNotSupportedError(
                f"join key {left_key!r} is {left_type} on the left and "
                f"{right_by_name[right_key].type} on the right; use engine='pandas'."
            )

    # Keys of the same name on both sides come out once; all other names that
    # occur on both sides get the suffixes (key columns of different names too).
    merged = {left_key for left_key, right_key in pairs if left_key == right_key}
    shared = {c.name for c in left} & set(right_by_name) - merged

    def renamed(column: Column, suffix: str) -> Column:
        name = column.name + suffix if column.name in shared else column.name
        return Column(name, column.type, column.dtype)

    left_out = [(c, renamed(c, suffixes[0])) for c in left]
    right_out = [(c, renamed(c, suffixes[1])) for c in right if c.name not in merged]
    names = [new.name for _, new in [*left_out, *right_out]]
    if len(set(names)) < len(names) or ROW in names:
        raise EngineNotSupportedError(
            f"the joined column names repeat ({names!r}); use engine='pandas'."
        )
    return {"left": left_out, "right": right_out}


def _keep(compiler: _Compiler, columns: list[Column], picks: list[str]) -> None:
    """Select ``picks`` (SQL terms) as the relation's new ``columns``."""
    names = [column.name for column in columns]
    if ROW in names:
        raise EngineNotSupportedError(
            f"the duckdb engine uses the column name {ROW!r} itself; use "
            "engine='pandas'."
        )
    row = [ROW] if compiler.has_row else []
    compiler.add(f"SELECT {', '.join([*picks, *row])} FROM {compiler.previous}")
    compiler.columns = columns


def _select(compiler: _Compiler, step: Any) -> None:
    names = step.output_columns([column.name for column in compiler.columns])
    columns = [compiler.column(name) for name in names]
    _keep(compiler, columns, [quote(name) for name in names])


def _rename(compiler: _Compiler, step: Any) -> None:
    names = step.output_columns([column.name for column in compiler.columns])
    columns = [
        Column(new, column.type, column.dtype)
        for column, new in zip(compiler.columns, names, strict=True)
    ]
    picks = [
        f"{quote(column.name)} AS {quote(new.name)}"
        for column, new in zip(compiler.columns, columns, strict=True)
    ]
    _keep(compiler, columns, picks)


def _drop_duplicates(compiler: _Compiler, step: Any) -> None:
    """Keep the first (or last) of each set of equal rows; missing equals missing."""
    names = list(step.columns) or [column.name for column in compiler.columns]
    direction = "ASC" if step.keep == "first" else "DESC"
    partition = (
        f"PARTITION BY {', '.join(quote(name) for name in names)} " if names else ""
    )
    window = f"row_number() OVER ({partition}ORDER BY {ROW} {direction})"
    compiler.add(f"SELECT * FROM {compiler.previous} QUALIFY {window} = 1")
    compiler.reordered = True


def _top_n(compiler: _Compiler, step: Any) -> None:
    """``nlargest``/``nsmallest``: ties by row order, or every row tied at the cut."""
    column = compiler.column(step.column)
    if not (_is_number(column) or column.type.startswith("TIMESTAMP")):
        raise SpecError(
            f"'top_n' needs a numeric or datetime column; column {column.name!r} "
            f"holds {_dtype_name(column)}. Use a 'sort' step and then a 'sample' or "
            "'filter'."
        )
    name = quote(column.name)
    direction = "ASC" if step.ascending else "DESC"
    n = int(step.n)
    # pandas: with ties 'last', n below the row count prefers later rows, but n at
    # or above it sorts every row stably (earlier rows first).
    tie = "__nbdash_tie"
    later = f"CASE WHEN count(*) OVER () <= {n} THEN {ROW} ELSE -{ROW} END"
    order = ROW if step.ties != "last" else later
    compiler.add(
        f"SELECT *, {order} AS {tie} FROM {compiler.previous} WHERE {name} IS NOT NULL"
    )
    if step.ties == "all":
        window = f"rank() OVER (ORDER BY {name} {direction})"
    else:
        window = f"row_number() OVER (ORDER BY {name} {direction}, {tie})"
    compiler.add(f"SELECT * FROM {compiler.previous} QUALIFY {window} <= {n}")
    compiler.order_rows([f"{name} {direction}", tie])
    if not compiler.is_last():
        compiler.add(f"SELECT * EXCLUDE ({tie}) FROM {compiler.previous}")


def _derive(compiler: _Compiler, step: Any) -> None:
    """Set column ``name`` to the expression (see :mod:`~nbdash.transform.sql_expr`)."""
    if step.name == ROW:
        raise EngineNotSupportedError(f"the duckdb engine uses {ROW!r} itself")
    dtypes = {column.name: column.dtype for column in compiler.columns}
    value = compile_expression(step.ast, dtypes, compiler.param, step.expression)
    column = Column(step.name, _KIND_TYPES[value.kind], value.dtype)
    name = quote(step.name)
    if step.name in dtypes:
        select = f"* REPLACE ({value.sql} AS {name})"
        compiler.columns = [
            column if old.name == step.name else old for old in compiler.columns
        ]
    else:
        select = f"*, {value.sql} AS {name}"
        compiler.columns = [*compiler.columns, column]
    compiler.add(f"SELECT {select} FROM {compiler.previous}")


_KIND_TYPES = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN"}
_KIND_TYPES |= {"text": "VARCHAR", "date": "TIMESTAMP"}


_STEPS = {
    "derive": _derive,
    "drop_duplicates": _drop_duplicates,
    "top_n": _top_n,
    "select": _select,
    "drop_columns": _select,
    "reorder": _select,
    "rename": _rename,
    "join": _join,
    "filter": _filter,
    "sort": _sort,
    "group": _group,
    "flag_missing": _flag_missing,
}


# Types -------------------------------------------------------------------------------


def _needs_row(step: Any) -> bool:
    """Whether ``step`` reads the hidden row number (:data:`ROW`)."""
    if step.kind == "group":
        funcs = {aggregation.func for aggregation in step.aggregations}
        return bool(funcs & {"first", "last"})
    if step.kind == "fill_missing":
        return step.strategy in ("ffill", "bfill", "interpolate")
    return step.kind in _ROW_KINDS


def _is_number(column: Column) -> bool:
    return (
        column.type in _INTEGER_TYPES
        or column.type in _FLOAT_TYPES
        or column.type.startswith("DECIMAL")
    )


def _is_numpy_int(column: Column) -> bool:
    dtype = column.dtype
    return (
        dtype is not None
        and ptypes.is_integer_dtype(dtype)
        and str(dtype) not in _MASKED
    )


# The fields each compiled spec understands, by class name. A field added to a spec
# later (a new option) is refused unless it holds its default, so that a new option
# never runs with a silently different meaning.
_KNOWN_FIELDS = {
    "FilterStep": {"kind", "conditions", "combine", "as_of"},
    "Condition": {"column", "op", "value", "case", "period"},
    "ConditionGroup": {"combine", "conditions"},
    "SortStep": {"kind", "keys", "missing"},
    "SortKey": {"column", "ascending"},
    "GroupStep": {"kind", "by", "aggregations"},
    "Aggregation": {"column", "func", "name", "p"},
    "FillMissingStep": {"kind", "columns", "strategy", "value"},
    "DropMissingStep": {"kind", "columns", "how", "min_present"},
    "FlagMissingStep": {"kind", "column", "flag_column"},
    "JoinStep": {"kind", "dataset", "on", "right_on", "how", "suffixes"},
    "SelectStep": {"kind", "columns"},
    "DropColumnsStep": {"kind", "columns"},
    "ReorderStep": {"kind", "columns"},
    "RenameStep": {"kind", "mapping"},
    "DropDuplicatesStep": {"kind", "columns", "keep"},
    "TopNStep": {"kind", "column", "n", "ascending", "ties"},
    "DeriveStep": {"kind", "name", "expression"},
    "BucketDateStep": {"kind", "column", "unit", "name"},
    "CastStep": {"kind", "column", "to", "errors"},
    "AppendStep": {"kind", "datasets"},
}


def _check_known_fields(spec: Any) -> None:
    fields = getattr(type(spec), "model_fields", None)
    known = _KNOWN_FIELDS.get(type(spec).__name__)
    if fields is None or known is None:
        return
    for name, info in fields.items():
        if name in known:
            continue
        default = info.get_default(call_default_factory=True)
        if getattr(spec, name) != default:
            raise EngineNotSupportedError(
                f"option {name!r} of {type(spec).__name__} is not supported by the "
                "duckdb engine; use engine='pandas'."
            )


def _check_text(column: Column, op: str) -> None:
    if column.type != "VARCHAR":
        raise SpecError(
            f"{op!r} needs a text column; column {column.name!r} holds "
            f"{_dtype_name(column)}. Use '==' or 'in' for other types."
        )


def _check_values(column: Column, values: list[Any]) -> None:
    """Refuse values whose type differs from the column's: pandas decides those."""
    if _is_number(column):
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    elif column.type == "VARCHAR":
        ok = all(isinstance(value, str) for value in values)
    elif column.type == "BOOLEAN":
        ok = all(isinstance(value, bool) for value in values)
    else:
        ok = False
    if not ok:
        raise EngineNotSupportedError(
            f"comparing column {column.name!r} ({_dtype_name(column)}) with "
            f"{values!r} is not supported by the duckdb engine; use values of the "
            "column's type, or engine='pandas'."
        )


def _value_type(value: Any) -> str:
    # bool before int: True is an int to Python.
    for python_type, sql_type in _VALUE_TYPES:
        if isinstance(value, python_type):
            return sql_type
    return "VARCHAR"


_VALUE_TYPES = ((bool, "BOOLEAN"), (int, "BIGINT"), (float, "DOUBLE"))


def _dtype_name(column: Column) -> str:
    return str(column.dtype) if column.dtype is not None else column.type


def _sum_dtype(column: Column) -> Any:
    known = ("int64", "float64", "Int64", "Float64")
    return column.dtype if str(column.dtype) in known else None


def _mean_dtype(column: Column) -> Any:
    if column.dtype is None:
        return None
    return "Float64" if str(column.dtype) in _MASKED else "float64"


# The steps of sql_steps register themselves here; it imports this module's helpers.
from nbdash.transform import sql_steps  # noqa: E402

_STEPS.update(sql_steps.STEPS)
