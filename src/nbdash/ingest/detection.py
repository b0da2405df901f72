"""Detecting a file's format, text encoding and CSV delimiter from its first bytes."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
from collections import Counter
from pathlib import PurePath
from typing import BinaryIO

from nbdash.errors import IngestError

logger = logging.getLogger(__name__)

ACCEPTED = "CSV/TSV text, Excel .xlsx, Parquet, JSON or NDJSON"
DELIMITERS = (",", ";", "\t", "|")
SNIFF_RECORDS = 2000

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".tab": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}

_UNSUPPORTED_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel .xls or other OLE document",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
}


def not_a_table(filename: str, what: str) -> IngestError:
    """The error for a file that is not a table nbdash can read."""
    message = (
        f"{filename!r} is not a text table: it looks like {what}. "
        f"Accepted formats: {ACCEPTED}. "
        "Export the data to one of these and upload again."
    )
    return IngestError(message, filename=filename)


def detect_format(
    head: bytes, filename: str, zip_source: BinaryIO | None = None
) -> str:
    """Name the format from the magic bytes, then the extension, then ``csv``."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(zip_source, filename)
    for magic, what in _UNSUPPORTED_MAGIC.items():
        if head.startswith(magic):
            raise not_a_table(filename, what)

    suffix = PurePath(filename).suffix.lower()
    return _EXTENSIONS.get(suffix, "csv")


def _zip_format(zip_source: BinaryIO | None, filename: str) -> str:
    try:
        if zip_source is None:
            raise TypeError("no file to open")
        with zipfile.ZipFile(zip_source) as archive:
            members = set(archive.namelist())
    except (zipfile.BadZipFile, TypeError, OSError) as exc:
        raise not_a_table(filename, "a damaged zip archive") from exc
    if "xl/workbook.xml" in members:
        return "xlsx"
    raise not_a_table(filename, "a zip archive (not an Excel workbook)")


def detect_encoding(head: bytes, filename: str) -> str:
    """Name the encoding of text starting with ``head``; raise for binary data."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        return _utf16_without_bom(head, filename)

    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return _guess_legacy_encoding(head, filename)


def _utf16_without_bom(head: bytes, filename: str) -> str:
    # ASCII-heavy UTF-16 has a NUL in every other byte; binary data has them anywhere.
    half = max(len(head) // 2, 1)
    even_nuls = head[0::2].count(0) / half
    odd_nuls = head[1::2].count(0) / half
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    raise not_a_table(filename, "binary data (it contains NUL bytes)")


def _guess_legacy_encoding(head: bytes, filename: str) -> str:
    import charset_normalizer

    matches = charset_normalizer.from_bytes(head)
    best = matches.best()
    if best is None:
        raise not_a_table(filename, "binary data (no text encoding fits its bytes)")
    encoding = str(best.encoding)

    # Short samples often fit several code pages equally well; break a tie toward
    # cp1252, the one Western spreadsheets on Windows write.
    tied = {
        match.encoding
        for match in matches
        if (match.chaos, match.coherence) == (best.chaos, best.coherence)
    }
    if "cp1252" in tied:
        encoding = "cp1252"

    # Bytes 0x80-0x9F are control characters in latin-1 but letters and signs (such
    # as the euro) in cp1252, which is what spreadsheets on Windows write.
    if codecs.lookup(encoding).name == "iso8859-1" and _decodes(head, "cp1252"):
        encoding = "cp1252"
    logger.debug("Detected encoding %s for %s", encoding, filename)
    return encoding


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def decode_sample(head: bytes, encoding: str, *, complete: bool) -> str:
    """Decode the first bytes of a file, cut at the last full line unless complete."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(
        head, final=complete
    )
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def sniff_delimiter(sample: str) -> str | None:
    """Pick the delimiter whose field counts are most consistent across many lines.

    Returns None when no candidate splits the lines: a one-column file.
    """
    best: tuple[bool, float, int] | None = None
    chosen = None
    for delimiter in DELIMITERS:
        if delimiter not in sample:
            continue
        score = _consistency(sample, delimiter)
        if score is not None and (best is None or score > best):
            best, chosen = score, delimiter
    return chosen


def _consistency(sample: str, delimiter: str) -> tuple[bool, float, int] | None:
    """Score a delimiter: (header agrees with the usual count, share of rows, count)."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    counts = []
    try:
        for record in reader:
            if record:
                counts.append(len(record))
            if len(counts) >= SNIFF_RECORDS:
                break
    except csv.Error:
        return None
    if not counts:
        return None

    usual, times = Counter(counts).most_common(1)[0]
    if usual < 2:
        return None
    return (counts[0] == usual, times / len(counts), usual)
