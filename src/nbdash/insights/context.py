"""What every detector receives: the data, its roles and the settings."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import pandas as pd

from nbdash.insights.model import InsightSettings
from nbdash.insights.roles import Roles

logger = logging.getLogger(__name__)


class Skip(Exception):
    """Raised by a detector that cannot run; its message is the plain reason."""


@dataclass
class Context:
    """The dataset, the columns' roles and the settings of one insight pass."""

    frame: pd.DataFrame
    roles: Roles
    settings: InsightSettings
    dataset: str

    @functools.cached_property
    def sample(self) -> pd.DataFrame:
        """A uniform random sample of at most ``settings.sample_rows`` rows."""
        limit = self.settings.sample_rows
        if len(self.frame) <= limit:
            return self.frame
        logger.debug("sampling %d of %d rows", limit, len(self.frame))
        return self.frame.sample(limit, random_state=self.settings.seed)

    @property
    def is_sampled(self) -> bool:
        """Whether row-level detectors read a sample rather than every row."""
        return len(self.frame) > self.settings.sample_rows
