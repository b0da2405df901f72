"""How dashboard filters reach tiles drawn from the outputs of pipelines.

A filter belongs to one dataset. A tile drawn from a dataset that a saved pipeline
makes from the filtered one (directly, or through a chain ``a -> b -> c``) sees the
pipeline run again on the filtered rows of its source, with the pipeline's engine.
Each dataset of the chain applies its own filters on the way down.

Only a pipeline's *source* carries filters down. The datasets a ``join`` or ``append``
step reads are used whole: a filter on them narrows their own tiles only, and the
filter's tile says which tiles it does not reach.

Results of pipelines re-run on filtered rows are kept in a small cache keyed by the
filter state above them, the pipeline, its engine and the versions of the datasets
read, so moving one filter does not run the pipelines that do not depend on it, and
going back to an earlier selection runs nothing.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbdash.dashboard.filters import Filter, apply_filters
from nbdash.errors import NbdashError, SpecError

if TYPE_CHECKING:
    import pandas as pd

    from nbdash.dashboard.spec import DashboardSpec
    from nbdash.transform import Pipeline
    from nbdash.workspace import Workspace

logger = logging.getLogger(__name__)

CACHE_SIZE = 32
"""How many filtered pipeline results a dashboard keeps."""

CACHE_BYTES = 256 * 1024**2
"""The most memory those results may hold; the least recently used go first."""


@dataclass(frozen=True)
class TileRows:
    """The rows a tile draws from, and the filters that could not narrow them."""

    frame: pd.DataFrame
    """The rows, after every filter that reaches the tile."""

    unreached: tuple[Filter, ...] = ()
    """Active filters skipped because their dataset lacks their column."""


@dataclass(frozen=True)
class _State:
    key: Hashable
    filtered: bool


@dataclass(frozen=True)
class _Entry:
    frame: pd.DataFrame
    unreached: tuple[Filter, ...]
    size: int


class FilterFlow:
    """The rows each tile of a dashboard sees, with filters carried through pipelines.

    Parameters
    ----------
    workspace
        Where the datasets live.
    size
        How many results of pipelines re-run on filtered rows to keep.

    Examples
    --------
    >>> import pandas as pd
    >>> from nbdash.dashboard.spec import DashboardSpec
    >>> from nbdash.transform import Pipeline
    >>> from nbdash.workspace import Workspace
    >>> ws = Workspace()
    >>> _ = ws.put("sales", pd.DataFrame({"region": ["N", "S", "N"], "v": [1, 2, 3]}))
    >>> pipe = Pipeline(source="sales", output="by_region", steps=[
    ...     {"kind": "group", "by": ["region"],
    ...      "aggregations": [{"column": "v", "func": "sum"}]}])
    >>> _ = ws.put("by_region", pipe.run(ws))
    >>> spec = DashboardSpec(name="d", pipelines={"by_region": pipe}, filters=[
    ...     Filter(id="r", dataset="sales", column="region", kind="categories",
    ...            values=["N"])])
    >>> FilterFlow(ws).rows(spec, "by_region").frame["v_sum"].tolist()
    [4]
    """

    def __init__(
        self, workspace: Workspace, size: int = CACHE_SIZE, budget: int = CACHE_BYTES
    ) -> None:
        self.workspace = workspace
        self._size = size
        self._budget = budget
        self._cache: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.runs = 0
        """How many times a pipeline ran on filtered rows (cache misses)."""

    def clear(self) -> None:
        """Forget every cached result (a dataset changed)."""
        self._cache.clear()

    def key(self, spec: DashboardSpec, dataset: str, tile_id: str | None) -> Hashable:
        """What the tile's rows depend on: equal keys mean equal rows.

        Raises
        ------
        DatasetNotFoundError
            When a dataset the rows come from is not in the workspace.
        """
        return self._state(spec, dataset, tile_id, ()).key

    def rows(
        self, spec: DashboardSpec, dataset: str, tile_id: str | None = None
    ) -> TileRows:
        """The rows of ``dataset`` that tile ``tile_id`` draws, after its filters.

        A cross-filter made by clicking ``tile_id`` is left out (see
        :func:`~nbdash.dashboard.filters.apply_filters`).
        """
        return self._rows(spec, dataset, tile_id, ())

    # --- the recursion --------------------------------------------------------------

    def _rows(
        self,
        spec: DashboardSpec,
        dataset: str,
        tile_id: str | None,
        trail: tuple[str, ...],
    ) -> TileRows:
        base, unreached = self._base(spec, dataset, tile_id, trail)

        own = _active_on(spec, dataset, tile_id)
        missing = tuple(item for item in own if item.column not in base.columns)
        for item in missing:
            logger.info(
                "filter %r skipped: %r has no column %r", item.id, dataset, item.column
            )
        usable = [item for item in own if item not in missing]
        frame = apply_filters(base, usable, tile_id=tile_id)
        return TileRows(frame, unreached + missing)

    def _base(
        self,
        spec: DashboardSpec,
        dataset: str,
        tile_id: str | None,
        trail: tuple[str, ...],
    ) -> tuple[pd.DataFrame, tuple[Filter, ...]]:
        # The dataset as stored, unless filters above it mean its pipeline runs again.
        pipeline = _pipeline(spec, dataset, trail)
        if pipeline is None:
            return self.workspace.get(dataset), ()
        state = self._state(spec, dataset, tile_id, trail)
        if not state.filtered:
            return self.workspace.get(dataset), ()
        cached = self._cache.get(state.key)
        if cached is not None:
            self._cache.move_to_end(state.key)
            return cached.frame, cached.unreached

        above = self._rows(spec, pipeline.source, tile_id, (*trail, dataset))
        frame = self._run(spec, dataset, pipeline, above.frame)
        self._remember(state.key, _Entry(frame, above.unreached, _size_of(frame)))
        return frame, above.unreached

    def _remember(self, key: Hashable, entry: _Entry) -> None:
        self._cache[key] = entry
        used = sum(item.size for item in self._cache.values())
        while len(self._cache) > self._size or (used > self._budget and self._cache):
            _, dropped = self._cache.popitem(last=False)
            used -= dropped.size

    def _run(
        self,
        spec: DashboardSpec,
        dataset: str,
        pipeline: Pipeline,
        source: pd.DataFrame,
    ) -> pd.DataFrame:
        from nbdash.transform.engines import run_frame

        engine = spec.engines.get(dataset, "pandas")
        others = {name: self.workspace.get(name) for name in pipeline.used_datasets()}
        logger.debug(
            "re-running the pipeline of %r on %d filtered rows (%s)",
            dataset,
            len(source),
            engine,
        )
        self.runs += 1
        try:
            return run_frame(pipeline.active(), source, engine, others)
        except NbdashError as exc:
            message = (
                f"The pipeline that makes {dataset!r} failed on the filtered rows of "
                f"{pipeline.source!r}: {exc}"
            )
            raise SpecError(message) from exc

    def _state(
        self,
        spec: DashboardSpec,
        dataset: str,
        tile_id: str | None,
        trail: tuple[str, ...],
    ) -> _State:
        own = tuple(
            item.model_dump_json() for item in _active_on(spec, dataset, tile_id)
        )
        pipeline = _pipeline(spec, dataset, trail)
        above = (
            None
            if pipeline is None
            else self._state(spec, pipeline.source, tile_id, (*trail, dataset))
        )
        if pipeline is None or above is None or not above.filtered:
            stored = (dataset, self.workspace.version(dataset), own)
            return _State(stored, bool(own))

        others = tuple(
            (name, self.workspace.version(name)) for name in pipeline.used_datasets()
        )
        engine = spec.engines.get(dataset, "pandas")
        recipe = (pipeline.model_dump_json(), engine, others)
        return _State((dataset, recipe, above.key, own), True)


def _size_of(frame: pd.DataFrame) -> int:
    # Shallow: text columns count their pointers only, a lower bound that is cheap.
    return int(frame.memory_usage(index=True, deep=False).sum())


def _pipeline(
    spec: DashboardSpec, dataset: str, trail: tuple[str, ...]
) -> Pipeline | None:
    # A pipeline reading its own output (directly or round a loop) is run as stored.
    pipeline = spec.pipelines.get(dataset)
    if pipeline is None or dataset in trail or pipeline.source == dataset:
        return None
    return pipeline


def _active_on(spec: DashboardSpec, dataset: str, tile_id: str | None) -> list[Filter]:
    return [
        item
        for item in spec.filters_on(dataset)
        if item.is_active() and (tile_id is None or item.origin != tile_id)
    ]


def made_from(spec: DashboardSpec, datasets: Iterable[str]) -> set[str]:
    """``datasets`` and every pipeline output made from them, through chains."""
    reached = set(datasets)
    grew = True
    while grew:
        grew = False
        for output, pipeline in spec.pipelines.items():
            if output not in reached and pipeline.source in reached:
                reached.add(output)
                grew = True
    return reached


def joined_from(spec: DashboardSpec, dataset: str) -> set[str]:
    """The pipeline outputs that read ``dataset`` only through a join or append step.

    A filter on ``dataset`` does not reach them (nor what is made from them).
    """
    carried = made_from(spec, [dataset])
    joining = {
        output
        for output, pipeline in spec.pipelines.items()
        if output not in carried and set(pipeline.used_datasets()) & carried
    }
    return made_from(spec, joining) - carried
