"""Open the example dashboard notebook in Voila, find every chart drawn, and show one
in full screen."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nbformat
from harness import REPO, SCREENSHOTS, check_full_screen_round_trip

EXAMPLE = REPO / "examples" / "sales_dashboard.ipynb"


def _saved_chart_titles(notebook: Path) -> list[str]:
    metadata = nbformat.read(notebook, as_version=4).metadata.get("nbdash", {})
    titles = []
    for spec in metadata.get("dashboards", {}).values():
        titles += [
            tile.get("title", "")
            for tile in spec.get("tiles", [])
            if tile.get("kind") == "chart"
        ]
    return titles


def test_voila_draws_every_chart_of_the_example(
    voila_server: Any, tmp_path: Path, page: Any
) -> None:
    assert EXAMPLE.is_file(), f"the example notebook is missing: {EXAMPLE}"
    notebook = tmp_path / EXAMPLE.name
    shutil.copyfile(EXAMPLE, notebook)

    server = voila_server(notebook)
    page.goto(server.url, timeout=240_000)
    page.locator(".nbdash-dashboard .grid-stack-item").first.wait_for(timeout=240_000)
    charts = page.locator(".nbdash-dashboard .nbdash-chart")
    charts.first.locator(".main-svg").first.wait_for(timeout=120_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.nbdash-dashboard .nbdash-chart')]
                 .every((chart) => chart.dataset.drawn === 'true')""",
        timeout=120_000,
    )

    chart_count = charts.count()
    assert chart_count >= 2
    for index in range(chart_count):
        chart = charts.nth(index)
        chart.locator(".main-svg").first.wait_for()
        # A drawn plotly chart has at least one trace group inside its SVG.
        assert chart.locator(".main-svg .trace, .main-svg .slice").count() > 0

    dashboard = page.locator(".nbdash-dashboard").first
    dashboard.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dashboard.screenshot(path=str(SCREENSHOTS / "voila_example_dashboard.png"))

    for title in _saved_chart_titles(notebook):
        tile = page.locator(".nbdash-dashboard .grid-stack-item").filter(
            has=page.locator(".nbdash-tile-title", has_text=title)
        )
        assert tile.locator(".main-svg").count() > 0, f"chart tile {title!r} not drawn"

    # The saved tiles are drawn, not announced as new ones.
    assert page.locator(".nbdash-tile-new").count() == 0
    # Full screen covers the whole window here too, and Esc gives the tile back.
    item = charts.first.locator("xpath=ancestor::div[@gs-id][1]")
    first = item.get_attribute("gs-id")
    assert first is not None
    check_full_screen_round_trip(page, first, "voila_full_screen")

    # The published page is the dashboard, not the workbench: the notebook's upload
    # and builder cells run but are not shown, so a visitor cannot replace the data.
    assert page.locator(".nbdash-upload").count() == 0
    assert page.locator(".nbd-builder").count() == 0
