"""Datasets persisted as versioned Parquet files in a folder."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from nbdash.errors import DatasetNotFoundError, StoreError
from nbdash.store.names import validate_dataset_name

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
DEFAULT_KEEP = 5


class Store:
    """A folder of named datasets, each kept as versioned Parquet files.

    Each dataset lives in ``<root>/<name>/`` as ``v<N>.parquet`` files plus a
    ``manifest.json`` that lists the versions kept. A write completes the Parquet file
    first and then replaces the manifest atomically, and readers trust only the
    manifest, so an interrupted write leaves the previous version readable.

    Parameters
    ----------
    root
        The folder; created on the first write.
    keep
        How many versions of each dataset to keep; older files are removed.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> store = Store(tempfile.mkdtemp())
    >>> store.write("sales", pd.DataFrame({"revenue": [1.5, 2.0]}))
    1
    >>> store.read("sales")["revenue"].sum()
    np.float64(3.5)
    """

    def __init__(self, root: str | os.PathLike[str], *, keep: int = DEFAULT_KEEP):
        if keep < 1:
            raise ValueError(f"keep must be at least 1 version, got {keep}.")
        self.root = Path(root)
        self.keep = keep
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r}, keep={self.keep})"

    def write(
        self, name: str, frame: pd.DataFrame, meta: dict[str, Any] | None = None
    ) -> int:
        """Save ``frame`` as the next version of ``name`` and return that version."""
        folder = self.root / validate_dataset_name(name)
        meta_json = _check_meta(name, meta)

        with self._lock:
            manifest = self._manifest_or_empty(name)
            version = (
                max((entry["version"] for entry in manifest["versions"]), default=0) + 1
            )
            filename = f"v{version}.parquet"
            _write_parquet_atomically(frame, folder, filename)

            entry = {
                "version": version,
                "file": filename,
                "rows": len(frame),
                "columns": [str(column) for column in frame.columns],
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "meta": meta_json,
            }
            manifest["versions"] = [*manifest["versions"], entry][-self.keep :]
            _write_json_atomically(folder / MANIFEST, manifest)
            self._prune(folder, manifest)

        logger.info("Stored dataset %r version %d (%d rows)", name, version, len(frame))
        return version

    def read(self, name: str, version: int | None = None) -> pd.DataFrame:
        """Return version ``version`` of ``name``, the latest when it is None."""
        entry = self._entry(name, version)
        path = self.root / name / entry["file"]
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (OSError, ValueError) as exc:
            message = (
                f"Cannot read version {entry['version']} of dataset {name!r} "
                f"from {path}: {exc}"
            )
            raise StoreError(message) from exc
        frame: pd.DataFrame = table.to_pandas()
        logger.debug("Read dataset %r version %d", name, entry["version"])
        return frame

    def exists(self, name: str) -> bool:
        """Whether the store holds a dataset called ``name``."""
        return (self.root / validate_dataset_name(name) / MANIFEST).is_file()

    def names(self) -> list[str]:
        """The names of the datasets held, sorted."""
        if not self.root.is_dir():
            return []
        found = [
            path.name
            for path in self.root.iterdir()
            if not path.name.startswith(".") and (path / MANIFEST).is_file()
        ]
        return sorted(found)

    def versions(self, name: str) -> list[int]:
        """The versions of ``name`` still kept, oldest first."""
        return [entry["version"] for entry in self._manifest(name)["versions"]]

    def delete(self, name: str) -> None:
        """Remove ``name`` and all its versions."""
        folder = self.root / validate_dataset_name(name)
        with self._lock:
            self._manifest(name)
            # Removing the manifest first makes the dataset disappear for readers at
            # once, even if removing the Parquet files is interrupted.
            (folder / MANIFEST).unlink()
            shutil.rmtree(folder, ignore_errors=True)
        logger.info("Deleted dataset %r", name)

    def info(self, name: str, version: int | None = None) -> dict[str, Any]:
        """Describe a version of ``name``: version, rows, columns, created, meta."""
        entry = self._entry(name, version)
        return {
            key: entry[key] for key in ("version", "rows", "columns", "created", "meta")
        }

    def _entry(self, name: str, version: int | None) -> dict[str, Any]:
        entries = self._manifest(name)["versions"]
        if version is None:
            return dict(entries[-1])
        for entry in entries:
            if entry["version"] == version:
                return dict(entry)
        kept = ", ".join(str(entry["version"]) for entry in entries)
        message = (
            f"Dataset {name!r} has no version {version}. Versions kept: {kept} "
            f"(the store keeps the last {self.keep})."
        )
        raise DatasetNotFoundError(message)

    def _manifest(self, name: str) -> dict[str, Any]:
        manifest = self._manifest_or_empty(name)
        if not manifest["versions"]:
            held = ", ".join(self.names()) or "(none)"
            message = (
                f"Dataset {name!r} not found in the store at {self.root}. "
                f"Datasets held: {held}."
            )
            raise DatasetNotFoundError(message)
        return manifest

    def _manifest_or_empty(self, name: str) -> dict[str, Any]:
        path = self.root / validate_dataset_name(name) / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"name": name, "versions": []}
        try:
            manifest: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            message = (
                f"The manifest of dataset {name!r} at {path} is not valid JSON "
                f"({exc}). "
                "Delete the dataset's folder or restore the file from a backup."
            )
            raise StoreError(message) from exc
        return manifest

    def _prune(self, folder: Path, manifest: dict[str, Any]) -> None:
        kept = {entry["file"] for entry in manifest["versions"]}
        for path in folder.glob("v*.parquet"):
            if path.name not in kept:
                with contextlib.suppress(OSError):
                    path.unlink()
                    logger.debug("Pruned %s", path)


def _check_meta(name: str, meta: dict[str, Any] | None) -> dict[str, Any]:
    meta = {} if meta is None else meta
    try:
        return json.loads(json.dumps(meta))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        message = (
            f"The meta of dataset {name!r} must be JSON-serialisable (str, numbers, "
            f"lists, dicts); got {meta!r}: {exc}."
        )
        raise StoreError(message) from exc


def _write_parquet_atomically(frame: pd.DataFrame, folder: Path, filename: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pa.Table.from_pandas(frame)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        message = (
            f"Cannot save this DataFrame as Parquet: {exc}. Columns with mixed Python "
            "objects must be converted to one type first, e.g. with .astype(str)."
        )
        raise StoreError(message) from exc

    folder.mkdir(parents=True, exist_ok=True)
    with _temp_file(folder, filename) as (handle, temp_path):
        pq.write_table(table, handle)
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temp_path, folder / filename)


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    with _temp_file(path.parent, path.name) as (handle, temp_path):
        handle.write(json.dumps(data, indent=1).encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temp_path, path)


@contextlib.contextmanager
def _temp_file(folder: Path, final_name: str) -> Iterator[tuple[Any, Path]]:
    """Open a hidden temporary file beside its final place; remove it on failure."""
    descriptor, raw_path = tempfile.mkstemp(
        dir=folder, prefix=f".{final_name}.", suffix=".tmp"
    )
    temp_path = Path(raw_path)
    handle = os.fdopen(descriptor, "wb")
    try:
        yield handle, temp_path
    except BaseException:
        handle.close()
        temp_path.unlink(missing_ok=True)
        raise
