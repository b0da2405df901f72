"""Column types, user overrides and the report of read_table."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbdash.errors import ColumnNotFoundError, IngestError
from nbdash.ingest import read_table
from nbdash.ingest.types import type_columns


def read(text: str, **options: object) -> pd.DataFrame:
    return read_table(text.encode(), filename="t.csv", **options).frame  # type: ignore[arg-type]


def test_decimal_commas_decided_per_column() -> None:
    data = 'eu;us;plain\n"1.234,56";"1,234.56";1,5\n"12,5";12.5;2\n-3;-3;"3,25"\n'

    frame = read(data)

    assert frame["eu"].tolist() == [1234.56, 12.5, -3.0]
    assert frame["us"].tolist() == [1234.56, 12.5, -3.0]
    assert frame["plain"].tolist() == [1.5, 2.0, 3.25]


def test_currency_percent_and_accounting_negatives() -> None:
    data = 'price,share,balance\n"12,50 €",12%,(1.00)\n"1 234,00 €",5.5%,USD 7\n'

    result = read_table(data.encode(), filename="m.csv")
    report = result.report

    assert result.frame["price"].tolist() == [12.5, 1234.0]
    assert result.frame["share"].tolist() == [12.0, 5.5]
    assert result.frame["balance"].tolist() == [-1.0, 7.0]
    assert "€" in " ".join(report.column("price").notes)
    assert "12% read as 12, not 0.12" in " ".join(report.column("share").notes)
    assert any("parentheses" in change for change in report.changes)


def test_day_first_decided_from_the_values() -> None:
    data = "a,b\n03/04/2024,12/31/2024\n25/12/2024,01/02/2024\n"

    frame = read(data)

    assert frame["a"].tolist() == [datetime(2024, 4, 3), datetime(2024, 12, 25)]
    assert frame["b"].tolist() == [datetime(2024, 12, 31), datetime(2024, 1, 2)]


def test_two_digit_years_pivot_at_69() -> None:
    result = read_table(b"d\n31/01/68\n01/02/69\n", filename="d.csv")

    assert result.frame["d"].tolist() == [datetime(2068, 1, 31), datetime(1969, 2, 1)]
    assert "69-99 as 1969-1999" in " ".join(result.report.column("d").notes)


def test_named_months_and_twelve_hour_times() -> None:
    data = "when,at\n03 Jan 2024,3/4/2024 2:30 PM\n15 Feb 2024,12/13/2024 11:05 AM\n"

    frame = read(data)

    assert frame["when"].tolist() == [datetime(2024, 1, 3), datetime(2024, 2, 15)]
    assert frame["at"].tolist() == [
        datetime(2024, 3, 4, 14, 30),
        datetime(2024, 12, 13, 11, 5),
    ]


def test_mixed_time_zones_become_utc_and_are_noted() -> None:
    data = (
        "t,n\n2024-01-01T10:00:00+01:00,1\n2024-01-01 10:00:00-05:00,2\n"
        "2024-01-01 08:00,3\n"
    )

    result = read_table(data.encode(), filename="z.csv")
    values = result.frame["t"].tolist()

    assert values == [
        pd.Timestamp(datetime(2024, 1, 1, 9, tzinfo=UTC)),
        pd.Timestamp(datetime(2024, 1, 1, 15, tzinfo=UTC)),
        pd.Timestamp(datetime(2024, 1, 1, 8, tzinfo=UTC)),
    ]
    notes = " ".join(result.report.column("t").notes)
    assert "+01:00, -05:00" in notes and "1 value without a time zone" in notes


def test_identifiers_with_leading_zeros_stay_text() -> None:
    frame = read("zip,phone\n01234,0612345678\n75001,0033 1 22\n")

    assert frame["zip"].tolist() == ["01234", "75001"]
    assert frame["phone"].tolist() == ["0612345678", "0033 1 22"]


def test_booleans_and_no_automatic_category() -> None:
    frame = read("flag,region\nY,North\nn,North\nyes,South\n")

    assert frame["flag"].tolist() == [True, False, True]
    assert str(frame["region"].dtype) == "str"


def test_missing_tokens_are_configurable_and_reported() -> None:
    data = b"region,amount\nNA,1\nEU,-\nNA,3\n"

    kept = read_table(data, filename="r.csv")
    asked = read_table(data, filename="r.csv", missing_values=["NA", "-"])

    assert kept.frame["region"].tolist() == ["NA", "EU", "NA"]
    assert asked.frame["region"].isna().tolist() == [True, False, True]
    assert asked.frame["amount"].tolist() == [1, pd.NA, 3]
    assert asked.report.missing_tokens == {"NA": 2, "-": 1}
    assert asked.report.column("region").missing == 2


def test_column_types_override_with_unparseable_lines() -> None:
    data = b"id,score,kind,day\n1,10,a,01/02/24\n2,x,b,31/12/24\n3,12.5,a,bad\n"

    result = read_table(
        data,
        filename="o.csv",
        column_types={"id": "text", "score": "integer", "kind": "category"},
        date_formats={"day": "%d/%m/%y"},
    )
    frame, report = result.frame, result.report

    assert frame["id"].tolist() == ["1", "2", "3"]
    assert frame["score"].tolist() == [10, pd.NA, pd.NA]
    assert str(frame["kind"].dtype) == "category"
    assert frame["day"].tolist()[:2] == [datetime(2024, 2, 1), datetime(2024, 12, 31)]
    score = report.column("score")
    assert (score.kind, score.overridden, score.unparseable) == ("integer", True, 2)
    assert score.sample_lines == [3, 4]
    assert report.column("day").sample_lines == [4]
    assert not report.ok
    lines = [(p.line, p.column) for p in report.problems]
    assert (3, "score") in lines and (4, "day") in lines
    assert "'bad' is not a valid datetime" in report.summary()


def test_bad_overrides_say_what_to_do() -> None:
    with pytest.raises(ColumnNotFoundError, match="column_types: Column 'scroe'"):
        read_table(b"score\n1\n", filename="o.csv", column_types={"scroe": "number"})
    with pytest.raises(IngestError, match="expected one of text, integer"):
        read_table(b"score\n1\n", filename="o.csv", column_types={"score": "float"})


def test_ragged_rows_are_listed_as_changes() -> None:
    report = read_table(b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n", filename="r.csv").report

    assert "1 short rows padded with empty cells (see problems)" in report.changes
    assert any(change.startswith("1 long rows") for change in report.changes)


def test_report_api_for_papermill() -> None:
    data = "\ufeff Revenue ,Region\n$10,NA\n$20,EU\n".encode()

    report = read_table(data, filename="s.csv").report

    assert report.ok
    assert report.column("Revenue").kind == "integer"
    assert report.column(" Revenue ").name == "Revenue"
    assert "column ' Revenue ' renamed to 'Revenue'" in report.changes
    assert any("currency signs removed: $" in change for change in report.changes)
    assert report.summary().splitlines()[1] == "- Revenue: integer (int64), 0 missing"
    assert report.to_dict()["ok"] is True
    with pytest.raises(ColumnNotFoundError, match="Did you mean 'Revenue'"):
        report.column("Revnue")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(
            lambda x: round(x, 2)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_european_numbers_round_trip(values: list[float]) -> None:
    # Written independently of the reader: "." groups thousands, "," marks decimals.
    def european(x: float) -> str:
        return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")

    data = "i;v\n" + "".join(f"{i};{european(x)}\n" for i, x in enumerate(values))

    frame = read(data)

    assert frame["v"].astype(float).tolist() == pytest.approx(values)


def test_chunked_columns_type_like_whole_ones_and_are_released() -> None:
    # Large files arrive from Arrow as chunked columns; types must not depend on it.
    values = {
        "price": ["$1,200.50", "$3", "(4.25)", "$10"],
        "day": ["31/01/2024", "01/02/2024", "15/03/2024", "02/04/2024"],
        "code": ["007", "012", "100", "200"],
        "odd": ["1", "2", "n/a", *(str(n) for n in range(3, 20))],
    }
    names = list(values)
    whole = [pa.array(column) for column in values.values()]
    chunked = [pa.chunked_array([array[:1], array[1:3], array[3:]]) for array in whole]

    expected = type_columns(names, names, whole, release=False)
    typed = type_columns(names, names, chunked)

    for left, right in zip(expected, typed, strict=True):
        assert left.values.to_pylist() == right.values.to_pylist()
        assert (left.kind, left.notes) == (right.kind, right.notes)
    assert typed[0].values.to_pylist() == [1200.5, 3.0, -4.25, 10.0]
    assert typed[3].unparseable_rows == [2]
    # Converted columns drop their text; text columns are the frame's own values (no
    # copy to free), and the one with a misfit keeps it for the message.
    kept = [column.type for column in chunked]
    assert kept == [pa.null(), pa.null(), pa.string(), pa.string()]
    assert typed[2].values is chunked[2]
    assert [len(column) for column in chunked] == [4, 4, 4, 20]


def test_report_html_escapes_user_text_and_lists_changes() -> None:
    data = b"<b>x</b>,y\n$1,<i>\n$2,b\n"

    page = read_table(data, filename="<s>.csv")._repr_html_()

    assert "<b>x" not in page and "<i>" not in page and "<s>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "&lt;s&gt;.csv" in page
    assert "<li>&lt;b&gt;x&lt;/b&gt;: currency signs removed: $</li>" in page


# -- the large-file path: Arrow batches, types chosen on the first one ---------------


@pytest.fixture
def batched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every file through the Arrow path, in batches of about 2 KiB."""
    from nbdash.ingest import csvfile, reading

    monkeypatch.setattr(csvfile, "EXACT_BYTES", 0)
    monkeypatch.setattr(reading, "EXACT_BYTES", 0)
    monkeypatch.setattr(csvfile, "PLAN_BLOCK", 1024)
    monkeypatch.setattr(csvfile, "STREAM_BLOCK", 2048)


