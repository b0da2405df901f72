"""Tests for the duckdb engine: SQL by hand, pandas == duckdb, injection, files, auto.

Float results are compared with ``rtol=1e-9``: DuckDB adds floats in another order
than pandas (in parallel, and pandas uses compensated sums), so the last bits of
``sum``, ``mean`` and ``median`` may differ. Everything else is compared exactly:
values, column names and order, row order, dtypes and the index.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from nbdash.errors import ColumnNotFoundError, EngineNotSupportedError, SpecError
from nbdash.transform import Pipeline, engines
from nbdash.transform.engines import run_file, run_frame, run_workspace, to_sql
from nbdash.transform.sql import Column, compile_pipeline, quote
from transform_strategies import random_cases as shared_cases

HOSTILE_VALUE = "'; DROP TABLE x; --"
HOSTILE_NAME = 'a" ; select 1; --'


@pytest.fixture
def sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": pd.Series(["EU", "US", None, "EU", "APAC", "us"], dtype="str"),
            "revenue": [10.0, np.nan, 5.0, 30.0, 7.0, 2.0],
            "units": [1, 2, 3, 4, 5, 6],
        }
    )


def pipe(*steps: dict[str, Any]) -> Pipeline:
    return Pipeline(source="sales", steps=list(steps))


def duck(frame: pd.DataFrame, *steps: dict[str, Any]) -> pd.DataFrame:
    return run_frame(pipe(*steps), frame, engine="duckdb")


def cond(column: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"column": column, "op": op, "value": value, **extra}


def filter_step(*conditions: dict[str, Any], combine: str = "and") -> dict[str, Any]:
    return {"kind": "filter", "conditions": list(conditions), "combine": combine}


# Each step by hand -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "kept_units"),
    [
        (cond("revenue", "==", 10.0), [1]),
        (cond("revenue", "!=", 10.0), [3, 4, 5, 6]),  # missing is not "!= 10"
        (cond("revenue", "<", 7), [3, 6]),
        (cond("revenue", ">=", 7.0), [1, 4, 5]),
        (cond("revenue", "between", [5, 10]), [1, 3, 5]),
        (cond("units", "in", [2, 9, 6]), [2, 6]),
        (cond("units", "in", []), []),
        (cond("region", "not in", ["EU"]), [2, 5, 6]),  # missing region is not kept
        (cond("region", "not in", []), [1, 2, 4, 5, 6]),
        (cond("region", "contains", "u"), [6]),
        (cond("region", "contains", "u", case=False), [1, 2, 4, 6]),
        (cond("region", "contains", ""), [1, 2, 4, 5, 6]),
        (cond("region", "<", "US"), [1, 4, 5]),  # code point order: "us" > "US"
        (cond("revenue", "is missing"), [2]),
        (cond("region", "is not missing"), [1, 2, 4, 5, 6]),
    ],
)
def test_filter_operations(
    sales: pd.DataFrame, condition: dict[str, Any], kept_units: list[int]
) -> None:
    result = duck(sales, filter_step(condition))

    assert result["units"].tolist() == kept_units
    assert list(result.index) == list(range(len(kept_units)))
    assert list(result.columns) == ["region", "revenue", "units"]


def test_filter_or_and(sales: pd.DataFrame) -> None:
    either = filter_step(
        cond("region", "==", "APAC"), cond("revenue", ">", 20), combine="or"
    )
    both = filter_step(cond("region", "==", "EU"), cond("revenue", ">", 20))

    assert duck(sales, either)["units"].tolist() == [4, 5]
    assert duck(sales, both)["units"].tolist() == [4]


def test_sort_is_stable_with_missing_last(sales: pd.DataFrame) -> None:
    frame = sales.assign(team=["b", "a", "b", "a", "b", "a"])
    step = {
        "kind": "sort",
        "keys": [{"column": "team"}, {"column": "revenue", "ascending": False}],
    }

    result = duck(frame, step)

    assert result["units"].tolist() == [4, 6, 2, 1, 5, 3]
    assert duck(frame, {"kind": "sort", "keys": [{"column": "team"}]})[
        "units"
    ].tolist() == [2, 4, 6, 1, 3, 5]


def test_sort_then_filter_keeps_sorted_order(sales: pd.DataFrame) -> None:
    result = duck(
        sales,
        {"kind": "sort", "keys": [{"column": "units", "ascending": False}]},
        filter_step(cond("units", ">", 2)),
    )

    assert result["units"].tolist() == [6, 5, 4, 3]


def test_group_keeps_missing_key_last_and_sums_all_missing_to_zero(
    sales: pd.DataFrame,
) -> None:
    step = {
        "kind": "group",
        "by": ["region"],
        "aggregations": [
            {"column": "revenue", "func": "sum"},
            {"column": "revenue", "func": "mean", "name": "avg"},
            {"column": "revenue", "func": "count", "name": "n"},
            {"column": "units", "func": "median", "name": "mid"},
            {"column": "units", "func": "max", "name": "top"},
        ],
    }

    result = duck(sales, step)

    expected = pd.DataFrame(
        {
            "region": pd.Series(["APAC", "EU", "US", "us", None], dtype="str"),
            "revenue_sum": [7.0, 40.0, 0.0, 2.0, 5.0],
            "avg": [7.0, 20.0, np.nan, 2.0, 5.0],
            "n": [1, 2, 0, 1, 1],
            "mid": [5.0, 2.5, 2.0, 6.0, 3.0],
            "top": [5, 4, 2, 6, 3],
        }
    )
    assert_frame_equal(result, expected)


def test_group_then_sort_orders_by_the_new_rows(sales: pd.DataFrame) -> None:
    result = duck(
        sales,
        {
            "kind": "group",
            "by": ["region"],
            "aggregations": [{"column": "units", "func": "sum", "name": "u"}],
        },
        {"kind": "sort", "keys": [{"column": "u", "ascending": False}]},
    )

    assert result["u"].tolist() == [6, 5, 5, 3, 2]
    assert result["region"].tolist()[1:3] == ["APAC", "EU"]  # tie keeps key order


def test_fill_drop_and_flag(sales: pd.DataFrame) -> None:
    filled = duck(
        sales,
        {"kind": "fill_missing", "columns": ["revenue"], "strategy": "mean"},
        {"kind": "fill_missing", "columns": ["region"], "value": "?"},
    )
    assert filled["revenue"].tolist() == [10.0, 10.8, 5.0, 30.0, 7.0, 2.0]
    assert filled["region"].tolist() == ["EU", "US", "?", "EU", "APAC", "us"]

    median = duck(
        sales, {"kind": "fill_missing", "columns": ["revenue"], "strategy": "median"}
    )
    assert median["revenue"].tolist()[1] == 7.0

    dropped = duck(sales, {"kind": "drop_missing", "columns": []})
    assert dropped["units"].tolist() == [1, 4, 5, 6]

    flagged = duck(
        sales, {"kind": "flag_missing", "column": "revenue", "flag_column": "gap"}
    )
    assert flagged["gap"].tolist() == [False, True, False, False, False, False]
    assert flagged["gap"].dtype == bool


def test_index_kept_when_no_step_reorders_rows(sales: pd.DataFrame) -> None:
    frame = sales.set_axis(list("abcdef"))

    flagged = duck(
        frame, {"kind": "flag_missing", "column": "units", "flag_column": "f"}
    )
    sorted_ = duck(frame, {"kind": "sort", "keys": [{"column": "units"}]})

    assert list(flagged.index) == list("abcdef")
    assert list(sorted_.index) == list(range(6))


def test_dtypes_come_back_as_pandas_gives_them() -> None:
    frame = pd.DataFrame(
        {
            "k": pd.Series([1, None, 1], dtype="Int64"),
            "x": pd.Series([1, 2, None], dtype="Int64"),
            "when": pd.to_datetime(["2024-01-02", None, "2024-01-01"]),
            "cat": pd.Categorical(["p", "q", "p"]),
        }
    )
    step = {
        "kind": "group",
        "by": ["k"],
        "aggregations": [
            {"column": "x", "func": "sum"},
            {"column": "x", "func": "mean"},
            {"column": "when", "func": "min"},
        ],
    }

    result = duck(frame, step)
    passed = duck(frame, filter_step(cond("x", ">", 0)))

    assert [str(dtype) for dtype in result.dtypes] == [
        "Int64",
        "Int64",
        "Float64",
        "datetime64[us]",
    ]
    assert result["x_sum"].tolist() == [1, 2]
    assert_frame_equal(result, pipe(step).run_frame(frame))
    assert_frame_equal(passed, frame.iloc[:2])


# Errors ------------------------------------------------------------------------------


def test_missing_column_message_matches_pandas(sales: pd.DataFrame) -> None:
    steps = [
        {"kind": "sort", "keys": [{"column": "units"}]},
        filter_step(cond("revnue", ">", 1)),
    ]

    with pytest.raises(ColumnNotFoundError) as duck_error:
        duck(sales, *steps)
    with pytest.raises(ColumnNotFoundError) as pandas_error:
        pipe(*steps).run_frame(sales)

    assert str(duck_error.value) == str(pandas_error.value)
    assert "Step 2 (filter): Column 'revnue' not found. Did you mean 'revenue'?" in str(
        duck_error.value
    )


def test_mean_of_text_message_matches_pandas(sales: pd.DataFrame) -> None:
    step = {
        "kind": "group",
        "by": ["units"],
        "aggregations": [{"column": "region", "func": "mean"}],
    }

    with pytest.raises(SpecError, match=r"^Step 1 \(group\): aggregation 'mean' needs"):
        duck(sales, step)


def test_value_of_another_type_is_refused_and_auto_uses_pandas(
    sales: pd.DataFrame,
) -> None:
    step = filter_step(cond("region", "==", 1.0))

    with pytest.raises(EngineNotSupportedError, match="not supported by the duckdb"):
        duck(sales, step)
    auto = run_frame(pipe(step), sales, engine="auto")

    assert len(auto) == 0 and list(auto.columns) == list(sales.columns)


def test_unknown_step_kind_is_not_supported() -> None:
    pivot = SimpleNamespace(kind="pivot", used_columns=lambda: [])
    fake = SimpleNamespace(source="s", steps=[pivot])

    with pytest.raises(EngineNotSupportedError) as error:
        compile_pipeline(fake, [Column("a", "BIGINT")], "t")  # type: ignore[arg-type]

    assert str(error.value).startswith(
        "Step 1 (pivot) is not supported by the duckdb engine. Run the pipeline with "
        "engine='pandas'"
    )


def test_unknown_engine(sales: pd.DataFrame) -> None:
    with pytest.raises(
        SpecError, match="Unknown engine 'spark'; expected one of pandas"
    ):
        run_frame(pipe(), sales, engine="spark")  # type: ignore[arg-type]


# Injection ---------------------------------------------------------------------------


def test_inner_join_keeps_pandas_order_and_suffixes() -> None:
    left = pd.DataFrame({"k": [2, 1, None, 2], "c": list("abcd")}).astype(
        {"k": "Int64"}
    )
    right = pd.DataFrame({"k": [2, None, 2, 5], "c": list("wxyz"), "w": [1, 2, 3, 4]})
    right = right.astype({"k": "Int64"})
    join = {"kind": "join", "dataset": "r", "on": ["k"]}

    result = run_frame(pipe(join), left, "duckdb", {"r": right})

    assert result.to_dict("list") == {
        "k": [2, 2, None, 2, 2],
        "c_x": ["a", "a", "c", "d", "d"],
        "c_y": ["w", "y", "x", "w", "y"],
        "w": [1, 3, 2, 1, 3],
    }
    assert result["k"].dtype == "Int64"
    outer = {"kind": "join", "dataset": "r", "on": ["k"], "how": "outer"}
    with pytest.raises(EngineNotSupportedError, match="only inner and left joins"):
        run_frame(pipe(outer), left, "duckdb", {"r": right})


def test_hostile_names_and_values_stay_data() -> None:
    frame = pd.DataFrame({HOSTILE_NAME: [HOSTILE_VALUE, "b", None], "n": [1, 2, 3]})
    steps = [
        filter_step(
            cond(HOSTILE_NAME, "in", [HOSTILE_VALUE, "b"]),
            cond(HOSTILE_NAME, "contains", "DROP", case=False),
            combine="or",
        ),
        {"kind": "flag_missing", "column": "n", "flag_column": 'x"); DROP TABLE x; --'},
        {"kind": "fill_missing", "columns": [HOSTILE_NAME], "value": HOSTILE_VALUE},
    ]
    query = to_sql(pipe(*steps), frame)

    assert HOSTILE_VALUE not in query.sql and "DROP" not in query.sql.replace(
        quote('x"); DROP TABLE x; --'), ""
    )
    assert HOSTILE_VALUE in query.params

    # Run the statement on a connection that also holds a table x: it must survive.
    connection = duckdb.connect()
    connection.execute("CREATE TABLE x AS SELECT 42 AS answer")
    connection.register("__nbdash_source", frame)
    rows = connection.execute(query.sql, query.params).fetchall()
    assert rows == [(HOSTILE_VALUE, 1, False), ("b", 2, False)]
    assert connection.execute("SELECT answer FROM x").fetchall() == [(42,)]

    result = run_frame(pipe(*steps), frame, engine="duckdb")
    assert list(result.columns) == [HOSTILE_NAME, "n", 'x"); DROP TABLE x; --']
    assert_frame_equal(result, pipe(*steps).run_frame(frame))


def test_quote_doubles_inner_quotes() -> None:
    assert quote('a"b') == '"a""b"'
    assert quote("") == '""'


# Differential: the same random pipelines on both engines -----------------------------

NAMES = st.text(
    alphabet=st.sampled_from([*"ab '\"\\\n;-é名", "\u2028"]), min_size=1, max_size=5
)
WORDS = ["a", "A", "Ab", "b", "", "é", HOSTILE_VALUE]
FLOATS = st.sampled_from([-1.5, 0.0, 1.0, 2.25, np.nan])
# Each example runs DuckDB, so shrinking a failure could take minutes: report it as
# drawn instead.
FAST: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],
}
KINDS = {"f": "num", "g": "num", "i": "num", "m": "num", "s": "text", "b": "bool"}


@st.composite
def random_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, str]]:
    names = draw(st.lists(NAMES, min_size=6, max_size=6, unique=True))
    rows = draw(st.integers(0, 12))

    def column(values: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(values, min_size=rows, max_size=rows))

    data = {
        names[0]: pd.Series(column(FLOATS), dtype="float64"),
        names[1]: pd.Series(column(FLOATS), dtype="float64"),
        names[2]: pd.Series(column(st.integers(-2, 2)), dtype="int64"),
        names[3]: pd.Series(
            column(st.one_of(st.integers(-2, 2), st.none())), dtype="Int64"
        ),
        names[4]: pd.Series(
            column(st.one_of(st.sampled_from(WORDS), st.none())), dtype="str"
        ),
        names[5]: pd.Series(column(st.booleans()), dtype="bool"),
    }
    kinds = dict(zip(names, ["num", "num", "num", "num", "text", "bool"], strict=True))
    return pd.DataFrame(data), kinds


def random_value(draw: st.DrawFn, kind: str) -> Any:
    if kind == "num":
        return draw(st.sampled_from([-1.5, 0.0, 1, 2, 2.25]))
    if kind == "text":
        return draw(st.sampled_from(WORDS))
    return draw(st.booleans())


def random_condition(draw: st.DrawFn, kinds: dict[str, str]) -> dict[str, Any]:
    column = draw(st.sampled_from(sorted(kinds)))
    kind = kinds[column]
    ops = {"num": ["==", "!=", "<", ">=", "between", "in", "not in"],
           "text": ["==", "!=", "<", "in", "not in", "contains"],
           "bool": ["==", "!="]}[kind]  # fmt: skip
    op = draw(st.sampled_from([*ops, "is missing", "is not missing"]))
    if op in ("is missing", "is not missing"):
        return cond(column, op)
    if op in ("between", "in", "not in"):
        size = 2 if op == "between" else draw(st.integers(0, 3))
        return cond(column, op, [random_value(draw, kind) for _ in range(size)])
    return cond(column, op, random_value(draw, kind), case=draw(st.booleans()))


def random_step(draw: st.DrawFn, kinds: dict[str, str]) -> dict[str, Any]:
    columns = sorted(kinds)
    numeric = [name for name in columns if kinds[name] == "num"]
    kind = draw(st.sampled_from(["filter", "sort", "group", "fill", "drop", "flag"]))
    if kind == "filter":
        conditions = [
            random_condition(draw, kinds) for _ in range(draw(st.integers(1, 2)))
        ]
        return filter_step(*conditions, combine=draw(st.sampled_from(["and", "or"])))
    if kind == "sort":
        keys = draw(
            st.lists(st.sampled_from(columns), min_size=1, max_size=2, unique=True)
        )
        return {
            "kind": "sort",
            "keys": [{"column": key, "ascending": draw(st.booleans())} for key in keys],
        }
    if kind == "group" and numeric:
        return random_group(draw, kinds, numeric)
    if kind == "fill" and numeric:
        column = draw(st.sampled_from(numeric))
        strategy = draw(st.sampled_from(["value", "mean", "median"]))
        value = draw(st.sampled_from([0, 1.5])) if strategy == "value" else None
        return {"kind": "fill_missing", "columns": [column], "strategy": strategy,
                "value": value}  # fmt: skip
    if kind == "drop":
        subset = draw(st.lists(st.sampled_from(columns), max_size=2, unique=True))
        return {"kind": "drop_missing", "columns": subset}
    flag = draw(NAMES.filter(lambda name: name not in kinds))
    return {"kind": "flag_missing", "column": draw(st.sampled_from(columns)),
            "flag_column": flag}  # fmt: skip


def random_group(
    draw: st.DrawFn, kinds: dict[str, str], numeric: list[str]
) -> dict[str, Any]:
    keys = draw(
        st.lists(st.sampled_from(sorted(kinds)), min_size=1, max_size=2, unique=True)
    )
    taken = set(keys)
    aggregations = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(NAMES.filter(lambda name: name not in taken))
        taken.add(name)
        func = draw(st.sampled_from(["sum", "mean", "median", "min", "max", "count"]))
        source = numeric if func in ("sum", "mean", "median") else sorted(kinds)
        column = draw(st.sampled_from(source))
        aggregations.append({"column": column, "func": func, "name": name})
    return {"kind": "group", "by": keys, "aggregations": aggregations}


def kinds_after(step: dict[str, Any], kinds: dict[str, str]) -> dict[str, str]:
    if step["kind"] == "group":
        out = {key: kinds[key] for key in step["by"]}
        for aggregation in step["aggregations"]:
            same = aggregation["func"] in ("min", "max")
            out[aggregation["name"]] = kinds[aggregation["column"]] if same else "num"
        return out
    if step["kind"] == "flag_missing":
        return kinds | {step["flag_column"]: "bool"}
    return kinds


@st.composite
def random_cases(draw: st.DrawFn, max_steps: int = 4) -> tuple[pd.DataFrame, Pipeline]:
    frame, kinds = draw(random_frames())
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        step = random_step(draw, kinds)
        steps.append(step)
        kinds = kinds_after(step, kinds)
    return frame, Pipeline(source="sales", steps=steps)


def outcome(run: Any) -> pd.DataFrame | type[Exception]:
    try:
        return run()
    except EngineNotSupportedError:
        return EngineNotSupportedError
    except SpecError:
        return SpecError


def assert_same(duck_result: Any, pandas_result: Any) -> None:
    if isinstance(pandas_result, type):
        assert duck_result in (pandas_result, EngineNotSupportedError)
        return
    if duck_result is EngineNotSupportedError:
        return
    assert isinstance(duck_result, pd.DataFrame), duck_result
    assert_frame_equal(duck_result, pandas_result, check_exact=False, rtol=1e-9)


@settings(**FAST, max_examples=60)
@given(random_cases())
def test_duckdb_engine_equals_pandas_engine(
    case: tuple[pd.DataFrame, Pipeline],
) -> None:
    frame, pipeline = case
    before = frame.copy()

    pandas_result = outcome(lambda: pipeline.run_frame(frame))
    duck_result = outcome(lambda: run_frame(pipeline, frame, engine="duckdb"))
    auto_result = outcome(lambda: run_frame(pipeline, frame, engine="auto"))

    assert_same(duck_result, pandas_result)
    assert not (
        isinstance(auto_result, type) and auto_result is EngineNotSupportedError
    )
    assert_frame_equal(frame, before)


@settings(**FAST, max_examples=60)
@given(shared_cases())
def test_duckdb_equals_pandas_on_every_step_kind(
    case: tuple[pd.DataFrame, Pipeline, dict[str, pd.DataFrame]],
) -> None:
    """4a's pipelines of every step kind: duckdb runs what it can, exactly as pandas."""
    frame, pipeline, others = case

    pandas_result = outcome(lambda: pipeline.run_frame(frame, others=others))
    duck_result = outcome(lambda: run_frame(pipeline, frame, "duckdb", others))
    auto_result = outcome(lambda: run_frame(pipeline, frame, "auto", others))

    assert_same(duck_result, pandas_result)
    assert auto_result is not EngineNotSupportedError


