"""The exceptions and warnings nbdash raises.

Every error derives from :class:`NbdashError`; the specific ones also derive from
the builtin a caller would naturally catch (``KeyError`` for a missing column,
``ValueError`` for bad input), so ``except KeyError`` keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class NbdashError(Exception):
    """Root of every error raised by nbdash."""


class NbdashWarning(UserWarning):
    """Root of every warning emitted by nbdash."""


class DatasetNotFoundError(NbdashError, KeyError):
    """A dataset name that the workspace does not hold."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a sentence reads better unquoted.
        return str(self.args[0]) if self.args else ""


class DatasetExistsError(NbdashError, ValueError):
    """Creating a dataset under a name that is already taken."""


class ColumnNotFoundError(NbdashError, KeyError):
    """A column name that a dataset does not have."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class IngestError(NbdashError, ValueError):
    """A file that cannot be read as a table.

    Attributes
    ----------
    filename
        The file's name as the user knows it.
    line
        The 1-based line of the file where the problem is, when it has one.
    """

    def __init__(self, message: str, *, filename: str = "", line: int | None = None):
        super().__init__(message)
        self.filename = filename
        self.line = line


class SpecError(NbdashError, ValueError):
    """A pipeline, chart or dashboard spec that is malformed."""


class StoreError(NbdashError, OSError):
    """The dataset store cannot be read or written."""


def column_not_found(
    column: str, available: Iterable[str], *, dataset: str | None = None
) -> ColumnNotFoundError:
    """Build the error for a missing column, with a suggestion and the choices.

    Examples
    --------
    >>> error = column_not_found("Revnue", ["Order ID", "Revenue"], dataset="sales")
    >>> print(str(error).split(". ")[0])
    Column 'Revnue' not found in dataset 'sales'
    >>> print(str(error).split(". ", 1)[1])
    Did you mean 'Revenue'? Available: Order ID, Revenue.
    """
    names = [str(name) for name in available]
    where = f" in dataset {dataset!r}" if dataset else ""
    message = f"Column {column!r} not found{where}."

    close = difflib.get_close_matches(str(column), names, n=1)
    if close:
        message += f" Did you mean {close[0]!r}?"
    message += f" Available: {', '.join(names) if names else '(no columns)'}."
    return ColumnNotFoundError(message)


def check_columns(
    columns: Iterable[str], available: Iterable[str], *, dataset: str | None = None
) -> None:
    """Raise :class:`ColumnNotFoundError` for the first of ``columns`` not available."""
    present = list(available)
    for column in columns:
        if column not in present:
            raise column_not_found(column, present, dataset=dataset)


class EngineNotSupportedError(SpecError):
    """A step or value that the chosen engine cannot run; the pandas engine can.

    ``engine="auto"`` catches it and runs the pipeline with pandas instead.
    """


class ExpressionError(SpecError):
    """A derived-column expression that does not parse or does not type-check.

    Attributes
    ----------
    expression
        The expression's text.
    offset
        The 0-based character offset of the problem in ``expression``, when known.
    """

    def __init__(
        self, message: str, *, expression: str = "", offset: int | None = None
    ):
        super().__init__(message)
        self.expression = expression
        self.offset = offset


class ExportError(NbdashError, OSError):
    """A dataset that cannot be written where the user asked (no such folder...)."""


class NotATableError(IngestError):
    """A file that is no table nbdash reads (an image, an archive, binary data):
    reading it again with other options cannot help."""
