"""Tests for the nbdash command line."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nbdash.cli import main, parse_value


@pytest.fixture
def report_notebook(tmp_path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["nbdash"] = {"version": 1, "dashboards": {}}

    parameters = nbformat.v4.new_code_cell("region = 'all'\nmonths = 1\nscale = 1.0")
    parameters.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "print(region, months * 12, scale * 2, type(months).__name__)"
    )
    notebook.cells = [parameters, body]

    path = tmp_path / "report.ipynb"
    nbformat.write(notebook, path)
    return path


def _printed(cell: nbformat.NotebookNode) -> str:
    return "".join(output.get("text", "") for output in cell.outputs).strip()


@pytest.mark.slow
def test_run_writes_output_with_typed_parameters(
    report_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out" / "report.out.ipynb"
    argv = ["run", str(report_notebook), "-o", str(output)]
    argv += ["-p", "region", "EMEA", "-p", "months", "3", "-p", "scale", "0.25"]

    code = main(argv)

    assert code == 0
    assert str(output.resolve()) in capsys.readouterr().out
    executed = nbformat.read(output, as_version=4)
    assert _printed(executed.cells[-1]) == "EMEA 36 0.5 int"
    assert executed.metadata["nbdash"] == {"version": 1, "dashboards": {}}


@pytest.mark.slow
def test_run_failing_cell_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell("1 / 0")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)

    code = main(["run", str(path), "-o", str(tmp_path / "broken.out.ipynb")])

    error = capsys.readouterr().err
    assert code == 1
    assert error.count("\n") == 1
    assert "ZeroDivisionError: division by zero" in error
    assert "Traceback" not in error
    assert (tmp_path / "broken.out.ipynb").is_file()


def test_run_without_output_is_a_usage_error(
    report_notebook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(report_notebook)])

    error = capsys.readouterr().err
    assert code == 2
    assert error == (
        "nbdash run: the following arguments are required: -o/--output "
        "(see 'nbdash run --help')\n"
    )


def test_run_missing_notebook_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.ipynb"

    code = main(["run", str(missing), "-o", str(tmp_path / "x.ipynb")])

    assert code == 2
    assert capsys.readouterr().err == (
        f"nbdash run: notebook {str(missing)!r} not found; expected an .ipynb file\n"
    )


def test_unknown_command_and_conflicting_modes_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["publish"]) == 2
    assert "invalid choice: 'publish'" in capsys.readouterr().err

    assert main(["demo", "--lab", "--headless"]) == 2
    assert "--headless: not allowed with argument --lab" in capsys.readouterr().err


def test_parameter_needs_name_and_value(
    report_notebook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(report_notebook), "-o", "out.ipynb", "-p", "region"])

    assert code == 2
    assert "-p/--parameter: expected 2 arguments" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        ("-3", -3),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("true", True),
        ("False", False),
        ("None", None),
        ("null", None),
        ("EMEA", "EMEA"),
        ("2024-01", "2024-01"),
    ],
)
def test_parse_value_types(text: str, expected: object) -> None:
    value = parse_value(text)

    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.slow
def test_demo_headless_runs_copy_and_writes_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    example = tmp_path / "example" / "sales_dashboard.ipynb"
    example.parent.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    tiles = [{"id": "a", "kind": "text", "text": "x"}, {"id": "b", "kind": "text"}]
    notebook.metadata["nbdash"] = {
        "version": 1,
        "dashboards": {"sales": {"tiles": tiles}},
    }
    notebook.cells = [nbformat.v4.new_code_cell("print('revenue', 40 + 2)")]
    nbformat.write(notebook, example)
    monkeypatch.setattr("nbdash.cli._find_demo_notebook", lambda: example)
    folder = tmp_path / "demo"

    code = main(["demo", "--headless", "--dir", str(folder)])

    printed = capsys.readouterr().out
    assert code == 0
    assert (folder / "sales_dashboard.ipynb").is_file()
    executed = nbformat.read(folder / "sales_dashboard.out.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "revenue 42\n"
    html = (folder / "sales_dashboard.html").read_text(encoding="utf-8")
    assert "revenue 42" in html
    assert "Ran 1 code cell in" in printed
    assert "producing 1 output." in printed
    assert "'sales' (2 tiles)" in printed
    assert str(folder / "sales_dashboard.html") in printed


def test_server_commands_for_voila_and_lab(tmp_path: Path) -> None:
    from nbdash.cli import _server_command

    notebook = tmp_path / "sales_dashboard.ipynb"

    voila = _server_command(notebook, "voila", 9000, no_browser=True)
    lab = _server_command(notebook, "lab", None, no_browser=False)

    assert voila[1:] == [
        "-m",
        "voila",
        "sales_dashboard.ipynb",
        "--preheat_kernel=True",
        "--pool_size=1",
        "--VoilaKernelManager.default_env_variables="
        "NBDASH_NOTEBOOK_PATH=sales_dashboard.ipynb",
        "--VoilaKernelManager.fill_delay=10.0",
        "--VoilaConfiguration.extension_denylist=jupyterlab-plotly",
        "--VoilaConfiguration.extension_denylist=@voila-dashboards/jupyterlab-preview",
        "--port=9000",
        "--no-browser",
    ]
    assert lab[1:4] == ["-m", "jupyterlab", "sales_dashboard.ipynb"]
    assert "--port=9000" not in lab


TILE_FAILURE_SOURCE = """\
import nbdash
import pandas as pd
from nbdash.charts import ChartSpec

