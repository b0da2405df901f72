"""Choosing each column's type from its values, with vectorised Arrow kernels.

Every column arrives as text. A type is chosen on a sample of the column, then checked
on every value (a cast or a full-column match that fails rejects it): booleans, then
integers, then decimal numbers, then dates; anything else stays text.

Choices a reader should know (also in ``docs/internals.md``):

* ``12%`` reads as 12, not 0.12: the number the user sees in the file; the note says so.
* Thousands separators and the decimal mark are decided per column: ``1,234.56`` and
  ``1.234,56`` (or ``1 234,56``) both read as 1234.56. A column whose every value fits
  both (``1,234``) is read with ``.`` as the decimal mark, and the note says so.
* Two-digit years pivot at 69 (POSIX): ``68`` is 2068, ``69`` is 1969.
* Time zone offsets are converted to UTC; values without an offset in a column that
  has them are read as UTC too, and noted.
* Low-cardinality text is not turned into ``category`` automatically: pandas
  categoricals refuse values outside their categories (a later fill or "Other" bucket
  fails), so a category is only made when the user asks for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from nbdash.errors import IngestError, column_not_found
from nbdash.ingest.cells import (
    contains_any,
    count_true,
    has_leading_zero,
    has_padding,
)

logger = logging.getLogger(__name__)

KINDS = ("text", "integer", "number", "boolean", "datetime", "category")
"""The column types a user can ask for in ``column_types``."""

TRUE_WORDS = ("true", "yes", "y")
FALSE_WORDS = ("false", "no", "n")
# Cells that often mean "missing" but are kept as text unless the caller says so:
# "NA" is also a country code (Namibia) and a valid answer in surveys.
MISSING_LOOKALIKES = ("NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "-")

_CURRENCY = r"[$€£¥₹]|USD|EUR|GBP|CHF|JPY|CAD|AUD"
_SIGNS = ("$", "€", "£", "¥", "₹")
# Characters that may surround a number: currency signs and codes, percent, spaces.
_DECORATION = "".join(_SIGNS) + "%' \u00a0\u202f" + "ABCDEFGHJKLPRSUY"
_DOT_CORE = r"(?:(?:\d{1,3}(?:[,']\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_COMMA_CORE = r"(?:(?:\d{1,3}(?:[. \x{00a0}\x{202f}]\d{3})+|\d+)(?:,\d*)?|,\d+)"
_ISO_DATE = (
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_ZONE = r"(Z|[+-]\d{2}:?\d{2})$"
_NUMERIC_DATE = r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{2}|\d{4})\b"
_NAMED_MONTH = r"[A-Za-z]{3}"
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
_NAMED_FORMATS = (
    "%d %b %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
)
_MOSTLY = 0.9
_SAMPLE = 1000
_SAMPLE_LINES = 5


def _number_pattern(core: str) -> str:
    # Only the spaces _strip_decorations trims may sit between a sign and the
    # number ("$\t1" is text: a tab would be left for the cast to refuse).
    space = r"[ \x{00a0}\x{202f}]*"
    currency = rf"{space}(?:{_CURRENCY})?{space}"
    signed = rf"[-+]?{currency}[-+]?{core}{currency}%?"
    return rf"^(?:{signed}|\({space}{signed}{space}\))$"


_NUMBER_STYLES = {
    "dot": _number_pattern(_DOT_CORE),
    "comma": _number_pattern(_COMMA_CORE),
}


@dataclass
class TypedColumn:
    """One column converted from text, with what the conversion noticed."""

    values: pa.Array
    missing: int
    notes: list[str] = field(default_factory=list)
    unparseable_rows: list[int] = field(default_factory=list)
    """0-based data rows of a few cells that did not fit (file lines come later)."""
    unparseable: int = 0
    kind: str = "text"
    """One of :data:`KINDS`: what the column was read as."""
    overridden: bool = False
    """Whether the user chose the type (``column_types`` or ``date_formats``)."""
    missing_tokens: dict[str, int] = field(default_factory=dict)
    """Cells read as missing because they are one of ``missing_values``, by token."""


Parser = Callable[[pa.Array, bool], "tuple[pa.Array, list[str]] | None"]
"""Turns present text values into a typed array; strict parsers give None on any
misfit, lenient ones leave misfits null."""


def check_kind(column: str, kind: str) -> None:
    """Raise :class:`IngestError` when ``kind`` is not one of :data:`KINDS`."""
    if kind not in KINDS:
        message = (
            f"column_types[{column!r}] is {kind!r}; expected one of "
            f"{', '.join(KINDS)}. Example: column_types={{{column!r}: 'number'}}."
        )
        raise IngestError(message)


def infer_column(
    raw: pa.Array | pa.ChunkedArray,
    *,
    missing_values: tuple[str, ...] = (),
    dayfirst: bool | None = None,
    kind: str | None = None,
    date_format: str | None = None,
) -> TypedColumn:
    """Convert a text column to the narrowest type that fits all of its values.

    ``kind`` (one of :data:`KINDS`) or ``date_format`` force the type: values that do
    not fit become missing and are counted as unparseable.
    """
    # Chunked columns are typed chunk by chunk by the kernels: combining them first
    # would copy the whole column.
    text = raw
    cleaned, is_missing, tokens = _clean(text, missing_values)
    missing = cleaned.null_count
    if date_format is not None or kind is not None:
        forced = _forced(cleaned, kind or "datetime", date_format, dayfirst)
        forced.missing, forced.missing_tokens = missing, tokens
        _note_tokens(forced)
        return forced

    typed = _inferred(text, cleaned, is_missing, dayfirst)
    typed.missing, typed.missing_tokens = missing, tokens
    _note_tokens(typed)
    return typed


def _clean(
    text: pa.Array, missing_values: tuple[str, ...]
) -> tuple[pa.Array, pa.Array, dict[str, int]]:
    """Trim cells; empty ones and ``missing_values`` become null."""
    # Copies of a large text column are what costs memory: make them only if needed.
    trimmed = pc.utf8_trim_whitespace(text) if has_padding(text) else text
    is_missing = pc.fill_null(pc.equal(trimmed, ""), True)
    tokens: dict[str, int] = {}
    if missing_values:
        tokens_set = pa.array(missing_values, trimmed.type)
        is_token = pc.is_in(trimmed, value_set=tokens_set)
        if pc.any(is_token).as_py():
            counts = pc.value_counts(trimmed.filter(is_token)).to_pylist()
            tokens = {str(item["values"]): int(item["counts"]) for item in counts}
            is_missing = pc.or_(is_missing, pc.fill_null(is_token, False))
    return _with_nulls(trimmed, is_missing), is_missing, tokens


def _note_tokens(column: TypedColumn) -> None:
    for token, count in column.missing_tokens.items():
        column.notes.append(f"{count} cells {token!r} read as missing")


def _inferred(
    text: pa.Array, cleaned: pa.Array, is_missing: pa.Array, dayfirst: bool | None
) -> TypedColumn:
    if cleaned.null_count == len(cleaned):
        return TypedColumn(_with_nulls(text, is_missing), 0)

    # Each type is chosen on a sample, then checked on every value.
    sample = _present_sample(cleaned)
    for kind, detect in _DETECTORS:
        parser = detect(sample, dayfirst)
        if parser is None:
            continue
        parsed = parser(cleaned, True)
        if parsed is not None:
            # Whole numbers written with decorations ("$10") come out as integers.
            if pa.types.is_integer(parsed[0].type):
                kind = "integer"
            return TypedColumn(parsed[0], 0, parsed[1], kind=kind)
    return _as_text(text, cleaned, is_missing, sample)


def _with_nulls(text: pa.Array, is_missing: pa.Array) -> pa.Array:
    if text.null_count == 0 and not pc.any(is_missing).as_py():
        return text
    return pc.if_else(is_missing, pa.scalar(None, text.type), text)


def _present_sample(values: pa.Array) -> pa.Array:
    head = values.slice(0, _SAMPLE).drop_null()
    if len(head) >= _SAMPLE // 10 or len(values) <= _SAMPLE:
        return head if len(head) else values.drop_null().slice(0, _SAMPLE)
    # Sparse columns: take present values from the whole column.
    return values.drop_null().slice(0, _SAMPLE)


def _all_match(values: pa.Array, pattern: str) -> bool:
    return bool(
        count_true(pc.match_substring_regex(values, pattern))
        == (len(values) - values.null_count)
    )


def _any_match(values: pa.Array, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(values, pattern)).as_py())


def _values(count: int) -> str:
    return f"{count} value{'' if count == 1 else 's'}"


def _misfits(values: pa.Array, parsed: pa.Array) -> pa.Array:
    """Cells that were present but did not parse."""
    return pc.and_(pc.is_valid(values), pc.is_null(parsed))


# -- booleans ----------------------------------------------------------------------


def _detect_boolean(sample: pa.Array, dayfirst: bool | None) -> Parser | None:
    return _parse_boolean if _parse_boolean(sample, True) is not None else None


def _parse_boolean(values: pa.Array, strict: bool) -> tuple[pa.Array, list[str]] | None:
    lowered = pc.utf8_lower(values)
    truth = pc.is_in(lowered, value_set=pa.array(TRUE_WORDS))
    known = pc.or_(truth, pc.is_in(lowered, value_set=pa.array(FALSE_WORDS)))
    if strict and count_true(known) != len(values) - values.null_count:
        return None
    ok = pc.and_(pc.is_valid(values), known)
    return pc.if_else(ok, truth, pa.scalar(None, pa.bool_())), []


# -- numbers -----------------------------------------------------------------------


def _has_leading_zero(values: pa.Array) -> bool:
    """Whether a value is like 00123 or 0x1F: an identifier, not a number.

    A zero followed by a digit or an x: 0.5, 0,5, 0% and 0e3 are numbers.
    """
    return has_leading_zero(values)


def _detect_integer(sample: pa.Array, dayfirst: bool | None) -> Parser | None:
    try:
        pc.cast(sample, pa.int64())
    except pa.ArrowInvalid:
        return None
    return None if _has_leading_zero(sample) else _parse_plain_integer


def _parse_plain_integer(
    values: pa.Array, strict: bool
) -> tuple[pa.Array, list[str]] | None:
    try:
        converted = pc.cast(values, pa.int64())
    except pa.ArrowInvalid:
        # Not integers, or wider than 64 bits (account numbers stay text).
        return None
    return None if _has_leading_zero(values) else (converted, [])


def _detect_number(sample: pa.Array, dayfirst: bool | None) -> Parser | None:
    if _has_leading_zero(sample):
        return None
    if _plain_float(sample) is not None:
        return _parse_plain_number
    style = _number_style(sample)
    if style is None:
        return None
    return lambda values, strict: _parse_decorated(values, style, strict)


def _plain_float(values: pa.Array) -> pa.Array | None:
    try:
        converted = pc.cast(values, pa.float64())
    except pa.ArrowInvalid:
        return None
    if pc.any(pc.or_(pc.is_nan(converted), pc.is_inf(converted))).as_py():
        # "nan" and "inf" as words are text, like the other missing look-alikes.
        return None
    return converted


def _parse_plain_number(
    values: pa.Array, strict: bool
) -> tuple[pa.Array, list[str]] | None:
    if _has_leading_zero(values):
        return None
    converted = _plain_float(values)
    if converted is None:
        # A value further down has a currency sign or a separator: check them all.
        style = _number_style(values)
        return None if style is None else _parse_decorated(values, style, strict)
    return converted, []


def _number_style(values: pa.Array) -> str | None:
    """``dot`` (1,234.5) or ``comma`` (1.234,5) when every value fits that style."""
    for style, pattern in _NUMBER_STYLES.items():
        if _all_match(values, pattern):
            return style
    return None


def _parse_decorated(
    values: pa.Array, style: str, strict: bool
) -> tuple[pa.Array, list[str]] | None:
    """Numbers written with currency, separators, percent signs or parentheses."""
    simple = _parse_signed(values) if style == "dot" else None
    if simple is not None:
        return simple
    fits = pc.fill_null(pc.match_substring_regex(values, _NUMBER_STYLES[style]), False)
    if strict and count_true(fits) != len(values) - values.null_count:
        return None
    values = pc.if_else(fits, values, pa.scalar(None, values.type))

    plain, negative = _strip_decorations(values)
    separators = (".", " ", "\u00a0", "\u202f") if style == "comma" else (",", "'")
    for separator in separators:
        plain = _remove(plain, separator)
    if style == "comma":
        plain = pc.replace_substring(plain, ",", ".")
    number = _cast_number(plain)
    if pc.any(negative).as_py():
        number = pc.if_else(negative, pc.negate(number), number)
    return number, _number_notes(values, style)


def _parse_signed(values: pa.Array) -> tuple[pa.Array, list[str]] | None:
    """The common case in a few passes: one sign before (``$12.50``) or a percent
    sign after (``12%``) every present value, the rest a plain number.

    None when any value differs from that shape (the full pattern then decides):
    every value is still checked, by the cast of what is left.
    """
    head = values.slice(0, _SAMPLE).drop_null()
    if len(head) == 0:
        return None
    first = str(head[0].as_py())
    sign = first[0] if first[0] in _SIGNS else ""
    suffix = "%" if first.endswith("%") else ""
    if not sign and not suffix:
        return None
    number = _signed_number(values, sign, suffix)
    return None if number is None else (number, _signed_notes(sign, suffix))


def _signed_number(values: pa.Array, sign: str, suffix: str) -> pa.Array | None:
    """Strip ``sign`` before and ``suffix`` after every present value and cast the
    rest; None when a value lacks them, doubles them or is not a plain number."""
    present = len(values) - values.null_count
    plain = values
    for text, at_start in ((sign, True), (suffix, False)):
        if not text:
            continue
        test = pc.starts_with if at_start else pc.ends_with
        if count_true(test(plain, text)) != present or count_true(
            test(plain, text * 2)
        ):
            return None
        plain = _trim_one(plain, text, at_start)
    try:
        number = _cast_number(plain)
    except pa.ArrowInvalid:
        return None
    return None if native_misfit(number) else number


def _signed_notes(sign: str, suffix: str) -> list[str]:
    notes = [f"currency signs removed: {sign}"] if sign else []
    if suffix:
        notes.append("percent signs removed: 12% read as 12, not 0.12")
    return notes


def _trim_one(values: pa.Array, text: str, at_start: bool) -> pa.Array:
    """Remove ``text`` (one character, checked to be there once) from one end."""
    if text.isascii():
        trim = pc.ascii_ltrim if at_start else pc.ascii_rtrim
    else:
        trim = pc.utf8_ltrim if at_start else pc.utf8_rtrim
    return trim(values, characters=text)


def _strip_decorations(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Trim signs, currency, percent and parentheses off the ends; note negatives.

    Trimming character sets off both ends is several times faster than one regex
    replacement, and safe: the number pattern has already checked every value.
    """
    negative = pc.fill_null(pc.starts_with(values, "("), False)
    plain = values
    for _ in range(2):  # "-$5" and "$-5" alike
        negative = pc.or_(negative, pc.fill_null(pc.starts_with(plain, "-"), False))
        plain = pc.utf8_ltrim(plain, characters="-+(")
        plain = pc.utf8_ltrim(plain, characters=_DECORATION)
    plain = pc.utf8_rtrim(plain, characters=_DECORATION + ")")
    return plain, negative


