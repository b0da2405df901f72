"""Run a notebook headless with papermill, the way nbdash dashboards expect.

Three things differ from a plain ``papermill.execute_notebook`` call:

- The kernel gets ``NBDASH_NOTEBOOK_PATH`` (the absolute input path), so a dashboard
  in the notebook finds its saved spec in the input's ``metadata["nbdash"]``.
- No widget state is stored: every widget instance would otherwise copy its JS bundle
  into ``metadata.widgets`` (a trial run grew a tiny notebook to 10 MB).
- ``metadata["nbdash"]`` of the input is guaranteed to be in the output.
- Dashboard tiles that could not be drawn are listed: a last cell, run in the kernel
  and removed from the output, collects them into ``metadata["nbdash_run"]`` of the
  output (read them with :func:`failed_tiles`).

Headless runs have no front end, so two messages that only make sense with one are
kept quiet: the kernel's own start-up log (the "running over TCP without encryption"
warning; errors in cells still fail the run) and nbclient's "No handler found for
comm target 'nbdash.notebook'" (the dashboard's link to an open notebook, which
degrades quietly without one). Warnings about any other comm target still show.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from nbdash.errors import NbdashError

logger = logging.getLogger(__name__)

__all__ = [
    "NOTEBOOK_PATH_ENV",
    "FailedTile",
    "NotebookExecutionError",
    "failed_tiles",
    "run_notebook",
]

NOTEBOOK_PATH_ENV = "NBDASH_NOTEBOOK_PATH"
"""Environment variable through which the kernel learns which notebook it runs."""

RUN_METADATA = "nbdash_run"
"""Key of the output notebook's metadata where a run records its failed tiles."""

_CHECK_MIME = "application/vnd.nbdash.failed-tiles+json"
_CHECK_MARK = "nbdash_runner_check"
_QUIET_KERNEL = ["--IPKernelApp.log_level=CRITICAL"]
_BRIDGE_COMM_WARNING = "No handler found for comm target 'nbdash.notebook'"

# Runs in the kernel after the notebook's own cells. Only dashboards this kernel made
# are looked at, and nbdash is not imported by notebooks that did not import it.
_CHECK_SOURCE = f"""\
def _nbdash_failed_tiles():
    import sys

    module = sys.modules.get("nbdash.widgets.dashboard")
    if module is None:
        return []
    failed = []
    for name, dashboard in sorted(dict(module.Dashboard._open).items()):
        for tile in dashboard.spec.tiles:
            content = dashboard.tiles_content.get(tile.id) or {{}}
            if "error" in content:
                failed.append(
                    {{"dashboard": name, "tile": tile.id, "title": tile.title,
                     "error": str(content["error"])}}
                )
    return failed


display({{{_CHECK_MIME!r}: _nbdash_failed_tiles()}}, raw=True)
del _nbdash_failed_tiles"""


@dataclass(frozen=True)
class FailedTile:
    """A dashboard tile that could not be drawn in a notebook run.

    Attributes
    ----------
    dashboard
        The dashboard's name.
    tile
        The tile's id.
    title
        The tile's title (may be empty).
    error
        Why it could not be drawn, as the tile shows it.
    """

    dashboard: str
    tile: str
    title: str
    error: str


class NotebookExecutionError(NbdashError, RuntimeError):
    """A cell of a notebook run by :func:`run_notebook` raised an exception.

    Attributes
    ----------
    output
        The output notebook, written with the error in it.
    cell_index
        0-based index of the failing cell in the executed notebook.
    ename, evalue
        The exception's class name and message, as the kernel reported them.
    """

    def __init__(
        self, message: str, *, output: Path, cell_index: int, ename: str, evalue: str
    ) -> None:
        super().__init__(message)
        self.output = output
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue


def run_notebook(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    kernel_name: str | None = None,
) -> Path:
    """Execute a notebook with papermill and write the executed copy.

    Parameters
    ----------
    input
        The notebook to run. It is not modified.
    output
        Where to write the executed notebook; its folder is created if missing.
    parameters
        Values injected after the cell tagged ``parameters`` (papermill's convention).
    cwd
        Working directory of the kernel; the input notebook's folder when ``None``,
        so relative paths in the notebook (data files, the ``.nbdash`` store) work.
    kernel_name
        The Jupyter kernel to use; the notebook's own kernelspec when ``None``.

    Returns
    -------
    pathlib.Path
        The absolute path of the output notebook.

    Tiles that could not be drawn do not fail the run: :func:`failed_tiles` lists
    them from the output notebook.

    Raises
    ------
    FileNotFoundError
        When ``input`` does not exist.
    NotebookExecutionError
        When a cell raises; the output notebook is still written, with the error.
    ImportError
        When papermill is not installed (it comes with ``nbdash[publish]``).
    """
    source = _existing_notebook(input)
    target = Path(output).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(cwd).resolve() if cwd is not None else source.parent

    logger.info("Running %s -> %s (cwd %s)", source, target, workdir)
    with tempfile.TemporaryDirectory(prefix="nbdash-run-") as scratch:
        checked = _with_check_cell(source, Path(scratch) / source.name)
        try:
            _execute(
                checked, source, target, dict(parameters or {}), workdir, kernel_name
            )
        finally:
            _tidy_output(source, target)

    logger.info("Notebook run finished: %s", target)
    return target


