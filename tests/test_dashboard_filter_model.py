"""Dashboard filters, cross-filters, KPI/insight/filter tiles, tile edits, names."""

from __future__ import annotations

import base64
import warnings

import nbformat
import numpy as np
import pandas as pd
import pytest

from nbdash.charts import ChartSpec
from nbdash.dashboard import (
    DashboardModel,
    DashboardSpec,
    Filter,
    apply_filters,
    list_dashboards,
)
from nbdash.errors import ColumnNotFoundError, SpecError
from nbdash.workspace import Workspace

warnings.filterwarnings("error", module="nbdash")


@pytest.fixture
def sales() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2024-01-05", "2024-01-20", "2024-02-03", "2024-02-25", "2024-03-10"]
            ),
            "region": ["North", "South", "North", "East", "South"],
            "revenue": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )


@pytest.fixture
def model_with_two_datasets(sales: pd.DataFrame) -> DashboardModel:
    ws = Workspace()
    ws.put("sales", sales)
    ws.put("other", pd.DataFrame({"k": ["a", "b"], "v": [1, 2]}))
    model = DashboardModel(DashboardSpec(name="d"), ws)
    model.add_chart(
        ChartSpec(kind="bar", dataset="sales", x="region", y="revenue", agg="sum"),
        tile_id="by_region",
    )
    model.add_table("sales", tile_id="rows")
    model.add_chart(
        ChartSpec(kind="bar", dataset="other", x="k", y="v", agg="sum"), tile_id="o"
    )
    return model


