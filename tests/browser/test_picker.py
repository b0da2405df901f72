"""The chart picker in JupyterLab: pick a suggestion, add it to a dashboard, zoom."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from harness import (
    Server,
    has_nbdash_extension,
    open_notebook,
    run_all_cells,
    screenshot,
    wait_for_kernel_idle,
    write_notebook,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

SETUP_CELL = """
import numpy as np
import pandas as pd
import nbdash
from nbdash.workspace import Workspace

ws = Workspace()
days = pd.date_range("2024-01-01", periods=120, freq="D")
regions = ["North", "South", "East", "<b>West</b>"]
ws.put("sales", pd.DataFrame({
    "date": days,
    "region": [regions[i % 4] for i in range(120)],
    "revenue": [float(10 + (i % 4) * 5 + i % 7) for i in range(120)],
}))
dash = nbdash.Dashboard("sales board", workspace=ws)
picker = nbdash.ChartPicker("sales", dashboard=dash, workspace=ws)
picker
"""

DASHBOARD_CELL = "dash"

SIGNAL_CELL = """
n = 200_000
ws.put("signal", pd.DataFrame({
    "t": np.arange(n, dtype=float),
    "v": np.sin(np.arange(n) / 2000.0) + (np.arange(n) == 123_456) * 9.0,
}))
zoomer = nbdash.ChartPicker("signal", workspace=ws)
zoomer.spec = {"kind": "line", "x": "t", "y": "v"}
zoomer
"""

# Points drawn by the first line trace of the n-th picker's plot (plotly decodes the
# typed arrays into _fullData).
# Whether the n-th picker's plot shows a range the user chose (a drag-zoom).
ZOOMED = """
(index) => {
  const plot = document.querySelectorAll('.nbd-picker .nbd-plot')[index];
  return Boolean(plot && plot.layout && plot.layout.xaxis
    && plot.layout.xaxis.autorange === false);
}
"""


def _drag_zoom(page: Any, index: int, start: float, end: float) -> None:
    """Drag across the n-th picker's plot from one fraction of its width to another."""
    zoom_box = page.locator(".nbd-picker .nbd-plot").nth(index).locator(".nsewdrag")
    zoom_box.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the scroll and any layout pass settle
    box = zoom_box.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    # About 12 pixels: more than plotly's 8-pixel minimum for a drag-zoom.
    page.mouse.move(box["x"] + box["width"] * end, y, steps=8)
    page.mouse.up()


LINE_POINTS = """
(index) => {
  const plot = document.querySelectorAll('.nbd-picker .nbd-plot')[index];
  const trace = plot && plot._fullData && plot._fullData[0];
  return trace ? trace.x.length : -1;
}
"""


def _regions_on_axis(page: Any, container: str) -> list[str]:
    ticks = page.locator(f"{container} .xaxislayer-above .xtick text")
    return [ticks.nth(i).text_content() or "" for i in range(ticks.count())]


def test_pick_a_suggestion_and_add_it_to_the_dashboard(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(
        notebook_dir / "picker.ipynb", [("code", SETUP_CELL), ("code", DASHBOARD_CELL)]
    )
    open_notebook(page, lab_server, "picker.ipynb")
    assert has_nbdash_extension(page), "nbdash's JupyterLab extension is not active"
    run_all_cells(page)

    cards = page.locator(".nbd-picker .nbd-suggestion")
    cards.first.wait_for()
    page.locator(".nbd-picker .nbd-thumb .main-svg").first.wait_for()
    bar_card = cards.filter(has_text="Revenue by region").first
    bar_card.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.nbd-picker .nbd-plot .bars .point').length"
        " === 4"
    )
    assert sorted(_regions_on_axis(page, ".nbd-picker .nbd-plot")) == sorted(
        ["North", "South", "East", "<b>West</b>"]
    ), "the HTML label is shown as text"
    screenshot(page, "picker_suggestion_chosen")
    _check_exports(page)

    page.locator(".nbd-picker button", has_text="Add to dashboard").click()
    page.locator(".nbd-picker .nbd-status", has_text="Added").wait_for()
    tile = page.locator(".nbdash-dashboard .grid-stack-item").filter(
        has=page.locator(".nbdash-tile-title", has_text="Revenue by region")
    )
    tile.locator(".main-svg .bars .point").first.wait_for()
    assert tile.locator(".main-svg .bars .point").count() == 4
    assert "<b>West</b>" in _regions_on_axis(page, ".nbdash-dashboard")
    tile.scroll_into_view_if_needed()
    _assert_fits(tile)
    screenshot(page, "picker_added_to_dashboard")


def _expected_sums() -> dict[str, float]:
    """Revenue per region of SETUP_CELL's data, summed here by hand."""
    regions = ["North", "South", "East", "<b>West</b>"]
    sums = dict.fromkeys(regions, 0.0)
    for i in range(120):
        sums[regions[i % 4]] += float(10 + (i % 4) * 5 + i % 7)
    return sums


