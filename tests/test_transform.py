"""Tests for nbdash.transform: each step by hand, errors, generated code, properties."""

from __future__ import annotations

import ast
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from nbdash.errors import ColumnNotFoundError, SpecError
from nbdash.transform import (
    Condition,
    FilterStep,
    GroupStep,
    Pipeline,
    SortStep,
    run_pipeline,
)

HOSTILE = "'); import os; os.system('x') #"


class FakeWorkspace:
    """The one method of a Workspace that a pipeline uses."""

    def __init__(self, **datasets: pd.DataFrame) -> None:
        self.datasets = datasets

    def get(self, name: str) -> pd.DataFrame:
        return self.datasets[name]


@pytest.fixture
def sales_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["EU", "US", None, "EU", "APAC", "us"],
            "revenue": [10.0, np.nan, 5.0, 30.0, 7.0, 2.0],
            "units": [1, 2, 3, 4, 5, 6],
        }
    )


def run_steps(frame: pd.DataFrame, *steps: dict[str, Any]) -> pd.DataFrame:
    return Pipeline(source="sales", steps=list(steps)).run_frame(frame)


def run_code(pipe: Pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    namespace: dict[str, Any] = {"pd": pd, "df": frame.copy()}
    exec(pipe.to_code(), namespace)
    return namespace["df"]


def condition(column: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"column": column, "op": op, "value": value, **extra}


def filter_step(*conditions: dict[str, Any], combine: str = "and") -> dict[str, Any]:
    return {"kind": "filter", "conditions": list(conditions), "combine": combine}


# Filter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "kept_units"),
    [
        ("==", 10.0, [1]),
        ("!=", 10.0, [3, 4, 5, 6]),  # the missing revenue (units 2) is not "!= 10"
        ("<", 7.0, [3, 6]),
        ("<=", 7.0, [3, 5, 6]),
        (">", 7.0, [1, 4]),
        (">=", 7.0, [1, 4, 5]),
        ("between", [5.0, 10.0], [1, 3, 5]),
        ("in", [2.0, 30.0], [4, 6]),
        ("not in", [2.0, 30.0], [1, 3, 5]),  # missing is not "not in" either
        ("is missing", None, [2]),
        ("is not missing", None, [1, 3, 4, 5, 6]),
    ],
)
def test_filter_ops_on_numbers(
    sales_frame: pd.DataFrame, op: str, value: Any, kept_units: list[int]
) -> None:
    result = run_steps(sales_frame, filter_step(condition("revenue", op, value)))

    assert result["units"].tolist() == kept_units
    assert result.index.tolist() == list(range(len(kept_units)))


def test_filter_contains_is_case_sensitive_unless_asked(
    sales_frame: pd.DataFrame,
) -> None:
    exact = run_steps(sales_frame, filter_step(condition("region", "contains", "U")))
    folded = run_steps(
        sales_frame, filter_step(condition("region", "contains", "U", case=False))
    )

    assert exact["units"].tolist() == [1, 2, 4]
    assert folded["units"].tolist() == [1, 2, 4, 6]


def test_filter_contains_is_not_a_regex() -> None:
    frame = pd.DataFrame({"code": ["a.c", "abc", None]})

    result = run_steps(frame, filter_step(condition("code", "contains", ".")))

    assert result["code"].tolist() == ["a.c"]


def test_filter_string_not_equal_excludes_missing(sales_frame: pd.DataFrame) -> None:
    result = run_steps(sales_frame, filter_step(condition("region", "!=", "EU")))

    assert result["units"].tolist() == [2, 5, 6]


def test_filter_or_combines_conditions(sales_frame: pd.DataFrame) -> None:
    step = filter_step(
        condition("region", "==", "US"), condition("units", ">", 5), combine="or"
    )

    assert run_steps(sales_frame, step)["units"].tolist() == [2, 6]


def test_filter_and_combines_conditions(sales_frame: pd.DataFrame) -> None:
    step = filter_step(condition("region", "==", "EU"), condition("units", ">", 1))

    assert run_steps(sales_frame, step)["units"].tolist() == [4]