def late(value: str, rows: int = 2000) -> str:
    """A CSV whose column ``n`` holds 1..rows, then ``value`` in the last row."""
    body = "".join(f"{i},x{i}\n" for i in range(1, rows))
    return f"n,t\n{body}{value},y\n"


def test_batched_path_types_numbers_dates_and_text(batched: None) -> None:
    rows = [
        f"{i},2024-01-{i % 28 + 1:02d},${i}.25,{i % 100}%,C{i}" for i in range(3000)
    ]
    data = "id,day,price,share,who\n" + "\n".join(rows) + "\n"

    result = read_table(data.encode(), filename="big.csv")
    frame = result.frame

    assert frame["id"].tolist() == list(range(3000))
    assert frame["day"].iloc[59] == datetime(2024, 1, 4)
    assert frame["price"].iloc[7] == 7.25
    assert frame["share"].iloc[150] == 50
    assert frame["who"].iloc[2999] == "C2999"
    assert str(frame["id"].dtype) == "int64"
    assert "12% read as 12" in " ".join(result.report.column("share").notes)


def test_batched_columns_are_joined_writable_with_their_dtypes(batched: None) -> None:
    rows = [f"{i},{i / 4},2024-03-{i % 28 + 1:02d},{i % 2 == 0}" for i in range(3000)]
    data = "n,x,day,even\n" + "\n".join(rows) + "\n"

    frame = read_table(data.encode(), filename="big.csv").frame

    assert {name: str(kind) for name, kind in frame.dtypes.items()} == {
        "n": "int64",
        "x": "float64",
        "day": "datetime64[us]",
        "even": "bool",
    }
    assert frame["x"].sum() == sum(i / 4 for i in range(3000))
    assert frame["day"].iloc[2999] == datetime(2024, 3, 2999 % 28 + 1)
    # Several Arrow chunks joined into NumPy memory the frame may write to.
    for name in frame.columns:
        frame.loc[0, name] = frame.loc[1, name]
    assert frame.iloc[0].tolist() == frame.iloc[1].tolist()


