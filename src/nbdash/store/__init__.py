"""Datasets persisted beside the notebook as versioned Parquet files."""

from __future__ import annotations

from nbdash.store._store import Store
from nbdash.store.names import NAME_RULE, validate_dataset_name

__all__ = ["NAME_RULE", "Store", "validate_dataset_name"]
