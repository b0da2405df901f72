"""What reading a file found: the result, the report and its problems."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from nbdash.errors import column_not_found

MAX_PROBLEMS = 200
_PADDED = "are left empty"
_SPILLED = "kept in column '_extra'"


@dataclass
class Problem:
    """Something wrong in the file, at a 1-based line when it has one."""

    line: int | None
    """The file's 1-based line number, or None for a problem of the whole file."""
    column: str | None
    """The column concerned, or None for a whole row."""
    message: str
    """What is wrong and what was done about it."""


@dataclass
class ColumnReport:
    """How one column was read."""

    name: str
    """The column's name in the frame (stripped, made unique)."""
    original_name: str
    """The header cell as it is in the file."""
    dtype: str
    """The pandas dtype chosen, such as ``Int64``, ``float64`` or ``str``."""
    missing: int = 0
    """How many cells are missing (empty, or one of ``missing_values``)."""
    unparseable: int = 0
    """Cells that did not fit the column's type: they kept an inferred column as text,
    or were left missing in a column whose type the user chose."""
    sample_lines: list[int] = field(default_factory=list)
    """1-based lines of a few of those cells."""
    notes: list[str] = field(default_factory=list)
    """Conversions applied, e.g. a currency sign removed."""
    kind: str = "text"
    """``text``, ``integer``, ``number``, ``boolean``, ``datetime`` or ``category``."""
    overridden: bool = False
    """Whether the user chose the type (``column_types`` or ``date_formats``)."""
    missing_tokens: dict[str, int] = field(default_factory=dict)
    """Cells read as missing because they matched ``missing_values``, by token."""


