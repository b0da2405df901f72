"""Insights widget driven through its front end's messages."""

from __future__ import annotations

import pandas as pd
import pytest

from nbdash.dashboard.notebook import notebook_bridge
from nbdash.widgets.insights import Insights
from nbdash.workspace import Workspace


@pytest.fixture
def quality_workspace() -> Workspace:
    """A workspace whose dataset has an empty column and a constant one."""
    ws = Workspace()
    ws.put(
        "q", pd.DataFrame({"a": range(10), "note": [None] * 10, "c": ["<b>x</b>"] * 10})
    )
    return ws


def _send(widget: Insights, content: dict) -> list[dict]:
    sent: list[dict] = []
    widget.send = lambda message, buffers=None: sent.append(message)  # type: ignore[method-assign]
    widget._dispatch(widget, content, [])
    return sent


def test_lists_insights_and_follows_dataset_changes(quality_workspace):
    widget = Insights("q", workspace=quality_workspace)
    sentences = [i["sentence"] for i in widget.report["insights"]]
    assert "Column note is empty: all 10 values are missing." in sentences
    quality_workspace.put(
        "q", pd.DataFrame({"a": range(4), "note": [1.0, None, None, None]})
    )
    sentences = [i["sentence"] for i in widget.report["insights"]]
    assert sentences == ["Column note is mostly missing: 75% of values are empty."]
    widget.close()


def test_settings_message_recomputes_and_saves(quality_workspace):
    widget = Insights("q", workspace=quality_workspace)
    sent = _send(
        widget, {"kind": "settings", "id": "1", "settings": {"kinds": ["trend"]}}
    )
    assert sent[-1]["result"] == {"insights": 0}
    assert widget.report["insights"] == []
    saved = notebook_bridge().value["insights"]["q"]
    assert saved["kinds"] == ["trend"]
    again = Insights("q", workspace=quality_workspace)
    assert again.settings["kinds"] == ["trend"]
    bad = _send(
        widget, {"kind": "settings", "id": "2", "settings": {"max_insights": -1}}
    )
    assert "max_insights" in bad[-1]["error"]
    widget.close()
    again.close()


def test_static_fallback_escapes_text(quality_workspace):
    quality_workspace.put("esc", quality_workspace.get("q"))
    widget = Insights("esc", workspace=quality_workspace)
    bundle = widget._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "&lt;b&gt;x&lt;/b&gt;" in data["text/html"]
    assert "<b>x</b>" in data["text/plain"]
    widget.close()
