"""Reading Excel, Parquet and JSON files, whose types come with the file."""

from __future__ import annotations

import json
import logging
import zipfile
from typing import Any

import pandas as pd

from nbdash.errors import IngestError
from nbdash.ingest.source import Source

logger = logging.getLogger(__name__)


def read_binary_format(
    src: Source, file_format: str, sheet: str | int | None
) -> pd.DataFrame:
    """Read ``src`` as ``xlsx``, ``parquet``, ``json`` or ``ndjson``."""
    try:
        if file_format == "xlsx":
            return _read_excel(src, sheet)
        if file_format == "parquet":
            return _read_parquet(src)
        return _read_json(src, lines=file_format == "ndjson")
    except IngestError:
        raise
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        message = f"Cannot read {src.filename!r} as {file_format}: {exc}"
        raise IngestError(message, filename=src.filename) from exc


def sheet_names(src: Source) -> list[str]:
    """The sheet names of an Excel workbook."""
    try:
        with src.open() as handle:
            return [
                str(name)
                for name in pd.ExcelFile(handle, engine="openpyxl").sheet_names
            ]
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        message = f"Cannot read {src.filename!r} as an Excel workbook: {exc}"
        raise IngestError(message, filename=src.filename) from exc


def _read_excel(src: Source, sheet: str | int | None) -> pd.DataFrame:
    with src.open() as handle:
        workbook = pd.ExcelFile(handle, engine="openpyxl")
        sheets = [str(name) for name in workbook.sheet_names]
        chosen = _chosen_sheet(src, sheets, sheet)
        frame = pd.read_excel(workbook, sheet_name=chosen)
    frame = frame.dropna(how="all").dropna(axis=1, how="all")
    if frame.empty:
        message = (
            f"Sheet {chosen!r} of {src.filename!r} holds no data (no rows under a "
            f"header). Sheets: {', '.join(sheets)}; choose another with sheet=."
        )
        raise IngestError(message, filename=src.filename, line=1)
    return frame.reset_index(drop=True)


def _chosen_sheet(src: Source, sheets: list[str], sheet: str | int | None) -> str:
    if sheet is None:
        return sheets[0]
    if isinstance(sheet, int) and 0 <= sheet < len(sheets):
        return sheets[sheet]
    if isinstance(sheet, str) and sheet in sheets:
        return sheet
    message = (
        f"Sheet {sheet!r} not found in {src.filename!r}. "
        f"Sheets: {', '.join(sheets)}. Choose one by name or by 0-based index."
    )
    raise IngestError(message, filename=src.filename)


def _read_parquet(src: Source) -> pd.DataFrame:
    import pyarrow.parquet as pq

    with src.open() as handle:
        frame: pd.DataFrame = pq.read_table(handle).to_pandas()
    return frame


def _read_json(src: Source, *, lines: bool) -> pd.DataFrame:
    with src.open() as handle:
        data = handle.read()
    text = data.decode("utf-8-sig", errors="strict")
    stripped = text.lstrip()
    # A .json file of one object per line is NDJSON whatever its name says.
    if lines or (stripped.startswith("{") and _is_ndjson(stripped)):
        return _records_frame(_ndjson_records(text, src.filename), src.filename)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        message = (
            f"{src.filename!r} line {exc.lineno} is not valid JSON: {exc.msg}. "
            "Fix the file or export it again."
        )
        raise IngestError(message, filename=src.filename, line=exc.lineno) from exc
    return _document_frame(document, src.filename)


def _is_ndjson(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return False
    return "\n" in text.strip()


def _ndjson_records(text: str, filename: str) -> list[Any]:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            message = (
                f"{filename!r} line {number} is not a JSON object: {exc.msg}. "
                "Each line of NDJSON must be one JSON object."
            )
            raise IngestError(message, filename=filename, line=number) from exc
    return records


def _document_frame(document: Any, filename: str) -> pd.DataFrame:
    """Records (a list of objects), columns (an object of lists) or one wrapped list."""
    if isinstance(document, list):
        return _records_frame(document, filename)
    if isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        if len(document) == 1 and lists and all(isinstance(x, dict) for x in lists[0]):
            return _records_frame(lists[0], filename)
        same_length = len({len(value) for value in lists}) == 1
        if lists and len(lists) == len(document) and same_length:
            return pd.DataFrame(document)
        if document and all(isinstance(value, dict) for value in document.values()):
            return _records_frame(list(document.values()), filename)
    message = (
        f"{filename!r} holds no table of records: expected a list of objects, "
        "an object of equal-length lists (columns), or NDJSON (one object per line)."
    )
    raise IngestError(message, filename=filename)


def _records_frame(records: list[Any], filename: str) -> pd.DataFrame:
    if not records:
        raise IngestError(f"{filename!r} holds no records.", filename=filename)
    bad = next((i for i, one in enumerate(records) if not isinstance(one, dict)), None)
    if bad is not None:
        message = (
            f"{filename!r} record {bad + 1} is {type(records[bad]).__name__}, not an "
            "object: every record must be a JSON object of field: value."
        )
        raise IngestError(message, filename=filename)
    # Nested objects become dotted columns (``address.city``).
    return pd.json_normalize(records)
