from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from nbdash.errors import IngestError
from nbdash.store import Store
from nbdash.widgets.upload import (
    CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    Upload,
    default_dataset_name,
)
from nbdash.workspace import Workspace

Sent = list[tuple[dict[str, Any], list[Any]]]


@pytest.fixture
def stored_workspace(tmp_path: Path) -> Workspace:
    """A workspace whose store (and so its .uploads folder) is in a temp folder."""
    return Workspace(Store(tmp_path / "store"))


@pytest.fixture
def uploads_dir(tmp_path: Path) -> Path:
    return tmp_path / "store" / ".uploads"


@pytest.fixture
def upload(stored_workspace: Workspace) -> Upload:
    return Upload(workspace=stored_workspace)


@pytest.fixture
def sent(upload: Upload, monkeypatch: pytest.MonkeyPatch) -> Sent:
    """What the widget sends to its front end, captured."""
    messages: Sent = []
    monkeypatch.setattr(
        upload,
        "send",
        lambda content, buffers=None: messages.append((content, buffers or [])),
    )
    return messages


@pytest.fixture
def big_csv() -> tuple[bytes, pd.DataFrame]:
    """A CSV of about 2.6 MB (three 1 MiB slices) and the frame it holds."""
    rng = np.random.default_rng(3)
    n = 160_000
    frame = pd.DataFrame(
        {
            "order_id": np.arange(n),
            "region": rng.choice(["North", "South", "East", "West"], n),
            "amount": rng.integers(0, 10_000, n) / 100,
        }
    )
    return frame.to_csv(index=False).encode(), frame


def ask(
    widget: Upload,
    sent: Sent,
    content: dict[str, Any],
    buffers: list[bytes] | None = None,
) -> dict[str, Any]:
    """Send ``content`` as the front end would and return the reply."""
    widget._dispatch(widget, {"id": f"m{len(sent)}", **content}, buffers or [])
    reply, _ = sent[-1]
    assert reply["kind"] == "reply" and reply["id"] == f"m{len(sent) - 1}"
    return reply


def send_slices(
    widget: Upload, sent: Sent, upload_id: str, data: bytes, size: int
) -> None:
    for offset in range(0, len(data), size):
        reply = ask(
            widget,
            sent,
            {"kind": "chunk", "upload_id": upload_id, "offset": offset},
            [data[offset : offset + size]],
        )
        assert reply["result"] == {"received": min(offset + size, len(data))}


def start(widget: Upload, sent: Sent, name: str, data: bytes, dataset: str = "") -> str:
    reply = ask(
        widget,
        sent,
        {"kind": "start", "name": name, "size": len(data), "dataset": dataset},
    )
    assert reply["result"]["chunk_size"] == CHUNK_SIZE
    return str(reply["result"]["upload_id"])


def upload_file(
    widget: Upload,
    sent: Sent,
    name: str,
    data: bytes,
    dataset: str = "",
    digest: str | None = None,
) -> dict[str, Any]:
    upload_id = start(widget, sent, name, data, dataset)
    send_slices(widget, sent, upload_id, data, CHUNK_SIZE)
    sha256 = digest or hashlib.sha256(data).hexdigest()
    return ask(
        widget, sent, {"kind": "finish", "upload_id": upload_id, "sha256": sha256}
    )


