"""Transform pipelines: validated step specs, a pandas engine and pandas code.

See :mod:`nbdash.transform.steps` for the exact semantics of each step.
"""

from __future__ import annotations

from nbdash.transform.base import SpecModel
from nbdash.transform.pipeline import Pipeline, run_pipeline
from nbdash.transform.steps import (
    Aggregation,
    Condition,
    DropMissingStep,
    FillMissingStep,
    FilterStep,
    FlagMissingStep,
    GroupStep,
    SortKey,
    SortStep,
    Step,
)

__all__ = [
    "Aggregation",
    "Condition",
    "DropMissingStep",
    "FillMissingStep",
    "FilterStep",
    "FlagMissingStep",
    "GroupStep",
    "Pipeline",
    "SortKey",
    "SortStep",
    "SpecModel",
    "Step",
    "run_pipeline",
]