def _has(values: pa.Array, text: str) -> bool:
    return bool(pc.any(pc.match_substring(values, text)).as_py())


def _remove(values: pa.Array, text: str) -> pa.Array:
    # Looking is cheaper than a replacement that finds nothing.
    return pc.replace_substring(values, text, "") if _has(values, text) else values


def _cast_number(plain: pa.Array) -> pa.Array:
    # A failing cast costs far more than a successful one (1.5 s against 30 ms on a
    # million values): look before casting, stopping at the first mark found.
    if contains_any(plain, ".eE"):
        return pc.cast(plain, pa.float64())
    return pc.cast(plain, pa.int64())


def _number_notes(values: pa.Array, style: str) -> list[str]:
    ends = _end_characters(values)
    notes = []
    signs = [sign for sign in _SIGNS if sign in ends]
    if signs:
        notes.append(f"currency signs removed: {' '.join(signs)}")
    if any(char.isalpha() for char in ends):
        notes.append("currency codes (such as EUR, USD) removed")
    # The number pattern allows a comma only as a decimal mark (comma style) or a
    # thousands separator (dot style).
    if style == "comma" and _has(values, ","):
        notes.append("decimal commas read as decimal points (1.234,56 read as 1234.56)")
    elif style == "dot" and (_has(values, ",") or _has(values, "'")):
        notes.append("thousands separators removed (1,234.50 read as 1234.5)")
    if "%" in ends:
        notes.append("percent signs removed: 12% read as 12, not 0.12")
    if pc.any(pc.starts_with(values, "(")).as_py():
        notes.append("numbers in parentheses read as negative: (12) read as -12")
    return notes


