"""The ChartPicker widget: choose a suggested chart, edit it, add it to a dashboard.

The ``spec`` trait (a :class:`~nbdash.charts.ChartSpec` as JSON) is validated here on
every change; ``figure`` is the Plotly JSON of the spec drawn from the aggregated data
(long series downsampled), so it stays small however large the dataset is. A zoom in
the front end asks for the visible range again at full resolution (``zoom``).
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import pandas as pd
import pydantic
import traitlets

from nbdash.errors import NbdashError, SpecError, check_columns
from nbdash.widgets._base import NbdashWidget, handler, with_buffers
from nbdash.widgets.builder import describe_columns

if TYPE_CHECKING:
    from nbdash.charts import ChartSpec
    from nbdash.widgets.dashboard import Dashboard
    from nbdash.workspace import DatasetEvent, Workspace

logger = logging.getLogger(__name__)

# Suggestion previews are thumbnails: a few hundred points per series are plenty.
PREVIEW_POINTS = 300

# What a spec that cannot be drawn raises: ours, or pandas' and plotly's own.
_DRAW_ERRORS = (NbdashError, KeyError, ValueError, TypeError)

# The spec fields the static fallback lists, in this order.
DESCRIBED_FIELDS = (
    "title", "kind", "x", "y", "measures", "agg", "bucket", "color", "size", "top_n",
    "sort", "rolling", "bins", "number_format", "date_format", "palette",
)  # fmt: skip


def chart_title(spec: dict[str, Any]) -> str:
    """A readable title for a spec that has none, such as ``Sum of revenue by date``.

    Examples
    --------
    >>> chart_title({"x": "date", "y": "revenue", "agg": "sum"})
    'Sum of revenue by date'
    """
    if spec.get("title"):
        return str(spec["title"])
    agg = str(spec.get("agg") or "count")
    measure = f"{agg.capitalize()} of {spec['y']}" if spec.get("y") else "Count"
    split = f" and {spec['color']}" if spec.get("color") else ""
    return f"{measure} by {spec.get('x')}{split}"


class ChartPicker(NbdashWidget):
    """Pick a chart of a dataset from suggestions, edit it, add it to a dashboard.

    Parameters
    ----------
    dataset
        The name of the dataset to chart.
    dashboard
        A :class:`~nbdash.widgets.Dashboard`, or the name of one, which is looked up
        when a chart is added; None hides nothing but disables "Add to dashboard".
    workspace
        The workspace holding ``dataset``; the process-wide one when None.
    """

    dataset = traitlets.Unicode("").tag(sync=True)
    """The name of the dataset charted."""

    columns: traitlets.List[dict[str, str]] = traitlets.List().tag(sync=True)
    """The dataset's columns as ``{name, dtype, kind}`` dicts."""

    suggestions: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    """Suggested chart specs as JSON, best first, each with a title."""

    previews: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    """Small Plotly figures of the suggestions, in the same order ({} if one fails)."""

    choices = traitlets.Dict().tag(sync=True)
    """The values the option controls offer: kinds, aggregations, formats, palettes."""

    spec = traitlets.Dict().tag(sync=True)
    """The chosen chart spec as JSON, validated on every change."""

    figure = traitlets.Dict().tag(sync=True)
    """The Plotly figure JSON of ``spec``, drawn from the aggregated data."""

    has_dashboard = traitlets.Bool(False).tag(sync=True)
    """Whether a dashboard is attached, which enables "Add to dashboard"."""

    def __init__(
        self,
        dataset: str,
        dashboard: Dashboard | str | None = None,
        workspace: Workspace | None = None,
        **kwargs: Any,
    ) -> None:
        from nbdash.workspace import workspace as default_workspace

        self._workspace = workspace if workspace is not None else default_workspace()
        self._dashboard = dashboard
        self._settling = False
        super().__init__(dataset=dataset, has_dashboard=dashboard is not None, **kwargs)
        self.choices = option_choices()

        self._load()
        self.observe(self._on_spec, names=["spec"])
        self._unsubscribe = self._workspace.on_change(self._on_dataset_event)

    _bundle = "picker"

    @property
    def chart_spec(self) -> ChartSpec:
        """The current spec as a :class:`~nbdash.charts.ChartSpec`."""
        return self._validate(self.spec)

    @property
    def dashboard(self) -> Dashboard | str | None:
        """The attached dashboard, or its name until a chart is added to it."""
        return self._dashboard

    @dashboard.setter
    def dashboard(self, value: Dashboard | str | None) -> None:
        self._dashboard = value
        self.has_dashboard = value is not None

    def close(self) -> None:
        """Stop following the workspace and close the widget."""
        self._unsubscribe()
        super().close()

    # -- state -----------------------------------------------------------------------

    def _load(self) -> None:
        """Read the dataset, suggest charts, and redraw the spec (or the best one)."""
        from nbdash.charts import suggest_charts

        frame = self._workspace.get(self.dataset)
        specs = suggest_charts(frame, self.dataset)
        suggested = [self._titled(spec) for spec in specs]
        with self.hold_sync():
            self.columns = describe_columns(frame)
            self.suggestions = suggested
            self.previews = [_preview(spec, frame) for spec in specs]

        for candidate in (self.spec, *suggested[:1]):
            if not candidate:
                continue
            try:
                normal, figure = self._draw(candidate, frame)
            except _DRAW_ERRORS as exc:
                self.error = str(exc)
                continue
            with self.hold_sync():
                self._set_spec_quietly(normal)
                self.figure = figure
            return

    def _titled(self, spec: ChartSpec) -> dict[str, Any]:
        data = spec.model_dump(mode="json")
        return {**data, "title": spec.display_title}

    def _validate(self, data: Any, frame: pd.DataFrame | None = None) -> ChartSpec:
        from nbdash.charts import ChartSpec

        if not isinstance(data, dict):
            message = (
                f"A chart spec must be a JSON object; received {type(data).__name__}."
            )
            raise SpecError(message)
        try:
            spec = ChartSpec.model_validate({**data, "dataset": self.dataset})
        except SpecError as exc:
            raise SpecError(f"{exc}\nThe previous chart spec is kept.") from exc
        except pydantic.ValidationError as exc:
            message = f"Invalid chart spec: {exc}\nThe previous chart spec is kept."
            raise SpecError(message) from exc

        if frame is None:
            frame = self._workspace.get(self.dataset)
        check_columns(spec.used_columns, frame.columns, dataset=self.dataset)
        return spec

    def _draw(
        self, data: Any, frame: pd.DataFrame
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The normal JSON of spec ``data`` and its Plotly figure JSON."""
        spec = self._validate(data, frame)
        return spec.model_dump(mode="json"), themed_by_view(spec.figure_json(frame))

    def _set_spec_quietly(self, value: dict[str, Any]) -> None:
        # The observer would validate and draw again what was just drawn.
        self._settling = True
        try:
            self.spec = value
        finally:
            self._settling = False

    def _on_spec(self, change: dict[str, Any]) -> None:
        if self._settling:
            return
        try:
            normal, figure = self._draw(
                change["new"], self._workspace.get(self.dataset)
            )
        except _DRAW_ERRORS as exc:
            logger.debug("rejected chart spec %r: %s", change["new"], exc)
            self.error = str(exc)
            # Put back the last good spec; the front end then shows it again.
            self._set_spec_quietly(change["old"])
            return

        with self.hold_sync():
            self.error = ""
            self._set_spec_quietly(normal)
            self.figure = figure

    def _on_dataset_event(self, event: DatasetEvent) -> None:
        if event.name != self.dataset:
            return
        if event.kind == "deleted":
            self.error = f"The dataset {self.dataset!r} was deleted."
            return
        logger.debug("dataset %s %s; redrawing the chart", event.name, event.kind)
        self._load()

    # -- messages --------------------------------------------------------------------

    @handler("add_to_dashboard")
    def _add_to_dashboard(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> dict[str, Any]:
        dashboard = self._resolve_dashboard()
        spec = self.chart_spec
        title = content.get("title") or spec.display_title
        if not isinstance(title, str):
            raise SpecError(
                f"A chart title must be a string; got {type(title).__name__}."
            )

        tile = dashboard.add_chart(spec, title=title)
        dashboard.reveal(tile.id)
        logger.info("added chart %r of %s to a dashboard", title, self.dataset)
        return {"title": title, "tile": tile.id}

    @handler("zoom")
    def _zoom(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> dict[str, Any]:
        """Redraw the traces for the visible x range (None: the whole range)."""
        spec = self.chart_spec
        x_range = _x_range(content.get("x_range"))
        if not spec.is_zoomable:
            return {"data": self.figure.get("data", []), "resampled": False}

        figure = spec.figure_json(self._workspace.get(self.dataset), x_range=x_range)
        logger.debug("zoom of %s to %r", self.dataset, x_range)
        return {"data": figure["data"], "resampled": True}

    @handler("download_data")
    def _download_data(
        self, _content: dict[str, Any], _buffers: list[memoryview]
    ) -> Any:
        """The chart's plotted data as CSV bytes, formula-safe."""
        payload = self.chart_spec.to_csv(self._workspace.get(self.dataset))
        name = f"{self.dataset}-{self.chart_spec.kind}.csv"
        result = {"filename": name, "mime": "text/csv", "size": len(payload)}
        return with_buffers(result, [payload])

    def _resolve_dashboard(self) -> Dashboard:
        if self._dashboard is None:
            message = (
                "No dashboard is attached to this chart picker. Pass one with "
                "ChartPicker(dataset, dashboard=Dashboard('name')) or set "
                "picker.dashboard."
            )
            raise NbdashError(message)
        if isinstance(self._dashboard, str):
            self._dashboard = _find_dashboard(self._dashboard)
        return self._dashboard

    # -- static fallback -------------------------------------------------------------

    def _repr_mimebundle_(
        self, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["text/html"] = describe_spec_html(self.spec, self.dataset)
        return data, metadata


def describe_spec_html(spec: dict[str, Any], dataset: str) -> str:
    """A small HTML table describing ``spec``, every value escaped."""
    rows = [f"<tr><th>dataset</th><td>{html.escape(dataset)}</td></tr>"]
    for field in DESCRIBED_FIELDS:
        value = spec.get(field)
        if value not in (None, ""):
            rows.append(f"<tr><th>{field}</th><td>{html.escape(str(value))}</td></tr>")
    return f"<table class='nbdash-chart-spec'>{''.join(rows)}</table>"


def option_choices() -> dict[str, Any]:
    """What the picker's option controls offer, from the chart modules' own lists."""
    from nbdash.charts.format import DATE_FORMATS, NUMBER_FORMATS, PALETTES
    from nbdash.charts.spec import KINDS

    def labelled(values: dict[str, str]) -> list[dict[str, str]]:
        return [{"value": key, "label": label} for key, label in values.items()]

    return {
        "kinds": list(KINDS),
        "aggs": ["sum", "mean", "median", "min", "max", "count"],
        "buckets": ["day", "week", "month", "quarter", "year"],
        "sorts": ["auto", "value_desc", "value_asc", "label_asc", "label_desc"],
        "number_formats": labelled(NUMBER_FORMATS),
        "date_formats": labelled(DATE_FORMATS),
        "palettes": list(PALETTES),
    }


def themed_by_view(figure: dict[str, Any]) -> dict[str, Any]:
    """``figure`` without plotly.py's ``layout.template``, as dashboard tiles draw it.

    The template's purple-blue colourway made the picker's charts differ from the
    dashboard's; without it the view's theme (``js/shared/theme.ts``) and plotly.js's
    default colourway apply to both, and a chosen palette still sets ``colorway``.
    """
    layout = figure.get("layout")
    if isinstance(layout, dict):
        layout.pop("template", None)
    return figure


def _preview(spec: ChartSpec, frame: pd.DataFrame) -> dict[str, Any]:
    """A thumbnail of ``spec``: few points, no titles or legend, small margins."""
    try:
        figure = spec.figure_json(frame, point_budget=PREVIEW_POINTS)
    except _DRAW_ERRORS as exc:
        logger.debug("no preview for %s: %s", spec.display_title, exc)
        return {}
    layout = figure.get("layout", {})
    small = {key: layout[key] for key in ("barmode", "annotations") if key in layout}
    for number, annotation in enumerate(small.get("annotations", [])):
        # The KPI's value large, its change and period small enough for a thumbnail.
        size = 20 if number == 0 else 9
        annotation["font"] = {**annotation.get("font", {}), "size": size}
    compact = {"margin": {"l": 4, "r": 4, "t": 4, "b": 4}, "showlegend": False}
    axes = {"xaxis": {"visible": False}, "yaxis": {"visible": False}}
    # Slice percentages do not fit a thumbnail; the shape says enough.
    data = [
        {**trace, "textinfo": "none"} if trace.get("type") == "pie" else trace
        for trace in figure["data"]
    ]
    return {"data": data, "layout": {**small, **compact, **axes}}


def _x_range(value: Any) -> tuple[Any, Any] | None:
    """A zoom message's ``x_range``: None, or two numbers or date strings."""
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(bound, str | int | float) for bound in value)
    ):
        return value[0], value[1]
    message = (
        "A zoom needs x_range [low, high] of numbers or dates, or null for the whole "
        f"range; received {value!r}."
    )
    raise SpecError(message)


def _find_dashboard(name: str) -> Dashboard:
    """The open Dashboard widget called ``name``."""
    from nbdash.widgets.dashboard import Dashboard

    found = Dashboard.named(name)
    if found is not None:
        return found

    message = (
        f"No open dashboard is called {name!r}. Create it first with "
        f"Dashboard({name!r}), or pass the Dashboard object itself."
    )
    raise NbdashError(message)
