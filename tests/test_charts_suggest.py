"""Tests for suggest_charts: ranked from column types and from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nbdash.charts import suggest_charts


def summary(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return [
        (s.kind, s.x, s.y, s.color, s.top_n) for s in suggest_charts(frame, "d", 20)
    ]


def test_ranked_suggestions_for_a_sales_table() -> None:
    frame = pd.DataFrame(
        {
            "order id": range(1, 201),
            "day": pd.date_range("2024-01-01", periods=200, freq="D"),
            "region": ["EU", "US", "APAC", "LATAM"] * 50,
            "product": [f"p{i % 15}" for i in range(200)],
            "revenue": np.linspace(1.0, 50.0, 200),
            "units": [1, 2, 3, 4, 5] * 40,
            "empty": [None] * 150 + [1.0] * 50,
            "const": ["x"] * 200,
        }
    )

    specs = suggest_charts(frame, "sales", limit=20)

    assert [(s.kind, s.x, s.y) for s in specs[:3]] == [
        ("line", "day", "revenue"),
        ("kpi", "day", "revenue"),
        ("bar", "region", "revenue"),
    ]
    assert (specs[0].bucket, specs[1].bucket) == ("week", "week")
    used = {name for spec in specs for name in spec.used_columns}
    assert used.isdisjoint({"order id", "empty", "const"})
    kinds = {spec.kind for spec in specs}
    assert {"pie", "scatter", "histogram", "box", "heatmap"} <= kinds
    product_bar = next(s for s in specs if s.kind == "bar" and s.x == "product")
    assert product_bar.top_n == 10
    for spec in specs:
        spec.to_figure(frame) if spec.kind != "kpi" else spec.kpi(frame)


def test_pie_only_for_few_categories_and_positive_values() -> None:
    few = pd.DataFrame({"k": ["a", "b", "a", "c"], "v": [1.0, 2.0, 3.0, 4.0]})
    negative = few.assign(v=[1.0, -2.0, 3.0, 4.0])
    many = pd.DataFrame({"k": [f"c{i}" for i in range(20)] * 2, "v": np.arange(40.0)})

    assert "pie" in [s.kind for s in suggest_charts(few, "d")]
    assert "pie" not in [s.kind for s in suggest_charts(negative, "d")]
    assert "pie" not in [s.kind for s in suggest_charts(many, "d")]


def test_correlated_measures_get_a_scatter_with_trend_first() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=100)
    frame = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(scale=0.1, size=100)})

    specs = suggest_charts(frame, "d")

    assert (specs[0].kind, specs[0].x, specs[0].y, specs[0].trend) == (
        "scatter",
        "x",
        "y",
        True,
    )
    assert specs[1].kind == "histogram"


def test_weekday_hour_heatmap_for_times_of_day() -> None:
    stamps = pd.date_range("2024-01-01 08:00", periods=200, freq="37min")
    with_hours = pd.DataFrame({"at": stamps, "v": np.arange(200.0)})
    days_only = pd.DataFrame({"at": stamps.normalize(), "v": np.arange(200.0)})

    assert ("heatmap", "at", "v", None, None) in summary(with_hours)
    assert "heatmap" not in [row[0] for row in summary(days_only)]


def test_without_measures_rows_are_counted() -> None:
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-12-01"]),
            "k": ["a", "b", "a"],
        }
    )

    specs = suggest_charts(frame, "events")

    assert [(s.kind, s.x, s.y, s.agg) for s in specs[:3]] == [
        ("line", "when", None, "count"),
        ("kpi", "when", None, "count"),
        ("bar", "k", None, "count"),
    ]


def test_suggestions_are_capped() -> None:
    frame = pd.DataFrame(
        {f"c{i}": ["a", "b"] * 5 for i in range(6)}
        | {f"n{i}": np.arange(10.0) * (i + 1) for i in range(6)}
        | {"d": pd.date_range("2024-01-01", periods=10)}
    )

    assert len(suggest_charts(frame, "wide")) == 8
    assert len(suggest_charts(frame, "wide", limit=3)) == 3


def test_id_like_columns_are_not_measures_in_suggestions():
    n = 40
    frame = pd.DataFrame(
        {
            "order id": list(range(n)),
            "customer_code": [f"{i:04d}" for i in range(n)],
            "phone": [5_550_000 + i % 7 for i in range(n)],
            "region": ["north", "south"] * (n // 2),
            "amount": [1.5 * i for i in range(n)],
        }
    )
    specs = suggest_charts(frame, "orders")
    used = {name for spec in specs for name in (spec.y, *(spec.measures or []))}
    assert used - {None} == {"amount"}
    assert all(spec.x not in ("order id", "phone") for spec in specs)
    assert specs[0].kind == "bar" and specs[0].x == "region" and specs[0].y == "amount"