def leftovers(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.exists() else []


def test_multi_chunk_csv_creates_the_dataset(
    upload: Upload,
    sent: Sent,
    stored_workspace: Workspace,
    uploads_dir: Path,
    big_csv: tuple[bytes, pd.DataFrame],
) -> None:
    data, frame = big_csv
    assert len(data) > 2 * CHUNK_SIZE

    reply = upload_file(upload, sent, "orders.csv", data, dataset="orders")

    assert reply["result"]["dataset"] == "orders"
    assert reply["result"]["rows"] == 160_000
    stored = stored_workspace.get("orders")
    assert stored["order_id"].tolist() == frame["order_id"].tolist()
    assert stored["region"].tolist() == frame["region"].tolist()
    np.testing.assert_allclose(
        stored["amount"].to_numpy(dtype=float), frame["amount"].to_numpy()
    )
    assert (upload.status, upload.progress, upload.error) == ("done", 1.0, "")
    assert upload.report["rows"] == 160_000
    assert stored_workspace.info("orders")["meta"]["source"] == {
        "kind": "upload",
        "filename": "orders.csv",
        "options": {},
    }
    # The file is kept for re-reads until the widget closes.
    assert len(leftovers(uploads_dir)) == 1 and upload.can_reread
    upload.close()
    assert leftovers(uploads_dir) == []


def test_dataset_name_defaults_to_the_file_name(
    upload: Upload, sent: Sent, stored_workspace: Workspace
) -> None:
    upload_file(upload, sent, "sales-2024.csv", b"region,revenue\nWest,10\nEast,5\n")

    assert upload.dataset == "sales_2024"
    assert stored_workspace.get("sales_2024")["revenue"].tolist() == [10, 5]


def test_name_given_to_the_widget_is_used(
    stored_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget = Upload(workspace=stored_workspace, dataset="sales")
    messages: Sent = []
    monkeypatch.setattr(
        widget,
        "send",
        lambda content, buffers=None: messages.append((content, buffers or [])),
    )

    upload_file(widget, messages, "whatever.csv", b"a\n1\n", dataset=widget.dataset)

    assert stored_workspace.get("sales")["a"].tolist() == [1]


def test_wrong_hash_leaves_nothing(
    upload: Upload, sent: Sent, stored_workspace: Workspace, uploads_dir: Path
) -> None:
    data = b"a,b\n1,2\n"
    reply = upload_file(upload, sent, "t.csv", data, digest="0" * 64)

    actual = hashlib.sha256(data).hexdigest()
    assert reply["error"] == (
        f"'t.csv' was damaged on the way: its SHA-256 is {actual}, "
        f"the browser computed {'0' * 64}. Start the upload again."
    )
    assert upload.status == "error" and upload.error == reply["error"]
    assert "t" not in stored_workspace
    assert leftovers(uploads_dir) == []


def test_failed_upload_does_not_overwrite(
    upload: Upload, sent: Sent, stored_workspace: Workspace
) -> None:
    stored_workspace.put("t", pd.DataFrame({"kept": [1, 2]}))

    upload_file(upload, sent, "t.csv", b"a\n9\n", digest="f" * 64)

    assert stored_workspace.version("t") == 1
    assert stored_workspace.get("t")["kept"].tolist() == [1, 2]


def test_abort_leaves_nothing(
    upload: Upload,
    sent: Sent,
    stored_workspace: Workspace,
    uploads_dir: Path,
    big_csv: tuple[bytes, pd.DataFrame],
) -> None:
    data, _ = big_csv
    upload_id = start(upload, sent, "orders.csv", data)
    send_slices(upload, sent, upload_id, data[:CHUNK_SIZE], CHUNK_SIZE)
    assert len(leftovers(uploads_dir)) == 1
    assert upload.progress == pytest.approx(CHUNK_SIZE / len(data))

    assert ask(upload, sent, {"kind": "abort", "upload_id": upload_id})["result"] == {
        "aborted": True
    }
    assert (upload.status, upload.progress) == ("aborted", 0.0)
    assert leftovers(uploads_dir) == []
    assert "orders" not in stored_workspace

    late = ask(
        upload,
        sent,
        {"kind": "chunk", "upload_id": upload_id, "offset": CHUNK_SIZE},
        [data[CHUNK_SIZE:]],
    )
    assert late["error"].startswith(f"No upload with id {upload_id!r} is in progress")


def test_binary_file_registers_nothing_and_is_not_kept(
    upload: Upload, sent: Sent, stored_workspace: Workspace, uploads_dir: Path
) -> None:
    data = bytes(range(256)) * 64  # binary, not a table

    reply = upload_file(upload, sent, "broken.csv", data)

    assert "error" in reply and "broken.csv" in reply["error"]
    assert upload.status == "error" and upload.error == reply["error"]
    assert "broken" not in stored_workspace
    # Re-reading with other options cannot make binary data a table: nothing kept.
    assert upload.failure == "unreadable" and not upload.can_reread
    assert leftovers(uploads_dir) == []


def test_empty_file_is_refused(
    upload: Upload, sent: Sent, stored_workspace: Workspace, uploads_dir: Path
) -> None:
    reply = ask(
        upload, sent, {"kind": "start", "name": "empty.csv", "size": 0, "dataset": ""}
    )

    assert (
        reply["error"]
        == "The file 'empty.csv' is empty (0 bytes). Choose a file that holds a table."
    )
    assert upload.status == "error" and upload.error == reply["error"]
    assert upload.failure == "empty"
    assert "empty" not in stored_workspace
    assert leftovers(uploads_dir) == []


def test_offset_mismatch_is_rejected(
    upload: Upload, sent: Sent, uploads_dir: Path
) -> None:
    data = b"a\n" * 100
    upload_id = start(upload, sent, "t.csv", data)
    ask(
        upload,
        sent,
        {"kind": "chunk", "upload_id": upload_id, "offset": 0},
        [data[:50]],
    )

    reply = ask(
        upload,
        sent,
        {"kind": "chunk", "upload_id": upload_id, "offset": 60},
        [data[60:]],
    )

    assert reply["error"] == (
        "Slice of 't.csv' arrived at offset 60, expected 50. "
        "Slices must be sent in order; start the upload again."
    )
    assert upload.status == "error"
    assert leftovers(uploads_dir) == []


def test_more_bytes_than_announced_are_rejected(
    upload: Upload, sent: Sent, uploads_dir: Path
) -> None:
    upload_id = start(upload, sent, "t.csv", b"a\n1\n")

    reply = ask(
        upload,
        sent,
        {"kind": "chunk", "upload_id": upload_id, "offset": 0},
        [b"a\n1\n2\n"],
    )

    assert (
        reply["error"]
        == "'t.csv' was announced as 4 bytes but more arrived. Start the upload again."
    )
    assert leftovers(uploads_dir) == []


def test_oversized_slice_is_rejected(upload: Upload, sent: Sent) -> None:
    size = MAX_CHUNK_SIZE + 1
    upload_id = start(upload, sent, "t.csv", b"x" * size)

    reply = ask(
        upload,
        sent,
        {"kind": "chunk", "upload_id": upload_id, "offset": 0},
        [b"x" * size],
    )

    assert (
        reply["error"] == f"A slice must hold 1 to {MAX_CHUNK_SIZE} bytes, got {size}."
    )


def test_finish_before_all_bytes_is_rejected(upload: Upload, sent: Sent) -> None:
    data = b"a\n1\n2\n"
    upload_id = start(upload, sent, "t.csv", data)
    ask(
        upload, sent, {"kind": "chunk", "upload_id": upload_id, "offset": 0}, [data[:2]]
    )

    reply = ask(
        upload,
        sent,
        {
            "kind": "finish",
            "upload_id": upload_id,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )

    assert (
        reply["error"]
        == "'t.csv' is incomplete: 2 of 6 bytes arrived. Start the upload again."
    )


def test_one_upload_at_a_time(upload: Upload, sent: Sent) -> None:
    first = start(upload, sent, "one.csv", b"a\n1\n")

    reply = ask(
        upload, sent, {"kind": "start", "name": "two.csv", "size": 4, "dataset": ""}
    )

    assert reply["error"] == (
        "An upload of 'one.csv' is already in progress. "
        "Abort it or wait for it to finish before starting another."
    )
    assert upload.status == "uploading"
    ask(upload, sent, {"kind": "chunk", "upload_id": first, "offset": 0}, [b"a\n1\n"])
    assert "result" in sent[-1][0]


def test_bad_dataset_name_is_refused_at_start(upload: Upload, sent: Sent) -> None:
    reply = ask(
        upload, sent, {"kind": "start", "name": "t.csv", "size": 4, "dataset": "../etc"}
    )

    assert reply["error"].startswith("Invalid dataset name '../etc'")
    assert upload.status == "error" and upload.failure == "name"


def test_malformed_start_is_refused(upload: Upload, sent: Sent) -> None:
    reply = ask(
        upload, sent, {"kind": "start", "name": "t.csv", "size": "4", "dataset": ""}
    )

    assert reply["error"] == "Message field 'size' must be int, got str."


def test_memory_workspace_uploads_via_temp_dir(
    memory_workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    widget = Upload()
    messages: Sent = []
    monkeypatch.setattr(
        widget,
        "send",
        lambda content, buffers=None: messages.append((content, buffers or [])),
    )

    upload_file(widget, messages, "m.csv", b"x,y\n1,2\n")

    assert memory_workspace.get("m")["y"].tolist() == [2]
    assert widget.upload_dir() == tmp_path / "nbdash-uploads"
    widget.close()
    assert leftovers(tmp_path / "nbdash-uploads") == []


def test_close_drops_the_partial_file(
    upload: Upload, sent: Sent, uploads_dir: Path
) -> None:
    start(upload, sent, "t.csv", b"a\n1\n")
    assert len(leftovers(uploads_dir)) == 1

    upload.close()

    assert leftovers(uploads_dir) == []


def test_static_fallback_escapes(upload: Upload, sent: Sent) -> None:
    upload_file(upload, sent, "<b>x<b>.csv", b"<i>col</i>,n\nv,1\n", dataset="tagged")

    data, _ = upload._repr_mimebundle_()
    page = data["text/html"]
    assert "<b>x" not in page and "<i>" not in page
    assert "&lt;b&gt;x&lt;b&gt;.csv" in page
    assert "1 rows, 2 columns" in page


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("sales-2024.csv", "sales_2024"),
        ("Q1 Report (final).xlsx", "q1_report_final"),
        ("data.tar.csv", "data_tar"),
        ("noext", "noext"),
        ("---.csv", "upload"),
    ],
)
def test_default_dataset_name(filename: str, expected: str) -> None:
    assert default_dataset_name(filename) == expected


def test_report_reaches_the_trait(upload: Upload, sent: Sent) -> None:
    upload_file(upload, sent, "r.csv", b"when,amount\n2024-01-01,1.5\n2024-01-02,2\n")

    assert upload.report["rows"] == 2
    assert [c["name"] for c in upload.report["columns"]] == ["when", "amount"]
    back = pd.read_csv(io.BytesIO(b"when,amount\n2024-01-01,1.5\n2024-01-02,2\n"))
    assert len(back) == upload.report["rows"]


SEMICOLON_CSV = (
    b"order;day;amount;code\n"
    b"1;03/04/2024;1,5;007\n"
    b"2;25/12/2024;2,25;012\n"
    b"3;01/02/2024;oops;100\n"
)


def test_reread_with_overrides_replaces_the_dataset(
    upload: Upload, sent: Sent, stored_workspace: Workspace, uploads_dir: Path
) -> None:
    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")
    first = stored_workspace.get("eu")
    assert first["amount"].tolist() == ["1,5", "2,25", "oops"]  # kept as text

    options = {
        "delimiter": ";",
        "column_types": {"amount": "number", "code": "integer"},
        "date_formats": {"day": "%d/%m/%Y"},
    }
    reply = ask(upload, sent, {"kind": "reread", "options": options})

    assert reply["result"] == {"dataset": "eu", "version": 2, "rows": 3}
    frame = stored_workspace.get("eu")
    assert frame["amount"].tolist()[:2] == [1.5, 2.25]
    assert pd.isna(frame["amount"][2])
    assert frame["code"].tolist() == [7, 12, 100]
    assert frame["day"].dt.month.tolist() == [4, 12, 2]
    amount = next(c for c in upload.report["columns"] if c["name"] == "amount")
    assert (amount["unparseable"], amount["sample_lines"]) == (1, [4])
    assert upload.options == options and upload.status == "done"
    assert "amount: number (float64), 0 missing, 1 unparseable (lines 4)" in (
        upload.to_html()
    )
    meta = stored_workspace.info("eu")["meta"]
    assert meta["source"]["options"] == options
    assert len(leftovers(uploads_dir)) == 1


def test_failed_reread_keeps_the_dataset(
    upload: Upload, sent: Sent, stored_workspace: Workspace
) -> None:
    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")
    report = dict(upload.report)

    reply = ask(
        upload,
        sent,
        {"kind": "reread", "options": {"column_types": {"amonut": "number"}}},
    )

    assert "Column 'amonut' not found" in reply["error"]
    assert "Did you mean 'amount'" in reply["error"]
    assert stored_workspace.version("eu") == 1
    assert upload.status == "error" and upload.report == report
    assert upload.failure == "reread"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("x", "Read options must be an object, got str."),
        ({"sep": ";"}, "Unknown read option 'sep'. Known options: encoding,"),
        ({"delimiter": ";;"}, "The delimiter must be one character, got ';;'"),
        ({"header_row": True}, "Read option 'header_row' must be int, got bool"),
        ({"column_types": {"a": 1}}, "Read option 'column_types' must hold text"),
    ],
)
def test_reread_options_are_validated(
    upload: Upload, sent: Sent, options: object, message: str
) -> None:
    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")

    reply = ask(upload, sent, {"kind": "reread", "options": options})

    assert reply["error"].startswith(message)