def test_batched_read_restores_arrow_default_pool(
    batched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbdash.ingest import csvfile

    before = pa.default_memory_pool().backend_name
    seen: list[str] = []
    convert = csvfile._convert_batch

    def spying(batch: pa.RecordBatch, plan: dict[int, csvfile.Plan]) -> object:
        seen.append(pa.default_memory_pool().backend_name)
        return convert(batch, plan)

    def failing(batch: pa.RecordBatch, plan: dict[int, csvfile.Plan]) -> object:
        raise MemoryError("out of memory in the middle of the read")

    monkeypatch.setattr(csvfile, "_convert_batch", spying)
    read_table(late("1.5").encode(), filename="big.csv")
    assert seen and set(seen) == {"system"}
    assert pa.default_memory_pool().backend_name == before

    monkeypatch.setattr(csvfile, "_convert_batch", failing)
    with pytest.raises(MemoryError):
        read_table(late("1.5").encode(), filename="big.csv")
    assert pa.default_memory_pool().backend_name == before


@pytest.mark.parametrize(
    ("value", "dtype", "last"),
    [("1.5", "float64", 1.5), ("007", "str", "007"), ("nan", "str", "nan")],
)
def test_a_late_value_widens_the_column(
    batched: None, value: str, dtype: str, last: object
) -> None:
    frame = read(late(value))

    assert str(frame["n"].dtype) == dtype
    assert frame["n"].iloc[-1] == last
    assert frame["n"].iloc[0] in (1, 1.0, "1")


def test_a_late_word_keeps_text_and_names_its_line(batched: None) -> None:
    result = read_table(late("oops").encode(), filename="w.csv")

    column = result.report.column("n")
    assert column.kind == "text"
    assert column.unparseable == 1
    assert column.sample_lines == [2001]  # header on line 1, 2000th row on 2001


def test_a_late_bad_date_keeps_the_column_as_text(batched: None) -> None:
    body = "".join(f"2024-02-{i % 28 + 1:02d},{i}\n" for i in range(2000))

    frame = read("d,n\n" + body + "2024-13-45,1\n")

    assert frame["d"].iloc[-1] == "2024-13-45"
    assert frame["d"].iloc[0] == "2024-02-01"


def test_batched_path_matches_the_exact_path(
    batched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        f'{i},{i * 0.5},"{i:,}",{"" if i % 7 else "NA"},0{i % 3},{i % 2 == 0}'
        for i in range(2500)
    ]
    data = ("a,b,c,d,e,f\n" + "\n".join(rows) + "\n").encode()

    batched_result = read_table(data, filename="m.csv", missing_values=["NA"])
    from nbdash.ingest import csvfile, reading

    monkeypatch.setattr(csvfile, "EXACT_BYTES", 10**9)
    monkeypatch.setattr(reading, "EXACT_BYTES", 10**9)
    exact = read_table(data, filename="m.csv", missing_values=["NA"])

    pd.testing.assert_frame_equal(batched_result.frame, exact.frame)
    assert [c.notes for c in batched_result.report.columns] == [
        c.notes for c in exact.report.columns
    ]
    assert batched_result.frame["c"].iloc[1234] == 1234
    assert batched_result.frame["e"].iloc[4] == "01"


@pytest.mark.parametrize("path", ["exact", "batched"])
def test_frames_are_writable_on_both_paths(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Built without pandas' block copy: one-chunk Arrow columns must still be copied
    # out of their read-only buffers, or setting a cell raises.
    if path == "batched":
        from nbdash.ingest import csvfile, reading

        monkeypatch.setattr(csvfile, "EXACT_BYTES", 0)
        monkeypatch.setattr(reading, "EXACT_BYTES", 0)
    data = "i,f,d,t\n" + "".join(
        f"{n},{n}.5,2024-01-0{n % 9 + 1},w{n}\n" for n in range(50)
    )
    frame = read(data)

    frame.loc[0, "i"] = 99
    frame.loc[1, "f"] = -1.0
    frame.loc[2, "d"] = pd.NaT
    frame.loc[3, "t"] = "changed"

    assert frame["i"].tolist()[:2] == [99, 1]
    assert frame["f"].tolist()[:2] == [0.5, -1.0]
    assert pd.isna(frame["d"].iloc[2])
    assert frame["t"].iloc[3] == "changed"


def test_a_tab_inside_a_currency_value_keeps_the_column_text() -> None:
    # Found by the fuzz test: "$\t1" matched the number pattern, and the cast of
    # "\t1" then raised instead of the column staying text.
    frame = read('a,b\n1,"$\t1"\n2,$ 2\n')

    assert frame["b"].tolist() == ["$\t1", "$ 2"]


def test_batched_path_honours_numeric_missing_tokens(batched: None) -> None:
    data = "a,b\n" + "".join(f"{i},x\n" for i in range(3000)) + "-999,y\n"

    result = read_table(data.encode(), filename="t.csv", missing_values=["-999"])

    column = result.report.column("a")
    assert pd.isna(result.frame["a"].iloc[-1])
    assert result.frame["a"].iloc[2999] == 2999
    assert column.missing == 1
    assert column.notes == ["1 cells '-999' read as missing"]


@pytest.fixture
def signed_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The Arrow path with a first batch big enough to plan decorated numbers, the
    rest in 2 KiB batches; the list counts batches read by the signed shortcut."""
    from nbdash.ingest import csvfile, reading

    monkeypatch.setattr(csvfile, "EXACT_BYTES", 0)
    monkeypatch.setattr(reading, "EXACT_BYTES", 0)
    monkeypatch.setattr(csvfile, "PLAN_BLOCK", 64 * 1024)
    monkeypatch.setattr(csvfile, "STREAM_BLOCK", 2048)
    calls: list[int] = []
    original = csvfile.parse_signed_batch

    def counted(values: pa.Array, shape: tuple[str, str]) -> pa.Array | None:
        calls.append(len(values))
        return original(values, shape)

    monkeypatch.setattr(csvfile, "parse_signed_batch", counted)
    return calls


def exact_read(data: bytes, monkeypatch: pytest.MonkeyPatch) -> object:
    from nbdash.ingest import csvfile, reading

    monkeypatch.setattr(csvfile, "EXACT_BYTES", 10**9)
    monkeypatch.setattr(reading, "EXACT_BYTES", 10**9)
    return read_table(data, filename="s.csv")


def signed_rows(last_price: str, rows: int = 6000) -> bytes:
    prices = [f"${i}" if i % 500 else f" ${i} " for i in range(1, rows)]
    lines = [f"{i},{p},{i % 90}%" for i, p in enumerate(prices, start=1)]
    lines.append(f"{rows},{last_price},5%")
    return ("n,price,share\n" + "\n".join(lines) + "\n").encode()


def test_decorated_numbers_are_typed_batch_by_batch(
    signed_batches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whole dollars until the last row, whose cents make the column float.
    data = signed_rows("$7.25")

    result = read_table(data, filename="s.csv")
    frame = result.frame

    assert len(signed_batches) > 20  # the shortcut read many small batches
    assert str(frame["price"].dtype) == "float64"
    assert frame["price"].iloc[:3].tolist() == [1.0, 2.0, 3.0]
    assert frame["price"].iloc[499] == 500.0  # " $500 " is trimmed
    assert frame["price"].iloc[-1] == 7.25
    assert str(frame["share"].dtype) == "int64"
    assert frame["share"].iloc[89] == 0 and frame["share"].iloc[100] == 11
    assert result.report.column("price").notes == ["currency signs removed: $"]
    assert result.report.column("share").kind == "integer"

    exact = exact_read(data, monkeypatch)
    pd.testing.assert_frame_equal(frame, exact.frame)  # type: ignore[attr-defined]
    assert [c.notes for c in result.report.columns] == [
        c.notes
        for c in exact.report.columns  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize(
    ("last", "kind", "value"),
    [("$1,234.50", "number", 1234.5), ("€5", "integer", 5), ("$oops", "text", None)],
)
def test_a_late_other_shape_reads_the_decorated_column_whole(
    signed_batches: list[int],
    monkeypatch: pytest.MonkeyPatch,
    last: str,
    kind: str,
    value: float | None,
) -> None:
    data = signed_rows(f'"{last}"')

    result = read_table(data, filename="s.csv")

    column = result.report.column("price")
    assert column.kind == kind
    if value is None:
        assert result.frame["price"].iloc[-1] == last
        assert result.frame["price"].iloc[0] == "$1"
    else:
        assert result.frame["price"].iloc[-1] == value
        assert result.frame["price"].iloc[0] == 1.0
    exact = exact_read(data, monkeypatch)
    pd.testing.assert_frame_equal(result.frame, exact.frame)  # type: ignore[attr-defined]
    assert column.notes == exact.report.column("price").notes  # type: ignore[attr-defined]
