"""The Insights widget: the ranked insights of a dataset, with their settings."""

from __future__ import annotations

import logging
from typing import Any

import traitlets

from nbdash.dashboard.notebook import notebook_bridge
from nbdash.insights import InsightReport, InsightSettings, find_insights
from nbdash.widgets._base import NbdashWidget, handler
from nbdash.workspace import Workspace
from nbdash.workspace import workspace as default_workspace

logger = logging.getLogger(__name__)


class Insights(NbdashWidget):
    """Show the ranked insights of a workspace dataset; recompute when it changes.

    Parameters
    ----------
    dataset
        The dataset's name in the workspace.
    workspace
        The workspace; the default one when None.
    settings
        An :class:`~nbdash.insights.InsightSettings` or dict; when None, the settings
        saved in the notebook for this dataset, else the defaults.
    """

    _bundle = "insights"

    dataset = traitlets.Unicode("").tag(sync=True)
    """The name of the dataset analysed."""
    settings = traitlets.Dict().tag(sync=True)
    """The insight settings as JSON (InsightSettings fields)."""
    columns: traitlets.List[str] = traitlets.List().tag(sync=True)
    """The dataset's column names, for the settings controls."""
    report = traitlets.Dict().tag(sync=True)
    """The latest report, ``InsightReport.to_dict()``."""

    def __init__(
        self,
        dataset: str,
        workspace: Workspace | None = None,
        settings: InsightSettings | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(dataset=dataset)
        self._workspace = workspace if workspace is not None else default_workspace()
        self._bridge = notebook_bridge()
        chosen = settings if settings is not None else self._saved_settings()
        self._report = InsightReport(dataset)
        self._apply(chosen)
        self._unsubscribe = self._workspace.on_change(self._on_dataset_event)

    @property
    def insight_report(self) -> InsightReport:
        """The latest :class:`~nbdash.insights.InsightReport`."""
        return self._report

    @handler("settings")
    def _on_settings(self, content: dict[str, Any], _buffers: list[memoryview]) -> Any:
        self._apply(content.get("settings") or {})
        self._save()
        return {"insights": len(self._report.insights)}

    def _apply(self, settings: InsightSettings | dict[str, Any] | None) -> None:
        chosen = (
            settings
            if isinstance(settings, InsightSettings)
            else (InsightSettings.model_validate(settings or {}))
        )
        self.settings = chosen.model_dump()
        self.refresh()

    def refresh(self) -> None:
        """Recompute the insights from the dataset's current data."""
        frame = self._workspace.get(self.dataset)
        self._report = find_insights(frame, self.settings, name=self.dataset)
        with self.hold_sync():
            self.columns = [str(c) for c in frame.columns]
            self.report = self._report.to_dict()
            self.error = ""

    def _on_dataset_event(self, event: Any) -> None:
        if event.name == self.dataset and event.kind != "deleted":
            self.refresh()

    def _saved_settings(self) -> dict[str, Any] | None:
        value = self._bridge.value or {}
        saved = value.get("insights", {}).get(self.dataset)
        return saved if isinstance(saved, dict) else None

    def _save(self) -> None:
        value = dict(self._bridge.value or {"version": 1})
        insights = dict(value.get("insights", {}))
        insights[self.dataset] = self.settings
        value["insights"] = insights
        self._bridge.set(value)

    def close(self) -> None:
        """Stop following the workspace and close the widget."""
        self._unsubscribe()
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle: Any = super()._repr_mimebundle_(**kwargs)
        data: dict[str, Any] = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = self._report.to_text()
        data["text/html"] = self._report.to_html()
        return bundle
