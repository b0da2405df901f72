"""TransformBuilder driven the way its front end drives it: trait sets and messages."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from nbdash.dashboard.notebook import NotebookBridge, set_notebook_path
from nbdash.widgets.builder import HISTORY_LIMIT, TransformBuilder
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


class FakeComm:
    """A comm to a pretend notebook front end: records what the kernel sends."""

    def __init__(self, **_kwargs: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self.receive: Any = None

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    def on_msg(self, callback: Any) -> None:
        self.receive = callback

    def on_close(self, _callback: Any) -> None:
        pass

    def reply(self, result: Any) -> None:
        """Answer the last ``get`` the way the lab extension does."""
        asked = [m for m in self.sent if m["kind"] == "get"][-1]
        data = {"kind": "reply", "id": asked["id"], "result": result}
        self.receive({"content": {"data": data}})

    def last_set(self) -> dict[str, Any]:
        return [m for m in self.sent if m["kind"] == "set"][-1]["value"]


@pytest.fixture
def comm() -> FakeComm:
    """The fake front-end comm the builder's bridge talks to."""
    return FakeComm()


@pytest.fixture
def bridge(comm: FakeComm) -> NotebookBridge:
    """A notebook bridge over the fake comm."""
    return NotebookBridge(comm_factory=lambda **_kwargs: comm)


@pytest.fixture(autouse=True)
def no_notebook_file(monkeypatch: pytest.MonkeyPatch) -> Any:
    """No notebook file is found unless a test points at one."""
    for name in ("NBDASH_NOTEBOOK_PATH", "JPY_SESSION_NAME", "SCRIPT_NAME"):
        monkeypatch.delenv(name, raising=False)
    set_notebook_path(None)
    yield
    set_notebook_path(None)


@pytest.fixture
def builder(sales_workspace: Workspace, bridge: NotebookBridge) -> TransformBuilder:
    """A builder over ``sales`` with no steps."""
    return TransformBuilder("sales", workspace=sales_workspace, bridge=bridge)


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
        "2024-01-01",  # a date as the table shows it
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

    message = builder.step_errors["0"]["message"]
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
    assert "'quantity'" in builder.step_errors["2"]["message"]
    assert "Available: region, total." in builder.step_errors["2"]["message"]
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
    builder = TransformBuilder("t", workspace=ws, bridge=NotebookBridge(FakeComm))

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
    builder = TransformBuilder("t", workspace=ws, bridge=NotebookBridge(FakeComm))
    builder.pipeline = {
        "source": "t",
        "steps": [{"kind": "drop_missing", "columns": ["<b>x</b>"]}],
    }

    data, _ = builder._repr_mimebundle_()

    assert "&lt;b&gt;x&lt;/b&gt;" in data["text/html"]
    assert "<b>" not in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data


# -- disabling steps -----------------------------------------------------------------


def test_disabled_step_passes_its_input_through(
    builder: TransformBuilder, sales_frame: pd.DataFrame
) -> None:
    builder.pipeline = {"source": "sales", "steps": FILTER_GROUP_SORT, "disabled": [0]}

    # Without the quantity filter: East 12.5, North 15.5, South 4.0; by total desc.
    assert builder.error == ""
    assert builder.row_counts == [4, 3, 3]
    assert builder.preview["rows"] == [["North", 15.5], ["East", 12.5], ["South", 4.0]]
    assert "# Step 1 (filter) is disabled and skipped" in builder.code
    assert "df[keep]" not in builder.code

    scope: dict[str, Any] = {"df": sales_frame.copy(), "pd": pd}
    exec(builder.code, scope)
    assert scope["df"]["total"].tolist() == [15.5, 12.5, 4.0]
    assert builder.result()["total"].tolist() == [15.5, 12.5, 4.0]


