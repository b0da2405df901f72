"""Reading delimited text: an exact path that finds the table, and a fast Arrow path.

Files up to ``EXACT_BYTES`` are read record by record with Python's csv module, which
finds the preamble, header rows, footnotes and a second table, and fits ragged rows.
Larger files with a plain layout go through pyarrow.csv; rows of the wrong width there
send the file back to the exact path.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeAlias

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
from nbdash.ingest.types import (
    Signed,
    TypedColumn,
    infer_column,
    native_column,
    native_type,
    parse_native,
    parse_signed_batch,
    signed_column,
    signed_shape,
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
    ready: dict[int, TypedColumn] = field(default_factory=dict)
    """Columns the Arrow path parsed straight into their type, by index (their
    entries in ``columns`` hold the typed values, not text)."""


def read_text_table(
    source: Source,
    encoding: str,
    dialect: Dialect | str | None,
    *,
    layout: Layout | None = None,
    ragged: Ragged = "extra_column",
    typed: bool = False,
) -> TextTable:
    """Read every cell as text; ``layout`` None detects it from the first records.

    With ``typed``, the Arrow path of a large file parses the columns whose sample
    is plain integers, numbers or ISO timestamps straight into that type (listed
    in ``TextTable.ready``), checking every value; the other columns stay text.
    """
    if not isinstance(dialect, Dialect):
        dialect = Dialect(dialect)
    if layout is None:
        layout = find_layout(source, encoding, dialect)

    if source.size > EXACT_BYTES and _arrow_can_read(layout, dialect):
        table = _read_fast(source, encoding, dialect, typed)
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


def _read_fast(
    source: Source, encoding: str, dialect: Dialect, typed: bool = False
) -> TextTable | None:
    """The Arrow read; None when rows are ragged or a row is too long for it."""
    # TODO: a second table of the same width is read as more rows here, with or
    # without a blank line before it (the exact path ends the table at its
    # header). Finding it needs a scan of the columns for a row that repeats a
    # header name; until then only a second table of another width (a ragged row)
    # sends a file over EXACT_BYTES back to the exact path, which finds it.
    ragged: list[int] = []
    try:
        if typed and _ascii_compatible(encoding):
            return _read_typed(source, encoding, dialect)
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


def _ascii_compatible(encoding: str) -> bool:
    try:
        return "a,0\n".encode(encoding) == b"a,0\n"
    except (LookupError, UnicodeError):
        return False


_FAILED_COLUMN = re.compile(r"In CSV column #(\d+)")
STREAM_BLOCK = 4 * 1024 * 1024
"""Bytes per batch of the streaming Arrow read."""
PLAN_BLOCK = 256 * 1024
"""Bytes of the first batch, whose values choose the types tried on the rest."""


def _read_typed(source: Source, encoding: str, dialect: Dialect) -> TextTable | None:
    """Read in batches; plain numeric and timestamp columns typed batch by batch.

    Their types are chosen on the first batch, then every later value is checked
    as its batch is converted: a column with a value that does not fit is read
    again as text (typed by :mod:`nbdash.ingest.types` from all its values). Only
    the text columns and the typed values are held, never the whole file's text.
    """
    names = [f"f{index}" for index in range(_header_width(source, encoding, dialect))]
    header, plan, wide = _plan(source, encoding, dialect, names)
    if not header:
        return None
    return _read_planned(source, encoding, dialect, names, header, (plan, wide))


def _read_planned(
    source: Source,
    encoding: str,
    dialect: Dialect,
    names: list[str],
    header: list[str],
    plans: tuple[dict[int, Plan], set[int]],
) -> TextTable | None:
    plan, wide = plans
    for _ in range(len(plan) + 1):
        ragged: list[int] = []
        columns, failed = _stream(
            source, encoding, dialect, names, (plan, wide), ragged
        )
        # Each batch's text of the typed columns is freed: give it back to the OS.
        _stream_pool().release_unused()
        if ragged:
            return None
        if not failed:
            ready = {
                index: _ready_column(columns[index], plan[index]) for index in plan
            }
            return TextTable(header, columns, ready=ready)
        logger.debug("%s: columns %s read again as text", source.filename, failed)
        plan = {index: kind for index, kind in plan.items() if index not in failed}
    return None


Plan: TypeAlias = pa.DataType | Signed
"""How a column is read batch by batch: an Arrow type (plain numbers, timestamps)
or the sign and suffix stripped off decorated numbers (``types.signed_shape``)."""


def _ready_column(values: pa.ChunkedArray, plan: Plan) -> TypedColumn:
    if isinstance(plan, pa.DataType):
        return native_column(values)
    return signed_column(values.chunks, plan)


def _plan(
    source: Source, encoding: str, dialect: Dialect, names: list[str]
) -> tuple[list[str], dict[int, Plan], set[int]]:
    """The header, how each column its first batch allows is read (an Arrow type,
    or the signs of decorated numbers, see ``Plan``), and the
    columns whose first batch is text (read as ``large_string``: pandas' Arrow-backed
    ``str`` takes that without a copy; the columns that will be numbers stay
    ``string``, whose offsets take half the memory until they are cast)."""
    with source.open() as handle:
        options = _arrow_options(encoding, dialect, names, {}, block_size=PLAN_BLOCK)
        reader = pacsv.open_csv(handle, *options)
        try:
            first = reader.read_next_batch()
        except StopIteration:
            first = pa.RecordBatch.from_pylist([], schema=reader.schema)
    if first.num_rows == 0:
        return [], {}, set()
    header = [_cell(value) for value in first.slice(0, 1).to_pylist()[0].values()]
    header[0] = header[0].removeprefix("\ufeff")
    plan: dict[int, Plan] = {}
    wide = set()
    for index in range(first.num_columns):
        sample = infer_column(first.column(index).slice(1))
        kind = native_type(sample)
        shape = signed_shape(first.column(index).slice(1))
        if kind is not None:
            plan[index] = kind
        elif shape is not None:
            plan[index] = shape
        elif sample.kind == "text":
            wide.add(index)
    return header, plan, wide


def _arrow_options(
    encoding: str,
    dialect: Dialect,
    names: list[str],
    plan: Mapping[int, pa.DataType],
    ragged: list[int] | None = None,
    skip_header: bool = False,
    block_size: int | None = None,
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Arrow's options; ``block_size`` None reads ``STREAM_BLOCK`` bytes per batch
    (looked up at call time, so tests may shrink it)."""
    block_size = STREAM_BLOCK if block_size is None else block_size

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        if ragged is not None:
            ragged.append(row.number or 0)
        return "skip"

    read_options = pacsv.ReadOptions(
        column_names=names,
        encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
        block_size=block_size,
        use_threads=block_size >= STREAM_BLOCK,
        skip_rows_after_names=1 if skip_header else 0,
    )
    parse_options = pacsv.ParseOptions(
        delimiter=dialect.delimiter or NO_DELIMITER,
        quote_char=dialect.quotechar or False,
        escape_char=dialect.escapechar or False,
        newlines_in_values=True,
        invalid_row_handler=on_invalid_row,
    )
    types = {name: plan.get(index, pa.string()) for index, name in enumerate(names)}
    # Only empty cells are missing ("NA" stays text); types.infer_column treats
    # empty text the same way, so the text columns may hold them as nulls.
    convert_options = pacsv.ConvertOptions(
        column_types=types, null_values=[""], strings_can_be_null=True
    )
    return read_options, parse_options, convert_options