def test_filter_on_nullable_integers_treats_missing_as_false() -> None:
    frame = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64")})

    result = run_steps(frame, filter_step(condition("n", "!=", 1)))

    expected = pd.DataFrame({"n": pd.array([3], dtype="Int64")})
    assert_frame_equal(result, expected)


def test_filter_compares_dates_with_iso_strings() -> None:
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-02-01", None])})

    result = run_steps(frame, filter_step(condition("day", ">=", "2024-01-15")))

    assert result["day"].tolist() == [pd.Timestamp("2024-02-01")]


def test_filter_contains_on_numbers_explains(sales_frame: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match=r"Step 1 \(filter\): 'contains' needs a text"):
        run_steps(sales_frame, filter_step(condition("revenue", "contains", "1")))


def test_filter_incomparable_value_explains(sales_frame: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match=r"^Step 1 \(filter\): "):
        run_steps(sales_frame, filter_step(condition("revenue", "<", "ten")))


# Sort, group, missing values --------------------------------------------------------


def test_sort_by_two_keys_missing_last(sales_frame: pd.DataFrame) -> None:
    step = {
        "kind": "sort",
        "keys": [
            {"column": "region", "ascending": True},
            {"column": "units", "ascending": False},
        ],
    }

    result = run_steps(sales_frame, step)

    assert result["units"].tolist() == [5, 4, 1, 2, 6, 3]
    assert result.index.tolist() == list(range(6))


def test_sort_descending_puts_missing_last(sales_frame: pd.DataFrame) -> None:
    step = {"kind": "sort", "keys": [{"column": "revenue", "ascending": False}]}

    assert run_steps(sales_frame, step)["units"].tolist() == [4, 1, 5, 3, 6, 2]


def test_group_keeps_missing_keys_and_sorts_by_key(sales_frame: pd.DataFrame) -> None:
    step = {
        "kind": "group",
        "by": ["region"],
        "aggregations": [
            {"column": "revenue", "func": "sum", "name": "total"},
            {"column": "revenue", "func": "count"},
            {"column": "units", "func": "mean"},
            {"column": "units", "func": "max"},
        ],
    }

    result = run_steps(sales_frame, step)

    expected = pd.DataFrame(
        {
            "region": ["APAC", "EU", "US", "us", None],
            "total": [7.0, 40.0, 0.0, 2.0, 5.0],
            "revenue_count": [1, 2, 0, 1, 1],
            "units_mean": [5.0, 2.5, 2.0, 6.0, 3.0],
            "units_max": [5, 4, 2, 6, 3],
        }
    )
    assert_frame_equal(result, expected)


def test_group_median_and_min(sales_frame: pd.DataFrame) -> None:
    frame = pd.DataFrame({"k": ["a", "a", "a", "b"], "v": [1.0, 9.0, 4.0, 2.0]})
    step = {
        "kind": "group",
        "by": ["k"],
        "aggregations": [
            {"column": "v", "func": "median"},
            {"column": "v", "func": "min"},
        ],
    }

    result = run_steps(frame, step)

    expected = pd.DataFrame(
        {"k": ["a", "b"], "v_median": [4.0, 2.0], "v_min": [1.0, 2.0]}
    )
    assert_frame_equal(result, expected)


def test_group_mean_of_text_explains(sales_frame: pd.DataFrame) -> None:
    step = {
        "kind": "group",
        "by": ["units"],
        "aggregations": [{"column": "region", "func": "mean"}],
    }

    with pytest.raises(SpecError, match=r"Step 1 \(group\).*'mean' needs a numeric"):
        run_steps(sales_frame, step)


