"""The TransformBuilder widget: a point-and-click editor of a pipeline.

The ``pipeline`` trait (a :class:`~nbdash.transform.Pipeline` as JSON) is the single
source of truth. The front end edits it; every change is validated here, then the
pipeline is run step by step on the source dataset to fill the previews, the row
counts, the columns after each step and the error of the step that failed.

Every accepted change is kept in a bounded undo history and saved into the notebook's
``metadata["nbdash"]["pipelines"][output]`` through the shared notebook bridge, so
re-running ``TransformBuilder(source, output)`` restores the pipeline.
"""

from __future__ import annotations

import html
import json
import logging
from typing import TYPE_CHECKING, Any

import pandas as pd
import traitlets

from nbdash.dashboard.notebook import (
    NotebookBridge,
    locate_notebook,
    notebook_bridge,
    read_nbdash_metadata,
)
from nbdash.errors import ExpressionError, NbdashError, SpecError, check_columns
from nbdash.widgets._base import NbdashWidget, handler

if TYPE_CHECKING:
    from nbdash.transform import Pipeline
    from nbdash.workspace import DatasetEvent, Workspace

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
"""Rows of the result shown under the steps."""

STEP_PREVIEW_ROWS = 5
"""Rows of each step's output shown on its card."""

HISTORY_LIMIT = 100
"""How many earlier pipelines undo can go back to."""

ENGINES = ("pandas", "duckdb", "auto")


