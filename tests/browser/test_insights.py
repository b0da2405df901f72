"""The Insights widget in JupyterLab: the ranked list, then settings changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import Server, open_notebook, run_all_cells, screenshot, write_notebook

pytestmark = pytest.mark.browser

INSIGHTS_CELL = """
import numpy as np
import pandas as pd
import nbdash
from nbdash.workspace import Workspace

rng = np.random.default_rng(3)
days = pd.date_range("2024-01-01", periods=364, freq="D")
orders = 100 + rng.normal(0, 4, 364) + np.where(days.day_of_week == 5, 40, 0)
workspace = Workspace()
workspace.put("shop", pd.DataFrame({
    "date": days,
    "orders": orders,
    "visits": 1000 + rng.normal(0, 30, 364),
    "note": [None] * 364,
}))
nbdash.Insights("shop", workspace=workspace)
"""


def test_ranked_list_and_settings(
    lab_server: Server, notebook_dir: Path, page: Any
) -> None:
    write_notebook(notebook_dir / "insights.ipynb", [("code", INSIGHTS_CELL)])
    open_notebook(page, lab_server, "insights.ipynb")
    run_all_cells(page)

    widget = page.locator(".nbdash-insights").first
    items = widget.locator(".nbdash-insights-list > li")
    items.first.wait_for()
    widget.get_by_text("Orders: Saturdays are", exact=False).wait_for()
    widget.get_by_text("Column note is empty: all 364 values are missing.").wait_for()
    measures = widget.locator("fieldset.nbdash-insights-measures")
    assert measures.locator("legend").inner_text() == "Measures (auto)"
    screenshot(page, "insights-ranked-list")

    widget.locator("fieldset.nbdash-insights-kinds label", has_text="quality").click()
    widget.get_by_text("Column note is empty").wait_for(state="detached")

    measures.locator("label", has_text="orders").click()
    widget.get_by_text("Orders: Saturdays are", exact=False).wait_for(state="detached")
    assert measures.locator("legend").inner_text() == "Measures"
    assert (
        not measures.locator("label", has_text="orders").locator("input").is_checked()
    )
    assert measures.locator("label", has_text="visits").locator("input").is_checked()
    assert _overflowing(widget) == []
    screenshot(page, "insights-settings-changed")


def _overflowing(widget: Any) -> list[str]:
    """Elements of the widget wider than the widget itself."""
    return widget.evaluate(
        """root => [...root.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right
                         > root.getBoundingClientRect().right + 1)
            .map(e => e.tagName + '.' + e.className)"""
    )
