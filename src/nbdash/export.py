"""Turn a dataset into downloadable file bytes: CSV, JSON, Excel and Parquet.

These functions are what the Table widget's Download menu calls; they are plain
functions so scripts and papermill runs can export the same way.
:func:`export_dataset` writes a workspace dataset to a file in one call.

CSV files are opened by spreadsheet programs, which run a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula (CSV or formula injection). :func:`to_csv_bytes`
therefore prefixes such text cells with a single quote unless ``safe=False``.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nbdash.errors import ExportError

if TYPE_CHECKING:
    from nbdash.workspace import Workspace

logger = logging.getLogger(__name__)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet treat a cell as a formula.

Tab and carriage return are included because some spreadsheet programs skip them
and then read the formula that follows (OWASP's CSV injection guidance)."""

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv", ".csv"),
    "json": ("application/json", ".json"),
    "excel": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
    "parquet": ("application/vnd.apache.parquet", ".parquet"),
}
"""Each export format's MIME type and file extension."""


def _neutralise_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Only text (object or string dtype) cells and column names are changed; numbers
    such as ``-3`` stay numbers.

    Examples
    --------
    >>> frame = pd.DataFrame({"note": ["=1+1", "fine", "-x"], "n": [-1, 2, 3]})
    >>> neutralise_formulas(frame)["note"].tolist()
    ["'=1+1", 'fine', "'-x"]
    """
    safe = frame.copy()
    for column in safe.columns:
        dtype = safe[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            safe[column] = safe[column].map(_neutralise_cell, na_action="ignore")

    safe.columns = [_neutralise_cell(str(name)) for name in safe.columns]
    return safe


def to_csv_bytes(frame: pd.DataFrame, safe: bool = True) -> bytes:
    """Encode ``frame`` as UTF-8 CSV with CRLF line ends, without the index.

    Parameters
    ----------
    frame
        The table to export.
    safe
        Prefix text cells that start with ``=``, ``+``, ``-`` or ``@`` with ``'`` so
        spreadsheet programs show them as text instead of running them. Pass
        ``False`` only when the file will not be opened in a spreadsheet.

    Examples
    --------
    >>> to_csv_bytes(pd.DataFrame({"a": ["=cmd()"], "b": [1]}))
    b"a,b\\r\\n'=cmd(),1\\r\\n"
    """
    if safe:
        frame = neutralise_formulas(frame)
    # CRLF line ends (RFC 4180) make the csv module quote cells holding a lone "\r";
    # with "\n" line ends it leaves them bare and readers split the row there.
    text = frame.to_csv(index=False, lineterminator="\r\n")
    logger.debug("exported %d rows as CSV (safe=%s)", len(frame), safe)
    return text.encode("utf-8")


def to_json_bytes(frame: pd.DataFrame) -> bytes:
    """Encode ``frame`` as a UTF-8 JSON array of records; dates as ISO 8601 text.

    Examples
    --------
    >>> to_json_bytes(pd.DataFrame({"a": [1, None]}))
    b'[{"a":1.0},{"a":null}]'
    """
    text = frame.to_json(orient="records", date_format="iso", force_ascii=False)
    logger.debug("exported %d rows as JSON", len(frame))
    return (text or "[]").encode("utf-8")


def to_excel_bytes(frame: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """Encode ``frame`` as an Excel ``.xlsx`` workbook with one sheet.

    Every cell is data: text that starts with ``=`` is stored as text, never as a
    formula (openpyxl would otherwise write it as one). Time zones are dropped from
    date-time columns (keeping the wall-clock time), because the xlsx format has no
    time zones and openpyxl refuses them.
    """
    naive = frame.copy()
    for column in naive.columns:
        if isinstance(naive[column].dtype, pd.DatetimeTZDtype):
            naive[column] = naive[column].dt.tz_localize(None)

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        naive.to_excel(writer, sheet_name=sheet_name, index=False)
        _formulas_to_text(writer.sheets[sheet_name])
    logger.debug("exported %d rows as Excel", len(frame))
    return buffer.getvalue()


def _formulas_to_text(sheet: Any) -> None:
    """Turn cells openpyxl took for formulas back into the text they are."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Encode ``frame`` as a Parquet file, without the index; dtypes kept.

    Pandas' own dtypes (categories, nullable integers, time zones) come back as they
    were when the file is read with pandas.

    Examples
    --------
    >>> to_parquet_bytes(pd.DataFrame({"a": [1]}))[:4]
    b'PAR1'
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    logger.debug("exported %d rows as Parquet", len(frame))
    return sink.getvalue().to_pybytes()  # type: ignore[no-any-return]


