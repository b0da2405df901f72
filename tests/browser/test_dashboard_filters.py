"""Filters, cross-filters, resizing and HTML export of a dashboard in JupyterLab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from harness import (
    SCREENSHOTS,
    Server,
    open_notebook,
    run_all_cells,
    save_notebook,
    write_notebook,
)

DASHBOARD_CELL = """
import pandas as pd
import nbdash
from nbdash.charts import ChartSpec
from nbdash.workspace import Workspace

ws = Workspace()
ws.put("sales", pd.DataFrame({
    "region": ["North", "South", "North", "East", "South",
               "<img src=x onerror=alert(1)>"],
    "product": ["Tea", "Tea", "Coffee", "Coffee", "Cake", "Cake"],
    "revenue": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
}))
dash = nbdash.Dashboard("shop", workspace=ws)
dash.add_chart(ChartSpec(kind="bar", dataset="sales", x="region", y="revenue"),
               title="Revenue by region", tile_id="by_region")
dash.add_chart(ChartSpec(kind="pie", dataset="sales", x="product", y="revenue"),
               title="Revenue by product", tile_id="by_product")
dash.add_table("sales", title="Rows <b>raw</b>", tile_id="rows")
dash.add_filter("sales", "region", tile_id="region", label="Region")
dash
"""

LIVE_SPEC = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const saved = panel.context.model.getMetadata('nbdash');
  return saved && saved.dashboards ? saved.dashboards.shop : null;
}
"""

# Row count of the table tile and the labels of the pie: what the other tiles show.
TILE_STATE = """
() => {
  const tile = (id) => document.querySelector(
    `.nbdash-dashboard .grid-stack-item[gs-id="${id}"]`);
  const rows = tile('rows').querySelectorAll('tbody tr').length;
  const slices = tile('by_product').querySelectorAll('.slice').length;
  const bars = tile('by_region').querySelectorAll('.bars .point').length;
  return {rows, slices, bars};
}
"""


def _tile(page: Any, tile_id: str) -> Any:
    return page.locator(f'.nbdash-dashboard .grid-stack-item[gs-id="{tile_id}"]')


def _open_dashboard(page: Any, server: Server, notebook_dir: Path) -> Path:
    notebook = write_notebook(notebook_dir / "shop.ipynb", [("code", DASHBOARD_CELL)])
    open_notebook(page, server, "shop.ipynb")
    run_all_cells(page)
    for chart in ("by_region", "by_product"):
        _tile(page, chart).locator('.nbdash-chart[data-drawn="true"]').wait_for()
    _tile(page, "rows").locator("tbody tr").first.wait_for()
    return notebook


def _state_after(page: Any, before: dict[str, int]) -> dict[str, int]:
    page.wait_for_function(
        f"(before) => JSON.stringify(({TILE_STATE})()) !== JSON.stringify(before)",
        arg=before,
    )
    page.wait_for_timeout(300)  # plotly finishes drawing the other charts
    return page.evaluate(TILE_STATE)


def test_filter_and_cross_filter_change_every_dependent_tile(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    _open_dashboard(page, lab_server, notebook_dir)
    start = page.evaluate(TILE_STATE)
    assert start == {"rows": 6, "slices": 3, "bars": 4}
    markup = "<img src=x onerror=alert(1)>"
    assert _tile(page, "region").get_by_text(markup).count() == 1  # shown as text
    assert page.locator(".nbdash-dashboard img").count() == 0

    _tile(page, "region").get_by_label("North").check()
    filtered = _state_after(page, start)
    # North: two rows, products Tea and Coffee, one bar.
    assert filtered == {"rows": 2, "slices": 2, "bars": 1}
    applied = page.locator(".nbdash-applied")
    assert "Region: North" in applied.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "dashboard_filtered.png"), full_page=True)

    applied.get_by_role("button", name="Clear filters").click()
    assert _state_after(page, filtered) == start
    assert applied.is_hidden()

    # Cross-filter: click the South bar; the clicked chart keeps all its bars.
    # Bars are sorted by value: South (70) first. A user's click lands on plotly's
    # drag layer above the bar, so click the page there too.
    south = _tile(page, "by_region").locator(".bars .point").nth(0).bounding_box()
    page.mouse.click(south["x"] + south["width"] / 2, south["y"] + south["height"] - 3)
    crossed = _state_after(page, start)
    assert crossed == {"rows": 2, "slices": 2, "bars": 4}
    assert "region: South" in applied.inner_text()
    page.screenshot(
        path=str(SCREENSHOTS / "dashboard_cross_filtered.png"), full_page=True
    )


