"""Where the store's bytes live: a local folder, or any fsspec URL.

Both backends address objects by a relative path ``<dataset>/<file>``. Writes replace
an object whole: the local backend through a hidden temporary file, ``fsync`` and
``os.replace``; the fsspec backend with one ``pipe`` (a single PUT, or a multipart
upload that becomes visible only when complete, on S3, GCS and Azure). Either way a
reader sees the old object or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nbdash.errors import StoreError

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class Backend(Protocol):
    """The few operations the store needs from a place to keep files."""

    url: str

    def read_bytes(self, rel: str) -> bytes: ...
    def write_bytes(self, rel: str, data: bytes) -> None: ...
    def write_table(self, rel: str, table: pa.Table) -> None: ...
    def read_table(self, rel: str) -> pa.Table: ...
    def local_path(self, rel: str) -> Path | None: ...
    def dataset_names(self) -> list[str]: ...
    def file_names(self, name: str) -> list[str]: ...
    def remove(self, rel: str) -> None: ...
    def remove_dataset(self, name: str) -> None: ...


def is_url(root: str | os.PathLike[str]) -> bool:
    """Whether ``root`` names an fsspec URL rather than a local folder."""
    text = os.fspath(root)
    return "://" in text and not text.startswith("file://")


def open_backend(
    root: str | os.PathLike[str], storage_options: dict[str, Any]
) -> Backend:
    """The backend for a local folder (a path or ``file://``) or an fsspec URL."""
    text = os.fspath(root)
    if not is_url(text):
        return LocalBackend(Path(text.removeprefix("file://")))
    return FsspecBackend(text, storage_options)


def parquet_bytes(table: pa.Table) -> bytes:
    """Serialise ``table`` as one Parquet file in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()  # type: ignore[no-any-return]


def table_from_parquet_bytes(data: bytes) -> pa.Table:
    """Read a Parquet file held in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.read_table(pa.BufferReader(data))


class LocalBackend:
    """Files in a folder on this machine; every write is atomic and fsynced."""

    def __init__(self, root: Path):
        self.root = root
        self.url = str(root)

    def read_bytes(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def write_bytes(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with _temp_file(path) as handle:
            handle.write(data)

    def write_table(self, rel: str, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        # Streamed straight to the file: no second copy of the data in memory.
        with _temp_file(path) as handle:
            pq.write_table(table, handle)

    def read_table(self, rel: str) -> pa.Table:
        import pyarrow.parquet as pq

        return pq.read_table(self.root / rel)

    def local_path(self, rel: str) -> Path | None:
        return self.root / rel

    def dataset_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [
            path.name
            for path in self.root.iterdir()
            if not path.name.startswith(".") and (path / MANIFEST).is_file()
        ]

    def file_names(self, name: str) -> list[str]:
        folder = self.root / name
        return [path.name for path in folder.iterdir()] if folder.is_dir() else []

    def remove(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.root / rel).unlink()

    def remove_dataset(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)


@contextlib.contextmanager
def _temp_file(path: Path) -> Iterator[Any]:
    """Write to a hidden file beside ``path``, then fsync and move it into place.

    The temporary file is removed if writing fails, so nothing half-written stays.
    """
    descriptor, raw_temp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    temp = Path(raw_temp)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class FsspecBackend:
    """Objects under an fsspec URL such as ``s3://bucket/prefix`` or ``memory://x``.

    Credentials and endpoints come from ``storage_options`` or the filesystem's own
    environment variables (for S3: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_ENDPOINT_URL``...).
    """

    def __init__(self, url: str, storage_options: dict[str, Any]):
        self.url = url.rstrip("/")
        self.fs, self.root = _filesystem(self.url, storage_options)
        self.root = self.root.rstrip("/")

    def _path(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def read_bytes(self, rel: str) -> bytes:
        data: bytes = self.fs.cat_file(self._path(rel))
        return data

    def write_bytes(self, rel: str, data: bytes) -> None:
        self.fs.pipe_file(self._path(rel), data)
        self.fs.invalidate_cache(self._path(rel))

    def write_table(self, rel: str, table: pa.Table) -> None:
        # Object stores take whole objects: the Parquet file is built in memory
        # (about its compressed size) and uploaded in one piece.
        self.write_bytes(rel, parquet_bytes(table))

    def read_table(self, rel: str) -> pa.Table:
        return table_from_parquet_bytes(self.read_bytes(rel))

    def local_path(self, rel: str) -> Path | None:
        return None

    def dataset_names(self) -> list[str]:
        self.fs.invalidate_cache(self.root)
        try:
            found = self.fs.glob(f"{self.root}/*/{MANIFEST}")
        except FileNotFoundError:
            return []
        names = {str(path).rstrip("/").split("/")[-2] for path in found}
        return [name for name in names if not name.startswith(".")]

    def file_names(self, name: str) -> list[str]:
        folder = self._path(name)
        self.fs.invalidate_cache(folder)
        try:
            listed = self.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return []
        return [str(path).rstrip("/").split("/")[-1] for path in listed]

    def remove(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._path(rel))

    def remove_dataset(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self._path(name), recursive=True)
        self.fs.invalidate_cache(self._path(name))


def _filesystem(url: str, storage_options: dict[str, Any]) -> tuple[Any, str]:
    import fsspec  # type: ignore[import-untyped]

    try:
        fs, root = fsspec.core.url_to_fs(url, **storage_options)
    except ImportError as exc:
        protocol = url.split("://", 1)[0]
        extra = " (pip install 'nbdash[s3]')" if protocol in ("s3", "s3a") else ""
        message = (
            f"The store URL {url!r} needs the fsspec driver for {protocol!r}, which is "
            f"not installed{extra}: {exc}"
        )
        raise ImportError(message) from exc
    except (ValueError, TypeError) as exc:
        message = (
            f"Cannot open the store URL {url!r} with storage options "
            f"{sorted(storage_options)}: {exc}. Check the URL's protocol and the "
            "option names the filesystem accepts."
        )
        raise StoreError(message) from exc
    return fs, str(root)