def test_disabling_a_step_that_would_fail_clears_its_error(
    builder: TransformBuilder,
) -> None:
    steps = [{"kind": "sort", "keys": [{"column": "nope"}]}]
    builder.pipeline = {"source": "sales", "steps": steps}
    assert list(builder.step_errors) == ["0"]

    builder.pipeline = {"source": "sales", "steps": steps, "disabled": [0]}

    assert builder.step_errors == {} and builder.row_counts == [4]


@pytest.mark.parametrize("disabled", [[3], [-1], [0, 0], ["0; import os"]])
def test_bad_disabled_indices_are_rejected(
    builder: TransformBuilder, disabled: list[Any]
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)

    builder.pipeline = {
        "source": "sales",
        "steps": FILTER_GROUP_SORT,
        "disabled": disabled,
    }

    assert builder.pipeline["disabled"] == []
    assert "disabled" in builder.error and "previous pipeline is kept" in builder.error


# -- undo and redo -------------------------------------------------------------------


def test_undo_and_redo_through_messages(builder: TransformBuilder) -> None:
    with_steps(builder, FILTER_GROUP_SORT[:1])
    with_steps(builder, FILTER_GROUP_SORT[:2])
    assert builder.can_undo and not builder.can_redo

    assert send(builder, {"kind": "undo", "id": "u1"})[0]["result"] == {"changed": True}
    assert [s["kind"] for s in builder.pipeline["steps"]] == ["filter"]
    assert builder.row_counts == [3] and builder.can_redo

    send(builder, {"kind": "undo", "id": "u2"})
    assert builder.pipeline["steps"] == [] and not builder.can_undo
    assert send(builder, {"kind": "undo", "id": "u3"})[0]["result"] == {
        "changed": False
    }

    send(builder, {"kind": "redo", "id": "r1"})
    send(builder, {"kind": "redo", "id": "r2"})
    assert [s["kind"] for s in builder.pipeline["steps"]] == ["filter", "group"]
    assert builder.row_counts == [3, 2] and not builder.can_redo


def test_a_new_edit_after_undo_drops_the_redo_branch(builder: TransformBuilder) -> None:
    with_steps(builder, FILTER_GROUP_SORT[:1])
    with_steps(builder, FILTER_GROUP_SORT[:2])
    builder.undo()

    with_steps(builder, [FILTER_GROUP_SORT[2] | {"keys": [{"column": "revenue"}]}])

    assert not builder.can_redo and builder.redo() is False
    assert builder.undo() and [s["kind"] for s in builder.pipeline["steps"]] == [
        "filter"
    ]


def test_rejected_and_unchanged_pipelines_are_not_history(
    builder: TransformBuilder,
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)
    with_steps(builder, FILTER_GROUP_SORT)  # the same again
    with_steps(builder, "not a list")

    assert builder.undo() and builder.pipeline["steps"] == []
    assert not builder.can_undo


def test_history_is_bounded(builder: TransformBuilder) -> None:
    for n in range(1, HISTORY_LIMIT + 6):
        step = {"kind": "top_n", "column": "revenue", "n": n}
        with_steps(builder, [step])

    undone = 0
    while builder.undo():
        undone += 1

    assert undone == HISTORY_LIMIT
    # The oldest states fell off: the earliest reachable is n = 5 (105 - 100).
    assert builder.pipeline["steps"][0]["n"] == 5


# -- saved with the notebook ---------------------------------------------------------


def test_each_change_is_saved_beside_other_nbdash_keys(
    builder: TransformBuilder, comm: FakeComm
) -> None:
    others = {
        "version": 1,
        "dashboards": {"main": {"name": "main", "tiles": []}},
        "insights": {"sales": {"x": 1}},
        "pipelines": {"elsewhere": {"source": "x", "steps": []}},
    }
    comm.reply(others)

    with_steps(builder, FILTER_GROUP_SORT)

    saved = comm.last_set()
    assert saved["dashboards"] == others["dashboards"]
    assert saved["insights"] == others["insights"]
    assert saved["pipelines"]["elsewhere"] == {"source": "x", "steps": []}
    mine = saved["pipelines"]["sales_result"]
    assert mine["source"] == "sales" and mine["steps"][1]["by"] == ["region"]
    assert mine["disabled"] == []


