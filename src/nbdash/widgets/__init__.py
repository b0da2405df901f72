"""The nbdash widgets: thin anywidget views over the model layer.

Each widget's module is imported on first use: a published dashboard's kernel that
shows only a ``Dashboard`` does not pay for the builder's or the picker's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbdash.widgets.builder import TransformBuilder
    from nbdash.widgets.dashboard import Dashboard
    from nbdash.widgets.picker import ChartPicker
    from nbdash.widgets.table import Table
    from nbdash.widgets.upload import Upload

_MODULES = {
    "ChartPicker": "nbdash.widgets.picker",
    "Dashboard": "nbdash.widgets.dashboard",
    "Table": "nbdash.widgets.table",
    "TransformBuilder": "nbdash.widgets.builder",
    "Upload": "nbdash.widgets.upload",
}

__all__ = ["ChartPicker", "Dashboard", "Table", "TransformBuilder", "Upload"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'nbdash.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
