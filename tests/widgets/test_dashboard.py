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


def test_a_tile_code_replaces_keeps_the_new_content_and_the_saved_place(
    sales_workspace: Workspace, bridge: NotebookBridge, comm: FakeComm
) -> None:
    """Re-running a cell with new text for a saved tile: the code's text wins over
    the live notebook's copy; the tile stays where the user put it."""
    saved = saved_spec()
    dash = Dashboard("sales", sales_workspace, bridge=bridge)
    dash.add_text("Figures are after returns.", tile_id="intro")

    comm.answer_get(saved.to_metadata())

    intro = next(t for t in dash.spec.tiles if t.id == "intro")
    assert intro.text == "Figures are after returns."
    assert [t.id for t in dash.spec.tiles] == ["intro", "rows"]
    assert dash.spec.layout["intro"] == saved.layout["intro"]
    assert dash.tiles_content["intro"] == {"text": "Figures are after returns."}
    last = comm.sets()[-1]["dashboards"]["sales"]["tiles"]
    assert last[0]["text"] == "Figures are after returns."


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
    assert dash.tiles_content["rows"]["table"]["rows"] == [["West", "1"]]


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


# --- filters, tile menu, switching and export through front-end messages -----------

MARKUP = "<img src=x onerror=alert(1)>"


def send_with_buffers(widget: Dashboard, content: dict[str, Any]) -> tuple[Any, Any]:
    sent: list[tuple[dict[str, Any], Any]] = []
    original = widget.send
    widget.send = lambda message, buffers=None: sent.append((message, buffers))  # type: ignore[method-assign]
    try:
        widget._dispatch(widget, content, [])
    finally:
        widget.send = original  # type: ignore[method-assign]
    return sent[-1]


@pytest.fixture
def filtered_dashboard(sales_workspace: Workspace, bridge: NotebookBridge) -> Dashboard:
    dash = Dashboard("filters", sales_workspace, bridge=bridge)
    dash.add_chart(
        ChartSpec(kind="bar", dataset="sales", x="region", y="revenue"), tile_id="bars"
    )
    dash.add_table("sales", tile_id="rows")
    dash.add_filter("sales", "region", tile_id="region")
    return dash


def test_filter_messages_change_tiles_and_the_applied_bar(
    filtered_dashboard: Dashboard, comm: FakeComm
) -> None:
    dash = filtered_dashboard
    reply = send(dash, {"kind": "set_filter", "id": "1", "filter": "region",
                        "values": ["North"]})  # fmt: skip
    assert reply["result"] == {"active": True}
    assert dash.tiles_content["rows"]["table"]["total_rows"] == 2
    assert dash.applied_filters == [{"id": "region", "text": "region: North"}]
    saved = comm.sets()[-1]["dashboards"]["filters"]["filters"]
    assert saved[0]["values"] == ["North"]

    send(dash, {"kind": "cross_filter", "id": "2", "tile": "bars",
                "point": {"x": "East", "y": 12.5}})  # fmt: skip
    assert dash.tiles_content["rows"]["table"]["total_rows"] == 0  # North and East

    send(dash, {"kind": "clear_filters", "id": "3"})
    assert dash.applied_filters == []
    assert dash.tiles_content["rows"]["table"]["total_rows"] == 4


def test_bad_messages_are_answered_with_what_was_expected(
    filtered_dashboard: Dashboard,
) -> None:
    reply = send(filtered_dashboard, {"kind": "set_filter", "id": "1", "values": "x"})
    assert "needs a non-empty string 'filter'" in reply["error"]
    reply = send(
        filtered_dashboard, {"kind": "cross_filter", "id": "2", "tile": "bars"}
    )
    assert "needs an object 'point'" in reply["error"]
    reply = send(filtered_dashboard, {"kind": "edit_tile", "id": "3", "tile": "nope"})
    assert "has no tile 'nope'" in reply["error"]


def test_tile_menu_edit_duplicate_remove(filtered_dashboard: Dashboard) -> None:
    dash = filtered_dashboard
    send(dash, {"kind": "edit_tile", "id": "1", "tile": "bars", "title": MARKUP,
                "chart": {"kind": "pie"}})  # fmt: skip
    assert dash.model.spec.tile("bars").title == MARKUP
    assert dash.tiles_content["bars"]["figure"]["data"][0]["type"] == "pie"

    copy = send(dash, {"kind": "duplicate_tile", "id": "2", "tile": "bars"})["result"]
    assert copy["tile"] in dash.tiles_content
    send(dash, {"kind": "remove_tile", "id": "3", "tile": copy["tile"]})
    assert [t.id for t in dash.model.spec.tiles] == ["bars", "rows", "region"]


