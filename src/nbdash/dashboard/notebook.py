"""The notebook that holds the dashboards: finding it, reading and writing its metadata.

Two ways in. For a file no front end has open (tests, papermill outputs, the CLI),
:func:`read_nbdash_metadata` reads the ``.ipynb`` as JSON and
:func:`write_nbdash_metadata` edits it with nbformat. For the notebook open in
JupyterLab, :class:`NotebookBridge` talks to nbdash's lab extension over the comm
target ``nbdash.notebook``: the kernel never writes an open notebook's file, the
front end changes its model and the user saves.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypedDict
from urllib.parse import unquote

logger = logging.getLogger(__name__)

METADATA_KEY = "nbdash"
"""The key of nbdash's value in a notebook's metadata."""

COMM_TARGET = "nbdash.notebook"
"""The comm target the JupyterLab extension registers on each notebook's kernel."""

ENV_NOTEBOOK_PATH = "NBDASH_NOTEBOOK_PATH"
"""The environment variable nbdash's runner sets to the notebook being run."""

PAPERMILL_PARAMETER = "nbdash_notebook_path"
"""The papermill parameter (a variable in the kernel) nbdash's runner injects."""

_explicit_path: Path | None = None


class BridgeMessage(TypedDict, total=False):
    """A message on the ``nbdash.notebook`` comm, in either direction."""

    kind: Literal["get", "set", "reply", "insert_cell"]
    id: str
    value: Any
    source: str
    result: Any
    error: str


# --- the file on disk -------------------------------------------------------------


