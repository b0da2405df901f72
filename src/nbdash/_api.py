"""Conveniences for notebook code that span several modules."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbdash.ingest import IngestReport
    from nbdash.workspace import Workspace

logger = logging.getLogger(__name__)


def load(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    workspace: Workspace | None = None,
    **read_options: Any,
) -> IngestReport:
    """Read a file into the workspace and return the ingest report.

    The dataset is only created (or replaced) once the whole file has been read, so a
    file that fails to load leaves the workspace as it was.

    Parameters
    ----------
    path
        The file to read (CSV, TSV, Excel, Parquet, JSON).
    name
        The dataset name; defaults to the file name without its extension.
    workspace
        Defaults to the process-wide workspace, :func:`nbdash.workspace`.
    **read_options
        Passed to :func:`nbdash.read_table` (``encoding``, ``delimiter``, ...).

    Examples
    --------
    >>> import nbdash, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "sales.csv").write_text("region,revenue\\nWest,10\\nEast,5\\n")
    >>> ws = nbdash.Workspace()
    >>> nbdash.load(folder / "sales.csv", workspace=ws).rows
    2
    >>> ws["sales"]["revenue"].sum()
    np.int64(15)
    """
    from nbdash.ingest import read_table
    from nbdash.workspace import workspace as default_workspace

    source = Path(path)
    target = workspace if workspace is not None else default_workspace()
    dataset = name or _dataset_name(source)

    result = read_table(source, filename=source.name, **read_options)
    meta = {
        "source": {"kind": "file", "path": str(source)},
        "report": result.report.to_dict(),
    }
    target.put(dataset, result.frame, meta=meta)
    logger.info(
        "loaded %s as dataset %r (%d rows)", source, dataset, result.report.rows
    )
    return result.report


def _dataset_name(path: Path) -> str:
    stem = path.name.split(".")[0].strip()
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in stem)
    return cleaned or "dataset"
