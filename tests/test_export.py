from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from nbdash.export import (
    export_bytes,
    neutralise_formulas,
    to_csv_bytes,
    to_excel_bytes,
    to_json_bytes,
)


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["West", "East", None, "North"],
            "revenue": [10.5, -3.25, 7.0, None],
            "units": [1, 2, 3, 4],
            "day": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-02-29", "2024-03-01"]
            ),
        }
    )


@pytest.fixture
def formula_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "note": [
                '=HYPERLINK("http://x")',
                "+1+1",
                "-2+3",
                "@SUM(A1)",
                "plain",
                "a=b",
            ],
            "amount": [-1, 2, -3, 4, 5, 6],
        }
    )


def test_csv_round_trip(mixed_frame: pd.DataFrame) -> None:
    back = pd.read_csv(io.BytesIO(to_csv_bytes(mixed_frame)), parse_dates=["day"])

    assert back["region"].tolist()[:2] == ["West", "East"]
    assert pd.isna(back["region"][2])
    assert back["revenue"].tolist()[:3] == [10.5, -3.25, 7.0]
    assert back["units"].tolist() == [1, 2, 3, 4]
    assert back["day"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01",
        "2024-01-02",
        "2024-02-29",
        "2024-03-01",
    ]


def test_csv_neutralises_formula_cells(formula_frame: pd.DataFrame) -> None:
    back = pd.read_csv(io.BytesIO(to_csv_bytes(formula_frame)))

    assert back["note"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "plain",
        "a=b",
    ]
    # Numbers stay numbers: a negative amount is not a formula.
    assert back["amount"].tolist() == [-1, 2, -3, 4, 5, 6]


def test_csv_unsafe_keeps_cells(formula_frame: pd.DataFrame) -> None:
    back = pd.read_csv(io.BytesIO(to_csv_bytes(formula_frame, safe=False)))

    assert back["note"].tolist() == formula_frame["note"].tolist()


def test_neutralise_formula_column_names() -> None:
    frame = pd.DataFrame({"=cmd": [1], "ok": [2]})

    assert list(neutralise_formulas(frame).columns) == ["'=cmd", "ok"]
    assert list(frame.columns) == ["=cmd", "ok"]


def test_json_round_trip(mixed_frame: pd.DataFrame) -> None:
    records = json.loads(to_json_bytes(mixed_frame))

    assert len(records) == 4
    assert records[0]["region"] == "West"
    assert records[1]["revenue"] == -3.25
    assert records[2]["region"] is None
    assert records[3]["revenue"] is None
    assert records[2]["day"].startswith("2024-02-29")
    assert [r["units"] for r in records] == [1, 2, 3, 4]


def test_json_keeps_non_ascii_text() -> None:
    data = to_json_bytes(pd.DataFrame({"city": ["Zürich"]}))

    assert "Zürich".encode() in data


def test_excel_round_trip(mixed_frame: pd.DataFrame) -> None:
    back = pd.read_excel(io.BytesIO(to_excel_bytes(mixed_frame)))

    assert list(back.columns) == ["region", "revenue", "units", "day"]
    assert back["units"].tolist() == [1, 2, 3, 4]
    assert back["revenue"].tolist()[:3] == [10.5, -3.25, 7.0]
    assert back["day"].dt.strftime("%Y-%m-%d").tolist()[2] == "2024-02-29"


def test_excel_drops_time_zone_keeping_wall_clock() -> None:
    day = pd.Series(pd.to_datetime(["2024-05-01 09:30"]).tz_localize("Europe/Paris"))
    back = pd.read_excel(io.BytesIO(to_excel_bytes(pd.DataFrame({"when": day}))))

    assert back["when"][0] == pd.Timestamp("2024-05-01 09:30")


def test_export_bytes_rejects_unknown_format(mixed_frame: pd.DataFrame) -> None:
    with pytest.raises(
        ValueError, match=r"Unknown export format 'xml'\. Expected one of: csv"
    ):
        export_bytes(mixed_frame, "xml")