def test_nothing_is_saved_before_the_first_change(
    builder: TransformBuilder, comm: FakeComm
) -> None:
    comm.reply(None)
    assert [m["kind"] for m in comm.sent] == ["get"]


def write_notebook(path: Any, nbdash: dict[str, Any]) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["nbdash"] = nbdash
    nbformat.write(notebook, str(path))


def test_a_new_builder_restores_the_pipeline_from_the_notebook_file(
    tmp_path: Any, sales_workspace: Workspace
) -> None:
    path = tmp_path / "analysis.ipynb"
    saved = {"source": "sales", "steps": FILTER_GROUP_SORT, "disabled": [2]}
    write_notebook(path, {"version": 1, "pipelines": {"by_region": saved}})
    set_notebook_path(path)

    builder = TransformBuilder(
        "sales", "by_region", workspace=sales_workspace, bridge=NotebookBridge(FakeComm)
    )

    assert [s["kind"] for s in builder.pipeline["steps"]] == ["filter", "group", "sort"]
    assert builder.pipeline["disabled"] == [2]
    assert builder.row_counts == [3, 2, 2]
    assert builder.preview["rows"] == [["East", 12.5], ["North", 15.5]]
    assert not builder.can_undo


def test_a_saved_pipeline_of_another_source_is_not_restored(
    tmp_path: Any, sales_workspace: Workspace
) -> None:
    path = tmp_path / "analysis.ipynb"
    saved = {"source": "other", "steps": FILTER_GROUP_SORT}
    write_notebook(path, {"pipelines": {"sales_result": saved}})
    set_notebook_path(path)

    builder = TransformBuilder(
        "sales", workspace=sales_workspace, bridge=NotebookBridge(FakeComm)
    )

    assert builder.pipeline["steps"] == []


def test_a_hostile_saved_pipeline_is_an_error_not_a_run(
    tmp_path: Any, sales_workspace: Workspace
) -> None:
    path = tmp_path / "analysis.ipynb"
    payload = "__import__('os').system('touch /tmp/pwned')"
    step = {"kind": "derive", "name": "x", "expression": payload}
    hostile = {"source": "sales", "steps": [step]}
    write_notebook(path, {"pipelines": {"sales_result": hostile}})
    set_notebook_path(path)

    builder = TransformBuilder(
        "sales", workspace=sales_workspace, bridge=NotebookBridge(FakeComm)
    )

    assert builder.pipeline["steps"] == []
    assert "saved pipeline 'sales_result' is not valid" in builder.error
    assert "Cannot read the expression" in builder.error


def test_the_live_notebook_wins_over_the_file_until_edited_here(
    builder: TransformBuilder, comm: FakeComm
) -> None:
    live = {"source": "sales", "steps": FILTER_GROUP_SORT[:2]}

    comm.reply({"version": 1, "pipelines": {"sales_result": live}})

    assert builder.can_insert
    assert [s["kind"] for s in builder.pipeline["steps"]] == ["filter", "group"]
    assert builder.row_counts == [3, 2]


def test_edits_made_before_the_reply_are_kept_and_saved(
    builder: TransformBuilder, comm: FakeComm
) -> None:
    with_steps(builder, FILTER_GROUP_SORT[:1])
    live = {"source": "sales", "steps": FILTER_GROUP_SORT}

    comm.reply(
        {"version": 1, "dashboards": {"d": {}}, "pipelines": {"sales_result": live}}
    )

    assert [s["kind"] for s in builder.pipeline["steps"]] == ["filter"]
    saved = comm.last_set()
    assert saved["dashboards"] == {"d": {}}
    assert len(saved["pipelines"]["sales_result"]["steps"]) == 1


# -- code into a new cell ------------------------------------------------------------


def test_insert_code_needs_a_live_notebook(builder: TransformBuilder) -> None:
    sent = send(builder, {"kind": "insert_code", "id": "i1"})

    assert "No notebook front end with nbdash's extension answered" in sent[0]["error"]


