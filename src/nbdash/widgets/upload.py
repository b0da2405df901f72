"""The Upload widget: send a file from the browser in slices, read it into a dataset.

Jupyter Server silently drops websocket messages over 10 MiB, so the front end never
sends a file in one message. The protocol, one acknowledged message at a time:

``start {name, size, dataset}``
    -> ``{upload_id, chunk_size}``; a temporary file is opened.
``chunk {upload_id, offset}`` + one buffer (at most 4 MiB)
    -> ``{received}``; the slice is appended when ``offset`` is the bytes received.
``finish {upload_id, sha256}``
    -> ``{dataset, version, rows}``; size and SHA-256 are checked, the file is read
    with :func:`nbdash.ingest.read_table` and stored with ``workspace.put``.
``abort {upload_id}``
    -> ``{aborted}``; the temporary file is removed.
``reread {options}``
    -> ``{dataset, version, rows}``; the file last uploaded is read again with the
    user's overrides (delimiter, encoding, header row, sheet, column types, date
    formats, missing values, day first) and the dataset replaced only when the read
    succeeds. Column types and date formats apply to every format (CSV, Excel,
    Parquet, JSON); delimiter and encoding to delimited text only.

A file whose bytes all arrived is kept until the widget is closed (or another file is
uploaded), so that it can be re-read without uploading it again. A failed transfer
removes the temporary file; no failure changes the workspace.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypedDict

import traitlets

from nbdash.errors import NbdashError, NotATableError
from nbdash.store import validate_dataset_name
from nbdash.widgets._base import NbdashWidget, handler

if TYPE_CHECKING:
    from nbdash.workspace import Workspace

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
"""Bytes per slice the front end is asked to send."""

MAX_CHUNK_SIZE = 4 * 1024 * 1024
"""The largest slice accepted; far below Jupyter Server's 10 MiB message limit."""


class UploadError(NbdashError, ValueError):
    """An upload that broke the protocol, failed its checks or was aborted."""


class StartRequest(TypedDict):
    """``start``: announce a file."""

    name: str
    size: int
    dataset: str


class ChunkRequest(TypedDict):
    """``chunk``: one slice of the file, its bytes in the message buffer."""

    upload_id: str
    offset: int


class ReadOptions(TypedDict, total=False):
    """``reread``: overrides of what ``read_table`` detects; absent keys: detected."""

    encoding: str
    delimiter: str
    header_row: int
    sheet: str
    column_types: dict[str, str]
    date_formats: dict[str, str]
    missing_values: list[str]
    dayfirst: bool


_OPTION_TYPES: dict[str, type] = {
    "encoding": str,
    "delimiter": str,
    "header_row": int,
    "sheet": str,
    "column_types": dict,
    "date_formats": dict,
    "missing_values": list,
    "dayfirst": bool,
}


def check_read_options(raw: Any) -> ReadOptions:
    """Validate the ``options`` of a ``reread`` message; empty values are dropped.

    Examples
    --------
    >>> check_read_options({"delimiter": ";", "encoding": "", "column_types": {}})
    {'delimiter': ';'}
    """
    if not isinstance(raw, dict):
        raise UploadError(f"Read options must be an object, got {type(raw).__name__}.")
    options: dict[str, Any] = {}
    for key, value in raw.items():
        expected = _OPTION_TYPES.get(key)
        if expected is None:
            known = ", ".join(_OPTION_TYPES)
            raise UploadError(f"Unknown read option {key!r}. Known options: {known}.")
        if value is None or value == "" or value == {} or value == []:
            continue
        _check_option(key, value, expected)
        options[key] = value
    return options  # type: ignore[return-value]


def _check_option(key: str, value: Any, expected: type) -> None:
    wrong_bool = isinstance(value, bool) and expected is not bool
    if not isinstance(value, expected) or wrong_bool:
        message = (
            f"Read option {key!r} must be {expected.__name__}, "
            f"got {type(value).__name__} {value!r}."
        )
        raise UploadError(message)
    items = list(value.values()) if isinstance(value, dict) else value
    if isinstance(items, list) and not all(isinstance(item, str) for item in items):
        raise UploadError(f"Read option {key!r} must hold text values, got {value!r}.")
    if key == "delimiter" and len(str(value)) != 1:
        message = f"The delimiter must be one character, got {value!r}. Example: ';'."
        raise UploadError(message)


