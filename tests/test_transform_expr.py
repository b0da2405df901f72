"""The expression language: parsing, the AST, type errors, values, generated code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_series_equal

from nbdash.errors import ExpressionError, SpecError
from nbdash.transform import DeriveStep
from nbdash.transform.expr import (
    Binary,
    Call,
    ColumnRef,
    Constant,
    Unary,
    check,
    column_types,
    columns_of,
    evaluate,
    parse,
    to_pandas,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Order Date": pd.to_datetime(["2024-01-31", "2024-03-04", None]),
            "name": pd.Series([" Ann ", "bob", None], dtype="str"),
            "qty": [2, 0, 5],
            "price": [1.5, np.nan, 2.0],
            "ok": [True, False, True],
            "a]b": [1, 2, 3],
        }
    )


def value(text: str, frame: pd.DataFrame) -> list[Any]:
    """Evaluate with the engine and with the generated code; both must agree."""
    expr = parse(text)
    engine = evaluate(expr, frame, text)
    code = eval(to_pandas(expr), {"pd": pd, "df": frame})  # the test runs the code
    assert_series_equal(code, engine)
    return [None if pd.isna(item) else item for item in engine.tolist()]


def test_ast_shape() -> None:
    expr = parse("-[Order Date] + 2 * x >= 3 and not ok")
    assert isinstance(expr, Binary) and expr.op == "and"
    compare = expr.left
    assert isinstance(compare, Binary) and compare.op == ">="
    plus = compare.left
    assert isinstance(plus, Binary) and plus.op == "+"
    assert plus.left == Unary(
        "-", ColumnRef("Order Date", plus.left.operand.pos), plus.left.pos
    )  # type: ignore[union-attr]
    assert isinstance(plus.right, Binary) and plus.right.op == "*"
    assert isinstance(expr.right, Unary) and expr.right.op == "not"
    assert expr.right.operand.pos.column == 36  # type: ignore[union-attr]


def test_quoting_of_names_and_text() -> None:
    expr = parse('concat([a]]b], `x``y`, \'it\'\'s\', "say ""hi""")')
    assert isinstance(expr, Call) and expr.func == "concat"
    assert expr.args[0] == ColumnRef("a]b", expr.args[0].pos)
    assert expr.args[1] == ColumnRef("x`y", expr.args[1].pos)
    assert [arg.value for arg in expr.args[2:]] == ["it's", 'say "hi"']  # type: ignore[union-attr]
    assert columns_of(expr) == ["a]b", "x`y"]


def test_keywords_are_not_prefixes_of_names() -> None:
    expr = parse("android or notable")
    assert isinstance(expr, Binary)
    assert expr.left == ColumnRef("android", expr.left.pos)
    assert expr.right == ColumnRef("notable", expr.right.pos)