def _end_characters(values: pa.Array) -> set[str]:
    """The first and last characters of the values, past signs and parentheses.

    The number pattern allows decorations only at the ends, so these few characters
    name every currency sign, code letter and percent sign in the column, in four
    passes over it instead of one per symbol.
    """
    first = pc.utf8_slice_codeunits(pc.utf8_ltrim(values, characters="-+( "), 0, 1)
    last = pc.utf8_slice_codeunits(pc.utf8_rtrim(values, characters=") "), -1)
    return {str(char) for char in pc.unique(first).to_pylist() if char} | {
        str(char) for char in pc.unique(last).to_pylist() if char
    }


# -- dates and times ---------------------------------------------------------------


def _detect_datetime(sample: pa.Array, dayfirst: bool | None) -> Parser | None:
    if _all_match(sample, _ISO_DATE):
        return _parse_iso
    families = _date_families(sample)
    if not families:
        return None
    fitting = [family for family in families if _parse_formats(sample, family, True)]
    if not fitting:
        return None
    return lambda values, strict: _parse_families(values, fitting, dayfirst, strict)


def _date_families(sample: pa.Array) -> list[list[str]]:
    """Candidate format lists (one per day order or spelling) for the sample."""
    if _all_match(sample, r"^\d{4}/\d{1,2}/\d{1,2}"):
        return [_with_times("%Y/%m/%d")]
    if _all_match(sample, _NUMERIC_DATE):
        first = str(sample.drop_null()[0].as_py())
        sep = next((char for char in first if not char.isdigit()), "/")
        year = "%Y" if _all_match(sample, r"^\d+\D\d+\D\d{4}\b") else "%y"
        return [
            _with_times(f"%d{sep}%m{sep}{year}"),
            _with_times(f"%m{sep}%d{sep}{year}"),
        ]
    if _any_match(sample, _NAMED_MONTH):
        return [_with_times(fmt) for fmt in _NAMED_FORMATS]
    return []


