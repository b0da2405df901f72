"""The Dashboard widget driven the way its front end and the lab extension drive it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from nbdash.charts import ChartSpec
from nbdash.dashboard import (
    DashboardSpec,
    NotebookBridge,
    Tile,
    TileLayout,
    set_notebook_path,
    write_nbdash_metadata,
)
from nbdash.widgets.dashboard import Dashboard
from nbdash.workspace import Workspace


class FakeComm:
    """Records what the kernel sends on the nbdash.notebook comm."""

    def __init__(self, **kwargs: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self.receive: Any = None

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    def on_msg(self, callback: Any) -> None:
        self.receive = callback

    def on_close(self, callback: Any) -> None:
        pass

    def answer_get(self, value: Any) -> None:
        request = next(m for m in self.sent if m["kind"] == "get")
        data = {"kind": "reply", "id": request["id"], "result": value}
        self.receive({"content": {"data": data}})

    def sets(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.sent if m["kind"] == "set"]


@pytest.fixture
def comm() -> FakeComm:
    return FakeComm()


@pytest.fixture
def bridge(comm: FakeComm) -> NotebookBridge:
    return NotebookBridge(comm_factory=lambda **kwargs: comm)


@pytest.fixture
def sales_workspace(sales_frame: pd.DataFrame) -> Workspace:
    ws = Workspace()
    ws.put("sales", sales_frame)
    return ws


@pytest.fixture(autouse=True)
def no_notebook_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NBDASH_NOTEBOOK_PATH", "SCRIPT_NAME", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    set_notebook_path(None)


def saved_spec() -> DashboardSpec:
    return DashboardSpec(
        name="sales",
        tiles=[
            Tile(id="intro", kind="text", title="Intro", text="Hello"),
            Tile(id="rows", kind="table", title="Rows", dataset="sales"),
        ],
        layout={
            "intro": TileLayout(x=0, y=0, w=12, h=2),
            "rows": TileLayout(x=0, y=2, w=6, h=4),
        },
    )


def send(widget: Dashboard, content: dict[str, Any]) -> dict[str, Any]:
    """Dispatch a front-end message; return the widget's reply."""
    sent: list[dict[str, Any]] = []
    original = widget.send
    widget.send = lambda message, buffers=None: sent.append(message)  # type: ignore[method-assign]
    try:
        widget._dispatch(widget, content, [])
    finally:
        widget.send = original  # type: ignore[method-assign]
    return sent[-1]


def test_construction_reads_the_saved_spec_from_the_notebook_file(
    tmp_path: Path, sales_workspace: Workspace, bridge: NotebookBridge, comm: FakeComm
) -> None:
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    write_nbdash_metadata(path, saved_spec().to_metadata())
    set_notebook_path(path)

    dash = Dashboard("sales", sales_workspace, bridge=bridge)

    assert dash.spec == saved_spec()
    assert dash.tiles_content["intro"] == {"text": "Hello"}
    assert dash.tiles_content["rows"]["table"]["columns"][:2] == ["date", "region"]
    assert [m["kind"] for m in comm.sent] == ["get"]


