"""A dashboard's standalone HTML page in Chromium: CJK text is drawn with glyphs."""

from __future__ import annotations

from typing import Any

import pandas as pd
from harness import SCREENSHOTS

from nbdash.charts import ChartSpec
from nbdash.dashboard import DashboardModel, DashboardSpec
from nbdash.publish.static import dashboard_to_standalone_html
from nbdash.workspace import Workspace


def _standalone_page(cities: list[str]) -> str:
    """The page of a dashboard with a bar chart and a table of ``cities``."""
    ws = Workspace()
    ws.put("sales", pd.DataFrame({"city": cities, "sales": [5.0, 3.0]}))
    model = DashboardModel(DashboardSpec(name="cities"), ws)
    chart = ChartSpec(kind="bar", dataset="sales", x="city", y="sales")
    model.add_chart(chart, title="Sales by city", tile_id="bars")
    model.add_table("sales", title="Rows", tile_id="rows")
    return dashboard_to_standalone_html(model.spec, model.contents)


def _drawn(page: Any, html: str, name: str) -> tuple[bytes, bytes]:
    """Pictures of the chart's category labels and of the table, as the page shows."""
    page.set_content(html)
    page.locator(".nbdash-plot .main-svg").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    labels = page.locator(".nbdash-plot .xaxislayer-above").screenshot()
    table = page.locator('[data-tile="rows"] tbody').screenshot()
    return labels, table


def test_cjk_labels_are_not_drawn_as_boxes(page: Any) -> None:
    # Unassigned code points that no font has are drawn as the missing-glyph box; so
    # would 東京 and 大阪 be without a CJK font, pixel for pixel the same.
    boxes = _drawn(page, _standalone_page(["\u0378\u0379", "\u0380\u0381"]), "boxes")
    cities = _drawn(page, _standalone_page(["東京", "大阪"]), "standalone_cjk")

    as_boxes = [city == box for city, box in zip(cities, boxes, strict=True)]
    hint = "no font with CJK glyphs: run scripts/install-chromium.sh"
    assert as_boxes == [False, False], f"chart labels, table cells as boxes; {hint}"
