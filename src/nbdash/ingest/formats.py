"""Reading Excel sheets as text records, and Parquet and JSON files as frames.

An Excel sheet is read like delimited text: each row becomes a record of text cells
with its sheet row number as its line, so the same layout detection, naming and type
inference apply (``reading._read_sheet``). Cells Excel typed are written out so that
the type inference reads them back as the same values (``cell_text``). Parquet and
JSON carry their own types and are read into frames.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import zipfile
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from xml.etree.ElementTree import ParseError

import pandas as pd

from nbdash.errors import IngestError
from nbdash.ingest.detection import Dialect
from nbdash.ingest.records import Record
from nbdash.ingest.sheetxml import FlaggedCells, flagged_cells
from nbdash.ingest.source import Source
from nbdash.ingest.structure import LAYOUT_RECORDS

logger = logging.getLogger(__name__)

SHEET_DIALECT = Dialect("\t", quotechar=None)
"""What the row builder is told about a sheet: no quotes (so no quote repairs), and
a tab to join the surplus cells of a row wider than the header in ``_extra``."""

_UNREADABLE = (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError, ParseError)
_EXACT_FLOAT = 2.0**53
"""Integral floats below this are written without ``.0``: every integer up to it is
a float exactly, so the integer read back is the same number."""


@dataclass
class RecordFrame:
    """A table read with the types its file carries, and each row's file line."""

    frame: pd.DataFrame
    lines: list[int] | None = None
    """The 1-based file line of each row (NDJSON); None when rows have no line."""


def read_binary_format(src: Source, file_format: str) -> RecordFrame:
    """Read ``src`` as ``parquet``, ``json`` or ``ndjson``."""
    try:
        if file_format == "parquet":
            return RecordFrame(_read_parquet(src))
        return _read_json(src, lines=file_format == "ndjson")
    except IngestError:
        raise
    except _UNREADABLE as exc:
        message = f"Cannot read {src.filename!r} as {file_format}: {exc}"
        raise IngestError(message, filename=src.filename) from exc


def sheet_names(src: Source) -> list[str]:
    """The sheet names of an Excel workbook."""
    with _workbook(src) as workbook:
        return [str(name) for name in workbook.sheet_names]


# -- Excel -------------------------------------------------------------------------


@dataclass
class Sheet:
    """The chosen sheet of an open workbook; its rows are read on demand."""

    name: str
    sheets: list[str]
    """Every sheet name of the workbook, in order."""
    filename: str
    worksheet: Any
    width: int = 0
    """The table's usual width: the widest of the first rows, trailing empty cells
    left out. Rows are padded to it (a sheet does not store empty cells)."""
    flagged: FlaggedCells = field(default_factory=FlaggedCells)
    """Error cells and unsaved formulas (both read as empty cells), by sheet row
    and column of the sheet."""
    merged: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    """Merged ranges by first row: (last row, first field, last field)."""
    first_column: int = 0
    """The sheet column (0-based) of each record's first field."""
    is_chart: bool = False
    """A chart sheet: it holds a chart, no cells."""

    def records(self) -> Generator[Record]:
        """Every row as a record of text cells, its line the sheet row number.

        A row of at most one filled cell is held until a fuller row follows, then
        padded like the others; the ones that end the sheet are left as they are,
        so the row builder sees them as footnotes (rows narrower than the table).
        """
        if self.width < 3:
            # Too narrow for footnotes to be told from rows: nothing to hold.
            yield from (self._padded(record) for record in self._rows())
            return
        held: list[Record] = []
        for record in self._rows():
            if record.filled <= 1:
                held.append(record)
                continue
            yield from (self._padded(one) for one in held)
            held.clear()
            yield self._padded(record)
        yield from held

    def _rows(self) -> Generator[Record]:
        from python_calamine import CalamineError

        try:
            # calamine gives every row from the first (empty ones too), starting at
            # the sheet's first used column: the row number is the position.
            rows = self.worksheet.iter_rows()
            fills: dict[int, list[tuple[int, int, object]]] = {}
            for number, values in enumerate(rows, 1):
                if self.merged:
                    values = self._merged(number, list(values), fills)
                yield Record(number, _row_cells(values), "")
        except (*_UNREADABLE, CalamineError) as exc:
            message = f"Cannot read sheet {self.name!r} of {self.filename!r}: {exc}"
            raise IngestError(message, filename=self.filename) from exc

    def _merged(
        self, number: int, values: list[Any], fills: dict[int, list[Any]]
    ) -> list[Any]:
        """The row with the value of a merged range in each of its cells."""
        for last, left, right in self.merged.get(number, ()):
            if _is_spread(values, left, right):
                for row in range(number, last + 1):
                    fills.setdefault(row, []).append((left, right, values[left]))
        for left, right, value in fills.pop(number, ()):
            values.extend([""] * (right + 1 - len(values)))
            values[left : right + 1] = [value] * (right + 1 - left)
        return values

    def _padded(self, record: Record) -> Record:
        missing = self.width - len(record.fields)
        if missing > 0 and not record.is_blank:
            record.fields.extend([""] * missing)
        return record


