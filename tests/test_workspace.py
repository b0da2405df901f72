"""Tests for the workspace: datasets, events, SQL and persistence."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import nbdash
from nbdash.errors import DatasetExistsError, DatasetNotFoundError, SpecError
from nbdash.store import Store
from nbdash.workspace import (
    DatasetEvent,
    Workspace,
    default_store_root,
    set_default_workspace,
)

SRC = Path(__file__).resolve().parents[1] / "src"


def test_create_get_and_version(
    memory_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    assert memory_workspace.create("sales", sales_frame, meta={"from": "test"}) == 1

    pd.testing.assert_frame_equal(memory_workspace["sales"], sales_frame)
    assert "sales" in memory_workspace
    assert memory_workspace.names() == ["sales"]
    assert memory_workspace.info("sales")["meta"] == {"from": "test"}
    assert memory_workspace.info("sales")["rows"] == 4

    assert memory_workspace.put("sales", sales_frame.head(1)) == 2
    assert memory_workspace.version("sales") == 2
    assert len(memory_workspace.get("sales")) == 1


def test_create_refuses_taken_name(
    memory_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    memory_workspace.create("sales", sales_frame)

    with pytest.raises(
        DatasetExistsError, match=r"'sales' already exists.*overwrite=True"
    ):
        memory_workspace.create("sales", sales_frame)
    assert memory_workspace.create("sales", sales_frame.head(2), overwrite=True) == 2


def test_missing_dataset_lists_names(
    memory_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    memory_workspace.put("sales", sales_frame)
    memory_workspace.put("costs", sales_frame)

    with pytest.raises(
        DatasetNotFoundError, match=r"'sale' not found\. Datasets held: costs, sales\."
    ):
        memory_workspace.get("sale")
    with pytest.raises(KeyError):
        memory_workspace.delete("sale")
    assert "sale" not in memory_workspace


def test_bad_name_and_bad_frame(memory_workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="Invalid dataset name 'a/b'"):
        memory_workspace.put("a/b", pd.DataFrame())
    with pytest.raises(TypeError, match="must be a pandas DataFrame, got list"):
        memory_workspace.put("rows", [1, 2])  # type: ignore[arg-type]


def test_edits_to_a_returned_frame_do_not_leak(
    memory_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    memory_workspace.put("sales", sales_frame)

    got = memory_workspace.get("sales")
    got.loc[0, "revenue"] = -1.0

    assert memory_workspace.get("sales").loc[0, "revenue"] == 7.5


def test_events_and_unsubscribe(
    memory_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    events: list[DatasetEvent] = []
    unsubscribe = memory_workspace.on_change(events.append)

    memory_workspace.put("sales", sales_frame)
    memory_workspace.put("sales", sales_frame)
    memory_workspace.delete("sales")
    unsubscribe()
    memory_workspace.put("later", sales_frame)

    assert events == [
        DatasetEvent("sales", "created", 1),
        DatasetEvent("sales", "updated", 2),
        DatasetEvent("sales", "deleted", 2),
    ]


def test_failing_callback_is_logged_not_raised(
    memory_workspace: Workspace,
    sales_frame: pd.DataFrame,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    def broken(event: DatasetEvent) -> None:
        raise RuntimeError("view is gone")

    memory_workspace.on_change(broken)
    memory_workspace.on_change(lambda event: seen.append(event.name))

    with caplog.at_level(logging.ERROR, logger="nbdash.workspace"):
        assert memory_workspace.put("sales", sales_frame) == 1

    assert seen == ["sales"]
    assert "on_change callback" in caplog.text
    assert "view is gone" in caplog.text
    assert "sales" in memory_workspace


def test_query_joins_datasets(
    memory_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    memory_workspace.put("sales", sales_frame)
    memory_workspace.put(
        "region names", pd.DataFrame({"region": ["North", "East"], "code": ["N", "E"]})
    )

    result = memory_workspace.query(
        'SELECT r.code, SUM(s.revenue) AS total FROM sales s JOIN "region names" r '
        "USING (region) GROUP BY r.code ORDER BY r.code"
    )

    # North: 7.5 + 8.0; East: 12.5; South has no code.
    assert result["code"].tolist() == ["E", "N"]
    assert result["total"].tolist() == [12.5, 15.5]


def test_query_error_names_tables(
    memory_workspace: Workspace, sales_frame: pd.DataFrame
) -> None:
    memory_workspace.put("sales", sales_frame)

    with pytest.raises(
        SpecError, match=r"(?s)SQL query failed.*Tables available: sales"
    ):
        memory_workspace.query("SELECT nope FROM sales")


def test_store_backed_workspace_loads_lazily(
    tmp_store: Store, sales_frame: pd.DataFrame
) -> None:
    Workspace(tmp_store).put("sales", sales_frame, meta={"rows": 4})

    fresh = Workspace(tmp_store)

    assert fresh.names() == ["sales"]
    assert fresh._frames == {}
    pd.testing.assert_frame_equal(fresh.get("sales"), sales_frame)
    assert fresh.version("sales") == 1
    assert fresh.info("sales")["meta"] == {"rows": 4}
    fresh.delete("sales")
    assert tmp_store.names() == []


def test_concurrent_puts_give_distinct_versions(tmp_store: Store) -> None:
    ws = Workspace(tmp_store)
    versions: list[int] = []

    def writer(value: int) -> None:
        versions.append(ws.put("counter", pd.DataFrame({"x": [value]})))

    threads = [threading.Thread(target=writer, args=(value,)) for value in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(versions) == list(range(1, 9))
    assert ws.version("counter") == 8


def test_default_workspace_uses_env_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBDASH_STORE", str(tmp_path / "custom"))
    set_default_workspace(None)
    try:
        ws = nbdash.workspace()
        assert ws is nbdash.workspace()
        assert ws.store is not None and ws.store.root == tmp_path / "custom"
    finally:
        set_default_workspace(None)

    monkeypatch.delenv("NBDASH_STORE")
    monkeypatch.chdir(tmp_path)
    assert default_store_root() == tmp_path / ".nbdash"


def test_new_process_sees_the_same_datasets(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    write = (
        "import pandas as pd, nbdash\n"
        "nbdash.workspace().put('sales', pd.DataFrame({'revenue': [1.5, 2.5]}))\n"
    )
    read = (
        "import nbdash\n"
        "ws = nbdash.workspace()\n"
        "print(ws.names(), ws['sales']['revenue'].sum(), ws.version('sales'))\n"
    )

    subprocess.run([sys.executable, "-c", write], cwd=tmp_path, env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-c", read],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )

    assert done.stdout.strip() == "['sales'] 4.0 1"
    assert (tmp_path / ".nbdash" / "sales" / "v1.parquet").is_file()


def test_workspace_opens_a_store_from_a_folder_or_url(tmp_path: Path) -> None:
    local = Workspace(tmp_path / "here")
    remote = Workspace("memory://nbdash-workspace-test")

    local.put("sales", pd.DataFrame({"n": [1, 2]}))
    remote.put("sales", pd.DataFrame({"n": [3]}))

    assert isinstance(local.store, Store) and local.store.root == tmp_path / "here"
    assert (tmp_path / "here" / "sales" / "v1.parquet").is_file()
    assert Workspace("memory://nbdash-workspace-test")["sales"]["n"].tolist() == [3]
    assert repr(remote) == "<Workspace (memory://nbdash-workspace-test): sales>"
    remote.delete("sales")


def test_default_store_root_may_be_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBDASH_STORE", "memory://nbdash-default-url")
    set_default_workspace(None)
    try:
        ws = nbdash.workspace()
        assert default_store_root() == "memory://nbdash-default-url"
        assert ws.store is not None and ws.store.url == "memory://nbdash-default-url"
        assert ws.store.root is None
    finally:
        set_default_workspace(None)