def _with_times(date_format: str) -> list[str]:
    return [date_format + time for time in _TIMES]


def _parse_formats(
    values: pa.Array, formats: list[str], strict: bool
) -> pa.Array | None:
    """Parse with the first format that fits each value; None (strict) on a misfit."""
    parsed: pa.Array | None = None
    for fmt in formats:
        attempt = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
        parsed = attempt if parsed is None else pc.coalesce(parsed, attempt)
        if parsed.null_count == values.null_count:
            return parsed
    return None if strict else parsed


def _parse_families(
    values: pa.Array, families: list[list[str]], dayfirst: bool | None, strict: bool
) -> tuple[pa.Array, list[str]] | None:
    if (
        len(families) == 2
        and families[0][0].startswith("%d")
        and "%m" in families[1][0]
    ):
        return _parse_day_order(values, families, dayfirst, strict)
    if strict:
        for family in families:
            parsed = _parse_formats(values, family, True)
            if parsed is not None:
                return parsed, _date_notes(family[0])
        return None
    # Lenient: the spelling that reads the most values wins.
    attempts = [(_parse_formats(values, family, False), family) for family in families]
    best, family = min(attempts, key=lambda item: item[0].null_count)  # type: ignore[union-attr]
    return best, _date_notes(family[0])


def _parse_day_order(
    values: pa.Array, families: list[list[str]], dayfirst: bool | None, strict: bool
) -> tuple[pa.Array, list[str]] | None:
    by_day = _parse_formats(values, families[0], True)
    by_month = _parse_formats(values, families[1], True)
    if by_day is None and by_month is None:
        if strict:
            return None
        # Lenient: the order that reads more values wins.
        lenient = [_parse_formats(values, family, False) for family in families]
        best = min(range(2), key=lambda index: lenient[index].null_count)  # type: ignore[union-attr]
        return lenient[best], _date_notes(families[best][0])
    if by_day is None or by_month is None:
        chosen = 0 if by_month is None else 1
        return (by_day if chosen == 0 else by_month), _date_notes(families[chosen][0])

    use_day = bool(dayfirst)
    notes = _date_notes(families[0 if use_day else 1][0])
    if dayfirst is None:
        notes.append(
            "day and month order is ambiguous (no day above 12): read as month first; "
            "pass dayfirst=True for day first"
        )
    return (by_day if use_day else by_month), notes


