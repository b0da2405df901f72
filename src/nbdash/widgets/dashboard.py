"""The Dashboard widget: tiles on a draggable grid, saved in the notebook.

All logic lives in :class:`nbdash.dashboard.DashboardModel`; this class shows it,
turns front-end messages into calls on it, and saves the spec to the notebook after
every change. Messages from the front end:

``layout {items: [{id, x, y, w, h}]}``
    the grid after a drag or resize; validated, stored in the spec, saved.
``notebook_metadata {value}``
    the saved ``metadata["nbdash"]`` that the ``nbdash`` Voila template embeds in the
    page, for Voila's single-notebook mode where the kernel cannot find the file.
``set_filter {filter, values | low, high}``, ``clear_filters {}``
    a filter control changed; the "filters applied" bar's clear button.
``cross_filter {tile, point: {x, y, label}}``
    a bar or pie slice was clicked.
``edit_tile {tile, title?, chart?, text?}``, ``duplicate_tile {tile}``,
``remove_tile {tile}``
    the tile menu.
``switch {name}``
    show another dashboard saved in the notebook.
``export_html {}``
    the standalone HTML page, returned as one buffer.
"""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import traitlets

from nbdash.dashboard import (
    DashboardModel,
    DashboardSpec,
    Filter,
    NotebookBridge,
    Tile,
    dashboard_names,
    locate_notebook,
    notebook_bridge,
    read_nbdash_metadata,
)
from nbdash.errors import SpecError
from nbdash.widgets._base import NbdashWidget, handler, with_buffers

if TYPE_CHECKING:
    from nbdash.charts import ChartSpec
    from nbdash.workspace import Workspace

logger = logging.getLogger(__name__)

# Environment variables of kernels that a live front end (JupyterLab, Voila) started:
# there the widget view is what people see, and the static fallback skips images.
_LIVE_SERVER_ENV = ("JPY_SESSION_NAME", "VOILA_KERNEL_ID", "VOILA_BASE_URL")


def _spec_to_json(spec: DashboardSpec, _widget: Any) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude_none=True)


