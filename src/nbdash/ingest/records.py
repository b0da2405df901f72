"""Records of delimited text with their file lines, read with bounded line length."""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from nbdash.errors import IngestError
from nbdash.ingest.detection import Dialect, csv_arguments
from nbdash.ingest.source import Source

logger = logging.getLogger(__name__)

MAX_LINE_CHARS = 64 * 1024 * 1024
"""The longest physical line read; a longer one is refused, never loaded whole."""
REPAIR_CHARS = 100_000
"""Records longer than this are not retried with a stray quote taken literally."""
_SENTINEL = "\ue000"
STRAY_QUOTE = "a stray quote character was kept as text"
LOST_DELIMITER = "a delimiter seems lost before a quoted field and was put back"


@dataclass
class Record:
    """One record: its first file line (1-based), its fields and its raw text."""

    line: int
    fields: list[str]
    raw: str
    mended: str = ""
    """How the record was re-split from its raw text (a note for the report)."""

    @property
    def filled(self) -> int:
        """How many fields hold something other than spaces."""
        return sum(1 for cell in self.fields if cell.strip())

    @property
    def is_blank(self) -> bool:
        """True for an empty line or a line of empty fields only."""
        return self.filled == 0


def read_records(source: Source, encoding: str, dialect: Dialect) -> Iterator[Record]:
    """Yield every record of the file, blank ones included, with its first line.

    Raises
    ------
    IngestError
        For a line longer than ``MAX_LINE_CHARS``, bytes that are not valid in
        ``encoding``, or a legacy-encoded file that turns into UTF-8 part way.
    """
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_CHARS))
    with source.open() as handle:
        text = io.TextIOWrapper(handle, encoding=encoding, newline="")
        lines = _LineFeed(text, source, encoding)
        reader = csv.reader(lines, **csv_arguments(dialect))
        try:
            for fields in reader:
                raw = lines.take()
                yield Record(lines.first_line, fields, raw)
                lines.first_line = lines.next_line
        except csv.Error as exc:
            message = (
                f"{source.filename!r} line {lines.next_line - 1} cannot be split into "
                f"fields: {exc}. Check the quote character or pass quotechar=."
            )
            raise IngestError(
                message, filename=source.filename, line=lines.next_line - 1
            ) from exc


class _LineFeed:
    """Physical lines for ``csv.reader``, remembered until the record is taken."""

    def __init__(self, text: io.TextIOWrapper, source: Source, encoding: str) -> None:
        self.text = text
        self.source = source
        self.encoding = encoding
        self.legacy = not codecs.lookup(encoding).name.startswith("utf")
        self.taken: list[str] = []
        self.first_line = 1
        self.next_line = 1

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        try:
            line = self.text.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError as exc:
            raise undecodable(self.source, self.encoding, exc) from exc
        if not line:
            raise StopIteration
        if len(line) > MAX_LINE_CHARS:
            raise line_too_long(self.source, self.next_line)
        if self.legacy and not line.isascii():
            self._check_not_utf8(line)
        self.taken.append(line)
        self.next_line += 1
        return line

    def take(self) -> str:
        """The raw text of the record just read."""
        raw = "".join(self.taken)
        self.taken.clear()
        return raw

    def _check_not_utf8(self, line: str) -> None:
        # Text in a single-byte code page almost never forms valid multi-byte UTF-8
        # sequences; when a line does, the file switched encoding there.
        try:
            encoded = line.encode(self.encoding)
            decoded = encoded.decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return
        if decoded != line:
            raise encoding_changed(self.source, self.encoding, self.next_line)


def line_too_long(source: Source, line: int) -> IngestError:
    """The error for a physical line past ``MAX_LINE_CHARS``."""
    limit = f"{MAX_LINE_CHARS:,}"
    message = (
        f"{source.filename!r} line {line} is longer than {limit} characters, so it "
        "was not read: this is not a table of rows. Check that the file is delimited "
        "text with line breaks between rows."
    )
    return IngestError(message, filename=source.filename, line=line)


def encoding_changed(source: Source, encoding: str, line: int) -> IngestError:
    """The error for a file that starts in a code page and continues in UTF-8."""
    message = (
        f"{source.filename!r} changes encoding at line {line}: the lines before read "
        f"as {encoding}, this one is UTF-8. Save the whole file in one encoding "
        "(UTF-8 is best) and upload it again."
    )
    return IngestError(message, filename=source.filename, line=line)


