"""The store at fsspec URLs: ``memory://`` and S3 served by moto on loopback."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from nbdash.errors import DatasetNotFoundError, StoreError
from nbdash.store import Store, generate_key
from nbdash.workspace import Workspace, set_default_workspace

SRC = Path(__file__).resolve().parents[1] / "src"

pytest.importorskip("s3fs", reason="the S3 tests need nbdash[s3]")
pytest.importorskip("moto", reason="the S3 tests need moto[server]")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 at a free port, for this module's tests."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_options(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Storage options that reach the moto server and nothing else."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return {
        "endpoint_url": s3_endpoint,
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"region_name": "us-east-1"},
    }


@pytest.fixture
def s3_url(s3_options: dict[str, Any]) -> str:
    """``s3://<fresh bucket>/datasets`` on the moto server."""
    import boto3

    bucket = f"nbdash-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_options["endpoint_url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    return f"s3://{bucket}/datasets"


@pytest.fixture
def s3_store(s3_url: str, s3_options: dict[str, Any]) -> Store:
    return Store(s3_url, storage_options=s3_options, keep=2)


def s3_objects(url: str, options: dict[str, Any]) -> dict[str, bytes]:
    """Every object under ``url`` and its bytes, read with boto3 (not fsspec)."""
    import boto3

    bucket, prefix = url.removeprefix("s3://").split("/", 1)
    client = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        item["Key"].removeprefix(prefix + "/"): client.get_object(
            Bucket=bucket, Key=item["Key"]
        )["Body"].read()
        for item in listed
    }


@pytest.fixture
def memory_store() -> Store:
    return Store(f"memory://nbdash-test-{uuid.uuid4().hex[:8]}", keep=2)


@pytest.fixture(params=["memory", "s3"])
def url_store(request: pytest.FixtureRequest) -> Store:
    """The same tests on ``memory://`` and on S3."""
    store: Store = request.getfixturevalue(f"{request.param}_store")
    return store


def test_create_read_update_delete_list(url_store: Store) -> None:
    first = pd.DataFrame({"region": ["North", "South"], "revenue": [1.5, 2.5]})
    second = pd.DataFrame({"region": ["East"], "revenue": [9.0]})

    assert url_store.names() == []
    assert url_store.write("sales 2024", first, meta={"source": "a.csv"}) == 1
    assert url_store.write("sales 2024", second) == 2
    assert url_store.write("other", first) == 1

    assert url_store.names() == ["other", "sales 2024"]
    pd.testing.assert_frame_equal(url_store.read("sales 2024"), second)
    pd.testing.assert_frame_equal(url_store.read("sales 2024", version=1), first)
    assert url_store.info("sales 2024", version=1)["meta"] == {"source": "a.csv"}
    assert url_store.info("sales 2024")["rows"] == 1
    assert url_store.versions("sales 2024") == [1, 2]

    url_store.delete("sales 2024")
    assert url_store.names() == ["other"]
    assert not url_store.exists("sales 2024")
    with pytest.raises(DatasetNotFoundError, match="Datasets held: other"):
        url_store.read("sales 2024")


def test_old_versions_are_pruned(url_store: Store) -> None:
    for rows in range(1, 5):
        url_store.write("sales", pd.DataFrame({"n": range(rows)}))

    assert url_store.versions("sales") == [3, 4]
    assert len(url_store.read("sales", version=3)) == 3
    with pytest.raises(
        DatasetNotFoundError, match=r"no version 1\. Versions kept: 3, 4"
    ):
        url_store.read("sales", version=1)


def test_parquet_path_is_none_at_a_url(url_store: Store) -> None:
    url_store.write("sales", pd.DataFrame({"n": [1]}))

    assert url_store.parquet_path("sales") is None
    assert url_store.root is None
    assert url_store.url.startswith(("memory://", "s3://"))


def test_s3_objects_are_plain_parquet_and_a_manifest(
    s3_store: Store, s3_url: str, s3_options: dict[str, Any]
) -> None:
    frame = pd.DataFrame({"city": ["Paris", "Lyon"], "visits": [3, 4]})
    s3_store.write("visits", frame)

    objects = s3_objects(s3_url, s3_options)
    manifest = json.loads(objects["visits/manifest.json"])
    table = pq.read_table(io.BytesIO(objects["visits/v1.parquet"]))

    assert sorted(objects) == ["visits/manifest.json", "visits/v1.parquet"]
    assert [entry["file"] for entry in manifest["versions"]] == ["v1.parquet"]
    assert table.column("city").to_pylist() == ["Paris", "Lyon"]
    assert table.column("visits").to_pylist() == [3, 4]


