"""Voila options for a published nbdash dashboard: preheated kernels.

Plain Voila starts a kernel and runs the notebook when a visitor asks for the page,
so every visitor waits for both. With ``preheat_kernel`` Voila keeps a pool of
kernels that have already run the notebook (and the page they rendered) and hands
one to the next visitor, then refills the pool. Voila 0.5 supports it for the
default (non-progressive) rendering; it is off by default.

A preheated kernel starts before any request, so it cannot learn the notebook's
path from the request (``SCRIPT_NAME``): the options pass it in
``NBDASH_NOTEBOOK_PATH`` so the dashboard reads its saved spec while preheating.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

POOL_SIZE = 1
"""Preheated kernels kept ready per notebook (each holds the notebook's data)."""

FILL_DELAY_S = 10.0
"""Seconds Voila waits before starting a kernel that replaces a used one.

The replacement runs the whole notebook; started at once it competes for the CPU
with the page the visitor is loading (on a small server, or the same machine)."""

SKIPPED_EXTENSIONS = ["jupyterlab-plotly", "@voila-dashboards/jupyterlab-preview"]
"""Lab extensions a published dashboard does not need, left out of the page: plotly's
renderer bundles all of plotly.js (nbdash draws with its own cartesian build), the
preview is a JupyterLab button."""


def voila_config(
    notebook: str | os.PathLike[str], *, pool_size: int = POOL_SIZE
) -> dict[str, Any]:
    """The ``voila.json`` content that serves ``notebook`` from preheated kernels.

    Parameters
    ----------
    notebook
        The notebook's file name, relative to the folder Voila runs its kernels in
        (the notebook's own folder).
    pool_size
        How many kernels wait, each having run the notebook.

    Examples
    --------
    >>> voila_config("sales.ipynb")["VoilaConfiguration"]["preheat_kernel"]
    True
    """
    env = {"NBDASH_NOTEBOOK_PATH": Path(notebook).name}
    return {
        "VoilaConfiguration": {
            "preheat_kernel": True,
            "default_pool_size": pool_size,
            "extension_denylist": SKIPPED_EXTENSIONS,
        },
        "VoilaKernelManager": {
            "default_env_variables": env,
            "fill_delay": FILL_DELAY_S,
        },
    }


def voila_options(
    notebook: str | os.PathLike[str],
    *,
    preheat: bool = True,
    pool_size: int = POOL_SIZE,
) -> list[str]:
    """Command-line options for ``voila NOTEBOOK`` (empty when ``preheat`` is False).

    Examples
    --------
    >>> voila_options("sales.ipynb")[0]
    '--preheat_kernel=True'
    """
    if not preheat:
        return []
    config = voila_config(notebook, pool_size=pool_size)
    env = config["VoilaKernelManager"]["default_env_variables"]
    return [
        "--preheat_kernel=True",
        f"--pool_size={pool_size}",
        # One key=value per option: the JSON form of a dict option is deprecated.
        *(
            f"--VoilaKernelManager.default_env_variables={key}={value}"
            for key, value in env.items()
        ),
        f"--VoilaKernelManager.fill_delay={FILL_DELAY_S}",
        *(
            f"--VoilaConfiguration.extension_denylist={name}"
            for name in SKIPPED_EXTENSIONS
        ),
    ]
