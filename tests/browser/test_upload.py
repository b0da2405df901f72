"""Upload a multi-megabyte CSV through the Upload widget in JupyterLab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import Server, open_notebook, run_all_cells, write_notebook

ROWS = 80_000

UPLOAD_CELL = """
import nbdash
from nbdash.store import Store
from nbdash.workspace import Workspace

workspace = Workspace(store=Store(".nbdash"))
upload = nbdash.Upload(workspace=workspace, dataset="orders")
upload
"""


def _orders_csv(path: Path) -> pd.DataFrame:
    """Write a deterministic order table of about 3.7 MB; return what was written."""
    rng = np.random.default_rng(20240101)
    frame = pd.DataFrame(
        {
            "order_id": np.arange(1, ROWS + 1),
            "order_date": pd.date_range("2023-01-01", periods=ROWS, freq="13min")
            .strftime("%Y-%m-%d %H:%M")
            .astype(str),
            "region": rng.choice(["North", "South", "East", "West"], size=ROWS),
            "quantity": rng.integers(1, 50, size=ROWS),
            "unit_price": rng.integers(100, 100_000, size=ROWS) / 100,
            "note": rng.choice(["gift wrap", "express", "", "repeat customer"], ROWS),
        }
    )
    frame.to_csv(path, index=False)
    return frame


def test_upload_csv_in_chunks_reaches_the_store(
    lab_server: Server, notebook_dir: Path, page: Any, tmp_path: Path
) -> None:
    source = tmp_path / "orders-2024.csv"
    written = _orders_csv(source)
    size = source.stat().st_size
    assert size > 3 * 1024 * 1024  # several 1 MiB slices
    write_notebook(notebook_dir / "upload.ipynb", [("code", UPLOAD_CELL)])

    open_notebook(page, lab_server, "upload.ipynb")
    run_all_cells(page)
    widget = page.locator(".nbdash-upload")
    widget.wait_for()
    widget.locator("input[type=file]").set_input_files(str(source))
    widget.get_by_role("button", name="Upload").click()

    report = widget.locator(".report")
    summary = f"orders-2024.csv → orders: {ROWS} rows, 6 columns (csv, utf-8"
    report.get_by_text(summary, exact=False).wait_for(timeout=180_000)

    stored = pd.read_parquet(_latest_parquet(notebook_dir / ".nbdash" / "orders"))
    assert len(stored) == ROWS
    assert int(stored["quantity"].sum()) == int(written["quantity"].sum())
    assert round(float(stored["unit_price"].sum()), 2) == round(
        float(written["unit_price"].sum()), 2
    )
    assert stored["region"].value_counts().to_dict() == (
        written["region"].value_counts().to_dict()
    )


def _latest_parquet(folder: Path) -> Path:
    files = sorted(folder.glob("*.parquet"), key=lambda path: path.stat().st_mtime)
    assert files, f"no Parquet file in {folder}: {list(folder.parent.rglob('*'))}"
    return files[-1]
