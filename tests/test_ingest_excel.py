"""Excel sheets read like delimited text; overrides for Excel, JSON and Parquet."""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.chart
import pandas as pd
import pytest

from nbdash.errors import ColumnNotFoundError, IngestError
from nbdash.ingest import read_table
from nbdash.ingest.formats import cell_text
from nbdash.ingest.reading import list_sheets

Rows = list[list[Any]]


def workbook_bytes(sheets: dict[str, Rows]) -> bytes:
    """A workbook with one sheet per entry, each row appended as given."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_values(data: bytes, title: str) -> list[tuple[Any, ...]]:
    """The cell values as openpyxl reads them (full mode, not the reader's path)."""
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return list(book[title].values)


def lines_of(result: Any, text: str) -> list[int | None]:
    return [p.line for p in result.report.problems if text in p.message]


# Rows 1-4 a title block, 5 the header, 6-9 data, 10 a footnote.
EXPORT_ROWS: Rows = [
    ["Acme Ltd"],
    ["Sales by invoice"],
    ["January 2024"],
    [],
    ["Invoice", "Date", "Customer", "Amount", "Share"],
    ["00123", "03/04/2024", "Bob", "$1,234.00", "12%"],
    ["00124", "03/05/2024", "Ann", "$99.50", "5%"],
    ["00125", "03/06/2024", "Cy", "-$5.25", "83%"],
    ["00126", "03/07/2024", None, "$0.75", "0%"],
    ["Printed by the back office, all amounts in USD"],
]


@pytest.fixture
def export_book() -> bytes:
    """A back-office export: title rows, text numbers, zero-padded ids, footnote."""
    return workbook_bytes({"Sales": EXPORT_ROWS})


def test_export_reads_as_the_table_meant(export_book: bytes) -> None:
    result = read_table(export_book, filename="sales.xlsx")
    frame = result.frame

    assert list(frame.columns) == ["Invoice", "Date", "Customer", "Amount", "Share"]
    assert frame["Invoice"].tolist() == ["00123", "00124", "00125", "00126"]
    assert frame["Amount"].tolist() == [1234.0, 99.5, -5.25, 0.75]
    assert frame["Share"].tolist() == [12, 5, 83, 0]
    # Month first unless told otherwise, as for CSV.
    assert frame["Date"].tolist() == [
        pd.Timestamp(2024, 3, day) for day in (4, 5, 6, 7)
    ]
    assert frame["Customer"].isna().tolist() == [False, False, False, True]
    assert result.report.format == "xlsx" and result.report.rows == 4


def test_export_report_names_sheet_rows(export_book: bytes) -> None:
    result = read_table(export_book, filename="sales.xlsx")

    assert lines_of(result, "preamble line skipped") == [1, 2, 3]
    assert lines_of(result, "footnote line after the table dropped") == [10]
    amount = result.report.column("Amount")
    assert "currency signs removed: $" in amount.notes
    assert amount.kind == "number"


def test_dayfirst_and_leading_zero_override(export_book: bytes) -> None:
    result = read_table(
        export_book,
        filename="sales.xlsx",
        dayfirst=True,
        column_types={"Invoice": "integer"},
    )

    assert result.frame["Date"].tolist() == [
        pd.Timestamp(2024, month, 3) for month in (4, 5, 6, 7)
    ]
    assert result.frame["Invoice"].tolist() == [123, 124, 125, 126]
    assert result.report.column("Invoice").overridden


def test_misfits_of_an_override_are_reported_by_sheet_row() -> None:
    rows: Rows = [
        ["Code", "Day", "Amount"],
        ["A1", "04/03/2024", 5],
        ["A2", "31/03/2024", "n/a"],
        ["A3", "2024-13-01", 7.5],
        ["A4", "01/12/2024", "--"],
    ]
    data = workbook_bytes({"Data": rows})

    result = read_table(
        data,
        filename="d.xlsx",
        column_types={"Amount": "number"},
        date_formats={"Day": "%d/%m/%Y"},
        missing_values=["n/a"],
    )

    frame = result.frame
    assert frame["Day"].tolist()[:2] == [
        pd.Timestamp(2024, 3, 4),
        pd.Timestamp(2024, 3, 31),
    ]
    assert pd.isna(frame["Day"][2]) and frame["Day"][3] == pd.Timestamp(2024, 12, 1)
    assert frame["Amount"].tolist()[::2] == [5.0, 7.5]
    assert frame["Amount"][1:4:2].isna().all()
    day, amount = result.report.column("Day"), result.report.column("Amount")
    assert (day.unparseable, day.sample_lines) == (1, [4])
    assert (amount.unparseable, amount.sample_lines, amount.missing) == (1, [5], 1)
    assert amount.missing_tokens == {"n/a": 1}
    problems = {(p.line, p.column): p.message for p in result.report.problems}
    message = "'--' is not a valid number: the cell is left missing"
    assert problems[(5, "Amount")] == message


def test_typed_cells_come_back_as_the_same_values() -> None:
    when = [
        datetime.datetime(2024, 1, 5),
        datetime.datetime(2024, 2, 29, 13, 45, 10),
        datetime.datetime(1999, 12, 31, 23, 59, 59),
    ]
    rows: Rows = [
        ["count", "price", "ratio", "big", "when", "day", "paid"],
        [3, 1234.5678, 1 / 3, float(2**60), when[0], datetime.date(2024, 3, 1), True],
        [40, -0.1, 1e-7, 2.5e15, when[1], datetime.date(2020, 2, 29), False],
        [-7, 19.99, 123456789.123, 1e300, when[2], datetime.date(1970, 1, 1), True],
    ]
    data = workbook_bytes({"Typed": rows})
    expected = sheet_values(data, "Typed")
    header, body = expected[0], expected[1:]

    frame = read_table(data, filename="t.xlsx").frame

    assert list(frame.columns) == list(header)
    for index, name in enumerate(header):
        wanted = [row[index] for row in body]
        if isinstance(wanted[0], datetime.datetime):
            wanted = [pd.Timestamp(value) for value in wanted]
        assert frame[name].tolist() == wanted, name
    assert str(frame["count"].dtype) == "int64"
    assert str(frame["ratio"].dtype) == "float64"
    assert str(frame["paid"].dtype) == "bool"


def test_integral_floats_read_as_integers() -> None:
    data = workbook_bytes({"S": [["n", "x"], [3.0, 1.0], [4.0, 2.5]]})

    frame = read_table(data, filename="f.xlsx").frame

    assert frame["n"].tolist() == [3, 4] and str(frame["n"].dtype) == "int64"
    assert frame["x"].tolist() == [1.0, 2.5] and str(frame["x"].dtype) == "float64"


def test_cell_text_round_trips_floats_and_dates() -> None:
    floats = [0.1 + 0.2, 1 / 3, -1e-300, 2.0**53 + 2, 5e-324]
    texts = [cell_text(value) for value in floats]

    assert [float(text) for text in texts] == floats
    assert cell_text(datetime.datetime(2024, 3, 4, 5, 6, 7, 890)) == (
        "2024-03-04 05:06:07.000890"
    )
    assert cell_text(datetime.time(23, 5)) == "23:05:00"
    assert cell_text(pd.Timestamp("2024-01-02 03:04:05.123456789")) == (
        "2024-01-02 03:04:05.123456"
    )
    assert [cell_text(v) for v in (None, float("nan"), pd.NaT, False)] == [
        "",
        "",
        "",
        "false",
    ]


def test_two_sheets_by_name_and_index(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(
        workbook_bytes(
            {
                "Cover": [["Quarterly numbers, see the next sheet"]],
                "Q1": [["region", "sales"], ["North", 10], ["South", 32]],
            }
        )
    )

    assert list_sheets(path) == ["Cover", "Q1"]
    by_name = read_table(path, sheet="Q1").frame
    by_index = read_table(path, sheet=1).frame
    assert by_name["sales"].tolist() == by_index["sales"].tolist() == [10, 32]
    with pytest.raises(
        IngestError, match=r"Sheet 'Q2' not found .* Sheets: Cover, Q1\."
    ):
        read_table(path, sheet="Q2")
    with pytest.raises(
        IngestError, match=r"Sheet 'Cover' of 'book\.xlsx' holds no data"
    ):
        read_table(path)


def test_empty_sheet_and_header_only_sheet_hold_no_data() -> None:
    data = workbook_bytes({"Empty": [], "Header": [["a", "b", "c"]]})

    for sheet in ("Empty", "Header"):
        message = rf"Sheet '{sheet}' of 'x\.xlsx' holds no data .* Sheets: Empty, H"
        with pytest.raises(IngestError, match=message):
            read_table(data, filename="x.xlsx", sheet=sheet)


def test_empty_rows_and_columns_are_dropped() -> None:
    # The table starts in column B, column D is a spacer, row 3 is blank.
    rows: Rows = [
        [None, "name", "qty", None, "price"],
        [None, "pen", 2, None, 1.5],
        [],
        [None, "ink", 5, None, 4.25],
    ]
    data = workbook_bytes({"S": rows})

    result = read_table(data, filename="s.xlsx")

    assert list(result.frame.columns) == ["name", "qty", "price"]
    assert result.frame["qty"].tolist() == [2, 5]
    assert result.frame["price"].tolist() == [1.5, 4.25]
    assert result.report.problems == []


def test_header_row_skip_rows_and_no_type_inference() -> None:
    rows: Rows = [["Report"], ["id", "qty"], ["007", 3], ["008", 4]]
    data = workbook_bytes({"S": rows})

    headless = read_table(data, filename="s.xlsx", header_row=-1, skip_rows=2)
    as_text = read_table(data, filename="s.xlsx", infer_types=False)

    assert list(headless.frame.columns) == ["column_1", "column_2"]
    assert headless.frame["column_2"].tolist() == [3, 4]
    assert as_text.frame["qty"].tolist() == ["3", "4"]
    assert as_text.frame["id"].tolist() == ["007", "008"]


def test_header_rows_joined_and_ragged_row_kept() -> None:
    rows: Rows = [
        ["", "Sales", "Sales"],
        ["Region", "Q1", "Q2"],
        ["North", 10, 12],
        ["South", 7, 9],
        ["East", 1, 2, "see note"],
        ["West", 3, 4],
    ]
    data = workbook_bytes({"S": rows})

    result = read_table(data, filename="s.xlsx")

    assert list(result.frame.columns) == ["Region", "Sales Q1", "Sales Q2", "_extra"]
    assert result.frame["Sales Q2"].tolist() == [12, 9, 2, 4]
    assert result.frame["_extra"].tolist()[2] == "see note"
    assert lines_of(result, "header rows on lines 1, 2 joined") == [1]
    assert lines_of(result, "the surplus is kept in column '_extra'") == [5]
    with pytest.raises(IngestError, match=r"'s\.xlsx' sheet 'S' line 5: row has 4"):
        read_table(data, filename="s.xlsx", ragged="error")


def test_unknown_override_column_is_named() -> None:
    data = workbook_bytes({"S": [["amount"], [1]]})

    with pytest.raises(ColumnNotFoundError, match="column_types: Column 'amonut'"):
        read_table(data, filename="s.xlsx", column_types={"amonut": "number"})


# -- JSON, NDJSON and Parquet --------------------------------------------------------


def test_ndjson_overrides_report_record_lines() -> None:
    records = [
        {"id": 1, "day": "04/03/2024", "code": "12"},
        {"id": 2, "day": "bad", "code": "x"},
        {"id": 3, "day": "31/12/2024", "code": "7"},
    ]
    # A blank line between the first two records: lines are 1, 3 and 4.
    lines = [json.dumps(record) for record in records]
    text = f"{lines[0]}\n\n{lines[1]}\n{lines[2]}\n"

    result = read_table(
        text.encode(),
        filename="r.ndjson",
        column_types={"code": "integer", "id": "text"},
        date_formats={"day": "%d/%m/%Y"},
    )

    frame = result.frame
    assert frame["id"].tolist() == ["1", "2", "3"]
    assert frame["code"][0] == 12 and frame["code"][2] == 7
    assert pd.isna(frame["code"][1])
    assert frame["day"][2] == pd.Timestamp(2024, 12, 31) and pd.isna(frame["day"][1])
    day = result.report.column("day")
    assert (day.unparseable, day.sample_lines, day.overridden) == (1, [3], True)
    problems = {(p.line, p.column) for p in result.report.problems}
    assert problems == {(3, "day"), (3, "code")}


def test_json_document_overrides_have_no_lines() -> None:
    document = [{"amount": "1,5"}, {"amount": "2,25"}, {"amount": "?"}]

    result = read_table(
        json.dumps(document).encode(),
        filename="r.json",
        column_types={"amount": "number"},
    )

    assert result.frame["amount"].tolist()[:2] == [1.5, 2.25]
    amount = result.report.column("amount")
    assert (amount.unparseable, amount.sample_lines) == (1, [])
    assert [(p.line, p.column) for p in result.report.problems] == [(None, "amount")]


def test_parquet_overrides_keep_other_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"zip": [7500, 69001], "when": ["2024-03-04", "2024-03-05"], "x": [1.5, 2.0]}
    )
    path = tmp_path / "f.parquet"
    frame.to_parquet(path, index=False)

    result = read_table(path, column_types={"zip": "text", "when": "datetime"})

    assert result.frame["zip"].tolist() == ["7500", "69001"]
    assert result.frame["when"].tolist() == [
        pd.Timestamp(2024, 3, 4),
        pd.Timestamp(2024, 3, 5),
    ]
    pd.testing.assert_series_equal(result.frame["x"], frame["x"])
    assert [c.kind for c in result.report.columns] == ["text", "datetime", "text"]
    assert result.report.column("x").dtype == "float64"


