"""A file to read: a path on disk or bytes in memory, with the name the user knows."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HEAD_BYTES = 256 * 1024


@dataclass
class Source:
    """A path or bytes to read, and the name to use in messages."""

    filename: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def of(cls, source: str | os.PathLike[str] | bytes, filename: str | None) -> Source:
        """Wrap a path or bytes; the filename defaults to the path's name."""
        if isinstance(source, bytes | bytearray | memoryview):
            return cls(filename or "upload", data=bytes(source))
        path = Path(source)
        return cls(filename or path.name, path=path)

    @property
    def size(self) -> int:
        """The size in bytes."""
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    def open(self) -> BinaryIO:
        """A fresh binary handle at the start."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return self.path.open("rb")

    def head(self, size: int = HEAD_BYTES) -> bytes:
        """The first ``size`` bytes."""
        with self.open() as handle:
            return handle.read(size)
