"""Publishing: running notebooks headless, the Voila template and its options.

:func:`run_notebook` executes a notebook with papermill so that its dashboards find
their saved specs and no widget state bloats the output. The Voila template lives in
``voila_template/``, the static HTML report in ``static.py``, and the options that
serve a dashboard from preheated Voila kernels in ``voila.py``.

The runner is imported on first use: it needs nbformat, whose import costs seconds,
and every dashboard's static fallback imports ``nbdash.publish.static``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbdash.publish.runner import NotebookExecutionError, run_notebook

__all__ = ["NotebookExecutionError", "run_notebook"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'nbdash.publish' has no attribute {name!r}")
    return getattr(importlib.import_module("nbdash.publish.runner"), name)
