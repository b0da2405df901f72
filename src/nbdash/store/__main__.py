"""``python -m nbdash.store key``: print a new encryption key for the store."""

from __future__ import annotations

import sys

from nbdash.store.crypto import KEY_ENV, generate_key

USAGE = "usage: python -m nbdash.store key"


def main(argv: list[str] | None = None) -> int:
    """Print a fresh base64 AES-256 key and how to use it; return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["key"]:
        sys.stderr.write(f"{USAGE}\n  key   print a new store encryption key\n")
        return 2

    key = generate_key()
    sys.stdout.write(f"{key}\n")
    sys.stderr.write(
        f"Keep this key safe, outside the notebook. Use it with:\n"
        f"  export {KEY_ENV}={key}\n"
        "  export NBDASH_STORE_ENCRYPT=1\n"
        "Data written with it cannot be read without it.\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