def undecodable(source: Source, encoding: str, exc: UnicodeDecodeError) -> IngestError:
    """The error for bytes not valid in ``encoding``, naming the file line."""
    line, bad = find_undecodable(source, encoding) or (None, exc.object[:4])
    where = f" line {line}" if line is not None else ""
    message = (
        f"{source.filename!r}{where} has bytes {bad!r} that are not valid "
        f"{encoding}: the file may change encoding there. Pass the file's real "
        "encoding (e.g. encoding='cp1252'), or save the file as UTF-8 and upload "
        "it again."
    )
    return IngestError(message, filename=source.filename, line=line)


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


def repair_stray_quote(
    record: Record, dialect: Dialect, width: int
) -> list[Record] | None:
    """Re-split a record whose wrong width comes from one stray quote character.

    Each quote in the raw text is in turn taken literally; the first choice that
    gives records of exactly ``width`` fields wins. None when no choice does, and
    when no field shows a sign of a stray quote (a quote character left in a field,
    or a line break: a quote opened by mistake runs on past the line's end), so
    well-quoted fields are never broken up to reach a width.
    """
    quote = dialect.quotechar
    if not quote or quote not in record.raw or len(record.raw) > REPAIR_CHARS:
        return None
    if not any(quote in cell or "\n" in cell or "\r" in cell for cell in record.fields):
        return None
    arguments = csv_arguments(dialect)
    start = record.raw.find(quote)
    while start >= 0:
        text = record.raw[:start] + _SENTINEL + record.raw[start + 1 :]
        repaired = _split(text, arguments, record.line, quote, STRAY_QUOTE)
        if repaired and all(len(one.fields) == width for one in repaired):
            return repaired
        start = record.raw.find(quote, start + 1)
    return None


def _split(
    text: str, arguments: dict[str, Any], first_line: int, quote: str, note: str
) -> list[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), **arguments)
    records: list[Record] = []
    consumed = 0
    try:
        for fields in reader:
            restored = [cell.replace(_SENTINEL, quote) for cell in fields]
            mended = "" if records else note
            records.append(Record(first_line + consumed, restored, "", mended))
            consumed = reader.line_num
    except csv.Error:
        return []
    return [one for one in records if not one.is_blank]


def mend_stray_quotes(
    records: Iterable[Record], dialect: Dialect, width: int
) -> Iterator[Record]:
    """The records, each of a width other than ``width`` re-split by
    :func:`mend_record` where it can be; the first of them carries the note."""
    for record in records:
        if width and not record.is_blank and len(record.fields) != width:
            repaired = mend_record(record, dialect, width)
            if repaired is not None:
                yield from repaired
                continue
        yield record


def usual_width(records: list[Record]) -> int:
    """The most common number of fields among non-blank records (0 for none)."""
    widths = Counter(len(one.fields) for one in records if not one.is_blank)
    return widths.most_common(1)[0][0] if widths else 0


def repair_lost_delimiter(
    record: Record, dialect: Dialect, width: int
) -> list[Record] | None:
    """Re-split a record whose quoted field lost the delimiter before it.

    ``a,b"c, d",e`` was meant as ``a,b,"c, d",e``: the quote inside ``b"c`` does not
    open a quoted field, so the field's delimiters split it (and ``"x""y"`` was
    meant as ``"x","y"``). Each quote that follows a character other than the
    delimiter is in turn given a delimiter before it; the first choice that gives
    one record of exactly ``width`` fields wins. None when no choice does.
    """
    quote, delimiter = dialect.quotechar, dialect.delimiter
    if not quote or not delimiter or len(record.raw) > REPAIR_CHARS:
        return None
    if not any(quote in cell for cell in record.fields):
        return None
    arguments = csv_arguments(dialect)
    start = record.raw.find(quote, 1)
    while start >= 0:
        if record.raw[start - 1] != delimiter:
            text = record.raw[:start] + delimiter + record.raw[start:]
            repaired = _split(text, arguments, record.line, quote, LOST_DELIMITER)
            if len(repaired) == 1 and len(repaired[0].fields) == width:
                return repaired
        start = record.raw.find(quote, start + 1)
    return None


def mend_record(record: Record, dialect: Dialect, width: int) -> list[Record] | None:
    """``record`` re-split to ``width`` fields: a lost delimiter before a quote put
    back, else a stray quote taken literally; None when neither explains it."""
    lost = repair_lost_delimiter(record, dialect, width)
    return lost if lost is not None else repair_stray_quote(record, dialect, width)
