"""A dashboard at run time: its spec, the workspace it draws from, each tile's content.

:class:`DashboardModel` holds the logic the ``Dashboard`` widget only displays. It adds
and removes tiles, validates layouts, rebuilds the datasets the spec's pipelines make,
and recomputes a tile only when a dataset it draws from changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from nbdash.dashboard.spec import DashboardSpec, Tile, TileLayout, next_free_layout
from nbdash.errors import NbdashError, SpecError

if TYPE_CHECKING:
    from nbdash.charts import ChartSpec
    from nbdash.transform import Pipeline
    from nbdash.workspace import DatasetEvent, Workspace

logger = logging.getLogger(__name__)

TABLE_ROWS = 50
"""How many rows a table tile shows."""

TileContent = dict[str, Any]
SpecListener = Callable[[DashboardSpec], None]
ContentListener = Callable[[set[str]], None]


class DashboardModel:
    """A dashboard spec bound to a workspace, with the computed content of each tile.

    Parameters
    ----------
    spec
        The dashboard to show.
    workspace
        Where the tiles' datasets live.

    Examples
    --------
    >>> from nbdash.workspace import Workspace
    >>> model = DashboardModel(DashboardSpec(name="demo"), Workspace())
    >>> tile = model.add_text("Hello", title="Intro")
    >>> model.contents[tile.id]
    {'text': 'Hello'}
    """

    def __init__(self, spec: DashboardSpec, workspace: Workspace) -> None:
        self._spec = spec
        self.workspace = workspace
        self.contents: dict[str, TileContent] = {}
        """Each tile's content: figure, table, text or error, by tile id."""
        self._spec_listeners: list[SpecListener] = []
        self._content_listeners: list[ContentListener] = []
        self._rebuilding = False

        self.rebuild_pipelines()
        self._unsubscribe = workspace.on_change(self._on_dataset_event)
        self.refresh()

    @property
    def spec(self) -> DashboardSpec:
        """The dashboard spec; change it with the methods of this class."""
        return self._spec

    def on_spec_change(self, listener: SpecListener) -> None:
        """Call ``listener(spec)`` after every change of the spec."""
        self._spec_listeners.append(listener)

    def on_content_change(self, listener: ContentListener) -> None:
        """Call ``listener(tile_ids)`` after the content of those tiles changed."""
        self._content_listeners.append(listener)

    def close(self) -> None:
        """Stop following the workspace."""
        self._unsubscribe()

    # --- changing the spec --------------------------------------------------------

    def replace_spec(self, spec: DashboardSpec) -> None:
        """Show ``spec`` instead of the current one (a saved one)."""
        self._spec = spec
        self.rebuild_pipelines()
        self._publish_spec()
        self.refresh()

    def add_chart(
        self, chart: ChartSpec, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a chart tile; a pipeline that made its dataset is saved with the spec.

        A ``tile_id`` already in the dashboard replaces that tile in place; without
        one, a tile identical to an existing one returns the existing tile. So
        re-running a cell of ``add_*`` calls leaves the dashboard as it was.
        """
        pipelines = dict(self._spec.pipelines)
        pipeline = self._pipeline_of(chart.dataset)
        if pipeline is not None:
            pipelines[chart.dataset] = pipeline

        default = chart.title or f"{chart.kind} of {chart.y} by {chart.x}"
        tile = self._new_tile("chart", title or default, tile_id, chart=chart)
        return self._add(tile, explicit_id=tile_id is not None, pipelines=pipelines)

    def add_table(
        self, dataset: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a tile showing the first rows of ``dataset``."""
        pipelines = dict(self._spec.pipelines)
        pipeline = self._pipeline_of(dataset)
        if pipeline is not None:
            pipelines[dataset] = pipeline

        tile = self._new_tile("table", title or dataset, tile_id, dataset=dataset)
        return self._add(tile, explicit_id=tile_id is not None, pipelines=pipelines)

    def add_text(
        self, markdown: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a tile of text (paragraphs and ``#`` headings)."""
        tile = self._new_tile("text", title or "", tile_id, text=markdown)
        pipelines = dict(self._spec.pipelines)
        return self._add(
            tile, explicit_id=tile_id is not None, pipelines=pipelines, h=2
        )

    def remove_tile(self, tile_id: str) -> None:
        """Remove a tile and its place in the layout."""
        self._spec.tile(tile_id)  # raises SpecError listing the ids
        tiles = [tile for tile in self._spec.tiles if tile.id != tile_id]
        layout = {
            key: place for key, place in self._spec.layout.items() if key != tile_id
        }
        self._spec = self._spec.model_copy(update={"tiles": tiles, "layout": layout})

        self.contents.pop(tile_id, None)
        self._publish_spec()
        self._publish_contents({tile_id})

    def update_layout(self, items: Iterable[Any]) -> None:
        """Apply positions from the front end: ``[{id, x, y, w, h}, ...]``.

        Raises
        ------
        SpecError
            When an item is malformed or names a tile the dashboard lacks.
        """
        layout = dict(self._spec.layout)
        for item in items:
            tile_id, place = _parse_layout_item(item)
            self._spec.tile(tile_id)
            layout[tile_id] = place

        if layout != self._spec.layout:
            self._spec = self._spec.model_copy(update={"layout": layout})
            self._publish_spec()

    def _new_tile(
        self, kind: str, title: str, tile_id: str | None, **fields: Any
    ) -> Tile:
        taken = {tile.id for tile in self._spec.tiles}
        if tile_id is None:
            number = len(taken) + 1
            while f"{kind}-{number}" in taken:
                number += 1
            tile_id = f"{kind}-{number}"

        try:
            return Tile(id=tile_id, kind=kind, title=title, **fields)
        except ValidationError as exc:
            raise SpecError(f"Cannot add a {kind} tile: {exc}") from exc

    def _add(
        self,
        tile: Tile,
        *,
        explicit_id: bool,
        pipelines: dict[str, Pipeline],
        h: int = 4,
    ) -> Tile:
        # Re-running a notebook re-runs its add_* calls: a tile that is already there
        # (same id given, or same content without an id) is updated, not duplicated.
        same = self._existing(tile, explicit_id)
        if same is not None and same == tile.model_copy(update={"id": same.id}):
            return same
        if same is not None:
            tile = tile.model_copy(update={"id": same.id})
            tiles = [tile if old.id == same.id else old for old in self._spec.tiles]
            layout = dict(self._spec.layout)
        else:
            tiles = [*self._spec.tiles, tile]
            layout = {**self._spec.layout, tile.id: next_free_layout(self._spec, h=h)}

        update = {"tiles": tiles, "layout": layout, "pipelines": pipelines}
        self._spec = self._spec.model_copy(update=update)
        self._publish_spec()
        self.refresh([tile.id])
        return tile

    def _existing(self, tile: Tile, explicit_id: bool) -> Tile | None:
        for old in self._spec.tiles:
            if explicit_id and old.id == tile.id:
                return old
            if not explicit_id and old == tile.model_copy(update={"id": old.id}):
                return old
        return None

    def _pipeline_of(self, dataset: str) -> Pipeline | None:
        from nbdash.transform import Pipeline

        if dataset not in self.workspace:
            return None
        meta = self.workspace.info(dataset).get("meta") or {}
        saved = meta.get("pipeline") if isinstance(meta, dict) else None
        return Pipeline.model_validate(saved) if saved else None

    # --- computing content --------------------------------------------------------

    def rebuild_pipelines(self) -> None:
        """Run the spec's pipelines whose source is in the workspace, in order.

        On a fresh kernel (Voila, papermill, next month's data) this recreates the
        datasets the charts draw from. A pipeline that fails leaves its tiles showing
        the error.
        """
        # The caller refreshes every tile afterwards: ignore the outputs' change events.
        self._rebuilding = True
        try:
            for output in self._pipeline_order():
                pipeline = self._spec.pipelines[output]
                if pipeline.source in self.workspace:
                    self._run_pipeline(output, pipeline)
        finally:
            self._rebuilding = False

    def refresh(self, tile_ids: Iterable[str] | None = None) -> None:
        """Recompute the content of ``tile_ids`` (all tiles when None)."""
        wanted = None if tile_ids is None else set(tile_ids)
        changed = set()
        for tile in self._spec.tiles:
            if wanted is None or tile.id in wanted:
                self.contents[tile.id] = self.compute(tile)
                changed.add(tile.id)
        self._publish_contents(changed)

    def compute(self, tile: Tile) -> TileContent:
        """The content of one tile; an ``{"error": ...}`` when it cannot be drawn."""
        try:
            return self._compute(tile)
        except NbdashError as exc:
            return {"error": str(exc)}
        except Exception as exc:  # a tile's failure must not break the dashboard
            logger.exception("tile %r of dashboard %r failed", tile.id, self._spec.name)
            return {"error": f"{type(exc).__name__}: {exc}"}

    def _compute(self, tile: Tile) -> TileContent:
        logger.debug("computing tile %r", tile.id)
        if tile.kind == "text":
            return {"text": tile.text or ""}

        frame = self.workspace.get(tile.source_dataset() or "")
        if tile.kind == "chart" and tile.chart is not None:
            figure = tile.chart.to_figure(frame)
            return {"figure": json.loads(figure.to_json())}
        return {"table": table_content(frame)}

    def _on_dataset_event(self, event: DatasetEvent) -> None:
        # A source change re-runs its pipelines; their outputs' own change events then
        # refresh the tiles drawing from them, so every tile is computed once.
        if self._rebuilding:
            return
        for output in self._pipeline_order():
            pipeline = self._spec.pipelines[output]
            if pipeline.source == event.name and event.kind != "deleted":
                self._run_pipeline(output, pipeline)

        direct = [
            tile.id for tile in self._spec.tiles if tile.source_dataset() == event.name
        ]
        if direct:
            self.refresh(direct)

    def _run_pipeline(self, output: str, pipeline: Pipeline) -> None:
        try:
            frame = pipeline.run(self.workspace)
        except Exception as exc:
            logger.warning("pipeline making %r failed: %s", output, exc)
            message = f"The pipeline that makes {output!r} failed: {exc}"
            self._fail_tiles_of(output, message)
            return
        meta = {"pipeline": pipeline.model_dump(mode="json")}
        self.workspace.put(output, frame, meta=meta)

    def _fail_tiles_of(self, dataset: str, message: str) -> None:
        failed = {
            tile.id for tile in self._spec.tiles if tile.source_dataset() == dataset
        }
        for tile_id in failed:
            self.contents[tile_id] = {"error": message}
        self._publish_contents(failed)

    def _pipeline_order(self) -> list[str]:
        # A pipeline may read another's output: run producers before their readers.
        pipelines = self._spec.pipelines
        ordered: list[str] = []

        def visit(output: str, trail: tuple[str, ...]) -> None:
            if output in ordered or output in trail:
                return
            source = pipelines[output].source
            if source in pipelines:
                visit(source, (*trail, output))
            ordered.append(output)

        for output in pipelines:
            visit(output, ())
        return ordered

    def _publish_spec(self) -> None:
        for listener in list(self._spec_listeners):
            listener(self._spec)

    def _publish_contents(self, tile_ids: set[str]) -> None:
        if not tile_ids:
            return
        for listener in list(self._content_listeners):
            listener(set(tile_ids))


def table_content(frame: Any, rows: int = TABLE_ROWS) -> dict[str, Any]:
    """The first ``rows`` rows of ``frame``, JSON-safe: columns, rows, total_rows.

    Dates become ISO strings and missing values ``None``.
    """
    head = json.loads(
        frame.head(rows).to_json(orient="split", date_format="iso", index=False)
    )
    return {
        "columns": [str(column) for column in head["columns"]],
        "rows": head["data"],
        "total_rows": len(frame),
    }


def _parse_layout_item(item: Any) -> tuple[str, TileLayout]:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        message = f"A layout item must be an object with a string 'id'; got {item!r}."
        raise SpecError(message)
    try:
        place = TileLayout.model_validate(
            {key: item.get(key) for key in ("x", "y", "w", "h")}
        )
    except ValidationError as exc:
        message = f"The layout of tile {item['id']!r} is not valid: {exc}"
        raise SpecError(message) from exc
    return item["id"], place
