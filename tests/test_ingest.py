"""Tests for read_table: formats, encodings, dialects, types and problems."""

from __future__ import annotations

import io
import json
import math
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from nbdash.errors import IngestError
from nbdash.ingest import read_table

SPECTRUM = Path("/work/shared/data/csv-spectrum")
SPECTRUM_FILES = sorted((SPECTRUM / "csvs").glob("*.csv")) if SPECTRUM.is_dir() else []

TABLE_TEXT = "name,city,amount\nJosé,Zürich,1.5\nRenée,Köln,2.25\nŒuvre,€ville,-3\n"


@pytest.mark.skipif(
    not SPECTRUM_FILES, reason="csv-spectrum data not found at " + str(SPECTRUM)
)
@pytest.mark.parametrize("path", SPECTRUM_FILES, ids=lambda path: path.stem)
def test_csv_spectrum_matches_expected_records(path: Path) -> None:
    expected = json.loads(
        (SPECTRUM / "json" / f"{path.stem}.json").read_text(encoding="utf-8")
    )

    frame = read_table(path).frame

    assert list(frame.columns) == list(expected[0])
    got = [
        {key: _as_text(value) for key, value in row.items()}
        for row in frame.to_dict("records")
    ]
    assert got == expected


def _as_text(value: object) -> str:
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or value is pd.NA
    ):
        return ""
    return str(value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_encodings_give_the_same_values(encoding: str) -> None:
    # Enough rows that the encoding guess has something to go on.
    data = (TABLE_TEXT + "Ærø,Såby,4\n" * 20).encode(encoding)

    result = read_table(data, filename="people.csv")

    assert result.frame["name"].tolist()[:3] == ["José", "Renée", "Œuvre"]
    assert result.frame["city"].tolist()[:3] == ["Zürich", "Köln", "€ville"]
    assert result.frame["amount"].tolist()[:3] == [1.5, 2.25, -3.0]
    assert result.report.encoding.replace("_", "-") in {encoding, "utf-16", "cp1252"}
    assert list(result.frame.columns) == ["name", "city", "amount"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(delimiter: str) -> None:
    rows = [
        ["id", "label", "value"],
        ["1", "a b", "2.5"],
        ["2", "c", "3"],
        ["3", "d", "4"],
    ]
    data = "\n".join(delimiter.join(row) for row in rows).encode()

    result = read_table(data, filename="x.txt")

    assert result.report.delimiter == delimiter
    assert result.frame["value"].tolist() == [2.5, 3.0, 4.0]
    assert result.frame["label"].tolist() == ["a b", "c", "d"]


def test_delimiter_decided_from_many_lines_not_the_first() -> None:
    # The header has a comma in a name; the file is separated by semicolons.
    data = b"id;note, short;price\n1;a,b;1,5\n2;c;2\n3;d,e,f;3\n4;g;4\n"

    result = read_table(data, filename="eu.csv")

    assert result.report.delimiter == ";"
    assert list(result.frame.columns) == ["id", "note, short", "price"]


def test_one_column_file_stays_one_column() -> None:
    data = b'name\nAda\n"Lovelace, Ada"\nGrace\n'

    result = read_table(data, filename="names.csv")

    assert list(result.frame.columns) == ["name"]
    assert result.frame["name"].tolist() == ["Ada", "Lovelace, Ada", "Grace"]
    assert result.report.delimiter is None


def test_quoted_delimiters_and_newlines() -> None:
    data = b'a,b\n"x, y","line1\nline2"\n"z","w"\n'

    frame = read_table(data, filename="q.csv").frame

    assert frame["a"].tolist() == ["x, y", "z"]
    assert frame["b"].tolist() == ["line1\nline2", "w"]


def test_header_names_cleaned_and_originals_kept() -> None:
    data = b" id ,,id,value\n1,2,3,4\n"

    report = read_table(data, filename="h.csv").report

    assert [column.name for column in report.columns] == [
        "id",
        "column_2",
        "id_2",
        "value",
    ]
    assert [column.original_name for column in report.columns] == [
        " id ",
        "",
        "id",
        "value",
    ]


def test_ragged_rows_are_kept_and_reported_with_lines() -> None:
    data = b'a,b,c\n1,2,3\n4,5\n"multi\nline",7,8\n9,10,11,12\n13,14,15\n'

    result = read_table(data, filename="ragged.csv")
    frame = result.frame

    assert len(frame) == 5
    assert frame["a"].tolist() == ["1", "4", "multi\nline", "9", "13"]
    assert frame["c"].isna().tolist() == [False, True, False, False, False]
    assert frame["_extra"].tolist()[3] == "12"
    assert frame["_extra"].isna().sum() == 4
    assert [(problem.line, problem.column) for problem in result.report.problems] == [
        (3, None),
        (6, None),
    ]
    assert "2 fields, the header has 3" in result.report.problems[0].message
    assert "'_extra'" in result.report.problems[1].message


def test_types_are_inferred_from_all_values() -> None:
    data = (
        "int,nullable,float,money,flag,iso,dmy,zip,text,pct\n"
        '1,5,1.5,"$1,234.50",yes,2024-01-31,31/01/2024,00123,a,12%\n'
        "2,,2,£3,No,2024-02-01 10:30:00,01/02/2024,04567,b,5%\n"
        "-3,7,-0.25,€ 4,TRUE,2024-02-02,15/03/2024,99999,7,100%\n"
    ).encode()

    result = read_table(data, filename="types.csv")
    frame = result.frame
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}

    assert dtypes == {
        "int": "int64",
        "nullable": "Int64",
        "float": "float64",
        "money": "float64",
        "flag": "bool",
        "iso": "datetime64[us]",
        "dmy": "datetime64[us]",
        "zip": "str",
        "text": "str",
        "pct": "int64",
    }
    assert frame["money"].tolist() == [1234.5, 3.0, 4.0]
    assert frame["flag"].tolist() == [True, False, True]
    assert frame["iso"][1] == datetime(2024, 2, 1, 10, 30)
    assert frame["dmy"].tolist() == [
        datetime(2024, 1, 31),
        datetime(2024, 2, 1),
        datetime(2024, 3, 15),
    ]
    assert frame["zip"].tolist() == ["00123", "04567", "99999"]
    assert frame["pct"].tolist() == [12, 5, 100]
    notes = {column.name: " ".join(column.notes) for column in result.report.columns}
    assert "currency" in notes["money"] and "thousands" in notes["money"]
    assert "percent" in notes["pct"]


def test_ambiguous_dates_follow_dayfirst() -> None:
    data = b"d\n01/02/2024\n03/04/2024\n"

    month_first = read_table(data, filename="d.csv")
    day_first = read_table(data, filename="d.csv", dayfirst=True)

    assert month_first.frame["d"][0] == datetime(2024, 1, 2)
    assert "ambiguous" in month_first.report.columns[0].notes[-1]
    assert day_first.frame["d"][0] == datetime(2024, 2, 1)


def test_literal_na_is_kept_unless_asked() -> None:
    data = b"country,score\nNA,1\nFR,\nN/A,3\n"

    kept = read_table(data, filename="c.csv")
    dropped = read_table(data, filename="c.csv", missing_values=["NA", "N/A"])

    assert kept.frame["country"].tolist() == ["NA", "FR", "N/A"]
    assert "missing_values=['N/A', 'NA']" in " ".join(kept.report.columns[0].notes)
    assert kept.report.columns[1].missing == 1
    assert str(kept.frame["score"].dtype) == "Int64"
    assert dropped.frame["country"].isna().tolist() == [True, False, True]
    assert dropped.report.columns[0].missing == 2


def test_almost_numeric_column_reports_lines() -> None:
    rows = "".join(f"{value}\n" for value in range(1, 20))
    data = ("price\n" + rows[:8] + "n/a\n" + rows[8:]).encode()

    result = read_table(data, filename="p.csv")
    column = result.report.columns[0]

    # Header on line 1, values 1..4 on lines 2-5 ("1\n2\n3\n4\n" is 8 chars), n/a on 6.
    assert column.dtype == "str"
    assert column.unparseable == 1
    assert column.sample_lines == [6]
    assert result.report.problems[0].line == 6
    assert "'n/a' is not a number" in result.report.problems[0].message


def test_empty_and_whitespace_files_are_errors() -> None:
    for data in (b"", b"  \n\n \t\n"):
        with pytest.raises(
            IngestError, match=r"'blank\.csv' is empty.*first line names"
        ):
            read_table(data, filename="blank.csv")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n...", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
        (b"a,b\n1,\x00\x02\x03\x00\x00\x01,2\n" * 5, "binary data"),
    ],
)
def test_binary_files_are_not_text_tables(data: bytes, what: str) -> None:
    with pytest.raises(
        IngestError,
        match=f"not a text table: it looks like {what}.*Accepted formats: CSV",
    ):
        read_table(data, filename="thing.csv")


