"""Datasets persisted as versioned Parquet files, locally or at any fsspec URL.

Optionally encrypted at rest with AES-256-GCM; see :mod:`nbdash.store.crypto`.
"""

from __future__ import annotations

from nbdash.store._store import Store
from nbdash.store.crypto import generate_key
from nbdash.store.names import NAME_RULE, validate_dataset_name

__all__ = ["NAME_RULE", "Store", "generate_key", "validate_dataset_name"]
