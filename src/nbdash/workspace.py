"""Named DataFrames shared by every widget, backed by a store, with change events."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from nbdash.errors import DatasetExistsError, DatasetNotFoundError, SpecError
from nbdash.store import Store, validate_dataset_name

logger = logging.getLogger(__name__)

EventKind = Literal["created", "updated", "deleted"]


@dataclass(frozen=True)
class DatasetEvent:
    """What changed in a workspace, passed to ``on_change`` callbacks."""

    name: str
    """The dataset's name."""
    kind: EventKind
    """``"created"``, ``"updated"`` or ``"deleted"``."""
    version: int
    """The dataset's version after the change (the last version when deleted)."""


Callback = Callable[[DatasetEvent], object]


class Workspace:
    """Named DataFrames shared by all widgets, saved in a store when one is given.

    Datasets are loaded from the store lazily, on the first ``get``. Every method is
    safe to call from several threads.

    Parameters
    ----------
    store
        Where datasets are persisted: a :class:`~nbdash.store.Store`, or a folder or
        fsspec URL to open one on (e.g. ``"s3://bucket/prefix"``; build a ``Store``
        yourself to pass storage options or turn on encryption). None keeps datasets
        in memory only.

    Examples
    --------
    >>> import pandas as pd
    >>> ws = Workspace()
    >>> ws.put("sales", pd.DataFrame({"revenue": [1, 2]}))
    1
    >>> ws["sales"]["revenue"].sum()
    np.int64(3)
    >>> ws.query("SELECT SUM(revenue) AS total FROM sales")["total"][0]
    np.float64(3.0)
    """

    def __init__(self, store: Store | str | os.PathLike[str] | None = None):
        self.store = (
            store if store is None or isinstance(store, Store) else Store(store)
        )
        self._frames: dict[str, pd.DataFrame] = {}
        self._info: dict[str, dict[str, Any]] = {}
        self._callbacks: list[Callback] = []
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        where = "memory" if self.store is None else self.store.url
        return f"<Workspace ({where}): {', '.join(self.names()) or 'no datasets'}>"

    def create(
        self,
        name: str,
        frame: pd.DataFrame,
        meta: dict[str, Any] | None = None,
        overwrite: bool = False,
    ) -> int:
        """Add a new dataset; raise ``DatasetExistsError`` when the name is taken."""
        with self._lock:
            if not overwrite and name in self:
                message = (
                    f"A dataset named {name!r} already exists. Pick another name, "
                    "pass overwrite=True, or use put() to replace it."
                )
                raise DatasetExistsError(message)
            return self.put(name, frame, meta)

    def put(
        self, name: str, frame: pd.DataFrame, meta: dict[str, Any] | None = None
    ) -> int:
        """Create or replace ``name`` with ``frame``; return the new version."""
        validate_dataset_name(name)
        _check_frame(name, frame)

        with self._lock:
            existed = name in self
            version = self._save(name, frame, meta)

        event = DatasetEvent(name, "updated" if existed else "created", version)
        logger.info("Dataset %r %s (version %d)", name, event.kind, version)
        self._emit(event)
        return version

    def get(self, name: str) -> pd.DataFrame:
        """Return the dataset ``name``; raise ``DatasetNotFoundError`` if absent."""
        with self._lock:
            frame = self._frames.get(name)
            if frame is None:
                frame = self._load(name)
        # A shallow copy under copy-on-write: a caller that edits the frame it got
        # cannot change the workspace's dataset behind its back.
        return frame.copy(deep=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        with self._lock:
            if name in self._frames:
                return True
            return self._in_store(name)

    def delete(self, name: str) -> None:
        """Remove ``name`` from the workspace and its store."""
        with self._lock:
            version = self.version(name)
            self._frames.pop(name, None)
            self._info.pop(name, None)
            if self._in_store(name):
                assert self.store is not None
                self.store.delete(name)

        logger.info("Dataset %r deleted", name)
        self._emit(DatasetEvent(name, "deleted", version))

    def names(self) -> list[str]:
        """The names of the datasets held, sorted."""
        with self._lock:
            held = set(self._frames)
            if self.store is not None:
                held.update(self.store.names())
            return sorted(held)

    def version(self, name: str) -> int:
        """The current version of ``name`` (1 after the first put)."""
        return int(self.info(name)["version"])

    def info(self, name: str) -> dict[str, Any]:
        """Describe ``name``: version, rows, columns, created and meta."""
        with self._lock:
            if name in self._info:
                return dict(self._info[name])
            if self._in_store(name):
                assert self.store is not None
                return self.store.info(name)
            raise self._not_found(name)

    def query(self, sql: str) -> pd.DataFrame:
        """Run DuckDB SQL with every dataset available as a table of its name.

        Names with spaces or dots must be double-quoted in the SQL: ``"sales 2024"``.
        """
        import duckdb

        connection = duckdb.connect()
        try:
            for name in self.names():
                if name.lower() in sql.lower():
                    connection.register(name, self.get(name))
            logger.debug("Query: %s", sql)
            result: pd.DataFrame = connection.execute(sql).df()
        except duckdb.Error as exc:
            tables = ", ".join(self.names()) or "(no datasets)"
            message = f"The SQL query failed: {exc}. Tables available: {tables}."
            raise SpecError(message) from exc
        finally:
            connection.close()
        return result

    def on_change(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event)`` after every change; return a function to stop."""
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def _save(self, name: str, frame: pd.DataFrame, meta: dict[str, Any] | None) -> int:
        if self.store is not None:
            version = self.store.write(name, frame, meta)
            info = self.store.info(name)
        else:
            previous = self._info.get(name, {}).get("version", 0)
            version = int(previous) + 1
            info = _memory_info(version, frame, meta)
        self._frames[name] = frame.copy(deep=False)
        self._info[name] = info
        return version

    def _load(self, name: str) -> pd.DataFrame:
        if not self._in_store(name):
            raise self._not_found(name)
        assert self.store is not None
        frame = self.store.read(name)
        self._frames[name] = frame
        self._info[name] = self.store.info(name)
        logger.info("Dataset %r loaded from %s", name, self.store.url)
        return frame

    def _in_store(self, name: str) -> bool:
        if self.store is None:
            return False
        try:
            return self.store.exists(name)
        except ValueError:
            return False

    def _not_found(self, name: str) -> DatasetNotFoundError:
        held = ", ".join(self.names()) or "(none)"
        return DatasetNotFoundError(
            f"Dataset {name!r} not found. Datasets held: {held}."
        )

    def _emit(self, event: DatasetEvent) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                # A broken view must not undo or block a write that already happened.
                logger.exception("on_change callback %r failed for %s", callback, event)


def _check_frame(name: str, frame: object) -> None:
    if not isinstance(frame, pd.DataFrame):
        message = (
            f"Dataset {name!r} must be a pandas DataFrame, got {type(frame).__name__}. "
            "Convert it first, e.g. pd.DataFrame(data)."
        )
        raise TypeError(message)


def _memory_info(
    version: int, frame: pd.DataFrame, meta: dict[str, Any] | None
) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "version": version,
        "rows": len(frame),
        "columns": [str(column) for column in frame.columns],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "meta": dict(meta or {}),
    }


_default: Workspace | None = None
_default_lock = threading.Lock()


STORE_ENV = "NBDASH_STORE"
"""Where the default workspace keeps its datasets: a folder or an fsspec URL."""

ENCRYPT_ENV = "NBDASH_STORE_ENCRYPT"
"""Set to ``1``/``true``/``yes`` to encrypt the default workspace's store."""


def default_store_root() -> str | Path:
    """Where the default workspace keeps its data: ``$NBDASH_STORE`` or ``./.nbdash``.

    ``$NBDASH_STORE`` may be a folder or an fsspec URL such as ``s3://bucket/prefix``
    (a URL is returned as text, a folder as a ``Path``). The kernel's working folder
    is the notebook's folder in JupyterLab, Voila and nbdash's papermill runner, so
    by default the data sits beside the notebook.
    """
    configured = os.environ.get(STORE_ENV)
    if not configured:
        return Path.cwd() / ".nbdash"
    return configured if "://" in configured else Path(configured)


def default_store() -> Store:
    """The store of the default workspace, configured from the environment.

    ``$NBDASH_STORE`` says where (see :func:`default_store_root`),
    ``$NBDASH_STORE_OPTIONS`` gives fsspec storage options as JSON, and
    ``$NBDASH_STORE_ENCRYPT=1`` encrypts new versions with the key in
    ``$NBDASH_STORE_KEY`` (or the OS keyring).
    """
    encrypt = os.environ.get(ENCRYPT_ENV, "").strip().lower() in {"1", "true", "yes"}
    return Store(default_store_root(), encrypt=encrypt)


def workspace() -> Workspace:
    """Return the process-wide workspace, stored beside the notebook.

    Its store is :func:`default_store`: ``./.nbdash`` unless ``$NBDASH_STORE`` names
    another folder or a URL.

    Examples
    --------
    >>> import nbdash
    >>> ws = nbdash.workspace()  # doctest: +SKIP
    """
    global _default
    with _default_lock:
        if _default is None:
            store = default_store()
            _default = Workspace(store)
            logger.info("Default workspace stored in %s", store.url)
        return _default


def set_default_workspace(ws: Workspace | None) -> None:
    """Replace the process-wide workspace (None: build it again on next use)."""
    global _default
    with _default_lock:
        _default = ws