def test_add_calls_save_to_the_notebook_every_time(
    sales_workspace: Workspace, bridge: NotebookBridge, comm: FakeComm
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    chart = ChartSpec(kind="bar", dataset="sales", x="region", y="revenue", agg="sum")
    tile = dash.add_chart(chart, title="Revenue")
    dash.add_text("Notes")

    sets = comm.sets()
    assert len(sets) == 2
    assert [t["id"] for t in sets[-1]["dashboards"]["sales"]["tiles"]] == [
        tile.id,
        "text-2",
    ]
    assert dash.tiles_content[tile.id]["figure"]["data"][0]["type"] == "bar"

    dash.remove_tile("text-2")
    assert [t["id"] for t in comm.sets()[-1]["dashboards"]["sales"]["tiles"]] == [
        tile.id
    ]


def test_layout_message_updates_the_spec_and_saves(
    sales_workspace: Workspace, bridge: NotebookBridge, comm: FakeComm
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    dash.model.replace_spec(saved_spec())
    before = len(comm.sets())

    reply = send(
        dash,
        {
            "kind": "layout",
            "id": "1",
            "items": [
                {"id": "rows", "x": 6, "y": 0, "w": 6, "h": 3},
            ],
        },
    )

    assert reply == {"kind": "reply", "id": "1", "result": {"tiles": 1}}
    assert dash.spec.layout["rows"] == TileLayout(x=6, y=0, w=6, h=3)
    saved = comm.sets()[-1]["dashboards"]["sales"]["layout"]["rows"]
    assert saved == {"x": 6, "y": 0, "w": 6, "h": 3}
    assert len(comm.sets()) == before + 1


def test_bad_layout_message_replies_with_the_reason(
    sales_workspace: Workspace, bridge: NotebookBridge, comm: FakeComm
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    dash.model.replace_spec(saved_spec())

    reply = send(
        dash,
        {
            "kind": "layout",
            "id": "2",
            "items": [
                {"id": "rows", "x": 9, "y": 0, "w": 6, "h": 3},
            ],
        },
    )
    assert "x + w <= 12" in reply["error"]
    assert dash.spec.layout["rows"] == TileLayout(x=0, y=2, w=6, h=4)

    reply = send(dash, {"kind": "layout", "id": "3", "items": "nope"})
    assert reply["error"] == "A layout message needs a list 'items'; got 'nope'."


def test_live_notebook_reply_replaces_the_spec_from_disk(
    sales_workspace: Workspace, bridge: NotebookBridge, comm: FakeComm
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    assert dash.spec.tiles == []

    comm.answer_get(saved_spec().to_metadata({"theme": "dark"}))

    assert dash.spec == saved_spec()
    assert dash.tiles_content["intro"] == {"text": "Hello"}
    assert comm.sets() == []  # nothing new to save


def test_tiles_added_before_the_reply_are_kept_on_top_of_it(
    sales_workspace: Workspace, bridge: NotebookBridge, comm: FakeComm
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    dash.add_text("Added by code", tile_id="code")

    comm.answer_get(saved_spec().to_metadata({"theme": "dark"}))

    assert [t.id for t in dash.spec.tiles] == ["intro", "rows", "code"]
    last = comm.sets()[-1]
    assert last["theme"] == "dark"
    assert [t["id"] for t in last["dashboards"]["sales"]["tiles"]] == [
        "intro",
        "rows",
        "code",
    ]


def test_voila_metadata_message_loads_the_saved_spec(
    sales_workspace: Workspace, bridge: NotebookBridge
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    value = saved_spec().to_metadata()

    reply = send(dash, {"kind": "notebook_metadata", "id": "9", "value": value})

    assert reply["result"] == {"tiles": 2}
    assert dash.spec == saved_spec()
    assert dash.tiles_content["rows"]["table"]["total_rows"] == 4


def test_voila_metadata_of_wrong_shape_is_refused(
    sales_workspace: Workspace, bridge: NotebookBridge
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    reply = send(dash, {"kind": "notebook_metadata", "id": "9", "value": [1]})
    assert reply["error"] == "notebook_metadata needs an object 'value'; got [1]."


def test_workspace_change_updates_tiles_content(
    sales_workspace: Workspace, bridge: NotebookBridge
) -> None:
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    dash.add_table("sales", tile_id="rows")
    sales_workspace.put("sales", pd.DataFrame({"region": ["West"], "revenue": [1.0]}))
    assert dash.tiles_content["rows"]["table"]["rows"] == [["West", 1.0]]


def test_mimebundle_has_the_widget_view_and_static_html(
    sales_workspace: Workspace, bridge: NotebookBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", "live")  # skip images: no Chromium needed
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    dash.add_text("<script>alert(1)</script>", title="Note <b>")

    data, _meta = dash._repr_mimebundle_()

    assert "application/vnd.jupyter.widget-view+json" in data
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in data["text/html"]
    assert "Note &lt;b&gt;" in data["text/html"]
    assert "<script>" not in data["text/html"]


def test_named_finds_the_latest_dashboard_of_that_name(
    sales_workspace: Workspace, bridge: NotebookBridge
) -> None:
    first = Dashboard("lookup", sales_workspace, bridge=bridge)
    assert Dashboard.named("lookup") is first
    second = Dashboard("lookup", sales_workspace, bridge=bridge)
    assert Dashboard.named("lookup") is second
    assert Dashboard.named("no such dashboard") is None
