"""Opening gzip and zip files that hold one table, with bounded decompression."""

from __future__ import annotations

import gzip
import io
import logging
import zipfile
from pathlib import PurePath
from typing import IO

from nbdash.errors import IngestError
from nbdash.ingest.source import Source

logger = logging.getLogger(__name__)

MAX_UNPACKED_BYTES = 4 * 1024**3
"""The most bytes a compressed upload may expand to."""
MAX_RATIO = 200
"""The most a compressed upload may expand, relative to its own size."""
RATIO_FREE_BYTES = 16 * 1024 * 1024
"""Output below this size is never refused for its ratio (small files compress well)."""
_CHUNK = 1 << 20


def is_gzip(head: bytes) -> bool:
    """Whether the bytes start like a gzip stream."""
    return head.startswith(b"\x1f\x8b")


def is_plain_zip(source: Source, head: bytes) -> bool:
    """Whether the bytes are a zip archive that is not an Excel workbook."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with source.open() as handle, zipfile.ZipFile(handle) as archive:
            return "xl/workbook.xml" not in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def gunzip(source: Source) -> Source:
    """The decompressed content of a gzip file, named without ``.gz``."""
    name = _inner_name(source.filename, ".gz")
    with source.open() as handle:
        try:
            with gzip.GzipFile(fileobj=handle) as stream:
                data = _bounded_read(stream, source.size, source.filename)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            message = (
                f"{source.filename!r} is a damaged gzip file ({exc}). "
                "Compress the file again, or upload it uncompressed."
            )
            raise IngestError(message, filename=source.filename) from exc
    return Source(name, data=data)


def unzip(source: Source, member: str | None) -> Source:
    """The one table file in a zip archive, or the ``member`` asked for."""
    with source.open() as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                chosen = _choose_member(archive, source.filename, member)
                info = archive.getinfo(chosen)
                with archive.open(info) as stream:
                    data = _bounded_read(stream, info.compress_size, source.filename)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            message = (
                f"{source.filename!r} is a damaged zip archive ({exc}). "
                "Create the archive again, or upload the file inside it."
            )
            raise IngestError(message, filename=source.filename) from exc
    return Source(f"{source.filename}/{chosen}", data=data)


def list_members(source: Source) -> list[str]:
    """The files in a zip archive, without folders and macOS resource forks."""
    with source.open() as handle, zipfile.ZipFile(handle) as archive:
        return _files(archive)


def _files(archive: zipfile.ZipFile) -> list[str]:
    return [
        info.filename
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and not PurePath(info.filename).name.startswith(".")
    ]


def _choose_member(archive: zipfile.ZipFile, filename: str, member: str | None) -> str:
    files = _files(archive)
    if member is not None and member in files:
        return member
    if member is None and len(files) == 1:
        return files[0]

    listed = ", ".join(files) if files else "(no files)"
    if member is not None:
        message = f"{member!r} is not in {filename!r}. Files in it: {listed}."
    elif not files:
        message = f"{filename!r} is an empty zip archive: it holds no file to read."
    else:
        message = (
            f"{filename!r} holds {len(files)} files: {listed}. "
            "Choose one with member='<name>', or upload that file alone."
        )
    raise IngestError(message, filename=filename)


def _bounded_read(
    stream: IO[bytes] | gzip.GzipFile, packed: int, filename: str
) -> bytes:
    """Read all of ``stream``, refusing output past the size and ratio limits."""
    out = io.BytesIO()
    while chunk := stream.read(_CHUNK):
        out.write(chunk)
        size = out.tell()
        too_big = size > MAX_UNPACKED_BYTES
        too_dense = size > RATIO_FREE_BYTES and size > MAX_RATIO * max(packed, 1)
        if too_big or too_dense:
            raise _bomb(filename, size, packed)
    return out.getvalue()


def _bomb(filename: str, size: int, packed: int) -> IngestError:
    message = (
        f"{filename!r} expands to more than {size:,} bytes from {packed:,} "
        f"compressed bytes, past the limits of {MAX_UNPACKED_BYTES:,} bytes and "
        f"{MAX_RATIO}x expansion; it was not unpacked (it may be a zip bomb). "
        "Upload the uncompressed file, or split it."
    )
    logger.warning("Refused to unpack %s: %s", filename, message)
    return IngestError(message, filename=filename)


def _inner_name(filename: str, suffix: str) -> str:
    if filename.lower().endswith(suffix):
        return filename[: -len(suffix)]
    return filename + ".csv" if "." not in PurePath(filename).name else filename
