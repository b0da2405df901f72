"""Every example notebook runs headless under papermill, on its data and on new data."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from nbdash import examples
from nbdash.publish.runner import run_notebook

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))

pytestmark = pytest.mark.slow


def _run(
    notebook: Path, folder: Path, parameters: dict[str, str] | None = None
) -> Path:
    copy = folder / notebook.name
    shutil.copy(notebook, copy)
    output = folder / f"{notebook.stem}.out.ipynb"
    run_notebook(copy, output, parameters=parameters or {})
    return output


def _dashboard_html(executed: Path) -> str:
    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            if "nbdash-static" in html:
                return str(html)
    raise AssertionError(f"no static dashboard output in {executed}")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_example_runs_headless_and_keeps_its_dashboard(
    notebook: Path, tmp_path: Path
) -> None:
    saved = nbformat.read(notebook, as_version=4).metadata["nbdash"]

    executed = _run(notebook, tmp_path)

    result = nbformat.read(executed, as_version=4)
    assert result.metadata["nbdash"] == saved
    assert "widgets" not in result.metadata
    html = _dashboard_html(executed)
    for spec in saved["dashboards"].values():
        for tile in spec["tiles"]:
            assert tile["id"] in html


def test_sales_example_redraws_on_new_data(tmp_path: Path) -> None:
    bills = pd.read_csv(examples.sales_csv(tmp_path / "source"))
    weekend = bills[bills["day"].isin(["Sat", "Sun"])]
    weekend.to_csv(tmp_path / "weekend.csv", index=False)
    expected = weekend.groupby(["day", "time"])["total_bill"].sum()

    executed = _run(
        EXAMPLES / "sales_dashboard.ipynb",
        tmp_path,
        {"sales_csv": str(tmp_path / "weekend.csv")},
    )

    html = _dashboard_html(executed)
    assert "Thur" not in html and "Fri" not in html
    for revenue in expected:
        assert f"{revenue:g}"[:5] in html