@dataclass
class _Kept:
    """A file whose bytes all arrived, kept for re-reading until the widget closes."""

    filename: str
    dataset: str
    path: Path

    def discard(self) -> None:
        """Remove the file."""
        self.path.unlink(missing_ok=True)


class FinishRequest(TypedDict):
    """``finish``: all slices sent; ``sha256`` is the hex digest of the whole file."""

    upload_id: str
    sha256: str


@dataclass
class _Transfer:
    """One upload in progress: where its bytes go and what has arrived."""

    upload_id: str
    filename: str
    size: int
    dataset: str
    path: Path
    handle: IO[bytes]
    received: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    started: float = field(default_factory=time.monotonic)

    def discard(self) -> None:
        """Close and remove the temporary file."""
        self.handle.close()
        self.path.unlink(missing_ok=True)


def default_dataset_name(filename: str) -> str:
    """The dataset name suggested for an uploaded file.

    The extension is dropped, runs of characters other than letters and digits become
    ``_``, and the result is lower-cased. The front end applies the same rule.

    Examples
    --------
    >>> default_dataset_name("sales-2024.csv")
    'sales_2024'
    >>> default_dataset_name("Q1 Report (final).xlsx")
    'q1_report_final'
    >>> default_dataset_name(".csv")
    'upload'
    """
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    cleaned = re.sub(r"[^0-9A-Za-z]+", "_", stem).strip("_").lower()
    return cleaned[:64] or "upload"


def _require(content: dict[str, Any], key: str, kind: type) -> Any:
    value = content.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        received = type(value).__name__
        message = f"Message field {key!r} must be {kind.__name__}, got {received}."
        raise UploadError(message)
    return value


class DatasetNameError(UploadError):
    """A ``start`` refused because the target dataset name breaks the naming rule."""


class EmptyFileError(UploadError):
    """A ``start`` refused because the file holds no bytes."""


def _check_dataset_name(name: str) -> None:
    # The workspace validates names too, but only after the whole file has travelled;
    # checking at `start` saves the user the wait.
    try:
        validate_dataset_name(name)
    except ValueError as exc:
        raise DatasetNameError(str(exc)) from None


def failure_of(error: BaseException, step: str) -> str:
    """The :attr:`Upload.failure` for ``error`` raised while doing ``step``.

    ``step`` is ``start``, ``transfer``, ``read`` or ``reread``.

    Examples
    --------
    >>> failure_of(DatasetNameError("Invalid dataset name 'a/b'"), "start")
    'name'
    >>> failure_of(ValueError("bad delimiter"), "read")
    'read'
    """
    if isinstance(error, DatasetNameError):
        return "name"
    if isinstance(error, EmptyFileError):
        return "empty"
    if isinstance(error, NotATableError):
        return "unreadable"
    return "transfer" if step == "start" else step


