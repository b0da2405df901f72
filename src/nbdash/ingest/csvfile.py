"""Reading delimited text: a fast Arrow path and an exact path for ragged rows."""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv

from nbdash.errors import IngestError
from nbdash.ingest.source import Source

logger = logging.getLogger(__name__)

EXTRA_COLUMN = "_extra"
# A delimiter that never splits anything, for files of a single column.
NO_DELIMITER = "\x1f"


@dataclass
class TextTable:
    """Every cell as text, the header apart, and what was wrong with the rows."""

    header: list[str]
    columns: list[pa.Array]
    problems: list[tuple[int, str]] = field(default_factory=list)
    row_lines: list[int] | None = None
    """The 1-based file line of each data row, when the exact path computed them."""
    has_extra: bool = False


def read_text_table(source: Source, encoding: str, delimiter: str | None) -> TextTable:
    """Read every cell as text; fall back to the exact reader for ragged rows."""
    separator = delimiter or NO_DELIMITER
    ragged: list[int] = []
    try:
        table = _read_with_arrow(source, encoding, separator, ragged)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _read_error(source, encoding, exc) from exc

    if ragged:
        logger.info(
            "%s has rows of uneven length; reading it row by row", source.filename
        )
        return _read_exactly(source, encoding, separator)

    header = (
        [_cell(value) for value in table.slice(0, 1).to_pylist()[0].values()]
        if len(table)
        else []
    )
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    data = table.slice(1)
    return TextTable(header, [column.combine_chunks() for column in data.columns])


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _read_with_arrow(
    source: Source, encoding: str, separator: str, ragged: list[int]
) -> pa.Table:
    count = _header_width(source, encoding, separator)
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
        delimiter=separator, newlines_in_values=True, invalid_row_handler=on_invalid_row
    )
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with source.open() as handle:
        return pacsv.read_csv(handle, read_options, parse_options, convert_options)


def _header_width(source: Source, encoding: str, separator: str) -> int:
    for _, record in scan_records(source, encoding, separator):
        return len(record)
    return 1


def scan_records(
    source: Source, encoding: str, separator: str
) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line, fields) of each non-empty record, using Python's csv."""
    with source.open() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(text, delimiter=separator)
        previous_line = 0
        for record in reader:
            start, previous_line = previous_line + 1, reader.line_num
            if record and record != [""]:
                yield start, record


def _read_exactly(source: Source, encoding: str, separator: str) -> TextTable:
    records = scan_records(source, encoding, separator)
    first = next(records, None)
    header = first[1] if first else []
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    width = len(header)

    rows: list[list[str]] = []
    extras: list[str | None] = []
    result = TextTable(header, [], row_lines=[])
    try:
        for line, record in records:
            rows.append(_fit(record, width, line, separator, extras, result))
            result.row_lines.append(line)  # type: ignore[union-attr]
    except UnicodeDecodeError as exc:
        raise _read_error(source, encoding, exc) from exc

    result.columns = [
        pa.array([row[index] for row in rows], pa.string()) for index in range(width)
    ]
    if result.has_extra:
        result.header.append(EXTRA_COLUMN)
        result.columns.append(pa.array(extras, pa.string()))
    return result


def _fit(
    record: list[str],
    width: int,
    line: int,
    separator: str,
    extras: list[str | None],
    result: TextTable,
) -> list[str]:
    """Pad a short row with empty cells; move a long row's surplus to ``_extra``."""
    extras.append(None)
    if len(record) < width:
        message = (
            f"row has {len(record)} fields, the header has {width}: "
            "the missing cells are left empty"
        )
        result.problems.append((line, message))
        return record + [""] * (width - len(record))
    if len(record) > width:
        message = (
            f"row has {len(record)} fields, the header has {width}: "
            f"the extra values are kept in column {EXTRA_COLUMN!r}"
        )
        result.problems.append((line, message))
        result.has_extra = True
        extras[-1] = separator.join(record[width:])
        return record[:width]
    return record


def lines_of_rows(
    source: Source, encoding: str, separator: str | None, rows: list[int]
) -> dict[int, int]:
    """Find the file lines of a few 0-based data rows, scanning no further."""
    wanted = set(rows)
    found: dict[int, int] = {}
    last = max(wanted, default=-1)
    for index, (line, _) in enumerate(
        scan_records(source, encoding, separator or NO_DELIMITER)
    ):
        row = index - 1
        if row in wanted:
            found[row] = line
        if row >= last:
            break
    return found


def _read_error(source: Source, encoding: str, exc: Exception) -> IngestError:
    located = find_undecodable(source, encoding)
    if located is not None:
        line, bad = located
        message = (
            f"{source.filename!r} line {line} has bytes {bad!r} that are not valid "
            f"{encoding}. Pass the file's real encoding (e.g. encoding='cp1252'), or "
            "save the file as UTF-8 and upload it again."
        )
        return IngestError(message, filename=source.filename, line=line)
    message = f"Cannot read {source.filename!r} as delimited text: {exc}"
    return IngestError(message, filename=source.filename)


def find_undecodable(source: Source, encoding: str) -> tuple[int, bytes] | None:
    """The 1-based line and the bytes of the first undecodable spot, if any."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with source.open() as handle:
        while chunk := handle.read(1 << 20):
            try:
                line += decoder.decode(chunk).count("\n")
            except UnicodeDecodeError as exc:
                before = chunk[: max(exc.start, 0)]
                line += codecs.decode(before, encoding, errors="replace").count("\n")
                return line, exc.object[exc.start : exc.end + 3]
    return None
