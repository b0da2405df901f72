"""Every example notebook runs headless under papermill, on its data and on new data."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from papermill import inspect_notebook

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


def _check_sales_on_built_in_data(executed: Path) -> None:
    # Both load reports show, each under the name of the dataset it loads.
    notebook = nbformat.read(executed, as_version=4)
    load_cell = next(c for c in notebook.cells if "nbdash.load(" in c.source)
    shown = [o["data"]["text/plain"] for o in load_cell.outputs if "data" in o]
    assert len(shown) == 2
    assert "filename='sales.csv'" in shown[0]
    assert "filename='turnover.csv'" in shown[1]
    html = _dashboard_html(executed)
    assert "Revenue from 244 restaurant bills" in html
    assert "Turnover index from Jan 1995" in html


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
    if notebook.name == "sales_dashboard.ipynb":
        _check_sales_on_built_in_data(executed)


def test_sales_example_redraws_on_new_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bills = pd.read_csv(examples.sales_csv(tmp_path / "source"))
    weekend = bills[bills["day"].isin(["Sat", "Sun"])]
    weekend.to_csv(tmp_path / "weekend.csv", index=False)
    expected = weekend.groupby(["day", "time"])["total_bill"].sum()

    with caplog.at_level(logging.WARNING):
        executed = _run(
            EXAMPLES / "sales_dashboard.ipynb",
            tmp_path,
            {"sales_csv": str(tmp_path / "weekend.csv")},
        )

    # papermill parsed the parameters cell: no "Unable to parse" / "unknown
    # parameter" warnings although a parameter was passed.
    papermill_warnings = [
        r.getMessage() for r in caplog.records if "papermill" in r.name
    ]
    assert not [m for m in papermill_warnings if "parameter" in m.lower()]
    html = _dashboard_html(executed)
    assert "Thur" not in html and "Fri" not in html
    for revenue in expected:  # the table tile's cells, with thousands separators
        assert f"{revenue:,.2f}" in html
    # The "About" text is written from the data it runs on, not the built-in data.
    assert f"Revenue from {len(weekend)} restaurant bills" in html
    assert f"${weekend['total_bill'].sum():,.2f}" in html
    assert "244" not in html


def test_sales_example_parameters_are_inferred_with_defaults() -> None:
    parameters = inspect_notebook(str(EXAMPLES / "sales_dashboard.ipynb"))

    assert list(parameters) == ["sales_csv", "turnover_csv"]
    assert parameters["sales_csv"]["default"] == '""'
    assert parameters["turnover_csv"]["default"] == '""'


def test_turnover_csv_writes_the_elec_equip_index(tmp_path: Path) -> None:
    path = examples.turnover_csv(tmp_path)

    assert path.name == "turnover.csv"
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["date", "turnover_index"]
    assert frame["date"].iloc[0] == "1995-01-01"
    assert examples.orders_csv is examples.turnover_csv