def test_resized_tile_layout_is_saved_in_notebook(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    notebook = _open_dashboard(page, lab_server, notebook_dir)
    before = page.evaluate(LIVE_SPEC)["layout"]["rows"]
    handle = _tile(page, "rows").locator(".ui-resizable-se")
    _tile(page, "rows").hover()
    box = handle.bounding_box()
    grid = page.locator(".nbdash-dashboard .grid-stack").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(grid["x"] + grid["width"] - 5, box["y"] + 170, steps=25)
    page.wait_for_timeout(300)
    page.mouse.up()

    page.wait_for_function(
        f"(w) => {{ const s = ({LIVE_SPEC})(); return s && s.layout.rows.w !== w; }}",
        arg=before["w"],
    )
    live = page.evaluate(LIVE_SPEC)["layout"]["rows"]
    save_notebook(page)

    saved = nbformat.read(notebook, as_version=4).metadata["nbdash"]
    place = saved["dashboards"]["shop"]["layout"]["rows"]
    assert place == live and place["w"] > before["w"] and place["h"] > before["h"]
    assert place["x"] + place["w"] == 12


def test_exported_html_opens_from_a_file_with_charts_drawn(
    lab_server: Server, notebook_dir: Path, page: Any, browser: Any, tmp_path: Path
) -> None:
    _open_dashboard(page, lab_server, notebook_dir)
    with page.expect_download() as download:
        page.locator(".nbdash-dashboard .nbdash-export").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "shop.html"

    offline = browser.new_page()
    try:
        offline.goto(target.as_uri())
        offline.locator(".nbdash-plot .main-svg").first.wait_for(timeout=30_000)
        offline.wait_for_timeout(500)
        count = "(p) => p.querySelectorAll('.bars .point, .slice').length"
        drawn = offline.locator(".nbdash-plot").evaluate_all(
            f"(plots) => plots.map({count})"
        )
        assert drawn == [4, 3]
        assert offline.get_by_text("<img src=x onerror=alert(1)>").count() >= 1
        assert offline.locator(".nbdash-tile img").count() == 0
        offline.screenshot(
            path=str(SCREENSHOTS / "dashboard_export_file.png"), full_page=True
        )
    finally:
        offline.close()


DERIVED_CELL = """
import pandas as pd
import nbdash
from nbdash.charts import ChartSpec
from nbdash.transform import Pipeline
from nbdash.workspace import Workspace

ws = Workspace()
ws.put("sales", pd.DataFrame({
    "region": ["North", "South", "North", "East", "South", "East"],
    "product": ["Tea", "Tea", "Coffee", "Coffee", "Cake", "Cake"],
    "revenue": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
}))
# What a TransformBuilder's apply leaves: the output, with its pipeline in the meta.
pipe = Pipeline(source="sales", output="by_product", steps=[{
    "kind": "group", "by": ["product"],
    "aggregations": [{"column": "revenue", "func": "sum", "name": "revenue"}]}])
ws.put("by_product", pipe.run(ws), meta={"pipeline": pipe.model_dump(mode="json")})
dash = nbdash.Dashboard("derived", workspace=ws)
dash.add_chart(ChartSpec(kind="bar", dataset="sales", x="region", y="revenue"),
               title="Revenue by region (orders)", tile_id="by_region")
dash.add_chart(ChartSpec(kind="bar", dataset="by_product", x="product", y="revenue"),
               title="Revenue by product (pipeline output)", tile_id="by_product")
dash.add_filter("sales", "region", tile_id="region", label="Region")
dash
"""

# The bars plotly drew on the derived tile, as {category: height}.
DERIVED_BARS = """
() => {
  const chart = document.querySelector(
    '.nbdash-dashboard .grid-stack-item[gs-id="by_product"] .nbdash-chart');
  const trace = chart && chart._fullData && chart._fullData[0];
  if (!trace) return null;
  const x = Array.from(trace.x), y = Array.from(trace.y);
  return Object.fromEntries(x.map((key, i) => [String(key), Number(y[i])]));
}
"""


def _derived_bars_after(page: Any, before: Any) -> dict[str, float]:
    page.wait_for_function(
        f"(before) => JSON.stringify(({DERIVED_BARS})()) !== JSON.stringify(before)",
        arg=before,
    )
    page.wait_for_timeout(300)
    return page.evaluate(DERIVED_BARS)


def test_source_filter_and_cross_filter_redraw_a_chart_on_a_pipeline_output(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(notebook_dir / "derived.ipynb", [("code", DERIVED_CELL)])
    open_notebook(page, lab_server, "derived.ipynb")
    run_all_cells(page)
    for chart in ("by_region", "by_product"):
        _tile(page, chart).locator('.nbdash-chart[data-drawn="true"]').wait_for()
    start = page.evaluate(DERIVED_BARS)
    assert start == {"Cake": 110.0, "Coffee": 70.0, "Tea": 30.0}

    # North orders by hand: Tea 10, Coffee 30.
    _tile(page, "region").get_by_label("North").check()
    assert _derived_bars_after(page, start) == {"Coffee": 30.0, "Tea": 10.0}
    assert _tile(page, "region").locator(".nbdash-tile-note").count() == 0
    page.screenshot(
        path=str(SCREENSHOTS / "dashboard_derived_filtered.png"), full_page=True
    )

    page.locator(".nbdash-applied").get_by_role("button", name="Clear filters").click()
    assert _derived_bars_after(page, {"Coffee": 30.0, "Tea": 10.0}) == start

    # Click the East bar (East 100 is the tallest, so first): Coffee 40, Cake 60.
    east = _tile(page, "by_region").locator(".bars .point").nth(0).bounding_box()
    page.mouse.click(east["x"] + east["width"] / 2, east["y"] + east["height"] - 3)
    assert _derived_bars_after(page, start) == {"Cake": 60.0, "Coffee": 40.0}
    page.screenshot(
        path=str(SCREENSHOTS / "dashboard_derived_cross_filtered.png"), full_page=True
    )


def test_tile_says_when_a_filter_column_is_gone_from_its_source(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    cell = DERIVED_CELL.replace(
        "\ndash\n",
        # The filter is set, then next month's orders arrive without a region column.
        "\ndash.set_filter('region', values=['North'])\n"
        "ws.put('sales', ws.get('sales').drop(columns='region'))\ndash\n",
    )
    write_notebook(notebook_dir / "gone.ipynb", [("code", cell)])
    open_notebook(page, lab_server, "gone.ipynb")
    run_all_cells(page)
    _tile(page, "by_product").locator('.nbdash-chart[data-drawn="true"]').wait_for()

    # All rows (nothing to filter by), and the tile says which filter missed it.
    assert page.evaluate(DERIVED_BARS) == {"Cake": 110.0, "Coffee": 70.0, "Tea": 30.0}
    note = _tile(page, "by_product").locator(".nbdash-tile-unfiltered")
    assert note.inner_text() == (
        "Not filtered by Region ('sales' has no column 'region')."
    )
    page.screenshot(
        path=str(SCREENSHOTS / "dashboard_derived_unfiltered.png"), full_page=True
    )
