"""Steps that read another dataset: join and append.

The other datasets come from the caller: :meth:`Pipeline.run` reads them from the
workspace, ``Pipeline.run_frame(frame, others={"orders": orders})`` takes them as a
dict. The generated code reads them from a dict named ``datasets``
(``datasets['orders']``), which the code's user provides, e.g.
``datasets = {name: nbdash.workspace().get(name) for name in pipe.used_datasets()}``.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from nbdash.errors import column_not_found
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.steps._common import Datasets, check_unique, get_dataset

logger = logging.getLogger(__name__)


class JoinStep(SpecModel):
    """Join the dataset ``dataset`` on key columns (``pandas.merge`` semantics).

    ``on`` names the keys in the current frame, ``right_on`` in the other dataset
    (default: the same names; when they differ both key columns are kept). Columns
    present on both sides get ``suffixes`` (left, right). Missing keys match each
    other, as in pandas. The result has a fresh 0..n-1 index; ``outer`` sorts by key.
    """

    kind: Literal["join"] = "join"
    dataset: Name
    on: list[Name] = Field(min_length=1)
    right_on: list[Name] | None = None
    how: Literal["inner", "left", "right", "outer"] = "inner"
    suffixes: tuple[str, str] = ("_x", "_y")

    @model_validator(mode="after")
    def _check_keys(self) -> JoinStep:
        check_unique(list(self.on), "join keys")
        if self.right_on is not None and len(self.right_on) != len(self.on):
            raise ValueError(
                f"'right_on' needs as many keys as 'on' ({len(self.on)}); received "
                f"{len(self.right_on)}"
            )
        if self.suffixes[0] == self.suffixes[1]:
            raise ValueError(
                f"the two suffixes must differ; received {self.suffixes!r}"
            )
        return self

    def used_columns(self) -> list[str]:
        """Return the columns this step reads from the current frame."""
        return list(self.on)

    def used_datasets(self) -> list[str]:
        """Return the other datasets this step reads."""
        return [self.dataset]

    def output_columns(self, columns: list[str]) -> list[str] | None:
        """Return ``None``: the columns depend on the other dataset."""
        return None

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return the joined frame."""
        other = get_dataset(self.dataset, others)
        available = [str(column) for column in other.columns]
        for key in self._right_keys():
            if key not in other.columns:
                raise column_not_found(key, available, dataset=self.dataset)
        keys: dict[str, Any] = self._keys()
        joined = frame.merge(other, how=self.how, suffixes=self.suffixes, **keys)
        return joined.reset_index(drop=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        keys = ", ".join(f"{name}={value!r}" for name, value in self._keys().items())
        return [
            "df = df.merge(",
            f"    datasets[{self.dataset!r}],",
            f"    how={self.how!r},",
            f"    {keys},",
            f"    suffixes={self.suffixes!r},",
            ").reset_index(drop=True)",
        ]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"{self.how} join with dataset {self.dataset!r}"

    def _right_keys(self) -> list[str]:
        return list(self.right_on) if self.right_on is not None else list(self.on)

    def _keys(self) -> dict[str, list[str]]:
        if self._right_keys() == list(self.on):
            return {"on": list(self.on)}
        return {"left_on": list(self.on), "right_on": self._right_keys()}


class AppendStep(SpecModel):
    """Add the rows of other datasets below the current rows (``pd.concat``).

    Columns are matched by name; a column missing from one side is missing in its
    rows. The result has a fresh 0..n-1 index.
    """

    kind: Literal["append"] = "append"
    datasets: list[Name] = Field(min_length=1)

    def used_columns(self) -> list[str]:
        """Return the columns this step reads from the current frame."""
        return []

    def used_datasets(self) -> list[str]:
        """Return the other datasets this step reads."""
        return list(self.datasets)

    def output_columns(self, columns: list[str]) -> list[str] | None:
        """Return ``None``: the columns depend on the other datasets."""
        return None

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with the other datasets' rows appended."""
        parts = [frame, *(get_dataset(name, others) for name in self.datasets)]
        return pd.concat(parts, ignore_index=True)

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        parts = ", ".join(f"datasets[{name!r}]" for name in self.datasets)
        return [f"df = pd.concat([df, {parts}], ignore_index=True)"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        return f"append the rows of {len(self.datasets)} dataset(s)"
