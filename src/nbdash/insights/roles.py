"""Which columns are the time, the measures and the categories of a dataset."""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field

import pandas as pd
from pandas.api import types as ptypes

from nbdash.errors import check_columns

logger = logging.getLogger(__name__)

# Words that make a column a label even with repeated values (nobody sums zip codes),
# and words that do when the values are also nearly all different ("order number").
_ID_WORDS = frozenset(
    {"id", "ids", "key", "uuid", "guid", "zip", "zipcode", "postcode", "phone"}
)
_LABEL_WORDS = frozenset({"number", "no", "num", "nr", "code"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
NEARLY_UNIQUE = 0.95
"""Share of distinct values above which a column named like a number is an id."""
_SAMPLE = 2_000
MAX_CATEGORIES = 50


@dataclass
class Roles:
    """The columns an insight pass uses, and the parsed time column.

    ``time_values`` is the time column as naive datetimes (local wall time; mixed or
    explicit time zones are converted to UTC first), aligned with the frame's rows.
    """

    time: str | None = None
    time_values: pd.Series | None = None
    measures: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def detect_roles(
    frame: pd.DataFrame,
    time: str | None = None,
    measures: list[str] | None = None,
    categories: list[str] | None = None,
    *,
    dataset: str | None = None,
) -> Roles:
    """Find (or check the given) time column, measures and categories.

    Raises
    ------
    ColumnNotFoundError
        When a column given by name is not in the frame.
    """
    given = [time] if time else []
    check_columns(
        [*given, *(measures or []), *(categories or [])], frame.columns, dataset=dataset
    )
    roles = Roles()
    roles.time = time if time else _find_time(frame)
    if roles.time is not None:
        roles.time_values = parse_times(frame[roles.time], roles.notes, roles.time)
        if roles.time_values is None:
            roles.time = None

    skip = {roles.time}
    roles.measures = measures if measures is not None else _find_measures(frame, skip)
    roles.categories = (
        categories if categories is not None else _find_categories(frame, skip)
    )
    return roles


def parse_times(values: pd.Series, notes: list[str], name: str) -> pd.Series | None:
    """Parse a column to naive datetimes; None (with a note) when it does not parse."""
    if ptypes.is_datetime64_any_dtype(values.dtype):
        parsed = values
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        if _mixed_offsets(values):
            notes.append(
                f"Column {name!r} mixes time zones; its times were converted to UTC."
            )
        elif parsed.notna().any():
            parsed = parsed.dt.tz_localize(None)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    if parsed.notna().sum() == 0:
        notes.append(f"Column {name!r} holds no readable dates.")
        return None
    return parsed.astype("datetime64[ns]")


def _mixed_offsets(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(_SAMPLE)
    offsets = sample.str.extract(r"([+-]\d\d:?\d\d|Z)$")[0].dropna().unique()
    return len(offsets) > 1


def _find_time(frame: pd.DataFrame) -> str | None:
    for column in frame.columns:
        if ptypes.is_datetime64_any_dtype(frame[column].dtype):
            return str(column)
    for column in frame.columns:
        if _looks_like_dates(frame[column]):
            return str(column)
    return None


def _looks_like_dates(values: pd.Series) -> bool:
    if not (ptypes.is_string_dtype(values.dtype) or values.dtype == object):
        return False
    sample = values.dropna().head(200).astype(str)
    if sample.empty or not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}").all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", utc=True, format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def _find_measures(frame: pd.DataFrame, skip: set[str | None]) -> list[str]:
    found = []
    for column in frame.columns:
        values = frame[column]
        if column in skip or ptypes.is_bool_dtype(values.dtype):
            continue
        if not ptypes.is_numeric_dtype(values.dtype) or _is_identifier(column, values):
            continue
        if values.head(_SAMPLE * 5).nunique() <= 1 and values.nunique() <= 1:
            continue
        found.append(str(column))
    return found


def _is_identifier(column: str, values: pd.Series) -> bool:
    return is_id_like(column, values.head(_SAMPLE * 5))


def is_id_like(name: object, values: pd.Series) -> bool:
    """Whether a column labels rows (an id, a code, a phone number): not a measure.

    True when the name says so (a word such as ``id``, ``key``, ``zip`` or ``phone``),
    when the name ends in ``number``, ``no`` or ``code`` and the values are nearly all
    different, or when the values are whole numbers that are all different.

    Examples
    --------
    >>> import pandas as pd
    >>> is_id_like("order id", pd.Series([3, 1, 2]))
    True
    >>> is_id_like("amount", pd.Series([1.5, 2.5, 3.5]))
    False
    """
    words = [word.lower() for word in _WORD.findall(str(name))]
    if _ID_WORDS.intersection(words):
        return True
    present = values.dropna()
    if present.empty:
        return False
    distinct = present.nunique()
    # "order number" and "zip code" name labels; "number of items" counts something.
    named = bool(words) and words[-1] in _LABEL_WORDS
    if named and distinct >= NEARLY_UNIQUE * len(present):
        return True
    whole = ptypes.is_integer_dtype(values.dtype) and not ptypes.is_bool_dtype(values)
    return bool(whole and len(present) > 2 and distinct == len(present))


def _find_categories(frame: pd.DataFrame, skip: set[str | None]) -> list[str]:
    found = []
    sample = (
        frame.sample(_SAMPLE * 5, random_state=0) if len(frame) > _SAMPLE * 5 else frame
    )
    for column in frame.columns:
        values = sample[column]
        if column in skip or ptypes.is_numeric_dtype(values.dtype):
            continue
        if ptypes.is_datetime64_any_dtype(values.dtype):
            continue
        distinct = values.nunique(dropna=True)
        if 2 <= distinct <= MAX_CATEGORIES:
            found.append(str(column))
    return found
