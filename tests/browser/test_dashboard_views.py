"""Dashboard views in JupyterLab: theme switch, full screen, the edit form, a narrow
screen, long category labels in a small tile, and a tile added below the fold. One
JupyterLab for the module."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import (
    SCREENSHOTS,
    Server,
    check_full_screen_round_trip,
    free_port,
    lab_command,
    open_notebook,
    run_all_cells,
    start_server,
    tile_screen,
    write_notebook,
)

pytestmark = pytest.mark.browser

LONG_LABEL = "Refurbished espresso machines and grinders"

DASHBOARD_CELL = f"""
import pandas as pd
import nbdash
from nbdash.charts import ChartSpec
from nbdash.workspace import Workspace

ws = Workspace()
ws.put("sales", pd.DataFrame({{
    "product": ["Tea", "{LONG_LABEL}", "Cake", "Tea", "Cake"],
    "revenue": [10.0, 20.0, 30.0, 40.0, 50.0],
}}))
dash = nbdash.Dashboard("views", workspace=ws)
dash.add_chart(ChartSpec(kind="bar", dataset="sales", x="product", y="revenue"),
               title="Revenue by product", tile_id="bars")
dash.add_text("Notes on the month.", title="Notes", tile_id="notes")
dash.add_table("sales", title="Rows", tile_id="rows")
dash
"""

# A dashboard taller than the window, and a chart picker above it that adds to it.
LONG_SETUP_CELL = """
import pandas as pd
import nbdash
from nbdash.charts import ChartSpec
from nbdash.workspace import Workspace

ws = Workspace()
ws.put("sales", pd.DataFrame({"product": ["Tea", "Cake", "Pie"],
                              "revenue": [10.0, 20.0, 30.0]}))
long = nbdash.Dashboard("long", workspace=ws)
long.add_chart(ChartSpec(kind="bar", dataset="sales", x="product", y="revenue"),
               title="Revenue", tile_id="bars")
for i in range(6):
    long.add_text(f"Note {i}.", title=f"Note {i}", tile_id=f"note{i}")
long.model.update_layout([{"id": f"note{i}", "x": 0, "y": 4 + 3 * i, "w": 12, "h": 3}
                          for i in range(6)])
