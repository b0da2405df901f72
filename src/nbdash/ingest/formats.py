"""Reading Excel, Parquet and JSON files, whose types come with the file."""

from __future__ import annotations

import logging

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
    except (ValueError, OSError, KeyError) as exc:
        message = f"Cannot read {src.filename!r} as {file_format}: {exc}"
        raise IngestError(message, filename=src.filename) from exc


def _read_excel(src: Source, sheet: str | int | None) -> pd.DataFrame:
    with src.open() as handle:
        workbook = pd.ExcelFile(handle, engine="openpyxl")
        sheets = [str(name) for name in workbook.sheet_names]
        chosen = 0 if sheet is None else sheet
        if isinstance(chosen, str) and chosen not in sheets:
            message = (
                f"Sheet {chosen!r} not found in {src.filename!r}. "
                f"Sheets: {', '.join(sheets)}."
            )
            raise IngestError(message, filename=src.filename)
        return pd.read_excel(workbook, sheet_name=chosen)


def _read_parquet(src: Source) -> pd.DataFrame:
    import pyarrow.parquet as pq

    with src.open() as handle:
        frame: pd.DataFrame = pq.read_table(handle).to_pandas()
    return frame


def _read_json(src: Source, *, lines: bool) -> pd.DataFrame:
    with src.open() as handle:
        first = handle.read(4096).lstrip()
        handle.seek(0)
        # A .json file of one object per line is NDJSON whatever its name says.
        is_lines = lines or not first.startswith(b"[")
        frame = pd.read_json(handle, lines=is_lines)
    if not isinstance(frame, pd.DataFrame):
        raise IngestError(
            f"{src.filename!r} holds no table of records.", filename=src.filename
        )
    return frame
