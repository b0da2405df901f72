"""Insights: real series from statsmodels, structureless series, bad input, text."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from nbdash.errors import ColumnNotFoundError, SpecError
from nbdash.insights import InsightSettings, find_insights, fmt

TIME_KINDS = {"trend", "change", "anomaly", "seasonality", "driver"}


@pytest.fixture(autouse=True)
def nbdash_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", module="nbdash")
        yield


@pytest.fixture
def nile() -> pd.DataFrame:
    import statsmodels.api as sm

    data = sm.datasets.nile.load_pandas().data
    years = pd.to_datetime(data["year"].astype(int).astype(str))
    return pd.DataFrame({"year": years, "volume": data["volume"]})


@pytest.fixture
def co2() -> pd.DataFrame:
    import statsmodels.api as sm

    data = sm.datasets.co2.load_pandas().data
    return data.reset_index().rename(columns={"index": "date"})


def test_nile_level_shift_found_and_dated(nile):
    report = find_insights(nile, name="nile")
    shifts = [i for i in report.insights if i.evidence.get("type") == "shift down"]
    assert shifts, report.to_text()
    assert 1895 <= pd.Timestamp(shifts[0].evidence["at"]).year <= 1900
    before = nile.loc[nile.year.dt.year < 1898, "volume"].median()
    assert shifts[0].evidence["expected"] == pytest.approx(before, rel=0.1)
    assert "from 189" in shifts[0].sentence


def test_co2_upward_trend_and_yearly_cycle(co2):
    report = find_insights(co2, name="co2")
    trends = [i for i in report.insights if i.kind == "trend"]
    assert trends and "rose" in trends[0].sentence
    first = co2.co2.iloc[:52].mean()
    last = co2.co2.iloc[-52:].mean()
    assert trends[0].evidence["fitted_end"] - trends[0].evidence["fitted_start"] == (
        pytest.approx(last - first, rel=0.15)
    )
    cycle = [i for i in report.insights if i.kind == "seasonality"]
    assert cycle and cycle[0].evidence["cycle"] == "year"
    assert cycle[0].evidence["peak"] == "May"
    assert "yearly cycle" in cycle[0].sentence


@pytest.mark.parametrize("seed", range(4))
def test_no_claims_on_structureless_series(seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2022-01-03", periods=364),
            "noise": rng.normal(100, 10, 364),
            "walk": 100 + rng.normal(0, 1, 364).cumsum(),
        }
    )
    report = find_insights(frame, {"kinds": sorted(TIME_KINDS)}, name="noise")
    claims = [i for i in report.insights if i.evidence.get("measure") == "noise"]
    assert claims == [], report.to_text()
    walk = [i for i in report.insights if i.evidence.get("measure") == "walk"]
    assert not [i for i in walk if i.kind in ("seasonality", "anomaly")], (
        report.to_text()
    )


def _sales() -> pd.DataFrame:
    """Four regions of about 1,000 a day; West adds 440 a day from November: +11%."""
    rng = np.random.default_rng(7)
    days = pd.date_range("2024-01-01", "2024-12-12", freq="D")
    rows = []
    for day in days:
        for region in ("North", "South", "East", "West"):
            revenue = 1000 + rng.normal(0, 20)
            if region == "West" and day >= pd.Timestamp("2024-11-01"):
                revenue += 440
            rows.append((day, region, revenue))
    return pd.DataFrame(rows, columns=["date", "region", "revenue"])


def test_change_per_day_driver_and_incomplete_final_month():
    frame = _sales()
    report = find_insights(frame, {"kinds": ["change", "driver"]}, name="sales")
    change = next(i for i in report.insights if i.kind == "change")
    assert change.evidence["period"] == "2024-11-01"  # December is incomplete
    nov = frame[frame.date.dt.month == 11].revenue.sum()
    octo = frame[frame.date.dt.month == 10].revenue.sum()
    assert change.evidence["value"] == pytest.approx(nov)
    # November has 30 days and October 31: compared per day, the rise is about 11%.
    assert change.evidence["relative_change"] == pytest.approx(
        (nov / 30) / (octo / 31) - 1
    )
    assert 0.10 < change.evidence["relative_change"] < 0.12
    assert change.sentence.startswith("Revenue per day rose 11% in November 2024")
    driver = next(i for i in report.insights if i.kind == "driver")
    west = frame[frame.region == "West"]
    delta = (
        west[west.date.dt.month == 11].revenue.sum() / 30
        - west[west.date.dt.month == 10].revenue.sum() / 31
    )
    assert driver.evidence["value"] == "West"
    assert driver.evidence["contribution"] == pytest.approx(delta)
    assert (
        "West" in driver.sentence
        and "$" in driver.sentence
        and "a day" in driver.sentence
    )


def test_steady_daily_sales_over_months_claim_no_change():
    """Equal sales every day: months differ only in length, which is not a change."""
    days = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"date": days, "revenue": 1000 + rng.normal(0, 5, len(days))})
    report = find_insights(frame, {"kinds": ["change"]}, name="flat")
    assert report.insights == [], report.to_text()


def test_aggregation_from_settings_name_and_values():
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "date": np.repeat(days, 3),
            "conversion": rng.uniform(0.1, 0.3, 360),  # a share: averaged
            "visitors": rng.poisson(50, 360).astype(float),  # a count: summed
            "reading": rng.normal(20, 1, 360),  # hovers around a level: averaged
        }
    )
    from nbdash.insights.context import Context
    from nbdash.insights.roles import detect_roles
    from nbdash.insights.series import aggregation, measure_series

    def context(settings: dict) -> Context:
        roles = detect_roles(frame)
        return Context(frame, roles, InsightSettings(**settings), "t")

    auto = context({})
    assert [aggregation(auto, m) for m in ("conversion", "visitors", "reading")] == [
        "mean",
        "sum",
        "mean",
    ]
    chosen = context({"aggregation": {"visitors": "mean"}})
    assert aggregation(chosen, "visitors") == "mean"
    daily = measure_series(auto, "visitors", "day").values
    assert daily.iloc[0] == pytest.approx(frame.visitors.iloc[:3].sum())
    daily = measure_series(chosen, "visitors", "day").values
    assert daily.iloc[0] == pytest.approx(frame.visitors.iloc[:3].mean())


def test_random_walk_measure_skips_only_itself():
    rng = np.random.default_rng(5)
    orders = rng.normal(100, 5, 365)
    orders[200] = 180.0
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2023-01-02", periods=365),
            "walk": 100 + rng.normal(0, 1, 365).cumsum(),
            "orders": orders,
        }
    )
    report = find_insights(frame, {"kinds": ["anomaly"]}, name="rw")
    assert any("walk wanders like a random walk" in s for s in report.skipped)
    spikes = [i for i in report.insights if i.evidence["measure"] == "orders"]
    assert [i.evidence["at"] for i in spikes] == ["2023-07-21"]
    assert "spiked on 21 Jul 2023" in spikes[0].sentence


def test_no_outliers_on_skewed_data_and_planted_ones_found():
    rng = np.random.default_rng(4)
    skewed = pd.DataFrame(
        {"spend": rng.lognormal(3, 1, 8_000), "items": rng.gamma(1.5, 2, 8_000)}
    )
    report = find_insights(skewed, {"kinds": ["outlier"]}, name="skew")
    assert report.insights == [], report.to_text()

    # Twelve rows far from a round cloud: high a and c with low b and d.
    planted = pd.DataFrame(rng.normal(size=(8_000, 4)), columns=list("abcd"))
    planted.iloc[:12] = np.array([6.0, -6.0, 6.0, -6.0]) + rng.normal(0, 0.3, (12, 4))
    report = find_insights(planted, {"kinds": ["outlier"]}, name="planted")
    item = report.insights[0]
    assert item.evidence["rows_flagged"] == 12
    assert item.evidence["sampled"] is False
    assert "unusual combinations" in item.sentence


def test_concentration_top_share():
    customers = [f"c{i}" for i in range(20)]
    revenue = [100.0] * 5 + [10.0] * 15
    frame = pd.DataFrame({"customer": customers * 2, "revenue": revenue * 2})
    report = find_insights(frame, {"kinds": ["concentration"]}, name="s")
    item = report.insights[0]
    assert item.evidence["top_share"] == pytest.approx(400 / 650)
    assert "62%" in item.sentence and "top 4" in item.sentence


def test_quality_missing_constant_duplicates():
    frame = pd.DataFrame(
        {"a": [1, 2, 3, 3], "b": [None, None, 1.0, 1.0], "c": ["x"] * 4}
    )
    report = find_insights(frame, {"kinds": ["quality"]}, name="q")
    text = report.to_text()
    assert "Column b is mostly missing: 50% of values are empty." in text
    assert "Column c has the same value (x) in every row." in text
    assert "1 row is an exact duplicate of another row (25% of the data)." in text


def test_duplicates_need_every_column_equal():
    frame = pd.DataFrame(
        {
            "amount": [1.5, 1.5, 2.5, 2.5, 2.5, 3.5],
            "count": [1, 1, 2, 2, 2, 3],
            "name": ["a", "b", "c", "c", "c", "d"],
        }
    )
    report = find_insights(frame, {"kinds": ["quality"]}, name="d")
    # Rows 0 and 1 differ in name; rows 3 and 4 repeat row 2 exactly.
    assert "2 rows are exact duplicates of another row (33% of the data)." in (
        report.to_text()
    )


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"region": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]}),
        pd.DataFrame({"date": ["2024-01-01"], "x": [1.0]}),
        pd.DataFrame(
            {"date": pd.date_range("2024-01-01", periods=30), "x": [None] * 30}
        ),
        pd.DataFrame(
            {"date": pd.date_range("2024-01-01", periods=30), "x": [5.0] * 30}
        ),
        pd.DataFrame({"x": []}),
    ],
    ids=["no-time", "single-row", "all-missing", "constant", "empty"],
)
def test_bad_input_gives_reasons_not_tracebacks(frame):
    report = find_insights(frame, name="bad")
    assert report.skipped
    assert not [i for i in report.insights if i.kind in TIME_KINDS]
    assert not [s for s in report.skipped if "failed" in s], report.skipped
    json.dumps(report.to_dict())


def test_no_time_column_reason():
    report = find_insights(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), name="t")
    assert any("No time column was found" in s for s in report.skipped)


def test_irregular_and_mixed_time_zones():
    rng = np.random.default_rng(3)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.sort(rng.uniform(0, 200, 500)), unit="D"
    )
    text = [
        (
            s.tz_localize("UTC").tz_convert(
                "Europe/Paris" if i % 2 else "America/New_York"
            )
        ).isoformat()
        for i, s in enumerate(stamps)
    ]
    frame = pd.DataFrame({"when": text, "orders": rng.poisson(20, 500).astype(float)})
    report = find_insights(frame, name="tz")
    assert report.roles["time"] == "when"
    assert any("mixes time zones" in s for s in report.skipped)
    assert not [s for s in report.skipped if "failed" in s], report.skipped


def test_settings_errors_and_columns():
    frame = pd.DataFrame({"revenue": [1.0, 2.0]})
    with pytest.raises(SpecError, match="max_insights"):
        find_insights(frame, {"max_insights": 0})
    with pytest.raises(ColumnNotFoundError, match="Did you mean 'revenue'"):
        find_insights(frame, InsightSettings(measures=["revnue"]), name="d")


def test_report_round_trips_as_json(co2):
    report = find_insights(co2, name="co2")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["insights"][0]["sentence"] == report.insights[0].sentence
    assert data["insights"][0]["chart"]["kind"] == "line"
    scores = [i["score"] for i in data["insights"]]
    assert scores == sorted(scores, reverse=True)


def test_formatting():
    assert fmt.number(12_400, money=True) == "$12.4k"
    assert fmt.percent(0.15) == "15%"
    assert fmt.date(pd.Timestamp("2024-12-12")) == "12 Dec 2024"
    assert fmt.signed(-1_500_000) == "-1.5M"


def test_id_like_columns_are_never_measures():
    from nbdash.insights.roles import detect_roles

    rng = np.random.default_rng(3)
    n = 60
    frame = pd.DataFrame(
        {
            "order id": rng.permutation(n) + 1000,  # unique integers, not in order
            "OrderID": rng.permutation(n).astype(float),
            "zip": rng.integers(10_000, 10_010, n),  # repeats, but a zip is no measure
            "invoice number": np.arange(n) * 1.0 + 0.5,
            "ticket": rng.permutation(n),  # unique integers whatever the name
            "number of items": rng.integers(1, 5, n),
            "amount": rng.normal(100, 10, n).round(2),
            "region": ["north", "south", "east"] * (n // 3),
        }
    )
    roles = detect_roles(frame)
    assert roles.measures == ["number of items", "amount"]
