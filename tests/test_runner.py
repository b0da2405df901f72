"""Tests for nbdash.publish.runner: papermill runs that keep nbdash's metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nbdash.errors import NbdashError
from nbdash.publish import NotebookExecutionError, run_notebook

SAVED_SPEC = {"version": 1, "dashboards": {"main": {"name": "main", "tiles": []}}}


def _write_notebook(
    path: Path, sources: list[str], metadata: dict | None = None
) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata.update(metadata or {})

    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    cells[0].metadata["tags"] = ["parameters"]
    notebook.cells = cells
    nbformat.write(notebook, path)
    return path


def _text_output(cell: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "")
        for output in cell.outputs
    )


@pytest.fixture
def parameter_notebook(tmp_path: Path) -> Path:
    sources = [
        "rows = 3\nlabel = 'default'",
        "print(rows * 7, label.upper())",
        "import os\nprint(os.environ['NBDASH_NOTEBOOK_PATH'])\nprint(os.getcwd())",
        # A widget would normally leave its state in metadata.widgets.
        "import ipywidgets\nipywidgets.IntSlider(value=rows)",
    ]
    folder = tmp_path / "notebooks"
    folder.mkdir()
    metadata = {"nbdash": SAVED_SPEC, "widgets": {"stale": "state from an old session"}}
    return _write_notebook(folder / "params.ipynb", sources, metadata)


@pytest.mark.slow
def test_run_notebook_injects_parameters_and_keeps_metadata(
    parameter_notebook: Path, tmp_path: Path
) -> None:
    output = run_notebook(
        parameter_notebook, tmp_path / "out" / "params.out.ipynb", {"rows": 6}
    )

    assert output == (tmp_path / "out" / "params.out.ipynb").resolve()
    executed = nbformat.read(output, as_version=4)
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    # papermill inserts the injected-parameters cell after the tagged one.
    assert "rows = 6" in code_cells[1].source
    assert _text_output(code_cells[2]).strip() == "42 DEFAULT"

    env_path, cwd = _text_output(code_cells[3]).split()
    assert env_path == str(parameter_notebook.resolve())
    assert cwd == str(parameter_notebook.parent.resolve())

    assert executed.metadata["nbdash"] == SAVED_SPEC
    assert "widgets" not in executed.metadata
    assert nbformat.read(parameter_notebook, as_version=4).metadata["widgets"]


@pytest.mark.slow
def test_run_notebook_error_names_cell_and_writes_output(tmp_path: Path) -> None:
    sources = ["x = 1", "y = x + 1", "raise ValueError('bad month ' + str(y))"]
    notebook = _write_notebook(
        tmp_path / "broken.ipynb", sources, {"nbdash": SAVED_SPEC}
    )
    output = tmp_path / "broken.out.ipynb"

    with pytest.raises(NotebookExecutionError) as caught:
        run_notebook(notebook, output)

    message = str(caught.value)
    assert "raise ValueError('bad month ' + str(y))" in message
    assert "ValueError: bad month 2" in message
    assert str(output.resolve()) in message
    assert isinstance(caught.value, NbdashError)
    assert caught.value.ename == "ValueError"
    assert output.is_file()
    assert nbformat.read(output, as_version=4).metadata["nbdash"] == SAVED_SPEC


def test_run_notebook_missing_input_says_which(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ipynb"

    with pytest.raises(
        FileNotFoundError, match=r"Expected a notebook file to run.*nope"
    ):
        run_notebook(missing, tmp_path / "out.ipynb")