def _existing_notebook(input: str | os.PathLike[str]) -> Path:
    source = Path(input).resolve()
    if not source.is_file():
        message = (
            f"Expected a notebook file to run, but {str(input)!r} does not exist "
            f"(resolved to {source}). Check the path."
        )
        raise FileNotFoundError(message)
    return source


def failed_tiles(output: str | os.PathLike[str]) -> list[FailedTile]:
    """The dashboard tiles that could not be drawn in the run that wrote ``output``.

    Parameters
    ----------
    output
        An output notebook written by :func:`run_notebook`.

    Returns
    -------
    list of FailedTile
        In dashboard name order, then tile order; empty when every tile was drawn,
        the notebook made no dashboard, or the run stopped at a failing cell before
        the tiles could be checked.
    """
    recorded = _read(Path(output)).metadata.get(RUN_METADATA, {})
    return [FailedTile(**item) for item in recorded.get("failed_tiles", [])]


def _with_check_cell(source: Path, copy: Path) -> Path:
    notebook = _read(source)
    check = nbformat.v4.new_code_cell(_CHECK_SOURCE)  # type: ignore[no-untyped-call]
    check.metadata[_CHECK_MARK] = True
    notebook.cells.append(check)
    nbformat.write(notebook, copy)  # type: ignore[no-untyped-call]
    return copy


def _execute(
    checked: Path,
    source: Path,
    target: Path,
    parameters: dict[str, Any],
    workdir: Path,
    kernel_name: str | None,
) -> None:
    papermill = _import_papermill()
    from papermill.exceptions import PapermillExecutionError

    try:
        with _environment(NOTEBOOK_PATH_ENV, str(source)), _quiet_bridge_warning():
            papermill.execute_notebook(
                str(checked),
                str(target),
                parameters=parameters,
                cwd=str(workdir),
                kernel_name=kernel_name,
                progress_bar=False,
                store_widget_state=False,
                extra_arguments=_QUIET_KERNEL,
            )
    except PapermillExecutionError as error:
        raise _cell_error(error, source, target) from error


class _DropBridgeWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _BRIDGE_COMM_WARNING


@contextmanager
def _quiet_bridge_warning() -> Iterator[None]:
    # nbclient logs through papermill's logger when no front end handles a comm.
    papermill_logger = logging.getLogger("papermill")
    drop = _DropBridgeWarning()
    papermill_logger.addFilter(drop)
    try:
        yield
    finally:
        papermill_logger.removeFilter(drop)


def _import_papermill() -> Any:
    try:
        import papermill
    except ImportError as error:
        message = (
            "Running notebooks headless needs papermill. "
            "Install it with: pip install 'nbdash[publish]'"
        )
        raise ImportError(message) from error
    return papermill


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    # papermill starts the kernel as a child of this process, so the kernel inherits
    # os.environ as it is during the call.
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def _cell_error(error: Any, source: Path, target: Path) -> NotebookExecutionError:
    lines = str(error.source).strip().splitlines()
    first_line = lines[0] if lines else ""
    count = error.exec_count if error.exec_count is not None else "not run"
    message = (
        f"Cell {error.cell_index} (In [{count}]: {first_line!r}) of {source.name} "
        f"raised {error.ename}: {error.evalue}. The executed notebook with the "
        f"traceback was written to {target}."
    )
    return NotebookExecutionError(
        message,
        output=target,
        cell_index=int(error.cell_index),
        ename=str(error.ename),
        evalue=str(error.evalue),
    )


def _tidy_output(source: Path, target: Path) -> None:
    """Carry ``metadata.nbdash`` over and drop stale widget state in the output."""
    if not target.is_file():
        return
    saved = _read(source).metadata.get("nbdash")
    executed = _read(target)

    changed = _take_check_cell(executed)
    run_info = executed.metadata.get("papermill", {})
    if run_info.get("input_path") not in (None, str(source)):
        # papermill ran a scratch copy holding the check cell; name the real input.
        run_info["input_path"] = str(source)
        changed = True
    if saved is not None and executed.metadata.get("nbdash") != saved:
        executed.metadata["nbdash"] = saved
        changed = True
    # State saved by an earlier interactive session describes widgets of a kernel
    # that is gone; left in place it would show them as if this run made them.
    if "widgets" in executed.metadata:
        del executed.metadata["widgets"]
        changed = True

    if changed:
        nbformat.write(executed, target)  # type: ignore[no-untyped-call]
        logger.debug("Tidied metadata of %s", target)


def _take_check_cell(executed: Any) -> bool:
    """Move the check cell's finding into metadata and drop the cell; say if found."""
    checks = [c for c in executed.cells if c.metadata.get(_CHECK_MARK)]
    if not checks:
        return False
    executed.cells = [c for c in executed.cells if not c.metadata.get(_CHECK_MARK)]

    found: list[dict[str, str]] = []
    for output in checks[-1].get("outputs", []):
        value = output.get("data", {}).get(_CHECK_MIME)
        if isinstance(value, str):
            value = json.loads(value)
        if isinstance(value, list):
            found = value
    executed.metadata[RUN_METADATA] = {"failed_tiles": found}
    return True


def _read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
