"""The dashboard model: spec, notebook metadata, locating the notebook, the bridge,
the runtime model and the static HTML."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from nbdash.charts import ChartSpec
from nbdash.dashboard import (
    DashboardModel,
    DashboardSpec,
    NotebookBridge,
    Tile,
    TileLayout,
    locate_notebook,
    read_nbdash_metadata,
    set_notebook_path,
    write_nbdash_metadata,
)
from nbdash.dashboard.spec import next_free_layout
from nbdash.errors import SpecError
from nbdash.publish.static import dashboard_to_html, markdown_to_html
from nbdash.transform import Pipeline
from nbdash.workspace import Workspace

BY_REGION = Pipeline.model_validate(
    {
        "source": "sales",
        "output": "by_region",
        "steps": [
            {
                "kind": "group",
                "by": ["region"],
                "aggregations": [
                    {"column": "revenue", "func": "sum", "name": "revenue"}
                ],
            }
        ],
    }
)


@pytest.fixture
def sales_workspace(sales_frame: pd.DataFrame) -> Workspace:
    ws = Workspace()
    ws.put("sales", sales_frame)
    return ws


@pytest.fixture
def blank_notebook(tmp_path: Path) -> Path:
    path = tmp_path / "report.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def clean_location(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NBDASH_NOTEBOOK_PATH", "SCRIPT_NAME", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    set_notebook_path(None)


def chart_bar(dataset: str = "sales") -> ChartSpec:
    return ChartSpec(kind="bar", dataset=dataset, x="region", y="revenue", agg="sum")


def full_spec() -> DashboardSpec:
    return DashboardSpec(
        name="sales",
        tiles=[
            Tile(id="intro", kind="text", title="Intro", text="# Sales\n\nUp."),
            Tile(id="rev", kind="chart", title="Revenue", chart=chart_bar("by_region")),
            Tile(id="raw", kind="table", title="Rows", dataset="sales"),
        ],
        layout={
            "intro": TileLayout(x=0, y=0, w=12, h=2),
            "rev": TileLayout(x=0, y=2, w=6, h=4),
            "raw": TileLayout(x=6, y=2, w=6, h=4),
        },
        pipelines={"by_region": BY_REGION},
    )


# --- spec ------------------------------------------------------------------------


def test_layout_past_the_grid_is_rejected_with_the_rule() -> None:
    with pytest.raises(ValueError, match=r"x \+ w <= 12"):
        TileLayout(x=8, y=0, w=6, h=2)


def test_tile_without_its_content_names_the_missing_field() -> None:
    with pytest.raises(
        ValueError, match="A chart tile needs a 'chart'; tile 'c' has none"
    ):
        Tile(id="c", kind="chart")


def test_layout_of_unknown_tile_is_rejected() -> None:
    with pytest.raises(ValueError, match="does not have: ghost"):
        DashboardSpec(name="d", layout={"ghost": TileLayout(x=0, y=0, w=1, h=1)})


def test_spec_round_trips_through_a_notebook_file(blank_notebook: Path) -> None:
    spec = full_spec()
    write_nbdash_metadata(blank_notebook, spec.to_metadata({"other": 1}))

    on_disk = json.loads(blank_notebook.read_text())
    assert on_disk["metadata"]["nbdash"]["version"] == 1
    assert on_disk["metadata"]["nbdash"]["other"] == 1
    assert "".join(on_disk["cells"][0]["source"]) == "1 + 1"

    back = DashboardSpec.from_metadata(read_nbdash_metadata(blank_notebook), "sales")
    assert back == spec
    assert back is not None and back.pipelines["by_region"].source == "sales"


def test_to_metadata_keeps_other_dashboards() -> None:
    first = DashboardSpec(name="a").to_metadata()
    both = DashboardSpec(name="b").to_metadata(first)
    assert sorted(both["dashboards"]) == ["a", "b"]


def test_from_metadata_of_newer_version_says_to_upgrade() -> None:
    with pytest.raises(SpecError, match="has version 2; this nbdash reads version 1"):
        DashboardSpec.from_metadata({"version": 2, "dashboards": {}}, "x")


def test_from_metadata_missing_dashboard_is_none() -> None:
    assert DashboardSpec.from_metadata({"version": 1, "dashboards": {}}, "x") is None
    assert DashboardSpec.from_metadata({}, "x") is None


def test_read_metadata_of_notebook_without_it_is_empty(blank_notebook: Path) -> None:
    assert read_nbdash_metadata(blank_notebook) == {}


def test_next_free_layout_fills_the_row_then_wraps() -> None:
    spec = DashboardSpec(
        name="d",
        tiles=[Tile(id="a", kind="text", text="a")],
        layout={"a": TileLayout(x=0, y=0, w=6, h=4)},
    )
    assert next_free_layout(spec) == TileLayout(x=6, y=0, w=6, h=4)

    spec.layout["b"] = TileLayout(x=6, y=0, w=6, h=4)
    spec.tiles.append(Tile(id="b", kind="text", text="b"))
    assert next_free_layout(spec) == TileLayout(x=0, y=4, w=6, h=4)


# --- locating the notebook ----------------------------------------------------------


def test_locate_prefers_explicit_then_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_location: None
) -> None:
    explicit, from_env, session = (tmp_path / f"{n}.ipynb" for n in ("e", "v", "s"))
    for path in (explicit, from_env, session):
        path.write_text("{}")
    assert locate_notebook() is None

    monkeypatch.setenv("JPY_SESSION_NAME", str(session))
    assert locate_notebook() == session.resolve()
    monkeypatch.setenv("NBDASH_NOTEBOOK_PATH", str(from_env))
    assert locate_notebook() == from_env.resolve()
    set_notebook_path(explicit)
    try:
        assert locate_notebook() == explicit.resolve()
    finally:
        set_notebook_path(None)


def test_locate_from_voila_request_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_location: None
) -> None:
    (tmp_path / "my report.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/sub/my%20report.ipynb")
    assert locate_notebook() == (tmp_path / "my report.ipynb").resolve()

    monkeypatch.setenv("SCRIPT_NAME", "/")  # single-notebook mode names no file
    assert locate_notebook() is None


def test_locate_skips_paths_that_do_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_location: None
) -> None:
    real = tmp_path / "real.ipynb"
    real.write_text("{}")
    monkeypatch.setenv("NBDASH_NOTEBOOK_PATH", str(tmp_path / "gone.ipynb"))
    monkeypatch.setenv("JPY_SESSION_NAME", str(real))
    assert locate_notebook() == real.resolve()


# --- the bridge -------------------------------------------------------------------


class FakeComm:
    """Records what the kernel sends; lets a test play the front end."""

    def __init__(self, **kwargs: Any) -> None:
        self.opened_with = kwargs
        self.sent: list[dict[str, Any]] = []
        self.receive: Any = None
        self.closed: Any = None

    def send(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    def on_msg(self, callback: Any) -> None:
        self.receive = callback

    def on_close(self, callback: Any) -> None:
        self.closed = callback

    def close(self) -> None:
        pass

    def reply(self, msg_id: str, result: Any) -> None:
        self.receive(
            {"content": {"data": {"kind": "reply", "id": msg_id, "result": result}}}
        )


@pytest.fixture
def fake_comms() -> list[FakeComm]:
    return []


@pytest.fixture
def bridge(fake_comms: list[FakeComm]) -> NotebookBridge:
    def factory(**kwargs: Any) -> FakeComm:
        fake_comms.append(FakeComm(**kwargs))
        return fake_comms[-1]

    return NotebookBridge(comm_factory=factory)


def test_bridge_set_sends_the_value_on_the_nbdash_target(
    bridge: NotebookBridge, fake_comms: list[FakeComm]
) -> None:
    bridge.set({"version": 1, "dashboards": {}})
    bridge.set({"version": 1, "dashboards": {"a": {}}})

    assert len(fake_comms) == 1
    assert fake_comms[0].opened_with["target_name"] == "nbdash.notebook"
    kinds = [(m["kind"], m["value"]) for m in fake_comms[0].sent]
    assert kinds == [
        ("set", {"version": 1, "dashboards": {}}),
        ("set", {"version": 1, "dashboards": {"a": {}}}),
    ]


def test_bridge_get_delivers_the_reply_later(
    bridge: NotebookBridge, fake_comms: list[FakeComm]
) -> None:
    received: list[dict[str, Any]] = []
    bridge.get(received.append)
    request = fake_comms[0].sent[0]
    assert request["kind"] == "get" and received == []

    fake_comms[0].reply("not-this-one", {"x": 1})
    fake_comms[0].reply(request["id"], {"version": 1, "dashboards": {}})
    assert received == [{"version": 1, "dashboards": {}}]
    assert bridge.value == {"version": 1, "dashboards": {}}


def test_bridge_degrades_quietly_once_the_front_end_closes(
    bridge: NotebookBridge, fake_comms: list[FakeComm], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="nbdash.dashboard.notebook")
    bridge.get(lambda value: None)
    fake_comms[0].closed({})
    bridge.set({"version": 1})
    bridge.set({"version": 1, "n": 2})

    assert len(fake_comms[0].sent) == 1
    assert bridge.value == {"version": 1, "n": 2}
    notes = [r for r in caplog.records if "no live notebook" in r.getMessage()]
    assert len(notes) == 1


def test_bridge_without_a_kernel_keeps_the_value() -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("no kernel")

    bridge = NotebookBridge(comm_factory=broken)
    bridge.set({"version": 1})
    assert bridge.value == {"version": 1} and not bridge.is_open


# --- the runtime model ------------------------------------------------------------


def counting(model: DashboardModel) -> list[str]:
    """Record every tile the model computes from now on."""
    computed: list[str] = []
    original = model.compute

    def compute(tile: Tile) -> dict[str, Any]:
        computed.append(tile.id)
        return original(tile)

    model.compute = compute  # type: ignore[method-assign]
    return computed


def test_add_chart_copies_the_pipeline_that_made_its_dataset(
    sales_workspace: Workspace,
) -> None:
    sales_workspace.put(
        "by_region",
        BY_REGION.run(sales_workspace),
        meta={"pipeline": BY_REGION.model_dump(mode="json")},
    )
    model = DashboardModel(DashboardSpec(name="d"), sales_workspace)
    tile = model.add_chart(chart_bar("by_region"), title="Revenue")

    assert model.spec.pipelines == {"by_region": BY_REGION}
    figure = model.contents[tile.id]["figure"]
    assert figure["data"][0]["type"] == "bar"


def test_source_change_reruns_pipeline_and_redraws_only_dependent_tiles(
    sales_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    sales_workspace.put("other", pd.DataFrame({"a": [1]}))
    model = DashboardModel(full_spec(), sales_workspace)
    model.add_table("other", tile_id="other")
    computed = counting(model)

    sales_workspace.put("other", pd.DataFrame({"a": [1, 2]}))
    assert computed == ["other"]

    computed.clear()
    more = pd.concat([sales_frame, sales_frame.iloc[[0]].assign(revenue=100.0)])
    sales_workspace.put("sales", more)
    assert sorted(computed) == ["raw", "rev"]

    # North had 7.5 + 8.0; the added North row brings 100 more.
    by_region = sales_workspace.get("by_region").set_index("region")["revenue"]
    assert by_region["North"] == pytest.approx(115.5)
    assert model.contents["raw"]["table"]["total_rows"] == 5


def test_fresh_kernel_rebuilds_pipeline_outputs(sales_workspace: Workspace) -> None:
    model = DashboardModel(full_spec(), sales_workspace)

    assert "by_region" in sales_workspace
    assert "error" not in model.contents["rev"]
    assert model.contents["intro"] == {"text": "# Sales\n\nUp."}
    rows = model.contents["raw"]["table"]["rows"]
    assert rows[0][1:3] == ["North", "Tea"]


def test_tile_of_missing_dataset_shows_an_error() -> None:
    model = DashboardModel(DashboardSpec(name="d"), Workspace())
    tile = model.add_table("nowhere")
    assert "Dataset 'nowhere' not found" in model.contents[tile.id]["error"]


def test_rerunning_add_calls_does_not_duplicate_tiles(
    sales_workspace: Workspace,
) -> None:
    model = DashboardModel(DashboardSpec(name="d"), sales_workspace)
    first = model.add_chart(chart_bar())
    again = model.add_chart(chart_bar())
    model.add_text("v1", tile_id="note")
    model.add_text("v2", tile_id="note")

    assert again.id == first.id
    assert [t.id for t in model.spec.tiles] == [first.id, "note"]
    assert model.spec.tile("note").text == "v2"


def test_layout_update_validates_and_reports_spec_changes(
    sales_workspace: Workspace,
) -> None:
    model = DashboardModel(full_spec(), sales_workspace)
    seen: list[DashboardSpec] = []
    model.on_spec_change(seen.append)

    model.update_layout([{"id": "rev", "x": 6, "y": 2, "w": 6, "h": 5}])
    assert model.spec.layout["rev"] == TileLayout(x=6, y=2, w=6, h=5)
    assert len(seen) == 1

    with pytest.raises(SpecError, match="The layout of tile 'rev' is not valid"):
        model.update_layout([{"id": "rev", "x": 10, "y": 0, "w": 6, "h": 1}])
    with pytest.raises(
        SpecError, match=r"has no tile 'ghost'\. Tiles: intro, rev, raw"
    ):
        model.update_layout([{"id": "ghost", "x": 0, "y": 0, "w": 1, "h": 1}])


def test_remove_tile_drops_its_layout(sales_workspace: Workspace) -> None:
    model = DashboardModel(full_spec(), sales_workspace)
    model.remove_tile("raw")
    assert [t.id for t in model.spec.tiles] == ["intro", "rev"]
    assert "raw" not in model.spec.layout and "raw" not in model.contents


# --- static HTML ------------------------------------------------------------------


def test_static_html_has_every_tile_in_layout_order_with_text_escaped(
    sales_workspace: Workspace,
) -> None:
    spec = full_spec()
    spec.tiles[2] = Tile(
        id="raw", kind="table", title="<img src=x onerror=alert(1)>", dataset="sales"
    )
    spec.layout["raw"] = TileLayout(x=0, y=0, w=12, h=2)
    spec.layout["intro"] = TileLayout(x=0, y=2, w=12, h=2)
    model = DashboardModel(spec, sales_workspace)

    page = dashboard_to_html(model.spec, model.contents, images=False)

    order = [page.index(f'data-tile="{tile}"') for tile in ("raw", "intro", "rev")]
    assert order == sorted(order)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "grid-column:1 / span 12;grid-row:1 / span 2" in page
    assert "no Chromium" in page  # the chart shown as its data, typed arrays decoded
    for region, total in (("North", 7.5 + 8.0), ("East", 12.5), ("South", 4.0)):
        assert f"<td>{region}</td><td>{total}</td>" in page


def test_markdown_headings_and_paragraphs_are_escaped() -> None:
    assert (
        markdown_to_html("# A <b>\n\nx & y") == "<h2>A &lt;b&gt;</h2><p>x &amp; y</p>"
    )


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Chromium")
def test_static_html_draws_charts_as_svg_images(sales_workspace: Workspace) -> None:
    model = DashboardModel(full_spec(), sales_workspace)
    page = dashboard_to_html(model.spec, model.contents)
    assert page.count('src="data:image/svg+xml;base64,') == 1


def test_up_to_date_pipeline_output_is_not_recomputed(
    sales_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    DashboardModel(full_spec(), sales_workspace).close()
    made = sales_workspace.version("by_region")

    # A second dashboard on the same data finds the output current.
    DashboardModel(full_spec(), sales_workspace).close()
    assert sales_workspace.version("by_region") == made

    # A new version of the source (no model following it) makes it stale.
    sales_workspace.put("sales", sales_frame.iloc[:2])
    assert sales_workspace.version("by_region") == made
    DashboardModel(full_spec(), sales_workspace).close()

    assert sales_workspace.version("by_region") == made + 1
    by_region = sales_workspace.get("by_region").set_index("region")["revenue"]
    assert by_region.sum() == pytest.approx(sales_frame["revenue"].iloc[:2].sum())


def test_output_from_another_pipeline_is_replaced(sales_workspace: Workspace) -> None:
    sales_workspace.put("by_region", pd.DataFrame({"region": ["x"], "revenue": [1.0]}))
    DashboardModel(full_spec(), sales_workspace)

    regions = set(sales_workspace.get("by_region")["region"])
    assert regions == set(sales_workspace.get("sales")["region"])


def test_filter_on_a_pipeline_source_reaches_tiles_on_its_output(
    sales_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    model = DashboardModel(full_spec(), sales_workspace)
    on_sales = model.add_filter("sales", "region", tile_id="region")
    model.add_table("by_region", tile_id="table-by-region")
    model.set_filter("region", values=["North", "East"])

    # By hand: the source filtered with pandas, then the group the pipeline does.
    kept = sales_frame[sales_frame["region"].isin(["North", "East"])]
    expected = kept.groupby("region")["revenue"].sum()
    rows = model.contents["table-by-region"]["table"]["rows"]
    shown = {region: float(revenue.replace(",", "")) for region, revenue in rows}
    assert shown == expected.to_dict()
    assert "note" not in model.contents[on_sales.id]["filter"]
