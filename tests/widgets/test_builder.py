"""TransformBuilder driven the way its front end drives it: trait sets and messages."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from nbdash.widgets.builder import TransformBuilder
from nbdash.workspace import Workspace

FILTER_GROUP_SORT = [
    {"kind": "filter", "conditions": [{"column": "quantity", "op": ">", "value": 1}]},
    {
        "kind": "group",
        "by": ["region"],
        "aggregations": [{"column": "revenue", "func": "sum", "name": "total"}],
    },
    {"kind": "sort", "keys": [{"column": "total", "ascending": False}]},
]


@pytest.fixture
def sales_workspace(sales_frame: pd.DataFrame) -> Workspace:
    """A memory workspace holding the sales frame as ``sales``."""
    ws = Workspace()
    ws.put("sales", sales_frame)
    return ws


@pytest.fixture
def builder(sales_workspace: Workspace) -> TransformBuilder:
    """A builder over ``sales`` with no steps."""
    return TransformBuilder("sales", workspace=sales_workspace)


def send(widget: TransformBuilder, content: dict[str, Any]) -> list[dict[str, Any]]:
    """Dispatch a front-end message and return what the widget sent back."""
    sent: list[dict[str, Any]] = []
    original = widget.send
    widget.send = lambda message, buffers=None: sent.append(message)  # type: ignore[method-assign]
    try:
        widget._dispatch(widget, content, [])
    finally:
        widget.send = original  # type: ignore[method-assign]
    return sent


def with_steps(builder: TransformBuilder, steps: list[dict[str, Any]]) -> None:
    builder.pipeline = {"source": "sales", "steps": steps}


def test_new_builder_describes_the_source(builder: TransformBuilder) -> None:
    assert builder.output == "sales_result"
    assert builder.source_rows == 4
    assert [c["name"] for c in builder.columns] == [
        "date", "region", "product", "quantity", "price", "revenue",
    ]  # fmt: skip
    kinds = {c["name"]: c["kind"] for c in builder.columns}
    assert kinds == {
        "date": "datetime", "region": "text", "product": "text",
        "quantity": "number", "price": "number", "revenue": "number",
    }  # fmt: skip
    assert builder.preview["rows"][0] == [
        "2024-01-01T00:00:00.000",
        "North",
        "Tea",
        3,
        2.5,
        7.5,
    ]
    assert builder.row_counts == [] and builder.step_errors == {}


def test_steps_fill_preview_counts_and_columns(builder: TransformBuilder) -> None:
    with_steps(builder, FILTER_GROUP_SORT)

    # quantity > 1 keeps North 7.5, North 8.0, East 12.5; by region: East 12.5, North
    # 15.5; sorted by total descending: North first.
    assert builder.error == ""
    assert builder.row_counts == [3, 2, 2]
    assert [c["name"] for c in builder.step_columns[1]] == ["region", "total"]
    assert builder.preview == {
        "columns": ["region", "total"],
        "rows": [["North", 15.5], ["East", 12.5]],
    }
    assert builder.step_errors == {}


def test_code_reproduces_the_result(
    builder: TransformBuilder, sales_frame: pd.DataFrame
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)

    scope: dict[str, Any] = {"df": sales_frame.copy(), "pd": pd}
    exec(builder.code, scope)

    expected = pd.DataFrame({"region": ["North", "East"], "total": [15.5, 12.5]})
    pd.testing.assert_frame_equal(scope["df"], expected, check_dtype=False)
    pd.testing.assert_frame_equal(builder.result(), expected, check_dtype=False)
    assert [step.kind for step in builder.pipeline_spec.steps] == [
        "filter",
        "group",
        "sort",
    ]


def test_missing_column_error_sits_on_its_step(builder: TransformBuilder) -> None:
    with_steps(
        builder,
        [{"kind": "filter", "conditions": [{"column": "Revnue", "op": "is missing"}]}],
    )

    message = builder.step_errors["0"]
    assert "'Revnue'" in message
    assert "Did you mean 'revenue'?" in message
    assert "Available: date, region, product, quantity, price, revenue." in message
    assert builder.row_counts == [None]
    assert builder.preview["rows"][0][1] == "North"  # the source, as nothing ran


def test_missing_column_after_group_lists_the_group_columns(
    builder: TransformBuilder,
) -> None:
    steps = [*FILTER_GROUP_SORT[:2], {"kind": "sort", "keys": [{"column": "quantity"}]}]
    with_steps(builder, steps)

    assert list(builder.step_errors) == ["2"]
    assert "'quantity'" in builder.step_errors["2"]
    assert "Available: region, total." in builder.step_errors["2"]
    assert builder.row_counts == [3, 2, None]
    assert builder.preview["columns"] == ["region", "total"]


@pytest.mark.parametrize(
    "steps",
    [
        [
            {
                "kind": "filter",
                "conditions": [{"column": "region", "op": "__import__('os')"}],
            }
        ],
        [{"kind": "exec", "code": "import os"}],
        [{"kind": "sort", "keys": [{"column": "region"}], "__class__": "x"}],
        [{"kind": "group", "by": [], "aggregations": []}],
        "not a list",
    ],
)
def test_malformed_pipeline_is_rejected_and_previous_kept(
    builder: TransformBuilder, steps: Any
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)
    before = builder.pipeline

    with_steps(builder, steps)

    assert builder.pipeline == before
    assert "Invalid" in builder.error and "previous pipeline is kept" in builder.error
    assert builder.row_counts == [3, 2, 2]


def test_pipeline_without_source_takes_the_builders(builder: TransformBuilder) -> None:
    builder.pipeline = {"steps": []}
    assert builder.pipeline["source"] == "sales"
    assert builder.error == ""


def test_front_end_cannot_change_source_or_output(builder: TransformBuilder) -> None:
    builder.pipeline = {"source": "secrets", "output": "sales", "steps": []}
    assert builder.pipeline["source"] == "sales"
    assert builder.pipeline["output"] == "sales_result"


def test_quoted_column_names_are_data_not_code() -> None:
    odd = "it's \"odd\"); __import__('os')"
    ws = Workspace()
    ws.put("t", pd.DataFrame({odd: [1, 5, 9], "k": ["a", "b", "c"]}))
    builder = TransformBuilder("t", workspace=ws)

    builder.pipeline = {
        "source": "t",
        "steps": [
            {"kind": "filter", "conditions": [{"column": odd, "op": ">=", "value": 5}]}
        ],
    }

    assert builder.error == "" and builder.row_counts == [2]
    assert builder.preview["rows"] == [[5, "b"], [9, "c"]]
    scope: dict[str, Any] = {"df": ws.get("t"), "pd": pd}
    exec(builder.code, scope)
    assert scope["df"]["k"].tolist() == ["b", "c"]


def test_apply_stores_the_result_with_its_pipeline(
    builder: TransformBuilder, sales_workspace: Workspace
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)

    sent = send(builder, {"kind": "apply", "id": "7", "output": "by_region"})

    assert sent == [{"kind": "reply", "id": "7", "result": {"rows": 2, "columns": 2}}]
    stored = sales_workspace.get("by_region")
    assert stored["region"].tolist() == ["North", "East"]
    assert stored["total"].tolist() == [15.5, 12.5]
    meta = sales_workspace.info("by_region")["meta"]
    assert meta["pipeline"]["source"] == "sales"
    assert meta["pipeline"]["steps"][1]["by"] == ["region"]
    assert meta["pipeline"]["output"] == "by_region"
    assert builder.output == "by_region"


def test_apply_refuses_to_overwrite_the_source(
    builder: TransformBuilder, sales_workspace: Workspace
) -> None:
    sent = send(builder, {"kind": "apply", "id": "8", "output": "sales"})

    assert "source dataset" in sent[0]["error"]
    assert len(sales_workspace.get("sales")) == 4


def test_apply_reports_a_failing_step(builder: TransformBuilder) -> None:
    with_steps(builder, [{"kind": "sort", "keys": [{"column": "nope"}]}])

    sent = send(builder, {"kind": "apply", "id": "9"})

    assert "'nope'" in sent[0]["error"] and "Available:" in sent[0]["error"]


def test_source_changes_refresh_the_preview(
    builder: TransformBuilder, sales_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)

    more = pd.concat([sales_frame, sales_frame.iloc[[3]].assign(revenue=100.0)])
    sales_workspace.put("sales", more.reset_index(drop=True))

    assert builder.source_rows == 5
    assert builder.row_counts == [4, 2, 2]
    assert builder.preview["rows"] == [["East", 112.5], ["North", 15.5]]


def test_static_fallback_escapes_the_code() -> None:
    ws = Workspace()
    ws.put("t", pd.DataFrame({"<b>x</b>": [1, None]}))
    builder = TransformBuilder("t", workspace=ws)
    builder.pipeline = {
        "source": "t",
        "steps": [{"kind": "drop_missing", "columns": ["<b>x</b>"]}],
    }

    data, _ = builder._repr_mimebundle_()

    assert "&lt;b&gt;x&lt;/b&gt;" in data["text/html"]
    assert "<b>" not in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data
