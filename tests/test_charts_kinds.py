"""Tests for every chart kind and option: the plotted values, worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nbdash.charts import ChartSpec, Kpi, format_number
from nbdash.errors import SpecError


def chart(**fields: object) -> ChartSpec:
    return ChartSpec.model_validate({"dataset": "d", **fields})


@pytest.fixture
def shop_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "shop": ["a", "b", "c", "a", "b", "a"],
            "sales": [5.0, 4.0, 3.0, 1.0, 2.0, 2.0],
            "costs": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            "channel": ["web", "web", "store", "store", "store", "web"],
        }
    )


def test_old_saved_spec_json_still_reads() -> None:
    saved = (
        '{"kind": "bar", "dataset": "s", "x": "k", "y": "v", "agg": "sum", '
        '"bucket": null, "color": null, "title": "T", "top_n": 3}'
    )

    spec = ChartSpec.from_json(saved)

    assert (spec.kind, spec.top_n, spec.title, spec.sort) == ("bar", 3, "T", "auto")
    assert ChartSpec.from_json(spec.to_json()) == spec


def test_area_with_measures_stacks_one_series_per_measure(
    shop_frame: pd.DataFrame,
) -> None:
    frame = shop_frame.assign(day=pd.date_range("2024-01-01", periods=6))
    spec = chart(kind="area", x="day", y="sales", measures=["costs"], stacked=True)

    figure = spec.to_figure(frame)

    assert [trace.name for trace in figure.data] == ["sales", "costs"]
    assert list(figure.data[0].y) == [5.0, 4.0, 3.0, 1.0, 2.0, 2.0]
    assert list(figure.data[1].y) == [1.0] * 6
    assert {trace.stackgroup for trace in figure.data} == {"one"}
    assert figure.layout.yaxis.title.text == "Sum"


def test_rolling_average_per_point() -> None:
    frame = pd.DataFrame({"t": [1, 2, 3, 4], "v": [2.0, 4.0, 6.0, 10.0]})

    data = chart(kind="line", x="t", y="v", rolling=2).data(frame)

    assert data["v"].tolist() == [2.0, 3.0, 5.0, 8.0]


def test_rolling_average_restarts_for_each_series() -> None:
    frame = pd.DataFrame(
        {"t": [1, 2, 3, 1, 2, 3], "v": [1.0, 3.0, 5.0, 10.0, 20.0, 60.0]}
        | {"g": ["a", "a", "a", "b", "b", "b"]}
    )

    data = chart(kind="line", x="t", y="v", color="g", rolling=3).data(frame)

    by_series = {g: part["v"].tolist() for g, part in data.groupby("g")}
    assert by_series == {"a": [1.0, 2.0, 3.0], "b": [10.0, 15.0, 30.0]}


def test_stacked_horizontal_bar(shop_frame: pd.DataFrame) -> None:
    spec = chart(kind="bar", x="shop", y="sales", color="channel", stacked=True)
    sideways = chart(kind="bar", x="shop", y="sales", horizontal=True)

    stacked = spec.to_figure(shop_frame)
    horizontal = sideways.to_figure(shop_frame)

    assert stacked.layout.barmode == "stack"
    web = next(trace for trace in stacked.data if trace.name == "web")
    assert dict(zip(web.x, web.y, strict=True)) == {"a": 7.0, "b": 4.0}
    assert horizontal.data[0].orientation == "h"
    assert list(horizontal.data[0].y) == ["a", "b", "c"]
    assert list(horizontal.data[0].x) == [8.0, 6.0, 3.0]
    assert horizontal.layout.xaxis.title.text == "Sum of sales"


def test_bar_sort_by_value_and_label() -> None:
    frame = pd.DataFrame({"k": ["m", "z", "a"], "v": [2.0, 3.0, 1.0]})

    def order(sort: str) -> list[str]:
        return chart(kind="bar", x="k", y="v", sort=sort).data(frame)["k"].tolist()

    assert order("auto") == ["z", "m", "a"]
    assert order("value_desc") == ["z", "m", "a"]
    assert order("value_asc") == ["a", "m", "z"]
    assert order("label_asc") == ["a", "m", "z"]
    assert order("label_desc") == ["z", "m", "a"]


def test_donut_has_a_hole(shop_frame: pd.DataFrame) -> None:
    figure = chart(kind="donut", x="shop", y="sales").to_figure(shop_frame)

    assert figure.data[0].hole == 0.5
    assert list(figure.data[0].values) == [8.0, 6.0, 3.0]


def test_scatter_colour_size_and_trend() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0],
            "y": [1.0, 3.0, 2.0, 5.0],
            "g": ["p", "q", "p", "q"],
            "w": [1.0, 2.0, 3.0, 5.0],
        }
    )
    spec = chart(kind="scatter", x="x", y="y", color="g", size="w", trend=True)

    figure = spec.to_figure(frame)

    assert [trace.name for trace in figure.data] == ["p", "q", "trend (least squares)"]
    assert list(figure.data[0].x) == [1.0, 3.0]
    sizes = list(figure.data[1].marker.size)  # w = 2 and 5 of 1..5
    assert sizes == pytest.approx([6 + 24 * np.sqrt(0.25), 30.0])
    # Least squares by hand: mean x 2.5, mean y 2.75, Sxy 5.5, Sxx 5 -> slope 1.1,
    # intercept 2.75 - 1.1 * 2.5 = 0.
    trend = figure.data[2]
    assert list(trend.x) == [1.0, 4.0]
    assert list(trend.y) == pytest.approx([1.1, 4.4])


def test_scatter_coloured_by_a_number_uses_a_scale() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0], "t": [10.0, 20.0]})

    figure = chart(kind="scatter", x="x", y="y", color="t").to_figure(frame)

    assert len(figure.data) == 1
    assert list(figure.data[0].marker.color) == [10.0, 20.0]


def test_histogram_counts_per_bin() -> None:
    frame = pd.DataFrame({"v": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0]})

    data = chart(kind="histogram", x="v", bins=4).data(frame)

    # Edges 0, 1.75, 3.5, 5.25, 7; the last bin includes 7.
    assert data["bin_start"].tolist() == [0.0, 1.75, 3.5, 5.25]
    assert data["count"].tolist() == [2, 2, 2, 3]
    figure = chart(kind="histogram", x="v", bins=4).to_figure(frame)
    assert list(figure.data[0].x) == [0.875, 2.625, 4.375, 6.125]


def test_box_statistics_and_fences() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 100.0]
    frame = pd.DataFrame({"k": ["a"] * 5 + ["b"] * 2, "v": [*values, 5.0, 7.0]})

    data = chart(kind="box", x="k", y="v").data(frame).set_index("k")

    # Linear quartiles of 1,2,3,4,100: q1 2, median 3, q3 4; fences 2 - 3, 4 + 3.
    assert data.loc["a", ["q1", "median", "q3"]].tolist() == [2.0, 3.0, 4.0]
    assert data.loc["a", ["lower_fence", "upper_fence"]].tolist() == [1.0, 4.0]
    assert data.loc["a", "max"] == 100.0
    assert data.loc["b", ["q1", "median", "q3"]].tolist() == [5.5, 6.0, 6.5]


def test_heatmap_weekday_by_hour() -> None:
    stamps = [
        "2024-01-01 09:10",
        "2024-01-01 09:50",
        "2024-01-02 14:00",
        "2024-01-07 09:00",
    ]
    frame = pd.DataFrame({"at": pd.to_datetime(stamps)})

    figure = chart(kind="heatmap", x="at").to_figure(frame)

    z = figure.data[0].z
    assert list(figure.data[0].y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(figure.data[0].x) == list(range(24))
    assert (z[0][9], z[1][14], z[6][9]) == (2.0, 1.0, 1.0)
    assert sum(cell is not None for row in z for cell in row) == 3


def test_heatmap_of_two_categories(shop_frame: pd.DataFrame) -> None:
    spec = chart(kind="heatmap", x="shop", y="sales", color="channel")

    figure = spec.to_figure(shop_frame)

    trace = figure.data[0]
    cells = {
        (row, column): trace.z[i][j]
        for i, row in enumerate(trace.y)
        for j, column in enumerate(trace.x)
    }
    assert cells[("web", "a")] == 7.0  # 5 + 2
    assert cells[("store", "b")] == 2.0
    assert cells[("web", "c")] is None


@pytest.fixture
def monthly_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "when": pd.to_datetime(
                ["2024-01-05", "2024-02-01", "2024-02-20", "2024-03-03", "2024-03-30"]
            ),
            "revenue": [10.0, 10.0, 10.0, 5.0, 20.0],
        }
    )


def test_kpi_compares_the_last_period_with_the_one_before(
    monthly_frame: pd.DataFrame,
) -> None:
    spec = chart(kind="kpi", x="when", y="revenue", number_format="$,.0f")

    kpi = spec.kpi(monthly_frame)

    assert isinstance(kpi, Kpi)
    assert (kpi.value, kpi.previous, kpi.change) == (25.0, 20.0, 0.25)
    assert (kpi.period, kpi.previous_period) == ("Mar 2024", "Feb 2024")
    assert (kpi.value_text, kpi.previous_text) == ("$25", "$20")
    assert kpi.change_text == "▲ 25.0%"
    assert json.loads(json.dumps(kpi.to_dict()))["value"] == 25.0


def test_kpi_without_a_previous_period(monthly_frame: pd.DataFrame) -> None:
    gap = monthly_frame[monthly_frame["when"].dt.month != 2]

    mean = chart(kind="kpi", x="when", y="revenue", agg="mean").kpi(gap)
    total = chart(kind="kpi", x="when", y="revenue", bucket="quarter").kpi(gap)

    assert (mean.value, mean.previous, mean.change_text) == (12.5, None, "-")
    assert (total.value, total.previous, total.period) == (35.0, 0.0, "Q1 2024")
    assert total.previous_period == "Q4 2023"
    assert total.change is None


def test_kpi_figure_is_text_and_needs_dates(monthly_frame: pd.DataFrame) -> None:
    spec = chart(kind="kpi", x="when", y="revenue", title="<b>Revenue</b>")

    figure = spec.to_figure(monthly_frame)

    assert len(figure.data) == 0
    texts = [annotation.text for annotation in figure.layout.annotations]
    assert texts[0] == "25" and texts[1].startswith("▲ 25.0% vs Feb 2024")
    assert figure.layout.title.text == "&lt;b&gt;Revenue&lt;/b&gt;"
    with pytest.raises(SpecError, match="a KPI compares periods, so x must hold dates"):
        chart(kind="kpi", x="revenue").kpi(monthly_frame)


def test_formats_palette_and_series_colours(shop_frame: pd.DataFrame) -> None:
    frame = shop_frame.assign(day=pd.date_range("2024-01-01", periods=6))
    spec = chart(
        kind="line",
        x="day",
        y="sales",
        color="channel",
        number_format="$,.2f",
        date_format="%d %b",
        palette="colorblind",
        colors={"web": "#ff0000"},
        x_label="Day",
        y_label="Takings",
    )

    figure = spec.to_figure(frame)

    assert figure.layout.yaxis.tickformat == "$,.2f"
    assert figure.layout.xaxis.tickformat == "%d %b"
    assert figure.layout.colorway[0] == "#0072b2"
    web = next(trace for trace in figure.data if trace.name == "web")
    assert web.line.color == "#ff0000"
    assert (figure.layout.xaxis.title.text, figure.layout.yaxis.title.text) == (
        "Day",
        "Takings",
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"number_format": "<script>"}, r"number_format '<script>' is not a d3"),
        ({"date_format": "%Y<b>"}, r"date_format '%Y<b>' is not a d3 date format"),
        ({"palette": "neon"}, r"palette 'neon' is unknown; choose one of default"),
        ({"colors": {"a": "url(x)"}}, r"colour 'url\(x\)' is not a colour"),
        ({"trend": True}, r"'trend' applies to scatter charts"),
        ({"kind": "scatter"}, r"a scatter chart needs a numeric 'y'"),
        ({"kind": "histogram", "y": "v"}, r"a histogram counts the values of 'x'"),
        ({"measures": ["m"], "color": "c"}, r"either 'measures' or 'color'"),
        ({"kind": "donut", "color": "c"}, r"a donut chart has no 'color'"),
    ],
)
def test_bad_options_explain(fields: dict[str, object], expected: str) -> None:
    base = {"kind": "bar", "x": "k", "y": "v"}
    if fields.get("kind") in ("scatter", "histogram"):
        base.pop("y")
    with pytest.raises(SpecError, match=expected):
        chart(**(base | fields))


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (1234567.891, ",.0f", "1,234,568"),
        (1234.5, "$,.2f", "$1,234.50"),
        (-1234.5, "$,.2f", "-$1,234.50"),
        (0.256, ".1%", "25.6%"),
        (2_500_000.0, ".2s", "2.5M"),
        (12.5, "", "12.5"),
        (float("nan"), ",.0f", "-"),
    ],
)
def test_format_number_like_d3(value: float, fmt: str, text: str) -> None:
    assert format_number(value, fmt) == text


def test_csv_of_the_plotted_data(shop_frame: pd.DataFrame) -> None:
    csv = chart(kind="bar", x="shop", y="sales").to_csv(shop_frame)

    assert csv.splitlines() == [b"shop,sales", b"a,8.0", b"b,6.0", b"c,3.0"]


def test_svg_image_shows_markup_as_text() -> None:
    from nbdash.publish.static import has_browser

    if not has_browser():
        pytest.skip("kaleido needs Chromium (BROWSER_PATH or chromium on PATH)")
    frame = pd.DataFrame({"k": ["<b>a</b>", "b"], "v": [1.0, 2.0]})
    spec = chart(kind="bar", x="k", y="v", title="Sales")

    svg = spec.to_image(frame, "svg", width=500, height=300)

    assert svg.startswith(b"<svg")
    # The label is drawn as the characters "<b>a</b>", not as bold markup.
    assert b">&#60;b&#62;a&#60;/b&#62;</text>" in svg
    assert b"<b>" not in svg
    with pytest.raises(SpecError, match=r"Chart images are 'png' or 'svg'"):
        spec.to_image(frame, "gif")  # type: ignore[arg-type]


def test_png_draws_cjk_labels_not_empty_boxes() -> None:
    from nbdash.publish.static import has_browser

    if not has_browser():
        pytest.skip("kaleido needs Chromium (BROWSER_PATH or chromium on PATH)")

    def png(labels: list[str]) -> bytes:
        frame = pd.DataFrame({"city": labels, "sales": [3.0, 5.0]})
        spec = chart(kind="bar", x="city", y="sales", title="Sales")
        return spec.to_image(frame, width=400, height=300)

    # Unassigned code points that no font has: drawn as the missing-glyph box. Labels
    # in a script without a font are drawn with the very same boxes, pixel for pixel.
    boxes = png(["\u0378\u0379", "\u0380\u0381"])
    cities = png(["東京", "大阪"])

    as_boxes = cities == boxes
    assert not as_boxes, "no font with CJK glyphs: run scripts/install-chromium.sh"


def test_kpi_of_a_period_in_progress_compares_the_same_days() -> None:
    # Data to Wednesday 17 Jan: this week (Mon 15 - Wed 17) against Mon 8 - Wed 10.
    days = pd.date_range("2024-01-08", "2024-01-17", freq="D")
    frame = pd.DataFrame({"day": days, "sales": np.arange(1.0, len(days) + 1)})

    kpi = chart(kind="kpi", x="day", y="sales", bucket="week").kpi(frame)

    # 8..14 Jan are 1..7; 15, 16, 17 Jan are 8, 9, 10.
    assert kpi.value == 8.0 + 9.0 + 10.0
    assert kpi.previous == 1.0 + 2.0 + 3.0
    assert kpi.change == pytest.approx(27.0 / 6.0 - 1.0)
    assert kpi.period == "week of 15 Jan 2024"
