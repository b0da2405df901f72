"""``read_table``: bytes or a path in, a typed DataFrame and a report out."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from itertools import islice

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nbdash.errors import IngestError
from nbdash.ingest.containers import gunzip, is_gzip, is_plain_zip, unzip
from nbdash.ingest.csvfile import (
    EXACT_BYTES,
    EXTRA_COLUMN,
    TextTable,
    find_layout,
    lines_of_rows,
    read_text_table,
)
from nbdash.ingest.detection import (
    Dialect,
    decode_sample,
    detect_encoding,
    detect_format,
    sniff_dialect,
)
from nbdash.ingest.formats import (
    SHEET_DIALECT,
    Sheet,
    cell_text,
    find_flagged_cells,
    open_sheet,
    read_binary_format,
    sheet_names,
)
from nbdash.ingest.memory import system_malloc
from nbdash.ingest.naming import column_names
from nbdash.ingest.records import Record
from nbdash.ingest.report import ColumnReport, IngestReport, IngestResult
from nbdash.ingest.source import Source
from nbdash.ingest.structure import (
    LAYOUT_RECORDS,
    RAGGED_CHOICES,
    Layout,
    Ragged,
    Rows,
    build_rows,
    detect_layout,
)
from nbdash.ingest.types import (
    Override,
    TypedColumn,
    infer_column,
    resolve_overrides,
    type_columns,
)

_Overrides = tuple[Mapping[str, str] | None, Mapping[str, str] | None]

logger = logging.getLogger(__name__)


def read_table(
    source: str | os.PathLike[str] | bytes,
    *,
    filename: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    missing_values: Iterable[str] = (),
    dayfirst: bool | None = None,
    quotechar: str | None = None,
    escapechar: str | None = None,
    header_row: int | None = None,
    skip_rows: int = 0,
    ragged: Ragged = "extra_column",
    member: str | None = None,
    infer_types: bool = True,
    column_types: Mapping[str, str] | None = None,
    date_formats: Mapping[str, str] | None = None,
) -> IngestResult:
    """Read a CSV/TSV, Excel, Parquet or JSON file into a typed DataFrame.

    Gzip files and zip archives holding one such file are unpacked first, within
    size and ratio limits. Delimited text is searched for its table: a preamble
    before the header, a header spread over several rows, footnotes after the rows
    and a second table are found and reported, never read as data.

    Parameters
    ----------
    source
        A path, or the file's bytes.
    filename
        The name the user knows the file by; its extension helps find the format.
    encoding
        The text encoding; detected when None (BOMs, UTF-8, then a guess).
    delimiter
        The field delimiter, any single character; detected when None.
    sheet
        The Excel sheet's name or 0-based index; the first sheet when None. See
        :func:`list_sheets`.
    missing_values
        Cells that mean "missing" besides empty ones, e.g. ``["NA", "n/a"]``.
    dayfirst
        For dates like 03/04/2024 that fit both orders: True reads day first.
    quotechar, escapechar
        The quote character and the escape character of delimited text; detected
        when None (``quotechar="none"`` reads quotes as text).
    header_row
        The 0-based non-blank record (after ``skip_rows``) holding the column names;
        ``-1`` when the file has no header; detected when None.
    skip_rows
        Non-blank records to skip before the table (a preamble the detection missed).
    ragged
        What to do with fields past the header's width: ``"extra_column"`` keeps
        them in a text column ``_extra``, ``"drop"`` drops them, ``"error"`` raises.
        Every such row is reported with its line either way.
    member
        The file to read inside a zip archive that holds several.
    infer_types
        False keeps every column as text, exactly as written in the file.

    column_types
        Types chosen by the user, by column name (in the frame or the file):
        ``"text"``, ``"integer"``, ``"number"``, ``"boolean"``, ``"datetime"`` or
        ``"category"``. Values that do not fit are left missing, counted as
        unparseable and reported with their lines (sheet rows for Excel, record
        lines for NDJSON). Every format: the column of a Parquet or JSON file is
        written out as text and typed as delimited text is.
    date_formats
        ``strptime`` formats by column, e.g. ``{"day": "%d/%m/%y"}``; such a column
        is read as datetime with it. Every format, like ``column_types``.

    Returns
    -------
    IngestResult
        ``.frame`` with inferred dtypes and ``.report`` of what was found.

    Raises
    ------
    IngestError
        When the file is not a readable table; the message names the file and,
        where there is one, the line.

    Examples
    --------
    >>> data = b'city,zip,sales\\nParis,07500,"1,200.50"\\nLyon,69001,3\\n'
    >>> result = read_table(data, filename="sales.csv")
    >>> result.frame.dtypes.astype(str).tolist()
    ['str', 'str', 'float64']
    >>> result.frame["sales"].sum()
    np.float64(1203.5)
    """
    _check_options(ragged, delimiter, quotechar, escapechar)
    # Arrow allocates from malloc for the whole read: freed batch text and typed
    # values go back to the OS before pandas copies the columns into the frame.
    with system_malloc():
        src = unpack(Source.of(source, filename), member)
        head = src.head()
        with src.open() as handle:
            file_format = detect_format(head, src.filename, zip_source=handle)
        logger.debug("Reading %s as %s", src.filename, file_format)

        typing = _Typing(
            tuple(missing_values), dayfirst, infer_types, (column_types, date_formats)
        )
        if file_format not in ("csv", "xlsx"):
            return _read_records(src, file_format, typing)
        options = _TextOptions(
            encoding, delimiter, quotechar, escapechar, header_row, skip_rows, ragged
        )
        if file_format == "xlsx":
            return _read_sheet(src, sheet, options, typing)
        return _read_delimited(src, head, options, typing)


def list_sheets(
    source: str | os.PathLike[str] | bytes, *, filename: str | None = None
) -> list[str]:
    """The sheet names of an Excel workbook, in workbook order.

    Examples
    --------
    >>> import io, pandas as pd
    >>> buffer = io.BytesIO()
    >>> with pd.ExcelWriter(buffer) as writer:
    ...     pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="Jan", index=False)
    ...     pd.DataFrame({"a": [2]}).to_excel(writer, sheet_name="Feb", index=False)
    >>> list_sheets(buffer.getvalue(), filename="book.xlsx")
    ['Jan', 'Feb']
    """
    src = unpack(Source.of(source, filename), None)
    return sheet_names(src)


def unpack(src: Source, member: str | None) -> Source:
    """The file inside a gzip or zip container, else ``src`` itself."""
    head = src.head(8)
    if is_gzip(head):
        return unpack(gunzip(src), member)
    if is_plain_zip(src, head):
        return unzip(src, member)
    return src


def _check_options(
    ragged: str, delimiter: str | None, quotechar: str | None, escapechar: str | None
) -> None:
    if ragged not in RAGGED_CHOICES:
        message = (
            f"ragged={ragged!r} is not an option; expected one of "
            f"{', '.join(map(repr, RAGGED_CHOICES))}."
        )
        raise IngestError(message)
    for name, value in (("delimiter", delimiter), ("escapechar", escapechar)):
        if value is not None and len(value) != 1:
            message = f"{name} must be one character; received {value!r}."
            raise IngestError(message)
    if quotechar is not None and len(quotechar) != 1 and quotechar != "none":
        message = f"quotechar must be one character or 'none'; received {quotechar!r}."
        raise IngestError(message)


@dataclass
class _TextOptions:
    encoding: str | None
    delimiter: str | None
    quotechar: str | None
    escapechar: str | None
    header_row: int | None
    skip_rows: int
    ragged: Ragged


@dataclass
class _Typing:
    """How columns are typed: the options of ``read_table`` every format shares."""

    missing_values: tuple[str, ...] = ()
    dayfirst: bool | None = None
    infer_types: bool = True
    overrides: _Overrides = field(default=(None, None))


def _read_delimited(
    src: Source, head: bytes, options: _TextOptions, typing: _Typing
) -> IngestResult:
    encoding = options.encoding or detect_encoding(head, src.filename)
    sample = _sample(src, head, encoding)
    dialect = _dialect(sample, options)
    layout = _layout(src, encoding, dialect, options)

    # Columns the user types are read as text, so their misfits can be reported;
    # with missing_values too, so tokens such as -999 are counted as missing.
    typed = typing.infer_types and not any(typing.overrides)
    typed = typed and not typing.missing_values
    text = read_text_table(
        src, encoding, dialect, layout=layout, ragged=options.ragged, typed=typed
    )
    if not text.header and not text.columns:
        raise _empty(src.filename)
    report = IngestReport(
        src.filename, "csv", encoding=encoding, delimiter=dialect.delimiter
    )
    _report_layout(text, encoding, dialect, report)
    frame = _typed_frame(text, report, typing)
    _locate_unparseable(src, encoding, dialect, text, report)
    report.collect_changes()

    logger.info(
        "Read %s: %d rows, %d columns", src.filename, report.rows, frame.shape[1]
    )
    return IngestResult(frame, report)


SNIFF_BYTES_LARGE = 32 * 1024
"""The dialect of a file past ``EXACT_BYTES`` is sniffed on its first 32 KiB (some
hundreds of records): sniffing costs about 1 s per 100 KiB on a busy machine, and
the Arrow reader then checks every row's width against the header anyway."""