@settings(**FAST, max_examples=25)
@given(random_cases(max_steps=3))
def test_duckdb_on_parquet_equals_pandas(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[pd.DataFrame, Pipeline]
) -> None:
    frame, pipeline = case
    path = tmp_path_factory.mktemp("parquet") / "data.parquet"
    frame.to_parquet(path)
    loaded = pd.read_parquet(path)

    pandas_result = outcome(lambda: pipeline.run_frame(loaded))
    duck_result = outcome(lambda: run_file(pipeline, path))

    if isinstance(duck_result, pd.DataFrame) and isinstance(
        pandas_result, pd.DataFrame
    ):
        pandas_result = pandas_result.reset_index(drop=True)
    assert_same(duck_result, pandas_result)


def test_large_random_frame_in_parallel(sales: pd.DataFrame) -> None:
    """Enough rows for DuckDB to scan in parallel; order must still match pandas."""
    rng = np.random.default_rng(7)
    rows = 300_000
    frame = pd.DataFrame(
        {
            "k": rng.integers(0, 50, rows),
            "s": pd.Series(rng.choice(["x", "y", None], rows), dtype="str"),
            "v": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(size=rows)),
        }
    )
    pipelines = [
        pipe(filter_step(cond("v", ">", 0.5), cond("s", "==", "x"), combine="or")),
        pipe(
            {
                "kind": "sort",
                "keys": [{"column": "s"}, {"column": "k", "ascending": False}],
            }
        ),
        pipe(
            {"kind": "fill_missing", "columns": ["v"], "strategy": "mean"},
            {
                "kind": "group",
                "by": ["s", "k"],
                "aggregations": [
                    {"column": "v", "func": "sum"},
                    {"column": "v", "func": "mean"},
                    {"column": "v", "func": "median"},
                    {"column": "k", "func": "count"},
                ],
            },
        ),
    ]
    for pipeline in pipelines:
        assert_frame_equal(
            run_frame(pipeline, frame, engine="duckdb"),
            pipeline.run_frame(frame),
            check_exact=False,
            rtol=1e-9,
        )


