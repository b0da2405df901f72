"""Helpers shared by the step modules: value types, dtype tests, checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from pandas.api import types as ptypes

from nbdash.errors import DatasetNotFoundError, SpecError

Scalar = bool | int | float | str
"""A value a spec may hold: JSON's scalars (dates are ISO strings)."""

Datasets = Mapping[str, pd.DataFrame]
"""The other datasets a step may read (join, append), by name."""


def check_finite(value: Any) -> None:
    """Raise ``ValueError`` for NaN or infinity, alone or inside a list."""
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"values must be finite numbers; received {item!r}")


def check_unique(names: list[str], what: str) -> None:
    """Raise ``ValueError`` when ``names`` repeats a name."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {repeated!r}")


def is_number(series: pd.Series) -> bool:
    """Return whether ``series`` holds numbers (booleans are not numbers here)."""
    return ptypes.is_numeric_dtype(series) and not ptypes.is_bool_dtype(series)


def is_text(series: pd.Series) -> bool:
    """Return whether ``series`` holds text (string or object dtype)."""
    return ptypes.is_string_dtype(series) or ptypes.is_object_dtype(series)


def is_datetime(series: pd.Series) -> bool:
    """Return whether ``series`` holds timestamps, with or without a time zone."""
    return ptypes.is_datetime64_any_dtype(series)


def require(ok: bool, message: str) -> None:
    """Raise :class:`SpecError` with ``message`` unless ``ok``."""
    if not ok:
        raise SpecError(message)


def get_dataset(name: str, others: Datasets | None) -> pd.DataFrame:
    """Return the dataset ``name`` from ``others``; a clear error when absent."""
    if others is not None and name in others:
        return others[name]
    available = ", ".join(sorted(others)) if others else "(none given)"
    message = (
        f"This step reads dataset {name!r}, which was not given. Available: "
        f"{available}. Run the pipeline with Pipeline.run(workspace) or pass "
        "run_frame(frame, others={name: frame})."
    )
    raise DatasetNotFoundError(message)


def missing_columns(columns: list[str], frame: pd.DataFrame) -> list[str]:
    """Return the entries of ``columns`` that ``frame`` lacks."""
    return [column for column in columns if column not in frame.columns]