def _values(data: object) -> list:
    # plotly's JSON holds numeric arrays as {"dtype", "bdata": base64} typed arrays.
    if isinstance(data, dict) and "bdata" in data:
        raw = base64.b64decode(data["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).tolist()
    return list(data)  # type: ignore[call-overload]


def _bars(content: dict) -> dict[str, float]:
    trace = content["figure"]["data"][0]
    pairs = zip(_values(trace["x"]), _values(trace["y"]), strict=True)
    return {str(k): float(v) for k, v in pairs}


def test_category_filter_changes_every_tile_on_its_dataset_only(
    model_with_two_datasets: DashboardModel,
) -> None:
    model = model_with_two_datasets
    model.add_filter("sales", "region", tile_id="region")
    before_other = model.contents["o"]
    recomputed: list[set[str]] = []
    model.on_content_change(recomputed.append)

    model.set_filter("region", values=["North", "East"])

    assert _bars(model.contents["by_region"]) == {"North": 40.0, "East": 40.0}
    assert model.contents["rows"]["table"]["total_rows"] == 3
    assert recomputed == [{"by_region", "rows", "region"}]
    assert model.contents["o"] is before_other
    assert model.applied_filters() == [{"id": "region", "text": "region: North, East"}]


def test_date_range_includes_the_whole_last_day(sales: pd.DataFrame) -> None:
    item = Filter(
        id="d", dataset="s", column="date", kind="date_range",
        low="2024-01-20", high="2024-02-25",
    )  # fmt: skip
    kept = apply_filters(sales, [item])
    assert kept["revenue"].tolist() == [20.0, 30.0, 40.0]


def test_date_range_on_zone_aware_dates(sales: pd.DataFrame) -> None:
    zoned = sales.assign(date=sales["date"].dt.tz_localize("Europe/Paris"))
    item = Filter(
        id="d", dataset="s", column="date", kind="date_range", low="2024-02-01"
    )
    assert apply_filters(zoned, [item])["revenue"].tolist() == [30.0, 40.0, 50.0]


def test_number_range_drops_missing_and_keeps_bounds() -> None:
    frame = pd.DataFrame({"v": [1.0, None, 5.0, 9.0, float("inf")]})
    item = Filter(id="n", dataset="s", column="v", kind="number_range", low=1, high=5)
    assert apply_filters(frame, [item])["v"].tolist() == [1.0, 5.0]


def test_filter_kinds_are_picked_from_column_types(
    model_with_two_datasets: DashboardModel,
) -> None:
    model = model_with_two_datasets
    kinds = [model.add_filter("sales", c).kind for c in ("date", "region", "revenue")]
    assert kinds == ["date_range", "categories", "number_range"]
    content = model.contents["filter-date-1"]["filter"]
    assert (content["min"], content["max"]) == ("2024-01-05", "2024-03-10")
    options = model.contents["filter-region-1"]["filter"]["options"]
    assert sorted(options) == ["East", "North", "South"]


def test_cross_filter_by_clicked_bar_spares_the_clicked_tile(
    model_with_two_datasets: DashboardModel,
) -> None:
    model = model_with_two_datasets
    model.add_chart(
        ChartSpec(kind="pie", dataset="sales", x="region", y="revenue"), tile_id="pie"
    )
    model.cross_filter("by_region", {"x": "South", "y": 70.0})

    assert len(_bars(model.contents["by_region"])) == 3  # the clicked chart: all rows
    assert model.contents["rows"]["table"]["total_rows"] == 2
    pie = model.contents["pie"]["figure"]["data"][0]
    assert _values(pie["labels"]) == ["South"]

    model.cross_filter("by_region", {"x": "South", "y": 70.0})  # again: cleared
    assert model.contents["rows"]["table"]["total_rows"] == 5
    assert model.spec.filters == []


def test_clear_filters_drops_cross_filters_and_selections(
    model_with_two_datasets: DashboardModel,
) -> None:
    model = model_with_two_datasets
    model.add_filter("sales", "revenue", tile_id="rev")
    model.set_filter("rev", low=25, high=45)
    model.cross_filter("by_region", {"x": "North"})
    assert model.contents["rows"]["table"]["total_rows"] == 1

    model.clear_filters()
    assert model.applied_filters() == []
    assert [f.id for f in model.spec.filters] == ["rev"]
    assert model.contents["rows"]["table"]["total_rows"] == 5


def test_filters_survive_the_saved_metadata(
    model_with_two_datasets: DashboardModel,
) -> None:
    model = model_with_two_datasets
    model.add_filter("sales", "region", tile_id="region")
    model.set_filter("region", values=["South"])
    saved = model.spec.to_metadata()
    again = DashboardSpec.from_metadata(saved, "d")
    assert again is not None and again.filters == model.spec.filters


def test_dataset_change_keeps_filters_and_redraws_only_its_tiles(
    model_with_two_datasets: DashboardModel, sales: pd.DataFrame
) -> None:
    model = model_with_two_datasets
    model.add_filter("sales", "region", tile_id="region")
    model.set_filter("region", values=["North"])
    recomputed: list[set[str]] = []
    model.on_content_change(recomputed.append)

    extra = pd.DataFrame(
        {"date": pd.to_datetime(["2024-04-01"]), "region": ["North"], "revenue": [5.0]}
    )
    model.workspace.put("sales", pd.concat([sales, extra], ignore_index=True))

    assert recomputed == [{"by_region", "rows", "region"}]
    assert _bars(model.contents["by_region"]) == {"North": 45.0}


def test_filter_options_are_counted_once_per_dataset_version(
    model_with_two_datasets: DashboardModel,
    sales: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nbdash.dashboard.runtime as runtime

    counted: list[str] = []

    def counting(item: Filter, frame: pd.DataFrame) -> dict:
        counted.append(item.column)
        return filter_options(item, frame)

    filter_options = runtime.filter_options
    monkeypatch.setattr(runtime, "filter_options", counting)
    model = model_with_two_datasets
    model.add_filter("sales", "region", tile_id="region")
    model.set_filter("region", values=["North"])
    model.set_filter("region", values=["South", "East"])
    assert counted == ["region"]
    assert model.contents["region"]["filter"]["options"] == ["North", "South", "East"]

    west = pd.DataFrame(
        {"date": pd.to_datetime(["2024-04-01"] * 3), "region": ["West"] * 3,
         "revenue": [1.0, 2.0, 3.0]}
    )  # fmt: skip
    model.workspace.put("sales", pd.concat([sales, west], ignore_index=True))
    assert counted == ["region", "region"]
    assert model.contents["region"]["filter"]["options"][0] == "West"


def test_kpi_tile_shows_latest_month_against_previous(
    model_with_two_datasets: DashboardModel,
) -> None:
    model = model_with_two_datasets
    chart = ChartSpec(
        kind="kpi", dataset="sales", x="date", y="revenue", agg="sum", bucket="month"
    )
    tile = model.add_kpi(chart, title="Revenue")
    kpi = model.contents[tile.id]["kpi"]
    # March (data up to the 10th): 50. The month is in progress, so February counts
    # up to its 10th too: only the 3 February row, 30. Change (50 - 30) / 30.
    assert (kpi["value"], kpi["previous"]) == (50.0, 30.0)
    assert kpi["change"] == pytest.approx(20 / 30)


def test_insights_tile_lists_sentences(model_with_two_datasets: DashboardModel) -> None:
    tile = model_with_two_datasets.add_insights("sales", title="What changed")
    content = model_with_two_datasets.contents[tile.id]
    assert "insights" in content, content
    assert isinstance(content["insights"]["sentences"], list)


def test_edit_duplicate_and_remove_tiles(
    model_with_two_datasets: DashboardModel,
) -> None:
    model = model_with_two_datasets
    model.edit_tile("by_region", title="Revenue <b>by</b> region", chart={"agg": "max"})
    assert model.spec.tile("by_region").title == "Revenue <b>by</b> region"
    assert _bars(model.contents["by_region"]) == {
        "South": 50.0,
        "East": 40.0,
        "North": 30.0,
    }

    copy = model.duplicate_tile("by_region")
    assert copy.chart == model.spec.tile("by_region").chart
    assert model.spec.layout[copy.id].w == model.spec.layout["by_region"].w
    model.remove_tile(copy.id)
    assert copy.id not in model.contents


def test_bad_edits_say_what_is_allowed(model_with_two_datasets: DashboardModel) -> None:
    model = model_with_two_datasets
    with pytest.raises(SpecError, match=r"Cannot edit chart field.*dataset.*Editable:"):
        model.edit_tile("by_region", chart={"dataset": "other"})
    with pytest.raises(SpecError, match="table tile and has no chart"):
        model.edit_tile("rows", chart={"kind": "line"})
    with pytest.raises(ColumnNotFoundError, match="Revnue"):
        model.add_filter("sales", "Revnue")
    with pytest.raises(SpecError, match=r"no filter 'nope'\. Filters:"):
        model.set_filter("nope", values=["x"])
    with pytest.raises(SpecError, match="only bar, pie and donut"):
        model.cross_filter("rows", {"x": "North"})


def test_wrong_filter_kind_for_column_is_explained(sales: pd.DataFrame) -> None:
    item = Filter(
        id="f", dataset="sales", column="region", kind="date_range", low="2024-01-01"
    )
    with pytest.raises(SpecError, match=r"date range needs a date column.*'region'"):
        item.mask(sales)


def test_markup_in_filter_values_stays_data(sales: pd.DataFrame) -> None:
    label = "<img src=x onerror=alert(1)>"
    frame = sales.assign(region=[label, "South", label, "East", "South"])
    ws = Workspace()
    ws.put("sales", frame)
    model = DashboardModel(DashboardSpec(name="d"), ws)
    model.add_filter("sales", "region", tile_id="region")
    model.set_filter("region", values=[label])
    assert model.contents["region"]["filter"]["values"] == [label]
    assert model.applied_filters()[0]["text"] == f"region: {label}"

    # A click on the bar names the label as plotly shows it: escaped.
    model.clear_filters()
    model.add_chart(ChartSpec(kind="bar", dataset="sales", x="region"), tile_id="bars")
    model.add_table("sales", tile_id="rows")
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    model.cross_filter("bars", {"x": escaped})
    assert model.contents["rows"]["table"]["total_rows"] == 2


def test_list_dashboards_reads_names_from_the_notebook(tmp_path) -> None:
    path = tmp_path / "n.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["nbdash"] = DashboardSpec(name="b").to_metadata(
        DashboardSpec(name="a").to_metadata()
    )
    nbformat.write(notebook, path)
    assert list_dashboards(path) == ["a", "b"]
