from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nbdash.errors import DatasetNotFoundError, ExportError
from nbdash.export import (
    export_bytes,
    export_dataset,
    neutralise_formulas,
    to_csv_bytes,
    to_excel_bytes,
    to_json_bytes,
    to_parquet_bytes,
)
from nbdash.workspace import Workspace


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
    back = pd.read_excel(io.BytesIO(to_excel_bytes(mixed_frame)), engine="openpyxl")

    assert list(back.columns) == ["region", "revenue", "units", "day"]
    assert back["units"].tolist() == [1, 2, 3, 4]
    assert back["revenue"].tolist()[:3] == [10.5, -3.25, 7.0]
    assert back["day"].dt.strftime("%Y-%m-%d").tolist()[2] == "2024-02-29"


def test_excel_drops_time_zone_keeping_wall_clock() -> None:
    day = pd.Series(pd.to_datetime(["2024-05-01 09:30"]).tz_localize("Europe/Paris"))
    back = pd.read_excel(
        io.BytesIO(to_excel_bytes(pd.DataFrame({"when": day}))), engine="openpyxl"
    )

    assert back["when"][0] == pd.Timestamp("2024-05-01 09:30")


def test_export_bytes_rejects_unknown_format(mixed_frame: pd.DataFrame) -> None:
    with pytest.raises(
        ValueError, match=r"Unknown export format 'xml'\. Expected one of: csv"
    ):
        export_bytes(mixed_frame, "xml")


def test_csv_neutralises_tab_and_carriage_return_starts() -> None:
    frame = pd.DataFrame({"note": ["\t=1+2", "\r=3", "ok\t"]})

    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), keep_default_na=False)

    assert back["note"].tolist() == ["'\t=1+2", "'\r=3", "ok\t"]


def test_parquet_round_trip_keeps_dtypes(mixed_frame: pd.DataFrame) -> None:
    import pyarrow.parquet as pq

    frame = mixed_frame.assign(
        region=pd.Categorical(mixed_frame["region"]),
        count=pd.array([1, None, 3, 4], dtype="Int64"),
        day=mixed_frame["day"].dt.tz_localize("Europe/Paris"),
    ).set_index("units")

    data = to_parquet_bytes(frame)
    table = pq.read_table(io.BytesIO(data))
    back = table.to_pandas()

    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    assert table.column_names == ["region", "revenue", "day", "count"]
    assert table.column("revenue").to_pylist()[:3] == [10.5, -3.25, 7.0]
    assert table.column("count").to_pylist() == [1, None, 3, 4]
    assert isinstance(back["region"].dtype, pd.CategoricalDtype)
    assert str(back["day"].dt.tz) == "Europe/Paris"
    assert back["day"][2] == pd.Timestamp("2024-02-29", tz="Europe/Paris")


def test_parquet_cells_are_never_rewritten(formula_frame: pd.DataFrame) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(export_bytes(formula_frame, "parquet")))

    assert table.column("note").to_pylist() == formula_frame["note"].tolist()


@pytest.fixture
def sales_workspace(formula_frame: pd.DataFrame) -> Workspace:
    ws = Workspace()
    ws.put("notes", formula_frame)
    return ws


@pytest.mark.parametrize(
    ("filename", "read"),
    [
        ("out.csv", lambda path: pd.read_csv(path)),
        ("out.json", lambda path: pd.DataFrame(json.loads(path.read_text()))),
        ("out.xlsx", lambda path: pd.read_excel(path, engine="openpyxl")),
        ("out.parquet", lambda path: pd.read_parquet(path)),
    ],
)
def test_export_dataset_picks_format_from_extension(
    sales_workspace: Workspace, tmp_path: Path, filename: str, read: Any
) -> None:
    path = export_dataset("notes", tmp_path / filename, workspace=sales_workspace)
    back = read(path)

    assert path == tmp_path / filename
    assert back["amount"].tolist() == [-1, 2, -3, 4, 5, 6]
    expected_first = "'=" if filename.endswith(".csv") else "="
    assert back["note"][0].startswith(expected_first)


def test_export_dataset_explicit_format_and_unsafe_csv(
    sales_workspace: Workspace, tmp_path: Path
) -> None:
    path = export_dataset(
        "notes",
        tmp_path / "notes.txt",
        format="csv",
        safe=False,
        workspace=sales_workspace,
    )

    assert pd.read_csv(path)["note"][0] == '=HYPERLINK("http://x")'


def test_export_dataset_unknown_extension_and_dataset(
    sales_workspace: Workspace, tmp_path: Path
) -> None:
    with pytest.raises(
        ValueError,
        match=r"Cannot tell the export format of '.*out\.xml' from its extension "
        r"'\.xml'\. Use one of \.csv, \.json, \.xlsx, \.parquet",
    ):
        export_dataset("notes", tmp_path / "out.xml", workspace=sales_workspace)
    with pytest.raises(DatasetNotFoundError, match="Dataset 'nope' not found"):
        export_dataset("nope", tmp_path / "out.csv", workspace=sales_workspace)
    assert not (tmp_path / "out.xml").exists()


def test_export_dataset_is_public_and_uses_default_workspace(
    memory_workspace: Workspace, tmp_path: Path
) -> None:
    import nbdash

    memory_workspace.put("tiny", pd.DataFrame({"a": [1, 2]}))

    path = nbdash.export_dataset("tiny", tmp_path / "tiny.parquet")

    assert pd.read_parquet(path)["a"].tolist() == [1, 2]


def test_excel_stores_formula_text_as_text(formula_frame: pd.DataFrame) -> None:
    import openpyxl

    sheet = openpyxl.load_workbook(
        io.BytesIO(to_excel_bytes(formula_frame.assign(extra="=1+1")))
    ).active
    notes = [cell for (cell,) in sheet.iter_rows(min_row=2, max_col=1)]

    assert [cell.value for cell in notes] == formula_frame["note"].tolist()
    assert {cell.data_type for cell in notes} == {"s"}
    assert {cell.data_type for (cell,) in sheet.iter_rows(min_row=2, min_col=3)} == {
        "s"
    }


def test_export_to_a_missing_folder_names_it(tmp_path: Path) -> None:
    workspace = Workspace()
    workspace.put("x", pd.DataFrame({"a": [1]}))
    target = tmp_path / "no" / "such" / "x.csv"

    with pytest.raises(ExportError) as caught:
        export_dataset("x", target, workspace=workspace)

    message = str(caught.value)
    assert f"the folder {str(tmp_path / 'no' / 'such')!r} does not exist" in message
    assert "mkdir(parents=True)" in message
    assert isinstance(caught.value, OSError)
    assert not (tmp_path / "no").exists()


def test_export_into_a_file_instead_of_a_folder_says_so(tmp_path: Path) -> None:
    workspace = Workspace()
    workspace.put("x", pd.DataFrame({"a": [1]}))
    (tmp_path / "plain").write_text("not a folder")

    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_dataset("x", tmp_path / "plain" / "x.csv", workspace=workspace)