picker = nbdash.ChartPicker("sales", dashboard=long, workspace=ws)
picker.spec = {"kind": "bar", "x": "product", "y": "revenue", "title": "Picked"}
"""

# Each tile's id, whether it is highlighted as new, its animation, outline style, and
# whether it is wholly inside the notebook's scrolled area.
TILES_SEEN = """
() => {
  const scroller = document.querySelector(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
  const area = scroller.getBoundingClientRect();
  return [...document.querySelectorAll('.nbdash-dashboard .grid-stack-item')].map(
    (item) => {
      const frame = item.querySelector('.grid-stack-item-content');
      const box = item.getBoundingClientRect();
      const style = getComputedStyle(frame);
      return {id: item.getAttribute('gs-id'),
              fresh: frame.classList.contains('nbdash-tile-new'),
              animation: style.animationName, outline: style.outlineStyle,
              visible: box.top >= area.top - 1 && box.bottom <= area.bottom + 1};
    });
}
"""

# The chart's background as plotly drew it, and the tile frame's background.
COLOURS = """
() => {
  const item = document.querySelector(
    '.nbdash-dashboard .grid-stack-item[gs-id="bars"]');
  const chart = item.querySelector('.nbdash-chart');
  const frame = item.querySelector('.grid-stack-item-content');
  // Any CSS colour ("white", "#111") as the browser's "rgb(r, g, b)".
  const rgb = (colour) => {
    const probe = document.createElement('div');
    probe.style.color = colour;
    document.body.appendChild(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
  };
  return {paper: rgb(chart._fullLayout.paper_bgcolor),
          tile: rgb(getComputedStyle(frame).backgroundColor)};
}
"""

# Boxes of the x axis title and of every x tick label of the bar chart.
AXIS_BOXES = """
() => {
  const chart = document.querySelector(
    '.nbdash-dashboard .grid-stack-item[gs-id="bars"] .nbdash-chart');
  const box = (node) => { const r = node.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; };
  return {title: box(chart.querySelector('.g-xtitle text')),
          ticks: [...chart.querySelectorAll('.xtick text')].map(box),
          texts: [...chart.querySelectorAll('.xtick text')].map((t) => t.textContent),
          chart: box(chart)};
}
"""


@pytest.fixture(scope="module")
def shared_lab(
    chromium_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One JupyterLab for every test of this module (a start takes 20-40 s)."""
    folder = tmp_path_factory.mktemp("views")
    port, token = free_port(), secrets.token_hex(16)
    server = start_server(
        "lab", lab_command(folder, port, token), folder, port, token, "api/status"
    )
    yield server
    server.stop()


def _open(page: Any, server: Server, name: str) -> None:
    write_notebook(server.root / name, [("code", DASHBOARD_CELL)])
    # ?reset: JupyterLab would restore the previous test's notebook tab beside it.
    open_notebook(page, server, f"{name}?reset")
    run_all_cells(page)
    _tile(page, "bars").locator('.nbdash-chart[data-drawn="true"]').wait_for()
    _tile(page, "rows").locator("tbody tr").first.wait_for()


def _tile(page: Any, tile_id: str) -> Any:
    return page.locator(f'.nbdash-dashboard .grid-stack-item[gs-id="{tile_id}"]')


def _overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_long_label_theme_full_screen_and_edit_form(
    shared_lab: Server, page: Any
) -> None:
    _open(page, shared_lab, "views.ipynb")

    # A long slanted label is shortened and stays clear of the axis title.
    axis = page.evaluate(AXIS_BOXES)
    assert f"{LONG_LABEL[:13]}\u2026" in axis["texts"]
    assert LONG_LABEL not in axis["texts"]
    assert not any(_overlaps(tick, axis["title"]) for tick in axis["ticks"])
    assert axis["title"][3] <= axis["chart"][3] + 1  # the title is inside the tile

    # Light -> dark: the chart and the tile are re-coloured.
    light = page.evaluate(COLOURS)
    page.evaluate("() => window.jupyterapp.commands.execute("
                  "'apputils:change-theme', {theme: 'JupyterLab Dark'})")  # fmt: skip
    page.wait_for_function(f"(light) => ({COLOURS})().paper !== light.paper", arg=light)
    page.wait_for_function(f"(light) => ({COLOURS})().tile !== light.tile", arg=light)
    dark = page.evaluate(COLOURS)
    assert _brightness(dark["paper"]) < _brightness(light["paper"]) - 100
    assert _brightness(dark["tile"]) < _brightness(light["tile"]) - 100
    page.screenshot(path=str(SCREENSHOTS / "dashboard_dark_theme.png"))

    # Full screen: the browser's, over the whole window (not only the notebook panel,
    # whose layout contains fixed children); Esc gives the tile back to the grid.
    check_full_screen_round_trip(page, "bars", "dashboard_full_screen")
    # When the browser refuses its Fullscreen API, the tile is a fixed overlay.
    page.evaluate("() => { Element.prototype.requestFullscreen = () =>"
                  " Promise.reject(new TypeError('refused')); }")  # fmt: skip
    small = _tile(page, "bars").locator(".nbdash-chart").bounding_box()
    _tile(page, "bars").get_by_role("button", name="Full screen").click()
    page.wait_for_function(
        "(width) => document.querySelector("
        "'.nbdash-fullscreen .nbdash-chart .main-svg')"
        "?.getBoundingClientRect().width > width * 1.5",
        arg=small["width"],
    )
    assert tile_screen(page, "bars")["api"] is False
    panel = page.locator(".jp-NotebookPanel:visible").bounding_box()
    frame = page.locator(".nbdash-fullscreen").bounding_box()
    assert frame["width"] > panel["width"] * 0.9
    page.screenshot(path=str(SCREENSHOTS / "dashboard_full_screen_overlay.png"))
    page.keyboard.press("Escape")
    page.locator(".nbdash-fullscreen").wait_for(state="detached")

    # The edit form: a new title and a pie instead of bars reach the kernel and redraw.
    _tile(page, "bars").get_by_role("button", name="Edit tile").click()
    form = _tile(page, "bars").locator("form.nbdash-edit")
    form.locator('input[name="title"]').fill("Share by product")
    form.locator('select[name="kind"]').select_option("pie")
    page.screenshot(path=str(SCREENSHOTS / "dashboard_edit_form.png"))
    form.get_by_role("button", name="Save").click()
    _tile(page, "bars").locator(
        ".nbdash-tile-title", has_text="Share by product"
    ).wait_for()
    _tile(page, "bars").locator(
        '.nbdash-chart[data-drawn="true"] .slice'
    ).first.wait_for()
    assert _tile(page, "bars").locator(".slice").count() == 3


def test_narrow_screen_shows_one_column(shared_lab: Server, page: Any) -> None:
    page.set_viewport_size({"width": 900, "height": 1000})
    _open(page, shared_lab, "narrow.ipynb")
    page.evaluate(
        "() => window.jupyterapp.commands.execute('application:toggle-left-area')"
    )
    wide = _tile(page, "notes").bounding_box()

    page.set_viewport_size({"width": 560, "height": 1000})
    grid = page.locator(".nbdash-dashboard .grid-stack")
    page.wait_for_function(
        "() => document.querySelector('.nbdash-dashboard .grid-stack')"
        ".getBoundingClientRect().width < 700"
    )
    page.wait_for_timeout(500)  # gridstack re-lays out on its resize observer
    width = grid.bounding_box()["width"]
    boxes = [_tile(page, tile).bounding_box() for tile in ("bars", "notes", "rows")]
    for box in boxes:
        assert box["width"] > width * 0.9, f"a tile is {box['width']} of {width} px"
    tops = sorted(box["y"] for box in boxes)
    assert tops[0] < tops[1] < tops[2]  # one under the other
    assert wide["width"] < width * 0.9 or wide["x"] > boxes[1]["x"] + 10
    page.screenshot(path=str(SCREENSHOTS / "dashboard_narrow.png"))


def test_a_tile_the_user_adds_is_scrolled_to_and_highlighted(
    shared_lab: Server, page: Any
) -> None:
    cells = [("code", LONG_SETUP_CELL), ("code", "picker"), ("code", "long")]
    write_notebook(shared_lab.root / "long.ipynb", cells)
    open_notebook(page, shared_lab, "long.ipynb?reset")
    run_all_cells(page)
    _tile(page, "bars").locator('.nbdash-chart[data-drawn="true"]').wait_for()
    page.wait_for_timeout(500)

    # The saved tiles drawn on load are not highlighted, nor scrolled to.
    tiles = page.evaluate(TILES_SEEN)
    assert len(tiles) == 7 and not any(tile["fresh"] for tile in tiles)
    assert not tiles[-1]["visible"], "the dashboard should end below the fold"

    # Duplicate: the copy lands at the bottom, is scrolled to and flashes.
    _tile(page, "bars").get_by_role("button", name="Duplicate tile").click()
    copy = _wait_for_new_tile(page, {tile["id"] for tile in tiles})
    assert copy["animation"] == "nbdash-tile-flash" and copy["outline"] == "solid"
    page.screenshot(path=str(SCREENSHOTS / "dashboard_duplicate_revealed.png"))
    page.wait_for_function(
        f"(id) => ({TILES_SEEN})().every((t) => t.id !== id || !t.fresh)",
        arg=copy["id"],
    )

    # "Add to dashboard" in the picker above: the new tile is far below; with reduced
    # motion the outline stays still.
    page.emulate_media(reduced_motion="reduce")
    known = {tile["id"] for tile in page.evaluate(TILES_SEEN)}
    page.locator(".nbd-picker button", has_text="Add to dashboard").click()
    page.locator(".nbd-picker .nbd-status", has_text="Added").wait_for()
    added = _wait_for_new_tile(page, known)
    assert added["animation"] == "none" and added["outline"] == "solid"
    title = page.locator(f'.grid-stack-item[gs-id="{added["id"]}"] .nbdash-tile-title')
    assert title.text_content() == "Picked"
    page.screenshot(path=str(SCREENSHOTS / "dashboard_picker_tile_revealed.png"))


def _wait_for_new_tile(page: Any, known: set[str]) -> dict[str, Any]:
    """The one tile not in ``known``, once it is highlighted and in view."""
    page.wait_for_function(
        f"""(known) => {{
          const fresh = ({TILES_SEEN})().filter((t) => !known.includes(t.id));
          return fresh.length === 1 && fresh[0].fresh && fresh[0].visible;
        }}""",
        arg=sorted(known),
    )
    tiles = page.evaluate(TILES_SEEN)
    assert sum(tile["fresh"] for tile in tiles) == 1
    new: dict[str, Any] = next(tile for tile in tiles if tile["id"] not in known)
    return new


def _brightness(colour: str) -> float:
    # "rgb(r, g, b)" or "rgba(r, g, b, a)", as COLOURS returns them.
    parts = [float(p) for p in colour[colour.index("(") + 1 : -1].split(",")[:3]]
    return sum(parts) / 3
