"""Detecting a file's format, text encoding and CSV dialect from its first bytes."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any, BinaryIO

from nbdash.errors import IngestError, NotATableError

logger = logging.getLogger(__name__)

ACCEPTED = "CSV/TSV text, Excel .xlsx, Parquet, JSON or NDJSON"
DELIMITERS = (",", ";", "\t", "|")
SNIFF_RECORDS = 2000
# A delimiter that never splits anything, for files of a single column.
NO_DELIMITER = "\x1f"

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

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_UNSUPPORTED_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    _OLE_MAGIC: "an old-style Excel .xls workbook or another OLE document (save it "
    "as .xlsx from Excel or LibreOffice)",
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
    return NotATableError(message, filename=filename)


def detect_format(
    head: bytes, filename: str, zip_source: BinaryIO | None = None
) -> str:
    """Name the format from the magic bytes, then the extension, then ``csv``."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(zip_source, filename)
    if head.startswith(_OLE_MAGIC) and _is_encrypted_package(zip_source):
        message = (
            f"{filename!r} is a password-protected (encrypted) workbook, which "
            "nbdash cannot open. Open it in Excel, remove the password (File > Info "
            "> Protect Workbook), save it and upload it again."
        )
        raise NotATableError(message, filename=filename)
    for magic, what in _UNSUPPORTED_MAGIC.items():
        if head.startswith(magic):
            raise not_a_table(filename, what)

    markup = _markup(head)
    if markup is not None:
        raise not_a_table(filename, markup)

    suffix = PurePath(filename).suffix.lower()
    # A workbook is a zip: a .xlsx that is not one is text saved under that name
    # (some exports do), read as such; binary data is refused by its encoding.
    found = _EXTENSIONS.get(suffix, "csv")
    return "csv" if found == "xlsx" else found


def _markup(head: bytes) -> str | None:
    """What a file of HTML or XML is, which a delimited-text read would turn into
    nonsense columns; some tools save such pages under ``.xls``."""
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:64].lower()
    if start.startswith(b"<?xml"):
        return "an XML document (an Excel 2003 XML workbook is one: save it as .xlsx)"
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        return "a web page (HTML; some tools save one as .xls: save it as .xlsx)"
    return None


def _is_encrypted_package(source: BinaryIO | None) -> bool:
    """Whether an OLE file holds an encrypted Office document: its directory names
    the stream ``EncryptedPackage`` (in UTF-16), wherever the sector lies."""
    if source is None:
        return False
    name = "EncryptedPackage".encode("utf-16-le")
    source.seek(0)
    tail = b""
    # In 1 MiB blocks, each searched with the end of the one before (a name cut in
    # two is found): an old .xls can be large.
    while block := source.read(1 << 20):
        if name in tail + block:
            return True
        tail = block[-len(name) :]
    return False


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


# Code pages that real exports use (Windows, then ISO, then the common CJK and
# Cyrillic ones), most common first. Charset detection on short samples often finds
# a Mac or DOS code page that fits as well or a little better; these win unless the
# text decoded with them looks clearly messier.
COMMON_ENCODINGS = (
    "cp1252",
    "cp1250",
    "cp1251",
    "iso8859_15",
    "iso8859_1",
    "iso8859_2",
    "cp1253",
    "cp1254",
    "cp1257",
    "cp1255",
    "cp1256",
    "cp1258",
    "koi8_r",
    "koi8_u",
    "iso8859_5",
    "iso8859_7",
    "iso8859_9",
    "iso8859_13",
    "iso8859_16",
    "shift_jis",
    "cp932",
    "euc_jp",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "cp949",
    "euc_kr",
    "cp874",
)
# How much messier (charset-normalizer's chaos, a share of odd characters) a common
# code page may look than an exotic one and still win.
COMMON_SLACK = 0.1
# Chaos differences below this are noise: the more common code page wins.
TIE = 0.005


class GuessedEncoding(str):
    """An encoding name that was guessed, with a plain account of how sure.

    It compares and hashes as the name itself, so it can be passed anywhere an
    encoding name is expected; :class:`~nbdash.ingest.report.IngestReport` shows
    :attr:`how` beside it.
    """

    how: str
    """Why this encoding, e.g. ``"guessed: no BOM, not UTF-8; also fits cp1250"``."""

    def __new__(cls, name: str, how: str) -> GuessedEncoding:
        guessed = super().__new__(cls, name)
        guessed.how = how
        return guessed