def describe_columns(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The columns of ``frame`` as ``{name, dtype, kind}`` dicts for the front end.

    ``kind`` is one of ``number``, ``datetime``, ``bool`` and ``text``: enough for the
    front end to pick the right input for a filter value.
    """
    return [
        {"name": str(name), "dtype": str(dtype), "kind": _dtype_kind(dtype)}
        for name, dtype in frame.dtypes.items()
    ]


def _dtype_kind(dtype: Any) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "text"


def preview_json(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The first ``rows`` rows of ``frame`` as JSON-safe ``{columns, rows}``.

    Missing values become ``null``, timestamps text as the table shows them (a date
    when every time is midnight, else date and time), and anything JSON cannot hold
    its ``str``.

    Examples
    --------
    >>> frame = pd.DataFrame({"day": pd.to_datetime(["2024-03-01", None]), "n": [1, 2]})
    >>> preview_json(frame)["rows"]
    [['2024-03-01', 1], [None, 2]]
    """
    head = frame.head(rows).copy()
    for index, dtype in enumerate(head.dtypes):
        if pd.api.types.is_datetime64_any_dtype(dtype):
            head.isetitem(index, _timestamp_text(head.iloc[:, index]).to_numpy())
    text = head.to_json(
        orient="split", index=False, date_format="iso", default_handler=str
    )
    data = json.loads(text)
    return {"columns": [str(name) for name in head.columns], "rows": data["data"]}


def _timestamp_text(column: pd.Series) -> pd.Series:
    present = column.dropna()
    at_midnight = bool((present == present.dt.normalize()).all())
    layout = "%Y-%m-%d" if at_midnight else "%Y-%m-%d %H:%M:%S"
    if getattr(column.dt, "tz", None) is not None:
        layout = "%Y-%m-%d %H:%M:%S%z"  # an aware time, with its offset
    text: pd.Series = column.dt.strftime(layout).astype(object)
    return text.where(column.notna(), None)


def step_error(exc: Exception) -> dict[str, Any]:
    """An exception as ``{message, offset, expression}`` for the card of its step.

    ``offset`` (0-based, into ``expression``) is set for expression errors that know
    where the problem is, so the front end can point at it.
    """
    # Our own errors are written for the user; others need their type to make sense.
    message = (
        str(exc) if isinstance(exc, NbdashError) else f"{type(exc).__name__}: {exc}"
    )
    offset = exc.offset if isinstance(exc, ExpressionError) else None
    expression = exc.expression if isinstance(exc, ExpressionError) else ""
    return {"message": message, "offset": offset, "expression": expression}


class TransformBuilder(NbdashWidget):
    """A point-and-click editor of a pipeline over one dataset of a workspace.

    Parameters
    ----------
    source
        The name of the dataset the pipeline reads.
    output
        The name under which ``apply`` stores the result, and the key the pipeline is
        saved under in the notebook; ``<source>_result`` when None.
    workspace
        The workspace holding ``source``; the process-wide one when None.
    bridge
        The link to the open notebook; defaults to the kernel's shared bridge.

    Examples
    --------
    >>> import pandas as pd
    >>> from nbdash.dashboard.notebook import NotebookBridge
    >>> from nbdash.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.put("sales", pd.DataFrame({"region": ["N", "S", "N"], "revenue": [1, 2, 3]}))
    >>> builder = TransformBuilder("sales", workspace=ws, bridge=NotebookBridge())
    >>> builder.pipeline = {"source": "sales", "steps": [{"kind": "group",
    ...     "by": ["region"], "aggregations": [
    ...         {"column": "revenue", "func": "sum", "name": "total"}]}]}
    >>> builder.row_counts
    [2]
    """

    source = traitlets.Unicode("").tag(sync=True)
    """The name of the dataset the pipeline reads."""

    output = traitlets.Unicode("").tag(sync=True)
    """The name of the dataset ``apply`` writes (and the pipeline's key when saved)."""

    pipeline = traitlets.Dict().tag(sync=True)
    """The pipeline as JSON (with ``disabled`` steps), validated on every change."""

    revision = traitlets.Int(0).tag(sync=True)
    """The front end's count of its pipeline edits, sent with each edit."""

    applied_revision = traitlets.Int(0).tag(sync=True)
    """The ``revision`` of the last front-end edit taken (or refused) here. While it
    is behind ``revision`` an edit is on its way, and the front end keeps its own
    steps rather than the older pipeline it is sent meanwhile (the normalised form
    of an earlier edit), which would drop the newer step."""

    schema = traitlets.Dict().tag(sync=True)
    """The JSON schema of a pipeline, from which the front end draws its forms."""

    datasets: traitlets.List[str] = traitlets.List().tag(sync=True)
    """The names of the workspace's datasets (for join and append steps)."""

    columns: traitlets.List[dict[str, str]] = traitlets.List().tag(sync=True)
    """The source's columns as ``{name, dtype, kind}`` dicts."""

    source_rows = traitlets.Int(0).tag(sync=True)
    """The number of rows of the source dataset."""

    step_columns: traitlets.List[Any] = traitlets.List().tag(sync=True)
    """Per step, the columns available after it (None after a failed step)."""

    row_counts: traitlets.List[int | None] = traitlets.List().tag(sync=True)
    """Per step, the number of rows after it (None after a failed step)."""

    step_previews: traitlets.List[Any] = traitlets.List().tag(sync=True)
    """Per step, the first rows of its output as ``{columns, rows}`` (or None)."""

    step_errors = traitlets.Dict().tag(sync=True)
    """The failed step's ``{message, offset, expression}``, keyed by its index."""

    preview = traitlets.Dict().tag(sync=True)
    """The first rows of the result (up to the last step that ran) as JSON."""

    code = traitlets.Unicode("").tag(sync=True)
    """The pandas code of the pipeline (disabled steps appear as comments)."""

    engine = traitlets.Enum(ENGINES, default_value="pandas").tag(sync=True)
    """The engine ``apply`` runs the pipeline with: pandas, duckdb or auto."""

    can_undo = traitlets.Bool(False).tag(sync=True)
    """Whether there is an earlier pipeline to go back to."""

    can_redo = traitlets.Bool(False).tag(sync=True)
    """Whether an undone pipeline can be restored."""

    can_insert = traitlets.Bool(False).tag(sync=True)
    """Whether a live notebook answered, so code can go into a new cell."""

    def __init__(
        self,
        source: str,
        output: str | None = None,
        workspace: Workspace | None = None,
        *,
        bridge: NotebookBridge | None = None,
        **kwargs: Any,
    ) -> None:
        from nbdash.transform import Pipeline
        from nbdash.workspace import workspace as default_workspace

        self._workspace = workspace if workspace is not None else default_workspace()
        self._bridge = bridge if bridge is not None else notebook_bridge()
        self._reverting = False
        # The pipeline as last taken here (by _on_pipeline, an undo or a redo).
        self._taken: dict[str, Any] = {}
        self._history: list[dict[str, Any]] = []
        self._future: list[dict[str, Any]] = []
        self._changed_here = False
        result_name = output or f"{source}_result"
        initial = {"source": source, "steps": [], "output": result_name}
        super().__init__(source=source, output=result_name, pipeline=initial, **kwargs)
        self.schema = Pipeline.model_json_schema()

        # A bad source name fails here, loudly, rather than as an error trait.
        spec = self._validate(initial)
        self._saved = _read_saved()
        spec = self._restored(self._saved) or spec
        self.pipeline = self._taken = spec.model_dump(mode="json")
        self._refresh(spec)

        self.observe(self._on_pipeline, names=["pipeline"])
        self.observe(self._on_revision, names=["revision"])
        self.observe(self._on_names, names=["source", "output"])
        self._unsubscribe = self._workspace.on_change(self._on_dataset_event)
        self._bridge.get(self._reconcile)

    _bundle = "builder"

    @property
    def pipeline_spec(self) -> Pipeline:
        """The current pipeline as a :class:`~nbdash.transform.Pipeline`."""
        return self._validate(self.pipeline)

    def result(self) -> pd.DataFrame:
        """Run the pipeline (with :attr:`engine`) on the whole source; return it."""
        return self.pipeline_spec.run(self._workspace, engine=self.engine)

    def undo(self) -> bool:
        """Go back to the previous pipeline; False when there is none."""
        return self._travel(self._history, self._future)

    def redo(self) -> bool:
        """Restore the pipeline the last :meth:`undo` left; False when there is none."""
        return self._travel(self._future, self._history)

    def save(self) -> None:
        """Put the pipeline into ``metadata["nbdash"]["pipelines"][output]``.

        Other keys of the notebook's nbdash metadata (dashboards, insights, other
        pipelines) are kept. Skipped when the notebook holds this value already.
        """
        base = self._bridge.value if self._bridge.value is not None else self._saved
        pipelines = dict(base.get("pipelines") or {})
        pipelines[self.output] = self.pipeline
        value = {**base, "version": base.get("version", 1), "pipelines": pipelines}
        self._saved = value
        if value == self._bridge.value:
            return
        self._bridge.set(value)
        logger.info("pipeline %r saved in the notebook", self.output)

    def close(self) -> None:
        """Stop following the workspace and close the widget."""
        self._unsubscribe()
        super().close()

    # -- validation and history ------------------------------------------------------

    def _validate(self, data: Any) -> Pipeline:
        from nbdash.transform import Pipeline

        if not isinstance(data, dict):
            message = (
                f"A pipeline must be a JSON object; received {type(data).__name__}."
            )
            raise SpecError(message)
        fixed = {**data, "source": self.source, "output": self.output}
        try:
            return Pipeline.model_validate(fixed)
        except SpecError as exc:
            raise SpecError(f"{exc}\nThe previous pipeline is kept.") from exc

    def _on_pipeline(self, change: dict[str, Any]) -> None:
        if self._reverting:
            return
        try:
            self._take(change)
        finally:
            self._taken = self.pipeline
            self._answer()

    def _take(self, change: dict[str, Any]) -> None:
        try:
            spec = self._validate(change["new"])
        except SpecError as exc:
            logger.debug("rejected pipeline %r", change["new"])
            # Put back the last good pipeline, which the previews still show; the front
            # end then redraws it.
            self._set_quietly(change["old"])
            self.error = str(exc)
            return

        normal = spec.model_dump(mode="json")
        if normal != change["new"]:
            self._set_quietly(normal)
        if normal != change["old"]:
            self._remember(change["old"])
        self.error = ""
        self._changed_here = True
        self._refresh(spec)
        self.save()

    def _on_revision(self, change: dict[str, Any]) -> None:
        # An edit that left the pipeline as it was is answered here; one that changed
        # it by _on_pipeline, once taken (the pipeline differs from the one taken
        # last until then, whichever observer runs first).
        if self.pipeline == self._taken:
            self._answer()

    def _answer(self) -> None:
        """Send the pipeline as taken (normalised, or put back when refused), even
        when unchanged, then the revision it answers, on which the front end loads
        it: the front end may hold an older form that came while its edit was on
        the way. The previews and columns of the steps were sent before."""
        self.send_state("pipeline")
        self.applied_revision = self.revision

    def _set_quietly(self, value: dict[str, Any]) -> None:
        self._reverting = True
        try:
            self.pipeline = self._taken = value
        finally:
            self._reverting = False

    def _remember(self, previous: dict[str, Any]) -> None:
        self._history.append(previous)
        del self._history[:-HISTORY_LIMIT]
        self._future.clear()
        self._update_history_flags()

    def _travel(self, back: list[dict[str, Any]], forth: list[dict[str, Any]]) -> bool:
        if not back:
            return False
        target = back.pop()
        forth.append(self.pipeline)
        self._set_quietly(target)
        self._update_history_flags()

        self.error = ""
        self._changed_here = True
        self._refresh(self.pipeline_spec)
        self.save()
        return True

    def _update_history_flags(self) -> None:
        with self.hold_sync():
            self.can_undo = bool(self._history)
            self.can_redo = bool(self._future)

    def _on_names(self, change: dict[str, Any]) -> None:
        self.pipeline = {**self.pipeline, change["name"]: change["new"]}

    # -- the notebook ----------------------------------------------------------------

    def _restored(self, saved: dict[str, Any]) -> Pipeline | None:
        entry = (saved.get("pipelines") or {}).get(self.output)
        if entry is None:
            return None
        if not isinstance(entry, dict) or entry.get("source") != self.source:
            found = entry.get("source") if isinstance(entry, dict) else entry
            logger.warning(
                "saved pipeline %r reads %r, not %r; starting empty",
                self.output,
                found,
                self.source,
            )
            return None
        try:
            return self._validate(entry)
        except SpecError as exc:
            self.error = f"The saved pipeline {self.output!r} is not valid: {exc}"
            return None

    def _reconcile(self, value: dict[str, Any]) -> None:
        # A live notebook answered: it can take new cells, and its metadata (which may
        # hold unsaved edits) wins over the file unless this builder changed since.
        self.can_insert = True
        self._adopt(value)

    def _adopt(self, value: dict[str, Any]) -> None:
        self._saved = value
        live = self._restored(value)
        if self._changed_here or live is None:
            if self.pipeline_spec.steps:
                self.save()
            return
        if live.model_dump(mode="json") != self.pipeline:
            self._set_quietly(live.model_dump(mode="json"))
            self._refresh(live)

    # -- running ---------------------------------------------------------------------

    def _on_dataset_event(self, event: DatasetEvent) -> None:
        self.datasets = self._workspace.names()
        if event.name != self.source and event.name not in self._used_datasets():
            return
        logger.debug("dataset %s %s; refreshing the builder", event.name, event.kind)
        if event.kind == "deleted" and event.name == self.source:
            self.error = f"The source dataset {self.source!r} was deleted."
            return
        self._refresh(self.pipeline_spec)

    def _used_datasets(self) -> list[str]:
        return self.pipeline_spec.used_datasets()

    def _refresh(self, spec: Pipeline) -> None:
        try:
            frame = self._workspace.get(self.source)
        except NbdashError as exc:
            self.error = str(exc)
            return

        state = _run_steps(spec, frame, self._others(spec))
        with self.hold_sync():
            self.datasets = self._workspace.names()
            self.columns = describe_columns(frame)
            self.source_rows = len(frame)
            self.step_columns = state["step_columns"]
            self.row_counts = state["row_counts"]
            self.step_previews = state["step_previews"]
            self.step_errors = state["step_errors"]
            self.preview = preview_json(state["frame"])
            self.code = _code_of(spec)

    def _others(self, spec: Pipeline) -> dict[str, pd.DataFrame]:
        # A missing dataset is left out here; the step reading it reports it.
        names = [n for n in spec.used_datasets() if n in self._workspace.names()]
        return {name: self._workspace.get(name) for name in names}

    # -- front-end messages ----------------------------------------------------------

    @handler("apply")
    def _apply(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> dict[str, int]:
        output = content.get("output", self.output)
        if not isinstance(output, str) or not output.strip():
            raise SpecError(
                f"The output name must be a non-empty string; got {output!r}."
            )
        if output == self.source:
            message = (
                f"The output name {output!r} is the source dataset; choose another "
                "name so the source stays intact."
            )
            raise SpecError(message)

        self.output = output
        spec = self.pipeline_spec
        frame = spec.run(self._workspace, engine=self.engine)
        # The engine goes with the pipeline: a dashboard re-running it on filtered
        # rows of the source uses the same engine.
        meta = {"pipeline": spec.model_dump(mode="json"), "engine": self.engine}
        self._workspace.put(output, frame, meta=meta)
        logger.info("applied pipeline on %s into %s", self.source, output)
        self.error = ""
        return {"rows": len(frame), "columns": len(frame.columns)}

    @handler("undo")
    def _on_undo(self, _content: Any, _buffers: list[memoryview]) -> dict[str, bool]:
        return {"changed": self.undo()}

    @handler("redo")
    def _on_redo(self, _content: Any, _buffers: list[memoryview]) -> dict[str, bool]:
        return {"changed": self.redo()}

    def cell_code(self) -> str:
        """The pipeline's code as a cell that runs on its own: it loads the source
        (and the datasets a join or append reads) from the workspace first, and ends
        by showing the result."""
        from nbdash.workspace import workspace as default_workspace

        spec = self.pipeline_spec
        if self._workspace is default_workspace():
            load = [
                "import pandas as pd",
                "import nbdash",
                "",
                f"df = nbdash.workspace().get({spec.source!r})",
            ]
            if spec.used_datasets():
                names = "".join(f"{name!r}, " for name in spec.used_datasets())
                load.append(
                    f"datasets = {{name: nbdash.workspace().get(name) for name in "
                    f"({names.rstrip()})}}"
                )
        else:
            # A workspace of the user's own: its variable name is not known here.
            load = [
                "import pandas as pd",
                "",
                f"# Set df to dataset {spec.source!r} of your workspace first, e.g. "
                f"df = ws.get({spec.source!r})",
            ]
        return "\n".join(load) + "\n\n" + self.code + "df\n"

    @handler("insert_code")
    def _on_insert_code(
        self, _content: Any, _buffers: list[memoryview]
    ) -> dict[str, bool]:
        if not self.can_insert or not self._bridge.insert_cell(self.cell_code()):
            message = (
                "No notebook front end with nbdash's extension answered, so the code "
                "cannot go into a new cell here. Use 'Copy code' instead."
            )
            raise SpecError(message)
        return {"sent": True}

    @handler("notebook_metadata")
    def _on_notebook_metadata(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> dict[str, int]:
        # Voila's single-notebook mode gives the kernel no notebook path; the nbdash
        # template embeds the saved metadata in the page and the view hands it over.
        value = content.get("value")
        if not isinstance(value, dict):
            kind = type(value).__name__
            raise SpecError(f"notebook_metadata needs an object 'value'; got {kind}.")
        self._adopt(value)
        return {"steps": len(self.pipeline["steps"])}

    @handler("check_expression")
    def _on_check_expression(
        self, content: dict[str, Any], _buffers: list[memoryview]
    ) -> dict[str, Any]:
        from nbdash.transform import expr

        text, index = _expression_request(content, len(self.pipeline_spec.steps))
        try:
            types = expr.column_types(self._frame_before(index))
            kind = expr.check(expr.parse(text), types, text)
        except ExpressionError as exc:
            return {"ok": False, **step_error(exc)}
        return {"ok": True, "type": kind}

    def _frame_before(self, index: int) -> pd.DataFrame:
        """The frame step ``index`` reads (the source when an earlier step fails)."""
        spec = self.pipeline_spec
        frame = self._workspace.get(self.source)
        head = spec.model_copy(
            update={
                "steps": spec.steps[:index],
                "disabled": [i for i in spec.disabled if i < index],
            }
        )
        try:
            return head.run_frame(frame, others=self._others(head))
        except NbdashError:
            return frame

    # -- static fallback -------------------------------------------------------------

    def _repr_mimebundle_(
        self, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        title = html.escape(f"Pipeline over {self.source!r} into {self.output!r}")
        data["text/html"] = f"<p>{title}</p><pre>{html.escape(self.code)}</pre>"
        return data, metadata


def _read_saved() -> dict[str, Any]:
    path = locate_notebook()
    if path is None:
        return {}
    try:
        return read_nbdash_metadata(path)
    except (OSError, ValueError) as exc:
        logger.warning("cannot read nbdash metadata from %s: %s", path, exc)
        return {}


def _code_of(spec: Pipeline) -> str:
    """``spec.to_code()``, or a comment saying why there is no code yet."""
    try:
        return spec.to_code()
    except Exception as exc:  # e.g. an unknown function in an expression
        logger.debug("no code for the pipeline: %r", exc)
        reason = step_error(exc)["message"].splitlines() or [""]
        lines = ["# This pipeline cannot be written as code yet:", *reason]
        return "\n".join(
            line if line.startswith("#") else f"# {line}" for line in lines
        )


def _expression_request(content: Any, steps: int) -> tuple[str, int]:
    """Validate a ``check_expression`` message: ``{expression: str, index: int}``."""
    text = content.get("expression") if isinstance(content, dict) else None
    index = content.get("index", steps) if isinstance(content, dict) else None
    if not isinstance(text, str):
        raise SpecError(f"'expression' must be text; received {text!r}.")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= steps:
        message = f"'index' must be a step index from 0 to {steps}; received {index!r}."
        raise SpecError(message)
    return text, index


def _run_steps(
    spec: Pipeline, frame: pd.DataFrame, others: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    """Run ``spec`` one step at a time, stopping at the first step that fails.

    A disabled step passes its input through: its counts and columns are those
    before it.
    """
    size = len(spec.steps)
    counts: list[int | None] = [None] * size
    columns: list[list[dict[str, str]] | None] = [None] * size
    previews: list[dict[str, Any] | None] = [None] * size
    errors: dict[str, dict[str, Any]] = {}

    for index in range(size):
        if index not in spec.disabled:
            try:
                frame = _apply_step(spec, index, frame, others)
            except Exception as exc:  # any failure belongs on the card of its step
                logger.debug("step %d failed: %s", index, exc)
                errors[str(index)] = step_error(exc)
                break
        counts[index] = len(frame)
        columns[index] = describe_columns(frame)
        previews[index] = preview_json(frame, STEP_PREVIEW_ROWS)

    return {
        "frame": frame,
        "row_counts": counts,
        "step_columns": columns,
        "step_previews": previews,
        "step_errors": errors,
    }


def _apply_step(
    spec: Pipeline, index: int, frame: pd.DataFrame, others: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    step = spec.steps[index]
    where = spec.source if index == 0 else f"{spec.source} after step {index}"
    check_columns(step.used_columns(), frame.columns, dataset=where)
    return step.apply(frame, others)