class Upload(NbdashWidget):
    """Upload a file from the browser into a workspace dataset.

    Parameters
    ----------
    workspace
        Where the dataset goes; defaults to the process-wide :func:`nbdash.workspace`.
    name
        The dataset name; by default it is derived from the file name
        (``sales-2024.csv`` becomes ``sales_2024``) and editable in the widget.

    Examples
    --------
    >>> import nbdash
    >>> upload = Upload(workspace=nbdash.Workspace(), dataset="sales")
    >>> upload.status
    'idle'
    """

    _bundle = "upload"

    status = traitlets.Enum(
        ["idle", "uploading", "reading", "done", "error", "aborted"],
        default_value="idle",
    ).tag(sync=True)
    """Where the upload is: idle, uploading, reading, done, error or aborted."""

    progress = traitlets.Float(0.0, min=0.0, max=1.0).tag(sync=True)
    """Fraction of the file's bytes received, from 0 to 1."""

    filename = traitlets.Unicode("").tag(sync=True)
    """The name of the file being (or last) uploaded."""

    dataset = traitlets.Unicode("").tag(sync=True)
    """The dataset the file is stored as; editable in the widget before uploading."""

    report = traitlets.Dict().tag(sync=True)
    """The ingest report of the last successful read (``IngestReport.to_dict()``)."""

    options = traitlets.Dict().tag(sync=True)
    """The read options of the last read (:class:`ReadOptions`); empty: all detected."""

    sheets = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The sheet names of the uploaded Excel workbook, in order, for the ``sheet``
    read option; empty for other files."""

    can_reread = traitlets.Bool(False).tag(sync=True)
    """Whether an uploaded file is kept that ``reread`` can read again."""

    failure = traitlets.Enum(
        ["", "name", "empty", "transfer", "read", "unreadable", "reread"],
        default_value="",
    ).tag(sync=True)
    """What failed when ``status`` is error: the dataset ``name`` or an ``empty``
    file refused at start, the ``transfer``, a ``read`` that other read options may
    fix, a file that is no table at all (``unreadable``), or a ``reread`` (the
    dataset and report keep the previous read); empty otherwise."""

    def __init__(
        self,
        dataset: str | None = None,
        workspace: Workspace | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(dataset=dataset or "", **kwargs)
        if workspace is None:
            from nbdash.workspace import workspace as default_workspace

            workspace = default_workspace()
        self._workspace = workspace
        self._transfer: _Transfer | None = None
        self._kept: _Kept | None = None
        self._private_dir: Path | None = None

    @property
    def workspace(self) -> Workspace:
        """The workspace that uploaded datasets go to."""
        return self._workspace

    def upload_dir(self) -> Path:
        """The folder for partial uploads: ``<store root>/.uploads`` or a temp dir.

        When the store is encrypted, the plaintext file never goes beside it: it is
        staged in a private folder (mode 0700) in :func:`tempfile.gettempdir`, made
        for this widget and deleted with everything in it by :meth:`close`.
        """
        store = getattr(self._workspace, "store", None)
        if getattr(store, "encrypt", False):
            return self._private_upload_dir()
        root = getattr(store, "root", None)
        if root is None:
            folder = Path(tempfile.gettempdir()) / "nbdash-uploads"
        else:
            folder = Path(root) / ".uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _private_upload_dir(self) -> Path:
        if self._private_dir is None or not self._private_dir.is_dir():
            # mkdtemp makes the folder readable by this user only (0700).
            self._private_dir = Path(tempfile.mkdtemp(prefix="nbdash-upload-"))
            logger.debug("Encrypted store: staging uploads in %s", self._private_dir)
        return self._private_dir

    def close(self) -> None:
        """Drop any upload in progress and the kept file, then close the widget."""
        self._discard()
        self._forget_kept()
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None
        super().close()

    def reread(self, **options: Any) -> dict[str, Any]:
        """Read the uploaded file again with overrides; see :class:`ReadOptions`.

        Returns ``{dataset, version, rows}``. Raises :class:`UploadError` when no file
        is kept, and the reader's error (the dataset unchanged) when the read fails.
        """
        kept = self._kept
        if kept is None:
            message = "No uploaded file to read again: upload a file first."
            raise UploadError(message)
        checked = check_read_options(options)

        self.status = "reading"
        try:
            version, report = self._ingest(
                kept.path, kept.filename, kept.dataset, checked
            )
        except Exception as exc:
            with self.hold_sync():
                self.status, self.failure = "error", failure_of(exc, "reread")
            raise
        with self.hold_sync():
            self.report, self.options, self.status = report, dict(checked), "done"
            self.error, self.failure = "", ""
        return {"dataset": kept.dataset, "version": version, "rows": report.get("rows")}

    # -- message handlers --------------------------------------------------------

    @handler("start")
    def _on_start(self, content: dict[str, Any], buffers: list[memoryview]) -> Any:
        if self._transfer is not None:
            message = (
                f"An upload of {self._transfer.filename!r} is already in progress. "
                "Abort it or wait for it to finish before starting another."
            )
            raise UploadError(message)

        # A new upload replaces the last one: its report and kept file go first, so
        # that no error of this upload shows beside the last file's report.
        self._forget_kept()
        with self.hold_sync():
            self.report, self.options, self.progress = {}, {}, 0.0
            self.sheets = []
        with self._failing("start"):
            transfer = self._open_transfer(content)
            self._transfer = transfer
        with self.hold_sync():
            self.filename, self.dataset = transfer.filename, transfer.dataset
            self.status, self.error, self.failure = "uploading", "", ""
        logger.info(
            "upload %s started: %s (%d bytes)",
            transfer.upload_id,
            transfer.filename,
            transfer.size,
        )
        return {"upload_id": transfer.upload_id, "chunk_size": CHUNK_SIZE}

    @handler("chunk")
    def _on_chunk(self, content: dict[str, Any], buffers: list[memoryview]) -> Any:
        with self._failing("transfer"):
            transfer = self._current(content)
            offset = _require(content, "offset", int)
            data = self._check_chunk(transfer, offset, buffers)

            transfer.handle.write(data)
            transfer.digest.update(data)
            transfer.received += len(data)

        self.progress = transfer.received / transfer.size
        return {"received": transfer.received}

    @handler("finish")
    def _on_finish(self, content: dict[str, Any], buffers: list[memoryview]) -> Any:
        with self._failing("transfer"):
            transfer = self._current(content)
            self._check_complete(transfer, _require(content, "sha256", str))
            transfer.handle.close()
        # Every byte arrived: the file is kept for re-reads, whether this read works.
        self._transfer = None
        self._kept = _Kept(transfer.filename, transfer.dataset, transfer.path)
        sheets = _sheet_names(transfer.path, transfer.filename)
        with self.hold_sync():
            self.status, self.can_reread, self.options = "reading", True, {}
            # Known before the read, so a sheet that holds no table can be left.
            self.sheets = sheets

        try:
            version, report = self._ingest(
                transfer.path, transfer.filename, transfer.dataset, {}
            )
        except Exception as exc:
            self._read_failed(exc)
            raise
        elapsed = time.monotonic() - transfer.started
        logger.info("uploaded %s in %.1f s", transfer.filename, elapsed)
        with self.hold_sync():
            self.report, self.progress, self.status = report, 1.0, "done"
        return {
            "dataset": transfer.dataset,
            "version": version,
            "rows": report.get("rows"),
        }

    @handler("abort")
    def _on_abort(self, content: dict[str, Any], buffers: list[memoryview]) -> Any:
        upload_id = content.get("upload_id")
        transfer = self._transfer
        # An abort without an id (say, from a reloaded page) ends whatever is running.
        if transfer is None or upload_id not in (None, transfer.upload_id):
            return {"aborted": False}

        self._discard()
        with self.hold_sync():
            self.status, self.progress = "aborted", 0.0
        logger.info("upload %s aborted", transfer.upload_id)
        return {"aborted": True}

    @handler("reread")
    def _on_reread(self, content: dict[str, Any], buffers: list[memoryview]) -> Any:
        if self._transfer is not None:
            message = "An upload is in progress; re-read once it has finished."
            raise UploadError(message)
        options = content.get("options", {})
        if not isinstance(options, dict):
            raise UploadError(
                f"Read options must be an object, got {type(options).__name__}."
            )
        return self.reread(**options)

    # -- steps -------------------------------------------------------------------

    def _open_transfer(self, content: dict[str, Any]) -> _Transfer:
        filename = os.path.basename(_require(content, "name", str)) or "upload"
        size = _require(content, "size", int)
        dataset = str(content.get("dataset") or "").strip()
        dataset = dataset or default_dataset_name(filename)
        _check_dataset_name(dataset)
        if size <= 0:
            message = (
                f"The file {filename!r} is empty (0 bytes). "
                "Choose a file that holds a table."
            )
            raise EmptyFileError(message)

        suffix = Path(filename).suffix[:16]
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by _Transfer.discard
            dir=self.upload_dir(), prefix="upload-", suffix=suffix, delete=False
        )
        upload_id = uuid.uuid4().hex
        return _Transfer(upload_id, filename, size, dataset, Path(handle.name), handle)

    def _current(self, content: dict[str, Any]) -> _Transfer:
        upload_id = _require(content, "upload_id", str)
        transfer = self._transfer
        if transfer is None or transfer.upload_id != upload_id:
            message = (
                f"No upload with id {upload_id!r} is in progress (it finished, was "
                "aborted or failed). Start the upload again."
            )
            raise UploadError(message)
        return transfer

    @staticmethod
    def _check_chunk(
        transfer: _Transfer, offset: int, buffers: list[memoryview]
    ) -> bytes:
        if offset != transfer.received:
            message = (
                f"Slice of {transfer.filename!r} arrived at offset {offset}, expected "
                f"{transfer.received}. Slices must be sent in order; "
                "start the upload again."
            )
            raise UploadError(message)
        if len(buffers) != 1:
            raise UploadError(
                f"A chunk carries exactly one buffer, got {len(buffers)}."
            )

        data = bytes(buffers[0])
        if not 0 < len(data) <= MAX_CHUNK_SIZE:
            message = f"A slice must hold 1 to {MAX_CHUNK_SIZE} bytes, got {len(data)}."
            raise UploadError(message)
        if transfer.received + len(data) > transfer.size:
            message = (
                f"{transfer.filename!r} was announced as {transfer.size} bytes "
                "but more arrived. Start the upload again."
            )
            raise UploadError(message)
        return data

    @staticmethod
    def _check_complete(transfer: _Transfer, sha256: str) -> None:
        if transfer.received != transfer.size:
            message = (
                f"{transfer.filename!r} is incomplete: {transfer.received} of "
                f"{transfer.size} bytes arrived. Start the upload again."
            )
            raise UploadError(message)

        actual = transfer.digest.hexdigest()
        if actual != sha256.strip().lower():
            message = (
                f"{transfer.filename!r} was damaged on the way: its SHA-256 is "
                f"{actual}, the browser computed {sha256}. Start the upload again."
            )
            raise UploadError(message)

    def _ingest(
        self, path: Path, filename: str, dataset: str, options: ReadOptions
    ) -> tuple[Any, dict[str, Any]]:
        from nbdash.ingest import read_table

        result = read_table(path, filename=filename, **options)
        report = result.report.to_dict()
        source = {"kind": "upload", "filename": filename, "options": dict(options)}
        meta = {"source": source, "report": report}
        version = self._workspace.put(dataset, result.frame, meta=meta)

        logger.info("read %s into dataset %r (version %s)", filename, dataset, version)
        return version, report

    def _read_failed(self, error: Exception) -> None:
        """After a failed first read: no report; keep the file if re-reading helps."""
        failure = failure_of(error, "read")
        if failure == "unreadable":
            self._forget_kept()
        with self.hold_sync():
            self.report, self.status, self.failure = {}, "error", failure

    def _forget_kept(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.discard()
            with self.hold_sync():
                self.can_reread, self.sheets = False, []

    def _discard(self) -> None:
        transfer, self._transfer = self._transfer, None
        if transfer is not None:
            transfer.discard()

    @contextmanager
    def _failing(self, step: str) -> Iterator[None]:
        """On any error: drop the upload, set ``status`` and ``failure``, re-raise."""
        try:
            yield
        except Exception as exc:
            self._discard()
            with self.hold_sync():
                self.status, self.failure = "error", failure_of(exc, step)
            raise

    # -- static fallback ---------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, "text/html": self.to_html()}, metadata

    def to_html(self) -> str:
        """A static HTML summary of the last upload (all text escaped)."""
        if not self.report:
            state = html.escape(self.error or f"No file uploaded ({self.status}).")
            return f"<div class='nbdash-upload'>{state}</div>"

        columns = self.report.get("columns") or []
        items = "".join(f"<li>{html.escape(_column_line(c))}</li>" for c in columns)
        problems = self.report.get("problem_count", 0)
        head = (
            f"<b>{html.escape(self.filename)}</b> &rarr; dataset "
            f"<b>{html.escape(self.dataset)}</b>: {self.report.get('rows')} rows, "
            f"{len(columns)} columns, {problems} problems"
        )
        return f"<div class='nbdash-upload'><p>{head}</p><ul>{items}</ul></div>"


def _sheet_names(path: Path, filename: str) -> list[str]:
    """The sheets of an Excel workbook (by its extension); none for other files."""
    from nbdash.ingest.reading import list_sheets

    if Path(filename).suffix.lower() not in (".xlsx", ".xlsm"):
        return []
    try:
        return list_sheets(path, filename=filename)
    except NbdashError as exc:
        # The read that follows reports what is wrong with the file.
        logger.debug("no sheet names for %s: %s", filename, exc)
        return []


def _column_line(column: dict[str, Any]) -> str:
    """One column of a report as text: name, kind, dtype, missing, unparseable."""
    text = (
        f"{column.get('name')}: {column.get('kind', '')} ({column.get('dtype')}), "
        f"{column.get('missing', 0)} missing"
    )
    if column.get("unparseable"):
        lines = ", ".join(str(line) for line in column.get("sample_lines") or [])
        text += f", {column['unparseable']} unparseable (lines {lines})"
    return text