class Dashboard(NbdashWidget):
    """A dashboard of charts, tables and text, saved in the notebook's metadata.

    The saved spec is read from the notebook file when the kernel can find it, and
    reconciled with the open notebook's metadata when the front end answers.

    Parameters
    ----------
    name
        The dashboard's name; a notebook can hold several.
    workspace
        Where the tiles' datasets live; defaults to :func:`nbdash.workspace`.
    bridge
        The link to the open notebook; defaults to the kernel's shared bridge.

    Examples
    --------
    >>> import nbdash
    >>> from nbdash.dashboard import NotebookBridge
    >>> dash = Dashboard("demo", nbdash.Workspace(), bridge=NotebookBridge())
    >>> dash.add_text("# Sales\\n\\nUp 4% this month.").id
    'text-1'
    """

    _bundle = "dashboard"

    name = traitlets.Unicode(read_only=True).tag(sync=True)
    """The dashboard's name."""

    spec = traitlets.Instance(DashboardSpec).tag(sync=True, to_json=_spec_to_json)
    """The dashboard spec (tiles, layout, pipelines); the front end sees it as JSON."""

    tiles_content = traitlets.Dict().tag(sync=True)
    """Each tile's content by id: ``figure``, ``table``, ``text``, ``kpi``,
    ``insights``, ``filter`` or ``error``."""

    applied_filters: traitlets.List[dict[str, str]] = traitlets.List().tag(sync=True)
    """The active filters as ``{"id", "text"}``, listed in the "filters applied" bar."""

    names: traitlets.List[str] = traitlets.List().tag(sync=True)
    """The names of the dashboards saved in the notebook (this one included)."""

    _open: ClassVar[weakref.WeakValueDictionary[str, Dashboard]] = (
        weakref.WeakValueDictionary()
    )

    @classmethod
    def named(cls, name: str) -> Dashboard | None:
        """The latest dashboard called ``name`` created in this kernel, if any."""
        return cls._open.get(name)

    def __init__(
        self,
        name: str,
        workspace: Workspace | None = None,
        *,
        bridge: NotebookBridge | None = None,
        **kwargs: Any,
    ) -> None:
        if workspace is None:
            from nbdash.workspace import workspace as default_workspace

            workspace = default_workspace()
        self._bridge = bridge if bridge is not None else notebook_bridge()
        self._saved = self._read_saved(name)
        self._changed_here = False
        # Tiles and filters that code in this kernel added or replaced: their content
        # wins over the live notebook's copy (a re-run cell with new text or data).
        self._touched: set[str] = set()

        initial = DashboardSpec.from_metadata(self._saved, name) or DashboardSpec(
            name=name
        )
        self._model = DashboardModel(initial, workspace)
        self._model.notebook_pipelines = _saved_pipelines(self._saved)
        super().__init__(
            spec=initial, tiles_content=dict(self._model.contents), **kwargs
        )
        self.set_trait("name", name)
        self._refresh_names()
        self.applied_filters = self._model.applied_filters()

        self._model.on_spec_change(self._push_spec)
        self._model.on_content_change(self._push_contents)
        self._bridge.get(self._reconcile)
        Dashboard._open[name] = self

    @property
    def model(self) -> DashboardModel:
        """The dashboard model this widget shows."""
        return self._model

    # --- the public API -------------------------------------------------------------

    def add_chart(
        self, chart: ChartSpec, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a chart tile (see :meth:`DashboardModel.add_chart`); saved at once."""
        return self._by_code(self._model.add_chart(chart, title=title, tile_id=tile_id))

    def add_table(
        self, dataset: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a tile showing the first rows of ``dataset``; saved at once."""
        return self._by_code(
            self._model.add_table(dataset, title=title, tile_id=tile_id)
        )

    def add_text(
        self, markdown: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a text tile (paragraphs and ``#`` headings); saved at once."""
        return self._by_code(
            self._model.add_text(markdown, title=title, tile_id=tile_id)
        )

    def add_kpi(
        self, chart: ChartSpec, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a KPI tile (latest period against the one before); saved at once."""
        return self._by_code(self._model.add_kpi(chart, title=title, tile_id=tile_id))

    def add_insights(
        self,
        dataset: str,
        settings: dict[str, Any] | None = None,
        title: str | None = None,
        tile_id: str | None = None,
    ) -> Tile:
        """Add a tile of the top insights found in ``dataset``; saved at once."""
        return self._by_code(
            self._model.add_insights(dataset, settings, title, tile_id)
        )

    def add_filter(
        self,
        dataset: str,
        column: str,
        kind: str | None = None,
        *,
        label: str = "",
        tile_id: str | None = None,
    ) -> Filter:
        """Add a filter control on ``dataset``'s ``column``; saved at once.

        See :meth:`DashboardModel.add_filter`.
        """
        self._changed_here = True
        item = self._model.add_filter(
            dataset, column, kind, label=label, tile_id=tile_id
        )
        self._touched.add(item.id)
        return item

    def set_filter(
        self,
        filter_id: str,
        *,
        values: list[Any] | None = None,
        low: Any = None,
        high: Any = None,
    ) -> Filter:
        """Select values or a range on a filter; the affected tiles redraw."""
        self._changed_here = True
        return self._model.set_filter(filter_id, values=values, low=low, high=high)

    def clear_filters(self) -> None:
        """Clear every filter's selection and every cross-filter."""
        self._changed_here = True
        self._model.clear_filters()

    def remove_tile(self, tile_id: str) -> None:
        """Remove the tile ``tile_id``; saved at once."""
        self._changed_here = True
        self._model.remove_tile(tile_id)

    def _by_code(self, tile: Tile) -> Tile:
        self._changed_here = True
        self._touched.add(tile.id)
        return tile

    def reveal(self, tile_id: str) -> None:
        """Scroll every view of this dashboard to the tile ``tile_id`` and flash it.

        For tiles the user adds from elsewhere (the chart picker's "Add to dashboard"),
        which may land below the fold of a long dashboard. Unknown ids are ignored by
        the front end; nothing is saved.
        """
        self.notify("reveal_tile", {"tile": tile_id})

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The dashboard as a standalone HTML page that opens with no kernel.

        Charts stay interactive (plotly.js inlined once); the page is written to
        ``path`` when given, and returned.
        """
        from nbdash.publish.static import dashboard_to_standalone_html

        page = dashboard_to_standalone_html(
            self._model.spec, self._model.contents, self._model.applied_filters()
        )
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
            logger.info("dashboard %r exported to %s", self.name, path)
        return page

    def switch(self, name: str) -> None:
        """Show the dashboard ``name`` saved in the notebook (a new one if absent)."""
        self.save()
        spec = DashboardSpec.from_metadata(self._saved, name) or DashboardSpec(
            name=name
        )
        self.set_trait("name", name)
        self._changed_here = False
        self._touched = set()
        self._model.replace_spec(spec)
        Dashboard._open[name] = self
        self._refresh_names()

    def save(self) -> None:
        """Push the spec into the notebook's ``metadata["nbdash"]`` (the user saves it).

        Called after every change. Without a live notebook (papermill, Voila) the value
        stays in memory; nbdash's runner copies the input notebook's metadata.
        """
        base = self._bridge.value if self._bridge.value is not None else self._saved
        value = self._model.spec.to_metadata(base)
        self._saved = value
        if value == self._bridge.value:
            return  # the notebook holds it already; a set would only mark it dirty
        self._bridge.set(value)
        logger.info(
            "dashboard %r saved (%d tiles)", self.name, len(self._model.spec.tiles)
        )

    # --- front-end messages ---------------------------------------------------------

    @handler("layout")
    def _on_layout(self, content: dict[str, Any], _buffers: list[memoryview]) -> Any:
        items = content.get("items")
        if not isinstance(items, list):
            raise SpecError(f"A layout message needs a list 'items'; got {items!r}.")
        self._changed_here = True
        self._model.update_layout(items)
        return {"tiles": len(items)}

    @handler("set_filter")
    def _on_set_filter(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> Any:
        filter_id = _string(content, "filter")
        values = content.get("values")
        if values is not None and not isinstance(values, list):
            raise SpecError(
                f"set_filter 'values' must be a list or null; got {values!r}."
            )
        item = self.set_filter(
            filter_id, values=values, low=content.get("low"), high=content.get("high")
        )
        return {"active": item.is_active()}

    @handler("clear_filters")
    def _on_clear_filters(self, _content: Any, _buffers: list[memoryview]) -> Any:
        self.clear_filters()
        return {"filters": len(self._model.spec.filters)}

    @handler("cross_filter")
    def _on_cross_filter(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> Any:
        point = content.get("point")
        if not isinstance(point, dict):
            raise SpecError(f"cross_filter needs an object 'point'; got {point!r}.")
        self._changed_here = True
        item = self._model.cross_filter(_string(content, "tile"), point)
        return {"filter": None if item is None else item.describe()}

    @handler("edit_tile")
    def _on_edit_tile(self, content: dict[str, Any], _buffers: list[memoryview]) -> Any:
        chart = content.get("chart")
        if chart is not None and not isinstance(chart, dict):
            raise SpecError(f"edit_tile 'chart' must be an object; got {chart!r}.")
        title, text = content.get("title"), content.get("text")
        self._changed_here = True
        tile = self._model.edit_tile(
            _string(content, "tile"),
            title=None if title is None else str(title),
            chart=chart,
            text=None if text is None else str(text),
        )
        return {"tile": tile.id}

    @handler("duplicate_tile")
    def _on_duplicate(self, content: dict[str, Any], _buffers: list[memoryview]) -> Any:
        self._changed_here = True
        return {"tile": self._model.duplicate_tile(_string(content, "tile")).id}

    @handler("remove_tile")
    def _on_remove(self, content: dict[str, Any], _buffers: list[memoryview]) -> Any:
        self.remove_tile(_string(content, "tile"))
        return {"tiles": len(self._model.spec.tiles)}

    @handler("switch")
    def _on_switch(self, content: dict[str, Any], _buffers: list[memoryview]) -> Any:
        self.switch(_string(content, "name"))
        return {"name": self.name}

    @handler("export_html")
    def _on_export_html(self, _content: Any, _buffers: list[memoryview]) -> Any:
        page = self.to_html().encode("utf-8")
        filename = f"{_safe_filename(self.name)}.html"
        return with_buffers({"filename": filename, "size": len(page)}, [page])

    @handler("notebook_metadata")
    def _on_notebook_metadata(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> Any:
        value = content.get("value")
        if value is not None and not isinstance(value, dict):
            raise SpecError(
                f"notebook_metadata needs an object 'value'; got {value!r}."
            )
        self._reconcile(value or {})
        return {"tiles": len(self._model.spec.tiles)}

    # --- keeping the views and the notebook in step ---------------------------------

    def _read_saved(self, name: str) -> dict[str, Any]:
        path = locate_notebook()
        if path is None:
            logger.debug("notebook file not found; dashboard %r starts empty", name)
            return {}
        try:
            return read_nbdash_metadata(path)
        except (OSError, ValueError) as exc:
            logger.warning("cannot read nbdash metadata from %s: %s", path, exc)
            return {}

    def _reconcile(self, value: dict[str, Any]) -> None:
        # The live notebook may hold newer, unsaved changes than its file: it wins, and
        # tiles added here since (by code in this kernel) are kept on top of it.
        try:
            live = DashboardSpec.from_metadata(value, self.name)
        except SpecError as exc:
            self.error = str(exc)
            return
        self._saved = value
        self._model.notebook_pipelines = _saved_pipelines(value)
        if live is None:
            if self._model.spec.tiles:
                self.save()
            return

        merged = (
            _merge(live, self._model.spec, self._touched)
            if self._changed_here
            else live
        )
        if merged != self._model.spec:
            self._model.replace_spec(merged)

    def _push_spec(self, spec: DashboardSpec) -> None:
        with self.hold_sync():
            self.spec = spec
            self.applied_filters = self._model.applied_filters()
        self.save()
        self._refresh_names()

    def _refresh_names(self) -> None:
        names = set(dashboard_names(self._saved)) | {self.name}
        self.names = sorted(names)

    def _push_contents(self, _tile_ids: set[str]) -> None:
        self.tiles_content = dict(self._model.contents)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        from nbdash.publish.static import dashboard_to_html

        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            data, metadata = bundle
        else:
            data, metadata = bundle or {}, {}
        images = not any(os.environ.get(key) for key in _LIVE_SERVER_ENV)
        data["text/html"] = dashboard_to_html(
            self._model.spec, self._model.contents, images=images
        )
        return data, metadata


def _string(content: dict[str, Any], key: str) -> str:
    value = content.get(key)
    if not isinstance(value, str) or not value:
        message = f"The message needs a non-empty string {key!r}; got {value!r}."
        raise SpecError(message)
    return value


def _saved_pipelines(value: dict[str, Any]) -> dict[str, Any]:
    # The builders' pipelines by output name; the model validates one before use.
    pipelines = value.get("pipelines")
    return dict(pipelines) if isinstance(pipelines, dict) else {}


def _safe_filename(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_ " else "_" for c in name).strip()
    return cleaned or "dashboard"


def _merge(
    live: DashboardSpec, local: DashboardSpec, touched: set[str]
) -> DashboardSpec:
    """The live notebook's dashboard, with the tiles (and filters) added by code
    here since: new ones on top, and the content of the ``touched`` ones it also
    holds taken from here (their place in the layout stays the live one)."""
    known = {tile.id for tile in live.tiles}
    added = [tile for tile in local.tiles if tile.id not in known]
    ours = {tile.id: tile for tile in local.tiles if tile.id in touched}
    our_filters = {item.id: item for item in local.filters if item.id in touched}
    if not added and not ours and not our_filters:
        return live
    tiles = [ours.get(tile.id, tile) for tile in live.tiles]
    layout = dict(live.layout)
    for tile in added:
        if tile.id in local.layout:
            layout[tile.id] = local.layout[tile.id]
    pipelines = {**local.pipelines, **live.pipelines}
    known_filters = {item.id for item in live.filters}
    kept = [our_filters.get(item.id, item) for item in live.filters]
    filters = [*kept, *(f for f in local.filters if f.id not in known_filters)]
    return live.model_copy(
        update={
            "tiles": [*tiles, *added],
            "layout": layout,
            "pipelines": pipelines,
            "filters": filters,
        }
    )