@contextmanager
def open_sheet(src: Source, sheet: str | int | None) -> Iterator[Sheet]:
    """Open the workbook and choose the sheet; its cells are turned into Python
    values row by row, as they are read."""
    from python_calamine import CalamineError

    with _workbook(src) as workbook:
        sheets = [str(name) for name in workbook.sheet_names]
        chosen = _chosen_sheet(src, sheets, _first_shown(workbook, sheet))
        try:
            # A chart sheet comes back with no rows.
            worksheet = workbook.get_sheet_by_name(chosen)
        except (*_UNREADABLE, CalamineError) as exc:
            message = f"Cannot read sheet {chosen!r} of {src.filename!r}: {exc}"
            raise IngestError(message, filename=src.filename) from exc
        found = Sheet(chosen, sheets, src.filename, worksheet)
        found.is_chart = chosen in _chart_sheets(workbook)
        _note_merged_ranges(found)
        found.width = _usual_width(found)
        yield found


def _note_merged_ranges(sheet: Sheet) -> None:
    """The sheet's merged ranges, which calamine's rows leave out (the value sits
    in the first cell only), by first row in the fields of its records."""
    start = sheet.worksheet.start
    sheet.first_column = start[1] if start else 0
    for (top, left), (bottom, right) in sheet.worksheet.merged_cell_ranges or ():
        first, last = left - sheet.first_column, right - sheet.first_column
        if first >= 0:
            sheet.merged.setdefault(top + 1, []).append((bottom + 1, first, last))


def find_flagged_cells(src: Source, sheet: Sheet) -> None:
    """Find the sheet's error cells and unsaved formulas, which calamine reads as
    empty cells (so a table without empty cells has none to find)."""
    with src.open() as handle:
        try:
            sheet.flagged = flagged_cells(handle, sheet.name)
        except (*_UNREADABLE, zipfile.LargeZipFile) as exc:
            # calamine read the sheet: these notes are not worth refusing it for.
            logger.warning("Cannot scan sheet %r for error cells: %s", sheet.name, exc)


def _is_spread(values: list[Any], left: int, right: int) -> bool:
    """Whether a merged range's value belongs in each of its cells.

    A range over several columns does in a row with other cells (a group name
    above its columns), not alone in its row (a title or a section label). A range
    over rows in one column does in a data row (one holding a number or date: a
    label for several rows), not in a header row, whose joining would name it
    twice.
    """
    if left >= len(values) or values[left] in (None, ""):
        return False
    others = [value for index, value in enumerate(values) if not left <= index <= right]
    if left < right:
        return any(value not in (None, "") for value in others)
    return any(not isinstance(value, str) and value is not None for value in others)


@contextmanager
def _workbook(src: Source) -> Iterator[Any]:
    # calamine (Rust) reads the cached values of formulas, as Excel shows them; it
    # is an order of magnitude faster than openpyxl on large sheets.
    from python_calamine import CalamineError, CalamineWorkbook

    with src.open() as handle:
        try:
            workbook = CalamineWorkbook.from_filelike(handle)
        except (*_UNREADABLE, CalamineError) as exc:
            message = f"Cannot read {src.filename!r} as an Excel workbook: {exc}"
            raise IngestError(message, filename=src.filename) from exc
        try:
            yield workbook
        finally:
            workbook.close()


def _usual_width(sheet: Sheet) -> int:
    with closing(sheet._rows()) as rows:
        filled = (record for record in rows if not record.is_blank)
        head = islice(filled, LAYOUT_RECORDS)
        return max((len(record.fields) for record in head), default=0)


