"""The TransformBuilder widget: a point-and-click editor of a pipeline.

The ``pipeline`` trait (a :class:`~nbdash.transform.Pipeline` as JSON) is the single
source of truth. The front end edits it; every change is validated here, then the
pipeline is run step by step on the source dataset to fill the preview, the row counts,
the columns after each step and the errors of the step that failed.
"""

from __future__ import annotations

import html
import json
import logging
from typing import TYPE_CHECKING, Any

import pandas as pd
import traitlets

from nbdash.errors import NbdashError, SpecError, check_columns
from nbdash.widgets._base import NbdashWidget, handler, static_esm

if TYPE_CHECKING:
    from nbdash.transform import Pipeline
    from nbdash.workspace import DatasetEvent, Workspace

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20


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

    Missing values become ``null``, timestamps ISO strings, and anything JSON cannot
    hold its ``str``.
    """
    head = frame.head(rows)
    text = head.to_json(
        orient="split", index=False, date_format="iso", default_handler=str
    )
    data = json.loads(text)
    return {"columns": [str(name) for name in head.columns], "rows": data["data"]}


def _error_text(exc: Exception) -> str:
    # Our own errors are written for the user; others need their type to make sense.
    if isinstance(exc, NbdashError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class TransformBuilder(NbdashWidget):
    """A point-and-click editor of a pipeline over one dataset of a workspace.

    Parameters
    ----------
    source
        The name of the dataset the pipeline reads.
    output
        The name under which ``apply`` stores the result; ``<source>_result`` when None.
    workspace
        The workspace holding ``source``; the process-wide one when None.

    Examples
    --------
    >>> import pandas as pd
    >>> from nbdash.workspace import Workspace
    >>> ws = Workspace()
    >>> ws.put("sales", pd.DataFrame({"region": ["N", "S", "N"], "revenue": [1, 2, 3]}))
    >>> builder = TransformBuilder("sales", workspace=ws)
    >>> builder.pipeline = {"source": "sales", "steps": [{"kind": "group",
    ...     "by": ["region"], "aggregations": [
    ...         {"column": "revenue", "func": "sum", "name": "total"}]}]}
    >>> builder.row_counts
    [2]
    """

    source = traitlets.Unicode("").tag(sync=True)
    """The name of the dataset the pipeline reads."""

    output = traitlets.Unicode("").tag(sync=True)
    """The name of the dataset ``apply`` writes."""

    pipeline = traitlets.Dict().tag(sync=True)
    """The pipeline as JSON, validated on every change; the single source of truth."""

    columns: traitlets.List[dict[str, str]] = traitlets.List().tag(sync=True)
    """The source's columns as ``{name, dtype, kind}`` dicts."""

    source_rows = traitlets.Int(0).tag(sync=True)
    """The number of rows of the source dataset."""

    step_columns: traitlets.List[Any] = traitlets.List().tag(sync=True)
    """Per step, the columns available after it (None after a failed step)."""

    row_counts: traitlets.List[int | None] = traitlets.List().tag(sync=True)
    """Per step, the number of rows after it (None after a failed step)."""

    step_errors = traitlets.Dict().tag(sync=True)
    """The error of the step that failed, keyed by its index as a string."""

    preview = traitlets.Dict().tag(sync=True)
    """The first rows of the result (up to the last step that ran) as JSON."""

    code = traitlets.Unicode("").tag(sync=True)
    """The pandas code of the pipeline."""

    def __init__(
        self,
        source: str,
        output: str | None = None,
        workspace: Workspace | None = None,
        **kwargs: Any,
    ) -> None:
        from nbdash.workspace import workspace as default_workspace

        self._workspace = workspace if workspace is not None else default_workspace()
        self._reverting = False
        result_name = output or f"{source}_result"
        initial = {"source": source, "steps": [], "output": result_name}
        super().__init__(source=source, output=result_name, pipeline=initial, **kwargs)

        # A bad source name fails here, loudly, rather than as an error trait.
        spec = self._validate(initial)
        self.pipeline = spec.model_dump(mode="json")
        self._refresh(spec)

        self.observe(self._on_pipeline, names=["pipeline"])
        self.observe(self._on_names, names=["source", "output"])
        self._unsubscribe = self._workspace.on_change(self._on_dataset_event)

    @property
    def _esm(self) -> str:
        # Read on construction rather than import, so `import nbdash.widgets` works in a
        # checkout whose bundles are not built yet.
        return static_esm("builder").read_text(encoding="utf-8")

    @property
    def pipeline_spec(self) -> Pipeline:
        """The current pipeline as a :class:`~nbdash.transform.Pipeline`."""
        return self._validate(self.pipeline)

    def result(self) -> pd.DataFrame:
        """Run the pipeline on the whole source dataset and return the result."""
        return self.pipeline_spec.run_frame(self._workspace.get(self.source))

    def close(self) -> None:
        """Stop following the workspace and close the widget."""
        self._unsubscribe()
        super().close()

    # -- validation ------------------------------------------------------------------

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
            spec = self._validate(change["new"])
        except SpecError as exc:
            logger.debug("rejected pipeline %r", change["new"])
            # Put back the last good pipeline, which the previews still show; the front
            # end then redraws it.
            self._reverting = True
            try:
                self.pipeline = change["old"]
            finally:
                self._reverting = False
            self.error = str(exc)
            return

        normal = spec.model_dump(mode="json")
        if normal != change["new"]:
            # Setting the normal form fires this observer again, which then refreshes.
            self.pipeline = normal
            return
        self.error = ""
        self._refresh(spec)

    def _on_names(self, change: dict[str, Any]) -> None:
        self.pipeline = {**self.pipeline, change["name"]: change["new"]}

    def _on_dataset_event(self, event: DatasetEvent) -> None:
        if event.name != self.source:
            return
        logger.debug("source %s %s; refreshing the builder", event.name, event.kind)
        if event.kind == "deleted":
            self.error = f"The source dataset {self.source!r} was deleted."
            return
        self._refresh(self.pipeline_spec)

    # -- running ---------------------------------------------------------------------

    def _refresh(self, spec: Pipeline) -> None:
        try:
            frame = self._workspace.get(self.source)
        except NbdashError as exc:
            self.error = str(exc)
            return

        state = _run_steps(spec, frame)
        with self.hold_sync():
            self.columns = describe_columns(frame)
            self.source_rows = len(frame)
            self.step_columns = state["step_columns"]
            self.row_counts = state["row_counts"]
            self.step_errors = state["step_errors"]
            self.preview = preview_json(state["frame"])
            self.code = spec.to_code()

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
        frame = spec.run_frame(self._workspace.get(self.source))
        self._workspace.put(
            output, frame, meta={"pipeline": spec.model_dump(mode="json")}
        )
        logger.info("applied pipeline on %s into %s", self.source, output)
        self.error = ""
        return {"rows": len(frame), "columns": len(frame.columns)}

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


def _run_steps(spec: Pipeline, frame: pd.DataFrame) -> dict[str, Any]:
    """Run ``spec`` one step at a time, stopping at the first step that fails."""
    counts: list[int | None] = [None] * len(spec.steps)
    columns: list[list[dict[str, str]] | None] = [None] * len(spec.steps)
    errors: dict[str, str] = {}

    for index, step in enumerate(spec.steps):
        where = spec.source if index == 0 else f"{spec.source} after step {index}"
        try:
            check_columns(step.used_columns(), frame.columns, dataset=where)
            frame = step.apply(frame)
        except Exception as exc:  # any failure belongs on the card of its step
            logger.debug("step %d failed: %s", index, exc)
            errors[str(index)] = _error_text(exc)
            break
        counts[index] = len(frame)
        columns[index] = describe_columns(frame)

    return {
        "frame": frame,
        "row_counts": counts,
        "step_columns": columns,
        "step_errors": errors,
    }
