"""Finding the table in delimited text: preamble, header rows, footnotes, 2nd table.

The records of the first lines decide the layout: which rows before the header are a
preamble, whether the first row is a header at all, and how many rows the header
spans. While the rows are read, a row that looks like a new header ends the table,
thin rows at the very end are footnotes, and rows of the wrong width are fitted as the
``ragged`` option says. Every change is returned as a note with its file line.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from nbdash.errors import IngestError
from nbdash.ingest.detection import Dialect
from nbdash.ingest.records import (
    Record,
    mend_record,
    mend_stray_quotes,
)
from nbdash.ingest.repair import (
    Profile,
    drop_doubled_delimiters,
    split_run_together,
)

logger = logging.getLogger(__name__)

Ragged = Literal["extra_column", "drop", "error"]
RAGGED_CHOICES = ("extra_column", "drop", "error")
EXTRA_COLUMN = "_extra"
LAYOUT_RECORDS = 200

_TYPED = re.compile(
    r"""^\s*(?:
        [-+(]?[$€£¥]?\s?[-+]?\d[\d,.' ]*\)?%?\s?[$€£¥]?
        |\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\S*
        |\d{1,2}:\d{2}(:\d{2})?(\s?[ap]m)?
        |true|false
    )\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_MISSING_WORDS = {"", "na", "n/a", "null", "none", "nan", "-", "--", "?"}


@dataclass
class Layout:
    """Where the table starts: rows to skip and how many header rows follow."""

    skip: int = 0
    """Non-blank records before the header (the preamble)."""
    header_rows: int = 1
    """Records that form the header (0: no header, names are made up)."""
    typed_columns: list[int] = field(default_factory=list)
    """Columns whose values are mostly numbers, dates or times."""
    width: int = 0
    """The usual number of fields of the rows after the header."""
    profile: Profile | None = None
    """The cell shapes of the first rows of that width, to mend rows by."""


@dataclass
class Rows:
    """The table's records as text, each with its first file line."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    extras: list[str | None] = field(default_factory=list)
    notes: list[tuple[int | None, str]] = field(default_factory=list)
    has_extra: bool = False


def is_typed(cell: str) -> bool:
    """Whether a cell reads as a number, date, time or boolean."""
    return bool(_TYPED.match(cell))


def detect_layout(records: list[Record]) -> Layout:
    """Decide the preamble and the header rows from the first non-blank records."""
    if not records:
        return Layout(0, 0)
    usual = sorted(record.filled for record in records)[len(records) // 2]
    least = max(2, math.ceil(0.5 * usual)) if usual >= 2 else 1
    skip = 0
    while skip < len(records) - 1 and records[skip].filled < least:
        skip += 1

    body = records[skip:]
    # Rows right under the header may be more header; judge types further down.
    below = body[5:] if len(body) > 10 else body[1:]
    typed = _typed_columns([record.fields for record in below])
    widths = Counter(len(record.fields) for record in body[1:])
    width = widths.most_common(1)[0][0] if widths else len(body[0].fields)
    if _looks_like_data(body[0].fields, typed):
        return Layout(skip, 0, typed, width, _profile(body, width))
    header_rows = 1
    while header_rows < min(len(body) - 1, 4) and _looks_like_header(
        body[header_rows].fields, typed
    ):
        header_rows += 1
    return Layout(skip, header_rows, typed, width, _profile(body[header_rows:], width))


def _profile(records: list[Record], width: int) -> Profile:
    return Profile.of_rows((record.fields for record in records), width)


def _typed_columns(rows: list[list[str]]) -> list[int]:
    counts: Counter[int] = Counter()
    filled: Counter[int] = Counter()
    for fields in rows:
        for index, cell in enumerate(fields):
            if cell.strip().lower() in _MISSING_WORDS:
                continue
            filled[index] += 1
            counts[index] += is_typed(cell)
    return sorted(
        index
        for index, total in filled.items()
        if total >= 2 and counts[index] >= 0.7 * total
    )


def _looks_like_data(fields: list[str], typed: list[int]) -> bool:
    cells = [fields[index] for index in typed if index < len(fields)]
    cells = [cell for cell in cells if cell.strip().lower() not in _MISSING_WORDS]
    return bool(cells) and sum(map(is_typed, cells)) >= 0.5 * len(cells)


def _looks_like_header(fields: list[str], typed: list[int]) -> bool:
    """Text where the data has numbers or dates, in every such column."""
    cells = [fields[index] for index in typed if index < len(fields)]
    words = [cell for cell in cells if cell.strip().lower() not in _MISSING_WORDS]
    enough = max(min(2, len(cells)), 1)
    return len(words) >= enough and not any(map(is_typed, words))


def build_rows(
    records: Iterable[Record],
    layout: Layout,
    dialect: Dialect,
    ragged: Ragged = "extra_column",
) -> Rows:
    """Read the table's rows after the preamble and header, fitting each to width."""
    stream = mend_stray_quotes(records, dialect, layout.width)
    head = _take_header(stream, layout)
    header_records = head[layout.skip : layout.skip + layout.header_rows]
    table = Rows(header=[])
    for record in head[: layout.skip]:
        table.notes.append((record.line, "preamble line skipped (before the header)"))
    header_records = [_fit_header(one, layout, table) for one in header_records]
    widest = max((len(record.fields) for record in header_records), default=0)
    width = max(widest, layout.width) if header_records else 0
    table.header = _join_header(header_records, width, table)

    data = list(head[layout.skip + layout.header_rows :])
    _read_body(_chain(data, stream), layout, dialect, ragged, table)
    return table


def _fit_header(record: Record, layout: Layout, table: Rows) -> Record:
    """The header without the empty names that make it wider than every row."""
    if record.mended:
        table.notes.append((record.line, record.mended))
    surplus = len(record.fields) - layout.width
    empty = [index for index, cell in enumerate(record.fields) if not cell.strip()]
    if layout.width < 2 or surplus <= 0 or len(empty) != surplus:
        return record
    names = [cell for index, cell in enumerate(record.fields) if index not in empty]
    places = ", ".join(str(index + 1) for index in empty)
    message = (
        f"the header has {len(record.fields)} fields, the rows have {layout.width}: "
        f"the empty name(s) at position {places} (a doubled delimiter) removed"
    )
    table.notes.append((record.line, message))
    return Record(record.line, names, record.raw, record.mended)


def _take_header(stream: Iterator[Record], layout: Layout) -> list[Record]:
    head = []
    for record in stream:
        if record.is_blank:
            continue
        head.append(record)
        if len(head) >= layout.skip + max(layout.header_rows, 1):
            break
    return head


def _chain(first: list[Record], rest: Iterator[Record]) -> Iterator[Record]:
    yield from first
    yield from rest


def _join_header(records: list[Record], width: int, table: Rows) -> list[str]:
    if not records:
        return []
    if len(records) == 1:
        names = list(records[0].fields) + [""] * (width - len(records[0].fields))
        names[0] = names[0].removeprefix("\ufeff")
        return names
    cells = [[cell.strip() for cell in record.fields] for record in records]
    names = []
    for index in range(width):
        parts = [row[index] for row in cells if index < len(row) and row[index]]
        names.append(" ".join(parts))
    lines = ", ".join(str(record.line) for record in records)
    table.notes.append(
        (records[0].line, f"header rows on lines {lines} joined into one header")
    )
    if names:
        names[0] = names[0].removeprefix("\ufeff")
    return names


def _read_body(
    records: Iterator[Record],
    layout: Layout,
    dialect: Dialect,
    ragged: Ragged,
    table: Rows,
) -> None:
    pending = _Pending(records)
    width = len(table.header)
    thin: list[Record] = []
    for record in pending:
        if width == 0:
            width = len(record.fields)
            table.header = [""] * width
        if _is_second_table(record, pending, layout, table, width):
            break
        if width >= 3 and record.filled <= 1 and len(record.fields) != width:
            thin.append(record)
            continue
        for held in thin:
            _add_row(held, width, layout, dialect, ragged, table)
        thin.clear()
        _add_row(record, width, layout, dialect, ragged, table)

    for record in thin:
        table.notes.append((record.line, "footnote line after the table dropped"))
    if table.has_extra:
        table.header.append(EXTRA_COLUMN)


class _Pending:
    """Non-blank records with one record of look-ahead and the blank line before."""

    def __init__(self, records: Iterator[Record]) -> None:
        self.records = records
        self.ahead: list[Record] = []
        self.after_blank = False

    def __iter__(self) -> _Pending:
        return self

    def __next__(self) -> Record:
        if self.ahead:
            self.after_blank = False
            return self.ahead.pop()
        self.after_blank = False
        for record in self.records:
            if record.is_blank:
                self.after_blank = True
                continue
            return record
        raise StopIteration

    def peek(self) -> Record | None:
        """The next non-blank record, left to be read."""
        if not self.ahead:
            blank = self.after_blank
            try:
                self.ahead.append(next(self))
            except StopIteration:
                return None
            finally:
                self.after_blank = blank
        return self.ahead[-1]


def _is_second_table(
    record: Record, pending: _Pending, layout: Layout, table: Rows, width: int
) -> bool:
    """A header-like row that repeats a name, follows a blank line or changes width."""
    if not table.rows or not _looks_like_header(record.fields, layout.typed_columns):
        return False
    names = {name.strip().lower() for name in table.header if name.strip()}
    shares = any(cell.strip().lower() in names for cell in record.fields)
    new_width = False
    if not shares and not pending.after_blank and len(record.fields) != width:
        following = pending.peek()
        new_width = following is not None and len(following.fields) == len(
            record.fields
        )
    if not (shares or pending.after_blank or new_width):
        return False
    message = (
        f"another table starts at line {record.line}; only the first table is read "
        f"(lines from {record.line} on are not part of it)"
    )
    table.notes.append((record.line, message))
    return True


def _add_row(
    record: Record,
    width: int,
    layout: Layout,
    dialect: Dialect,
    ragged: Ragged,
    table: Rows,
) -> None:
    if record.mended:
        table.notes.append((record.line, record.mended))
    if len(record.fields) != width:
        repaired = mend_record(record, dialect, width)
        if repaired is not None:
            table.notes.append((record.line, repaired[0].mended))
            for one in repaired:
                _append(table, one.fields, one.line, None)
            return
    if len(record.fields) > width and _undoubled(record, width, layout, table):
        return
    if len(record.fields) == width - 1 and _unmerged(record, width, layout, table):
        return
    _append(table, *_fit(record, width, ragged, table, dialect.delimiter or ","))


def _unmerged(record: Record, width: int, layout: Layout, table: Rows) -> bool:
    """Append the row with a lost delimiter put back, if the columns single it out."""
    profile = layout.profile
    if profile is None or profile.width != width:
        return False
    mended = split_run_together(record.fields, profile)
    if mended is None:
        return False
    fields, place = mended
    before = record.fields[place]
    counts = f"row has {len(record.fields)} fields, the header has {width}"
    if fields[place] and fields[place + 1]:
        lost = (
            f"a delimiter seems lost in {before!r}, read as {fields[place]!r} and "
            f"{fields[place + 1]!r} (columns {place + 1} and {place + 2})"
        )
    else:
        empty = place + 1 if not fields[place] else place + 2
        lost = f"an empty cell seems lost: column {empty} left empty"
    message = f"{counts}: {lost}, as the other rows' columns show"
    table.notes.append((record.line, message))
    _append(table, fields, record.line, None)
    return True


def _undoubled(record: Record, width: int, layout: Layout, table: Rows) -> bool:
    """Append the row without the empty fields of a doubled delimiter, if it fits."""
    profile = layout.profile
    if profile is None or profile.width != width:
        return False
    mended = drop_doubled_delimiters(record.fields, profile)
    if mended is None:
        return False
    fields, removed = mended
    places = ", ".join(str(index + 1) for index in removed)
    message = (
        f"row has {len(record.fields)} fields, the header has {width}: the empty "
        f"field(s) at position {places} (a doubled delimiter) removed, as the "
        "other rows' columns show"
    )
    table.notes.append((record.line, message))
    _append(table, fields, record.line, None)
    return True


def _append(table: Rows, fields: list[str], line: int, extra: str | None) -> None:
    table.rows.append(fields)
    table.lines.append(line)
    table.extras.append(extra)


def _fit(
    record: Record, width: int, ragged: Ragged, table: Rows, delimiter: str
) -> tuple[list[str], int, str | None]:
    """Pad a short row; treat a long row's surplus as ``ragged`` says."""
    fields, line = record.fields, record.line
    if len(fields) < width:
        message = (
            f"row has {len(fields)} fields, the header has {width}: "
            "the missing cells at the end are left empty"
        )
        table.notes.append((line, message))
        return fields + [""] * (width - len(fields)), line, None
    if len(fields) == width:
        return fields, line, None

    surplus = fields[width:]
    if not any(cell.strip() for cell in surplus):
        table.notes.append(
            (line, f"{len(surplus)} empty field(s) past the last column")
        )
        return fields[:width], line, None
    return _surplus(fields, width, line, ragged, table, delimiter)


def _surplus(
    fields: list[str],
    width: int,
    line: int,
    ragged: Ragged,
    table: Rows,
    delimiter: str,
) -> tuple[list[str], int, str | None]:
    surplus = fields[width:]
    counts = f"row has {len(fields)} fields, the header has {width}"
    if ragged == "error":
        message = (
            f"line {line}: {counts}. Fix the row, or pass ragged='extra_column' "
            "(keep the surplus in a column) or ragged='drop'."
        )
        raise IngestError(message, line=line)
    if ragged == "drop":
        table.notes.append((line, f"{counts}: the surplus {surplus!r} was dropped"))
        return fields[:width], line, None
    table.notes.append(
        (line, f"{counts}: the surplus is kept in column {EXTRA_COLUMN!r}")
    )
    table.has_extra = True
    return fields[:width], line, delimiter.join(surplus)
