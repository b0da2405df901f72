"""Upload an Excel workbook whose first sheet is a cover, choose the data sheet and a
column's type in the widget, and re-read without uploading again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from harness import Server, open_notebook, run_all_cells, screenshot, write_notebook

UPLOAD_CELL = """
import nbdash
from nbdash.store import Store
from nbdash.workspace import Workspace

workspace = Workspace(store=Store(".nbdash"))
upload = nbdash.Upload(workspace=workspace, dataset="acme")
upload
"""


def write_workbook(path: Path) -> None:
    """A cover sheet, then invoices under two title rows; one invoice id is odd."""
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    book.active.append(["Acme Ltd: the invoices are on the next sheet"])
    sheet = book.create_sheet("Invoices")
    for row in (
        ["Acme Ltd"],
        ["Invoices, March 2024"],
        [],
        ["Invoice", "Date", "Amount"],
        ["00123", "04/03/2024", 1234.0],
        ["00124", "31/03/2024", 99.5],
        ["0012x", "15/03/2024", 5],
    ):
        sheet.append(row)
    book.save(path)


def test_choose_a_sheet_and_a_type_then_reread(
    lab_server: Server, notebook_dir: Path, page: Any, tmp_path: Path
) -> None:
    source = tmp_path / "acme.xlsx"
    write_workbook(source)
    write_notebook(notebook_dir / "excel.ipynb", [("code", UPLOAD_CELL)])

    open_notebook(page, lab_server, "excel.ipynb")
    run_all_cells(page)
    widget = page.locator(".nbdash-upload")
    widget.wait_for()
    widget.locator("input[type=file]").set_input_files(str(source))
    widget.get_by_role("button", name="Upload", exact=True).click()

    # The cover sheet holds no table: the read fails, and the form offers the sheets.
    widget.get_by_text("Reading failed: change the read options").wait_for(
        timeout=60_000
    )
    report = widget.locator(".report")
    sheet = report.locator("select.sheet")
    sheet.wait_for()
    options = sheet.locator("option").all_inner_texts()
    assert options == ["Cover", "Invoices"]
    # Delimiter and encoding mean nothing for a workbook.
    assert report.locator("select.delimiter").count() == 0
    assert report.locator("input.encoding").count() == 0
    screenshot(page, "upload_excel_cover_sheet")

    sheet.select_option("Invoices")
    report.get_by_role("button", name="Re-read").click()
    report.get_by_text("acme.xlsx → acme: 3 rows, 3 columns", exact=False).wait_for(
        timeout=60_000
    )
    first = _stored(notebook_dir)
    assert first["Invoice"].tolist() == ["00123", "00124", "0012x"]
    assert first["Amount"].tolist() == [1234.0, 99.5, 5.0]
    assert first["Date"].tolist() == [
        pd.Timestamp(2024, 3, 4),
        pd.Timestamp(2024, 3, 31),
        pd.Timestamp(2024, 3, 15),
    ]

    report.locator("select.kind[data-column=Invoice]").select_option("integer")
    assert report.locator("select.sheet").input_value() == "Invoices"
    report.get_by_role("button", name="Re-read").click()
    report.get_by_text("integer (int64) chosen").wait_for(timeout=60_000)
    screenshot(page, "upload_excel_reread")

    second = _stored(notebook_dir)
    assert second["Invoice"].tolist()[:2] == [123, 124]
    assert pd.isna(second["Invoice"][2])
    # The odd id is reported at its sheet row: the header is row 4, so row 7.
    invoice_row = report.locator("tr", has=page.locator("td", has_text="Invoice"))
    assert "7" in invoice_row.first.inner_text()
    assert (
        report.get_by_text("row 7, column Invoice: '0012x'", exact=False).count() == 1
    )


def _stored(notebook_dir: Path) -> pd.DataFrame:
    files = sorted(
        (notebook_dir / ".nbdash" / "acme").glob("*.parquet"),
        key=lambda path: path.stat().st_mtime,
    )
    assert files, "no Parquet file written for dataset 'acme'"
    return pd.read_parquet(files[-1])