def test_insert_code_sends_the_pipeline_code(
    builder: TransformBuilder, comm: FakeComm
) -> None:
    comm.reply(None)
    with_steps(builder, FILTER_GROUP_SORT)

    sent = send(builder, {"kind": "insert_code", "id": "i2", "source": "import os"})

    assert sent[0]["result"] == {"sent": True}
    request = comm.sent[-1]
    assert request["kind"] == "insert_cell"
    # The code is the builder's own, whatever the message carried.
    assert (
        request["source"] == builder.cell_code()
        and "import os" not in request["source"]
    )
    assert builder.code in request["source"]


def test_inserted_cell_runs_on_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, bridge: NotebookBridge
) -> None:
    """The inserted cell loads its datasets from the default workspace: run as it
    is, it gives the builder's result."""
    import sys

    from nbdash.store import Store

    ws = Workspace(store=Store(tmp_path / ".nbdash"))
    # nbdash.workspace() is this workspace for the test.
    monkeypatch.setattr(sys.modules["nbdash.workspace"], "_default", ws)
    ws.put("orders", pd.DataFrame({"region": ["N", "S", "N"], "qty": [1, 2, 3]}))
    ws.put("targets", pd.DataFrame({"region": ["N", "S"], "target": [5, 6]}))
    builder = TransformBuilder("orders", workspace=ws, bridge=bridge)
    steps = [
        {"kind": "join", "dataset": "targets", "on": ["region"], "how": "left"},
        {"kind": "filter", "conditions": [{"column": "qty", "op": ">", "value": 1}]},
    ]
    with_steps(builder, steps)

    namespace: dict[str, Any] = {}
    exec(builder.cell_code(), namespace)  # the code nbdash wrote, run as a cell

    pd.testing.assert_frame_equal(namespace["df"], builder.result())
    assert builder.cell_code().rstrip().endswith("df")


# -- expressions ---------------------------------------------------------------------


def test_check_expression_reports_syntax_errors_with_their_position(
    builder: TransformBuilder,
) -> None:
    sent = send(
        builder, {"kind": "check_expression", "id": "e1", "expression": "revenue * "}
    )

    result = sent[0]["result"]
    assert result["ok"] is False
    assert result["offset"] == "revenue * ".index(
        "*"
    )  # the operator lacking an operand
    assert "it ends too early" in result["message"]


def test_check_expression_types_against_the_columns_at_the_step(
    builder: TransformBuilder,
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)
    ask = {"kind": "check_expression", "expression": "total / 2"}

    before_group = send(builder, {**ask, "id": "e2", "index": 1})[0]["result"]
    after_group = send(builder, {**ask, "id": "e3", "index": 2})[0]["result"]

    assert before_group["ok"] is False and "'total'" in before_group["message"]
    assert before_group["offset"] == 0
    assert after_group == {"ok": True, "type": "number"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"expression": 3}, "'expression' must be text; received 3."),
        ({"expression": "1", "index": 9}, "from 0 to 0; received 9."),
        ({"expression": "1", "index": True}, "from 0 to 0; received True."),
    ],
)
def test_check_expression_validates_its_message(
    builder: TransformBuilder, content: dict[str, Any], expected: str
) -> None:
    sent = send(builder, {"kind": "check_expression", "id": "e4", **content})

    assert expected in sent[0]["error"]


def test_type_error_at_run_time_sits_on_the_derive_step(
    builder: TransformBuilder,
) -> None:
    step = {"kind": "derive", "name": "x", "expression": "revenue + region"}
    with_steps(builder, [step])

    error = builder.step_errors["0"]
    assert error["expression"] == "revenue + region"
    assert isinstance(error["offset"], int)
    assert builder.row_counts == [None]


# -- every step kind, and hostile input ----------------------------------------------

