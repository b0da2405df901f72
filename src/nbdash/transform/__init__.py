"""Transform pipelines: validated step specs, a pandas engine and pandas code.

See :mod:`nbdash.transform.steps` for the exact semantics of each step and
:mod:`nbdash.transform.expr` for the expression language of ``derive``.
"""

from __future__ import annotations

from nbdash.transform.base import SpecModel
from nbdash.transform.pipeline import Pipeline, run_pipeline
from nbdash.transform.steps import *  # noqa: F403
from nbdash.transform.steps import __all__ as _step_names

__all__ = ["Pipeline", "SpecModel", "run_pipeline", *_step_names]
