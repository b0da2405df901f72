"""Tests for the Parquet dataset store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nbdash.errors import DatasetNotFoundError, StoreError
from nbdash.store import Store


def typed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-03-01 10:00", "2024-03-02 11:30", None]),
            "when_utc": pd.to_datetime(
                ["2024-03-01", "2024-03-02", "2024-03-03"], utc=True
            ),
            "region": pd.Categorical(["North", "South", "North"]),
            "count": pd.array([1, None, 3], dtype="Int64"),
            "name": pd.Series(["a", None, "ü"], dtype="str"),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "amount": [1.5, float("nan"), -2.25],
        }
    )


def test_round_trip_keeps_values_and_dtypes(tmp_store: Store) -> None:
    frame = typed_frame()

    version = tmp_store.write("typed", frame)
    back = tmp_store.read("typed")

    assert version == 1
    pd.testing.assert_frame_equal(back, frame)
    assert back["region"].cat.categories.tolist() == ["North", "South"]
    assert str(back["count"].dtype) == "Int64"
    assert str(back["when_utc"].dt.tz) == "UTC"


def test_files_and_manifest_layout(tmp_store: Store, sales_frame: pd.DataFrame) -> None:
    tmp_store.write("sales", sales_frame, meta={"source": "upload.csv"})
    tmp_store.write("sales", sales_frame.head(2))

    folder = tmp_store.root / "sales"
    manifest = json.loads((folder / "manifest.json").read_text())

    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "v1.parquet",
        "v2.parquet",
    ]
    assert [entry["version"] for entry in manifest["versions"]] == [1, 2]
    assert tmp_store.info("sales")["rows"] == 2
    assert tmp_store.info("sales", version=1)["meta"] == {"source": "upload.csv"}
    assert tmp_store.info("sales")["columns"] == list(sales_frame.columns)


def test_versions_read_back_and_prune(tmp_path: Path) -> None:
    store = Store(tmp_path, keep=3)

    for size in range(1, 6):
        store.write("growing", pd.DataFrame({"x": range(size)}))

    assert store.versions("growing") == [3, 4, 5]
    assert len(store.read("growing", version=3)) == 3
    assert len(store.read("growing")) == 5
    assert sorted(p.name for p in (tmp_path / "growing").glob("*.parquet")) == [
        "v3.parquet",
        "v4.parquet",
        "v5.parquet",
    ]
    with pytest.raises(
        DatasetNotFoundError, match=r"no version 1\. Versions kept: 3, 4, 5"
    ):
        store.read("growing", version=1)


def test_names_exists_delete(tmp_store: Store, sales_frame: pd.DataFrame) -> None:
    assert tmp_store.names() == []
    tmp_store.write("b set", sales_frame)
    tmp_store.write("a-set.v2", sales_frame)

    assert tmp_store.names() == ["a-set.v2", "b set"]
    assert tmp_store.exists("b set")

    tmp_store.delete("b set")

    assert tmp_store.names() == ["a-set.v2"]
    assert not tmp_store.exists("b set")
    assert not (tmp_store.root / "b set").exists()


def test_missing_dataset_message_lists_names(
    tmp_store: Store, sales_frame: pd.DataFrame
) -> None:
    tmp_store.write("sales", sales_frame)

    with pytest.raises(
        DatasetNotFoundError, match=r"'sale' not found .* Datasets held: sales\."
    ):
        tmp_store.read("sale")
    with pytest.raises(KeyError):
        tmp_store.delete("nothing")


@pytest.mark.parametrize(
    "bad", ["", ".hidden", "a/b", "../up", "x" * 65, "tab\there", " pad"]
)
def test_invalid_names_are_rejected_with_the_rule(tmp_store: Store, bad: str) -> None:
    with pytest.raises(ValueError, match="1-64 characters of letters, digits"):
        tmp_store.write(bad, pd.DataFrame({"x": [1]}))


def test_interrupted_write_keeps_previous_version(
    tmp_store: Store, sales_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    tmp_store.write("sales", sales_frame)
    real_write_table = pq.write_table

    def write_half_then_fail(table: object, where: object, **kwargs: object) -> None:
        real_write_table(table, where, **kwargs)
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(pq, "write_table", write_half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        tmp_store.write("sales", sales_frame.head(1))
    monkeypatch.undo()

    pd.testing.assert_frame_equal(tmp_store.read("sales"), sales_frame)
    assert tmp_store.versions("sales") == [1]
    assert tmp_store.names() == ["sales"]
    assert sorted(p.name for p in (tmp_store.root / "sales").iterdir()) == [
        "manifest.json",
        "v1.parquet",
    ]
    assert tmp_store.write("sales", sales_frame.head(1)) == 2


def test_interrupted_manifest_write_keeps_previous_version(
    tmp_store: Store, sales_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbdash.store._backends import LocalBackend

    tmp_store.write("sales", sales_frame)
    write_bytes = LocalBackend.write_bytes

    def fail_on_manifest(self: LocalBackend, rel: str, data: bytes) -> None:
        if rel.endswith("manifest.json"):
            raise OSError("disk full")
        write_bytes(self, rel, data)

    monkeypatch.setattr(LocalBackend, "write_bytes", fail_on_manifest)
    with pytest.raises(OSError, match="disk full"):
        tmp_store.write("sales", sales_frame.head(1))
    monkeypatch.undo()

    assert len(tmp_store.read("sales")) == len(sales_frame)
    assert tmp_store.versions("sales") == [1]
    assert tmp_store.write("sales", sales_frame.head(1)) == 2
    assert len(tmp_store.read("sales")) == 1


def test_corrupt_manifest_and_bad_meta_raise_store_error(
    tmp_store: Store, sales_frame: pd.DataFrame
) -> None:
    tmp_store.write("sales", sales_frame)
    (tmp_store.root / "sales" / "manifest.json").write_text("{not json")

    with pytest.raises(
        StoreError, match=r"manifest of dataset 'sales' .* not valid JSON"
    ):
        tmp_store.read("sales")
    with pytest.raises(StoreError, match="must be JSON-serialisable"):
        tmp_store.write("other", sales_frame, meta={"when": object()})
    assert not (tmp_store.root / "other").exists()


def test_parquet_path_points_at_a_readable_file(
    tmp_store: Store, sales_frame: pd.DataFrame
) -> None:
    import pyarrow.parquet as pq

    tmp_store.write("sales", sales_frame)
    tmp_store.write("sales", sales_frame.head(1))

    latest = tmp_store.parquet_path("sales")
    first = tmp_store.parquet_path("sales", version=1)

    assert latest == str(tmp_store.root / "sales" / "v2.parquet")  # type: ignore[operator]
    assert first is not None and pq.read_table(first).num_rows == len(sales_frame)
    with pytest.raises(DatasetNotFoundError, match="has no version 7"):
        tmp_store.parquet_path("sales", version=7)


def test_file_url_is_a_local_folder(tmp_path: Path, sales_frame: pd.DataFrame) -> None:
    store = Store(f"file://{tmp_path}")

    store.write("sales", sales_frame)

    assert store.root == tmp_path
    assert store.url == str(tmp_path)
    assert (tmp_path / "sales" / "v1.parquet").is_file()


def test_key_command_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    import base64

    from nbdash.store.__main__ import main

    assert main(["key"]) == 0
    out, err = capsys.readouterr()

    assert len(base64.urlsafe_b64decode(out.strip())) == 32
    assert "export NBDASH_STORE_KEY=" in err
    assert main([]) == 2
