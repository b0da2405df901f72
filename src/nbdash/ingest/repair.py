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
_RUNS = re.compile(r"\d+|[^\W\d_]+")
_LONG = 24


def cell_shape(cell: str) -> str:
    """A coarse shape: digit runs as ``9``, letter runs as ``a``, long text ``text``.

    Examples
    --------
    >>> [cell_shape(c) for c in ["28/01/2018", "$74.69", "MG-8769", "", "Men's"]]
    ['9/9/9', '$9.9', 'a-9', '', "a'a"]
    """
    text = cell.strip()
    if not text:
        return ""
    if len(text) > _LONG or (" " in text and any(c.isalpha() for c in text)):
        return "text"
    return _RUNS.sub(lambda run: "9" if run.group()[0].isdigit() else "a", text)


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
    ``profile``; the best is returned only when it fits strictly better than any
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
    if surplus <= 0 or len(empty) < surplus or not profile.rows:
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
