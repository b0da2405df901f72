"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from nbdash.store import Store
from nbdash.workspace import Workspace, set_default_workspace


@pytest.fixture
def sales_frame() -> pd.DataFrame:
    """A small sales table with a date, two text columns and numbers."""
    return pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"]
            ),
            "region": ["North", "South", "North", "East"],
            "product": ["Tea", "Coffee", "Coffee", "Tea"],
            "quantity": [3, 1, 2, 5],
            "price": [2.5, 4.0, 4.0, 2.5],
            "revenue": [7.5, 4.0, 8.0, 12.5],
        }
    )


@pytest.fixture
def tmp_store(tmp_path: Path) -> Store:
    """An empty store in a temporary folder."""
    return Store(tmp_path / "store")


@pytest.fixture
def memory_workspace() -> Iterator[Workspace]:
    """An empty in-memory workspace, also installed as the default workspace."""
    ws = Workspace()
    set_default_workspace(ws)
    yield ws
    set_default_workspace(None)
