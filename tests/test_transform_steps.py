"""Each new transform step by hand: values computed independently, plus its code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from nbdash.errors import ColumnNotFoundError, DatasetNotFoundError, SpecError
from nbdash.transform import Pipeline


@pytest.fixture
def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Order Date": pd.to_datetime(
                ["2024-02-29", "2024-03-01", "2024-01-15", "2023-12-31", None]
            ),
            "region": pd.Series(["EU", "US", "EU", None, "us"], dtype="str"),
            "revenue": [10.0, np.nan, 30.0, 5.0, 7.0],
            "units": [1, 2, 3, 4, 5],
        }
    )


def run(frame: pd.DataFrame, *steps: dict[str, Any], **others: pd.DataFrame) -> Any:
    """Run the steps with the engine and with the generated code; both must agree."""
    pipe = Pipeline(source="orders", steps=list(steps))
    engine = pipe.run_frame(frame, others=others)
    namespace: dict[str, Any] = {"pd": pd, "df": frame.copy(), "datasets": others}
    exec(pipe.to_code(), namespace)
    assert_frame_equal(namespace["df"], engine)
    return engine


def period(which: str, unit: str, n: int = 1) -> dict[str, Any]:
    return {"which": which, "unit": unit, "n": n}


def dated(*conditions: Any, as_of: str = "2024-03-01") -> dict[str, Any]:
    return {"kind": "filter", "conditions": list(conditions), "as_of": as_of}


# Filter -----------------------------------------------------------------------------


def test_filter_nested_groups(orders: pd.DataFrame) -> None:
    # units > 3 or (region == EU and revenue >= 20): rows 2 (EU, 30), 3 (4), 4 (5)
    step = {
        "kind": "filter",
        "combine": "or",
        "conditions": [
            {"column": "units", "op": ">", "value": 3},
            {
                "combine": "and",
                "conditions": [
                    {"column": "region", "op": "==", "value": "EU"},
                    {"column": "revenue", "op": ">=", "value": 20},
                ],
            },
        ],
    }
    assert run(orders, step)["units"].tolist() == [3, 4, 5]


@pytest.mark.parametrize(
    ("op", "value", "case", "units"),
    [
        ("starts with", "u", True, [5]),
        ("starts with", "u", False, [2, 5]),
        ("ends with", "U", True, [1, 3]),
        ("ends with", "s", False, [2, 5]),
    ],
)
def test_filter_text_prefix_suffix(
    orders: pd.DataFrame, op: str, value: str, case: bool, units: list[int]
) -> None:
    step = {
        "kind": "filter",
        "conditions": [{"column": "region", "op": op, "value": value, "case": case}],
    }
    assert run(orders, step)["units"].tolist() == units


@pytest.mark.parametrize(
    ("spec", "units"),
    [
        # as_of 2024-03-01 (a Friday). last 2 days: Feb 29 and Mar 1.
        (period("last", "day", 2), [1, 2]),
        # last 1 month: (Feb 1, Mar 1]
        (period("last", "month"), [1, 2]),
        # this month: March 2024
        (period("this", "month"), [2]),
        # previous month: February 2024
        (period("previous", "month"), [1]),
        # previous 3 months: Dec 2023 to Feb 2024
        (period("previous", "month", 3), [1, 3, 4]),
        # this quarter: Jan to Mar 2024
        (period("this", "quarter"), [1, 2, 3]),
        # year to date: Jan 1 to Mar 1 2024
        (period("to_date", "year"), [1, 2, 3]),
        # this week: Mon Feb 26 to Sun Mar 3
        (period("this", "week"), [1, 2]),
        # previous year: 2023
        (period("previous", "year"), [4]),
    ],
)
def test_filter_relative_periods(
    orders: pd.DataFrame, spec: dict[str, Any], units: list[int]
) -> None:
    condition = {"column": "Order Date", "op": "in period", "period": spec}
    assert run(orders, dated(condition))["units"].tolist() == units


def test_filter_period_defaults_to_today() -> None:
    today = pd.Timestamp.today().normalize()
    frame = pd.DataFrame({"d": [today, today - pd.Timedelta(days=40)], "n": [1, 2]})
    condition = {"column": "d", "op": "in period", "period": period("last", "day", 7)}
    step = {"kind": "filter", "conditions": [condition]}
    assert run(frame, step)["n"].tolist() == [1]


def test_filter_period_needs_dates(orders: pd.DataFrame) -> None:
    condition = {"column": "units", "op": "in period", "period": period("this", "year")}
    with pytest.raises(SpecError, match=r"'in period' needs a datetime column.*'cast'"):
        run(orders, dated(condition))


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"column": "d", "op": "in period"}, "'period' is required by op 'in period'"),
        (
            {"column": "d", "op": "==", "value": 1, "period": period("this", "day")},
            "'period' is required by op 'in period' and by no other op",
        ),
        (
            {"column": "d", "op": "in period", "period": period("this", "day", 3)},
            "period 'this' takes no 'n'",
        ),
        ({"column": "d", "op": "starts with", "value": 1}, "needs a text value"),
    ],
)
def test_filter_bad_conditions(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        Pipeline(source="s", steps=[{"kind": "filter", "conditions": [condition]}])


def test_filter_groups_nest_at_most_eight_deep() -> None:
    group: dict[str, Any] = {"column": "a", "op": "is missing"}
    for _ in range(9):
        group = {"combine": "or", "conditions": [group]}
    with pytest.raises(SpecError, match="nest at most 8 deep"):
        Pipeline(source="s", steps=[{"kind": "filter", "conditions": [group]}])


# Rows -------------------------------------------------------------------------------


def test_sort_missing_first(orders: pd.DataFrame) -> None:
    step = {
        "kind": "sort",
        "keys": [{"column": "revenue", "ascending": False}],
        "missing": "first",
    }
    assert run(orders, step)["units"].tolist() == [2, 3, 1, 5, 4]


@pytest.mark.parametrize(
    ("keep", "units"), [("first", [1, 2, 4, 5]), ("last", [2, 3, 4, 5])]
)
def test_drop_duplicates(orders: pd.DataFrame, keep: str, units: list[int]) -> None:
    step = {"kind": "drop_duplicates", "columns": ["region"], "keep": keep}
    assert run(orders, step)["units"].tolist() == units


@pytest.mark.parametrize(
    ("spec", "units"),
    [
        ({"n": 2}, [3, 1]),
        ({"n": 2, "ascending": True}, [4, 5]),
        ({"n": 10}, [3, 1, 5, 4]),  # the missing revenue never counts
    ],
)
def test_top_n(orders: pd.DataFrame, spec: dict[str, Any], units: list[int]) -> None:
    assert (
        run(orders, {"kind": "top_n", "column": "revenue", **spec})["units"].tolist()
        == units
    )


def test_top_n_keeps_all_ties() -> None:
    frame = pd.DataFrame({"x": [3, 5, 5, 1]})
    result = run(frame, {"kind": "top_n", "column": "x", "n": 1, "ties": "all"})
    assert result["x"].tolist() == [5, 5]


def test_sample_is_reproducible(orders: pd.DataFrame) -> None:
    step = {"kind": "sample", "n": 3, "seed": 7}
    first, second = run(orders, step), run(orders, step)
    assert_frame_equal(first, second)
    assert len(first) == 3
    assert set(first["units"]) <= {1, 2, 3, 4, 5}
    assert len(run(orders, {"kind": "sample", "n": 99})) == 5
    assert len(run(orders, {"kind": "sample", "fraction": 0.4})) == 2


def test_sample_needs_exactly_one_size() -> None:
    with pytest.raises(SpecError, match="exactly one of 'n'"):
        Pipeline(source="s", steps=[{"kind": "sample", "n": 1, "fraction": 0.5}])


# Columns ----------------------------------------------------------------------------


def test_select_drop_rename_reorder(orders: pd.DataFrame) -> None:
    result = run(
        orders,
        {"kind": "select", "columns": ["units", "region", "revenue"]},
        {"kind": "drop_columns", "columns": ["revenue"]},
        {"kind": "rename", "mapping": {"units": "n of 'units'"}},
        {"kind": "reorder", "columns": ["region"]},
    )
    assert list(result.columns) == ["region", "n of 'units'"]
    assert result["n of 'units'"].tolist() == [1, 2, 3, 4, 5]


def test_rename_refuses_a_clash(orders: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match=r"two columns the same name: \['units'\]"):
        run(orders, {"kind": "rename", "mapping": {"revenue": "units"}})


def test_cast_number_raise_names_first_bad_value() -> None:
    frame = pd.DataFrame({"x": pd.Series(["1", "2.5", "n/a", "x", None], dtype="str")})
    with pytest.raises(SpecError, match=r"value 'n/a' in row 2 .* nor do 1 other"):
        run(frame, {"kind": "cast", "column": "x", "to": "number"})


@pytest.mark.parametrize(
    ("to", "values", "expected", "dtype"),
    [
        ("number", ["1", "2.5", "n/a", None], [1.0, 2.5, None, None], "float64"),
        ("integer", ["1", "2.5", "3", None], [1, None, 3, None], "Int64"),
        ("boolean", ["Yes", "no", "maybe", None], [True, False, None, None], "boolean"),
        (
            "datetime",
            ["2024-01-02", "March 3, 2024", "never", None],
            [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-03"), None, None],
            None,
        ),
    ],
)
def test_cast_coerce(
    to: str, values: list[Any], expected: list[Any], dtype: Any
) -> None:
    frame = pd.DataFrame({"x": pd.Series(values, dtype="str")})
    result = run(frame, {"kind": "cast", "column": "x", "to": to, "errors": "coerce"})
    got = [None if pd.isna(value) else value for value in result["x"].tolist()]
    assert got == expected
    if dtype is not None:
        assert str(result["x"].dtype) == dtype


def test_cast_to_text_keeps_missing() -> None:
    frame = pd.DataFrame({"x": [1.5, np.nan]})
    result = run(frame, {"kind": "cast", "column": "x", "to": "text"})
    assert result["x"].iloc[0] == "1.5"
    assert pd.isna(result["x"].iloc[1])


# Group, pivot, unpivot, buckets -----------------------------------------------------


def test_group_every_function() -> None:
    frame = pd.DataFrame(
        {
            "k": ["a", "a", "a", "b"],
            "v": [1.0, 3.0, np.nan, 4.0],
            "t": ["x", "y", "x", None],
        }
    )
    aggregations = [
        {"column": "v", "func": func}
        for func in (
            "sum",
            "mean",
            "median",
            "min",
            "max",
            "count",
            "std",
            "first",
            "last",
        )
    ]
    aggregations += [
        {"column": "t", "func": "count_distinct"},
        {"column": "v", "func": "percentile", "p": 25},
    ]
    result = run(frame, {"kind": "group", "by": ["k"], "aggregations": aggregations})
    a = result.iloc[0]
    assert (a["v_sum"], a["v_mean"], a["v_median"], a["v_min"], a["v_max"]) == (
        4.0,
        2.0,
        2.0,
        1.0,
        3.0,
    )
    assert (a["v_count"], a["t_count_distinct"], a["v_first"], a["v_last"]) == (
        2,
        2,
        1.0,
        3.0,
    )
    assert a["v_std"] == pytest.approx(2**0.5)  # sample std of 1 and 3
    assert a["v_p25"] == pytest.approx(1.5)  # 1 + 0.25 * (3 - 1)
    assert result.iloc[1]["t_count_distinct"] == 0


def test_group_percentile_needs_p() -> None:
    with pytest.raises(SpecError, match=r"'p' .* is required by func 'percentile'"):
        Pipeline(
            source="s",
            steps=[
                {
                    "kind": "group",
                    "by": ["k"],
                    "aggregations": [{"column": "v", "func": "percentile"}],
                }
            ],
        )


def test_pivot(orders: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "shop": ["A", "A", "B", "B", "B"],
            "month": [1, 2, 1, 1, None],
            "sales": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    result = run(
        frame,
        {
            "kind": "pivot",
            "index": ["shop"],
            "columns": "month",
            "values": "sales",
            "agg": "sum",
        },
    )
    assert list(result.columns) == ["shop", "1.0", "2.0"]
    assert result["1.0"].tolist() == [1.0, 7.0]
    assert result["2.0"].tolist()[0] == 2.0 and pd.isna(result["2.0"].tolist()[1])


def test_unpivot() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "q1": [1, 2], "q2": [3, 4]})
    result = run(
        frame,
        {
            "kind": "unpivot",
            "id_columns": ["id"],
            "name_column": "quarter",
            "value_column": "sales",
        },
    )
    assert result.to_dict("list") == {
        "id": ["a", "b", "a", "b"],
        "quarter": ["q1", "q1", "q2", "q2"],
        "sales": [1, 2, 3, 4],
    }


@pytest.mark.parametrize(
    ("unit", "first"),
    [
        ("day", "2024-02-29"),
        ("week", "2024-02-26"),
        ("month", "2024-02-01"),
        ("quarter", "2024-01-01"),
        ("year", "2024-01-01"),
    ],
)
def test_bucket_date(orders: pd.DataFrame, unit: str, first: str) -> None:
    step = {"kind": "bucket_date", "column": "Order Date", "unit": unit, "name": "b"}
    result = run(orders, step)
    assert result["b"].iloc[0] == pd.Timestamp(first)
    assert pd.isna(result["b"].iloc[4])
    assert_frame_equal(result.drop(columns="b"), orders)


# Missing data -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("mode", [1.0, 1.0, 1.0, 3.0, 1.0]),
        ("ffill", [np.nan, 1.0, 1.0, 3.0, 3.0]),
        ("bfill", [1.0, 1.0, 3.0, 3.0, np.nan]),
        ("interpolate", [np.nan, 1.0, 2.0, 3.0, 3.0]),
    ],
)
def test_fill_strategies(strategy: str, expected: list[float]) -> None:
    frame = pd.DataFrame({"x": [np.nan, 1.0, np.nan, 3.0, np.nan]})
    result = run(
        frame, {"kind": "fill_missing", "columns": ["x"], "strategy": strategy}
    )
    assert result["x"].tolist() == pytest.approx(expected, nan_ok=True)


def test_fill_value_must_suit_the_column(orders: pd.DataFrame) -> None:
    with pytest.raises(
        SpecError, match="fill value 'none' does not suit column 'revenue'"
    ):
        run(orders, {"kind": "fill_missing", "columns": ["revenue"], "value": "none"})


def test_drop_missing_how_and_threshold() -> None:
    frame = pd.DataFrame(
        {"a": [1, None, None], "b": [None, 2, None], "c": [1, 2, None]}
    )
    assert len(run(frame, {"kind": "drop_missing", "how": "all"})) == 2
    assert len(run(frame, {"kind": "drop_missing", "min_present": 2})) == 2
    assert (
        len(run(frame, {"kind": "drop_missing", "columns": ["a", "b"], "how": "all"}))
        == 2
    )
    assert len(run(frame, {"kind": "drop_missing"})) == 0


def test_drop_missing_columns() -> None:
    frame = pd.DataFrame({"a": [1, None, None], "b": [None, 2, 3], "c": [1, 2, 3]})
    result = run(frame, {"kind": "drop_missing_columns", "max_missing": 0.5})
    assert list(result.columns) == ["b", "c"]
    result = run(
        frame,
        {"kind": "drop_missing_columns", "max_missing": 0.0, "columns": ["a", "b"]},
    )
    assert list(result.columns) == ["c"]


# Derive, join, append ---------------------------------------------------------------


def test_derive(orders: pd.DataFrame) -> None:
    step = {"kind": "derive", "name": "price", "expression": "revenue / units"}
    result = run(orders, step)
    assert result["price"].tolist() == pytest.approx(
        [10.0, np.nan, 10.0, 1.25, 1.4], nan_ok=True
    )


@pytest.mark.parametrize(
    ("how", "units", "sizes"),
    [
        ("inner", [1, 2, 3], ["big", "small", "big"]),  # left order kept
        ("left", [1, 2, 3, 4, 5], ["big", "small", "big", None, None]),
    ],
)
def test_join(
    orders: pd.DataFrame, how: str, units: list[int], sizes: list[Any]
) -> None:
    regions = pd.DataFrame({"region": ["EU", "US"], "size": ["big", "small"]})
    result = run(
        orders,
        {"kind": "join", "dataset": "regions", "on": ["region"], "how": how},
        regions=regions,
    )
    assert result["units"].tolist() == units
    assert [None if pd.isna(s) else s for s in result["size"]] == sizes


def test_join_with_other_key_names_and_suffixes(orders: pd.DataFrame) -> None:
    regions = pd.DataFrame({"code": ["EU"], "units": [100]})
    result = run(
        orders,
        {
            "kind": "join",
            "dataset": "r",
            "on": ["region"],
            "right_on": ["code"],
            "suffixes": ["", " (r)"],
        },
        r=regions,
    )
    assert list(result.columns) == [*orders.columns, "code", "units (r)"]
    assert result["units (r)"].tolist() == [100, 100]


def test_join_errors(orders: pd.DataFrame) -> None:
    pipe = Pipeline(
        source="orders",
        steps=[{"kind": "join", "dataset": "regions", "on": ["region"]}],
    )
    with pytest.raises(
        DatasetNotFoundError, match=r"reads dataset 'regions'.*Available: "
    ):
        pipe.run_frame(orders)
    with pytest.raises(
        ColumnNotFoundError,
        match=r"Step 1 \(join\): Column 'region' not "
        "found in dataset 'regions'. Did you mean 'regions'",
    ):
        pipe.run_frame(orders, others={"regions": pd.DataFrame({"regions": [1]})})


def test_append_and_run_reads_the_workspace(orders: pd.DataFrame) -> None:
    more = pd.DataFrame({"units": [9], "extra": ["x"]})

    class Workspace:
        def get(self, name: str) -> pd.DataFrame:
            return {"orders": orders, "more": more}[name]

    pipe = Pipeline(source="orders", steps=[{"kind": "append", "datasets": ["more"]}])
    result = pipe.run(Workspace())
    assert result["units"].tolist() == [1, 2, 3, 4, 5, 9]
    assert result["extra"].isna().tolist() == [True] * 5 + [False]
    assert pipe.used_datasets() == ["more"]
    assert "datasets['more']" in pipe.to_code()


def test_output_columns_before_running() -> None:
    pipe = Pipeline(
        source="s",
        steps=[
            {"kind": "derive", "name": "x2", "expression": "x * 2"},
            {"kind": "rename", "mapping": {"x": "y"}},
            {
                "kind": "group",
                "by": ["y"],
                "aggregations": [{"column": "x2", "func": "sum"}],
            },
        ],
    )
    columns = ["x", "z"]
    for step in pipe.steps:
        columns = step.output_columns(columns)
    assert columns == ["y", "x2_sum"]