def test_constants() -> None:
    assert [parse(t).value for t in ("12", "1.5", "2e3", "true", "false", "null")] == [  # type: ignore[union-attr]
        12, 1.5, 2000.0, True, False, None,
    ]  # fmt: skip
    assert isinstance(parse("12"), Constant)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("qty * 2 + 1", [5, 1, 11]),
        ("qty / 2", [1.0, 0.0, 2.5]),
        ("price / qty", [0.75, None, 0.4]),  # / 0 is missing
        ("qty % 2", [0, 0, 1]),
        ("-qty", [-2, 0, -5]),
        ("abs(-price)", [1.5, None, 2.0]),
        ("round(price / 3, 1)", [0.5, None, 0.7]),
        ("qty > 1", [True, False, True]),
        ("price != 1.5", [False, False, True]),  # missing compares false
        ("qty >= 2 and ok", [True, False, True]),
        ("not ok or qty == 5", [False, True, True]),
        ("lower(trim(name))", ["ann", "bob", None]),
        ("upper(name)", [" ANN ", "BOB", None]),
        ("len(name)", [5, 3, None]),
        ("contains(name, 'o')", [False, True, False]),
        ("starts_with(name, 'b')", [False, True, False]),
        ("ends_with(name, ' ')", [True, False, False]),
        ("substring(name, 2, 2)", ["An", "ob", None]),
        ("substring(name, 3)", ["nn ", "b", None]),
        ("concat(name, '-', qty)", [" Ann -2", "bob-0", "-5"]),
        ("year([Order Date])", [2024, 2024, None]),
        ("quarter([Order Date])", [1, 1, None]),
        ("month([Order Date]) * 100 + day([Order Date])", [131, 304, None]),
        ("weekday([Order Date])", [2, 0, None]),  # Wednesday, Monday
        ("date_diff([Order Date], date('2024-01-01'))", [30, 63, None]),
        ("[Order Date] >= date('2024-02-01')", [False, True, False]),
        ("if(qty > 1, 'many', 'few')", ["many", "few", "many"]),
        ("if(ok, price, null)", [1.5, None, 2.0]),
        ("coalesce(price, qty, 0)", [1.5, 0.0, 2.0]),
        ("is_missing(price) or is_missing(name)", [False, True, True]),
        ("[a]]b] + 1", [2, 3, 4]),
        ("1 + 2", [3, 3, 3]),
    ],
)
def test_values(frame: pd.DataFrame, text: str, expected: list[Any]) -> None:
    assert (
        value(text, frame) == pytest.approx(expected)
        if any(isinstance(item, float) for item in expected)
        else value(text, frame) == expected
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "qty +",
            r"Cannot read the expression at line 1, column 5: it ends too early\. "
            r"Add what is missing at the end: a value after an operator",
        ),
        ("(qty + 1", r"it ends too early\. .* a closing parenthesis"),
        (
            "qty ** 2",
            r"column 6: powers \('\*\*' or '\^'\) are not supported\. "
            r"Multiply instead",
        ),
        ("2 ** qty", r"column 4: powers .* not supported"),
        ("qty ^ 2", r"powers .* not supported"),
        ("qty * * 2", r"unexpected '\*'\. Check for a missing operator"),
        ("qty qty", r"unexpected 'qty'"),
        ("'open", r"Cannot read the expression at line 1, column 1"),
        ("", "The expression is empty"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "qtty * 2",
            r"Unknown column 'qtty'. Did you mean 'qty'\? Available: Order Date, ",
        ),
        ("lowr(name)", r"Unknown function lowr\(\). Did you mean lower\(\)\?"),
        (
            "lower(qty)",
            r"argument 1 of lower\(\) needs text, received number \(column 'qty'\)",
        ),
        (
            "name + 1",
            r"'\+' needs number, received text \(column 'name'\) "
            r"\(at line 1, column 1\)",
        ),
        ("qty > 'a'", r"'>' compares number \(column 'qty'\) with text"),
        ("qty == null", r"use is_missing"),
        ("if(qty, 1, 2)", r"argument 1 of if\(\) needs bool"),
        ("if(ok, 1, 'a')", r"if\(\) mixes types number, text"),
        ("round(price, qty)", r"argument 2 of round\(\) must be a constant"),
        ("substring(name, 0, 1)", r"must be a whole number from 1"),
        (
            "contains(name)",
            r"contains\(\) takes 2 argument\(s\), received 1; use contains",
        ),
        ("date('soon')", r"'soon' is not a date"),
        ("qty / 0", r"'/' by the constant 0"),
        ("ok < true", r"does not order true/false"),
    ],
)
def test_type_errors(frame: pd.DataFrame, text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        check(parse(text), column_types(frame), text)


def test_type_error_points_at_the_position(frame: pd.DataFrame) -> None:
    text = "qty + lower(qty)"
    with pytest.raises(ExpressionError) as info:
        check(parse(text), column_types(frame), text)
    assert info.value.offset == 12
    assert str(info.value).endswith("    qty + lower(qty)\n                ^")


def test_derive_spec_rejects_bad_syntax_at_validation() -> None:
    with pytest.raises(SpecError, match=r"expression: Cannot read the expression"):
        DeriveStep.model_validate(
            {"kind": "derive", "name": "x", "expression": "1 +* 2"}
        )


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError, match=r"nests too deeply|over 10000"):
        parse("-" * 5000 + "1")
    with pytest.raises(ExpressionError, match="over 10000 characters"):
        parse("1" + " + 1" * 5000)


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("eval('1')", "Unknown function eval()"),
        ("uper([a])", "Did you mean upper()?"),
        ("upper([a], [b])", "upper()"),
    ],
)
def test_a_derive_spec_with_a_bad_call_is_refused_before_it_runs(
    text: str, wanted: str
) -> None:
    with pytest.raises(SpecError) as info:
        DeriveStep(name="x", expression=text)

    assert wanted in str(info.value)
