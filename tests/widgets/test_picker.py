"""ChartPicker driven the way its front end drives it: trait sets and messages."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nbdash.widgets.picker import ChartPicker
from nbdash.workspace import Workspace

BAR_BY_REGION = {"kind": "bar", "x": "region", "y": "revenue", "agg": "sum"}


class RecordingDashboard:
    """Stands in for a Dashboard: records the charts added to it and the tiles shown."""

    def __init__(self) -> None:
        self.added: list[tuple[Any, str | None]] = []
        self.revealed: list[str] = []

    def add_chart(self, spec: Any, title: str | None = None) -> Any:
        self.added.append((spec, title))
        return type("TileStub", (), {"id": f"chart-{len(self.added)}"})()

    def reveal(self, tile_id: str) -> None:
        self.revealed.append(tile_id)


@pytest.fixture
def sales_workspace(sales_frame: pd.DataFrame) -> Workspace:
    """A memory workspace holding the sales frame as ``sales``."""
    ws = Workspace()
    ws.put("sales", sales_frame)
    return ws


@pytest.fixture
def picker(sales_workspace: Workspace) -> ChartPicker:
    """A picker over ``sales`` with no dashboard."""
    return ChartPicker("sales", workspace=sales_workspace)


def send(widget: ChartPicker, content: dict[str, Any]) -> list[dict[str, Any]]:
    """Dispatch a front-end message and return what the widget sent back."""
    sent: list[dict[str, Any]] = []
    original = widget.send
    widget.send = lambda message, buffers=None: sent.append(message)  # type: ignore[method-assign]
    try:
        widget._dispatch(widget, content, [])
    finally:
        widget.send = original  # type: ignore[method-assign]
    return sent


def values(array: Any) -> list[Any]:
    """A Plotly JSON array as a list: plotly writes numeric arrays as typed base64."""
    if isinstance(array, dict) and "bdata" in array:
        raw = base64.b64decode(array["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


def plotted(figure: dict[str, Any]) -> dict[Any, float]:
    """The first trace of a figure as {x: y} (bar/line) or {label: value} (pie)."""
    trace = figure["data"][0]
    if trace.get("type") == "pie":
        return dict(zip(values(trace["labels"]), values(trace["values"]), strict=True))
    return dict(zip(values(trace["x"]), values(trace["y"]), strict=True))


def test_suggestions_are_titled_specs_of_the_dataset(picker: ChartPicker) -> None:
    assert picker.suggestions, "a frame with a date and numbers has suggestions"
    names = {c["name"] for c in picker.columns}
    for suggestion in picker.suggestions:
        assert suggestion["dataset"] == "sales"
        assert suggestion["title"]
        assert suggestion["kind"] in set(picker.choices["kinds"])
        assert suggestion["x"] in names

    assert picker.spec["x"] == picker.suggestions[0]["x"]
    assert picker.figure["data"], "the best suggestion is drawn at once"


def test_bar_figure_holds_the_hand_aggregated_sums(picker: ChartPicker) -> None:
    picker.spec = BAR_BY_REGION

    assert picker.error == ""
    assert picker.spec["dataset"] == "sales"
    assert plotted(picker.figure) == {"North": 15.5, "South": 4.0, "East": 12.5}


def test_mean_and_daily_line(picker: ChartPicker) -> None:
    picker.spec = {**BAR_BY_REGION, "agg": "mean", "y": "quantity"}
    assert plotted(picker.figure) == {"North": 2.5, "South": 1.0, "East": 5.0}

    picker.spec = {
        "kind": "line",
        "x": "date",
        "y": "revenue",
        "agg": "sum",
        "bucket": "day",
    }
    daily = {
        pd.Timestamp(x).date().isoformat(): y for x, y in plotted(picker.figure).items()
    }
    assert daily == {"2024-01-01": 7.5, "2024-01-02": 12.0, "2024-01-03": 12.5}


def test_invalid_kind_is_rejected_and_previous_kept(picker: ChartPicker) -> None:
    picker.spec = BAR_BY_REGION
    before = (picker.spec, picker.figure)

    picker.spec = {**BAR_BY_REGION, "kind": "__import__('os').system('x')"}

    assert (picker.spec, picker.figure) == before
    assert "kind" in picker.error and "previous chart spec is kept" in picker.error


def test_missing_column_names_it_and_the_choices(picker: ChartPicker) -> None:
    picker.spec = BAR_BY_REGION

    picker.spec = {**BAR_BY_REGION, "y": "Revnue"}

    assert picker.spec["y"] == "revenue"
    assert "'Revnue'" in picker.error
    assert "Available: date, region, product, quantity, price, revenue." in picker.error


def test_add_to_dashboard_calls_the_dashboard(sales_workspace: Workspace) -> None:
    dashboard = RecordingDashboard()
    picker = ChartPicker("sales", dashboard=dashboard, workspace=sales_workspace)  # type: ignore[arg-type]
    picker.spec = {**BAR_BY_REGION, "title": "Revenue by region"}
    assert picker.has_dashboard

    sent = send(picker, {"kind": "add_to_dashboard", "id": "3"})

    assert sent == [
        {
            "kind": "reply",
            "id": "3",
            "result": {"title": "Revenue by region", "tile": "chart-1"},
        }
    ]
    spec, title = dashboard.added[0]
    assert (spec.kind, spec.x, spec.y, spec.agg) == ("bar", "region", "revenue", "sum")
    assert title == "Revenue by region"
    assert dashboard.revealed == ["chart-1"]  # its views scroll to the new tile


def test_add_without_dashboard_says_how_to_attach_one(picker: ChartPicker) -> None:
    assert not picker.has_dashboard

    sent = send(picker, {"kind": "add_to_dashboard", "id": "4"})

    assert "No dashboard is attached" in sent[0]["error"]
    assert "dashboard=" in sent[0]["error"]


def test_dashboard_name_that_is_not_open(sales_workspace: Workspace) -> None:
    picker = ChartPicker("sales", dashboard="nowhere", workspace=sales_workspace)

    sent = send(picker, {"kind": "add_to_dashboard", "id": "5"})

    assert "No open dashboard is called 'nowhere'" in sent[0]["error"]


def test_workspace_change_updates_columns_and_figure(
    picker: ChartPicker, sales_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    picker.spec = BAR_BY_REGION

    sales_workspace.put("sales", sales_frame.assign(revenue=1.0, margin=0.5))

    assert "margin" in {c["name"] for c in picker.columns}
    assert plotted(picker.figure) == {"North": 2.0, "South": 1.0, "East": 1.0}


def test_static_fallback_describes_the_spec_as_text(picker: ChartPicker) -> None:
    picker.spec = {**BAR_BY_REGION, "title": "<script>alert(1)</script>"}

    data, _ = picker._repr_mimebundle_()

    assert "&lt;script&gt;" in data["text/html"]
    assert "<script>" not in data["text/html"]
    assert "<td>region</td>" in data["text/html"]


def test_previews_are_small_figures_of_each_suggestion(picker: ChartPicker) -> None:
    assert len(picker.previews) == len(picker.suggestions)
    for preview, suggestion in zip(picker.previews, picker.suggestions, strict=True):
        if suggestion["kind"] == "kpi":
            assert preview["layout"]["annotations"], "a KPI preview is its numbers"
            continue
        assert preview["data"], suggestion
        assert preview["layout"]["showlegend"] is False
        assert "title" not in preview["layout"]


def test_choices_list_every_kind_and_format(picker: ChartPicker) -> None:
    assert picker.choices["kinds"] == [
        "line", "area", "bar", "pie", "donut", "scatter", "histogram", "box",
        "heatmap", "kpi",
    ]  # fmt: skip
    formats = {choice["value"] for choice in picker.choices["number_formats"]}
    assert {"", ",.0f", "$,.2f", ".1%"} <= formats
    assert "colorblind" in picker.choices["palettes"]


def test_new_kinds_and_options_through_the_spec_trait(picker: ChartPicker) -> None:
    picker.spec = {
        "kind": "bar", "x": "region", "y": "revenue", "horizontal": True,
        "number_format": "$,.2f", "sort": "label_asc",
    }  # fmt: skip

    assert picker.error == ""
    trace = picker.figure["data"][0]
    assert trace["orientation"] == "h"
    assert values(trace["y"]) == ["East", "North", "South"]
    assert values(trace["x"]) == [12.5, 15.5, 4.0]
    assert picker.figure["layout"]["xaxis"]["tickformat"] == "$,.2f"


def test_bad_option_is_rejected_with_the_reason(picker: ChartPicker) -> None:
    picker.spec = BAR_BY_REGION

    picker.spec = {**BAR_BY_REGION, "number_format": "<b>"}

    assert picker.spec["number_format"] == ""
    assert "number_format '<b>' is not a d3 number format" in picker.error


def test_download_data_sends_the_plotted_rows_as_csv(picker: ChartPicker) -> None:
    picker.spec = BAR_BY_REGION
    sent: list[tuple[dict[str, Any], list[Any]]] = []
    original = picker.send
    picker.send = lambda message, buffers=None: sent.append((message, buffers))  # type: ignore[method-assign]
    try:
        picker._dispatch(picker, {"kind": "download_data", "id": "7"}, [])
    finally:
        picker.send = original  # type: ignore[method-assign]

    message, buffers = sent[0]
    assert message["result"]["filename"] == "sales-bar.csv"
    rows = bytes(buffers[0]).decode().splitlines()
    assert rows == ["region,revenue", "North,15.5", "East,12.5", "South,4.0"]


def test_zoom_replies_with_the_visible_points(sales_workspace: Workspace) -> None:
    n = 20_000
    frame = pd.DataFrame(
        {"t": np.arange(n, dtype=float), "v": np.sin(np.arange(n) / 100.0)}
    )
    sales_workspace.put("signal", frame)
    picker = ChartPicker("signal", workspace=sales_workspace)
    picker.spec = {"kind": "line", "x": "t", "y": "v"}
    assert len(values(picker.figure["data"][0]["x"])) <= 4000

    reply = send(picker, {"kind": "zoom", "id": "8", "x_range": [100.5, 300.5]})[0]

    x = values(reply["result"]["data"][0]["x"])
    assert x == [float(t) for t in range(100, 302)]  # 101..300 and one each side
    whole = send(picker, {"kind": "zoom", "id": "9", "x_range": None})[0]
    assert len(values(whole["result"]["data"][0]["x"])) <= 4000
    bad = send(picker, {"kind": "zoom", "id": "10", "x_range": "all"})[0]
    assert "A zoom needs x_range [low, high]" in bad["error"]


def test_figure_has_the_dashboard_tiles_colours_not_plotly_pys_template(
    picker: ChartPicker,
) -> None:
    picker.spec = BAR_BY_REGION
    # No template: the view's theme and plotly.js's default colourway, as on tiles.
    assert "template" not in picker.figure["layout"]
    assert "colorway" not in picker.figure["layout"]
    picker.spec = {**BAR_BY_REGION, "palette": "colorblind"}
    assert picker.figure["layout"]["colorway"][:2] == ["#0072b2", "#e69f00"]
    picker.spec = {"kind": "kpi", "x": "date", "y": "revenue", "agg": "sum"}
    assert picker.error == ""
    assert "template" not in picker.figure["layout"]


def test_id_like_column_is_not_offered_as_a_measure() -> None:
    ws = Workspace()
    n = 30
    ws.put(
        "orders",
        pd.DataFrame(
            {
                "order id": range(n),
                "region": ["north", "south", "east"] * (n // 3),
                "amount": [2.5 * i for i in range(n)],
            }
        ),
    )
    picker = ChartPicker("orders", workspace=ws)
    measures = {s.get("y") for s in picker.suggestions} - {None}
    assert measures == {"amount"}
    assert "Rows by amount" not in [s["title"] for s in picker.suggestions]
    assert all(s["x"] != "order id" for s in picker.suggestions)
