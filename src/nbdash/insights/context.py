"""What every detector receives: the data, its roles, the settings and shared work."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nbdash.insights.model import InsightSettings
from nbdash.insights.roles import Roles

logger = logging.getLogger(__name__)


class Skip(Exception):
    """Raised by a detector that cannot run; its message is the plain reason."""


@dataclass
class Context:
    """The dataset, the columns' roles and the settings of one insight pass.

    ``cache`` holds work detectors share (per-period aggregates of each measure), so
    every row is read once per measure however many detectors look at it; ``notes``
    collects reasons a detector left out part of its work without failing (they go
    to :attr:`InsightReport.skipped`).
    """

    frame: pd.DataFrame
    roles: Roles
    settings: InsightSettings
    dataset: str
    cache: dict[Any, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @functools.cached_property
    def sample(self) -> pd.DataFrame:
        """A uniform random sample of at most ``settings.sample_rows`` rows."""
        return self.sample_of(self.settings.sample_rows)

    def sample_of(self, limit: int, columns: list[str] | None = None) -> pd.DataFrame:
        """A uniform random sample of at most ``limit`` rows of ``columns`` (all).

        Only the columns asked for are copied; the same ``limit`` always gives the
        same rows within a pass (seeded by ``settings.seed``).
        """
        frame = self.frame if columns is None else self.frame[columns]
        if len(frame) <= limit:
            return frame
        key = ("sample", limit)
        if key not in self.cache:
            rng = np.random.default_rng(self.settings.seed)
            chosen = rng.choice(len(frame), size=limit, replace=False)
            self.cache[key] = np.sort(chosen)
            logger.debug("sampling %d of %d rows", limit, len(frame))
        rows: pd.DataFrame = frame.iloc[self.cache[key]]
        return rows

    @property
    def is_sampled(self) -> bool:
        """Whether row-level detectors read a sample rather than every row."""
        return len(self.frame) > self.settings.sample_rows

    def note(self, reason: str) -> None:
        """Record why part of a detector's work was left out (once per reason)."""
        if reason not in self.notes:
            self.notes.append(reason)