def _stream(
    source: Source,
    encoding: str,
    dialect: Dialect,
    names: list[str],
    plans: tuple[dict[int, Plan], set[int]],
    ragged: list[int],
) -> tuple[list[pa.ChunkedArray], set[int]]:
    """The columns (typed where the plan says, ``large_string`` where the second
    item says), and the planned ones that failed."""
    plan, wide = plans
    # Timestamps are parsed by the reader; numbers are cast from each batch's text,
    # which shows leading zeros (007) that the reader's parser would drop.
    native = {index: kind for index, kind in plan.items() if kind == pa.timestamp("us")}
    read_as: dict[int, pa.DataType] = native | dict.fromkeys(wide, pa.large_string())
    options = _arrow_options(encoding, dialect, names, read_as, ragged, True)
    chunks: list[list[pa.Array]] = [[] for _ in names]
    failed: set[int] = set()
    with source.open() as handle:
        try:
            reader = pacsv.open_csv(handle, *options, memory_pool=_stream_pool())
            _convert_batches(reader, plan, chunks, failed)
        except pa.ArrowInvalid as exc:
            # The reader stops at a value its own parser (timestamps) refuses.
            column = _FAILED_COLUMN.search(str(exc))
            if column is None or int(column.group(1)) not in native:
                raise
            failed.add(int(column.group(1)))
    if failed:
        return [], failed
    return [
        _joined(parts, read_as.get(index, plan.get(index, pa.string())))
        for index, parts in enumerate(chunks)
    ], failed


def _joined(parts: list[pa.Array], plan: Plan) -> pa.ChunkedArray:
    if isinstance(plan, pa.DataType):
        return pa.chunked_array(parts, plan)
    return signed_column(parts, plan).values


def _stream_pool() -> pa.MemoryPool:
    """The allocator of the streamed read: jemalloc where pyarrow has it.

    The batches' text is allocated and freed a block at a time; mimalloc (pyarrow's
    default on Linux) kept about a file's worth of freed text resident at the peak
    in our measurements, jemalloc gives it back to the OS.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()


def _convert_batches(
    reader: pacsv.CSVStreamingReader,
    plan: dict[int, Plan],
    chunks: list[list[pa.Array]],
    failed: set[int],
) -> None:
    """Append each batch's columns to ``chunks``, typed where ``plan`` says.

    A worker thread converts each batch while the reader parses the next (both
    release the GIL), at most ``_AHEAD`` batches behind it.
    """
    pending: deque[Future[list[pa.Array | None]]] = deque()
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for batch in reader:
            pending.append(pool.submit(_convert_batch, batch, plan))
            while len(pending) > _AHEAD:
                _append_batch(pending.popleft().result(), chunks, failed)
        while pending:
            _append_batch(pending.popleft().result(), chunks, failed)


_WORKERS = 1
"""Threads converting batches (two measured no faster on two busy cores)."""
_AHEAD = 2
"""Batches read ahead of their conversion (each holds a block of the file's text)."""


def _convert_batch(
    batch: pa.RecordBatch, plan: dict[int, Plan]
) -> list[pa.Array | None]:
    """The batch's columns, typed where ``plan`` says (None: a value did not fit)."""
    converted: list[pa.Array | None] = []
    for index, column in enumerate(batch.columns):
        kind = plan.get(index)
        if kind is None:
            converted.append(column)
        elif isinstance(kind, pa.DataType):
            converted.append(parse_native(column, kind))
        else:
            converted.append(parse_signed_batch(column, kind))
    return converted


def _append_batch(
    converted: list[pa.Array | None], chunks: list[list[pa.Array]], failed: set[int]
) -> None:
    for index, column in enumerate(converted):
        if index in failed:
            continue
        if column is None:
            failed.add(index)
            chunks[index] = []
        else:
            chunks[index].append(column)


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