# Files, workspaces, auto -------------------------------------------------------------


def test_run_file_csv_and_parquet_output(tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    source.write_text("region,revenue\nEU,1.5\nUS,2\nEU,4\n", encoding="utf-8")
    group = {
        "kind": "group",
        "by": ["region"],
        "aggregations": [{"column": "revenue", "func": "sum", "name": "total"}],
    }

    frame = run_file(pipe(group), source)
    written = run_file(pipe(group), source, output=tmp_path / "out.parquet")

    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict("list") == {"region": ["EU", "US"], "total": [5.5, 2.0]}
    assert written == tmp_path / "out.parquet"
    assert pd.read_parquet(written).to_dict("list") == frame.to_dict("list")
    assert not list(tmp_path.glob(".*nbdash-tmp"))


def test_run_file_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError, match=r"reads \.parquet, \.pq, \.csv.*received 'a\.xlsx'"
    ):
        run_file(pipe(), tmp_path / "a.xlsx")


class FileStore:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def parquet_path(self, name: str, version: int | None = None) -> str | None:
        return str(self.path) if self.path else None


class StoreWorkspace:
    def __init__(self, frame: pd.DataFrame, path: Path | None) -> None:
        self.frame = frame
        self.store = FileStore(path)

    def get(self, name: str) -> pd.DataFrame:
        return self.frame