def _date_notes(date_format: str) -> list[str]:
    notes = [f"dates read with format {date_format}"]
    if "%y" in date_format:
        notes.append("two-digit years: 00-68 read as 2000-2068, 69-99 as 1969-1999")
    return notes


def _parse_iso(values: pa.Array, strict: bool) -> tuple[pa.Array, list[str]] | None:
    for target in (pa.timestamp("us"), pa.timestamp("us", "UTC")):
        try:
            converted = pc.cast(values, target)
        except pa.ArrowInvalid:
            continue
        return converted, _zone_notes(values) if target.tz else []
    return _parse_mixed_zones(values, strict)


def _parse_mixed_zones(
    values: pa.Array, strict: bool
) -> tuple[pa.Array, list[str]] | None:
    """Some values carry an offset, others not: the latter are read as UTC."""
    if not strict:
        values = pc.if_else(
            pc.fill_null(pc.match_substring_regex(values, _ISO_DATE), False),
            values,
            pa.scalar(None, values.type),
        )
    zoned = pc.fill_null(pc.match_substring_regex(values, _ZONE), False)
    null = pa.scalar(None, values.type)
    try:
        with_zone = pc.cast(pc.if_else(zoned, values, null), pa.timestamp("us", "UTC"))
        naive = pc.cast(pc.if_else(zoned, null, values), pa.timestamp("us"))
    except pa.ArrowInvalid:
        return None
    merged = pc.coalesce(with_zone, pc.cast(naive, pa.timestamp("us", "UTC")))
    without = len(values) - values.null_count - count_true(zoned)
    notes = [
        *_zone_notes(values),
        f"{_values(without)} without a time zone offset read as UTC",
    ]
    return merged, notes


