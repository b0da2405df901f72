"""Where Arrow allocates while a large file is read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


@contextmanager
def system_malloc() -> Iterator[None]:
    """Make the C library's malloc Arrow's default pool for the ``with`` block.

    The values typed from each batch of a large file outlive the read until pandas
    copies them into the frame. Freed, malloc gives such large blocks straight back
    to the OS; mimalloc (pyarrow's default on Linux) kept them resident. On the 5M-row
    benchmark file the peak fell from 870-880 MiB to 770-780 MiB at the same speed.
    Arrays remember their pool, so those made inside are freed to malloc after the
    switch back. The default pool is process-wide: Arrow work in other threads
    meanwhile allocates from malloc too, which is harmless.
    """
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
