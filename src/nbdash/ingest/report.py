"""What reading a file found: the result, the report and its problems."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

MAX_PROBLEMS = 200


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
    """Cells that kept the column from the type most other cells have."""
    sample_lines: list[int] = field(default_factory=list)
    """1-based lines of a few of those cells."""
    notes: list[str] = field(default_factory=list)
    """Conversions applied, e.g. a currency sign removed."""


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

    def add_problem(self, line: int | None, column: str | None, message: str) -> None:
        """Record a problem, keeping the list short on very messy files."""
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line, column, message))

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data (for the upload widget and dataset meta)."""
        return asdict(self)

    def _repr_html_(self) -> str:
        esc = html.escape
        summary = (
            f"<p><b>{esc(self.filename)}</b>: {self.rows} rows, {len(self.columns)} "
            f"columns ({esc(self.format)}"
            + (f", {esc(self.encoding)}" if self.encoding else "")
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
        return summary + table + (f"<ul>{problems}</ul>" if problems else "")


def _column_row(column: ColumnReport) -> str:
    cells = (
        column.name,
        column.original_name,
        column.dtype,
        str(column.missing),
        str(column.unparseable),
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