def _sample(src: Source, head: bytes, encoding: str) -> str:
    complete = src.size <= len(head)
    if src.size > EXACT_BYTES:
        head = head[:SNIFF_BYTES_LARGE]
    sample = decode_sample(head, encoding, complete=complete)
    if complete and not sample.strip():
        raise _empty(src.filename)
    return sample


def _empty(filename: str) -> IngestError:
    message = (
        f"{filename!r} is empty: it has no header and no rows. "
        "Upload a file whose first line names the columns."
    )
    return IngestError(message, filename=filename, line=1)


def _dialect(sample: str, options: _TextOptions) -> Dialect:
    quote = options.quotechar
    dialect = sniff_dialect(
        sample,
        delimiter=options.delimiter,
        quotechar=None if quote == "none" else quote,
        escapechar=options.escapechar,
    )
    if quote == "none":
        dialect = replace(dialect, quotechar=None, escapechar=None)
    return dialect


def _layout(
    src: Source, encoding: str, dialect: Dialect, options: _TextOptions
) -> Layout:
    return _chosen_layout(find_layout(src, encoding, dialect), options)


def _chosen_layout(detected: Layout, options: _TextOptions) -> Layout:
    """The detected layout with ``header_row`` and ``skip_rows`` applied."""
    if options.header_row is None and not options.skip_rows:
        return detected
    skip = options.skip_rows + max(options.header_row or 0, 0)
    if options.header_row is None:
        skip = options.skip_rows + detected.skip
    header_rows = 0 if options.header_row == -1 else detected.header_rows or 1
    if options.header_row is not None and options.header_row >= 0:
        header_rows = 1
    return replace(detected, skip=skip, header_rows=header_rows)