def export_bytes(frame: pd.DataFrame, fmt: str, *, safe: bool = True) -> bytes:
    """Encode ``frame`` as ``"csv"``, ``"json"``, ``"excel"`` or ``"parquet"`` bytes.

    ``safe`` applies to CSV only; see :func:`to_csv_bytes`.
    """
    if fmt == "csv":
        return to_csv_bytes(frame, safe=safe)
    if fmt == "json":
        return to_json_bytes(frame)
    if fmt == "excel":
        return to_excel_bytes(frame)
    if fmt == "parquet":
        return to_parquet_bytes(frame)

    message = f"Unknown export format {fmt!r}. Expected one of: {', '.join(FORMATS)}."
    raise ValueError(message)


def format_for_path(path: str | os.PathLike[str]) -> str:
    """The export format a file name asks for, from its extension.

    Examples
    --------
    >>> format_for_path("out/sales.xlsx")
    'excel'
    """
    suffix = Path(path).suffix.lower()
    for fmt, (_, extension) in FORMATS.items():
        if suffix == extension:
            return fmt

    known = ", ".join(extension for _, extension in FORMATS.values())
    message = (
        f"Cannot tell the export format of {os.fspath(path)!r} from its extension "
        f"{suffix or '(none)'!r}. Use one of {known}, or pass format="
        f"{'|'.join(FORMATS)}."
    )
    raise ValueError(message)


def export_dataset(
    name: str,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    safe: bool = True,
    workspace: Workspace | None = None,
) -> Path:
    """Write the dataset ``name`` to the file ``path``; return the path.

    Parameters
    ----------
    name
        A dataset of the workspace.
    path
        The file to write (replaced if it exists).
    format
        ``"csv"``, ``"json"``, ``"excel"`` or ``"parquet"``; by default taken from
        the extension of ``path`` (``.csv``, ``.json``, ``.xlsx``, ``.parquet``).
    safe
        For CSV: neutralise cells that a spreadsheet would run as formulas (see
        :func:`to_csv_bytes`). Pass ``False`` only when no spreadsheet will open it.
    workspace
        Defaults to the process-wide :func:`nbdash.workspace`.

    Examples
    --------
    >>> import tempfile, nbdash
    >>> ws = nbdash.Workspace()
    >>> ws.put("sales", pd.DataFrame({"revenue": [1.5, 2.0]}))
    1
    >>> out = export_dataset("sales", f"{tempfile.mkdtemp()}/sales.csv", workspace=ws)
    >>> out.read_text()
    'revenue\\n1.5\\n2.0\\n'
    """
    fmt = format if format is not None else format_for_path(path)
    if workspace is None:
        from nbdash.workspace import workspace as default_workspace

        workspace = default_workspace()

    target = Path(path)
    _check_folder(target)
    data = export_bytes(workspace.get(name), fmt, safe=safe)
    target.write_bytes(data)
    logger.info("Exported dataset %r as %s to %s", name, fmt, target)
    return target


def _check_folder(target: Path) -> None:
    """Raise a clear error when the folder of ``target`` does not exist."""
    folder = target.parent
    if folder.is_dir():
        return
    if folder.exists():
        message = (
            f"Cannot write {str(target)!r}: {str(folder)!r} is a file, not a folder. "
            "Choose a path inside an existing folder."
        )
    else:
        message = (
            f"Cannot write {str(target)!r}: the folder {str(folder)!r} does not "
            f"exist. Create it first (Path({str(folder)!r}).mkdir(parents=True)) or "
            "choose a path inside an existing folder."
        )
    raise ExportError(message)
