"""Choosing each column's type from all of its values, with vectorised Arrow kernels.

Every column arrives as text. A type is chosen only when every present value fits it:
booleans, then integers, then decimal numbers, then dates; anything else stays text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

logger = logging.getLogger(__name__)

BOOLEAN_WORDS = ("true", "false", "yes", "no")
TRUE_WORDS = ("true", "yes")
# Cells that often mean "missing" but are kept as text unless the caller says so:
# "NA" is also a country code (Namibia) and a valid answer in surveys.
MISSING_LOOKALIKES = ("NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "-")

_INTEGER = r"^[+-]?\d+$"
_NUMBER = r"^[+-]?[$€£]?\s?[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?%?$"
_ISO_DATE = (
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_NUMERIC_DATE = r"^\d{1,2}([/.-])\d{1,2}[/.-]\d{4}( \d{1,2}:\d{2}(:\d{2})?)?$"
_SLASHED_ISO = r"^\d{4}/\d{1,2}/\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?$"
_TIMES = ("", " %H:%M", " %H:%M:%S")
_MOSTLY = 0.9
_SAMPLE = 1000


@dataclass
class TypedColumn:
    """One column converted from text, with what the conversion noticed."""

    values: pa.Array
    missing: int
    notes: list[str] = field(default_factory=list)
    unparseable_rows: list[int] = field(default_factory=list)
    unparseable: int = 0


def infer_column(
    raw: pa.Array | pa.ChunkedArray,
    *,
    missing_values: tuple[str, ...] = (),
    dayfirst: bool | None = None,
) -> TypedColumn:
    """Convert a text column to the narrowest type that fits all of its values."""
    text = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
    trimmed = pc.utf8_trim_whitespace(text)
    is_missing = pc.fill_null(pc.equal(trimmed, ""), True)
    if missing_values:
        is_missing = pc.or_(
            is_missing, pc.is_in(trimmed, value_set=pa.array(missing_values))
        )
    cleaned = pc.if_else(is_missing, pa.scalar(None, pa.string()), trimmed)
    missing = cleaned.null_count

    present = len(cleaned) - missing
    if present == 0:
        return TypedColumn(
            pc.if_else(is_missing, pa.scalar(None, pa.string()), text), missing
        )

    # Each type is tried on a sample first: most columns are rejected in microseconds.
    sample = _present_sample(cleaned)
    for convert in (_as_boolean, _as_integer, _as_number, _as_datetime):
        if convert(sample, dayfirst) is None:
            continue
        typed = convert(cleaned, dayfirst)
        if typed is not None:
            typed.missing = missing
            return typed
    return _as_text(text, cleaned, is_missing, missing, sample)


def _present_sample(values: pa.Array) -> pa.Array:
    head = values.slice(0, _SAMPLE).drop_null()
    return head if len(head) else values.drop_null().slice(0, _SAMPLE)


def _has_leading_zero(values: pa.Array) -> bool:
    """Whether a value is like 00123 or 0x1F: an identifier, not a number."""
    starts = pc.or_(pc.starts_with(values, "0"), pc.starts_with(values, "-0"))
    zeros = values.filter(pc.fill_null(starts, False))
    if len(zeros) == 0:
        return False
    plain_zero = pc.match_substring_regex(zeros, r"^-?0(\.\d*)?([eE][+-]?\d+)?$")
    return not bool(pc.all(plain_zero).as_py())


def _all_match(values: pa.Array, pattern: str) -> bool:
    matches = pc.match_substring_regex(values, pattern)
    return bool(pc.sum(matches).as_py() == len(values) - values.null_count)


def _any_match(values: pa.Array, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(values, pattern)).as_py())


def _as_boolean(values: pa.Array, dayfirst: bool | None) -> TypedColumn | None:
    lowered = pc.utf8_lower(values)
    known = pc.is_in(lowered, value_set=pa.array(BOOLEAN_WORDS))
    if pc.sum(known).as_py() != len(values) - values.null_count:
        return None
    truth = pc.is_in(lowered, value_set=pa.array(TRUE_WORDS))
    return TypedColumn(
        pc.if_else(pc.is_null(values), pa.scalar(None, pa.bool_()), truth), 0
    )


def _as_integer(values: pa.Array, dayfirst: bool | None) -> TypedColumn | None:
    try:
        converted = pc.cast(values, pa.int64())
    except pa.ArrowInvalid:
        # Not integers, or wider than 64 bits (account numbers stay text).
        return None
    if _has_leading_zero(values):
        return None
    return TypedColumn(converted, 0)


def _as_number(values: pa.Array, dayfirst: bool | None) -> TypedColumn | None:
    if _has_leading_zero(values):
        return None
    try:
        converted = pc.cast(values, pa.float64())
    except pa.ArrowInvalid:
        return _as_decorated_number(values)
    if pc.any(pc.or_(pc.is_nan(converted), pc.is_inf(converted))).as_py():
        # "nan" and "inf" as words are text, like the other missing look-alikes.
        return None
    return TypedColumn(converted, 0)


def _as_decorated_number(values: pa.Array) -> TypedColumn | None:
    """Numbers written with currency signs, thousands separators or percent signs."""
    if not _all_match(values, _NUMBER) or not _all_match(values, r"\d"):
        return None
    notes = _number_notes(values)
    plain = pc.replace_substring_regex(values, r"[$€£,%\s]", "")
    is_whole = not _any_match(plain, r"[.eE]")
    try:
        converted = pc.cast(plain, pa.int64() if is_whole else pa.float64())
    except pa.ArrowInvalid:
        return None
    return TypedColumn(converted, 0, notes)


def _number_notes(values: pa.Array) -> list[str]:
    notes = []
    if _any_match(values, r"[$€£]"):
        notes.append("currency signs ($ € £) removed")
    if _any_match(values, r"\d,\d"):
        notes.append("thousands separators removed (1,234.50 read as 1234.5)")
    if _any_match(values, r"%$"):
        notes.append("percent signs removed (12% read as 12)")
    return notes


def _as_datetime(values: pa.Array, dayfirst: bool | None) -> TypedColumn | None:
    if _all_match(values, _ISO_DATE):
        return _iso_datetime(values)
    if _all_match(values, _SLASHED_ISO):
        return _first_format_that_fits(
            values, ["%Y/%m/%d" + time for time in _TIMES], []
        )
    if not _all_match(values, _NUMERIC_DATE):
        return None

    separator = pc.extract_regex(
        values.filter(pc.is_valid(values))[:1], r"^\d+(?P<sep>\D)"
    )
    sep = separator[0].as_py()["sep"] if len(separator) else "/"
    day_first = [f"%d{sep}%m{sep}%Y{time}" for time in _TIMES]
    month_first = [f"%m{sep}%d{sep}%Y{time}" for time in _TIMES]
    by_day = _first_format_that_fits(values, day_first, [])
    by_month = _first_format_that_fits(values, month_first, [])
    return _pick_day_order(by_day, by_month, dayfirst)


def _pick_day_order(
    by_day: TypedColumn | None, by_month: TypedColumn | None, dayfirst: bool | None
) -> TypedColumn | None:
    if by_day is None or by_month is None:
        return by_day or by_month
    chosen = by_day if dayfirst else by_month
    if dayfirst is None:
        chosen.notes.append(
            "day and month order is ambiguous (no day above 12): read as month first; "
            "pass dayfirst=True for day first"
        )
    return chosen


def _iso_datetime(values: pa.Array) -> TypedColumn | None:
    has_zone = _any_match(values, r"(Z|[+-]\d{2}:?\d{2})$")
    target = pa.timestamp("us", "UTC") if has_zone else pa.timestamp("us")
    try:
        converted = pc.cast(values, target)
    except pa.ArrowInvalid:
        return None
    notes = ["time zone offsets converted to UTC"] if has_zone else []
    return TypedColumn(converted, 0, notes)


def _first_format_that_fits(
    values: pa.Array, formats: list[str], notes: list[str]
) -> TypedColumn | None:
    for fmt in formats:
        parsed = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
        if parsed.null_count == values.null_count:
            return TypedColumn(parsed, 0, [*notes, f"dates read with format {fmt}"])
    return None


def _as_text(
    text: pa.Array,
    cleaned: pa.Array,
    is_missing: pa.Array,
    missing: int,
    sample: pa.Array,
) -> TypedColumn:
    values = pc.if_else(is_missing, pa.scalar(None, pa.string()), text)
    column = TypedColumn(values, missing)
    if _number_share(sample) >= _MOSTLY:
        _explain_almost_numbers(cleaned, column)
    _note_missing_lookalikes(cleaned, column)
    return column


def _number_share(values: pa.Array) -> float:
    if len(values) == 0:
        return 0.0
    return (pc.sum(pc.match_substring_regex(values, _NUMBER)).as_py() or 0) / len(
        values
    )


def _explain_almost_numbers(cleaned: pa.Array, column: TypedColumn) -> None:
    present = len(cleaned) - cleaned.null_count
    is_number = pc.and_(
        pc.match_substring_regex(cleaned, _NUMBER),
        pc.match_substring_regex(cleaned, r"\d"),
    )
    numbers = pc.sum(is_number).as_py() or 0
    if numbers == present or numbers < _MOSTLY * present:
        return

    odd = pc.and_(pc.is_valid(cleaned), pc.invert(pc.fill_null(is_number, False)))
    column.unparseable = present - numbers
    column.unparseable_rows = pc.indices_nonzero(odd)[:5].to_pylist()
    column.notes.append(
        f"kept as text: {column.unparseable} of {present} values are not numbers"
    )


def _note_missing_lookalikes(cleaned: pa.Array, column: TypedColumn) -> None:
    found = pc.is_in(cleaned, value_set=pa.array(MISSING_LOOKALIKES))
    count = pc.sum(found).as_py() or 0
    if count:
        words = sorted(set(pc.filter(cleaned, found).unique().to_pylist()))
        column.notes.append(
            f"{count} cells hold {', '.join(map(repr, words))}, kept as text; pass "
            f"missing_values={words!r} to read them as missing"
        )