def _report_layout(
    text: TextTable, encoding: str, dialect: Dialect, report: IngestReport
) -> None:
    if encoding == "utf-8-sig":
        report.add_problem(1, None, "byte order mark (BOM) at the start removed")
    _report_no_header(text, report)
    if dialect.skipinitialspace:
        report.add_problem(None, None, "spaces after each delimiter removed")
    if dialect.escapechar:
        report.add_problem(
            None, None, f"{dialect.escapechar!r} read as the escape character"
        )


def _report_no_header(text: TextTable, report: IngestReport) -> None:
    if text.header_rows == 0:
        report.add_problem(
            None, None, "the file has no header row: columns are named column_1, ..."
        )


def _typed_frame(
    text: TextTable, report: IngestReport, typing: _Typing
) -> pd.DataFrame:
    for line, message in text.problems:
        report.add_problem(line, None, message)

    names = column_names(text.header)
    # Surplus fields are whatever a broken row held: keep them as written.
    is_extra = text.has_extra and text.header[-1:] == [EXTRA_COLUMN]
    if typing.infer_types:
        typed_columns = type_columns(
            names,
            text.header,
            text.columns,
            missing_values=typing.missing_values,
            dayfirst=typing.dayfirst,
            column_types=typing.overrides[0],
            date_formats=typing.overrides[1],
            keep_as_text=len(names) - 1 if is_extra else None,
            ready=text.ready,
        )
    else:
        typed_columns = [TypedColumn(raw, raw.null_count) for raw in text.columns]

    report.rows = len(text.columns[0]) if text.columns else 0
    series = {}
    for index, (name, original, typed) in enumerate(
        zip(names, text.header, typed_columns, strict=True)
    ):
        series[name] = _to_series(typed.values)
        report.columns.append(_column_report(name, original, series[name], typed))
        _release_column(text, typed, index)

    # copy=False: no consolidation of same-typed columns into one block, which
    # would copy every numeric column once more at the peak.
    return pd.DataFrame(series, index=pd.RangeIndex(report.rows), copy=False)


