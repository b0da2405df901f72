"""Hypothesis strategies for transform tests: odd frames and random valid pipelines.

Shared by the pandas tests (engine == generated code) and the SQL engine's
differential tests. The main entry is :func:`random_cases`, which draws
``(frame, pipeline, others)``: a source frame with missing values and odd column
names, a valid pipeline over it, and the other datasets its ``join``/``append`` steps
read. ``kinds`` track each column's type through the steps ("num" float, "int",
"text", "date", "bool").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from nbdash.transform import Pipeline

HOSTILE = "'); import os; os.system('x') #"
NAMES = st.text(
    alphabet=st.sampled_from([*"ab '\"\\\n\t#é名{}[]`@_", "\u2028", "\x00"]),
    min_size=1,
    max_size=6,
)
WORDS = ["a", "A", "Ab", HOSTILE, "", "é", "__import__('os')", "@x"]
NUMBERS = st.sampled_from([-1.5, 0.0, 1.0, 2.5])
DATES = ["2024-01-31", "2024-02-29", "2024-03-01", "2023-12-31", "2024-06-15"]
AS_OF = "2024-03-01"

ALL_KINDS = [
    "filter", "sort", "group", "fill_missing", "drop_missing", "flag_missing",
    "drop_missing_columns", "select", "drop_columns", "rename", "reorder", "cast",
    "pivot", "unpivot", "bucket_date", "drop_duplicates", "derive", "join", "append",
    "top_n", "sample",
]  # fmt: skip
TERMINAL = ("pivot", "drop_missing_columns")
"""Steps whose output columns depend on the data; nothing is drawn after them."""

Kinds = dict[str, str]


@st.composite
def random_frames(
    draw: st.DrawFn, rows: int | None = None
) -> tuple[pd.DataFrame, Kinds]:
    """Draw a frame of float, float, text, int, date and bool columns, odd names."""
    names = draw(st.lists(NAMES, min_size=6, max_size=6, unique=True))
    count = draw(st.integers(0, 10)) if rows is None else rows
    kinds = dict(zip(names, ["num", "num", "text", "int", "date", "bool"], strict=True))
    return _frame(draw, kinds, count), kinds


def _frame(draw: st.DrawFn, kinds: Kinds, rows: int) -> pd.DataFrame:
    def values(strategy: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(strategy, min_size=rows, max_size=rows))

    columns: dict[str, pd.Series] = {}
    for name, kind in kinds.items():
        if kind == "num":
            columns[name] = pd.Series(
                values(st.one_of(NUMBERS, st.just(np.nan))), dtype="float64"
            )
        elif kind == "int":
            columns[name] = pd.Series(values(st.integers(-3, 3)), dtype="int64")
        elif kind == "text":
            words = st.one_of(st.sampled_from(WORDS), st.none())
            columns[name] = pd.Series(values(words), dtype="str")
        elif kind == "date":
            dates = st.one_of(st.sampled_from(DATES), st.none())
            columns[name] = pd.to_datetime(pd.Series(values(dates), dtype="object"))
        else:
            columns[name] = pd.Series(values(st.booleans()), dtype="bool")
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))


def _of(kinds: Kinds, *wanted: str) -> list[str]:
    return [name for name, kind in kinds.items() if kind in wanted]


def _fresh(draw: st.DrawFn, kinds: Kinds) -> str:
    return draw(NAMES.filter(lambda name: name not in kinds))


def quote(name: str) -> str:
    """Write a column reference of the expression language for ``name``."""
    if "]" in name and "`" not in name:
        return "`" + name + "`"
    return "[" + name.replace("]", "]]") + "]"


def text_literal(value: str) -> str:
    """Write a text literal of the expression language."""
    return "'" + value.replace("'", "''") + "'"


# Expressions -----------------------------------------------------------------------


def random_expression(draw: st.DrawFn, kinds: Kinds, kind: str, depth: int = 2) -> str:
    """Draw expression text of type ``kind`` (num, text, bool, date) over ``kinds``."""
    makers = {"num": _number, "text": _text, "bool": _boolean, "date": _date}
    return makers[kind](draw, kinds, depth)


def _column_or(draw: st.DrawFn, columns: list[str], fallback: str) -> str:
    if columns and draw(st.booleans()):
        return quote(draw(st.sampled_from(columns)))
    return fallback


def _number(draw: st.DrawFn, kinds: Kinds, depth: int) -> str:
    leaf = _column_or(
        draw, _of(kinds, "num", "int"), repr(draw(st.sampled_from([0, 1, 2, 1.5])))
    )
    if depth <= 0:
        return leaf
    sub = lambda k: random_expression(draw, kinds, k, depth - 1)  # noqa: E731
    choice = draw(st.integers(0, 8))
    if choice == 0:
        op = draw(st.sampled_from(["+", "-", "*", "/", "%"]))
        return f"({sub('num')} {op} {sub('num')})"
    if choice == 1:
        return f"abs({sub('num')})"
    if choice == 2:
        return f"round({sub('num')}, {draw(st.integers(0, 2))})"
    if choice == 3:
        return f"len({sub('text')})"
    if choice == 4 and _of(kinds, "date"):
        part = draw(st.sampled_from(["year", "quarter", "month", "day", "weekday"]))
        return f"{part}({sub('date')})"
    if choice == 5:
        return f"if({sub('bool')}, {sub('num')}, {sub('num')})"
    if choice == 6:
        return f"coalesce({sub('num')}, {draw(st.sampled_from(['0', '1.5']))})"
    if choice == 7 and _of(kinds, "date"):
        return f"date_diff({sub('date')}, date('2024-01-01'))"
    return f"-{leaf}"


def _text(draw: st.DrawFn, kinds: Kinds, depth: int) -> str:
    leaf = _column_or(
        draw, _of(kinds, "text"), text_literal(draw(st.sampled_from(WORDS)))
    )
    if depth <= 0:
        return leaf
    sub = lambda k: random_expression(draw, kinds, k, depth - 1)  # noqa: E731
    choice = draw(st.integers(0, 5))
    if choice == 0:
        func = draw(st.sampled_from(["lower", "upper", "trim"]))
        return f"{func}({sub('text')})"
    if choice == 1:
        other = draw(st.sampled_from(["text", "num", "bool"]))
        return f"concat({sub('text')}, {sub(other)})"
    if choice == 2:
        start, length = draw(st.integers(1, 3)), draw(st.integers(0, 3))
        return f"substring({sub('text')}, {start}, {length})"
    if choice == 3:
        return f"if({sub('bool')}, {sub('text')}, {sub('text')})"
    return leaf


def _boolean(draw: st.DrawFn, kinds: Kinds, depth: int) -> str:
    leaf = _column_or(
        draw, _of(kinds, "bool"), draw(st.sampled_from(["true", "false"]))
    )
    if depth <= 0:
        return leaf
    sub = lambda k: random_expression(draw, kinds, k, depth - 1)  # noqa: E731
    choice = draw(st.integers(0, 6))
    if choice == 0:
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "=", "<>"]))
        return f"{sub('num')} {op} {sub('num')}"
    if choice == 1:
        op = draw(st.sampled_from(["==", "!=", "<", ">="]))
        return f"{sub('text')} {op} {sub('text')}"
    if choice == 2:
        op = draw(st.sampled_from(["and", "or"]))
        return f"({sub('bool')} {op} {sub('bool')})"
    if choice == 3:
        return f"not {sub('bool')}"
    if choice == 4:
        func = draw(st.sampled_from(["contains", "starts_with", "ends_with"]))
        return f"{func}({sub('text')}, {text_literal(draw(st.sampled_from(WORDS)))})"
    if choice == 5:
        return f"is_missing({sub(draw(st.sampled_from(['num', 'text', 'date'])))})"
    return leaf


def _date(draw: st.DrawFn, kinds: Kinds, depth: int) -> str:
    return _column_or(
        draw, _of(kinds, "date"), f"date({text_literal(draw(st.sampled_from(DATES)))})"
    )


# Steps -----------------------------------------------------------------------------


def random_condition(draw: st.DrawFn, kinds: Kinds) -> dict[str, Any]:
    """Draw one filter condition over ``kinds``."""
    column = draw(st.sampled_from(sorted(kinds)))
    kind = kinds[column]
    if kind in ("num", "int"):
        ops, values = (
            ["==", "!=", "<", "<=", ">", ">=", "between", "in", "not in"],
            NUMBERS,
        )
    elif kind == "text":
        ops = ["==", "!=", "in", "not in", "contains", "starts with", "ends with"]
        values = st.sampled_from(WORDS)
    elif kind == "date":
        ops, values = ["in period", "between", ">="], st.sampled_from(DATES)
    else:
        ops, values = ["=="], st.booleans()
    op = draw(st.sampled_from([*ops, "is missing", "is not missing"]))
    base: dict[str, Any] = {"column": column, "op": op}
    if op in ("is missing", "is not missing"):
        return base
    if op == "in period":
        which = draw(st.sampled_from(["last", "this", "previous", "to_date"]))
        unit = draw(st.sampled_from(["day", "week", "month", "quarter", "year"]))
        n = draw(st.integers(1, 40)) if which in ("last", "previous") else 1
        return base | {"period": {"which": which, "unit": unit, "n": n}}
    if op in ("between", "in", "not in"):
        size = 2 if op == "between" else draw(st.integers(0, 3))
        return base | {"value": draw(st.lists(values, min_size=size, max_size=size))}
    return base | {"value": draw(values), "case": draw(st.booleans())}


def _filter(draw: st.DrawFn, kinds: Kinds) -> dict[str, Any]:
    items: list[Any] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            inner = [
                random_condition(draw, kinds) for _ in range(draw(st.integers(1, 2)))
            ]
            items.append(
                {"combine": draw(st.sampled_from(["and", "or"])), "conditions": inner}
            )
        else:
            items.append(random_condition(draw, kinds))
    combine = draw(st.sampled_from(["and", "or"]))
    return {"kind": "filter", "conditions": items, "combine": combine, "as_of": AS_OF}


def _some(
    draw: st.DrawFn, columns: list[str], least: int = 1, most: int = 3
) -> list[str]:
    return draw(
        st.lists(st.sampled_from(columns), min_size=least, max_size=most, unique=True)
    )


def _group(draw: st.DrawFn, kinds: Kinds) -> tuple[dict[str, Any], Kinds]:
    by = _some(draw, sorted(kinds), 1, 2)
    out: Kinds = {key: kinds[key] for key in by}
    numeric = _of(kinds, "num", "int")
    aggregations = []
    for _ in range(draw(st.integers(1, 3))):
        func = draw(
            st.sampled_from(
                ["count", "count_distinct", "min", "max", "first", "last"]
                + (["sum", "mean", "median", "std", "percentile"] if numeric else [])
            )
        )
        pool = (
            numeric
            if func in ("sum", "mean", "median", "std", "percentile")
            else sorted(kinds)
        )
        column = draw(st.sampled_from(pool))
        name = _fresh(draw, out)
        spec: dict[str, Any] = {"column": column, "func": func, "name": name}
        if func == "percentile":
            spec["p"] = draw(st.sampled_from([0, 25, 50, 90, 100]))
        aggregations.append(spec)
        keeps = func in ("min", "max", "first", "last")
        out[name] = kinds[column] if keeps and kinds[column] != "bool" else "num"
        if keeps and kinds[column] == "bool":
            out[name] = "other"
    return {"kind": "group", "by": by, "aggregations": aggregations}, out


def _cast(draw: st.DrawFn, kinds: Kinds) -> tuple[dict[str, Any], Kinds]:
    column = draw(st.sampled_from(sorted(kinds)))
    kind = kinds[column]
    targets = {
        "num": ["text", "integer"],
        "int": ["number", "text"],
        "text": ["number", "datetime", "boolean", "category"],
        "date": ["text"],
        "bool": ["text", "boolean"],
    }
    to = draw(st.sampled_from(targets.get(kind, ["text"])))
    after = {
        "number": "num",
        "integer": "other",
        "text": "text",
        "boolean": "other",
        "datetime": "date",
        "category": "other",
    }[to]
    spec = {"kind": "cast", "column": column, "to": to, "errors": "coerce"}
    return spec, kinds | {column: after}


def random_step(
    draw: st.DrawFn, kinds: Kinds, kind: str, others: dict[str, pd.DataFrame]
) -> tuple[dict[str, Any], Kinds] | None:
    """Draw one valid step of ``kind``, and the kinds after it; None if impossible."""
    columns = sorted(kinds)
    numeric = _of(kinds, "num", "int")
    if not columns:
        return None
    if kind == "filter":
        return _filter(draw, kinds), kinds
    if kind == "sort":
        keys = [
            {"column": c, "ascending": draw(st.booleans())}
            for c in _some(draw, columns, 1, 2)
        ]
        return {
            "kind": "sort",
            "keys": keys,
            "missing": draw(st.sampled_from(["first", "last"])),
        }, kinds
    if kind == "group":
        return _group(draw, kinds)
    if kind == "fill_missing":
        return _fill(draw, kinds)
    if kind == "drop_missing":
        spec: dict[str, Any] = {
            "kind": "drop_missing",
            "columns": _some(draw, columns, 0, 2),
        }
        if draw(st.booleans()):
            spec["min_present"] = draw(st.integers(0, 2))
        else:
            spec["how"] = draw(st.sampled_from(["any", "all"]))
        return spec, kinds
    if kind == "flag_missing":
        name = _fresh(draw, kinds)
        return {
            "kind": "flag_missing",
            "column": draw(st.sampled_from(columns)),
            "flag_column": name,
        }, kinds | {name: "bool"}
    if kind == "drop_missing_columns":
        return {
            "kind": "drop_missing_columns",
            "max_missing": draw(st.sampled_from([0.0, 0.5, 1.0])),
            "columns": _some(draw, columns, 0, 2),
        }, kinds
    if kind == "select":
        chosen = _some(draw, columns, 1, 4)
        return {"kind": "select", "columns": chosen}, {c: kinds[c] for c in chosen}
    if kind == "drop_columns" and len(columns) > 1:
        gone = _some(draw, columns, 1, len(columns) - 1)
        return {"kind": "drop_columns", "columns": gone}, {
            c: k for c, k in kinds.items() if c not in gone
        }
    if kind == "rename":
        old = _some(draw, columns, 1, 2)
        taken = dict(kinds)
        mapping = {}
        for name in old:
            mapping[name] = _fresh(draw, taken)
            taken[mapping[name]] = kinds[name]
        return {"kind": "rename", "mapping": mapping}, {
            mapping.get(c, c): k for c, k in kinds.items()
        }
    if kind == "reorder":
        first = _some(draw, columns, 1, 3)
        return {"kind": "reorder", "columns": first}, {
            c: kinds[c] for c in [*first, *(c for c in kinds if c not in first)]
        }
    if kind == "cast":
        return _cast(draw, kinds)
    if kind == "pivot" and numeric and len(columns) >= 3:
        return _pivot(draw, kinds, columns, numeric)
    if kind == "unpivot" and numeric:
        ids = [c for c in _some(draw, columns, 0, 2) if c not in numeric]
        value_columns = _some(draw, [c for c in numeric if c not in ids], 1, 2)
        taken = dict(kinds)
        name_column = _fresh(draw, taken)
        taken[name_column] = "text"
        value_column = _fresh(draw, taken)
        value_kind = "num" if {kinds[c] for c in value_columns} != {"int"} else "int"
        spec = {
            "kind": "unpivot",
            "id_columns": ids,
            "value_columns": value_columns,
            "name_column": name_column,
            "value_column": value_column,
        }
        return spec, {
            **{c: kinds[c] for c in ids},
            name_column: "text",
            value_column: value_kind,
        }
    if kind == "bucket_date" and _of(kinds, "date"):
        column = draw(st.sampled_from(_of(kinds, "date")))
        name = draw(st.one_of(st.none(), NAMES.filter(lambda n: n not in kinds)))
        spec = {
            "kind": "bucket_date",
            "column": column,
            "unit": draw(st.sampled_from(["day", "week", "month", "quarter", "year"])),
            "name": name,
        }
        return spec, kinds | {name if name is not None else column: "date"}
    if kind == "drop_duplicates":
        return {
            "kind": "drop_duplicates",
            "columns": _some(draw, columns, 0, 2),
            "keep": draw(st.sampled_from(["first", "last"])),
        }, kinds
    if kind == "derive":
        result = draw(st.sampled_from(["num", "text", "bool", "date"]))
        name = draw(st.one_of(_fresh_strategy(kinds), st.sampled_from(columns)))
        text = random_expression(draw, kinds, result, draw(st.integers(0, 3)))
        return {"kind": "derive", "name": name, "expression": text}, kinds | {
            name: result
        }
    if kind == "join" and _of(kinds, "text"):
        return _join(draw, kinds, others)
    if kind == "top_n" and _of(kinds, "num", "int", "date"):
        column = draw(st.sampled_from(_of(kinds, "num", "int", "date")))
        spec = {
            "kind": "top_n",
            "column": column,
            "n": draw(st.integers(1, 4)),
            "ascending": draw(st.booleans()),
            "ties": draw(st.sampled_from(["first", "last", "all"])),
        }
        return spec, kinds
    if kind == "sample":
        size = (
            {"n": draw(st.integers(0, 12))}
            if draw(st.booleans())
            else {"fraction": draw(st.sampled_from([0.0, 0.5, 1.0]))}
        )
        return {"kind": "sample", **size, "seed": draw(st.integers(0, 9))}, kinds
    return None


def _pivot(
    draw: st.DrawFn, kinds: Kinds, columns: list[str], numeric: list[str]
) -> tuple[dict[str, Any], Kinds] | None:
    # An index column named like a value of the pivoted column would clash with the
    # new columns (a SpecError by design), so such names are not drawn as index.
    values_as_text = {*WORDS, *(str(n) for n in range(-3, 4))}
    indexes = [c for c in columns if c not in values_as_text]
    if not indexes:
        return None
    index = draw(st.sampled_from(indexes))
    candidates = [c for c in _of(kinds, "text", "int") if c != index]
    if not candidates:
        return None
    pivot_on = draw(st.sampled_from(candidates))
    values = [c for c in numeric if c not in (index, pivot_on)]
    if not values:
        return None
    agg = draw(
        st.sampled_from(
            ["sum", "mean", "count", "min", "max", "count_distinct", "first"]
        )
    )
    spec = {
        "kind": "pivot",
        "index": [index],
        "columns": pivot_on,
        "values": draw(st.sampled_from(values)),
        "agg": agg,
    }
    return spec, {index: kinds[index]}


def _fresh_strategy(kinds: Kinds) -> st.SearchStrategy[str]:
    return NAMES.filter(lambda name: name not in kinds)


def _fill(draw: st.DrawFn, kinds: Kinds) -> tuple[dict[str, Any], Kinds]:
    column = draw(st.sampled_from(sorted(kinds)))
    kind = kinds[column]
    strategies = ["mode", "ffill", "bfill"]
    if kind in ("num", "int"):
        strategies += ["value", "mean", "median", "interpolate"]
    if kind == "text":
        strategies.append("value")
    strategy = draw(st.sampled_from(strategies))
    spec: dict[str, Any] = {
        "kind": "fill_missing",
        "columns": [column],
        "strategy": strategy,
    }
    if strategy == "value":
        spec["value"] = (
            draw(NUMBERS) if kind in ("num", "int") else draw(st.sampled_from(WORDS))
        )
    return spec, kinds


def _join(
    draw: st.DrawFn, kinds: Kinds, others: dict[str, pd.DataFrame]
) -> tuple[dict[str, Any], Kinds]:
    key = draw(st.sampled_from(_of(kinds, "text")))
    value = _fresh(draw, kinds)
    rows = draw(st.integers(0, 5))
    keys = draw(
        st.lists(
            st.one_of(st.sampled_from(WORDS), st.none()), min_size=rows, max_size=rows
        )
    )
    numbers = draw(
        st.lists(st.one_of(NUMBERS, st.just(np.nan)), min_size=rows, max_size=rows)
    )
    name = f"lookup{len(others) + 1}"
    others[name] = pd.DataFrame(
        {key: pd.Series(keys, dtype="str"), value: pd.Series(numbers, dtype="float64")}
    )
    how = draw(st.sampled_from(["inner", "left", "right", "outer"]))
    after = {
        c: ("num" if k == "int" and how in ("right", "outer") else k)
        for c, k in kinds.items()
    }
    if how in ("right", "outer"):
        after = {c: ("other" if k in ("bool",) else k) for c, k in after.items()}
    return {"kind": "join", "dataset": name, "on": [key], "how": how}, after | {
        value: "num"
    }


def _append(
    draw: st.DrawFn, kinds: Kinds, frame: pd.DataFrame, others: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    others["extra"] = _frame(draw, kinds, draw(st.integers(0, 4)))
    return {"kind": "append", "datasets": ["extra"]}


@st.composite
def random_cases(
    draw: st.DrawFn, choices: list[str] | None = None, max_steps: int = 4
) -> tuple[pd.DataFrame, Pipeline, dict[str, pd.DataFrame]]:
    """Draw ``(frame, pipeline, others)``: a valid pipeline of up to ``max_steps``."""
    frame, kinds = draw(random_frames())
    pool = choices or ALL_KINDS
    others: dict[str, pd.DataFrame] = {}
    steps: list[dict[str, Any]] = []
    if "append" in pool and draw(st.integers(0, 5)) == 0:
        steps.append(_append(draw, kinds, frame, others))
    for _ in range(draw(st.integers(1, max_steps))):
        kind = draw(st.sampled_from([k for k in pool if k != "append"] or ["filter"]))
        drawn = random_step(
            draw,
            {c: k for c, k in kinds.items() if k != "other"}
            if kind not in ("select", "drop_columns", "rename", "reorder")
            else kinds,
            kind,
            others,
        )
        if drawn is None:
            continue
        step, after = drawn
        if kind not in (
            "select",
            "drop_columns",
            "rename",
            "reorder",
            "group",
            "unpivot",
            "pivot",
        ):
            after = kinds | after if set(after) >= set(kinds) else after
        steps.append(step)
        kinds = after
        if kind in TERMINAL:
            break
    if not steps:
        steps.append({"kind": "sort", "keys": [{"column": sorted(kinds)[0]}]})
    return frame, Pipeline(source=draw(NAMES), steps=steps, output=draw(NAMES)), others