def _row_cells(values: tuple[Any, ...] | list[Any]) -> list[str]:
    cells = [cell_text(value) for value in values]
    while cells and not cells[-1].strip():
        cells.pop()
    return cells


def cell_text(value: object) -> str:
    """A typed value as text that the type inference reads back as that value.

    Integral floats lose ``.0`` (Excel stores every number as a float; 3.0 is the
    integer 3), other floats are written by ``repr`` (the shortest text that reads
    back as the same float), dates and times in ISO form, booleans as true/false.
    Durations as Excel shows them, in hours (``49:00:05``). Missing values (None,
    NaN, NaT) are empty.

    Examples
    --------
    >>> [cell_text(value) for value in (3.0, 0.1 + 0.2, True, None, "007")]
    ['3', '0.30000000000000004', 'true', '', '007']
    >>> cell_text(datetime.datetime(2024, 3, 4)), cell_text(datetime.time(9, 30))
    ('2024-03-04', '09:30:00')
    """
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime.datetime):
        return _datetime_text(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return _duration_text(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if _is_missing(value) else str(value)


def _float_text(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        # NaN is how pandas marks a missing number; Excel cannot hold either.
        return ""
    if value.is_integer() and abs(value) < _EXACT_FLOAT:
        return str(int(value))
    return repr(value)


def _datetime_text(value: datetime.datetime) -> str:
    # The base class's isoformat: a pandas Timestamp's own writes nanoseconds,
    # which the microsecond timestamps of the type inference refuse.
    if value.tzinfo is None and value.time() == datetime.time():
        return value.date().isoformat()
    return datetime.datetime.isoformat(value, sep=" ")


def _duration_text(value: datetime.timedelta) -> str:
    # As Excel shows a duration ([h]:mm:ss): hours past 24 are not made days, so
    # every cell of a column has one form (str() writes "2 days, 1:00:00").
    sign = "-" if value < datetime.timedelta(0) else ""
    minutes, seconds = divmod(abs(value), datetime.timedelta(minutes=1))
    hours, minutes = divmod(minutes, 60)
    second_text = f"{seconds.total_seconds():09.6f}".rstrip("0").rstrip(".")
    return f"{sign}{hours}:{minutes:02d}:{second_text.zfill(2)}"


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _first_shown(workbook: Any, sheet: str | int | None) -> str | int | None:
    """With no sheet asked for, the first worksheet Excel shows: hidden sheets and
    chart sheets (which hold no cells) are passed over."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    if sheet is not None:
        return sheet
    shown = (
        str(one.name)
        for one in workbook.sheets_metadata
        if one.typ == SheetTypeEnum.WorkSheet
        and one.visible == SheetVisibleEnum.Visible
    )
    return next(shown, None)


def _chart_sheets(workbook: Any) -> set[str]:
    from python_calamine import SheetTypeEnum

    chart = SheetTypeEnum.ChartSheet
    return {str(one.name) for one in workbook.sheets_metadata if one.typ == chart}


def _chosen_sheet(src: Source, sheets: list[str], sheet: str | int | None) -> str:
    if sheet is None and sheets:
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


# -- Parquet and JSON --------------------------------------------------------------


def _read_parquet(src: Source) -> pd.DataFrame:
    import pyarrow.parquet as pq

    with src.open() as handle:
        frame: pd.DataFrame = pq.read_table(handle).to_pandas()
    return frame


def _read_json(src: Source, *, lines: bool) -> RecordFrame:
    with src.open() as handle:
        data = handle.read()
    text = data.decode("utf-8-sig", errors="strict")
    stripped = text.lstrip()
    # A .json file of one object per line is NDJSON whatever its name says.
    if lines or (stripped.startswith("{") and _is_ndjson(stripped)):
        numbers, records = _ndjson_records(text, src.filename)
        return RecordFrame(_records_frame(records, src.filename), numbers)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        message = (
            f"{src.filename!r} line {exc.lineno} is not valid JSON: {exc.msg}. "
            "Fix the file or export it again."
        )
        raise IngestError(message, filename=src.filename, line=exc.lineno) from exc
    return RecordFrame(_document_frame(document, src.filename))


def _is_ndjson(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return False
    return "\n" in text.strip()


def _ndjson_records(text: str, filename: str) -> tuple[list[int], list[Any]]:
    """The file line of each record, and the records."""
    numbers, records = [], []
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
        numbers.append(number)
    return numbers, records


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
