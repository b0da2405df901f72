"""Whole-column checks on Arrow text and boolean arrays, one pass each.

Typing a large file checks every cell of every column several times: is a value
padded, does one start with a zero, does one hold a decimal point. Arrow's kernels
take one pass and allocate a result per pattern; these look at the first and last
bytes of each value in the arrays' buffers instead, several times cheaper on the
columns of a large file. Each answers exactly as the kernels it replaces; types
other than ``string`` and ``large_string`` go through those kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["contains_any", "count_true", "has_leading_zero", "has_padding"]

_Bytes = npt.NDArray[np.uint8]
_Offsets = npt.NDArray[np.int32] | npt.NDArray[np.int64]

_SPACE, _TAB, _MINUS, _ZERO = 0x20, 0x09, ord("-"), ord("0")
_NBSP = (0xC2, 0xA0)
"""U+00A0 in UTF-8; 0xC2 is a lead byte, so the pair is that character anywhere."""
_AFTER_ZERO = np.array([ord(char) for char in "0123456789xX"], np.uint8)
"""What makes a leading zero an identifier's (``007``, ``0x1F``), not a number's."""


def count_true(mask: pa.Array | pa.ChunkedArray) -> int:
    """How many values of a boolean mask are true (nulls count as false)."""
    if isinstance(mask, pa.ChunkedArray):
        return sum(chunk.true_count for chunk in mask.chunks)
    return int(mask.true_count)


def has_padding(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a present value starts or ends with a space, tab or no-break space."""
    return any(_any_padded(chunk) for chunk in _chunks(text))


def has_leading_zero(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a present value matches ``^-?0[0-9xX]`` (``007``, ``-01``, ``0x1F``)."""
    return any(_any_leading_zero(chunk) for chunk in _chunks(text))


def contains_any(text: pa.Array | pa.ChunkedArray, characters: str) -> bool:
    """Whether a present value holds one of ``characters`` (ASCII)."""
    return any(_any_contains(chunk, characters) for chunk in _chunks(text))


def _chunks(values: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return values.chunks if isinstance(values, pa.ChunkedArray) else [values]


@dataclass
class _Edges:
    """Where each present, non-empty value of a text array lies in its data buffer."""

    starts: _Offsets
    ends: _Offsets
    data: _Bytes

    @classmethod
    def of(cls, chunk: pa.Array) -> _Edges | None:
        """None for types other than ``string`` and ``large_string``."""
        large = pa.types.is_large_string(chunk.type)
        if not (large or pa.types.is_string(chunk.type)):
            return None
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets: _Offsets = (
            np.frombuffer(offsets_buffer, np.int64)
            if large
            else np.frombuffer(offsets_buffer, np.int32)
        )[chunk.offset : chunk.offset + len(chunk) + 1]
        starts, ends = offsets[:-1], offsets[1:]

        # Null slots may point at bytes: only present values count.
        keep = ends > starts
        if chunk.null_count:
            keep &= chunk.is_valid().to_numpy(zero_copy_only=False)
        if not keep.all():
            starts, ends = starts[keep], ends[keep]
        data = np.frombuffer(data_buffer or b"", np.uint8)
        return cls(starts, ends, data)

    def byte(self, position: int, mask: npt.NDArray[np.bool_] | None = None) -> _Bytes:
        """Each value's byte at ``position`` (negative: from the end); the caller
        makes sure the values are long enough."""
        if position >= 0:
            at = self.starts if mask is None else self.starts[mask]
            return self.data[at + position]
        at = self.ends if mask is None else self.ends[mask]
        return self.data[at + position]

    def longer_than(self, count: int) -> npt.NDArray[np.bool_]:
        return np.asarray(self.ends - self.starts > count)


def _any_padded(chunk: pa.Array) -> bool:
    edges = _Edges.of(chunk)
    if edges is None:
        return _any_padded_by_kernels(chunk)
    first, last = edges.byte(0), edges.byte(-1)
    for blank in (_SPACE, _TAB):
        if (first == blank).any() or (last == blank).any():
            return True

    # A value whose first byte is 0xC2 has a second one (valid UTF-8).
    if (edges.byte(1, first == _NBSP[0]) == _NBSP[1]).any():
        return True
    ends_in_a0 = (last == _NBSP[1]) & edges.longer_than(1)
    return bool((edges.byte(-2, ends_in_a0) == _NBSP[0]).any())


def _any_leading_zero(chunk: pa.Array) -> bool:
    edges = _Edges.of(chunk)
    if edges is None:
        return bool(pc.any(pc.match_substring_regex(chunk, r"^-?0[0-9xX]")).as_py())
    first = edges.byte(0)
    zero = (first == _ZERO) & edges.longer_than(1)
    if np.isin(edges.byte(1, zero), _AFTER_ZERO).any():
        return True
    minus = (first == _MINUS) & edges.longer_than(2)
    zero_after_minus = edges.byte(1, minus) == _ZERO
    third = edges.data[edges.starts[minus][zero_after_minus] + 2]
    return bool(np.isin(third, _AFTER_ZERO).any())


def _any_contains(chunk: pa.Array, characters: str) -> bool:
    edges = _Edges.of(chunk)
    if edges is None or chunk.null_count:
        # Bytes between present values may belong to null slots: ask the kernel.
        found = (pc.any(pc.match_substring(chunk, char)) for char in characters)
        return any(bool(one.as_py()) for one in found)
    if len(edges.starts) == 0:
        return False
    held = edges.data[edges.starts[0] : edges.ends[-1]].tobytes()
    return any(char.encode() in held for char in characters)


def _any_padded_by_kernels(values: pa.Array) -> bool:
    for space in (" ", "\t", "\u00a0"):
        if pc.any(pc.starts_with(values, space)).as_py():
            return True
        if pc.any(pc.ends_with(values, space)).as_py():
            return True
    return False
