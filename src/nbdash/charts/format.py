"""Text that goes into a figure: escaped labels, number and date formats, colours.

Plotly draws a small set of HTML tags found in titles, axis labels, category names and
hover text (``<b>``, ``<a href>``, ``<br>``...). User text must read as text, so every
user string placed into a figure goes through :func:`escape_label`; plotly turns the
entities back into the characters when it draws, so ``<b>`` reads as ``<b>``.
"""

from __future__ import annotations

import html
import logging
import math
import re

logger = logging.getLogger(__name__)

# d3-format's own grammar: [[fill]align][sign][symbol][0][width][,][.precision][~][type]
_NUMBER_FORMAT = re.compile(
    r"^(?:(?P<fill>[^<>&])?(?P<align>[<>=^]))?(?P<sign>[-+( ])?(?P<symbol>[$#])?"
    r"(?P<zero>0)?(?P<width>\d+)?(?P<comma>,)?(?:\.(?P<precision>\d+))?(?P<trim>~)?"
    r"(?P<type>[bcdeEfFgGnoprsxX%])?$"
)
# d3-time-format directives plotly understands, and plain text without markup.
_DATE_FORMAT = re.compile(r"^(?:[^%<>&]|%[-_0]?[aAbBcdefgHIjLmMpqQsSuUVwWxXyYZ%])*$")
_COLOR = re.compile(
    r"^(?:#[0-9a-fA-F]{3}|#[0-9a-fA-F]{4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}"
    r"|rgba?\(\s*[\d.]+%?\s*,\s*[\d.]+%?\s*,\s*[\d.]+%?\s*(?:,\s*[\d.]+%?\s*)?\)"
    r"|[a-zA-Z]{3,24})$"
)

NUMBER_FORMATS: dict[str, str] = {
    "": "automatic",
    ",.0f": "thousands: 12,345",
    ",.2f": "two decimals: 12,345.67",
    "$,.2f": "currency: $12,345.67",
    "$,.0f": "currency, whole: $12,346",
    ".1%": "percent: 12.3% (of 0.123)",
    ".3s": "short: 12.3k",
}
"""Number formats offered in the picker (d3-format), with what they look like."""

DATE_FORMATS: dict[str, str] = {
    "": "automatic",
    "%Y-%m-%d": "2024-03-31",
    "%d %b %Y": "31 Mar 2024",
    "%b %Y": "Mar 2024",
    "%Y": "2024",
    "%a %H:%M": "Sun 14:30",
}
"""Date formats offered in the picker (d3-time-format), with what they look like."""

PALETTES: dict[str, list[str]] = {
    "default": ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"],
    "colorblind": ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"],
    "pastel": ["#66c5cc", "#f6cf71", "#f89c74", "#dcb0f2", "#87c55f", "#9eb9f3"],
    "bold": ["#7f3c8d", "#11a579", "#3969ac", "#f2b701", "#e73f74", "#80ba5a"],
    "greys": ["#252525", "#525252", "#737373", "#969696", "#bdbdbd", "#d9d9d9"],
}
"""Named colour palettes a chart can use; series take the colours in turn."""

CJK_FONTS = (
    '"Noto Sans CJK JP", "Noto Sans CJK SC", "Hiragino Sans", "PingFang SC", '
    '"Microsoft YaHei", "Malgun Gothic"'
)
"""Fonts with Chinese, Japanese and Korean glyphs that Linux, macOS or Windows have."""

FONT_FAMILY = f'"Open Sans", verdana, arial, {CJK_FONTS}, sans-serif'
"""The charts' fonts: plotly's Latin ones, then :data:`CJK_FONTS`, so CJK labels are
drawn with a font that has them rather than as empty boxes."""


def escape_label(text: object) -> str:
    """Return ``text`` as a string plotly shows literally (``<``, ``>``, ``&`` escaped).

    Examples
    --------
    >>> escape_label("<b>Tea & coffee</b>")
    '&lt;b&gt;Tea &amp; coffee&lt;/b&gt;'
    """
    return html.escape(str(text), quote=False)


def unescape_label(text: str) -> str:
    """Undo :func:`escape_label`: the category a plotly click event names, as data.

    Examples
    --------
    >>> unescape_label("Tea &amp; coffee")
    'Tea & coffee'
    """
    return html.unescape(text)


def number_format_problem(fmt: str) -> str:
    """Return why ``fmt`` is not a d3 number format, or an empty string."""
    if fmt == "" or _NUMBER_FORMAT.match(fmt):
        return ""
    return (
        f"number_format {fmt!r} is not a d3 number format; use e.g. ',.0f' "
        "(thousands), '$,.2f' (currency), '.1%' (percent) or '' (automatic)"
    )


def date_format_problem(fmt: str) -> str:
    """Return why ``fmt`` is not a d3 date format, or an empty string."""
    if _DATE_FORMAT.match(fmt):
        return ""
    return (
        f"date_format {fmt!r} is not a d3 date format; use directives such as "
        "'%Y-%m-%d', '%d %b %Y' or '%b %Y' and no '<', '>' or '&'"
    )


def color_problem(color: str) -> str:
    """Return why ``color`` is not a CSS colour plotly accepts, or an empty string."""
    if _COLOR.match(color):
        return ""
    return (
        f"colour {color!r} is not a colour; use '#1f77b4', 'rgb(31, 119, 180)' or a "
        "CSS colour name such as 'teal'"
    )


def format_number(value: float | None, fmt: str = "") -> str:
    """Format ``value`` as plotly would with the d3 format ``fmt``.

    Covers what the picker offers: grouping, precision, ``$``, ``%``, ``~`` and the
    SI suffix type ``s``; an empty format gives up to four significant digits.

    Examples
    --------
    >>> format_number(12345.678, "$,.2f")
    '$12,345.68'
    >>> format_number(0.1234, ".1%")
    '12.3%'
    >>> format_number(12345.0, ".3s")
    '12.3k'
    >>> format_number(None)
    '-'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    parts = _NUMBER_FORMAT.match(fmt or ",.4~g")
    if parts is None:
        return f"{value:,.4g}"

    kind = parts["type"] or "g"
    if kind == "s":
        text = _si(value, int(parts["precision"] or 3))
    else:
        text = _python_number(value, parts, kind)
    if parts["trim"] and kind != "s":
        text = _trim_zeros(text)
    return f"{'$' if parts['symbol'] == '$' else ''}{text}".replace("$-", "-$")


def _python_number(value: float, parts: re.Match[str], kind: str) -> str:
    comma = "," if parts["comma"] else ""
    if kind in "dbxXo":
        return format(round(value), f"{comma}d" if kind == "d" else kind)

    precision = f".{parts['precision']}" if parts["precision"] is not None else ""
    python_kind = {"p": "%", "r": "g", "c": "g", "n": "g"}.get(kind, kind)
    return format(value, f"{comma}{precision}{python_kind}")


def _si(value: float, digits: int) -> str:
    prefixes = {
        -4: "p",
        -3: "n",
        -2: "µ",
        -1: "m",
        0: "",
        1: "k",
        2: "M",
        3: "G",
        4: "T",
    }
    exponent = 0 if value == 0 else math.floor(math.log10(abs(value)) / 3)
    exponent = max(-4, min(4, exponent))
    scaled = value / 1000**exponent
    return f"{scaled:.{max(digits, 1)}g}{prefixes[exponent]}"


def _trim_zeros(text: str) -> str:
    match = re.match(r"^(.*?\.\d*?)0+(\D*)$", text)
    if match is None:
        return text
    head, tail = match.groups()
    return f"{head.rstrip('.')}{tail}"
