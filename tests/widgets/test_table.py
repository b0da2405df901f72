from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from nbdash.widgets import table as table_module
from nbdash.widgets.table import Table
from nbdash.workspace import Workspace

Sent = list[tuple[dict[str, Any], list[Any]]]


@pytest.fixture
def orders_frame() -> pd.DataFrame:
    """1,234 orders with ints, floats with gaps, text with gaps, dates and ties."""
    rng = np.random.default_rng(7)
    n = 1234
    revenue = rng.integers(0, 50, n).astype(float)
    revenue[::17] = np.nan
    region = rng.choice(["North", "South", "East", "West"], n).astype(object)
    region[::23] = None
    return pd.DataFrame(
        {
            "order_id": np.arange(n, dtype="int64"),
            "region": pd.array(region, dtype="str"),
            "revenue": revenue,
            "day": pd.date_range("2024-01-01", periods=n, freq="h"),
        }
    )


@pytest.fixture
def orders_table(memory_workspace: Workspace, orders_frame: pd.DataFrame) -> Table:
    memory_workspace.put("orders", orders_frame)
    return Table("orders", workspace=memory_workspace)


@pytest.fixture
def sent(orders_table: Table, monkeypatch: pytest.MonkeyPatch) -> Sent:
    """What the table sends to its front end, captured."""
    messages: Sent = []
    monkeypatch.setattr(
        orders_table,
        "send",
        lambda content, buffers=None: messages.append((content, buffers or [])),
    )
    return messages


