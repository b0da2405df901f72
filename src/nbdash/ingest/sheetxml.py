"""What calamine does not tell about a sheet's cells, read from the sheet's XML.

calamine reads an error cell (``#DIV/0!``, ``#N/A``) and a formula saved without its
result (openpyxl and other writers that do not calculate) both as an empty cell. The
sheet's XML part is scanned for those two kinds of cell only: the bytes are searched
for ``t="e"`` and ``<f`` and nothing is parsed around the other cells, so a sheet
without them costs one decompression.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO
from xml.etree import ElementTree

EXCEL_ERRORS = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
)
"""The error values a cell can hold; read as missing values in a sheet."""

_CHUNK = 1 << 20
_P = rb"(?:\w+:)?"  # writers such as the Open XML SDK prefix every tag (<x:c>)
_ERROR_CELL = re.compile(
    rb"<" + _P + rb"c\b([^>]*\bt=\"e\"[^>]*)>\s*(?:<" + _P + rb"f\b[^>]*?"
    rb"(?:/>|>[^<]*</" + _P + rb"f>)\s*)?<" + _P + rb"v>([^<]*)<"
)
_UNSAVED_FORMULA = re.compile(
    rb"<" + _P + rb"f\b[^>]*?(?:/>|>[^<]*</" + _P + rb"f>)\s*"
    rb"(?:<" + _P + rb"v\s*/>|<" + _P + rb"v>\s*</" + _P + rb"v>|</" + _P + rb"c>)"
)
_REFERENCE = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")
_FORMULA = re.compile(rb"<" + _P + rb"f[\s>/]")


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
        if part is None:
            return found
        with archive.open(part) as stream:
            for chunk in _whole_rows(stream):
                _scan(chunk, found)
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


def _whole_rows(stream: IO[bytes]) -> Iterator[bytes]:
    """The part in chunks of about 1 MiB that end after a row, so no cell is cut."""
    tail = b""
    while block := stream.read(_CHUNK):
        data = tail + block
        cut = max(data.rfind(b"row>"), 0)
        yield data[:cut]
        tail = data[cut:]
    yield tail


def _scan(chunk: bytes, found: FlaggedCells) -> None:
    if b't="e"' in chunk:
        for match in _ERROR_CELL.finditer(chunk):
            place = _place(match.group(1))
            if place is not None:
                found.errors[place] = match.group(2).decode("ascii", "replace")
    if _FORMULA.search(chunk) is None:
        return
    for match in _UNSAVED_FORMULA.finditer(chunk):
        # The cell's opening tag is the last one before its formula.
        start = max(
            chunk.rfind(b"<c ", 0, match.start()), chunk.rfind(b":c ", 0, match.start())
        )
        place = _place(chunk[start : match.start()])
        if place is not None:
            found.unsaved[place] = None


def _place(attributes: bytes) -> tuple[int, int] | None:
    reference = _REFERENCE.search(attributes)
    if reference is None:
        return None
    column = 0
    for letter in reference.group(1):
        column = column * 26 + letter - ord("A") + 1
    return int(reference.group(2)), column - 1