def read_nbdash_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata["nbdash"]`` value of the notebook at ``path`` ({} when unset).

    Examples
    --------
    >>> import nbformat, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "nb.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(), path)
    >>> read_nbdash_metadata(path)
    {}
    """
    # Plain JSON, not nbformat: importing nbformat pulls in jsonschema, whose format
    # checkers compile dozens of grammars at import (about 5 CPU seconds here), and
    # this runs in every kernel that shows a dashboard. Only the metadata is read.
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)

    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    value = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, dict) else {}


def list_dashboards(path: str | os.PathLike[str] | None = None) -> list[str]:
    """The names of the dashboards saved in a notebook, sorted.

    Parameters
    ----------
    path
        The notebook file; None uses :func:`locate_notebook` (no file: ``[]``).
    """
    target = Path(path) if path is not None else locate_notebook()
    if target is None:
        return []
    return dashboard_names(read_nbdash_metadata(target))


def dashboard_names(value: Any) -> list[str]:
    """The dashboard names in a ``metadata["nbdash"]`` value, sorted."""
    if not isinstance(value, dict):
        return []
    dashboards = value.get("dashboards")
    return (
        sorted(str(name) for name in dashboards) if isinstance(dashboards, dict) else []
    )


def write_nbdash_metadata(path: str | os.PathLike[str], value: dict[str, Any]) -> None:
    """Replace the ``metadata["nbdash"]`` value of the notebook file at ``path``.

    Only for files no front end has open: a notebook open in JupyterLab would
    overwrite the change on its next save, or warn that the file changed on disk.
    The file is written to a temporary name and moved into place.
    """
    import nbformat

    notebook = nbformat.read(os.fspath(path), as_version=4)  # type: ignore[no-untyped-call]
    notebook.metadata[METADATA_KEY] = value

    target = Path(path)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    nbformat.write(notebook, os.fspath(partial))  # type: ignore[no-untyped-call]
    os.replace(partial, target)
    logger.info("wrote nbdash metadata to %s", target)


# --- which notebook is running ----------------------------------------------------


def set_notebook_path(path: str | os.PathLike[str] | None) -> None:
    """Tell nbdash which notebook file this kernel runs (None forgets it)."""
    global _explicit_path
    _explicit_path = None if path is None else Path(path)


def locate_notebook() -> Path | None:
    """The notebook file this kernel runs, when it can be found; None otherwise.

    Tried in order: :func:`set_notebook_path`, the ``NBDASH_NOTEBOOK_PATH``
    environment variable, the ``nbdash_notebook_path`` papermill parameter, Voila's
    ``SCRIPT_NAME`` (the request path; the kernel runs in the notebook's folder),
    VS Code's ``__vsc_ipynb_file__``, then ``JPY_SESSION_NAME`` (jupyter_server
    2.0.7 and later). Only paths of existing files are returned.
    """
    finders: list[Callable[[], Path | None]] = [
        lambda: _explicit_path,
        lambda: _env_path(ENV_NOTEBOOK_PATH),
        lambda: _user_variable_path(PAPERMILL_PARAMETER),
        _voila_path,
        lambda: _user_variable_path("__vsc_ipynb_file__"),
        lambda: _env_path("JPY_SESSION_NAME"),
    ]
    for finder in finders:
        found = finder()
        if found is not None and found.is_file():
            logger.debug("notebook located at %s", found)
            return found.resolve()
    return None


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "")
    return Path(value) if value else None


def _user_variable_path(name: str) -> Path | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    value = shell.user_ns.get(name) if shell is not None else None
    return Path(value) if isinstance(value, str | os.PathLike) and value else None


def _voila_path() -> Path | None:
    # Voila passes the request path, e.g. /voila/render/reports/sales.ipynb, and starts
    # the kernel in the notebook's folder, so the file name is enough. In single-
    # notebook mode the path is "/" and the notebook cannot be found this way.
    script = os.environ.get("SCRIPT_NAME", "")
    name = PurePosixPath(unquote(script)).name
    if not name.endswith(".ipynb"):
        return None
    return Path.cwd() / name


# --- the live notebook, through the lab extension -----------------------------------

MetadataCallback = Callable[[dict[str, Any]], None]


class NotebookBridge:
    """The kernel's side of the ``nbdash.notebook`` comm to the open notebook.

    :meth:`set` replaces the notebook's ``metadata["nbdash"]`` in the front end (the
    document becomes dirty; the user's save persists it). :meth:`get` asks for it and
    hands the answer to a callback later: the front end's reply is not processed while
    the asking cell still runs, so nothing here ever waits for it.

    Without a front end that knows the target (papermill, a plain Python process, a
    front end without nbdash's extension) the bridge degrades quietly: it logs once,
    keeps the last value in :attr:`value`, and callbacks are never called.

    Parameters
    ----------
    comm_factory
        Builds the comm (keyword arguments of :func:`comm.create_comm`); tests pass
        a fake. Defaults to :func:`comm.create_comm`.
    """

    def __init__(self, comm_factory: Callable[..., Any] | None = None) -> None:
        self._factory = comm_factory
        self._comm: Any = None
        self._closed = False
        self._said_closed = False
        self._waiting: dict[str, MetadataCallback] = {}
        self.value: dict[str, Any] | None = None
        """The last ``metadata["nbdash"]`` value sent or received; None before any."""

    @property
    def is_open(self) -> bool:
        """Whether no front end has refused or closed the comm so far."""
        return not self._closed

    def set(self, value: dict[str, Any]) -> None:
        """Replace ``metadata["nbdash"]`` in the open notebook with ``value``."""
        self.value = value
        self._send({"kind": "set", "id": _new_id(), "value": value})

    def get(self, callback: MetadataCallback) -> None:
        """Ask for ``metadata["nbdash"]``; ``callback(value)`` runs when it arrives."""
        msg_id = _new_id()
        if self._send({"kind": "get", "id": msg_id}):
            self._waiting[msg_id] = callback

    def insert_cell(self, source: str) -> bool:
        """Ask the notebook to insert a code cell of ``source`` below the active cell.

        Returns whether the request could be sent; the front end validates it and
        replies (an error reply is logged as a warning).
        """
        return self._send({"kind": "insert_cell", "id": _new_id(), "source": source})

    def close(self) -> None:
        """Close the comm; later calls only keep :attr:`value` up to date."""
        if self._comm is not None and not self._closed:
            self._comm.close()
        self._mark_closed("closed by the kernel")

    def _send(self, message: BridgeMessage) -> bool:
        comm = self._open()
        if comm is None:
            return False
        logger.debug("bridge sends %s", message.get("kind"))
        comm.send(message)
        return True

    def _open(self) -> Any:
        if self._closed:
            return None
        if self._comm is None:
            try:
                self._comm = self._create()
            except Exception as exc:  # no kernel, no comm package: keep working
                self._mark_closed(f"cannot open a comm ({exc})")
                return None
            self._comm.on_msg(self._receive)
            self._comm.on_close(
                lambda _msg: self._mark_closed("closed by the front end")
            )
        return self._comm

    def _create(self) -> Any:
        if self._factory is not None:
            return self._factory(target_name=COMM_TARGET, data={})
        import comm

        return comm.create_comm(target_name=COMM_TARGET, data={})

    def _receive(self, msg: dict[str, Any]) -> None:
        data = (msg.get("content") or {}).get("data")
        if not isinstance(data, dict) or data.get("kind") != "reply":
            logger.debug("bridge ignores malformed message %r", data)
            return
        callback = self._waiting.pop(str(data.get("id", "")), None)
        if isinstance(data.get("error"), str):
            logger.warning("the notebook refused a metadata request: %s", data["error"])
            return
        if callback is None:
            return

        result = data.get("result")
        value = result if isinstance(result, dict) else {}
        self.value = value
        callback(value)

    def _mark_closed(self, reason: str) -> None:
        self._closed = True
        self._waiting.clear()
        if not self._said_closed:
            self._said_closed = True
            logger.info(
                "no live notebook to hold nbdash metadata (%s); it stays in memory and "
                "in files written by nbdash's runner",
                reason,
            )


_shared_bridge: NotebookBridge | None = None


def notebook_bridge() -> NotebookBridge:
    """The bridge shared by every dashboard of this kernel (created on first use)."""
    global _shared_bridge
    if _shared_bridge is None:
        _shared_bridge = NotebookBridge()
    return _shared_bridge


def _new_id() -> str:
    return uuid.uuid4().hex[:12]