def test_fill_missing_with_value_mean_and_median() -> None:
    frame = pd.DataFrame(
        {"a": [1.0, np.nan, 5.0], "b": [np.nan, 2.0, 10.0], "c": ["x", None, "y"]}
    )
    steps = [
        {"kind": "fill_missing", "columns": ["a"], "strategy": "mean"},
        {"kind": "fill_missing", "columns": ["b"], "strategy": "median"},
        {"kind": "fill_missing", "columns": ["c"], "value": "unknown"},
    ]

    result = run_steps(frame, *steps)

    expected = pd.DataFrame(
        {"a": [1.0, 3.0, 5.0], "b": [6.0, 2.0, 10.0], "c": ["x", "unknown", "y"]}
    )
    assert_frame_equal(result, expected)


def test_fill_missing_does_not_change_the_input() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan]})

    run_steps(frame, {"kind": "fill_missing", "columns": ["a"], "value": 0})

    assert math.isnan(frame["a"][1])


def test_fill_mean_of_text_explains(sales_frame: pd.DataFrame) -> None:
    step = {"kind": "fill_missing", "columns": ["region"], "strategy": "mean"}

    with pytest.raises(
        SpecError, match=r"'mean' needs a numeric column; column 'region'"
    ):
        run_steps(sales_frame, step)


def test_drop_missing_in_chosen_or_any_column() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": ["x", "y", None, "z"]})

    by_a = run_steps(frame, {"kind": "drop_missing", "columns": ["a"]})
    by_any = run_steps(frame, {"kind": "drop_missing"})

    assert_frame_equal(
        by_a, pd.DataFrame({"a": [1.0, 3.0, 4.0], "b": ["x", None, "z"]})
    )
    assert_frame_equal(by_any, pd.DataFrame({"a": [1.0, 4.0], "b": ["x", "z"]}))


def test_flag_missing_adds_boolean_column(sales_frame: pd.DataFrame) -> None:
    step = {"kind": "flag_missing", "column": "revenue", "flag_column": "no revenue"}

    result = run_steps(sales_frame, step)

    assert result["no revenue"].tolist() == [False, True, False, False, False, False]
    assert result["no revenue"].dtype == bool


def test_flag_missing_refuses_to_overwrite(sales_frame: pd.DataFrame) -> None:
    step = {"kind": "flag_missing", "column": "revenue", "flag_column": "units"}

    with pytest.raises(SpecError, match="flag column 'units' already exists"):
        run_steps(sales_frame, step)


# Pipeline API and errors ------------------------------------------------------------


def test_run_reads_the_source_from_the_workspace(sales_frame: pd.DataFrame) -> None:
    pipe = Pipeline(
        source="sales",
        steps=[filter_step(condition("units", ">", 4))],
        output="big",
    )

    result = pipe.run(FakeWorkspace(sales=sales_frame))

    assert result["units"].tolist() == [5, 6]


def test_missing_column_message_names_the_step(sales_frame: pd.DataFrame) -> None:
    pipe = Pipeline(
        source="sales",
        steps=[
            {"kind": "sort", "keys": [{"column": "units"}]},
            filter_step(condition("revnue", ">", 1)),
        ],
    )

    with pytest.raises(ColumnNotFoundError) as caught:
        pipe.run_frame(sales_frame)

    assert str(caught.value) == (
        "Step 2 (filter): Column 'revnue' not found. Did you mean 'revenue'? "
        "Available: region, revenue, units. The frame here is the result of step 1."
    )


def test_missing_column_in_first_step_names_the_dataset(
    sales_frame: pd.DataFrame,
) -> None:
    step = {"kind": "drop_missing", "columns": ["Region"]}

    with pytest.raises(
        KeyError,
        match=r"Step 1 \(drop_missing\): Column 'Region' not "
        r"found in dataset 'sales'\. Did you mean 'region'\?",
    ):
        run_steps(sales_frame, step)