def test_zip_of_one_csv_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")

    result = read_table(buffer.getvalue(), filename="data.zip")

    assert result.frame.to_dict("list") == {"a": [1], "b": [2]}
    assert result.report.filename == "data.zip/data.csv"


def test_undecodable_bytes_name_the_line() -> None:
    data = b"a,b\n1,ok\n2,caf\xe9\n3,fine\n"

    with pytest.raises(
        IngestError, match=r"line 3 has bytes .* not valid utf-8"
    ) as caught:
        read_table(data, filename="bad.csv", encoding="utf-8")
    assert caught.value.line == 3
    assert caught.value.filename == "bad.csv"


def test_report_is_json_safe_and_html_escaped() -> None:
    data = b"<b>name</b>,n\n<script>x</script>,1\n"

    report = read_table(data, filename="<evil>.csv").report

    assert (
        json.loads(json.dumps(report.to_dict()))["columns"][0]["name"] == "<b>name</b>"
    )
    page = report._repr_html_()
    assert "<b>name</b>" not in page and "&lt;b&gt;name&lt;/b&gt;" in page
    assert "&lt;evil&gt;.csv" in page


def test_path_source_uses_its_name(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("region,revenue\nNorth,10\nSouth,20\n")

    result = read_table(path)

    assert result.report.filename == "sales.csv"
    assert result.frame["revenue"].sum() == 30


def test_excel_parquet_json_ndjson(tmp_path: Path, sales_frame: pd.DataFrame) -> None:
    excel = tmp_path / "book.xlsx"
    with pd.ExcelWriter(excel) as writer:
        sales_frame.head(2).to_excel(writer, sheet_name="first", index=False)
        sales_frame.to_excel(writer, sheet_name="second", index=False)
    parquet = tmp_path / "s.parquet"
    sales_frame.to_parquet(parquet)
    records = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]

    assert len(read_table(excel).frame) == 2
    assert read_table(excel, sheet="second").frame["revenue"].sum() == 32.0
    pd.testing.assert_frame_equal(
        read_table(parquet.read_bytes(), filename="x").frame, sales_frame
    )
    assert read_table(json.dumps(records).encode(), filename="r.json").frame[
        "a"
    ].tolist() == [1, 2]
    ndjson = "\n".join(json.dumps(record) for record in records).encode()
    assert read_table(ndjson, filename="r.ndjson").frame["b"].tolist() == ["x", "y"]
    with pytest.raises(
        IngestError, match=r"Sheet 'third' not found .* Sheets: first, second\."
    ):
        read_table(excel, sheet="third")
