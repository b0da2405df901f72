"""Encryption at rest: AES-256-GCM objects, keys from arguments, env and keyring."""

from __future__ import annotations

import base64
import io
import json
import sys
import types
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

pytest.importorskip("cryptography", reason="encryption needs nbdash[encryption]")

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nbdash.errors import StoreError
from nbdash.store import Store, generate_key
from nbdash.store.crypto import decode_key
from nbdash.workspace import default_store

MARKER = "PLAINTEXT-MARKER-5c1d"
META_MARKER = "META-MARKER-e04b"


@pytest.fixture(autouse=True)
def no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key from the environment or a real keyring unless a test sets one."""
    monkeypatch.delenv("NBDASH_STORE_KEY", raising=False)
    monkeypatch.setitem(sys.modules, "keyring", None)


@pytest.fixture
def key() -> str:
    return generate_key()


def marker_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "note_" + MARKER: [MARKER, MARKER + "-2", "other"],
            "amount": [1.5, -2.0, 3.25],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", None], utc=True),
            "count": pd.array([1, None, 3], dtype="Int64"),
        }
    )


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_generated_keys_are_32_random_bytes() -> None:
    first, second = generate_key(), generate_key()

    assert len(base64.urlsafe_b64decode(first)) == 32
    assert first != second


def test_plain_store_shows_the_marker_encrypted_store_does_not(
    tmp_path: Path, key: str
) -> None:
    # The plain store is the control: it proves the marker is findable on disk.
    Store(tmp_path / "plain").write("d", marker_frame(), meta={"m": META_MARKER})
    Store(tmp_path / "sealed", encrypt=True, key=key).write(
        "d", marker_frame(), meta={"m": META_MARKER}
    )

    plain = b"".join(files_under(tmp_path / "plain").values())
    sealed = files_under(tmp_path / "sealed")

    assert MARKER.encode() in plain and META_MARKER.encode() in plain
    assert sorted(sealed) == ["d/manifest.json", "d/v1.parquet.aes"]
    for data in sealed.values():
        assert MARKER.encode() not in data
        assert META_MARKER.encode() not in data


def test_encrypted_round_trip_keeps_values_dtypes_and_info(
    tmp_path: Path, key: str
) -> None:
    store = Store(tmp_path, encrypt=True, key=key)
    frame = marker_frame()

    store.write("d", frame, meta={"m": META_MARKER})

    pd.testing.assert_frame_equal(store.read("d"), frame)
    assert store.info("d")["meta"] == {"m": META_MARKER}
    assert store.info("d")["rows"] == 3
    assert store.info("d")["columns"] == list(frame.columns)
    assert store.is_encrypted("d")
    assert store.parquet_path("d") is None


def test_file_layout_decrypts_with_cryptography_directly(
    tmp_path: Path, key: str
) -> None:
    Store(tmp_path, encrypt=True, key=key).write("d", marker_frame())
    data = (tmp_path / "d" / "v1.parquet.aes").read_bytes()

    magic = b"NBDASH-AESGCM-1\n"
    nonce, body = data[len(magic) : len(magic) + 12], data[len(magic) + 12 :]
    plain = AESGCM(base64.urlsafe_b64decode(key)).decrypt(
        nonce, body, b"nbdash-store/d/v1/data"
    )
    table = pq.read_table(io.BytesIO(plain))

    assert data.startswith(magic)
    assert table.column("amount").to_pylist() == [1.5, -2.0, 3.25]


def test_every_object_gets_a_fresh_nonce(tmp_path: Path, key: str) -> None:
    store = Store(tmp_path, encrypt=True, key=key, keep=3)
    store.write("d", marker_frame())
    store.write("d", marker_frame())

    magic_size = len(b"NBDASH-AESGCM-1\n")
    nonces = {
        (tmp_path / "d" / f"v{v}.parquet.aes").read_bytes()[
            magic_size : magic_size + 12
        ]
        for v in (1, 2)
    }
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    sealed_infos = {entry["sealed"] for entry in manifest["versions"]}

    assert len(nonces) == 2
    assert len(sealed_infos) == 2


def test_missing_key_says_what_to_set(tmp_path: Path, key: str) -> None:
    with pytest.raises(StoreError) as raised:
        Store(tmp_path, encrypt=True)
    message = str(raised.value)

    assert message.startswith(
        "Encrypting the store needs an encryption key, and none is set."
    )
    assert "NBDASH_STORE_KEY" in message and "generate_key()" in message

    Store(tmp_path, encrypt=True, key=key).write("d", marker_frame())
    with pytest.raises(
        StoreError,
        match=r"Reading version 1 of dataset 'd' needs an encryption key.*"
        r"NBDASH_STORE_KEY",
    ):
        Store(tmp_path).read("d")


def test_wrong_key_is_named_as_such(tmp_path: Path, key: str) -> None:
    Store(tmp_path, encrypt=True, key=key).write("d", marker_frame())

    with pytest.raises(StoreError, match=r"encrypted with another key \(key id "):
        Store(tmp_path, key=generate_key()).read("d")
    with pytest.raises(StoreError, match="encrypted with another key"):
        Store(tmp_path, key=generate_key()).info("d")


def test_tampered_file_is_detected(tmp_path: Path, key: str) -> None:
    store = Store(tmp_path, encrypt=True, key=key)
    store.write("d", marker_frame())
    path = tmp_path / "d" / "v1.parquet.aes"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(
        StoreError,
        match=r"version 1 of dataset 'd' \(d/v1\.parquet\.aes\) failed its integrity",
    ):
        store.read("d")


def test_file_moved_from_another_version_is_detected(tmp_path: Path, key: str) -> None:
    store = Store(tmp_path, encrypt=True, key=key)
    store.write("d", marker_frame())
    store.write("d", marker_frame().head(1))
    folder = tmp_path / "d"
    (folder / "v2.parquet.aes").write_bytes((folder / "v1.parquet.aes").read_bytes())

    with pytest.raises(StoreError, match="moved from another dataset or version"):
        store.read("d")
    assert len(store.read("d", version=1)) == 3


def test_key_from_environment(
    tmp_path: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBDASH_STORE_KEY", key)

    Store(tmp_path, encrypt=True).write("d", marker_frame())

    assert Store(tmp_path).read("d")["amount"].tolist() == [1.5, -2.0, 3.25]
    assert Store(tmp_path).is_encrypted("d")


def test_key_from_keyring(
    tmp_path: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, str]] = []

    def get_password(service: str, user: str) -> str:
        asked.append((service, user))
        return key

    fake = types.ModuleType("keyring")
    fake.get_password = get_password  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", fake)

    Store(tmp_path, encrypt=True).write("d", marker_frame())

    assert asked == [("nbdash", "store-key")]
    pd.testing.assert_frame_equal(Store(tmp_path, key=key).read("d"), marker_frame())


def test_malformed_key_text() -> None:
    with pytest.raises(
        StoreError,
        match=r"must be base64 text of 32 bytes \(44 characters\); got 5 characters",
    ):
        decode_key("short")
    assert decode_key(bytes(range(32))) == bytes(range(32))


def test_default_store_encrypts_when_asked(
    tmp_path: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBDASH_STORE", str(tmp_path / "ws"))
    monkeypatch.setenv("NBDASH_STORE_KEY", key)
    monkeypatch.setenv("NBDASH_STORE_ENCRYPT", "1")

    store = default_store()
    store.write("d", marker_frame())

    assert store.encrypt and store.is_encrypted("d")
    assert (tmp_path / "ws" / "d" / "v1.parquet.aes").is_file()


def test_plain_and_encrypted_versions_mix(tmp_path: Path, key: str) -> None:
    Store(tmp_path).write("d", marker_frame())
    Store(tmp_path, encrypt=True, key=key).write("d", marker_frame().head(2))

    reader = Store(tmp_path, key=key)

    assert reader.parquet_path("d", version=1) == str(tmp_path / "d" / "v1.parquet")
    assert reader.parquet_path("d", version=2) is None
    assert len(reader.read("d", version=1)) == 3
    assert len(reader.read("d", version=2)) == 2
