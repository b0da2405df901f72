"""A dashboard at run time: its spec, the workspace it draws from, each tile's content.

:class:`DashboardModel` holds the logic the ``Dashboard`` widget only displays. It adds
and removes tiles, validates layouts, rebuilds the datasets the spec's pipelines make,
and recomputes a tile only when a dataset it draws from changes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from nbdash.dashboard.content import TileContent, data_tile_content
from nbdash.dashboard.filters import (
    CLICKABLE_KINDS,
    Filter,
    cross_filter_for,
    filter_kind_of,
    filter_options,
    new_filter,
)
from nbdash.dashboard.flow import FilterFlow, joined_from, made_from
from nbdash.dashboard.spec import DashboardSpec, Tile, TileLayout, next_free_layout
from nbdash.errors import ColumnNotFoundError, NbdashError, SpecError

if TYPE_CHECKING:
    from nbdash.charts import ChartSpec
    from nbdash.transform import Pipeline
    from nbdash.transform.engines import Engine
    from nbdash.workspace import DatasetEvent, Workspace

logger = logging.getLogger(__name__)

# The fields of a chart spec that ``edit_tile`` may change.
EDITABLE_CHART_FIELDS = frozenset(
    {
        "kind", "x", "y", "agg", "bucket", "color", "title", "top_n", "measures",
        "rolling", "stacked", "horizontal", "sort", "size", "trend", "bins",
        "x_label", "y_label", "number_format", "date_format", "palette", "colors",
    }
)  # fmt: skip

SOURCE_VERSION = "source_version"
"""The key, in a pipeline output's ``meta``, of the source version it was made from."""