@dataclass
class IngestReport:
    """What reading a file did: its format, encoding, columns and problems."""

    filename: str
    """The file's name as the user knows it."""
    format: str
    """``csv``, ``xlsx``, ``parquet``, ``json`` or ``ndjson``."""
    rows: int = 0
    """Rows in the frame (the header is not counted)."""
    columns: list[ColumnReport] = field(default_factory=list)
    """One entry per column, in order."""
    encoding: str | None = None
    """The text encoding used, for text formats."""
    delimiter: str | None = None
    """The field delimiter used; None for one-column and non-CSV files."""
    problems: list[Problem] = field(default_factory=list)
    """Problems found, the first ``MAX_PROBLEMS`` of them."""
    problem_count: int = 0
    """All problems found, including those not listed."""
    changes: list[str] = field(default_factory=list)
    """Every change nbdash made to the data: BOM removed, columns renamed, rows padded,
    currency signs removed, tokens read as missing..."""
    encoding_guess: str | None = None
    """How the encoding was chosen when it was guessed (no BOM, not UTF-8), with the
    other code pages that fit; None when it was given, marked or plainly UTF-8."""

    def __post_init__(self) -> None:
        # detect_encoding returns a GuessedEncoding (a str) that says how sure it is.
        how = getattr(self.encoding, "how", None)
        if self.encoding is not None:
            self.encoding = str(self.encoding)
        if self.encoding_guess is None and isinstance(how, str):
            self.encoding_guess = how

    @property
    def ok(self) -> bool:
        """True when every value fitted its column's type and no problem was found
        (edits listed in :attr:`changes`, such as a removed BOM, do not count)."""
        edits = sum(_is_edit(problem) for problem in self.problems)
        return self.problem_count == edits and not any(
            column.unparseable for column in self.columns
        )

    @property
    def missing_tokens(self) -> dict[str, int]:
        """The ``missing_values`` tokens seen in the file, with their cell counts."""
        seen: dict[str, int] = {}
        for column in self.columns:
            for token, count in column.missing_tokens.items():
                seen[token] = seen.get(token, 0) + count
        return seen

    def column(self, name: str) -> ColumnReport:
        """The report of one column, by its name in the frame or its header in the file.

        Raises
        ------
        ColumnNotFoundError
            When no column has that name; the message lists the names.
        """
        for column in self.columns:
            if name in (column.name, column.original_name):
                return column
        raise column_not_found(name, [column.name for column in self.columns])

    def summary(self) -> str:
        """The report as plain text: one line for the file, then columns, changes and
        problems.

        Examples
        --------
        >>> report = IngestReport("sales.csv", "csv", rows=2, encoding="utf-8")
        >>> column = ColumnReport("Revenue", "Revenue", "float64", kind="number")
        >>> report.columns.append(column)
        >>> print(report.summary())
        sales.csv: 2 rows, 1 column (csv, utf-8); no problems
        - Revenue: number (float64), 0 missing
        """
        lines = [self._headline()]
        if self.encoding_guess:
            lines.append(f"encoding: {self.encoding_text}")
        lines += [f"- {_describe(column)}" for column in self.columns]
        lines += [f"change: {change}" for change in self.changes]
        lines += [f"problem: {_problem_text(problem)}" for problem in self.problems]
        hidden = self.problem_count - len(self.problems)
        if hidden > 0:
            lines.append(f"... and {hidden} more problems")
        return "\n".join(lines)

    @property
    def encoding_text(self) -> str:
        """The encoding and, when it was guessed, how; e.g. ``cp1252 (guessed: no
        BOM, not UTF-8; also fits cp1250)``. Empty for formats without one."""
        if not self.encoding:
            return ""
        if not self.encoding_guess:
            return self.encoding
        return (
            f"{self.encoding} ({self.encoding_guess}); if letters look wrong, "
            "read again with the right encoding"
        )

    def _headline(self) -> str:
        how = ", ".join(
            part
            for part in (self.format, self.encoding, _delimiter_text(self.delimiter))
            if part
        )
        problems = (
            f"{self.problem_count} problems" if self.problem_count else "no problems"
        )
        return (
            f"{self.filename}: {self.rows} rows, {_count(len(self.columns), 'column')} "
            f"({how}); "
            f"{problems}"
        )

    def collect_changes(self, *, bom_removed: bool = False) -> None:
        """Fill :attr:`changes` from the columns and problems (once, at the end)."""
        changes = ["byte order mark (BOM) removed"] if bom_removed else []
        # The reader reports file-level edits (a BOM, spaces after delimiters) as
        # problems; they are changes too.
        changes += [problem.message for problem in self.problems if _is_edit(problem)]
        for column in self.columns:
            if column.name != column.original_name:
                changes.append(
                    f"column {column.original_name!r} renamed to {column.name!r}"
                )
        changes += _row_changes(self.problems)
        for column in self.columns:
            changes += [
                f"{column.name}: {note}" for note in column.notes if _is_change(note)
            ]
        self.changes = changes

    def add_problem(self, line: int | None, column: str | None, message: str) -> None:
        """Record a problem, keeping the list short on very messy files."""
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line, column, message))

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data (for the upload widget and dataset meta)."""
        return {**asdict(self), "ok": self.ok}

    def _repr_html_(self) -> str:
        esc = html.escape
        summary = (
            f"<p><b>{esc(self.filename)}</b>: {self.rows} rows, "
            f"{_count(len(self.columns), 'column')} ({esc(self.format)}"
            + (f", {esc(self.encoding_text)}" if self.encoding else "")
            + (f", delimiter {esc(repr(self.delimiter))}" if self.delimiter else "")
            + f"), {self.problem_count} problem(s).</p>"
        )
        header = "".join(
            f"<th>{title}</th>"
            for title in (
                "column",
                "in file",
                "type",
                "missing",
                "unparseable",
                "sample lines",
                "notes",
            )
        )
        rows = "".join(_column_row(column) for column in self.columns)
        problems = "".join(
            f"<li>line {problem.line if problem.line is not None else '-'}"
            f"{', ' + esc(problem.column) if problem.column else ''}: "
            f"{esc(problem.message)}</li>"
            for problem in self.problems
        )
        table = f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
        changes = "".join(f"<li>{esc(change)}</li>" for change in self.changes)
        changed = f"<p>Changes made:</p><ul>{changes}</ul>" if changes else ""
        return summary + table + changed + (f"<ul>{problems}</ul>" if problems else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _describe(column: ColumnReport) -> str:
    text = f"{column.name}: {column.kind} ({column.dtype}), {column.missing} missing"
    if column.unparseable:
        lines = ", ".join(map(str, column.sample_lines))
        text += f", {column.unparseable} unparseable (lines {lines})"
    return text


def _problem_text(problem: Problem) -> str:
    where = f"line {problem.line}" if problem.line is not None else "file"
    column = f", column {problem.column!r}" if problem.column else ""
    return f"{where}{column}: {problem.message}"


def _delimiter_text(delimiter: str | None) -> str:
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    if delimiter is None:
        return ""
    return f"{names.get(delimiter, repr(delimiter))}-delimited"


def _row_changes(problems: list[Problem]) -> list[str]:
    # Counted from the listed problems: on files with more than MAX_PROBLEMS problems
    # the counts are lower bounds, which the wording says.
    padded = sum(_PADDED in problem.message for problem in problems)
    spilled = sum(_SPILLED in problem.message for problem in problems)
    changes = []
    if padded:
        changes.append(f"{padded} short rows padded with empty cells (see problems)")
    if spilled:
        changes.append(
            f"{spilled} long rows: surplus fields moved to column '_extra' "
            "(see problems)"
        )
    return changes


def _is_edit(problem: Problem) -> bool:
    return problem.column is None and "removed" in problem.message


def _is_change(note: str) -> bool:
    # Notes that only describe (a format read, an ambiguity) are not changes.
    return any(
        word in note
        for word in (
            "removed",
            "read as missing",
            "converted",
            "read as UTC",
            "read as decimal",
            "read as negative",
            "left missing",
        )
    )


def _column_row(column: ColumnReport) -> str:
    cells = (
        column.name,
        column.original_name,
        f"{column.kind} ({column.dtype})",
        str(column.missing),
        str(column.unparseable),
        ", ".join(map(str, column.sample_lines)),
        "; ".join(column.notes),
    )
    return "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"


@dataclass
class IngestResult:
    """A typed DataFrame and the report of how it was read."""

    frame: pd.DataFrame
    """The table, with inferred dtypes."""
    report: IngestReport
    """What was detected, converted and found wrong."""

    def _repr_html_(self) -> str:
        return self.report._repr_html_()