def _guess_legacy_encoding(head: bytes, filename: str) -> str:
    import charset_normalizer

    matches = list(charset_normalizer.from_bytes(head))
    if not matches:
        raise not_a_table(filename, "binary data (no text encoding fits its bytes)")
    fits = [(_common_name(match), match.chaos) for match in matches]
    encoding = _preferred(fits)

    # Bytes 0x80-0x9F are control characters in latin-1 but letters and signs (such
    # as the euro) in cp1252, which is what spreadsheets on Windows write.
    if codecs.lookup(encoding).name == "iso8859-1" and _decodes(head, "cp1252"):
        encoding = "cp1252"
    others = list(dict.fromkeys(name for name, _ in fits if name != encoding))[:3]
    also = (
        f"also fits {', '.join(others)}" if others else "the only code page that fits"
    )
    logger.debug("Detected encoding %s for %s (%s)", encoding, filename, also)
    return GuessedEncoding(encoding, f"guessed: no BOM, not UTF-8; {also}")


def _common_name(match: Any) -> str:
    """The most common of the code pages that decode the sample alike."""
    names = [match.encoding, *match.could_be_from_charset]
    common = [name for name in names if name in COMMON_ENCODINGS]
    if not common:
        return str(match.encoding)
    return str(min(common, key=COMMON_ENCODINGS.index))


def _preferred(fits: list[tuple[str, float]]) -> str:
    """The least chaotic fit, favouring common code pages as described above."""
    least = min(chaos for _, chaos in fits)
    common = [(name, chaos) for name, chaos in fits if name in COMMON_ENCODINGS]
    pool = (
        common if common and min(c for _, c in common) <= least + COMMON_SLACK else fits
    )
    floor = min(chaos for _, chaos in pool)
    close = [name for name, chaos in pool if chaos <= floor + TIE]
    return min(close, key=_rank)


def _rank(name: str) -> int:
    if name in COMMON_ENCODINGS:
        return COMMON_ENCODINGS.index(name)
    return len(COMMON_ENCODINGS)


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


@dataclass(frozen=True)
class Dialect:
    """How the fields of a delimited text file are separated and quoted."""

    delimiter: str | None
    """The field delimiter; None for a file of one column."""
    quotechar: str | None = '"'
    """The quote character; None when fields are never quoted."""
    escapechar: str | None = None
    """A character that makes the next one literal (such as a backslash)."""
    skipinitialspace: bool = False
    """Whether a space after each delimiter belongs to it (``a, b, c``)."""


def sniff_delimiter(sample: str) -> str | None:
    """The delimiter of :func:`sniff_dialect`; None for a one-column file."""
    return sniff_dialect(sample).delimiter


def sniff_dialect(
    sample: str,
    *,
    delimiter: str | None = None,
    quotechar: str | None = None,
    escapechar: str | None = None,
) -> Dialect:
    """Choose the dialect that makes the sample's records most table-like.

    Every candidate (delimiter, quote, escape) parses up to ``SNIFF_RECORDS``
    records; the score is the consistency of the record widths times the share of
    cells that look like a value (a number, a date, a word...), as in the data
    consistency measure of van den Burg et al. (CleverCSV). Widths of one score
    zero, so a file that no candidate splits is read as one column. Arguments that
    are given are kept, not detected.

    Examples
    --------
    >>> sniff_dialect("a;b\\n1;2,5\\n3;4,0\\n").delimiter
    ';'
    >>> sniff_dialect("name\\nAnn, Bo\\nCy\\n").delimiter is None
    True
    """
    lines = [line for line in sample.splitlines()[:SNIFF_RECORDS] if line.strip()]
    delimiters = [delimiter] if delimiter else _candidate_delimiters(lines)
    # A ' absent from the sample parses exactly like no quote: skip it. The " stays
    # first so it wins ties and quoted fields later in the file are read.
    single: list[str | None] = ["'"] if "'" in sample else []
    quotes: list[str | None] = [quotechar] if quotechar else ['"', *single, None]
    escapes: list[str | None] = [escapechar] if escapechar else [None]
    if escapechar is None and '\\"' in sample:
        escapes.append("\\")

    best = Dialect(delimiter, quotechar or '"', escapechar)
    best_score = 0.0
    for candidate in _candidates(delimiters, quotes, escapes):
        score = _dialect_score(sample, candidate)
        # Later candidates (other quotes, an escape) must win clearly, not by noise.
        if score > best_score * 1.005 + 1e-9:
            best, best_score = candidate, score
    best = _with_initial_space(sample, best)
    if delimiter is None and not _splits_most_records(sample, lines, best):
        return Dialect(None, quotechar or '"', escapechar)
    return best


