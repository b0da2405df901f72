"""Run a notebook headless with papermill, the way nbdash dashboards expect.

Three things differ from a plain ``papermill.execute_notebook`` call:

- The kernel gets ``NBDASH_NOTEBOOK_PATH`` (the absolute input path), so a dashboard
  in the notebook finds its saved spec in the input's ``metadata["nbdash"]``.
- No widget state is stored: every widget instance would otherwise copy its JS bundle
  into ``metadata.widgets`` (a trial run grew a tiny notebook to 10 MB).
- ``metadata["nbdash"]`` of the input is guaranteed to be in the output.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from nbdash.errors import NbdashError

logger = logging.getLogger(__name__)

__all__ = ["NOTEBOOK_PATH_ENV", "NotebookExecutionError", "run_notebook"]

NOTEBOOK_PATH_ENV = "NBDASH_NOTEBOOK_PATH"
"""Environment variable through which the kernel learns which notebook it runs."""


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
    try:
        _execute(source, target, dict(parameters or {}), workdir, kernel_name)
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


def _execute(
    source: Path,
    target: Path,
    parameters: dict[str, Any],
    workdir: Path,
    kernel_name: str | None,
) -> None:
    papermill = _import_papermill()
    from papermill.exceptions import PapermillExecutionError

    try:
        with _environment(NOTEBOOK_PATH_ENV, str(source)):
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters=parameters,
                cwd=str(workdir),
                kernel_name=kernel_name,
                progress_bar=False,
                store_widget_state=False,
            )
    except PapermillExecutionError as error:
        raise _cell_error(error, source, target) from error


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

    changed = False
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


def _read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
