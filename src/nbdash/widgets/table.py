"""The Table widget: a scrolling view of a dataset that fetches only what is visible.

The front end asks for row windows with ``rows {start, stop, sort}`` and gets
``{start, stop, row_count}`` plus one buffer holding those rows as an Arrow IPC stream.
Sorting happens here, once per dataset version and sort key; the order is cached so
scrolling a sorted table does not sort again. ``export {format, safe}`` answers with
the whole dataset as CSV, JSON, Excel or Parquet bytes for the Download menu.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pandas as pd
import traitlets

from nbdash.errors import SpecError, check_columns
from nbdash.export import FORMATS, export_bytes
from nbdash.widgets._base import NbdashWidget, handler, with_buffers

if TYPE_CHECKING:
    import pyarrow as pa

    from nbdash.workspace import Workspace

logger = logging.getLogger(__name__)

MAX_WINDOW = 500
"""The most rows one ``rows`` reply carries."""

_SORT_CACHE_SIZE = 2


class SortKey(TypedDict):
    """How the table is sorted: one column, ascending or not."""

    column: str
    ascending: bool


class ColumnInfo(TypedDict):
    """A column as the front end shows it in the header."""

    name: str
    dtype: str


def _window_bounds(content: dict[str, Any], row_count: int) -> tuple[int, int]:
    start, stop = content.get("start"), content.get("stop")
    valid = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop))
    if not valid or start < 0 or stop < start:  # type: ignore[operator]
        message = (
            "A rows request needs integers 0 <= start <= stop, got "
            f"start={start!r}, stop={stop!r}."
        )
        raise SpecError(message)

    start = min(int(start), row_count)  # type: ignore[arg-type]
    return start, min(int(stop), start + MAX_WINDOW, row_count)  # type: ignore[arg-type]


def _parse_sort(value: Any, columns: list[str], dataset: str) -> SortKey | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("column"), str):
        message = (
            f"sort must be None or {{'column': str, 'ascending': bool}}, got {value!r}."
        )
        raise SpecError(message)

    check_columns([value["column"]], columns, dataset=dataset)
    return {"column": value["column"], "ascending": bool(value.get("ascending", True))}


def to_arrow_ipc(frame: pd.DataFrame) -> bytes:
    """Encode ``frame`` (without its index) as Arrow IPC stream bytes.

    Object columns that Arrow cannot type (mixed values) are sent as text.
    """
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        table = pa.Table.from_pandas(_stringify_objects(frame), preserve_index=False)
    return _ipc_stream(table)


def _stringify_objects(frame: pd.DataFrame) -> pd.DataFrame:
    text = frame.copy()
    for column in text.columns:
        if text[column].dtype == object:
            text[column] = text[column].map(str, na_action="ignore")
    return text


def _ipc_stream(table: pa.Table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def sort_order(column: pd.Series, *, ascending: bool = True) -> np.ndarray:
    """Row positions that sort ``column``: stable, missing values last.

    Gives the order of ``column.sort_values(kind="stable")``. Arrow's sort is used
    because it is several times faster than pandas' on millions of rows; columns
    Arrow cannot type fall back to pandas.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        positions = column.reset_index(drop=True).sort_values(
            ascending=ascending, kind="stable", na_position="last"
        )
        return positions.index.to_numpy()

    direction = "ascending" if ascending else "descending"
    indices = pc.array_sort_indices(values, order=direction, null_placement="at_end")
    order: np.ndarray = indices.to_numpy()
    return order


