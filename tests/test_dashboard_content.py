"""What table tiles show: numbers formatted per column (nbdash.dashboard.content)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from nbdash.dashboard import DashboardModel, DashboardSpec
from nbdash.dashboard.content import format_column, table_content
from nbdash.publish.static import dashboard_to_standalone_html
from nbdash.workspace import Workspace

warnings.filterwarnings("error", module="nbdash")


def test_table_tile_numbers_have_separators_and_one_precision_per_column() -> None:
    frame = pd.DataFrame(
        {
            "region": ["North", "South", "East"],
            "revenue": [12.345678901, 1234567.5, np.nan],
            "qty": pd.array([1200, None, 3], dtype="Int64"),
            "share": [0.0123456, 0.000987, 0.25],
            "order id": [100234, 100235, 100236],
            "year": [2023, 2024, 2024],
            "paid": [True, False, True],
        }
    )

    table = table_content(frame)

    assert table["rows"] == [
        ["North", "12.35", "1,200", "0.0123", "100234", "2023", True],
        ["South", "1,234,567.50", None, "0.0010", "100235", "2024", False],
        ["East", None, "3", "0.2500", "100236", "2024", True],
    ]
    assert table["numeric"] == [False, True, True, True, True, True, False]
    assert table["total_rows"] == 3


def test_whole_and_short_decimals_stay_as_short_as_they_are() -> None:
    assert format_column(pd.Series([3.0, 1500.0])) == ["3", "1,500"]
    assert format_column(pd.Series([2.5, 1000.25])) == ["2.50", "1,000.25"]
    assert format_column(pd.Series([0.5, 1.5])) == ["0.5", "1.5"]


def test_infinite_tiny_negative_and_huge_ids() -> None:
    assert format_column(pd.Series([np.inf, -np.inf, 1.0])) == ["∞", "-∞", "1"]
    assert format_column(pd.Series([-0.001, 250.125])) == ["0.00", "250.12"]
    assert format_column(pd.Series([2**60 + 1]), "customer id") == [
        "1152921504606846977"
    ]


def test_dashboard_table_and_its_html_export_show_formatted_numbers() -> None:
    ws = Workspace()
    ws.put("sales", pd.DataFrame({"region": ["N"], "revenue": [98765.4321]}))
    model = DashboardModel(DashboardSpec(name="d"), ws)
    tile = model.add_table("sales")

    assert model.contents[tile.id]["table"]["rows"] == [["N", "98,765.43"]]
    page = dashboard_to_standalone_html(model.spec, model.contents)
    assert "98,765.43" in page and "98765.4321" not in page
