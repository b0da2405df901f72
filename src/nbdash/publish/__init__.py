"""Publishing: running notebooks headless, and the Voila template.

:func:`run_notebook` executes a notebook with papermill so that its dashboards find
their saved specs and no widget state bloats the output. The Voila template lives in
``voila_template/`` and the static HTML report in ``static.py``.
"""

from __future__ import annotations

from nbdash.publish.runner import NotebookExecutionError, run_notebook

__all__ = ["NotebookExecutionError", "run_notebook"]