class Table(NbdashWidget):
    """A scrolling, sortable, downloadable view of a workspace dataset.

    Parameters
    ----------
    dataset
        The name of the dataset to show.
    workspace
        Defaults to the process-wide :func:`nbdash.workspace`.
    page_size
        Rows the front end fetches per request (at most 500).

    Examples
    --------
    >>> import nbdash, pandas as pd
    >>> ws = nbdash.Workspace()
    >>> ws.put("sales", pd.DataFrame({"region": ["West", "East"], "revenue": [10, 5]}))
    1
    >>> table = Table("sales", workspace=ws)
    >>> table.row_count, [c["name"] for c in table.columns]
    (2, ['region', 'revenue'])
    """

    _bundle = "table"

    dataset = traitlets.Unicode("").tag(sync=True)
    """The name of the dataset shown."""

    columns = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The dataset's columns as ``{name, dtype}``, in order."""

    row_count = traitlets.Int(0).tag(sync=True)
    """How many rows the dataset has."""

    sort: traitlets.Dict[str, Any] | Any = traitlets.Dict(
        allow_none=True, default_value=None
    ).tag(sync=True)
    """The sort shown, ``{column, ascending}``, or None for the dataset's own order."""

    page_size = traitlets.Int(100, min=1, max=MAX_WINDOW).tag(sync=True)
    """Rows the front end asks for in one request."""

    def __init__(
        self,
        dataset: str,
        workspace: Workspace | None = None,
        page_size: int = 100,
        **kwargs: Any,
    ) -> None:
        if workspace is None:
            from nbdash.workspace import workspace as default_workspace

            workspace = default_workspace()
        self._workspace = workspace
        self._frame: tuple[Any, pd.DataFrame] | None = None
        self._orders: OrderedDict[tuple[Any, str, bool], np.ndarray] = OrderedDict()

        super().__init__(page_size=page_size, **kwargs)
        self.observe(self._on_dataset_trait, names=["dataset"])
        self.dataset = dataset
        self._unsubscribe: Callable[[], Any] | None = workspace.on_change(
            self._on_event
        )

    @property
    def workspace(self) -> Workspace:
        """The workspace the dataset lives in."""
        return self._workspace

    def frame(self) -> pd.DataFrame:
        """The dataset as it is now (cached per version)."""
        version = self._workspace.version(self.dataset)
        if self._frame is None or self._frame[0] != version:
            self._frame = (version, self._workspace.get(self.dataset))
            self._orders.clear()
        return self._frame[1]

    def window(
        self, start: int, stop: int, sort: SortKey | None = None
    ) -> pd.DataFrame:
        """Rows ``start:stop`` of the dataset, in ``sort`` order when given."""
        frame = self.frame()
        if sort is None:
            return frame.iloc[start:stop]
        return frame.iloc[self._order(frame, sort)[start:stop]]

    def export(self, fmt: str, *, safe: bool = True) -> bytes:
        """The whole dataset as file bytes in format ``fmt`` (see ``export.FORMATS``),
        in the order the table shows (its ``sort``, else the dataset's).

        The formats are ``"csv"``, ``"json"``, ``"excel"`` and ``"parquet"``.

        ``safe`` neutralises spreadsheet formulas in CSV cells; see
        :func:`nbdash.export.to_csv_bytes`.
        """
        frame = self.frame()
        if self.sort and self.sort.get("column") in frame.columns:
            shown: SortKey = {
                "column": self.sort["column"],
                "ascending": bool(self.sort.get("ascending", True)),
            }
            frame = frame.iloc[self._order(frame, shown)]
        return export_bytes(frame, fmt, safe=safe)

    def refresh(self) -> None:
        """Re-read the dataset's shape and tell the front end to fetch rows again."""
        frame = self.frame()
        columns = [{"name": str(n), "dtype": str(t)} for n, t in frame.dtypes.items()]
        with self.hold_sync():
            self.columns, self.row_count, self.error = columns, len(frame), ""
            if self.sort and self.sort.get("column") not in frame.columns:
                self.sort = None
        self.notify("refresh", {"row_count": len(frame)})

    def close(self) -> None:
        """Stop following the workspace and close the widget."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        super().close()

    # -- message handlers --------------------------------------------------------

    @handler("rows")
    def _on_rows(self, content: dict[str, Any], buffers: list[memoryview]) -> Any:
        frame = self.frame()
        start, stop = _window_bounds(content, len(frame))
        sort = _parse_sort(content.get("sort"), list(frame.columns), self.dataset)

        payload = to_arrow_ipc(self.window(start, stop, sort))
        logger.debug(
            "rows %d:%d of %r: %d bytes", start, stop, self.dataset, len(payload)
        )
        return with_buffers(
            {"start": start, "stop": stop, "row_count": len(frame)}, [payload]
        )

    @handler("export")
    def _on_export(self, content: dict[str, Any], buffers: list[memoryview]) -> Any:
        fmt = content.get("format")
        if fmt not in FORMATS:
            message = (
                f"Unknown export format {fmt!r}. Expected one of: {', '.join(FORMATS)}."
            )
            raise SpecError(message)

        safe = content.get("safe", True)
        if not isinstance(safe, bool):
            message = f"export's safe must be true or false, got {safe!r}."
            raise SpecError(message)

        data = self.export(fmt, safe=safe)
        mime, extension = FORMATS[fmt]
        result = {
            "filename": f"{self.dataset}{extension}",
            "mime": mime,
            "size": len(data),
        }
        return with_buffers(result, [data])

    # -- internals ---------------------------------------------------------------

    def _order(self, frame: pd.DataFrame, sort: SortKey) -> np.ndarray:
        key = (
            self._frame[0] if self._frame else None,
            sort["column"],
            sort["ascending"],
        )
        order = self._orders.get(key)
        if order is None:
            order = sort_order(frame[sort["column"]], ascending=sort["ascending"])
            self._orders[key] = order
            while len(self._orders) > _SORT_CACHE_SIZE:
                self._orders.popitem(last=False)
        return order

    def _on_dataset_trait(self, change: dict[str, Any]) -> None:
        self._frame = None
        self._orders.clear()
        self.refresh()

    def _on_event(self, event: Any) -> None:
        if event.name != self.dataset:
            return
        if event.kind == "deleted":
            with self.hold_sync():
                self.columns, self.row_count = [], 0
                self.error = f"Dataset {self.dataset!r} was deleted from the workspace."
            self.notify("refresh", {"row_count": 0})
            return
        self.refresh()

    # -- static fallback ---------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, "text/html": self.to_html()}, metadata

    def to_html(self, rows: int = 20) -> str:
        """The first ``rows`` rows as an HTML table (escaped) and the table's shape."""
        frame = self.frame()
        head = frame.head(rows).to_html(index=False, escape=True, na_rep="")
        shape = f"<p>{len(frame)} rows x {len(frame.columns)} columns</p>"
        return f"<div class='nbdash-table'>{head}{shape}</div>"
