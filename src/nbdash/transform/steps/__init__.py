"""Pipeline steps: validated specs that both run on pandas and write pandas code.

Each step has ``apply(frame, others=None)``, which transforms a DataFrame (``others``
maps dataset names to frames for ``join`` and ``append``), ``code()``, which writes the
same transformation as pandas source lines on a frame ``df``, ``used_columns()`` (the
columns it reads, checked before it runs), ``output_columns(columns)`` (the columns
after it, or ``None`` when they depend on the data) and ``describe()``. The engine and
the code are written side by side so that they cannot drift apart; the test suite runs
both on random frames and compares the results.

Unless a step says otherwise, steps that drop or reorder rows return a 0..n-1 index,
and the frame passed in is never modified.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from nbdash.transform.steps.columns import (
    CastStep,
    DropColumnsStep,
    RenameStep,
    ReorderStep,
    SelectStep,
)
from nbdash.transform.steps.combine import AppendStep, JoinStep
from nbdash.transform.steps.derive import DeriveStep
from nbdash.transform.steps.filter import Condition, ConditionGroup, FilterStep, Period
from nbdash.transform.steps.group import Aggregation, GroupStep
from nbdash.transform.steps.missing import (
    DropMissingColumnsStep,
    DropMissingStep,
    FillMissingStep,
    FlagMissingStep,
)
from nbdash.transform.steps.reshape import BucketDateStep, PivotStep, UnpivotStep
from nbdash.transform.steps.rows import (
    DropDuplicatesStep,
    SampleStep,
    SortKey,
    SortStep,
    TopNStep,
)

AnyStep = (
    FilterStep
    | SortStep
    | GroupStep
    | FillMissingStep
    | DropMissingStep
    | FlagMissingStep
    | DropMissingColumnsStep
    | SelectStep
    | DropColumnsStep
    | RenameStep
    | ReorderStep
    | CastStep
    | PivotStep
    | UnpivotStep
    | BucketDateStep
    | DropDuplicatesStep
    | DeriveStep
    | JoinStep
    | AppendStep
    | TopNStep
    | SampleStep
)
"""Any step object (a plain union, for type hints)."""

Step = Annotated[AnyStep, Field(discriminator="kind")]
"""Any pipeline step, told apart by its ``kind`` (for pydantic fields)."""

__all__ = [
    "Aggregation",
    "AnyStep",
    "AppendStep",
    "BucketDateStep",
    "CastStep",
    "Condition",
    "ConditionGroup",
    "DeriveStep",
    "DropColumnsStep",
    "DropDuplicatesStep",
    "DropMissingColumnsStep",
    "DropMissingStep",
    "FillMissingStep",
    "FilterStep",
    "FlagMissingStep",
    "GroupStep",
    "JoinStep",
    "Period",
    "PivotStep",
    "RenameStep",
    "ReorderStep",
    "SampleStep",
    "SelectStep",
    "SortKey",
    "SortStep",
    "Step",
    "TopNStep",
    "UnpivotStep",
]
