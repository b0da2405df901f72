"""Dashboards: the spec saved in the notebook, and the model that computes its tiles.

``DashboardSpec`` (tiles, layout, pipelines) is saved as
``notebook.metadata["nbdash"]["dashboards"][name]``; :mod:`nbdash.dashboard.notebook`
reads and writes it, and :class:`DashboardModel` binds a spec to a workspace.
"""

from __future__ import annotations

from nbdash.dashboard.content import table_content
from nbdash.dashboard.filters import Filter, apply_filters
from nbdash.dashboard.notebook import (
    NotebookBridge,
    dashboard_names,
    list_dashboards,
    locate_notebook,
    notebook_bridge,
    read_nbdash_metadata,
    set_notebook_path,
    write_nbdash_metadata,
)
from nbdash.dashboard.runtime import DashboardModel
from nbdash.dashboard.spec import DashboardSpec, Tile, TileLayout, parse_spec

__all__ = [
    "DashboardModel",
    "DashboardSpec",
    "Filter",
    "NotebookBridge",
    "Tile",
    "TileLayout",
    "apply_filters",
    "dashboard_names",
    "list_dashboards",
    "locate_notebook",
    "notebook_bridge",
    "parse_spec",
    "read_nbdash_metadata",
    "set_notebook_path",
    "table_content",
    "write_nbdash_metadata",
]