def test_workspace_duckdb_reads_the_stored_file(tmp_path: Path) -> None:
    stored = pd.DataFrame({"n": [3, 1, 2]})
    stored.to_parquet(tmp_path / "v1.parquet")
    in_memory = pd.DataFrame({"n": [30, 10, 20]})
    sort = pipe({"kind": "sort", "keys": [{"column": "n"}]})

    from_file = sort.run(
        StoreWorkspace(in_memory, tmp_path / "v1.parquet"), engine="duckdb"
    )
    from_frame = sort.run(StoreWorkspace(in_memory, None), engine="duckdb")

    assert from_file["n"].tolist() == [1, 2, 3]
    assert from_file["n"].dtype == np.int64
    assert from_frame["n"].tolist() == [10, 20, 30]
    assert sort.run(StoreWorkspace(in_memory, None))["n"].tolist() == [10, 20, 30]


def test_real_store_dataset_is_read_from_its_parquet_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from nbdash.store import Store
    from nbdash.workspace import Workspace

    workspace = Workspace(store=Store(tmp_path / "store"))
    frame = pd.DataFrame(
        {"region": pd.Series(["b", None, "a"], dtype="str"), "n": [1, 2, 3]}
    )
    workspace.put("sales 2024", frame)
    sort = Pipeline(
        source="sales 2024", steps=[{"kind": "sort", "keys": [{"column": "region"}]}]
    )
    caplog.set_level(logging.DEBUG, logger="nbdash.transform.sql")

    result = sort.run(workspace, engine="duckdb")

    assert "read_parquet($1)" in caplog.text
    assert_frame_equal(result, sort.run(workspace))
    assert result["n"].tolist() == [3, 1, 2]


