"""``read_table``: bytes or a path in, a typed DataFrame and a report out."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from nbdash.errors import IngestError
from nbdash.ingest.csvfile import (
    EXTRA_COLUMN,
    TextTable,
    lines_of_rows,
    read_text_table,
)
from nbdash.ingest.detection import (
    decode_sample,
    detect_encoding,
    detect_format,
    sniff_delimiter,
)
from nbdash.ingest.formats import read_binary_format
from nbdash.ingest.naming import column_names
from nbdash.ingest.report import ColumnReport, IngestReport, IngestResult
from nbdash.ingest.source import Source
from nbdash.ingest.types import TypedColumn, infer_column

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
) -> IngestResult:
    """Read a CSV/TSV, Excel, Parquet or JSON file into a typed DataFrame.

    Parameters
    ----------
    source
        A path, or the file's bytes.
    filename
        The name the user knows the file by; its extension helps find the format.
    encoding
        The text encoding; detected when None (UTF-8 first, then a guess).
    delimiter
        The field delimiter; detected among ``, ; tab |`` when None.
    sheet
        The Excel sheet's name or 0-based index; the first sheet when None.
    missing_values
        Cells that mean "missing" besides empty ones, e.g. ``["NA", "n/a"]``.
    dayfirst
        For dates like 03/04/2024 that fit both orders: True reads day first.

    Returns
    -------
    IngestResult
        ``.frame`` with inferred dtypes and ``.report`` of what was found.

    Examples
    --------
    >>> data = b'city,zip,sales\\nParis,07500,"1,200.50"\\nLyon,69001,3\\n'
    >>> result = read_table(data, filename="sales.csv")
    >>> result.frame.dtypes.astype(str).tolist()
    ['str', 'str', 'float64']
    >>> result.frame["sales"].sum()
    np.float64(1203.5)
    """
    src = Source.of(source, filename)
    head = src.head()
    with src.open() as handle:
        file_format = detect_format(head, src.filename, zip_source=handle)
    logger.debug("Reading %s as %s", src.filename, file_format)

    if file_format != "csv":
        frame = read_binary_format(src, file_format, sheet)
        return _result_from_frame(frame, src.filename, file_format)
    return _read_delimited(
        src, head, encoding, delimiter, tuple(missing_values), dayfirst
    )


def _read_delimited(
    src: Source,
    head: bytes,
    encoding: str | None,
    delimiter: str | None,
    missing_values: tuple[str, ...],
    dayfirst: bool | None,
) -> IngestResult:
    encoding = encoding or detect_encoding(head, src.filename)
    complete = src.size <= len(head)
    sample = decode_sample(head, encoding, complete=complete)
    if complete and not sample.strip():
        message = (
            f"{src.filename!r} is empty: it has no header and no rows. "
            "Upload a file whose first line names the columns."
        )
        raise IngestError(message, filename=src.filename)

    delimiter = delimiter or sniff_delimiter(sample)
    text = read_text_table(src, encoding, delimiter)
    report = IngestReport(src.filename, "csv", encoding=encoding, delimiter=delimiter)
    frame = _typed_frame(text, report, missing_values, dayfirst)
    _locate_unparseable(src, encoding, delimiter, text, report)

    logger.info(
        "Read %s: %d rows, %d columns", src.filename, report.rows, frame.shape[1]
    )
    return IngestResult(frame, report)


def _typed_frame(
    text: TextTable,
    report: IngestReport,
    missing_values: tuple[str, ...],
    dayfirst: bool | None,
) -> pd.DataFrame:
    for line, message in text.problems:
        report.add_problem(line, None, message)

    names = column_names(text.header)
    series = {}
    for name, original, raw in zip(names, text.header, text.columns, strict=True):
        is_extra = text.has_extra and original == EXTRA_COLUMN and name == names[-1]
        if is_extra:
            # Surplus fields are whatever a broken row held: keep them as written.
            typed = TypedColumn(raw, raw.null_count)
        else:
            typed = infer_column(raw, missing_values=missing_values, dayfirst=dayfirst)
        series[name] = _to_series(typed.values)
        report.columns.append(_column_report(name, original, series[name], typed))

    report.rows = len(text.columns[0]) if text.columns else 0
    return pd.DataFrame(series, index=pd.RangeIndex(report.rows))


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
    return pd.Series(values.to_pandas())


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
    )


def _locate_unparseable(
    src: Source,
    encoding: str,
    delimiter: str | None,
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
        lines = lines_of_rows(src, encoding, delimiter, rows)

    for index, column in enumerate(report.columns):
        raw = text.columns[index]
        for row in column.sample_lines:
            value = raw[row].as_py()
            report.add_problem(
                lines.get(row),
                column.name,
                f"{value!r} is not a number, so column {column.name!r} is kept as text",
            )
        column.sample_lines = [
            lines[row] for row in column.sample_lines if row in lines
        ]


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
