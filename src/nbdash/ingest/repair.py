"""Mending rows of the wrong width where the other rows show what they should hold.

A row with a doubled delimiter (``a,,b`` where ``a,b`` was meant) has one field too
many, and every cell after the doubled delimiter sits one column to the right. The
well-formed rows tell what each column usually holds: a :class:`Profile` counts the
*shape* of each column's cells (``28/01/2018`` is ``9/9/9``, ``$74.69`` is
``$9.9``, a sentence is ``text``). An empty field is removed only when the row
without it fits the columns' shapes better than every other choice, so a row is
mended only where the data itself shows the way; any other row is left to the
``ragged`` option.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

logger = logging.getLogger(__name__)

MAX_CHOICES = 200
"""Rows with more ways to remove their empty fields than this are left alone."""
MIN_ROWS = 5
"""Rows are mended only after this many well-formed rows showed the columns."""
SPLIT_CHARS = 64
"""Cells longer than this are not tried as two cells run together."""
_RUNS = re.compile(r"\d+|[^\W\d_]+")
_LONG = 24


def cell_shape(cell: str) -> str:
    """A coarse shape: a digit per digit (runs past 4 as ``9+``), letter runs as
    ``a``, other characters as they are, and any longer or spaced text ``text``.

    Examples
    --------
    >>> [cell_shape(c) for c in ["28/01/2018", "$74.69", "MG-8769", "", "Men's"]]
    ['99/99/9999', '$99.99', 'a-9999', '', "a'a"]
    """
    text = cell.strip()
    if not text:
        return ""
    if len(text) > _LONG or (" " in text and any(c.isalpha() for c in text)):
        return "text"
    return _RUNS.sub(_run_shape, text)


def _run_shape(run: re.Match[str]) -> str:
    text = run.group()
    if not text[0].isdigit():
        return "a"
    return "9" * len(text) if len(text) <= 4 else "9+"


@dataclass
class Profile:
    """How often each cell shape occurs in each column of the well-formed rows."""

    width: int
    shapes: list[Counter[str]] = field(default_factory=list)
    rows: int = 0

    @classmethod
    def of_rows(cls, rows: Iterable[list[str]], width: int) -> Profile:
        """The profile of the rows that have exactly ``width`` fields."""
        profile = cls(width, [Counter() for _ in range(width)])
        for fields in rows:
            if len(fields) == width:
                for counter, cell in zip(profile.shapes, fields, strict=True):
                    counter[cell_shape(cell)] += 1
                profile.rows += 1
        return profile

    def share(self, column: int, shape: str) -> float:
        """How often ``shape`` occurs in ``column``, as a share of the rows."""
        return self.shapes[column][shape] / self.rows if self.rows else 0.0

    def fit(self, fields: list[str]) -> float:
        """How well a row of ``width`` fields matches: the sum of shape shares."""
        if not self.rows:
            return 0.0
        total = 0
        for counter, cell in zip(self.shapes, fields, strict=True):
            total += counter[cell_shape(cell)]
        return total / self.rows


def drop_doubled_delimiters(
    fields: list[str], profile: Profile
) -> tuple[list[str], list[int]] | None:
    """The row without the empty fields that made it too wide, and their positions.

    Every way to remove ``len(fields) - width`` empty fields is scored against
    ``profile`` (which must hold ``MIN_ROWS`` rows or more); the best is returned
    only when it fits strictly better than any
    other outcome and than the row as read (its first ``width`` fields, the
    surplus cut off), and matches in at least half the columns on average. The
    removed fields are returned as 0-based positions in the original row. None
    when the evidence does not single out one row.

    Examples
    --------
    >>> profile = Profile.of_rows([["1", "a", "x y z"], ["2", "b", "u v w"]] * 3, 3)
    >>> drop_doubled_delimiters(["3", "", "c", "p q r"], profile)
    (['3', 'c', 'p q r'], [1])
    """
    surplus = len(fields) - profile.width
    empty = [index for index, cell in enumerate(fields) if not cell.strip()]
    if surplus <= 0 or len(empty) < surplus or profile.rows < MIN_ROWS:
        return None
    if math.comb(len(empty), surplus) > MAX_CHOICES:
        return None

    scored: dict[tuple[str, ...], tuple[float, list[int]]] = {}
    for removed in combinations(empty, surplus):
        gone = set(removed)
        row = tuple(cell for index, cell in enumerate(fields) if index not in gone)
        if row not in scored:
            scored[row] = (profile.fit(list(row)), list(removed))
    ranked = sorted(scored.items(), key=lambda item: item[1][0], reverse=True)
    best_row, (best, positions) = ranked[0]
    if len(ranked) > 1 and ranked[1][1][0] >= best:
        return None
    if best <= profile.fit(fields[: profile.width]) or best < 0.5 * profile.width:
        return None
    return list(best_row), positions


def split_run_together(
    fields: list[str], profile: Profile
) -> tuple[list[str], int] | None:
    """The row with the one missing delimiter put back, and the column it ends.

    A row one field short may have lost a delimiter: two cells ran together
    (``00:301`` for ``00:30`` and ``1``), or an empty cell vanished. Every place
    the delimiter could go (inside a cell up to ``SPLIT_CHARS`` long whose shape
    its column never showed, or as an empty cell anywhere) is scored against
    ``profile``; the best is returned only when it fits strictly better than any
    other outcome and than the row padded with an empty cell at the end, and
    matches in at least half the columns on average. The index is the 0-based
    column of the first of the two cells. None when the evidence does not single
    out one row.

    Examples
    --------
    >>> rows = [["01:15", "2", "x y"], ["10:30", "4", "u v"], ["11:00", "1", "p q"]]
    >>> split_run_together(["00:305", "a b"], Profile.of_rows(rows * 2, 3))
    (['00:30', '5', 'a b'], 0)
    """
    width = profile.width
    if len(fields) != width - 1 or profile.rows < MIN_ROWS or width < 2:
        return None
    shapes = [cell_shape(cell) for cell in fields]
    # left[i]: the cells before i in their own columns; right[i]: cells after i
    # one column to the right.
    left = [0.0]
    for index, shape in enumerate(shapes):
        left.append(left[-1] + profile.share(index, shape))
    right = [0.0] * (len(fields) + 1)
    for index in range(len(fields) - 1, -1, -1):
        right[index] = right[index + 1] + profile.share(index + 1, shapes[index])

    scored: dict[tuple[str, ...], tuple[float, int]] = {}
    # Only a cell unlike anything its column has held is split in two.
    odd = {
        index for index, shape in enumerate(shapes) if not profile.share(index, shape)
    }
    for place, (first, second) in _places(fields, odd):
        row = (*fields[:place], first, second, *fields[place + 1 :])
        if row in scored:
            continue
        inner = profile.share(place, cell_shape(first))
        inner += profile.share(place + 1, cell_shape(second))
        scored[row] = (left[place] + inner + right[place + 1], place)
    padded = (*fields, "")
    baseline = scored.pop(padded, (profile.fit(list(padded)), len(fields)))[0]
    return _single_best(scored, baseline, width)


def _places(fields: list[str], odd: set[int]) -> list[tuple[int, tuple[str, str]]]:
    """Each way to put one delimiter back: (cell index, the two cells it makes)."""
    places = []
    for index, cell in enumerate(fields):
        places.append((index, ("", cell)))
        places.append((index, (cell, "")))
        if index in odd and len(cell) <= SPLIT_CHARS:
            for cut in range(1, len(cell)):
                places.append((index, (cell[:cut], cell[cut:])))
    return places


def _single_best(
    scored: dict[tuple[str, ...], tuple[float, int]], baseline: float, width: int
) -> tuple[list[str], int] | None:
    if not scored:
        return None
    ranked = sorted(scored.items(), key=lambda item: item[1][0], reverse=True)
    best_row, (best, place) = ranked[0]
    if len(ranked) > 1 and ranked[1][1][0] >= best:
        return None
    if best <= baseline or best < 0.5 * width:
        return None
    return list(best_row), place
