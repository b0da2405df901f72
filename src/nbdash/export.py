"""Turn a dataset into downloadable file bytes: CSV, JSON and Excel.

These functions are what the Table widget's Download menu calls; they are plain
functions so scripts and papermill runs can export the same way.

CSV files are opened by spreadsheet programs, which run a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula (CSV or formula injection). :func:`to_csv_bytes`
therefore prefixes such text cells with a single quote unless ``safe=False``.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

FORMULA_STARTS = ("=", "+", "-", "@")
"""Leading characters that make a spreadsheet treat a cell as a formula."""

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv", ".csv"),
    "json": ("application/json", ".json"),
    "excel": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
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
    """Encode ``frame`` as UTF-8 CSV, without the index.

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
    b"a,b\\n'=cmd(),1\\n"
    """
    if safe:
        frame = neutralise_formulas(frame)
    text = frame.to_csv(index=False, lineterminator="\n")
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

    Time zones are dropped from date-time columns (keeping the wall-clock time),
    because the xlsx format has no time zones and openpyxl refuses them.
    """
    naive = frame.copy()
    for column in naive.columns:
        if isinstance(naive[column].dtype, pd.DatetimeTZDtype):
            naive[column] = naive[column].dt.tz_localize(None)

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        naive.to_excel(writer, sheet_name=sheet_name, index=False)
    logger.debug("exported %d rows as Excel", len(frame))
    return buffer.getvalue()


def export_bytes(frame: pd.DataFrame, fmt: str, *, safe: bool = True) -> bytes:
    """Encode ``frame`` in format ``fmt`` (``"csv"``, ``"json"`` or ``"excel"``)."""
    if fmt == "csv":
        return to_csv_bytes(frame, safe=safe)
    if fmt == "json":
        return to_json_bytes(frame)
    if fmt == "excel":
        return to_excel_bytes(frame)

    message = f"Unknown export format {fmt!r}. Expected one of: {', '.join(FORMATS)}."
    raise ValueError(message)
