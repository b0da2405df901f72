"""Drag a dashboard tile in JupyterLab, save, and find the new layout in the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from harness import (
    Server,
    has_nbdash_extension,
    open_notebook,
    run_all_cells,
    save_notebook,
    write_notebook,
)

DASHBOARD_CELL = """
import nbdash
from nbdash.workspace import Workspace

dash = nbdash.Dashboard("weekly", workspace=Workspace())
dash.add_text("North grew 12% in March.", title="Notes", tile_id="notes")
dash.add_text("Delays fell by a third.", title="Logistics", tile_id="logistics")
dash
"""

# Reads gridstack's own attributes: the positions the user sees.
DOM_LAYOUT = """
() => Object.fromEntries([...document.querySelectorAll(
    '.nbdash-dashboard .grid-stack-item')].map((item) => [
      item.getAttribute('gs-id'),
      ['x', 'y', 'w', 'h'].map((key) => Number(item.getAttribute('gs-' + key) || 0)),
    ]))
"""

LIVE_LAYOUT = """
(tileId) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const saved = panel.context.model.getMetadata('nbdash');
  const spec = saved && saved.dashboards && saved.dashboards.weekly;
  return spec && spec.layout ? spec.layout[tileId] || null : null;
}
"""


def _tile(page: Any, title: str) -> Any:
    return page.locator(".nbdash-dashboard .grid-stack-item").filter(
        has=page.locator(".nbdash-tile-title", has_text=title)
    )


def _drag_title(page: Any, title: str, to_x: float, to_y: float) -> None:
    handle = _tile(page, title).locator(".nbdash-tile-title")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(to_x, to_y, steps=25)
    page.wait_for_timeout(300)
    page.mouse.up()


def test_dragged_tile_layout_is_saved_in_notebook(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    notebook = write_notebook(notebook_dir / "layout.ipynb", [("code", DASHBOARD_CELL)])
    open_notebook(page, lab_server, "layout.ipynb")
    assert has_nbdash_extension(page), "nbdash's JupyterLab extension is not active"
    run_all_cells(page)
    _tile(page, "Notes").wait_for()
    _tile(page, "Logistics").wait_for()
    before = page.evaluate(DOM_LAYOUT)
    assert before["notes"][0] == 0 and before["logistics"][0] == 6

    grid = page.locator(".nbdash-dashboard .grid-stack").bounding_box()
    target = _tile(page, "Logistics").bounding_box()
    _drag_title(page, "Notes", grid["x"] + grid["width"] * 0.8, target["y"] + 15)

    moved = f"() => ({LIVE_LAYOUT})('notes')?.x === 6"
    page.wait_for_function(moved)
    after = page.evaluate(DOM_LAYOUT)
    save_notebook(page)

    saved = nbformat.read(notebook, as_version=4).metadata["nbdash"]
    layout = saved["dashboards"]["weekly"]["layout"]
    assert after["notes"][0] == 6
    for tile_id in ("notes", "logistics"):
        place = layout[tile_id]
        assert [place["x"], place["y"], place["w"], place["h"]] == after[tile_id]
