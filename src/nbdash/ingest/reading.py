"""``read_table``: bytes or a path in, a typed DataFrame and a report out."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa

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
from nbdash.ingest.formats import read_binary_format, sheet_names
from nbdash.ingest.naming import column_names
from nbdash.ingest.report import ColumnReport, IngestReport, IngestResult
from nbdash.ingest.source import Source
from nbdash.ingest.structure import RAGGED_CHOICES, Layout, Ragged
from nbdash.ingest.types import TypedColumn, type_columns

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
        Delimited text only: types chosen by the user, by column name (in the frame
        or the file): ``"text"``, ``"integer"``, ``"number"``, ``"boolean"``,
        ``"datetime"`` or ``"category"``. Values that do not fit are left missing,
        counted as unparseable and reported with their lines.
    date_formats
        Delimited text only: ``strptime`` formats by column, e.g.
        ``{"day": "%d/%m/%y"}``; such a column is read as datetime with it.

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
    src = unpack(Source.of(source, filename), member)
    head = src.head()
    with src.open() as handle:
        file_format = detect_format(head, src.filename, zip_source=handle)
    logger.debug("Reading %s as %s", src.filename, file_format)

    overrides = (column_types, date_formats)
    if file_format != "csv":
        _no_overrides(src.filename, file_format, overrides)
        frame = read_binary_format(src, file_format, sheet)
        return _result_from_frame(frame, src.filename, file_format)
    options = _TextOptions(
        encoding, delimiter, quotechar, escapechar, header_row, skip_rows, ragged
    )
    return _read_delimited(
        src, head, options, tuple(missing_values), dayfirst, infer_types, overrides
    )


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


def _read_delimited(
    src: Source,
    head: bytes,
    options: _TextOptions,
    missing_values: tuple[str, ...],
    dayfirst: bool | None,
    infer_types: bool,
    overrides: _Overrides = (None, None),
) -> IngestResult:
    encoding = options.encoding or detect_encoding(head, src.filename)
    sample = _sample(src, head, encoding)
    dialect = _dialect(sample, options)
    layout = _layout(src, encoding, dialect, options)

    # Columns the user types are read as text, so their misfits can be reported;
    # with missing_values too, so tokens such as -999 are counted as missing.
    typed = infer_types and not any(overrides) and not missing_values
    text = read_text_table(
        src, encoding, dialect, layout=layout, ragged=options.ragged, typed=typed
    )
    if not text.header and not text.columns:
        raise _empty(src.filename)
    report = IngestReport(
        src.filename, "csv", encoding=encoding, delimiter=dialect.delimiter
    )
    _report_layout(text, encoding, dialect, report)
    frame = _typed_frame(text, report, missing_values, dayfirst, infer_types, overrides)
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
    detected = find_layout(src, encoding, dialect)
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
    if text.header_rows == 0:
        report.add_problem(
            None, None, "the file has no header row: columns are named column_1, ..."
        )
    if dialect.skipinitialspace:
        report.add_problem(None, None, "spaces after each delimiter removed")
    if dialect.escapechar:
        report.add_problem(
            None, None, f"{dialect.escapechar!r} read as the escape character"
        )


def _typed_frame(
    text: TextTable,
    report: IngestReport,
    missing_values: tuple[str, ...],
    dayfirst: bool | None,
    infer_types: bool = True,
    overrides: _Overrides = (None, None),
) -> pd.DataFrame:
    for line, message in text.problems:
        report.add_problem(line, None, message)

    names = column_names(text.header)
    # Surplus fields are whatever a broken row held: keep them as written.
    is_extra = text.has_extra and text.header[-1:] == [EXTRA_COLUMN]
    if infer_types:
        typed_columns = type_columns(
            names,
            text.header,
            text.columns,
            missing_values=missing_values,
            dayfirst=dayfirst,
            column_types=overrides[0],
            date_formats=overrides[1],
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
    rows = sorted({row for column in report.columns for row in column.sample_lines})
    if not rows:
        return
    if text.row_lines is not None:
        lines = {row: text.row_lines[row] for row in rows}
    else:
        lines = lines_of_rows(src, encoding, dialect, rows)

    for index, column in enumerate(report.columns):
        raw = text.columns[index]
        for row in column.sample_lines:
            value = raw[row].as_py()
            report.add_problem(
                lines.get(row),
                column.name,
                _misfit(value, column),
            )
        column.sample_lines = [
            lines[row] for row in column.sample_lines if row in lines
        ]


def _misfit(value: object, column: ColumnReport) -> str:
    if column.overridden:
        return f"{value!r} is not a valid {column.kind}: the cell is left missing"
    return f"{value!r} is not a number, so column {column.name!r} is kept as text"


def _no_overrides(filename: str, file_format: str, overrides: _Overrides) -> None:
    # TODO: apply column_types/date_formats to Excel, Parquet and JSON columns too
    # (convert the column to text, then through types.infer_column). Not done yet:
    # these formats carry their own types, and the misfit report needs line numbers
    # they do not have; meanwhile the user gets the error below, saying what to do.
    if any(overrides):
        message = (
            f"column_types and date_formats apply to delimited text; {filename!r} is "
            f"{file_format}. Convert the column after reading, or save it as CSV."
        )
        raise IngestError(message, filename=filename)


def _result_from_frame(
    frame: pd.DataFrame, filename: str, file_format: str
) -> IngestResult:
    original = [str(name) for name in frame.columns]
    frame.columns = pd.Index(column_names(original))
    report = IngestReport(filename, file_format, rows=len(frame))
    for name, before in zip(frame.columns, original, strict=True):
        column = frame[name]
        report.columns.append(
            ColumnReport(
                name, before, str(column.dtype), missing=int(column.isna().sum())
            )
        )
    return IngestResult(frame, report)
