"""Every step kind's form in JupyterLab, the expression editor, and drag to reorder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import (
    Server,
    open_notebook,
    run_all_cells,
    screenshot,
    wait_for_kernel_idle,
    write_notebook,
)

BUILDER_CELL = """
import pandas as pd
import nbdash
from nbdash.workspace import Workspace

ws = Workspace()
ws.put("sales", pd.DataFrame({
    "region": ["North", "South", "North", "East"],
    "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-02-11", "2024-03-01"]),
    "revenue": [7.5, 4.0, 8.0, 12.5],
}))
ws.put("targets", pd.DataFrame({"region": ["North", "East"], "target": [10, 20]}))
nbdash.TransformBuilder("sales", "forms_out", workspace=ws)
"""

KINDS = [
    "filter", "sort", "top_n", "sample", "drop_duplicates", "select", "drop_columns",
    "rename", "reorder", "cast", "derive", "group", "pivot", "unpivot", "bucket_date",
    "fill_missing", "drop_missing", "drop_missing_columns", "flag_missing", "join",
    "append",
]  # fmt: skip

CARD_TITLES = """
() => [...document.querySelectorAll('.nbd-builder .nbd-card .nbd-card-title')]
  .map((node) => node.textContent)
"""


def _card(page: Any, index: int) -> Any:
    return page.locator(f".nbd-builder .nbd-card[data-step='{index}']")


def _add(page: Any, kind: str, index: int) -> None:
    page.locator(".nbd-builder select.nbd-add").select_option(kind)
    _card(page, index).wait_for()


def _delete_all(page: Any) -> None:
    while page.locator(".nbd-builder .nbd-card").count():
        page.locator(".nbd-builder .nbd-card").last.locator("button.nbd-danger").click()
        page.wait_for_timeout(150)
    page.locator(".nbd-builder .nbd-empty", has_text="No steps yet").wait_for()


def test_every_step_kind_has_a_form(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(notebook_dir / "forms.ipynb", [("code", BUILDER_CELL)])
    open_notebook(page, lab_server, "forms.ipynb")
    run_all_cells(page)
    page.locator(".nbd-builder").wait_for()

    # Each kind on its own over the source, so that each default step is valid.
    for kind in KINDS:
        _add(page, kind, 0)
        assert page.locator(".nbd-builder .nbd-error").text_content() == ""
        assert page.locator("text=Unknown step kind").count() == 0
        if kind == "join":
            join = _card(page, 0)
            assert join.locator("[data-path$='.dataset']").input_value() == "sales"
            options = join.locator("[data-path$='.dataset'] option")
            assert options.all_text_contents() == ["sales", "targets"]
        _delete_all(page)

    # Several at once for the picture: the first dozen kinds chain without errors.
    for index, kind in enumerate(KINDS[:12]):
        _add(page, kind, index)
    assert len(page.evaluate(CARD_TITLES)) == 12
    wait_for_kernel_idle(page)
    page.wait_for_timeout(500)
    errors = page.locator(".nbd-builder .nbd-card-error").all_text_contents()
    assert errors == [], errors
    screenshot(page, "builder-every-kind")


def test_expression_errors_are_marked_and_fixed(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(notebook_dir / "expr.ipynb", [("code", BUILDER_CELL)])
    open_notebook(page, lab_server, "expr.ipynb")
    run_all_cells(page)
    _add(page, "derive", 0)

    # The new step's expression is one column reference: a click selects it, so
    # what the user types replaces it.
    area = _card(page, 0).locator("textarea")
    assert area.input_value() == "[region]"
    area.click()
    page.keyboard.type("revenue * 2")
    assert area.input_value() == "revenue * 2"

    area.fill("revenue * ")
    mark = _card(page, 0).locator("mark.nbd-expr-at")
    mark.wait_for()
    assert mark.text_content() == "*"
    assert "ends too early" in (
        _card(page, 0).locator(".nbd-step-error").text_content() or ""
    )
    screenshot(page, "builder-expression-error")

    area.fill("if(revenue > 5, 'big', 'small')")
    _card(page, 0).locator(".nbd-ok", has_text="gives text").wait_for()
    page.locator(".nbd-builder .nbd-preview th", has_text="new_column").wait_for()
    rows = page.locator(".nbd-builder .nbd-preview tbody tr")
    assert [rows.nth(i).locator("td").last.text_content() for i in range(4)] == [
        "big", "small", "big", "big",
    ]  # fmt: skip


def test_drag_a_step_and_reorder_columns(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(notebook_dir / "drag.ipynb", [("code", BUILDER_CELL)])
    open_notebook(page, lab_server, "drag.ipynb")
    run_all_cells(page)
    _add(page, "filter", 0)
    _add(page, "sort", 1)

    _card(page, 1).locator(".nbd-grip").drag_to(_card(page, 0))

    page.wait_for_function(f"() => ({CARD_TITLES})()[0] === '1. Sort'")
    assert page.evaluate(CARD_TITLES) == ["1. Sort", "2. Filter rows"]

    # Reorder keeps the order given: add a column, then move it above the first.
    _delete_all(page)
    _add(page, "reorder", 0)
    _card(page, 0).locator("button", has_text="+ column").click()
    page.locator("[data-path='s0.columns.1']").wait_for()
    _card(page, 0).locator(".nbd-item").nth(1).locator("button", has_text="↑").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.nbd-builder .nbd-preview th')]
                 .map((th) => th.textContent).join() === 'date,region,revenue'"""
    )


def test_voila_restores_the_saved_pipeline_without_insert(
    voila_server: Any, tmp_path: Path, page: Any
) -> None:
    saved = {
        "source": "sales",
        "steps": [
            {"kind": "sort", "keys": [{"column": "revenue", "ascending": False}]}
        ],
        "disabled": [],
    }
    notebook = write_notebook(
        tmp_path / "published.ipynb",
        [("code", BUILDER_CELL)],
        nbdash={"version": 1, "pipelines": {"forms_out": saved}},
        voila={"template": "nbdash"},
    )
    server = voila_server(notebook)
    page.goto(server.url, timeout=240_000)

    _card(page, 0).wait_for(timeout=240_000)
    first = page.locator(".nbd-builder .nbd-preview tbody tr").first
    first.locator("td", has_text="12.5").wait_for()
    assert page.evaluate(CARD_TITLES) == ["1. Sort"]
    assert page.locator(".nbd-builder .nbd-insert").is_hidden()
    screenshot(page, "builder-voila")