EVERY_KIND = [
    {"kind": "filter", "combine": "or", "conditions": [
        {"column": "region", "op": "starts with", "value": "n", "case": False},
        {"combine": "and", "conditions": [
            {"column": "quantity", "op": "between", "value": [4, 9]},
            {"column": "product", "op": "in", "value": ["Tea"]}]}]},
    {"kind": "derive", "name": "unit", "expression": "revenue / quantity"},
    {"kind": "cast", "column": "quantity", "to": "number"},
    {"kind": "rename", "mapping": {"product": "item"}},
    {"kind": "sort", "keys": [{"column": "revenue", "ascending": False}]},
    {"kind": "top_n", "column": "revenue", "n": 2},
]  # fmt: skip


def test_nested_filter_groups_and_other_kinds_run(builder: TransformBuilder) -> None:
    with_steps(builder, EVERY_KIND)

    # North (any case) or (quantity 4..9 and Tea): North 7.5, North 8.0, East 12.5.
    assert builder.error == "" and builder.step_errors == {}
    assert builder.row_counts == [3, 3, 3, 3, 3, 2]
    assert builder.preview["columns"][2] == "item"
    assert [row[-2] for row in builder.preview["rows"]] == [12.5, 8.0]
    assert builder.step_previews[0]["rows"][0][1] == "North"
    assert len(builder.step_previews) == 6


def test_join_reads_another_dataset_from_the_workspace(
    builder: TransformBuilder, sales_workspace: Workspace
) -> None:
    sales_workspace.put("targets", pd.DataFrame({"region": ["North"], "target": [9]}))
    step = {"kind": "join", "dataset": "targets", "on": ["region"], "how": "inner"}

    with_steps(builder, [step])

    assert "targets" in builder.datasets
    assert builder.row_counts == [2]
    assert builder.preview["columns"][-1] == "target"


def test_join_of_a_missing_dataset_errs_on_its_step(builder: TransformBuilder) -> None:
    step = {"kind": "join", "dataset": "ghost", "on": ["region"]}

    with_steps(builder, [step])

    assert "'ghost'" in builder.step_errors["0"]["message"]