bills = pd.DataFrame({"day": ["Sat", "Sun"], "total": [1.0, 2.0]})
nbdash.workspace().put("bills", bills)
dashboard = nbdash.Dashboard("Report")
dashboard.add_text("Two bills.", title="Note", tile_id="note")
chart = ChartSpec(kind="bar", dataset="bills", x="weekday", y="total", agg="sum")
dashboard.add_chart(chart, title="By weekday", tile_id="by-weekday")
dashboard"""


@pytest.fixture
def tile_failure_notebook(tmp_path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(TILE_FAILURE_SOURCE)]
    folder = tmp_path / "report"
    folder.mkdir()
    path = folder / "report.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.slow
def test_run_with_failed_tiles_lists_them_and_exits_3(
    tile_failure_notebook: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "report.out.ipynb"

    code = main(["run", str(tile_failure_notebook), "-o", str(output)])

    printed, error = capfd.readouterr()
    assert code == 3
    assert f"Wrote {output.resolve()}" in printed
    assert "nbdash: 1 dashboard tile failed to draw:" in error
    failure_line = next(line for line in error.splitlines() if "[by-weekday]" in line)
    assert failure_line.startswith("  Report / By weekday [by-weekday]: ")
    assert "weekday" in failure_line.split("]: ", 1)[1]
    assert "[note]" not in error
    assert "--allow-errors" in error
    # Headless runs have no front end: no transport or comm-target noise.
    assert "without encryption" not in error
    assert "No handler found" not in error
    # The check cell is gone from the output; the one cell of the notebook remains.
    executed = nbformat.read(output, as_version=4)
    assert [cell.source for cell in executed.cells] == [TILE_FAILURE_SOURCE]
    assert executed.metadata["papermill"]["input_path"] == str(
        tile_failure_notebook.resolve()
    )


@pytest.mark.slow
def test_run_with_failed_tiles_and_allow_errors_exits_0(
    tile_failure_notebook: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "report.out.ipynb"
    argv = ["run", str(tile_failure_notebook), "-o", str(output), "--allow-errors"]

    code = main(argv)

    error = capfd.readouterr().err
    assert code == 0
    assert "Report / By weekday [by-weekday]: " in error
    assert "Kept going (--allow-errors)" in error


def test_run_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0

    text = capsys.readouterr().out
    assert "--allow-errors" in text
    for line in ["0  the notebook ran", "1  a cell raised", "2  the command line"]:
        assert line in text
    assert "3  the notebook ran but dashboard tiles failed to draw" in text
