"""The nbdash widgets: thin anywidget views over the model layer."""

from __future__ import annotations

from nbdash.widgets.builder import TransformBuilder
from nbdash.widgets.dashboard import Dashboard
from nbdash.widgets.picker import ChartPicker
from nbdash.widgets.table import Table
from nbdash.widgets.upload import Upload

__all__ = ["ChartPicker", "Dashboard", "Table", "TransformBuilder", "Upload"]