def export_workbook() -> bytes:
    """A cover sheet, then an export with title rows, text dates and padded ids."""
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    book.active.append(["Acme Ltd: invoices, see the next sheet"])
    sheet = book.create_sheet("Invoices")
    for row in (
        ["Acme Ltd"],
        ["Invoices, March 2024"],
        [],
        ["Invoice", "Date", "Amount"],
        ["00123", "04/03/2024", "$1,234.00"],
        ["00124", "31/03/2024", "$99.50"],
        ["0012x", "2024-03-31", "$5.00"],
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_upload_offers_sheets_and_type_overrides(
    upload: Upload, sent: Sent, stored_workspace: Workspace
) -> None:
    reply = upload_file(upload, sent, "acme.xlsx", export_workbook(), dataset="acme")
    assert "Sheet 'Cover' of 'acme.xlsx' holds no data" in reply["error"]
    assert upload.failure == "read" and upload.can_reread
    assert upload.sheets == ["Cover", "Invoices"]

    options = {
        "sheet": "Invoices",
        "column_types": {"Invoice": "integer"},
        "date_formats": {"Date": "%d/%m/%Y"},
    }
    reply = ask(upload, sent, {"kind": "reread", "options": options})

    assert reply["result"] == {"dataset": "acme", "version": 1, "rows": 3}
    frame = stored_workspace.get("acme")
    assert frame["Invoice"].tolist()[:2] == [123, 124]
    assert frame["Date"].tolist()[:2] == [
        pd.Timestamp(2024, 3, 4),
        pd.Timestamp(2024, 3, 31),
    ]
    assert frame["Amount"].tolist() == [1234.0, 99.5, 5.0]
    columns = {c["name"]: c for c in upload.report["columns"]}
    # Misfits are named by their sheet row (the header is row 4).
    assert (columns["Invoice"]["unparseable"], columns["Invoice"]["sample_lines"]) == (
        1,
        [7],
    )
    assert columns["Date"]["sample_lines"] == [7] and columns["Date"]["overridden"]
    assert upload.options == options and upload.status == "done"


def test_sheets_are_empty_for_other_files(upload: Upload, sent: Sent) -> None:
    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")

    assert upload.sheets == []


def test_reread_needs_an_uploaded_file(upload: Upload, sent: Sent) -> None:
    reply = ask(upload, sent, {"kind": "reread", "options": {}})

    assert reply["error"] == "No uploaded file to read again: upload a file first."


def test_new_upload_replaces_the_kept_file(
    upload: Upload, sent: Sent, uploads_dir: Path
) -> None:
    upload_file(upload, sent, "a.csv", b"x\n1\n", dataset="a")
    upload_file(upload, sent, "b.csv", b"y\n2\n", dataset="b")

    kept = leftovers(uploads_dir)
    assert len(kept) == 1 and kept[0].read_bytes() == b"y\n2\n"


def test_encrypted_store_stages_uploads_in_a_private_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat
    import tempfile

    from nbdash.store.crypto import generate_key

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    workspace = Workspace(Store(tmp_path / "store", encrypt=True, key=generate_key()))
    widget = Upload(workspace=workspace)
    messages: Sent = []
    monkeypatch.setattr(
        widget, "send", lambda content, buffers=None: messages.append((content, []))
    )
    secret = b"name,salary\nAnn,91234\nBo,80000\n"

    reply = upload_file(widget, messages, "pay.csv", secret, dataset="pay")

    assert reply["result"]["rows"] == 2
    staged = widget.upload_dir()
    assert staged.parent == tmp_path / "tmp"
    assert stat.S_IMODE(staged.stat().st_mode) == 0o700
    assert [path.read_bytes() for path in staged.iterdir()] == [secret]
    # No plaintext anywhere under the store: not in .uploads, not in the dataset.
    store_files = [path for path in (tmp_path / "store").rglob("*") if path.is_file()]
    assert not (tmp_path / "store" / ".uploads").exists()
    assert all(b"91234" not in path.read_bytes() for path in store_files)
    assert workspace.get("pay")["salary"].tolist() == [91234, 80000]

    widget.close()
    assert not staged.exists()


def test_failed_upload_clears_the_previous_report(
    upload: Upload, sent: Sent, uploads_dir: Path
) -> None:
    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")
    assert upload.report["rows"] > 0

    reply = upload_file(upload, sent, "binary.csv", bytes(range(256)) * 64)

    assert "'binary.csv' is not a text table" in reply["error"]
    assert upload.report == {} and upload.options == {}
    assert upload.failure == "unreadable" and upload.filename == "binary.csv"
    assert leftovers(uploads_dir) == []


def test_refused_start_clears_the_previous_report(upload: Upload, sent: Sent) -> None:
    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")

    reply = ask(
        upload, sent, {"kind": "start", "name": "t.csv", "size": 4, "dataset": "a/b"}
    )

    assert reply["error"] == (
        "Invalid dataset name 'a/b': a name is 1-64 characters of letters, digits, "
        "'_', '-', '.' and spaces, not starting with '.', with no leading or "
        "trailing spaces. Rename it, e.g. 'sales_2024'."
    )
    assert upload.report == {} and not upload.can_reread
    assert (upload.status, upload.failure) == ("error", "name")


def test_read_failure_that_options_may_fix_keeps_the_file(
    upload: Upload, sent: Sent, uploads_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")

    def failing_read(*args: object, **kwargs: object) -> None:
        raise IngestError("Line 3 has 4 fields, expected 3.", filename="t.csv")

    monkeypatch.setattr("nbdash.ingest.read_table", failing_read)
    reply = upload_file(upload, sent, "t.csv", b"a,b,c\n1,2,3\n")

    assert reply["error"] == "Line 3 has 4 fields, expected 3."
    assert (upload.status, upload.failure) == ("error", "read")
    assert upload.report == {} and upload.can_reread
    assert len(leftovers(uploads_dir)) == 1


def test_success_clears_the_failure(upload: Upload, sent: Sent) -> None:
    ask(upload, sent, {"kind": "start", "name": "t.csv", "size": 4, "dataset": "a/b"})
    assert upload.failure == "name"

    upload_file(upload, sent, "eu.csv", SEMICOLON_CSV, dataset="eu")

    assert (upload.status, upload.failure) == ("done", "")
