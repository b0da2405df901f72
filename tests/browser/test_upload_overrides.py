"""Override what was detected in the Upload widget and re-read without re-uploading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from harness import Server, open_notebook, run_all_cells, screenshot, write_notebook

UPLOAD_CELL = """
import nbdash
from nbdash.store import Store
from nbdash.workspace import Workspace

workspace = Workspace(store=Store(".nbdash"))
upload = nbdash.Upload(workspace=workspace, dataset="eu")
upload
"""

# Semicolons, decimal commas, one bad amount, codes with leading zeros, and a name
# that must reach the page as text.
EU_CSV = (
    "order;day;amount;code;<b>note</b>\n"
    "1;03/04/2024;1,5;007;<img src=x onerror=alert(1)>\n"
    "2;25/12/2024;2,25;012;plain\n"
    "3;01/02/2024;oops;100;plain\n"
)


def test_change_types_and_delimiter_then_reread(
    lab_server: Server, notebook_dir: Path, page: Any, tmp_path: Path
) -> None:
    source = tmp_path / "eu-orders.csv"
    source.write_text(EU_CSV, encoding="utf-8")
    write_notebook(notebook_dir / "overrides.ipynb", [("code", UPLOAD_CELL)])

    open_notebook(page, lab_server, "overrides.ipynb")
    run_all_cells(page)
    widget = page.locator(".nbdash-upload")
    widget.wait_for()
    widget.locator("input[type=file]").set_input_files(str(source))
    widget.get_by_role("button", name="Upload", exact=True).click()
    report = widget.locator(".report")
    report.get_by_text("eu-orders.csv → eu: 3 rows, 5 columns", exact=False).wait_for(
        timeout=60_000
    )
    screenshot(page, "upload_overrides_detected")

    assert report.locator("th", has_text="<b>note</b>").count() == 0
    assert report.locator("td", has_text="<b>note</b>").count() == 2  # name, in file
    assert page.locator("img[src=x]").count() == 0
    first = _stored(notebook_dir)
    assert first["amount"].tolist() == ["1,5", "2,25", "oops"]
    assert first["code"].tolist() == ["007", "012", "100"]

    report.locator("select.kind[data-column=amount]").select_option("number")
    report.locator("select.kind[data-column=code]").select_option("integer")
    report.locator("select.delimiter").select_option(";")
    report.get_by_role("button", name="Re-read").click()
    report.get_by_text("integer (int64) chosen").wait_for(timeout=60_000)
    screenshot(page, "upload_overrides_reread")

    second = _stored(notebook_dir)
    assert second["code"].tolist() == [7, 12, 100]
    assert second["amount"].tolist()[:2] == [1.5, 2.25]
    assert pd.isna(second["amount"][2])
    amount_row = report.locator("tr", has=page.locator("td", has_text="amount")).first
    assert "4" in amount_row.inner_text()  # the line of 'oops'
    assert len(list((notebook_dir / ".nbdash" / "eu").glob("*.parquet"))) == 2


def _stored(notebook_dir: Path) -> pd.DataFrame:
    files = sorted(
        (notebook_dir / ".nbdash" / "eu").glob("*.parquet"),
        key=lambda path: path.stat().st_mtime,
    )
    assert files, "no Parquet file written for dataset 'eu'"
    return pd.read_parquet(files[-1])
