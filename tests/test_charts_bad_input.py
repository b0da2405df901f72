"""Charts on bad input: each draws or says why not; markup always reads as text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nbdash.charts import KINDS, ChartSpec, unescape_label
from nbdash.errors import SpecError

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def chart(**fields: object) -> ChartSpec:
    return ChartSpec.model_validate({"dataset": "d", **fields})


def test_all_missing_measure_says_why() -> None:
    frame = pd.DataFrame({"k": ["a", "b"], "v": [np.nan, np.nan]})

    with pytest.raises(SpecError) as caught:
        chart(kind="bar", x="k", y="v").to_figure(frame)

    assert str(caught.value) == (
        "Chart 'V by k' on 'd': column 'v' has no values (all missing or infinite), "
        "so there is nothing to plot. Pick another column."
    )


def test_all_missing_categories_say_why() -> None:
    frame = pd.DataFrame({"k": [None, None, None], "v": [1.0, 2.0, 3.0]})

    with pytest.raises(SpecError, match=r"no rows to plot: k is missing in all 3 rows"):
        chart(kind="pie", x="k", y="v").data(frame)


def test_mixed_types_are_compared_as_text() -> None:
    frame = pd.DataFrame({"k": [1, "a", 1, 2.5, None], "v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    spec = chart(kind="bar", x="k", y="v")

    data = spec.data(frame)

    assert dict(zip(data["k"], data["v"], strict=True)) == {
        "1": 4.0,
        "2.5": 4.0,
        "a": 2.0,
    }
    assert "k mixes 3 types of values; shown as text." in spec.notes(frame)
    assert "1 rows without k are left out." in spec.notes(frame)


def test_mixed_types_as_a_measure_say_why() -> None:
    frame = pd.DataFrame({"k": ["a", "b"], "v": [1, "x"]})

    with pytest.raises(SpecError, match=r"column 'v' holds object, not numbers"):
        chart(kind="bar", x="k", y="v").data(frame)


def test_infinite_values_are_left_out_and_noted() -> None:
    frame = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "v": [1.0, np.inf, -np.inf, 4.0]})
    spec = chart(kind="line", x="t", y="v")

    figure = spec.to_figure(frame)

    assert list(figure.data[0].x) == [1.0, 4.0]
    assert list(figure.data[0].y) == [1.0, 4.0]
    assert "2 infinite values of v ignored." in figure.layout.title.subtitle.text
    assert "Infinity" not in figure.to_json()


def test_time_zone_dates_are_plotted_in_local_time() -> None:
    stamps = pd.to_datetime(["2024-03-01 23:30", "2024-03-02 08:00"]).tz_localize(
        "Asia/Tokyo"
    )
    frame = pd.DataFrame({"at": stamps, "v": [1.0, 2.0]})

    figure = chart(kind="line", x="at", y="v").to_figure(frame)

    assert figure.to_plotly_json()["data"][0]["x"][0] == np.datetime64(
        "2024-03-01T23:30"
    )
    assert (
        "at is shown in local time (Asia/Tokyo)." in figure.layout.title.subtitle.text
    )


def test_hundred_thousand_categories_become_top_20_and_other() -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {"customer": [f"c{i}" for i in range(100_000)], "v": rng.random(100_000)}
    )
    frame.loc[:19, "v"] = 10.0 + np.arange(20.0)  # the 20 largest, known

    spec = chart(kind="bar", x="customer", y="v")
    figure = spec.to_figure(frame)

    x = list(figure.data[0].x)
    assert x[:20] == [f"c{i}" for i in range(19, -1, -1)]
    assert x[20] == "Other"
    assert figure.data[0].y[20] == pytest.approx(frame["v"].iloc[20:].sum())
    assert "customer has 100,000 values: the 20 largest are shown" in (
        figure.layout.title.subtitle.text
    )


def test_html_is_escaped_everywhere_in_a_figure() -> None:
    frame = pd.DataFrame(
        {
            XSS: [XSS, "<b>b</b>", XSS, "c & d"],
            "v": [1.0, 2.0, 3.0, 4.0],
            "g": [XSS, "p", "p", XSS],
        }
    )
    spec = chart(kind="bar", x=XSS, y="v", color="g", title=XSS, y_label=XSS)

    figure = spec.to_figure(frame)

    text = figure.to_json()
    assert "<img" not in text and "<b>" not in text
    assert ESCAPED in [trace.name for trace in figure.data]
    assert set(figure.data[0].x) <= {ESCAPED, "&lt;b&gt;b&lt;/b&gt;", "c &amp; d"}
    assert figure.layout.legend.title.text == "g"
    assert figure.layout.yaxis.title.text == ESCAPED
    assert unescape_label(figure.data[0].x[0]) in {XSS, "<b>b</b>", "c & d"}


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("line", "area")])
def test_every_kind_escapes_markup(kind: str) -> None:
    frame = pd.DataFrame(
        {
            "when": pd.date_range("2024-01-01 10:00", periods=6, freq="20D"),
            "k": [XSS, "b", XSS, "b", XSS, "b"],
            "j": ["p", XSS, "p", XSS, "p", XSS],
            "v": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "w": [2.0, 1.0, 4.0, 3.0, 6.0, 5.0],
        }
    )
    fields: dict[str, object] = {
        "bar": {"x": "k", "y": "v"},
        "pie": {"x": "k", "y": "v"},
        "donut": {"x": "k", "y": "v"},
        "scatter": {"x": "v", "y": "w", "color": "k", "trend": True},
        "histogram": {"x": "v", "color": "k"},
        "box": {"x": "k", "y": "v"},
        "heatmap": {"x": "k", "color": "j"},
        "kpi": {"x": "when", "y": "v"},
    }[kind]

    figure = chart(kind=kind, title=XSS, **fields).to_figure(frame)  # type: ignore[arg-type]

    text = json.dumps(figure.to_plotly_json(), default=str)
    assert "<img" not in text
    assert figure.layout.title.text == ESCAPED


def test_kpi_of_a_column_without_dates_says_why() -> None:
    frame = pd.DataFrame({"k": ["a"], "v": [1.0]})

    with pytest.raises(SpecError, match=r"a KPI compares periods"):
        chart(kind="kpi", x="k", y="v").to_figure(frame)


def test_line_of_text_says_why() -> None:
    frame = pd.DataFrame({"k": ["a", "b"], "v": [1.0, 2.0]})

    with pytest.raises(SpecError, match=r"a line chart needs dates or numbers on x"):
        chart(kind="line", x="k", y="v").to_figure(frame)