def _release_column(text: TextTable, typed: TypedColumn, index: int) -> None:
    """Drop the Arrow copy of a column pandas now holds (kept if it has misfits)."""
    if typed.unparseable_rows:
        return
    text.ready.pop(index, None)
    text.columns[index] = pa.nulls(len(text.columns[index]))
    typed.values = pa.nulls(0)
    pa.default_memory_pool().release_unused()


def _to_series(values: pa.Array) -> pd.Series:
    # Nullable pandas dtypes only where a value is missing, so complete integer
    # columns stay plain int64 like pandas.read_csv gives.
    if values.null_count and pa.types.is_integer(values.type):
        return pd.Series(
            values.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        )
    if values.null_count and pa.types.is_boolean(values.type):
        return pd.Series(
            values.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        )
    if _numpy_native(values):
        # Several chunks are joined straight into one writable NumPy array: one
        # copy where to_pandas would join them into Arrow memory, read-only, and
        # the frame would need a second copy to stay writable.
        return pd.Series(values.to_numpy(), copy=False)
    series = pd.Series(values.to_pandas())
    # A one-chunk column comes out as a read-only view of the Arrow buffer; the
    # frame is built without copying, so copy such a column to keep it writable.
    numeric = isinstance(series.dtype, np.dtype)
    if numeric and not series.to_numpy(copy=False).flags.writeable:
        series = series.copy()
    return series


