"""The Dashboard widget: tiles on a draggable grid, saved in the notebook.

All logic lives in :class:`nbdash.dashboard.DashboardModel`; this class shows it,
turns front-end messages into calls on it, and saves the spec to the notebook after
every change. Messages from the front end:

``layout {items: [{id, x, y, w, h}]}``
    the grid after a drag or resize; validated, stored in the spec, saved.
``notebook_metadata {value}``
    the saved ``metadata["nbdash"]`` that the ``nbdash`` Voila template embeds in the
    page, for Voila's single-notebook mode where the kernel cannot find the file.
"""

from __future__ import annotations

import logging
import os
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

import traitlets

from nbdash.dashboard import (
    DashboardModel,
    DashboardSpec,
    NotebookBridge,
    Tile,
    locate_notebook,
    notebook_bridge,
    read_nbdash_metadata,
)
from nbdash.errors import SpecError
from nbdash.widgets._base import NbdashWidget, handler, static_esm

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

    _esm = static_esm("dashboard")

    name = traitlets.Unicode(read_only=True).tag(sync=True)
    """The dashboard's name."""

    spec = traitlets.Instance(DashboardSpec).tag(sync=True, to_json=_spec_to_json)
    """The dashboard spec (tiles, layout, pipelines); the front end sees it as JSON."""

    tiles_content = traitlets.Dict().tag(sync=True)
    """Each tile's content by id: ``figure``, ``table``, ``text`` or ``error``."""

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

        initial = DashboardSpec.from_metadata(self._saved, name) or DashboardSpec(
            name=name
        )
        self._model = DashboardModel(initial, workspace)
        super().__init__(
            spec=initial, tiles_content=dict(self._model.contents), **kwargs
        )
        self.set_trait("name", name)

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
        self._changed_here = True
        return self._model.add_chart(chart, title=title, tile_id=tile_id)

    def add_table(
        self, dataset: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a tile showing the first rows of ``dataset``; saved at once."""
        self._changed_here = True
        return self._model.add_table(dataset, title=title, tile_id=tile_id)

    def add_text(
        self, markdown: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a text tile (paragraphs and ``#`` headings); saved at once."""
        self._changed_here = True
        return self._model.add_text(markdown, title=title, tile_id=tile_id)

    def remove_tile(self, tile_id: str) -> None:
        """Remove the tile ``tile_id``; saved at once."""
        self._changed_here = True
        self._model.remove_tile(tile_id)

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
        if live is None:
            if self._model.spec.tiles:
                self.save()
            return

        merged = _merge(live, self._model.spec) if self._changed_here else live
        if merged != self._model.spec:
            self._model.replace_spec(merged)

    def _push_spec(self, spec: DashboardSpec) -> None:
        self.spec = spec
        self.save()

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


def _merge(live: DashboardSpec, local: DashboardSpec) -> DashboardSpec:
    known = {tile.id for tile in live.tiles}
    added = [tile for tile in local.tiles if tile.id not in known]
    if not added:
        return live
    layout = dict(live.layout)
    for tile in added:
        if tile.id in local.layout:
            layout[tile.id] = local.layout[tile.id]
    pipelines = {**local.pipelines, **live.pipelines}
    return live.model_copy(
        update={
            "tiles": [*live.tiles, *added],
            "layout": layout,
            "pipelines": pipelines,
        }
    )