def test_column_dropped_by_group_is_reported(sales_frame: pd.DataFrame) -> None:
    group = {
        "kind": "group",
        "by": ["region"],
        "aggregations": [{"column": "revenue", "func": "sum"}],
    }

    with pytest.raises(ColumnNotFoundError, match=r"Step 2 \(sort\): Column 'units'"):
        run_steps(sales_frame, group, {"kind": "sort", "keys": [{"column": "units"}]})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (condition("a", "like", 1), r"op: Input should be '=='"),
        (condition("a", "between", [1]), r"needs a list of two values"),
        (condition("a", "between", 3), r"needs a list of two values"),
        (condition("a", "in", 3), r"'in' needs a list of values"),
        (condition("a", "contains", 3), r"needs a text value"),
        (condition("a", "==", None), r"needs a single value"),
        (condition("a", "is missing", 1), r"takes no value"),
        (condition("", "==", 1), r"column: String should have at least 1 character"),
        (condition("a", ">", math.inf), r"values must be finite numbers"),
        ({**condition("a", "==", 1), "colour": "red"}, r"colour: Extra inputs"),
    ],
)
def test_bad_conditions_raise_spec_error(spec: dict[str, Any], expected: str) -> None:
    with pytest.raises(SpecError, match=expected):
        Pipeline(source="s", steps=[filter_step(spec)])


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"kind": "explode"}, r"steps\[0\]: Input tag 'explode'"),
        ({"kind": "filter", "conditions": []}, r"steps\[0\]\.filter\.conditions"),
        ({"kind": "sort", "keys": []}, r"steps\[0\]\.sort\.keys"),
        (
            {
                "kind": "group",
                "by": ["k"],
                "aggregations": [{"column": "v", "func": "avg"}],
            },
            r"aggregations\[0\]\.func: Input should be 'sum'",
        ),
        (
            {
                "kind": "group",
                "by": ["k"],
                "aggregations": [{"column": "v", "func": "sum", "name": "k"}],
            },
            r"output column names must be unique; repeated: \['k'\]",
        ),
        ({"kind": "fill_missing", "columns": ["a"]}, r"needs a 'value'"),
        (
            {"kind": "fill_missing", "columns": ["a"], "strategy": "mean", "value": 1},
            r"takes no 'value'",
        ),
        ({"kind": "flag_missing", "column": "a"}, r"flag_column: Field required"),
    ],
)
def test_bad_steps_raise_spec_error(step: dict[str, Any], expected: str) -> None:
    with pytest.raises(SpecError, match=expected):
        Pipeline.model_validate({"source": "s", "steps": [step]})


def test_spec_error_is_readable() -> None:
    with pytest.raises(SpecError) as caught:
        Pipeline(source="", steps=[{"kind": "sort", "keys": [], "x": 1}])

    assert str(caught.value) == (
        "Invalid Pipeline spec (3 problems):\n"
        "  - source: String should have at least 1 character (received '')\n"
        "  - steps[0].sort.keys: List should have at least 1 item after validation, "
        "not 0 (received [])\n"
        "  - steps[0].sort.x: Extra inputs are not permitted (received 1)\n"
        "Fix these fields and retry."
    ).replace(" (received [])", "")


def test_step_models_raise_spec_error_directly() -> None:
    with pytest.raises(SpecError, match="Invalid Condition spec"):
        Condition(column="a", op="~", value=1)  # type: ignore[arg-type]


def test_json_round_trip(sales_frame: pd.DataFrame) -> None:
    pipe = Pipeline(
        source="sales",
        output="out",
        steps=[
            FilterStep(
                conditions=[Condition(column="units", op="between", value=[2, 5])]
            ),
            SortStep(keys=[{"column": "revenue", "ascending": False}]),  # type: ignore[list-item]
        ],
    )

    text = pipe.to_json()
    again = Pipeline.from_json(text)

    assert again == pipe
    assert json.loads(text)["steps"][0]["kind"] == "filter"
    assert_frame_equal(again.run_frame(sales_frame), pipe.run_frame(sales_frame))


def test_bad_json_raises_spec_error() -> None:
    with pytest.raises(SpecError, match="Invalid JSON"):
        Pipeline.from_json("{")


def test_run_pipeline_accepts_a_dict(sales_frame: pd.DataFrame) -> None:
    spec = {"source": "sales", "steps": [filter_step(condition("units", "==", 3))]}

    assert run_pipeline(spec, sales_frame)["units"].tolist() == [3]


