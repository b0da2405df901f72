"""What calamine does not tell about a sheet's cells, read from the sheet's XML.

calamine reads an error cell (``#DIV/0!``, ``#N/A``) and a formula saved without its
result (openpyxl and other writers that do not calculate) both as an empty cell.
When the sheet's XML part holds an error value or a formula at all (a search of its
bytes), it is parsed again with ElementTree's ``iterparse``, cell by cell, for those
two kinds of cell; a sheet without them costs one decompression.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from typing import IO, BinaryIO
from xml.etree import ElementTree

from openpyxl.utils.cell import (  # type: ignore[import-untyped]
    column_index_from_string,
    coordinate_from_string,
)

_CHUNK = 1 << 20
_HINTS = (b't="e"', b"t='e'", b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/")
"""Byte strings one of which an error cell or a formula must contain (attributes
in either quotes; tags with or without a namespace prefix such as ``x:``)."""


@dataclass
class FlaggedCells:
    """Error cells and formulas without a saved result, by (sheet row, column)."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    """The error text of each error cell; rows 1-based, columns 0-based."""
    unsaved: dict[tuple[int, int], None] = field(default_factory=dict)
    """Formula cells whose result was not saved (calamine reads them empty)."""


def flagged_cells(handle: BinaryIO, sheet: str) -> FlaggedCells:
    """Scan the XML of ``sheet`` in the workbook read from ``handle``."""
    found = FlaggedCells()
    with zipfile.ZipFile(handle) as archive:
        part = _sheet_part(archive, sheet)
        if part is None or not _may_hold_flagged(archive, part):
            return found
        with archive.open(part) as stream:
            _scan(stream, found)
    return found


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member of a sheet: workbook.xml names its relation, the relations
    name the part (relative to xl/, or absolute)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relation = None
    for element in workbook.iter():
        if element.tag.endswith("}sheet") and element.get("name") == sheet:
            relation = next(
                (value for key, value in element.attrib.items() if key.endswith("}id")),
                None,
            )
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for element in relations:
        if element.get("Id") == relation:
            target = element.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def _may_hold_flagged(archive: zipfile.ZipFile, part: str) -> bool:
    tail = b""
    with archive.open(part) as stream:
        while block := stream.read(_CHUNK):
            data = tail + block
            if any(hint in data for hint in _HINTS):
                return True
            tail = data[-8:]
    return False


def _scan(stream: IO[bytes], found: FlaggedCells) -> None:
    """Parse the sheet cell by cell; each cell and each finished row is cleared,
    so memory stays that of one row whatever the sheet's size."""
    sheet_data = None
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        name = element.tag.rpartition("}")[2]
        if event == "start":
            if name == "sheetData":
                sheet_data = element
            continue
        if name == "c":
            _check_cell(element, found)
            element.clear()
        elif name == "row" and sheet_data is not None:
            sheet_data.clear()


def _check_cell(cell: ElementTree.Element, found: FlaggedCells) -> None:
    formula = value = None
    for child in cell:
        kind = child.tag.rpartition("}")[2]
        if kind == "f":
            formula = child
        elif kind == "v":
            value = child
    is_error = cell.get("t") == "e" and value is not None and value.text
    is_unsaved = formula is not None and (value is None or not value.text)
    if not (is_error or is_unsaved):
        return
    place = _place(cell.get("r", ""))
    if place is None:
        return
    if is_error:
        assert value is not None and value.text
        found.errors[place] = value.text
    else:
        found.unsaved[place] = None


def _place(reference: str) -> tuple[int, int] | None:
    """(1-based row, 0-based column) of a reference such as ``C12``."""
    try:
        letters, row = coordinate_from_string(reference)
        return row, column_index_from_string(letters) - 1
    except ValueError:
        return None
