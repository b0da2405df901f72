"""Tests for nbdash.charts: aggregated data, figures, suggestions and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from nbdash.charts import ChartSpec, choose_bucket
from nbdash.errors import ColumnNotFoundError, SpecError

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def daily_frame() -> pd.DataFrame:
    """Ten days from Wed 2024-01-31; revenue is 1..10, regions cycle EU, US."""
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-31", periods=10, freq="D"),
            "revenue": np.arange(1.0, 11.0),
            "region": ["EU", "US"] * 5,
        }
    )


@pytest.fixture
def shop_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "shop": ["a", "b", "c", "d", "a", "b", "a", None],
            "sales": [5.0, 4.0, 3.0, 1.0, 5.0, 2.0, 2.0, 100.0],
        }
    )


def chart(**fields: object) -> ChartSpec:
    return ChartSpec.model_validate({"dataset": "sales", **fields})


def test_line_by_day_keeps_each_day(daily_frame: pd.DataFrame) -> None:
    data = chart(kind="line", x="date", y="revenue", bucket="day").data(daily_frame)

    assert data["date"].tolist() == list(pd.date_range("2024-01-31", periods=10))
    assert data["revenue"].tolist() == [float(n) for n in range(1, 11)]


def test_line_by_week_starts_on_monday(daily_frame: pd.DataFrame) -> None:
    data = chart(kind="line", x="date", y="revenue", bucket="week").data(daily_frame)

    # Wed 31 Jan - Sun 4 Feb hold 1..5; Mon 5 - Fri 9 Feb hold 6..10.
    mondays = [pd.Timestamp("2024-01-29"), pd.Timestamp("2024-02-05")]
    assert data["date"].tolist() == mondays
    assert data["revenue"].tolist() == [15.0, 40.0]


def test_line_by_month_mean(daily_frame: pd.DataFrame) -> None:
    spec = chart(kind="line", x="date", y="revenue", bucket="month", agg="mean")

    data = spec.data(daily_frame)

    assert data["date"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-02-01"),
    ]
    assert data["revenue"].tolist() == [1.0, 6.0]  # Jan: 1; Feb: mean of 2..10


def test_line_by_quarter_and_year_counts_rows(daily_frame: pd.DataFrame) -> None:
    quarter = chart(kind="line", x="date", bucket="quarter").data(daily_frame)
    year = chart(kind="line", x="date", bucket="year").data(daily_frame)

    assert quarter.to_dict("list") == {
        "date": [pd.Timestamp("2024-01-01")],
        "count": [10],
    }
    assert year["count"].tolist() == [10]


def test_line_with_color_splits_series(daily_frame: pd.DataFrame) -> None:
    spec = chart(kind="line", x="date", y="revenue", bucket="week", color="region")

    data = spec.data(daily_frame)

    expected = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-29"] * 2 + ["2024-02-05"] * 2),
            "region": ["EU", "US", "EU", "US"],
            "revenue": [9.0, 6.0, 16.0, 24.0],  # EU: 1,3,5 | 7,9; US: 2,4 | 6,8,10
        }
    )
    assert_frame_equal(data, expected, check_dtype=False)


def test_line_bucket_on_time_zone_dates_uses_local_days() -> None:
    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2024-03-01 23:30", "2024-03-02 00:30"]).tz_localize(
                "Europe/Paris"
            ),
            "n": [1.0, 2.0],
        }
    )

    data = chart(kind="line", x="at", y="n", bucket="day").data(frame)

    assert data["n"].tolist() == [1.0, 2.0]


def test_line_on_numbers_sorts_by_x() -> None:
    frame = pd.DataFrame({"size": [3, 1, 2, 1], "price": [30.0, 10.0, 20.0, 12.0]})

    data = chart(kind="line", x="size", y="price", agg="max").data(frame)

    assert data.to_dict("list") == {"size": [1, 2, 3], "price": [12.0, 20.0, 30.0]}


def test_bar_sorts_by_value_and_drops_missing_x(shop_frame: pd.DataFrame) -> None:
    data = chart(kind="bar", x="shop", y="sales").data(shop_frame)

    assert data.to_dict("list") == {
        "shop": ["a", "b", "c", "d"],
        "sales": [12.0, 6.0, 3.0, 1.0],
    }


def test_bar_top_n_collapses_the_rest_into_other(shop_frame: pd.DataFrame) -> None:
    data = chart(kind="bar", x="shop", y="sales", top_n=2).data(shop_frame)

    assert data.to_dict("list") == {
        "shop": ["a", "b", "Other"],
        "sales": [12.0, 6.0, 4.0],
    }


def test_top_n_other_of_a_mean_is_the_mean_of_its_rows(
    shop_frame: pd.DataFrame,
) -> None:
    data = chart(kind="bar", x="shop", y="sales", agg="mean", top_n=1).data(shop_frame)

    # c (3.0) has the largest mean after a (4.0); rest rows b 4, b 2, c 3, d 1.
    assert data["shop"].tolist() == ["a", "Other"]
    assert data["sales"].tolist() == [4.0, 2.5]


def test_pie_counts_rows_with_other_last(shop_frame: pd.DataFrame) -> None:
    data = chart(kind="pie", x="shop", top_n=1).data(shop_frame)

    assert data.to_dict("list") == {"shop": ["a", "Other"], "count": [3, 4]}


def test_other_label_does_not_clash_with_a_real_other() -> None:
    frame = pd.DataFrame({"k": ["Other", "Other", "x", "y"]})

    data = chart(kind="bar", x="k", top_n=1).data(frame)

    assert data["k"].tolist() == ["Other", "Other (rest)"]
    assert data["count"].tolist() == [2, 2]


def test_line_figure_has_one_scatter_per_series(daily_frame: pd.DataFrame) -> None:
    spec = chart(kind="line", x="date", y="revenue", bucket="week", color="region")

    figure = spec.to_figure(daily_frame)

    assert [trace.type for trace in figure.data] == ["scatter", "scatter"]
    assert [trace.name for trace in figure.data] == ["EU", "US"]
    assert list(figure.data[1].y) == [6.0, 24.0]
    assert figure.layout.title.text == "Revenue by week and region"
    assert figure.layout.yaxis.title.text == "Sum of revenue"
    assert figure.layout.xaxis.title.text == "date (week)"
    assert figure.layout.template.layout.paper_bgcolor == "white"


def test_bar_and_pie_figures(shop_frame: pd.DataFrame) -> None:
    bar = chart(kind="bar", x="shop", y="sales", title="Sales").to_figure(shop_frame)
    pie = chart(kind="pie", x="shop", y="sales").to_figure(shop_frame)

    assert bar.data[0].type == "bar"
    assert list(bar.data[0].x) == ["a", "b", "c", "d"]
    assert list(bar.data[0].y) == [12.0, 6.0, 3.0, 1.0]
    assert bar.layout.title.text == "Sales"
    assert pie.data[0].type == "pie"
    assert list(pie.data[0].labels) == ["a", "b", "c", "d"]
    assert list(pie.data[0].values) == [12.0, 6.0, 3.0, 1.0]


def test_html_in_labels_stays_plain_data() -> None:
    frame = pd.DataFrame({XSS: [XSS, "b", XSS], "v": [1.0, 2.0, 3.0]})
    spec = chart(kind="bar", x=XSS, y="v", color=None, title=XSS)

    figure = spec.to_figure(frame)

    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    assert list(figure.data[0].x) == [escaped, "b"]
    assert figure.layout.title.text == escaped
    assert figure.layout.xaxis.title.text == escaped
    assert "hovertemplate" not in figure.data[0].to_plotly_json()
    assert "<img" not in figure.to_json()


def test_series_names_from_user_data_are_plain_text() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [1.0, 2.0], "c": [XSS, "<b>b</b>"]})

    figure = chart(kind="line", x="x", y="y", color="c").to_figure(frame)

    names = sorted(trace.name for trace in figure.data)
    assert names == ["&lt;b&gt;b&lt;/b&gt;", "&lt;img src=x onerror=alert(1)&gt;"]


def test_missing_column_names_dataset(shop_frame: pd.DataFrame) -> None:
    with pytest.raises(ColumnNotFoundError) as caught:
        chart(kind="bar", x="shops", y="sales").data(shop_frame)

    assert str(caught.value) == (
        "Column 'shops' not found in dataset 'sales'. Did you mean 'shop'? "
        "Available: shop, sales."
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"kind": "line", "x": "shop", "y": "sales"},
            r"line chart needs dates or numbers",
        ),
        (
            {"kind": "bar", "x": "sales", "y": "shop"},
            r"column 'shop' holds .*, not numbers",
        ),
        (
            {"kind": "bar", "x": "shop", "y": "sales", "bucket": "day"},
            r"bucket 'day' needs a datetime x; column 'shop'",
        ),
    ],
)
def test_wrong_types_explain(
    shop_frame: pd.DataFrame, fields: dict[str, object], expected: str
) -> None:
    with pytest.raises(SpecError, match=expected):
        chart(**fields).validate_for(shop_frame)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": "radar", "x": "a"}, r"kind: Input should be 'line', 'area', 'bar'"),
        ({"kind": "pie", "x": "a", "color": "b"}, r"a pie chart has no 'color'"),
        (
            {"kind": "line", "x": "a", "top_n": 3},
            r"'top_n' applies to bar, pie, donut, box, heatmap charts",
        ),
        ({"kind": "bar", "x": "a", "top_n": 0}, r"top_n: Input should be greater"),
        ({"kind": "bar", "x": "a", "agg": "sum"}, r"without 'y' the chart counts rows"),
        ({"kind": "bar", "x": "a", "y": "a"}, r"must be different columns"),
        ({"kind": "bar", "x": "a", "bucket": "hour"}, r"bucket: Input should be 'day'"),
        (
            {"kind": "bar", "x": "a", "shape": 3},
            r"shape: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_specs_raise_spec_error(fields: dict[str, object], expected: str) -> None:
    with pytest.raises(SpecError, match=expected):
        chart(**fields)


def test_spec_json_round_trip() -> None:
    spec = chart(kind="bar", x="shop", y="sales", agg="mean", top_n=3, title="T")

    assert ChartSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (10, "day"),
        (62, "day"),
        (90, "week"),
        (700, "month"),
        (3000, "quarter"),
        (9000, "year"),
    ],
)
def test_bucket_follows_the_span(days: int, bucket: str) -> None:
    start = pd.Timestamp("2020-01-01")
    dates = pd.Series([start, start + pd.Timedelta(days=days)])

    assert choose_bucket(dates) == bucket


def test_sorted_x_with_repeats_is_still_aggregated() -> None:
    frame = pd.DataFrame(
        {"t": [1.0, 1.0, 2.0, 3.0, 3.0], "v": [1.0, 2.0, 3.0, 4.0, 5.0]}
    )

    data = chart(kind="line", x="t", y="v").data(frame)

    assert data.to_dict("list") == {"t": [1.0, 2.0, 3.0], "v": [3.0, 3.0, 9.0]}


def test_made_titles_read_like_words_and_keep_the_users_case():
    from nbdash.charts import ChartSpec

    bar = ChartSpec(dataset="tips", kind="bar", x="sex", y="total_bill", agg="sum")
    assert bar.display_title == "Total bill by sex"
    pie = ChartSpec(dataset="tips", kind="pie", x="day_of_week", y=None, agg="count")
    assert pie.display_title == "Share of rows by day of week"
    scatter = ChartSpec(dataset="tips", kind="scatter", x="total_bill", y="Tip_USD")
    assert scatter.display_title == "Tip USD against total bill"
    named = ChartSpec(dataset="tips", kind="bar", x="sex", title="my_own title")
    assert named.display_title == "my_own title"


def test_value_axis_names_the_aggregate_once():
    from nbdash.charts import ChartSpec

    def y_title(y: str, agg: str) -> str:
        return ChartSpec(dataset="d", kind="bar", x="region", y=y, agg=agg).y_title

    assert y_title("revenue", "sum") == "Sum of revenue"
    # A group step's output column already says its aggregate.
    assert y_title("revenue_sum", "sum") == "Revenue sum"
    assert y_title("price_mean", "mean") == "Price mean"
    assert y_title("price_mean", "max") == "Maximum of price_mean"


def test_weekday_and_month_categories_in_calendar_order():
    from nbdash.charts import ChartSpec

    # Saturday has the most rows, Friday the fewest: value order would differ.
    days = ["Sat"] * 5 + ["Sun"] * 4 + ["Thur"] * 3 + ["Fri"] * 1
    frame = pd.DataFrame({"day": days, "tip": [1.0] * len(days)})
    spec = ChartSpec(dataset="tips", kind="bar", x="day", y="tip", agg="sum")
    assert list(spec.data(frame)["day"]) == ["Thur", "Fri", "Sat", "Sun"]

    months = ["March", "jan", "Sept", "Feb.", "December"]
    frame = pd.DataFrame({"month": months, "n": [5.0, 1.0, 9.0, 2.0, 3.0]})
    pie = ChartSpec(dataset="m", kind="pie", x="month", y="n", agg="sum")
    assert list(pie.data(frame)["month"]) == [
        "jan",
        "Feb.",
        "March",
        "Sept",
        "December",
    ]

    # Other text keeps the largest-first order; an explicit sort is obeyed.
    mixed = pd.DataFrame({"day": ["Sun", "Sun", "Holiday"], "tip": [1.0, 1.0, 5.0]})
    assert list(spec.data(mixed)["day"]) == ["Holiday", "Sun"]
    by_value = spec.model_copy(update={"sort": "value_desc"})
    assert list(by_value.data(pd.DataFrame({"day": days, "tip": 1.0}))["day"]) == [
        "Sat",
        "Sun",
        "Thur",
        "Fri",
    ]
