"""The derive step: a new (or replaced) column computed from an expression.

The expression is written in the language of :mod:`nbdash.transform.expr`; it is
parsed when the spec is validated (a syntax error is a :class:`SpecError` then) and
type-checked against the frame's columns before it runs.
"""

from __future__ import annotations

import logging
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator

from nbdash.transform import expr as expression
from nbdash.transform.base import Name, SpecModel
from nbdash.transform.expr import Expr
from nbdash.transform.steps._common import Datasets

logger = logging.getLogger(__name__)


class DeriveStep(SpecModel):
    """Set column ``name`` to the value of ``expression`` (a new or replaced column).

    Examples
    --------
    >>> import pandas as pd
    >>> step = DeriveStep(name="total", expression="[unit price] * qty")
    >>> frame = pd.DataFrame({"unit price": [2.0, 3.0], "qty": [1, 4]})
    >>> step.apply(frame)["total"].tolist()
    [2.0, 12.0]
    """

    kind: Literal["derive"] = "derive"
    name: Name
    expression: str = Field(min_length=1, max_length=expression.MAX_LENGTH)

    @field_validator("expression")
    @classmethod
    def _parse(cls, text: str) -> str:
        expression.parse(text)
        return text

    @property
    def ast(self) -> Expr:
        """The parsed expression (see :mod:`nbdash.transform.expr`)."""
        return expression.parse(self.expression)

    def used_columns(self) -> list[str]:
        """Return the columns the expression reads."""
        return expression.columns_of(self.ast)

    def output_columns(self, columns: list[str]) -> list[str]:
        """Return the columns after this step, given the columns before it."""
        return list(columns) if self.name in columns else [*columns, self.name]

    def apply(
        self, frame: pd.DataFrame, others: Datasets | None = None
    ) -> pd.DataFrame:
        """Return ``frame`` with column ``name`` set."""
        values = expression.evaluate(self.ast, frame, self.expression)
        result = frame.copy(deep=False)  # copy-on-write: the input stays as it is
        result[self.name] = values
        return result

    def code(self) -> list[str]:
        """Return the lines of pandas code for this step."""
        return [f"df[{self.name!r}] = {expression.to_pandas(self.ast)}"]

    def describe(self) -> str:
        """Return a one-line summary for a code comment."""
        text = " ".join(self.expression.split())
        shown = text if len(text) <= 60 else text[:57] + "..."
        # repr keeps a newline or quote in the expression from ending the comment.
        return f"column {self.name!r} = {shown!r}"