def test_group_step_model_is_usable_alone(sales_frame: pd.DataFrame) -> None:
    step = GroupStep(by=["region"], aggregations=[{"column": "units", "func": "sum"}])  # type: ignore[list-item]

    assert step.apply(sales_frame)["units_sum"].tolist() == [5, 5, 2, 6, 3]


# Generated code ----------------------------------------------------------------------


def test_code_reads_as_pandas() -> None:
    pipe = Pipeline(
        source="sales",
        output="by region",
        steps=[filter_step(condition("units", ">", 1)), {"kind": "drop_missing"}],
    )

    assert pipe.to_code() == (
        "# Pipeline over dataset 'sales' -> 'by region', written by nbdash.\n"
        "\n"
        "# Step 1 (filter): keep rows matching all of 1 condition(s); "
        "missing never matches\n"
        "keep = (\n"
        "    ((df['units'].gt(1)) & df['units'].notna())\n"
        ")\n"
        "df = df[keep].reset_index(drop=True)\n"
        "\n"
        "# Step 2 (drop_missing): drop rows with a missing value in any column\n"
        "df = df.dropna().reset_index(drop=True)\n"
    )


def test_hostile_names_and_values_stay_data() -> None:
    name = HOSTILE + "\nnext line é 名前"
    frame = pd.DataFrame(
        {name: [HOSTILE, "b", None, HOSTILE], 'q"uote': [1.0, 2.0, 3.0, np.nan]}
    )
    pipe = Pipeline(
        source=HOSTILE,
        output=name,
        steps=[
            filter_step(condition(name, "in", [HOSTILE, "b"])),
            {"kind": "flag_missing", "column": 'q"uote', "flag_column": HOSTILE},
            {
                "kind": "group",
                "by": [name],
                "aggregations": [{"column": 'q"uote', "func": "sum", "name": "\\"}],
            },
            {"kind": "fill_missing", "columns": [name], "value": "\n'''\"\"\""},
        ],
    )

    code = pipe.to_code()
    compile(code, "<nbdash>", "exec")
    result = run_code(pipe, frame)

    tree = ast.parse(code)
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import)]
    assert_frame_equal(result, pipe.run_frame(frame))
    assert result[name].tolist() == [HOSTILE, "b"]
    assert result["\\"].tolist() == [1.0, 2.0]


# Property: engine == generated code ------------------------------------------------

NAMES = st.text(
    alphabet=st.sampled_from([*"ab '\"\\\n\t#é名{}", "\u2028", "\x00"]),
    min_size=1,
    max_size=6,
)
WORDS = ["a", "A", "Ab", HOSTILE, "", "é"]
NUMBERS = st.sampled_from([-1.5, 0.0, 1.0])


@st.composite
def random_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, str]]:
    names = draw(st.lists(NAMES, min_size=4, max_size=4, unique=True))
    rows = draw(st.integers(min_value=0, max_value=10))
    floats = st.one_of(NUMBERS, st.just(np.nan))
    words = st.one_of(st.sampled_from(WORDS), st.none())
    frame = pd.DataFrame(
        {
            names[0]: pd.Series(draw(st.lists(floats, min_size=rows, max_size=rows))),
            names[1]: pd.Series(draw(st.lists(floats, min_size=rows, max_size=rows))),
            names[2]: pd.Series(draw(st.lists(words, min_size=rows, max_size=rows))),
            names[3]: pd.Series(
                draw(st.lists(st.integers(-3, 3), min_size=rows, max_size=rows))
            ),
        }
    )
    dtypes = ["float64", "float64", "str", "int64"]
    frame = frame.astype(dict(zip(names, dtypes, strict=True)))
    kinds = {names[0]: "num", names[1]: "num", names[2]: "text", names[3]: "num"}
    return frame, kinds