def test_auto_picks_duckdb_for_large_aggregations(
    sales: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    group = pipe(
        {"kind": "group", "by": ["region"],
         "aggregations": [{"column": "units", "func": "sum"}]}
    )  # fmt: skip
    sort = pipe({"kind": "sort", "keys": [{"column": "units"}]})
    caplog.set_level(logging.DEBUG, logger="nbdash.transform.sql")

    run_frame(group, sales, engine="auto")
    assert "compiled pipeline to SQL" not in caplog.text

    monkeypatch.setattr(engines, "AUTO_MIN_CELLS", sales.size)
    run_frame(sort, sales, engine="auto")
    assert "compiled pipeline to SQL" not in caplog.text  # full-size result: pandas
    result = run_frame(group, sales, engine="auto")
    assert "compiled pipeline to SQL" in caplog.text
    assert_frame_equal(result, group.run_frame(sales))


def test_workspace_auto_uses_file_only_when_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pd.DataFrame({"n": [3, 1]}).to_parquet(tmp_path / "v1.parquet")
    workspace = StoreWorkspace(pd.DataFrame({"n": [30, 10]}), tmp_path / "v1.parquet")
    sort = pipe({"kind": "sort", "keys": [{"column": "n"}]})

    assert run_workspace(sort, workspace, "auto")["n"].tolist() == [10, 30]
    monkeypatch.setattr(engines, "AUTO_MIN_CELLS", 2)
    assert run_workspace(sort, workspace, "auto")["n"].tolist() == [1, 3]  # the file


def test_to_sql_text(sales: pd.DataFrame) -> None:
    sql = pipe(filter_step(cond("region", "==", "EU"))).to_sql(sales)

    assert sql.startswith('WITH step0 AS (SELECT * FROM "__nbdash_source")')
    assert '"region" = CAST($1 AS VARCHAR)' in sql


@pytest.mark.slow
def test_file_larger_than_the_memory_limit(tmp_path: Path) -> None:
    """A ~300 MB Parquet file under a 50 MB DuckDB limit: filter, group, write."""
    rows = 8_000_000
    source = tmp_path / "big.parquet"
    duckdb.connect().execute(
        "COPY (SELECT i AS id, i % 1000 AS k, md5(i::VARCHAR) AS pad "
        f"FROM range({rows}) t(i)) TO $1 (FORMAT parquet)",
        [str(source)],
    )
    assert source.stat().st_size > 250_000_000

    group = pipe(
        filter_step(cond("k", "<", 10)),
        {"kind": "group", "by": ["k"], "aggregations": [
            {"column": "id", "func": "sum"}, {"column": "pad", "func": "count"}]},
    )  # fmt: skip
    result = run_file(group, source, memory_limit="50MB")
    assert isinstance(result, pd.DataFrame)
    per_key = rows // 1000
    assert result["k"].tolist() == list(range(10))
    assert result["pad_count"].tolist() == [per_key] * 10
    # ids with i % 1000 == k: k, k + 1000, ...; their sum in closed form
    expected = [per_key * k + 1000 * per_key * (per_key - 1) // 2 for k in range(10)]
    assert result["id_sum"].tolist() == expected

    # A filter streams from file to file in order. (A sort of this file needs about
    # 100 MB in DuckDB 2.0: under 50 MB it stops with an out-of-memory error.)
    keep = pipe(filter_step(cond("k", "==", 7)))
    output = run_file(
        keep, source, output=tmp_path / "kept.parquet", memory_limit="50MB"
    )
    ids = pq.read_table(output, columns=["id"])["id"].to_pylist()
    assert ids == list(range(7, rows, 1000))


# Specs from newer step versions ------------------------------------------------------


def fake_pipeline(*steps: Any) -> Any:
    return SimpleNamespace(source="t", steps=list(steps))


def test_nested_groups_and_text_tests_compile() -> None:
    def test(column: str, op: str, value: str, case: bool = True) -> Any:
        return SimpleNamespace(column=column, op=op, value=value, case=case)

    inner = SimpleNamespace(
        combine="and", conditions=[test("s", "starts with", "a", case=False),
                                   test("s", "ends with", "x")]
    )  # fmt: skip
    step = SimpleNamespace(
        kind="filter",
        combine="or",
        conditions=[inner, test("s", "==", "zz")],
        used_columns=lambda: ["s"],
    )
    query = compile_pipeline(fake_pipeline(step), [Column("s", "VARCHAR")], "t")

    connection = duckdb.connect()
    words = ["Abx", "abc", "bx", "zz", None, "ax"]
    connection.execute("CREATE TABLE t AS SELECT unnest($1::VARCHAR[]) AS s", [words])
    rows = connection.execute(query.sql, query.params).fetchall()
    assert [row[0] for row in rows] == ["Abx", "zz", "ax"]


def test_unknown_option_of_a_known_spec_is_refused() -> None:
    from pydantic import BaseModel

    class SortKey(BaseModel):
        column: str
        ascending: bool = True
        collate: str = "binary"

    plain = SimpleNamespace(
        kind="sort", keys=[SortKey(column="a")], used_columns=lambda: ["a"]
    )
    odd = SimpleNamespace(
        kind="sort",
        keys=[SortKey(column="a", collate="nocase")],
        used_columns=lambda: ["a"],
    )

    compile_pipeline(fake_pipeline(plain), [Column("a", "BIGINT")], "t")
    with pytest.raises(EngineNotSupportedError, match="option 'collate' of SortKey"):
        compile_pipeline(fake_pipeline(odd), [Column("a", "BIGINT")], "t")


def test_count_distinct_and_std() -> None:
    frame = pd.DataFrame(
        {
            "k": pd.Series(["a", "a", "b", None], dtype="str"),
            "x": pd.Series([1, None, 1, 2], dtype="Int64"),
            "f": [1.0, 3.0, np.nan, 2.0],
        }
    )
    step = {
        "kind": "group",
        "by": ["k"],
        "aggregations": [
            {"column": "x", "func": "count_distinct", "name": "xs"},
            {"column": "f", "func": "count_distinct", "name": "fs"},
            {"column": "f", "func": "std", "name": "sd"},
        ],
    }

    result = duck(frame, step)

    assert result["xs"].tolist() == [1, 1, 1]
    assert result["fs"].tolist() == [2, 0, 1]
    assert result["sd"].iloc[0] == pytest.approx(2**0.5)  # sample std of 1 and 3
    assert result["sd"].iloc[1:].isna().all()
    assert_frame_equal(result, pipe(step).run_frame(frame))


# Each compiled kind on its own, from 4a's strategies ---------------------------------

COMPILED_ALWAYS = ["select", "drop_columns", "rename", "reorder", "drop_duplicates"]
COMPILED_ALWAYS += ["top_n", "drop_missing", "bucket_date"]
"""Kinds the duckdb engine compiles whatever the spec and data."""

COMPILED_SOMETIMES = ["filter", "sort", "group", "fill_missing"]
COMPILED_SOMETIMES += ["flag_missing", "join", "derive", "cast", "append"]
"""Kinds it compiles for some specs and refuses (auto runs pandas) for others."""


@pytest.mark.parametrize("kind", COMPILED_ALWAYS + COMPILED_SOMETIMES)
def test_each_compiled_kind_equals_pandas(kind: str) -> None:
    refused: list[bool] = []

    @settings(**FAST, max_examples=12)
    @given(shared_cases(choices=[kind], max_steps=2))
    def check(case: tuple[pd.DataFrame, Pipeline, dict[str, pd.DataFrame]]) -> None:
        frame, pipeline, others = case
        pandas_result = outcome(lambda: pipeline.run_frame(frame, others=others))
        duck_result = outcome(lambda: run_frame(pipeline, frame, "duckdb", others))
        if kind in COMPILED_ALWAYS and isinstance(pandas_result, pd.DataFrame):
            assert duck_result is not EngineNotSupportedError
        refused.append(duck_result is EngineNotSupportedError)
        assert_same(duck_result, pandas_result)

    check()
    if kind in COMPILED_ALWAYS:
        assert not all(refused), f"the duckdb engine refused every {kind} pipeline"


# Derived columns ---------------------------------------------------------------------


def derive(name: str, text: str) -> dict[str, Any]:
    return {"kind": "derive", "name": name, "expression": text}


def test_derive_arithmetic_follows_pandas() -> None:
    frame = pd.DataFrame(
        {"a": [7, -7, 7, 0], "b": [2, 2, -2, 0], "x": [7.5, -7.5, np.nan, 1.0]}
    )
    result = duck(
        frame,
        derive("ratio", "a / b"),
        derive("rest", "a % 3"),
        derive("negrest", "a % -3"),
        derive("frest", "x % 2"),
        derive("half", "round(x / 2, 1)"),
        derive("sum", "a + b * 2"),
    )

    # By hand: a zero divisor gives a missing value; % takes the divisor's sign;
    # round(3.75, 1) and round(-3.75, 1) go to the even digit.
    assert result["ratio"].tolist()[:3] == [3.5, -3.5, -3.5]
    assert np.isnan(result["ratio"].iloc[3])
    assert result["rest"].tolist() == [1, 2, 1, 0]
    assert result["negrest"].tolist() == [-2, -1, -2, 0]
    assert result["frest"].tolist()[:2] == [1.5, 0.5]
    assert result["half"].tolist()[:2] == [3.8, -3.8]
    assert result["sum"].tolist() == [11, -3, 3, 0]
    assert result["sum"].dtype == "int64"
    assert result["ratio"].dtype == "float64"


def test_derive_comparisons_with_missing_are_false(sales: pd.DataFrame) -> None:
    result = duck(
        sales,
        derive("big", "revenue > 6 or region == 'us'"),
        derive("not_big", "not (revenue > 6)"),
        derive("gap", "is_missing(revenue)"),
        derive("label", "if(revenue >= 10, concat(region, '!'), 'small')"),
    )

    assert result["big"].tolist() == [True, False, False, True, True, True]
    assert result["not_big"].tolist() == [False, True, True, False, False, True]
    assert result["gap"].tolist() == [False, True, False, False, False, False]
    assert result["label"].tolist()[:4] == ["EU!", "small", "small", "EU!"]


def test_derive_injection_payloads_stay_data() -> None:
    frame = pd.DataFrame({HOSTILE_NAME: pd.Series(["x", None], dtype="str")})
    text = f"concat([{HOSTILE_NAME}], '{HOSTILE_VALUE.replace(chr(39), chr(39) * 2)}')"
    steps = (
        derive(HOSTILE_NAME, text),
        derive("hit", f"contains([{HOSTILE_NAME}], 'DROP TABLE')"),
    )
    query = to_sql(pipe(*steps), frame)
    result = duck(frame, *steps)

    assert "DROP TABLE" not in query.sql
    assert result[HOSTILE_NAME].tolist() == ["x" + HOSTILE_VALUE, HOSTILE_VALUE]
    assert result["hit"].tolist() == [True, True]


def test_derive_refuses_what_pandas_types_by_the_data(sales: pd.DataFrame) -> None:
    with pytest.raises(
        EngineNotSupportedError, match=r"len\(\) gives int64 or float64"
    ):
        duck(sales, derive("n", "len(region)"))
    with pytest.raises(EngineNotSupportedError, match="full Unicode case mapping"):
        duck(sales, derive("u", "upper(region)"))

    auto = run_frame(pipe(derive("n", "len(region)")), sales, engine="auto")
    assert auto["n"].tolist()[:2] == [2.0, 2.0]


def test_left_join_on_keys_of_different_names() -> None:
    left = pd.DataFrame(
        {"id": pd.Series(["b", "a", None, "c"], dtype="str"), "v": [1, 2, 3, 4]}
    )
    right = pd.DataFrame(
        {
            "key": pd.Series(["a", "b", "a", None], dtype="str"),
            "id": pd.Series(["p", "q", "r", "s"], dtype="str"),
            "w": [0.5, 1.5, 2.5, 3.5],
        }
    )
    join = {"kind": "join", "dataset": "r", "on": ["id"], "right_on": ["key"]}

    result = run_frame(pipe(join | {"how": "left"}), left, "duckdb", {"r": right})

    # By hand: left rows in order, each with its matches in the right's order; the
    # missing key matches the missing key; "c" has no match; both "id"s get suffixes.
    assert list(result.columns) == ["id_x", "v", "key", "id_y", "w"]
    assert result["id_x"].fillna("-").tolist() == ["b", "a", "a", "-", "c"]
    assert result["v"].tolist() == [1, 2, 2, 3, 4]
    assert result["id_y"].fillna("-").tolist() == ["q", "p", "r", "s", "-"]
    assert result["w"].tolist()[:4] == [1.5, 0.5, 2.5, 3.5]
    assert np.isnan(result["w"].iloc[4])
    inner = run_frame(pipe(join), left, "duckdb", {"r": right})
    assert inner["v"].tolist() == [1, 2, 2, 3]


def test_group_first_last_and_percentile() -> None:
    frame = pd.DataFrame(
        {
            "g": pd.Series(["b", "a", "b", "a", "b"], dtype="str"),
            "v": [np.nan, 1.0, 2.0, 3.0, 6.0],
        }
    )
    step = {
        "kind": "group",
        "by": ["g"],
        "aggregations": [
            {"column": "v", "func": "first", "name": "f"},
            {"column": "v", "func": "last", "name": "l"},
            {"column": "v", "func": "percentile", "p": 25, "name": "q"},
        ],
    }

    result = duck(frame, step)

    # By hand: b's values in order are NaN, 2, 6: first non-missing 2, last 6, and
    # the 25th percentile of (2, 6) is 2 + 0.25 * 4 = 3; a's are 1 and 3: 1.5.
    assert result.to_dict("list") == {
        "g": ["a", "b"],
        "f": [1.0, 2.0],
        "l": [3.0, 6.0],
        "q": [1.5, 3.0],
    }


def test_fill_by_neighbours_and_drop_by_count() -> None:
    frame = pd.DataFrame(
        {
            "v": [np.nan, 1.0, np.nan, np.nan, 4.0, np.nan],
            "s": pd.Series([None, "a", None, "b", None, None], dtype="str"),
        }
    )

    def fill(column: str, strategy: str) -> list[Any]:
        step = {"kind": "fill_missing", "columns": [column], "strategy": strategy}
        return duck(frame, step)[column].fillna(-1).tolist()

    # By hand: interpolation by position between 1 (row 1) and 4 (row 4) adds 1 per
    # row; the leading gap stays, the trailing one takes the last value.
    assert fill("v", "interpolate") == [-1, 1.0, 2.0, 3.0, 4.0, 4.0]
    assert fill("v", "ffill") == [-1, 1.0, 1.0, 1.0, 4.0, 4.0]
    assert fill("v", "bfill") == [1.0, 1.0, 4.0, 4.0, 4.0, -1]
    assert fill("s", "mode") == ["a", "a", "a", "b", "a", "a"]  # tie: smallest

    def kept(**options: Any) -> int:
        return len(duck(frame, {"kind": "drop_missing", **options}))

    assert kept(how="all") == 3
    assert kept(min_present=1, columns=["v", "s"]) == 3
    assert kept(columns=["v"]) == 2


def test_nul_in_column_names_is_escaped() -> None:
    frame = pd.DataFrame({"a\x00b": [1.0, np.nan], "a\U0010fffe0b": [2.0, 3.0]})
    steps = (
        {"kind": "fill_missing", "columns": ["a\x00b"], "value": 9.0},
        {"kind": "rename", "mapping": {"a\x00b": "x\x00"}},
    )

    result = duck(frame, *steps)

    assert list(result.columns) == ["x\x00", "a\U0010fffe0b"]
    assert result.to_dict("list") == {"x\x00": [1.0, 9.0], "a\U0010fffe0b": [2.0, 3.0]}


def test_bucket_date_starts_of_periods() -> None:
    stamps = ["2024-05-15 13:45", "2024-02-29 00:00", None, "2023-12-31 23:59"]
    frame = pd.DataFrame({"t": pd.to_datetime(pd.Series(stamps))})

    def bucket(unit: str) -> list[Any]:
        step = {"kind": "bucket_date", "column": "t", "unit": unit, "name": "b"}
        result = duck(frame, step)["b"]
        return [None if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M") for v in result]

    # By hand: 2024-05-15 is a Wednesday, its week starts Monday 2024-05-13;
    # 2023-12-31 is a Sunday, its week starts Monday 2023-12-25.
    assert bucket("week") == ["2024-05-13 00:00", "2024-02-26 00:00", None,
                              "2023-12-25 00:00"]  # fmt: skip
    assert bucket("quarter")[0] == "2024-04-01 00:00"
    assert bucket("day")[3] == "2023-12-31 00:00"
    assert bucket("year")[1] == "2024-01-01 00:00"


def test_cast_numbers_and_words() -> None:
    frame = pd.DataFrame(
        {
            "s": pd.Series([" Yes", "no\u3000", "TRUE", "maybe", None], dtype="str"),
            "x": [1.0, -0.0, 0.0, 2.5, np.nan],
        }
    )

    def cast(column: str, to: str, errors: str = "coerce") -> pd.Series:
        step = {"kind": "cast", "column": column, "to": to, "errors": errors}
        return duck(frame, step)[column]

    # By hand: words are stripped of any whitespace and lower-cased; str(-0.0) is
    # "-0.0", which is not a word; 2.5 is not a whole number.
    assert cast("s", "boolean").tolist() == [True, False, True, pd.NA, pd.NA]
    assert cast("x", "boolean").tolist() == [True, pd.NA, False, pd.NA, pd.NA]
    assert cast("x", "integer").tolist() == [1, 0, 0, pd.NA, pd.NA]
    assert cast("x", "integer").dtype == "Int64"
    with pytest.raises(SpecError, match="cannot convert column 'x' to integer"):
        cast("x", "integer", "raise")
    with pytest.raises(EngineNotSupportedError, match="is not compiled"):
        cast("x", "text")


def test_append_keeps_parts_in_order() -> None:
    first = pd.DataFrame({"k": [3, 1], "s": pd.Series(["a", None], dtype="str")})
    extra = pd.DataFrame({"s": pd.Series(["c", "d", "e"], dtype="str"), "k": [5, 4, 3]})
    steps = (
        {"kind": "append", "datasets": ["extra", "extra"]},
        filter_step(cond("k", ">", 3)),
    )

    result = run_frame(pipe(*steps), first, "duckdb", {"extra": extra})

    # By hand: first's rows, then extra's twice (columns matched by name), k > 3.
    assert result.to_dict("list") == {"k": [5, 4, 5, 4], "s": ["c", "d", "c", "d"]}
    assert list(result.index) == [0, 1, 2, 3]
    other = {"extra": extra.astype({"k": "float64"})}
    with pytest.raises(EngineNotSupportedError, match="same columns and dtypes"):
        run_frame(pipe(steps[0]), first, "duckdb", other)


@settings(**FAST, max_examples=15)
@given(shared_cases(choices=["append", "sort", "drop_duplicates"], max_steps=2))
def test_append_pipelines_equal_pandas(
    case: tuple[pd.DataFrame, Pipeline, dict[str, pd.DataFrame]],
) -> None:
    frame, pipeline, others = case

    pandas_result = outcome(lambda: pipeline.run_frame(frame, others=others))
    duck_result = outcome(lambda: run_frame(pipeline, frame, "duckdb", others))

    assert_same(duck_result, pandas_result)


def test_filter_dates_and_periods() -> None:
    stamps = ["2024-06-14 23:00", "2024-06-15 08:00", None, "2024-04-01", "2024-03-31"]
    dates = pd.to_datetime(pd.Series(stamps), format="ISO8601")
    frame = pd.DataFrame({"t": dates, "n": range(5)})

    def kept(condition: dict[str, Any]) -> list[int]:
        step = filter_step(condition) | {"as_of": "2024-06-15"}
        return duck(frame, step)["n"].tolist()

    # By hand, with as_of 2024-06-15: "last 2 days" is [06-14, 06-16); "this
    # quarter" is [04-01, 07-01); a missing date never matches.
    last_days = {"which": "last", "n": 2, "unit": "day"}
    this_quarter = {"which": "this", "unit": "quarter"}
    assert kept(cond("t", "in period", period=last_days)) == [0, 1]
    assert kept(cond("t", "in period", period=this_quarter)) == [0, 1, 3]
    assert kept(cond("t", "<", "2024-04-01")) == [4]
    assert kept(cond("t", "between", ["2024-04-01", "2024-06-15"])) == [0, 3]
