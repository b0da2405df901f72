"""The dashboard spec: tiles, their layout on a 12-column grid, the pipelines they need.

A :class:`DashboardSpec` is plain data. It is saved in the notebook as
``metadata["nbdash"]["dashboards"][name]`` and validated whenever it comes back, from
the notebook file, from the live notebook or from a front-end message.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nbdash.charts import ChartSpec
from nbdash.dashboard.filters import Filter
from nbdash.errors import SpecError
from nbdash.transform import Pipeline
from nbdash.transform.engines import Engine

logger = logging.getLogger(__name__)

GRID_COLUMNS = 12
"""The number of columns of a dashboard's grid."""

METADATA_VERSION = 1
"""The version of the ``metadata["nbdash"]`` layout this code reads and writes."""

TILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

TileKind = Literal["chart", "table", "text", "kpi", "insights", "filter"]

# The field each kind of tile cannot do without.
_NEEDED_FIELD = {
    "chart": "chart",
    "kpi": "chart",
    "table": "dataset",
    "insights": "dataset",
    "text": "text",
    "filter": "filter",
}


class TileLayout(BaseModel):
    """A tile's position and size on the 12-column grid, in grid cells.

    Examples
    --------
    >>> TileLayout(x=6, y=0, w=6, h=4)
    TileLayout(x=6, y=0, w=6, h=4)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: int = Field(ge=0, le=GRID_COLUMNS - 1)
    y: int = Field(ge=0, le=10_000)
    w: int = Field(ge=1, le=GRID_COLUMNS)
    h: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _fits_the_grid(self) -> TileLayout:
        if self.x + self.w > GRID_COLUMNS:
            message = (
                f"A tile at column {self.x} with width {self.w} ends past the grid's "
                f"{GRID_COLUMNS} columns. Use x + w <= {GRID_COLUMNS}."
            )
            raise ValueError(message)
        return self


class Tile(BaseModel):
    """One cell of a dashboard's grid.

    Kinds: ``chart`` (``chart``), ``kpi`` (``chart`` with a date ``x``: its latest
    period against the one before), ``table`` (``dataset``), ``insights``
    (``dataset`` and optional ``insights`` settings for
    :func:`nbdash.insights.find_insights`), ``text`` (``text``, markdown shown as
    text) and ``filter`` (``filter``: the id of one of the dashboard's filters).

    Examples
    --------
    >>> Tile(id="notes", kind="text", title="Notes", text="Sales grew.").kind
    'text'
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: TileKind
    title: str = ""
    chart: ChartSpec | None = None
    dataset: str | None = None
    text: str | None = None
    insights: dict[str, Any] | None = None
    filter: str | None = None

    @model_validator(mode="after")
    def _has_its_content(self) -> Tile:
        if not TILE_ID.match(self.id):
            message = (
                f"Tile id {self.id!r} is not valid. "
                "Use 1-64 letters, digits, '_' or '-'."
            )
            raise ValueError(message)
        field = _NEEDED_FIELD[self.kind]
        if getattr(self, field) is None:
            message = (
                f"A {self.kind} tile needs a {field!r}; tile {self.id!r} has none."
            )
            raise ValueError(message)
        return self

    def source_dataset(self) -> str | None:
        """The dataset this tile draws from; None for text and filter tiles."""
        if self.kind in ("chart", "kpi") and self.chart is not None:
            return str(self.chart.dataset)
        return self.dataset if self.kind in ("table", "insights") else None


class DashboardSpec(BaseModel):
    """A named dashboard: its tiles, their layout and the pipelines the tiles need.

    ``pipelines`` maps a pipeline's output dataset name to the pipeline, so a fresh
    kernel can rebuild a chart's dataset from the source data, and filters on a
    source reach the tiles drawn from its outputs. ``engines`` holds the engine of
    each pipeline that does not run with pandas (``duckdb`` or ``auto``).

    Examples
    --------
    >>> spec = DashboardSpec(name="sales")
    >>> spec.to_metadata()["dashboards"]["sales"]["tiles"]
    []
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    tiles: list[Tile] = Field(default_factory=list)
    layout: dict[str, TileLayout] = Field(default_factory=dict)
    pipelines: dict[str, Pipeline] = Field(default_factory=dict)
    filters: list[Filter] = Field(default_factory=list)
    # Left out of the saved spec when empty, so specs without it stay as they were.
    engines: dict[str, Engine] = Field(
        default_factory=dict, exclude_if=lambda engines: not engines
    )

    @model_validator(mode="after")
    def _consistent(self) -> DashboardSpec:
        ids = [tile.id for tile in self.tiles]
        duplicates = sorted({tile_id for tile_id in ids if ids.count(tile_id) > 1})
        if duplicates:
            raise ValueError(
                f"Tile ids must be unique; repeated: {', '.join(duplicates)}."
            )

        strays = sorted(set(self.layout) - set(ids))
        if strays:
            message = (
                "The layout names tiles the dashboard does not have: "
                f"{', '.join(strays)}. "
                f"Tiles: {', '.join(ids) or '(none)'}."
            )
            raise ValueError(message)
        self._check_filters()
        return self

    def _check_filters(self) -> None:
        ids = [item.id for item in self.filters]
        repeated = sorted({item for item in ids if ids.count(item) > 1})
        if repeated:
            raise ValueError(
                f"Filter ids must be unique; repeated: {', '.join(repeated)}."
            )
        for tile in self.tiles:
            if tile.kind == "filter" and tile.filter not in ids:
                message = (
                    f"Tile {tile.id!r} shows filter {tile.filter!r}, which the "
                    f"dashboard does not have. Filters: {', '.join(ids) or '(none)'}."
                )
                raise ValueError(message)

    def filters_on(self, dataset: str) -> list[Filter]:
        """The filters on ``dataset``."""
        return [item for item in self.filters if item.dataset == dataset]

    def get_filter(self, filter_id: str) -> Filter:
        """The filter ``filter_id``; a :class:`SpecError` listing the ids otherwise."""
        for item in self.filters:
            if item.id == filter_id:
                return item
        ids = ", ".join(item.id for item in self.filters) or "(none)"
        raise SpecError(
            f"Dashboard {self.name!r} has no filter {filter_id!r}. Filters: {ids}."
        )

    def tile(self, tile_id: str) -> Tile:
        """The tile ``tile_id``; a :class:`SpecError` listing the ids otherwise."""
        for tile in self.tiles:
            if tile.id == tile_id:
                return tile
        ids = ", ".join(tile.id for tile in self.tiles) or "(none)"
        raise SpecError(
            f"Dashboard {self.name!r} has no tile {tile_id!r}. Tiles: {ids}."
        )

    def ordered_tiles(self) -> list[Tile]:
        """The tiles in the layout's reading order: top to bottom, left to right."""

        def position(tile: Tile) -> tuple[int, int]:
            place = self.layout.get(tile.id)
            return (place.y, place.x) if place else (10**9, 0)

        return sorted(self.tiles, key=position)

    def to_metadata(self, existing: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``metadata["nbdash"]`` value holding this dashboard.

        Parameters
        ----------
        existing
            The current value of ``metadata["nbdash"]``; its other dashboards and keys
            are kept. None starts from an empty value.
        """
        value = dict(existing or {})
        dashboards = dict(value.get("dashboards") or {})
        dashboards[self.name] = self.model_dump(mode="json", exclude_none=True)
        value["version"] = METADATA_VERSION
        value["dashboards"] = dashboards
        return value

    @classmethod
    def from_metadata(cls, value: Any, name: str) -> DashboardSpec | None:
        """The dashboard ``name`` saved in a ``metadata["nbdash"]`` value, if any.

        Raises
        ------
        SpecError
            When the value has a newer version or the saved dashboard is malformed.
        """
        if not isinstance(value, dict):
            return None
        version = value.get("version", METADATA_VERSION)
        if version != METADATA_VERSION:
            message = (
                f"The notebook's nbdash metadata has version {version!r}; this nbdash "
                f"reads version {METADATA_VERSION}. Upgrade nbdash to open it."
            )
            raise SpecError(message)

        saved = (value.get("dashboards") or {}).get(name)
        if saved is None:
            return None
        return parse_spec(saved, name)


def parse_spec(data: Any, name: str | None = None) -> DashboardSpec:
    """Validate ``data`` as a :class:`DashboardSpec`, raising :class:`SpecError`."""
    try:
        spec = DashboardSpec.model_validate(data)
    except ValidationError as exc:
        label = f" {name!r}" if name else ""
        message = f"The saved dashboard{label} is not valid: {exc}"
        raise SpecError(message) from exc
    return spec


def next_free_layout(spec: DashboardSpec, w: int = 6, h: int = 4) -> TileLayout:
    """A place for a new tile: beside the last row's tiles when it fits, else below."""
    if not spec.layout:
        return TileLayout(x=0, y=0, w=w, h=h)

    bottom = max(place.y + place.h for place in spec.layout.values())
    last_row = [place for place in spec.layout.values() if place.y + place.h == bottom]
    right = max(place.x + place.w for place in last_row)
    top = min(place.y for place in last_row)
    if right + w <= GRID_COLUMNS:
        blocked = any(
            place.x < right + w
            and place.x + place.w > right
            and place.y < top + h
            and place.y + place.h > top
            for place in spec.layout.values()
        )
        if not blocked:
            return TileLayout(x=right, y=top, w=w, h=h)
    return TileLayout(x=0, y=bottom, w=w, h=h)