def _splits_most_records(sample: str, lines: list[str], dialect: Dialect) -> bool:
    """Whether the delimiter splits most records alike, or is on nearly every line."""
    widths, _, _ = _parse_sample(sample, dialect)
    if not widths or dialect.delimiter is None:
        return False
    usual, times = Counter(widths).most_common(1)[0]
    if usual >= 2 and times >= 0.5 * len(widths):
        return True
    holding = sum(1 for line in lines if dialect.delimiter in line)
    return holding >= 0.9 * len(lines) and max(widths) >= 2


def _candidates(
    delimiters: list[str], quotes: list[str | None], escapes: list[str | None]
) -> Iterator[Dialect]:
    for delim in delimiters:
        for quote in quotes:
            for escape in escapes:
                if quote is None and escape is not None:
                    continue
                yield Dialect(delim, quote, escape)


def _candidate_delimiters(lines: list[str]) -> list[str]:
    """Common delimiters first, then any other symbol found on most lines."""
    if not lines:
        return list(DELIMITERS)
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(set(line))
    common = [d for d in (*DELIMITERS, " ", ":") if counts[d]]
    others = [
        char
        for char, times in counts.items()
        if times >= 0.8 * len(lines)
        and not char.isalnum()
        and char not in ('"', "'", "\\", " ", ".", "-", "/", "_")
        and char not in common
        and char.isprintable()
    ]
    return common + sorted(others)


def _dialect_score(sample: str, dialect: Dialect) -> float:
    widths, cells, typed = _parse_sample(sample, dialect)
    if not widths:
        return 0.0
    patterns = Counter(widths)
    pattern = sum(n * (width - 1) / width for width, n in patterns.items())
    pattern /= len(patterns)
    return pattern * max(typed / cells, 0.01) if cells else 0.0


def _parse_sample(sample: str, dialect: Dialect) -> tuple[list[int], int, int]:
    """The width of each record, the cell count and the cells that look typed."""
    reader = csv.reader(io.StringIO(sample, newline=""), **csv_arguments(dialect))
    widths: list[int] = []
    cells = typed = 0
    try:
        for record in reader:
            if not record or record == [""]:
                continue
            widths.append(len(record))
            cells += len(record)
            typed += sum(1 for cell in record if _looks_like_value(cell))
            if len(widths) >= SNIFF_RECORDS:
                break
    except csv.Error:
        return [], 0, 0
    return widths, cells, typed


_VALUE = re.compile(
    r"""^\s*(?:
        |[-+]?[$€£¥]?\s?[-+]?\d[\d,.' ]*%?[$€£¥]?     # numbers, money, percent
        |\d{1,4}[-/.:]\d{1,2}([-/.:]\d{1,4})?([ T]\d{1,2}:\d{2}(:\d{2})?)?  # dates
        |(true|false|yes|no|null|n/?a|none|nan)           # words of known meaning
        |https?://\S+|[\w.+-]+@[\w-]+\.[\w.]+             # links and addresses
        |[\w'&()./+-]+([\s,;:!?]+[\w'&()./+-]+)*[.!?]?        # words
    )\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


@functools.lru_cache(maxsize=65536)
def _looks_like_value(cell: str) -> bool:
    # A cell holding a stray quote or delimiter-like symbols suggests a wrong split.
    return len(cell) < 200 and bool(_VALUE.match(cell))


def _with_initial_space(sample: str, dialect: Dialect) -> Dialect:
    """Treat ``a, b`` as delimiter plus space when nearly every field has one."""
    if dialect.delimiter in (None, " "):
        return dialect
    reader = csv.reader(io.StringIO(sample, newline=""), **csv_arguments(dialect))
    later = spaced = 0
    try:
        for index, record in enumerate(reader):
            later += max(len(record) - 1, 0)
            spaced += sum(1 for cell in record[1:] if cell.startswith(" "))
            if index >= SNIFF_RECORDS:
                break
    except csv.Error:
        return dialect
    if later and spaced >= 0.9 * later:
        return replace(dialect, skipinitialspace=True)
    return dialect


def csv_arguments(dialect: Dialect) -> dict[str, Any]:
    """Keyword arguments for :func:`csv.reader` that read ``dialect``."""
    return {
        "delimiter": dialect.delimiter or NO_DELIMITER,
        "quotechar": dialect.quotechar or '"',
        "quoting": csv.QUOTE_MINIMAL if dialect.quotechar else csv.QUOTE_NONE,
        "escapechar": dialect.escapechar,
        "doublequote": True,
        "skipinitialspace": dialect.skipinitialspace,
        "strict": False,
    }