def _numpy_native(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a column of several chunks has no missing values and a type NumPy
    holds as pandas would (integers, floats, booleans, naive timestamps)."""
    kind = values.type
    plain = (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or (pa.types.is_timestamp(kind) and kind.tz is None)
    )
    chunks = values.num_chunks if isinstance(values, pa.ChunkedArray) else 1
    return plain and chunks > 1 and values.null_count == 0


def _column_report(
    name: str, original: str, series: pd.Series, typed: TypedColumn
) -> ColumnReport:
    return ColumnReport(
        name=name,
        original_name=original,
        dtype=str(series.dtype),
        missing=typed.missing,
        unparseable=typed.unparseable,
        sample_lines=list(typed.unparseable_rows),
        notes=typed.notes,
        kind=typed.kind,
        overridden=typed.overridden,
        missing_tokens=typed.missing_tokens,
    )


def _locate_unparseable(
    src: Source,
    encoding: str,
    dialect: Dialect,
    text: TextTable,
    report: IngestReport,
) -> None:
    """Turn the row numbers of odd cells into file lines and report them."""
    rows = _misfit_rows(report)
    if not rows:
        return
    if text.row_lines is not None:
        lines = {row: text.row_lines[row] for row in rows}
    else:
        lines = lines_of_rows(src, encoding, dialect, rows)
    _report_misfits(report, dict(enumerate(text.columns)), lines)


def _misfit_rows(report: IngestReport) -> list[int]:
    return sorted({row for column in report.columns for row in column.sample_lines})


def _report_misfits(
    report: IngestReport, texts: Mapping[int, pa.Array], lines: Mapping[int, int]
) -> None:
    """Report each odd cell, quoting its text (``texts`` by column index), at its
    line; ``sample_lines`` become those lines (rows without a line are left out)."""
    for index, column in enumerate(report.columns):
        if not column.sample_lines:
            continue
        raw = texts[index]
        for row in column.sample_lines:
            message = _misfit(raw[row].as_py(), column)
            report.add_problem(lines.get(row), column.name, message)
        column.sample_lines = [
            lines[row] for row in column.sample_lines if row in lines
        ]


def _misfit(value: object, column: ColumnReport) -> str:
    if column.overridden:
        return f"{value!r} is not a valid {column.kind}: the cell is left missing"
    return f"{value!r} is not a number, so column {column.name!r} is kept as text"


# -- Excel sheets ------------------------------------------------------------------


def _read_sheet(
    src: Source, sheet: str | int | None, options: _TextOptions, typing: _Typing
) -> IngestResult:
    """A sheet's cells as text through the delimited-text path (lines: sheet rows)."""
    with open_sheet(src, sheet) as opened:
        first = _first_records(opened)
        layout = _chosen_layout(detect_layout(first), options)
        opened.width = _table_width(first, layout)
        # Rows are mended by the shapes of their cells only when a delimiter may
        # have been doubled or lost; a sheet's cells have no delimiters.
        layout = replace(layout, width=opened.width, profile=None)
        text, fields = _sheet_table(opened, layout, options.ragged)
    if not text.columns or not len(text.columns[0]):
        raise _no_data(src, opened)

    report = IngestReport(src.filename, "xlsx")
    _report_no_header(text, report)
    # The surplus fields of ragged rows are mostly empty: they say nothing here.
    table = zip(text.header, text.columns, strict=True)
    if any(_has_empty_cells(column) for name, column in table if name != EXTRA_COLUMN):
        find_flagged_cells(src, opened)
        _report_flagged_cells(opened, text, fields, report)
    frame = _typed_frame(text, report, typing)
    assert text.row_lines is not None
    lines = {row: text.row_lines[row] for row in _misfit_rows(report)}
    _report_misfits(report, dict(enumerate(text.columns)), lines)
    report.collect_changes()

    logger.info(
        "Read sheet %r of %s: %d rows, %d columns",
        opened.name,
        src.filename,
        report.rows,
        frame.shape[1],
    )
    return IngestResult(frame, report)


def _first_records(opened: Sheet) -> list[Record]:
    with closing(opened.records()) as records:
        filled = (record for record in records if not record.is_blank)
        return list(islice(filled, LAYOUT_RECORDS))


def _table_width(records: list[Record], layout: Layout) -> int:
    """How many columns the table has: as far as the header names columns, or as
    most rows reach (an unnamed last column). A row reaching further is ragged."""
    start = layout.skip + layout.header_rows
    named = max((_extent(one) for one in records[layout.skip : start]), default=0)
    reach = sorted(_extent(one) for one in records[start:])
    usual = reach[len(reach) // 2] if reach else 0
    return max(named, usual)


def _extent(record: Record) -> int:
    """The number of fields up to the last filled one."""
    filled = [index for index, cell in enumerate(record.fields) if cell.strip()]
    return filled[-1] + 1 if filled else 0


def _sheet_table(
    opened: Sheet, layout: Layout, ragged: Ragged
) -> tuple[TextTable, list[int]]:
    """The table's cells as text columns, and the record field of each; columns
    empty in the header and in every row (spacers, a table that starts in column
    B), and notes written beside the table, are left out."""
    with closing(opened.records()) as records:
        try:
            rows = build_rows(records, layout, SHEET_DIALECT, ragged)
        except IngestError as exc:
            if exc.filename:
                raise
            message = f"{opened.filename!r} sheet {opened.name!r} {exc}"
            raise IngestError(message, filename=opened.filename, line=exc.line) from exc

    width = len(rows.header) - rows.has_extra
    kept = [index for index in range(width) if _has_cells(rows, index)]
    kept = _without_notes_beside(rows, kept)
    header = [rows.header[index] for index in kept]
    columns = [
        pa.array([row[index] for row in rows.rows], pa.string()) for index in kept
    ]
    if rows.has_extra:
        header.append(EXTRA_COLUMN)
        columns.append(pa.array(rows.extras, pa.string()))
    rows.rows.clear()
    text = TextTable(
        header,
        columns,
        problems=list(rows.notes),
        row_lines=rows.lines,
        has_extra=rows.has_extra,
        header_rows=layout.header_rows,
    )
    return text, kept


NOTES_GAP = 2
"""Empty columns that part a table from notes written to its right."""


def _without_notes_beside(rows: Rows, kept: list[int]) -> list[int]:
    """``kept`` without the columns past a gap of ``NOTES_GAP`` empty columns when
    each holds cells in at most half of the rows: notes, not data. The notes are
    reported with their lines."""
    gaps = [at for at in range(1, len(kept)) if kept[at] - kept[at - 1] > NOTES_GAP]
    if not gaps:
        return kept
    beside = kept[gaps[-1] :]
    filled = [sum(bool(row[index].strip()) for row in rows.rows) for index in beside]
    if any(2 * count > len(rows.rows) for count in filled):
        return kept
    for index in beside:
        if rows.header[index].strip():
            rows.notes.append(
                (None, f"note beside the header dropped: {rows.header[index]!r}")
            )
        for line, row in zip(rows.lines, rows.rows, strict=True):
            if row[index].strip():
                rows.notes.append(
                    (line, f"note beside the table dropped: {row[index]!r}")
                )
    return kept[: gaps[-1]]


def _has_empty_cells(column: pa.Array) -> bool:
    return column.null_count > 0 or bool(pc.any(pc.equal(column, "")).as_py())


def _report_flagged_cells(
    opened: Sheet, text: TextTable, fields: list[int], report: IngestReport
) -> None:
    """Report the table's error cells one by one, and its formulas saved without
    a result (which calamine reads as empty cells) once per column."""
    assert text.row_lines is not None
    lines = set(text.row_lines)
    names = dict(zip(fields, column_names(text.header), strict=False))
    unsaved: dict[int, list[int]] = {}
    for (line, column), in_column in _flagged(opened, lines, names):
        if in_column is None:
            unsaved.setdefault(column, []).append(line)
        else:
            message = f"Excel error {in_column!r} in the cell: read as missing"
            report.add_problem(line, names[column], message)
    for column, at in unsaved.items():
        message = (
            f"{len(at)} formula cells have no saved result (their file was written "
            "by a program that does not calculate), so they are empty: open the file "
            "in Excel or LibreOffice and save it to store the results"
        )
        report.add_problem(min(at), names[column], message)


def _flagged(
    opened: Sheet, lines: set[int], names: Mapping[int, str]
) -> list[tuple[tuple[int, int], str | None]]:
    """The flagged cells inside the table, by (line, record field): the error
    text, or None for a formula without a saved result."""
    first = opened.first_column
    cells: list[tuple[tuple[int, int], str | None]] = [
        ((row, column - first), error)
        for (row, column), error in opened.flagged.errors.items()
    ]
    cells += [((row, column - first), None) for row, column in opened.flagged.unsaved]
    return sorted(
        (place, error)
        for place, error in cells
        if place[0] in lines and place[1] in names
    )


def _has_cells(rows: Rows, index: int) -> bool:
    if rows.header[index].strip():
        return True
    return any(row[index].strip() for row in rows.rows)


def _no_data(src: Source, opened: Sheet) -> IngestError:
    if opened.is_chart:
        message = (
            f"Sheet {opened.name!r} of {src.filename!r} is a chart sheet: it holds "
            f"a chart, no cells. Sheets: {', '.join(opened.sheets)}; choose the "
            "sheet of the chart's data with sheet=."
        )
        return IngestError(message, filename=src.filename)
    message = (
        f"Sheet {opened.name!r} of {src.filename!r} holds no data (no rows under a "
        f"header). Sheets: {', '.join(opened.sheets)}; choose another with sheet=."
    )
    return IngestError(message, filename=src.filename, line=1)


# -- Parquet and JSON --------------------------------------------------------------


def _read_records(src: Source, file_format: str, typing: _Typing) -> IngestResult:
    """A file that carries its types; ``column_types``/``date_formats`` columns are
    written out as text (``formats.cell_text``) and typed as delimited text is."""
    read = read_binary_format(src, file_format)
    frame = read.frame
    original = [str(name) for name in frame.columns]
    names = column_names(original)
    frame.columns = pd.Index(names)
    overrides = resolve_overrides(names, original, *typing.overrides)

    report = IngestReport(src.filename, file_format, rows=len(frame))
    texts: dict[int, pa.Array] = {}
    for index, (name, before) in enumerate(zip(names, original, strict=True)):
        if overrides[index] == (None, None):
            column = frame[name]
            missing = int(column.isna().sum())
            report.columns.append(
                ColumnReport(name, before, str(column.dtype), missing)
            )
            continue
        texts[index] = _as_text(frame[name])
        typed = _retyped(texts[index], overrides[index], typing)
        frame[name] = _to_series(typed.values).set_axis(frame.index)
        report.columns.append(_column_report(name, before, frame[name], typed))

    rows = _misfit_rows(report)
    lines = {} if read.lines is None else {row: read.lines[row] for row in rows}
    _report_misfits(report, texts, lines)
    report.collect_changes()
    return IngestResult(frame, report)


def _as_text(column: pd.Series) -> pa.Array:
    return pa.array([cell_text(value) for value in column.tolist()], pa.string())


def _retyped(text: pa.Array, override: Override, typing: _Typing) -> TypedColumn:
    kind, date_format = override
    return infer_column(
        text,
        missing_values=typing.missing_values,
        dayfirst=typing.dayfirst,
        kind=kind,
        date_format=date_format,
    )
