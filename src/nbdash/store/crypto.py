"""Encryption at rest for the store: AES-256-GCM with a key the user keeps.

The key is 32 random bytes, written as URL-safe base64. It comes from, in order: the
``key=`` argument of :class:`~nbdash.store.Store`, the ``NBDASH_STORE_KEY``
environment variable, or the OS keyring (service ``nbdash``, user ``store-key``) when
the optional ``keyring`` package is installed. nbdash never writes the key anywhere.

Each object is sealed with a fresh 96-bit random nonce and bound to its place (the
dataset name, the version and what the object is) through GCM's associated data, so a
file copied over another version's file is detected as well as an edited one.

A sealed object is ``MAGIC + nonce (12 bytes) + ciphertext + tag (16 bytes)``. The
manifest records a short key id (a hash of the key, not the key) beside each encrypted
version, which tells "wrong key" apart from "file changed".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from typing import TYPE_CHECKING

from nbdash.errors import StoreError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger(__name__)

KEY_ENV = "NBDASH_STORE_KEY"
"""The environment variable holding the base64 store key."""

KEYRING_SERVICE = "nbdash"
KEYRING_USER = "store-key"

MAGIC = b"NBDASH-AESGCM-1\n"
"""The first bytes of every encrypted object."""

NONCE_SIZE = 12
KEY_SIZE = 32

HOW_TO_SET = (
    f"Set the environment variable {KEY_ENV} to the base64 key the data was written "
    "with (e.g. in the shell that starts Jupyter), pass Store(..., key=...), or save "
    f"it in the OS keyring: keyring.set_password({KEYRING_SERVICE!r}, "
    f"{KEYRING_USER!r}, KEY). Make a new key with nbdash.store.generate_key()."
)


def generate_key() -> str:
    """Return a new random AES-256 key as URL-safe base64 text (44 characters).

    Keep it somewhere safe, outside the notebook: whoever has it can read the store,
    and data written with it cannot be read without it.

    Examples
    --------
    >>> key = generate_key()
    >>> len(decode_key(key))
    32
    """
    return base64.urlsafe_b64encode(os.urandom(KEY_SIZE)).decode("ascii")


def decode_key(key: str | bytes) -> bytes:
    """Turn base64 text (or 32 raw bytes) into the 32-byte key; else ``StoreError``."""
    if isinstance(key, bytes) and len(key) == KEY_SIZE:
        return key

    text = key.decode("ascii", "replace") if isinstance(key, bytes) else key
    try:
        raw = base64.b64decode(text.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_SIZE:
        message = (
            f"The store key must be base64 text of {KEY_SIZE} bytes (44 characters); "
            f"got {len(text)} characters that decode to {len(raw)} bytes. "
            "Make a new key with nbdash.store.generate_key()."
        )
        raise StoreError(message)
    return raw


def key_id(key: bytes) -> str:
    """A short public fingerprint of ``key``, kept in the manifest to spot a wrong key.

    Sixteen hex digits of a domain-separated SHA-256: it identifies the key without
    helping anyone guess it.
    """
    return hashlib.sha256(b"nbdash store key id\0" + key).hexdigest()[:16]


def find_key() -> bytes | None:
    """The key from ``$NBDASH_STORE_KEY``, else the OS keyring, else None."""
    text = os.environ.get(KEY_ENV)
    if text:
        logger.debug("store key taken from $%s", KEY_ENV)
        return decode_key(text)

    stored = _keyring_password()
    if stored:
        logger.debug("store key taken from the OS keyring")
        return decode_key(stored)
    return None


def _keyring_password() -> str | None:
    try:
        import keyring  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        password: str | None = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception as exc:  # keyring backends raise their own error types
        logger.warning("The OS keyring could not be read (%s); not using it.", exc)
        return None
    return password


def seal(key: bytes, data: bytes | memoryview, context: str) -> bytes:
    """Encrypt ``data`` with a fresh nonce, bound to ``context``."""
    nonce = os.urandom(NONCE_SIZE)
    sealed = _cipher(key).encrypt(nonce, data, context.encode("utf-8"))
    return MAGIC + nonce + sealed


def is_sealed(data: bytes) -> bool:
    """Whether ``data`` starts like an object made by :func:`seal`."""
    return data.startswith(MAGIC)


def open_sealed(key: bytes, data: bytes, context: str, *, what: str) -> bytes:
    """Decrypt what :func:`seal` made; ``StoreError`` naming ``what`` if it fails."""
    from cryptography.exceptions import InvalidTag

    if not is_sealed(data):
        message = f"{what} is not an nbdash encrypted object (its header is missing)."
        raise StoreError(message)

    start = len(MAGIC)
    nonce, body = data[start : start + NONCE_SIZE], data[start + NONCE_SIZE :]
    try:
        return _cipher(key).decrypt(nonce, body, context.encode("utf-8"))
    except InvalidTag as exc:
        message = (
            f"{what} failed its integrity check: the file was changed, truncated or "
            "moved from another dataset or version since it was written. Restore it "
            "from a backup or delete the dataset."
        )
        raise StoreError(message) from exc


def _cipher(key: bytes) -> AESGCM:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:
        message = (
            "Encryption at rest needs the 'cryptography' package: "
            "pip install 'nbdash[encryption]'."
        )
        raise ImportError(message) from exc
    return AESGCM(key)
