"""nbdash: self-service analytics inside Jupyter.

Upload a file, clean it point-and-click, chart it, arrange the charts in a dashboard
saved in the notebook, and publish it with Voila or re-run it with papermill.

The public names are loaded on first use, so ``import nbdash`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported eagerly: the submodule and the function share the name `workspace`, and a
# lazy import of the submodule would replace the function on the package.
from nbdash.workspace import Workspace, workspace

__version__ = "0.1.0"

_PUBLIC = {
    "Store": "nbdash.store",
    "read_table": "nbdash.ingest",
    "Pipeline": "nbdash.transform",
    "ChartSpec": "nbdash.charts",
    "suggest_charts": "nbdash.charts",
    "DashboardSpec": "nbdash.dashboard",
    "find_insights": "nbdash.insights",
    "Insights": "nbdash.widgets.insights",
    "Upload": "nbdash.widgets",
    "Table": "nbdash.widgets",
    "TransformBuilder": "nbdash.widgets",
    "ChartPicker": "nbdash.widgets",
    "Dashboard": "nbdash.widgets",
    "NbdashError": "nbdash.errors",
    "load": "nbdash._api",
    "export_dataset": "nbdash.export",
}

__all__ = [*sorted(_PUBLIC), "Workspace", "__version__", "workspace"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'nbdash' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "nbdash"}]