def test_reveal_sends_the_tile_to_the_views(filtered_dashboard: Dashboard) -> None:
    sent: list[dict[str, Any]] = []
    filtered_dashboard.send = lambda message, buffers=None: sent.append(message)  # type: ignore[method-assign]

    filtered_dashboard.reveal("rows")

    assert sent == [{"kind": "reveal_tile", "tile": "rows"}]


def test_switch_between_named_dashboards(
    filtered_dashboard: Dashboard, comm: FakeComm
) -> None:
    dash = filtered_dashboard
    send(dash, {"kind": "switch", "id": "1", "name": "second"})
    assert dash.name == "second" and dash.model.spec.tiles == []
    dash.add_text("Hello", tile_id="hi")
    assert dash.names == ["filters", "second"]

    send(dash, {"kind": "switch", "id": "2", "name": "filters"})
    assert [t.id for t in dash.model.spec.tiles] == ["bars", "rows", "region"]
    assert set(comm.sets()[-1]["dashboards"]) == {"filters", "second"}


def test_html_export_is_a_whole_page_with_markup_as_text(
    sales_frame: pd.DataFrame, bridge: NotebookBridge, tmp_path: Path
) -> None:
    ws = Workspace()
    ws.put("sales", sales_frame.assign(region=[MARKUP, "South", MARKUP, "East"]))
    dash = Dashboard("export", ws, bridge=bridge)
    dash.add_chart(
        ChartSpec(kind="bar", dataset="sales", x="region", y="revenue"), title=MARKUP
    )
    dash.add_table("sales", title=MARKUP)
    dash.add_text(f"# {MARKUP}\n\n{MARKUP}")
    dash.add_filter("sales", "region", label=MARKUP, tile_id="region")
    dash.set_filter("region", values=[MARKUP, "East"])

    message, buffers = send_with_buffers(dash, {"kind": "export_html", "id": "1"})
    page = bytes(buffers[0]).decode("utf-8")
    assert message["result"] == {"filename": "export.html", "size": len(buffers[0])}
    assert page.startswith("<!DOCTYPE html>") and page.count("Plotly.newPlot") == 1
    assert page.count("<img") == 0  # no markup from data was let through
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 6
    # The figure JSON inside its script tag holds the label, and no "<" to end it.
    start = page.index('class="nbdash-figure">') + len('class="nbdash-figure">')
    figure = page[start : page.index("</script>", start)]
    assert "onerror=alert(1)" in figure and "<" not in figure

    path = tmp_path / "d.html"
    assert dash.to_html(path) == path.read_text(encoding="utf-8")


def test_source_filter_message_redraws_a_tile_on_a_builder_output(
    sales_workspace: Workspace, sales_frame: pd.DataFrame, bridge: NotebookBridge
) -> None:
    from nbdash.widgets.builder import TransformBuilder

    builder = TransformBuilder("sales", "by_product", sales_workspace, bridge=bridge)
    builder.engine = "duckdb"
    builder.pipeline = {
        "source": "sales",
        "output": "by_product",
        "steps": [
            {
                "kind": "group",
                "by": ["product"],
                "aggregations": [{"column": "revenue", "func": "sum", "name": "sum"}],
            }
        ],
    }
    builder._dispatch(builder, {"kind": "apply", "id": "a", "output": "by_product"}, [])
    dash = Dashboard("derived", sales_workspace, bridge=bridge)
    dash.add_table("by_product", tile_id="products")
    dash.add_filter("sales", "region", tile_id="region")

    reply = send(dash, {"kind": "set_filter", "id": "1", "filter": "region",
                        "values": ["North"]})  # fmt: skip

    assert reply["result"] == {"active": True}
    north = sales_frame[sales_frame["region"] == "North"]
    expected = north.groupby("product")["revenue"].sum()
    table = dash.tiles_content["products"]["table"]
    shown = {product: float(text.replace(",", "")) for product, text in table["rows"]}
    assert shown == expected.to_dict()
    assert dash.spec.engines == {"by_product": "duckdb"}
