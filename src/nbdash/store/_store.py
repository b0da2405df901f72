"""Datasets persisted as versioned Parquet files in a folder or at an fsspec URL."""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nbdash.errors import DatasetNotFoundError, StoreError
from nbdash.store import crypto
from nbdash.store._backends import (
    MANIFEST,
    Backend,
    LocalBackend,
    is_url,
    open_backend,
)
from nbdash.store.names import validate_dataset_name

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

DEFAULT_KEEP = 5
OPTIONS_ENV = "NBDASH_STORE_OPTIONS"
"""An environment variable with the store's fsspec storage options as a JSON object."""


class Store:
    """Named datasets, each kept as versioned Parquet files, optionally encrypted.

    Each dataset lives under ``<root>/<name>/`` as ``v<N>.parquet`` files (or
    ``v<N>.parquet.aes`` when encrypted) plus a ``manifest.json`` that lists the
    versions kept. A write stores the new version's file first and then replaces the
    manifest, and readers trust only the manifest, so an interrupted write leaves the
    previous version readable.

    Parameters
    ----------
    root
        A local folder (created on the first write), or an fsspec URL such as
        ``s3://bucket/prefix`` or ``memory://name``.
    keep
        How many versions of each dataset to keep; older files are removed.
    storage_options
        Passed to the fsspec filesystem of a URL (e.g. ``endpoint_url``, ``key``,
        ``secret`` for S3). None reads a JSON object from ``$NBDASH_STORE_OPTIONS``
        when set; the filesystem's own environment variables apply as well.
    encrypt
        Encrypt new versions with AES-256-GCM. The key is ``key``, else
        ``$NBDASH_STORE_KEY``, else the OS keyring; a missing key is a
        ``StoreError`` at once.
    key
        The encryption key as base64 text (see :func:`generate_key`) or 32 bytes;
        also used to read encrypted versions when ``encrypt`` is False.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> store = Store(tempfile.mkdtemp())
    >>> store.write("sales", pd.DataFrame({"revenue": [1.5, 2.0]}))
    1
    >>> store.read("sales")["revenue"].sum()
    np.float64(3.5)
    >>> Store("memory://doc-example").write("t", pd.DataFrame({"a": [1]}))
    1
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        keep: int = DEFAULT_KEEP,
        storage_options: dict[str, Any] | None = None,
        encrypt: bool = False,
        key: str | bytes | None = None,
    ):
        if keep < 1:
            raise ValueError(f"keep must be at least 1 version, got {keep}.")
        self.keep = keep
        self.encrypt = encrypt
        options = _storage_options(storage_options) if is_url(root) else {}
        self._backend: Backend = open_backend(root, options)
        self._key = None if key is None else crypto.decode_key(key)
        if encrypt:
            self._key = self._require_key("Encrypting the store")
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Where the store is: the folder as text, or the URL."""
        return self._backend.url

    @property
    def root(self) -> Path | None:
        """The local folder of the store, or None when it is at a URL."""
        backend = self._backend
        return backend.root if isinstance(backend, LocalBackend) else None

    def __repr__(self) -> str:
        encrypted = ", encrypt=True" if self.encrypt else ""
        return f"Store({self.url!r}, keep={self.keep}{encrypted})"

    def write(
        self, name: str, frame: pd.DataFrame, meta: dict[str, Any] | None = None
    ) -> int:
        """Save ``frame`` as the next version of ``name`` and return that version."""
        validate_dataset_name(name)
        meta_json = _check_meta(name, meta)
        table = _to_arrow(frame)

        details = {
            "rows": len(frame),
            "columns": [str(column) for column in frame.columns],
            "meta": meta_json,
        }

        with self._lock:
            manifest = self._manifest_or_empty(name)
            version = 1 + max((e["version"] for e in manifest["versions"]), default=0)
            entry = self._write_version(name, version, table, details)

            manifest["versions"] = [*manifest["versions"], entry][-self.keep :]
            manifest_bytes = json.dumps(manifest, indent=1).encode("utf-8")
            self._backend.write_bytes(f"{name}/{MANIFEST}", manifest_bytes)
            self._prune(name, manifest)

        logger.info("Stored dataset %r version %d (%d rows)", name, version, len(frame))
        return version

    def read(self, name: str, version: int | None = None) -> pd.DataFrame:
        """Return version ``version`` of ``name``, the latest when it is None."""
        entry = self._entry(name, version)
        rel = f"{name}/{entry['file']}"
        try:
            table = self._read_table(name, entry, rel)
        except FileNotFoundError as exc:
            message = (
                f"Version {entry['version']} of dataset {name!r} is listed in its "
                f"manifest but its file {self.url}/{rel} is missing. Restore the file "
                "or read another version."
            )
            raise StoreError(message) from exc
        except (OSError, ValueError) as exc:
            if isinstance(exc, StoreError):
                raise
            message = (
                f"Cannot read version {entry['version']} of dataset {name!r} "
                f"from {self.url}/{rel}: {exc}"
            )
            raise StoreError(message) from exc

        frame: pd.DataFrame = table.to_pandas()
        logger.debug("Read dataset %r version %d", name, entry["version"])
        return frame

    def parquet_path(self, name: str, version: int | None = None) -> str | None:
        """The local Parquet file of a version, or None when there is no such file.

        None for stores at a URL and for encrypted versions: read those with
        :meth:`read`. Raises ``DatasetNotFoundError`` for a missing dataset or version.
        """
        entry = self._entry(name, version)
        if entry.get("encrypted"):
            return None
        path = self._backend.local_path(f"{name}/{entry['file']}")
        return None if path is None else str(path)

    def is_encrypted(self, name: str, version: int | None = None) -> bool:
        """Whether that version of ``name`` is encrypted at rest."""
        return bool(self._entry(name, version).get("encrypted"))

    def exists(self, name: str) -> bool:
        """Whether the store holds a dataset called ``name``."""
        validate_dataset_name(name)
        try:
            return bool(self._manifest_or_empty(name)["versions"])
        except StoreError:
            return True  # a damaged manifest: reading the dataset says what is wrong

    def names(self) -> list[str]:
        """The names of the datasets held, sorted."""
        return sorted(self._backend.dataset_names())

    def versions(self, name: str) -> list[int]:
        """The versions of ``name`` still kept, oldest first."""
        return [entry["version"] for entry in self._manifest(name)["versions"]]

    def delete(self, name: str) -> None:
        """Remove ``name`` and all its versions."""
        validate_dataset_name(name)
        with self._lock:
            self._manifest(name)
            # Removing the manifest first makes the dataset disappear for readers at
            # once, even if removing the Parquet files is interrupted.
            self._backend.remove(f"{name}/{MANIFEST}")
            self._backend.remove_dataset(name)
        logger.info("Deleted dataset %r", name)

    def info(self, name: str, version: int | None = None) -> dict[str, Any]:
        """Describe a version of ``name``: version, rows, columns, created, meta."""
        entry = self._entry(name, version)
        details = self._details(name, entry)
        return {
            "version": entry["version"],
            "rows": details["rows"],
            "columns": details["columns"],
            "created": entry["created"],
            "meta": details["meta"],
        }

    # -- writing -------------------------------------------------------------------

    def _write_version(
        self, name: str, version: int, table: pa.Table, details: dict[str, Any]
    ) -> dict[str, Any]:
        """Store the version's file and return its manifest entry.

        ``details`` (rows, columns, meta) go into the manifest as they are, or sealed
        with the data's key when the store encrypts.
        """
        entry: dict[str, Any] = {
            "version": version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if not self.encrypt:
            entry["file"] = f"v{version}.parquet"
            self._backend.write_table(f"{name}/{entry['file']}", table)
            return {**entry, **details}

        assert self._key is not None
        entry["file"] = f"v{version}.parquet.aes"
        sealed = _seal_table(self._key, table, _context(name, version, "data"))
        self._backend.write_bytes(f"{name}/{entry['file']}", sealed)
        info = json.dumps(details).encode("utf-8")
        sealed_info = crypto.seal(self._key, info, _context(name, version, "info"))
        return {
            **entry,
            "encrypted": True,
            "key_id": crypto.key_id(self._key),
            "sealed": base64.b64encode(sealed_info).decode("ascii"),
        }

    def _prune(self, name: str, manifest: dict[str, Any]) -> None:
        kept = {entry["file"] for entry in manifest["versions"]}
        for filename in self._backend.file_names(name):
            if filename.startswith("v") and filename not in kept:
                try:
                    self._backend.remove(f"{name}/{filename}")
                    logger.debug("Pruned %s/%s", name, filename)
                except OSError as exc:
                    logger.warning("Could not prune %s/%s: %s", name, filename, exc)

    # -- reading -------------------------------------------------------------------

    def _read_table(self, name: str, entry: dict[str, Any], rel: str) -> pa.Table:
        from nbdash.store._backends import table_from_parquet_bytes

        if not entry.get("encrypted"):
            return self._backend.read_table(rel)

        key = self._key_for(name, entry)
        what = f"The file of version {entry['version']} of dataset {name!r} ({rel})"
        sealed = self._backend.read_bytes(rel)
        plain = crypto.open_sealed(
            key, sealed, _context(name, entry["version"], "data"), what=what
        )
        del sealed
        return table_from_parquet_bytes(plain)

    def _details(self, name: str, entry: dict[str, Any]) -> dict[str, Any]:
        if not entry.get("encrypted"):
            return {key: entry[key] for key in ("rows", "columns", "meta")}

        key = self._key_for(name, entry)
        what = f"The manifest entry of version {entry['version']} of dataset {name!r}"
        sealed = base64.b64decode(entry["sealed"])
        context = _context(name, entry["version"], "info")
        details: dict[str, Any] = json.loads(
            crypto.open_sealed(key, sealed, context, what=what)
        )
        return details

    def _key_for(self, name: str, entry: dict[str, Any]) -> bytes:
        what = f"Reading version {entry['version']} of dataset {name!r}"
        key = self._key if self._key is not None else self._require_key(what)
        if crypto.key_id(key) != entry.get("key_id"):
            message = (
                f"{what}: it was encrypted with another key (key id "
                f"{entry.get('key_id')}; the key given has id {crypto.key_id(key)}). "
                f"{crypto.HOW_TO_SET}"
            )
            raise StoreError(message)
        return key

    def _require_key(self, purpose: str) -> bytes:
        key = self._key if self._key is not None else crypto.find_key()
        if key is None:
            message = f"{purpose} needs an encryption key, and none is set. "
            raise StoreError(message + crypto.HOW_TO_SET)
        self._key = key
        return key

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
                f"Dataset {name!r} not found in the store at {self.url}. "
                f"Datasets held: {held}."
            )
            raise DatasetNotFoundError(message)
        return manifest

    def _manifest_or_empty(self, name: str) -> dict[str, Any]:
        rel = f"{validate_dataset_name(name)}/{MANIFEST}"
        try:
            text = self._backend.read_bytes(rel)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return {"name": name, "versions": []}
        try:
            manifest: dict[str, Any] = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            message = (
                f"The manifest of dataset {name!r} at {self.url}/{rel} is not valid "
                f"JSON ({exc}). "
                "Delete the dataset's folder or restore the file from a backup."
            )
            raise StoreError(message) from exc
        return manifest


def _storage_options(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is not None:
        return dict(given)
    text = os.environ.get(OPTIONS_ENV)
    if not text:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        options = exc
    if not isinstance(options, dict):
        message = (
            f"${OPTIONS_ENV} must be a JSON object of storage options, e.g. "
            '{"endpoint_url": "http://127.0.0.1:9000"}; got ' + repr(text[:80]) + "."
        )
        raise StoreError(message)
    return options


def _context(name: str, version: int, part: str) -> str:
    """The associated data that binds an encrypted object to its place."""
    return f"nbdash-store/{name}/v{version}/{part}"


def _seal_table(key: bytes, table: pa.Table, context: str) -> bytes:
    """Encrypt the table's Parquet bytes in memory; no plaintext reaches the disk.

    Peak memory is about twice the Parquet file's size: the plaintext and the
    ciphertext exist together until the plaintext is dropped.
    """
    from nbdash.store._backends import parquet_bytes

    plain = parquet_bytes(table)
    sealed = crypto.seal(key, plain, context)
    del plain
    return sealed


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(frame)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        message = (
            f"Cannot save this DataFrame as Parquet: {exc}. Columns with mixed Python "
            "objects must be converted to one type first, e.g. with .astype(str)."
        )
        raise StoreError(message) from exc


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
