"""Reading delimited text: an exact path that finds the table, and a fast Arrow path.

Files up to ``EXACT_BYTES`` are read record by record with Python's csv module, which
finds the preamble, header rows, footnotes and a second table, and fits ragged rows.
Larger files with a plain layout go through pyarrow.csv; rows of the wrong width there
send the file back to the exact path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import islice

import pyarrow as pa
import pyarrow.csv as pacsv

from nbdash.errors import IngestError
from nbdash.ingest.detection import NO_DELIMITER, Dialect
from nbdash.ingest.records import (
    Record,
    mend_stray_quotes,
    read_records,
    undecodable,
    usual_width,
)
from nbdash.ingest.source import Source
from nbdash.ingest.structure import (
    EXTRA_COLUMN,
    LAYOUT_RECORDS,
    Layout,
    Ragged,
    build_rows,
    detect_layout,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EXTRA_COLUMN",
    "NO_DELIMITER",
    "TextTable",
    "lines_of_rows",
    "read_text_table",
]

EXACT_BYTES = 4 * 1024 * 1024
"""Files up to this size are always read by the exact path.

The exact path costs about two seconds per MB on two busy cores (a 28 MB upload took
53 s against 0.8 s for pandas.read_csv), so it is kept for the small files where
structure detection matters most. Larger files with a plain layout go through Arrow;
a footnote or a second table of another width still sends them back here, but a
second table of the same width past 4 MiB is not found."""


@dataclass
class TextTable:
    """Every cell as text, the header apart, and what was wrong with the rows."""

    header: list[str]
    columns: list[pa.Array]
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    row_lines: list[int] | None = None
    """The 1-based file line of each data row, when the exact path computed them."""
    has_extra: bool = False
    header_rows: int = 1
    """How many records formed the header (0 when the file has none)."""


def read_text_table(
    source: Source,
    encoding: str,
    dialect: Dialect | str | None,
    *,
    layout: Layout | None = None,
    ragged: Ragged = "extra_column",
) -> TextTable:
    """Read every cell as text; ``layout`` None detects it from the first records."""
    if not isinstance(dialect, Dialect):
        dialect = Dialect(dialect)
    if layout is None:
        layout = find_layout(source, encoding, dialect)

    if source.size > EXACT_BYTES and _arrow_can_read(layout, dialect):
        table = _read_fast(source, encoding, dialect)
        if table is not None:
            return table
        logger.info("%s is irregular; reading it row by row", source.filename)
    return _read_exactly(source, encoding, dialect, layout, ragged)


def find_layout(source: Source, encoding: str, dialect: Dialect) -> Layout:
    """Detect the preamble and header rows from the first non-blank records."""
    records = read_records(source, encoding, dialect)
    head = list(islice((one for one in records if not one.is_blank), LAYOUT_RECORDS))
    # A stray quote (even in the header) swallows lines: split them as meant first.
    mended = mend_stray_quotes(head, dialect, usual_width(head))
    return detect_layout(list(mended))


def _arrow_can_read(layout: Layout, dialect: Dialect) -> bool:
    plain = layout.skip == 0 and layout.header_rows == 1
    return plain and not dialect.skipinitialspace and dialect.quotechar != "'"


def _read_exactly(
    source: Source, encoding: str, dialect: Dialect, layout: Layout, ragged: Ragged
) -> TextTable:
    try:
        rows = build_rows(
            read_records(source, encoding, dialect), layout, dialect, ragged
        )
    except IngestError as exc:
        if exc.filename:
            raise
        message = f"{source.filename!r} {exc}"
        raise IngestError(message, filename=source.filename, line=exc.line) from exc

    width = len(rows.header) - rows.has_extra
    columns = [
        pa.array([row[index] for row in rows.rows], pa.string())
        for index in range(width)
    ]
    if rows.has_extra:
        columns.append(pa.array(rows.extras, pa.string()))
    return TextTable(
        rows.header,
        columns,
        problems=list(rows.notes),
        row_lines=rows.lines,
        has_extra=rows.has_extra,
        header_rows=layout.header_rows,
    )


def _read_fast(source: Source, encoding: str, dialect: Dialect) -> TextTable | None:
    """The Arrow read; None when rows are ragged or a row is too long for it."""
    ragged: list[int] = []
    try:
        table = _read_with_arrow(source, encoding, dialect, ragged)
    except UnicodeDecodeError as exc:
        raise undecodable(source, encoding, exc) from exc
    except pa.ArrowInvalid as exc:
        logger.debug("Arrow could not read %s: %s", source.filename, exc)
        return None
    if ragged:
        return None

    header = (
        [_cell(value) for value in table.slice(0, 1).to_pylist()[0].values()]
        if len(table)
        else []
    )
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    data = table.slice(1)
    # Chunked as read: combining would copy all of the file's text at once.
    return TextTable(header, list(data.columns))


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _read_with_arrow(
    source: Source, encoding: str, dialect: Dialect, ragged: list[int]
) -> pa.Table:
    count = _header_width(source, encoding, dialect)
    names = [f"f{index}" for index in range(count)]

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        ragged.append(row.number or 0)
        return "skip"

    read_options = pacsv.ReadOptions(
        column_names=names,
        encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
    )
    # Quoted fields may hold newlines anywhere in the file, not only in the sample.
    parse_options = pacsv.ParseOptions(
        delimiter=dialect.delimiter or NO_DELIMITER,
        quote_char=dialect.quotechar or False,
        escape_char=dialect.escapechar or False,
        newlines_in_values=True,
        invalid_row_handler=on_invalid_row,
    )
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with source.open() as handle:
        return pacsv.read_csv(handle, read_options, parse_options, convert_options)


def _header_width(source: Source, encoding: str, dialect: Dialect) -> int:
    for record in read_records(source, encoding, dialect):
        if not record.is_blank:
            return len(record.fields)
    return 1


def first_records(
    source: Source, encoding: str, dialect: Dialect, count: int
) -> list[Record]:
    """The first ``count`` non-blank records (for a preview or a dialect check)."""
    records = read_records(source, encoding, dialect)
    return list(islice((one for one in records if not one.is_blank), count))


def lines_of_rows(
    source: Source, encoding: str, dialect: Dialect, rows: list[int]
) -> dict[int, int]:
    """The file lines of a few 0-based data rows (plain layout), scanning no further."""
    wanted = set(rows)
    found: dict[int, int] = {}
    last = max(wanted, default=-1)
    records = (
        one for one in read_records(source, encoding, dialect) if not one.is_blank
    )
    for index, record in enumerate(records):
        row = index - 1
        if row in wanted:
            found[row] = record.line
        if row >= last:
            break
    return found