def ask(
    table: Table, sent: Sent, content: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """Send ``content`` as the front end would; return the reply and its buffers."""
    table._dispatch(table, {"id": "m1", **content}, [])
    reply, buffers = sent[-1]
    assert reply["kind"] == "reply" and reply["id"] == "m1"
    return reply, buffers


def decode(buffer: Any) -> pd.DataFrame:
    return pa.ipc.open_stream(pa.py_buffer(bytes(buffer))).read_all().to_pandas()


def same_rows(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def test_traits_describe_the_dataset(orders_table: Table) -> None:
    assert orders_table.row_count == 1234
    assert [c["name"] for c in orders_table.columns] == [
        "order_id",
        "region",
        "revenue",
        "day",
    ]
    assert orders_table.columns[0]["dtype"] == "int64"
    assert orders_table.columns[2]["dtype"] == "float64"
    assert orders_table.columns[3]["dtype"].startswith("datetime64")


def test_rows_window_is_exactly_that_slice(
    orders_table: Table, sent: Sent, orders_frame: pd.DataFrame
) -> None:
    reply, buffers = ask(
        orders_table, sent, {"kind": "rows", "start": 100, "stop": 250}
    )

    assert reply["result"] == {"start": 100, "stop": 250, "row_count": 1234}
    assert len(buffers) == 1
    window = decode(buffers[0])
    same_rows(window, orders_frame.iloc[100:250])
    assert (
        window["region"].isna().sum()
        == orders_frame["region"].iloc[100:250].isna().sum()
    )


def test_rows_window_is_capped_at_500(orders_table: Table, sent: Sent) -> None:
    reply, buffers = ask(
        orders_table, sent, {"kind": "rows", "start": 10, "stop": 100_000}
    )

    assert reply["result"]["stop"] == 510
    assert len(decode(buffers[0])) == 500


def test_rows_window_past_the_end_is_clipped(
    orders_table: Table, sent: Sent, orders_frame: pd.DataFrame
) -> None:
    reply, buffers = ask(
        orders_table, sent, {"kind": "rows", "start": 1200, "stop": 1300}
    )

    assert reply["result"] == {"start": 1200, "stop": 1234, "row_count": 1234}
    same_rows(decode(buffers[0]), orders_frame.iloc[1200:])


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("column", ["revenue", "region", "day"])
def test_sorted_windows_match_sort_values(
    orders_table: Table,
    sent: Sent,
    orders_frame: pd.DataFrame,
    column: str,
    ascending: bool,
) -> None:
    expected = orders_frame.sort_values(column, ascending=ascending, kind="stable")
    sort = {"column": column, "ascending": ascending}

    for start, stop in [(0, 300), (300, 800), (1100, 1234)]:
        _, buffers = ask(
            orders_table,
            sent,
            {"kind": "rows", "start": start, "stop": stop, "sort": sort},
        )
        same_rows(decode(buffers[0]), expected.iloc[start:stop])


def test_sort_order_is_computed_once_per_version(
    orders_table: Table,
    sent: Sent,
    memory_workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    original = table_module.sort_order

    def counting(column: pd.Series, **kwargs: Any) -> Any:
        calls.append(str(column.name))
        return original(column, **kwargs)

    monkeypatch.setattr(table_module, "sort_order", counting)
    sort = {"column": "revenue", "ascending": True}
    for start in (0, 100, 200):
        ask(
            orders_table,
            sent,
            {"kind": "rows", "start": start, "stop": start + 100, "sort": sort},
        )
    assert calls == ["revenue"]

    memory_workspace.put("orders", memory_workspace.get("orders").head(10))
    ask(orders_table, sent, {"kind": "rows", "start": 0, "stop": 100, "sort": sort})
    assert calls == ["revenue", "revenue"]


def test_sort_by_missing_column_explains(orders_table: Table, sent: Sent) -> None:
    sort = {"column": "revnue", "ascending": True}
    reply, buffers = ask(
        orders_table, sent, {"kind": "rows", "start": 0, "stop": 10, "sort": sort}
    )

    expected = (
        "Column 'revnue' not found in dataset 'orders'. Did you mean 'revenue'? "
        "Available: order_id, region, revenue, day."
    )
    assert reply["error"] == expected
    assert orders_table.error == expected
    assert buffers == []


@pytest.mark.parametrize(
    ("start", "stop"), [(-1, 10), (20, 10), ("0", 10), (0, None), (True, 10)]
)
def test_bad_window_bounds_are_rejected(
    orders_table: Table, sent: Sent, start: Any, stop: Any
) -> None:
    reply, _ = ask(orders_table, sent, {"kind": "rows", "start": start, "stop": stop})

    assert reply["error"].startswith(
        "A rows request needs integers 0 <= start <= stop, got"
    )


def test_export_csv_parses_back(
    orders_table: Table, sent: Sent, orders_frame: pd.DataFrame
) -> None:
    reply, buffers = ask(orders_table, sent, {"kind": "export", "format": "csv"})

    assert reply["result"]["filename"] == "orders.csv"
    assert reply["result"]["mime"] == "text/csv"
    back = pd.read_csv(io.BytesIO(bytes(buffers[0])), parse_dates=["day"])
    same_rows(back, orders_frame)


def test_export_follows_the_sort_shown(
    orders_table: Table, sent: Sent, orders_frame: pd.DataFrame
) -> None:
    orders_table.sort = {"column": "revenue", "ascending": False}

    _, buffers = ask(orders_table, sent, {"kind": "export", "format": "csv"})

    back = pd.read_csv(io.BytesIO(bytes(buffers[0])), parse_dates=["day"])
    # Sorted here with pandas: largest first, ties in their order, missing last.
    expected = orders_frame.sort_values(
        "revenue", ascending=False, kind="stable", na_position="last"
    )
    same_rows(back, expected)


def test_export_json_and_excel_parse_back(
    orders_table: Table, sent: Sent, orders_frame: pd.DataFrame
) -> None:
    _, buffers = ask(orders_table, sent, {"kind": "export", "format": "json"})
    records = json.loads(bytes(buffers[0]))
    assert [r["order_id"] for r in records] == list(range(1234))
    assert records[5]["region"] == orders_frame["region"][5]

    reply, buffers = ask(orders_table, sent, {"kind": "export", "format": "excel"})
    assert reply["result"]["filename"] == "orders.xlsx"
    same_rows(
        pd.read_excel(io.BytesIO(bytes(buffers[0])), engine="openpyxl"), orders_frame
    )


def test_export_unknown_format(orders_table: Table, sent: Sent) -> None:
    reply, _ = ask(orders_table, sent, {"kind": "export", "format": "xml"})

    assert (
        reply["error"]
        == "Unknown export format 'xml'. Expected one of: csv, json, excel, parquet."
    )


def test_export_neutralises_formulas(memory_workspace: Workspace) -> None:
    frame = pd.DataFrame({"name": ["=IMPORTXML(x)", "Bob", "@me"], "delta": [-5, 3, 0]})
    memory_workspace.put("people", frame)
    table = Table("people", workspace=memory_workspace)

    safe = pd.read_csv(io.BytesIO(table.export("csv")))
    raw = pd.read_csv(io.BytesIO(table.export("csv", safe=False)))

    assert safe["name"].tolist() == ["'=IMPORTXML(x)", "Bob", "'@me"]
    assert safe["delta"].tolist() == [-5, 3, 0]
    assert raw["name"].tolist() == ["=IMPORTXML(x)", "Bob", "@me"]


def test_follows_workspace_changes(
    orders_table: Table, sent: Sent, memory_workspace: Workspace
) -> None:
    memory_workspace.put("orders", pd.DataFrame({"a": [1, 2, 3]}))

    assert orders_table.row_count == 3
    assert orders_table.columns == [{"name": "a", "dtype": "int64"}]
    assert ({"kind": "refresh", "row_count": 3}, []) in sent

    memory_workspace.put("other", pd.DataFrame({"b": [1]}))
    assert orders_table.row_count == 3


def test_sort_dropped_when_its_column_goes(
    orders_table: Table, memory_workspace: Workspace
) -> None:
    orders_table.sort = {"column": "revenue", "ascending": False}
    memory_workspace.put("orders", pd.DataFrame({"a": [1]}))

    assert orders_table.sort is None


def test_deleted_dataset_shows_error(
    orders_table: Table, memory_workspace: Workspace
) -> None:
    memory_workspace.delete("orders")

    assert orders_table.row_count == 0
    assert orders_table.error == "Dataset 'orders' was deleted from the workspace."


def test_close_unsubscribes(orders_table: Table, memory_workspace: Workspace) -> None:
    orders_table.close()
    memory_workspace.put("orders", pd.DataFrame({"a": [1, 2]}))

    assert orders_table.row_count == 1234


def test_missing_dataset_explains(memory_workspace: Workspace) -> None:
    memory_workspace.put("sales", pd.DataFrame({"a": [1]}))

    with pytest.raises(KeyError, match="Dataset 'sale' not found"):
        Table("sale", workspace=memory_workspace)


def test_static_fallback_is_escaped_html(memory_workspace: Workspace) -> None:
    frame = pd.DataFrame(
        {"note": ["<script>alert(1)</script>"] + ["x"] * 29, "n": range(30)}
    )
    memory_workspace.put("notes", frame)
    data, _ = Table("notes", workspace=memory_workspace)._repr_mimebundle_()

    page = data["text/html"]
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "30 rows x 2 columns" in page
    assert page.count("<tr") == 21  # header + first 20 rows
    assert "application/vnd.jupyter.widget-view+json" in data


def test_default_workspace_is_used(memory_workspace: Workspace) -> None:
    memory_workspace.put("tiny", pd.DataFrame({"a": [1, 2]}))

    assert Table("tiny").row_count == 2


def test_export_parquet_reads_back_with_pyarrow(
    orders_table: Table, sent: Sent, orders_frame: pd.DataFrame
) -> None:
    import pyarrow.parquet as pq

    reply, buffers = ask(orders_table, sent, {"kind": "export", "format": "parquet"})
    table = pq.read_table(io.BytesIO(bytes(buffers[0])))

    assert reply["result"] == {
        "filename": "orders.parquet",
        "mime": "application/vnd.apache.parquet",
        "size": len(bytes(buffers[0])),
    }
    assert table.column_names == ["order_id", "region", "revenue", "day"]
    assert table.column("order_id").to_pylist() == list(range(1234))
    assert table.column("region").to_pylist()[:30] == [
        None if pd.isna(v) else v for v in orders_frame["region"][:30]
    ]
    assert table.column("revenue").null_count == orders_frame["revenue"].isna().sum()


def test_export_message_can_turn_formula_protection_off(
    memory_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_workspace.put("people", pd.DataFrame({"name": ["=1+1", "+x", "ok"]}))
    table = Table("people", workspace=memory_workspace)
    messages: Sent = []
    monkeypatch.setattr(
        table, "send", lambda content, buffers=None: messages.append((content, buffers))
    )

    _, safe = ask(table, messages, {"kind": "export", "format": "csv"})
    _, raw = ask(table, messages, {"kind": "export", "format": "csv", "safe": False})
    bad, _ = ask(table, messages, {"kind": "export", "format": "csv", "safe": "no"})

    assert bytes(safe[0]) == b"name\r\n'=1+1\r\n'+x\r\nok\r\n"
    assert bytes(raw[0]) == b"name\r\n=1+1\r\n+x\r\nok\r\n"
    assert bad["error"] == "export's safe must be true or false, got 'no'."