def _zone_notes(values: pa.Array) -> list[str]:
    found = pc.extract_regex(values, r"(?P<zone>Z|[+-]\d{2}:?\d{2})$")
    unique = pc.struct_field(found, [0]).unique().to_pylist()
    zones = sorted(str(zone) for zone in unique if zone)
    shown = ", ".join(zones[:6]) + (" ..." if len(zones) > 6 else "")
    return [f"time zone offsets ({shown}) converted to UTC"]


_DETECTORS: tuple[tuple[str, Callable[[pa.Array, bool | None], Parser | None]], ...] = (
    ("boolean", _detect_boolean),
    ("integer", _detect_integer),
    ("number", _detect_number),
    ("datetime", _detect_datetime),
)


# -- text --------------------------------------------------------------------------


def _as_text(
    text: pa.Array, cleaned: pa.Array, is_missing: pa.Array, sample: pa.Array
) -> TypedColumn:
    column = TypedColumn(_with_nulls(text, is_missing), 0)
    if _number_share(sample) >= _MOSTLY:
        _explain_almost_numbers(cleaned, column)
    _note_missing_lookalikes(cleaned, column)
    return column


def _is_number(values: pa.Array) -> pa.Array:
    dot = pc.match_substring_regex(values, _NUMBER_STYLES["dot"])
    return pc.or_(dot, pc.match_substring_regex(values, _NUMBER_STYLES["comma"]))


def _number_share(values: pa.Array) -> float:
    return count_true(_is_number(values)) / len(values) if len(values) else 0.0


def _explain_almost_numbers(cleaned: pa.Array, column: TypedColumn) -> None:
    present = len(cleaned) - cleaned.null_count
    is_number = _is_number(cleaned)
    numbers = count_true(is_number)
    if numbers == present or numbers < _MOSTLY * present:
        return

    odd = pc.and_(pc.is_valid(cleaned), pc.invert(pc.fill_null(is_number, False)))
    column.unparseable = present - numbers
    column.unparseable_rows = pc.indices_nonzero(odd)[:_SAMPLE_LINES].to_pylist()
    column.notes.append(
        f"kept as text: {column.unparseable} of {present} values are not numbers"
    )


def _note_missing_lookalikes(cleaned: pa.Array, column: TypedColumn) -> None:
    found = pc.fill_null(
        pc.is_in(cleaned, value_set=pa.array(MISSING_LOOKALIKES)), False
    )
    count = count_true(found)
    if count:
        words = sorted(set(pc.filter(cleaned, found).unique().to_pylist()))
        column.notes.append(
            f"{count} cells hold {', '.join(map(repr, words))}, kept as text; pass "
            f"missing_values={words!r} to read them as missing"
        )


# -- types the user asked for ------------------------------------------------------


def _forced(
    cleaned: pa.Array, kind: str, date_format: str | None, dayfirst: bool | None
) -> TypedColumn:
    values, notes = _force(cleaned, kind, date_format, dayfirst)
    misfit = _misfits(cleaned, values)
    column = TypedColumn(values, 0, notes, kind=kind, overridden=True)
    column.unparseable = count_true(misfit)
    if column.unparseable:
        rows = pc.indices_nonzero(misfit)[:_SAMPLE_LINES].to_pylist()
        column.unparseable_rows = rows
        column.notes.append(
            f"{_values(column.unparseable)} not a valid {kind}: left missing"
        )
    return column


def _force(
    cleaned: pa.Array, kind: str, date_format: str | None, dayfirst: bool | None
) -> tuple[pa.Array, list[str]]:
    given = ["type chosen by the user"]
    if kind in ("text", "category"):
        values = pc.dictionary_encode(cleaned) if kind == "category" else cleaned
        return values, given
    if kind == "boolean":
        parsed = _parse_boolean(cleaned, False)
        assert parsed is not None
        return parsed[0], given
    if kind == "datetime":
        values, notes = _force_datetime(cleaned, date_format, dayfirst)
        return values, given + notes
    number, notes = _force_number(cleaned)
    if kind == "integer":
        number = _whole_numbers(number)
    return number, given + notes


