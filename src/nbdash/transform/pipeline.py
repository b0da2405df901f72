"""A pipeline: an ordered list of steps over a source dataset, run with pandas."""

from __future__ import annotations

import logging
from typing import Protocol

import pandas as pd
from pydantic import Field, model_validator

from nbdash.errors import (
    ColumnNotFoundError,
    ExpressionError,
    SpecError,
    column_not_found,
)
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps import AnyStep, Step
from nbdash.transform.steps._common import Datasets

logger = logging.getLogger(__name__)


class DatasetSource(Protocol):
    """Anything that hands out datasets by name, such as a ``Workspace``."""

    def get(self, name: str) -> pd.DataFrame:
        """Return the dataset called ``name``."""
        ...


class Pipeline(SpecModel):
    """An ordered list of steps that turns the ``source`` dataset into ``output``.

    Parameters
    ----------
    source
        The name of the dataset the pipeline reads.
    steps
        The steps, applied in order; dicts are validated by their ``kind``.
    output
        The name to save the result under, when the caller saves it.
    disabled
        Indices (0-based) of steps that are kept in the spec but skipped when the
        pipeline runs, compiles to SQL or writes code.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"region": ["EU", "US", "EU"], "revenue": [1, 2, 3]})
    >>> pipe = Pipeline(
    ...     source="sales",
    ...     steps=[{"kind": "group", "by": ["region"],
    ...             "aggregations": [{"column": "revenue", "func": "sum"}]}],
    ... )
    >>> pipe.run_frame(sales)
      region  revenue_sum
    0     EU            4
    1     US            2
    """

    source: Name
    steps: list[Step] = Field(default_factory=list)
    output: Name | None = None
    disabled: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_disabled(self) -> Pipeline:
        bad = [index for index in self.disabled if not 0 <= index < len(self.steps)]
        if bad:
            raise ValueError(
                f"disabled step indices must be 0..{len(self.steps) - 1} "
                f"(0-based, one per step); received {bad!r}"
            )
        if len(set(self.disabled)) != len(self.disabled):
            raise ValueError(f"disabled indices repeat; received {self.disabled!r}")
        return self

    def active(self) -> Pipeline:
        """Return this pipeline without its disabled steps (itself when none are)."""
        if not self.disabled:
            return self
        steps = [s for i, s in enumerate(self.steps) if i not in self.disabled]
        return self.model_copy(update={"steps": steps, "disabled": []})

    def run(self, workspace: DatasetSource, engine: str = "pandas") -> pd.DataFrame:
        """Read ``source`` from ``workspace`` and return the transformed frame.

        ``engine`` is ``"pandas"``, ``"duckdb"`` (SQL run by DuckDB, over the stored
        Parquet file when the workspace has one) or ``"auto"`` (DuckDB for large
        inputs); see :mod:`nbdash.transform.engines`.
        """
        if engine == "pandas":
            others = {name: workspace.get(name) for name in self.used_datasets()}
            return self.run_frame(workspace.get(self.source), others=others)
        from nbdash.transform.engines import run_workspace

        return run_workspace(self.active(), workspace, engine)  # type: ignore[arg-type]

    def to_sql(self, data: pd.DataFrame | str) -> str:
        """Return the DuckDB SQL the duckdb engine runs on ``data`` (a frame or path).

        Values appear as parameters ``$1``, ``$2``...; see
        :func:`nbdash.transform.engines.to_sql` for the statement with its values.
        """
        from nbdash.transform.engines import to_sql

        return to_sql(self.active(), data).sql

    def run_frame(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Apply the steps to ``frame`` (left unchanged) and return the result.

        ``others`` maps dataset names to frames, for ``join`` and ``append`` steps.

        Raises
        ------
        ColumnNotFoundError
            A step names a column that the frame at that step does not have.
        DatasetNotFoundError
            A ``join``/``append`` step reads a dataset that ``others`` lacks.
        ExpressionError
            A ``derive`` expression does not fit the frame's columns.
        SpecError
            A step does not fit the data, e.g. ``mean`` of a text column.
        """
        result = frame
        for number, step in enumerate(self.steps, start=1):
            if number - 1 in self.disabled:
                continue
            self._check_columns(number, step, result)
            result = self._apply(number, step, result, others)
            logger.debug("step %d (%s) left %d rows", number, step.kind, len(result))
        return result

    def used_datasets(self) -> list[str]:
        """Return the names of the other datasets that join/append steps read."""
        names: dict[str, None] = {}
        for step in self.active().steps:
            for name in getattr(step, "used_datasets", list)():
                names[name] = None
        return list(names)

    def _apply(
        self, number: int, step: AnyStep, frame: pd.DataFrame, others: Datasets | None
    ) -> pd.DataFrame:
        where = f"Step {number} ({step.kind}): "
        try:
            return step.apply(frame, others)
        except ExpressionError as exc:
            raise ExpressionError(
                where + str(exc), expression=exc.expression, offset=exc.offset
            ) from exc
        except ColumnNotFoundError as exc:
            raise ColumnNotFoundError(where + str(exc)) from exc
        except (SpecError, TypeError, ValueError) as exc:
            raise SpecError(where + str(exc)) from exc

    def to_code(self) -> str:
        """Return pandas code that does what :meth:`run_frame` does.

        The code expects the source frame in a variable ``df`` and ``pandas`` imported
        as ``pd``, and leaves the result in ``df``; ``join``/``append`` steps read the
        other datasets from a dict ``datasets`` (see :meth:`used_datasets`). Names and
        values are written with ``repr``, so no user text is ever spliced into code.
        """
        target = f" -> {self.output!r}" if self.output else ""
        lines = [f"# Pipeline over dataset {self.source!r}{target}, written by nbdash."]
        if self.used_datasets():
            needed = ", ".join(repr(name) for name in self.used_datasets())
            lines.append(f"# Needs a dict `datasets` holding the datasets {needed}.")
        for number, step in enumerate(self.steps, start=1):
            if number - 1 in self.disabled:
                lines += [
                    "",
                    f"# Step {number} ({step.kind}) is disabled and skipped: "
                    f"{step.describe()}",
                ]
                continue
            lines += ["", f"# Step {number} ({step.kind}): {step.describe()}"]
            lines += step.code()
        return "\n".join(lines) + "\n"

    def _check_columns(self, number: int, step: AnyStep, frame: pd.DataFrame) -> None:
        available = [str(column) for column in frame.columns]
        for column in step.used_columns():
            if column in frame.columns:
                continue
            error = column_not_found(
                column, available, dataset=self.source if number == 1 else None
            )
            after = (
                f" The frame here is the result of step {number - 1}."
                if number > 1
                else ""
            )
            raise ColumnNotFoundError(f"Step {number} ({step.kind}): {error}{after}")


def run_pipeline(
    pipeline: Pipeline | dict[str, object], frame: pd.DataFrame
) -> pd.DataFrame:
    """Validate ``pipeline`` (a :class:`Pipeline` or a dict) and run it on ``frame``."""
    spec = (
        pipeline
        if isinstance(pipeline, Pipeline)
        else Pipeline.model_validate(pipeline)
    )
    return spec.run_frame(frame)
