"""The transform builder in JupyterLab: steps, undo/redo, disable, save, code cell."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
from harness import (
    Server,
    has_nbdash_extension,
    open_notebook,
    run_all_cells,
    save_notebook,
    screenshot,
    write_notebook,
)

SALES = {
    "region": ["North", "South", "North", "East"],
    "quantity": [3, 1, 2, 5],
    "revenue": [7.5, 4.0, 8.0, 12.5],
}

BUILDER_CELL = f"""
import pandas as pd
import nbdash
from nbdash.workspace import Workspace

ws = Workspace()
ws.put("sales", pd.DataFrame({SALES!r}))
df = ws.get("sales").copy()
builder = nbdash.TransformBuilder("sales", "by_region", workspace=ws)
builder
"""

LIVE_PIPELINE = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const saved = panel.context.model.getMetadata('nbdash');
  return saved && saved.pipelines ? saved.pipelines.by_region || null : null;
}
"""

CELL_SOURCES = """
() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  return Array.from(
    {length: cells.length}, (_, i) => cells.get(i).sharedModel.getSource());
}
"""

# Runs code in the notebook's kernel and returns what it printed.
KERNEL_PRINT = """
async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  let out = '';
  const future = kernel.requestExecute({code});
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') { out += msg.content.text; }
  };
  await future.done;
  return out;
}
"""


def _card(page: Any, index: int) -> Any:
    return page.locator(f".nbd-builder .nbd-card[data-step='{index}']")


def _rows(page: Any, index: int, text: str) -> None:
    _card(page, index).locator(".nbd-rows", has_text=text).wait_for()


def _add_step(page: Any, kind: str, index: int) -> None:
    page.locator(".nbd-builder select.nbd-add").select_option(kind)
    _card(page, index).wait_for()


def _build_filter_and_group(page: Any) -> None:
    _add_step(page, "filter", 0)
    page.locator("[data-path='s0.0.column']").select_option("quantity")
    page.locator("[data-path='s0.0.op']").select_option(">")
    page.locator("[data-path='s0.0.value']").fill("1")
    _rows(page, 0, "4 → 3 rows")

    _add_step(page, "group", 1)
    _rows(page, 1, "3 → 2 rows")
    page.locator("[data-path='s1.aggregations.0.column']").select_option("revenue")
    page.locator(".nbd-builder .nbd-preview th", has_text="revenue_sum").wait_for()


def _aggregated(page: Any) -> str:
    return str(page.locator("[data-path='s1.aggregations.0.column']").input_value())


def _undo_and_redo(page: Any) -> None:
    undo = page.locator(".nbd-builder button", has_text="Undo")
    redo = page.locator(".nbd-builder button", has_text="Redo")
    undo.click()
    page.wait_for_function(
        "() => document.querySelector(\"[data-path='s1.aggregations.0.column']\")"
        "?.value === 'quantity'"
    )
    redo.click()
    page.locator(".nbd-builder .nbd-preview th", has_text="revenue_sum").wait_for()
    assert _aggregated(page) == "revenue"

    # The same from the keyboard, with the focus on a button of the widget.
    undo.focus()
    page.keyboard.press("Control+z")
    page.locator(".nbd-builder .nbd-preview th", has_text="quantity_sum").wait_for()
    page.keyboard.press("Control+Shift+z")
    page.locator(".nbd-builder .nbd-preview th", has_text="revenue_sum").wait_for()


def test_builder_steps_undo_disable_save_and_code_cell(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    notebook = write_notebook(notebook_dir / "builder.ipynb", [("code", BUILDER_CELL)])
    open_notebook(page, lab_server, "builder.ipynb")
    assert has_nbdash_extension(page), "nbdash's JupyterLab extension is not active"
    run_all_cells(page)
    page.locator(".nbd-builder").wait_for()
    page.locator(".nbd-builder .nbd-insert").wait_for(state="attached")

    _build_filter_and_group(page)
    screenshot(page, "builder-filter-group")
    _undo_and_redo(page)

    page.locator("[data-path='s0.enabled']").uncheck()
    _rows(page, 1, "4 → 3 rows")
    page.wait_for_function(f"() => ({LIVE_PIPELINE})()?.disabled?.[0] === 0")
    screenshot(page, "builder-disabled")
    save_notebook(page)

    saved = nbformat.read(notebook, as_version=4).metadata["nbdash"]["pipelines"]
    pipeline = saved["by_region"]
    assert pipeline["source"] == "sales" and pipeline["disabled"] == [0]
    assert [step["kind"] for step in pipeline["steps"]] == ["filter", "group"]
    assert pipeline["steps"][0]["conditions"][0] == {
        "column": "quantity", "op": ">", "value": 1, "case": True, "period": None,
    }  # fmt: skip
    assert pipeline["steps"][1]["aggregations"][0]["column"] == "revenue"

    _insert_and_run_code(page)
    _rerun_restores(page)


def _insert_and_run_code(page: Any) -> None:
    page.locator(".nbd-builder details.nbd-code-panel > summary").click()
    page.locator(".nbd-builder .nbd-insert").click()
    page.wait_for_function(f"() => ({CELL_SOURCES})().length === 2")
    inserted = page.evaluate(CELL_SOURCES)[1]
    # The builder's workspace is not the default one: the cell says to set df (the
    # notebook did), then holds the pipeline's code.
    assert inserted.startswith("import pandas as pd\n\n# Set df to dataset 'sales'")
    assert "# Pipeline over dataset 'sales' -> 'by_region'" in inserted
    assert "# Step 1 (filter) is disabled and skipped" in inserted

    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    printed = page.evaluate(KERNEL_PRINT, "print(df.to_dict('list'))")
    screenshot(page, "builder-code-cell")

    # Filter off: revenue summed by region over all four rows, keys sorted.
    frame = pd.DataFrame(SALES)
    expected = {
        region: float(frame.loc[frame["region"] == region, "revenue"].sum())
        for region in sorted(set(SALES["region"]))
    }
    result = ast.literal_eval(printed.strip())
    assert dict(zip(result["region"], result["revenue_sum"], strict=True)) == expected


def _rerun_restores(page: Any) -> None:
    run_all_cells(page)
    page.locator(".nbd-builder .nbd-card[data-step='1']").wait_for()
    assert page.locator(".nbd-builder .nbd-card").count() == 2
    assert not page.locator("[data-path='s0.enabled']").is_checked()
    _rows(page, 1, "4 → 3 rows")
    screenshot(page, "builder-restored")
