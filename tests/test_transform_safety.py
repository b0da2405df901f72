"""Safety: user text in names, values and expressions is data, never Python."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import nbdash.transform
from nbdash.errors import ColumnNotFoundError, SpecError
from nbdash.transform import Pipeline


def payloads(sentinel: Path) -> list[str]:
    """Strings that would create ``sentinel`` if anything evaluated them."""
    touch = f"__import__('pathlib').Path({str(sentinel)!r}).touch()"
    return [
        touch,
        f"'); {touch}; #",
        f'"); {touch}; #',
        f"\n{touch}\n",
        f"`{touch}`",
        f"@{touch}",
        f"{{{touch}}}",
        f"''' + {touch} + '''",
        f"\\'); {touch} #",
        "().__class__.__bases__[0].__subclasses__()",
        "@df",
        "`df`",
    ]


# Names the generated code may use: its own variables, pandas, and plain builtins.
ALLOWED_NAMES = {
    "df",
    "pd",
    "datasets",
    "keep",
    "as_of",
    "table",
    "converted",
    "bad",
    "first",
    "mode",
    "share",
    "sparse",
    "str",
    "len",
    "min",
    "repr",
    "ValueError",
    "s",
    "d",
    "x",
    "c",
    "column",
}


def assert_code_is_inert(code: str) -> None:
    tree = ast.parse(code)
    for node in ast.walk(tree):
        assert not isinstance(node, ast.Import | ast.ImportFrom)
        if isinstance(node, ast.Name):
            assert node.id in ALLOWED_NAMES, node.id
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("__"), node.attr


def run_both(pipe: Pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    engine = pipe.run_frame(frame)
    code = pipe.to_code()
    assert_code_is_inert(code)
    namespace: dict[str, Any] = {"pd": pd, "df": frame.copy()}
    exec(code, namespace)
    pd.testing.assert_frame_equal(namespace["df"], engine)
    return engine


def test_payloads_in_names_and_values_stay_data(tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    for payload in payloads(sentinel):
        frame = pd.DataFrame(
            {
                payload: pd.Series([payload, "b", None], dtype="str"),
                "n": [1.0, 2.0, None],
            }
        )
        pipe = Pipeline(
            source=payload,
            output=payload,
            steps=[
                {
                    "kind": "filter",
                    "conditions": [
                        {"column": payload, "op": "in", "value": [payload, "b"]},
                        {
                            "column": payload,
                            "op": "starts with",
                            "value": payload,
                            "case": False,
                        },
                    ],
                    "combine": "or",
                },
                {"kind": "fill_missing", "columns": ["n"], "value": 0},
                {
                    "kind": "derive",
                    "name": payload + "2",
                    "expression": f"concat({quote(payload)}, {text(payload)})",
                },
                {"kind": "rename", "mapping": {"n": payload + "n"}},
                {
                    "kind": "group",
                    "by": [payload],
                    "aggregations": [
                        {"column": payload + "n", "func": "sum", "name": payload + "s"}
                    ],
                },
                {"kind": "sort", "keys": [{"column": payload + "s"}]},
            ],
        )
        result = run_both(pipe, frame)
        assert result[payload].tolist() == [payload, "b"]
    assert not sentinel.exists()


@pytest.mark.parametrize("index", range(12))
def test_payloads_as_expressions_never_run(tmp_path: Path, index: int) -> None:
    sentinel = tmp_path / "pwned"
    payload = payloads(sentinel)[index]
    frame = pd.DataFrame({"a": [1, 2]})
    try:
        pipe = Pipeline(
            source="s", steps=[{"kind": "derive", "name": "x", "expression": payload}]
        )
    except SpecError as exc:
        assert "expression" in str(exc)
    else:
        with pytest.raises(
            (SpecError, ColumnNotFoundError)
        ):  # unknown function, column
            pipe.run_frame(frame)
        assert_code_is_inert(pipe.to_code())
    assert not sentinel.exists()


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "a.__class__",
        "eval('1')",
        "exec('x = 1')",
        "@a + 1",
        "a; import os",
        "lambda: 1",
        "a if a else a",
    ],
)
def test_python_is_not_the_expression_language(text: str) -> None:
    frame = pd.DataFrame({"a": [1]})
    step = {"kind": "derive", "name": "x", "expression": text}
    with pytest.raises(SpecError, match=r"expression|Unknown function"):
        Pipeline(source="s", steps=[step]).run_frame(frame)


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "derive", "name": "x", "expression": "a", "__class__": "x"},
        {"kind": "filter", "conditions": [{"column": "a", "op": "eval", "value": 1}]},
        {
            "kind": "filter",
            "conditions": [{"column": "a", "op": "==", "value": {"$": 1}}],
        },
        {"kind": "filter", "conditions": [{"column": ["a"], "op": "==", "value": 1}]},
        {
            "kind": "filter",
            "conditions": [{"column": "a", "op": "==", "value": float("nan")}],
        },
        {"kind": "sort", "keys": [{"column": ""}]},
        {
            "kind": "group",
            "by": ["a"],
            "aggregations": [{"column": "b", "func": "apply"}],
        },
        {"kind": "cast", "column": "a", "to": "object"},
        {"kind": "derive", "name": "x", "expression": "x" * 20_000},
        {"kind": "join", "dataset": "b", "on": ["a"], "how": "cross"},
        {"kind": "sample", "n": -1},
        {"kind": "exec", "code": "import os"},
        {"kind": "rename", "mapping": {"a": ""}},
    ],
)
def test_hostile_specs_get_spec_error(spec: dict[str, Any]) -> None:
    with pytest.raises(SpecError, match=r"^Invalid Pipeline spec"):
        Pipeline.model_validate({"source": "s", "steps": [spec]})


def test_deeply_nested_json_gets_spec_error() -> None:
    text = (
        '{"source": "s", "steps": [{"kind": "filter", "conditions": ['
        + ('{"combine": "and", "conditions": [' * 300)
        + '{"column": "a", "op": "is missing"}'
        + "]}" * 300
        + "]}]}"
    )
    json.loads(text)  # valid JSON, only too deep for a filter
    with pytest.raises(SpecError):
        Pipeline.from_json(text)


def test_transform_source_never_evaluates_text() -> None:
    root = Path(nbdash.transform.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile"), path
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("query", "eval"), (path, node.lineno)


def quote(name: str) -> str:
    return "[" + name.replace("]", "]]") + "]"


def text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