INJECTIONS = [
    "__import__('os').system('touch /tmp/nbdash_pwned')",
    "'); import os; os.system('id'); ('",
    '"""\nimport os\n"""',
    "${7*7}{{7*7}}<script>alert(1)</script>",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_payloads_are_data_in_values_and_names(
    builder: TransformBuilder, sales_frame: pd.DataFrame, payload: str
) -> None:
    steps = [
        {"kind": "filter",
         "conditions": [{"column": "region", "op": "!=", "value": payload}]},
        {"kind": "rename", "mapping": {"region": payload}},
        {"kind": "fill_missing", "columns": [payload], "value": payload},
    ]  # fmt: skip

    with_steps(builder, steps)

    assert builder.error == "" and builder.row_counts == [4, 4, 4]
    assert builder.preview["columns"][1] == payload
    scope: dict[str, Any] = {"df": sales_frame.copy(), "pd": pd}
    exec(builder.code, scope)
    assert list(scope["df"].columns)[1] == payload
    assert scope["df"][payload].tolist() == ["North", "South", "North", "East"]


HOSTILE_EXPRESSIONS = [
    INJECTIONS[0],
    INJECTIONS[1],
    INJECTIONS[3],
    "revenue.__class__.__bases__",
    "[revenue]; import os",
]


@pytest.mark.parametrize("payload", HOSTILE_EXPRESSIONS)
def test_injection_payloads_as_expressions_are_refused(
    builder: TransformBuilder, payload: str
) -> None:
    with_steps(builder, [{"kind": "derive", "name": "x", "expression": payload}])

    assert builder.pipeline["steps"] == []
    assert "expression" in builder.error.lower()


def test_engine_choice_is_used_by_apply(
    builder: TransformBuilder, sales_workspace: Workspace
) -> None:
    with_steps(builder, FILTER_GROUP_SORT)
    builder.engine = "duckdb"

    sent = send(builder, {"kind": "apply", "id": "a1", "output": "by_region"})

    assert sent[0]["result"] == {"rows": 2, "columns": 2}
    assert sales_workspace.get("by_region")["total"].tolist() == [15.5, 12.5]


def test_unknown_engine_is_refused(builder: TransformBuilder) -> None:
    import traitlets

    with pytest.raises(traitlets.TraitError, match="'pandas', 'duckdb', 'auto'"):
        builder.engine = "spark; rm -rf /"


def test_an_unknown_function_is_refused_with_the_spec(
    builder: TransformBuilder,
) -> None:
    before = builder.pipeline

    builder.pipeline = {
        "source": "sales",
        "steps": [{"kind": "derive", "name": "x", "expression": "eval('1')"}],
    }

    assert "Unknown function eval()." in builder.error
    assert builder.pipeline == before


def test_disabled_steps_are_skipped_by_the_duckdb_engine_too(
    builder: TransformBuilder, sales_workspace: Workspace
) -> None:
    builder.pipeline = {"source": "sales", "steps": FILTER_GROUP_SORT, "disabled": [0]}
    builder.engine = "duckdb"

    send(builder, {"kind": "apply", "id": "a2", "output": "all_regions"})

    stored = sales_workspace.get("all_regions")
    assert stored["region"].tolist() == ["North", "East", "South"]
    assert stored["total"].tolist() == [15.5, 12.5, 4.0]
    assert sales_workspace.info("all_regions")["meta"]["pipeline"]["disabled"] == [0]


def test_embedded_notebook_metadata_restores_the_pipeline(
    builder: TransformBuilder,
) -> None:
    saved = {"source": "sales", "steps": FILTER_GROUP_SORT[:2], "disabled": [1]}
    value = {"version": 1, "pipelines": {"sales_result": saved}}

    sent = send(builder, {"kind": "notebook_metadata", "id": "m1", "value": value})

    assert sent[0]["result"] == {"steps": 2}
    assert builder.pipeline["disabled"] == [1] and builder.row_counts == [3, 3]
    assert not builder.can_insert  # a page, not a notebook that takes cells


@pytest.mark.parametrize("value", [None, [1], "x"])
def test_embedded_notebook_metadata_must_be_an_object(
    builder: TransformBuilder, value: Any
) -> None:
    sent = send(builder, {"kind": "notebook_metadata", "id": "m2", "value": value})

    assert "notebook_metadata needs an object 'value'" in sent[0]["error"]


def test_each_front_end_edit_is_answered_with_the_pipeline_taken(
    builder: TransformBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The front end keeps its own steps while an edit is unanswered (its revision
    ahead of applied_revision), so the kernel must answer every edit: the pipeline
    as taken (normalised, or put back when refused), and the revision."""
    front: dict[str, Any] = {}  # the front end's copy of the model

    def receive(msg: dict[str, Any], buffers: Any = None) -> None:
        front.update(msg.get("state", {}))

    monkeypatch.setattr(builder, "_send", receive)
    steps = [
        {"kind": "filter", "conditions": [{"column": "region", "op": "is missing"}]}
    ]
    edit = {"source": "sales", "steps": steps, "disabled": []}

    builder.set_state({"pipeline": edit, "revision": 1})
    assert front["applied_revision"] == 1
    assert front["pipeline"] == builder.pipeline != edit  # defaults filled in here
    assert builder.pipeline["steps"][0]["conditions"][0]["case"] is True

    # An edit the kernel does not change: still answered, with the pipeline.
    front.clear()
    builder.set_state({"pipeline": builder.pipeline, "revision": 2})
    assert (front["pipeline"], front["applied_revision"]) == (builder.pipeline, 2)

    # A refused edit: the front end gets the previous pipeline back.
    taken = builder.pipeline
    bad = {**edit, "steps": [{"kind": "sort", "keys": []}]}
    builder.set_state({"pipeline": bad, "revision": 3})
    assert builder.error and builder.pipeline == taken
    assert front["pipeline"] == taken and front["applied_revision"] == 3
