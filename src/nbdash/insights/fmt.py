"""Numbers, shares and dates formatted for people: "$12.4k", "15%", "12 Dec 2024"."""

from __future__ import annotations

import logging
import math
import re

import pandas as pd

logger = logging.getLogger(__name__)

_MONEY = re.compile(
    r"revenue|sales|price|cost|amount|profit|income|spend|turnover|margin|usd|"
    r"dollar|\$|eur|gbp|payment|fee|budget",
    re.IGNORECASE,
)
_SUFFIXES = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))


def is_money(column: str) -> bool:
    """Whether a column's name says it holds money (its numbers get a "$").

    Examples
    --------
    >>> is_money("Revenue"), is_money("orders")
    (True, False)
    """
    return bool(_MONEY.search(str(column)))


def number(value: float, *, money: bool = False) -> str:
    """Format a number short: three significant digits and a k/M/bn suffix.

    Examples
    --------
    >>> number(12400, money=True), number(-0.5), number(1234567), number(12)
    ('$12.4k', '-0.5', '1.23M', '12')
    """
    if not math.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    size = abs(value)
    unit = ""
    for limit, suffix in _SUFFIXES:
        if size >= limit:
            size, unit = size / limit, suffix
            break
    text = f"{size:.3g}" if size >= 1 or size == 0 else f"{size:.2g}"
    if "e" in text:
        text = f"{size:.0f}"
    return f"{sign}{'$' if money else ''}{text}{unit}"


def signed(value: float, *, money: bool = False) -> str:
    """Format a number with its sign: "+$12.4k", "-300".

    Examples
    --------
    >>> signed(12400, money=True), signed(-300)
    ('+$12.4k', '-300')
    """
    text = number(value, money=money)
    return text if text.startswith("-") else f"+{text}"


def percent(share: float) -> str:
    """Format a share (0.153) as a percentage: whole numbers from 10% up.

    Examples
    --------
    >>> percent(0.153), percent(0.042), percent(2.5)
    ('15%', '4.2%', '250%')
    """
    size = abs(share) * 100
    text = f"{size:.0f}" if size >= 10 else f"{size:.1f}".rstrip("0").rstrip(".")
    return f"{'-' if share < 0 and text != '0' else ''}{text}%"


def ratio(value: float) -> str:
    """Format a multiple with a multiplication sign: "3.1×".

    Examples
    --------
    >>> ratio(3.14159)
    '3.1×'
    """  # noqa: RUF002 - the sign is meant for readers
    return f"{value:.1f}×"  # noqa: RUF001 (the multiplication sign is meant)


def date(stamp: pd.Timestamp, grain: str = "day") -> str:
    """Format a date at a grain: "12 Dec 2024", "week of 9 Dec 2024", "Q4 2024".

    Examples
    --------
    >>> stamp = pd.Timestamp("2024-12-12 15:00")
    >>> [date(stamp, g) for g in ("day", "month", "quarter", "year")]
    ['12 Dec 2024', 'December 2024', 'Q4 2024', '2024']
    """
    stamp = pd.Timestamp(stamp)
    if grain == "week":
        return f"the week of {stamp.day} {stamp:%b %Y}"
    if grain == "month":
        return f"{stamp:%B %Y}"
    if grain == "quarter":
        return f"Q{stamp.quarter} {stamp.year}"
    if grain == "year":
        return str(stamp.year)
    if grain in ("hour", "minute"):
        return f"{stamp.day} {stamp:%b %Y %H:%M}"
    return f"{stamp.day} {stamp:%b %Y}"


def label(column: str) -> str:
    """A column name as the subject of a sentence: first letter capitalised."""
    text = str(column)
    return text[:1].upper() + text[1:]