def test_failed_manifest_upload_keeps_previous_version(
    s3_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbdash.store._backends import FsspecBackend

    s3_store.write("sales", pd.DataFrame({"n": [1, 2, 3]}))
    write_bytes = FsspecBackend.write_bytes

    def fail_on_manifest(self: FsspecBackend, rel: str, data: bytes) -> None:
        if rel.endswith("manifest.json"):
            raise OSError("connection reset")
        write_bytes(self, rel, data)

    monkeypatch.setattr(FsspecBackend, "write_bytes", fail_on_manifest)
    with pytest.raises(OSError, match="connection reset"):
        s3_store.write("sales", pd.DataFrame({"n": [9]}))
    monkeypatch.undo()

    assert s3_store.versions("sales") == [1]
    assert s3_store.read("sales")["n"].tolist() == [1, 2, 3]
    assert s3_store.write("sales", pd.DataFrame({"n": [7]})) == 2
    assert s3_store.read("sales")["n"].tolist() == [7]


KILLED_WRITER = """
import os, sys, pandas as pd
from nbdash.store import Store
from nbdash.store._backends import FsspecBackend

write_bytes = FsspecBackend.write_bytes

def die_before_manifest(self, rel, data):
    if rel.endswith("manifest.json"):
        os._exit(9)  # the kernel dies: no cleanup, no exception handlers
    write_bytes(self, rel, data)

FsspecBackend.write_bytes = die_before_manifest
Store(sys.argv[1]).write("sales", pd.DataFrame({"n": [42]}))
"""


def test_process_killed_mid_write_leaves_previous_version(
    s3_store: Store, s3_url: str, s3_options: dict[str, Any]
) -> None:
    s3_store.write("sales", pd.DataFrame({"n": [1, 2]}))
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "NBDASH_STORE_OPTIONS": json.dumps(s3_options),
    }

    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, s3_url], env=env, timeout=120
    )

    assert done.returncode == 9
    assert "sales/v2.parquet" in s3_objects(s3_url, s3_options)  # orphaned upload
    assert s3_store.versions("sales") == [1]
    assert s3_store.read("sales")["n"].tolist() == [1, 2]


RESTARTED_KERNEL = """
import json, pandas as pd, nbdash
ws = nbdash.workspace()
if ws.names():
    print(json.dumps({"names": ws.names(), "sum": int(ws["sales"]["n"].sum()),
                      "version": ws.version("sales")}))
else:
    ws.put("sales", pd.DataFrame({"n": [5, 6, 7]}))
    print("{}")
"""


def test_default_workspace_at_an_s3_url_survives_a_restart(
    s3_url: str, s3_options: dict[str, Any], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "NBDASH_STORE": s3_url,
        "NBDASH_STORE_OPTIONS": json.dumps(s3_options),
    }

    def kernel() -> str:
        done = subprocess.run(
            [sys.executable, "-c", RESTARTED_KERNEL],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip()

    assert kernel() == "{}"
    assert json.loads(kernel()) == {"names": ["sales"], "sum": 18, "version": 1}
    assert not (tmp_path / ".nbdash").exists()


def test_workspace_on_an_s3_store(s3_store: Store) -> None:
    ws = Workspace(s3_store)
    ws.put("sales", pd.DataFrame({"n": [1, 2]}))

    again = Workspace(Store(s3_store.url, storage_options=_options_of(s3_store)))

    assert again.names() == ["sales"]
    assert again["sales"]["n"].tolist() == [1, 2]
    assert repr(again) == f"<Workspace ({s3_store.url}): sales>"
    set_default_workspace(None)


def _options_of(store: Store) -> dict[str, Any]:
    fs = store._backend.fs  # type: ignore[attr-defined]
    return dict(fs.storage_options)


def test_encrypted_s3_objects_hold_no_plaintext(
    s3_url: str, s3_options: dict[str, Any]
) -> None:
    store = Store(s3_url, storage_options=s3_options, encrypt=True, key=generate_key())
    frame = pd.DataFrame({"secret_column": ["MARKER-7f3a", "MARKER-7f3a"]})

    store.write("secret", frame, meta={"note": "META-MARKER-91"})
    objects = s3_objects(s3_url, s3_options)

    assert sorted(objects) == ["secret/manifest.json", "secret/v1.parquet.aes"]
    for data in objects.values():
        assert b"MARKER-7f3a" not in data
        assert b"META-MARKER-91" not in data
        assert b"secret_column" not in data
    pd.testing.assert_frame_equal(store.read("secret"), frame)


def test_bad_storage_options_env_is_a_store_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NBDASH_STORE_OPTIONS", "[1, 2]")

    with pytest.raises(StoreError, match=r"NBDASH_STORE_OPTIONS must be a JSON object"):
        Store("memory://nbdash-bad-options")


def test_unknown_protocol_names_the_url() -> None:
    with pytest.raises(
        StoreError, match=r"Cannot open the store URL 'nosuchproto://bucket/x'"
    ):
        Store("nosuchproto://bucket/x")


def test_storage_options_env_is_ignored_for_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBDASH_STORE_OPTIONS", "not json")

    store = Store(tmp_path)

    assert store.write("d", pd.DataFrame({"a": [1]})) == 1