ENGINE = "engine"
"""The key, in a pipeline output's ``meta``, of the engine chosen for its pipeline."""

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
        self._flow = FilterFlow(workspace)
        # What each data tile was last drawn from: the same tile and rows draw the same.
        self._drawn: dict[str, tuple[Tile, Hashable]] = {}
        self._unreached: dict[str, set[str]] = {}
        # What a filter's control offers depends on its dataset, column and kind
        # only, not on the selection: counted once per dataset change.
        self._options: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.notebook_pipelines: dict[str, Any] = {}
        """Pipelines saved in the notebook by output name (``metadata["nbdash"]
        ["pipelines"]``), for datasets whose workspace entry does not name one."""

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
        The pipelines making the dataset (through chains) are saved with the spec.
        """
        default = chart.title or f"{chart.kind} of {chart.y} by {chart.x}"
        tile = self._new_tile("chart", title or default, tile_id, chart=chart)
        return self._add(tile, explicit_id=tile_id is not None, dataset=chart.dataset)

    def add_table(
        self, dataset: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a tile showing the first rows of ``dataset``."""
        tile = self._new_tile("table", title or dataset, tile_id, dataset=dataset)
        return self._add(tile, explicit_id=tile_id is not None, dataset=dataset)

    def add_text(
        self, markdown: str, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a tile of text (paragraphs and ``#`` headings)."""
        tile = self._new_tile("text", title or "", tile_id, text=markdown)
        return self._add(tile, explicit_id=tile_id is not None, dataset=None, h=2)

    def add_kpi(
        self, chart: ChartSpec, title: str | None = None, tile_id: str | None = None
    ) -> Tile:
        """Add a KPI tile: the chart's value in its latest period and the change.

        ``chart`` needs a date ``x``; its ``bucket`` (default month) sets the period.
        """
        default = chart.title or f"{chart.agg} of {chart.y or 'rows'}"
        tile = self._new_tile("kpi", title or default, tile_id, chart=chart)
        explicit = tile_id is not None
        return self._add(tile, explicit_id=explicit, dataset=chart.dataset, h=2)

    def add_insights(
        self,
        dataset: str,
        settings: dict[str, Any] | None = None,
        title: str | None = None,
        tile_id: str | None = None,
    ) -> Tile:
        """Add a tile listing the top insights found in ``dataset``.

        ``settings`` are fields of :class:`nbdash.insights.InsightSettings`.
        """
        tile = self._new_tile(
            "insights",
            title or f"Insights: {dataset}",
            tile_id,
            dataset=dataset,
            insights=dict(settings or {}),
        )
        return self._add(tile, explicit_id=tile_id is not None, dataset=dataset)

    def add_filter(
        self,
        dataset: str,
        column: str,
        kind: str | None = None,
        *,
        label: str = "",
        tile_id: str | None = None,
    ) -> Filter:
        """Add a filter on ``dataset``'s ``column`` and a tile holding its control.

        ``kind`` is ``date_range``, ``categories`` or ``number_range``; None picks it
        from the column's type. The filter starts inactive (every row kept).

        Raises
        ------
        ColumnNotFoundError
            When the dataset lacks the column.
        """
        frame = self.workspace.get(dataset)
        chosen = kind or filter_kind_of(frame, column, dataset)
        filter_id = tile_id or _free_id(
            f"filter-{column}", {f.id for f in self._spec.filters}
        )
        item = new_filter(filter_id, dataset, column, chosen, label)
        self._filter_options(item)  # checks the column and its type early

        filters = [f for f in self._spec.filters if f.id != item.id] + [item]
        self._spec = self._spec.model_copy(update={"filters": filters})
        tile = self._new_tile("filter", label or column, filter_id, filter=item.id)
        self._add(tile, explicit_id=True, dataset=dataset, h=2)
        return item

    def set_filter(
        self,
        filter_id: str,
        *,
        values: list[Any] | None = None,
        low: Any = None,
        high: Any = None,
    ) -> Filter:
        """Select ``values`` (categories) or ``low``..``high`` (ranges); None clears.

        Only the tiles drawing from the filter's dataset, or from pipeline outputs
        made from it, are recomputed, and only when the rows they draw changed.
        """
        old = self._spec.get_filter(filter_id)
        update: dict[str, Any] = {"low": low, "high": high}
        if old.kind == "categories":
            update = {"values": None if values is None else [str(v) for v in values]}
        try:
            item = Filter.model_validate({**old.model_dump(), **update})
        except ValidationError as exc:
            raise SpecError(f"Filter {filter_id!r}: {exc}") from exc
        self._replace_filters(
            [item if f.id == filter_id else f for f in self._spec.filters]
        )
        return item

    def clear_filters(self) -> None:
        """Clear every filter's selection and drop cross-filters."""
        kept = [f.cleared() for f in self._spec.filters if f.origin is None]
        self._replace_filters(kept)

    def remove_filter(self, filter_id: str) -> None:
        """Remove a filter (and the tiles showing its control)."""
        self._spec.get_filter(filter_id)
        for tile in [t for t in self._spec.tiles if t.filter == filter_id]:
            self.remove_tile(tile.id)
        self._replace_filters([f for f in self._spec.filters if f.id != filter_id])

    def cross_filter(self, tile_id: str, point: dict[str, Any]) -> Filter | None:
        """Filter the other tiles by the bar or slice clicked on this tile.

        The filter is on the tile's dataset, so like any filter it reaches the tiles
        drawn from pipeline outputs made from that dataset.

        ``point`` is what plotly reports: ``x``, ``y`` and for pies ``label``.
        Clicking the value already selected clears the cross-filter; returns the
        filter, or None when it was cleared.
        """
        tile = self._spec.tile(tile_id)
        chart = tile.chart
        if tile.kind != "chart" or chart is None or chart.kind not in CLICKABLE_KINDS:
            message = (
                f"Tile {tile_id!r} cannot cross-filter: only bar, pie and donut "
                "charts can be clicked to filter."
            )
            raise SpecError(message)
        item = cross_filter_for(
            tile_id, chart, point, self.workspace.get(chart.dataset)
        )

        others = [f for f in self._spec.filters if f.origin != tile_id]
        previous = [f for f in self._spec.filters if f.origin == tile_id]
        if previous and previous[0] == item:
            self._replace_filters(others)
            return None
        self._replace_filters([*others, item])
        return item

    def edit_tile(
        self,
        tile_id: str,
        *,
        title: str | None = None,
        chart: dict[str, Any] | None = None,
        text: str | None = None,
    ) -> Tile:
        """Change a tile's title, its chart spec's fields or its text.

        Raises
        ------
        SpecError
            When a field cannot be edited or the edited spec is not valid.
        """
        old = self._spec.tile(tile_id)
        update = _tile_edit(old, title=title, chart=chart, text=text)
        try:
            tile = Tile.model_validate({**old.model_dump(), **update})
        except ValidationError as exc:
            raise SpecError(f"Tile {tile_id!r} cannot be edited so: {exc}") from exc
        tiles = [tile if t.id == tile_id else t for t in self._spec.tiles]
        self._spec = self._spec.model_copy(update={"tiles": tiles})
        self._publish_spec()
        self.refresh([tile_id])
        return tile

    def duplicate_tile(self, tile_id: str) -> Tile:
        """Add a copy of a tile, placed below it at the same size."""
        old = self._spec.tile(tile_id)
        taken = {tile.id for tile in self._spec.tiles}
        copy = old.model_copy(update={"id": _free_id(f"{old.kind}", taken)})
        place = self._spec.layout.get(tile_id)
        bottom = max((p.y + p.h for p in self._spec.layout.values()), default=0)
        layout = dict(self._spec.layout)
        if place is not None:
            layout[copy.id] = place.model_copy(update={"y": bottom})
        update = {"tiles": [*self._spec.tiles, copy], "layout": layout}
        self._spec = self._spec.model_copy(update=update)
        self._publish_spec()
        self.refresh([copy.id])
        return copy

    def applied_filters(self) -> list[dict[str, str]]:
        """The active filters as ``{"id", "text"}``, for the "filters applied" bar."""
        return [
            {"id": item.id, "text": item.describe()}
            for item in self._spec.filters
            if item.is_active()
        ]

    def remove_tile(self, tile_id: str) -> None:
        """Remove a tile and its place in the layout."""
        self._spec.tile(tile_id)  # raises SpecError listing the ids
        tiles = [tile for tile in self._spec.tiles if tile.id != tile_id]
        layout = {
            key: place for key, place in self._spec.layout.items() if key != tile_id
        }
        # A cross-filter made by clicking this tile goes with it.
        filters = [item for item in self._spec.filters if item.origin != tile_id]
        update = {"tiles": tiles, "layout": layout, "filters": filters}
        self._spec = self._spec.model_copy(update=update)

        self.contents.pop(tile_id, None)
        self._drawn.pop(tile_id, None)
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
        self, tile: Tile, *, explicit_id: bool, dataset: str | None, h: int = 4
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

        update = {"tiles": tiles, "layout": layout, **self._recipes_for(dataset)}
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

    def _recipes_for(self, dataset: str | None) -> dict[str, Any]:
        # The pipelines making ``dataset``, up every chain and join, and their engines:
        # a fresh kernel rebuilds them all, and filters on a source pass through them.
        pipelines = dict(self._spec.pipelines)
        engines = dict(self._spec.engines)
        todo, seen = [dataset] if dataset else [], set()
        while todo:
            name = todo.pop()
            found = None if name in seen else self._pipeline_of(name)
            seen.add(name)
            if found is None:
                continue
            pipelines[name], engine = found
            engines.pop(name, None)
            if engine != "pandas":
                engines[name] = engine
            todo += [pipelines[name].source, *pipelines[name].used_datasets()]
        return {"pipelines": pipelines, "engines": engines}

    def _replace_filters(self, filters: list[Filter]) -> None:
        # Only tiles drawing from a dataset whose filters changed are recomputed.
        before = {f.id: f for f in self._spec.filters}
        after = {f.id: f for f in filters}
        touched = {
            item.dataset
            for key in before.keys() | after.keys()
            for item in (before.get(key), after.get(key))
            if item is not None and before.get(key) != after.get(key)
        }
        self._spec = self._spec.model_copy(update={"filters": filters})
        self._publish_spec()
        if touched:
            self.refresh(self._tiles_reached(touched))

    def _tiles_on(self, datasets: set[str]) -> list[str]:
        filter_datasets = {f.id: f.dataset for f in self._spec.filters}
        return [
            tile.id
            for tile in self._spec.tiles
            if tile.source_dataset() in datasets
            or filter_datasets.get(tile.filter or "") in datasets
        ]

    def _tiles_reached(self, datasets: set[str]) -> list[str]:
        # Filters on these datasets reach the tiles on them and on outputs made from
        # them (refresh then skips the tiles whose rows stayed the same).
        return self._tiles_on(made_from(self._spec, datasets))

    def _pipeline_of(self, dataset: str) -> tuple[Pipeline, Engine] | None:
        # The workspace's record of how the dataset was made. A pipeline saved in the
        # notebook counts only for a dataset not made yet: one made otherwise (in
        # code, say) must not be replaced by a rebuild.
        from nbdash.transform import Pipeline
        from nbdash.transform.engines import ENGINES

        if dataset in self.workspace:
            meta = self.workspace.info(dataset).get("meta") or {}
            meta = meta if isinstance(meta, dict) else {}
            saved = meta.get("pipeline")
        else:
            meta, saved = {}, self.notebook_pipelines.get(dataset)
        if not saved:
            return None
        try:
            pipeline = Pipeline.model_validate(saved)
        except (SpecError, ValidationError) as exc:
            logger.warning("the pipeline saved for %r is not valid: %s", dataset, exc)
            return None
        engine = meta.get(ENGINE)
        return pipeline, engine if engine in ENGINES else "pandas"

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
                if pipeline.source in self.workspace and self._is_stale(
                    output, pipeline
                ):
                    self._run_pipeline(output, pipeline)
        finally:
            self._rebuilding = False

    def refresh(self, tile_ids: Iterable[str] | None = None) -> None:
        """Recompute the content of ``tile_ids`` (all tiles when None).

        A data tile whose spec and rows are what it was last drawn from is left as
        it is. Filter tiles come last: they say which tiles their filter missed.
        """
        wanted = None if tile_ids is None else set(tile_ids)
        tiles = [t for t in self._spec.tiles if wanted is None or t.id in wanted]
        tiles.sort(key=lambda tile: tile.kind == "filter")
        changed = set()
        for tile in tiles:
            if self._is_drawn(tile):
                continue
            self.contents[tile.id] = self.compute(tile)
            changed.add(tile.id)
        self._publish_contents(changed)

    def _is_drawn(self, tile: Tile) -> bool:
        dataset = tile.source_dataset()
        drawn = self._drawn.get(tile.id)
        if (
            dataset is None
            or tile.id not in self.contents
            or drawn is None
            or "error" in self.contents.get(tile.id, {})
        ):
            return False
        try:
            key = self._flow.key(self._spec, dataset, tile.id)
        except NbdashError:
            return False
        return drawn == (tile, key)

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
        if tile.kind == "filter":
            return self._filter_content(self._spec.get_filter(tile.filter or ""))

        dataset = tile.source_dataset() or ""
        self._drawn.pop(tile.id, None)
        key = self._flow.key(self._spec, dataset, tile.id)
        rows = self._flow.rows(self._spec, dataset, tile.id)
        content = data_tile_content(tile, rows.frame)
        self._unreached[tile.id] = {item.id for item in rows.unreached}
        if rows.unreached:
            content["note"] = _unreached_note(rows.unreached)
        self._drawn[tile.id] = (tile, key)
        return content

    def _filter_content(self, item: Filter) -> TileContent:
        state = item.model_dump(mode="json")
        state["label"] = item.display_label
        try:
            options = self._filter_options(item)
        except ColumnNotFoundError as exc:
            # The dataset changed under the filter: say so, and narrow nothing.
            options = {"options": [], "more": 0, "min": None, "max": None}
            state["note"] = f"{exc} This filter narrows no tile until it is back."
        note = self._unfiltered_note(item)
        if note:
            state["note"] = " ".join(filter(None, [state.get("note"), note]))
        return {"filter": {**state, **options}}

    def _filter_options(self, item: Filter) -> dict[str, Any]:
        key = (item.dataset, item.column, item.kind)
        if key not in self._options:
            frame = self.workspace.get(item.dataset)
            self._options[key] = filter_options(item, frame)
        return self._options[key]

    def _unfiltered_note(self, item: Filter) -> str:
        # Filters pass down a pipeline's source only, not into a join or append.
        joined = joined_from(self._spec, item.dataset)
        drawn = sorted({t.source_dataset() or "" for t in self._spec.tiles} & joined)
        if not drawn:
            return ""
        names = ", ".join(repr(name) for name in drawn)
        return (
            f"Tiles on {names} show all rows of {item.dataset!r}: they read it "
            "through a join or append, which filters do not pass."
        )

    def _on_dataset_event(self, event: DatasetEvent) -> None:
        # A source change re-runs its pipelines; their outputs' own change events then
        # refresh the tiles drawing from them, so every tile is computed once.
        # Versions can repeat after a delete, so cached rows are dropped on any event.
        self._flow.clear()
        self._drawn.clear()
        self._options.clear()
        if self._rebuilding:
            return
        for output in self._pipeline_order():
            pipeline = self._spec.pipelines[output]
            if pipeline.source == event.name and event.kind != "deleted":
                self._run_pipeline(output, pipeline)

        direct = self._tiles_on({event.name})
        if direct:
            self.refresh(direct)

    def _is_stale(self, output: str, pipeline: Pipeline) -> bool:
        # An output made by this very pipeline from the source's current version
        # (recorded by _run_pipeline) is up to date: a second dashboard or a re-run
        # cell does not compute it again.
        if output not in self.workspace:
            return True
        meta = self.workspace.info(output).get("meta") or {}
        if not isinstance(meta, dict):
            return True
        same = meta.get("pipeline") == pipeline.model_dump(mode="json")
        source_version = self.workspace.version(pipeline.source)
        return not (same and meta.get(SOURCE_VERSION) == source_version)

    def _run_pipeline(self, output: str, pipeline: Pipeline) -> None:
        source_version = self.workspace.version(pipeline.source)
        engine = self._spec.engines.get(output, "pandas")
        try:
            frame = pipeline.run(self.workspace, engine=engine)
        except Exception as exc:
            logger.warning("pipeline making %r failed: %s", output, exc)
            message = f"The pipeline that makes {output!r} failed: {exc}"
            self._fail_tiles_of(output, message)
            return
        meta: dict[str, Any] = {
            "pipeline": pipeline.model_dump(mode="json"),
            SOURCE_VERSION: source_version,
        }
        if engine != "pandas":
            meta[ENGINE] = engine
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


def _tile_edit(
    old: Tile, *, title: str | None, chart: dict[str, Any] | None, text: str | None
) -> dict[str, Any]:
    update: dict[str, Any] = {}
    if title is not None:
        update["title"] = title
    if text is not None:
        if old.kind != "text":
            raise SpecError(
                f"Tile {old.id!r} is a {old.kind} tile; only text tiles take text."
            )
        update["text"] = text
    if chart is not None:
        if old.chart is None:
            raise SpecError(
                f"Tile {old.id!r} is a {old.kind} tile and has no chart to edit."
            )
        unknown = sorted(set(chart) - EDITABLE_CHART_FIELDS)
        if unknown:
            message = (
                f"Cannot edit chart field(s) {', '.join(unknown)} of tile {old.id!r}. "
                f"Editable: {', '.join(sorted(EDITABLE_CHART_FIELDS))}."
            )
            raise SpecError(message)
        update["chart"] = {**old.chart.model_dump(), **chart}
    return update


def _free_id(stem: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:56] or "tile"
    number = 1
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


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


def _unreached_note(unreached: Iterable[Filter]) -> str:
    missed = [
        f"{item.display_label} ({item.dataset!r} has no column {item.column!r})"
        for item in unreached
    ]
    return "Not filtered by " + "; ".join(missed) + "."