# -- What real exports hold ----------------------------------------------------------


def book_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet_xml(data: bytes, edit: Any) -> bytes:
    """The workbook with its first sheet's XML passed through ``edit``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = edit(body.decode()).encode()
            archive.writestr(item, body)
    return buffer.getvalue()


def test_merged_title_and_group_header_name_every_column() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Sales report 2024"
    sheet.merge_cells("A1:E1")
    sheet["A3"], sheet["B3"], sheet["D3"] = "Region", "Sales", "Costs"
    for merged in ("A3:A4", "B3:C3", "D3:E3"):
        sheet.merge_cells(merged)
    for column, quarter in zip("BCDE", ["Q1", "Q2", "Q1", "Q2"], strict=True):
        sheet[f"{column}4"] = quarter
    sheet.append(["North", 10, 12, 3, 4])
    sheet.append(["South", 7, 9, 1, 2])
    sheet.append(["West", 5, 6, 7, 8])
    sheet.append([None, 1, 2, 3, 9])
    sheet.merge_cells("A7:A8")  # one label for two rows

    result = read_table(book_bytes(book), filename="m.xlsx")

    frame = result.frame
    names = ["Region", "Sales Q1", "Sales Q2", "Costs Q1", "Costs Q2"]
    assert list(frame.columns) == names
    assert frame["Region"].tolist() == ["North", "South", "West", "West"]
    assert frame["Sales Q2"].tolist() == [12, 9, 6, 2]
    assert frame["Costs Q2"].tolist() == [4, 2, 8, 9]
    assert lines_of(result, "preamble line skipped") == [1]


def test_error_cells_are_missing_and_reported() -> None:
    book = openpyxl.Workbook()
    book.active.append(["a", "b", "ratio", "look"])
    for row in range(2, 5):
        book.active.append(
            [row, row - 3, f"=A{row}/B{row}", f"=VLOOKUP(A{row},X:Y,2,0)"]
        )
    cached = {"C2": ("e", "#DIV/0!"), "C3": ("n", "-1.5"), "C4": ("n", "4")}
    cached |= {"D2": ("str", "x"), "D3": ("e", "#N/A"), "D4": ("str", "y")}

    def cache(xml: str) -> str:
        for ref, (kind, value) in cached.items():
            xml = re.sub(
                rf'<c r="{ref}"><f>([^<]*)</f><v\s*/>',
                rf'<c r="{ref}" t="{kind}"><f>\1</f><v>{value}</v>',
                xml,
            )
        return xml

    result = read_table(with_sheet_xml(book_bytes(book), cache), filename="e.xlsx")

    frame = result.frame
    assert frame["ratio"].tolist()[1:] == [-1.5, 4.0] and pd.isna(frame["ratio"][0])
    assert str(frame["ratio"].dtype) == "float64"
    assert frame["look"].tolist()[::2] == ["x", "y"] and pd.isna(frame["look"][1])
    problems = {(p.line, p.column): p.message for p in result.report.problems}
    assert (
        problems[(2, "ratio")] == "Excel error '#DIV/0!' in the cell: read as missing"
    )
    assert problems[(3, "look")] == "Excel error '#N/A' in the cell: read as missing"
    assert result.report.column("ratio").missing == 1


def test_formulas_without_saved_results_are_reported() -> None:
    book = openpyxl.Workbook()
    book.active.append(["a", "b", "sum"])
    for row in range(2, 5):
        book.active.append([row, 2 * row, f"=A{row}+B{row}"])

    result = read_table(book_bytes(book), filename="f.xlsx")

    assert result.frame["sum"].isna().all()
    [problem] = [p for p in result.report.problems if p.column == "sum"]
    assert problem.line == 2
    assert problem.message.startswith("3 formula cells have no saved result")
    assert not result.report.ok


def test_dates_times_durations_and_percents() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["serial", "time", "duration", "share"])
    sheet.append([45292, datetime.time(9, 30), datetime.timedelta(minutes=90), 0.15])
    sheet.append([45293.5, datetime.time(17, 45, 5), datetime.timedelta(days=2), 1])
    for row in (2, 3):
        sheet.cell(row, 1).number_format = "yyyy-mm-dd hh:mm"
        sheet.cell(row, 4).number_format = "0%"

    frame = read_table(book_bytes(book), filename="d.xlsx").frame

    # 45292 is 2024-01-01 in Excel's 1900 date system; .5 is noon.
    assert frame["serial"].tolist() == [
        pd.Timestamp(2024, 1, 1),
        pd.Timestamp(2024, 1, 2, 12),
    ]
    assert frame["time"].tolist() == ["09:30:00", "17:45:05"]
    # Hours as Excel shows a duration ([h]:mm:ss), not "2 days, 0:00:00".
    assert frame["duration"].tolist() == ["1:30:00", "48:00:00"]
    # The stored fraction, not the 15 shown.
    assert frame["share"].tolist() == [0.15, 1.0]


def test_default_sheet_passes_over_hidden_and_chart_sheets() -> None:
    book = openpyxl.Workbook()
    book.active.title = "Old"
    book.active.append(["x"])
    book.active.sheet_state = "hidden"
    data = book.create_sheet("Data")
    for row in (["k", "v"], ["a", 1], ["b", 2]):
        data.append(row)
    chart = openpyxl.chart.BarChart()
    chart.add_data(openpyxl.chart.Reference(data, min_col=2, min_row=1, max_row=3))
    book.create_chartsheet("Chart", 0).add_chart(chart)
    workbook = book_bytes(book)

    assert read_table(workbook, filename="b.xlsx").frame["v"].tolist() == [1, 2]
    with pytest.raises(IngestError, match=r"Sheet 'Chart' of 'b\.xlsx' is a chart sh"):
        read_table(workbook, filename="b.xlsx", sheet="Chart")


def test_table_at_d5_with_notes_to_its_right() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    rows: Rows = [["name", "qty"], ["pen", 2], ["ink", 5], ["pad", 1], ["cap", 7]]
    for number, row in enumerate(rows, 5):
        for column, value in enumerate(row, 4):
            sheet.cell(number, column, value)
    sheet["M5"], sheet["M7"] = "Prices exclude VAT", "checked by Ann"

    result = read_table(book_bytes(book), filename="n.xlsx")

    assert list(result.frame.columns) == ["name", "qty"]
    assert result.frame["qty"].tolist() == [2, 5, 1, 7]
    assert lines_of(result, "note beside the table dropped: 'checked by Ann'") == [7]
    assert lines_of(result, "'Prices exclude VAT'") == [None]


def test_encrypted_workbook_is_refused_clearly() -> None:
    # Written by msoffcrypto-tool (password "secret") around a one-cell workbook.
    path = Path(__file__).parent / "data" / "encrypted.xlsx"

    with pytest.raises(IngestError, match=r"'encrypted\.xlsx' is a password-prot"):
        read_table(path)


def test_files_named_xlsx_that_are_not_workbooks() -> None:
    workbook = workbook_bytes({"S": [["k"], [1]]})

    as_text = read_table(b"a,b\n1,2\n", filename="export.xlsx")
    assert as_text.report.format == "csv" and as_text.frame["b"].tolist() == [2]
    with pytest.raises(IngestError, match=r"'t\.xlsx' .* a damaged zip archive"):
        read_table(workbook[: len(workbook) // 2], filename="t.xlsx")
    with pytest.raises(IngestError, match=r"'old\.xls' .* old-style Excel \.xls"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), filename="old.xls")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"<html><body><table><tr><td>a</td></tr></table></body></html>", "web page"),
        (b"\xef\xbb\xbf  <!DOCTYPE html>\n<html></html>", "web page"),
        (b'<?xml version="1.0"?>\n<Workbook><Worksheet/></Workbook>', "XML document"),
    ],
)
def test_markup_saved_as_xls_is_refused(data: bytes, what: str) -> None:
    with pytest.raises(IngestError, match=f"'report.xls' is not a text table.*{what}"):
        read_table(data, filename="report.xls")