def _force_number(cleaned: pa.Array) -> tuple[pa.Array, list[str]]:
    sample = _present_sample(cleaned)
    share = {
        style: count_true(pc.match_substring_regex(sample, pattern))
        for style, pattern in _NUMBER_STYLES.items()
    }
    style = max(share, key=lambda name: share[name])
    parsed = _parse_decorated(cleaned, style, False)
    assert parsed is not None
    return pc.cast(parsed[0], pa.float64()), parsed[1]


def _whole_numbers(number: pa.Array) -> pa.Array:
    whole = pc.fill_null(pc.equal(pc.floor(number), number), False)
    kept = pc.if_else(whole, number, pa.scalar(None, pa.float64()))
    return pc.cast(kept, pa.int64())


def _force_datetime(
    cleaned: pa.Array, date_format: str | None, dayfirst: bool | None
) -> tuple[pa.Array, list[str]]:
    if date_format is not None:
        parsed = pc.strptime(cleaned, format=date_format, unit="us", error_is_null=True)
        return parsed, [f"dates read with format {date_format} (given)"]
    iso = _parse_iso(cleaned, False)
    if iso is not None and iso[0].null_count < len(cleaned):
        return iso
    families = _date_families(_present_sample(cleaned)) or [_with_times("%Y-%m-%d")]
    parsed = _parse_families(cleaned, families, dayfirst, False)
    assert parsed is not None
    return parsed


Override = tuple[str | None, str | None]
"""A column's forced kind and date format (None: inferred)."""


def resolve_overrides(
    names: list[str],
    originals: list[str],
    column_types: Mapping[str, str] | None,
    date_formats: Mapping[str, str] | None,
) -> list[Override]:
    """Match ``column_types``/``date_formats`` keys (frame names or header cells)."""
    overrides: list[Override] = [(None, None)] * len(names)
    for option, given in (
        ("column_types", column_types),
        ("date_formats", date_formats),
    ):
        for key, value in (given or {}).items():
            index = _column_index(key, names, originals, option)
            kind, fmt = overrides[index]
            if option == "column_types":
                check_kind(key, value)
                overrides[index] = (value, fmt)
            else:
                overrides[index] = (kind or "datetime", str(value))
    return overrides


def _column_index(key: str, names: list[str], originals: list[str], option: str) -> int:
    for index, (name, original) in enumerate(zip(names, originals, strict=True)):
        if key in (name, original):
            return index
    error = column_not_found(key, names)
    raise type(error)(f"{option}: {error}")


def native_type(sample: TypedColumn) -> pa.DataType | None:
    """The Arrow type a CSV reader may parse this column's text straight into.

    ``sample`` is the column typed on a sample of the file. Plain integers, plain
    decimal numbers and ISO timestamps without a zone are parsed by Arrow's reader
    exactly as :func:`infer_column` casts them, so the rest of the file can skip the
    text stage; anything decorated, zoned, boolean or text returns None.

    Arrow's parser does not see leading zeros (``007`` reads as 7) and takes ``nan``
    and ``inf`` as numbers: the caller must rule both out (:func:`native_misfit`).
    """
    if sample.notes or sample.overridden or sample.unparseable:
        return None
    value_type = sample.values.type
    if sample.kind == "integer" and value_type == pa.int64():
        return pa.int64()
    if sample.kind == "number" and value_type == pa.float64():
        return pa.float64()
    if sample.kind == "datetime" and value_type == pa.timestamp("us"):
        return pa.timestamp("us")
    return None