def random_condition(draw: st.DrawFn, kinds: dict[str, str]) -> dict[str, Any]:
    column = draw(st.sampled_from(sorted(kinds)))
    if kinds[column] == "num":
        ops = ["==", "!=", "<", "<=", ">", ">=", "between", "in", "not in"]
        values = NUMBERS
    elif kinds[column] == "text":
        ops = ["==", "!=", "in", "not in", "contains"]
        values = st.sampled_from(WORDS)
    else:
        ops, values = ["=="], st.booleans()
    op = draw(st.sampled_from([*ops, "is missing", "is not missing"]))
    if op in ("is missing", "is not missing"):
        return condition(column, op)
    if op in ("between", "in", "not in"):
        size = 2 if op == "between" else draw(st.integers(0, 3))
        return condition(
            column, op, draw(st.lists(values, min_size=size, max_size=size))
        )
    return condition(column, op, draw(values), case=draw(st.booleans()))


def fresh_name(draw: st.DrawFn, kinds: dict[str, str]) -> str:
    return draw(NAMES.filter(lambda name: name not in kinds))


STEP_KINDS = ["filter", "sort", "group", "fill", "drop", "flag"]


def random_step(
    draw: st.DrawFn, kinds: dict[str, str], choices: list[str]
) -> dict[str, Any]:
    columns = sorted(kinds)
    numeric = [column for column in columns if kinds[column] == "num"]
    kind = draw(st.sampled_from(choices))
    if kind == "filter":
        count = draw(st.integers(1, 2))
        conditions = [random_condition(draw, kinds) for _ in range(count)]
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
        value = draw(NUMBERS) if strategy == "value" else None
        return {
            "kind": "fill_missing",
            "columns": [column],
            "strategy": strategy,
            "value": value,
        }
    if kind == "drop":
        subset = draw(st.lists(st.sampled_from(columns), max_size=2, unique=True))
        return {"kind": "drop_missing", "columns": subset}
    column = draw(st.sampled_from(columns))
    return {
        "kind": "flag_missing",
        "column": column,
        "flag_column": fresh_name(draw, kinds),
    }


def random_group(
    draw: st.DrawFn, kinds: dict[str, str], numeric: list[str]
) -> dict[str, Any]:
    key = draw(st.sampled_from(sorted(kinds)))
    taken = {key}
    aggregations = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(NAMES.filter(lambda name: name not in taken))
        taken.add(name)
        func = draw(st.sampled_from(["sum", "mean", "median", "min", "max", "count"]))
        column = draw(st.sampled_from(numeric))
        aggregations.append({"column": column, "func": func, "name": name})
    return {"kind": "group", "by": [key], "aggregations": aggregations}


def next_kinds(step: dict[str, Any], kinds: dict[str, str]) -> dict[str, str]:
    if step["kind"] == "group":
        key = step["by"][0]
        return {key: kinds[key]} | {agg["name"]: "num" for agg in step["aggregations"]}
    if step["kind"] == "flag_missing":
        return kinds | {step["flag_column"]: "bool"}
    return kinds


@st.composite
def random_cases(
    draw: st.DrawFn, choices: list[str] = STEP_KINDS, max_steps: int = 4
) -> tuple[pd.DataFrame, Pipeline]:
    frame, kinds = draw(random_frames())
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        step = random_step(draw, kinds, choices)
        steps.append(step)
        kinds = next_kinds(step, kinds)
    return frame, Pipeline(source=draw(NAMES), steps=steps, output=draw(NAMES))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cases())
def test_generated_code_equals_engine(case: tuple[pd.DataFrame, Pipeline]) -> None:
    frame, pipe = case
    before = frame.copy()

    engine = pipe.run_frame(frame)
    code = run_code(pipe, frame)

    assert_frame_equal(code, engine)
    assert_frame_equal(frame, before)
    assert Pipeline.from_json(pipe.to_json()) == pipe


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cases(choices=["filter"], max_steps=1))
def test_generated_filters_equal_engine(case: tuple[pd.DataFrame, Pipeline]) -> None:
    frame, pipe = case

    assert_frame_equal(run_code(pipe, frame), pipe.run_frame(frame))