def _check_exports(page: Any) -> None:
    """ "Download data" gives the bars' CSV; "SVG" an image with the label as text."""
    with page.expect_download() as csv_download:
        page.locator(".nbd-picker button", has_text="Download data").click()
    rows = Path(csv_download.value.path()).read_text().splitlines()
    assert rows[0] == "region,revenue"
    sums = {line.rsplit(",", 1)[0]: float(line.rsplit(",", 1)[1]) for line in rows[1:]}
    assert sums == _expected_sums()

    with page.expect_download() as svg_download:
        page.locator(".nbd-picker button", has_text="SVG").click()
    assert svg_download.value.suggested_filename.endswith(".svg")
    svg = Path(svg_download.value.path()).read_text()
    assert svg.startswith("<svg") and "<b>" not in svg
    # The tick label is the text "<b>West</b>", written with XML character entities.
    assert re.search(r">(&lt;|&#60;)b(&gt;|&#62;)West(&lt;|&#60;)/b", svg), svg[:2000]


def _assert_fits(tile: Any) -> None:
    """The chart's drawing stays inside its tile (no overflow, no cut-off axis)."""
    outer = tile.bounding_box()
    svg = tile.locator(".main-svg").first.bounding_box()
    assert svg["x"] >= outer["x"] - 1 and svg["y"] >= outer["y"] - 1
    assert svg["x"] + svg["width"] <= outer["x"] + outer["width"] + 1
    assert svg["y"] + svg["height"] <= outer["y"] + outer["height"] + 1


def test_zoom_resamples_a_long_line(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(
        notebook_dir / "zoom.ipynb", [("code", SETUP_CELL), ("code", SIGNAL_CELL)]
    )
    open_notebook(page, lab_server, "zoom.ipynb")
    run_all_cells(page)
    page.wait_for_function(f"() => ({LINE_POINTS})(1) > 0")
    wait_for_kernel_idle(page)
    before = page.evaluate(LINE_POINTS, 1)
    assert 0 < before <= 4000

    # Drag-zoom to about 4,000 of the 200,000 points. A drag that lands while the
    # page still moves (a late layout pass, the scroll) is not a zoom for plotly:
    # the range stays on autorange, so drag again.
    for attempt in range(3):
        _drag_zoom(page, 1, 0.61, 0.63)
        try:
            page.wait_for_function(ZOOMED, arg=1, timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise

    # The zoomed data starts inside the range (one point before it), not at t = 0;
    # its length alone can equal the first draw's (both at the point budget).
    page.wait_for_function(
        """() => {
          const plot = document.querySelectorAll('.nbd-picker .nbd-plot')[1];
          const trace = plot && plot._fullData && plot._fullData[0];
          return Boolean(trace) && trace.x.length > 0 && trace.x[0] > 0;
        }"""
    )
    x = page.evaluate(
        """() => {
          const plot = document.querySelectorAll('.nbd-picker .nbd-plot')[1];
          const xs = Array.from(plot._fullData[0].x);
          return [xs.length, xs[1] - xs[0], plot.layout.xaxis.range];
        }"""
    )
    count, step, visible = x
    width = visible[1] - visible[0]
    assert width < 10_000
    if width < 3_900:
        assert step == 1.0, "full resolution inside the zoomed range"
    else:
        assert 3_000 < count <= 4000, "as many points as the budget allows"
    screenshot(page, "picker_zoomed")


HOSTILE_CELL = """
import pandas as pd
import nbdash
from nbdash.workspace import Workspace

ws = Workspace()
n = 50
ws.put("hostile", pd.DataFrame({
    "order id": range(n),
    'say "hi"': ["+1+2", "=cmd|' /C calc'!A0"] * (n // 2),
    "multi\\nline": ["<img src=x onerror=alert(1)>"] * n,
    "日本語 列": ["東京", "<script>alert(2)</script>"] * (n // 2),
    "<b>bold</b>": ["@SUM(A1:A2)"] * n,
    "amount": [i * 1.5 for i in range(n)],
}))
# The same columns with the amounts as text: only counts of rows to chart.
ws.put("hostile_text", ws.get("hostile").astype({"amount": str}))
picker = nbdash.ChartPicker("hostile", workspace=ws)
display(picker)
nbdash.ChartPicker("hostile_text", workspace=ws)
"""


def test_thumbnails_draw_for_odd_column_names(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    """Both pickers' cards get thumbnails: the second one renders with plotly loaded
    already, before the notebook attaches its view (its cards used to stay blank)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    write_notebook(notebook_dir / "hostile.ipynb", [("code", HOSTILE_CELL)])
    open_notebook(page, lab_server, "hostile.ipynb")
    run_all_cells(page)

    cards = page.locator(".nbd-picker .nbd-suggestion")
    cards.first.wait_for()
    page.locator(".nbd-picker .nbd-plot .main-svg").nth(1).wait_for()
    page.wait_for_function(
        """() => {
          const thumbs = document.querySelectorAll('.nbd-picker .nbd-thumb');
          return thumbs.length > 0
            && Array.from(thumbs).every((t) => t.querySelector('.main-svg'));
        }""",
        timeout=20_000,
    )
    titles = [cards.nth(i).text_content() or "" for i in range(cards.count())]
    assert any('say "hi"' in title for title in titles), titles
    assert any("日本語 列" in title for title in titles), titles
    assert errors == [], errors
    screenshot(page, "picker_hostile_thumbnails")