def native_misfit(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a natively parsed column holds what :func:`infer_column` rejects.

    That is ``nan`` or ``inf`` in a float column (such words keep a column as text).
    """
    if not pa.types.is_floating(values.type):
        return False
    odd = pc.or_(pc.is_nan(values), pc.is_inf(values))
    return bool(pc.any(odd).as_py())


def parse_native(values: pa.Array, target: pa.DataType) -> pa.Array | None:
    """Cast text to ``target`` as :func:`infer_column` would accept it, else None.

    For a batch of a column whose sample chose ``target`` (:func:`native_type`):
    None when a value does not cast, has a leading zero (``007``) or is ``nan``/``inf``.
    """
    if pa.types.is_timestamp(values.type):
        return values  # parsed by the reader itself
    try:
        converted = pc.cast(values, target)
    except pa.ArrowInvalid:
        return None
    if native_misfit(converted) or _has_leading_zero(values):
        return None
    return converted


Signed: TypeAlias = tuple[str, str]
"""A leading currency sign and a trailing percent sign ("" when absent)."""


def signed_shape(first: pa.Array) -> Signed | None:
    """The (sign, suffix) :func:`infer_column` strips from this column's values.

    ``first`` is the start of a column (at least :data:`_SAMPLE` values). When its
    sample makes :func:`infer_column` try the one-sign shortcut (``$12.50``,
    ``12%``) first, the whole column is read that way if every value has that shape,
    so each batch of the rest can be read alone (:func:`parse_signed_batch`) and
    joined (:func:`signed_column`). None otherwise (the column is typed whole).
    """
    cleaned = _clean(first, ())[0]
    head = cleaned.slice(0, _SAMPLE).drop_null()
    if len(cleaned) < _SAMPLE or len(head) < _SAMPLE // 10:
        return None
    # The same detectors, in the same order, as _inferred on the whole column.
    if _detect_boolean(head, None) or _detect_integer(head, None):
        return None
    if _has_leading_zero(head) or _plain_float(head) is not None:
        return None
    if _number_style(head) != "dot":
        return None
    text = str(head[0].as_py())
    sign = text[0] if text[0] in _SIGNS else ""
    suffix = "%" if text.endswith("%") else ""
    return (sign, suffix) if sign or suffix else None


def parse_signed_batch(values: pa.Array, shape: Signed) -> pa.Array | None:
    """One batch of a :func:`signed_shape` column as numbers; None on a misfit."""
    return _signed_number(_clean(values, ())[0], *shape)


def signed_column(parts: list[pa.Array], shape: Signed) -> TypedColumn:
    """Join a signed column's batches as :func:`infer_column` reads the whole."""
    # The whole column is cast to float if any value has a fraction.
    if any(pa.types.is_floating(part.type) for part in parts):
        parts = [pc.cast(part, pa.float64()) for part in parts]
    kind = parts[0].type if parts else pa.int64()
    values = pa.chunked_array(parts, kind)
    name = "integer" if pa.types.is_integer(kind) else "number"
    return TypedColumn(values, values.null_count, _signed_notes(*shape), kind=name)


def native_column(values: pa.Array | pa.ChunkedArray) -> TypedColumn:
    """A column Arrow's reader parsed straight into ``values`` (checked, no text)."""
    kind = {pa.int64(): "integer", pa.float64(): "number"}.get(values.type, "datetime")
    return TypedColumn(values, values.null_count, kind=kind)


def type_columns(
    names: list[str],
    header: list[str],
    columns: list[pa.Array],
    *,
    missing_values: tuple[str, ...] = (),
    dayfirst: bool | None = None,
    column_types: Mapping[str, str] | None = None,
    date_formats: Mapping[str, str] | None = None,
    keep_as_text: int | None = None,
    release: bool = True,
    ready: Mapping[int, TypedColumn] | None = None,
) -> list[TypedColumn]:
    """Type every column, in parallel (Arrow kernels release the GIL).

    ``keep_as_text`` is the index of a column kept exactly as written (``_extra``).
    With ``release``, each entry of ``columns`` whose values are no longer needed is
    replaced by a null array of the same length once typed (the text of a large file
    is then freed column by column); columns with unparseable cells are kept, for
    the caller to quote them.
    ``ready`` holds columns already typed by the reader, by index: they are
    returned as they are.
    Unknown names in ``column_types``/``date_formats`` raise ``ColumnNotFoundError``.
    """
    overrides = resolve_overrides(names, header, column_types, date_formats)
    ready = ready or {}

    def convert(index: int) -> TypedColumn:
        if index in ready:
            return ready[index]
        raw = columns[index]
        if index == keep_as_text:
            return TypedColumn(raw, raw.null_count)
        kind, date_format = overrides[index]
        typed = infer_column(
            raw,
            missing_values=missing_values,
            dayfirst=dayfirst,
            kind=kind,
            date_format=date_format,
        )
        if release and not typed.unparseable_rows and typed.values is not raw:
            # Free the text as soon as its column is typed: a placeholder of the same
            # length (no buffers) keeps len() right for the caller.
            columns[index] = pa.nulls(len(raw))
        return typed

    workers = min(len(columns), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(convert, range(len(columns))))
